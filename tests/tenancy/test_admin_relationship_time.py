"""The reminders and auto-extensions `manage.py admin_relationship_reminders` applies, on a fixed
clock (`--now`, or `now=` for the service)."""

from datetime import UTC, datetime, timedelta
from io import StringIO

import pytest
from django.core import mail
from django.core.management import CommandError, call_command

from tenancy.models import (
    AUTO_EXTEND_DAYS,
    ENTRA_ROLES,
    GLOBAL_ADMINISTRATOR,
    AdminRelationshipNotice,
    AdminRelationshipStatus,
    AuditAction,
    AuditEvent,
    NoticeKind,
    Role,
)
from tenancy.services import admin_relationship_time
from tests.factories import AdminRelationshipFactory, member

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 6, 1, 6, 0, tzinfo=UTC)
HELPDESK_ADMINISTRATOR = next(
    role.id for role in ENTRA_ROLES.values() if role.name == "Helpdesk Administrator"
)


@pytest.fixture
def run(django_capture_on_commit_callbacks):
    """`run(moment)`: the command at `moment`, its emails sent after commit; its output line."""

    def at(moment: datetime) -> str:
        out = StringIO()
        with django_capture_on_commit_callbacks(execute=True):
            call_command("admin_relationship_reminders", now=moment.isoformat(), stdout=out)
        return out.getvalue().strip()

    return at


def ending(partner, ends_at, *, days=90, **fields):
    """An approved relationship of `partner`, `days` long, that ends at `ends_at`."""
    approved_at = ends_at - timedelta(days=days)
    return AdminRelationshipFactory(
        partner=partner,
        duration_days=days,
        created_at=approved_at - timedelta(days=1),
        approved_at=approved_at,
        ends_at=ends_at,
        **fields,
    )


def kinds(relationship):
    return sorted(
        AdminRelationshipNotice.objects.filter(relationship=relationship).values_list(
            "kind", flat=True
        )
    )


def test_it_sends_the_30_day_reminder_once_even_if_run_twice_that_day(run, partner_a, admin_agent):
    relationship = ending(partner_a, NOW + timedelta(days=30), name="Helpdesk for Northwind")

    assert run(NOW) == "Sent 1 reminder, 0 expiry notices; extended 0 relationships."
    assert run(NOW + timedelta(hours=6)) == (
        "Sent 0 reminders, 0 expiry notices; extended 0 relationships."
    )

    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == [admin_agent.email]
    assert f"/partner-center/admin-relationships/{relationship.pk}/" in mail.outbox[0].body
    assert "Helpdesk for Northwind" in mail.outbox[0].subject
    assert kinds(relationship) == [NoticeKind.ENDS_IN_30_DAYS]


def test_it_sends_the_7_and_1_day_reminders_then_the_expiry_notice_once(
    run, partner_a, admin_agent
):
    end = NOW + timedelta(days=30)
    relationship = ending(partner_a, end, name="Licences for Contoso")
    sent = []
    for moment in [
        end - timedelta(days=30),
        end - timedelta(days=29),
        end - timedelta(days=8),
        end - timedelta(days=7),
        end - timedelta(days=6, hours=23),
        end - timedelta(days=2),
        end - timedelta(days=1),
        end - timedelta(hours=1),
        end,
        end + timedelta(hours=1),
        end + timedelta(days=10),
    ]:
        run(moment)
        sent.append(len(mail.outbox))

    assert sent == [1, 1, 1, 2, 2, 2, 3, 3, 4, 4, 4]
    subjects = [message.subject for message in mail.outbox]
    assert all("Licences for Contoso" in subject for subject in subjects)
    assert "has expired" not in " ".join(subjects[:3])
    assert subjects[3].endswith("has expired")
    assert "within 30 days" in mail.outbox[0].body
    assert "within 7 days" in mail.outbox[1].body
    assert "within a day" in mail.outbox[2].body
    assert kinds(relationship) == sorted(
        [
            NoticeKind.ENDS_IN_30_DAYS,
            NoticeKind.ENDS_IN_7_DAYS,
            NoticeKind.ENDS_IN_1_DAY,
            NoticeKind.EXPIRED,
        ]
    )
    assert AuditEvent.objects.filter(action=AuditAction.ADMIN_REMINDED).count() == 4


