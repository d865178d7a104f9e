"""What an outside probe puts in the portals' query strings. A portal's pages are read from its
menu's pages on, following its links, and each name a GET form or a link puts in a page's query
(a search, a filter, a pager's cursor, a window, a chosen template or customer) is given a NUL,
Unicode digits and thousands of brackets. A page answers with its default or a refusal, never a
500; a search box given a NUL says that it was ignored. Run on PostgreSQL too: it refuses a NUL
in text, where SQLite would store it."""

from collections import defaultdict
from html.parser import HTMLParser
from urllib.parse import parse_qs, urljoin, urlsplit

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from tenancy.models import Role
from tests.factories import AdminRelationshipFactory, ResellerRelationshipFactory, member

pytestmark = pytest.mark.django_db

NUL_TEXT = "Con\x00"
PROBES = (NUL_TEXT, "²", "٣", "１", "[" * 4000)
TEXT = ("text", "search")
IGNORED = "Some filters weren't understood and were ignored."
# What the portals' scripts put in a query, which no form or link on a page shows.
SCRIPTED = {"partner_center:domain-check": {"prefix"}}
MAX_PAGES = 150


class QueryNames(HTMLParser):
    """Path → the names a page's GET forms and links put in that path's query, and which are
    typed into a text box; the paths it links to."""

    def __init__(self, page: str, names: dict, text: dict):
        super().__init__()
        self.page, self.names, self.text, self.form = page, names, text, None
        self.links: list[str] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            get = (attrs.get("method") or "get").lower() == "get"
            self.form = urljoin(self.page, attrs.get("action") or self.page) if get else None
        elif tag in ("input", "select", "textarea", "button") and self.form and attrs.get("name"):
            self.names[urlsplit(self.form).path].add(attrs["name"])
            if tag == "textarea" or (tag == "input" and attrs.get("type", "text") in TEXT):
                self.text[urlsplit(self.form).path].add(attrs["name"])
        elif tag == "a" and attrs.get("href"):
            link = urlsplit(urljoin(self.page, attrs["href"]))
            self.links.append(link.path)
            self.names[link.path].update(parse_qs(link.query, keep_blank_values=True))

    def handle_endtag(self, tag):
        if tag == "form":
            self.form = None


def _pages(namespace: str) -> list[str]:
    """The paths of `namespace`'s pages that take no argument."""
    resolver = next(
        r
        for r in get_resolver().url_patterns
        if isinstance(r, URLResolver) and r.namespace == namespace
    )
    return [
        f"{namespace}:{p.name}"
        for p in resolver.url_patterns
        if isinstance(p, URLPattern) and p.name and not p.pattern.converters
    ]


def _probe(client, namespace: str) -> list[str]:
    """What went wrong when the query names of `namespace`'s pages were probed."""
    root = reverse(f"{namespace}:home")
    names, text = defaultdict(set), defaultdict(set)
    for page in _pages(namespace):
        names[reverse(page)] |= SCRIPTED.get(page, set())
    pending, read = list(names), set()
    while pending and len(read) < MAX_PAGES:
        path = pending.pop(0)
        if path in read:
            continue
        read.add(path)
        response = client.get(path)
        if response.status_code == 200 and "text/html" in response["Content-Type"]:
            parser = QueryNames(path, names, text)
            parser.feed(response.content.decode())
            pending += [p for p in parser.links if p.startswith(root) and p not in read]
    found = []
    for path in sorted(p for p in read if p.startswith(root)):
        for name in sorted(names[path] | {"cursor"}):
            for value in PROBES:
                response = client.get(path, {name: value})
                if response.status_code >= 500:
                    found.append(f"{path}?{name}={value[:8]!r}: {response.status_code}")
                elif (
                    value == NUL_TEXT
                    and name in text[path]
                    and 'role="alert"' not in response.content.decode()
                ):
                    found.append(f"{path}?{name}={value!r}: not a word of it")
    return found


@pytest.fixture
def partner_agent(partner_a, customer):
    """An agent of partner A who may see every page, with a customer on each list."""
    ResellerRelationshipFactory(partner=partner_a, customer=customer)
    AdminRelationshipFactory(partner=partner_a, customer=customer)
    AdminRelationshipFactory(partner=partner_a, customer=customer, pending=True)
    return member(partner_a, Role.ADMIN_AGENT, Role.SALES_AGENT, Role.GLOBAL_ADMIN)


@pytest.fixture
def customer_global_admin(partner_a, customer, customer_admin):
    ResellerRelationshipFactory(partner=partner_a, customer=customer)
    AdminRelationshipFactory(partner=partner_a, customer=customer)
    return customer_admin


def test_partner_center_pages_refuse_what_no_query_holds(client_for, partner_agent):
    assert _probe(client_for(partner_agent), "partner_center") == []


def test_admin_center_pages_refuse_what_no_query_holds(client_for, customer_global_admin):
    assert _probe(client_for(customer_global_admin), "admin_center") == []


@pytest.mark.parametrize(
    "page",
    [
        "partner_center:customer-list",
        "partner_center:admin-relationship-list",
        "partner_center:admin-relationship-pending",
    ],
)
def test_a_nul_in_a_search_is_ignored_and_said_so(client_for, partner_agent, page):
    response = client_for(partner_agent).get(reverse(page), {"q": NUL_TEXT})
    assert response.status_code == 200
    assert IGNORED in response.content.decode()
    assert "Northwind Traders" in response.content.decode()  # as if nothing was searched
