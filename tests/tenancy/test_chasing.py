"""Chasing what is pending: a waiting request sent to the customer's Global administrators again
(by an agent, in bulk, and by itself after 7 and 21 days, once each), withdrawn in bulk, and a
lapsed one asked again."""

from datetime import timedelta
from io import StringIO

import pytest
from django.core import mail
from django.core.management import call_command
from django.utils import timezone

from tenancy import services
from tenancy.choices import AdminRelationshipStatus, AuditAction, BulkJobKind, BulkJobStatus
from tenancy.models import AdminRelationship, AuditEvent, Role
from tenancy.services.admin_relationship_expiry import admin_relationship_time
from tests.factories import AdminRelationshipFactory, CustomerFactory, member

pytestmark = pytest.mark.django_db


@pytest.fixture
def german_customer():
    customer = CustomerFactory(country_id="DE", name="Alpine Ski House")
    member(customer, Role.CUSTOMER_GLOBAL_ADMIN, email="it@alpine.example")
    return customer


def waiting(partner, customer, *, days: int, **fields):
    """A request finalized `days` ago, with a working link."""
    relationship = AdminRelationshipFactory(
        partner=partner,
        customer=customer,
        pending=True,
        finalized_at=timezone.now() - timedelta(days=days),
        language="de",
        **fields,
    )
    relationship.mint_token()
    relationship.save(update_fields=["token_salt", "token_hash"])
    return relationship


class TestSendAgain:
    def test_an_agent_sends_a_waiting_request_again_in_the_customers_language(
        self, partner_a, admin_agent, german_customer, django_capture_on_commit_callbacks
    ):
        relationship = waiting(partner_a, german_customer, days=3)
        with django_capture_on_commit_callbacks(execute=True):
            sent = services.admin_request_remind(relationship=relationship, reminded_by=admin_agent)
        assert sent == 1
        [email] = mail.outbox
        assert email.to == ["it@alpine.example"]
        assert relationship.link() in email.body
        assert email.subject == services.request_email(relationship).subject  # in German
        [line] = AuditEvent.objects.filter(action=AuditAction.ADMIN_CHASED)
        assert line.details["to"] == "it@alpine.example" and line.actor == admin_agent

    @pytest.mark.parametrize(
        ("make", "code"),
        [
            (lambda p, c: waiting(p, None, days=3), "any_customer"),
            (lambda p, c: waiting(p, c, days=91), "not_waiting"),
            (lambda p, c: AdminRelationshipFactory(partner=p, customer=c), "not_waiting"),
        ],
    )
    def test_what_cannot_be_sent_again_says_why(
        self, partner_a, admin_agent, german_customer, make, code
    ):
        relationship = make(partner_a, german_customer)
        with pytest.raises(services.ServiceError) as refused:
            services.admin_request_remind(relationship=relationship, reminded_by=admin_agent)
        assert refused.value.code == code
        assert not mail.outbox

    def test_only_admin_agents_send_again(self, partner_a, sales_agent, german_customer):
        relationship = waiting(partner_a, german_customer, days=3)
        with pytest.raises(services.ServiceError, match="Only Admin agents"):
            services.admin_request_remind(relationship=relationship, reminded_by=sales_agent)


