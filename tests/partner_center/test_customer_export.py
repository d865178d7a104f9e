"""Customer list → Export: the filtered list as CSV, streamed."""

import csv
import io

import pytest
from django.db import connection
from django.http import StreamingHttpResponse
from django.test.utils import CaptureQueriesContext

from tenancy.models import AdminRelationship, Role
from tests.factories import CustomerFactory, ResellerRelationshipFactory, member
from tests.partner_center.conftest import make_customers, url

pytestmark = pytest.mark.django_db

EXPORT = url("customer-export")


def rows(response) -> list[list[str]]:
    assert isinstance(response, StreamingHttpResponse)
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.reader(io.StringIO(text)))


def test_it_streams_the_filtered_list_as_csv(client_for, sales_agent, book):
    response = client_for(sales_agent).get(EXPORT, {"relationship": "admin"})
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    header, *lines = rows(response)
    assert header[:3] == ["Company name", "Primary domain", "Microsoft ID"]
    assert [line[0] for line in lines] == ["Litware"]
    assert lines[0][1:3] == ["litware.onmicrosoft.com", str(book["litware"].pk)]
    assert lines[0][4] == "Reseller"
    ends = AdminRelationship.objects.get(customer=book["litware"]).ends_at
    assert header[7] == "Admin relationship"
    assert lines[0][7] == f"until {ends.date()}"


def test_it_exports_only_own_customers_in_the_lists_order(client_for, sales_agent, book):
    _, *lines = rows(client_for(sales_agent).get(EXPORT, {"sort": "-name"}))
    assert [line[0] for line in lines] == ["Litware", "Fourth Coffee", "Coho Winery"]
    assert [line[4] for line in lines] == ["Reseller", "Reseller", "Ended"]
    # Fourth Coffee's admin relationship ended: no admin column for it.
    assert [bool(line[7]) for line in lines] == [True, False, False]
    assert lines[2][6]  # the day it ended


def test_it_never_exports_a_formula(client_for, sales_agent, partner_a):
    evil = CustomerFactory(name='=HYPERLINK("http://x")')
    ResellerRelationshipFactory(partner=partner_a, customer=evil)
    _, line = rows(client_for(sales_agent).get(EXPORT))
    assert line[0] == '\'=HYPERLINK("http://x")'


def test_unicode_names_survive_the_round_trip(client_for, sales_agent, partner_a):
    ResellerRelationshipFactory(
        partner=partner_a, customer=CustomerFactory(name='Café Zoë, "Ltd" — 東京')
    )
    _, line = rows(client_for(sales_agent).get(EXPORT))
    assert line[0] == 'Café Zoë, "Ltd" — 東京'


def test_its_query_count_does_not_grow_with_rows(client_for, sales_agent, partner_a):
    client = client_for(sales_agent)
    make_customers(partner_a, 5)
    with CaptureQueriesContext(connection) as small:
        assert len(rows(client.get(EXPORT))) == 6
    make_customers(partner_a, 300)
    with CaptureQueriesContext(connection) as large:
        assert len(rows(client.get(EXPORT))) == 306
    assert len(large) == len(small)


def test_a_billing_admin_or_a_customer_gets_403(client_for, customer_admin, partner_a):
    assert client_for(customer_admin).get(EXPORT).status_code == 403
    assert client_for(member(partner_a, Role.BILLING_ADMIN)).get(EXPORT).status_code == 403


def test_it_rejects_post(client_for, sales_agent):
    assert client_for(sales_agent).post(EXPORT).status_code == 405
