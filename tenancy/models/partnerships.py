"""Two-tier CSP: an indirect provider and an indirect reseller partner with each other.

The provider asks, the reseller's Global admin accepts (or declines), and either side can remove
the partnership later. Never deleted: a partnership ends by a change of state, like a
relationship.
"""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone

from tenancy.choices import PartnershipStatus
from tenancy.models.choice_labels import ChoiceLabels
from tenancy.models.tenants import Tenant


class PartnershipQuerySet(models.QuerySet):
    def active(self):
        return self.filter(status=PartnershipStatus.ACTIVE)

    def open(self):
        """Pending or active: a pair has at most one (a database constraint)."""
        return self.filter(status__in=[PartnershipStatus.PENDING, PartnershipStatus.ACTIVE])

    def of(self, partner: Tenant):
        """The partnerships `partner` is either side of."""
        return self.filter(Q(provider=partner) | Q(reseller=partner))


class Partnership(ChoiceLabels, models.Model):
    """An indirect provider (distributor) and an indirect reseller that sells through it."""

    provider = models.ForeignKey(
        Tenant, on_delete=models.PROTECT, related_name="reseller_partnerships"
    )
    reseller = models.ForeignKey(
        Tenant, on_delete=models.PROTECT, related_name="provider_partnerships"
    )
    status = models.CharField(
        max_length=10, choices=PartnershipStatus, default=PartnershipStatus.PENDING
    )
    requested_at = models.DateTimeField(default=timezone.now)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    answered_at = models.DateTimeField(null=True, blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    ended_at = models.DateTimeField(null=True, blank=True)
    ended_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    ended_by_tenant = models.ForeignKey(
        Tenant, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    objects = PartnershipQuerySet.as_manager()

    class Meta:
        ordering = ["-requested_at"]
        indexes = [
            models.Index(fields=["provider", "status"], name="partnership_provider_idx"),
            models.Index(fields=["reseller", "status"], name="partnership_reseller_idx"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["provider", "reseller"],
                condition=Q(status__in=["pending", "active"]),
                name="one_open_partnership_per_pair",
                violation_error_message="These partners already have a partnership or a request.",
            ),
            models.CheckConstraint(
                condition=~Q(provider=F("reseller")),
                name="partnership_between_two_partners",
            ),
            models.CheckConstraint(
                condition=(
                    Q(status="pending", answered_at__isnull=True, ended_at__isnull=True)
                    | Q(status="active", answered_at__isnull=False, ended_at__isnull=True)
                    | Q(status="declined", answered_at__isnull=False, ended_at__isnull=True)
                    | Q(status="removed", ended_at__isnull=False)
                ),
                name="partnership_times_match_status",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.provider.name} ↔ {self.reseller.name}"

    @property
    def is_active(self) -> bool:
        return self.status == PartnershipStatus.ACTIVE

    @property
    def is_pending(self) -> bool:
        return self.status == PartnershipStatus.PENDING

    def other(self, partner: Tenant) -> Tenant:
        """The other side, seen from `partner`."""
        return self.reseller if partner.pk == self.provider_id else self.provider
