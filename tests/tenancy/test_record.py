"""One record per change: every audit action has its row in the record table, and what a row
says follows the line (the Customer list, the webhook event, the email)."""

import pytest
from django.core import mail

from tenancy.choices import AuditAction, WebhookEventName
from tenancy.effects import record as record_table
from tenancy.effects.record import EFFECTS, NOTHING, missing_effects, record
from tenancy.models import (
    AuditEvent,
    CustomerListRow,
    ResellerRelationship,
    WebhookEvent,
    WebhookSubscription,
)
from tests.factories import AdminRelationshipFactory, CustomerFactory

pytestmark = pytest.mark.django_db


def test_every_audit_action_has_its_row():
    assert missing_effects() == set()
    assert set(EFFECTS) == set(AuditAction)


def test_removing_a_row_is_caught_and_the_action_can_no_longer_be_recorded(monkeypatch):
    monkeypatch.delitem(EFFECTS, AuditAction.RESELLER_STARTED)
    assert missing_effects() == {AuditAction.RESELLER_STARTED}
    with pytest.raises(LookupError, match="no row in the record table"):
        record(AuditAction.RESELLER_STARTED)
    assert not AuditEvent.objects.exists()


def test_an_explicit_nothing_records_the_line_and_nothing_else(partner_a):
    assert EFFECTS[AuditAction.GROUP_CREATED] is NOTHING
    record(AuditAction.GROUP_CREATED, partner=partner_a, details={"name": "Helpdesk"})
    [line] = AuditEvent.objects.all()
    assert (line.action, line.partner, line.details) == (
        AuditAction.GROUP_CREATED,
        partner_a,
        {"name": "Helpdesk"},
    )
    assert not WebhookEvent.objects.exists() and not mail.outbox


def test_a_started_reseller_relationship_refreshes_the_customer_list(partner_a):
    customer = CustomerFactory()
    ResellerRelationship.objects.create(
        partner=partner_a, customer=customer, formed_by="invitation"
    )
    assert not CustomerListRow.objects.exists()
    record(AuditAction.RESELLER_STARTED, partner=partner_a, customer=customer)
    assert CustomerListRow.objects.get(partner=partner_a).customer == customer


def test_a_terminated_admin_relationship_raises_its_webhook_event(partner_a, admin_agent):
    WebhookSubscription.objects.create(
        partner=partner_a,
        url="https://hooks.example.com/partner-center",
        events=[WebhookEventName.ADMIN_TERMINATED],
        created_by=admin_agent,
    )
    relationship = AdminRelationshipFactory(partner=partner_a)
    record(
        AuditAction.ADMIN_TERMINATED,
        actor=admin_agent,
        partner=partner_a,
        customer=relationship.customer,
        details={"side": "partner"},
        subject=relationship,
    )
    [event] = WebhookEvent.objects.all()
    assert event.name == WebhookEventName.ADMIN_TERMINATED
    assert str(relationship.id) in event.payload["ResourceUri"]


@pytest.mark.parametrize(
    ("action", "what"),
    [
        (AuditAction.INVITATION_ACCEPTED, "webhook"),
        (AuditAction.INVITATION_DECLINED, "webhook"),
        (AuditAction.ADMIN_APPROVED, "webhook"),
        (AuditAction.ADMIN_TERMINATED, "webhook"),
        (AuditAction.ADMIN_REMINDED, "webhook"),
        (AuditAction.ASSIGNMENT_CREATED, "webhook"),
        (AuditAction.ASSIGNMENT_REMOVED, "webhook"),
        (AuditAction.RESELLER_STARTED, "customer_list"),
        (AuditAction.RESELLER_ENDED, "customer_list"),
        (AuditAction.ADMIN_APPROVED, "customer_list"),
        (AuditAction.ADMIN_TERMINATED, "customer_list"),
        (AuditAction.INVITATION_SENT, "email"),
        (AuditAction.ADMIN_SENT, "email"),
        (AuditAction.INVITATION_ACCEPTED, "email"),
        (AuditAction.ADMIN_REMINDED, "email"),
    ],
)
def test_the_actions_that_have_effects_say_so_in_the_table(action, what):
    """The webhook events, Customer list refreshes and emails the product sends: each is a row's,
    so no service wires one by hand (tenancy.effects.record has the only calls)."""
    assert getattr(EFFECTS[action], what) is not None


def test_no_service_raises_a_webhook_or_refreshes_the_list_by_hand():
    """The record table is the one place effects are wired: the services call `record`."""
    from pathlib import Path

    import tenancy.services as services_package

    root = Path(services_package.__file__).parent
    by_hand = [
        (path.name, needle)
        for path in root.glob("*.py")
        for needle in ("customer_list_refresh(", "webhook_emit(", "email_on_commit(")
        if needle in path.read_text()
    ]
    assert by_hand == []
    assert record_table.record is record


def test_a_change_dated_months_ago_keeps_the_list_right_and_announces_nothing(
    partner_a, admin_agent
):
    """The demo writes history through the services: today nobody is emailed about it."""
    from datetime import timedelta

    from django.utils import timezone

    relationship = AdminRelationshipFactory(partner=partner_a)
    WebhookSubscription.objects.create(
        partner=partner_a,
        url="https://hooks.example.com/partner-center",
        events=[WebhookEventName.ADMIN_TERMINATED],
        created_by=admin_agent,
    )
    record(
        AuditAction.ADMIN_TERMINATED,
        actor=admin_agent,
        partner=partner_a,
        customer=relationship.customer,
        details={"side": "partner"},
        subject=relationship,
        at=timezone.now() - timedelta(days=90),
    )
    assert not WebhookEvent.objects.exists() and not mail.outbox
    assert CustomerListRow.objects.filter(partner=partner_a).exists()
