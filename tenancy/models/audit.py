"""The append-only audit trail."""

from django.conf import settings
from django.db import models
from django.utils import timezone

from tenancy.choices import AuditAction
from tenancy.models.choice_labels import ChoiceLabels
from tenancy.models.invitations import Invitation
from tenancy.models.tenants import Tenant


class AppendOnlyQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise TypeError("Audit events are append-only.")

    def delete(self):
        raise TypeError("Audit events are append-only.")


class AuditEvent(ChoiceLabels, models.Model):
    """One state change: who did what, to which tenants. Append-only."""

    at = models.DateTimeField(default=timezone.now)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # The actor as they were named then, so the line reads the same after a rename.
    actor_label = models.CharField(max_length=200, blank=True)
    actor_tenant = models.ForeignKey(
        Tenant, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    action = models.CharField(max_length=40, choices=AuditAction)
    partner = models.ForeignKey(
        Tenant, on_delete=models.PROTECT, null=True, blank=True, related_name="partner_events"
    )
    customer = models.ForeignKey(
        Tenant, on_delete=models.PROTECT, null=True, blank=True, related_name="customer_events"
    )
    invitation = models.ForeignKey(
        Invitation, on_delete=models.PROTECT, null=True, blank=True, related_name="events"
    )
    details = models.JSONField(default=dict, blank=True)

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [
            models.Index(fields=["partner", "-at"], name="audit_partner_at_idx"),
            models.Index(fields=["customer", "-at"], name="audit_customer_at_idx"),
            models.Index(fields=["-at"], name="audit_at_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.get_action_display()}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise TypeError("Audit events are append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise TypeError("Audit events are append-only.")
