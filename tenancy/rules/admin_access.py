"""Admin relationships (GDAP): what a request may ask for, what a security group may be given,
and which Microsoft Entra roles an agent needs in a customer to do a task there."""

from enum import StrEnum

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from tenancy.choices import AdminRelationshipStatus, Cloud, TenantKind
from tenancy.entra_roles import (
    BILLING_ADMINISTRATOR,
    ENTRA_ROLES,
    GLOBAL_ADMINISTRATOR,
    LICENSE_ADMINISTRATOR,
    MAX_DAYS,
    MIN_DAYS,
    NAME_MAX_LENGTH,
    role_names,
)
from tenancy.models import Tenant
from tenancy.rules.decisions import ALLOWED, Decision


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


def auto_extend_allowed(roles) -> bool:
    """A relationship may extend by itself unless it holds Global Administrator (Microsoft's
    rule: full control of an organization is never granted for an open-ended time)."""
    return GLOBAL_ADMINISTRATOR not in roles


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
    if auto_extend and not auto_extend_allowed(roles):
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
