"""The append-only audit trail."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy

from tenancy.models.invitations import Invitation
from tenancy.models.tenants import Tenant


class AuditAction(models.TextChoices):
    INVITATION_CREATED = (
        "invitation.created",
        gettext_lazy("Created a reseller relationship request"),
    )
    INVITATION_SENT = "invitation.sent", gettext_lazy("Emailed a reseller relationship request")
    INVITATION_OPENED = "invitation.opened", gettext_lazy("Opened a reseller relationship request")
    INVITATION_REVOKED = (
        "invitation.revoked",
        gettext_lazy("Revoked a reseller relationship request"),
    )
    INVITATION_ACCEPTED = (
        "invitation.accepted",
        gettext_lazy("Accepted a reseller relationship request"),
    )
    INVITATION_DECLINED = (
        "invitation.declined",
        gettext_lazy("Declined a reseller relationship request"),
    )
    INVITATION_REFUSED = (
        "invitation.refused",
        gettext_lazy("A reseller relationship request was refused"),
    )
    CUSTOMER_ADDED = "customer.added", gettext_lazy("Added a customer")
    AGREEMENT_ACCEPTED = (
        "agreement.accepted",
        gettext_lazy("Accepted the Microsoft Customer Agreement"),
    )
    AGREEMENT_ATTESTED = (
        "agreement.attested",
        gettext_lazy("Attested acceptance of the Customer Agreement"),
    )
    RESELLER_STARTED = "reseller.started", gettext_lazy("Reseller relationship started")
    RESELLER_ENDED = "reseller.ended", gettext_lazy("Reseller relationship ended")
    # Before admin relationships (GDAP), admin roles were granted and removed as one.
    ADMIN_GRANTED = "admin.granted", gettext_lazy("Admin roles granted")
    ADMIN_REMOVED = "admin.removed", gettext_lazy("Admin roles removed")
    ADMIN_CREATED = (
        "admin_relationship.created",
        gettext_lazy("Created an admin relationship request"),
    )
    ADMIN_FINALIZED = (
        "admin_relationship.finalized",
        gettext_lazy("Finalized an admin relationship request"),
    )
    ADMIN_SENT = "admin_relationship.sent", gettext_lazy("Emailed an admin relationship request")
    ADMIN_WITHDRAWN = (
        "admin_relationship.withdrawn",
        gettext_lazy("Withdrew an admin relationship request"),
    )
    ADMIN_APPROVED = "admin_relationship.approved", gettext_lazy("Approved an admin relationship")
    ADMIN_DECLINED = (
        "admin_relationship.declined",
        gettext_lazy("Declined an admin relationship request"),
    )
    ADMIN_REFUSED = (
        "admin_relationship.refused",
        gettext_lazy("An admin relationship request was refused"),
    )
    ADMIN_TERMINATED = (
        "admin_relationship.terminated",
        gettext_lazy("Terminated an admin relationship"),
    )
    ADMIN_EXTENDED = (
        "admin_relationship.extended",
        gettext_lazy("An admin relationship was extended"),
    )
    ADMIN_REMINDED = (
        "admin_relationship.reminded",
        gettext_lazy("Sent an admin relationship reminder"),
    )
    GROUP_CREATED = "security_group.created", gettext_lazy("Created a security group")
    GROUP_RENAMED = "security_group.renamed", gettext_lazy("Renamed a security group")
    GROUP_MEMBER_ADDED = (
        "security_group.member_added",
        gettext_lazy("Added a member to a security group"),
    )
    GROUP_MEMBER_REMOVED = (
        "security_group.member_removed",
        gettext_lazy("Removed a security group member"),
    )
    ASSIGNMENT_CREATED = (
        "access_assignment.created",
        gettext_lazy("Gave a security group admin roles"),
    )
    ASSIGNMENT_UPDATED = (
        "access_assignment.updated",
        gettext_lazy("Changed a security group's admin roles"),
    )
    ASSIGNMENT_REMOVED = (
        "access_assignment.removed",
        gettext_lazy("Removed a security group's admin roles"),
    )
    SUBSCRIPTION_PURCHASED = "subscription.purchased", gettext_lazy("Purchased a subscription")
    SUBSCRIPTION_CHANGED = "subscription.changed", gettext_lazy("Changed a subscription's quantity")
    SUBSCRIPTION_SUSPENDED = "subscription.suspended", gettext_lazy("Suspended a subscription")
    SUBSCRIPTION_REACTIVATED = (
        "subscription.reactivated",
        gettext_lazy("Reactivated a subscription"),
    )
    # Two tiers: an indirect provider and an indirect reseller.
    PARTNERSHIP_REQUESTED = (
        "partnership.requested",
        gettext_lazy("Requested an indirect reseller partnership"),
    )
    PARTNERSHIP_ACCEPTED = (
        "partnership.accepted",
        gettext_lazy("Accepted an indirect reseller partnership"),
    )
    PARTNERSHIP_DECLINED = (
        "partnership.declined",
        gettext_lazy("Declined an indirect reseller partnership"),
    )
    PARTNERSHIP_REMOVED = (
        "partnership.removed",
        gettext_lazy("Removed an indirect reseller partnership"),
    )
    PROFILE_UPDATED = "profile.updated", gettext_lazy("Updated the organization profile")
    # Accounts: signing in and out, the second factor, and who may do what.
    SIGNED_IN = "account.signed_in", gettext_lazy("Signed in")
    SIGNED_OUT = "account.signed_out", gettext_lazy("Signed out")
    SIGN_IN_FAILED = "account.sign_in_failed", gettext_lazy("A sign-in failed")
    SIGN_IN_LOCKED = "account.locked_out", gettext_lazy("Sign-in locked after repeated failures")
    PASSWORD_CHANGED = "account.password_changed", gettext_lazy("Changed a password")
    MFA_VERIFIED = "account.mfa_verified", gettext_lazy("Confirmed a sign-in with a second factor")
    MFA_ADDED = "account.mfa_added", gettext_lazy("Added a sign-in method")
    MFA_REMOVED = "account.mfa_removed", gettext_lazy("Removed a sign-in method")
    MFA_RESET = "account.mfa_reset", gettext_lazy("Reset a user's sign-in methods")
    RECOVERY_CODES_MADE = "account.recovery_codes", gettext_lazy("Made new recovery codes")
    RECOVERY_CODE_USED = (
        "account.recovery_code_used",
        gettext_lazy("Signed in with a recovery code"),
    )
    ROLES_CHANGED = "account.roles_changed", gettext_lazy("Changed a user's roles")
    USER_DEACTIVATED = "account.deactivated", gettext_lazy("Deactivated a user")
    USER_REACTIVATED = "account.reactivated", gettext_lazy("Reactivated a user")
    # Partner Center apps (the API).
    APP_REGISTERED = "app.registered", gettext_lazy("Registered an app")
    APP_REVOKED = "app.revoked", gettext_lazy("Revoked an app's key")
    # Webhooks: a partner's subscriptions to its events.
    WEBHOOK_CREATED = "webhook.created", gettext_lazy("Added a webhook")
    WEBHOOK_UPDATED = "webhook.updated", gettext_lazy("Changed a webhook")
    WEBHOOK_DEACTIVATED = "webhook.deactivated", gettext_lazy("Deactivated a webhook")
    WEBHOOK_REDELIVERED = "webhook.redelivered", gettext_lazy("Redelivered a webhook event")
    # The operators' console (the Django admin): every change, with before and after.
    OPERATOR_ADDED = "operator.added", gettext_lazy("An operator added a record")
    OPERATOR_CHANGED = "operator.changed", gettext_lazy("An operator changed a record")


class AppendOnlyQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise TypeError("Audit events are append-only.")

    def delete(self):
        raise TypeError("Audit events are append-only.")


class AuditEvent(models.Model):
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
