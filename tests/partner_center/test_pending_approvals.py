"""Admin relationships → Pending approvals: the waiting requests with their age, customer and
template; Send reminder for one, a selection or all that match; Withdraw in bulk (after saying how
many); lapsed requests shown as lapsed, each with Request again."""

from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from tenancy.choices import AdminRelationshipStatus, AuditAction, BulkJobKind, BulkJobStatus
from tenancy.models import AdminRelationship, AuditEvent, BulkJob, Role
from tests.factories import AdminRelationshipFactory, CustomerFactory, member
from tests.partner_center.conftest import SIGNED_IN_QUERIES, url

pytestmark = pytest.mark.django_db


def waiting(partner, *, days: int, name: str, customer=None):
    if customer is None:
        customer = CustomerFactory(name=f"{name} Ltd")
        member(customer, Role.CUSTOMER_GLOBAL_ADMIN, email=f"it@{name.lower()}.example")
    relationship = AdminRelationshipFactory(
        partner=partner,
        customer=customer,
        name=name,
        pending=True,
        finalized_at=timezone.now() - timedelta(days=days),
    )
    relationship.mint_token()
    relationship.save(update_fields=["token_salt", "token_hash"])
    return relationship


@pytest.fixture
def three(partner_a):
    return [
        waiting(partner_a, days=30, name="Adatum"),
        waiting(partner_a, days=8, name="Bellows"),
        waiting(partner_a, days=1, name="Contoso"),
    ]


@pytest.fixture
def lapsed(partner_a):
    return waiting(partner_a, days=95, name="Lapsed")


@pytest.fixture
def agent(client, admin_agent):
    client.force_login(admin_agent)
    return client


def test_waiting_requests_oldest_first_with_their_age(agent, three, lapsed):
    response = agent.get(url("admin-relationship-pending"))
    rows = list(response.context["page"])
    assert [row.name for row in rows] == ["Adatum", "Bellows", "Contoso"]
    assert [row.age_days for row in rows] == [30, 8, 1]
    page = response.content.decode()
    assert "30 days" in page and "Lapsed" not in page.split("<tbody>")[1]
    assert "Send reminder to all 3 that match" in page


def test_lapsed_requests_are_shown_as_lapsed_with_request_again(
    agent, three, lapsed, django_capture_on_commit_callbacks
):
    response = agent.get(url("admin-relationship-pending") + "?show=lapsed")
    assert [row.name for row in response.context["page"]] == ["Lapsed"]
    assert "Request again" in response.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        again = agent.post(url("admin-relationship-again", lapsed.pk))
    made = AdminRelationship.objects.get(name="Lapsed (again)")
    assert again["Location"] == url("admin-relationship-detail", made.pk)
    assert made.customer == lapsed.customer
    assert made.status == AdminRelationshipStatus.APPROVAL_PENDING


def test_send_reminder_for_one(agent, three, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = agent.post(url("admin-relationship-remind", three[1].pk), follow=True)
    assert [email.to for email in mail.outbox] == [["it@bellows.example"]]
    assert "was sent again to 1 Global administrator of Bellows Ltd" in response.content.decode()


def test_send_reminder_for_a_selection_is_a_job(agent, three, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = agent.post(
            url("admin-relationship-pending-remind"),
            {"scope": "picked", "relationship": [str(three[0].pk), str(three[2].pk)]},
        )
    job = BulkJob.objects.get()
    assert response["Location"] == url("admin-relationship-bulk-job", job.pk)
    job.refresh_from_db()
    assert (job.kind, job.status, job.succeeded) == (BulkJobKind.REMIND, BulkJobStatus.DONE, 2)
    assert sorted(email.to[0] for email in mail.outbox) == [
        "it@adatum.example",
        "it@contoso.example",
    ]


def test_send_reminder_to_all_that_match_a_search(agent, three, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        agent.post(url("admin-relationship-pending-remind"), {"scope": "all", "q": "o"})
    job = BulkJob.objects.get()
    job.refresh_from_db()
    # "o": Bellows and Contoso (and their customers' names), not Adatum.
    assert job.total == 2 and job.succeeded == 2
    assert AuditEvent.objects.filter(action=AuditAction.ADMIN_CHASED).count() == 2


def test_withdraw_in_bulk_says_how_many_first(agent, three, django_capture_on_commit_callbacks):
    confirm = agent.post(url("admin-relationship-pending-withdraw"), {"scope": "all"})
    assert confirm.status_code == 200
    assert "Withdraw 3 requests?" in confirm.content.decode()
    assert not BulkJob.objects.exists()
    with django_capture_on_commit_callbacks(execute=True):
        agent.post(url("admin-relationship-pending-withdraw"), {"scope": "all", "confirm": "yes"})
    statuses = set(AdminRelationship.objects.values_list("status", flat=True))
    assert statuses == {AdminRelationshipStatus.WITHDRAWN}


def test_an_empty_selection_changes_nothing(agent, three):
    response = agent.post(
        url("admin-relationship-pending-withdraw"), {"scope": "picked"}, follow=True
    )
    assert "Select at least one request." in response.content.decode()
    response = agent.post(
        url("admin-relationship-pending-remind"), {"scope": "picked"}, follow=True
    )
    assert "Select at least one request." in response.content.decode()
    assert not BulkJob.objects.exists()


def test_every_agent_sees_pending_approvals_only_admin_agents_chase(client, sales_agent, three):
    client.force_login(sales_agent)
    page = client.get(url("admin-relationship-pending")).content.decode()
    assert "Adatum" in page and "Send reminder" not in page
    assert client.post(url("admin-relationship-remind", three[0].pk)).status_code == 403
    assert client.post(url("admin-relationship-pending-remind"), {"scope": "all"}).status_code == (
        403
    )


def test_another_partners_request_is_a_404(client, agent_b, three):
    client.force_login(agent_b)
    assert client.post(url("admin-relationship-remind", three[0].pk)).status_code == 404
    assert client.post(url("admin-relationship-again", three[0].pk)).status_code == 404
    # "All that match" is the partner's own: none of partner A's.
    response = client.post(url("admin-relationship-pending-remind"), {"scope": "all"}, follow=True)
    assert "Select at least one request." in response.content.decode()


@pytest.mark.parametrize("count", [2, 30])
def test_the_page_costs_the_same_for_few_or_many(
    agent, partner_a, count, django_assert_num_queries
):
    customer = CustomerFactory(name="Many")
    for n in range(count):
        waiting(partner_a, days=n + 1, name=f"Request {n:02d}", customer=customer)
    with django_assert_num_queries(SIGNED_IN_QUERIES + 2):
        assert agent.get(url("admin-relationship-pending")).status_code == 200
