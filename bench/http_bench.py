"""HTTP benchmark: the project's pages served by gunicorn, each against a bare Django page.

    make bench                                                   # 1,000 and 100,000 customers
    .venv/bin/python -m bench.http_bench --customers-large 20000 --seconds 4     # a quicker run
    .venv/bin/python -m bench.http_bench --client python         # without wrk

What it does, in order:

1. Creates a throwaway PostgreSQL database (`bench_portal`, dropped first if it is there; the
   server and credentials of DATABASE_URL when that is PostgreSQL, the name always one with
   "bench" in it), migrates it with the production settings (DEBUG off, a random SECRET_KEY,
   CONN_MAX_AGE=60), collects the static files into a scratch folder, and fills it: two partners
   with N customers each (a third with admin roles, one in twenty ended) and a signed-in Sales +
   Admin agent; requests, audit events and a customer page for the large one; a customer whose
   Global administrator opened a pending request; an app of the large partner (Sales agent,
   registered by its Global admin), whose key the API's pages send. `manage.py
   rebuild_customer_list` runs after the bulk load when the project has it. Agents are signed in
   by creating their sessions.
2. Serves the project and a bare Django site (bench/bare: a template with {% csrf_token %},
   security, common and CSRF middleware, no database) with the same config/gunicorn.conf.py,
   2 workers each, on free ports of 127.0.0.1; the API's rate (API_RATE) high enough that the
   load is never throttled.
3. For each page: a warm-up, then bare, page, bare, page (wrk, 16 connections, 2 threads); the
   medians of the page runs, the ratio to the bare runs beside them, p50 and p99, the workers'
   CPU per request (from /proc), and the SQL queries of one request (test client, same database).
   The API's customer list (`GET /v1/customers?size=40`) is measured as the app: page 1, and the
   page ~80,000 rows in (2,001st of 40), found by following `links.next`.
4. Streams the CSV export of the large partner: rows/s and the workers' peak RSS.
5. Prints one table (also written to bench/last-run.md), and stops everything it started and
   drops the database, whatever happened.
"""

import argparse
import contextlib
import html
import json
import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import traceback
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import unquote, urljoin, urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench import loadgen  # noqa: E402
from bench.report import (  # noqa: E402
    API_PAGE_SIZE,
    API_PAGES,
    API_RATE,
    LIST_PAGES,
    WORKERS,
    Export,
    Page,
    Run,
    X,
    export_line,
    report,
)

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/bench_portal"
LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1", ""}
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
API_DEEP_ROWS = 80_000  # the API's deep page starts this far in (page 2,001 of 40)
API_WALK_SIZE = 500  # the API's largest page: the walk to the deep page goes by these
REPORT = Path(__file__).resolve().parent / "last-run.md"


def log(message: str = "") -> None:
    print(message, flush=True)


# --- The database ------------------------------------------------------------------------


def bench_database_url(explicit: str | None) -> tuple[str, str]:
    """(url, database name). Only PostgreSQL on this machine; the name always says "bench", so
    a DATABASE_URL meant for something else never has its database dropped."""
    url = explicit or os.environ.get("BENCH_DATABASE_URL") or os.environ.get("DATABASE_URL") or ""
    parts = urlsplit(url)
    if parts.scheme not in ("postgres", "postgresql", "pgsql"):
        parts = urlsplit(DEFAULT_DATABASE_URL)
    if (parts.hostname or "") not in LOCAL_HOSTS:
        raise SystemExit(f"The benchmark runs against 127.0.0.1 only, not {parts.hostname}.")
    name = unquote(parts.path.lstrip("/"))
    if "bench" not in name:
        name = "bench_portal"
    return urlunsplit(parts._replace(path=f"/{name}")), name


def _admin_connection(url: str):
    import psycopg

    parts = urlsplit(url)
    return psycopg.connect(
        host=parts.hostname or "127.0.0.1",
        port=parts.port or 5432,
        user=unquote(parts.username or "postgres"),
        password=unquote(parts.password) if parts.password else None,
        dbname="postgres",
        autocommit=True,
    )


