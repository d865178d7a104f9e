"""Why a relationship request can't be answered, in words for the customer's administrator.

Policy and wording, not writes: the pages show a Refusal as it is, the answering services raise
it (InvitationRefused), and `invitation_record_refusal` keeps one audit line per reason.
"""

from dataclasses import dataclass

from tenancy import rules
from tenancy.models import (
    AdminRelationship,
    AdminRelationshipStatus,
    AuditAction,
    AuditEvent,
    Cloud,
    Invitation,
    InvitationStatus,
    Membership,
    ResellerRelationship,
    Tenant,
)
from tenancy.portals import admin_portal_for
from tenancy.services.base import ServiceError, audit
from tenancy.services.partnerships import partnership_decision
from tenancy.text import day
from tenancy.text import possessive as possessive_name


@dataclass(frozen=True)
class Refusal:
    """Why a request cannot be answered here, worded for the customer's administrator."""

    code: str
    title: str
    message: str
    advice: str
    status: int


class InvitationRefused(ServiceError):
    def __init__(self, refusal: Refusal):
        super().__init__(refusal.message, code=refusal.code)
        self.refusal = refusal


def unknown_link_refusal() -> Refusal:
    return Refusal(
        "unknown",
        "This link doesn't work",
        "The link is incomplete, or it isn't a partner's relationship request.",
        "Copy the whole link from the partner's email into the address bar, or ask the partner "
        "for a new request.",
        404,
    )


def not_opened_refusal() -> Refusal:
    return Refusal(
        "not_opened",
        "Open the request from its link",
        "This page shows a partner's request only in the browser that opened the request's "
        "link, and the link hasn't been opened here (or you signed out since).",
        "Open the link in the partner's email again.",
        404,
    )


def changed_link_refusal(invitation: Invitation) -> Refusal:
    partner = invitation.partner
    return Refusal(
        "changed_link",
        "This link was changed",
        "The link names a different indirect provider from the one in "
        f"{possessive_name(partner.name)} request, so it may have been altered after it was "
        "sent. Nothing was recorded.",
        f"Open the link exactly as {partner.name} sent it, or ask them for a new request.",
        400,
    )


def wrong_portal_refusal(invitation: Invitation) -> Refusal:
    portal = admin_portal_for(invitation.partner.cloud)
    return Refusal(
        "wrong_portal",
        f"Open this request in the {portal.name}",
        f"{invitation.partner.name} works in {Cloud(invitation.partner.cloud).label}, so its "
        f"requests are answered in the {portal.name}, not here.",
        f"Open the link exactly as the partner sent it; it leads to the {portal.name}.",
        400,
    )


