"""Two tiers end to end in a browser: an indirect provider asks an indirect reseller to partner,
the reseller accepts, the reseller's New relationship names the provider, the customer accepts
both at once, and each of the three sees the others."""

import pytest
from playwright.sync_api import expect

from tenancy.models import CspRole, ResellerRelationship, Role
from tests.factories import PASSWORD, CustomerFactory, PartnerFactory, member

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def cast(site):
    provider = PartnerFactory(
        name="Tailwind Distribution",
        domain="tailwinddist.onmicrosoft.com",
        csp_role=CspRole.INDIRECT_PROVIDER,
    )
    reseller = PartnerFactory(
        name="Proseware Solutions",
        domain="proseware.onmicrosoft.com",
        csp_role=CspRole.INDIRECT_RESELLER,
        mpn_id=7_123_456,
    )
    customer = CustomerFactory(name="Adatum Corporation", domain="adatum.onmicrosoft.com")
    member(
        provider, Role.GLOBAL_ADMIN, Role.ADMIN_AGENT, username="admin@tailwinddist.onmicrosoft.com"
    )
    member(reseller, Role.GLOBAL_ADMIN, username="admin@proseware.onmicrosoft.com")
    member(reseller, Role.SALES_AGENT, username="sales@proseware.onmicrosoft.com")
    member(customer, Role.CUSTOMER_GLOBAL_ADMIN, username="admin@adatum.onmicrosoft.com")
    return provider, reseller, customer


def partner_row(page, name: str):
    """The table row whose header cell is `name` (other rows may mention it too)."""
    return page.get_by_role("row").filter(has=page.get_by_role("rowheader", name=name))


def test_a_customer_becomes_the_provider_s_and_the_reseller_s_in_one_acceptance(
    page, site, cast, sign_in, sign_out, axe
):
    provider, _, customer = cast

    # The provider asks the reseller to partner, finding it by its PartnerID.
    page.goto(f"{site}/partner-center/")
    sign_in("admin@tailwinddist.onmicrosoft.com", PASSWORD)
    page.get_by_role("link", name="Indirect resellers").click()
    page.get_by_role("link", name="Request a partnership").click()
    page.get_by_label("Indirect reseller not in the list? Enter PartnerID").fill("7123456")
    page.get_by_role("button", name="Verify").click()
    expect(page.get_by_text("Proseware Solutions").first).to_be_visible()
    axe.check("Request a partnership, verified")
    page.get_by_role("button", name="Request a partnership").click()
    expect(page.get_by_role("row", name="Proseware Solutions")).to_contain_text("Pending")
    sign_out()

    # The reseller's Global admin accepts it.
    sign_in("admin@proseware.onmicrosoft.com", PASSWORD)
    page.get_by_role("link", name="Indirect providers").click()
    axe.check("Indirect providers, a request waiting")
    page.get_by_role("button", name="Accept Tailwind Distribution's request").click()
    expect(page.get_by_role("row", name="Tailwind Distribution")).to_contain_text("Active")
    sign_out()

    # The reseller's agent makes a request naming the provider.
    sign_in("sales@proseware.onmicrosoft.com", PASSWORD)
    page.get_by_role("link", name="New relationship").first.click()
    expect(page.get_by_label("Indirect provider")).to_have_value(str(provider.pk))
    page.get_by_label("Include delegated administration permissions").uncheck()
    page.get_by_label("For whom is this request?").fill("Adatum")
    page.get_by_role("button", name="Create request").click()
    email = page.locator("#email-body").inner_text()
    assert "Tailwind Distribution, indirect provider: becomes your reseller of record" in email
    link = page.get_by_label("Link to the request").input_value()
    assert "invType=IndirectResellerRelationship" in link
    assert f"indirectCSPId={provider.pk}" in link
    sign_out()

    # The customer's Global administrator opens the link and accepts both at once.
    page.goto(link)
    sign_in("admin@adatum.onmicrosoft.com", PASSWORD)
    expect(
        page.get_by_role(
            "heading", name="Review the request from Proseware Solutions and Tailwind Distribution"
        )
    ).to_be_visible()
    axe.check("two-tier request page")
    page.get_by_label("First name").fill("Nancy")
    page.get_by_label("Last name").fill("Davolio")
    page.get_by_label("Email address").fill("nancy@adatum.example")
    page.get_by_label("I have read and accept the agreement").check()
    page.get_by_role("button", name="Accept and authorize").click()
    expect(page.get_by_role("heading", name="Partner relationships")).to_be_visible()
    expect(partner_row(page, "Tailwind Distribution")).to_contain_text("Indirect provider")
    expect(partner_row(page, "Proseware Solutions")).to_contain_text(
        "Indirect reseller through Tailwind Distribution"
    )
    axe.check("Partner relationships, two tiers")
    sign_out()

    # The provider sees the customer with its reseller, and can filter by it.
    sign_in("admin@tailwinddist.onmicrosoft.com", PASSWORD)
    page.get_by_role("link", name="Customer list").click()
    expect(page.get_by_role("row", name="Adatum Corporation")).to_contain_text(
        "Proseware Solutions"
    )
    page.get_by_label("Indirect reseller").select_option(label="Proseware Solutions")
    page.get_by_role("button", name="Apply").click()
    expect(page.get_by_role("row", name="Adatum Corporation")).to_be_visible()
    axe.check("provider's Customer list, filtered by reseller")
    sign_out()

    # The reseller sees it under the provider.
    sign_in("sales@proseware.onmicrosoft.com", PASSWORD)
    page.get_by_role("link", name="Customer list").click()
    expect(page.get_by_role("row", name="Adatum Corporation")).to_contain_text(
        "Tailwind Distribution"
    )
    assert (
        ResellerRelationship.objects.active()
        .filter(customer=customer)
        .values_list("partner__name", "indirect_provider__name")
        .order_by("partner__name")
        .count()
        == 2
    )
