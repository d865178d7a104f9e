"""Bulk requests on the real task worker: "Select all that match" and whole jobs, emails off.

    .venv/bin/python -m bench.bulk --customers 100,10000          # --select-all 100,100000
    .venv/bin/python -m bench.bulk --customers 100,2000 --select-all 100,20000     # quicker

What it does, in order (alone; `make bench` runs steps 2-5 in its own database after the pages,
with its large partner as the largest "Select all that match"):

1. Creates a throwaway PostgreSQL database (`bench_bulk`: http_bench's rules, PostgreSQL on
   127.0.0.1 under a name that says bench, but never `make bench`'s `bench_portal`), migrated with
   the production settings (bench.settings: DEBUG off, tasks as rows of the database).
2. For each size of --customers and --select-all, a partner with that many customers
   (bench.data.build_partner: one in twenty ended, a third with admin roles of their own) and an
   Admin agent, its Customer list rows (the read model the selection reads), `VACUUM ANALYZE`,
   and a template of its own (services.template_create).
3. "Select all that match" at each --select-all size, no worker running: the SQL queries of
   bulk_request_preview and of bulk_request_start (in this process, CaptureQueriesContext; the
   start's INSERT … SELECT of every item and its step queued on commit count). That job is then
   cancelled and its queued step dropped: it never runs.
4. One worker, `manage.py db_worker` (the same settings; --interval 0.1 --no-startup-delay): a
   warm-up job of a few customers (its first task: imports, caches), then a job for all of each
   --customers partner (send_email=False), timed from the call of bulk_request_start to the
   job's finished_at: customers (items) per second, the worker's RSS (/proc/<pid>/status) before,
   at its peak and after, and the items' rate per slice of 1,000 in the order done (from
   BulkJobItem.processed_at: a later slice slower is a step that costs more as the job grows).
5. Under 300 customers a second (or --profile always), run_items in this process over jobs of
   --profile-items fresh customers (at most the largest job's): one plain, its time split into
   its SQL statements (count and time, by statement), its COMMITs and the rest (Python); one under
   cProfile: the top 15 by cumulative time, the project's own functions, the top 10 by own time.
   Also, once: how long a transaction of one INSERT takes on this server, committed durably and
   with synchronous_commit off (one commit an item bounds a worker's rate).

Everything it started is stopped and the database dropped, whatever happened.
"""

import argparse
import contextlib
import cProfile
import functools
import io
import os
import pstats
import re
import sys
import sysconfig
import time
from collections import defaultdict
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from bench.bulk_worker import CpuMeter, Worker
from bench.report import (
    BULK_RATE_TARGET,
    BulkCount,
    BulkResult,
    BulkRun,
    bulk_markdown,
    bulk_text,
)
from bench.servers import ROOT, bench_database_url, log, throwaway_site

DATABASE = "bench_bulk"
WARMUP_CUSTOMERS = 10
SLICE = 1_000
PROFILE_ITEMS = 2_000


def bulk_database_url(explicit: str | None) -> tuple[str, str]:
    """bench.http_bench's rules, but never `make bench`'s database: `bench_bulk` where that would
    be `bench_portal`."""
    url, name = bench_database_url(explicit)
    if name == "bench_portal":
        name = DATABASE
        url = urlunsplit(urlsplit(url)._replace(path=f"/{name}"))
    return url, name


# --- The data ----------------------------------------------------------------------------


class Partner:
    """A benchmark partner (bench.data.BenchPartner), its Admin agent's membership and a
    template's version."""

    def __init__(self, bench):
        from tenancy import services
        from tenancy.entra_roles import DEFAULT_DAYS, DEFAULT_ROLES
        from tenancy.models import Membership

        self.bench = bench
        self.customers = bench.customers
        self.membership = Membership.objects.of_user(bench.agent)
        template = services.template_create(
            partner=bench.partner,
            created_by=bench.agent,
            content=services.TemplateContent(
                name=f"Bench bulk {bench.customers}",
                roles=list(DEFAULT_ROLES),
                duration_days=DEFAULT_DAYS,
            ),
        )
        self.version = template.latest

    @property
    def label(self) -> str:
        return f"{self.customers:,}"


