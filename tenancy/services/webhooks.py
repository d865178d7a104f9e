"""Webhooks: a partner's subscriptions (added, changed, deactivated: audited), the events its
organization raises, a test event, redelivery.

An event is raised inside the transaction of the change it announces, after its audit line:
the event and one delivery per subscription that wants it commit with the change, or not at
all. Each delivery is then sent by a task (tenancy.webhooks.webhook_deliver) that retries with
backoff for a day.

Never lost: with the database task backend (production), the task is queued in that same
transaction, so the change, its deliveries and their tasks commit together; the worker can't see
the task before the commit. With another backend (the test settings run a task at once), it is
queued as the transaction commits: a process that dies between the commit and the queueing
leaves the delivery Pending in the delivery log, where Redeliver sends it.
"""

from dataclasses import dataclass
from datetime import UTC, date
from urllib.parse import urlencode, urljoin

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django_tasks_db import DatabaseBackend

from tenancy import rules
from tenancy.models import (
    SUBSCRIBABLE_EVENTS,
    AccessAssignment,
    AdminRelationship,
    AuditAction,
    DeliveryStatus,
    Invitation,
    Membership,
    Tenant,
    WebhookDelivery,
    WebhookEvent,
    WebhookEventName,
    WebhookSubscription,
)
from tenancy.models.webhooks import URL_MAX_LENGTH
from tenancy.rules import Action
from tenancy.services.base import ServiceError, audit
from tenancy.tasks import enqueue_on_commit
from tenancy.webhooks import AddressRefused, checked_target, webhook_deliver

MAX_ACTIVE = 10


class WebhookInvalid(ServiceError):
    """Field errors of a webhook: `problems` by field (url, events)."""

    def __init__(self, problems: dict[str, str]):
        field_name, message = next(iter(problems.items()))
        super().__init__(message, code=field_name)
        self.problems = problems


@dataclass(frozen=True)
class _Cleaned:
    url: str
    events: list[str]


def _clean(url: str, events) -> _Cleaned:
    """Checks the address (it resolves the name: call it outside a transaction)."""
    problems = {}
    url = (url or "").strip()
    if not url:
        problems["url"] = _("Enter the URL to send events to.")
    elif len(url) > URL_MAX_LENGTH:
        problems["url"] = ngettext(
            "Use a URL of at most %(max)s character.",
            "Use a URL of at most %(max)s characters.",
            URL_MAX_LENGTH,
        ) % {"max": URL_MAX_LENGTH}
    else:
        try:
            checked_target(url)
        except AddressRefused as refusal:
            problems["url"] = str(refusal)
    events = list(events or [])
    unknown = [name for name in events if name not in SUBSCRIBABLE_EVENTS]
    if unknown:
        problems["events"] = _("Unknown event: %(events)s.") % {
            "events": ", ".join(map(str, unknown[:3]))
        }
    elif not events:
        problems["events"] = _("Select at least one event.")
    if problems:
        raise WebhookInvalid(problems)
    # In the table's order, each once.
    return _Cleaned(url, [name for name in SUBSCRIBABLE_EVENTS if name in events])


def _audit(action, membership: Membership, subscription: WebhookSubscription, **details):
    audit(
        action=action,
        actor=membership.user,
        actor_tenant=membership.tenant,
        partner=membership.tenant,
        details={"webhook": str(subscription.id), "url": subscription.url, **details},
    )


def _locked(membership: Membership, subscription: WebhookSubscription) -> WebhookSubscription:
    return WebhookSubscription.objects.select_for_update().get(
        pk=subscription.pk, partner=membership.tenant
    )


def webhook_subscription_create(
    *, membership: Membership, url: str, events: list[str]
) -> WebhookSubscription:
    """A new webhook, with a new secret (the caller shows it once)."""
    rules.require(membership, Action.MANAGE_WEBHOOKS)
    cleaned = _clean(url, events)
    partner = membership.tenant
    with transaction.atomic():
        # The partner's row, so two additions at once count each other.
        Tenant.objects.select_for_update().filter(pk=partner.pk).first()
        active = WebhookSubscription.objects.filter(partner=partner, is_active=True)
        if active.filter(url=cleaned.url).exists():
            raise WebhookInvalid({"url": _("You already have a webhook for this URL.")})
        if active.count() >= MAX_ACTIVE:
            raise WebhookInvalid(
                {
                    "url": ngettext(
                        "You have %(count)s webhook: deactivate one to add another.",
                        "You have %(count)s webhooks: deactivate one to add another.",
                        MAX_ACTIVE,
                    )
                    % {"count": MAX_ACTIVE}
                }
            )
        subscription = WebhookSubscription.objects.create(
            partner=partner, url=cleaned.url, events=cleaned.events, created_by=membership.user
        )
        _audit(AuditAction.WEBHOOK_CREATED, membership, subscription, events=cleaned.events)
    return subscription


