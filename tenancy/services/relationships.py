"""Ending reseller relationships: never deleted, ended with who ended them. (Admin
relationships end in `admin_relationships`.)"""

from django.db import transaction
from django.utils.translation import gettext as _

from tenancy import rules
from tenancy.models import (
    AuditAction,
    ResellerRelationship,
    Subscription,
    Tenant,
)
from tenancy.services.base import ServiceError, audit
from tenancy.services.customer_list import customer_list_refresh


def reseller_relationship_end(*, partner: Tenant, customer: Tenant, ended_by, by: Tenant) -> None:
    """End the active reseller relationship; refused while the partner's subscriptions run.

    `by` is the tenant acting: the partner (Global admin) or the customer (Global administrator).
    """
    with transaction.atomic():
        # Locks the relationship row: a purchase takes the same lock, so a subscription cannot
        # slip in between the check below and the end.
        relationship = (
            ResellerRelationship.objects.select_for_update().active().between(partner, customer)
        ).first()
        if relationship is None:
            raise ServiceError(_("There is no active reseller relationship to end."), code="none")
        decision = rules.may_end_reseller(
            partner=partner,
            customer=customer,
            active_subscriptions=Subscription.objects.active()
            .sold_by(partner)
            .filter(customer=customer)
            .count(),
        )
        if not decision:
            raise ServiceError(decision.reason, code=decision.code)
        # The indirect resellers that serve the customer through this partner (an indirect
        # provider) lose the customer with it: nothing can be sold through a provider that no
        # longer resells.
        links = list(
            ResellerRelationship.objects.select_for_update()
            .active()
            .filter(indirect_provider=partner, customer=customer)
            .select_related("partner")
        )
        relationship.end(by=ended_by)
        customer_list_refresh(partner=partner, customer=customer)
        audit(
            action=AuditAction.RESELLER_ENDED,
            actor=ended_by,
            actor_tenant=by,
            partner=partner,
            customer=customer,
        )
        for link in links:
            link.end(by=ended_by)
            customer_list_refresh(partner=link.partner, customer=customer)
            audit(
                action=AuditAction.RESELLER_ENDED,
                actor=ended_by,
                actor_tenant=by,
                partner=link.partner,
                customer=customer,
                details={"indirect_provider": partner.name, "provider_ended": True},
            )
