"""The processes a bulk benchmark watches: one `manage.py db_worker` (started, its memory, its
CPU), the database's backends serving it, and the rest of the machine."""

import contextlib
import os
import subprocess
import sys
import time
from pathlib import Path

from bench.servers import ROOT, rss_kib

WORKER_INTERVAL = "0.1"  # seconds between the idle worker's looks for a task (default 1)


def _status_kib(pid: int, field: str) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(f"{field}:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def cpu_ticks(pid: int) -> int | None:
    """utime + stime of a process (clock ticks); None when it is gone."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = text[text.rindex(")") + 2 :].split()
    return int(fields[11]) + int(fields[12])


def machine_busy_ticks() -> int:
    """All cores' busy time (clock ticks): /proc/stat less idle and iowait."""
    values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    return sum(values[:8]) - values[3] - values[4]


class CpuMeter:
    """While a job runs: the CPU of the worker, of the database's other client backends (the
    worker's connection: it reconnects every CONN_MAX_AGE, so a backend born meanwhile counts
    from zero) and of the rest of the machine (anything else: other programs, PostgreSQL's own
    processes, this one)."""

    def __init__(self, worker_pid: int):
        self.worker_pid = worker_pid
        self.worker_start = cpu_ticks(worker_pid) or 0
        self.worker_last = self.worker_start
        self.machine_start = machine_busy_ticks()
        self.started = time.perf_counter()
        self.backend_start = {pid: cpu_ticks(pid) or 0 for pid in self.backends()}
        self.backend_last = dict(self.backend_start)

    @staticmethod
    def backends() -> list[int]:
        from django.db import connection

        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
                "AND pid <> pg_backend_pid() AND backend_type = 'client backend'"
            )
            return [pid for (pid,) in cursor.fetchall()]

    def sample(self) -> None:
        self.worker_last = cpu_ticks(self.worker_pid) or self.worker_last
        for pid in self.backends():
            ticks = cpu_ticks(pid)
            if ticks is not None:
                self.backend_start.setdefault(pid, 0)
                self.backend_last[pid] = ticks

    def finish(self, run) -> None:
        self.sample()
        seconds = time.perf_counter() - self.started
        worker = self.worker_last - self.worker_start
        database = sum(last - self.backend_start[pid] for pid, last in self.backend_last.items())
        rest = machine_busy_ticks() - self.machine_start - worker - database
        run.worker_cpu_seconds = worker / CLOCK_TICKS
        run.database_cpu_seconds = database / CLOCK_TICKS
        run.rest_cores = max(rest, 0) / CLOCK_TICKS / seconds if seconds else float("nan")
        run.load_average = os.getloadavg()[0]


class Worker:
    """One `manage.py db_worker`, a process of its own on the benchmark's database."""

    ARGS = ("db_worker", "--interval", WORKER_INTERVAL, "--no-startup-delay", "--no-reload")

    def __init__(self, env: dict[str, str], folder: Path):
        self.env = env
        self.log_path = folder / "db_worker.log"
        self.process: subprocess.Popen | None = None

    @property
    def command(self) -> str:
        return "manage.py " + " ".join(self.ARGS)

    @property
    def pid(self) -> int:
        return self.process.pid

    def start(self, timeout: float = 90) -> None:
        with open(self.log_path, "wb") as output:
            self.process = subprocess.Popen(  # noqa: S603 (our own arguments, no shell)
                [sys.executable, "manage.py", *self.ARGS],
                cwd=ROOT,
                env=self.env,
                stdin=subprocess.DEVNULL,
                stdout=output,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self.check_alive()
            if "Starting worker" in self.log_tail(200):
                time.sleep(0.5)  # its first look for a task, and the connection it keeps
                return
            time.sleep(0.1)
        raise RuntimeError(f"the worker did not start in {timeout:.0f} s:\n{self.log_tail()}")

    def check_alive(self) -> None:
        if self.process.poll() is not None:
            raise RuntimeError(
                f"the worker exited ({self.process.returncode}):\n{self.log_tail(40)}"
            )

    def rss_kib(self) -> int:
        return rss_kib(self.pid)

    def log_tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def stop(self) -> None:
        process, self.process = self.process, None
        if process is None or process.poll() is not None:
            return
        process.terminate()  # idle: it exits at once; mid-task: after the task
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(30)
        if process.poll() is None:
            process.kill()
            process.wait(5)
