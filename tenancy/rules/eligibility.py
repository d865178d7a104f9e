"""Who may relate to whom: a reseller and its customer (one cloud, one market), an indirect
provider and an indirect reseller, purchases, and when a relationship or a partnership may end.
Pure functions of what they are given: they read no table."""

from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from tenancy.choices import Cloud, CspRole, PartnershipStatus, TenantKind
from tenancy.models import Tenant
from tenancy.rules.decisions import ALLOWED, Decision
from tenancy.text import country_name, in_country, market_name


def _place(country, side: str) -> tuple[bool, dict[str, str]]:
    """Where a tenant is, for a sentence about markets: whether its market must be named (it
    isn't when the market is the country), and the placeholders `<side>_country` (the plain
    name), `<side>_in_country` (as it reads after "in": "the United States") and
    `<side>_market`."""
    name = country_name(country)
    return country.market.name != country.name, {
        f"{side}_country": name,
        f"{side}_in_country": in_country(name),
        f"{side}_market": market_name(country.market),
    }


def same_cloud(partner: Tenant, customer: Tenant) -> Decision:
    """A partner and a customer relate only inside one cloud: the least any request asks."""
    if partner.cloud == customer.cloud:
        return ALLOWED
    return Decision(
        False,
        _(
            "%(partner)s works in %(partner_cloud)s and %(customer)s is in %(customer_cloud)s. A "
            "partner and a customer relate only inside one cloud."
        )
        % {
            "partner": partner.name,
            "partner_cloud": Cloud(partner.cloud).label,
            "customer": customer.name,
            "customer_cloud": Cloud(customer.cloud).label,
        },
        "cloud",
    )


def may_resell(partner: Tenant, customer: Tenant) -> Decision:
    """May `partner` be `customer`'s reseller? Same cloud, and the customer in its market."""
    if partner.kind != TenantKind.PARTNER:
        return Decision(
            False,
            _("%(partner)s is not a partner organization.") % {"partner": partner.name},
            "not_partner",
        )
    if customer.kind != TenantKind.CUSTOMER:
        return Decision(
            False,
            _("%(customer)s is not a customer organization.") % {"customer": customer.name},
            "not_customer",
        )
    if partner.cloud != customer.cloud:
        return Decision(
            False,
            _(
                "%(partner)s works in %(partner_cloud)s and %(customer)s is in "
                "%(customer_cloud)s. A partner can only serve customers in its own cloud."
            )
            % {
                "partner": partner.name,
                "partner_cloud": Cloud(partner.cloud).label,
                "customer": customer.name,
                "customer_cloud": Cloud(customer.cloud).label,
            },
            "cloud",
        )
    if partner.country.market_id != customer.country.market_id:
        partner_market, partner_place = _place(partner.country, "partner")
        customer_market, customer_place = _place(customer.country, "customer")
        params = {
            "partner": partner.name,
            "customer": customer.name,
            **partner_place,
            **customer_place,
        }
        if partner_market and customer_market:
            reason = _(
                # Translators: %(partner_in_country)s and %(customer_in_country)s are country names
                # (in English with "the" where one is needed: "the United States").
                "%(partner)s is a partner in %(partner_in_country)s, in the %(partner_market)s "
                "market, and %(customer)s is in %(customer_in_country)s, in the "
                "%(customer_market)s market. Resellers may only serve customers in their own "
                "market."
            )
        elif partner_market:
            reason = _(
                # Translators: %(partner_in_country)s and %(customer_in_country)s are country names
                # (in English with "the" where one is needed: "the United States").
                "%(partner)s is a partner in %(partner_in_country)s, in the %(partner_market)s "
                "market, and %(customer)s is in %(customer_in_country)s. Resellers may only "
                "serve customers in their own market."
            )
        elif customer_market:
            reason = _(
                # Translators: %(partner_in_country)s and %(customer_in_country)s are country names
                # (in English with "the" where one is needed: "the United States").
                "%(partner)s is a partner in %(partner_in_country)s, and %(customer)s is in "
                "%(customer_in_country)s, in the %(customer_market)s market. Resellers may only "
                "serve customers in their own market."
            )
        else:
            reason = _(
                # Translators: %(partner_in_country)s and %(customer_in_country)s are country names
                # (in English with "the" where one is needed: "the United States").
                "%(partner)s is a partner in %(partner_in_country)s, and %(customer)s is in "
                "%(customer_in_country)s. Resellers may only serve customers in their own market."
            )
        return Decision(False, reason % params, "market")
    return ALLOWED


