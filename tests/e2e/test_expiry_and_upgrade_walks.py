"""Expiry and upgrades in the browser: Remove Global Administrator on an expiring relationship
(gone from it and its assignments, the customer sees it, auto-extend then allowed); a template's
version 2 upgraded for the customers on version 1, the customer approving exactly the changes,
the mapped agents holding the new roles and not the removed one."""

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from tenancy import services
from tenancy.entra_roles import (
    GLOBAL_ADMINISTRATOR,
    HELPDESK_ADMINISTRATOR,
    LICENSE_ADMINISTRATOR,
)
from tenancy.models import (
    AccessAssignment,
    AdminRelationship,
    AdminRelationshipStatus,
    Cloud,
    Role,
    SecurityGroupMember,
)
from tests.factories import (
    PASSWORD,
    AdminRelationshipFactory,
    CustomerFactory,
    PartnerFactory,
    ResellerRelationshipFactory,
    SecurityGroupFactory,
    member,
)

pytestmark = pytest.mark.django_db(transaction=True)

ADMIN_AGENT = "admin-agent@contosopartners.onmicrosoft.com"
TIER_ONE = "tier1@contosopartners.onmicrosoft.com"
CUSTOMER_GA = "admin@northwindtraders.onmicrosoft.com"
READER = "88d8e3e3-8f55-4a1e-953a-9b9898b8876b"


@pytest.fixture
def world(site):
    partner = PartnerFactory(name="Contoso Partners", country_id="US")
    agent = member(partner, Role.ADMIN_AGENT, username=ADMIN_AGENT)
    tier = member(partner, Role.SALES_AGENT, username=TIER_ONE)
    group = SecurityGroupFactory(partner=partner, name="Helpdesk – tier 1")
    SecurityGroupMember.objects.create(group=group, membership=tier.membership)
    customer = CustomerFactory(name="Northwind Traders", country_id="US")
    member(customer, Role.CUSTOMER_GLOBAL_ADMIN, username=CUSTOMER_GA)
    ResellerRelationshipFactory(partner=partner, customer=customer)
    return {"partner": partner, "agent": agent, "tier": tier, "group": group, "customer": customer}


def test_remove_global_administrator_then_auto_extend(page, world, sign_in, sign_out, axe):
    now = timezone.now()
    relationship = AdminRelationshipFactory(
        partner=world["partner"],
        customer=world["customer"],
        name="Northwind - full control",
        roles=[GLOBAL_ADMINISTRATOR, HELPDESK_ADMINISTRATOR],
        approved_at=now - timedelta(days=80),
        duration_days=90,
        ends_at=now + timedelta(days=10),
    )
    assignment = AccessAssignment.objects.create(
        relationship=relationship,
        group=world["group"],
        roles=[GLOBAL_ADMINISTRATOR, HELPDESK_ADMINISTRATOR],
    )

    sign_in(ADMIN_AGENT, PASSWORD)
    page.get_by_role("link", name="Admin relationships").first.click()
    page.get_by_role("navigation", name="Admin relationships").get_by_role(
        "link", name="Expiring"
    ).click()
    expect(page.get_by_role("link", name="1 Ends in 30 days")).to_be_visible()
    row = page.get_by_role("row", name="Northwind - full control")
    expect(row).to_contain_text("Global Administrator")
    axe.check("expiring")
    row.get_by_role("link", name="Northwind - full control").click()
    # It can't extend by itself while it holds Global Administrator.
    expect(page.get_by_role("button", name="Enable auto-extend")).to_have_count(0)
    page.get_by_role("link", name="Remove Global Administrator").click()
    page.get_by_role("button", name="Remove Global Administrator").click()
    expect(page.get_by_text("Global Administrator is gone from")).to_be_visible()
    assignments = page.get_by_role("region", name="Security groups")
    expect(assignments.get_by_role("row", name="Helpdesk – tier 1")).to_contain_text(
        "Helpdesk Administrator"
    )
    expect(assignments).not_to_contain_text("Global Administrator")
    page.get_by_role("button", name="Enable auto-extend").click()
    expect(page.get_by_text("now extends by 180 days each time it would end")).to_be_visible()
    relationship.refresh_from_db()
    assignment.refresh_from_db()
    assert relationship.roles == [HELPDESK_ADMINISTRATOR] and relationship.auto_extend
    assert assignment.roles == [HELPDESK_ADMINISTRATOR]
    sign_out()

    # The customer's Partner relationships shows what it holds now.
    sign_in(CUSTOMER_GA, PASSWORD)
    page.goto(page.url.split("/admin-center/")[0] + "/admin-center/settings/partner-relationships/")
    relationships = page.get_by_role("main")
    expect(relationships).to_contain_text("Northwind - full control")
    expect(relationships).to_contain_text("Helpdesk Administrator")
    expect(relationships).not_to_contain_text("Global Administrator")


