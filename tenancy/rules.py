"""The business rules of the CSP reseller flow, as plain functions both portals call.

Each rule answers with a Decision whose reason a person can read: the pages show it as it is,
in the language of the request. (The operators' console's rules, at the end, answer in English:
the console stays English.)
"""

from dataclasses import dataclass
from enum import StrEnum

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from tenancy.models import (
    BILLING_ADMINISTRATOR,
    ENTRA_ROLES,
    GLOBAL_ADMINISTRATOR,
    LICENSE_ADMINISTRATOR,
    MAX_DAYS,
    MIN_DAYS,
    NAME_MAX_LENGTH,
    AdminRelationship,
    AdminRelationshipStatus,
    Cloud,
    Country,
    CspRole,
    Invitation,
    InvitationStatus,
    Market,
    Membership,
    Partnership,
    PartnershipStatus,
    ResellerRelationship,
    Role,
    Tenant,
    TenantKind,
    role_names,
)
from tenancy.text import country_name, in_country, market_name, possessive


class Action(StrEnum):
    VIEW_CUSTOMERS = "view customers"
    REQUEST_RELATIONSHIP = "request relationship"
    VIEW_REQUESTS = "view requests"
    REVOKE_REQUEST = "revoke request"
    ADD_CUSTOMER = "add customer"
    PURCHASE = "purchase"
    MANAGE_SUBSCRIPTION = "manage subscription"
    REMOVE_RESELLER = "remove reseller"
    VIEW_ACTIVITY = "view activity"
    VIEW_ADMIN_RELATIONSHIPS = "view admin relationships"
    MANAGE_ADMIN_RELATIONSHIPS = "manage admin relationships"
    MANAGE_SECURITY_GROUPS = "manage security groups"
    # See the users' sign-in methods and reset them (Partner Center's User management).
    MANAGE_USERS = "manage users"
    # App management: register apps for the API, revoke their keys.
    MANAGE_APPS = "manage apps"
    # Webhooks: subscribe a URL to the organization's events, see deliveries, redeliver.
    MANAGE_WEBHOOKS = "manage webhooks"
    # Two tiers: see an indirect provider's resellers (or a reseller's providers); request,
    # accept, decline and remove partnerships.
    VIEW_PARTNERSHIPS = "view partnerships"
    MANAGE_PARTNERSHIPS = "manage partnerships"
    # A customer organisation's actions.
    ACCEPT_RESELLER = "accept reseller"
    ACCEPT_WITH_ADMIN = "accept with admin"
    ACCEPT_AGREEMENT = "accept agreement"
    VIEW_PARTNER_RELATIONSHIPS = "view partner relationships"
    REMOVE_ADMIN_ROLES = "remove admin roles"
    APPROVE_ADMIN_RELATIONSHIP = "approve admin relationship"
    END_RESELLER = "end reseller"
    # The admin center's Active users: see sign-in methods and reset them.
    MANAGE_ORGANIZATION_USERS = "manage organization users"
    EDIT_ORGANIZATION_PROFILE = "edit organization profile"
    VIEW_ORGANIZATION_ACTIVITY = "view organization activity"


