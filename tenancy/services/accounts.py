"""A user's own account: sign-in events, second factors, recovery codes; and a Global admin's
reset of another user's sign-in methods. Each write is audited.

The codes themselves are checked by django-otp's devices, which also slow down repeated wrong
codes (each failure doubles the wait, stored on the device row, so every web server sees it).
"""

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_otp_webauthn.models import WebAuthnCredential

from tenancy import mfa, rules
from tenancy.effects.record import record
from tenancy.models import AuditAction, Membership, Tenant
from tenancy.rules import Action
from tenancy.services.base import ServiceError


def _scope(user) -> dict:
    """Where an account event is filed: the user's organization, so its activity shows it."""
    membership = Membership.objects.select_related("tenant").filter(user=user).first()
    if membership is None:
        return {}
    tenant = membership.tenant
    side = {"partner": tenant} if tenant.is_partner else {"customer": tenant}
    return {"actor_tenant": tenant, **side}


def account_event(user, action: AuditAction, *, filed: bool = True, **details) -> None:
    """An account event by `user`. Sign-ins and sign-outs are not `filed` with the organization
    (its activity log would be nothing else); operators see them."""
    scope = _scope(user) if user is not None else {}
    if not filed:
        scope = {"actor_tenant": scope.get("actor_tenant")} if scope else {}
    record(action, actor=user, details=details, **scope)


def _wrong_code() -> str:
    return _("That code didn't work. Enter the newest code your authenticator app shows.")


def _throttled_message(device) -> str | None:
    allowed, data = device.verify_is_allowed()
    if allowed:
        return None
    until = data.get("locked_until") if data else None
    if until is None:
        return _("Too many wrong codes. Wait a moment and try again.")
    seconds = max(1, int((until - timezone.now()).total_seconds()) + 1)
    return ngettext(
        "Too many wrong codes. Try again in %(count)s second.",
        "Too many wrong codes. Try again in %(count)s seconds.",
        seconds,
    ) % {"count": seconds}


def _new_recovery_codes(user) -> list[str]:
    device, _created = StaticDevice.objects.get_or_create(
        user=user, defaults={"name": "Recovery codes"}
    )
    device.token_set.all().delete()
    codes = [StaticToken.random_token() for _ in range(mfa.RECOVERY_CODE_COUNT)]
    StaticToken.objects.bulk_create(StaticToken(device=device, token=code) for code in codes)
    return codes


def authenticator_confirm(*, user, device: TOTPDevice, code: str) -> list[str]:
    """Confirm the authenticator app being set up with a code it shows. Returns the user's new
    recovery codes when this is their first sign-in method (shown once), else []."""
    if device.user_id != user.pk or device.confirmed:
        raise ServiceError(
            _("This authenticator app is already set up. Start again to add another.")
        )
    with transaction.atomic():
        # Locked while the code is checked, as at sign-in (second_factor_check); a wrong code's
        # count is committed: nothing is raised in here.
        device = TOTPDevice.objects.select_for_update().get(pk=device.pk)
        message = _throttled_message(device)
        ok = message is None and device.verify_token(code)
    if message:
        raise ServiceError(message)
    if not ok:
        raise ServiceError(_wrong_code())
    with transaction.atomic():
        device = (
            TOTPDevice.objects.select_for_update().filter(pk=device.pk, confirmed=False).first()
        )
        if device is None:
            raise ServiceError(_("This authenticator app is already set up."))
        first = not mfa.is_enrolled(user)
        device.confirmed = True
        device.save(update_fields=["confirmed"])
        codes = _new_recovery_codes(user) if first else []
        account_event(user, AuditAction.MFA_ADDED, method="authenticator app")
        if codes:
            account_event(user, AuditAction.RECOVERY_CODES_MADE, count=len(codes))
    return codes


def passkey_added(*, user, passkey: WebAuthnCredential) -> list[str]:
    """Record a passkey the library registered. Returns new recovery codes if it is the user's
    first sign-in method."""
    with transaction.atomic():
        others = (
            TOTPDevice.objects.filter(user=user, confirmed=True).exists()
            or WebAuthnCredential.objects.filter(user=user, confirmed=True)
            .exclude(pk=passkey.pk)
            .exists()
        )
        codes = [] if others else _new_recovery_codes(user)
        account_event(user, AuditAction.MFA_ADDED, method="passkey")
        if codes:
            account_event(user, AuditAction.RECOVERY_CODES_MADE, count=len(codes))
    return codes


def recovery_codes_renew(*, user) -> list[str]:
    """New recovery codes; the old ones stop working."""
    if not mfa.is_enrolled(user):
        raise ServiceError(
            _(
                "Add an authenticator app or a passkey first: recovery codes stand in for one of "
                "them."
            )
        )
    with transaction.atomic():
        codes = _new_recovery_codes(user)
        account_event(user, AuditAction.RECOVERY_CODES_MADE, count=len(codes))
    return codes


def sign_in_method_remove(*, user, kind: str, pk: int) -> None:
    """Remove one of the user's own authenticator apps or passkeys. With the last one go the
    recovery codes (they would be a way in without a second factor)."""
    model = {"authenticator": TOTPDevice, "passkey": WebAuthnCredential}.get(kind)
    with transaction.atomic():
        device = model and model.objects.select_for_update().filter(user=user, pk=pk).first()
        if device is None:
            raise ServiceError(_("That sign-in method was already removed."))
        device.delete()
        if not mfa.is_enrolled(user):
            StaticDevice.objects.filter(user=user).delete()
        account_event(
            user,
            AuditAction.MFA_REMOVED,
            method="authenticator app" if kind == "authenticator" else "passkey",
        )


