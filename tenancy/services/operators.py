"""What operators do in the operators' console (the Django admin), audited: the line every change
there writes, and deactivating and reactivating users, who are never deleted."""

from django.contrib.auth import get_user_model
from django.db import models, transaction

from tenancy import rules
from tenancy.models import AuditAction, AuditEvent, Membership, Tenant
from tenancy.services.base import ServiceError, audit

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
    return audit(
        action=action,
        actor=operator,
        partner=tenant if tenant and tenant.is_partner else None,
        customer=tenant if tenant and tenant.is_customer else None,
        details={
            "model": obj._meta.label,
            "pk": str(obj.pk),
            "object": str(obj),
            "changes": changes,
        },
    )


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
        decision = rules.may_deactivate_user(user, by=operator)
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