R = Role
# DESIGN.md §2: who may do what. The only place roles are checked against actions.
PERMISSIONS: dict[Action, tuple[Role, ...]] = {
    Action.VIEW_CUSTOMERS: (R.GLOBAL_ADMIN, R.ADMIN_AGENT, R.SALES_AGENT, R.HELPDESK_AGENT),
    Action.REQUEST_RELATIONSHIP: (R.ADMIN_AGENT, R.SALES_AGENT),
    Action.VIEW_REQUESTS: (R.GLOBAL_ADMIN, R.ADMIN_AGENT, R.SALES_AGENT),
    Action.REVOKE_REQUEST: (R.ADMIN_AGENT, R.SALES_AGENT),
    Action.ADD_CUSTOMER: (R.GLOBAL_ADMIN, R.ADMIN_AGENT, R.SALES_AGENT),
    Action.PURCHASE: (R.ADMIN_AGENT, R.SALES_AGENT),
    Action.MANAGE_SUBSCRIPTION: (R.ADMIN_AGENT, R.SALES_AGENT),
    Action.REMOVE_RESELLER: (R.GLOBAL_ADMIN,),
    Action.VIEW_ACTIVITY: (R.GLOBAL_ADMIN, R.ADMIN_AGENT),
    Action.VIEW_ADMIN_RELATIONSHIPS: (
        R.GLOBAL_ADMIN,
        R.ADMIN_AGENT,
        R.SALES_AGENT,
        R.HELPDESK_AGENT,
    ),
    # Request, finalize, withdraw and terminate admin relationships; give groups their roles.
    Action.MANAGE_ADMIN_RELATIONSHIPS: (R.ADMIN_AGENT,),
    Action.MANAGE_SECURITY_GROUPS: (R.GLOBAL_ADMIN, R.ADMIN_AGENT),
    Action.MANAGE_USERS: (R.GLOBAL_ADMIN,),
    Action.MANAGE_APPS: (R.GLOBAL_ADMIN,),
    Action.MANAGE_WEBHOOKS: (R.GLOBAL_ADMIN, R.ADMIN_AGENT),
    Action.VIEW_PARTNERSHIPS: (R.GLOBAL_ADMIN, R.ADMIN_AGENT, R.SALES_AGENT),
    Action.MANAGE_PARTNERSHIPS: (R.GLOBAL_ADMIN,),
    Action.ACCEPT_RESELLER: (R.CUSTOMER_GLOBAL_ADMIN, R.CUSTOMER_BILLING_ADMIN),
    Action.ACCEPT_WITH_ADMIN: (R.CUSTOMER_GLOBAL_ADMIN,),
    Action.ACCEPT_AGREEMENT: (R.CUSTOMER_GLOBAL_ADMIN, R.CUSTOMER_BILLING_ADMIN),
    Action.VIEW_PARTNER_RELATIONSHIPS: (R.CUSTOMER_GLOBAL_ADMIN, R.CUSTOMER_BILLING_ADMIN),
    Action.REMOVE_ADMIN_ROLES: (R.CUSTOMER_GLOBAL_ADMIN,),
    Action.APPROVE_ADMIN_RELATIONSHIP: (R.CUSTOMER_GLOBAL_ADMIN,),
    Action.END_RESELLER: (R.CUSTOMER_GLOBAL_ADMIN,),
    Action.MANAGE_ORGANIZATION_USERS: (R.CUSTOMER_GLOBAL_ADMIN,),
    Action.EDIT_ORGANIZATION_PROFILE: (R.CUSTOMER_GLOBAL_ADMIN, R.CUSTOMER_BILLING_ADMIN),
    Action.VIEW_ORGANIZATION_ACTIVITY: (R.CUSTOMER_GLOBAL_ADMIN, R.CUSTOMER_BILLING_ADMIN),
}

