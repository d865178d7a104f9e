"""The walks that start in Partner Center, driven by what a person sees: labels, roles, names."""

import io
import re

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from tenancy.models import AgreementAcceptance, ResellerRelationship, Subscription

pytestmark = pytest.mark.django_db(transaction=True)

SALES = "sales@contosopartners.onmicrosoft.com"
NORTHWIND_ADMIN = "admin@northwindtraders.onmicrosoft.com"


@pytest.fixture
def demo(site):
    call_command("seed_demo", force=True, stdout=io.StringIO())


def test_a_request_from_partner_center_to_a_purchase(page, demo, sign_in, sign_out, axe):
    # The Sales agent makes the request and copies its link.
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    sign_in(SALES)
    expect(page.get_by_role("heading", name="Customer list")).to_be_visible()
    axe.check("Customer list")
    page.get_by_role("link", name="New relationship").click()
    expect(page.get_by_label("Include delegated administration permissions")).to_be_checked()
    axe.check("New relationship")
    page.get_by_label("For whom is this request?").fill("Northwind Traders")
    page.get_by_role("button", name="Create request").click()
    expect(page.get_by_role("heading", name="Email to the customer")).to_be_visible()
    link = page.get_by_label("Link to the request").input_value()
    assert "invType=ResellerRelationship" in link and "token=" in link
    page.get_by_role("button", name="Copy to clipboard").click()
    expect(page.get_by_text("Copied")).to_be_visible()
    copied = page.evaluate("navigator.clipboard.readText()")
    assert link in copied and copied.startswith("Subject: ")
    axe.check("request panel")
    sign_out()

    # The customer's Global administrator opens it, signs in and accepts.
    page.goto(link)
    expect(page.get_by_text("Microsoft 365 admin center")).to_be_visible()
    axe.check("sign-in for a request")
    sign_in(NORTHWIND_ADMIN)
    expect(
        page.get_by_role("heading", name="Review Contoso Cloud Partners' request")
    ).to_be_visible()
    assert "token=" not in page.url
    axe.check("request page")
    page.get_by_label("First name").fill("Nancy")
    page.get_by_label("Last name").fill("Davolio")
    page.get_by_label("Phone number").fill("+1 425 555 0100")
    page.get_by_label("I have read and accept the agreement").check()
    page.get_by_role("button", name="Accept and authorize").click()
    expect(page.get_by_role("heading", name="Partner relationships")).to_be_visible()
    row = page.get_by_role("row", name="Contoso Cloud Partners")
    expect(row).to_contain_text("Reseller")
    expect(row).to_contain_text("License Administrator")
    axe.check("Partner relationships")
    sign_out()

    # Back in Partner Center: the customer is in the list, and the agent buys for it.
    sign_in(SALES)
    page.get_by_label("Search").fill("Northwind")
    page.get_by_role("button", name="Apply").click()
    customer_row = page.get_by_role("row", name="Northwind Traders")
    expect(customer_row).to_contain_text("Admin roles")
    customer_row.get_by_role("link", name="Northwind Traders").click()
    expect(page.get_by_role("heading", name="Northwind Traders", exact=True)).to_be_visible()
    axe.check("customer page")
    page.get_by_label("Offer").select_option(label="Microsoft 365 Business Basic")
    page.get_by_label("Quantity").fill("25")
    page.get_by_role("button", name="Purchase").click()
    expect(page.get_by_text("Purchased Microsoft 365 Business Basic (25)")).to_be_visible()
    expect(page.get_by_role("row", name="Microsoft 365 Business Basic")).to_contain_text("25")
    axe.check("customer page after purchase")

    relationship = ResellerRelationship.objects.active().get(
        partner__domain="contosopartners.onmicrosoft.com",
        customer__domain="northwindtraders.onmicrosoft.com",
    )
    assert relationship.formed_by == "invitation"
    assert AgreementAcceptance.objects.get(customer=relationship.customer).signer_phone
    assert Subscription.objects.get(customer=relationship.customer).quantity == 25


