"""The plain choices every layer shares: clouds, kinds, roles, statuses, actions and events.

The bottom of the stack: models, rules, services and the portals read these, and this module
reads nothing of the project's. Each is a TextChoices whose labels are translated when shown.
"""

from django.db import models
from django.utils.translation import gettext_lazy, pgettext_lazy


class Cloud(models.TextChoices):
    PUBLIC = "public", gettext_lazy("Microsoft commercial cloud")
    USGOV = "usgov", gettext_lazy("Microsoft Cloud for US Government")


class TenantKind(models.TextChoices):
    PARTNER = "partner", gettext_lazy("Partner")
    CUSTOMER = "customer", gettext_lazy("Customer")


class CspRole(models.TextChoices):
    DIRECT = "direct", gettext_lazy("Direct-bill partner")
    INDIRECT_PROVIDER = "indirect_provider", gettext_lazy("Indirect provider")
    INDIRECT_RESELLER = "indirect_reseller", gettext_lazy("Indirect reseller")


class Role(models.TextChoices):
    # Partner Center roles.
    GLOBAL_ADMIN = "partner.global_admin", gettext_lazy("Global admin")
    ADMIN_AGENT = "partner.admin_agent", gettext_lazy("Admin agent")
    SALES_AGENT = "partner.sales_agent", gettext_lazy("Sales agent")
    HELPDESK_AGENT = "partner.helpdesk_agent", gettext_lazy("Helpdesk agent")
    BILLING_ADMIN = "partner.billing_admin", gettext_lazy("Billing admin")
    # A customer organization's roles.
    CUSTOMER_GLOBAL_ADMIN = "customer.global_admin", gettext_lazy("Global administrator")
    CUSTOMER_BILLING_ADMIN = "customer.billing_admin", gettext_lazy("Billing administrator")
    # Entra's "Customer Delegated Admin Relationship Administrator" (April 2026): approves,
    # declines, sees and ends partners' admin relationships, and nothing else.
    CUSTOMER_DELEGATED_ADMIN_RELATIONSHIP_ADMIN = (
        "customer.gdap_admin",
        gettext_lazy("Delegated Admin Relationship Administrator"),
    )
    CUSTOMER_USER = "customer.user", gettext_lazy("User")


class FormedBy(models.TextChoices):
    NEW_CUSTOMER = "new_customer", gettext_lazy("New customer (Add customer)")
    INVITATION = "invitation", gettext_lazy("Accepted request")


class InvitationStatus(models.TextChoices):
    PENDING = "pending", pgettext_lazy("reseller relationship request status", "Pending")
    OPENED = "opened", pgettext_lazy("reseller relationship request status", "Opened")
    ACCEPTED = "accepted", pgettext_lazy("reseller relationship request status", "Accepted")
    DECLINED = "declined", pgettext_lazy("reseller relationship request status", "Declined")
    REVOKED = "revoked", pgettext_lazy("reseller relationship request status", "Revoked")
    EXPIRED = "expired", pgettext_lazy("reseller relationship request status", "Expired")


class PartnershipStatus(models.TextChoices):
    PENDING = "pending", pgettext_lazy("indirect partnership status", "Pending")
    ACTIVE = "active", pgettext_lazy("indirect partnership status", "Active")
    DECLINED = "declined", pgettext_lazy("indirect partnership status", "Declined")
    REMOVED = "removed", pgettext_lazy("indirect partnership status", "Removed")


class AdminRelationshipStatus(models.TextChoices):
    CREATED = "created", pgettext_lazy("admin relationship status", "Created")
    APPROVAL_PENDING = (
        "approval_pending",
        pgettext_lazy("admin relationship status", "Approval pending"),
    )
    ACTIVE = "active", pgettext_lazy("admin relationship status", "Active")
    EXPIRING = "expiring", pgettext_lazy("admin relationship status", "Expiring")
    EXPIRED = "expired", pgettext_lazy("admin relationship status", "Expired")
    DECLINED = "declined", pgettext_lazy("admin relationship status", "Declined")
    WITHDRAWN = "withdrawn", pgettext_lazy("admin relationship status", "Withdrawn")
    TERMINATED = "terminated", pgettext_lazy("admin relationship status", "Terminated")


class NoticeKind(models.TextChoices):
    ENDS_IN_30_DAYS = "30_days", gettext_lazy("Ends in 30 days")
    ENDS_IN_7_DAYS = "7_days", gettext_lazy("Ends in 7 days")
    ENDS_IN_1_DAY = "1_day", gettext_lazy("Ends in 1 day")
    EXPIRED = "expired", gettext_lazy("Expired")
    EXTENDED = "extended", gettext_lazy("Extended automatically")
    # A request still waiting for the customer's approval, sent to its administrators again.
    WAITING = "waiting", gettext_lazy("Still waiting for approval")


class AssignmentState(models.TextChoices):
    """An access assignment gives its roles, or, made from a template's mapping when the
    customer approved, could not (its `failure` says why) until someone retries it."""

    ACTIVE = "active", pgettext_lazy("access assignment state", "Active")
    FAILED = "failed", pgettext_lazy("access assignment state", "Not made")


class BulkJobKind(models.TextChoices):
    REQUEST = "request", gettext_lazy("Request admin relationships")
    REMIND = "remind", gettext_lazy("Send reminders")
    WITHDRAW = "withdraw", gettext_lazy("Withdraw requests")
    AUTO_EXTEND_ON = "auto_extend_on", gettext_lazy("Enable auto-extend")
    AUTO_EXTEND_OFF = "auto_extend_off", gettext_lazy("Disable auto-extend")
    REMOVE_GLOBAL_ADMIN = "remove_global_admin", gettext_lazy("Remove Global Administrator")
    UPGRADE = "upgrade", gettext_lazy("Upgrade to the template's latest version")


