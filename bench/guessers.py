"""Password guessers against the sign-in page: what they cost a signed-in agent, throttled or not,
and whether the owner of the account they hammer still signs in.

    make bench-guessers
    .venv/bin/python -m bench.guessers --seconds 10 --guessers 5      # a quicker run

Every wrong password costs the server a full PBKDF2 hash (also for a user name that does not
exist: Django hashes anyway, so the answer takes as long). A few guessers that keep posting can
hold both gunicorn workers, and a signed-in agent's page waits behind them. The sign-in guard
(tenancy.web.sign_in_guard) takes each try from an allowance before its password is checked and
refuses a spent one before the hash; it holds unknown browsers, all together, to
SIGN_IN_UNKNOWN_PER_SECOND password checks a second; and a browser where the account signed in
before keeps an allowance of its own.

What it does, in order (the database and the servers are bench.servers'):

1. Creates a throwaway PostgreSQL database (`bench_guessers`; never `make bench`'s
   `bench_portal`), migrates it with the production settings (PBKDF2, the database cache) and
   fills it small (bench.data: a partner with --customers customers and its signed-in agent),
   plus the owner: a user of that partner whose password the benchmark knows.
2. Five phases of --seconds each, each on a freshly started gunicorn (config/gunicorn.conf.py,
   2 workers) with the throttle's counts forgotten before it (the tenancy_counter table and the
   cache table emptied); the agent loads the Customer list, one request after another, in each:
   (a) the agent alone;
   (b) --guessers guessers post wrong passwords to /sign-in/ as fast as they are answered (a
       CSRF token fetched first, as a browser does; real user names and random ones, in turn,
       all from one address), sign-in throttling off (SIGN_IN_THROTTLING=false, read by
       bench/guessers_settings.py: no guard at all);
   (c) the same with throttling on (the production settings);
   (d) spread: each guess from a new address (X-Forwarded-For, in 198.18.0.0/15) at a new
       random user name, throttling on: no account or address is ever locked, only the
       site-wide budget of password checks for unknown browsers holds them;
   (e) owner: the guessers hammer the owner's account, each guess from a new address,
       throttling on. The owner signed in once before the phase from its browser, which kept
       the sign_in_device cookie; every 2 s it signs in again there with the right password
       (its session dropped first, the device cookie kept). In between, once the account is
       locked for unknown browsers (asked as the middleware asks, sign_in_guard.lock_in_force),
       a new browser (no cookies, an address of its own) tries the right password too.
   The guessers run in a process of their own, so they do not share the agent's interpreter.
3. Prints one table (also written to bench/last-guessers.md): the agent's requests, median and
   p99, the p99 against phase (a)'s, the guesses sent and their answers (hashed, or refused
   with 429 and why), and in (e) the owner's sign-ins. Stops everything it started and drops
   the database, whatever happened.
"""

import argparse
import html
import http.client
import ipaddress
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

from bench.guessers_report import NO_ANSWER, phase_summary, report
from bench.loadgen import HOST, get_status, percentile, python_client
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
# Spread guessers' addresses: the benchmarking range (RFC 2544), 131,072 of them.
SPREAD = ipaddress.IPv4Network("198.18.0.0/15")
# The owner's browser and the new browsers' addresses: TEST-NET-3, none of the guessers'.
OWNER_ADDRESS = "203.0.113.20"
NEW_BROWSER_ADDRESSES = ipaddress.IPv4Network("203.0.113.128/25")
OWNER_EVERY = 2.0  # seconds between the owner's sign-ins (the new browser's fall in between)
# A refusal's Retry-After: the busy budget's window is one second, a lock's SIGN_IN_LOCK.
BUSY_RETRY_AFTER = 2


@dataclass
class Owner:
    """The account phase (e)'s guessers hammer, and what its sign-ins got."""

    username: str
    password: str
    known: Counter = field(default_factory=Counter)  # answers to the owner's known browser
    known_ms: list[float] = field(default_factory=list)
    new: Counter = field(default_factory=Counter)  # answers to a new browser's right password
    new_waited: int = 0  # a new browser's turns before the account was locked (not tried)
    first_sign_in: str = ""  # the answer to the sign-in before the phase

    @property
    def known_median_ms(self) -> float:
        return statistics.median(self.known_ms) if self.known_ms else float("nan")