def test_a_helpdesk_agent_sees_the_list_but_no_new_relationship(page, demo, sign_in, axe):
    sign_in("helpdesk@contosopartners.onmicrosoft.com")
    expect(page.get_by_role("heading", name="Customer list")).to_be_visible()
    expect(page.get_by_role("row", name="Adatum West")).to_be_visible()
    expect(page.get_by_role("link", name="New relationship")).to_have_count(0)
    expect(page.get_by_role("link", name="Add customer")).to_have_count(0)
    axe.check("Customer list (Helpdesk agent)")


def test_add_customer_then_the_new_administrator_signs_in(page, demo, sign_in, sign_out, axe):
    sign_in("adminagent@contosopartners.onmicrosoft.com")
    page.get_by_role("link", name="Add customer").first.click()
    axe.check("Add customer")
    page.get_by_label("Company name").fill("Proseware Roasters")
    page.get_by_label("Domain prefix").fill("prosewareroasters")
    expect(page.get_by_text("prosewareroasters.onmicrosoft.com is available.")).to_be_visible()
    page.get_by_label("Country or region").select_option(label="United States")
    page.get_by_label("Address line 1").fill("1 Pike Place")
    page.get_by_label("City").fill("Seattle")
    page.get_by_label("First name", exact=True).fill("Ada")
    page.get_by_label("Last name", exact=True).fill("Lovelace")
    page.get_by_label("Email", exact=True).fill("ada@fourthcoffee.example")
    page.get_by_label("The customer will accept it later in the admin center").check()
    page.get_by_role("button", name="Add customer").click()

    expect(page.get_by_role("heading", name="Proseware Roasters was added")).to_be_visible()
    username = page.get_by_text("admin@prosewareroasters.onmicrosoft.com").inner_text()
    password = page.get_by_label("Temporary password").input_value()
    axe.check("one-time password")
    # The password lived in that one response: the customer's page does not show it again.
    page.get_by_role("link", name="Go to Proseware Roasters").click()
    assert password not in page.content()
    page.get_by_role("link", name="Customers").first.click()
    page.get_by_label("Search").fill("Proseware")
    page.get_by_role("button", name="Apply").click()
    expect(page.get_by_role("row", name="Proseware Roasters")).to_contain_text("Reseller")
    sign_out()

    sign_in(username, password)
    expect(page.get_by_role("heading", name="Change your password")).to_be_visible()
    axe.check("change password")
    page.get_by_label("Old password").fill(password)
    page.get_by_label("New password", exact=True).fill("Roasting-beans-since-1971")
    page.get_by_label("New password confirmation").fill("Roasting-beans-since-1971")
    page.get_by_role("button", name="Change password").click()
    expect(page.get_by_text("Your password was changed")).to_be_visible()
    expect(page.get_by_role("heading", name="Proseware Roasters")).to_be_visible()
    expect(page.get_by_text("Microsoft 365 admin center").first).to_be_visible()
    axe.check("admin center home")


def test_the_request_panel_works_without_javascript(browser, demo, site):
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(f"{site}/sign-in/")
    page.get_by_label("Email or user name").fill(SALES)
    page.get_by_label("Password").fill("Demo-Reseller-2026")
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("link", name="New relationship").click()
    page.get_by_role("button", name="Create request").click()

    link_box = page.get_by_label("Link to the request")
    expect(link_box).to_be_visible()
    link = link_box.input_value()
    assert link.startswith(f"{site}/admin-center/adminportal/home?invType=ResellerRelationship")
    link_box.select_text()
    selected = link_box.evaluate("box => box.value.slice(box.selectionStart, box.selectionEnd)")
    assert selected == link
    # The email's text (found by its wording: the box around it has no name of its own).
    email = page.get_by_role("region", name="Email to the customer")
    expect(
        email.get_by_text("asks to become the reseller of Microsoft cloud services")
    ).to_contain_text(link)
    # Without JavaScript the copy button stays hidden; the other actions are plain links/forms.
    expect(page.get_by_role("button", name="Copy to clipboard")).to_be_hidden()
    expect(page.get_by_role("link", name="Open in email")).to_have_attribute(
        "href", re.compile(r"^mailto:\?subject=")
    )
    expect(page.get_by_role("link", name="Done")).to_be_visible()
    context.close()
