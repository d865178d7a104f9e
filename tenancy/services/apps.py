"""Partner Center apps: register one (its key shown once), revoke it. Audited."""

from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from tenancy import rules
from tenancy.models import APP_ROLES, AuditAction, Membership, MembershipRole, PartnerApp, Role
from tenancy.rules import Action
from tenancy.services.base import ServiceError, audit

NAME_MAX = 50


@dataclass(frozen=True)
class AppRegistered:
    app: PartnerApp
    key: str  # shown once; only its hash is kept


def app_register(*, membership: Membership, name: str, roles: list[str]) -> AppRegistered:
    rules.require(membership, Action.MANAGE_APPS)
    name = name.strip()
    if not name or len(name) > NAME_MAX:
        raise ServiceError(f"Enter a name of 1 to {NAME_MAX} characters.")
    unknown = [role for role in roles if role not in APP_ROLES]
    if unknown or not roles:
        raise ServiceError(
            "Give the app one or more of: Admin agent, Sales agent, Helpdesk agent, Global admin."
        )
    partner = membership.tenant
    with transaction.atomic():
        if PartnerApp.objects.filter(partner=partner, name__iexact=name, revoked=False).exists():
            raise ServiceError(f"You already have an app named {name}.")
        app = PartnerApp(partner=partner, name=name, created_by=membership.user)
        key = PartnerApp.objects.assign_key(app)
        principal = get_user_model()(
            username=f"app-{app.prefix.lower()}@{partner.domain}", first_name=name[:150]
        )
        principal.set_unusable_password()
        principal.save()
        member = Membership.objects.create(user=principal, tenant=partner)
        MembershipRole.objects.bulk_create(
            MembershipRole(membership=member, role=role) for role in sorted(set(roles))
        )
        app.principal = principal
        app.save()
        audit(
            action=AuditAction.APP_REGISTERED,
            actor=membership.user,
            actor_tenant=partner,
            partner=partner,
            details={
                "app": name,
                "prefix": app.prefix,
                "roles": [Role(r).label for r in sorted(set(roles))],
            },
        )
    return AppRegistered(app=app, key=key)


def app_revoke(*, membership: Membership, app: PartnerApp) -> None:
    """The key stops working at once; the app and its audit trail stay."""
    rules.require(membership, Action.MANAGE_APPS)
    with transaction.atomic():
        app = PartnerApp.objects.select_for_update().get(pk=app.pk, partner=membership.tenant)
        if app.revoked:
            raise ServiceError(f"{app.name}'s key was already revoked.")
        app.revoked = True
        app.revoked_at = timezone.now()
        app.save(update_fields=["revoked", "revoked_at"])
        app.principal.is_active = False
        app.principal.save(update_fields=["is_active"])
        audit(
            action=AuditAction.APP_REVOKED,
            actor=membership.user,
            actor_tenant=membership.tenant,
            partner=membership.tenant,
            details={"app": app.name, "prefix": app.prefix},
        )
