"""Customers workspace → Customer list: search, filter, sort, pages, buttons, roles, query count."""

from datetime import timedelta

import pytest
from django.utils import timezone

from tenancy.effects.customer_list import customer_list_rebuild, customer_list_refresh
from tenancy.models import CustomerListRow, ResellerRelationship, Role
from tests.factories import member
from tests.partner_center.conftest import SIGNED_IN_QUERIES, make_customers, url

pytestmark = pytest.mark.django_db

LIST = url("customer-list")

# The page's own queries: the count for the pager and the page of rows.
LIST_QUERIES = SIGNED_IN_QUERIES + 2


def names(response) -> list[str]:
    return [row.customer_name for row in response.context["page"].object_list]


def test_it_lists_only_own_customers_active_and_ended(client_for, sales_agent, book):
    response = client_for(sales_agent).get(LIST)
    assert names(response) == ["Coho Winery", "Fourth Coffee", "Litware"]
    page = response.content.decode()
    assert "Someone Else" not in page
    # Litware's admin relationship is in force; Fourth Coffee's ended with its 90 days.
    assert page.count("Admin roles</span>") == 1
    assert str(book["litware"].pk) in page
    assert "fourthcoffee.onmicrosoft.com" in page
    assert "Ended" in page
    assert f'href="{url("customer-detail", book["litware"].pk)}"' in page


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"q": "coffee"}, ["Fourth Coffee"]),
        ({"q": "  LITWARE.onmicrosoft "}, ["Litware"]),
        ({"relationship": "admin"}, ["Litware"]),
        ({"relationship": "reseller"}, ["Fourth Coffee", "Litware"]),
        ({"relationship": "ended"}, ["Coho Winery"]),
        ({"sort": "-name"}, ["Litware", "Fourth Coffee", "Coho Winery"]),
        ({"q": "o", "relationship": "reseller", "sort": "-name"}, ["Litware", "Fourth Coffee"]),
        ({"relationship": "admin_only"}, []),
    ],
)
def test_search_filter_and_sort(client_for, sales_agent, book, query, expected):
    assert names(client_for(sales_agent).get(LIST, query)) == expected


def test_search_by_microsoft_id_finds_exactly_that_customer(client_for, sales_agent, book):
    response = client_for(sales_agent).get(LIST, {"q": str(book["coho"].pk).upper()})
    assert names(response) == ["Coho Winery"]


def test_another_partners_customer_is_not_found_by_its_microsoft_id(client_for, sales_agent, book):
    theirs = ResellerRelationship.objects.exclude(customer__in=book.values()).get().customer
    response = client_for(sales_agent).get(LIST, {"q": str(theirs.pk)})
    assert names(response) == []
    assert b"No customer matches your search" in response.content


def test_sort_by_date_follows_when_each_relationship_started(client_for, sales_agent, book):
    now = timezone.now()
    for name, days in [("Fourth Coffee", 3), ("Litware", 9), ("Coho Winery", 6)]:
        ResellerRelationship.objects.filter(customer__name=name).update(
            created_at=now - timedelta(days=days)
        )
    customer_list_rebuild(partner=book["coho"].reseller_relationships.first().partner)
    client = client_for(sales_agent)
    newest = ["Fourth Coffee", "Coho Winery", "Litware"]
    assert names(client.get(LIST, {"sort": "-since"})) == newest
    assert names(client.get(LIST, {"sort": "since"})) == newest[::-1]


def test_a_customer_who_came_back_is_listed_once_with_the_new_relationship(
    client_for, sales_agent, partner_a, book
):
    ResellerRelationship.objects.create(
        partner=partner_a, customer=book["coho"], formed_by="invitation"
    )
    customer_list_refresh(partner=partner_a, customer=book["coho"])
    response = client_for(sales_agent).get(LIST)
    assert names(response) == ["Coho Winery", "Fourth Coffee", "Litware"]
    assert names(client_for(sales_agent).get(LIST, {"relationship": "ended"})) == []


