"""The issue's targets for the pages, each met or not: [target, measured, verdict] rows.

- Customer list, page 1 and the deep page, at the large size: at least 0.25 times the bare
  page's req/s, p99 under 50 ms;
- search and filters at the large size: at least 0.15 times (the worst of them);
- CPU per request from the small size to the large: at most 1.2 times on every list page (each
  pair, search and filters included);
- every other portal page (Relationship requests, the customer page, the admin center's request
  page, Admin relationships, the bulk job's page): at least 0.15 times;
- the API's customer list (page 1 and the deep page): at least 0.20 times.

A ratio is judged as printed (2 decimals); the CSV export is measured, not a target here.
"""

from bench.report import LIST_PAGES, Page, X

LIST_RATIO = 0.25
LIST_P99_MS = 50
LOOKUP_RATIO = 0.15
CPU_GROWTH = 1.2
OTHER_RATIO = 0.15
API_RATIO = 0.20
LOOKUPS = ("search", "filter-reseller", "filter-admin", "filter-ended")
# (group, name in the target): the portal's other pages, all at the large size but the admin
# center's (no partner).
OTHER_PAGES = [
    ("requests", "Relationship requests"),
    ("customer", "Customer page"),
    ("admin-request", "Admin center request page"),
    ("admin-relationships", "Admin relationships"),
    ("bulk-job", "Bulk request job page"),
]
API_GROUPS = [("api", "page 1"), ("api-deep", "deep page")]


def verdict(ok: bool | None) -> str:
    return "n/a" if ok is None else ("met" if ok else "NOT met")


def _ratio(page: Page | None) -> str:
    return f"{page.ratio:.2f}{X}" if page else "error"


def _at_least(page: Page | None, floor: float) -> str:
    return verdict(round(page.ratio, 2) >= floor if page else None)


def targets(pages: list[Page], small: int, large: int) -> list[list[str]]:
    def find(group: str, size: str | None = "large") -> Page | None:
        page = next(
            (p for p in pages if p.group == group and (size is None or p.size == size)), None
        )
        return page if page and page.runs and not page.error else None

    n, m = f"{large:,}", f"{small:,}"
    out = []
    for group, name in (("list", "page 1"), ("deep", "deep page")):
        page = find(group)
        out.append(
            [
                f"Customer list, {name} at {n}: ≥ {LIST_RATIO:.2f}{X} bare",
                _ratio(page),
                _at_least(page, LIST_RATIO),
            ]
        )
        p99 = page.median("p99_ms") if page else float("nan")
        out.append(
            [
                f"Customer list, {name} at {n}: p99 < {LIST_P99_MS} ms",
                f"{p99:,.1f} ms" if page else "error",
                verdict(p99 < LIST_P99_MS if page else None),
            ]
        )

    lookups = [find(group) for group in LOOKUPS]
    measured = [p for p in lookups if p]
    worst = min(measured, key=lambda p: p.ratio) if measured else None
    out.append(
        [
            f"Search and filters at {n}: ≥ {LOOKUP_RATIO:.2f}{X} bare (worst)",
            f"{_ratio(worst)} ({worst.label.removeprefix('Customer list, ')})"
            if worst
            else "error",
            verdict(
                None
                if len(measured) < len(lookups)
                else all(round(p.ratio, 2) >= LOOKUP_RATIO for p in measured)
            ),
        ]
    )

    for group, label, _query in LIST_PAGES:
        before, after = find(group, "small"), find(group, "large")
        target = (
            f"CPU per request {m} → {n}, {label.removeprefix('Customer list, ')}: ≤ {CPU_GROWTH}{X}"
        )
        if before and after and before.cpu_ms > 0:
            growth = after.cpu_ms / before.cpu_ms
            out.append(
                [
                    target,
                    f"{before.cpu_ms:.2f} → {after.cpu_ms:.2f} ms ({growth:.2f}{X})",
                    verdict(round(growth, 2) <= CPU_GROWTH),
                ]
            )
        else:
            out.append([target, "error", "n/a"])

    for group, name in OTHER_PAGES:
        page = find(group, None)
        at = f" at {n}" if group != "admin-request" else ""
        out.append(
            [
                f"{name}{at}: ≥ {OTHER_RATIO:.2f}{X} bare",
                _ratio(page),
                _at_least(page, OTHER_RATIO),
            ]
        )
    for group, name in API_GROUPS:
        page = find(group)
        out.append(
            [
                f"API's customer list, {name} at {n}: ≥ {API_RATIO:.2f}{X} bare",
                _ratio(page),
                _at_least(page, API_RATIO),
            ]
        )
    return out