def webhook_subscription_update(
    *, membership: Membership, subscription: WebhookSubscription, url: str, events: list[str]
) -> WebhookSubscription:
    rules.require(membership, Action.MANAGE_WEBHOOKS)
    cleaned = _clean(url, events)
    with transaction.atomic():
        subscription = _locked(membership, subscription)
        if not subscription.is_active:
            raise ServiceError(_("This webhook was deactivated."), code="inactive")
        if (
            WebhookSubscription.objects.filter(
                partner=membership.tenant, is_active=True, url=cleaned.url
            )
            .exclude(pk=subscription.pk)
            .exists()
        ):
            raise WebhookInvalid({"url": _("You already have a webhook for this URL.")})
        before = {"url": subscription.url, "events": subscription.events}
        subscription.url = cleaned.url
        subscription.events = cleaned.events
        subscription.updated_at = timezone.now()
        subscription.save(update_fields=["url", "events", "updated_at"])
        _audit(
            AuditAction.WEBHOOK_UPDATED,
            membership,
            subscription,
            before=before,
            events=cleaned.events,
        )
    return subscription


def webhook_subscription_deactivate(
    *, membership: Membership, subscription: WebhookSubscription
) -> WebhookSubscription:
    """No more events are sent to it (deliveries still waiting are marked failed when their turn
    comes); it stays, with its delivery log."""
    rules.require(membership, Action.MANAGE_WEBHOOKS)
    with transaction.atomic():
        subscription = _locked(membership, subscription)
        if not subscription.is_active:
            raise ServiceError(_("This webhook was already deactivated."), code="inactive")
        subscription.is_active = False
        subscription.deactivated_at = timezone.now()
        subscription.deactivated_by = membership.user
        subscription.save(update_fields=["is_active", "deactivated_at", "deactivated_by"])
        _audit(AuditAction.WEBHOOK_DEACTIVATED, membership, subscription)
    return subscription


# --- Events ------------------------------------------------------------------------------


def _queue(delivery: WebhookDelivery) -> None:
    arguments = {"delivery_id": str(delivery.pk), "series": delivery.series}
    if (
        isinstance(webhook_deliver.get_backend(), DatabaseBackend)
        and transaction.get_connection().in_atomic_block
    ):
        # The task is a row of this database: written in the caller's transaction, it commits
        # (and becomes visible to the worker) with the delivery, or rolls back with it.
        webhook_deliver.enqueue(**arguments)
    else:
        enqueue_on_commit(webhook_deliver, **arguments)


def _utc(at) -> str:
    """'2026-06-01T09:30:00.123Z', as Partner Center writes ResourceChangeUtcDate."""
    return at.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _payload(event: WebhookEvent, *, resource_uri, resource_name, audit_uri) -> dict:
    return {
        "EventName": event.name,
        "ResourceUri": resource_uri,
        "ResourceName": resource_name,
        "AuditUri": audit_uri,
        "ResourceChangeUtcDate": _utc(event.created_at),
        "EventId": str(event.id),
    }


def _create_event(partner: Tenant, name: str, **payload) -> WebhookEvent:
    event = WebhookEvent(partner=partner, name=WebhookEventName(name))
    event.payload = _payload(event, **payload)
    event.save()
    return event


def _deliver(event: WebhookEvent, subscription: WebhookSubscription) -> WebhookDelivery:
    delivery = WebhookDelivery.objects.create(
        partner=event.partner,
        event=event,
        subscription=subscription,
        next_attempt_at=event.created_at,
    )
    _queue(delivery)
    return delivery


def webhook_emit(
    *,
    partner: Tenant,
    name: str,
    resource_uri: str,
    resource_name: str,
    audit_uri: str | None = None,
) -> WebhookEvent | None:
    """Raise `name` for `partner`: the event and a delivery to each active subscription that
    wants it, sent once the caller's transaction commits. None when no subscription wants it."""
    name = WebhookEventName(name)
    wanting = [
        subscription
        for subscription in WebhookSubscription.objects.filter(partner=partner, is_active=True)
        if subscription.wants(name)
    ]
    if not wanting:
        return None
    with transaction.atomic():
        event = _create_event(
            partner,
            name,
            resource_uri=resource_uri,
            resource_name=resource_name,
            audit_uri=audit_uri if audit_uri is not None else activity_uri(timezone.localdate()),
        )
        for subscription in wanting:
            _deliver(event, subscription)
    return event


