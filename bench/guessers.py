"""Password guessers against the sign-in page: what they cost a signed-in agent, throttled or not.

    make bench-guessers
    .venv/bin/python -m bench.guessers --seconds 10 --guessers 5      # a quicker run

Every wrong password costs the server a full PBKDF2 hash (also for a user name that does not
exist: Django hashes anyway, so the answer takes as long). A few guessers that keep posting can
hold both gunicorn workers, and a signed-in agent's page waits behind them. django-axes refuses
a locked account or client address before the hash.

What it does, in order (the database and the servers are bench.servers'):

1. Creates a throwaway PostgreSQL database (`bench_guessers`; never `make bench`'s
   `bench_portal`), migrates it with the production settings (PBKDF2, the database cache) and
   fills it small (bench.data: a partner with --customers customers and its signed-in agent).
2. Three phases of --seconds each, each on a freshly started gunicorn (config/gunicorn.conf.py,
   2 workers) with the throttle counters cleared (the cache table emptied) before it:
   (a) the agent alone loads the Customer list, one request after another;
   (b) the same while --guessers guessers post wrong passwords to /sign-in/ as fast as they can
       (a CSRF token fetched first, as a browser does; real user names and random ones, in turn),
       sign-in throttling off (SIGN_IN_THROTTLING=false, read by bench/guessers_settings.py);
   (c) the same with throttling on (the default settings).
   The guessers run in a process of their own, so they do not share the agent's interpreter.
3. Prints one table (also written to bench/last-guessers.md): the agent's requests, median and
   p99, the p99 against phase (a)'s, the guesses sent and their answers by status. Stops
   everything it started and drops the database, whatever happened.
"""

import argparse
import html
import http.client
import inspect
import multiprocessing
import os
import re
import secrets
import statistics
import sys
import threading
import time
from collections import Counter
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from http.cookies import CookieError, SimpleCookie
from pathlib import Path
from urllib.parse import urlencode, urlsplit, urlunsplit

from bench.loadgen import HOST, get_status, percentile, python_client
from bench.report import X
from bench.servers import (
    WORKERS,
    Server,
    Site,
    bench_database_url,
    log,
    serving,
    throwaway_site,
)

DATABASE = "bench_guessers"
REPORT = Path(__file__).resolve().parent / "last-guessers.md"
SETTINGS = "bench.guessers_settings"
GUESSERS_START = 2.0  # seconds for the guessers' process to start and fetch its CSRF tokens
TOKEN = re.compile(rb'name="csrfmiddlewaretoken" value="([^"]+)"')
ERROR_SHOWN = b'role="alert"'
NO_ANSWER = "no answer"

# What each answer to a guess means, for the legend under the table.
MEANINGS = {
    "200": "the sign-in page again with its error: the password was hashed and checked",
    "200 without error": "the sign-in page without an error (unexpected)",
    "403": "refused (the lockout, if throttling is on)",
    "403 CSRF": "the CSRF check failed (the guessers' fault; they fetch a new token)",
    "429": "the lockout: too many failed sign-ins",
    "500": "a server error (while tenancy.web.sign_in.locked_out is unwritten, the lockout)",
    NO_ANSWER: "a connection error or a timeout",
}


@dataclass
class Phase:
    label: str
    throttling: bool
    guessers: int
    latencies_ms: list[float] = field(default_factory=list)
    agent_errors: int = 0
    sent: int = 0
    answers: Counter = field(default_factory=Counter)

    @property
    def median_ms(self) -> float:
        return statistics.median(self.latencies_ms) if self.latencies_ms else float("nan")

    @property
    def p99_ms(self) -> float:
        return percentile(sorted(self.latencies_ms), 99)


# --- The guessers (in a process of their own) ---------------------------------------------


class Guesser:
    """One client posting the sign-in form with wrong passwords, cookies kept as a browser does."""

    def __init__(self, port: int, path: str):
        self.connection = http.client.HTTPConnection(HOST, port, timeout=120)
        self.path = path
        self.origin = f"http://{HOST}:{port}"
        self.cookies: dict[str, str] = {}
        self.token: str | None = None

    def send(self, method: str, body: str | None = None, headers=None) -> tuple[int, bytes]:
        headers = dict(headers or {})
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        try:
            self.connection.request(method, self.path, body=body, headers=headers)
            response = self.connection.getresponse()
            content = response.read()
        except (OSError, http.client.HTTPException):
            self.connection.close()
            return 0, b""
        for header in response.headers.get_all("Set-Cookie") or []:
            jar = SimpleCookie()
            try:
                jar.load(header)
            except CookieError:
                continue
            self.cookies.update({name: morsel.value for name, morsel in jar.items()})
        return response.status, content

    def fetch_token(self) -> None:
        status, body = self.send("GET")
        match = TOKEN.search(body) if status == 200 else None
        self.token = html.unescape(match.group(1).decode()) if match else None

    def guess(self, username: str) -> str:
        """Post one wrong password; the answer's key in the table."""
        if self.token is None:
            self.fetch_token()
            if self.token is None:
                return NO_ANSWER
        form = {
            "csrfmiddlewaretoken": self.token,
            "username": username,
            "password": secrets.token_urlsafe(12),
            "next": "",
        }
        status, body = self.send(
            "POST",
            urlencode(form),
            {"Content-Type": "application/x-www-form-urlencoded", "Origin": self.origin},
        )
        if status == 0:
            return NO_ANSWER
        if status == 403 and b"CSRF" in body:
            self.token = None
            return "403 CSRF"
        if status == 200 and ERROR_SHOWN not in body:
            return "200 without error"
        return str(status)


