"""Partner Center's layout, measured in the browser: the Purchase form's inputs on one line, a
long domain kept inside the Account card, and "Revoke this request" clear of the buttons above."""

import pytest
from playwright.sync_api import expect

from tenancy import services
from tenancy.models import CspRole, Role
from tests.factories import (
    PASSWORD,
    AgreementAcceptanceFactory,
    CustomerFactory,
    PartnerFactory,
    PartnershipFactory,
    indirect_link,
    member,
)

pytestmark = pytest.mark.django_db(transaction=True)

# A prefix near the longest a domain may have (63 characters), with no hyphen to break at.
LONG_DOMAIN = "northwindtradersinternationalholdingsandlogisticsgroupeurope.onmicrosoft.com"


@pytest.fixture
def provider_cast(site):
    """An indirect provider's agent, and a customer it serves through an indirect reseller
    (so that the Purchase form asks "On behalf of"), whose domain is as long as can be."""
    provider = PartnerFactory(
        name="Tailwind Distribution",
        domain="tailwinddist.onmicrosoft.com",
        csp_role=CspRole.INDIRECT_PROVIDER,
    )
    reseller = PartnerFactory(
        name="Proseware Solutions",
        domain="proseware.onmicrosoft.com",
        csp_role=CspRole.INDIRECT_RESELLER,
    )
    PartnershipFactory(provider=provider, reseller=reseller)
    customer = CustomerFactory(name="Northwind Traders", domain=LONG_DOMAIN)
    indirect_link(reseller, customer, provider)
    AgreementAcceptanceFactory(customer=customer)
    member(
        provider,
        Role.ADMIN_AGENT,
        Role.SALES_AGENT,
        username="agent@tailwinddist.onmicrosoft.com",
    )
    return customer


def box(locator) -> dict:
    found = locator.bounding_box()
    assert found, f"{locator} is not shown"
    return found


def open_customer(page, site, sign_in, customer):
    page.goto(f"{site}/partner-center/")
    sign_in("agent@tailwinddist.onmicrosoft.com", PASSWORD)
    page.get_by_role("link", name="Customer list").click()
    page.get_by_role("link", name=customer.name).click()
    expect(page.get_by_role("heading", name=customer.name, level=1)).to_be_visible()


def purchase_form_tops(page) -> dict[str, float]:
    form = page.get_by_role("form", name="Purchase")
    return {
        "On behalf of": box(form.get_by_label("On behalf of"))["y"],
        "Offer": box(form.get_by_label("Offer"))["y"],
        "Quantity": box(form.get_by_label("Quantity"))["y"],
        "Purchase": box(form.get_by_role("button", name="Purchase"))["y"],
    }


@pytest.mark.parametrize("width", [1280, 1024])
def test_the_purchase_form_s_inputs_and_button_share_one_line(
    page, site, sign_in, provider_cast, width
):
    page.set_viewport_size({"width": width, "height": 860})
    open_customer(page, site, sign_in, provider_cast)
    form = page.get_by_role("form", name="Purchase")
    expect(form.get_by_text("The indirect reseller that sold this subscription.")).to_be_visible()
    tops = purchase_form_tops(page)
    assert max(tops.values()) - min(tops.values()) < 1, tops


def test_the_purchase_form_s_inputs_stay_aligned_when_it_shows_errors(
    page, site, sign_in, provider_cast
):
    open_customer(page, site, sign_in, provider_cast)
    form = page.get_by_role("form", name="Purchase")
    form.get_by_label("Quantity").fill("")
    form.get_by_role("button", name="Purchase").click()
    # Each field's errors are a list under it.
    expect(page.get_by_role("form", name="Purchase").get_by_role("list").first).to_be_visible()
    tops = purchase_form_tops(page)
    assert max(tops.values()) - min(tops.values()) < 1, tops


@pytest.mark.parametrize("width", [1280, 800])
def test_a_long_domain_stays_inside_the_account_card(page, site, sign_in, provider_cast, width):
    page.set_viewport_size({"width": width, "height": 860})
    open_customer(page, site, sign_in, provider_cast)
    card = page.get_by_role("region", name="Account")
    domain = card.get_by_text(LONG_DOMAIN)
    expect(domain).to_be_visible()
    card_box = box(card)
    # The text itself, not its element's box (which the text may spill out of).
    text = domain.evaluate(
        "e => { const r = document.createRange(); r.selectNodeContents(e);"
        " const b = r.getBoundingClientRect(); return {left: b.left, right: b.right}; }"
    )
    assert text["right"] <= card_box["x"] + card_box["width"], (text, card_box)
    assert card.evaluate("e => e.scrollWidth <= e.clientWidth")


@pytest.fixture
def open_request(site):
    partner = PartnerFactory(name="Contoso Partners", domain="contosopartners.onmicrosoft.com")
    agent = member(partner, Role.SALES_AGENT, username="sales@contosopartners.onmicrosoft.com")
    return services.invitation_create(
        partner=partner, created_by=agent, include_admin=True, label="Northwind Traders"
    )


def test_revoke_this_request_has_room_below_the_buttons(page, site, sign_in, open_request):
    page.goto(f"{site}/partner-center/")
    sign_in("sales@contosopartners.onmicrosoft.com", PASSWORD)
    page.goto(f"{site}/partner-center/customers/requests/{open_request.pk}/")
    copy = page.get_by_role("button", name="Copy to clipboard")
    revoke = page.get_by_role("link", name="Revoke this request")
    expect(copy).to_be_visible()
    above, below = box(copy), box(revoke)
    gap = below["y"] - (above["y"] + above["height"])
    assert gap >= 16, f"{gap}px between Copy to clipboard and Revoke this request"
