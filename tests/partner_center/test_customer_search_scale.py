"""The Customer list's search when a term is frequent: its matches lie behind thousands of rows
that don't match in the list's order, or number more than the count shows. The same pages and
counts on both databases; on PostgreSQL, the search's page reads no table row it doesn't show
(tenancy/models/customer_list.py, cl_name_search_idx)."""

import json

import pytest
from django.db import connection
from django.db.models import F, TextField, Value
from django.db.models.functions import MD5, Cast, Concat, Upper
from django.test.utils import CaptureQueriesContext

from tenancy.models import CustomerListRow
from tests.factories import CustomerFactory, ResellerRelationshipFactory
from tests.partner_center.conftest import SIGNED_IN_QUERIES, make_customers, url

pytestmark = pytest.mark.django_db

LIST = url("customer-list")
# The page's own queries: the count (up to a limit, for a search) and the page of rows.
LIST_QUERIES = SIGNED_IN_QUERIES + 2
PAGE = 25


def names(response) -> list[str]:
    return [row.customer_name for row in response.context["page"].object_list]


def customer_ids(response) -> list:
    return [row.customer_id for row in response.context["page"].object_list]


def every_page(client, query: dict) -> list:
    """The customers of every page, Next after Next, from the first."""
    seen, cursor = [], None
    while True:
        response = client.get(LIST, query | ({"cursor": cursor} if cursor else {}))
        seen += customer_ids(response)
        cursor = response.context["page"].next_cursor
        if cursor is None:
            return seen


def test_a_search_shows_1000_plus_past_a_thousand_matches_and_counts_no_further(
    client_for, sales_agent, partner_a, django_assert_num_queries
):
    """At the real limit (the other test lowers it): a thousand matches are counted exactly; one
    more and the page says "1000+", with the queries of any other page."""
    make_customers(partner_a, 1000, name="Fourth Coffee")
    make_customers(partner_a, 30, name="Litware")
    client = client_for(sales_agent)
    exact = client.get(LIST, {"q": "coffee"})
    assert (exact.context["total"], exact.context["more"]) == (1000, False)

    make_customers(partner_a, 1, name="Coffee Corner")
    with django_assert_num_queries(LIST_QUERIES):
        more = client.get(LIST, {"q": "coffee"})
    assert (more.context["total"], more.context["more"]) == (1000, True)
    page = more.content.decode()
    assert "1000+" in page or "1,000+" in page
    assert names(more) == ["Coffee Corner"] + ["Fourth Coffee"] * (PAGE - 1)


@pytest.mark.parametrize("sort", ["name", "-name", "-since"])
def test_matches_behind_a_thousand_others_are_found_in_order_page_by_page(
    client_for, sales_agent, partner_a, sort
):
    """A frequent term whose matches all sort after (or, Z to A, before) 1,200 customers that
    don't match: each page continues where the last ended, and every match is seen once, in the
    order the list shows."""
    make_customers(partner_a, 1200, name="Airline Traders")
    coffee = make_customers(partner_a, 60, name="Fourth Coffee")
    make_customers(partner_a, 5, name="Contoso Coffee Roasters")
    northwind = CustomerFactory(name="Northwind", domain="northwindcoffee.onmicrosoft.com")
    ResellerRelationshipFactory(partner=partner_a, customer=northwind)  # by its domain
    rows = CustomerListRow.objects.filter(partner=partner_a).filter(
        customer_name__icontains="coffee"
    ) | CustomerListRow.objects.filter(partner=partner_a, customer_domain__icontains="coffee")
    order = {
        "name": ["customer_name", "customer_id"],
        "-name": ["-customer_name", "-customer_id"],
        "-since": ["-since", "-customer_id"],
    }[sort]
    expected = list(rows.order_by(*order).values_list("customer_id", flat=True))
    assert len(expected) == len(coffee) + 6

    client = client_for(sales_agent)
    assert every_page(client, {"q": "COFFEE", "sort": sort}) == expected
    assert client.get(LIST, {"q": "coffee", "sort": sort}).context["total"] == len(expected)