def random_username() -> str:
    return f"{secrets.token_hex(4)}@{secrets.token_hex(3)}.onmicrosoft.com"


def guess(
    port: int, path: str, usernames: list[str], guessers: int, start_at: float, stop_at: float
) -> tuple[int, dict[str, int]]:
    """`guessers` threads, each posting wrong passwords from `start_at` (wall clock) until
    `stop_at`, the next as soon as the last is answered: (guesses sent, answers by key)."""
    sent = [0] * guessers
    answers = [Counter() for _ in range(guessers)]

    def work(slot: int) -> None:
        guesser = Guesser(port, path)
        guesser.fetch_token()  # before the phase starts, as a browser opens the page first
        time.sleep(max(0.0, start_at - time.time()))
        n = slot
        while time.time() < stop_at:
            username = usernames[n // 2 % len(usernames)] if n % 2 == 0 else random_username()
            n += 1
            sent[slot] += 1
            answers[slot][guesser.guess(username)] += 1
        guesser.connection.close()

    threads = [threading.Thread(target=work, args=(slot,), daemon=True) for slot in range(guessers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(max(0.0, stop_at - time.time()) + 150)
    return sum(sent), dict(sum(answers, Counter()))


# --- The agent and the phases -------------------------------------------------------------


def agent_loop(port: int, path: str, cookie: str, until: float) -> tuple[list[float], int]:
    """The signed-in agent loading `path` one request after another until `until` (wall clock):
    (latencies in ms, requests not answered 200)."""
    connection = http.client.HTTPConnection(HOST, port, timeout=120)
    latencies, errors = [], 0
    try:
        while time.time() < until:
            begin = time.perf_counter()
            status = get_status(connection, path, {"Cookie": cookie})
            latencies.append((time.perf_counter() - begin) * 1000)
            errors += status != 200
    finally:
        connection.close()
    return latencies, errors


def phase_server(site: Site, phase: Phase) -> Server:
    """The project on the site's port, sign-in throttling as the phase has it."""
    return Server(
        f"project-{phase.label[1]}",
        "config.wsgi:application",
        "/healthz",
        site.env | {"SIGN_IN_THROTTLING": "true" if phase.throttling else "false"},
        site.folder,
        site.port,
    )


def warm(server: Server, paths: list[tuple[str, str | None]], seconds: float) -> None:
    """Both workers load each page (templates compiled, connections open) before a phase."""
    for path, cookie in paths:
        load = python_client(server.port, path, cookie=cookie, connections=WORKERS, seconds=seconds)
        if load.errors:
            raise RuntimeError(
                f"{path} answered {load.errors} errors while warming up:\n{server.log_tail()}"
            )


def clear_throttle_counters() -> None:
    """django-axes keeps its counters in the cache: the benchmark database's cache table."""
    from django.core.cache import cache

    cache.clear()


def run_phase(phase: Phase, server: Server, args, paths: dict, usernames: list[str]) -> None:
    cookie = paths["cookie"]
    if not phase.guessers:
        latencies, errors = agent_loop(
            server.port, paths["list"], cookie, time.time() + args.seconds
        )
        phase.latencies_ms, phase.agent_errors = latencies, errors
        return
    start_at = time.time() + GUESSERS_START
    stop_at = start_at + args.seconds
    spawn = multiprocessing.get_context("spawn")
    # The guessers' own CPU stands in for an attacker's, which is not the server's: at a lower
    # priority (--guesser-nice), so what they take from the agent is what the server spends on
    # them, not what their client spends on this shared machine.
    with ProcessPoolExecutor(
        max_workers=1, mp_context=spawn, initializer=os.nice, initargs=(args.guesser_nice,)
    ) as pool:
        guessing = pool.submit(
            guess, server.port, paths["sign-in"], usernames, phase.guessers, start_at, stop_at
        )
        time.sleep(max(0.0, start_at - time.time()))
        latencies, errors = agent_loop(server.port, paths["list"], cookie, stop_at)
        sent, answers = guessing.result(timeout=args.seconds + 300)
    phase.latencies_ms, phase.agent_errors = latencies, errors
    phase.sent, phase.answers = sent, Counter(answers)


# --- The report ---------------------------------------------------------------------------

HEADER = [
    "phase",
    "agent requests",
    "agent median ms",
    "agent p99 ms",
    "p99 ÷ (a)",
    "guesses sent",
    "guesses answered",
]


def _ms(value: float) -> str:
    if value != value:  # NaN
        return "—"
    return f"{value:,.0f}" if value >= 100 else f"{value:.1f}"


def _answer_order(key: str) -> tuple[int, str]:
    return (int(key[:3]) if key[:3].isdigit() else 999, key)


def answers_cell(phase: Phase) -> str:
    if not phase.guessers:
        return "—"
    return ", ".join(
        f"{key}: {phase.answers[key]:,}" for key in sorted(phase.answers, key=_answer_order)
    )


def phase_summary(phase: Phase) -> str:
    return (
        f"{phase.label}: {len(phase.latencies_ms):,} agent requests, median "
        f"{_ms(phase.median_ms)} ms, p99 {_ms(phase.p99_ms)} ms"
        + (f", {phase.agent_errors} failed" if phase.agent_errors else "")
        + (f"; {phase.sent:,} guesses ({answers_cell(phase)})" if phase.guessers else "")
    )


def table_rows(phases: list[Phase]) -> list[list[str]]:
    reference = phases[0].p99_ms if phases else float("nan")
    rows = []
    for phase in phases:
        ratio = phase.p99_ms / reference if reference else float("nan")
        rows.append(
            [
                phase.label + (f" [{phase.agent_errors} failed]" if phase.agent_errors else ""),
                f"{len(phase.latencies_ms):,}",
                _ms(phase.median_ms),
                _ms(phase.p99_ms),
                "—" if ratio != ratio else f"{ratio:.2f}{X}",
                f"{phase.sent:,}" if phase.guessers else "—",
                answers_cell(phase),
            ]
        )
    return rows


def text_table(rows: list[list[str]]) -> str:
    widths = [max(len(row[i]) for row in [HEADER, *rows]) for i in range(len(HEADER))]

    def line(cells):
        return "  ".join(
            cell.ljust(width) if i in (0, len(HEADER) - 1) else cell.rjust(width)
            for i, (cell, width) in enumerate(zip(cells, widths, strict=True))
        ).rstrip()

    return "\n".join([line(HEADER), line(["-" * w for w in widths]), *map(line, rows)])


def markdown_table(rows: list[list[str]]) -> str:
    align = ["---" if i in (0, len(HEADER) - 1) else "---:" for i in range(len(HEADER))]
    return "\n".join("| " + " | ".join(cells) + " |" for cells in [HEADER, align, *rows])


def legend(phases: list[Phase]) -> list[str]:
    seen = sorted({key for phase in phases for key in phase.answers}, key=_answer_order)
    return [f"{key}: {MEANINGS.get(key, 'other')}" for key in seen]


def report(phases: list[Phase], context: str, notes: list[str], args) -> str:
    rows = table_rows(phases)
    text = ["", text_table(rows), "", *legend(phases), "", context, *notes]
    markdown = [
        "# `make bench-guessers`: last run",
        "",
        context,
        "",
        markdown_table(rows),
        "",
        *[f"- {line}" for line in legend(phases)],
    ]
    if notes:
        markdown += ["", *notes]
    args.report.write_text("\n".join(markdown) + "\n")
    return "\n".join(text)


# --- Main ---------------------------------------------------------------------------------


def guessers_database_url(explicit: str | None) -> tuple[str, str]:
    """bench.http_bench's rules (PostgreSQL on 127.0.0.1, a name that says bench), but never
    `make bench`'s database: where that would be `bench_portal`, `bench_guessers`."""
    url, name = bench_database_url(explicit)
    if name == "bench_portal":
        name = DATABASE
        url = urlunsplit(urlsplit(url)._replace(path=f"/{name}"))
    return url, name


def parse(argv):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=30, help="length of each phase")
    parser.add_argument("--guessers", type=int, default=5, help="parallel password guessers")
    parser.add_argument(
        "--guesser-nice",
        type=int,
        default=10,
        help="CPU niceness of the guessers' process (0: same priority as the servers)",
    )
    parser.add_argument("--customers", type=int, default=1_000, help="the agent's customers")
    parser.add_argument("--warmup", type=float, help="seconds of warm-up per page (default: 1)")
    parser.add_argument("--database-url", help="PostgreSQL URL; its database name must say bench")
    parser.add_argument("--report", type=Path, default=REPORT, help="where to write the markdown")
    args = parser.parse_args(argv)
    if args.seconds <= 0 or args.guessers < 1:
        parser.error("--seconds must be positive and --guessers at least 1")
    if args.warmup is None:
        args.warmup = min(1.0, args.seconds / 2)
    return args


def build_data(customers: int) -> tuple[str, list[str]]:
    """(the agent's session key, every user name of the data)."""
    from django.contrib.auth import get_user_model

    from bench.data import build, session_for

    data = build(customers, 0, log=log)
    for warning in data.warnings:
        log(f"  warning: {warning}")
    session = session_for(data.partners["small"].agent)
    usernames = list(
        get_user_model().objects.order_by("username").values_list("username", flat=True)
    )
    return session, usernames


def hasher_line() -> str:
    from django.contrib.auth.hashers import get_hasher

    hasher = get_hasher()
    started = time.perf_counter()
    hasher.encode(secrets.token_urlsafe(12), hasher.salt())
    cost = (time.perf_counter() - started) * 1000
    iterations = getattr(hasher, "iterations", None)
    return (
        f"{hasher.algorithm}"
        + (f", {iterations:,} iterations" if iterations else "")
        + (f", {cost:,.0f} ms a hash in this process")
    )


def lockout_note() -> str | None:
    """Whether the lockout page (AXES_LOCKOUT_CALLABLE) is written yet."""
    from django.conf import settings
    from django.utils.module_loading import import_string

    name = getattr(settings, "AXES_LOCKOUT_CALLABLE", None)
    if not name:
        return None  # django-axes' own lockout answer
    try:
        source = inspect.getsource(import_string(name))
    except (ImportError, OSError, TypeError) as error:
        return f"{name} cannot be loaded ({error}): a locked-out guess fails."
    if "NotImplementedError" in source:
        return f"{name} is not written yet: a locked-out guess answers 500."
    return None


def main(argv=None) -> int:
    args = parse(argv)
    database_url, database = guessers_database_url(args.database_url)
    with throwaway_site(
        database_url,
        database,
        scratch_prefix="bench-guessers-",
        extra_env={
            "DJANGO_SETTINGS_MODULE": SETTINGS,
            # The throttle counters in the benchmark database's own cache table, which each
            # phase empties: never a cache shared with anything else.
            "CACHE_URL": "",
            # Each phase's server sets its own; everything else has the default.
            "SIGN_IN_THROTTLING": "true",
        },
        claim=True,
    ) as site:
        from django.conf import settings
        from django.urls import reverse

        phase_started = time.perf_counter()
        log("Building the data:")
        session, usernames = build_data(args.customers)
        log(f"  built in {time.perf_counter() - phase_started:.1f} s; users: {len(usernames)}")
        hasher = hasher_line()
        log(f"Password hasher: {hasher}")
        notes = [note] if (note := lockout_note()) else []
        for note in notes:
            log(f"Note: {note}")

        cookie = f"{settings.SESSION_COOKIE_NAME}={session}"
        paths = {
            "list": reverse("partner_center:customer-list"),
            "sign-in": reverse("sign-in"),
            "cookie": cookie,
        }
        phases = [
            Phase("(a) agent alone", throttling=True, guessers=0),
            Phase(f"(b) {args.guessers} guessers, throttling off", False, args.guessers),
            Phase(f"(c) {args.guessers} guessers, throttling on", True, args.guessers),
        ]
        log(
            f"gunicorn on 127.0.0.1:{site.port}, {WORKERS} workers, restarted for each phase; "
            f"{args.seconds:g} s a phase; the agent loads {paths['list']}, the guessers post "
            f"to {paths['sign-in']}"
        )
        for phase in phases:
            clear_throttle_counters()
            server = phase_server(site, phase)
            with serving(server):
                warm(server, [(paths["list"], cookie), (paths["sign-in"], None)], args.warmup)
                run_phase(phase, server, args, paths, usernames)
                log(f"  {phase_summary(phase)}")
                if any(key.startswith("5") for key in phase.answers) or phase.agent_errors:
                    log(f"  the server's error log (last lines):\n{server.log_tail(15)}")

        context = (
            f"{site.started_at:%Y-%m-%d %H:%M} UTC, {os.cpu_count()} cores; {args.customers:,} "
            f"customers; {args.seconds:g} s a phase, {args.guessers} guessers (half real user "
            f"names, half random ones); gunicorn config/gunicorn.conf.py with {WORKERS} workers; "
            f"password hasher {hasher}; sign-in failure limit {settings.AXES_FAILURE_LIMIT} "
            f"(per account or client address); PostgreSQL; {site.elapsed / 60:.1f} min in all."
        )
        log(report(phases, context, notes, args))
        log(f"\nWritten to {args.report}.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
