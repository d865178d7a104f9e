"""The scripted session of a partner that automates (issue 12, point 1): an app's key → a
request link from the API → the customer accepts in the browser → the partner's webhook
receiver gets `reseller-relationship-accepted-by-customer`, signed → the API lists the customer."""

import io
import json
import urllib.request

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from tenancy import services
from tenancy.models import Membership, Tenant
from tests.tenancy.test_webhooks import Receiver

pytestmark = pytest.mark.django_db(transaction=True)

NORTHWIND_ADMIN = "admin@northwindtraders.onmicrosoft.com"
ACCEPTED = "reseller-relationship-accepted-by-customer"


def call(site: str, key: str, path: str, body: dict | None = None) -> dict:
    """GET `path`, or POST `body` to it as JSON."""
    headers = {"Authorization": f"Bearer {key}"}
    data = None
    if body is not None:
        headers["Content-Type"] = "application/json"
        data = json.dumps(body).encode()
    # Our own live server, over http.
    request = urllib.request.Request(site + path, data=data, headers=headers)  # noqa: S310
    with urllib.request.urlopen(request, timeout=10) as answer:  # noqa: S310
        return json.load(answer)


def test_key_link_acceptance_webhook_and_customer_list(page, site, sign_in, settings):
    call_command("seed_demo", force=True, stdout=io.StringIO())
    settings.WEBHOOKS_ALLOW_LOOPBACK = True
    partner = Tenant.objects.get(name="Contoso Cloud Partners")
    admin = Membership.objects.filter(tenant=partner, role_rows__role="partner.global_admin")
    admin = admin.select_related("user").first()
    key = services.app_register(
        membership=admin, name="Onboarding script", roles=["partner.sales_agent"]
    ).key
    receiver = Receiver()
    receiver.start()
    try:
        subscription = services.webhook_subscription_create(
            membership=admin, url=receiver.url, events=[ACCEPTED]
        )
        link = call(site, key, "/v1/customers/relationshiprequests", {"label": "Northwind"})["url"]

        page.goto(link)
        sign_in(NORTHWIND_ADMIN)
        expect(
            page.get_by_role("heading", name="Review Contoso Cloud Partners' request")
        ).to_be_visible()
        page.get_by_label("First name").fill("Nancy")
        page.get_by_label("Last name").fill("Davolio")
        page.get_by_label("Phone number").fill("+1 425 555 0100")
        page.get_by_label("I have read and accept the agreement").check()
        page.get_by_role("button", name="Accept and authorize").click()
        expect(page.get_by_role("heading", name="Partner relationships")).to_be_visible()

        assert len(receiver.received) == 1
        payload = receiver.received[0].verify(subscription.secret)  # raises if forged
        assert payload["EventName"] == ACCEPTED
        assert payload["ResourceName"]
        names = [
            c["companyProfile"]["companyName"]
            for c in call(site, key, "/v1/customers?size=500")["items"]
        ]
        assert "Northwind Traders" in names
    finally:
        receiver.stop()
