import csv
import io
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tenancy.models import AuditAction
from tests.factories import AuditEventFactory, CustomerFactory
from tests.partner_center.conftest import url

pytestmark = pytest.mark.django_db

LOG = url("activity-log")
EXPORT = url("activity-export")


def days_ago(n):
    return timezone.now() - timedelta(days=n)


@pytest.fixture
def events(partner_a, partner_b):
    customer = CustomerFactory(name="Fourth Coffee")
    recent = AuditEventFactory(
        partner=partner_a,
        customer=customer,
        action=AuditAction.SUBSCRIPTION_PURCHASED,
        actor_label="sales@contosopartners.onmicrosoft.com",
        at=days_ago(2),
    )
    old = AuditEventFactory(partner=partner_a, customer=customer, at=days_ago(45))
    theirs = AuditEventFactory(partner=partner_b, actor_label="agent@litware", at=days_ago(1))
    return {"recent": recent, "old": old, "theirs": theirs}


def shown(response):
    return list(response.context["page"].object_list)


def test_it_shows_the_last_30_days_of_this_partner(client_for, admin_agent, events):
    response = client_for(admin_agent).get(LOG)
    assert shown(response) == [events["recent"]]
    page = response.content.decode()
    assert "Fourth Coffee" in page and "Purchased a subscription" in page
    assert "sales@contosopartners.onmicrosoft.com" in page
    assert "agent@litware" not in page


def test_a_date_range_reaches_further_back(client_for, partner_global_admin, events):
    start = (timezone.localdate() - timedelta(days=60)).isoformat()
    response = client_for(partner_global_admin).get(LOG, {"start": start})
    assert shown(response) == [events["recent"], events["old"]]


@pytest.mark.parametrize(
    "query",
    [{"start": "yesterday"}, {"end": "2026-13-40"}, {"start": "2026-11-20", "end": "2026-11-01"}],
)
def test_bad_dates_are_field_errors(client_for, admin_agent, events, query):
    response = client_for(admin_agent).get(LOG, query)
    assert response.status_code == 400
    assert b'class="errorlist"' in response.content


def test_the_export_streams_the_same_range(client_for, admin_agent, events):
    response = client_for(admin_agent).get(EXPORT)
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    header, *rows = list(csv.reader(io.StringIO(text)))
    assert header == ["Date (UTC)", "Customer", "Customer domain", "Action", "User"]
    assert [row[1] for row in rows] == ["Fourth Coffee"]
    assert rows[0][3] == "Purchased a subscription"


def test_its_query_count_does_not_grow(client_for, admin_agent, partner_a):
    client = client_for(admin_agent)
    AuditEventFactory(partner=partner_a)
    with CaptureQueriesContext(connection) as few:
        client.get(LOG)
    for _ in range(30):
        AuditEventFactory(partner=partner_a)
    with CaptureQueriesContext(connection) as many:
        client.get(LOG)
    assert len(many) == len(few)


@pytest.mark.parametrize("who", ["sales_agent", "helpdesk_agent"])
def test_agents_without_the_role_get_403(client_for, who, request):
    response = client_for(request.getfixturevalue(who)).get(LOG)
    assert response.status_code == 403
    assert b"Only Global admins and Admin agents can see the activity log" in response.content
    assert client_for(request.getfixturevalue(who)).get(EXPORT).status_code == 403
