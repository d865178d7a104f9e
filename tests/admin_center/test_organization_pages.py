"""Home, Organization profile, Agreements and Activity."""

import re

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from tenancy.models import AgreementAcceptance, AuditAction, AuditEvent, Cloud, Role
from tests.admin_center.conftest import SIGNER
from tests.factories import (
    AgreementAcceptanceFactory,
    AuditEventFactory,
    CustomerFactory,
    PartnerFactory,
    member,
)

pytestmark = pytest.mark.django_db

HOME = reverse("admin_center:home")
PROFILE = reverse("admin_center:organization-profile")
AGREEMENTS = reverse("admin_center:agreements")
ACTIVITY = reverse("admin_center:activity")

# Session; user with membership and roles; one page of events (keyset paging: no count).
ACTIVITY_QUERIES = 3

ADDRESS = {
    "address_line1": "1 Pike Place",
    "city": "Seattle",
    "region": "WA",
    "postal_code": "98101",
    "contact_email": "it@northwind.example",
}


class TestHome:
    def test_it_names_the_organization_and_what_is_missing(self, client_for, customer_admin):
        page = client_for(customer_admin).get(HOME).content.decode()
        assert "Northwind Traders" in page
        assert "No partner resells to your organization yet" in page
        assert "hasn't accepted the Microsoft Customer Agreement" in page

    def test_a_plain_user_sees_home_without_admin_links(self, client_for, customer_user):
        response = client_for(customer_user).get(HOME)
        assert response.status_code == 200
        assert (
            reverse("admin_center:partner-relationships").encode()
            not in response.content.split(b"<main")[1]
        )

    @pytest.mark.parametrize("who", ["customer_user", "customer_billing_admin", "customer_admin"])
    def test_the_navigation_offers_only_pages_the_role_may_open(self, client_for, who, request):
        client = client_for(request.getfixturevalue(who))
        nav = client.get(HOME).content.decode().split('<nav class="sidenav"')[1].split("</nav>")[0]
        links = re.findall(r'href="([^"]+)"', nav)
        assert links, "the home link at least"
        for link in links:
            assert client.get(link).status_code == 200, link
        if who == "customer_user":
            assert links == [HOME]

    def test_the_office_admin_portal_is_a_us_government_customers_home(self, client_for):
        gov_admin = member(CustomerFactory(cloud=Cloud.USGOV), Role.CUSTOMER_GLOBAL_ADMIN)
        page = client_for(gov_admin).get(reverse("admin_center:home", current_app="office_admin"))
        assert page.status_code == 200
        text = page.content.decode()
        assert "<title>Home – Microsoft Office Admin portal</title>" in text
        assert "US Government" in text


class TestOrganizationProfile:
    def test_a_global_administrator_completes_the_billing_address(
        self, client_for, customer_admin, customer
    ):
        response = client_for(customer_admin).post(PROFILE, ADDRESS, follow=True)
        assert b"Your organization profile was saved" in response.content
        customer.refresh_from_db()
        assert (customer.address_line1, customer.city) == ("1 Pike Place", "Seattle")
        assert AuditEvent.objects.filter(action=AuditAction.PROFILE_UPDATED).count() == 1

    def test_a_billing_administrator_may_too(self, client_for, customer_billing_admin):
        assert client_for(customer_billing_admin).post(PROFILE, ADDRESS).status_code == 302

    def test_a_plain_user_gets_403(self, client_for, customer_user, customer):
        assert client_for(customer_user).post(PROFILE, ADDRESS).status_code == 403
        customer.refresh_from_db()
        assert customer.address_line1 != "1 Pike Place"

    @pytest.mark.parametrize(
        ("field", "value"),
        [("address_line1", ""), ("city", "x" * 101), ("contact_email", "nope"), ("city", "a\nb")],
    )
    def test_bad_input_gives_field_errors_and_saves_nothing(
        self, client_for, customer_admin, customer, field, value
    ):
        before = customer.address_line1
        response = client_for(customer_admin).post(PROFILE, ADDRESS | {field: value})
        assert response.status_code == 400
        assert f'id="id_{field}_error"' in response.content.decode()
        customer.refresh_from_db()
        assert customer.address_line1 == before

    def test_it_returns_to_the_request_but_never_off_site(self, client_for, customer_admin):
        client = client_for(customer_admin)
        back = reverse("admin_center:partner-relationships")
        assert client.post(PROFILE, ADDRESS | {"next": back})["Location"] == back
        for evil in ["https://evil.example/", "//evil.example/", "/sign-out/"]:
            assert client.post(PROFILE, ADDRESS | {"next": evil})["Location"] == PROFILE

    def test_csrf_is_enforced(self, customer_admin):
        client = Client(enforce_csrf_checks=True)
        client.force_login(customer_admin)
        assert client.post(PROFILE, ADDRESS).status_code == 403


