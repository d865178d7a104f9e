import csv
import io
import uuid
from datetime import timedelta

import pytest
from django.db import connection
from django.http import StreamingHttpResponse
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tenancy.models import ResellerRelationship, Tenant
from tests.factories import (
    AdminRelationshipFactory,
    CustomerFactory,
    ResellerRelationshipFactory,
)
from tests.partner_center.conftest import url

pytestmark = pytest.mark.django_db

LIST = url("customer-list")
EXPORT = url("customer-export")


def names(response) -> list[str]:
    return [row.customer.name for row in response.context["page"].object_list]


@pytest.fixture
def book(partner_a):
    """Three customers of partner A in each state, and one of another partner."""
    fourth = CustomerFactory(name="Fourth Coffee", domain="fourthcoffee.onmicrosoft.com")
    ResellerRelationshipFactory(partner=partner_a, customer=fourth)
    litware = CustomerFactory(name="Litware", domain="litware.onmicrosoft.com")
    ResellerRelationshipFactory(partner=partner_a, customer=litware)
    AdminRelationshipFactory(partner=partner_a, customer=litware)
    coho = CustomerFactory(name="Coho Winery", domain="cohowinery.onmicrosoft.com")
    ResellerRelationshipFactory(partner=partner_a, customer=coho, ended_at=timezone.now())
    ResellerRelationshipFactory(customer=CustomerFactory(name="Someone Else's"))
    return {"fourth": fourth, "litware": litware, "coho": coho}


def make_customers(partner, count):
    customers = Tenant.objects.bulk_create(
        CustomerFactory.build(domain=f"bulk{uuid.uuid4().hex}.onmicrosoft.com")
        for _ in range(count)
    )
    from tenancy.models import ResellerRelationship

    ResellerRelationship.objects.bulk_create(
        ResellerRelationship(partner=partner, customer=customer, formed_by="invitation")
        for customer in customers
    )


class TestTheList:
    def test_it_lists_only_own_customers_active_and_ended(self, client_for, sales_agent, book):
        response = client_for(sales_agent).get(LIST)
        assert names(response) == ["Coho Winery", "Fourth Coffee", "Litware"]
        page = response.content.decode()
        assert "Someone Else" not in page
        assert "Reseller with admin roles" in page
        assert str(book["litware"].pk) in page
        assert "fourthcoffee.onmicrosoft.com" in page
        assert "Ended" in page

    @pytest.mark.parametrize(
        ("query", "expected"),
        [
            ({"q": "coffee"}, ["Fourth Coffee"]),
            ({"q": "LITWARE.onmicrosoft"}, ["Litware"]),
            ({"relationship": "admin"}, ["Litware"]),
            ({"relationship": "reseller"}, ["Fourth Coffee"]),
            ({"relationship": "ended"}, ["Coho Winery"]),
            ({"sort": "-name"}, ["Litware", "Fourth Coffee", "Coho Winery"]),
        ],
    )
    def test_search_filter_and_sort(self, client_for, sales_agent, book, query, expected):
        assert names(client_for(sales_agent).get(LIST, query)) == expected

    def test_search_by_microsoft_id(self, client_for, sales_agent, book):
        response = client_for(sales_agent).get(LIST, {"q": str(book["coho"].pk)})
        assert names(response) == ["Coho Winery"]

    def test_sort_by_date_follows_when_each_relationship_started(
        self, client_for, sales_agent, book
    ):
        now = timezone.now()
        for name, days in [("Fourth Coffee", 3), ("Litware", 9), ("Coho Winery", 6)]:
            ResellerRelationship.objects.filter(customer__name=name).update(
                created_at=now - timedelta(days=days)
            )
        client = client_for(sales_agent)
        newest = ["Fourth Coffee", "Coho Winery", "Litware"]
        assert names(client.get(LIST, {"sort": "-since"})) == newest
        assert names(client.get(LIST, {"sort": "since"})) == newest[::-1]

    @pytest.mark.parametrize(
        "query",
        [
            {"sort": "evil"},
            {"relationship": "x"},
            {"page": "-3"},
            {"page": "9999"},
            {"q": "ü" * 300},
        ],
    )
    def test_odd_parameters_never_break_it(self, client_for, sales_agent, book, query):
        assert client_for(sales_agent).get(LIST, query).status_code == 200

    def test_it_paginates(self, client_for, sales_agent, partner_a):
        make_customers(partner_a, 30)
        client = client_for(sales_agent)
        assert len(names(client.get(LIST))) == 25
        assert len(names(client.get(LIST, {"page": 2}))) == 5

    def test_a_helpdesk_agent_sees_it_without_new_relationship(
        self, client_for, helpdesk_agent, book
    ):
        response = client_for(helpdesk_agent).get(LIST)
        assert response.status_code == 200
        assert b"Fourth Coffee" in response.content
        assert b"New relationship" not in response.content
        assert b"Add customer" not in response.content

    def test_a_sales_agent_sees_the_buttons(self, client_for, sales_agent):
        page = client_for(sales_agent).get(LIST).content
        assert b"New relationship" in page and b"Add customer" in page and b"Export" in page

    def test_a_billing_admin_gets_403_saying_who_may(self, client_for, partner_a):
        from tenancy.models import Role
        from tests.factories import member

        response = client_for(member(partner_a, Role.BILLING_ADMIN)).get(LIST)
        assert response.status_code == 403
        assert (
            b"Only Global admins, Admin agents, Sales agents and Helpdesk agents"
            in response.content
        )

    def test_a_customer_user_gets_403(self, client_for, customer_admin):
        assert client_for(customer_admin).get(LIST).status_code == 403

    def test_anonymous_visitors_are_sent_to_sign_in(self, client):
        assert client.get(LIST)["Location"].startswith("/sign-in/")

    def test_it_rejects_post(self, client_for, sales_agent):
        assert client_for(sales_agent).post(LIST).status_code == 405


