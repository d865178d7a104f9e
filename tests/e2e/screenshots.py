"""`make screenshots`: drive the real pages with the demo data and write PNGs to docs/screenshots/.

Not part of the suite (the file name doesn't start with test_); run by name:
    pytest tests/e2e/screenshots.py
"""

import io
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from playwright.sync_api import expect

from tenancy import services
from tenancy.management.commands.seed_demo import DEMO_PASSWORD
from tenancy.models import Tenant

OUT = Path(__file__).resolve().parents[2] / "docs" / "screenshots"

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def demo(site):
    call_command("seed_demo", force=True, stdout=io.StringIO())
    OUT.mkdir(parents=True, exist_ok=True)


def shoot(page, name: str) -> None:
    page.wait_for_load_state("networkidle")
    page.screenshot(path=OUT / f"{name}.png", full_page=True)


def link_on_page(page, sign_in, sign_out, agent: str, nav: str, request: str) -> str:
    """The link a partner's agent copies from a request's page in Partner Center: sign in, open
    the request from its list, read "Link to the request", sign out."""
    sign_in(agent)
    page.get_by_role("link", name=nav).first.click()
    page.get_by_role("link", name=request, exact=True).click()
    link = page.get_by_label("Link to the request").input_value()
    sign_out()
    return link


def new_request_link(partner_domain: str, agent: str) -> str:
    invitation = services.invitation_create(
        partner=Tenant.objects.get(domain=partner_domain),
        created_by=get_user_model().objects.get(username=agent),
        include_admin=True,
    )
    return invitation.link()


def test_partner_center(page, demo, sign_in):
    sign_in("sales@contosopartners.onmicrosoft.com")
    page.get_by_role("link", name="Customer list").first.click()
    shoot(page, "partner-center-customer-list")
    page.get_by_role("link", name="New relationship").first.click()
    page.get_by_label("For whom is this request?").fill("Northwind Traders")
    page.get_by_role("button", name="Create request").click()
    shoot(page, "partner-center-new-relationship-panel")


def test_partner_center_in_japanese(page, demo, sign_in):
    """The Customer list after the agent picks 日本語 in the header's language picker."""
    sign_in("sales@contosopartners.onmicrosoft.com")
    page.get_by_role("link", name="Customer list").first.click()
    page.get_by_label("Language").select_option(label="日本語")
    page.get_by_role("button", name="Change language").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("顧客一覧")
    shoot(page, "partner-center-customer-list-ja")


def test_admin_center_request_and_partner_relationships(page, demo, sign_in):
    page.goto(
        new_request_link("contosopartners.onmicrosoft.com", "sales@contosopartners.onmicrosoft.com")
    )
    sign_in("admin@northwindtraders.onmicrosoft.com")
    shoot(page, "admin-center-request")
    page.get_by_label("I have read and accept the agreement").check()
    page.get_by_role("button", name="Accept and authorize").click()
    shoot(page, "admin-center-partner-relationships")


def test_office_admin_portal_request(page, demo, sign_in):
    page.goto(
        new_request_link("tailspinfederal.onmicrosoft.com", "sales@tailspinfederal.onmicrosoft.com")
    )
    sign_in("admin@springfieldpw.onmicrosoft.com")
    shoot(page, "office-admin-portal-request")


def test_market_refusal(page, demo, sign_in):
    page.goto(
        new_request_link("contosopartners.onmicrosoft.com", "sales@contosopartners.onmicrosoft.com")
    )
    sign_in("admin@mapleleafoutfitters.onmicrosoft.com")
    shoot(page, "admin-center-market-refusal")


