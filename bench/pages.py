"""Which pages `make bench` asks for (`plan_pages`), and how it finds the deep ones: the Customer
list's page reached by following Next, the API's page reached by following `links.next`."""

import html
import json
import re
from urllib.parse import urljoin, urlsplit

from bench import loadgen
from bench.report import (
    API_FIRST_VIEW,
    API_PAGE_SIZE,
    API_PAGES,
    FIRST_VIEW_PAGES,
    LIST_PAGES,
    Page,
    X,
)
from bench.servers import Server

API_DEEP_ROWS = 80_000  # the API's deep page starts this far in (page 2,001 of 40)
API_WALK_SIZE = 500  # the API's largest page: the walk to the deep page goes by these


def plan_pages(data, port: int) -> list[Page]:
    from django.conf import settings
    from django.urls import reverse

    cookie_name = settings.SESSION_COOKIE_NAME
    pages: list[Page] = []

    def add(
        label, customers, group, size, cookie, name, *args, query="", headers=None, server=None
    ):
        headers = headers or {}
        server = server or "project"
        try:
            path = reverse(name, args=args) + query
            pages.append(Page(label, customers, path, cookie, group, size, headers, server=server))
        except Exception as error:
            pages.append(
                Page(
                    label,
                    customers,
                    None,
                    cookie,
                    group,
                    size,
                    headers,
                    error=repr(error),
                    server=server,
                )
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
    for group, label, query in FIRST_VIEW_PAGES:
        add(
            label,
            customers,
            group,
            "large",
            cookie,
            "partner_center:customer-list",
            query=query,
            server="first",
        )
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
    add(
        "Admin relationships",
        customers,
        "admin-relationships",
        "large",
        cookie,
        "partner_center:admin-relationship-list",
    )
    if data.bulk_job_id:
        add(
            "Bulk request job page",
            customers,
            "bulk-job",
            "large",
            cookie,
            "partner_center:admin-relationship-bulk-job",
            data.bulk_job_id,
        )
    else:
        pages.append(
            Page(
                "Bulk request job page",
                customers,
                None,
                cookie,
                "bulk-job",
                "large",
                error="no bulk request job (see the data's warnings)",
            )
        )
    for group, label, query in [*API_PAGES, API_FIRST_VIEW]:
        server = "first" if group == API_FIRST_VIEW[0] else "project"
        if data.api_key:
            app = {"Authorization": f"Bearer {data.api_key}"}
            add(
                label,
                customers,
                group,
                "large",
                None,
                "api:customers",
                query=query,
                headers=app,
                server=server,
            )
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
    from api.base import CONTINUATION_HEADER

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
