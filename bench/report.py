"""The benchmark's results: what a page's runs measured, and the table and targets it prints."""

import os
import statistics
from dataclasses import dataclass, field

from bench import loadgen
from bench.profiling import split_ms
from bench.servers import WORKERS

X = "\N{MULTIPLICATION SIGN}"  # as in "0.31 times the bare page"
# The API's per-app rate (REST_FRAMEWORK's "user" throttle, env API_RATE) while the benchmark
# runs: the default, 600/min, would answer the load 429 within a second. Per second, not per
# minute: the throttle keeps one timestamp per request of its window in the cache and reads and
# writes them all on every request, so a minute's window would grow to thousands under the load
# (a cost the default rate caps at 600) and weigh on whichever API page runs later.
API_RATE = "1000000/s"

# (group, label, query string); the deep page's is found once the server runs.
LIST_PAGES = [
    ("list", "Customer list, page 1 (by name)", ""),
    ("newest", "Customer list, newest first", "?sort=-since"),
    ("search", "Customer list, search 'coffee'", "?q=coffee"),
    ("filter-reseller", "Customer list, filter: reseller", "?relationship=reseller"),
    ("filter-admin", "Customer list, filter: admin roles", "?relationship=admin"),
    ("filter-ended", "Customer list, filter: ended", "?relationship=ended"),
    ("deep", "Customer list, deep page", None),
]
# The same pages with nothing kept (tenancy.web.fragments): what a first view of a page costs,
# served by a copy of the project whose fragment cache keeps nothing. (group, label, query)
FIRST_VIEW_PAGES = [
    ("list-first", "Customer list, page 1, first view (nothing kept)", ""),
    ("search-first", "Customer list, search 'coffee', first view (nothing kept)", "?q=coffee"),
]
# The Partner Center API's customer list as an app reads it (its key): (group, label, query);
# the deep page is found from page 1 once the server runs.
API_PAGE_SIZE = 40
API_PAGES = [
    ("api", f"API /v1/customers?size={API_PAGE_SIZE}, page 1", f"?size={API_PAGE_SIZE}"),
    ("api-deep", f"API /v1/customers?size={API_PAGE_SIZE}, deep page", f"?size={API_PAGE_SIZE}"),
]
API_FIRST_VIEW = (
    "api-first",
    f"API /v1/customers?size={API_PAGE_SIZE}, page 1, first view (nothing kept)",
    f"?size={API_PAGE_SIZE}",
)


@dataclass
class Run:
    load: loadgen.LoadResult
    cpu_ms: float  # per request


@dataclass
class Page:
    label: str
    customers: str
    path: str | None
    cookie: str | None
    group: str
    size: str | None = None
    headers: dict[str, str] = field(default_factory=dict)  # sent besides the cookie
    queries: int | None = None
    runs: list[Run] = field(default_factory=list)
    bare: list[Run] = field(default_factory=list)
    error: str | None = None
    failed: int = 0
    # Which server answers it: the project, or its copy that keeps nothing ("first").
    server: str = "project"
    # The CPU's split (bench.profiling): the shares of a separate, sampled run on the profiled
    # server, its samples, and its own CPU per request (with the sampler on).
    shares: dict[str, float] | None = None
    samples: int = 0
    profiled_cpu_ms: float = float("nan")
    profile_error: str | None = None

    def median(self, attribute: str, runs: list[Run] | None = None) -> float:
        runs = self.runs if runs is None else runs
        values = [
            getattr(run.load, attribute)
            if hasattr(run.load, attribute)
            else getattr(run, attribute)
            for run in runs
        ]
        return statistics.median(values) if values else float("nan")

    @property
    def rps(self) -> float:
        return self.median("rps")

    @property
    def ratio(self) -> float:
        bare = self.median("rps", self.bare)
        return self.rps / bare if bare else float("nan")

    @property
    def cpu_ms(self) -> float:
        return self.median("cpu_ms")

    def split(self) -> list[str]:
        """CPU ms/req as template, ORM, database, rest: they add up to it (2 decimals)."""
        return split_ms(self.cpu_ms, self.shares)


@dataclass
class Export:
    rows: int = 0
    seconds: float = float("nan")
    peak_rss_mib: float = float("nan")
    growth_mib: float = float("nan")
    queries: int | None = None
    error: str | None = None

    @property
    def rows_per_second(self) -> float:
        return self.rows / self.seconds if self.seconds else float("nan")


