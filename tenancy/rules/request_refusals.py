"""Why a partner's request can't be answered here: one rule for every kind of request link.

A kind of request (tenancy.services.request_links) describes one of its requests as `RequestFacts`
and the person answering as a `Viewer`; the functions here say, in order, what stands in the way,
as a `Refusal`: a code (what the audit line keeps, with its facts), and the reason as a sentence
in the reader's language. The admin center words the rest of the page (title, advice, status).

Where the two kinds of today say a thing differently, the sentence depends on `kind`
("reseller", "admin"); another kind reads the general sentence.
"""

from dataclasses import dataclass, field
from enum import StrEnum

from django.utils.translation import gettext as _

from tenancy.choices import Cloud
from tenancy.models import Membership, Tenant
from tenancy.portals import admin_portal_for
from tenancy.rules.decisions import Decision
from tenancy.rules.permissions import Action, denial_message, may
from tenancy.text import day, possessive

RESELLER, ADMIN = "reseller", "admin"


class Stage(StrEnum):
    DRAFT = "draft"  # not sent yet: its link leads nowhere
    WAITING = "waiting"
    ANSWERED = "answered"
    WITHDRAWN = "withdrawn"
    EXPIRED = "expired"


@dataclass(frozen=True)
class RequestFacts:
    """What the rule needs to know of one request."""

    partner: Tenant
    stage: Stage
    # Answered: declined (else accepted or approved), by which organization, who and when.
    declined: bool = False
    answered_tenant_id: object = None
    answered_by: str = ""
    answered_at: object = None
    withdrawn_at: object = None
    expires_at: object = None
    # A request made for one organization only.
    intended: Tenant | None = None
    # An admin relationship's name, for the sentences that name it.
    name: str = ""


@dataclass(frozen=True)
class Viewer:
    """The person answering, in the portal they opened the request in."""

    membership: Membership | None
    portal_cloud: str

    @property
    def organization(self) -> Tenant | None:
        return self.membership.tenant if self.membership else None

    @property
    def customer(self) -> Tenant | None:
        """Their organization, if it is a customer's."""
        tenant = self.organization
        return tenant if tenant is not None and tenant.is_customer else None


@dataclass(frozen=True)
class Refusal:
    """Why this person can't answer this request here: a code, the reason, and the facts the
    admin center words the page with (names, dates)."""

    code: str
    message: str
    params: dict = field(default_factory=dict)

    def recorded(self) -> dict:
        """What the audit line keeps: the code and the facts, never a sentence."""
        facts = {
            key: value.isoformat() if hasattr(value, "isoformat") else value
            for key, value in self.params.items()
            if value is None
            or isinstance(value, str | int | float | bool)
            or hasattr(value, "isoformat")
        }
        return {"reason": self.code, "params": facts}


# --- Before anyone signs in --------------------------------------------------------------------


def unknown_link() -> Refusal:
    return Refusal(
        "unknown", _("The link is incomplete, or it isn't a partner's relationship request.")
    )


def not_opened() -> Refusal:
    return Refusal(
        "not_opened",
        _(
            "This page shows a partner's request only in the browser that opened the request's "
            "link, and the link hasn't been opened here (or you signed out since)."
        ),
    )


def changed_link(partner: Tenant, *, named: bool, expected: bool) -> Refusal:
    """A two-tier link whose indirect provider isn't the request's: `named` the link names one,
    `expected` the request has one."""
    params = {"partner": partner.name, "partner_possessive": possessive(partner.name)}
    if named and expected:
        # Translators: %(partner_possessive)s is the partner's name (in English with "'s").
        message = _(
            "The link names a different indirect provider from the one in "
            "%(partner_possessive)s request, so it may have been altered after it was sent. "
            "Nothing was recorded."
        )
    elif expected:
        # Translators: %(partner_possessive)s is the partner's name (in English with "'s").
        message = _(
            "The link leaves out the indirect provider that %(partner_possessive)s request names, "
            "so it may have been altered after it was sent. Nothing was recorded."
        )
    else:
        # Translators: %(partner_possessive)s is the partner's name (in English with "'s").
        message = _(
            "The link names an indirect provider, and %(partner_possessive)s request has none, so "
            "it may have been altered after it was sent. Nothing was recorded."
        )
    return Refusal("changed_link", message % params, params)