# What a member who may not do an action is told: who may, as one sentence per action.
DENIAL_MESSAGES: dict[Action, str] = {
    Action.VIEW_CUSTOMERS: gettext_lazy(
        "Only Global admins, Admin agents, Sales agents and Helpdesk agents can see the customers."
    ),
    Action.REQUEST_RELATIONSHIP: gettext_lazy(
        "Only Admin agents and Sales agents can request a reseller relationship."
    ),
    Action.VIEW_REQUESTS: gettext_lazy(
        "Only Global admins, Admin agents and Sales agents can see relationship requests."
    ),
    Action.REVOKE_REQUEST: gettext_lazy(
        "Only Admin agents and Sales agents can revoke a relationship request."
    ),
    Action.ADD_CUSTOMER: gettext_lazy(
        "Only Global admins, Admin agents and Sales agents can add a customer."
    ),
    Action.PURCHASE: gettext_lazy(
        "Only Admin agents and Sales agents can purchase on behalf of a customer."
    ),
    Action.MANAGE_SUBSCRIPTION: gettext_lazy(
        "Only Admin agents and Sales agents can change or suspend a subscription."
    ),
    Action.REMOVE_RESELLER: gettext_lazy("Only Global admins can remove a reseller relationship."),
    Action.VIEW_ACTIVITY: gettext_lazy(
        "Only Global admins and Admin agents can see the activity log."
    ),
    Action.VIEW_ADMIN_RELATIONSHIPS: gettext_lazy(
        "Only Global admins, Admin agents, Sales agents and Helpdesk agents can see admin "
        "relationships."
    ),
    Action.MANAGE_ADMIN_RELATIONSHIPS: gettext_lazy(
        "Only Admin agents can request, withdraw or terminate admin relationships and give "
        "security groups their roles."
    ),
    Action.MANAGE_SECURITY_GROUPS: gettext_lazy(
        "Only Global admins and Admin agents can manage security groups."
    ),
    Action.MANAGE_USERS: gettext_lazy(
        "Only Global admins can see users' sign-in methods and reset them."
    ),
    Action.MANAGE_APPS: gettext_lazy("Only Global admins can register apps and revoke their keys."),
    Action.MANAGE_WEBHOOKS: gettext_lazy(
        "Only Global admins and Admin agents can manage webhooks."
    ),
    Action.VIEW_PARTNERSHIPS: gettext_lazy(
        "Only Global admins, Admin agents and Sales agents can see indirect partnerships."
    ),
    Action.MANAGE_PARTNERSHIPS: gettext_lazy(
        "Only Global admins can request, accept or remove an indirect partnership."
    ),
    Action.ACCEPT_RESELLER: gettext_lazy(
        "Only Global administrators and Billing administrators can accept a reseller relationship."
    ),
    Action.ACCEPT_WITH_ADMIN: gettext_lazy(
        "Only Global administrators can accept a request that includes admin permissions."
    ),
    Action.ACCEPT_AGREEMENT: gettext_lazy(
        "Only Global administrators and Billing administrators can accept the Microsoft Customer "
        "Agreement."
    ),
    Action.VIEW_PARTNER_RELATIONSHIPS: gettext_lazy(
        "Only Global administrators and Billing administrators can see partner relationships."
    ),
    Action.REMOVE_ADMIN_ROLES: gettext_lazy(
        "Only Global administrators can remove a partner's admin roles."
    ),
    Action.APPROVE_ADMIN_RELATIONSHIP: gettext_lazy(
        "Only Global administrators can approve or decline a partner's admin relationship."
    ),
    Action.END_RESELLER: gettext_lazy(
        "Only Global administrators can end a reseller relationship."
    ),
    Action.MANAGE_ORGANIZATION_USERS: gettext_lazy(
        "Only Global administrators can see users' sign-in methods and reset them."
    ),
    Action.EDIT_ORGANIZATION_PROFILE: gettext_lazy(
        "Only Global administrators and Billing administrators can change the organization profile."
    ),
    Action.VIEW_ORGANIZATION_ACTIVITY: gettext_lazy(
        "Only Global administrators and Billing administrators can see your organization's "
        "activity."
    ),
}


def may(roles: frozenset[Role] | set[Role], action: Action) -> bool:
    return not roles.isdisjoint(PERMISSIONS[action])


def denial_message(action: Action) -> str:
    """'Only Admin agents and Sales agents can request a reseller relationship.'"""
    return str(DENIAL_MESSAGES[action])


def require(membership: Membership | None, action: Action) -> None:
    """Raise PermissionDenied, with a message that says who may, unless the member may."""
    if membership is None or not may(membership.roles, action):
        raise PermissionDenied(denial_message(action))


@dataclass(frozen=True)
class Decision:
    allowed: bool
    reason: str = ""
    code: str = ""

    def __bool__(self) -> bool:
        return self.allowed


ALLOWED = Decision(True)


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


def accept_action(include_admin: bool) -> Action:
    """A Billing administrator may accept a reseller-only request; admin roles need a Global one."""
    return Action.ACCEPT_WITH_ADMIN if include_admin else Action.ACCEPT_RESELLER


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


def may_end_reseller(*, partner: Tenant, customer: Tenant, active_subscriptions: int) -> Decision:
    """A reseller relationship ends only once none of the partner's subscriptions for the
    customer is active: they are suspended or moved to another partner first."""
    if active_subscriptions:
        return Decision(
            False,
            ngettext(
                "%(partner)s still has %(count)s active subscription for %(customer)s. It must "
                "be suspended or moved to another partner before the reseller relationship can "
                "end.",
                "%(partner)s still has %(count)s active subscriptions for %(customer)s. They "
                "must be suspended or moved to another partner before the reseller relationship "
                "can end.",
                active_subscriptions,
            )
            % {
                "partner": partner.name,
                "customer": customer.name,
                "count": active_subscriptions,
            },
            "active_subscriptions",
        )
    return ALLOWED


# --- Admin relationships (GDAP) -------------------------------------------------------------