HEADER = [
    "page",
    "customers",
    "req/s",
    "ratio to bare",
    "p50 ms",
    "p99 ms",
    "queries/req",
    "CPU ms/req",
    "template",
    "ORM",
    "DB",
    "rest",
]
SPLIT_NOTE = (
    "CPU ms/req: the workers' CPU (/proc, user + system) over a run ÷ its requests. Split into "
    "template, ORM, DB and rest (ms, adding up to it): a separate run of the page on a second "
    "gunicorn of the project (bench.profiled_wsgi, the same settings and workers) with a "
    "sampler in each worker (bench.profiling: SIGPROF on the worker's CPU time, every 2 ms or "
    "the kernel's tick), each sample's CPU time put in the category of the innermost frame of "
    "its Python stack that has one — template: jinja2/, django/template/ (not its response.py, "
    "where DRF writes an API's JSON), modules and templates under a name that says jinja, "
    "compiled templates; DB: the driver (psycopg, sqlite3), its execute, fetch and wait; ORM: "
    "the rest of django/db/; rest: none of them (gunicorn, middleware, views, form validation, "
    "the API's serializers). The shares of that run applied to the CPU ms/req measured without "
    "the sampler. The worker's time waiting for PostgreSQL is not CPU and is in none of them."
)


def _number(value: float, digits: int = 1) -> str:
    if value != value:  # NaN
        return "—"
    return f"{value:,.0f}" if abs(value) >= 1000 else f"{value:.{digits}f}"


def table_rows(pages: list[Page]) -> list[list[str]]:
    rows = []
    bare_runs = [run for page in pages for run in page.bare]
    if bare_runs:
        reference = Page("bare Django page (reference)", "—", "/", None, "bare", runs=bare_runs)
        rows.append(
            [
                reference.label,
                "—",
                _number(reference.rps),
                f"1.00{X}",
                _number(reference.median("p50_ms")),
                _number(reference.median("p99_ms")),
                "0",
                _number(reference.median("cpu_ms"), 2),
                *["—"] * 4,
            ]
        )
    for page in pages:
        label = page.label + (f" [{page.failed} failed]" if page.failed else "")
        if page.error or not page.runs:
            rows.append([label, page.customers, *["error"] * (len(HEADER) - 2)])
            continue
        rows.append(
            [
                label,
                page.customers,
                _number(page.rps),
                f"{page.ratio:.2f}{X}",
                _number(page.median("p50_ms")),
                _number(page.median("p99_ms")),
                "—" if page.queries is None else str(page.queries),
                _number(page.cpu_ms, 2),
                *page.split(),
            ]
        )
    return rows


def text_table(rows: list[list[str]]) -> str:
    widths = [max(len(row[i]) for row in [HEADER, *rows]) for i in range(len(HEADER))]

    def line(cells):
        return "  ".join(
            cell.ljust(width) if i < 2 else cell.rjust(width)
            for i, (cell, width) in enumerate(zip(cells, widths, strict=True))
        )

    return "\n".join([line(HEADER), line(["-" * w for w in widths]), *map(line, rows)])


def markdown_table(header: list[str], rows: list[list[str]]) -> str:
    align = ["---" if i < 2 else "---:" for i in range(len(header))]
    return "\n".join("| " + " | ".join(cells) + " |" for cells in [header, align, *rows])


def export_line(export: Export | None, customers: int) -> str:
    if export is None:
        return "CSV export: not measured"
    if export.error:
        return f"CSV export ({customers:,} customers): error ({export.error})"
    queries = "—" if export.queries is None else str(export.queries)
    return (
        f"CSV export ({customers:,} customers): {export.rows:,} rows in {export.seconds:.2f} s = "
        f"{export.rows_per_second:,.0f} rows/s (best of 2); worker peak RSS "
        f"{export.peak_rss_mib:.1f} MiB (+{export.growth_mib:.1f} MiB during the export); "
        f"{queries} queries"
    )


def profile_summary(pages: list[Page]) -> str:
    """How many samples the split stands on, and what the sampler cost."""
    profiled = [page for page in pages if page.shares and page.runs and not page.error]
    if not profiled:
        return "CPU split: not measured"
    fewest = min(profiled, key=lambda page: page.samples)
    costs = sorted(
        page.profiled_cpu_ms / page.cpu_ms - 1
        for page in profiled
        if page.cpu_ms > 0 and page.profiled_cpu_ms == page.profiled_cpu_ms
    )
    line = (
        f"CPU split: {len(profiled)} pages sampled, {sum(p.samples for p in profiled):,} "
        f"samples in all, the fewest {fewest.samples:,} ({fewest.label})"
    )
    if costs:
        line += (
            f"; CPU ms/req with the sampler on: {statistics.median(costs):+.0%} (median, "
            f"{costs[0]:+.0%} to {costs[-1]:+.0%})"
        )
    missing = [page.label for page in pages if page.profile_error]
    if missing:
        line += "; not split: " + ", ".join(missing)
    return line


