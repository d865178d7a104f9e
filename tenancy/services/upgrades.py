"""Upgrading a relationship to its template's newer version: the customer is sent a request that
asks for the new version's roles, duration and auto-extend (its page shows what changes, and
only that); approved, the new version's group mappings apply and the old relationship is
terminated, both in the approval's transaction (tenancy.services.admin_relationships); declined
or lapsed, the old one stays as it was.

One upgrade waits at a time for a relationship: asking again while one waits is refused, under
the old relationship's row lock (two agents, or two jobs, upgrading it at once make one request).
"""

from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from tenancy import rules, selectors
from tenancy.choices import AdminRelationshipStatus, AuditAction
from tenancy.effects.record import record
from tenancy.entra_roles import NAME_MAX_LENGTH, role_names
from tenancy.models import AdminRelationship, TemplateVersion
from tenancy.rules import Action, Decision
from tenancy.services.admin_relationship_base import locked
from tenancy.services.admin_relationships import AdminRequest, make_admin_request
from tenancy.services.base import ServiceError, acting_member
from tenancy.services.templates import request_name_for

IN_FORCE = (AdminRelationshipStatus.ACTIVE, AdminRelationshipStatus.EXPIRING)


def newer_version(relationship: AdminRelationship) -> TemplateVersion | None:
    """The template's latest version, when the relationship was made from an older one."""
    version = relationship.template_version
    if version is None:
        return None
    latest = version.template.latest
    if latest is None or latest.number <= version.number:
        return None
    return latest


def waiting_upgrade(relationship: AdminRelationship, now=None) -> AdminRelationship | None:
    return (
        AdminRelationship.objects.with_status(AdminRelationshipStatus.APPROVAL_PENDING, now)
        .filter(upgrade_of=relationship)
        .first()
    )


def upgrade_decision(relationship: AdminRelationship, now=None) -> Decision:
    now = now or timezone.now()
    if relationship.display_status(now) not in IN_FORCE:
        return Decision(
            False, _("Only an active admin relationship can be upgraded."), "not_in_force"
        )
    latest = newer_version(relationship)
    if latest is None:
        return Decision(
            False,
            _("It was made from its template's latest version: there is nothing to upgrade to."),
            "latest",
        )
    if waiting_upgrade(relationship, now) is not None:
        return Decision(
            False,
            _("An upgrade of this relationship is already waiting for the customer's approval."),
            "waiting",
        )
    return rules.ALLOWED


@dataclass(frozen=True)
class Difference:
    """What an upgrade changes, and only that."""

    added: list[str]  # role names
    removed: list[str]
    duration_days: tuple[int, int] | None  # (before, after) when it changes
    auto_extend: tuple[bool, bool] | None

    @property
    def nothing(self) -> bool:
        return not (self.added or self.removed or self.duration_days or self.auto_extend)


def difference(old: AdminRelationship, new: AdminRelationship) -> Difference:
    added = [role for role in new.roles if role not in old.roles]
    removed = [role for role in old.roles if role not in new.roles]
    return Difference(
        added=role_names(added),
        removed=role_names(removed),
        duration_days=(old.duration_days, new.duration_days)
        if old.duration_days != new.duration_days
        else None,
        auto_extend=(old.auto_extend, new.auto_extend)
        if old.auto_extend != new.auto_extend
        else None,
    )


def _names(relationship: AdminRelationship, version: TemplateVersion) -> list[str]:
    """ "Contoso - Helpdesk tier v2", and, should that be taken, one unique by the old id."""
    suffix = f" v{version.number}"
    plain = request_name_for(version.template, relationship.customer)
    first = plain[: NAME_MAX_LENGTH - len(suffix)].rstrip() + suffix
    unique = f" v{version.number} {relationship.pk.hex[:6]}"
    return [first, plain[: NAME_MAX_LENGTH - len(unique)].rstrip() + unique]


def upgrade(relationship: AdminRelationship, *, by, now) -> AdminRelationship:
    """Make the upgrade request of a locked, checked relationship, and send it to the customer's
    Global administrators. Inside the caller's transaction."""
    latest = newer_version(relationship)
    request = None
    for name in _names(relationship, latest):
        try:
            with transaction.atomic():  # a taken name rolls back this attempt only
                request = make_admin_request(
                    partner=relationship.partner,
                    created_by=by,
                    request=AdminRequest(
                        name=name,
                        duration_days=latest.duration_days,
                        roles=latest.roles,
                        auto_extend=latest.auto_extend,
                    ),
                    customer=relationship.customer,
                    finalize=True,
                    language=relationship.language,
                    template_version=latest,
                    upgrade_of=relationship,
                    now=now,
                )
            break
        except IntegrityError:
            continue
    if request is None:
        raise ServiceError(_("Choose a new name for this relationship first."), code="name")
    for address in selectors.global_administrator_emails(relationship.customer):
        record(
            AuditAction.ADMIN_SENT,
            actor=by,
            actor_tenant=relationship.partner,
            partner=relationship.partner,
            customer=relationship.customer,
            details={
                "relationship": str(request.pk),
                "name": request.name,
                "to": address,
                "upgrade_of": str(relationship.pk),
            },
            subject=request,
            at=now,
        )
    return request


def admin_relationship_upgrade(
    *, relationship: AdminRelationship, requested_by, now=None
) -> AdminRelationship:
    """Ask the customer to move one relationship to its template's latest version: the request
    (sent to the customer's Global administrators)."""
    acting_member(requested_by, relationship.partner, Action.MANAGE_ADMIN_RELATIONSHIPS)
    now = now or timezone.now()
    with transaction.atomic():
        relationship = locked(relationship.pk)
        decision = upgrade_decision(relationship, now)
        if not decision:
            raise ServiceError(decision.reason, code=decision.code)
        return upgrade(relationship, by=requested_by, now=now)


def upgradable(partner, template=None, now=None):
    """The partner's relationships in force made from an older version of their template (of
    `template`, if given) with no upgrade waiting: what "Upgrade all" upgrades."""
    now = now or timezone.now()
    relationships = AdminRelationship.objects.in_force(now).filter(
        partner=partner, template_version__isnull=False
    )
    if template is not None:
        relationships = relationships.filter(template_version__template=template)
    waiting = AdminRelationship.objects.with_status(
        AdminRelationshipStatus.APPROVAL_PENDING, now
    ).filter(upgrade_of__isnull=False)
    return relationships.exclude(template_version=F("template_version__template__latest")).exclude(
        pk__in=waiting.values("upgrade_of")
    )
