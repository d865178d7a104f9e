"""What an operator's edit in the console must not break. Each answer names the rule and what
stands in the way, by field, and the console shows it on the form; nothing is saved. In English:
the console stays English."""

from tenancy.choices import CspRole, TenantKind
from tenancy.models import Country, Market, Membership, Tenant
from tenancy.selectors import country_ties, tenant_ties, two_tier_ties
from tenancy.text import in_country, possessive


def tenant_change_problems(
    tenant: Tenant,
    *,
    kind: str,
    domain: str,
    country: Country | None,
    cloud: str,
    mpn_id,
    csp_role: str | None = None,
) -> dict[str, str]:
    """What an operator's edit of a tenant would break, by field; empty when nothing would.
    `tenant` holds the stored values (unsaved when it is being added)."""
    problems = {}
    holder = (
        Tenant.objects.filter(mpn_id=mpn_id).exclude(pk=tenant.pk).first()
        if mpn_id is not None and (tenant._state.adding or mpn_id != tenant.mpn_id)
        else None
    )
    if holder:
        problems["mpn_id"] = (
            f"PartnerID {mpn_id} already belongs to {holder.name} ({holder.domain}). "
            "Each partner has its own PartnerID."
        )
    if tenant._state.adding:
        return problems
    if kind != tenant.kind:
        problems["kind"] = (
            f"{tenant.name} is a {TenantKind(tenant.kind).label.lower()} organization, and an "
            "organization's kind can't change once it is created."
        )
    if tenant.is_customer and domain != tenant.domain:
        problems["domain"] = (
            f"{tenant.domain} is {possessive(tenant.name)} initial domain: it identifies the "
            "customer organization and can't change."
        )
    if csp_role is not None and csp_role != tenant.csp_role and tenant.is_partner:
        ties = two_tier_ties(tenant)
        if ties:
            problems["csp_role"] = (
                f"{tenant.name} is an {CspRole(tenant.csp_role).label.lower()} with {ties}, so "
                "its CSP role can't change: each was made for that role. End them first."
                if tenant.csp_role != CspRole.DIRECT
                else f"{tenant.name} has {ties}, so its CSP role can't change. End them first."
            )
    moved = {
        "cloud": (cloud != tenant.cloud, "a partner and a customer relate only inside one cloud"),
        "country": (
            country is not None and country.pk != tenant.country_id,
            "a partner resells only to customers in its own market",
        ),
    }
    if any(changed for changed, _ in moved.values()):
        ties = tenant_ties(tenant)
        for field, (changed, rule) in moved.items():
            if changed and ties:
                problems[field] = (
                    f"{tenant.name} has {ties}, so its {field} can't change: {rule}. "
                    "End them first."
                )
    return problems


def country_change_problems(country: Country, *, market: Market | None) -> dict[str, str]:
    """A country moves to another market only while none of its organizations is tied to
    another: every relationship was formed under its market's rule."""
    if country._state.adding or market is None or market.pk == country.market_id:
        return {}
    ties = country_ties(country)
    if not ties:
        return {}
    return {
        "market": f"Organizations in {in_country(country.name)} have {ties}, so it can't move "
        f"from the {country.market.name} market to the {market.name} market: a partner "
        "resells only to customers in its own market. End them first."
    }


def membership_change_problems(membership: Membership, *, tenant, user) -> dict[str, str]:
    """A membership is one user's place in one organization: neither side of it changes. (Its
    security groups and audit trail belong to that user in that organization.)"""
    if membership._state.adding:
        return {}
    problems = {}
    if tenant is not None and tenant.pk != membership.tenant_id:
        problems["tenant"] = (
            f"{membership.user} is a member of {membership.tenant.name} and can't move to "
            "another organization. Deactivate this user and add a new one there."
        )
    if user is not None and user.pk != membership.user_id:
        problems["user"] = (
            f"This membership is {possessive(str(membership.user))} and can't pass to another "
            "user. Add the other user as a new member instead."
        )
    return problems