def test_a_relationship_made_for_5_days_gets_the_7_day_reminder_not_the_30_day_one(
    run, partner_a, admin_agent
):
    relationship = ending(partner_a, NOW + timedelta(days=5), days=5)

    assert run(NOW) == "Sent 1 reminder, 0 expiry notices; extended 0 relationships."
    run(NOW + timedelta(days=1))

    assert kinds(relationship) == [NoticeKind.ENDS_IN_7_DAYS]
    assert len(mail.outbox) == 1
    assert "within 7 days" in mail.outbox[0].body


def test_it_sends_nothing_more_than_30_days_before_the_end(run, partner_a, admin_agent):
    relationship = ending(partner_a, NOW + timedelta(days=30, minutes=1))

    assert run(NOW) == "Sent 0 reminders, 0 expiry notices; extended 0 relationships."
    assert kinds(relationship) == []
    assert mail.outbox == []


def test_an_auto_extending_relationship_past_its_end_is_extended_once_by_180_days(
    run, partner_a, admin_agent
):
    end = NOW - timedelta(hours=1)
    relationship = ending(partner_a, end, auto_extend=True)

    assert run(NOW) == "Sent 0 reminders, 0 expiry notices; extended 1 relationship."
    assert run(NOW + timedelta(hours=1)) == (
        "Sent 0 reminders, 0 expiry notices; extended 0 relationships."
    )

    relationship.refresh_from_db()
    assert relationship.ends_at == end + timedelta(days=AUTO_EXTEND_DAYS)
    assert relationship.status == AdminRelationshipStatus.ACTIVE
    assert relationship.display_status(NOW) == AdminRelationshipStatus.ACTIVE
    assert kinds(relationship) == [NoticeKind.EXTENDED]
    assert AuditEvent.objects.filter(action=AuditAction.ADMIN_EXTENDED).count() == 1
    assert mail.outbox == []


def test_an_auto_extending_relationship_gets_no_reminder_before_its_end(
    run, partner_a, admin_agent
):
    relationship = ending(partner_a, NOW + timedelta(days=1), auto_extend=True)

    for moment in [NOW - timedelta(days=29), NOW - timedelta(days=6), NOW]:
        assert run(moment) == "Sent 0 reminders, 0 expiry notices; extended 0 relationships."

    assert kinds(relationship) == []
    assert mail.outbox == []


@pytest.mark.parametrize(
    "status",
    [
        AdminRelationshipStatus.TERMINATED,
        AdminRelationshipStatus.APPROVAL_PENDING,
        AdminRelationshipStatus.DECLINED,
        AdminRelationshipStatus.CREATED,
    ],
)
def test_relationships_that_are_not_active_get_nothing(run, partner_a, admin_agent, status):
    end = NOW + timedelta(days=1)
    if status == AdminRelationshipStatus.TERMINATED:
        fields = {"approved_at": end - timedelta(days=90), "ends_at": end, "closed_at": NOW}
    else:
        fields = {"approved_at": None, "ends_at": None}
        if status == AdminRelationshipStatus.DECLINED:
            fields["closed_at"] = NOW
    fixed = AdminRelationshipFactory(partner=partner_a, status=status, **fields)
    auto = AdminRelationshipFactory(partner=partner_a, status=status, auto_extend=True, **fields)

    for moment in [end - timedelta(days=30), end - timedelta(days=1), end + timedelta(days=1)]:
        assert run(moment) == "Sent 0 reminders, 0 expiry notices; extended 0 relationships."

    assert kinds(fixed) == kinds(auto) == []
    assert mail.outbox == []


def test_it_emails_only_the_partners_active_admin_agents_with_an_email(
    run, partner_a, partner_b, admin_agent, sales_agent, helpdesk_agent, partner_global_admin
):
    second = member(partner_a, Role.ADMIN_AGENT, Role.SALES_AGENT)
    member(partner_a, Role.ADMIN_AGENT, is_active=False)
    member(partner_a, Role.ADMIN_AGENT, email="")
    member(partner_b, Role.ADMIN_AGENT)
    ending(partner_a, NOW + timedelta(days=7))

    run(NOW)

    assert len(mail.outbox) == 1
    assert sorted(mail.outbox[0].to) == sorted([admin_agent.email, second.email])


