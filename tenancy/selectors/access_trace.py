"""Who can do what, where: the access trace.

An agent acts in a customer with exactly the roles its security groups were assigned on its
partner's admin relationships in force there (and that the relationship still has). Each such
way in is an access path: agent → security group → access assignment → admin relationship →
its end. `access_paths` reads them, for one agent or one customer, in one query whatever their
number; `services.agent_roles_in` is computed from it, so the trace the pages show and the rule
the services apply are the same rule. `if_approved` says the same before a request goes out:
who would hold what, through which group, once a customer approves a template's version.

What the roles then allow is the rules' table (`rules.ENTRA_ROLES_FOR`), read through
`rules.entra_roles_allow`.
"""

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from itertools import groupby

from django.core.exceptions import PermissionDenied
from django.db.models import F, QuerySet
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from tenancy import rules
from tenancy.choices import AssignmentState
from tenancy.entra_roles import EntraRoleInfo, role_names, sorted_roles
from tenancy.models import (
    AccessAssignment,
    AdminRelationship,
    Membership,
    SecurityGroup,
    TemplateMapping,
    TemplateVersion,
    Tenant,
)
from tenancy.prepared import Prepared
from tenancy.rules import Action, CustomerTask

# What each task of the rules' table is called on the pages (a task added there without a name
# here shows its plain English description).
TASK_LABELS = {
    CustomerTask.MANAGE_SUBSCRIPTION: gettext_lazy("Change or suspend a subscription"),
}


def tasks_allowed(roles: Iterable[str]) -> list[CustomerTask]:
    """The customer tasks these Microsoft Entra roles allow, as the rules' table says."""
    held = frozenset(roles)
    return [task for task in CustomerTask if rules.entra_roles_allow(held, task)]


def task_label(task: CustomerTask) -> str:
    return str(TASK_LABELS.get(task, task.value))


def task_labels_for(roles: Iterable[str]) -> list[str]:
    """What these roles allow, as the pages name it."""
    return [task_label(task) for task in tasks_allowed(roles)]


def task_code(task: CustomerTask) -> str:
    """The task as the API names it: MANAGE_SUBSCRIPTION → "manageSubscription"."""
    first, *rest = task.name.lower().split("_")
    return first + "".join(word.capitalize() for word in rest)


class _Held:
    """Roles held (or to be held), with their names and what they allow."""

    roles: frozenset[str]

    @property
    def role_names(self) -> list[str]:
        return role_names(self.roles)

    @property
    def role_infos(self) -> list[EntraRoleInfo]:
        return sorted_roles(self.roles)

    @property
    def tasks(self) -> list[CustomerTask]:
        return tasks_allowed(self.roles)

    @property
    def task_labels(self) -> list[str]:
        return task_labels_for(self.roles)


# --- What is held now --------------------------------------------------------------------------


@dataclass(frozen=True)
class AccessPath(_Held):
    """One way an agent holds roles in a customer: through this security group, assigned them on
    this admin relationship in force, until its end."""

    membership_id: int
    username: str
    user_active: bool
    customer: Tenant
    group: SecurityGroup
    assignment_id: object
    relationship: AdminRelationship
    ends_at: datetime  # the current end: an auto-extending relationship's moves on
    roles: frozenset[str]  # the assignment's roles the relationship (still) has

    @property
    def auto_extend(self) -> bool:
        return self.relationship.auto_extend


def assignments_in_force(
    *, partner=None, customer: Tenant | None = None, now=None
) -> QuerySet[AccessAssignment]:
    """The access assignments that give roles: made (not failed), not removed, on an admin
    relationship in force (of `partner`, in `customer`, when given)."""
    relationships = AdminRelationship.objects.in_force(now)
    if partner is not None:
        relationships = relationships.filter(partner=partner)
    if customer is not None:
        relationships = relationships.filter(customer=customer)
    return AccessAssignment.objects.filter(
        removed_at__isnull=True, state=AssignmentState.ACTIVE, relationship__in=relationships
    )


def access_paths(
    *, partner, membership: Membership | None = None, customer: Tenant | None = None, now=None
) -> Iterator[AccessPath]:
    """The access paths of one of `partner`'s agents (`membership`), customers by name; or of
    every agent of `partner` in one `customer`, agents by user name; or (both given) of one
    agent in one customer. One query, however many. A path whose assignment gives none of the
    relationship's roles (it no longer has them) gives nothing and is left out."""
    if membership is None and customer is None:
        raise TypeError("access_paths reads an agent's paths, a customer's, or both.")
    now = now or timezone.now()
    if membership is None:
        # A customer's (its page, on each view): compiled once (tenancy.prepared).
        rows = _CUSTOMER_PATHS.all(
            partner=getattr(partner, "pk", partner), customer=customer.pk, now=now
        )
    else:
        rows = _path_rows(partner, membership, customer, now).iterator(chunk_size=2000)
    for assignment in rows:
        relationship = assignment.relationship
        roles = frozenset(assignment.roles) & frozenset(relationship.roles)
        if not roles:
            continue
        yield AccessPath(
            membership_id=assignment.member_id,
            username=assignment.member_name,
            user_active=assignment.member_active,
            customer=relationship.customer,
            group=assignment.group,
            assignment_id=assignment.pk,
            relationship=relationship,
            ends_at=relationship.current_end(now),
            roles=roles,
        )