def second_factor_check(*, user, method: str, code: str):
    """The device that accepts `code` at sign-in, or a ServiceError that says why not.
    A recovery code works once, even when two requests bring it at the same moment."""
    code = "".join(code.split()).replace("-", "").lower()
    if method == "recovery":
        with transaction.atomic():
            device = StaticDevice.objects.select_for_update().filter(user=user).first()
            if device is None:
                raise ServiceError(_("You have no recovery codes. Use your authenticator app."))
            if message := _throttled_message(device):
                raise ServiceError(message)
            ok = device.verify_token(code)
            if ok:
                left = device.token_set.count()
                account_event(user, AuditAction.RECOVERY_CODE_USED, codes_left=left)
        if not ok:
            raise ServiceError(_("That recovery code didn't work. Check it, or use another one."))
        return device
    with transaction.atomic():
        # The devices are locked while a code is checked: codes sent by several sessions at
        # once are checked one after another, so each wrong one is counted and the next waits
        # as django-otp's throttle says. (A wrong code's count is committed: nothing is raised
        # in here.)
        devices = list(
            TOTPDevice.objects.select_for_update().filter(user=user, confirmed=True).order_by("pk")
        )
        message = next(filter(None, map(_throttled_message, devices)), None)
        accepted = None
        if message is None:
            accepted = next((device for device in devices if device.verify_token(code)), None)
    if not devices:
        raise ServiceError(_("You have no authenticator app. Use a passkey or a recovery code."))
    if message:
        raise ServiceError(message)
    if accepted is None:
        raise ServiceError(_wrong_code())
    account_event(user, AuditAction.MFA_VERIFIED, method="authenticator app")
    return accepted


def sign_in_methods_reset(*, membership: Membership, target: Membership) -> str:
    """A Global admin removes every sign-in method of a user of their organization: the user
    sets up new ones at their next sign-in. Returns what was removed, as words."""
    tenant = membership.tenant
    rules.require(
        membership,
        Action.MANAGE_USERS if tenant.is_partner else Action.MANAGE_ORGANIZATION_USERS,
    )
    if target.tenant_id != membership.tenant_id:
        raise ServiceError(_("That user is not in your organization."))
    if target.pk == membership.pk:
        raise ServiceError(_("To change your own sign-in methods, open Security info."))
    user = target.user
    with transaction.atomic():
        before = mfa.methods_of(user)
        if not before.enrolled and not before.recovery_codes_left:
            raise ServiceError(
                _("%(user)s has no sign-in methods to reset.") % {"user": user.get_username()}
            )
        TOTPDevice.objects.filter(user=user).delete()
        WebAuthnCredential.objects.filter(user=user).delete()
        StaticDevice.objects.filter(user=user).delete()
        record(
            AuditAction.MFA_RESET,
            actor=membership.user,
            actor_tenant=tenant,
            **({"partner": tenant} if tenant.is_partner else {"customer": tenant}),
            details={"user": user.get_username(), "removed": before.summary},
        )
    return before.summary


def membership_roles_set(*, membership: Membership, target: Membership, roles) -> bool:
    """A customer's Global administrator gives a user of the organization its roles (Active
    users → Roles): the roles ticked, no other. Audited as the roles before and after; False
    when nothing changed. The organization keeps an active Global administrator."""
    tenant = membership.tenant
    rules.require(membership, Action.MANAGE_ORGANIZATION_USERS)
    if target.tenant_id != tenant.pk:
        raise ServiceError(_("That user is not in your organization."))
    offered = rules.assignable_roles(tenant)
    chosen = {role for role in offered if role.value in set(roles)}
    if not chosen or len(chosen) != len(set(roles)):
        raise ServiceError(_("Choose one or more of the roles listed."), code="roles")
    global_admin = rules.global_admin_role(tenant)
    with transaction.atomic():
        # Two administrators changing roles at once queue here, so neither can take the last
        # Global administrator's role while the other takes another's.
        Tenant.objects.select_for_update().filter(pk=tenant.pk).first()
        before = set(target.role_rows.values_list("role", flat=True))
        if before == {role.value for role in chosen}:
            return False
        if global_admin.value in before and global_admin not in chosen:
            others = (
                Membership.objects.filter(
                    tenant=tenant, role_rows__role=global_admin, user__is_active=True
                )
                .exclude(pk=target.pk)
                .exists()
            )
            if not others:
                raise ServiceError(
                    _(
                        "%(user)s is the organization's only Global administrator. Make another "
                        "user a Global administrator first."
                    )
                    % {"user": target.user.get_username()},
                    code="last_global_admin",
                )
        target.role_rows.exclude(role__in=[role.value for role in chosen]).delete()
        target.role_rows.bulk_create(
            target.role_rows.model(membership=target, role=role)
            for role in sorted(chosen)
            if role.value not in before
        )
        record(
            AuditAction.ROLES_CHANGED,
            actor=membership.user,
            actor_tenant=tenant,
            customer=tenant,
            details={
                "user": target.user.get_username(),
                "roles": [sorted(before), sorted(role.value for role in chosen)],
            },
        )
    return True
