"""Why a relationship request can't be answered, in words for the customer's administrator.

Policy and wording, not writes: the pages show a Refusal as it is (in the reader's language), the
answering services raise it (InvitationRefused), and `invitation_record_refusal` keeps one audit
line per reason (in English, as every audit line).
"""

import functools
from dataclasses import dataclass, replace

from django.utils import translation
from django.utils.translation import gettext as _

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
from tenancy.text import day, is_english, market_name, possessive


@dataclass(frozen=True)
class Refusal:
    """Why a request cannot be answered here, worded for the customer's administrator."""

    code: str
    title: str
    message: str
    advice: str
    status: int
    # The message in English when the refusal was worded in another language: the audit line
    # keeps it in English.
    english_message: str = ""

    @property
    def record(self) -> str:
        """The message as the audit trail keeps it (English)."""
        return self.english_message or self.message


def _recorded_in_english(build):
    """A refusal worded in the reader's language carries its message in English too, for the
    audit line."""

    @functools.wraps(build)
    def wrapper(**kwargs):
        refusal = build(**kwargs)
        if refusal is None or is_english():
            return refusal
        with translation.override("en"):
            english = build(**kwargs)
        return replace(refusal, english_message=english.message if english else "")

    return wrapper


def _possessive(name: str) -> str:
    """ "Contoso's" in English; in another language the plain name (its sentences carry their
    own possessive): msgfmt lets a translation use only the placeholders its msgid uses."""
    return possessive(name) if is_english() else name


class InvitationRefused(ServiceError):
    def __init__(self, refusal: Refusal):
        super().__init__(refusal.message, code=refusal.code)
        self.refusal = refusal


def unknown_link_refusal() -> Refusal:
    return Refusal(
        "unknown",
        _("This link doesn't work"),
        _("The link is incomplete, or it isn't a partner's relationship request."),
        _(
            "Copy the whole link from the partner's email into the address bar, or ask the "
            "partner for a new request."
        ),
        404,
    )


def not_opened_refusal() -> Refusal:
    return Refusal(
        "not_opened",
        _("Open the request from its link"),
        _(
            "This page shows a partner's request only in the browser that opened the request's "
            "link, and the link hasn't been opened here (or you signed out since)."
        ),
        _("Open the link in the partner's email again."),
        404,
    )


def changed_link_refusal(invitation: Invitation) -> Refusal:
    partner = invitation.partner
    params = {"partner": partner.name, "partner_possessive": _possessive(partner.name)}
    return Refusal(
        "changed_link",
        _("This link was changed"),
        _(
            # Translators: %(partner_possessive)s is the partner's name (in English with "'s").
            "The link names a different indirect provider from the one in "
            "%(partner_possessive)s request, so it may have been altered after it was sent. "
            "Nothing was recorded."
        )
        % params,
        _("Open the link exactly as %(partner)s sent it, or ask them for a new request.") % params,
        400,
    )


def wrong_portal_refusal(invitation: Invitation) -> Refusal:
    portal = admin_portal_for(invitation.partner.cloud)
    params = {
        "portal": portal.name,
        "partner": invitation.partner.name,
        "cloud": Cloud(invitation.partner.cloud).label,
    }
    return Refusal(
        "wrong_portal",
        # Translators: %(portal)s is "Microsoft 365 admin center" or "Microsoft Office Admin
        # portal".
        _("Open this request in the %(portal)s") % params,
        _(
            "%(partner)s works in %(cloud)s, so its requests are answered in the %(portal)s, "
            "not here."
        )
        % params,
        _("Open the link exactly as the partner sent it; it leads to the %(portal)s.") % params,
        400,
    )


def _answered_refusal(invitation: Invitation, customer: Tenant | None) -> Refusal:
    """The request was accepted or declined already: here, or by another organization."""
    accepted = invitation.status == InvitationStatus.ACCEPTED
    partner = invitation.partner
    params = {"partner": partner.name, "date": day(invitation.answered_at)}
    if customer is not None and invitation.answered_tenant_id == customer.pk:
        params["user"] = invitation.answered_by.get_username()
        return Refusal(
            "answered_here",
            _("Your organization already accepted this request")
            if accepted
            else _("Your organization already declined this request"),
            (
                _("%(user)s accepted this request from %(partner)s on %(date)s.")
                if accepted
                else _("%(user)s declined this request from %(partner)s on %(date)s.")
            )
            % params,
            _("A request is answered once. Your partners are listed on Partner relationships."),
            409,
        )
    return Refusal(
        "answered",
        _("This request was already used"),
        (
            _("This request from %(partner)s was accepted by another organization on %(date)s.")
            if accepted
            else _(
                "This request from %(partner)s was declined by another organization on %(date)s."
            )
        )
        % params,
        _("A request is answered once. Ask %(partner)s for a request of your own.") % params,
        409,
    )


