"""Subscriptions a partner buys for a customer, and changing or suspending them."""

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from tenancy import rules
from tenancy.models import (
    AdminRelationship,
    AuditAction,
    Membership,
    Offer,
    ResellerRelationship,
    Subscription,
    SubscriptionStatus,
    Tenant,
)
from tenancy.services.admin_relationships import agent_roles_in
from tenancy.services.base import ServiceError, audit
from tenancy.services.partnerships import partnership_decision
from tenancy.text import number

MAX_QUANTITY = 10_000


def _quantity_range() -> str:
    return _("Choose a quantity from 1 to %(max)s.") % {"max": number(MAX_QUANTITY)}


def subscription_purchase(
    *,
    partner: Tenant,
    customer: Tenant,
    offer: Offer,
    quantity: int,
    purchased_by,
    indirect_reseller: Tenant | None = None,
) -> Subscription:
    """`partner` buys for `customer`; an indirect provider may buy on behalf of an indirect
    reseller that serves the customer through it (the subscription records both)."""
    if offer.is_azure and quantity != 1:
        raise ServiceError(_("An Azure plan is bought once; its quantity is 1."), code="quantity")
    if not 1 <= quantity <= MAX_QUANTITY:
        raise ServiceError(_quantity_range(), code="quantity")
    with transaction.atomic():
        # The same lock reseller_relationship_end takes (see there).
        relationship = (
            ResellerRelationship.objects.select_for_update().active().between(partner, customer)
        ).first()
        decision = rules.may_purchase(
            has_reseller_relationship=relationship is not None,
            has_current_agreement=customer.has_current_agreement(),
            indirect_provider=relationship.indirect_provider if relationship else None,
        )
        if not decision:
            raise ServiceError(decision.reason, code=decision.code)
        if indirect_reseller is not None:
            _check_on_behalf(partner, indirect_reseller, customer)
        subscription = Subscription.objects.create(
            partner=partner,
            customer=customer,
            offer=offer,
            quantity=quantity,
            indirect_reseller=indirect_reseller,
            created_by=purchased_by,
        )
        audit(
            action=AuditAction.SUBSCRIPTION_PURCHASED,
            actor=purchased_by,
            actor_tenant=partner,
            partner=partner,
            customer=customer,
            details={
                "offer": offer.name,
                "quantity": quantity,
                "subscription": str(subscription.id),
                **({"indirect_reseller": indirect_reseller.name} if indirect_reseller else {}),
            },
        )
        if indirect_reseller is not None:
            audit(
                action=AuditAction.SUBSCRIPTION_PURCHASED,
                actor=purchased_by,
                actor_tenant=partner,
                partner=indirect_reseller,
                customer=customer,
                details={
                    "offer": offer.name,
                    "quantity": quantity,
                    "subscription": str(subscription.id),
                    "indirect_provider": partner.name,
                },
            )
    return subscription


def _check_on_behalf(provider: Tenant, reseller: Tenant, customer: Tenant) -> None:
    """Buying on a reseller's behalf needs the partnership in force (locked, as Remove
    partnership locks it, so a purchase can't slip past its count) and the reseller serving
    the customer through this provider."""
    decision = partnership_decision(provider, reseller, lock=True)
    if not decision:
        raise ServiceError(decision.reason, code=decision.code)
    linked = (
        ResellerRelationship.objects.active()
        .filter(partner=reseller, customer=customer, indirect_provider=provider)
        .exists()
    )
    if not linked:
        raise ServiceError(
            _(
                "%(reseller)s doesn't serve %(customer)s through %(provider)s, so %(provider)s "
                "can't buy for %(customer)s on its behalf."
            )
            % {"reseller": reseller.name, "customer": customer.name, "provider": provider.name},
            code="not_linked",
        )


def subscription_manage_decision(
    *, subscription: Subscription, membership: Membership
) -> rules.Decision:
    """May this agent change or suspend the subscription? Its partner's relationships with the
    customer, and the Entra roles the agent's security groups hold there, decide."""
    partner = membership.tenant
    customer = subscription.customer
    pair = Q(partner=partner, customer=customer)
    # The indirect reseller a provider bought for sees the subscription as its own sale, but it
    # provisioned nothing: it manages only through an admin relationship's roles.
    bought = subscription.partner_id == partner.pk
    return rules.may_manage_subscription(
        is_azure_plan=subscription.offer.is_azure,
        provisioned_by_partner=bought or subscription.indirect_reseller_id == partner.pk,
        has_reseller_relationship=bought
        and ResellerRelationship.objects.active().filter(pair).exists(),
        has_admin_relationship=AdminRelationship.objects.in_force().filter(pair).exists(),
        agent_roles=agent_roles_in(membership, customer),
    )


def subscription_update(
    *,
    subscription: Subscription,
    membership: Membership,
    quantity: int | None = None,
    status: SubscriptionStatus | None = None,
) -> Subscription:
    partner, changed_by = membership.tenant, membership.user
    with transaction.atomic():
        subscription = (
            Subscription.objects.select_for_update(of=("self",))
            .select_related("offer", "customer")
            .get(pk=subscription.pk)
        )
        decision = subscription_manage_decision(subscription=subscription, membership=membership)
        if not decision:
            raise ServiceError(decision.reason, code=decision.code)
        events = []
        if quantity is not None and quantity != subscription.quantity:
            if subscription.offer.is_azure:
                raise ServiceError(_("An Azure plan has no quantity to change."), code="quantity")
            if not 1 <= quantity <= MAX_QUANTITY:
                raise ServiceError(_quantity_range(), code="quantity")
            events.append(
                (AuditAction.SUBSCRIPTION_CHANGED, {"from": subscription.quantity, "to": quantity})
            )
            subscription.quantity = quantity
        if status is not None and status != subscription.status:
            action = (
                AuditAction.SUBSCRIPTION_SUSPENDED
                if status == SubscriptionStatus.SUSPENDED
                else AuditAction.SUBSCRIPTION_REACTIVATED
            )
            events.append((action, {}))
            subscription.status = status
        if events:
            subscription.updated_at = timezone.now()
            subscription.save(update_fields=["quantity", "status", "updated_at"])
        for action, details in events:
            audit(
                action=action,
                actor=changed_by,
                actor_tenant=partner,
                partner=partner,
                customer=subscription.customer,
                details={
                    "offer": subscription.offer.name,
                    "subscription": str(subscription.id),
                    **details,
                },
            )
    return subscription