class BulkJobStatus(models.TextChoices):
    RUNNING = "running", pgettext_lazy("bulk job status", "Running")
    DONE = "done", pgettext_lazy("bulk job status", "Done")
    CANCELLED = "cancelled", pgettext_lazy("bulk job status", "Cancelled")


class BulkItemState(models.TextChoices):
    PENDING = "pending", pgettext_lazy("bulk job result", "Waiting")
    DONE = "done", pgettext_lazy("bulk job result", "Done")
    SKIPPED = "skipped", pgettext_lazy("bulk job result", "Skipped")
    FAILED = "failed", pgettext_lazy("bulk job result", "Failed")


class AcceptanceMethod(models.TextChoices):
    CUSTOMER = "customer", gettext_lazy("Accepted by the customer in the admin center")
    PARTNER_ATTESTATION = "partner_attestation", gettext_lazy("Attested by the partner")


class OfferKind(models.TextChoices):
    LICENSE = "license", gettext_lazy("Licence-based")
    AZURE = "azure", gettext_lazy("Azure plan")


class SubscriptionStatus(models.TextChoices):
    ACTIVE = "active", pgettext_lazy("subscription status", "Active")
    SUSPENDED = "suspended", pgettext_lazy("subscription status", "Suspended")


class CustomerState(models.TextChoices):
    """The pair's reseller relationship: active, ended, or none ever (the partner only has or
    had an admin relationship with the customer)."""

    RESELLER = "reseller", pgettext_lazy("customer list relationship state", "Reseller")
    ENDED = "ended", pgettext_lazy("customer list relationship state", "Ended")
    ADMIN_ONLY = (
        "admin_only",
        pgettext_lazy("customer list relationship state", "Admin relationship only"),
    )


class WebhookEventName(models.TextChoices):
    """Named as Partner Center names them."""

    RESELLER_ACCEPTED = (
        "reseller-relationship-accepted-by-customer",
        gettext_lazy("A customer accepted a reseller relationship"),
    )
    RESELLER_DECLINED = (
        "reseller-relationship-declined-by-customer",
        gettext_lazy("A customer declined a reseller relationship request"),
    )
    INDIRECT_RESELLER_ACCEPTED = (
        "indirect-reseller-relationship-accepted-by-customer",
        gettext_lazy("A customer accepted an indirect reseller relationship"),
    )
    ADMIN_APPROVED = (
        "granular-admin-relationship-approved",
        gettext_lazy("An admin relationship was approved"),
    )
    ADMIN_TERMINATED = (
        "granular-admin-relationship-terminated",
        gettext_lazy("An admin relationship was terminated"),
    )
    ADMIN_EXPIRED = (
        "granular-admin-relationship-expired",
        gettext_lazy("An admin relationship expired"),
    )
    ASSIGNMENT_CREATED = (
        "granular-admin-access-assignment-created",
        gettext_lazy("A security group was given admin roles"),
    )
    ASSIGNMENT_DELETED = (
        "granular-admin-access-assignment-deleted",
        gettext_lazy("A security group's admin roles were removed"),
    )
    BULK_JOB_FINISHED = (
        "bulk-job-completed",
        gettext_lazy("A bulk job finished"),
    )
    TEST = "test-created", gettext_lazy("Test event")


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", pgettext_lazy("webhook delivery status", "Pending")
    DELIVERED = "delivered", pgettext_lazy("webhook delivery status", "Delivered")
    FAILED = "failed", pgettext_lazy("webhook delivery status", "Failed")


class AttemptOutcome(models.TextChoices):
    DELIVERED = "delivered", pgettext_lazy("webhook delivery attempt outcome", "Delivered")
    REJECTED = (
        "rejected",
        pgettext_lazy("webhook delivery attempt outcome", "Answered with an error"),
    )
    ERROR = "error", pgettext_lazy("webhook delivery attempt outcome", "No answer")
    REFUSED = "refused", pgettext_lazy("webhook delivery attempt outcome", "Not sent")


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
    # Auto-extend turned on or off by the partner (no consent needed either way).
    ADMIN_AUTO_EXTEND_CHANGED = (
        "admin_relationship.auto_extend_changed",
        gettext_lazy("Changed whether an admin relationship extends automatically"),
    )
    # A role taken away from an active relationship (and from the assignments that held it).
    ADMIN_ROLE_REMOVED = (
        "admin_relationship.role_removed",
        gettext_lazy("Removed a role from an admin relationship"),
    )
    # A request waiting for the customer's approval, sent to its Global administrators again.
    ADMIN_CHASED = (
        "admin_relationship.chased",
        gettext_lazy("Reminded a customer of an admin relationship request"),
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
    ASSIGNMENT_FAILED = (
        "access_assignment.failed",
        gettext_lazy("Could not give a security group its template's roles"),
    )
    # Admin relationship templates and bulk work.
    TEMPLATE_CREATED = "template.created", gettext_lazy("Created an admin relationship template")
    TEMPLATE_CHANGED = (
        "template.changed",
        gettext_lazy("Made a new version of an admin relationship template"),
    )
    BULK_JOB_STARTED = "bulk_job.started", gettext_lazy("Started a bulk job")
    BULK_JOB_CANCELLED = "bulk_job.cancelled", gettext_lazy("Cancelled a bulk job")
    BULK_JOB_FINISHED = "bulk_job.finished", gettext_lazy("A bulk job finished")
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