@dataclass
class Phase:
    label: str
    throttling: bool
    guessers: int
    mode: str = "names"  # names: real and random from one address; spread; owner
    latencies_ms: list[float] = field(default_factory=list)
    agent_errors: int = 0
    sent: int = 0
    answers: Counter = field(default_factory=Counter)
    audited: int = 0  # failed sign-ins the audit trail recorded: one per password checked
    owner: Owner | None = None

    @property
    def median_ms(self) -> float:
        return statistics.median(self.latencies_ms) if self.latencies_ms else float("nan")

    @property
    def p99_ms(self) -> float:
        return percentile(sorted(self.latencies_ms), 99)

    @property
    def checked(self) -> int:
        """Wrong passwords the server checked: with the guard on, as its audit trail says (the
        try that spends an allowance is checked and answers 429); off, each answer with the
        error (nothing audits them then)."""
        return self.audited if self.throttling else self.answers["200"]


# --- A browser, the guessers (in a process of their own) ----------------------------------


class Browser:
    """One client of the sign-in page, cookies kept as a browser does; `address` (or each
    request's) is said in X-Forwarded-For, as the proxy in front of production does."""

    def __init__(self, port: int, path: str, address: str | None = None):
        self.connection = http.client.HTTPConnection(HOST, port, timeout=120)
        self.path = path
        self.origin = f"http://{HOST}:{port}"
        self.address = address
        self.cookies: dict[str, str] = {}
        self.token: str | None = None

    def send(
        self, method: str, body: str | None = None, headers=None, address: str | None = None
    ) -> tuple[int, bytes, http.client.HTTPResponse | None]:
        headers = dict(headers or {})
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        if address := address or self.address:
            headers["X-Forwarded-For"] = address
        try:
            self.connection.request(method, self.path, body=body, headers=headers)
            response = self.connection.getresponse()
            content = response.read()
        except (OSError, http.client.HTTPException):
            self.connection.close()
            return 0, b"", None
        for header in response.headers.get_all("Set-Cookie") or []:
            jar = SimpleCookie()
            try:
                jar.load(header)
            except CookieError:
                continue
            self.cookies.update({name: morsel.value for name, morsel in jar.items()})
        return response.status, content, response

    def fetch_token(self) -> None:
        status, body, _ = self.send("GET")
        match = TOKEN.search(body) if status == 200 else None
        self.token = html.unescape(match.group(1).decode()) if match else None

    def sign_in(self, username: str, password: str, address: str | None = None) -> str:
        """Post the sign-in form; the answer's key in the table."""
        if self.token is None:
            self.fetch_token()
            if self.token is None:
                return NO_ANSWER
        form = {
            "csrfmiddlewaretoken": self.token,
            "username": username,
            "password": password,
            "next": "",
        }
        status, body, response = self.send(
            "POST",
            urlencode(form),
            {"Content-Type": "application/x-www-form-urlencoded", "Origin": self.origin},
            address,
        )
        if status == 0:
            return NO_ANSWER
        if status == 403 and b"CSRF" in body:
            self.token = None
            return "403 CSRF"
        if status == 200 and ERROR_SHOWN not in body:
            return "200 without error"
        if status == 429:
            retry_after = response.headers.get("Retry-After", "")
            busy = retry_after.isdecimal() and int(retry_after) <= BUSY_RETRY_AFTER
            return "429 busy" if busy else "429 locked"
        return str(status)

    def close(self) -> None:
        self.connection.close()


def random_username() -> str:
    return f"{secrets.token_hex(4)}@{secrets.token_hex(3)}.onmicrosoft.com"


def random_address(network: ipaddress.IPv4Network = SPREAD) -> str:
    return str(network[secrets.randbelow(network.num_addresses)])