class CustomerTask(StrEnum):
    """What a partner's agent does inside a customer organization, through an admin relationship."""

    MANAGE_SUBSCRIPTION = "change or suspend a subscription"


# The Microsoft Entra roles that let an agent do each task in a customer. An agent holds a role
# in a customer only through a security group assigned it on an admin relationship in force;
# its Partner Center role alone gives it none.
ENTRA_ROLES_FOR: dict[CustomerTask, tuple[str, ...]] = {
    CustomerTask.MANAGE_SUBSCRIPTION: (
        GLOBAL_ADMINISTRATOR,
        BILLING_ADMINISTRATOR,
        LICENSE_ADMINISTRATOR,
    ),
}


def entra_roles_allow(roles: frozenset[str] | set[str], task: CustomerTask) -> bool:
    return not set(roles).isdisjoint(ENTRA_ROLES_FOR[task])


def _or_list(names: list[str]) -> str:
    """'A, B or C', in the request's language."""
    names = [str(name) for name in names]
    if len(names) == 1:
        return names[0]
    # Translators: the end of a list of alternatives: %(names)s is "Global Administrator,
    # Billing Administrator" (joined with commas), %(last)s is "License Administrator".
    return _("%(names)s or %(last)s") % {"names": ", ".join(names[:-1]), "last": names[-1]}


def task_roles_phrase(task: CustomerTask) -> str:
    """'Global Administrator, Billing Administrator or License Administrator'."""
    return _or_list([ENTRA_ROLES[role].name for role in ENTRA_ROLES_FOR[task]])


def admin_request_problems(
    *, name: str, duration_days: int | None, roles, auto_extend: bool
) -> dict[str, str]:
    """What is wrong with an admin relationship request, by field; empty when nothing is.
    (That the name is free is the service's to check: it needs the database.)"""
    problems = {}
    name = (name or "").strip()
    if not name:
        problems["name"] = _("Enter a name for the admin relationship.")
    elif len(name) > NAME_MAX_LENGTH:
        problems["name"] = ngettext(
            "Use at most %(max)s character (this name has %(count)s).",
            "Use at most %(max)s characters (this name has %(count)s).",
            NAME_MAX_LENGTH,
        ) % {"max": NAME_MAX_LENGTH, "count": len(name)}
    elif any(ord(c) < 32 or ord(c) == 127 for c in name):
        problems["name"] = _("Use a single line without control characters.")
    if duration_days is None or not MIN_DAYS <= duration_days <= MAX_DAYS:
        problems["duration_days"] = ngettext(
            "Choose a duration from %(min)s to %(max)s day.",
            "Choose a duration from %(min)s to %(max)s days.",
            MAX_DAYS,
        ) % {"min": MIN_DAYS, "max": MAX_DAYS}
    roles = list(roles or [])
    unknown = [role for role in roles if role not in ENTRA_ROLES]
    if unknown:
        problems["roles"] = _("Unknown Microsoft Entra role: %(roles)s.") % {
            "roles": ", ".join(map(str, unknown[:3]))
        }
    elif not roles:
        problems["roles"] = _("Select at least one Microsoft Entra role.")
    if auto_extend and GLOBAL_ADMINISTRATOR in roles:
        problems["auto_extend"] = _(
            "A relationship that includes Global Administrator can't extend automatically. "
            "Clear auto-extend, or leave Global Administrator out."
        )
    return problems


def assignment_problems(*, roles, relationship_roles) -> dict[str, str]:
    """A security group gets some of the relationship's roles, and at least one."""
    roles = list(roles or [])
    outside = [role for role in roles if role not in relationship_roles]
    if outside:
        names = role_names(outside) or [str(role) for role in outside[:3]]
        return {
            "roles": _(
                "Not a role of this admin relationship: %(roles)s. A security group can only get "
                "roles the customer approved."
            )
            % {"roles": ", ".join(names)}
        }
    if not roles:
        return {"roles": _("Select at least one of the relationship's roles.")}
    return {}