def _path_rows(partner, membership, customer, now) -> QuerySet[AccessAssignment]:
    """access_paths' rows: one per member and assignment, in the order it gives them."""
    assignments = assignments_in_force(partner=partner, customer=customer, now=now)
    if membership is not None:
        assignments = assignments.filter(group__memberships__membership=membership)
        order = ["relationship__customer__name", "relationship__customer_id"]
    else:
        order = ["member_name", "member_id"]
    # The member comes from the group's memberships through the join the filter above made (an
    # annotation reuses it): one row per member and assignment.
    return (
        assignments.select_related("group", "relationship__customer")
        .annotate(
            member_id=F("group__memberships__membership_id"),
            member_name=F("group__memberships__membership__user__username"),
            member_active=F("group__memberships__membership__user__is_active"),
        )
        .filter(member_id__isnull=False)
        .order_by(*order, "group__name", "relationship__name", "id")
    )


_CUSTOMER_PATHS = Prepared(
    lambda partner, customer, now: _path_rows(partner, None, customer, now),
    partner=Tenant._meta.pk,
    customer=Tenant._meta.pk,
    now=AdminRelationship._meta.get_field("ends_at"),
)


def roles_held(paths: Iterable[AccessPath]) -> frozenset[str]:
    held: set[str] = set()
    for path in paths:
        held |= path.roles
    return frozenset(held)


def agent_roles(paths: Iterable[AccessPath], membership: Membership) -> frozenset[str]:
    """The roles `membership` holds through `paths`: its own among them (the paths of one agent,
    or of every agent in a customer, as the customer page reads them)."""
    return roles_held(path for path in paths if path.membership_id == membership.pk)


@dataclass(frozen=True)
class CustomerAccess(_Held):
    """An agent's paths in one customer, and the roles they add up to."""

    customer: Tenant
    paths: list[AccessPath]
    roles: frozenset[str]


@dataclass(frozen=True)
class AgentAccess(_Held):
    """One agent's paths in a customer, and the roles they add up to."""

    membership_id: int
    username: str
    user_active: bool
    paths: list[AccessPath]
    roles: frozenset[str]


def by_customer(paths: Iterable[AccessPath]) -> list[CustomerAccess]:
    """An agent's paths (as `access_paths` orders them), customer by customer."""
    grouped = []
    for _customer_id, each in groupby(paths, key=lambda path: path.customer.pk):
        each = list(each)
        grouped.append(CustomerAccess(each[0].customer, each, roles_held(each)))
    return grouped


def by_agent(paths: Iterable[AccessPath]) -> list[AgentAccess]:
    """A customer's paths (as `access_paths` orders them), agent by agent."""
    grouped = []
    for _membership_id, each in groupby(paths, key=lambda path: path.membership_id):
        each = list(each)
        first = each[0]
        grouped.append(
            AgentAccess(
                first.membership_id, first.username, first.user_active, each, roles_held(each)
            )
        )
    return grouped


def agent_access_of(viewer: Membership, membership_id) -> Membership:
    """The agent whose access `viewer` asks to see: one of its own organization's (anyone
    else's is a 404), and itself, unless `viewer` may manage users or security groups (who has
    which role where follows from the groups they manage)."""
    target = (
        Membership.objects.select_related("user")
        .filter(pk=membership_id, tenant_id=viewer.tenant_id)
        .first()
    )
    if target is None:
        raise Http404("No such user.")
    if target.pk != viewer.pk and not may_see_others_access(viewer):
        raise PermissionDenied(
            _("Only Global admins and Admin agents can see another user's access.")
        )
    return target


def may_see_others_access(viewer: Membership) -> bool:
    return rules.may(viewer.roles, Action.MANAGE_USERS) or rules.may(
        viewer.roles, Action.MANAGE_SECURITY_GROUPS
    )


# --- What a customer granted -------------------------------------------------------------------


@dataclass(frozen=True)
class GroupAccess(_Held):
    """A partner's security group's roles in the customer, through one admin relationship."""

    partner_id: object
    group_name: str
    relationship: AdminRelationship
    ends_at: datetime
    roles: frozenset[str]