class TestAgreements:
    def test_a_customer_added_by_a_partner_accepts_the_agreement_later(
        self, client_for, customer_admin, customer
    ):
        client = client_for(customer_admin)
        assert b"Accept agreement" in client.get(AGREEMENTS).content
        response = client.post(AGREEMENTS, SIGNER, follow=True)
        assert b"accepted the Microsoft Customer Agreement" in response.content
        acceptance = AgreementAcceptance.objects.get(customer=customer)
        assert acceptance.version == settings.CUSTOMER_AGREEMENT_VERSION
        assert acceptance.recorded_by == customer_admin
        assert b"Accept agreement" not in client.get(AGREEMENTS).content

    def test_a_partners_attestation_is_shown(self, client_for, customer_admin, customer):
        partner = PartnerFactory(name="Attesting Partner")
        AgreementAcceptanceFactory(
            customer=customer, method="partner_attestation", attested_by_partner=partner
        )
        page = client_for(customer_admin).get(AGREEMENTS).content.decode()
        assert "Attested by Attesting Partner" in page
        assert "Accept agreement" not in page

    def test_unticked_box_is_a_field_error(self, client_for, customer_admin):
        data = {k: v for k, v in SIGNER.items() if k != "accept"}
        response = client_for(customer_admin).post(AGREEMENTS, data)
        assert response.status_code == 400
        assert not AgreementAcceptance.objects.exists()

    def test_a_plain_user_gets_403(self, client_for, customer_user):
        assert client_for(customer_user).post(AGREEMENTS, SIGNER).status_code == 403
        assert not AgreementAcceptance.objects.exists()

    def test_the_full_text_is_public(self, client):
        page = client.get(reverse("admin_center:agreement"))
        assert page.status_code == 200
        assert settings.CUSTOMER_AGREEMENT_VERSION.encode() in page.content


class TestActivity:
    def test_it_shows_this_organizations_events_only(self, client_for, customer_admin, customer):
        AuditEventFactory(
            customer=customer, action=AuditAction.INVITATION_ACCEPTED, actor_label="nancy@nw"
        )
        AuditEventFactory(customer=CustomerFactory(), actor_label="someone@else")
        page = client_for(customer_admin).get(ACTIVITY).content.decode()
        assert "Accepted a reseller relationship request" in page
        assert "nancy@nw" in page
        assert "someone@else" not in page

    def test_its_query_count_is_fixed_whatever_the_number_of_events(
        self, client_for, customer_admin, customer, django_assert_num_queries
    ):
        client = client_for(customer_admin)
        AuditEventFactory(customer=customer)
        with django_assert_num_queries(ACTIVITY_QUERIES):
            client.get(ACTIVITY)
        for _ in range(60):
            AuditEventFactory(customer=customer, partner=PartnerFactory())
        with django_assert_num_queries(ACTIVITY_QUERIES):
            client.get(ACTIVITY)

    def test_a_plain_user_gets_403(self, client_for, customer_user):
        assert client_for(customer_user).get(ACTIVITY).status_code == 403

    def test_bad_page_numbers_do_not_break_it(self, client_for, customer_admin):
        for page in ["0", "-1", "abc", "99999"]:
            assert client_for(customer_admin).get(ACTIVITY, {"page": page}).status_code == 200


@pytest.mark.parametrize("bad", ["Nancy\r\nBcc: x@evil.example", "Nancy\x1b[31m", "Nan\ncy"])
def test_control_characters_in_the_signers_name_are_a_field_error(client_for, customer_admin, bad):
    client = client_for(customer_admin)
    response = client.post(AGREEMENTS, SIGNER | {"first_name": bad})
    assert response.status_code == 400
    assert b"Use a single line without control characters." in response.content
    assert not AgreementAcceptance.objects.exists()
