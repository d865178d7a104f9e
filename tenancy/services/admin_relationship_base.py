"""What every service of admin relationships shares: their field errors, their audit line, their
row lock, and the sentence that says where a relationship stands."""

from django.utils import timezone
from django.utils.translation import gettext as _

from tenancy.choices import AdminRelationshipStatus, AuditAction
from tenancy.effects.record import Line, record_many
from tenancy.models import AccessAssignment, AdminRelationship, Tenant
from tenancy.services.base import ServiceError


class AdminRequestInvalid(ServiceError):
    """Field errors of an admin relationship request (or of an access assignment)."""

    def __init__(self, problems: dict[str, str], *, taken: bool = False):
        field_name, message = next(iter(problems.items()))
        super().__init__(message, code="name_taken" if taken else field_name)
        self.problems = problems
        # A name another relationship or template has: the page shows it at its field; the
        # API answers 409 (the data's conflict, not a malformed request).
        self.taken = taken


def record_admin(
    relationship: AdminRelationship,
    action,
    actor,
    actor_tenant,
    *,
    subject=None,
    at=None,
    **details,
):
    """The audit line of a change to `relationship`: it names both tenants and the relationship
    (the subject of what follows it, unless another is given: an access assignment). `at`: when
    (now, unless the demo data writes history)."""
    [event] = record_many(
        [admin_line(relationship, action, actor, actor_tenant, subject=subject, at=at, **details)]
    )
    return event


def admin_line(
    relationship: AdminRelationship,
    action,
    actor,
    actor_tenant,
    *,
    subject=None,
    at=None,
    **details,
) -> Line:
    """`record_admin`'s line, to record with others of the same change (`record_many`)."""
    return Line(
        action,
        actor=actor,
        actor_tenant=actor_tenant,
        partner=relationship.partner,
        customer=relationship.customer,
        details={"relationship": str(relationship.id), "name": relationship.name, **details},
        subject=subject or relationship,
        at=at,
    )


def lifetime_details(relationship: AdminRelationship) -> dict:
    """What an approval's line keeps: the relationship, its roles and its end."""
    return {
        "relationship": str(relationship.id),
        "name": relationship.name,
        "roles": relationship.roles,
        "ends_at": relationship.ends_at.isoformat(),
    }


def locked(pk) -> AdminRelationship:
    return (
        AdminRelationship.objects.select_for_update(of=("self",))
        .select_related("partner__country", "customer", "created_by", "finalized_by")
        .get(pk=pk)
    )


def close(relationship: AdminRelationship, status, user, tenant: Tenant, now=None) -> None:
    relationship.status = status
    relationship.closed_at = now or timezone.now()
    relationship.closed_by = user
    relationship.closed_by_tenant = tenant
    relationship.save(update_fields=["status", "closed_at", "closed_by", "closed_by_tenant"])


def end(relationship: AdminRelationship, terminated_by, by: Tenant, *, now, **details) -> None:
    """Terminate a locked relationship in force, with its access assignments, and record it
    (Terminate, Remove roles, and the approval of an upgrade that replaces it)."""
    close(relationship, AdminRelationshipStatus.TERMINATED, terminated_by, by, now=now)
    removed = AccessAssignment.objects.filter(
        relationship=relationship, removed_at__isnull=True
    ).update(removed_at=relationship.closed_at, removed_by=terminated_by)
    record_admin(
        relationship,
        AuditAction.ADMIN_TERMINATED,
        terminated_by,
        by,
        roles=relationship.roles,
        side="partner" if by.pk == relationship.partner_id else "customer",
        assignments_removed=removed,
        at=now,
        **details,
    )


def already(relationship: AdminRelationship) -> str:
    """Where the relationship stands, as the reason a step can't be taken now."""
    status = relationship.display_status()
    if status == AdminRelationshipStatus.APPROVAL_PENDING:
        return _("This request is waiting for the customer's approval.")
    if status in (AdminRelationshipStatus.ACTIVE, AdminRelationshipStatus.EXPIRING):
        return _("This admin relationship is already active.")
    if status == AdminRelationshipStatus.EXPIRED:
        return _("This admin relationship has expired.")
    if status == AdminRelationshipStatus.DECLINED:
        return _("The customer declined this request.")
    if status == AdminRelationshipStatus.WITHDRAWN:
        return _("This request was withdrawn.")
    if status == AdminRelationshipStatus.TERMINATED:
        return _("This admin relationship was terminated.")
    return _("This request hasn't been finalized yet.")