def guess(
    port: int,
    path: str,
    mode: str,
    usernames: list[str],
    guessers: int,
    start_at: float,
    stop_at: float,
) -> tuple[int, dict[str, int]]:
    """`guessers` threads, each posting wrong passwords from `start_at` (wall clock) until
    `stop_at`, the next as soon as the last is answered: (guesses sent, answers by key).
    names: real user names and random ones in turn, from this machine's address; spread: a new
    random name from a new address each time; owner: usernames[0] from a new address each time."""
    sent = [0] * guessers
    answers = [Counter() for _ in range(guessers)]

    def work(slot: int) -> None:
        guesser = Browser(port, path)
        guesser.fetch_token()  # before the phase starts, as a browser opens the page first
        time.sleep(max(0.0, start_at - time.time()))
        n = slot
        while time.time() < stop_at:
            address = None if mode == "names" else random_address()
            if mode == "owner":
                username = usernames[0]
            elif mode == "spread" or n % 2:
                username = random_username()
            else:
                username = usernames[n // 2 % len(usernames)]
            n += 1
            sent[slot] += 1
            answers[slot][guesser.sign_in(username, secrets.token_urlsafe(12), address)] += 1
        guesser.close()

    threads = [threading.Thread(target=work, args=(slot,), daemon=True) for slot in range(guessers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(max(0.0, stop_at - time.time()) + 150)
    return sum(sent), dict(sum(answers, Counter()))


# --- The agent, the owner and the phases --------------------------------------------------


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


def owner_browser(port: int, path: str, owner: Owner) -> Browser:
    """The owner's browser, signed in once (before the phase): it keeps the device cookie."""
    from tenancy.web.sign_in_guard import DEVICE_COOKIE

    browser = Browser(port, path, OWNER_ADDRESS)
    owner.first_sign_in = browser.sign_in(owner.username, owner.password)
    if DEVICE_COOKIE not in browser.cookies:
        owner.first_sign_in += ", no device cookie"
    return browser


def owner_again(browser: Browser, owner: Owner) -> None:
    """The owner signs in again from its browser: the session (and the CSRF token it rotated)
    dropped, the device cookie kept, as after signing out."""
    from django.conf import settings

    from tenancy.web.sign_in_guard import DEVICE_COOKIE

    browser.cookies = {k: v for k, v in browser.cookies.items() if k == DEVICE_COOKIE}
    browser.token = None
    browser.fetch_token()
    if browser.token is None:
        owner.known[NO_ANSWER] += 1
        return
    begin = time.perf_counter()
    answer = browser.sign_in(owner.username, owner.password)
    owner.known_ms.append((time.perf_counter() - begin) * 1000)
    owner.known[answer] += 1
    if answer == "302" and settings.SESSION_COOKIE_NAME not in browser.cookies:
        owner.known["302 without a session"] += 1


def locked_for_new_browsers(path: str, username: str, address: str) -> bool:
    """Whether a sign-in by `username` from a browser it never used, at `address`, meets a lock
    now: the middleware's own question (one read; nothing counted)."""
    from django.test import RequestFactory

    from tenancy.web.sign_in_guard import lock_in_force

    request = RequestFactory().post(path, HTTP_X_FORWARDED_FOR=address)
    return lock_in_force(request, username) is not None


def owner_loop(port: int, path: str, owner: Owner, browser: Browser, start_at, stop_at) -> None:
    """Every OWNER_EVERY seconds the owner signs in from its browser; half-way between, a new
    browser tries the right password, once the account is locked for unknown browsers."""
    from django.db import connection

    tick = 0
    try:
        while (at := start_at + OWNER_EVERY / 4 + tick * OWNER_EVERY / 2) < stop_at:
            time.sleep(max(0.0, at - time.time()))
            if tick % 2 == 0:
                owner_again(browser, owner)
            else:
                address = random_address(NEW_BROWSER_ADDRESSES)
                if locked_for_new_browsers(path, owner.username, address):
                    new = Browser(port, path, address)
                    owner.new[new.sign_in(owner.username, owner.password)] += 1
                    new.close()
                else:
                    owner.new_waited += 1
            tick += 1
    finally:
        browser.close()
        connection.close()  # this thread's


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


def forget_throttle_counts() -> None:
    """The sign-in guard's and the rate limits' counts (tenancy.counters: the benchmark
    database's tenancy_counter table, as CACHE_URL is empty), and the cache table besides."""
    from django.core.cache import cache

    from tenancy.models import Counter as CountRow

    CountRow.objects.all().delete()
    cache.clear()


def failed_sign_ins() -> int:
    from tenancy.models import AuditAction, AuditEvent

    return AuditEvent.objects.filter(action=AuditAction.SIGN_IN_FAILED).count()


def run_phase(phase: Phase, server: Server, args, paths: dict, usernames: list[str]) -> None:
    cookie = paths["cookie"]
    if not phase.guessers:
        latencies, errors = agent_loop(
            server.port, paths["list"], cookie, time.time() + args.seconds
        )
        phase.latencies_ms, phase.agent_errors = latencies, errors
        return
    audited_before = failed_sign_ins()
    owner = phase.owner
    browser = owner_browser(server.port, paths["sign-in"], owner) if owner else None
    start_at = time.time() + GUESSERS_START
    stop_at = start_at + args.seconds
    targets = [owner.username] if phase.mode == "owner" else usernames
    spawn = multiprocessing.get_context("spawn")
    # The guessers' own CPU stands in for an attacker's, which is not the server's: at a lower
    # priority (--guesser-nice), so what they take from the agent is what the server spends on
    # them, not what their client spends on this shared machine.
    with ProcessPoolExecutor(
        max_workers=1, mp_context=spawn, initializer=os.nice, initargs=(args.guesser_nice,)
    ) as pool:
        guessing = pool.submit(
            guess,
            server.port,
            paths["sign-in"],
            phase.mode,
            targets,
            phase.guessers,
            start_at,
            stop_at,
        )
        signing_in = None
        if owner:
            signing_in = threading.Thread(
                target=owner_loop,
                args=(server.port, paths["sign-in"], owner, browser, start_at, stop_at),
                daemon=True,
            )
            signing_in.start()
        time.sleep(max(0.0, start_at - time.time()))
        latencies, errors = agent_loop(server.port, paths["list"], cookie, stop_at)
        sent, answers = guessing.result(timeout=args.seconds + 300)
        if signing_in:
            signing_in.join(150)
    phase.latencies_ms, phase.agent_errors = latencies, errors
    phase.sent, phase.answers = sent, Counter(answers)
    phase.audited = failed_sign_ins() - audited_before


# --- The report ---------------------------------------------------------------------------


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


def build_data(customers: int) -> tuple[str, list[str], Owner]:
    """(the agent's session key, every user name of the data, the owner)."""
    from django.contrib.auth import get_user_model

    from bench.data import build, session_for
    from tenancy.models import Role
    from tests.factories import member

    data = build(customers, 0, log=log)
    for warning in data.warnings:
        log(f"  warning: {warning}")
    small = data.partners["small"]
    session = session_for(small.agent)
    owner = Owner(f"owner@{small.partner.domain}", secrets.token_urlsafe(16))
    user = member(small.partner, Role.SALES_AGENT, username=owner.username)
    user.set_password(owner.password)
    user.save(update_fields=["password"])
    usernames = list(
        get_user_model().objects.order_by("username").values_list("username", flat=True)
    )
    return session, usernames, owner


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


def throttle_line() -> str:
    from django.conf import settings

    return (
        f"sign-in failure limit {settings.SIGN_IN_FAILURE_LIMIT} per allowance (a known "
        "browser's own; else the account's for unknown browsers and the address's), locked "
        f"{settings.SIGN_IN_LOCK.total_seconds() / 60:g} min; password checks for unknown "
        f"browsers, site-wide: {settings.SIGN_IN_UNKNOWN_PER_SECOND} a second (0: no budget)"
    )


def main(argv=None) -> int:
    args = parse(argv)
    database_url, database = guessers_database_url(args.database_url)
    with throwaway_site(
        database_url,
        database,
        scratch_prefix="bench-guessers-",
        extra_env={
            "DJANGO_SETTINGS_MODULE": SETTINGS,
            # The throttle's counts in the benchmark database's own tenancy_counter table,
            # which each phase empties: never a Redis or a cache shared with anything else.
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
        session, usernames, owner = build_data(args.customers)
        log(f"  built in {time.perf_counter() - phase_started:.1f} s; users: {len(usernames)}")
        hasher = hasher_line()
        log(f"Password hasher: {hasher}")

        cookie = f"{settings.SESSION_COOKIE_NAME}={session}"
        paths = {
            "list": reverse("partner_center:customer-list"),
            "sign-in": reverse("sign-in"),
            "cookie": cookie,
        }
        n = args.guessers
        phases = [
            Phase("(a) agent alone", throttling=True, guessers=0),
            Phase(f"(b) {n} guessers, throttling off", False, n),
            Phase(f"(c) {n} guessers, throttling on", True, n),
            Phase(f"(d) {n} guessers spread, throttling on", True, n, mode="spread"),
            Phase(f"(e) {n} guessers at the owner, throttling on", True, n, "owner", owner=owner),
        ]
        log(
            f"gunicorn on 127.0.0.1:{site.port}, {WORKERS} workers, restarted for each phase; "
            f"{args.seconds:g} s a phase; the agent loads {paths['list']}, the guessers post "
            f"to {paths['sign-in']}; the owner is {owner.username}"
        )
        for phase in phases:
            forget_throttle_counts()
            server = phase_server(site, phase)
            with serving(server):
                warm(server, [(paths["list"], cookie), (paths["sign-in"], None)], args.warmup)
                run_phase(phase, server, args, paths, usernames)
                log(f"  {phase_summary(phase)}")
                if any(key.startswith("5") for key in phase.answers) or phase.agent_errors:
                    log(f"  the server's error log (last lines):\n{server.log_tail(15)}")

        context = (
            f"{site.started_at:%Y-%m-%d %H:%M} UTC, {os.cpu_count()} cores; {args.customers:,} "
            f"customers; {args.seconds:g} s a phase, {n} guessers: in (b) and (c) half real user "
            "names, half random ones, from one address; in (d) a new random name from a new "
            f"address ({SPREAD}, X-Forwarded-For) each guess; in (e) the owner's name from a new "
            f"address each guess, while the owner signs in every {OWNER_EVERY:g} s from its "
            "browser (signed in there before the phase) and, between, a new browser tries the "
            "right password once the account is locked; gunicorn config/gunicorn.conf.py with "
            f"{WORKERS} workers; password hasher {hasher}; {throttle_line()}; PostgreSQL; "
            f"{site.elapsed / 60:.1f} min in all."
        )
        log(report(phases, context, args))
        log(f"\nWritten to {args.report}.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
