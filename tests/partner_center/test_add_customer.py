from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from tenancy.models import (
    AcceptanceMethod,
    AgreementAcceptance,
    Cloud,
    ResellerRelationship,
    Role,
    Tenant,
)
from tests.factories import CustomerFactory, member
from tests.partner_center.conftest import url

pytestmark = pytest.mark.django_db

ADD = url("add-customer")
DONE = url("add-customer-done")
CHECK = url("domain-check")


def form_data(**overrides):
    return {
        "name": "Fourth Coffee",
        "domain_prefix": "fourthcoffee",
        "country": "US",
        "address_line1": "1 Pike Place",
        "city": "Seattle",
        "region": "WA",
        "postal_code": "98101",
        "contact_first_name": "Ada",
        "contact_last_name": "Lovelace",
        "contact_email": "ada@fourthcoffee.example",
        "agreement": "later",
    } | overrides


ATTESTED = {
    "agreement": "attested",
    "signer_first_name": "Ada",
    "signer_last_name": "Lovelace",
    "signer_email": "ada@fourthcoffee.example",
    "accepted_on": "2026-11-20",
}


def nothing_created():
    assert not Tenant.objects.filter(name="Fourth Coffee").exists()


class TestAddCustomer:
    def test_the_new_global_administrator_signs_in_with_the_one_time_password(
        self, client_for, sales_agent, partner_a
    ):
        client = client_for(sales_agent)
        response = client.post(ADD, form_data() | ATTESTED)
        assert response["Location"] == DONE
        done = client.get(DONE)
        added = done.context["added"]
        assert added["username"] == "admin@fourthcoffee.onmicrosoft.com"
        assert added["password"] in done.content.decode()
        assert "no-store" in done["Cache-Control"]

        # Shown once: a reload shows it no more.
        again = client.get(DONE)
        assert added["password"] not in again.content.decode()
        assert b"shown once" in again.content

        # The customer is in the list at once, with a reseller relationship.
        listed = client.get(url("customer-list"), {"q": "Fourth"})
        [row] = listed.context["page"].object_list
        assert row.is_active and row.customer.name == "Fourth Coffee"
        customer = Tenant.objects.get(domain="fourthcoffee.onmicrosoft.com")
        assert ResellerRelationship.objects.active().get(customer=customer).partner == partner_a
        acceptance = AgreementAcceptance.objects.get(customer=customer)
        assert acceptance.method == AcceptanceMethod.PARTNER_ATTESTATION

        # The new administrator signs in, must change the password, then reaches the admin center.
        person = Client()
        signed_in = person.post(
            reverse("sign-in"), {"username": added["username"], "password": added["password"]}
        )
        assert signed_in.status_code == 302
        assert person.get(reverse("admin_center:home"))["Location"] == reverse("password-change")
        person.post(
            reverse("password-change"),
            {
                "old_password": added["password"],
                "new_password1": "a brand new passphrase",
                "new_password2": "a brand new passphrase",
            },
        )
        home = person.get(reverse("admin_center:home"))
        assert home.status_code == 200
        assert b"Fourth Coffee" in home.content

    def test_the_customer_may_accept_the_agreement_later(self, client_for, sales_agent):
        client_for(sales_agent).post(ADD, form_data())
        assert not AgreementAcceptance.objects.exists()
        assert Tenant.objects.filter(domain="fourthcoffee.onmicrosoft.com").exists()

    def test_only_countries_of_the_partners_market_are_offered(self, client_for, sales_agent):
        page = client_for(sales_agent).get(ADD).content.decode()
        assert '<option value="US"' in page
        assert '<option value="CA"' not in page and '<option value="PR"' not in page

    @pytest.mark.parametrize("country", ["CA", "PR", "XX", ""])
    def test_a_tampered_country_is_a_field_error(self, client_for, sales_agent, country):
        response = client_for(sales_agent).post(ADD, form_data(country=country))
        assert response.status_code == 400
        assert 'id="id_country_error"' in response.content.decode()
        nothing_created()

    def test_a_european_partner_may_add_a_customer_anywhere_in_europe(self, client_for):
        from tests.factories import PartnerFactory

        french = PartnerFactory(country_id="FR")
        agent = member(french, Role.SALES_AGENT)
        response = client_for(agent).post(ADD, form_data(country="DE"))
        assert response.status_code == 302
        assert Tenant.objects.get(domain="fourthcoffee.onmicrosoft.com").country_id == "DE"

    def test_a_taken_domain_is_refused(self, client_for, sales_agent):
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
            ({"name": ""}, "name"),
            ({"name": "x" * 201}, "name"),
            ({"contact_email": "nope"}, "contact_email"),
            ({"contact_phone": "call me"}, "contact_phone"),
            ({"agreement": "maybe"}, "agreement"),
            ({"agreement": "attested"}, "signer_first_name"),
            (ATTESTED | {"accepted_on": "not a date"}, "accepted_on"),
            (ATTESTED | {"signer_email": "nope"}, "signer_email"),
        ],
    )
    def test_bad_input_gives_field_errors_and_creates_nothing(
        self, client_for, sales_agent, overrides, field
    ):
        response = client_for(sales_agent).post(ADD, form_data(**overrides))
        assert response.status_code == 400
        assert f'id="id_{field}_error"' in response.content.decode()
        nothing_created()

    def test_an_acceptance_date_in_the_future_is_refused(self, client_for, sales_agent):
        tomorrow = (timezone.localdate() + timedelta(days=1)).isoformat()
        response = client_for(sales_agent).post(
            ADD, form_data() | ATTESTED | {"accepted_on": tomorrow}
        )
        assert response.status_code == 400
        assert b"can&#x27;t be in the future" in response.content
        nothing_created()

    def test_unicode_names_are_fine(self, client_for, sales_agent):
        response = client_for(sales_agent).post(ADD, form_data(name="Café Zoë GmbH & Co. 東京"))
        assert response.status_code == 302
        assert Tenant.objects.get(domain="fourthcoffee.onmicrosoft.com").name == (
            "Café Zoë GmbH & Co. 東京"
        )

    def test_a_us_government_partner_adds_a_us_government_customer(self, client_for, gov_partner):
        client_for(member(gov_partner, Role.ADMIN_AGENT)).post(ADD, form_data())
        assert Tenant.objects.get(domain="fourthcoffee.onmicrosoft.com").cloud == Cloud.USGOV

    @pytest.mark.parametrize("who", ["admin_agent", "partner_global_admin"])
    def test_admin_agents_and_global_admins_may_add(self, client_for, who, request):
        user = request.getfixturevalue(who)
        assert client_for(user).post(ADD, form_data()).status_code == 302

    def test_a_helpdesk_agent_gets_403(self, client_for, helpdesk_agent):
        response = client_for(helpdesk_agent).post(ADD, form_data())
        assert response.status_code == 403
        assert b"Only Global admins, Admin agents and Sales agents can add a customer" in (
            response.content
        )
        nothing_created()

    def test_csrf_is_enforced(self, sales_agent):
        client = Client(enforce_csrf_checks=True)
        client.force_login(sales_agent)
        assert client.post(ADD, form_data()).status_code == 403
        nothing_created()


class TestDomainCheck:
    def test_it_says_whether_a_prefix_is_free(self, client_for, sales_agent):
        CustomerFactory(domain="taken.onmicrosoft.com")
        client = client_for(sales_agent)
        free = client.get(CHECK, {"prefix": "FreeOne"}).json()
        assert free == {
            "valid": True,
            "available": True,
            "domain": "freeone.onmicrosoft.com",
            "message": "freeone.onmicrosoft.com is available.",
        }
        assert client.get(CHECK, {"prefix": "taken"}).json()["available"] is False

    @pytest.mark.parametrize("prefix", ["", "-x", "a b", "ü", "x" * 500])
    def test_it_rejects_bad_prefixes_plainly(self, client_for, sales_agent, prefix):
        answer = client_for(sales_agent).get(CHECK, {"prefix": prefix}).json()
        assert answer["valid"] is False and answer["message"]

    def test_it_is_for_partners_who_may_add_customers(
        self, client_for, helpdesk_agent, customer_admin
    ):
        assert client_for(helpdesk_agent).get(CHECK, {"prefix": "x"}).status_code == 403
        assert client_for(customer_admin).get(CHECK, {"prefix": "x"}).status_code == 403