# Why a relationship that isn't in force can't give its roles to a security group, one sentence
# per status (the pages and the API say the same).
NOT_ASSIGNABLE = {
    AdminRelationshipStatus.CREATED: gettext_lazy(
        "Security groups get roles only on an active admin relationship, and this one is created."
    ),
    AdminRelationshipStatus.APPROVAL_PENDING: gettext_lazy(
        "Security groups get roles only on an active admin relationship, and this one is "
        "approval pending."
    ),
    AdminRelationshipStatus.EXPIRED: gettext_lazy(
        "Security groups get roles only on an active admin relationship, and this one is expired."
    ),
    AdminRelationshipStatus.DECLINED: gettext_lazy(
        "Security groups get roles only on an active admin relationship, and this one is declined."
    ),
    AdminRelationshipStatus.WITHDRAWN: gettext_lazy(
        "Security groups get roles only on an active admin relationship, and this one is withdrawn."
    ),
    AdminRelationshipStatus.TERMINATED: gettext_lazy(
        "Security groups get roles only on an active admin relationship, and this one is "
        "terminated."
    ),
}


def may_administer(partner: Tenant, customer: Tenant) -> Decision:
    """May `partner` hold admin roles in `customer`? Same cloud; no market rule (an admin
    relationship needs no reseller relationship)."""
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
                "%(customer_cloud)s. A partner can only hold admin roles in organizations of its "
                "own cloud."
            )
            % {
                "partner": partner.name,
                "partner_cloud": Cloud(partner.cloud).label,
                "customer": customer.name,
                "customer_cloud": Cloud(customer.cloud).label,
            },
            "cloud",
        )
    return ALLOWED


def may_manage_subscription(
    *,
    is_azure_plan: bool,
    provisioned_by_partner: bool,
    has_reseller_relationship: bool,
    has_admin_relationship: bool,
    agent_roles: frozenset[str] = frozenset(),
) -> Decision:
    """Changing or suspending a subscription needs, in the customer, one of the Entra roles the
    table gives the task, held by the agent through a security group's assignment on an admin
    relationship in force. The exception: an Azure plan the partner provisioned itself is
    managed with the reseller relationship alone."""
    task = CustomerTask.MANAGE_SUBSCRIPTION
    if not provisioned_by_partner:
        return Decision(
            False, _("Only the partner that sold a subscription can manage it."), "owner"
        )
    if is_azure_plan and has_reseller_relationship:
        return ALLOWED
    if entra_roles_allow(agent_roles, task):
        return ALLOWED
    if is_azure_plan:
        return Decision(
            False,
            _("Managing this Azure plan needs an active reseller relationship with the customer."),
            "reseller",
        )
    if not has_admin_relationship:
        return Decision(
            False,
            _(
                # Translators: %(roles)s lists Microsoft Entra roles: "Global Administrator, Billing
                # Administrator or License Administrator".
                "Changing or suspending this subscription needs %(roles)s in the customer's "
                "organization, and your organization has no admin relationship in force with "
                "this customer. Request an admin relationship that includes one of them."
            )
            % {"roles": task_roles_phrase(task)},
            "admin",
        )
    return Decision(
        False,
        _(
            # Translators: %(roles)s lists Microsoft Entra roles: "Global Administrator, Billing
            # Administrator or License Administrator".
            "Changing or suspending this subscription needs %(roles)s in the customer's "
            "organization, and none of your security groups holds one of them here. Ask an "
            "Admin agent to add you to a security group that is assigned one of these roles on "
            "this customer's admin relationship."
        )
        % {"roles": task_roles_phrase(task)},
        "admin_role",
    )


# --- The operators' console -----------------------------------------------------------------
#
# What an operator's edit in the Django admin must not break. Each answer names the rule and
# what stands in the way, and the admin shows it on the form; nothing is saved.


def _counted(count: int, one: str, many: str) -> str:
    return f"{count} {one if count == 1 else many}"


def _and_list(parts: list[str]) -> str:
    return parts[0] if len(parts) == 1 else f"{', '.join(parts[:-1])} and {parts[-1]}"