# --- Two tiers: indirect providers and indirect resellers -----------------------------------


def partnership_side(partner: Tenant) -> str:
    """Which side of partnerships this partner is on: "provider", "reseller", or "" (a
    direct-bill partner has none)."""
    return {CspRole.INDIRECT_PROVIDER: "provider", CspRole.INDIRECT_RESELLER: "reseller"}.get(
        partner.csp_role, ""
    )


def _not_a_reseller(reseller: Tenant) -> str:
    params = {"reseller": reseller.name}
    if reseller.csp_role == CspRole.DIRECT:
        return (
            _(
                "%(reseller)s is a direct-bill partner, not an indirect reseller. An indirect "
                "provider partners only with indirect resellers."
            )
            % params
        )
    if reseller.csp_role == CspRole.INDIRECT_PROVIDER:
        return (
            _(
                "%(reseller)s is a indirect provider, not an indirect reseller. An indirect "
                "provider partners only with indirect resellers."
            )
            % params
        )
    return (
        _(
            "%(reseller)s is a customer, not an indirect reseller. An indirect provider partners "
            "only with indirect resellers."
        )
        % params
    )


def may_partner(provider: Tenant, reseller: Tenant) -> Decision:
    """May these two partner? An indirect provider and an indirect reseller, in one cloud and
    one market (the provider bills the reseller's customers, who must be in its market)."""
    if provider.csp_role != CspRole.INDIRECT_PROVIDER:
        return Decision(
            False,
            _(
                "%(provider)s is not an indirect provider. Only indirect providers partner with "
                "indirect resellers."
            )
            % {"provider": provider.name},
            "not_provider",
        )
    if reseller.kind != TenantKind.PARTNER or reseller.csp_role != CspRole.INDIRECT_RESELLER:
        return Decision(False, _not_a_reseller(reseller), "not_reseller")
    if provider.cloud != reseller.cloud:
        return Decision(
            False,
            _(
                "%(provider)s works in %(provider_cloud)s and %(reseller)s in "
                "%(reseller_cloud)s. Partners can only partner inside one cloud."
            )
            % {
                "provider": provider.name,
                "provider_cloud": Cloud(provider.cloud).label,
                "reseller": reseller.name,
                "reseller_cloud": Cloud(reseller.cloud).label,
            },
            "cloud",
        )
    if provider.country.market_id != reseller.country.market_id:
        provider_market, provider_place = _place(provider.country, "provider")
        reseller_market, reseller_place = _place(reseller.country, "reseller")
        params = {
            "provider": provider.name,
            "reseller": reseller.name,
            **provider_place,
            **reseller_place,
        }
        if provider_market and reseller_market:
            reason = _(
                # Translators: %(provider_in_country)s and %(reseller_in_country)s are country names
                # (in English with "the" where one is needed: "the United States").
                "%(provider)s is an indirect provider in %(provider_in_country)s, in the "
                "%(provider_market)s market, and %(reseller)s is in %(reseller_in_country)s, in "
                "the %(reseller_market)s market. An indirect provider partners only with "
                "resellers in its own market."
            )
        elif provider_market:
            reason = _(
                # Translators: %(provider_in_country)s and %(reseller_in_country)s are country names
                # (in English with "the" where one is needed: "the United States").
                "%(provider)s is an indirect provider in %(provider_in_country)s, in the "
                "%(provider_market)s market, and %(reseller)s is in %(reseller_in_country)s. An "
                "indirect provider partners only with resellers in its own market."
            )
        elif reseller_market:
            reason = _(
                # Translators: %(provider_in_country)s and %(reseller_in_country)s are country names
                # (in English with "the" where one is needed: "the United States").
                "%(provider)s is an indirect provider in %(provider_in_country)s, and "
                "%(reseller)s is in %(reseller_in_country)s, in the %(reseller_market)s market. "
                "An indirect provider partners only with resellers in its own market."
            )
        else:
            reason = _(
                # Translators: %(provider_in_country)s and %(reseller_in_country)s are country names
                # (in English with "the" where one is needed: "the United States").
                "%(provider)s is an indirect provider in %(provider_in_country)s, and "
                "%(reseller)s is in %(reseller_in_country)s. An indirect provider partners only "
                "with resellers in its own market."
            )
        return Decision(False, reason % params, "market")
    return ALLOWED