def report(pages, export, goals, args, started_at, elapsed, tool) -> str:
    rows = table_rows(pages)
    text = [
        "",
        text_table(rows),
        "",
        "CPU ms/req = template + ORM + DB + rest: the shares of a sampled run of the page "
        "(innermost frame's category), applied to the CPU measured without the sampler.",
        profile_summary(pages),
        "",
        export_line(export, args.customers_large),
        "",
        "Targets from the issue:",
    ]
    width = max(len(goal[0]) for goal in goals)
    text += [f"  {goal[0].ljust(width)}  {goal[1]:>24}  {goal[2]}" for goal in goals]
    errors = [page for page in pages if page.error]
    if errors:
        text += ["", "Errors:"] + [f"  {page.label}: {page.error}" for page in errors]

    markdown = [
        "# `make bench`: last run",
        "",
        f"{started_at:%Y-%m-%d %H:%M} UTC, {os.cpu_count()} cores; {args.customers_small:,} and "
        f"{args.customers_large:,} customers; {tool}, {args.connections} connections, "
        f"{args.threads} threads, {args.seconds:g} s a run, {args.rounds} rounds of bare/page "
        f"(medians); gunicorn config/gunicorn.conf.py with {WORKERS} workers; PostgreSQL; "
        f"API rows as an app (Authorization: Bearer <key>), with API_RATE={API_RATE} so the "
        f"load is not throttled; {elapsed / 60:.1f} min in all.",
        "",
        markdown_table(HEADER, rows),
        "",
        SPLIT_NOTE,
        "",
        profile_summary(pages),
        "",
        export_line(export, args.customers_large),
        "",
        markdown_table(["target (from the issue)", "measured", ""], goals),
    ]
    if errors:
        markdown += ["", "Errors:", ""] + [f"- {page.label}: {page.error}" for page in errors]
    args.report.write_text("\n".join(markdown) + "\n")
    return "\n".join(text)


# --- Bulk requests (bench.bulk) ----------------------------------------------------------

BULK_RATE_TARGET = 300  # customers a second, emails off, one worker
BULK_GROWTH_TARGET_MIB = 50  # the worker's RSS over the jobs
BULK_SAME_RATE = 1.2  # "the same rate": the faster within this factor of the slower


@dataclass
class BulkCount:
    """ "Select all that match" at `customers`: the SQL queries of the preview and of the start,
    both in this process (CaptureQueriesContext); the job's items, one per customer selected."""

    customers: int
    preview: int | None = None
    start: int | None = None
    preview_total: int = 0
    items: int = 0
    error: str | None = None


@dataclass
class BulkRun:
    """One job run by the worker, timed from the start (bulk_request_start called) to DONE (the
    job's finished_at); `slices`: items/s of each `slice_size` items in the order done."""

    customers: int
    items: int = 0
    succeeded: int = 0
    skipped: int = 0
    failed: int = 0
    seconds: float = float("nan")  # start → DONE
    pickup_seconds: float = float("nan")  # start → the first item processed
    processing_seconds: float = float("nan")  # the first item processed → DONE
    start_queries: int | None = None
    rss_before_kib: int = 0
    rss_after_kib: int = 0
    rss_peak_kib: int = 0
    slice_size: int = 0
    slices: list[float] = field(default_factory=list)
    # CPU while it ran: the worker's, its PostgreSQL backend's, and the rest of the machine's
    # (cores busy on average: other programs share the cores), and the 1-minute load average.
    worker_cpu_seconds: float = float("nan")
    database_cpu_seconds: float = float("nan")
    rest_cores: float = float("nan")
    load_average: float = float("nan")
    error: str | None = None

    @property
    def rate(self) -> float:
        return self.items / self.seconds if self.seconds else float("nan")

    @property
    def processing_rate(self) -> float:
        return self.items / self.processing_seconds if self.processing_seconds else float("nan")

    @property
    def growth_mib(self) -> float:
        return (self.rss_after_kib - self.rss_before_kib) / 1024