def wrong_portal(partner: Tenant, kind: str) -> Refusal:
    portal = admin_portal_for(partner.cloud)
    params = {"portal": portal.name, "partner": partner.name, "cloud": Cloud(partner.cloud).label}
    if kind == ADMIN:
        message = _(
            "%(partner)s works in %(cloud)s, so its admin relationship requests are answered in "
            "the %(portal)s, not here."
        )
    else:
        message = _(
            "%(partner)s works in %(cloud)s, so its requests are answered in the %(portal)s, "
            "not here."
        )
    return Refusal("wrong_portal", message % params, params)


# --- The request's own state -------------------------------------------------------------------


def state_refusal(facts: RequestFacts, viewer: Viewer, kind: str) -> Refusal | None:
    """The portal, then whether the request can still be answered at all."""
    partner = facts.partner
    if partner.cloud != viewer.portal_cloud:
        return wrong_portal(partner, kind)
    if facts.stage == Stage.DRAFT:
        return unknown_link()
    if facts.stage == Stage.WITHDRAWN:
        params = {"partner": partner.name, "date": facts.withdrawn_at}
        if kind == RESELLER:
            message = _("%(partner)s revoked this request on %(date)s.")
        elif kind == ADMIN:
            message = _("%(partner)s withdrew this admin relationship request on %(date)s.")
        else:
            message = _("%(partner)s withdrew this request on %(date)s.")
        code = "revoked" if kind == RESELLER else "withdrawn"
        return Refusal(code, message % _worded(params), params)
    if facts.stage == Stage.ANSWERED:
        return _answered(facts, viewer.organization, kind)
    if facts.stage == Stage.EXPIRED:
        params = {"partner": partner.name, "date": facts.expires_at}
        if kind == ADMIN:
            message = _(
                "The admin relationship request from %(partner)s expired on %(date)s, unanswered."
            )
        else:
            message = _("The request from %(partner)s expired on %(date)s.")
        return Refusal("expired", message % _worded(params), params)
    return None


def _worded(params: dict) -> dict:
    """The params with their dates as a person reads them."""
    return {key: day(value) if key == "date" else value for key, value in params.items()}


