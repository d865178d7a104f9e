"""Admin relationships (GDAP) in the browser: requested in Partner Center, approved (or
declined) in the Microsoft 365 admin center, given to a security group, used and taken away."""

import pytest
from playwright.sync_api import expect

from tenancy.models import (
    AdminRelationship,
    AdminRelationshipStatus,
    Offer,
    Role,
    SecurityGroupMember,
    Subscription,
)
from tests.factories import (
    PASSWORD,
    AgreementAcceptanceFactory,
    CustomerFactory,
    PartnerFactory,
    ResellerRelationshipFactory,
    SecurityGroupFactory,
    SubscriptionFactory,
    member,
)

pytestmark = pytest.mark.django_db(transaction=True)

ADMIN_AGENT = "admin-agent@contosopartners.onmicrosoft.com"
SALES_IN_GROUP = "sales-tier1@contosopartners.onmicrosoft.com"
SALES_OUTSIDE = "sales@contosopartners.onmicrosoft.com"
CUSTOMER_GA = "admin@northwindtraders.onmicrosoft.com"
CUSTOMER_BILLING = "billing@northwindtraders.onmicrosoft.com"


@pytest.fixture
def world(site):
    partner = PartnerFactory(name="Contoso Partners", country_id="US")
    member(partner, Role.ADMIN_AGENT, username=ADMIN_AGENT)
    in_group = member(partner, Role.SALES_AGENT, username=SALES_IN_GROUP)
    member(partner, Role.SALES_AGENT, username=SALES_OUTSIDE)
    group = SecurityGroupFactory(partner=partner, name="Helpdesk – tier 1")
    SecurityGroupMember.objects.create(group=group, membership=in_group.membership)
    customer = CustomerFactory(name="Northwind Traders", country_id="US")
    member(customer, Role.CUSTOMER_GLOBAL_ADMIN, username=CUSTOMER_GA)
    member(customer, Role.CUSTOMER_BILLING_ADMIN, username=CUSTOMER_BILLING)
    ResellerRelationshipFactory(partner=partner, customer=customer)
    AgreementAcceptanceFactory(customer=customer)
    subscription = SubscriptionFactory(
        partner=partner,
        customer=customer,
        offer=Offer.objects.get(code="microsoft-365-e3"),
        quantity=10,
    )
    return {"partner": partner, "customer": customer, "subscription": subscription}


def request_admin_relationship(page, sign_in, name: str, roles: list[str]) -> str:
    """The Admin agent's walk: Admin relationships → Request → Finalize; returns the link."""
    sign_in(ADMIN_AGENT, PASSWORD)
    page.get_by_role("link", name="Admin relationships").first.click()
    page.get_by_role("link", name="Request admin relationship").click()
    page.get_by_label("Admin relationship name").fill(name)
    page.get_by_label("Duration in days").fill("90")
    for role in roles:
        page.get_by_label(role, exact=True).check()
    page.get_by_role("button", name="Finalize request").click()
    link = page.get_by_label("Link to the request").input_value()
    assert "/partners/invitation/granularAdminRelationships/" in link and "token=" in link
    return link


def open_subscription_page(page, sign_in, username, world):
    sign_in(username, PASSWORD)
    page.get_by_label("Search").fill("Northwind")
    page.get_by_role("button", name="Apply").click()
    page.get_by_role("link", name="Northwind Traders").click()
    expect(page.get_by_role("heading", name="Northwind Traders", exact=True)).to_be_visible()
    return page.get_by_role("row", name="Microsoft 365 E3")