def drop_database(url: str, name: str) -> None:
    from psycopg import sql

    with _admin_connection(url) as connection:
        connection.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )


def create_database(url: str, name: str) -> None:
    from psycopg import sql

    drop_database(url, name)
    with _admin_connection(url) as connection:
        connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


# --- Processes ---------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _stat(pid: int) -> list[str] | None:
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return text[text.rindex(")") + 2 :].split()  # fields from the 3rd (state) on


def _children(pid: int) -> list[int]:
    found = []
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            fields = _stat(int(entry.name))
            if fields and int(fields[1]) == pid:
                found.append(int(entry.name))
    return found


def _rss_kib(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


class Server:
    """gunicorn with config/gunicorn.conf.py, bound to 127.0.0.1:port with WORKERS workers."""

    def __init__(self, name: str, app: str, env: dict, folder: Path, port: int | None = None):
        self.name = name
        self.app = app
        self.port = port or free_port()
        self.env = env | {
            "GUNICORN_BIND": f"127.0.0.1:{self.port}",
            "WEB_CONCURRENCY": str(WORKERS),
        }
        self.log_path = folder / f"gunicorn-{name}.log"
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        with open(self.log_path, "wb") as errors:
            self.process = subprocess.Popen(  # noqa: S603 (our own arguments, no shell)
                [sys.executable, "-m", "gunicorn", "-c", "config/gunicorn.conf.py", self.app],
                cwd=ROOT,
                env=self.env,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,  # the access log
                stderr=errors,
                start_new_session=True,
            )

    def wait_ready(self, path: str, timeout: float = 90) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn ({self.name}) exited:\n{self.log_tail()}")
            try:
                status, _ = loadgen.get(self.port, path, timeout=5)
            except OSError:
                time.sleep(0.2)
                continue
            if status == 200 and len(self.workers()) >= WORKERS:
                return
            time.sleep(0.2)
        raise RuntimeError(f"gunicorn ({self.name}) not ready after {timeout:.0f} s")

    def workers(self) -> list[int]:
        return _children(self.process.pid) if self.process else []

    def cpu_ticks(self) -> int:
        """CPU of the workers: the live ones, plus the reaped ones (the master's cutime+cstime),
        so a worker recycled by max_requests during a run is still counted."""
        master = _stat(self.process.pid)
        ticks = int(master[13]) + int(master[14]) if master else 0
        for pid in self.workers():
            fields = _stat(pid)
            if fields:
                ticks += int(fields[11]) + int(fields[12])
        return ticks

    def log_tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def stop(self) -> None:
        process = self.process
        if process is None:
            return
        workers = self.workers()
        if process.poll() is None:
            process.terminate()  # graceful: workers finish their request
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(25)
        if process.poll() is None:
            process.kill()
            process.wait(5)
        for pid in workers:  # a worker its master left behind, still in the master's group
            fields = _stat(pid)
            if fields and int(fields[2]) == process.pid:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
        self.process = None


# --- Pages and figures -------------------------------------------------------------------


def plan_pages(data, port: int) -> list[Page]:
    from django.conf import settings
    from django.urls import reverse

    cookie_name = settings.SESSION_COOKIE_NAME
    pages: list[Page] = []

    def add(label, customers, group, size, cookie, name, *args, query="", headers=None):
        headers = headers or {}
        try:
            path = reverse(name, args=args) + query
            pages.append(Page(label, customers, path, cookie, group, size, headers))
        except Exception as error:
            pages.append(
                Page(label, customers, None, cookie, group, size, headers, error=repr(error))
            )

    add("healthz", "—", "healthz", None, None, "healthz")
    for size in ("small", "large"):
        bench = data.partners[size]
        cookie = f"{cookie_name}={bench.session}"
        for group, label, query in LIST_PAGES:
            add(
                label,
                f"{bench.customers:,}",
                group,
                size,
                cookie,
                "partner_center:customer-list",
                query=query or "",
            )
    large = data.partners["large"]
    cookie = f"{cookie_name}={large.session}"
    customers = f"{large.customers:,}"
    add(
        "Relationship requests",
        customers,
        "requests",
        "large",
        cookie,
        "partner_center:request-list",
    )
    if large.sample_customer is not None:
        add(
            "Customer page",
            customers,
            "customer",
            "large",
            cookie,
            "partner_center:customer-detail",
            large.sample_customer.pk,
        )
    for group, label, query in API_PAGES:
        if data.api_key:
            app = {"Authorization": f"Bearer {data.api_key}"}
            add(label, customers, group, "large", None, "api:customers", query=query, headers=app)
        else:
            pages.append(Page(label, customers, None, None, group, "large", error="no app key"))
    add(
        "Admin center request page",
        "—",
        "admin-request",
        None,
        f"{cookie_name}={data.customer_admin_session}",
        "admin_center:partner-invitation",
        data.invitation_id,
    )
    return pages


_ANCHOR = re.compile(r"<a\b([^>]*)>(.*?)</a>", re.DOTALL | re.IGNORECASE)
_HREF = re.compile(r'\bhref="([^"]*)"')


def next_href(body: bytes) -> str | None:
    """The href of the page's "Next" link, if it has one."""
    for attributes, text in _ANCHOR.findall(body.decode("utf-8", "replace")):
        words = re.sub(r"<[^>]+>", "", text).strip()
        if words.startswith("Next") or re.search(r'\brel="[^"]*\bnext\b', attributes):
            href = _HREF.search(attributes)
            if href:
                return html.unescape(href.group(1))
    return None


def resolve_deep(page: Page, project: Server) -> None:
    """Cursor paging: follow Next up to 40 times from page 1. Numbered: ?page=2000."""
    first = page.path
    status, body = loadgen.get(project.port, first, page.cookie)
    if status != 200:
        raise RuntimeError(f"page 1 answered HTTP {status}")
    href = next_href(body)
    if href and "cursor=" in href:
        path, hops = first, 0
        while href and hops < 40:
            path = urljoin(path, href)
            hops += 1
            status, body = loadgen.get(project.port, path, page.cookie)
            if status != 200:
                raise RuntimeError(f"Next #{hops} answered HTTP {status}")
            href = next_href(body)
        page.path = path
        page.label = f"Customer list, deep (Next {X}{hops}, cursor)"
    else:
        page.path = f"{first}?page=2000"
        page.label = "Customer list, deep (?page=2000)"


def resolve_api_deep(page: Page, project: Server) -> None:
    """The API's page API_DEEP_ROWS rows in (four fifths of the way on a smaller list), reached
    as a client does: each page's `links.next` gives the next URI and the continuation token to
    send back in its header. By pages of 500 (the largest), then of 40; the token is the sort key
    of the last row seen, whatever the size, so the last one is what a client paging by 40 holds
    there."""
    from api.views import CONTINUATION_HEADER

    def step(path: str, token: str | None, size: int) -> tuple[dict, str, str]:
        headers = page.headers | ({CONTINUATION_HEADER: token} if token else {})
        status, body = loadgen.get(project.port, path, page.cookie, headers=headers)
        if status != 200:
            raise RuntimeError(f"{path} ({seen:,} rows in) answered HTTP {status}")
        answer = json.loads(body)
        link = answer["links"].get("next")
        if len(answer["items"]) != size or not link:
            raise RuntimeError(f"{path} ({seen:,} rows in): {len(answer['items'])} rows, no next")
        return answer, link["uri"], link["headers"][0]["value"]

    seen = 0
    first, follow, _ = step(page.path, None, API_PAGE_SIZE)  # the total, and page 2's URI
    last = min(API_DEEP_ROWS, first["totalCount"] * 4 // 5)
    last -= last % API_PAGE_SIZE
    path, token = f"{urlsplit(page.path).path}?size={API_WALK_SIZE}", None
    while seen + API_WALK_SIZE <= last:
        _, path, token = step(path, token, API_WALK_SIZE)
        seen += API_WALK_SIZE
    path = follow if token else page.path
    while seen < last:
        _, path, token = step(path, token, API_PAGE_SIZE)
        seen += API_PAGE_SIZE
    if token:
        page.path = follow
        page.headers = page.headers | {CONTINUATION_HEADER: token}
    page.label = page.label.replace(
        "deep page", f"deep (page {seen // API_PAGE_SIZE + 1:,}, links.next)"
    )


def count_queries(page: Page, port: int) -> int:
    """SQL queries of one request, in process (Django's test client) against the same database."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client(HTTP_HOST=f"127.0.0.1:{port}")
    if page.cookie:
        name, value = page.cookie.split("=", 1)
        client.cookies[name] = value

    def fetch():
        response = client.get(page.path, headers=page.headers)
        if response.streaming:
            for _chunk in response.streaming_content:
                pass
        return response

    fetch()  # warm: first-request work is not the page's
    with CaptureQueriesContext(connection) as queries:
        response = fetch()
    if response.status_code != 200:
        raise RuntimeError(f"test client: HTTP {response.status_code}")
    return len(queries)


def settled_cpu_ticks(server: Server) -> int:
    """The workers' CPU once they are idle again (the requests cut off at the end finished)."""
    last = server.cpu_ticks()
    for _ in range(40):
        time.sleep(0.05)
        now = server.cpu_ticks()
        if now == last:
            break
        last = now
    return last


def timed_run(server: Server, path: str, cookie: str | None, args, headers=None) -> Run:
    before = server.cpu_ticks()
    load = loadgen.run_load(
        args.client,
        server.port,
        path,
        cookie=cookie,
        headers=headers,
        connections=args.connections,
        threads=args.threads,
        seconds=args.seconds,
    )
    ticks = settled_cpu_ticks(server) - before
    cpu_ms = ticks * 1000 / CLOCK_TICKS / load.requests if load.requests else float("nan")
    return Run(load, cpu_ms)


def measure(page: Page, project: Server, bare: Server, args) -> None:
    status, _ = loadgen.get(project.port, page.path, page.cookie, headers=page.headers)
    if status != 200:
        raise RuntimeError(f"HTTP {status}")
    # Warm-up: both workers compile the page's templates, fill their caches.
    loadgen.run_load(
        args.client,
        project.port,
        page.path,
        cookie=page.cookie,
        headers=page.headers,
        connections=args.connections,
        threads=args.threads,
        seconds=args.warmup,
    )
    for _ in range(args.rounds):
        page.bare.append(timed_run(bare, "/", None, args))
        run = timed_run(project, page.path, page.cookie, args, page.headers)
        page.runs.append(run)
        page.failed += run.load.errors


def measure_export(project: Server, path: str, cookie: str, runs: int = 2) -> Export:
    """Stream the whole CSV export (best of `runs`) while sampling the workers' RSS."""
    import http.client

    result = Export()
    baseline = {pid: _rss_kib(pid) for pid in project.workers()}
    peak: dict[int, int] = {}
    stop = threading.Event()

    def sample():
        while not stop.is_set():
            for pid in project.workers():
                rss = _rss_kib(pid)
                baseline.setdefault(pid, rss)
                peak[pid] = max(peak.get(pid, 0), rss)
            stop.wait(0.01)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    try:
        for _ in range(runs):
            connection = http.client.HTTPConnection("127.0.0.1", project.port, timeout=300)
            started = time.perf_counter()
            connection.request("GET", path, headers={"Cookie": cookie})
            response = connection.getresponse()
            if response.status != 200:
                raise RuntimeError(f"HTTP {response.status}")
            lines = 0
            while chunk := response.read(1 << 16):
                lines += chunk.count(b"\n")
            seconds = time.perf_counter() - started
            connection.close()
            if seconds < result.seconds or result.seconds != result.seconds:
                result.rows, result.seconds = lines - 1, seconds  # less the header line
    finally:
        stop.set()
        sampler.join()
    if peak:
        result.peak_rss_mib = max(peak.values()) / 1024
        result.growth_mib = max(peak[pid] - baseline.get(pid, peak[pid]) for pid in peak) / 1024
    return result


# --- The report --------------------------------------------------------------------------


def parse(argv):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers-small", type=int, default=1_000)
    parser.add_argument("--customers-large", type=int, default=100_000)
    parser.add_argument("--seconds", type=float, default=8, help="length of each load run")
    parser.add_argument("--rounds", type=int, default=2, help="bare/page pairs per page")
    parser.add_argument("--warmup", type=float, help="seconds of warm-up per page (default: 1)")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument(
        "--client", choices=["auto", "wrk", "python"], default="auto", help="load generator"
    )
    parser.add_argument("--database-url", help="PostgreSQL URL; its database name must say bench")
    parser.add_argument("--report", type=Path, default=REPORT, help="where to write the markdown")
    args = parser.parse_args(argv)
    if args.client == "auto":
        args.client = "wrk" if loadgen.has_wrk() else "python"
    if args.client == "wrk" and not loadgen.has_wrk():
        parser.error("wrk is not installed (apt-get install wrk), use --client python")
    if args.warmup is None:
        args.warmup = min(1.0, args.seconds / 2)
    return args


def environment(database_url: str, project_port: int, static_root: str) -> dict:
    def portal(setting: str, default_path: str) -> str:
        path = urlsplit(os.environ.get(setting) or default_path).path or default_path
        return f"http://127.0.0.1:{project_port}{path}"

    env = dict(os.environ)
    env.update(
        DJANGO_SETTINGS_MODULE="bench.settings",
        DJANGO_READ_DOT_ENV_FILE="false",
        DEBUG="false",
        SECRET_KEY=secrets.token_urlsafe(50),
        ALLOWED_HOSTS="127.0.0.1",
        CSRF_TRUSTED_ORIGINS="",
        DATABASE_URL=database_url,
        CONN_MAX_AGE="60",
        EMAIL_URL="consolemail://",
        # The benchmark sends no email; the console mailer stands in, as meant.
        EMAIL_CONSOLE_ALLOWED="true",
        SECURE_SSL_REDIRECT="false",
        SESSION_COOKIE_SECURE="false",
        CSRF_COOKIE_SECURE="false",
        SECURE_HSTS_SECONDS="0",
        SECURE_PROXY_SSL_HEADER="false",
        BENCH_STATIC_ROOT=static_root,
        PARTNER_CENTER_URL=portal("PARTNER_CENTER_URL", "/partner-center/"),
        ADMIN_CENTER_URL=portal("ADMIN_CENTER_URL", "/admin-center/"),
        OFFICE_ADMIN_URL=portal("OFFICE_ADMIN_URL", "/office-admin/"),
        # The API's per-app rate: the load would be answered 429 at the default 600/min.
        API_RATE=API_RATE,
    )
    return env


def manage(env: dict, *command: str) -> None:
    done = subprocess.run(  # noqa: S603 (our own arguments, no shell)
        [sys.executable, "manage.py", *command],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode:
        raise RuntimeError(f"manage.py {' '.join(command)} failed:\n{done.stdout}{done.stderr}")


def _stop_on_signal(signum, frame):
    raise SystemExit(128 + signum)


def main(argv=None) -> int:
    args = parse(argv)
    signal.signal(signal.SIGTERM, _stop_on_signal)
    signal.signal(signal.SIGHUP, _stop_on_signal)
    started_at = datetime.now(UTC)
    started = time.perf_counter()
    database_url, database = bench_database_url(args.database_url)
    scratch = tempfile.TemporaryDirectory(prefix="bench-http-")
    folder = Path(scratch.name)
    servers: list[Server] = []
    created = django_ready = False
    try:
        project_port = free_port()
        env = environment(database_url, project_port, str(folder / "static"))
        os.environ.update(env)

        phase = time.perf_counter()
        create_database(database_url, database)
        created = True
        manage(env, "migrate", "--noinput", "--verbosity", "0")
        manage(env, "collectstatic", "--noinput", "--verbosity", "0")
        log(
            f"Database {database} created and migrated, static files collected: "
            f"{time.perf_counter() - phase:.1f} s"
        )

        import django

        django.setup()
        django_ready = True
        from bench.data import build

        phase = time.perf_counter()
        log("Building the data:")
        data = build(args.customers_small, args.customers_large, log=log)
        for warning in data.warnings:
            log(f"  warning: {warning}")
        log(f"  built in {time.perf_counter() - phase:.1f} s")

        project = Server("project", "config.wsgi:application", env, folder, project_port)
        bare = Server(
            "bare",
            "bench.bare.wsgi:application",
            env | {"DJANGO_SETTINGS_MODULE": "bench.bare.settings"},
            folder,
        )
        servers += [project, bare]
        for server in servers:
            server.start()
        project.wait_ready("/healthz")
        bare.wait_ready("/")
        log(
            f"gunicorn: project on 127.0.0.1:{project.port}, bare Django page on "
            f"127.0.0.1:{bare.port}, {WORKERS} workers each; load: {args.client}, "
            f"{args.connections} connections, {args.seconds:g} s runs, {args.rounds} rounds; "
            f"API_RATE={API_RATE}"
        )

        pages = plan_pages(data, project.port)
        loadgen.run_load(  # warm the bare site once
            args.client,
            bare.port,
            "/",
            cookie=None,
            connections=args.connections,
            threads=args.threads,
            seconds=args.warmup,
        )
        log("")
        for page in pages:
            if page.error:
                log(f"  {page.label}: error: {page.error}")
                continue
            try:
                if page.group == "deep":
                    resolve_deep(page, project)
                elif page.group == "api-deep":
                    resolve_api_deep(page, project)
                page.queries = count_queries(page, project.port)
                measure(page, project, bare, args)
                log(
                    f"  {page.label} ({page.customers}): {page.rps:,.1f} req/s, "
                    f"{page.ratio:.2f}{X} bare, {page.queries} queries"
                    + (f", {page.failed} failed responses" if page.failed else "")
                )
            except Exception as error:
                page.error = f"{error}".splitlines()[0][:300] or repr(error)
                log(f"  {page.label} ({page.customers}): error: {page.error}")
                if os.environ.get("BENCH_TRACEBACK"):
                    traceback.print_exc()

        export = None
        try:
            from django.conf import settings
            from django.urls import reverse

            export_path = reverse("partner_center:customer-export")
            cookie = f"{settings.SESSION_COOKIE_NAME}={data.partners['large'].session}"
            export = measure_export(project, export_path, cookie)
            try:
                export.queries = count_queries(
                    Page("export", "", export_path, cookie, "export"), project.port
                )
            except Exception as error:
                log(f"  export queries: error: {error}")
        except Exception as error:
            export = Export(error=str(error).splitlines()[0][:300])
        log(f"  {export_line(export, args.customers_large)}")

        failing = [p for p in pages if p.error]
        if failing and any("HTTP 5" in (p.error or "") for p in failing):
            log("\nThe project's error log (last lines):\n" + project.log_tail(40))
        log(report(pages, export, args, started_at, time.perf_counter() - started, args.client))
        log(f"\nWritten to {args.report}; {(time.perf_counter() - started) / 60:.1f} min in all.")
        return 0
    finally:
        for server in servers:
            server.stop()
        if django_ready:
            from django.db import connections

            connections.close_all()
        if created:
            try:
                drop_database(database_url, database)
            except Exception as error:
                log(f"Could not drop the database {database}: {error}")
        scratch.cleanup()


if __name__ == "__main__":
    sys.exit(main())