def test_the_name_index_holds_every_column_and_the_searched_expressions():
    """What lets the search walk the name index without reading the table: a column added to
    the model and not to cl_name_search_idx would send every row of the walk to the table."""
    indexes = {index.name: index for index in CustomerListRow._meta.indexes}
    assert "cl_name_search_idx" in indexes
    index = indexes["cl_name_search_idx"]
    held = [e.name for e in index.expressions if isinstance(e, F)]
    assert held[:3] == ["partner", "customer_name", "customer"], "the list's name order"
    assert {field.name for field in CustomerListRow._meta.concrete_fields} <= set(held)
    searched = [e for e in index.expressions if isinstance(e, Upper)]
    assert [e.source_expressions[0].name for e in searched] == ["customer_name", "customer_domain"]


# --- PostgreSQL: what the search's queries read -------------------------------------------------


def _explain(sql: str) -> dict:
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) {sql}")
        plan = cursor.fetchone()[0]
    return (json.loads(plan) if isinstance(plan, str) else plan)[0]["Plan"]


def _nodes(plan: dict):
    yield plan
    for child in plan.get("Plans", []):
        yield from _nodes(child)


def _search_queries(client, query: dict) -> tuple[str, str]:
    """The SQL of the page's row query and of its count, as the view sends them."""
    with CaptureQueriesContext(connection) as captured:
        response = client.get(LIST, query)
    assert response.status_code == 200
    ours = [q["sql"] for q in captured.captured_queries if "tenancy_customerlistrow" in q["sql"]]
    rows = [sql for sql in ours if "ORDER BY" in sql and f"LIMIT {PAGE + 1}" in sql]
    counts = [sql for sql in ours if "COUNT(*)" in sql]
    assert len(rows) == 1 and len(counts) == 1, ours
    return rows[0], counts[0]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("reference_data")
def test_postgresql_reads_no_table_row_past_thousands_of_non_matches(
    client_for, sales_agent, partner_a
):
    """'coffee' matches 1,200 customers, all after 3,000 others by name. The first page is
    found by walking the name index in order from the first customer, but the walk reads no
    table row (an index-only scan): a few hundred index pages, where reading each row it passes
    costs a page access each (3,000 and more). A rare term still goes by its trigram index,
    and the count stops at the 1,001st match."""
    make_customers(partner_a, 3000, name="Airline Traders")
    make_customers(partner_a, 1200, name="Fourth Coffee")
    make_customers(partner_a, 1, name="Northwind Traders")
    # Names in an order unrelated to the order the rows were written in, as in any real list
    # (here both would follow customer_id, and walking the rows would look cheap).
    for name in ("Airline Traders", "Fourth Coffee"):
        CustomerListRow.objects.filter(partner=partner_a, customer_name=name).update(
            customer_name=Concat(Value(f"{name} "), MD5(Cast("customer_id", TextField())))
        )
    with connection.cursor() as cursor:
        # What autovacuum does for a table this size: statistics, and the visibility map an
        # index-only scan relies on.
        cursor.execute("VACUUM (ANALYZE) tenancy_customerlistrow")
    client = client_for(sales_agent)

    row_sql, count_sql = _search_queries(client, {"q": "coffee"})
    plan = _explain(row_sql)
    assert plan["Actual Rows"] == PAGE + 1
    ours = [n for n in _nodes(plan) if n.get("Relation Name") == "tenancy_customerlistrow"]
    assert ours, plan
    for node in ours:
        assert node["Node Type"] not in ("Seq Scan", "Bitmap Heap Scan"), node
        assert node.get("Heap Fetches", 0) <= PAGE + 1, node
        # One page access per row passed (3,000 and more) if it read the table; a few hundred
        # index pages if it doesn't (this table's index is not freshly built: more than 3,000
        # rows were written and rewritten).
        pages = node["Shared Hit Blocks"] + node["Shared Read Blocks"]
        assert pages < 1000, f"{pages} pages read for one page of 25: {node}"

    count = _explain(count_sql)
    limits = [n for n in _nodes(count) if n["Node Type"] == "Limit"]
    assert [n["Actual Rows"] for n in limits] == [1001], count

    rare_sql, _ = _search_queries(client, {"q": "northwind"})
    rare = _explain(rare_sql)
    assert rare["Shared Hit Blocks"] + rare["Shared Read Blocks"] < 100, rare
    assert any(
        n.get("Index Name") in ("cl_name_trgm_idx", "cl_domain_trgm_idx") for n in _nodes(rare)
    ), rare