@dataclass
class BulkResult:
    counts: list[BulkCount] = field(default_factory=list)
    runs: list[BulkRun] = field(default_factory=list)  # the timed jobs, smallest first
    warmup: BulkRun | None = None  # the worker's first job (cold), not a target
    worker: str = ""  # the worker's command
    idle_rss_kib: int = 0  # the worker's RSS once started, before any job
    end_rss_kib: int = 0  # … and after the last
    commit_ms: float = float("nan")  # a transaction of one INSERT on this server, durable
    commit_async_ms: float = float("nan")  # … with SET LOCAL synchronous_commit TO OFF
    profile: str | None = None  # the profile's text, when there is one
    profile_reason: str = ""
    error: str | None = None


def _mib(kib: int) -> str:
    return f"{kib / 1024:.1f} MiB"


def bulk_run_line(run: BulkRun, label: str = "") -> str:
    head = f"{label or 'Job'} at {run.customers:,} customers"
    if run.error:
        return f"{head}: error ({run.error})"
    line = (
        f"{head}: {run.items:,} items ({run.succeeded:,} requests, {run.skipped:,} skipped, "
        f"{run.failed:,} failed) in {run.seconds:.2f} s = {run.rate:,.0f} customers/s start → "
        f"DONE ({run.processing_rate:,.0f}/s from the first item, picked up after "
        f"{run.pickup_seconds:.2f} s); worker RSS {_mib(run.rss_before_kib)} → "
        f"{_mib(run.rss_after_kib)} ({run.growth_mib:+.1f} MiB, peak {_mib(run.rss_peak_kib)}); "
        f"start: {run.start_queries} queries"
    )
    if run.items and run.worker_cpu_seconds == run.worker_cpu_seconds:
        line += (
            f"; CPU an item: worker {run.worker_cpu_seconds / run.items * 1000:.2f} ms, its "
            f"PostgreSQL {run.database_cpu_seconds / run.items * 1000:.2f} ms; the rest of the "
            f"machine kept {run.rest_cores:.2f} cores busy (load average {run.load_average:.2f})"
        )
    if len(run.slices) >= 2:
        line += (
            f"; per {run.slice_size:,} items: first {run.slices[0]:,.0f}/s, last "
            f"{run.slices[-1]:,.0f}/s (all: {', '.join(f'{s:,.0f}' for s in run.slices)})"
        )
    return line


def commit_line(result: BulkResult) -> str:
    return (
        f"PostgreSQL here: a transaction of one INSERT, committed durably (synchronous_commit "
        f"on), takes {result.commit_ms:.2f} ms, so one transaction an item holds one worker under "
        f"{1000 / result.commit_ms:,.0f} items/s whatever else the item costs (with SET LOCAL "
        f"synchronous_commit TO OFF: {result.commit_async_ms:.2f} ms)"
    )


def bulk_count_line(count: BulkCount) -> str:
    head = f'"Select all that match" at {count.customers:,} customers'
    if count.error:
        return f"{head}: error ({count.error})"
    return (
        f"{head}: preview {count.preview} queries ({count.preview_total:,} counted), start "
        f"{count.start} queries ({count.items:,} items)"
    )


def _fixed(counts: list[BulkCount]) -> bool | None:
    measured = [c for c in counts if not c.error and c.preview is not None]
    if len(measured) < 2 or len(measured) < len(counts):
        return None
    return len({(c.preview, c.start) for c in measured}) == 1


