"""Subscriptions a partner buys for a customer, and changing or suspending them."""

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

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

MAX_QUANTITY = 10_000


def subscription_purchase(
    *, partner: Tenant, customer: Tenant, offer: Offer, quantity: int, purchased_by
) -> Subscription:
    if offer.is_azure and quantity != 1:
        raise ServiceError("An Azure plan is bought once; its quantity is 1.", code="quantity")
    if not 1 <= quantity <= MAX_QUANTITY:
        raise ServiceError(f"Choose a quantity from 1 to {MAX_QUANTITY:,}.", code="quantity")
    with transaction.atomic():
        # The same lock reseller_relationship_end takes (see there).
        relationship = (
            ResellerRelationship.objects.select_for_update().active().between(partner, customer)
        ).first()
        decision = rules.may_purchase(
            has_reseller_relationship=relationship is not None,
            has_current_agreement=customer.has_current_agreement(),
        )
        if not decision:
            raise ServiceError(decision.reason, code=decision.code)
        subscription = Subscription.objects.create(
            partner=partner,
            customer=customer,
            offer=offer,
            quantity=quantity,
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
            },
        )
    return subscription


def subscription_manage_decision(
    *, subscription: Subscription, membership: Membership
) -> rules.Decision:
    """May this agent change or suspend the subscription? Its partner's relationships with the
    customer, and the Entra roles the agent's security groups hold there, decide."""
    partner = membership.tenant
    customer = subscription.customer
    pair = Q(partner=partner, customer=customer)
    return rules.may_manage_subscription(
        is_azure_plan=subscription.offer.is_azure,
        provisioned_by_partner=subscription.partner_id == partner.pk,
        has_reseller_relationship=ResellerRelationship.objects.active().filter(pair).exists(),
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
                raise ServiceError("An Azure plan has no quantity to change.", code="quantity")
            if not 1 <= quantity <= MAX_QUANTITY:
                raise ServiceError(
                    f"Choose a quantity from 1 to {MAX_QUANTITY:,}.", code="quantity"
                )
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
