"""The append-only audit trail."""

from django.conf import settings
from django.db import models
from django.utils import timezone

from tenancy.models.invitations import Invitation
from tenancy.models.tenants import Tenant


class AuditAction(models.TextChoices):
    INVITATION_CREATED = "invitation.created", "Created a reseller relationship request"
    INVITATION_SENT = "invitation.sent", "Emailed a reseller relationship request"
    INVITATION_OPENED = "invitation.opened", "Opened a reseller relationship request"
    INVITATION_REVOKED = "invitation.revoked", "Revoked a reseller relationship request"
    INVITATION_ACCEPTED = "invitation.accepted", "Accepted a reseller relationship request"
    INVITATION_DECLINED = "invitation.declined", "Declined a reseller relationship request"
    INVITATION_REFUSED = "invitation.refused", "A reseller relationship request was refused"
    CUSTOMER_ADDED = "customer.added", "Added a customer"
    AGREEMENT_ACCEPTED = "agreement.accepted", "Accepted the Microsoft Customer Agreement"
    AGREEMENT_ATTESTED = "agreement.attested", "Attested acceptance of the Customer Agreement"
    RESELLER_STARTED = "reseller.started", "Reseller relationship started"
    RESELLER_ENDED = "reseller.ended", "Reseller relationship ended"
    # Before admin relationships (GDAP), admin roles were granted and removed as one.
    ADMIN_GRANTED = "admin.granted", "Admin roles granted"
    ADMIN_REMOVED = "admin.removed", "Admin roles removed"
    ADMIN_CREATED = "admin_relationship.created", "Created an admin relationship request"
    ADMIN_FINALIZED = "admin_relationship.finalized", "Finalized an admin relationship request"
    ADMIN_SENT = "admin_relationship.sent", "Emailed an admin relationship request"
    ADMIN_WITHDRAWN = "admin_relationship.withdrawn", "Withdrew an admin relationship request"
    ADMIN_APPROVED = "admin_relationship.approved", "Approved an admin relationship"
    ADMIN_DECLINED = "admin_relationship.declined", "Declined an admin relationship request"
    ADMIN_REFUSED = "admin_relationship.refused", "An admin relationship request was refused"
    ADMIN_TERMINATED = "admin_relationship.terminated", "Terminated an admin relationship"
    ADMIN_EXTENDED = "admin_relationship.extended", "An admin relationship was extended"
    ADMIN_REMINDED = "admin_relationship.reminded", "Sent an admin relationship reminder"
    GROUP_CREATED = "security_group.created", "Created a security group"
    GROUP_RENAMED = "security_group.renamed", "Renamed a security group"
    GROUP_MEMBER_ADDED = "security_group.member_added", "Added a member to a security group"
    GROUP_MEMBER_REMOVED = "security_group.member_removed", "Removed a security group member"
    ASSIGNMENT_CREATED = "access_assignment.created", "Gave a security group admin roles"
    ASSIGNMENT_UPDATED = "access_assignment.updated", "Changed a security group's admin roles"
    ASSIGNMENT_REMOVED = "access_assignment.removed", "Removed a security group's admin roles"
    SUBSCRIPTION_PURCHASED = "subscription.purchased", "Purchased a subscription"
    SUBSCRIPTION_CHANGED = "subscription.changed", "Changed a subscription's quantity"
    SUBSCRIPTION_SUSPENDED = "subscription.suspended", "Suspended a subscription"
    SUBSCRIPTION_REACTIVATED = "subscription.reactivated", "Reactivated a subscription"
    # Two tiers: an indirect provider and an indirect reseller.
    PARTNERSHIP_REQUESTED = "partnership.requested", "Requested an indirect reseller partnership"
    PARTNERSHIP_ACCEPTED = "partnership.accepted", "Accepted an indirect reseller partnership"
    PARTNERSHIP_DECLINED = "partnership.declined", "Declined an indirect reseller partnership"
    PARTNERSHIP_REMOVED = "partnership.removed", "Removed an indirect reseller partnership"
    PROFILE_UPDATED = "profile.updated", "Updated the organization profile"
    # Accounts: signing in and out, the second factor, and who may do what.
    SIGNED_IN = "account.signed_in", "Signed in"
    SIGNED_OUT = "account.signed_out", "Signed out"
    SIGN_IN_FAILED = "account.sign_in_failed", "A sign-in failed"
    SIGN_IN_LOCKED = "account.locked_out", "Sign-in locked after repeated failures"
    PASSWORD_CHANGED = "account.password_changed", "Changed a password"
    MFA_VERIFIED = "account.mfa_verified", "Confirmed a sign-in with a second factor"
    MFA_ADDED = "account.mfa_added", "Added a sign-in method"
    MFA_REMOVED = "account.mfa_removed", "Removed a sign-in method"
    MFA_RESET = "account.mfa_reset", "Reset a user's sign-in methods"
    RECOVERY_CODES_MADE = "account.recovery_codes", "Made new recovery codes"
    RECOVERY_CODE_USED = "account.recovery_code_used", "Signed in with a recovery code"
    ROLES_CHANGED = "account.roles_changed", "Changed a user's roles"
    USER_DEACTIVATED = "account.deactivated", "Deactivated a user"
    USER_REACTIVATED = "account.reactivated", "Reactivated a user"
    # Partner Center apps (the API).
    APP_REGISTERED = "app.registered", "Registered an app"
    APP_REVOKED = "app.revoked", "Revoked an app's key"
    # Webhooks: a partner's subscriptions to its events.
    WEBHOOK_CREATED = "webhook.created", "Added a webhook"
    WEBHOOK_UPDATED = "webhook.updated", "Changed a webhook"
    WEBHOOK_DEACTIVATED = "webhook.deactivated", "Deactivated a webhook"
    WEBHOOK_REDELIVERED = "webhook.redelivered", "Redelivered a webhook event"
    # The operators' console (the Django admin): every change, with before and after.
    OPERATOR_ADDED = "operator.added", "An operator added a record"
    OPERATOR_CHANGED = "operator.changed", "An operator changed a record"


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
