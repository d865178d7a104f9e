"""The benchmark's results: what a page's runs measured, and the table and targets it prints."""

import os
import statistics
from dataclasses import dataclass, field

from bench import loadgen
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
# The Partner Center API's customer list as an app reads it (its key): (group, label, query);
# the deep page is found from page 1 once the server runs.
API_PAGE_SIZE = 40
API_PAGES = [
    ("api", f"API /v1/customers?size={API_PAGE_SIZE}, page 1", f"?size={API_PAGE_SIZE}"),
    ("api-deep", f"API /v1/customers?size={API_PAGE_SIZE}, deep page", f"?size={API_PAGE_SIZE}"),
]


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
]


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
            ]
        )
    for page in pages:
        label = page.label + (f" [{page.failed} failed]" if page.failed else "")
        if page.error or not page.runs:
            rows.append(
                [label, page.customers, "error", "error", "error", "error", "error", "error"]
            )
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
                _number(page.median("cpu_ms"), 2),
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


def targets(pages: list[Page], export: Export | None, large: int) -> list[list[str]]:
    """[target, measured, verdict] for each target of the issue."""

    def find(group: str, size: str) -> Page | None:
        page = next((p for p in pages if p.group == group and p.size == size), None)
        return page if page and page.runs and not page.error else None

    def verdict(ok: bool | None) -> str:
        return "n/a" if ok is None else ("met" if ok else "NOT met")

    n = f"{large:,}"
    out = []
    page1 = find("list", "large")
    out.append(
        [
            f"Customer list at {n}: ≥ 0.25{X} bare",
            f"{page1.ratio:.2f}{X}" if page1 else "error",
            verdict(round(page1.ratio, 2) >= 0.25 if page1 else None),
        ]
    )
    p99 = page1.median("p99_ms") if page1 else None
    out.append(
        [
            f"Customer list at {n}: p99 < 150 ms",
            f"{p99:.0f} ms" if page1 else "error",
            verdict(p99 < 150 if page1 else None),
        ]
    )
    lookups = [
        find(g, "large") for g in ("search", "filter-reseller", "filter-admin", "filter-ended")
    ]
    measured = [p for p in lookups if p]
    worst = min(measured, key=lambda p: p.ratio) if measured else None
    out.append(
        [
            f"Search and filters at {n}: ≥ 0.15{X} bare (worst)",
            f"{worst.ratio:.2f}{X} ({worst.label.removeprefix('Customer list, ')})"
            if worst
            else "error",
            verdict(
                None
                if len(measured) < len(lookups)
                else all(round(p.ratio, 2) >= 0.15 for p in measured)
            ),
        ]
    )
    deep = find("deep", "large")
    if page1 and deep:
        slower = page1.rps / deep.rps
        out.append(
            [
                f"Deep page at {n}: within 1.2{X} of page 1 (page-1 req/s ÷ deep req/s)",
                f"{slower:.2f}{X}",
                verdict(round(slower, 2) <= 1.2),
            ]
        )
    else:
        out.append([f"Deep page at {n}: within 1.2{X} of page 1", "error", "n/a"])
    growth = []
    for group, _label, _query in LIST_PAGES:
        small_page, large_page = find(group, "small"), find(group, "large")
        if small_page and large_page:
            growth.append((large_page.median("cpu_ms") / small_page.median("cpu_ms"), group))
    first = next((g for g, group in growth if group == "list"), None)
    most = max(growth) if growth else None
    out.append(
        [
            f"CPU per request, small → large: ≤ 1.2{X} (page 1; worst list page)",
            (f"{first:.2f}{X}" if first else "error")
            + (f"; worst {most[0]:.2f}{X} ({most[1]})" if most else ""),
            verdict(round(most[0], 2) <= 1.2 if most and len(growth) == len(LIST_PAGES) else None),
        ]
    )
    ok = export and not export.error and export.rows
    out.append(
        [
            "CSV export: ≥ 40,000 rows/s",
            f"{export.rows_per_second:,.0f} rows/s" if ok else "error",
            verdict(export.rows_per_second >= 40_000 if ok else None),
        ]
    )
    return out


def report(pages, export, args, started_at, elapsed, tool) -> str:
    rows = table_rows(pages)
    goals = targets(pages, export, args.customers_large)
    text = [
        "",
        text_table(rows),
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
        export_line(export, args.customers_large),
        "",
        markdown_table(["target (from the issue)", "measured", ""], goals),
    ]
    if errors:
        markdown += ["", "Errors:", ""] + [f"- {page.label}: {page.error}" for page in errors]
    args.report.write_text("\n".join(markdown) + "\n")
    return "\n".join(text)
