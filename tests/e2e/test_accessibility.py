"""axe-core on the pages the walks don't pass through, including forms showing their errors."""

import io

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from playwright.sync_api import expect

from tenancy import services
from tenancy.models import Invitation, Tenant

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def demo(site):
    call_command("seed_demo", force=True, stdout=io.StringIO())


def test_partner_center_pages(page, demo, site, sign_in, axe):
    sign_in("globaladmin@contosopartners.onmicrosoft.com")
    contoso = Tenant.objects.get(domain="contosopartners.onmicrosoft.com")
    pending = Invitation.objects.filter(partner=contoso, label="Northwind Traders").get()
    customer = Tenant.objects.get(domain="adatum.onmicrosoft.com")
    for path, label in [
        ("/partner-center/customers/requests/", "Relationship requests"),
        (f"/partner-center/customers/requests/{pending.pk}/", "a request's page"),
        ("/partner-center/activity/", "Activity log"),
        (f"/partner-center/customers/{customer.pk}/remove-reseller/", "Remove reseller"),
    ]:
        page.goto(f"{site}{path}")
        axe.check(label)
    page.goto(f"{site}/partner-center/activity/?start=not-a-date")
    expect(page.get_by_text("Enter a valid date.")).to_be_visible()
    axe.check("Activity log with a field error")
    page.goto(f"{site}/partner-center/customers/add/")
    page.get_by_role("button", name="Add customer").click()
    expect(page.get_by_role("alert")).to_be_visible()
    axe.check("Add customer with field errors")


def test_admin_center_pages(page, demo, site, sign_in, axe):
    invitation = services.invitation_create(
        partner=Tenant.objects.get(domain="contosopartners.onmicrosoft.com"),
        created_by=get_user_model().objects.get(username="sales@contosopartners.onmicrosoft.com"),
        include_admin=False,
    )
    page.goto(invitation.link())
    sign_in("admin@northwindtraders.onmicrosoft.com")
    page.get_by_role("button", name="Accept and authorize").click()
    expect(page.get_by_text("Tick the box to accept the agreement")).to_be_visible()
    axe.check("request page with a field error")
    page.get_by_role("link", name="Decline").click()
    axe.check("Decline")
    for path, label in [
        ("/admin-center/", "Home"),
        ("/admin-center/billing/agreements/", "Agreements"),
        ("/admin-center/customer-agreement/", "the agreement's full text"),
        ("/admin-center/settings/organization-profile/", "Organization profile"),
        ("/admin-center/activity/", "Activity"),
        ("/admin-center/adminportal/home?token=nope", "unknown link"),
    ]:
        page.goto(f"{site}{path}")
        axe.check(label)


def test_the_german_customer_is_asked_for_its_billing_address_first(page, demo, site, sign_in, axe):
    invitation = services.invitation_create(
        partner=Tenant.objects.get(domain="fabrikamconseil.onmicrosoft.com"),
        created_by=get_user_model().objects.get(username="sales@fabrikamconseil.onmicrosoft.com"),
        include_admin=True,
    )
    page.goto(invitation.link())
    sign_in("admin@alpineskihouse.onmicrosoft.com")
    expect(page.get_by_text("First, add your organization's billing address.")).to_be_visible()
    axe.check("request page without a billing address")
    page.get_by_role("link", name="Add the billing address").click()
    page.get_by_label("Address line 1").fill("Kaiserstraße 12")
    page.get_by_label("City").fill("München")
    page.get_by_label("Postal code").fill("80801")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("heading", name="Review Fabrikam Conseil SAS' request")).to_be_visible()
    page.get_by_label("I have read and accept the agreement").check()
    page.get_by_role("button", name="Accept and authorize").click()
    expect(page.get_by_role("row", name="Fabrikam Conseil SAS")).to_contain_text("Reseller")
