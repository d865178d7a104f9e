"""What a partner may change on an admin relationship in force without asking the customer again:
whether it extends by itself, and taking Global Administrator away.

A role taken away needs no new consent (the customer granted more than is now held): it leaves
the relationship and every access assignment that held it, the customer's Global administrators
are told, and the relationship may then extend by itself. Each for one relationship here, or for
many as a bulk job (tenancy.services.bulk_items calls the same functions under the same locks).
"""

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from tenancy import rules
from tenancy.choices import AdminRelationshipStatus, AuditAction
from tenancy.entra_roles import GLOBAL_ADMINISTRATOR
from tenancy.models import AccessAssignment, AdminRelationship
from tenancy.rules import Action, Decision
from tenancy.services.admin_relationship_base import locked, record_admin
from tenancy.services.base import ServiceError, acting_member

IN_FORCE = (AdminRelationshipStatus.ACTIVE, AdminRelationshipStatus.EXPIRING)


def _in_force(relationship: AdminRelationship, now) -> Decision | None:
    if relationship.display_status(now) not in IN_FORCE:
        return Decision(
            False,
            _("Only an active admin relationship can be changed; this one is %(status)s.")
            % {"status": relationship.display_status(now).label.lower()},
            "not_in_force",
        )
    return None


def auto_extend_decision(relationship: AdminRelationship, on: bool, now=None) -> Decision:
    """May the relationship be set to extend by itself (`on`), or to end on its date?"""
    now = now or timezone.now()
    if (refused := _in_force(relationship, now)) is not None:
        return refused
    if relationship.auto_extend == on:
        return Decision(
            False,
            _("It already extends automatically.")
            if on
            else _("It already ends on its date, without extending."),
            "already_on" if on else "already_off",
        )
    if on and not rules.auto_extend_allowed(relationship.roles):
        return Decision(
            False,
            _(
                "A relationship that includes Global Administrator can't extend automatically. "
                "Remove Global Administrator first."
            ),
            "global_administrator",
        )
    return rules.ALLOWED


def change_auto_extend(relationship: AdminRelationship, on: bool, *, by, now) -> None:
    """Set a locked, checked relationship to extend by itself or not, and record it. Turned
    off, it ends at the end of the period it is in (its end, moved on while it extended)."""
    end = relationship.current_end(now)
    relationship.auto_extend = on
    relationship.ends_at = end
    relationship.save(update_fields=["auto_extend", "ends_at"])
    record_admin(
        relationship,
        AuditAction.ADMIN_AUTO_EXTEND_CHANGED,
        by,
        relationship.partner,
        auto_extend=on,
        ends_at=end.isoformat(),
        at=now,
    )


def admin_relationship_auto_extend(
    *, relationship: AdminRelationship, on: bool, changed_by, now=None
) -> AdminRelationship:
    """Enable auto-extend (or disable it) for one relationship, at once."""
    acting_member(changed_by, relationship.partner, Action.MANAGE_ADMIN_RELATIONSHIPS)
    now = now or timezone.now()
    with transaction.atomic():
        relationship = locked(relationship.pk)
        decision = auto_extend_decision(relationship, on, now)
        if not decision:
            raise ServiceError(decision.reason, code=decision.code)
        change_auto_extend(relationship, on, by=changed_by, now=now)
    return relationship


def remove_global_admin_decision(relationship: AdminRelationship, now=None) -> Decision:
    now = now or timezone.now()
    if (refused := _in_force(relationship, now)) is not None:
        return refused
    if GLOBAL_ADMINISTRATOR not in relationship.roles:
        return Decision(
            False, _("This relationship doesn't include Global Administrator."), "not_held"
        )
    if set(relationship.roles) == {GLOBAL_ADMINISTRATOR}:
        return Decision(
            False,
            _(
                "Global Administrator is this relationship's only role: removing it would leave "
                "none. Terminate the relationship instead."
            ),
            "only_role",
        )
    return rules.ALLOWED


def remove_global_admin(relationship: AdminRelationship, *, by, now) -> int:
    """Take Global Administrator from a locked, checked relationship and from each of its access
    assignments that held it (one left with no role is removed), and record it all; the
    customer's Global administrators are told. Returns how many assignments changed."""
    relationship.roles = [role for role in relationship.roles if role != GLOBAL_ADMINISTRATOR]
    relationship.save(update_fields=["roles"])
    changed = 0
    holding = AccessAssignment.objects.select_for_update(of=("self",)).filter(
        relationship=relationship, removed_at__isnull=True
    )
    for assignment in holding.select_related("group"):
        if GLOBAL_ADMINISTRATOR not in assignment.roles:
            continue
        changed += 1
        assignment.relationship = relationship
        left = [role for role in assignment.roles if role != GLOBAL_ADMINISTRATOR]
        if left:
            assignment.roles, assignment.updated_at = left, now
            assignment.save(update_fields=["roles", "updated_at"])
            action = AuditAction.ASSIGNMENT_UPDATED
        else:
            assignment.removed_at, assignment.removed_by = now, by
            assignment.save(update_fields=["removed_at", "removed_by"])
            action = AuditAction.ASSIGNMENT_REMOVED
        record_admin(
            relationship,
            action,
            by,
            relationship.partner,
            subject=assignment,
            group=assignment.group.name,
            roles=left,
            at=now,
        )
    record_admin(
        relationship,
        AuditAction.ADMIN_ROLE_REMOVED,
        by,
        relationship.partner,
        role=GLOBAL_ADMINISTRATOR,
        assignments_changed=changed,
        at=now,
    )
    return changed


def admin_relationship_remove_global_admin(
    *, relationship: AdminRelationship, removed_by, now=None
) -> AdminRelationship:
    """Remove Global Administrator from one relationship, at once."""
    acting_member(removed_by, relationship.partner, Action.MANAGE_ADMIN_RELATIONSHIPS)
    now = now or timezone.now()
    with transaction.atomic():
        relationship = locked(relationship.pk)
        decision = remove_global_admin_decision(relationship, now)
        if not decision:
            raise ServiceError(decision.reason, code=decision.code)
        remove_global_admin(relationship, by=removed_by, now=now)
    return relationship
