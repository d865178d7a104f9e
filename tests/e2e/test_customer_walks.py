"""Walks on the customer's side that need no Partner Center page to start from."""

import io

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from playwright.sync_api import expect

from tenancy import services
from tenancy.models import ResellerRelationship, Tenant

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def demo(site):
    call_command("seed_demo", force=True, stdout=io.StringIO())


def request_link(partner_domain: str, agent: str, include_admin=True) -> str:
    partner = Tenant.objects.get(domain=partner_domain)
    invitation = services.invitation_create(
        partner=partner,
        created_by=get_user_model().objects.get(username=agent),
        include_admin=include_admin,
    )
    return invitation.link()


def test_a_us_government_request_is_answered_in_the_office_admin_portal(
    page, demo, sign_in, axe, keyboard
):
    link = request_link("tailspinfederal.onmicrosoft.com", "sales@tailspinfederal.onmicrosoft.com")
    assert "/office-admin/" in link
    page.goto(link)
    expect(page.get_by_text("Microsoft Office Admin portal")).to_be_visible()
    expect(page.get_by_text("An administrator of your organization must sign in")).to_be_visible()
    axe.check("sign-in for a request (Office Admin portal)")

    sign_in("admin@springfieldpw.onmicrosoft.com")
    expect(
        page.get_by_role("heading", name="Review Tailspin Federal Solutions' request")
    ).to_be_visible()
    expect(page.get_by_role("link", name="Microsoft Office Admin portal")).to_be_visible()
    expect(page).to_have_title("Partner relationship request – Microsoft Office Admin portal")
    assert "Microsoft 365 admin center" not in page.content()
    axe.check("request page (Office Admin portal)")

    # By keyboard alone: the skip link first, then the box and the button.
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.innerText") == "Skip to main content"
    keyboard("I have read and accept the agreement")
    page.keyboard.press("Space")
    expect(page.get_by_label("I have read and accept the agreement")).to_be_checked()
    keyboard("Accept and authorize")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Partner relationships")).to_be_visible()
    expect(page.get_by_role("row", name="Tailspin Federal Solutions")).to_contain_text("Reseller")
    expect(page).to_have_title("Partner relationships – Microsoft Office Admin portal")
    assert "Microsoft 365 admin center" not in page.content()
    axe.check("Partner relationships (Office Admin portal)")
    assert (
        ResellerRelationship.objects.active()
        .filter(
            partner__domain="tailspinfederal.onmicrosoft.com",
            customer__domain="springfieldpw.onmicrosoft.com",
        )
        .exists()
    )


def test_a_canadian_customer_reads_the_market_refusal(page, demo, sign_in, axe):
    link = request_link("contosopartners.onmicrosoft.com", "sales@contosopartners.onmicrosoft.com")
    page.goto(link)
    sign_in("admin@mapleleafoutfitters.onmicrosoft.com")
    expect(
        page.get_by_role("heading", name="This partner can't serve your country")
    ).to_be_visible()
    alert = page.get_by_role("alert")
    expect(alert).to_contain_text("the United States")
    expect(alert).to_contain_text("Canada")
    expect(alert).to_contain_text("Resellers may only serve customers in their own market")
    expect(page.get_by_role("button", name="Accept and authorize")).to_have_count(0)
    axe.check("market refusal")
    assert not ResellerRelationship.objects.filter(
        customer__domain="mapleleafoutfitters.onmicrosoft.com"
    ).exists()
