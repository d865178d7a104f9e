"""Issue 22's races, with real threads and row locks (PostgreSQL only): two agents upgrading one
relationship, an upgrade's approval racing the old relationship's termination, Remove Global
Administrator racing a termination or an approval. One outcome each; assignments never lost nor
doubled. The decisions taken under the locks are slowed down, so without the locks both sides
would pass them."""

import time

import pytest

from tenancy import services
from tenancy.choices import AdminRelationshipStatus, AuditAction
from tenancy.entra_roles import (
    GLOBAL_ADMINISTRATOR,
    HELPDESK_ADMINISTRATOR,
    LICENSE_ADMINISTRATOR,
)
from tenancy.models import (
    AccessAssignment,
    AdminRelationship,
    AuditEvent,
    Role,
    SecurityGroupMember,
)
from tenancy.services import admin_relationship_changes, upgrades
from tests.factories import SecurityGroupFactory, member
from tests.tenancy.test_upgrades import READER, World
from tests.threads import at_once

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("reference_data"),
]


def slowed(monkeypatch, module, name):
    real = getattr(module, name)

    def slow(*args, **kwargs):
        result = real(*args, **kwargs)
        time.sleep(0.3)
        return result

    monkeypatch.setattr(module, name, slow)


@pytest.fixture
def world(partner_a, admin_agent):
    world = World(partner_a, admin_agent)
    world.version_2()
    world.old.refresh_from_db()
    return world


def live_assignments():
    return sorted(
        AccessAssignment.objects.filter(removed_at__isnull=True).values_list(
            "relationship", "group", "roles"
        )
    )


def test_two_agents_upgrading_one_relationship_make_one_request(world, monkeypatch):
    slowed(monkeypatch, upgrades, "upgrade_decision")
    second_agent = member(world.partner, Role.ADMIN_AGENT)
    results = at_once(
        *(
            lambda agent=agent: services.admin_relationship_upgrade(
                relationship=world.old, requested_by=agent
            )
            for agent in (world.agent, second_agent)
        )
    )
    made = [r for r in results if isinstance(r, AdminRelationship)]
    refused = [r for r in results if isinstance(r, services.ServiceError)]
    assert (len(made), len(refused)) == (1, 1), results
    assert refused[0].code == "waiting"
    assert AdminRelationship.objects.filter(upgrade_of=world.old).count() == 1


def test_an_upgrades_approval_racing_the_old_ones_termination_ends_it_once(world, monkeypatch):
    new = services.admin_relationship_upgrade(relationship=world.old, requested_by=world.agent)
    slowed(monkeypatch, services.ADMIN_REQUESTS, "refusal")
    results = at_once(
        lambda: world.approve(new),
        lambda: services.admin_relationship_terminate(
            relationship=world.old, terminated_by=world.customer_ga, by=world.customer
        ),
    )
    approved, terminated = results
    assert isinstance(approved, AdminRelationship), results
    # The customer's Remove roles came first, or found it already ended by the upgrade.
    assert not isinstance(terminated, Exception) or isinstance(terminated, services.ServiceError)
    world.old.refresh_from_db()
    new.refresh_from_db()
    assert (world.old.status, new.status) == (
        AdminRelationshipStatus.TERMINATED,
        AdminRelationshipStatus.ACTIVE,
    )
    assert AuditEvent.objects.filter(action=AuditAction.ADMIN_TERMINATED).count() == 1
    assert live_assignments() == [(new.pk, world.group.pk, [LICENSE_ADMINISTRATOR])]
    assert world.roles_of_tier_agent() == set(live_assignments()[0][2])


@pytest.fixture
def with_global_admin(world):
    """An active relationship (not from a template) with Global Administrator and Helpdesk
    Administrator, its group holding both."""
    relationship = services.admin_relationship_create(
        partner=world.partner,
        created_by=world.agent,
        request=services.AdminRequest(
            name="Northwind - full",
            duration_days=90,
            roles=[GLOBAL_ADMINISTRATOR, HELPDESK_ADMINISTRATOR],
            auto_extend=False,
        ),
        customer=world.customer,
        finalize=True,
    )
    return relationship


def no_assignment_holds_a_role_its_relationship_lacks():
    for assignment in AccessAssignment.objects.filter(removed_at__isnull=True).select_related(
        "relationship"
    ):
        assert set(assignment.roles) <= set(assignment.relationship.roles), assignment


def test_remove_global_administrator_racing_a_termination(world, with_global_admin, monkeypatch):
    world.approve(with_global_admin)
    group = SecurityGroupFactory(partner=world.partner)
    SecurityGroupMember.objects.create(group=group, membership=world.tier_agent.membership)
    AccessAssignment.objects.create(
        relationship=with_global_admin, group=group, roles=[GLOBAL_ADMINISTRATOR]
    )
    slowed(monkeypatch, admin_relationship_changes, "remove_global_admin_decision")
    results = at_once(
        lambda: services.admin_relationship_remove_global_admin(
            relationship=with_global_admin, removed_by=world.agent
        ),
        lambda: services.admin_relationship_terminate(
            relationship=with_global_admin, terminated_by=world.agent, by=world.partner
        ),
    )
    with_global_admin.refresh_from_db()
    assert with_global_admin.status == AdminRelationshipStatus.TERMINATED
    removed, terminated = results
    if isinstance(removed, services.ServiceError):  # terminated first
        assert removed.code == "not_in_force"
        assert GLOBAL_ADMINISTRATOR in with_global_admin.roles
    else:
        assert with_global_admin.roles == [HELPDESK_ADMINISTRATOR]
    assert not isinstance(terminated, Exception), results
    # Nothing changed after the end: the termination's line says the roles it ended with.
    ended = AuditEvent.objects.get(action=AuditAction.ADMIN_TERMINATED)
    assert ended.details["roles"] == with_global_admin.roles
    assert not AccessAssignment.objects.filter(
        relationship=with_global_admin, removed_at__isnull=True
    ).exists()
    assert GLOBAL_ADMINISTRATOR not in world.roles_of_tier_agent()


def test_remove_global_administrator_racing_an_approval(world, monkeypatch):
    """The template maps a group to Global Administrator: approved first, its assignment loses
    the role; removed first (before approval), the removal is refused. Never an assignment
    holding a role its relationship has lost."""
    group = SecurityGroupFactory(partner=world.partner, name="Admins")
    SecurityGroupMember.objects.create(group=group, membership=world.tier_agent.membership)
    template = services.template_create(
        partner=world.partner,
        created_by=world.agent,
        content=services.TemplateContent(
            name="Full",
            roles=[GLOBAL_ADMINISTRATOR, READER],
            duration_days=30,
            mappings=[(group, [GLOBAL_ADMINISTRATOR, READER])],
        ),
    )
    pending = world.request(template.latest, name="Northwind - full")
    slowed(monkeypatch, services.ADMIN_REQUESTS, "refusal")
    slowed(monkeypatch, admin_relationship_changes, "remove_global_admin_decision")
    results = at_once(
        lambda: world.approve(pending),
        lambda: services.admin_relationship_remove_global_admin(
            relationship=pending, removed_by=world.agent
        ),
    )
    approved, removed = results
    assert isinstance(approved, AdminRelationship), results
    pending.refresh_from_db()
    no_assignment_holds_a_role_its_relationship_lacks()
    if isinstance(removed, services.ServiceError):
        assert removed.code == "not_in_force"
        assert GLOBAL_ADMINISTRATOR in pending.roles
    else:
        assert pending.roles == [READER]
        assert GLOBAL_ADMINISTRATOR not in world.roles_of_tier_agent()
