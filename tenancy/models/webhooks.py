"""Webhooks: a partner's subscriptions (a URL, the events it wants, a secret), the events its
organization raised, and each event's delivery to each subscription with every attempt made.

Nothing here is deleted: a subscription is deactivated, and events, deliveries and attempts stay
as the partner's delivery log.
"""

import base64
import secrets
import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone

from tenancy.choices import AttemptOutcome, DeliveryStatus, WebhookEventName
from tenancy.models.choice_labels import ChoiceLabels
from tenancy.models.tenants import Tenant

# Standard Webhooks' secret format: whsec_<base64 of the key>.
SECRET_PREFIX = "whsec_"  # noqa: S105 (a prefix, not a secret)
ERROR_MAX_LENGTH = 500
URL_MAX_LENGTH = 2000


# What a subscription can ask for; the test event goes to one subscription, when asked.
SUBSCRIBABLE_EVENTS = tuple(name for name in WebhookEventName if name != WebhookEventName.TEST)


def new_webhook_secret() -> str:
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(32)).decode()


class WebhookSubscription(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    partner = models.ForeignKey(
        Tenant, on_delete=models.PROTECT, related_name="webhook_subscriptions"
    )
    url = models.CharField("URL", max_length=URL_MAX_LENGTH)
    events = models.JSONField(default=list)
    # Kept as it is: every delivery is signed with it. Shown in full once, when it is made.
    secret = models.CharField(max_length=100, default=new_webhook_secret, editable=False)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    updated_at = models.DateTimeField(null=True, blank=True)
    deactivated_at = models.DateTimeField(null=True, blank=True)
    deactivated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = "webhook"
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["partner", "-created_at"], name="webhook_partner_created_idx")
        ]

    def __str__(self) -> str:
        return self.url

    def wants(self, name: str) -> bool:
        return self.is_active and name in self.events

    @property
    def masked_secret(self) -> str:
        return f"{SECRET_PREFIX}••••••••{self.secret[-4:]}"

    def event_labels(self) -> list[str]:
        return [
            str(WebhookEventName(name).label) for name in self.events if name in WebhookEventName
        ]


class WebhookEvent(ChoiceLabels, models.Model):
    """What happened, as every subscription that wanted it is sent it (the payload, with the
    event's id as `EventId`)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    partner = models.ForeignKey(Tenant, on_delete=models.PROTECT, related_name="webhook_events")
    name = models.CharField(max_length=60, choices=WebhookEventName)
    payload = models.JSONField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["partner", "-created_at"], name="webhook_event_partner_idx")
        ]

    def __str__(self) -> str:
        return f"{self.name} {self.id}"


class WebhookDelivery(ChoiceLabels, models.Model):
    """One event for one subscription: pending until a 2xx answer, failed once the retries
    are spent (or at once when another attempt can't help). Redeliver makes it pending again."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    # The subscription's partner, so the log is read (and a delivery found) by partner.
    partner = models.ForeignKey(Tenant, on_delete=models.PROTECT, related_name="+")
    event = models.ForeignKey(WebhookEvent, on_delete=models.PROTECT, related_name="deliveries")
    subscription = models.ForeignKey(
        WebhookSubscription, on_delete=models.PROTECT, related_name="deliveries"
    )
    status = models.CharField(max_length=20, choices=DeliveryStatus, default=DeliveryStatus.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    # Each Redeliver starts a new series of attempts (a new task); a task of an earlier series
    # that is still waiting for its next attempt then does nothing.
    series = models.PositiveIntegerField(default=1)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name_plural = "webhook deliveries"
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["event", "subscription"], name="webhook_delivery_once_idx"
            )
        ]
        indexes = [
            models.Index(fields=["subscription", "-created_at"], name="webhook_delivery_sub_idx"),
            models.Index(fields=["partner", "-created_at"], name="webhook_delivery_partner_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.event.name} to {self.subscription.url}: {self.status}"


class DeliveryAttempt(ChoiceLabels, models.Model):
    delivery = models.ForeignKey(
        WebhookDelivery, on_delete=models.PROTECT, related_name="attempt_log"
    )
    at = models.DateTimeField(default=timezone.now)
    duration_ms = models.PositiveIntegerField(default=0)
    response_status = models.PositiveIntegerField(null=True, blank=True)
    error = models.CharField(max_length=ERROR_MAX_LENGTH, blank=True)
    outcome = models.CharField(max_length=20, choices=AttemptOutcome)

    class Meta:
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["delivery", "at"], name="delivery_attempt_at_idx")]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.outcome}"

    @property
    def summary(self) -> str:
        if self.response_status is not None:
            return f"HTTP {self.response_status}"
        return self.error
