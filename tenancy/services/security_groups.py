"""A partner's security groups, their members, and the roles each is given in a customer through
an admin relationship in force (access assignments). Managed by the partner's Admin agents (and
Global admins, for the groups themselves); every change is one transaction, recorded.
"""

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from tenancy.choices import AuditAction
from tenancy.effects.record import record
from tenancy.models import (
    Membership,
    SecurityGroup,
    SecurityGroupMember,
    Tenant,
)
from tenancy.rules import Action
from tenancy.services.admin_relationship_base import AdminRequestInvalid
from tenancy.services.base import ServiceError, acting_member

# --- Security groups ---------------------------------------------------------------------


def _clean_group_name(name: str) -> str:
    name = (name or "").strip()
    if not name:
        raise AdminRequestInvalid({"name": _("Enter a name for the security group.")})
    if len(name) > 120:
        raise AdminRequestInvalid({"name": _("Use at most 120 characters.")})
    if any(ord(c) < 32 or ord(c) == 127 for c in name):
        raise AdminRequestInvalid({"name": _("Use a single line without control characters.")})
    return name


def _group_name_taken(name: str) -> str:
    return _("There is already a security group named “%(name)s”.") % {"name": name}


def _group_name_free(partner: Tenant, name: str, exclude=None) -> None:
    taken = SecurityGroup.objects.filter(partner=partner, name__iexact=name)
    if exclude is not None:
        taken = taken.exclude(pk=exclude.pk)
    if taken.exists():
        raise AdminRequestInvalid({"name": _group_name_taken(name)})


def security_group_create(
    *, partner: Tenant, name: str, created_by, description: str = ""
) -> SecurityGroup:
    acting_member(created_by, partner, Action.MANAGE_SECURITY_GROUPS)
    name = _clean_group_name(name)
    try:
        with transaction.atomic():
            _group_name_free(partner, name)
            group = SecurityGroup.objects.create(
                partner=partner,
                name=name,
                description=" ".join((description or "").split())[:300],
                created_by=created_by,
            )
            record(
                AuditAction.GROUP_CREATED,
                actor=created_by,
                actor_tenant=partner,
                partner=partner,
                details={"group": str(group.id), "name": name},
            )
    except IntegrityError:
        raise AdminRequestInvalid({"name": _group_name_taken(name)}) from None
    return group


def security_group_rename(*, group: SecurityGroup, name: str, renamed_by) -> SecurityGroup:
    acting_member(renamed_by, group.partner, Action.MANAGE_SECURITY_GROUPS)
    name = _clean_group_name(name)
    before = group.name
    if name == before:
        return group
    try:
        with transaction.atomic():
            _group_name_free(group.partner, name, exclude=group)
            group.name = name
            group.save(update_fields=["name"])
            record(
                AuditAction.GROUP_RENAMED,
                actor=renamed_by,
                actor_tenant=group.partner,
                partner=group.partner,
                details={"group": str(group.id), "from": before, "to": name},
            )
    except IntegrityError:
        group.name = before
        raise AdminRequestInvalid({"name": _group_name_taken(name)}) from None
    return group


def security_group_member_add(*, group: SecurityGroup, membership: Membership, added_by) -> None:
    acting_member(added_by, group.partner, Action.MANAGE_SECURITY_GROUPS)
    if membership.tenant_id != group.partner_id:
        raise AdminRequestInvalid(
            {"member": _("Only your organization's own users can be members.")}
        )
    with transaction.atomic():
        _member, created = SecurityGroupMember.objects.get_or_create(
            group=group, membership=membership, defaults={"added_by": added_by}
        )
        if not created:
            raise AdminRequestInvalid(
                {
                    "member": _("%(user)s is already a member.")
                    % {"user": membership.user.get_username()}
                }
            )
        record(
            AuditAction.GROUP_MEMBER_ADDED,
            actor=added_by,
            actor_tenant=group.partner,
            partner=group.partner,
            details={
                "group": str(group.id),
                "name": group.name,
                "member": membership.user.get_username(),
            },
        )


def security_group_member_remove(
    *, group: SecurityGroup, membership: Membership, removed_by
) -> None:
    acting_member(removed_by, group.partner, Action.MANAGE_SECURITY_GROUPS)
    with transaction.atomic():
        rows = SecurityGroupMember.objects.filter(group=group, membership=membership)
        deleted, _by_model = rows.delete()
        if not deleted:
            raise ServiceError(
                _("%(user)s is not a member of %(group)s.")
                % {"user": membership.user.get_username(), "group": group.name},
                code="not_member",
            )
        record(
            AuditAction.GROUP_MEMBER_REMOVED,
            actor=removed_by,
            actor_tenant=group.partner,
            partner=group.partner,
            details={
                "group": str(group.id),
                "name": group.name,
                "member": membership.user.get_username(),
            },
        )
