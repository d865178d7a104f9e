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
   rebuild_customer_list` runs after the bulk load when the project has it; then a finished bulk
   request job of the large partner (a tenth of its customers, 1,000 at most, done in this
   process as the worker does it) for the job's page. Agents are signed in by creating their
   sessions.
2. Serves the project and a bare Django site (bench/bare: a template with {% csrf_token %},
   security, common and CSRF middleware, no database) with the same config/gunicorn.conf.py,
   2 workers each, on free ports of 127.0.0.1; the API's rate (API_RATE) high enough that the
   load is never throttled. The project a second time, keeping nothing (FRAGMENT_CACHE_URL
   dummycache://), for the first views: what the Customer list's page 1 and a search, and the
   API's page 1, cost when nothing was kept for them (tenancy.web.fragments). And a third time,
   profiled (bench.profiled_wsgi: a sampler in each worker, bench.profiling), for the CPU's split
   only (--no-profile: not).
3. For each page: a warm-up, then bare, page, bare, page (wrk, 16 connections, 2 threads); the
   medians of the page runs, the ratio to the bare runs beside them, p50 and p99, the workers'
   CPU per request (from /proc), and the SQL queries of one request (test client, same database).
   The API's customer list (`GET /v1/customers?size=40`) is measured as the app: page 1, and the
   page ~80,000 rows in (2,001st of 40), found by following `links.next`. Besides the Customer
   list pages: Relationship requests, the customer page, Admin relationships, the bulk job's
   page, the admin center's request page. Then the CPU's split: the page on the profiled server
   (a warm-up, a run of --profile-seconds), the sampled CPU's shares in template, ORM, database
   and the rest (the innermost frame's category), applied to the CPU per request measured above
   without the sampler, so the four add up to it.
4. Streams the CSV export of the large partner: rows/s and the workers' peak RSS.
5. Prints one table and the issue's targets, each met or not (bench.targets; also written to
   bench/last-run.md, or --report), and stops everything it started and drops the database,
   whatever happened.
6. Then, the servers stopped, the bulk requests (bench.bulk, also runnable alone: `python -m
   bench.bulk`): "Select all that match" counted at 100 customers and at the large partner's, and
   jobs of 100 and 10,000 customers run by one real `manage.py db_worker`, emails off; a "Bulk
   requests" section printed and added to bench/last-run.md (--no-bulk skips it).
"""

import argparse
import os
import sys
import threading
import time
import traceback
from pathlib import Path

from bench import bulk, loadgen, profiling
from bench.pages import plan_pages, resolve_api_deep, resolve_deep
from bench.report import (
    API_RATE,
    Export,
    Page,
    Run,
    X,
    bulk_markdown,
    bulk_text,
    export_line,
    report,
)
from bench.servers import (
    WORKERS,
    Server,
    bench_database_url,
    log,
    rss_kib,
    serving,
    throwaway_site,
)
from bench.targets import targets

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
REPORT = Path(__file__).resolve().parent / "last-run.md"


# --- Pages and figures -------------------------------------------------------------------


def count_queries(page: Page, port: int) -> int:
    """SQL queries of one request, in process (Django's test client) against the same database."""
    from django.core.cache import caches
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
        if page.server == "first":  # what a first view runs: nothing kept from the warm-up
            caches["fragments"].clear()
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


def timed_run(
    server: Server,
    path: str,
    cookie: str | None,
    args,
    headers=None,
    seconds=None,
    connections=None,
) -> Run:
    connections = connections or args.connections
    before = server.cpu_ticks()
    load = loadgen.run_load(
        args.client,
        server.port,
        path,
        cookie=cookie,
        headers=headers,
        connections=connections,
        threads=min(args.threads, connections),
        seconds=seconds or args.seconds,
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


def profile_page(page: Page, profiled: Server, args) -> None:
    """The page on the profiled server (bench.profiling's sampler in its workers): a warm-up, the
    workers' totals from zero, a run of --profile-seconds, their totals: the CPU's shares by
    category (the page's split), its samples, and the CPU per request with the sampler on.
    Two connections a worker keep both busy; more would only queue, and their requests still in
    flight at the end of a run make it longer."""
    started = time.perf_counter()
    connections = min(args.connections, 2 * WORKERS)
    loadgen.run_load(
        args.client,
        profiled.port,
        page.path,
        cookie=page.cookie,
        headers=page.headers,
        connections=connections,
        threads=min(args.threads, connections),
        seconds=args.warmup,
    )
    profiling.collect(profiled)  # from zero: answered once a worker is done with the warm-up
    run = timed_run(
        profiled, page.path, page.cookie, args, page.headers, args.profile_seconds, connections
    )
    profile = profiling.collect(profiled)
    if profile.missing:
        raise RuntimeError(f"{profile.missing} of the profiled workers did not answer")
    if run.load.errors:
        raise RuntimeError(f"{run.load.errors} failed responses in the profiled run")
    page.shares = profile.shares()
    page.samples = profile.total_samples
    page.profiled_cpu_ms = run.cpu_ms
    if page.shares is None:
        raise RuntimeError("no samples")
    sampled_ms = profile.total_seconds * 1000 / run.load.requests if run.load.requests else 0
    covered = f"{sampled_ms / run.cpu_ms:.0%}" if run.cpu_ms > 0 else "—"
    parts = ", ".join(
        f"{name} {value}" for name, value in zip(profiling.CATEGORIES, page.split(), strict=True)
    )
    log(
        f"    CPU {page.cpu_ms:.2f} ms/req = {parts}; {page.samples:,} samples, "
        f"{covered} of the profiled run's {run.cpu_ms:.2f} ms/req; "
        f"{time.perf_counter() - started:.1f} s"
    )


def measure_export(project: Server, path: str, cookie: str, runs: int = 2) -> Export:
    """Stream the whole CSV export (best of `runs`) while sampling the workers' RSS."""
    import http.client

    result = Export()
    baseline = {pid: rss_kib(pid) for pid in project.workers()}
    peak: dict[int, int] = {}
    stop = threading.Event()

    def sample():
        while not stop.is_set():
            for pid in project.workers():
                rss = rss_kib(pid)
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


# --- The run --------------------------------------------------------------------------


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
    parser.add_argument(
        "--bulk-customers",
        type=bulk.sizes,
        default=[100, 10_000],
        help="sizes of the bulk request jobs the worker runs, each at most --customers-large "
        '(default: 100,10000); "Select all that match" is counted at the smallest and at '
        "--customers-large (the large partner)",
    )
    parser.add_argument("--no-bulk", action="store_true", help="skip the bulk requests")
    parser.add_argument(
        "--profile-seconds",
        type=float,
        help="length of each page's sampled run on the profiled server, which splits its CPU "
        "(default: --seconds, at most 3)",
    )
    parser.add_argument(
        "--no-profile", action="store_true", help="no profiled server: no split of the CPU"
    )
    parser.add_argument(
        "--bulk-profile",
        choices=["auto", "always", "never"],
        default="auto",
        help=f"profile run_items: auto, when a job is under {bulk.BULK_RATE_TARGET}/s",
    )
    args = parser.parse_args(argv)
    if args.client == "auto":
        args.client = "wrk" if loadgen.has_wrk() else "python"
    if args.client == "wrk" and not loadgen.has_wrk():
        parser.error("wrk is not installed (apt-get install wrk), use --client python")
    if args.warmup is None:
        args.warmup = min(1.0, args.seconds / 2)
    if args.profile_seconds is None:
        args.profile_seconds = min(3.0, args.seconds)
    return args


def build_data(args):
    from bench.data import build

    started = time.perf_counter()
    log("Building the data:")
    data = build(args.customers_small, args.customers_large, log=log)
    for warning in data.warnings:
        log(f"  warning: {warning}")
    log(f"  built in {time.perf_counter() - started:.1f} s")
    return data


def measure_pages(
    pages: list[Page], servers: dict[str, Server], bare: Server, profiled: Server | None, args
) -> None:
    project = servers["project"]
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
            server = servers[page.server]
            page.queries = count_queries(page, server.port)
            measure(page, server, bare, args)
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
            continue
        if profiled is None or page.server != "project":
            continue  # the profiled copy keeps what it renders: no split of a first view
        try:
            profile_page(page, profiled, args)
        except Exception as error:
            page.shares = None
            page.profile_error = f"{error}".splitlines()[0][:300] or repr(error)
            log(f"    CPU split: error: {page.profile_error}")
            if os.environ.get("BENCH_TRACEBACK"):
                traceback.print_exc()


def measure_large_export(data, project: Server) -> Export:
    """The large partner's CSV export, and the queries of one."""
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
    return export


def main(argv=None) -> int:
    args = parse(argv)
    database_url, database = bench_database_url(args.database_url)
    with throwaway_site(
        database_url, database, scratch_prefix="bench-http-", extra_env={"API_RATE": API_RATE}
    ) as site:
        data = build_data(args)
        project = Server(
            "project", "config.wsgi:application", "/healthz", site.env, site.folder, site.port
        )
        bare = Server(
            "bare",
            "bench.bare.wsgi:application",
            "/",
            site.env | {"DJANGO_SETTINGS_MODULE": "bench.bare.settings"},
            site.folder,
        )
        # The project again, keeping nothing: each request is a first view.
        first = Server(
            "first",
            "config.wsgi:application",
            "/healthz",
            site.env | {"FRAGMENT_CACHE_URL": "dummycache://"},
            site.folder,
        )
        profiled = None
        if not args.no_profile:
            # The project again, a sampler in each worker: only the split's runs go to it.
            profiled = Server(
                "profiled",
                "bench.profiled_wsgi:application",
                "/healthz",
                site.env
                | {profiling.ENV: str(profiling.DEFAULT_INTERVAL), "GUNICORN_MAX_REQUESTS": "0"},
                site.folder,
            )
        with serving(project, bare, first, *([profiled] if profiled else [])):
            log(
                f"gunicorn: project on 127.0.0.1:{project.port}, bare Django page on "
                f"127.0.0.1:{bare.port}"
                + f", the project keeping nothing (first views) on 127.0.0.1:{first.port}"
                + (f", profiled project on 127.0.0.1:{profiled.port}" if profiled else "")
                + f", {WORKERS} workers each; load: {args.client}, "
                f"{args.connections} connections, {args.seconds:g} s runs, {args.rounds} rounds; "
                f"API_RATE={API_RATE}"
            )
            pages = plan_pages(data, project.port)
            measure_pages(pages, {"project": project, "first": first}, bare, profiled, args)
            export = measure_large_export(data, project)
            log(f"  {export_line(export, args.customers_large)}")

            failing = [p for p in pages if p.error]
            if failing and any("HTTP 5" in (p.error or "") for p in failing):
                log("\nThe project's error log (last lines):\n" + project.log_tail(40))
            goals = targets(pages, args.customers_small, args.customers_large)
            log(report(pages, export, goals, args, site.started_at, site.elapsed, args.client))
            log(f"\nWritten to {args.report}; {site.elapsed / 60:.1f} min in all.")
        if not args.no_bulk:
            # The servers stopped: the worker has the cores to itself.
            log("")
            large = args.customers_large
            result = bulk.run_bulk(
                site,
                customers=[min(n, large) for n in args.bulk_customers],
                select_all_sizes=[min(*args.bulk_customers, large), large],
                reuse={f"bulk{large}": data.partners["large"]},
                profile_mode=args.bulk_profile,
            )
            log(bulk_text(result))
            with args.report.open("a") as markdown:
                markdown.write(bulk_markdown(result))
            log(f"\nThe bulk requests added to {args.report}; {site.elapsed / 60:.1f} min in all.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