def bulk_targets(result: BulkResult) -> list[list[str]]:
    """[target, measured, verdict] for each bulk target of the issue."""

    def verdict(ok: bool | None) -> str:
        return "n/a" if ok is None else ("met" if ok else "NOT met")

    out = []
    runs = [run for run in result.runs if not run.error and run.items]
    for run in result.runs:
        ok = None if run.error or not run.items else round(run.rate) >= BULK_RATE_TARGET
        out.append(
            [
                f"Bulk request of {run.customers:,}, one worker, emails off: "
                f"≥ {BULK_RATE_TARGET} customers/s (start → DONE)",
                "error" if ok is None else f"{run.rate:,.0f}/s",
                verdict(ok),
            ]
        )
    if runs and result.idle_rss_kib:
        largest = runs[-1]
        growth = (result.end_rss_kib - result.idle_rss_kib) / 1024
        out.append(
            [
                f"Worker RSS growth < {BULK_GROWTH_TARGET_MIB} MiB (started → after every job; "
                f"over the {largest.customers:,} job alone)",
                f"{growth:+.1f} MiB; {largest.growth_mib:+.1f} MiB",
                verdict(growth < BULK_GROWTH_TARGET_MIB),
            ]
        )
    if len(runs) >= 2:
        small, large = runs[0], runs[-1]
        for label, a, b in (
            ("start → DONE", small.rate, large.rate),
            ("from the first item", small.processing_rate, large.processing_rate),
        ):
            ratio = max(a, b) / min(a, b)
            out.append(
                [
                    f"Same rate at {small.customers:,} and {large.customers:,}: within "
                    f"{BULK_SAME_RATE}{X} ({label})",
                    f"{a:,.0f} vs {b:,.0f}/s ({ratio:.2f}{X})",
                    verdict(round(ratio, 2) <= BULK_SAME_RATE),
                ]
            )
    sliced = [run for run in runs if len(run.slices) >= 2]
    if sliced:
        run = sliced[-1]
        ratio = run.slices[0] / run.slices[-1]
        out.append(
            [
                f"No step costs more as the job grows: last {run.slice_size:,} items within "
                f"{BULK_SAME_RATE}{X} of the first ({run.customers:,} job)",
                f"{run.slices[0]:,.0f} → {run.slices[-1]:,.0f}/s ({ratio:.2f}{X})",
                verdict(round(ratio, 2) <= BULK_SAME_RATE),
            ]
        )
    fixed = _fixed(result.counts)
    sizes = " and ".join(f"{c.customers:,}" for c in result.counts)
    pairs = "; ".join(f"{c.preview} + {c.start}" for c in result.counts if not c.error)
    out.append(
        [
            f'"Select all that match" at {sizes}: preview + start queries fixed',
            pairs or "error",
            "n/a" if fixed is None else ("fixed" if fixed else "NOT fixed"),
        ]
    )
    return out


def bulk_text(result: BulkResult) -> str:
    text = ["", "Bulk requests:"]
    if result.error:
        text.append(f"  error: {result.error}")
    text += [f"  {bulk_count_line(count)}" for count in result.counts]
    fixed = _fixed(result.counts)
    if fixed is not None:
        text.append(
            "  Queries of the preview and the start: "
            + ("fixed (the same at every size)" if fixed else "NOT fixed: they grow with the size")
        )
    if result.commit_ms == result.commit_ms:
        text.append(f"  {commit_line(result)}")
    if result.worker:
        text.append(f"  Worker: {result.worker}; RSS once started {_mib(result.idle_rss_kib)}")
    if result.warmup is not None:
        text.append(f"  {bulk_run_line(result.warmup, 'Warm-up job (cold worker)')}")
    text += [f"  {bulk_run_line(run)}" for run in result.runs]
    if result.idle_rss_kib and result.end_rss_kib:
        text.append(
            f"  Worker RSS: {_mib(result.idle_rss_kib)} started → {_mib(result.end_rss_kib)} "
            f"after the last job ({(result.end_rss_kib - result.idle_rss_kib) / 1024:+.1f} MiB)"
        )
    goals = bulk_targets(result)
    width = max(len(goal[0]) for goal in goals)
    text += ["", "Bulk targets from the issue:"]
    text += [f"  {goal[0].ljust(width)}  {goal[1]:>24}  {goal[2]}" for goal in goals]
    if result.profile:
        text += ["", f"Profile ({result.profile_reason}):", result.profile]
    return "\n".join(text)


def bulk_markdown(result: BulkResult) -> str:
    lines = ["", "## Bulk requests", ""]
    if result.error:
        lines += [f"Error: {result.error}", ""]
    lines += [f"- {bulk_count_line(count)}" for count in result.counts]
    if result.commit_ms == result.commit_ms:
        lines.append(f"- {commit_line(result)}")
    if result.worker:
        lines.append(f"- Worker: `{result.worker}`; RSS once started {_mib(result.idle_rss_kib)}")
    if result.warmup is not None:
        lines.append(f"- {bulk_run_line(result.warmup, 'Warm-up job (cold worker)')}")
    lines += [f"- {bulk_run_line(run)}" for run in result.runs]
    if result.idle_rss_kib and result.end_rss_kib:
        lines.append(
            f"- Worker RSS: {_mib(result.idle_rss_kib)} started → {_mib(result.end_rss_kib)} "
            f"after the last job ({(result.end_rss_kib - result.idle_rss_kib) / 1024:+.1f} MiB)"
        )
    lines += ["", markdown_table(["target (from the issue)", "measured", ""], bulk_targets(result))]
    if result.profile:
        lines += ["", f"Profile ({result.profile_reason}):", "", "```", result.profile, "```"]
    return "\n".join(lines) + "\n"