def test_a_request_in_german(browser, demo, site):
    """The request page as a German customer's administrator sees it, browser set to German."""
    invitation = services.invitation_create(
        partner=Tenant.objects.get(domain="fabrikamconseil.onmicrosoft.com"),
        created_by=get_user_model().objects.get(username="sales@fabrikamconseil.onmicrosoft.com"),
        include_admin=True,
        language="de",
    )
    context = browser.new_context(locale="de-DE", viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.goto(invitation.link())
    page.locator("input[name=username]").fill("admin@alpineskihouse.onmicrosoft.com")
    page.locator("input[name=password]").fill(DEMO_PASSWORD)
    page.locator("button[type=submit]").first.click()
    page.wait_for_load_state()
    shoot(page, "admin-center-request-in-german")
    context.close()


def test_admin_relationship_approval(page, demo, sign_in, sign_out):
    """Contoso's finalized admin relationship request for Northwind Traders, opened from the link
    its Admin agent copies, as Northwind's Global administrator reviews it."""
    link = link_on_page(
        page,
        sign_in,
        sign_out,
        "adminagent@contosopartners.onmicrosoft.com",
        "Admin relationships",
        "Northwind Traders - support",
    )
    page.goto(link)
    sign_in("admin@northwindtraders.onmicrosoft.com")
    shoot(page, "admin-center-admin-relationship-approval")


def test_two_tier_request(page, demo, sign_in, sign_out):
    """Wingtip Computing's open request through its indirect provider, Tailwind Distribution, as
    the customer's Global administrator sees it."""
    link = link_on_page(
        page,
        sign_in,
        sign_out,
        "sales@wingtip.onmicrosoft.com",
        "Relationship requests",
        "Baldwin Museum of Science",
    )
    page.goto(link)
    sign_in("admin@northwindtraders.onmicrosoft.com")
    shoot(page, "admin-center-two-tier-request")


def test_templates_bulk_requests_and_pending_approvals(page, demo, sign_in, sign_out):
    sign_in("adminagent@contosopartners.onmicrosoft.com")
    page.get_by_role("link", name="Admin relationships").first.click()
    tabs = page.get_by_role("navigation", name="Admin relationships")
    tabs.get_by_role("link", name="Templates").click()
    shoot(page, "partner-center-templates")
    page.get_by_role("link", name="Least privilege (default)").click()
    page.get_by_role("link", name="Edit").click()
    shoot(page, "partner-center-template-edit")
    page.get_by_role("link", name="Admin relationships").first.click()
    tabs.get_by_role("link", name="Pending approvals").click()
    shoot(page, "partner-center-pending-approvals")
    tabs.get_by_role("link", name="Bulk jobs").click()
    page.get_by_role("link", name="Request admin relationships").first.click()
    shoot(page, "partner-center-bulk-job")
    page.get_by_role("link", name="Customer list").first.click()
    page.get_by_label("Search").fill("o")
    page.get_by_role("button", name="Apply").click()
    page.get_by_role("button", name="Select all").click()
    page.get_by_label("Template").select_option(label="Helpdesk tier")
    page.get_by_role("button", name="Preview").click()
    shoot(page, "partner-center-bulk-preview")
    sign_out()
    sign_in("admin@northwindtraders.onmicrosoft.com")
    page.goto(page.url.split("/admin-center/")[0] + "/admin-center/settings/partner-relationships/")
    page.get_by_role("link", name="Review 2 pending requests").click()
    shoot(page, "admin-center-pending-requests")


def test_expiry_upgrade_and_access(page, demo, sign_in, sign_out):
    from tenancy.models import AdminRelationship

    sign_in("adminagent@contosopartners.onmicrosoft.com")
    page.get_by_role("link", name="Admin relationships").first.click()
    page.get_by_role("navigation", name="Admin relationships").get_by_role(
        "link", name="Expiring"
    ).click()
    shoot(page, "partner-center-expiring")
    old = AdminRelationship.objects.get(name="Margie's Travel - least privilege")
    base = page.url.split("/partner-center/")[0]
    page.goto(f"{base}/partner-center/admin-relationships/{old.pk}/")
    page.get_by_role("button", name="Upgrade to version 2").click()
    sign_out()
    new = AdminRelationship.objects.get(upgrade_of=old)
    admin = old.customer.memberships.filter(role_rows__role="customer.global_admin").first().user
    admin.set_password(DEMO_PASSWORD)  # a book customer's administrator: no demo password
    admin.save(update_fields=["password"])
    admin.membership.must_change_password = False
    admin.membership.save(update_fields=["must_change_password"])
    page.goto(new.link())
    sign_in(admin.get_username())
    shoot(page, "admin-center-upgrade-request")
    sign_out()
    sign_in("globaladmin@contosopartners.onmicrosoft.com")
    page.goto(f"{base}/partner-center/customers/?q=Relecloud")
    page.get_by_role("link", name="Relecloud", exact=True).click()
    shoot(page, "partner-center-customer-access")
