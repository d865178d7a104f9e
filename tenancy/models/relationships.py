"""Reseller and admin relationships between a partner and a customer: ended, never deleted."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from tenancy.models.tenants import Tenant


class RelationshipQuerySet(models.QuerySet):
    def active(self):
        return self.filter(ended_at__isnull=True)

    def between(self, partner: Tenant, customer: Tenant):
        return self.filter(partner=partner, customer=customer)


class Ending:
    """Relationships end by a change of state, recorded with who ended them; never deleted."""

    def end(self, *, by) -> None:
        self.ended_at = timezone.now()
        self.ended_by = by
        self.save(update_fields=["ended_at", "ended_by"])


class FormedBy(models.TextChoices):
    NEW_CUSTOMER = "new_customer", "New customer (Add customer)"
    INVITATION = "invitation", "Accepted request"


class ResellerRelationship(Ending, models.Model):
    """A partner resells to a customer. Active while `ended_at` is empty; never deleted."""

    partner = models.ForeignKey(
        Tenant, on_delete=models.PROTECT, related_name="customer_relationships"
    )
    customer = models.ForeignKey(
        Tenant, on_delete=models.PROTECT, related_name="reseller_relationships"
    )
    formed_by = models.CharField(max_length=20, choices=FormedBy)
    invitation = models.ForeignKey(
        "Invitation", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    ended_at = models.DateTimeField(null=True, blank=True)
    ended_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    objects = RelationshipQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["partner", "customer", "created_at"], name="reseller_pair_idx"),
            models.Index(fields=["partner", "-created_at"], name="reseller_partner_since_idx"),
            models.Index(fields=["customer", "partner"], name="reseller_customer_idx"),
        ]
        constraints = [
            # The CSP rule: a partner is a customer's reseller once, however many requests were
            # accepted or raced each other.
            models.UniqueConstraint(
                fields=["partner", "customer"],
                condition=Q(ended_at__isnull=True),
                name="one_active_reseller_relationship_per_pair",
                violation_error_message="This partner is already the customer's reseller.",
            ),
            models.CheckConstraint(
                condition=~Q(partner=models.F("customer")),
                name="reseller_relationship_between_two_tenants",
            ),
            models.CheckConstraint(
                condition=Q(ended_at__isnull=True) | Q(ended_at__gte=models.F("created_at")),
                name="reseller_relationship_ends_after_it_starts",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.partner.name} resells to {self.customer.name}"

    @property
    def is_active(self) -> bool:
        return self.ended_at is None


class AdminRole(models.TextChoices):
    """Directory roles a partner's agents hold in a customer organization (delegated admin)."""

    GLOBAL_ADMINISTRATOR = "global_administrator", "Global Administrator"
    HELPDESK_ADMINISTRATOR = "helpdesk_administrator", "Helpdesk Administrator"


# What a request for delegated administration grants, and what it lets the partner's agents do.
DELEGATED_ADMIN_ROLES = [AdminRole.GLOBAL_ADMINISTRATOR, AdminRole.HELPDESK_ADMINISTRATOR]
ADMIN_ROLE_MEANINGS = {
    AdminRole.GLOBAL_ADMINISTRATOR: (
        "The partner's Admin agents act as Global Administrators in your organization: they can "
        "add and remove users, assign licences, manage domains and change every service setting."
    ),
    AdminRole.HELPDESK_ADMINISTRATOR: (
        "The partner's Helpdesk agents act as Helpdesk Administrators: they can reset passwords "
        "of users who are not administrators and open service requests for you."
    ),
}


class AdminRelationship(Ending, models.Model):
    """Delegated admin permissions of a partner in a customer. Active while `ended_at` is empty."""

    partner = models.ForeignKey(Tenant, on_delete=models.PROTECT, related_name="admin_grants")
    customer = models.ForeignKey(
        Tenant, on_delete=models.PROTECT, related_name="admin_relationships"
    )
    roles = models.JSONField(default=list, help_text="AdminRole values granted.")
    invitation = models.ForeignKey(
        "Invitation", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    granted_at = models.DateTimeField(default=timezone.now)
    granted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    ended_at = models.DateTimeField(null=True, blank=True)
    ended_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    objects = RelationshipQuerySet.as_manager()

    class Meta:
        ordering = ["-granted_at"]
        indexes = [
            models.Index(fields=["partner", "customer"], name="admin_pair_idx"),
            models.Index(fields=["customer", "partner"], name="admin_customer_idx"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["partner", "customer"],
                condition=Q(ended_at__isnull=True),
                name="one_active_admin_relationship_per_pair",
                violation_error_message="This partner already has admin roles in the customer.",
            ),
            models.CheckConstraint(
                condition=~Q(partner=models.F("customer")),
                name="admin_relationship_between_two_tenants",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.partner.name} administers {self.customer.name}"

    @property
    def is_active(self) -> bool:
        return self.ended_at is None

    @property
    def role_labels(self) -> list[str]:
        return [AdminRole(role).label for role in self.roles if role in AdminRole.values]