def test_with_no_admin_agent_the_notice_is_recorded_and_not_sent_again(run, partner_a):
    relationship = ending(partner_a, NOW + timedelta(days=7))

    run(NOW)
    member(partner_a, Role.ADMIN_AGENT)
    run(NOW + timedelta(hours=1))

    assert mail.outbox == []
    notice = AdminRelationshipNotice.objects.get(relationship=relationship)
    assert (notice.kind, notice.recipients) == (NoticeKind.ENDS_IN_7_DAYS, 0)


def test_emails_leave_only_after_commit(partner_a, admin_agent, django_capture_on_commit_callbacks):
    ending(partner_a, NOW + timedelta(days=30))

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        call_command("admin_relationship_reminders", now=NOW.isoformat(), stdout=StringIO())
    assert mail.outbox == []
    assert len(callbacks) == 1

    callbacks[0]()
    assert len(mail.outbox) == 1


def test_the_service_takes_now_and_says_what_it_did(
    partner_a, admin_agent, django_capture_on_commit_callbacks
):
    ending(partner_a, NOW + timedelta(days=20))
    ending(partner_a, NOW - timedelta(days=2))
    ending(partner_a, NOW - timedelta(days=2), auto_extend=True)

    with django_capture_on_commit_callbacks(execute=True):
        first = admin_relationship_time(now=NOW)
        second = admin_relationship_time(now=NOW)

    assert (first.reminders, first.expired, first.extended) == (1, 1, 1)
    assert (second.reminders, second.expired, second.extended) == (0, 0, 0)
    assert len(mail.outbox) == 2


def test_the_email_says_which_customer_relationship_end_roles_and_what_to_do(
    run, partner_a, admin_agent, customer
):
    end = datetime(2026, 6, 8, 12, 30, tzinfo=UTC)
    ending(
        partner_a,
        end,
        customer=customer,
        name="Northwind support",
        roles=[GLOBAL_ADMINISTRATOR, HELPDESK_ADMINISTRATOR],
    )

    run(NOW)

    message = mail.outbox[0]
    assert message.subject == (
        "Admin relationship “Northwind support” with Northwind Traders ends on June 8, 2026"
    )
    html = message.alternatives[0].content
    for body in (message.body, html):
        assert "Northwind Traders" in body and customer.domain in body
        assert "Northwind support" in body
        assert "June 8, 2026, 12:30 UTC" in body
        assert "Global Administrator" in body and "Helpdesk Administrator" in body
        # What to do, without a new approval: Remove Global Administrator, then auto-extend,
        # from the Expiring page's tile for 30 days.
        assert "Remove Global Administrator (no new approval is needed" in body
        assert "then turn on auto-extend" in body
        assert "/partner-center/admin-relationships/expiring/?window=30" in body
    assert "<script" not in html


def test_the_expiry_notice_says_it_ended(run, partner_a, admin_agent, customer):
    ending(partner_a, NOW - timedelta(minutes=5), customer=customer, name="Old & gone")

    assert run(NOW) == "Sent 0 reminders, 1 expiry notice; extended 0 relationships."

    message = mail.outbox[0]
    assert message.subject == ("Admin relationship “Old & gone” with Northwind Traders has expired")
    assert "ended on" in message.body and "Old & gone" in message.body
    assert "Old &amp; gone" in message.alternatives[0].content


@pytest.mark.parametrize(
    "value", ["yesterday", "2026-13-01T06:00:00+00:00", "2026-06-01T06:00:00", ""]
)
def test_it_refuses_a_malformed_or_naive_now(partner_a, admin_agent, value):
    ending(partner_a, NOW + timedelta(days=7))

    with pytest.raises(CommandError, match="--now"):
        call_command("admin_relationship_reminders", now=value, stdout=StringIO())

    assert not AdminRelationshipNotice.objects.exists()


def test_without_now_it_uses_the_clock(partner_a, admin_agent, django_capture_on_commit_callbacks):
    from django.utils import timezone

    ending(partner_a, timezone.now() + timedelta(days=3))
    out = StringIO()

    with django_capture_on_commit_callbacks(execute=True):
        call_command("admin_relationship_reminders", stdout=out)

    assert out.getvalue() == "Sent 1 reminder, 0 expiry notices; extended 0 relationships.\n"
    assert len(mail.outbox) == 1
