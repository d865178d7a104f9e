"""What operators do in the operators' console (the Django admin), audited: the line every change
there writes, and deactivating and reactivating users, who are never deleted."""

from django.contrib.auth import get_user_model
from django.db import models, transaction

from tenancy import rules, selectors
from tenancy.effects.record import record
from tenancy.models import AuditAction, AuditEvent, Membership, Tenant
from tenancy.rules import ALLOWED, Decision
from tenancy.services.base import ServiceError

User = get_user_model()


def tenant_of(obj: models.Model) -> Tenant | None:
    """The tenant a record is or belongs to, whose activity log shows its changes."""
    if isinstance(obj, Tenant):
        return obj
    if isinstance(obj, Membership):
        return obj.tenant
    if isinstance(obj, User):
        membership = Membership.objects.select_related("tenant").filter(user=obj).first()
        return membership.tenant if membership else None
    return None


def operator_change_record(
    *, operator, action: AuditAction, obj: models.Model, changes: dict[str, list[str]]
) -> AuditEvent:
    """One audit line for one change an operator made: what, and each field before → after."""
    tenant = tenant_of(obj)
    return record(
        action,
        actor=operator,
        partner=tenant if tenant and tenant.is_partner else None,
        customer=tenant if tenant and tenant.is_customer else None,
        details={
            "model": obj._meta.label,
            "pk": str(obj.pk),
            "object": str(obj),
            "changes": changes,
        },
        subject=obj,
    )


def global_admin_loss_decision(tenant: Tenant, *, losing_role=(), deactivating=()) -> Decision:
    """A tenant keeps an active Global admin while it has active members or ties to others.
    `losing_role`: memberships about to lose the role; `deactivating`: about to be deactivated.
    In English: the console, which asks it, stays English."""
    role = rules.global_admin_role(tenant)
    active = selectors.active_people(tenant)
    admins = set(active.filter(role_rows__role=role).values_list("pk", flat=True))
    gone = admins & {*losing_role, *deactivating}
    if not gone or admins - gone:
        return ALLOWED
    members = active.exclude(pk__in=list(deactivating)).count()
    ties = selectors.tenant_ties(tenant)
    if not members and not ties:
        return ALLOWED
    still = ([f"{members} active member{'' if members == 1 else 's'}"] if members else []) + (
        ties.parts()
    )
    names = ", ".join(selectors.usernames(gone))
    return Decision(
        False,
        f"{tenant.name} would have no {role.label}: {names} is its last active one, and it "
        f"still has {selectors.and_list(still)}. Make another member {role.label} first.",
        "last_global_admin",
    )


def user_deactivate_decision(user, *, by) -> Decision:
    """An operator can't lock themself out, nor leave an organization without a Global admin."""
    if user.pk == by.pk:
        return Decision(
            False, "You can't deactivate your own account. Ask another operator.", "self"
        )
    membership = Membership.objects.select_related("tenant").filter(user=user).first()
    if membership is None:
        return ALLOWED
    return global_admin_loss_decision(membership.tenant, deactivating={membership.pk})


def _lock_for(user_pk) -> object:
    """Lock the user's tenant, then the user. Two operators deactivating a tenant's last two
    Global admins at once queue on the tenant's row, so the second sees the first's change."""
    tenant_id = Membership.objects.filter(user_id=user_pk).values_list("tenant", flat=True).first()
    if tenant_id is not None:
        Tenant.objects.select_for_update().filter(pk=tenant_id).first()
    return User.objects.select_for_update().get(pk=user_pk)


def user_deactivate(*, user, operator) -> bool:
    """Deactivate `user`: they can no longer sign in, and their open sessions stop working (the
    authentication backend refuses inactive users). False when they already were inactive."""
    with transaction.atomic():
        user = _lock_for(user.pk)
        if not user.is_active:
            return False
        decision = user_deactivate_decision(user, by=operator)
        if not decision:
            raise ServiceError(decision.reason, code=decision.code)
        user.is_active = False
        user.save(update_fields=["is_active"])
        operator_change_record(
            operator=operator,
            action=AuditAction.USER_DEACTIVATED,
            obj=user,
            changes={"is_active": ["True", "False"]},
        )
    return True


def user_reactivate(*, user, operator) -> bool:
    """Let a deactivated user sign in again. False when they already were active."""
    with transaction.atomic():
        user = _lock_for(user.pk)
        if user.is_active:
            return False
        user.is_active = True
        user.save(update_fields=["is_active"])
        operator_change_record(
            operator=operator,
            action=AuditAction.USER_REACTIVATED,
            obj=user,
            changes={"is_active": ["False", "True"]},
        )
    return True
