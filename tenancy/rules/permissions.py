"""Who may do what: DESIGN.md §2's table of roles and actions, and the sentence a member who may
not is told. The only place roles are checked against actions."""

from enum import StrEnum

from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext_lazy

from tenancy.choices import Role
from tenancy.models import Membership


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


PERMISSIONS: dict[Action, tuple[Role, ...]] = {
    Action.VIEW_CUSTOMERS: (
        Role.GLOBAL_ADMIN,
        Role.ADMIN_AGENT,
        Role.SALES_AGENT,
        Role.HELPDESK_AGENT,
    ),
    Action.REQUEST_RELATIONSHIP: (Role.ADMIN_AGENT, Role.SALES_AGENT),
    Action.VIEW_REQUESTS: (Role.GLOBAL_ADMIN, Role.ADMIN_AGENT, Role.SALES_AGENT),
    Action.REVOKE_REQUEST: (Role.ADMIN_AGENT, Role.SALES_AGENT),
    Action.ADD_CUSTOMER: (Role.GLOBAL_ADMIN, Role.ADMIN_AGENT, Role.SALES_AGENT),
    Action.PURCHASE: (Role.ADMIN_AGENT, Role.SALES_AGENT),
    Action.MANAGE_SUBSCRIPTION: (Role.ADMIN_AGENT, Role.SALES_AGENT),
    Action.REMOVE_RESELLER: (Role.GLOBAL_ADMIN,),
    Action.VIEW_ACTIVITY: (Role.GLOBAL_ADMIN, Role.ADMIN_AGENT),
    Action.VIEW_ADMIN_RELATIONSHIPS: (
        Role.GLOBAL_ADMIN,
        Role.ADMIN_AGENT,
        Role.SALES_AGENT,
        Role.HELPDESK_AGENT,
    ),
    # Request, finalize, withdraw and terminate admin relationships; give groups their roles.
    Action.MANAGE_ADMIN_RELATIONSHIPS: (Role.ADMIN_AGENT,),
    Action.MANAGE_SECURITY_GROUPS: (Role.GLOBAL_ADMIN, Role.ADMIN_AGENT),
    Action.MANAGE_USERS: (Role.GLOBAL_ADMIN,),
    Action.MANAGE_APPS: (Role.GLOBAL_ADMIN,),
    Action.MANAGE_WEBHOOKS: (Role.GLOBAL_ADMIN, Role.ADMIN_AGENT),
    Action.VIEW_PARTNERSHIPS: (Role.GLOBAL_ADMIN, Role.ADMIN_AGENT, Role.SALES_AGENT),
    Action.MANAGE_PARTNERSHIPS: (Role.GLOBAL_ADMIN,),
    Action.ACCEPT_RESELLER: (Role.CUSTOMER_GLOBAL_ADMIN, Role.CUSTOMER_BILLING_ADMIN),
    # Not a Delegated Admin Relationship Administrator: accepting such a request also makes the
    # partner the reseller and signs the Customer Agreement, which that role may not do.
    Action.ACCEPT_WITH_ADMIN: (Role.CUSTOMER_GLOBAL_ADMIN,),
    Action.ACCEPT_AGREEMENT: (Role.CUSTOMER_GLOBAL_ADMIN, Role.CUSTOMER_BILLING_ADMIN),
    Action.VIEW_PARTNER_RELATIONSHIPS: (
        Role.CUSTOMER_GLOBAL_ADMIN,
        Role.CUSTOMER_BILLING_ADMIN,
        Role.CUSTOMER_DELEGATED_ADMIN_RELATIONSHIP_ADMIN,
    ),
    # Remove roles: end (terminate) an admin relationship from the customer's side.
    Action.REMOVE_ADMIN_ROLES: (
        Role.CUSTOMER_GLOBAL_ADMIN,
        Role.CUSTOMER_DELEGATED_ADMIN_RELATIONSHIP_ADMIN,
    ),
    # Approve or decline: one action, the answer to an admin relationship request.
    Action.APPROVE_ADMIN_RELATIONSHIP: (
        Role.CUSTOMER_GLOBAL_ADMIN,
        Role.CUSTOMER_DELEGATED_ADMIN_RELATIONSHIP_ADMIN,
    ),
    Action.END_RESELLER: (Role.CUSTOMER_GLOBAL_ADMIN,),
    Action.MANAGE_ORGANIZATION_USERS: (Role.CUSTOMER_GLOBAL_ADMIN,),
    Action.EDIT_ORGANIZATION_PROFILE: (Role.CUSTOMER_GLOBAL_ADMIN, Role.CUSTOMER_BILLING_ADMIN),
    Action.VIEW_ORGANIZATION_ACTIVITY: (Role.CUSTOMER_GLOBAL_ADMIN, Role.CUSTOMER_BILLING_ADMIN),
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
        "Only Global administrators, Billing administrators and Delegated Admin Relationship "
        "Administrators can see partner relationships."
    ),
    Action.REMOVE_ADMIN_ROLES: gettext_lazy(
        "Only Global administrators and Delegated Admin Relationship Administrators can remove a "
        "partner's admin roles."
    ),
    Action.APPROVE_ADMIN_RELATIONSHIP: gettext_lazy(
        "Only Global administrators and Delegated Admin Relationship Administrators can approve "
        "or decline a partner's admin relationship."
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


def accept_action(include_admin: bool) -> Action:
    """A Billing administrator may accept a reseller-only request; admin roles need a Global one."""
    return Action.ACCEPT_WITH_ADMIN if include_admin else Action.ACCEPT_RESELLER


def assignable_roles(tenant) -> list[Role]:
    """The roles a member of `tenant` can hold, as the Users page offers them: a partner's or a
    customer's, in the table's order."""
    return [role for role in Role if role.value.startswith(f"{tenant.kind}.")]


def global_admin_role(tenant) -> Role:
    """The role that administers `tenant`: Global admin of a partner, Global administrator of a
    customer."""
    return Role.GLOBAL_ADMIN if tenant.is_partner else Role.CUSTOMER_GLOBAL_ADMIN
