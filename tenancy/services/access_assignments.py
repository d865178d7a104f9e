"""Access assignments: some of an admin relationship's roles, given to one of the partner's
security groups (Add security group on a relationship, or a template's mappings when the customer
approves). Managed by the partner's Admin agents; each change one transaction, recorded."""

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from tenancy import rules
from tenancy.choices import AssignmentState, AuditAction
from tenancy.models import AccessAssignment, AdminRelationship, SecurityGroup
from tenancy.rules import Action, Decision
from tenancy.services.admin_relationship_base import AdminRequestInvalid, locked, record_admin
from tenancy.services.base import ServiceError, acting_member


def access_assignment_create(
    *, relationship: AdminRelationship, group: SecurityGroup, roles, created_by
) -> AccessAssignment:
    """Give one of the partner's security groups some of an active relationship's roles."""
    acting_member(created_by, relationship.partner, Action.MANAGE_ADMIN_RELATIONSHIPS)
    if group.partner_id != relationship.partner_id:
        raise AdminRequestInvalid(
            {"group": _("Choose one of your organization's security groups.")}
        )
    with transaction.atomic():
        relationship = locked(relationship.pk)
        _check(access_assignment_decision(relationship))
        problems = rules.assignment_problems(roles=roles, relationship_roles=relationship.roles)
        if problems:
            raise AdminRequestInvalid(problems)
        if AccessAssignment.objects.filter(
            relationship=relationship, group=group, removed_at__isnull=True
        ).exists():
            raise AdminRequestInvalid(
                {
                    "group": _("%(group)s already has roles in this relationship: edit them.")
                    % {"group": group.name}
                }
            )
        assignment = AccessAssignment.objects.create(
            relationship=relationship,
            group=group,
            roles=sorted(set(roles)),
            created_by=created_by,
        )
        record_admin(
            relationship,
            AuditAction.ASSIGNMENT_CREATED,
            created_by,
            relationship.partner,
            subject=assignment,
            group=group.name,
            roles=assignment.roles,
        )
    return assignment


def access_assignment_update(
    *, assignment: AccessAssignment, roles, updated_by
) -> AccessAssignment:
    acting_member(updated_by, assignment.relationship.partner, Action.MANAGE_ADMIN_RELATIONSHIPS)
    with transaction.atomic():
        relationship = locked(assignment.relationship_id)
        assignment = (
            AccessAssignment.objects.select_for_update()
            .select_related("group")
            .get(pk=assignment.pk)
        )
        if assignment.removed_at is not None:
            raise ServiceError(
                _("These roles were already removed from the group."), code="removed"
            )
        _check(access_assignment_decision(relationship))
        problems = rules.assignment_problems(roles=roles, relationship_roles=relationship.roles)
        if problems:
            raise AdminRequestInvalid(problems)
        before = assignment.roles
        assignment.roles = sorted(set(roles))
        assignment.updated_at = timezone.now()
        # A mapping's assignment that could not be made is made by giving the group roles the
        # relationship holds.
        assignment.state, assignment.failure = AssignmentState.ACTIVE, ""
        assignment.save(update_fields=["roles", "updated_at", "state", "failure"])
        record_admin(
            relationship,
            AuditAction.ASSIGNMENT_UPDATED,
            updated_by,
            relationship.partner,
            group=assignment.group.name,
            before=before,
            roles=assignment.roles,
        )
    return assignment


def access_assignment_remove(*, assignment: AccessAssignment, removed_by) -> None:
    acting_member(removed_by, assignment.relationship.partner, Action.MANAGE_ADMIN_RELATIONSHIPS)
    with transaction.atomic():
        relationship = locked(assignment.relationship_id)
        assignment = (
            AccessAssignment.objects.select_for_update()
            .select_related("group")
            .get(pk=assignment.pk)
        )
        if assignment.removed_at is not None:
            raise ServiceError(
                _("These roles were already removed from the group."), code="removed"
            )
        assignment.removed_at = timezone.now()
        assignment.removed_by = removed_by
        assignment.save(update_fields=["removed_at", "removed_by"])
        record_admin(
            relationship,
            AuditAction.ASSIGNMENT_REMOVED,
            removed_by,
            relationship.partner,
            subject=assignment,
            group=assignment.group.name,
            roles=assignment.roles,
        )


