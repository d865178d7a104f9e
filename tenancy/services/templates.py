"""Admin relationship templates: made and edited by a partner's Admin agents (an edit is a new
version), and requests made from one, each remembering the version it came from."""

from dataclasses import dataclass, field

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from tenancy import rules
from tenancy.choices import AuditAction
from tenancy.effects.record import record
from tenancy.entra_roles import NAME_MAX_LENGTH
from tenancy.models import (
    AdminRelationshipTemplate,
    SecurityGroup,
    TemplateMapping,
    TemplateVersion,
    Tenant,
)
from tenancy.rules import Action
from tenancy.services.admin_relationship_base import AdminRequestInvalid
from tenancy.services.base import acting_member


@dataclass(frozen=True)
class TemplateContent:
    """What a template asks for: a version's roles, duration, auto-extend and mappings."""

    name: str
    roles: list[str]
    duration_days: int | None
    auto_extend: bool = False
    description: str = ""
    # (security group, its roles)
    mappings: list[tuple[SecurityGroup, list[str]]] = field(default_factory=list)


def _check(partner: Tenant, content: TemplateContent) -> None:
    problems = {}
    if any(group.partner_id != partner.pk for group, _roles in content.mappings):
        problems["mappings"] = _("Choose your organization's own security groups.")
    problems = problems or rules.template_problems(
        name=content.name,
        roles=content.roles,
        duration_days=content.duration_days,
        auto_extend=content.auto_extend,
        mappings=content.mappings,
    )
    if problems:
        raise AdminRequestInvalid(problems)


def _name_taken(name: str) -> AdminRequestInvalid:
    return AdminRequestInvalid(
        {"name": _("There is already a template named “%(name)s”.") % {"name": name}}, taken=True
    )


def _same(version: TemplateVersion, content: TemplateContent) -> bool:
    mapped = {(m.group_id, tuple(sorted(m.roles))) for m in version.mappings.all()}
    return (
        sorted(version.roles) == sorted(set(content.roles))
        and version.duration_days == content.duration_days
        and version.auto_extend == content.auto_extend
        and mapped == {(g.pk, tuple(sorted(set(r)))) for g, r in content.mappings}
    )


def _new_version(template, number: int, content: TemplateContent, by, now) -> TemplateVersion:
    version = TemplateVersion.objects.create(
        template=template,
        number=number,
        roles=sorted(set(content.roles)),
        duration_days=content.duration_days,
        auto_extend=content.auto_extend,
        created_at=now,
        created_by=by,
    )
    TemplateMapping.objects.bulk_create(
        TemplateMapping(version=version, group=group, roles=sorted(set(roles)))
        for group, roles in content.mappings
    )
    template.latest = version
    template.save(update_fields=["latest"])
    return version


def _details(version: TemplateVersion) -> dict:
    return {
        "template": str(version.template_id),
        "name": version.template.name,
        "version": version.number,
        "roles": version.roles,
        "duration_days": version.duration_days,
        "auto_extend": version.auto_extend,
    }


def template_create(
    *, partner: Tenant, created_by, content: TemplateContent, now=None
) -> AdminRelationshipTemplate:
    acting_member(created_by, partner, Action.MANAGE_ADMIN_RELATIONSHIPS)
    _check(partner, content)
    now = now or timezone.now()
    name = content.name.strip()
    try:
        with transaction.atomic():
            if AdminRelationshipTemplate.objects.filter(partner=partner, name__iexact=name):
                raise IntegrityError("name taken")
            # The unique constraint on (partner, lower(name)) decides a race between two.
            template = AdminRelationshipTemplate.objects.create(
                partner=partner,
                name=name,
                description=" ".join(content.description.split())[:300],
                created_at=now,
                created_by=created_by,
            )
            version = _new_version(template, 1, content, created_by, now)
            record(
                AuditAction.TEMPLATE_CREATED,
                actor=created_by,
                actor_tenant=partner,
                partner=partner,
                details=_details(version),
                at=now,
            )
    except IntegrityError:
        raise _name_taken(name) from None
    return template


def template_update(
    *, template: AdminRelationshipTemplate, changed_by, content: TemplateContent, now=None
) -> AdminRelationshipTemplate:
    """A new version with `content` (or nothing, when nothing changed). The relationships made
    from the earlier ones keep what they were made with."""
    partner = template.partner
    acting_member(changed_by, partner, Action.MANAGE_ADMIN_RELATIONSHIPS)
    _check(partner, content)
    now = now or timezone.now()
    name = content.name.strip()
    try:
        with transaction.atomic():
            template = AdminRelationshipTemplate.objects.select_for_update().get(pk=template.pk)
            taken = AdminRelationshipTemplate.objects.filter(partner=partner, name__iexact=name)
            if taken.exclude(pk=template.pk).exists():
                raise IntegrityError("name taken")
            template.name = name
            template.description = " ".join(content.description.split())[:300]
            template.save(update_fields=["name", "description"])
            latest = template.latest
            if latest is not None and _same(latest, content):
                return template
            number = (latest.number if latest else 0) + 1
            version = _new_version(template, number, content, changed_by, now)
            record(
                AuditAction.TEMPLATE_CHANGED,
                actor=changed_by,
                actor_tenant=partner,
                partner=partner,
                details=_details(version),
                at=now,
            )
    except IntegrityError:
        raise _name_taken(name) from None
    return template


def request_name_for(template: AdminRelationshipTemplate, customer: Tenant | None) -> str:
    """A request's name from a template: "Contoso - Helpdesk tier", the customer first as lists
    are read (at most NAME_MAX_LENGTH; on the request page, the agent may change it)."""
    name = f"{customer.name} - {template.name}" if customer is not None else template.name
    return name[:NAME_MAX_LENGTH].rstrip()
