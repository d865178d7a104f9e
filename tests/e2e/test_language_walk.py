"""A French partner writes to a German customer: the agent reads Partner Center in French and
sends the request's email in German; the customer's Global administrator, browser set to German,
reads the request and accepts it in German; the partner's pages stay French.

Pages are driven by their visible labels, in the page's language (the catalogue's words)."""

import io

import pytest
from django.core.management import call_command
from django.utils import translation
from django.utils.translation import gettext
from playwright.sync_api import expect

from tenancy import services
from tenancy.management.commands.seed_demo import DEMO_PASSWORD
from tenancy.models import AgreementAcceptance, Invitation, ResellerRelationship

pytestmark = pytest.mark.django_db(transaction=True)


def said(language: str, message: str) -> str:
    """`message` as the catalogue has it in `language`."""
    with translation.override(language):
        return gettext(message)


@pytest.fixture
def demo(site):
    call_command("seed_demo", force=True, stdout=io.StringIO())


def sign_in(page, site, language, username):
    page.goto(f"{site}/sign-in/")
    page.get_by_label(said(language, "Email or user name")).fill(username)
    page.get_by_label(said(language, "Password")).fill(DEMO_PASSWORD)
    page.get_by_role("button", name=said(language, "Sign in")).click()
    page.wait_for_load_state()


def test_a_french_agent_sends_a_german_email_that_a_german_customer_accepts_in_german(
    browser, site, demo
):
    assert said("de", "Accept and authorize") != "Accept and authorize"

    # The partner's agent, browser in French.
    partner = browser.new_context(locale="fr-FR").new_page()
    sign_in(partner, site, "fr", "sales@fabrikamconseil.onmicrosoft.com")
    expect(partner.locator("html")).to_have_attribute("lang", "fr")
    partner.get_by_role("link", name=said("fr", "New relationship")).first.click()
    email_language = partner.get_by_label(said("fr", "Email language"))
    expect(email_language).to_have_value("fr")  # the agent's own, by default
    email_language.select_option("de")
    partner.get_by_label(said("fr", "For whom is this request?")).fill("Alpine Ski House")
    partner.get_by_role("button", name=said("fr", "Create request")).click()
    expect(partner.locator("html")).to_have_attribute("lang", "fr")
    german = services.request_email(Invitation.objects.get(label="Alpine Ski House"))
    expect(partner.locator("#email-subject")).to_have_text(german.subject)
    link = partner.get_by_label(said("fr", "Link to the request")).input_value()

    # The customer's Global administrator, browser in German.
    customer = browser.new_context(locale="de-DE").new_page()
    customer.goto(link)
    customer.get_by_label(said("de", "Email or user name")).fill(
        "admin@alpineskihouse.onmicrosoft.com"
    )
    customer.get_by_label(said("de", "Password")).fill(DEMO_PASSWORD)
    customer.get_by_role("button", name=said("de", "Sign in")).click()
    expect(customer.locator("html")).to_have_attribute("lang", "de")
    customer.get_by_role("link", name=said("de", "Add the billing address")).click()
    customer.get_by_label(said("de", "Address line 1")).fill("Kaiserstraße 12")
    customer.get_by_label(said("de", "City")).fill("München")
    customer.get_by_label(said("de", "Postal code")).fill("80801")
    customer.get_by_role("button", name=said("de", "Save")).click()
    expect(customer.get_by_text("Microsoft Customer Agreement").first).to_be_visible()
    customer.get_by_label(said("de", "I have read and accept the agreement")).check()
    customer.get_by_role("button", name=said("de", "Accept and authorize")).click()
    expect(
        customer.get_by_role("heading", name=said("de", "Partner relationships"))
    ).to_be_visible()
    expect(customer.locator("html")).to_have_attribute("lang", "de")
    assert AgreementAcceptance.objects.get(customer__name="Alpine Ski House GmbH").language == "de"

    # The partner's pages are still French, and the customer is on its Customer list.
    partner.get_by_role("link", name=said("fr", "Customer list")).first.click()
    expect(partner.locator("html")).to_have_attribute("lang", "fr")
    expect(partner.get_by_role("link", name="Alpine Ski House GmbH")).to_be_visible()
    assert (
        ResellerRelationship.objects.active()
        .filter(
            partner__domain="fabrikamconseil.onmicrosoft.com",
            customer__name="Alpine Ski House GmbH",
        )
        .exists()
    )