class TestAutomatic:
    def test_after_7_and_21_days_each_reminder_goes_once_whatever_the_runs(
        self, partner_a, german_customer, django_capture_on_commit_callbacks
    ):
        eight = waiting(partner_a, german_customer, days=8)
        twenty_two = waiting(partner_a, german_customer, days=22)
        two = waiting(partner_a, german_customer, days=2)
        now = timezone.now()
        with django_capture_on_commit_callbacks(execute=True):
            first = admin_relationship_time(now=now)
        # Eight days: the 7-day one; twenty-two: the 7- and the 21-day ones.
        assert first.chased == 3
        assert len(mail.outbox) == 3
        second = admin_relationship_time(now=now)
        assert second.chased == 0 and len(mail.outbox) == 3
        later = admin_relationship_time(now=now + timedelta(days=14))
        assert later.chased == 2  # eight's 21-day one, two's 7-day one
        sent = AuditEvent.objects.filter(action=AuditAction.ADMIN_CHASED)
        assert sorted(str(line.details["relationship"]) for line in sent) == sorted(
            [str(r.pk) for r in (eight, eight, twenty_two, twenty_two, two)]
        )
        assert all(line.details["automatic"] for line in sent)

    def test_the_daily_command_run_twice_with_a_fixed_clock_sends_each_once(
        self, partner_a, german_customer, django_capture_on_commit_callbacks
    ):
        waiting(partner_a, german_customer, days=8)
        waiting(partner_a, german_customer, days=9)
        moment = timezone.now().isoformat()
        outputs = []
        for _run in range(2):
            out = StringIO()
            with django_capture_on_commit_callbacks(execute=True):
                call_command("admin_relationship_reminders", "--now", moment, stdout=out)
            outputs.append(out.getvalue().strip())
        assert outputs[0].endswith("; sent 2 waiting requests to their customers again.")
        assert outputs[1].endswith("extended 0 relationships.")
        assert len(mail.outbox) == 2

    def test_the_days_are_a_setting(self, settings, partner_a, german_customer):
        settings.ADMIN_REQUEST_REMINDER_DAYS = [3]
        waiting(partner_a, german_customer, days=4)
        assert admin_relationship_time().chased == 1


class TestInBulk:
    def test_send_again_and_withdraw_for_a_selection(
        self, partner_a, admin_agent, german_customer, django_capture_on_commit_callbacks
    ):
        requests = [waiting(partner_a, german_customer, days=d) for d in (1, 2, 3)]
        chosen = AdminRelationship.objects.filter(pk__in=[r.pk for r in requests[:2]])
        with django_capture_on_commit_callbacks(execute=True):
            job = services.bulk_relationships_start(
                membership=admin_agent.membership,
                kind=BulkJobKind.REMIND,
                relationships=chosen,
                selection={"picked": 2},
            )
        job.refresh_from_db()
        assert (job.status, job.succeeded) == (BulkJobStatus.DONE, 2)
        assert len(mail.outbox) == 2

        with django_capture_on_commit_callbacks(execute=True):
            services.bulk_relationships_start(
                membership=admin_agent.membership,
                kind=BulkJobKind.WITHDRAW,
                relationships=services.waiting_requests(partner_a),
                selection={"search": {}},
            )
        assert {r.status for r in AdminRelationship.objects.filter(partner=partner_a)} == {
            AdminRelationshipStatus.WITHDRAWN
        }
        assert AuditEvent.objects.filter(action=AuditAction.ADMIN_WITHDRAWN).count() == 3

    def test_another_partners_requests_are_not_taken(
        self, partner_a, partner_b, admin_agent, german_customer, django_capture_on_commit_callbacks
    ):
        theirs = waiting(partner_b, german_customer, days=1)
        with pytest.raises(services.ServiceError, match="at least one request"):
            services.bulk_relationships_start(
                membership=admin_agent.membership,
                kind=BulkJobKind.WITHDRAW,
                relationships=AdminRelationship.objects.filter(pk=theirs.pk),
                selection={"picked": 1},
            )


class TestRequestAgain:
    def test_a_lapsed_request_is_asked_again_with_what_it_asked(
        self, partner_a, admin_agent, german_customer
    ):
        lapsed = waiting(partner_a, german_customer, days=95, name="Alpine - support")
        again = services.admin_request_again(relationship=lapsed, requested_by=admin_agent)
        assert again.name == "Alpine - support (again)"
        assert (again.roles, again.customer, again.status) == (
            lapsed.roles,
            german_customer,
            AdminRelationshipStatus.APPROVAL_PENDING,
        )
        second = services.admin_request_again(relationship=lapsed, requested_by=admin_agent)
        assert second.name == "Alpine - support (again 2)"

    def test_a_request_still_waiting_is_not_asked_again(
        self, partner_a, admin_agent, german_customer
    ):
        with pytest.raises(services.ServiceError, match="lapsed unanswered"):
            services.admin_request_again(
                relationship=waiting(partner_a, german_customer, days=5),
                requested_by=admin_agent,
            )