def group_access_in(customer: Tenant, now=None) -> list[GroupAccess]:
    """Every partner's security groups that hold roles in `customer`, with the roles and the
    relationship's end (what the customer granted; no agent's name): by partner, group and
    relationship. One query."""
    now = now or timezone.now()
    rows = (
        assignments_in_force(customer=customer, now=now)
        .select_related("group", "relationship")
        .order_by("relationship__partner_id", "group__name", "relationship__name", "id")
    )
    granted = []
    for assignment in rows:
        relationship = assignment.relationship
        roles = frozenset(assignment.roles) & frozenset(relationship.roles)
        if roles:
            granted.append(
                GroupAccess(
                    relationship.partner_id,
                    assignment.group.name,
                    relationship,
                    relationship.current_end(now),
                    roles,
                )
            )
    return granted


# --- What would be held once a customer approves -----------------------------------------------


@dataclass(frozen=True)
class Member:
    membership_id: int
    username: str
    user_active: bool


@dataclass(frozen=True)
class ProspectiveMapping(_Held):
    """A template mapping as it would become an access assignment on approval: the roles its
    group would get, or why it would not be made (`failure`, a code of the rules)."""

    group: SecurityGroup
    mapped_roles: frozenset[str]
    members: list[Member]
    failure: str
    # What the assignment would give: nothing when it can't be made.
    roles: frozenset[str] = field(default=frozenset())

    @property
    def reason(self) -> str:
        if not self.failure:
            return ""
        return rules.assignment_failure_reason(
            self.failure, group=self.group.name, roles=self.mapped_roles
        )


@dataclass(frozen=True)
class ProspectivePath(_Held):
    group: SecurityGroup
    roles: frozenset[str]


@dataclass(frozen=True)
class AgentProspect(_Held):
    """What one agent would hold in a customer once it approves: through which groups, the
    roles in all (with those it already holds there, when a customer is named)."""

    membership_id: int
    username: str
    user_active: bool
    paths: list[ProspectivePath]
    roles: frozenset[str]
    already: frozenset[str] = field(default=frozenset())

    @property
    def new_role_names(self) -> list[str]:
        return role_names(self.roles - self.already)


@dataclass(frozen=True)
class IfApproved:
    version: TemplateVersion
    mappings: list[ProspectiveMapping]
    agents: list[AgentProspect]

    @property
    def failed(self) -> list[ProspectiveMapping]:
        return [mapping for mapping in self.mappings if mapping.failure]


def if_approved(
    version: TemplateVersion, *, partner=None, customer: Tenant | None = None, now=None
) -> IfApproved:
    """Who would hold which roles, through which security group, once a customer approves a
    relationship made from `version` (every role it asks for, as customers approve): each
    mapping becomes an assignment of its roles, unless the rules say it can't be made (its group
    has no members, say). One query; with `customer` (and its `partner`), one more for what the
    agents already hold there."""
    rows = (
        TemplateMapping.objects.filter(version=version)
        .select_related("group")
        .annotate(
            member_id=F("group__memberships__membership_id"),
            member_name=F("group__memberships__membership__user__username"),
            member_active=F("group__memberships__membership__user__is_active"),
        )
        .order_by("group__name", "pk", "member_name", "member_id")
    )
    version_roles = frozenset(version.roles)
    mappings = []
    for _pk, each in groupby(rows, key=lambda mapping: mapping.pk):
        each = list(each)
        mapping = each[0]
        members = [
            Member(row.member_id, row.member_name, row.member_active)
            for row in each
            if row.member_id is not None
        ]
        failure = rules.assignment_failure(
            members=len(members), mapped_roles=mapping.roles, relationship_roles=version.roles
        )
        mapped = frozenset(mapping.roles)
        mappings.append(
            ProspectiveMapping(
                group=mapping.group,
                mapped_roles=mapped,
                members=members,
                failure=failure,
                roles=frozenset() if failure else mapped & version_roles,
            )
        )
    already: dict[int, list[AccessPath]] = {}
    if customer is not None:
        if partner is None:
            raise TypeError("if_approved needs the partner to read what is held in a customer.")
        for path in access_paths(partner=partner, customer=customer, now=now):
            already.setdefault(path.membership_id, []).append(path)
    agents: dict[int, tuple[Member, list[ProspectivePath]]] = {}
    for mapping in mappings:
        if not mapping.roles:
            continue
        for person in mapping.members:
            agents.setdefault(person.membership_id, (person, []))[1].append(
                ProspectivePath(mapping.group, mapping.roles)
            )
    prospects = []
    for person, paths in agents.values():
        held = roles_held(already.get(person.membership_id, []))
        roles = held | frozenset().union(*(path.roles for path in paths))
        prospects.append(
            AgentProspect(
                person.membership_id, person.username, person.user_active, paths, roles, held
            )
        )
    prospects.sort(key=lambda agent: (agent.username, agent.membership_id))
    return IfApproved(version, mappings, prospects)