def test_upgrade_to_version_2_approved_with_exactly_its_changes(
    page, world, sign_in, sign_out, axe
):
    partner, agent, customer = world["partner"], world["agent"], world["customer"]
    template = services.template_create(
        partner=partner,
        created_by=agent,
        content=services.TemplateContent(
            name="Helpdesk",
            roles=[READER, HELPDESK_ADMINISTRATOR],
            duration_days=365,
            mappings=[(world["group"], [HELPDESK_ADMINISTRATOR])],
        ),
    )
    old = services.admin_relationship_create(
        partner=partner,
        created_by=agent,
        request=services.AdminRequest(
            name="Northwind - Helpdesk",
            duration_days=365,
            roles=[READER, HELPDESK_ADMINISTRATOR],
            auto_extend=False,
        ),
        customer=customer,
        finalize=True,
        template_version=template.latest,
    )
    services.admin_relationship_approve(
        relationship_id=old.pk,
        user=customer.memberships.get().user,
        portal_cloud=Cloud.PUBLIC,
    )
    # Version 2 adds License Administrator and drops Helpdesk Administrator.
    services.template_update(
        template=template,
        changed_by=agent,
        content=services.TemplateContent(
            name="Helpdesk",
            roles=[READER, LICENSE_ADMINISTRATOR],
            duration_days=365,
            mappings=[(world["group"], [LICENSE_ADMINISTRATOR])],
        ),
    )

    sign_in(ADMIN_AGENT, PASSWORD)
    page.get_by_role("link", name="Admin relationships").first.click()
    page.get_by_role("navigation", name="Admin relationships").get_by_role(
        "link", name="Templates"
    ).click()
    page.get_by_role("link", name="Helpdesk").click()
    older = page.get_by_role("region", name="On older versions")
    expect(older.get_by_role("row", name="Northwind - Helpdesk")).to_be_visible()
    older.get_by_role("button", name="Upgrade 1 relationship").click()
    expect(page.get_by_role("region", name="Progress")).to_contain_text("Done")
    axe.check("upgrade job")
    sign_out()

    # The customer's Global administrator opens the request's link (as from its email).
    new = AdminRelationship.objects.get(upgrade_of=old)
    page.goto(new.link())
    sign_in(CUSTOMER_GA, PASSWORD)
    changes = page.get_by_role("region", name="What changes in “Northwind - Helpdesk”")
    expect(
        changes.get_by_role("definition").filter(has_text="License Administrator")
    ).to_be_visible()
    expect(
        changes.get_by_role("definition").filter(has_text="Helpdesk Administrator")
    ).to_be_visible()
    expect(changes).not_to_contain_text("Directory Readers")  # unchanged: not there to read
    axe.check("upgrade request")
    page.get_by_role("button", name="Approve the changes").click()
    expect(page.get_by_role("heading", name="Partner relationships")).to_be_visible()
    sign_out()

    old.refresh_from_db()
    new.refresh_from_db()
    assert old.status == AdminRelationshipStatus.TERMINATED
    assert new.status == AdminRelationshipStatus.ACTIVE
    held = services.agent_roles_in(world["tier"].membership, customer)
    assert LICENSE_ADMINISTRATOR in held and HELPDESK_ADMINISTRATOR not in held
