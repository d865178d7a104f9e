"""Ending reseller relationships: never deleted, ended with who ended them. (Admin
relationships end in `admin_relationships`.)"""

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from tenancy import rules
from tenancy.choices import AuditAction
from tenancy.effects.record import record
from tenancy.models import ResellerRelationship, Subscription, Tenant
from tenancy.prepared import Prepared
from tenancy.rules import Action, Decision
from tenancy.services.base import ServiceError, acting_member


def active_reseller_relationship(partner: Tenant, customer: Tenant, *, lock: bool = False):
    """The pair's active reseller relationship (with its indirect provider), or None. `lock`:
    its row lock, which a purchase takes too, so a subscription cannot slip in between a check
    and the end."""
    if not lock:
        return _ACTIVE.first(partner=partner.pk, customer=customer.pk)
    return _active(partner, customer).select_for_update(of=("self",)).first()


def _active(partner, customer):
    return (
        ResellerRelationship.objects.active()
        .between(partner, customer)
        .select_related("indirect_provider")
    )


# Each view of a reseller request's page asks it (is the partner already the reseller?):
# compiled once (tenancy.prepared). The latest first, as `.first()` takes it.
_ACTIVE = Prepared(
    lambda partner, customer: _active(partner, customer).order_by("-created_at", "pk")[:1],
    partner=Tenant._meta.pk,
    customer=Tenant._meta.pk,
)


def reseller_relationship_end_decision(
    *, partner: Tenant, customer: Tenant, by: Tenant, lock: bool = False
) -> Decision:
    """May the pair's reseller relationship end now? There must be one, and none of the
    subscriptions the partner sold the customer (its own, or for an indirect reseller those its
    provider bought on its behalf) may be active. The End reseller relationship pages of both
    portals, the API and the service all ask this."""
    relationship = active_reseller_relationship(partner, customer, lock=lock)
    if relationship is None:
        if by.pk == partner.pk:
            reason = _("%(customer)s has no active reseller relationship with you.") % {
                "customer": customer.name
            }
        else:
            reason = _("There is no active reseller relationship to end.")
        return Decision(False, reason, "none")
    return rules.may_end_reseller(
        partner=partner,
        customer=customer,
        active_subscriptions=Subscription.objects.active()
        .sold_by(partner)
        .filter(customer=customer)
        .count(),
        indirect_provider=relationship.indirect_provider,
    )


def reseller_relationship_end(
    *, partner: Tenant, customer: Tenant, ended_by, by: Tenant, now=None
) -> None:
    """End the active reseller relationship; refused while the partner's subscriptions run.

    `by` is the tenant acting: the partner (Global admin) or the customer (Global administrator).
    `now`: when (the demo data's history).
    """
    acting_member(
        ended_by, by, Action.REMOVE_RESELLER if by.pk == partner.pk else Action.END_RESELLER
    )
    with transaction.atomic():
        decision = reseller_relationship_end_decision(
            partner=partner, customer=customer, by=by, lock=True
        )
        if not decision:
            raise ServiceError(decision.reason, code=decision.code)
        relationship = active_reseller_relationship(partner, customer)
        # The indirect resellers that serve the customer through this partner (an indirect
        # provider) lose the customer with it: nothing can be sold through a provider that no
        # longer resells.
        links = list(
            ResellerRelationship.objects.select_for_update()
            .active()
            .filter(indirect_provider=partner, customer=customer)
            .select_related("partner")
        )
        now = now or timezone.now()
        relationship.end(by=ended_by, at=now)
        record(
            AuditAction.RESELLER_ENDED,
            actor=ended_by,
            actor_tenant=by,
            partner=partner,
            customer=customer,
            at=now,
        )
        for link in links:
            link.end(by=ended_by, at=now)
            record(
                AuditAction.RESELLER_ENDED,
                actor=ended_by,
                actor_tenant=by,
                partner=link.partner,
                customer=customer,
                details={"indirect_provider": partner.name, "provider_ended": True},
                at=now,
            )