def webhook_send_test(
    *, membership: Membership, subscription: WebhookSubscription
) -> WebhookDelivery:
    """A `test-created` event, to this webhook only."""
    rules.require(membership, Action.MANAGE_WEBHOOKS)
    with transaction.atomic():
        subscription = _locked(membership, subscription)
        if not subscription.is_active:
            raise ServiceError(_("This webhook was deactivated."), code="inactive")
        event = WebhookEvent(partner=membership.tenant, name=WebhookEventName.TEST)
        event.payload = _payload(
            event,
            resource_uri=api_uri(f"webhooks/validationEvents/{event.id}"),
            resource_name="test",
            audit_uri=None,
        )
        event.save()
        return _deliver(event, subscription)


def webhook_redeliver(*, membership: Membership, delivery: WebhookDelivery) -> WebhookDelivery:
    """Send the event to its webhook again, as a new series of attempts (retried for a day).
    The receiver sees the same webhook-id: a receiver that has it already can ignore it."""
    rules.require(membership, Action.MANAGE_WEBHOOKS)
    with transaction.atomic():
        delivery = (
            WebhookDelivery.objects.select_for_update(of=("self",))
            .select_related("event", "subscription")
            .get(pk=delivery.pk, partner=membership.tenant)
        )
        if not delivery.subscription.is_active:
            raise ServiceError(
                _("This webhook was deactivated: its events can't be sent again."), code="inactive"
            )
        delivery.series += 1
        delivery.status = DeliveryStatus.PENDING
        delivery.next_attempt_at = timezone.now()
        delivery.save(update_fields=["series", "status", "next_attempt_at"])
        _audit(
            AuditAction.WEBHOOK_REDELIVERED,
            membership,
            delivery.subscription,
            event=delivery.event.name,
            event_id=str(delivery.event.id),
        )
        _queue(delivery)
    return delivery


# --- What the services raise -------------------------------------------------------------


def api_uri(path: str) -> str:
    """The Partner Center API's address of a resource (`/v1/<path>` on Partner Center's host)."""
    return urljoin(settings.PARTNER_CENTER_URL, f"/v1/{path}")


def activity_uri(day: date) -> str:
    """The partner's activity log on the day of the change: where its audit line is."""
    query = urlencode({"start": day.isoformat(), "end": day.isoformat()})
    return f"{urljoin(settings.PARTNER_CENTER_URL, 'activity/')}?{query}"


def reseller_webhook(invitation: Invitation, customer: Tenant, name: str) -> None:
    """A customer answered a reseller relationship request."""
    accepted = name == WebhookEventName.RESELLER_ACCEPTED
    webhook_emit(
        partner=invitation.partner,
        name=name,
        resource_uri=api_uri(
            f"customers/{customer.id}" if accepted else f"relationshiprequests/{invitation.id}"
        ),
        resource_name="customer" if accepted else "relationshipRequest",
    )


def indirect_reseller_webhook(invitation: Invitation, customer: Tenant) -> None:
    """A customer accepted a two-tier request: the indirect provider hears of it (the reseller
    hears of its own acceptance through `reseller_webhook`)."""
    webhook_emit(
        partner=invitation.indirect_provider,
        name=WebhookEventName.INDIRECT_RESELLER_ACCEPTED,
        resource_uri=api_uri(f"customers/{customer.id}"),
        resource_name="customer",
    )


def admin_relationship_webhook(relationship: AdminRelationship, name: str) -> None:
    webhook_emit(
        partner=relationship.partner,
        name=name,
        resource_uri=api_uri(f"tenantRelationships/delegatedAdminRelationships/{relationship.id}"),
        resource_name="delegatedAdminRelationship",
    )


def access_assignment_webhook(
    relationship: AdminRelationship, assignment: AccessAssignment, name: str
) -> None:
    webhook_emit(
        partner=relationship.partner,
        name=name,
        resource_uri=api_uri(
            f"tenantRelationships/delegatedAdminRelationships/{relationship.id}"
            f"/accessAssignments/{assignment.id}"
        ),
        resource_name="delegatedAdminAccessAssignment",
    )