def _answered(facts: RequestFacts, organization: Tenant | None, kind: str) -> Refusal:
    """Accepted (approved) or declined already: here, or by another organization."""
    partner, declined = facts.partner, facts.declined
    params = {"partner": partner.name, "date": facts.answered_at}
    if organization is not None and facts.answered_tenant_id == organization.pk:
        params |= {"user": facts.answered_by, "name": facts.name}
        if kind != ADMIN:
            message = (
                _("%(user)s declined this request from %(partner)s on %(date)s.")
                if declined
                else _("%(user)s accepted this request from %(partner)s on %(date)s.")
            )
        elif not facts.answered_by:
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
        return Refusal("answered_here", message % _worded(params), {**params, "declined": declined})
    if kind == ADMIN:
        message = (
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
    else:
        message = (
            _("This request from %(partner)s was declined by another organization on %(date)s.")
            if declined
            else _(
                "This request from %(partner)s was accepted by another organization on %(date)s."
            )
        )
    return Refusal("answered", message % _worded(params), {**params, "declined": declined})


# --- Who is answering ----------------------------------------------------------------------------


def viewer_refusal(facts: RequestFacts, viewer: Viewer, kind: str) -> Refusal | None:
    """A customer's administrator answers, and for a request made for one organization, only
    that one's."""
    organization, customer = viewer.organization, viewer.customer
    if customer is None:
        return Refusal(
            "not_customer",
            _not_a_customer(organization, kind),
            {"organization": organization.name if organization else ""},
        )
    intended = facts.intended
    if intended is not None and intended.pk != customer.pk:
        params = {
            "partner": facts.partner.name,
            "intended": intended.name,
            "customer": customer.name,
            "customer_possessive": possessive(customer.name),
        }
        if kind == ADMIN:
            message = _(
                "%(partner)s made this admin relationship request for %(intended)s, not for "
                "%(customer)s."
            )
        else:
            message = _("%(partner)s made this request for %(intended)s, not for %(customer)s.")
        return Refusal("other_customer", message % params, params)
    return None


def _not_a_customer(organization: Tenant | None, kind: str) -> str:
    if organization is None:
        if kind == ADMIN:
            return _(
                "The account you signed in with belongs to no organization. An admin "
                "relationship request is approved by a Global administrator or a Delegated Admin "
                "Relationship Administrator of the customer's organization."
            )
        return _(
            "The account you signed in with belongs to no organization. A reseller relationship "
            "request is accepted by an administrator of the customer's organization."
        )
    params = {"organization": organization.name}
    if kind == ADMIN:
        return (
            _(
                "The account you signed in with belongs to %(organization)s, a partner "
                "organization. An admin relationship request is approved by a Global administrator "
                "or a Delegated Admin Relationship Administrator of the customer's organization."
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


def eligibility_refusal(decision: Decision, *, partner: Tenant, customer: Tenant) -> Refusal | None:
    """The partner may not serve this customer (another cloud, another market)."""
    if decision:
        return None
    return Refusal(
        decision.code,
        decision.reason,
        {
            "partner": partner.name,
            "customer_country": customer.country_id,
            "customer_cloud": customer.cloud,
        },
    )


def role_refusal(viewer: Viewer, action: Action, kind: str) -> Refusal | None:
    """The member's role must allow the answer."""
    membership = viewer.membership
    if may(membership.roles, action):
        return None
    message = denial_message(action)
    if kind == ADMIN:
        message = _signed_in_as(membership, viewer.customer, message)
    return Refusal("role", message, {"action": str(action)})


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


# --- What only a reseller request asks ------------------------------------------------------------


def partnership_refusal(decision: Decision, *, partner: Tenant, provider: Tenant) -> Refusal | None:
    """A two-tier request is answered only while the reseller and its provider partner."""
    if decision:
        return None
    params = {"reason": decision.reason, "provider": provider.name, "partner": partner.name}
    return Refusal(
        "partnership",
        _(
            # Translators: %(reason)s is a sentence that says why ("Proseware and Tailwind
            # no longer partner: ...").
            "%(reason)s The request named %(provider)s as the indirect provider your "
            "organization would buy through, so nothing can be accepted from it."
        )
        % params,
        {"provider": provider.name, "partner": partner.name},
    )


@dataclass(frozen=True)
class ResellerNow:
    """The partner's active reseller relationship with the customer, as it stands."""

    since: object
    through: Tenant | None  # the indirect provider it serves the customer through, if any


def existing_reseller_refusal(
    *,
    partner: Tenant,
    provider: Tenant | None,
    now: ResellerNow | None,
    adds_admin_roles: bool,
) -> Refusal | None:
    """Already this partner's customer: nothing to accept, unless the request adds admin roles;
    an indirect reseller serves a customer through one provider at a time."""
    if now is None:
        return None
    params = {"partner": partner.name, "date": now.since}
    if provider is not None:
        params["provider"] = provider.name
        if now.through is not None and now.through.pk != provider.pk:
            params["through"] = now.through.name
            return Refusal(
                "other_provider",
                _(
                    "%(partner)s has been your organization's indirect reseller through "
                    "%(through)s since %(date)s. An indirect reseller serves a customer through "
                    "one indirect provider at a time. Nothing was changed."
                )
                % _worded(params),
                params,
            )
        if not adds_admin_roles:
            return Refusal(
                "already_reseller",
                _(
                    "%(partner)s has been your organization's indirect reseller through "
                    "%(provider)s since %(date)s. Nothing was changed."
                )
                % _worded(params),
                {**params, "indirect": True},
            )
        return None
    if adds_admin_roles:
        return None
    return Refusal(
        "already_reseller",
        _("%(partner)s has been your organization's reseller since %(date)s. Nothing was changed.")
        % _worded(params),
        params,
    )