def access_assignment_decision(relationship: AdminRelationship) -> Decision:
    """Security groups get roles only on a relationship in force (the pages and the API show
    the same sentence for each state)."""
    if relationship.is_in_force():
        return rules.ALLOWED
    status = relationship.display_status()
    return Decision(False, str(rules.NOT_ASSIGNABLE.get(status, status.label)), "not_active")


def _check(decision: Decision) -> None:
    if not decision:
        raise ServiceError(decision.reason, code=decision.code)


# --- A template's mappings, once the customer approves ------------------------------------


def _failure(group: SecurityGroup, roles, relationship: AdminRelationship) -> str:
    return rules.assignment_failure(
        members=group.memberships.count(),
        mapped_roles=roles,
        relationship_roles=relationship.roles,
    )


def _record_made(assignment: AccessAssignment, actor, tenant, now) -> None:
    relationship = assignment.relationship
    if assignment.state == AssignmentState.ACTIVE:
        action, details = AuditAction.ASSIGNMENT_CREATED, {}
    else:
        action, details = AuditAction.ASSIGNMENT_FAILED, {"failure": assignment.failure}
    record_admin(
        relationship,
        action,
        actor,
        tenant,
        subject=assignment,
        at=now,
        group=assignment.group.name,
        roles=assignment.roles,
        **details,
    )


def template_mappings_apply(*, relationship: AdminRelationship, approved_by, now) -> list:
    """The template version's mappings become the relationship's access assignments, in the
    approval's own transaction: each one made (its webhook raised), or, when it can't be, kept
    with its reason for a person to read and retry. Returns the assignments."""
    version = relationship.template_version
    if version is None:
        return []
    made = []
    for mapping in version.mappings.select_related("group"):
        group = mapping.group
        failure = _failure(group, mapping.roles, relationship)
        assignment = AccessAssignment.objects.create(
            relationship=relationship,
            group=group,
            roles=sorted(set(mapping.roles)),
            mapping=mapping,
            state=AssignmentState.FAILED if failure else AssignmentState.ACTIVE,
            failure=failure,
            created_at=now,
            created_by=approved_by,
        )
        _record_made(assignment, approved_by, relationship.customer, now)
        made.append(assignment)
    return made


def access_assignment_retry(*, assignment: AccessAssignment, retried_by) -> AccessAssignment:
    """Try again to make an assignment a template's mapping asked for. Refused, with the reason,
    while what stood in the way still does."""
    acting_member(retried_by, assignment.relationship.partner, Action.MANAGE_ADMIN_RELATIONSHIPS)
    with transaction.atomic():
        relationship = locked(assignment.relationship_id)
        assignment = (
            AccessAssignment.objects.select_for_update(of=("self",))
            .select_related("group")
            .get(pk=assignment.pk)
        )
        if assignment.removed_at is not None or assignment.state == AssignmentState.ACTIVE:
            raise ServiceError(_("These roles were already given to the group."), code="made")
        _check(access_assignment_decision(relationship))
        failure = _failure(assignment.group, assignment.roles, relationship)
        if failure:
            raise ServiceError(
                rules.assignment_failure_reason(
                    failure, group=assignment.group.name, roles=assignment.roles
                ),
                code=failure,
            )
        now = timezone.now()
        assignment.state, assignment.failure, assignment.updated_at = (
            AssignmentState.ACTIVE,
            "",
            now,
        )
        assignment.save(update_fields=["state", "failure", "updated_at"])
        assignment.relationship = relationship
        _record_made(assignment, retried_by, relationship.partner, now)
    return assignment
