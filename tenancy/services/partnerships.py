"""Two-tier partnerships: an indirect provider asks an indirect reseller, the reseller's Global
admin answers, and either side removes it. Each write is one transaction, audited on both
sides (each partner's activity log shows it)."""

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from tenancy import rules
from tenancy.choices import AuditAction, PartnershipStatus
from tenancy.effects.record import record
from tenancy.models import Partnership, ResellerRelationship, Subscription, Tenant
from tenancy.rules import Action, Decision
from tenancy.services.base import ServiceError, acting_member
from tenancy.text import day


def _record_both(partnership: Partnership, action: AuditAction, *, actor, actor_tenant, **details):
    for partner in (partnership.provider, partnership.reseller):
        record(
            action,
            actor=actor,
            actor_tenant=actor_tenant,
            partner=partner,
            details={
                "partnership": partnership.pk,
                "provider": partnership.provider.name,
                "reseller": partnership.reseller.name,
                **details,
            },
        )


def partnership_decision(provider: Tenant, reseller: Tenant, *, lock: bool = False):
    """Is the pair's partnership in force, so that the reseller can sell through the provider?
    `lock`: take the partnership's row lock, as Remove partnership does, so that what is decided
    here cannot change before the caller's transaction commits."""
    partnerships = Partnership.objects.open().filter(provider=provider, reseller=reseller)
    if lock:
        partnerships = partnerships.select_for_update()
    status = partnerships.values_list("status", flat=True).first()
    return rules.partnership_in_force(status or "", provider=provider, reseller=reseller)


def partnership_request_decision(provider: Tenant, reseller: Tenant) -> Decision:
    """May the provider ask this reseller now? The rule (roles, cloud, market), and no
    partnership or request between them already. Pages ask before they offer the button;
    `partnership_request` asks again under its lock."""
    decision = rules.may_partner(provider, reseller)
    if not decision:
        return decision
    existing = Partnership.objects.open().filter(provider=provider, reseller=reseller).first()
    if existing is None:
        return rules.ALLOWED
    if existing.is_active:
        return rules.Decision(
            False,
            _("%(reseller)s is already your indirect reseller.") % {"reseller": reseller.name},
            "exists",
        )
    return rules.Decision(
        False,
        _(
            "You already asked %(reseller)s to partner on %(date)s; their Global admin hasn't "
            "answered yet."
        )
        % {"reseller": reseller.name, "date": day(existing.requested_at)},
        "exists",
    )


def partnership_request(*, provider: Tenant, reseller: Tenant, requested_by) -> Partnership:
    """The provider asks the reseller to partner. Refused across clouds or markets, to anyone
    but an indirect reseller, and while the pair has a partnership or a request already."""
    acting_member(requested_by, provider, Action.MANAGE_PARTNERSHIPS)
    with transaction.atomic():
        # The provider's row lock: two requests to one reseller at once are made one by one,
        # and the second finds the first.
        Tenant.objects.select_for_update().filter(pk=provider.pk).first()
        decision = partnership_request_decision(provider, reseller)
        if not decision:
            raise ServiceError(decision.reason, code=decision.code)
        partnership = Partnership.objects.create(
            provider=provider, reseller=reseller, requested_by=requested_by
        )
        _record_both(
            partnership,
            AuditAction.PARTNERSHIP_REQUESTED,
            actor=requested_by,
            actor_tenant=provider,
        )
    return partnership


def _locked(partnership: Partnership) -> Partnership:
    return (
        Partnership.objects.select_for_update(of=("self",))
        .select_related("provider__country__market", "reseller__country__market")
        .get(pk=partnership.pk)
    )


