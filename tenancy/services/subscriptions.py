"""Subscriptions a partner buys for a customer, and changing or suspending them."""

from dataclasses import dataclass, replace

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from tenancy import rules, selectors
from tenancy.choices import AuditAction, SubscriptionStatus
from tenancy.effects.record import record
from tenancy.models import (
    AdminRelationship,
    AgreementAcceptance,
    Membership,
    Offer,
    ResellerRelationship,
    Subscription,
    Tenant,
)
from tenancy.rules import Action, Decision
from tenancy.selectors.access_trace import AccessPath, agent_roles
from tenancy.services.admin_relationships import agent_roles_in
from tenancy.services.base import ServiceError, acting_member
from tenancy.services.partnerships import partnership_decision
from tenancy.services.relationships import active_reseller_relationship
from tenancy.text import number

MAX_QUANTITY = 10_000


def _quantity_range() -> str:
    return _("Choose a quantity from 1 to %(max)s.") % {"max": number(MAX_QUANTITY)}


@dataclass(frozen=True)
class Standing:
    """What a partner, and one of its agents, has with a customer: what the purchase and
    subscription decisions read. The customer page reads it once and shows it too."""

    reseller: ResellerRelationship | None  # the latest, active or ended
    admin_relationships: list[AdminRelationship]
    agreement: AgreementAcceptance | None  # the latest acceptance
    agent_roles: frozenset[str]

    @property
    def active_reseller(self) -> ResellerRelationship | None:
        return self.reseller if self.reseller is not None and self.reseller.is_active else None

    @property
    def has_admin(self) -> bool:
        return any(relationship.is_in_force() for relationship in self.admin_relationships)

    @property
    def has_current_agreement(self) -> bool:
        return self.agreement is not None and self.agreement.is_current


def customer_standing(
    membership: Membership,
    customer: Tenant,
    access: list[AccessPath] | None = None,
    agreements: list[AgreementAcceptance] | None = None,
) -> Standing:
    """`access`: every agent's access paths in `customer` (access_trace.access_paths), when
    the caller has read them (the customer page shows them): the agent's roles are its own
    among them, not read again. `agreements`: the customer's acceptances, when the caller has
    read them all."""
    partner = membership.tenant
    admins = list(
        AdminRelationship.objects.filter(partner=partner, customer=customer).order_by("-created_at")
    )
    standing = Standing(
        reseller=ResellerRelationship.objects.between(partner, customer)
        .select_related("indirect_provider")
        .order_by("-created_at")
        .first(),
        admin_relationships=admins,
        agreement=selectors.latest_agreement(customer, read=agreements),
        agent_roles=frozenset(),
    )
    if standing.has_admin:
        roles = (
            agent_roles_in(membership, customer)
            if access is None
            else agent_roles(access, membership)
        )
        standing = replace(standing, agent_roles=roles)
    return standing


def subscription_purchase_decision(
    *,
    partner: Tenant,
    customer: Tenant,
    lock: bool = False,
    standing: Standing | None = None,
) -> Decision:
    """May `partner` buy for `customer` now? The active reseller relationship (locked with
    `lock`, the lock reseller_relationship_end takes) and the customer's acceptance of the
    current Customer Agreement; an indirect reseller never buys, its provider does. The customer
    page asks it with the standing it read."""
    if standing is None:
        relationship = active_reseller_relationship(partner, customer, lock=lock)
        agreement = selectors.latest_agreement(customer)
    else:
        relationship, agreement = standing.active_reseller, standing.agreement
    return rules.may_purchase(
        has_reseller_relationship=relationship is not None,
        has_current_agreement=agreement is not None and agreement.is_current,
        indirect_provider=relationship.indirect_provider if relationship else None,
    )


def subscription_purchase(
    *,
    partner: Tenant,
    customer: Tenant,
    offer: Offer,
    quantity: int,
    purchased_by,
    indirect_reseller: Tenant | None = None,
    now=None,
) -> Subscription:
    """`partner` buys for `customer`; an indirect provider may buy on behalf of an indirect
    reseller that serves the customer through it (the subscription records both). `now`: when
    (the demo data's history)."""
    if offer.is_azure and quantity != 1:
        raise ServiceError(_("An Azure plan is bought once; its quantity is 1."), code="quantity")
    if not 1 <= quantity <= MAX_QUANTITY:
        raise ServiceError(_quantity_range(), code="quantity")
    acting_member(purchased_by, partner, Action.PURCHASE)
    with transaction.atomic():
        decision = subscription_purchase_decision(partner=partner, customer=customer, lock=True)
        if not decision:
            raise ServiceError(decision.reason, code=decision.code)
        if indirect_reseller is not None:
            _check_on_behalf(partner, indirect_reseller, customer)
        now = now or timezone.now()
        subscription = Subscription.objects.create(
            partner=partner,
            customer=customer,
            offer=offer,
            quantity=quantity,
            indirect_reseller=indirect_reseller,
            created_by=purchased_by,
            created_at=now,
            updated_at=now,
        )
        record(
            AuditAction.SUBSCRIPTION_PURCHASED,
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
            subject=subscription,
            at=now,
        )
        if indirect_reseller is not None:
            record(
                AuditAction.SUBSCRIPTION_PURCHASED,
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
                at=now,
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


def subscription_manage_decisions(
    subscriptions, *, membership: Membership, customer: Tenant, standing: Standing | None = None
) -> dict:
    """subscription id → may this agent change or suspend it? Its partner's relationships with
    the customer, and the Entra roles the agent's security groups hold there, decide; they are
    read once for all the customer's subscriptions (the customer page shows a row for each)."""
    partner = membership.tenant
    standing = standing or customer_standing(membership, customer)
    has_reseller = standing.active_reseller is not None
    decisions = {}
    for subscription in subscriptions:
        # The indirect reseller a provider bought for sees the subscription as its own sale,
        # but it provisioned nothing: it manages only through an admin relationship's roles.
        bought = subscription.partner_id == partner.pk
        decisions[subscription.pk] = rules.may_manage_subscription(
            is_azure_plan=subscription.offer.is_azure,
            provisioned_by_partner=bought or subscription.indirect_reseller_id == partner.pk,
            has_reseller_relationship=bought and has_reseller,
            has_admin_relationship=standing.has_admin,
            agent_roles=standing.agent_roles,
        )
    return decisions


def subscription_manage_decision(*, subscription: Subscription, membership: Membership) -> Decision:
    """May this agent change or suspend the subscription?"""
    return subscription_manage_decisions(
        [subscription], membership=membership, customer=subscription.customer
    )[subscription.pk]


def subscription_update(
    *,
    subscription: Subscription,
    membership: Membership,
    quantity: int | None = None,
    status: SubscriptionStatus | None = None,
) -> Subscription:
    partner, changed_by = membership.tenant, membership.user
    acting_member(changed_by, partner, Action.MANAGE_SUBSCRIPTION)
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
            record(
                action,
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
