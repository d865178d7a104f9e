"""Admin relationship templates: what a template may hold, and why a mapping's assignment could
not be made when a customer approved."""

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from tenancy.entra_roles import role_names
from tenancy.models import TEMPLATE_NAME_MAX
from tenancy.rules.admin_access import admin_request_problems


def template_problems(*, name: str, roles, duration_days, auto_extend: bool, mappings) -> dict:
    """What is wrong with a template, by field; empty when nothing is. `mappings`: (group,
    roles) pairs, the groups already known to be the partner's. The name's being free is the
    service's to check (it needs the database)."""
    problems = admin_request_problems(
        name="-", duration_days=duration_days, roles=roles, auto_extend=auto_extend
    )
    name = (name or "").strip()
    if not name:
        problems["name"] = _("Enter a name for the template.")
    elif len(name) > TEMPLATE_NAME_MAX:
        problems["name"] = ngettext(
            "Use at most %(max)s character (this name has %(count)s).",
            "Use at most %(max)s characters (this name has %(count)s).",
            TEMPLATE_NAME_MAX,
        ) % {"max": TEMPLATE_NAME_MAX, "count": len(name)}
    elif any(ord(c) < 32 or ord(c) == 127 for c in name):
        problems["name"] = _("Use a single line without control characters.")
    roles = set(roles or [])
    seen = set()
    for group, mapped in mappings:
        if group.pk in seen:
            problems["mappings"] = _("%(group)s is mapped twice: give it one set of roles.") % {
                "group": group.name
            }
            break
        seen.add(group.pk)
        outside = [role for role in mapped if role not in roles]
        if outside:
            problems["mappings"] = _(
                "%(group)s would get %(roles)s, which the template doesn't ask for. A group "
                "gets only roles of the template."
            ) % {"group": group.name, "roles": ", ".join(role_names(outside) or outside[:3])}
            break
        if not mapped:
            problems["mappings"] = _("Choose at least one role for %(group)s.") % {
                "group": group.name
            }
            break
    return problems


# Why an assignment a template's mapping asks for could not be made, code by code.
NO_MEMBERS = "no_members"
ROLE_NOT_HELD = "role_not_held"


def assignment_failure(*, members: int, mapped_roles, relationship_roles) -> str:
    """The code of what stands in the way of giving a group its mapped roles ("" if nothing)."""
    if any(role not in relationship_roles for role in mapped_roles):
        return ROLE_NOT_HELD
    if not members:
        return NO_MEMBERS
    return ""


def assignment_failure_reason(code: str, *, group: str, roles) -> str:
    """The reason, as a person reads it, and what to do about it."""
    params = {"group": group, "roles": ", ".join(role_names(roles))}
    if code == NO_MEMBERS:
        return (
            _(
                "%(group)s has no members, so nobody would get %(roles)s. Add members to the "
                "group, then retry."
            )
            % params
        )
    if code == ROLE_NOT_HELD:
        return (
            _(
                "The customer didn't approve every role the template gives %(group)s "
                "(%(roles)s). Edit the group's roles on this relationship instead."
            )
            % params
        )
    return code