def invitation_refusal(
    *, invitation: Invitation, membership: Membership | None, portal_cloud: str
) -> Refusal | None:
    """Every reason this member cannot answer this request in this portal, first one wins."""
    partner = invitation.partner
    if partner.cloud != portal_cloud:
        return wrong_portal_refusal(invitation)
    if invitation.status == InvitationStatus.REVOKED:
        return Refusal(
            "revoked",
            "This request was withdrawn",
            f"{partner.name} revoked this request on {day(invitation.revoked_at)}.",
            f"If you still want {partner.name} as your reseller, ask them for a new request.",
            410,
        )
    customer = membership.tenant if membership else None
    if invitation.status in (InvitationStatus.ACCEPTED, InvitationStatus.DECLINED):
        answer = InvitationStatus(invitation.status).label.lower()
        if customer is not None and invitation.answered_tenant_id == customer.pk:
            return Refusal(
                "answered_here",
                f"Your organization already {answer} this request",
                f"{invitation.answered_by.get_username()} {answer} this request from "
                f"{partner.name} on {day(invitation.answered_at)}.",
                "A request is answered once. Your partners are listed on Partner relationships.",
                409,
            )
        return Refusal(
            "answered",
            "This request was already used",
            f"This request from {partner.name} was {answer} by another organization on "
            f"{day(invitation.answered_at)}.",
            f"A request is answered once. Ask {partner.name} for a request of your own.",
            409,
        )
    if invitation.is_expired():
        return Refusal(
            "expired",
            "This request has expired",
            f"The request from {partner.name} expired on {day(invitation.expires_at)}.",
            f"Ask {partner.name} to send you a new request.",
            410,
        )
    provider = invitation.indirect_provider
    if provider is not None:
        decision = partnership_decision(provider, partner)
        if not decision:
            return Refusal(
                "partnership",
                "This request can no longer be accepted",
                f"{decision.reason} The request named {provider.name} as the indirect provider "
                "your organization would buy through, so nothing can be accepted from it.",
                f"Ask {partner.name} for a new request. Nothing changed for your organization.",
                410,
            )
    if customer is None or not customer.is_customer:
        where = f"{customer.name}, a partner organization" if customer else "no organization"
        return Refusal(
            "not_customer",
            "Sign in as an administrator of your organization",
            f"The account you signed in with belongs to {where}. A reseller relationship "
            "request is accepted by an administrator of the customer's organization.",
            "Sign out, open the link from the partner's email again, and sign in with your "
            "organization's administrator account.",
            403,
        )
    decision = rules.may_resell(partner, customer)
    if decision and provider is not None:
        decision = rules.may_resell(provider, customer)
    if not decision:
        portal = admin_portal_for(customer.cloud)
        advice = {
            "cloud": f"Your organization answers requests in the {portal.name}. Ask a partner "
            f"in {Cloud(customer.cloud).label} for a request.",
            "market": f"Look for a partner in the {customer.country.market.name} market, or "
            f"ask {partner.name} whether they have a partner organization there.",
        }.get(decision.code, "")
        title = {"cloud": "This partner is in another cloud"}.get(
            decision.code, "This partner can't serve your country"
        )
        return Refusal(decision.code, title, decision.reason, advice, 403)
    action = rules.accept_action(invitation.include_admin)
    if not rules.may(membership.roles, action):
        return Refusal(
            "role",
            "Your role can't accept this request",
            rules.denial_message(action),
            f"Forward the partner's email to a Global administrator of {customer.name}; they "
            "open the link and sign in.",
            403,
        )
    reseller = (
        ResellerRelationship.objects.active()
        .between(partner, customer)
        .select_related("indirect_provider")
        .first()
    )
    if reseller is not None and provider is not None:
        through = reseller.indirect_provider
        if through is not None and through.pk != provider.pk:
            return Refusal(
                "other_provider",
                f"{partner.name} already serves you through {through.name}",
                f"{partner.name} has been your organization's indirect reseller through "
                f"{through.name} since {day(reseller.created_at)}. An indirect reseller serves "
                f"a customer through one indirect provider at a time. Nothing was changed.",
                f"If you want to buy through {provider.name} instead, {partner.name} ends the "
                "current arrangement first.",
                409,
            )
        if not _adds_admin_roles(invitation, customer):
            return Refusal(
                "already_reseller",
                f"{partner.name} is already your indirect reseller",
                f"{partner.name} has been your organization's indirect reseller through "
                f"{provider.name} since {day(reseller.created_at)}. Nothing was changed.",
                "Your partners and their roles are listed on Partner relationships.",
                409,
            )
    if reseller is not None and not _adds_admin_roles(invitation, customer):
        return Refusal(
            "already_reseller",
            f"{partner.name} is already your reseller",
            f"{partner.name} has been your organization's reseller since "
            f"{day(reseller.created_at)}. Nothing was changed.",
            "Your partners and their roles are listed on Partner relationships.",
            409,
        )
    return None


def _adds_admin_roles(invitation: Invitation, customer: Tenant) -> bool:
    return (
        invitation.include_admin
        and not AdminRelationship.objects.in_force()
        .filter(partner=invitation.partner, customer=customer)
        .exists()
    )


def invitation_record_refusal(
    *, invitation: Invitation, refusal: Refusal, user, membership: Membership | None
) -> None:
    """One audit line per organization and reason; repeated page loads add nothing."""
    if refusal.code in ("unknown", "answered_here", "already_reseller"):
        return
    customer = membership.tenant if membership and membership.tenant.is_customer else None
    seen = AuditEvent.objects.filter(
        action=AuditAction.INVITATION_REFUSED,
        invitation=invitation,
        customer=customer,
        details__reason=refusal.code,
    )
    if customer is None:
        seen = seen.filter(actor=user)
    if seen.exists():
        return
    audit(
        action=AuditAction.INVITATION_REFUSED,
        actor=user,
        actor_tenant=membership.tenant if membership else None,
        partner=invitation.partner,
        customer=customer,
        invitation=invitation,
        details={"reason": refusal.code, "message": refusal.message},
    )


