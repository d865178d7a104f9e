"""Partner Center apps: register one (its key shown once), revoke it. Audited."""

from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from tenancy import rules
from tenancy.effects.record import record
from tenancy.models import APP_ROLES, AuditAction, Membership, MembershipRole, PartnerApp
from tenancy.rules import Action
from tenancy.services.base import ServiceError
from tenancy.text import is_english

NAME_MAX = 50


@dataclass(frozen=True)
class AppRegistered:
    app: PartnerApp
    key: str  # shown once; only its hash is kept


def app_register(*, membership: Membership, name: str, roles: list[str]) -> AppRegistered:
    rules.require(membership, Action.MANAGE_APPS)
    name = name.strip()
    if not name or len(name) > NAME_MAX:
        raise ServiceError(
            ngettext(
                "Enter a name of 1 to %(max)s character.",
                "Enter a name of 1 to %(max)s characters.",
                NAME_MAX,
            )
            % {"max": NAME_MAX}
        )
    unknown = [role for role in roles if role not in APP_ROLES]
    if unknown or not roles:
        raise ServiceError(
            # Translators: %(roles)s lists role names: "Admin agent, Sales agent, Helpdesk agent,
            # Global admin".
            _("Give the app one or more of: %(roles)s.")
            % {"roles": ", ".join(str(role.label) for role in APP_ROLES)}
        )
    partner = membership.tenant
    with transaction.atomic():
        if PartnerApp.objects.filter(partner=partner, name__iexact=name, revoked=False).exists():
            raise ServiceError(_("You already have an app named %(name)s.") % {"name": name})
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
        record(
            AuditAction.APP_REGISTERED,
            actor=membership.user,
            actor_tenant=partner,
            partner=partner,
            details={
                "app": name,
                "prefix": app.prefix,
                "roles": sorted(set(roles)),
            },
        )
    return AppRegistered(app=app, key=key)


def app_revoke(*, membership: Membership, app: PartnerApp) -> None:
    """The key stops working at once; the app and its audit trail stay."""
    rules.require(membership, Action.MANAGE_APPS)
    with transaction.atomic():
        app = PartnerApp.objects.select_for_update().get(pk=app.pk, partner=membership.tenant)
        if app.revoked:
            raise ServiceError(
                # Translators: %(app_possessive)s is the app's name (in English with "'s").
                _("%(app_possessive)s key was already revoked.")
                % {"app": app.name, "app_possessive": f"{app.name}'s" if is_english() else app.name}
            )
        app.revoked = True
        app.revoked_at = timezone.now()
        app.save(update_fields=["revoked", "revoked_at"])
        app.principal.is_active = False
        app.principal.save(update_fields=["is_active"])
        record(
            AuditAction.APP_REVOKED,
            actor=membership.user,
            actor_tenant=membership.tenant,
            partner=membership.tenant,
            details={"app": app.name, "prefix": app.prefix},
        )
