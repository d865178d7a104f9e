"""Reseller relationships between a partner and a customer: ended, never deleted.

Admin relationships (GDAP) are in `admin_relationships`."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from tenancy.choices import FormedBy
from tenancy.models.choice_labels import ChoiceLabels
from tenancy.models.tenants import Tenant


class RelationshipQuerySet(models.QuerySet):
    def active(self):
        return self.filter(ended_at__isnull=True)

    def between(self, partner: Tenant, customer: Tenant):
        return self.filter(partner=partner, customer=customer)


class Ending:
    """Relationships end by a change of state, recorded with who ended them; never deleted."""

    def end(self, *, by, at=None) -> None:
        self.ended_at = at or timezone.now()
        self.ended_by = by
        self.save(update_fields=["ended_at", "ended_by"])


class ResellerRelationship(Ending, ChoiceLabels, models.Model):
    """A partner resells to a customer. Active while `ended_at` is empty; never deleted."""

    partner = models.ForeignKey(
        Tenant, on_delete=models.PROTECT, related_name="customer_relationships"
    )
    customer = models.ForeignKey(
        Tenant, on_delete=models.PROTECT, related_name="reseller_relationships"
    )
    formed_by = models.CharField(max_length=20, choices=FormedBy)
    # Set when `partner` is an indirect reseller: the indirect provider it serves the customer
    # through, which holds the customer's own reseller relationship (of record) and bills.
    indirect_provider = models.ForeignKey(
        Tenant,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="indirect_reseller_relationships",
    )
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
            models.Index(
                fields=["indirect_provider", "customer"],
                condition=Q(indirect_provider__isnull=False),
                name="reseller_via_provider_idx",
            ),
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
                condition=~Q(indirect_provider=models.F("partner")),
                name="indirect_provider_is_another_partner",
            ),
            models.CheckConstraint(
                condition=Q(ended_at__isnull=True) | Q(ended_at__gte=models.F("created_at")),
                name="reseller_relationship_ends_after_it_starts",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.partner.name} resells to {self.customer.name}"

    @property
    def is_indirect(self) -> bool:
        """An indirect reseller's link to the customer (through `indirect_provider`)."""
        return self.indirect_provider_id is not None

    @property
    def is_active(self) -> bool:
        return self.ended_at is None