# --- Admin relationship (GDAP) requests ------------------------------------------------------


def admin_wrong_portal_refusal(relationship: AdminRelationship) -> Refusal:
    portal = admin_portal_for(relationship.partner.cloud)
    return Refusal(
        "wrong_portal",
        f"Open this request in the {portal.name}",
        f"{relationship.partner.name} works in {Cloud(relationship.partner.cloud).label}, so "
        f"its admin relationship requests are answered in the {portal.name}, not here.",
        f"Open the link exactly as the partner sent it; it leads to the {portal.name}.",
        400,
    )


def admin_request_refusal(
    *, relationship: AdminRelationship, membership: Membership | None, portal_cloud: str
) -> Refusal | None:
    """Every reason this member cannot approve or decline this admin relationship request in
    this portal, the first one wins; None when they may."""
    S = AdminRelationshipStatus
    partner = relationship.partner
    if partner.cloud != portal_cloud:
        return admin_wrong_portal_refusal(relationship)
    if relationship.status == S.CREATED:
        return unknown_link_refusal()
    if relationship.status == S.WITHDRAWN:
        return Refusal(
            "withdrawn",
            "This request was withdrawn",
            f"{partner.name} withdrew this admin relationship request on "
            f"{day(relationship.closed_at)}.",
            f"If {partner.name} should still manage your services, ask them for a new request.",
            410,
        )
    customer = membership.tenant if membership else None
    if relationship.status in (S.ACTIVE, S.DECLINED, S.TERMINATED):
        answer = "declined" if relationship.status == S.DECLINED else "approved"
        when = relationship.closed_at if answer == "declined" else relationship.approved_at
        who = relationship.closed_by if answer == "declined" else relationship.approved_by
        if customer is not None and relationship.customer_id == customer.pk:
            return Refusal(
                "answered_here",
                f"Your organization already {answer} this request",
                f"{who.get_username() if who else 'An administrator'} {answer} the admin "
                f"relationship “{relationship.name}” from {partner.name} on {day(when)}.",
                "A request is answered once. Your partners' admin relationships are listed on "
                "Partner relationships.",
                409,
            )
        return Refusal(
            "answered",
            "This request was already answered",
            f"This admin relationship request from {partner.name} was {answer} by another "
            f"organization on {day(when)}.",
            f"A request is answered once. Ask {partner.name} for a request of your own.",
            409,
        )
    if relationship.display_status() == S.EXPIRED:
        return Refusal(
            "expired",
            "This request has expired",
            f"The admin relationship request from {partner.name} expired on "
            f"{day(relationship.request_expires_at())}, unanswered.",
            f"Ask {partner.name} to send you a new request.",
            410,
        )
    if customer is None or not customer.is_customer:
        where = f"{customer.name}, a partner organization" if customer else "no organization"
        return Refusal(
            "not_customer",
            "Sign in as an administrator of your organization",
            f"The account you signed in with belongs to {where}. An admin relationship "
            "request is approved by a Global administrator of the customer's organization.",
            "Sign out, open the link from the partner's email again, and sign in with your "
            "organization's Global administrator account.",
            403,
        )
    if relationship.customer_id is not None and relationship.customer_id != customer.pk:
        return Refusal(
            "other_customer",
            "This request is for another organization",
            f"{partner.name} made this admin relationship request for "
            f"{relationship.customer.name}, not for {customer.name}.",
            f"If {partner.name} should manage {possessive_name(customer.name)} services, ask "
            "them for a request of your own.",
            403,
        )
    decision = rules.may_administer(partner, customer)
    if not decision:
        portal = admin_portal_for(customer.cloud)
        return Refusal(
            decision.code,
            "This partner is in another cloud",
            decision.reason,
            f"Your organization answers requests in the {portal.name}. Ask a partner in "
            f"{Cloud(customer.cloud).label} for a request.",
            403,
        )
    action = rules.Action.APPROVE_ADMIN_RELATIONSHIP
    if not rules.may(membership.roles, action):
        return Refusal(
            "role",
            "Only a Global administrator can approve admin roles",
            f"{rules.denial_message(action)} You are signed in as "
            f"{' and '.join(membership.role_labels) or 'a user'} of {customer.name}.",
            f"Forward the partner's email to a Global administrator of {customer.name}; they "
            "open the link and sign in.",
            403,
        )
    return None
