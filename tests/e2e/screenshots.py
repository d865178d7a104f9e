"""`make screenshots`: drive the real pages with the demo data and write PNGs to docs/screenshots/.

Not part of the suite (the file name doesn't start with test_); run by name:
    pytest tests/e2e/screenshots.py
"""

import io
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

from tenancy import services
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
