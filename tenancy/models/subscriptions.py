"""The offer catalog and the subscriptions partners buy for customers."""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from tenancy.choices import OfferKind, SubscriptionStatus
from tenancy.models.choice_labels import ChoiceLabels
from tenancy.models.tenants import Tenant


class Offer(ChoiceLabels, models.Model):
    code = models.SlugField(max_length=60, primary_key=True)
    name = models.CharField(max_length=120, unique=True)
    kind = models.CharField(max_length=10, choices=OfferKind)
    description = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def is_azure(self) -> bool:
        return self.kind == OfferKind.AZURE


class SubscriptionQuerySet(models.QuerySet):
    def active(self):
        return self.filter(status=SubscriptionStatus.ACTIVE)

    def sold_by(self, partner: Tenant):
        """What `partner` sold: bought by it, or by its indirect provider on its behalf."""
        return self.filter(Q(partner=partner) | Q(indirect_reseller=partner))


class Subscription(ChoiceLabels, models.Model):
    """A subscription a partner bought on behalf of a customer."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    partner = models.ForeignKey(Tenant, on_delete=models.PROTECT, related_name="sold_subscriptions")
    customer = models.ForeignKey(Tenant, on_delete=models.PROTECT, related_name="subscriptions")
    offer = models.ForeignKey(Offer, on_delete=models.PROTECT, related_name="subscriptions")
    # An indirect provider buys on behalf of one of its indirect resellers: the reseller sold it.
    indirect_reseller = models.ForeignKey(
        Tenant,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="resold_subscriptions",
    )
    quantity = models.PositiveIntegerField(default=1)
    status = models.CharField(
        max_length=10, choices=SubscriptionStatus, default=SubscriptionStatus.ACTIVE
    )
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    updated_at = models.DateTimeField(default=timezone.now)

    objects = SubscriptionQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["partner", "customer", "status"], name="subscription_pair_idx"),
            models.Index(
                fields=["indirect_reseller", "customer", "status"],
                condition=Q(indirect_reseller__isnull=False),
                name="subscription_resold_idx",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(quantity__gte=1), name="subscription_quantity_positive"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.offer.name} × {self.quantity} for {self.customer.name}"  # noqa: RUF001

    @property
    def is_active(self) -> bool:
        return self.status == SubscriptionStatus.ACTIVE