def partnership_in_force(status: str, *, provider: Tenant, reseller: Tenant) -> Decision:
    """A two-tier request is made, and answered, only while the partnership is active."""
    if status == PartnershipStatus.ACTIVE:
        return ALLOWED
    return Decision(
        False,
        _(
            "%(reseller)s and %(provider)s no longer partner: %(reseller)s can't sell through "
            "%(provider)s."
        )
        % {"reseller": reseller.name, "provider": provider.name},
        "partnership",
    )


def may_remove_partnership(
    *, provider: Tenant, reseller: Tenant, active_subscriptions: int
) -> Decision:
    """A partnership ends only once no subscription the provider bought on the reseller's
    behalf is active: customers they share would otherwise be left mid-sale."""
    if active_subscriptions:
        return Decision(
            False,
            ngettext(
                "%(provider)s still has %(count)s active subscription bought on behalf of "
                "%(reseller)s for the customers they share. It must be suspended or moved "
                "before the partnership can be removed.",
                "%(provider)s still has %(count)s active subscriptions bought on behalf of "
                "%(reseller)s for the customers they share. They must be suspended or moved "
                "before the partnership can be removed.",
                active_subscriptions,
            )
            % {
                "provider": provider.name,
                "reseller": reseller.name,
                "count": active_subscriptions,
            },
            "active_subscriptions",
        )
    return ALLOWED


def admin_permissions_required(partner: Tenant) -> bool:
    """US Government partners cannot leave delegated admin permissions out of a request."""
    return partner.cloud == Cloud.USGOV


def billing_address_first(customer: Tenant) -> Decision:
    """A customer accepts a partner's request only once its billing address is on file."""
    if not customer.has_billing_address:
        return Decision(
            False,
            _("Add your organization's billing address before accepting."),
            "billing_address",
        )
    return ALLOWED


def may_purchase(
    *,
    has_reseller_relationship: bool,
    has_current_agreement: bool,
    indirect_provider: Tenant | None = None,
) -> Decision:
    """Buying for a customer needs the reseller relationship and the customer's acceptance of
    the Customer Agreement version in force today (an older version's acceptance is not enough).
    An indirect reseller never buys itself: its indirect provider buys on its behalf."""
    if indirect_provider is not None:
        return Decision(
            False,
            _(
                "%(provider)s, your indirect provider for this customer, is its reseller of "
                "record: it purchases on your behalf, and the subscriptions it buys for you show "
                "here."
            )
            % {"provider": indirect_provider.name},
            "indirect_reseller",
        )
    params = {"version": settings.CUSTOMER_AGREEMENT_VERSION}
    if not has_reseller_relationship and not has_current_agreement:
        reason = _(
            "Purchasing needs an active reseller relationship with this customer and the "
            "customer's acceptance of the current Microsoft Customer Agreement (%(version)s)."
        )
    elif not has_reseller_relationship:
        reason = _("Purchasing needs an active reseller relationship with this customer.")
    elif not has_current_agreement:
        reason = _(
            "Purchasing needs the customer's acceptance of the current Microsoft Customer "
            "Agreement (%(version)s)."
        )
    else:
        return ALLOWED
    return Decision(False, reason % params, "purchase")


def may_end_reseller(
    *,
    partner: Tenant,
    customer: Tenant,
    active_subscriptions: int,
    indirect_provider: Tenant | None = None,
) -> Decision:
    """A reseller relationship ends only once none of the subscriptions the partner sold the
    customer is active: they are suspended or moved to another partner first. For an indirect
    reseller, those are the ones its indirect provider bought on its behalf."""
    if not active_subscriptions:
        return ALLOWED
    params = {"partner": partner.name, "customer": customer.name, "count": active_subscriptions}
    if indirect_provider is not None:
        reason = ngettext(
            "%(provider)s bought %(count)s active subscription for %(customer)s on behalf of "
            "%(partner)s. It must be suspended or moved to another partner before the reseller "
            "relationship can end.",
            "%(provider)s bought %(count)s active subscriptions for %(customer)s on behalf of "
            "%(partner)s. They must be suspended or moved to another partner before the "
            "reseller relationship can end.",
            active_subscriptions,
        ) % {**params, "provider": indirect_provider.name}
    else:
        reason = (
            ngettext(
                "%(partner)s still has %(count)s active subscription for %(customer)s. It must "
                "be suspended or moved to another partner before the reseller relationship can "
                "end.",
                "%(partner)s still has %(count)s active subscriptions for %(customer)s. They "
                "must be suspended or moved to another partner before the reseller relationship "
                "can end.",
                active_subscriptions,
            )
            % params
        )
    return Decision(False, reason, "active_subscriptions")
