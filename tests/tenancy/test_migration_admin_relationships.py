"""Migration 0011 turns every old delegated admin grant into an admin relationship, without
loss: same partner, customer, roles (as Entra role ids), approver and dates, and the agents
who could use the roles still hold them through a security group."""

from datetime import timedelta

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from tenancy.reference_data import load_markets

pytestmark = pytest.mark.django_db(transaction=True)

BEFORE = [("tenancy", "0010_rename_old_admin_relationship")]
AFTER = [("tenancy", "0011_admin_relationships")]
GLOBAL_ADMINISTRATOR = "62e90394-69f5-4237-9190-012177145e10"
HELPDESK_ADMINISTRATOR = "729827e3-9c14-49f7-bb1b-9608f156bbb8"


def migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


@pytest.fixture
def before_0011():
    """The schema of 0010, with the reference data (a browser test may have emptied the
    tables); the latest schema again afterwards, whatever the test did."""
    apps = migrate(BEFORE)
    load_markets(apps.get_model("tenancy", "Market"), apps.get_model("tenancy", "Country"))
    yield apps
    executor = MigrationExecutor(connection)
    migrate(executor.loader.graph.leaf_nodes())


def test_old_grants_become_admin_relationships_without_loss(before_0011):
    apps = before_0011
    Tenant = apps.get_model("tenancy", "Tenant")
    User = apps.get_model("auth", "User")
    Membership = apps.get_model("tenancy", "Membership")
    MembershipRole = apps.get_model("tenancy", "MembershipRole")
    Grant = apps.get_model("tenancy", "DelegatedAdminGrant")
    Row = apps.get_model("tenancy", "CustomerListRow")
    now = timezone.now()
    partner = Tenant.objects.create(
        kind="partner",
        name="Contoso",
        domain="contoso-m.onmicrosoft.com",
        country_id="US",
        mpn_id=4999999,
        csp_role="direct",
    )
    customers = [
        Tenant.objects.create(
            kind="customer", name=name, domain=f"{name.lower()}-m.onmicrosoft.com", country_id="US"
        )
        for name in ("Northwind", "Litware")
    ]
    agent = Membership.objects.create(user=User.objects.create(username="agent-m"), tenant=partner)
    MembershipRole.objects.create(membership=agent, role="partner.sales_agent")
    helpdesk = Membership.objects.create(
        user=User.objects.create(username="helpdesk-m"), tenant=partner
    )
    MembershipRole.objects.create(membership=helpdesk, role="partner.helpdesk_agent")
    approver = User.objects.create(username="admin-m")
    ongoing = Grant.objects.create(
        partner=partner,
        customer=customers[0],
        roles=["global_administrator", "helpdesk_administrator"],
        granted_at=now - timedelta(days=1000),
        granted_by=approver,
    )
    Grant.objects.create(
        partner=partner,
        customer=customers[1],
        roles=["helpdesk_administrator"],
        granted_at=now - timedelta(days=50),
        ended_at=now - timedelta(days=5),
        ended_by=approver,
    )
    for customer in customers:
        Row.objects.create(
            partner=partner,
            customer=customer,
            customer_name=customer.name,
            customer_domain=customer.domain,
            country_id="US",
            state="admin" if customer == customers[0] else "reseller",
            since=now - timedelta(days=1000),
        )

    apps = migrate(AFTER)
    Relationship = apps.get_model("tenancy", "AdminRelationship")
    Assignment = apps.get_model("tenancy", "AccessAssignment")
    Row = apps.get_model("tenancy", "CustomerListRow")
    Counter = apps.get_model("tenancy", "CustomerListCount")
    active = Relationship.objects.get(customer_id=customers[0].pk)
    assert active.status == "active"
    assert sorted(active.roles) == sorted([GLOBAL_ADMINISTRATOR, HELPDESK_ADMINISTRATOR])
    assert (active.approved_at, active.approved_by_id) == (ongoing.granted_at, approver.pk)
    # A grant older than two years still runs: 730 days from the migration.
    assert active.ends_at > now + timedelta(days=729)
    assert active.name.startswith("Delegated admin - Northwind - ") and len(active.name) <= 50
    ended = Relationship.objects.get(customer_id=customers[1].pk)
    assert (ended.status, ended.closed_by_id, ended.closed_by_tenant_id) == (
        "terminated",
        approver.pk,
        customers[1].pk,
    )
    # The agents who could manage the customer's services still can, through a group.
    assignment = Assignment.objects.get()
    assert assignment.relationship_id == active.pk
    assert sorted(assignment.roles) == sorted(active.roles)
    members = set(assignment.group.memberships.values_list("membership_id", flat=True))
    assert members == {agent.pk}
    row = Row.objects.get(customer_id=customers[0].pk)
    assert (row.state, row.admin_until) == ("reseller", active.ends_at)
    assert Row.objects.get(customer_id=customers[1].pk).admin_until is None
    assert set(Counter.objects.values_list("state", "count")) == {("reseller", 2)}