def test_its_query_count_is_the_same_at_10_and_500_customers(client_for, sales_agent, partner_a):
    client = client_for(sales_agent)
    make_customers(partner_a, 10)
    with CaptureQueriesContext(connection) as small:
        assert client.get(LIST).status_code == 200
    make_customers(partner_a, 490)
    with CaptureQueriesContext(connection) as large:
        response = client.get(LIST, {"sort": "-since"})
    assert response.context["page"].paginator.count == 500
    assert len(large) == len(small)


class TestExport:
    def rows(self, response) -> list[list[str]]:
        assert isinstance(response, StreamingHttpResponse)
        text = b"".join(response.streaming_content).decode("utf-8-sig")
        return list(csv.reader(io.StringIO(text)))

    def test_it_streams_the_filtered_list_as_csv(self, client_for, sales_agent, book):
        response = client_for(sales_agent).get(EXPORT, {"relationship": "admin"})
        assert response["Content-Type"].startswith("text/csv")
        assert "attachment" in response["Content-Disposition"]
        header, *rows = self.rows(response)
        assert header[:3] == ["Company name", "Primary domain", "Microsoft ID"]
        assert [row[0] for row in rows] == ["Litware"]
        assert rows[0][2] == str(book["litware"].pk)
        assert rows[0][4] == "Reseller with admin roles"

    def test_it_never_exports_a_formula(self, client_for, sales_agent, partner_a):
        evil = CustomerFactory(name='=HYPERLINK("http://x")')
        ResellerRelationshipFactory(partner=partner_a, customer=evil)
        _, row = self.rows(client_for(sales_agent).get(EXPORT))
        assert row[0] == '\'=HYPERLINK("http://x")'

    def test_its_query_count_does_not_grow_with_rows(self, client_for, sales_agent, partner_a):
        client = client_for(sales_agent)
        make_customers(partner_a, 5)
        with CaptureQueriesContext(connection) as small:
            assert len(self.rows(client.get(EXPORT))) == 6
        make_customers(partner_a, 300)
        with CaptureQueriesContext(connection) as large:
            assert len(self.rows(client.get(EXPORT))) == 306
        assert len(large) == len(small)

    def test_a_customer_user_gets_403(self, client_for, customer_admin):
        assert client_for(customer_admin).get(EXPORT).status_code == 403
