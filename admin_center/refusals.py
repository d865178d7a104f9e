"""The page a refused request shows: its title, the reason (the rule's own sentence), what the
customer's administrator can do, and the HTTP status. The rule (tenancy.rules.request_refusals)
says why; this says it as a page of the admin center, for every kind of request.
"""

from dataclasses import dataclass

from django.utils.translation import gettext as _

from tenancy.choices import Cloud
from tenancy.portals import admin_portal_for
from tenancy.rules.request_refusals import ADMIN, Refusal
from tenancy.text import market_name


@dataclass(frozen=True)
class RefusalPage:
    code: str
    title: str
    message: str
    advice: str
    status: int


def refusal_page_of(refusal: Refusal, *, wording: str, customer=None) -> RefusalPage:
    """`wording`: the kind's ("reseller", "admin", or another); `customer`: the organization of
    the person who opened the request, when there is one."""
    params = refusal.params
    partner = params.get("partner", "")
    code = refusal.code
    admin = wording == ADMIN
    title, advice, status = _WORDS.get(code, _other)(params, partner, admin, customer)
    return RefusalPage(code, title, refusal.message, advice, status)


def _unknown(params, partner, admin, customer):
    return (
        _("This link doesn't work"),
        _(
            "Copy the whole link from the partner's email into the address bar, or ask the "
            "partner for a new request."
        ),
        404,
    )


def _not_opened(params, partner, admin, customer):
    return (
        _("Open the request from its link"),
        _("Open the link in the partner's email again."),
        404,
    )


def _changed_link(params, partner, admin, customer):
    return (
        _("This link was changed"),
        _("Open the link exactly as %(partner)s sent it, or ask them for a new request.")
        % {"partner": partner},
        400,
    )


def _wrong_portal(params, partner, admin, customer):
    portal = {"portal": params["portal"]}
    return (
        # Translators: %(portal)s is "Microsoft 365 admin center" or "Microsoft Office Admin
        # portal".
        _("Open this request in the %(portal)s") % portal,
        _("Open the link exactly as the partner sent it; it leads to the %(portal)s.") % portal,
        400,
    )


def _withdrawn(params, partner, admin, customer):
    if admin:
        advice = _("If %(partner)s should still manage your services, ask them for a new request.")
    else:
        advice = _("If you still want %(partner)s as your reseller, ask them for a new request.")
    return _("This request was withdrawn"), advice % {"partner": partner}, 410


def _answered_here(params, partner, admin, customer):
    declined = params.get("declined")
    if admin:
        title = (
            _("Your organization already declined this request")
            if declined
            else _("Your organization already approved this request")
        )
        advice = _(
            "A request is answered once. Your partners' admin relationships are listed on "
            "Partner relationships."
        )
    else:
        title = (
            _("Your organization already declined this request")
            if declined
            else _("Your organization already accepted this request")
        )
        advice = _("A request is answered once. Your partners are listed on Partner relationships.")
    return title, advice, 409


def _answered(params, partner, admin, customer):
    title = _("This request was already answered") if admin else _("This request was already used")
    advice = _("A request is answered once. Ask %(partner)s for a request of your own.") % {
        "partner": partner
    }
    return title, advice, 409


def _expired(params, partner, admin, customer):
    return (
        _("This request has expired"),
        _("Ask %(partner)s to send you a new request.") % {"partner": partner},
        410,
    )


def _partnership(params, partner, admin, customer):
    return (
        _("This request can no longer be accepted"),
        _("Ask %(partner)s for a new request. Nothing changed for your organization.")
        % {"partner": partner},
        410,
    )


def _not_customer(params, partner, admin, customer):
    if admin:
        # Who may approve is the rule's sentence, just above: not said again here.
        advice = _(
            "Sign out, open the link from the partner's email again, and sign in with an "
            "account of your organization that can approve admin relationships."
        )
    else:
        advice = _(
            "Sign out, open the link from the partner's email again, and sign in with your "
            "organization's administrator account."
        )
    return _("Sign in as an administrator of your organization"), advice, 403


def _other_customer(params, partner, admin, customer):
    return (
        _("This request is for another organization"),
        _(
            # Translators: %(customer_possessive)s is the organization's name (in English with
            # "'s").
            "If %(partner)s should manage %(customer_possessive)s services, ask them for a "
            "request of your own."
        )
        % {"partner": partner, "customer_possessive": params["customer_possessive"]},
        403,
    )


def _cloud(params, partner, admin, customer):
    portal = admin_portal_for(customer.cloud)
    return (
        _("This partner is in another cloud"),
        _(
            "Your organization answers requests in the %(portal)s. Ask a partner in %(cloud)s for "
            "a request."
        )
        % {"portal": portal.name, "cloud": Cloud(customer.cloud).label},
        403,
    )


def _market(params, partner, admin, customer):
    return (
        _("This partner can't serve your country"),
        _(
            "Look for a partner in the %(market)s market, or ask %(partner)s whether they have a "
            "partner organization there."
        )
        % {"market": market_name(customer.country.market), "partner": partner},
        403,
    )


def _role(params, partner, admin, customer):
    """The reason (the rule's sentence) says who may answer; the title and advice don't repeat
    it."""
    if admin:
        title = _("Your role can't approve admin roles")
        advice = _(
            "Forward the partner's email to someone in %(customer)s who can approve admin "
            "relationships; they open the link and sign in."
        )
    else:
        title = _("Your role can't accept this request")
        advice = _(
            "Forward the partner's email to a Global administrator of %(customer)s; they open "
            "the link and sign in."
        )
    return title, advice % {"customer": customer.name}, 403


def _other_provider(params, partner, admin, customer):
    names = {"partner": partner, "through": params["through"], "provider": params["provider"]}
    return (
        _("%(partner)s already serves you through %(through)s") % names,
        _(
            "If you want to buy through %(provider)s instead, %(partner)s ends the current "
            "arrangement first."
        )
        % names,
        409,
    )


def _already_reseller(params, partner, admin, customer):
    names = {"partner": partner}
    title = (
        _("%(partner)s is already your indirect reseller")
        if params.get("indirect")
        else _("%(partner)s is already your reseller")
    )
    return (
        title % names,
        _("Your partners and their roles are listed on Partner relationships."),
        409,
    )


def _other(params, partner, admin, customer):
    """A reason no page above words (a rule's code of its own): it can't be answered."""
    return _("This partner can't serve your country"), "", 403


_WORDS = {
    "unknown": _unknown,
    "not_opened": _not_opened,
    "changed_link": _changed_link,
    "wrong_portal": _wrong_portal,
    "revoked": _withdrawn,
    "withdrawn": _withdrawn,
    "answered_here": _answered_here,
    "answered": _answered,
    "expired": _expired,
    "partnership": _partnership,
    "not_customer": _not_customer,
    "other_customer": _other_customer,
    "cloud": _cloud,
    "market": _market,
    "role": _role,
    "other_provider": _other_provider,
    "already_reseller": _already_reseller,
}