def build_partners(sizes, *, reuse=None) -> dict[str, Partner]:
    """A partner for each (tag, size) (or the BenchPartner `reuse` has for the tag), its Customer
    list rows, then VACUUM ANALYZE once: {tag: Partner}."""
    from django.db import connection

    from bench.data import build_partner
    from tenancy.effects.customer_list import customer_list_rebuild

    reuse = reuse or {}
    built = {}
    for tag, customers in sizes:
        started = time.perf_counter()
        if tag in reuse:
            built[tag] = reuse[tag]
            continue
        bench = build_partner(f"Benchmark Bulk {tag}", customers, tag)
        customer_list_rebuild(partner=bench.partner)
        built[tag] = bench
        log(f"  {tag}: {customers:,} customers in {time.perf_counter() - started:.1f} s")
    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
    log(f"  VACUUM ANALYZE in {time.perf_counter() - started:.1f} s")
    return {tag: Partner(bench) for tag, bench in built.items()}


def select_all():
    from tenancy import selectors
    from tenancy.services.bulk_selection import Selection

    return Selection(search=selectors.CustomerFilter())


def drop_queued_steps(job) -> None:
    """The queued steps of `job` (no worker is running): never run."""
    from django.tasks import TaskResultStatus
    from django_tasks_db.models import DBTaskResult

    DBTaskResult.objects.filter(
        status=TaskResultStatus.READY,
        task_path__endswith=".bulk_job_step",
        args_kwargs__kwargs__job_id=str(job.pk),
    ).delete()


def commit_probe(rounds: int = 200) -> tuple[float, float]:
    """Milliseconds of a transaction of one INSERT: durable (this server's fsync), and with
    SET LOCAL synchronous_commit TO OFF."""
    from django.db import connection, transaction

    with connection.cursor() as cursor:
        cursor.execute("CREATE TABLE bench_commit_probe (x integer)")
    try:
        timings = []
        for durable in (True, False):
            started = time.perf_counter()
            for i in range(rounds):
                with transaction.atomic(), connection.cursor() as cursor:
                    if not durable:
                        cursor.execute("SET LOCAL synchronous_commit TO OFF")
                    cursor.execute("INSERT INTO bench_commit_probe VALUES (%s)", [i])
            timings.append((time.perf_counter() - started) / rounds * 1000)
    finally:
        with connection.cursor() as cursor:
            cursor.execute("DROP TABLE bench_commit_probe")
    return timings[0], timings[1]


# --- "Select all that match": the queries ------------------------------------------------