def test_request_approve_assign_use_and_remove(page, world, sign_in, sign_out, axe):
    link = request_admin_relationship(
        page,
        sign_in,
        "Northwind helpdesk",
        ["Helpdesk Administrator", "License Administrator", "User Administrator"],
    )
    axe.check("admin relationship request")
    sign_out()

    # The customer's Global administrator approves in the Microsoft 365 admin center.
    page.goto(link)
    sign_in(CUSTOMER_GA, PASSWORD)
    expect(page.get_by_role("heading", name="Approve partner roles")).to_be_visible()
    assert "token=" not in page.url
    expect(page.get_by_text("License Administrator").first).to_be_visible()
    expect(page.get_by_text("90 days").first).to_be_visible()
    axe.check("approve partner roles")
    page.get_by_role("button", name="Approve all").click()
    expect(page.get_by_role("heading", name="Partner relationships")).to_be_visible()
    expect(page.get_by_text("Northwind helpdesk").first).to_be_visible()
    sign_out()

    # The Admin agent gives the "Helpdesk - tier 1" group License Administrator.
    sign_in(ADMIN_AGENT, PASSWORD)
    page.get_by_role("link", name="Admin relationships").first.click()
    page.get_by_role("link", name="Northwind helpdesk").click()
    page.get_by_role("link", name="Add security group").click()
    page.get_by_label("Security group").select_option(label="Helpdesk – tier 1")
    page.get_by_label("License Administrator", exact=True).check()
    page.get_by_role("button", name="Add security group").click()
    expect(page.get_by_role("row", name="Helpdesk – tier 1")).to_contain_text(
        "License Administrator"
    )
    axe.check("admin relationship with an assignment")
    sign_out()

    # A Sales agent in the group changes the quantity; one outside it is told why not.
    row = open_subscription_page(page, sign_in, SALES_IN_GROUP, world)
    row.get_by_label("New quantity of Microsoft 365 E3").fill("25")
    row.get_by_role("button", name="Change quantity").click()
    expect(page.get_by_text("Microsoft 365 E3 was updated")).to_be_visible()
    sign_out()
    row = open_subscription_page(page, sign_in, SALES_OUTSIDE, world)
    expect(row).to_contain_text("none of your security groups holds one of them here")
    expect(row.get_by_role("button", name="Change quantity")).to_have_count(0)
    sign_out()

    # The customer removes the roles; the agent in the group is refused again.
    sign_in(CUSTOMER_GA, PASSWORD)
    page.goto(page.url.split("/admin-center/")[0] + "/admin-center/settings/partner-relationships/")
    page.get_by_role("link", name="Remove roles").first.click()
    page.get_by_role("button", name="Remove roles").click()
    expect(page.get_by_role("heading", name="Partner relationships")).to_be_visible()
    sign_out()
    row = open_subscription_page(page, sign_in, SALES_IN_GROUP, world)
    expect(row).to_contain_text("no admin relationship in force")
    world["subscription"].refresh_from_db()
    assert world["subscription"].quantity == 25
    relationship = AdminRelationship.objects.get(name="Northwind helpdesk")
    assert relationship.display_status() == AdminRelationshipStatus.TERMINATED
    assert Subscription.objects.get().quantity == 25


def test_a_billing_administrator_is_refused_and_the_global_administrator_declines(
    page, world, sign_in, sign_out, axe
):
    link = request_admin_relationship(page, sign_in, "Northwind billing", ["Global Reader"])
    sign_out()

    page.goto(link)
    sign_in(CUSTOMER_BILLING, PASSWORD)
    expect(
        page.get_by_text(
            "Only Global administrators and Delegated Admin Relationship Administrators can approve"
        )
    ).to_be_visible()
    axe.check("admin relationship refusal")
    sign_out()

    page.goto(link)
    sign_in(CUSTOMER_GA, PASSWORD)
    page.get_by_role("link", name="Decline").click()
    page.get_by_role("button", name="Decline request").click()
    expect(page.get_by_role("heading", name="Partner relationships")).to_be_visible()
    sign_out()

    sign_in(ADMIN_AGENT, PASSWORD)
    page.get_by_role("link", name="Admin relationships").first.click()
    expect(page.get_by_role("row", name="Northwind billing")).to_contain_text("Declined")