@pytest.mark.parametrize(
    "query",
    [
        {"sort": "evil"},
        {"relationship": "x"},
        {"cursor": "-3"},
        {"cursor": "eyJ4Ijo1fQ"},
        {"cursor": "WyJuIiwgWyJ4IiwgInkiXV0"},
        {"cursor": "WyJuIiwgWzEsIDIsIDNdXQ"},
        {"q": "ü" * 300},
        {"q": "東京 \x00"},
        {"q": "%_'\""},
    ],
)
def test_odd_parameters_never_break_it(client_for, sales_agent, book, query):
    assert client_for(sales_agent).get(LIST, query).status_code == 200


def test_filters_it_did_not_understand_are_said_to_be_ignored(client_for, sales_agent, book):
    response = client_for(sales_agent).get(LIST, {"sort": "evil"})
    assert b"weren't understood and were ignored" in response.content
    assert names(response) == ["Coho Winery", "Fourth Coffee", "Litware"]


def test_it_shows_25_a_page(client_for, sales_agent, partner_a):
    make_customers(partner_a, 30)
    client = client_for(sales_agent)
    first = client.get(LIST)
    second = client.get(LIST, {"cursor": first.context["page"].next_cursor})
    assert len(names(first)) == 25 and len(names(second)) == 5
    assert not set(names(first)) & set(names(second))


def test_a_sales_agent_sees_new_relationship_add_customer_and_export(client_for, sales_agent):
    page = client_for(sales_agent).get(LIST).content.decode()
    assert f'href="{url("new-relationship")}"' in page
    assert f'href="{url("add-customer")}"' in page
    assert f'href="{url("customer-export")}' in page
    assert "<h1>Customer list</h1>" in page


def test_the_export_button_keeps_the_search_and_filter(client_for, sales_agent, book):
    page = client_for(sales_agent).get(LIST, {"q": "co", "relationship": "ended", "cursor": "x"})
    assert f'href="{url("customer-export")}?q=co&amp;relationship=ended"' in page.content.decode()


def test_a_helpdesk_agent_sees_it_without_new_relationship_or_add_customer(
    client_for, helpdesk_agent, book
):
    response = client_for(helpdesk_agent).get(LIST)
    assert response.status_code == 200
    assert b"Fourth Coffee" in response.content
    assert b"New relationship" not in response.content
    assert b"Add customer" not in response.content


def test_a_global_admin_may_add_a_customer_but_not_request_a_relationship(
    client_for, partner_global_admin
):
    page = client_for(partner_global_admin).get(LIST).content
    assert b"Add customer" in page and b"New relationship" not in page


def test_a_billing_admin_gets_403_saying_who_may(client_for, partner_a):
    response = client_for(member(partner_a, Role.BILLING_ADMIN)).get(LIST)
    assert response.status_code == 403
    assert b"Only Global admins, Admin agents, Sales agents and Helpdesk agents" in (
        response.content
    )


def test_a_customer_administrator_gets_403(client_for, customer_admin):
    response = client_for(customer_admin).get(LIST)
    assert response.status_code == 403
    assert b"Partner Center is for partner organizations" in response.content


def test_partner_center_opens_on_the_customer_list(client_for, helpdesk_agent):
    assert client_for(helpdesk_agent).get(url("home"))["Location"] == LIST


def test_anonymous_visitors_are_sent_to_sign_in(client):
    assert client.get(LIST)["Location"].startswith("/sign-in/")


def test_it_rejects_post(client_for, sales_agent):
    assert client_for(sales_agent).post(LIST).status_code == 405


