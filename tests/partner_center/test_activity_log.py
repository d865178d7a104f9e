"""Account → Activity log: this partner's audit events for a date range."""

from datetime import timedelta

import pytest
from django.utils import timezone

from tenancy.models import AuditAction, Role
from tests.factories import AuditEventFactory, CustomerFactory, member
from tests.partner_center.conftest import SIGNED_IN_QUERIES, url

pytestmark = pytest.mark.django_db

LOG = url("activity-log")


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
    today = timezone.localdate()
    assert (response.context["start"], response.context["end"]) == (
        today - timedelta(days=29),
        today,
    )


def test_a_date_range_reaches_further_back_newest_first(client_for, partner_global_admin, events):
    start = (timezone.localdate() - timedelta(days=60)).isoformat()
    response = client_for(partner_global_admin).get(LOG, {"start": start})
    assert shown(response) == [events["recent"], events["old"]]


def test_a_range_in_the_past_leaves_out_what_came_after(client_for, admin_agent, events):
    end = (timezone.localdate() - timedelta(days=40)).isoformat()
    start = (timezone.localdate() - timedelta(days=50)).isoformat()
    response = client_for(admin_agent).get(LOG, {"start": start, "end": end})
    assert shown(response) == [events["old"]]


@pytest.mark.parametrize(
    "query",
    [
        {"start": "yesterday"},
        {"end": "2026-13-40"},
        {"start": "2026-11-20", "end": "2026-11-01"},
        {"start": "ü" * 500},
        {"start": "99999-01-01"},
    ],
)
def test_bad_dates_are_field_errors(client_for, admin_agent, events, query):
    response = client_for(admin_agent).get(LOG, query)
    assert response.status_code == 400
    assert b'class="errorlist"' in response.content


def test_its_query_count_does_not_grow(
    client_for, admin_agent, partner_a, django_assert_num_queries
):
    client = client_for(admin_agent)
    # The count for the pager and the page of events with their customers.
    queries = SIGNED_IN_QUERIES + 2
    AuditEventFactory(partner=partner_a)
    with django_assert_num_queries(queries):
        client.get(LOG)
    for _ in range(60):
        AuditEventFactory(partner=partner_a)
    with django_assert_num_queries(queries):
        assert len(shown(client.get(LOG))) == 50


@pytest.mark.parametrize("who", ["sales_agent", "helpdesk_agent"])
def test_agents_without_the_role_get_403_saying_who_may(client_for, who, request):
    response = client_for(request.getfixturevalue(who)).get(LOG)
    assert response.status_code == 403
    assert b"Only Global admins and Admin agents can see the activity log" in response.content


def test_a_billing_admin_gets_403(client_for, partner_a):
    assert client_for(member(partner_a, Role.BILLING_ADMIN)).get(LOG).status_code == 403


def test_it_rejects_post(client_for, admin_agent):
    assert client_for(admin_agent).post(LOG).status_code == 405


def test_its_dates_name_the_time_zone_they_are_shown_in(client_for, admin_agent, settings):
    settings.TIME_ZONE = "Europe/Paris"
    client = client_for(admin_agent)
    assert b"(Europe/Paris): 0 events" in client.get(url("activity-log")).content
    assert (
        client.get(url("activity-export"))
        .getvalue()
        .decode()
        .startswith("\ufeffDate (Europe/Paris)")
    )


@pytest.mark.parametrize(
    "query",
    [
        {"end": "9999-12-31"},
        {"end": "0001-01-10"},
        {"start": "0001-01-01", "end": "0001-01-02"},
        {"start": "9999-12-31"},
    ],
)
def test_dates_at_the_ends_of_the_calendar_are_a_field_error_not_a_500(
    client_for, admin_agent, query
):
    client = client_for(admin_agent)
    page = client.get(url("activity-log"), query)
    assert page.status_code == 400
    assert "Choose a date from January 1, 2000" in page.content.decode()
    assert client.get(url("activity-export"), query).status_code == 400
