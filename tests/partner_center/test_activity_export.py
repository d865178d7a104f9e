"""Activity log → Export: the same range as CSV, streamed."""

import csv
import io
from datetime import timedelta

import pytest
from django.http import StreamingHttpResponse
from django.utils import timezone

from tenancy.models import AuditAction
from tests.factories import AuditEventFactory, CustomerFactory
from tests.partner_center.conftest import url

pytestmark = pytest.mark.django_db

EXPORT = url("activity-export")


def rows(response) -> list[list[str]]:
    assert isinstance(response, StreamingHttpResponse)
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.reader(io.StringIO(text)))


@pytest.fixture
def events(partner_a, partner_b):
    customer = CustomerFactory(name="Fourth Coffee", domain="fourthcoffee.onmicrosoft.com")
    AuditEventFactory(
        partner=partner_a,
        customer=customer,
        action=AuditAction.SUBSCRIPTION_PURCHASED,
        actor_label="sales@contosopartners.onmicrosoft.com",
        at=timezone.now() - timedelta(days=2),
    )
    AuditEventFactory(partner=partner_a, at=timezone.now() - timedelta(days=45))
    AuditEventFactory(partner=partner_b, at=timezone.now() - timedelta(days=1))


def test_it_streams_the_last_30_days_of_this_partner(client_for, admin_agent, events):
    response = client_for(admin_agent).get(EXPORT)
    assert "attachment" in response["Content-Disposition"]
    header, *lines = rows(response)
    assert header == ["Date (UTC)", "Customer", "Customer domain", "Action", "User"]
    assert [line[1:] for line in lines] == [
        [
            "Fourth Coffee",
            "fourthcoffee.onmicrosoft.com",
            "Purchased a subscription",
            "sales@contosopartners.onmicrosoft.com",
        ]
    ]


def test_it_exports_the_range_asked_for(client_for, admin_agent, events):
    start = (timezone.localdate() - timedelta(days=60)).isoformat()
    _, *lines = rows(client_for(admin_agent).get(EXPORT, {"start": start}))
    assert len(lines) == 2


def test_bad_dates_are_field_errors_not_a_file(client_for, admin_agent, events):
    response = client_for(admin_agent).get(EXPORT, {"start": "not a date"})
    assert response.status_code == 400
    assert response["Content-Type"].startswith("text/html")
    assert b'class="errorlist"' in response.content


def test_the_log_page_links_to_the_export_of_its_range(client_for, admin_agent):
    page = client_for(admin_agent).get(url("activity-log"), {"start": "2026-01-01"})
    assert f'href="{EXPORT}?start=2026-01-01"' in page.content.decode()


@pytest.mark.parametrize("who", ["sales_agent", "helpdesk_agent", "customer_admin"])
def test_roles_that_may_not_see_the_log_get_403(client_for, who, request):
    assert client_for(request.getfixturevalue(who)).get(EXPORT).status_code == 403


def test_it_rejects_post(client_for, admin_agent):
    assert client_for(admin_agent).post(EXPORT).status_code == 405
