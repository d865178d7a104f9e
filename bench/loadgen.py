"""Load generators: wrk when it is installed, else a bounded Python client (http.client + threads).

Both return a `LoadResult`: requests completed, their rate, p50 and p99 latency, and how many
failed (a status of 400 or more, or a socket error). Only 127.0.0.1 is ever addressed. Every
request carries the same headers: `cookie` (a `Cookie` line) and any `headers` besides (an API
key, a continuation token).
"""

import http.client
import math
import re
import shutil
import subprocess
import threading
import time
from dataclasses import dataclass
from pathlib import Path

HOST = "127.0.0.1"
WRK_SCRIPT = Path(__file__).resolve().parent / "wrk_report.lua"


@dataclass
class LoadResult:
    requests: int
    seconds: float
    p50_ms: float
    p99_ms: float
    errors: int

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0


def has_wrk() -> bool:
    return shutil.which("wrk") is not None


def request_headers(cookie: str | None, headers: dict[str, str] | None = None) -> dict[str, str]:
    return ({"Cookie": cookie} if cookie else {}) | (headers or {})


def run_load(
    tool: str,
    port: int,
    path: str,
    *,
    cookie: str | None,
    headers: dict[str, str] | None = None,
    connections: int,
    threads: int,
    seconds: float,
) -> LoadResult:
    if tool == "wrk":
        return wrk(
            port,
            path,
            cookie=cookie,
            headers=headers,
            connections=connections,
            threads=threads,
            seconds=seconds,
        )
    return python_client(
        port, path, cookie=cookie, headers=headers, connections=connections, seconds=seconds
    )


def wrk(
    port: int,
    path: str,
    *,
    cookie: str | None,
    headers: dict[str, str] | None = None,
    connections: int,
    threads: int,
    seconds: float,
) -> LoadResult:
    command = [
        shutil.which("wrk") or "wrk",
        f"-t{threads}",
        f"-c{connections}",
        f"-d{max(1, math.ceil(seconds))}s",
        "--timeout",
        "30s",
        "-s",
        str(WRK_SCRIPT),
    ]
    for name, value in request_headers(cookie, headers).items():
        command += ["-H", f"{name}: {value}"]
    command.append(f"http://{HOST}:{port}{path}")
    done = subprocess.run(  # noqa: S603 (our own arguments, no shell)
        command, capture_output=True, text=True, timeout=seconds + 60, check=False
    )
    match = re.search(r"^BENCH (.*)$", done.stdout, re.MULTILINE)
    if done.returncode or not match:
        raise RuntimeError(
            f"wrk failed ({done.returncode}): {done.stdout[-500:]}{done.stderr[-500:]}"
        )
    figures = {key: int(value) for key, value in re.findall(r"(\w+)=(\d+)", match.group(1))}
    errors = sum(figures[key] for key in ("non2xx", "connect", "read", "write", "timeout"))
    return LoadResult(
        requests=figures["requests"],
        seconds=figures["duration_us"] / 1e6,
        p50_ms=figures["p50_us"] / 1000,
        p99_ms=figures["p99_us"] / 1000,
        errors=errors,
    )


def percentile(sorted_values: list[float], percent: float) -> float:
    if not sorted_values:
        return math.nan
    rank = max(0, math.ceil(percent / 100 * len(sorted_values)) - 1)
    return sorted_values[rank]


def python_client(
    port: int,
    path: str,
    *,
    cookie: str | None,
    headers: dict[str, str] | None = None,
    connections: int,
    seconds: float,
) -> LoadResult:
    """`connections` threads, each sending requests one after another until the time is up.

    Bounded: a fixed number of threads, each request times out after 30 s, and the run ends
    at the deadline (a request still in flight then is not counted).
    """
    headers = request_headers(cookie, headers)
    latencies: list[list[float]] = [[] for _ in range(connections)]
    errors = [0] * connections
    started = time.perf_counter()
    deadline = started + seconds

    def work(slot: int) -> None:
        connection = http.client.HTTPConnection(HOST, port, timeout=30)
        try:
            while True:
                begin = time.perf_counter()
                if begin >= deadline:
                    return
                status = get_status(connection, path, headers)
                end = time.perf_counter()
                if end > deadline:
                    return
                latencies[slot].append(end - begin)
                if status == 0 or status >= 400:
                    errors[slot] += 1
        finally:
            connection.close()

    workers = [
        threading.Thread(target=work, args=(slot,), daemon=True) for slot in range(connections)
    ]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(seconds + 40)
    elapsed = min(time.perf_counter(), deadline) - started
    every = sorted(latency for per_slot in latencies for latency in per_slot)
    return LoadResult(
        requests=len(every),
        seconds=elapsed,
        p50_ms=percentile(every, 50) * 1000,
        p99_ms=percentile(every, 99) * 1000,
        errors=sum(errors),
    )


def get_status(connection: http.client.HTTPConnection, path: str, headers: dict[str, str]) -> int:
    """One GET on a kept-alive connection, its body read: the status, or 0 when there was no
    answer (the connection is closed then, and opens again on the next request)."""
    try:
        connection.request("GET", path, headers=headers)
        response = connection.getresponse()
        response.read()
        return response.status
    except (OSError, http.client.HTTPException):
        connection.close()
        return 0


def get(
    port: int,
    path: str,
    cookie: str | None = None,
    timeout: float = 60,
    headers: dict[str, str] | None = None,
) -> tuple[int, bytes]:
    """One GET: (status, body)."""
    connection = http.client.HTTPConnection(HOST, port, timeout=timeout)
    try:
        connection.request("GET", path, headers=request_headers(cookie, headers))
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()
