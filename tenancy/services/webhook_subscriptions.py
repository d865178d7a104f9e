"""Webhooks: a partner's subscriptions (added, changed, deactivated: recorded), a test event, and
redelivery. The events a partner's changes raise are the record table's
(tenancy.effects.webhook_events); their delivery is tenancy.effects.webhook_delivery's."""

from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from tenancy import rules
from tenancy.effects.record import record
from tenancy.effects.webhook_delivery import AddressRefused, checked_target
from tenancy.effects.webhook_events import api_uri, deliver, event_payload, queue_delivery
from tenancy.models import (
    SUBSCRIBABLE_EVENTS,
    AuditAction,
    DeliveryStatus,
    Membership,
    Tenant,
    WebhookDelivery,
    WebhookEvent,
    WebhookEventName,
    WebhookSubscription,
)
from tenancy.models.webhooks import URL_MAX_LENGTH
from tenancy.rules import Action
from tenancy.services.base import ServiceError

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


def _record(action, membership: Membership, subscription: WebhookSubscription, **details):
    record(
        action,
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
    *, membership: Membership, url: str, events: list[str], sole: bool = False
) -> WebhookSubscription:
    """A new webhook, with a new secret (the caller shows it once). `sole`: the API's
    registration, which Partner Center keeps one of per partner: refused while the partner has
    an active webhook (the pages allow several)."""
    rules.require(membership, Action.MANAGE_WEBHOOKS)
    cleaned = _clean(url, events)
    partner = membership.tenant
    with transaction.atomic():
        # The partner's row, so two additions at once count each other.
        Tenant.objects.select_for_update().filter(pk=partner.pk).first()
        active = WebhookSubscription.objects.filter(partner=partner, is_active=True)
        if sole and active.exists():
            raise ServiceError(
                _(
                    "You already have a webhook registration: change it, or delete it before "
                    "registering another."
                ),
                code="registered",
            )
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
        _record(AuditAction.WEBHOOK_CREATED, membership, subscription, events=cleaned.events)
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
        _record(
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
        _record(AuditAction.WEBHOOK_DEACTIVATED, membership, subscription)
    return subscription


# --- Test events and redelivery ----------------------------------------------------------


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
        event.payload = event_payload(
            event,
            resource_uri=api_uri(f"webhooks/registration/validationEvents/{event.id}"),
            resource_name="test",
            # As Partner Center's: a test changes nothing, so no audit line says so.
            audit_uri=None,
        )
        event.save()
        return deliver(event, subscription)


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
        _record(
            AuditAction.WEBHOOK_REDELIVERED,
            membership,
            delivery.subscription,
            event=delivery.event.name,
            event_id=str(delivery.event.id),
        )
        queue_delivery(delivery)
    return delivery
