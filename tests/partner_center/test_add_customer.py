"""Customers workspace → Add customer, and the page that shows the one-time password."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from tenancy.models import (
    AcceptanceMethod,
    AgreementAcceptance,
    AuditAction,
    AuditEvent,
    Cloud,
    FormedBy,
    Membership,
    ResellerRelationship,
    Role,
    Tenant,
)
from tests.factories import CustomerFactory, PartnerFactory, member
from tests.partner_center.conftest import url

pytestmark = pytest.mark.django_db

ADD = url("add-customer")


def form_data(**overrides):
    return {
        "name": "Fourth Coffee",
        "domain_prefix": "fourthcoffee",
        "country": "US",
        "address_line1": "1 Pike Place",
        "address_line2": "",
        "city": "Seattle",
        "region": "WA",
        "postal_code": "98101",
        "contact_first_name": "Ada",
        "contact_last_name": "Lovelace",
        "contact_email": "ada@fourthcoffee.example",
        "contact_phone": "",
        "agreement": "later",
    } | overrides


ATTESTED = {
    "agreement": "attested",
    "signer_first_name": "Ada",
    "signer_last_name": "Lovelace",
    "signer_email": "ada@fourthcoffee.example",
    "signer_phone": "+1 206 555 0100",
    "accepted_on": "2026-01-20",
}


def nothing_created():
    assert not Tenant.objects.filter(name="Fourth Coffee").exists()
    assert not AuditEvent.objects.filter(action=AuditAction.CUSTOMER_ADDED).exists()


def test_added_customer_admin_signs_in_with_the_one_time_password_and_appears_in_the_list(
    client_for, sales_agent, partner_a, client
):
    agent = client_for(sales_agent)
    done = agent.post(ADD, form_data() | ATTESTED)
    assert done.status_code == 200
    added = done.context["added"]
    page = done.content.decode()
    assert added["username"] == "admin@fourthcoffee.onmicrosoft.com"
    assert added["username"] in page and added["password"] in page
    assert "must change it when they first sign in" in page
    assert "no-store" in done["Cache-Control"]

    # Shown in that one response and kept nowhere: not in the session, not on another page.
    assert added["password"] not in repr(dict(agent.session.items()))
    assert added["password"] not in agent.get(url("customer-list")).content.decode()

    # The customer is in the list at once, with a reseller relationship.
    listed = agent.get(url("customer-list"), {"q": "Fourth"})
    [row] = listed.context["page"].object_list
    assert row.is_active and row.customer.name == "Fourth Coffee"
    assert ">Reseller<" in listed.content.decode().replace("\n", "").replace(" ", "")
    customer = Tenant.objects.get(domain="fourthcoffee.onmicrosoft.com")
    relationship = ResellerRelationship.objects.active().get(customer=customer)
    assert (relationship.partner, relationship.formed_by) == (partner_a, FormedBy.NEW_CUSTOMER)
    acceptance = AgreementAcceptance.objects.get(customer=customer)
    assert acceptance.method == AcceptanceMethod.PARTNER_ATTESTATION
    assert acceptance.signer_phone == "+1 206 555 0100"

    # The new Global administrator signs in with it and must change it first.
    membership = Membership.objects.get(user__username=added["username"])
    assert membership.tenant == customer and membership.must_change_password
    assert membership.roles == {Role.CUSTOMER_GLOBAL_ADMIN}
    signed_in = client.post(
        reverse("sign-in"), {"username": added["username"], "password": added["password"]}
    )
    assert signed_in.status_code == 302
    assert client.get(reverse("admin_center:home"))["Location"] == reverse("password-change")
    client.post(
        reverse("password-change"),
        {
            "old_password": added["password"],
            "new_password1": "a brand new passphrase",
            "new_password2": "a brand new passphrase",
        },
    )
    home = client.get(reverse("admin_center:home"))
    assert home.status_code == 200
    assert b"Fourth Coffee" in home.content


def test_the_customer_may_accept_the_agreement_later(client_for, sales_agent):
    client_for(sales_agent).post(ADD, form_data())
    assert Tenant.objects.filter(domain="fourthcoffee.onmicrosoft.com").exists()
    assert not AgreementAcceptance.objects.exists()


def test_it_is_audited(client_for, sales_agent, partner_a):
    client_for(sales_agent).post(ADD, form_data() | ATTESTED)
    actions = set(AuditEvent.objects.filter(partner=partner_a).values_list("action", flat=True))
    assert actions == {
        AuditAction.CUSTOMER_ADDED,
        AuditAction.RESELLER_STARTED,
        AuditAction.AGREEMENT_ATTESTED,
    }


def test_the_domain_suffix_is_shown_next_to_the_prefix(client_for, sales_agent):
    page = client_for(sales_agent).get(ADD).content.decode()
    assert 'name="domain_prefix"' in page and "<span>.onmicrosoft.com</span>" in page
    assert f'data-check-url="{url("domain-check")}"' in page


def test_only_countries_of_the_partners_market_are_offered(client_for, sales_agent):
    page = client_for(sales_agent).get(ADD).content.decode()
    assert '<option value="US"' in page
    assert '<option value="CA"' not in page and '<option value="PR"' not in page


@pytest.mark.parametrize("country", ["CA", "PR", "XX", "", "🇺🇸"])
def test_a_tampered_country_is_a_field_error(client_for, sales_agent, country):
    response = client_for(sales_agent).post(ADD, form_data(country=country))
    assert response.status_code == 400
    assert 'id="id_country_error"' in response.content.decode()
    nothing_created()


def test_a_european_partner_may_add_a_customer_anywhere_in_europe(client_for):
    agent = member(PartnerFactory(country_id="FR"), Role.SALES_AGENT)
    response = client_for(agent).post(ADD, form_data(country="DE"))
    assert response.status_code == 200
    assert Tenant.objects.get(domain="fourthcoffee.onmicrosoft.com").country_id == "DE"


def test_a_taken_domain_is_refused(client_for, sales_agent):
    CustomerFactory(domain="fourthcoffee.onmicrosoft.com", name="Earlier")
    response = client_for(sales_agent).post(ADD, form_data(domain_prefix="FourthCoffee"))
    assert response.status_code == 400
    assert b"fourthcoffee.onmicrosoft.com is already taken" in response.content
    nothing_created()


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"domain_prefix": "-nope"}, "domain_prefix"),
        ({"domain_prefix": "has space"}, "domain_prefix"),
        ({"domain_prefix": "x" * 64}, "domain_prefix"),
        ({"domain_prefix": "café"}, "domain_prefix"),
        ({"domain_prefix": ""}, "domain_prefix"),
        ({"name": ""}, "name"),
        ({"name": "   "}, "name"),
        ({"name": "x" * 201}, "name"),
        ({"name": "Fourth\nCoffee"}, "name"),
        ({"address_line1": ""}, "address_line1"),
        ({"city": "x" * 101}, "city"),
        ({"postal_code": "1" * 21}, "postal_code"),
        ({"contact_email": "nope"}, "contact_email"),
        ({"contact_phone": "call me"}, "contact_phone"),
        ({"agreement": "maybe"}, "agreement"),
        ({"agreement": ""}, "agreement"),
        ({"agreement": "attested"}, "signer_first_name"),
        ({"agreement": "attested"}, "accepted_on"),
        (ATTESTED | {"accepted_on": "not a date"}, "accepted_on"),
        (ATTESTED | {"accepted_on": "1900-01-01"}, "accepted_on"),
        (ATTESTED | {"signer_email": "nope"}, "signer_email"),
        (ATTESTED | {"signer_phone": "☎"}, "signer_phone"),
    ],
)
def test_bad_input_gives_field_errors_and_creates_nothing(
    client_for, sales_agent, overrides, field
):
    response = client_for(sales_agent).post(ADD, form_data(**overrides))
    assert response.status_code == 400
    assert f'id="id_{field}_error"' in response.content.decode()
    nothing_created()


def test_an_empty_post_shows_every_required_field_as_an_error(client_for, sales_agent):
    response = client_for(sales_agent).post(ADD, {})
    assert response.status_code == 400
    page = response.content.decode()
    for field in ("name", "domain_prefix", "country", "address_line1", "city", "agreement"):
        assert f'id="id_{field}_error"' in page
    nothing_created()


def test_an_acceptance_date_in_the_future_is_refused(client_for, sales_agent):
    tomorrow = (timezone.localdate() + timedelta(days=1)).isoformat()
    response = client_for(sales_agent).post(ADD, form_data() | ATTESTED | {"accepted_on": tomorrow})
    assert response.status_code == 400
    assert b"can&#x27;t be in the future" in response.content
    nothing_created()


def test_unicode_names_are_kept_as_typed(client_for, sales_agent):
    response = client_for(sales_agent).post(ADD, form_data(name="Café Zoë GmbH & Co. 東京"))
    assert response.status_code == 200
    customer = Tenant.objects.get(domain="fourthcoffee.onmicrosoft.com")
    assert customer.name == "Café Zoë GmbH & Co. 東京"


def test_a_us_government_partner_adds_a_us_government_customer(client_for, gov_partner):
    client_for(member(gov_partner, Role.ADMIN_AGENT)).post(ADD, form_data())
    assert Tenant.objects.get(domain="fourthcoffee.onmicrosoft.com").cloud == Cloud.USGOV


@pytest.mark.parametrize("who", ["admin_agent", "partner_global_admin"])
def test_admin_agents_and_global_admins_may_add(client_for, who, request):
    assert client_for(request.getfixturevalue(who)).post(ADD, form_data()).status_code == 200


def test_a_helpdesk_agent_gets_403_saying_who_may(client_for, helpdesk_agent):
    client = client_for(helpdesk_agent)
    for response in (client.get(ADD), client.post(ADD, form_data())):
        assert response.status_code == 403
        assert b"Only Global admins, Admin agents and Sales agents can add a customer" in (
            response.content
        )
    nothing_created()


def test_csrf_is_enforced(csrf_client, sales_agent):
    assert csrf_client(sales_agent).post(ADD, form_data()).status_code == 403
    nothing_created()


def test_there_is_no_result_page_to_reload(client_for, sales_agent):
    """The one-time password lives only in the response to the post: no page shows it again."""
    assert client_for(sales_agent).get("/partner-center/customers/add/done/").status_code == 404