def count_queries(partner: Partner) -> BulkCount:
    """The preview's queries and the start's, for all of the partner's customers; the job is
    cancelled and its step dropped."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from tenancy.services.bulk_jobs import bulk_job_cancel, bulk_request_start
    from tenancy.services.bulk_selection import bulk_request_preview

    count = BulkCount(partner.customers)
    selection = select_all()
    partner_tenant = partner.bench.partner
    bulk_request_preview(partner=partner_tenant, selection=selection, version=partner.version)
    with CaptureQueriesContext(connection) as queries:
        preview = bulk_request_preview(
            partner=partner.bench.partner, selection=selection, version=partner.version
        )
    count.preview, count.preview_total = len(queries), preview.total
    with CaptureQueriesContext(connection) as queries:
        job = bulk_request_start(
            membership=partner.membership,
            selection=selection,
            version=partner.version,
            send_email=False,
        )
    count.start, count.items = len(queries), job.total
    bulk_job_cancel(membership=partner.membership, job=job)
    drop_queued_steps(job)
    return count


# --- A job on the worker -----------------------------------------------------------------


def slice_rates(times: list[float], size: int) -> list[float]:
    """Items/s of each `size` items in the order done. An item's processed_at is when its
    transaction began, so the time from one item's to the next is the first's cost: a slice runs
    from the last item before it to its own last one (the first slice, from its first)."""
    rates = []
    for begin in range(0, len(times) - 1, size):
        end = min(begin + size, len(times)) - 1
        first = max(begin - 1, 0)
        if end > first and times[end] > times[first]:
            rates.append((end - first) / (times[end] - times[first]))
    return rates


def timed_job(partner: Partner, worker: Worker, *, slice_size: int = SLICE) -> BulkRun:
    """A job for all of the partner's customers, run by the worker: start → DONE."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from tenancy.choices import BulkJobStatus
    from tenancy.models import BulkJob
    from tenancy.services.bulk_jobs import bulk_request_start

    run = BulkRun(partner.customers)
    run.rss_before_kib = run.rss_peak_kib = worker.rss_kib()
    meter = CpuMeter(worker.pid)
    started_at = timezone.now()
    with CaptureQueriesContext(connection) as queries:
        job = bulk_request_start(
            membership=partner.membership,
            selection=select_all(),
            version=partner.version,
            send_email=False,
        )
    run.start_queries = len(queries)
    timeout = max(120.0, job.total / 20)
    deadline = time.monotonic() + timeout
    while True:
        run.rss_peak_kib = max(run.rss_peak_kib, worker.rss_kib())
        meter.sample()
        status = BulkJob.objects.filter(pk=job.pk).values_list("status", flat=True).get()
        if status != BulkJobStatus.RUNNING:
            break
        worker.check_alive()
        if time.monotonic() > deadline:
            job.refresh_from_db()
            raise RuntimeError(
                f"job of {job.total:,} not done after {timeout:.0f} s ({job.done:,} done):\n"
                + worker.log_tail()
            )
        time.sleep(0.2)
    meter.finish(run)
    run.rss_after_kib = worker.rss_kib()
    run.rss_peak_kib = max(run.rss_peak_kib, run.rss_after_kib)
    job.refresh_from_db()
    if job.status != BulkJobStatus.DONE:
        raise RuntimeError(f"the job ended {job.status}:\n{worker.log_tail()}")
    run.items, run.succeeded, run.skipped, run.failed = (
        job.total,
        job.succeeded,
        job.skipped,
        job.failed,
    )
    run.seconds = (job.finished_at - started_at).total_seconds()
    times = [
        at.timestamp()
        for at in job.items.exclude(processed_at=None)
        .order_by("processed_at", "id")
        .values_list("processed_at", flat=True)
    ]
    if times:
        run.pickup_seconds = times[0] - started_at.timestamp()
        run.processing_seconds = job.finished_at.timestamp() - times[0]
    run.slice_size = slice_size if len(times) >= 2 * slice_size else max(1, len(times) // 4)
    run.slices = slice_rates(times, run.slice_size)
    return run


# --- The profile -------------------------------------------------------------------------

_TABLE = re.compile(r'\b(?:FROM|INTO|UPDATE)\s+"([^"]+)"', re.IGNORECASE)


@functools.lru_cache(maxsize=4096)
def statement_kind(sql: str) -> str:
    """ "SELECT tenancy_tenant", "INSERT tenancy_auditevent", "SAVEPOINT"…: the verb and the
    table of the statement itself (not of a subquery in its SELECT list)."""
    words = sql.lstrip().split(None, 1)
    verb = words[0].upper() if words else "?"
    if verb in ("SAVEPOINT", "RELEASE", "ROLLBACK"):
        return verb
    depth, top = 0, []
    for char in sql:
        if char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
        top.append(char if depth == 0 else " ")
    table = _TABLE.search("".join(top)) or _TABLE.search(sql)
    kind = f"{verb} {table.group(1)}" if table else verb
    if verb == "SELECT" and "FOR UPDATE" in sql.upper():
        kind += " FOR UPDATE"
    return kind


class StatementTimer:
    """connection.execute_wrapper: each statement's kind, count and time (SAVEPOINT and RELEASE
    are statements too); and, patched onto the connection, each COMMIT's."""

    def __init__(self):
        self.count: dict[str, int] = defaultdict(int)
        self.seconds: dict[str, float] = defaultdict(float)
        self.commits = 0
        self.commit_seconds = 0.0

    def __call__(self, execute, sql, params, many, context):
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            elapsed = time.perf_counter() - started
            kind = statement_kind(sql)
            self.count[kind] += 1
            self.seconds[kind] += elapsed

    @contextlib.contextmanager
    def timing(self, connection):
        """Statements and commits of `connection` timed (its _commit wrapped on the instance)."""
        commit = connection._commit

        def timed_commit():
            started = time.perf_counter()
            try:
                return commit()
            finally:
                self.commits += 1
                self.commit_seconds += time.perf_counter() - started

        connection._commit = timed_commit
        try:
            with connection.execute_wrapper(self):
                yield self
        finally:
            del connection._commit  # the class's again

    @property
    def sql_seconds(self) -> float:
        return sum(self.seconds.values())

    def split(self, items: int, seconds: float) -> str:
        """An item's time: its statements, its commits, and the rest (Python: Django's ORM, the
        project, psycopg's own work)."""

        def ms(value: float) -> str:
            return f"{value / items * 1000:.2f} ms"

        rest = seconds - self.sql_seconds - self.commit_seconds
        return (
            f"an item takes {ms(seconds)}: SQL statements {ms(self.sql_seconds)} "
            f"({sum(self.count.values()) / items:.1f} of them, round trips included), COMMIT "
            f"{ms(self.commit_seconds)} ({self.commits / items:.2f} of them), the rest (Python) "
            f"{ms(rest)}"
        )

    def table(self, items: int) -> str:
        lines = [f"  {'statement':<48} {'per item':>9} {'ms/item':>8}"]
        rows = [(kind, self.count[kind], self.seconds[kind]) for kind in self.count]
        rows.append(("COMMIT", self.commits, self.commit_seconds))
        for kind, count, seconds in sorted(rows, key=lambda row: -row[2]):
            lines.append(f"  {kind:<48} {count / items:>9.2f} {seconds / items * 1000:>8.3f}")
        return "\n".join(lines)


def in_process(partner: Partner, profiler: cProfile.Profile | None = None):
    """A job for all of the partner's customers done by run_items in this process (as a step
    does on the worker), its statements and commits timed: (job, seconds, StatementTimer)."""
    from django.db import connection

    from tenancy.models import BulkJob
    from tenancy.services.bulk_items import run_items
    from tenancy.services.bulk_jobs import bulk_request_start

    job = bulk_request_start(
        membership=partner.membership, selection=select_all(), version=partner.version
    )
    drop_queued_steps(job)  # this process does the job
    job = BulkJob.objects.select_related("template_version__template").get(pk=job.pk)
    started = time.perf_counter()
    with StatementTimer().timing(connection) as timer:
        if profiler is not None:
            profiler.enable()
        try:
            run_items(job, seconds=None, threads=1)  # one thread: its statements are timed
        finally:
            if profiler is not None:
                profiler.disable()
    seconds = time.perf_counter() - started
    job.refresh_from_db()
    return job, seconds, timer


def _job_counts(job) -> str:
    return (
        f"{job.total:,} customers ({job.succeeded:,} requests, {job.skipped:,} skipped, "
        f"{job.failed:,} failed)"
    )


def profile(plain: Partner, profiled: Partner) -> str:
    """run_items in this process: over `plain`'s customers, its time split (statements, commits,
    the rest); over `profiled`'s, under cProfile: the top 15 by cumulative time, the project's
    own functions, the top 10 by own time."""
    out = io.StringIO()
    job, seconds, timer = in_process(plain)
    out.write(
        f"run_items in this process, no profiler, over {_job_counts(job)}: {seconds:.2f} s = "
        f"{job.total / seconds:,.0f}/s; {timer.split(job.total, seconds)}\n"
        f"{timer.table(job.total)}\n"
    )

    profiler = cProfile.Profile()
    job, seconds, _timer = in_process(profiled, profiler)
    stats = pstats.Stats(profiler, stream=out)
    out.write(
        f"\nUnder cProfile, over {_job_counts(job)}: {seconds:.2f} s = "
        f"{job.total / seconds:,.0f}/s; {stats.total_calls:,} function calls, "
        f"{stats.total_calls / job.total:,.0f} an item\n"
    )
    out.write("\nThe top 15 by cumulative time:\n")
    stats.sort_stats("cumulative")
    stats.print_stats(15)
    out.write("\nThe project's own functions, the top 15 by cumulative time:\n")
    stats.print_stats(f"^{re.escape(str(ROOT))}/(?!bench/|\\.venv/)", 15)
    out.write("\nThe top 10 by own time:\n")
    stats.sort_stats("tottime").print_stats(10)
    text = out.getvalue()
    for prefix in (sysconfig.get_paths()["purelib"], ROOT, Path(os.__file__).parent):
        text = text.replace(f"{prefix}/", "")
    # pstats' lines above each listing ("N function calls in S seconds", "List reduced
    # from"): said once above.
    text = re.sub(r"\n\s*\d+ function calls .*? seconds\n", "\n", text)
    text = re.sub(r"\n\s*List reduced from .*\n", "\n", text)
    text = re.sub(r"\n{3,}", "\n\n", text)
    return text.strip("\n")


# --- The run -----------------------------------------------------------------------------


def run_bulk(
    site,
    *,
    customers,
    select_all_sizes,
    reuse=None,
    warmup: int = WARMUP_CUSTOMERS,
    profile_mode: str = "auto",
    profile_items: int = PROFILE_ITEMS,
) -> BulkResult:
    """Steps 2 to 5 in `site` (bench.servers.throwaway_site, Django set up on it). `reuse`:
    {"bulk<size>": BenchPartner} already built, with their Customer list rows."""
    result = BulkResult()
    worker = Worker(site.env, site.folder)
    customers = sorted(set(customers))
    select_all_sizes = sorted(set(select_all_sizes))
    try:
        log("Bulk requests: building the partners:")
        sizes = [(f"bulk{n}", n) for n in sorted(set(customers) | set(select_all_sizes))]
        sizes.append(("bulkwarm", warmup))
        partners = build_partners(sizes, reuse=reuse)

        log('"Select all that match", no worker running:')
        count_queries(partners["bulkwarm"])  # this process's first: its caches filled
        for n in select_all_sizes:
            try:
                count = count_queries(partners[f"bulk{n}"])
            except Exception as error:
                count = BulkCount(n, error=_first_line(error))
            result.counts.append(count)
            log(f"  {_count_line(count)}")

        result.commit_ms, result.commit_async_ms = commit_probe()
        log(
            f"A transaction of one INSERT: {result.commit_ms:.2f} ms durable, "
            f"{result.commit_async_ms:.2f} ms with synchronous_commit off"
        )

        try:
            worker.start()
            result.worker = worker.command
            result.idle_rss_kib = worker.rss_kib()
            idle = result.idle_rss_kib / 1024
            log(f"Worker {worker.command} (pid {worker.pid}): RSS {idle:.1f} MiB")
            result.warmup = timed_job(partners["bulkwarm"], worker)
            log(f"  warm-up: {_run_line(result.warmup)}")
            for n in customers:
                try:
                    run = timed_job(partners[f"bulk{n}"], worker)
                except Exception as error:
                    run = BulkRun(n, error=_first_line(error))
                    if os.environ.get("BENCH_TRACEBACK"):
                        log(str(error))
                result.runs.append(run)
                log(f"  {_run_line(run)}")
            result.end_rss_kib = worker.rss_kib()
        finally:
            worker.stop()

        slow = [run for run in result.runs if not run.error and run.rate < BULK_RATE_TARGET]
        if profile_mode == "always" or (profile_mode == "auto" and slow):
            result.profile_reason = (
                "asked for"
                if not slow
                else "under " + ", ".join(f"{BULK_RATE_TARGET}/s at {r.customers:,}" for r in slow)
            )
            profile_items = min(profile_items, max(customers))  # never more than the largest job
            log(f"Profiling run_items over {profile_items:,} customers ({result.profile_reason}):")
            built = build_partners([("bulkplain", profile_items), ("bulkprof", profile_items)])
            result.profile = profile(built["bulkplain"], built["bulkprof"])
    except Exception as error:
        result.error = _first_line(error)
        log(f"  error: {error}")
    return result


def _first_line(error: Exception) -> str:
    return (str(error).splitlines() or [repr(error)])[0][:300] or repr(error)


def _count_line(count: BulkCount) -> str:
    if count.error:
        return f"{count.customers:,}: error: {count.error}"
    return (
        f"{count.customers:,} customers: preview {count.preview} queries, start {count.start} "
        f"queries ({count.items:,} items)"
    )


def _run_line(run: BulkRun) -> str:
    if run.error:
        return f"{run.customers:,} customers: error: {run.error}"
    return (
        f"{run.customers:,} customers: {run.items:,} items in {run.seconds:.2f} s = "
        f"{run.rate:,.0f}/s; RSS {run.rss_before_kib / 1024:.1f} → "
        f"{run.rss_after_kib / 1024:.1f} MiB"
    )


def sizes(text: str) -> list[int]:
    try:
        values = [int(part.replace("_", "")) for part in text.split(",") if part.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"not sizes: {text!r}") from None
    if not values or min(values) < 1:
        raise argparse.ArgumentTypeError(f"sizes of at least 1: {text!r}")
    return values


def parse(argv):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--customers",
        type=sizes,
        default=[100, 10_000],
        help="sizes of the jobs the worker runs (default: 100,10000)",
    )
    parser.add_argument(
        "--select-all",
        type=sizes,
        default=[100, 100_000],
        help='sizes at which "Select all that match" is counted (default: 100,100000)',
    )
    parser.add_argument(
        "--warmup",
        type=lambda text: sizes(text)[0],
        default=WARMUP_CUSTOMERS,
        help="customers of the warm-up job",
    )
    parser.add_argument(
        "--profile",
        choices=["auto", "always", "never"],
        default="auto",
        help=f"profile run_items: auto, when a job is under {BULK_RATE_TARGET}/s",
    )
    parser.add_argument(
        "--profile-items",
        type=lambda text: sizes(text)[0],
        default=PROFILE_ITEMS,
        help="customers of each in-process job profiled (at most the largest job's)",
    )
    parser.add_argument("--database-url", help="PostgreSQL URL; its database name must say bench")
    parser.add_argument("--report", type=Path, help="also write the section (markdown) there")
    return parser.parse_args(argv)


def main(argv=None) -> int:
    args = parse(argv)
    database_url, database = bulk_database_url(args.database_url)
    with throwaway_site(database_url, database, scratch_prefix="bench-bulk-", claim=True) as site:
        result = run_bulk(
            site,
            customers=args.customers,
            select_all_sizes=args.select_all,
            warmup=args.warmup,
            profile_mode=args.profile,
            profile_items=args.profile_items,
        )
        log(bulk_text(result))
        if args.report:
            args.report.write_text(f"# `python -m bench.bulk`: last run\n{bulk_markdown(result)}")
            log(f"\nWritten to {args.report}.")
        log(f"{site.elapsed / 60:.1f} min in all.")
    return 1 if result.error or any(run.error for run in result.runs) else 0


if __name__ == "__main__":
    sys.exit(main())