@dataclass(frozen=True)
class Ties:
    """What binds tenants to others now: relationships in force and requests still open."""

    reseller_relationships: int = 0
    admin_relationships: int = 0
    reseller_requests: int = 0
    admin_requests: int = 0
    partnerships: int = 0

    def __bool__(self) -> bool:
        return any(
            (
                self.reseller_relationships,
                self.admin_relationships,
                self.reseller_requests,
                self.admin_requests,
                self.partnerships,
            )
        )

    def parts(self) -> list[str]:
        counted = [
            (
                self.reseller_relationships,
                "active reseller relationship",
                "active reseller relationships",
            ),
            (
                self.admin_relationships,
                "admin relationship in force",
                "admin relationships in force",
            ),
            (
                self.reseller_requests,
                "open reseller relationship request",
                "open reseller relationship requests",
            ),
            (
                self.admin_requests,
                "admin relationship request awaiting approval",
                "admin relationship requests awaiting approval",
            ),
            (
                self.partnerships,
                "indirect partnership (active or requested)",
                "indirect partnerships (active or requested)",
            ),
        ]
        return [_counted(count, one, many) for count, one, many in counted if count]

    def __str__(self) -> str:
        """'2 active reseller relationships and 1 admin relationship in force'."""
        return _and_list(self.parts())


def _ties(side) -> Ties:
    """`side("partner")` is the Q that puts the tenants concerned on the partner's side."""
    now = timezone.now()
    either = side("partner") | side("customer")
    return Ties(
        reseller_relationships=ResellerRelationship.objects.active().filter(either).count(),
        admin_relationships=AdminRelationship.objects.in_force(now).filter(either).count(),
        reseller_requests=Invitation.objects.filter(
            side("partner"), status=InvitationStatus.PENDING, expires_at__gt=now
        ).count(),
        admin_requests=AdminRelationship.objects.with_status(
            AdminRelationshipStatus.APPROVAL_PENDING, now
        )
        .filter(either)
        .count(),
        partnerships=Partnership.objects.open().filter(side("provider") | side("reseller")).count(),
    )


def _two_tier_ties(tenant: Tenant) -> str:
    """What ties a partner to its CSP role: open partnerships, links through a provider."""
    partnerships = Partnership.objects.open().filter(Q(provider=tenant) | Q(reseller=tenant))
    links = ResellerRelationship.objects.active().filter(
        Q(partner=tenant, indirect_provider__isnull=False) | Q(indirect_provider=tenant)
    )
    counted = [
        (partnerships.count(), "indirect partnership", "indirect partnerships"),
        (links.count(), "customer served in two tiers", "customers served in two tiers"),
    ]
    parts = [_counted(count, one, many) for count, one, many in counted if count]
    return _and_list(parts) if parts else ""


def tenant_ties(tenant: Tenant) -> Ties:
    return _ties(lambda side: Q(**{side: tenant}))


def country_ties(country: Country) -> Ties:
    return _ties(lambda side: Q(**{f"{side}__country": country}))


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
        ties = _two_tier_ties(tenant)
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


def global_admin_role(tenant: Tenant) -> Role:
    return Role.GLOBAL_ADMIN if tenant.is_partner else Role.CUSTOMER_GLOBAL_ADMIN


def may_leave_without_global_admin(tenant: Tenant, *, losing_role=(), deactivating=()) -> Decision:
    """A tenant keeps an active Global admin while it has active members or ties to others.
    `losing_role`: memberships about to lose the role; `deactivating`: about to be deactivated."""
    role = global_admin_role(tenant)
    # People only: an app holding Global admin is not someone who can sign in and manage.
    active = Membership.objects.filter(tenant=tenant, user__is_active=True, user__partner_app=None)
    admins = set(active.filter(role_rows__role=role).values_list("pk", flat=True))
    gone = admins & {*losing_role, *deactivating}
    if not gone or admins - gone:
        return ALLOWED
    members = active.exclude(pk__in=list(deactivating)).count()
    ties = tenant_ties(tenant)
    if not members and not ties:
        return ALLOWED
    still = ([_counted(members, "active member", "active members")] if members else []) + (
        ties.parts()
    )
    names = ", ".join(
        sorted(str(user) for user in get_user_model().objects.filter(membership__pk__in=gone))
    )
    return Decision(
        False,
        f"{tenant.name} would have no {role.label}: {names} is its last active one, and it "
        f"still has {_and_list(still)}. Make another member {role.label} first.",
        "last_global_admin",
    )


def may_deactivate_user(user, *, by) -> Decision:
    """An operator can't lock themself out, nor leave an organization without a Global admin."""
    if user.pk == by.pk:
        return Decision(
            False, "You can't deactivate your own account. Ask another operator.", "self"
        )
    membership = Membership.objects.select_related("tenant").filter(user=user).first()
    if membership is None:
        return ALLOWED
    return may_leave_without_global_admin(membership.tenant, deactivating={membership.pk})