def _not_a_customer_message(customer: Tenant | None, *, admin_relationship: bool) -> str:
    """The member who opened the request is not in a customer organization."""
    if customer is None:
        if admin_relationship:
            return _(
                "The account you signed in with belongs to no organization. An admin "
                "relationship request is approved by a Global administrator of the customer's "
                "organization."
            )
        return _(
            "The account you signed in with belongs to no organization. A reseller relationship "
            "request is accepted by an administrator of the customer's organization."
        )
    params = {"organization": customer.name}
    if admin_relationship:
        return (
            _(
                "The account you signed in with belongs to %(organization)s, a partner "
                "organization. An admin relationship request is approved by a Global administrator "
                "of the customer's organization."
            )
            % params
        )
    return (
        _(
            "The account you signed in with belongs to %(organization)s, a partner organization. A "
            "reseller relationship request is accepted by an administrator of the customer's "
            "organization."
        )
        % params
    )


@_recorded_in_english
def invitation_refusal(
    *, invitation: Invitation, membership: Membership | None, portal_cloud: str
) -> Refusal | None:
    """Every reason this member cannot answer this request in this portal, first one wins."""
    partner = invitation.partner
    if partner.cloud != portal_cloud:
        return wrong_portal_refusal(invitation)
    if invitation.status == InvitationStatus.REVOKED:
        params = {"partner": partner.name, "date": day(invitation.revoked_at)}
        return Refusal(
            "revoked",
            _("This request was withdrawn"),
            _("%(partner)s revoked this request on %(date)s.") % params,
            _("If you still want %(partner)s as your reseller, ask them for a new request.")
            % params,
            410,
        )
    customer = membership.tenant if membership else None
    if invitation.status in (InvitationStatus.ACCEPTED, InvitationStatus.DECLINED):
        return _answered_refusal(invitation, customer)
    if invitation.is_expired():
        params = {"partner": partner.name, "date": day(invitation.expires_at)}
        return Refusal(
            "expired",
            _("This request has expired"),
            _("The request from %(partner)s expired on %(date)s.") % params,
            _("Ask %(partner)s to send you a new request.") % params,
            410,
        )
    provider = invitation.indirect_provider
    if provider is not None:
        decision = partnership_decision(provider, partner)
        if not decision:
            return Refusal(
                "partnership",
                _("This request can no longer be accepted"),
                _(
                    # Translators: %(reason)s is a sentence that says why ("Proseware and Tailwind
                    # no longer partner: ...").
                    "%(reason)s The request named %(provider)s as the indirect provider your "
                    "organization would buy through, so nothing can be accepted from it."
                )
                % {"reason": decision.reason, "provider": provider.name},
                _("Ask %(partner)s for a new request. Nothing changed for your organization.")
                % {"partner": partner.name},
                410,
            )
    if customer is None or not customer.is_customer:
        return Refusal(
            "not_customer",
            _("Sign in as an administrator of your organization"),
            _not_a_customer_message(customer, admin_relationship=False),
            _(
                "Sign out, open the link from the partner's email again, and sign in with your "
                "organization's administrator account."
            ),
            403,
        )
    decision = rules.may_resell(partner, customer)
    if decision and provider is not None:
        decision = rules.may_resell(provider, customer)
    if not decision:
        if decision.code == "cloud":
            portal = admin_portal_for(customer.cloud)
            title = _("This partner is in another cloud")
            advice = _(
                "Your organization answers requests in the %(portal)s. Ask a partner in "
                "%(cloud)s for a request."
            ) % {"portal": portal.name, "cloud": Cloud(customer.cloud).label}
        else:
            title = _("This partner can't serve your country")
            advice = (
                _(
                    "Look for a partner in the %(market)s market, or ask %(partner)s whether "
                    "they have a partner organization there."
                )
                % {"market": market_name(customer.country.market), "partner": partner.name}
                if decision.code == "market"
                else ""
            )
        return Refusal(decision.code, title, decision.reason, advice, 403)
    action = rules.accept_action(invitation.include_admin)
    if not rules.may(membership.roles, action):
        return Refusal(
            "role",
            _("Your role can't accept this request"),
            rules.denial_message(action),
            _(
                "Forward the partner's email to a Global administrator of %(customer)s; they "
                "open the link and sign in."
            )
            % {"customer": customer.name},
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
        params = {
            "partner": partner.name,
            "provider": provider.name,
            "date": day(reseller.created_at),
        }
        if through is not None and through.pk != provider.pk:
            params["through"] = through.name
            return Refusal(
                "other_provider",
                _("%(partner)s already serves you through %(through)s") % params,
                _(
                    "%(partner)s has been your organization's indirect reseller through "
                    "%(through)s since %(date)s. An indirect reseller serves a customer through "
                    "one indirect provider at a time. Nothing was changed."
                )
                % params,
                _(
                    "If you want to buy through %(provider)s instead, %(partner)s ends the "
                    "current arrangement first."
                )
                % params,
                409,
            )
        if not _adds_admin_roles(invitation, customer):
            return Refusal(
                "already_reseller",
                _("%(partner)s is already your indirect reseller") % params,
                _(
                    "%(partner)s has been your organization's indirect reseller through "
                    "%(provider)s since %(date)s. Nothing was changed."
                )
                % params,
                _("Your partners and their roles are listed on Partner relationships."),
                409,
            )
    if reseller is not None and not _adds_admin_roles(invitation, customer):
        params = {"partner": partner.name, "date": day(reseller.created_at)}
        return Refusal(
            "already_reseller",
            _("%(partner)s is already your reseller") % params,
            _(
                "%(partner)s has been your organization's reseller since %(date)s. Nothing was "
                "changed."
            )
            % params,
            _("Your partners and their roles are listed on Partner relationships."),
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
        details={"reason": refusal.code, "message": refusal.record},
    )


# --- Admin relationship (GDAP) requests ------------------------------------------------------


def admin_wrong_portal_refusal(relationship: AdminRelationship) -> Refusal:
    portal = admin_portal_for(relationship.partner.cloud)
    params = {
        "portal": portal.name,
        "partner": relationship.partner.name,
        "cloud": Cloud(relationship.partner.cloud).label,
    }
    return Refusal(
        "wrong_portal",
        # Translators: %(portal)s is "Microsoft 365 admin center" or "Microsoft Office Admin
        # portal".
        _("Open this request in the %(portal)s") % params,
        _(
            "%(partner)s works in %(cloud)s, so its admin relationship requests are answered in "
            "the %(portal)s, not here."
        )
        % params,
        _("Open the link exactly as the partner sent it; it leads to the %(portal)s.") % params,
        400,
    )


def _admin_answered_refusal(relationship: AdminRelationship, customer: Tenant | None) -> Refusal:
    """The admin relationship request was approved or declined already."""
    declined = relationship.status == AdminRelationshipStatus.DECLINED
    when = relationship.closed_at if declined else relationship.approved_at
    who = relationship.closed_by if declined else relationship.approved_by
    params = {"partner": relationship.partner.name, "date": day(when)}
    if customer is not None and relationship.customer_id == customer.pk:
        params |= {"name": relationship.name, "user": who.get_username() if who else ""}
        if who is None:
            message = (
                _(
                    "An administrator declined the admin relationship “%(name)s” from "
                    "%(partner)s on %(date)s."
                )
                if declined
                else _(
                    "An administrator approved the admin relationship “%(name)s” from "
                    "%(partner)s on %(date)s."
                )
            )
        else:
            message = (
                _(
                    "%(user)s declined the admin relationship “%(name)s” from %(partner)s on "
                    "%(date)s."
                )
                if declined
                else _(
                    "%(user)s approved the admin relationship “%(name)s” from %(partner)s on "
                    "%(date)s."
                )
            )
        return Refusal(
            "answered_here",
            _("Your organization already declined this request")
            if declined
            else _("Your organization already approved this request"),
            message % params,
            _(
                "A request is answered once. Your partners' admin relationships are listed on "
                "Partner relationships."
            ),
            409,
        )
    return Refusal(
        "answered",
        _("This request was already answered"),
        (
            _(
                "This admin relationship request from %(partner)s was declined by another "
                "organization on %(date)s."
            )
            if declined
            else _(
                "This admin relationship request from %(partner)s was approved by another "
                "organization on %(date)s."
            )
        )
        % params,
        _("A request is answered once. Ask %(partner)s for a request of your own.") % params,
        409,
    )


def _signed_in_as(membership: Membership, customer: Tenant, denial: str) -> str:
    """The denial, and the roles the member holds in the customer."""
    labels = membership.role_labels
    params = {"denial": denial, "customer": customer.name}
    if not labels:
        return _("%(denial)s You are signed in as a user of %(customer)s.") % params
    roles = labels[0]
    for label in labels[1:]:
        # Translators: joins the roles a user holds: "Global administrator and Billing
        # administrator".
        roles = _("%(roles)s and %(role)s") % {"roles": roles, "role": label}
    # Translators: %(denial)s is a sentence that says who may ("Only Global administrators can
    # ..."); %(roles)s the user's roles, "Billing administrator".
    return _("%(denial)s You are signed in as %(roles)s of %(customer)s.") % {
        **params,
        "roles": roles,
    }


@_recorded_in_english
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
        params = {"partner": partner.name, "date": day(relationship.closed_at)}
        return Refusal(
            "withdrawn",
            _("This request was withdrawn"),
            _("%(partner)s withdrew this admin relationship request on %(date)s.") % params,
            _("If %(partner)s should still manage your services, ask them for a new request.")
            % params,
            410,
        )
    customer = membership.tenant if membership else None
    if relationship.status in (S.ACTIVE, S.DECLINED, S.TERMINATED):
        return _admin_answered_refusal(relationship, customer)
    if relationship.display_status() == S.EXPIRED:
        params = {"partner": partner.name, "date": day(relationship.request_expires_at())}
        return Refusal(
            "expired",
            _("This request has expired"),
            _("The admin relationship request from %(partner)s expired on %(date)s, unanswered.")
            % params,
            _("Ask %(partner)s to send you a new request.") % params,
            410,
        )
    if customer is None or not customer.is_customer:
        return Refusal(
            "not_customer",
            _("Sign in as an administrator of your organization"),
            _not_a_customer_message(customer, admin_relationship=True),
            _(
                "Sign out, open the link from the partner's email again, and sign in with your "
                "organization's Global administrator account."
            ),
            403,
        )
    if relationship.customer_id is not None and relationship.customer_id != customer.pk:
        params = {
            "partner": partner.name,
            "intended": relationship.customer.name,
            "customer": customer.name,
            "customer_possessive": _possessive(customer.name),
        }
        return Refusal(
            "other_customer",
            _("This request is for another organization"),
            _(
                "%(partner)s made this admin relationship request for %(intended)s, not for "
                "%(customer)s."
            )
            % params,
            _(
                # Translators: %(customer_possessive)s is the organization's name (in English with
                # "'s").
                "If %(partner)s should manage %(customer_possessive)s services, ask them for a "
                "request of your own."
            )
            % params,
            403,
        )
    decision = rules.may_administer(partner, customer)
    if not decision:
        portal = admin_portal_for(customer.cloud)
        return Refusal(
            decision.code,
            _("This partner is in another cloud"),
            decision.reason,
            _(
                "Your organization answers requests in the %(portal)s. Ask a partner in "
                "%(cloud)s for a request."
            )
            % {"portal": portal.name, "cloud": Cloud(customer.cloud).label},
            403,
        )
    action = rules.Action.APPROVE_ADMIN_RELATIONSHIP
    if not rules.may(membership.roles, action):
        return Refusal(
            "role",
            _("Only a Global administrator can approve admin roles"),
            _signed_in_as(membership, customer, rules.denial_message(action)),
            _(
                "Forward the partner's email to a Global administrator of %(customer)s; they "
                "open the link and sign in."
            )
            % {"customer": customer.name},
            403,
        )
    return None