def partnership_answer(*, partnership: Partnership, answered_by, accept: bool) -> Partnership:
    """The reseller's Global admin accepts or declines a pending request."""
    acting_member(answered_by, partnership.reseller, Action.MANAGE_PARTNERSHIPS)
    with transaction.atomic():
        partnership = _locked(partnership)
        if not partnership.is_pending:
            raise ServiceError(_answered(partnership), code="answered")
        if accept:
            # Re-checked: a partner may have moved cloud or market since the request.
            decision = rules.may_partner(partnership.provider, partnership.reseller)
            if not decision:
                raise ServiceError(decision.reason, code=decision.code)
        partnership.status = PartnershipStatus.ACTIVE if accept else PartnershipStatus.DECLINED
        partnership.answered_at = timezone.now()
        partnership.answered_by = answered_by
        partnership.save(update_fields=["status", "answered_at", "answered_by"])
        _record_both(
            partnership,
            AuditAction.PARTNERSHIP_ACCEPTED if accept else AuditAction.PARTNERSHIP_DECLINED,
            actor=answered_by,
            actor_tenant=partnership.reseller,
        )
    return partnership


def _answered(partnership: Partnership) -> str:
    """Why a request that is no longer pending can't be answered."""
    params = {"provider": partnership.provider.name}
    if partnership.status == PartnershipStatus.ACTIVE:
        return _("This request from %(provider)s was already active.") % params
    if partnership.status == PartnershipStatus.DECLINED:
        return _("This request from %(provider)s was already declined.") % params
    return _("This request from %(provider)s was already removed.") % params


def partnership_active_subscriptions(partnership: Partnership) -> int:
    """Active subscriptions the provider bought on the reseller's behalf."""
    return (
        Subscription.objects.active()
        .filter(partner=partnership.provider_id, indirect_reseller=partnership.reseller_id)
        .count()
    )


def partnership_remove_decision(partnership: Partnership, *, by: Tenant) -> Decision:
    """May `by` (either side) remove the partnership now? A reseller answers a pending request
    rather than removing it; an ended one is gone; and none while subscriptions the provider
    bought on the reseller's behalf are active (customers they share would be left mid-sale)."""
    if partnership.status not in (PartnershipStatus.PENDING, PartnershipStatus.ACTIVE):
        return Decision(False, _("This partnership has already ended."), "ended")
    if partnership.is_pending and by.pk == partnership.reseller_id:
        return Decision(
            False,
            # Translators: %(provider)s is a company name.
            _("%(provider)s's request isn't a partnership yet: accept or decline it here.")
            % {"provider": partnership.provider.name},
            "pending",
        )
    return rules.may_remove_partnership(
        provider=partnership.provider,
        reseller=partnership.reseller,
        active_subscriptions=partnership_active_subscriptions(partnership),
    )


def partnership_remove(*, partnership: Partnership, removed_by, by: Tenant) -> Partnership:
    """Either side ends the partnership (or the provider withdraws its request). Refused while
    subscriptions bought through it are active. The reseller's links to the customers it served
    through this provider end with it; the provider stays those customers' reseller."""
    acting_member(removed_by, by, Action.MANAGE_PARTNERSHIPS)
    with transaction.atomic():
        # The partnership row is locked first: an acceptance of a two-tier request locks it too,
        # so the two run one after the other.
        partnership = _locked(partnership)
        decision = partnership_remove_decision(partnership, by=by)
        if not decision:
            raise ServiceError(decision.reason, code=decision.code)
        now = timezone.now()
        links = list(
            ResellerRelationship.objects.select_for_update()
            .active()
            .filter(partner=partnership.reseller, indirect_provider=partnership.provider)
            .select_related("customer")
        )
        partnership.status = PartnershipStatus.REMOVED
        partnership.ended_at = now
        partnership.ended_by = removed_by
        partnership.ended_by_tenant = by
        partnership.save(update_fields=["status", "ended_at", "ended_by", "ended_by_tenant"])
        _record_both(
            partnership,
            AuditAction.PARTNERSHIP_REMOVED,
            actor=removed_by,
            actor_tenant=by,
            customers=len(links),
        )
        for link in links:
            link.end(by=removed_by)
            record(
                AuditAction.RESELLER_ENDED,
                actor=removed_by,
                actor_tenant=by,
                partner=partnership.reseller,
                customer=link.customer,
                details={
                    "indirect_provider": partnership.provider.name,
                    "partnership_removed": True,
                },
            )
    return partnership