def test_its_query_count_is_the_same_at_10_and_500_customers(
    client_for, sales_agent, partner_a, django_assert_num_queries
):
    client = client_for(sales_agent)
    make_customers(partner_a, 10)
    with django_assert_num_queries(LIST_QUERIES):
        small = client.get(LIST)
    make_customers(partner_a, 490)
    queries = [
        {},
        {"sort": "-since"},
        {"relationship": "reseller"},
        {"q": "onmicrosoft"},
    ]
    for query in queries:
        with django_assert_num_queries(LIST_QUERIES):
            large = client.get(LIST, query)
        assert len(names(large)) == 25
    assert small.context["total"] == 10
    # Asked again, the first page is the one kept under the list's version: no query of its own.
    with django_assert_num_queries(SIGNED_IN_QUERIES):
        again = client.get(LIST).content.decode()
    assert "500 customers" in again


@pytest.mark.parametrize("sort", ["name", "-name", "since", "-since"])
def test_paging_skips_and_repeats_no_one_while_customers_are_added(
    client_for, sales_agent, partner_a, sort
):
    """Next follows the last row shown, not an offset: customers added between two page loads
    (before and after the current position) neither push a row off nor show it twice."""
    make_customers(partner_a, 60)
    client = client_for(sales_agent)
    there_before = set(CustomerListRow.objects.values_list("customer_id", flat=True))
    seen, cursor, pages = [], None, 0
    while True:
        response = client.get(LIST, {"sort": sort} | ({"cursor": cursor} if cursor else {}))
        page = response.context["page"]
        seen += [row.customer_id for row in page.object_list]
        pages += 1
        make_customers(partner_a, 7)  # new names land everywhere in the order
        cursor = page.next_cursor
        if cursor is None:
            break
    assert pages >= 3
    assert len(seen) == len(set(seen)), "no row twice"
    assert there_before <= set(seen), "no row skipped"


def test_previous_returns_to_the_page_before(client_for, sales_agent, partner_a):
    make_customers(partner_a, 60)
    client = client_for(sales_agent)
    first = client.get(LIST)
    second = client.get(LIST, {"cursor": first.context["page"].next_cursor})
    third = client.get(LIST, {"cursor": second.context["page"].next_cursor})
    back = client.get(LIST, {"cursor": third.context["page"].previous_cursor})
    assert names(back) == names(second)
    back_to_first = client.get(LIST, {"cursor": second.context["page"].previous_cursor})
    assert names(back_to_first) == names(first)
    assert not back_to_first.context["page"].has_previous
    assert len(names(third)) == 10 and not third.context["page"].has_next


def test_a_deep_page_costs_the_queries_of_the_first(
    client_for, sales_agent, partner_a, django_assert_num_queries
):
    make_customers(partner_a, 120)
    client = client_for(sales_agent)
    cursor = None
    for _ in range(4):
        cursor = client.get(LIST, {"cursor": cursor} if cursor else {}).context["page"].next_cursor
    with django_assert_num_queries(LIST_QUERIES):
        deep = client.get(LIST, {"cursor": cursor})
    assert len(names(deep)) == 20


@pytest.mark.parametrize(
    ("relationship", "expected"),
    [("", 3), ("reseller", 2), ("admin", 1), ("ended", 1), ("admin_only", 0)],
)
def test_the_total_is_exact_for_each_filter(client_for, sales_agent, book, relationship, expected):
    query = {"relationship": relationship} if relationship else {}
    response = client_for(sales_agent).get(LIST, query)
    assert response.context["total"] == expected
    if expected:
        assert f"{expected} customer" in response.content.decode()


def test_a_search_counts_up_to_a_thousand(client_for, sales_agent, partner_a, monkeypatch):
    from partner_center.views import customer_list as views

    monkeypatch.setattr(views, "SEARCH_COUNT_LIMIT", 20)
    make_customers(partner_a, 30)
    response = client_for(sales_agent).get(LIST, {"q": "onmicrosoft"})
    assert (response.context["total"], response.context["more"]) == (20, True)
    assert "20+ customers match; narrow the search to see them all" in response.content.decode()
