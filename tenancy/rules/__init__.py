"""The business rules of the CSP reseller flow: pure functions that answer with a Decision (or,
for forms, problems by field), and read no table; whoever calls one gathers what it needs.

    permissions   who may do what (DESIGN.md §2), and what a member who may not is told
    eligibility   who may relate to whom: markets, clouds, two tiers, purchases, endings
    admin_access  admin relationships: what a request may ask, the roles a task needs
    request_refusals  why a request's link can't be answered here (as codes and facts)

Each reason is a sentence in the reader's language; the pages show it as it is.
"""

from tenancy.rules.admin_access import (
    ENTRA_ROLES_FOR,
    NOT_ASSIGNABLE,
    CustomerTask,
    admin_request_problems,
    assignment_problems,
    auto_extend_allowed,
    entra_roles_allow,
    may_administer,
    may_manage_subscription,
    task_roles_phrase,
)
from tenancy.rules.decisions import ALLOWED, Decision
from tenancy.rules.eligibility import (
    admin_permissions_required,
    billing_address_first,
    may_end_reseller,
    may_partner,
    may_purchase,
    may_remove_partnership,
    may_resell,
    partnership_in_force,
    partnership_side,
    same_cloud,
)
from tenancy.rules.permissions import (
    DENIAL_MESSAGES,
    PERMISSIONS,
    Action,
    accept_action,
    assignable_roles,
    denial_message,
    global_admin_role,
    may,
    require,
)
from tenancy.rules.templates import (
    assignment_failure,
    assignment_failure_reason,
    template_problems,
)

__all__ = [
    "ALLOWED",
    "DENIAL_MESSAGES",
    "ENTRA_ROLES_FOR",
    "NOT_ASSIGNABLE",
    "PERMISSIONS",
    "Action",
    "CustomerTask",
    "Decision",
    "accept_action",
    "admin_permissions_required",
    "admin_request_problems",
    "assignable_roles",
    "assignment_failure",
    "assignment_failure_reason",
    "assignment_problems",
    "auto_extend_allowed",
    "billing_address_first",
    "denial_message",
    "entra_roles_allow",
    "global_admin_role",
    "may",
    "may_administer",
    "may_end_reseller",
    "may_manage_subscription",
    "may_partner",
    "may_purchase",
    "may_remove_partnership",
    "may_resell",
    "partnership_in_force",
    "partnership_side",
    "require",
    "same_cloud",
    "task_roles_phrase",
    "template_problems",
]
