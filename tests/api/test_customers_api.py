"""The API's customer sub-resources: the partner's relationship with a customer, removing the
reseller relationship (PATCH), and the customer's Customer Agreement acceptances."""

from datetime import timedelta

import pytest
from django.conf import settings
from django.utils import timezone
from rest_framework.test import APIClient

from tenancy.models import (
    AcceptanceMethod,
    AuditAction,
    AuditEvent,
    ResellerRelationship,
    Role,
)
from tests.api.schema import assert_matches, document
from tests.factories import (
    AdminRelationshipFactory,
    AgreementAcceptanceFactory,
    CustomerFactory,
    InvitationFactory,
    ResellerRelationshipFactory,
    SubscriptionFactory,
)

pytestmark = pytest.mark.django_db
ONE = "/v1/customers/{customer_id}"
RELATIONSHIPS = "/v1/customers/{customer_id}/relationships"
AGREEMENTS = "/v1/customers/{customer_id}/agreements"


def at(path: str, customer) -> str:
    return path.format(customer_id=customer.pk)


@pytest.fixture
def reseller(partner_a, customer):
    return ResellerRelationshipFactory(partner=partner_a, customer=customer)


@pytest.fixture
def theirs(partner_b):
    """A customer of partner B only."""
    customer = CustomerFactory(name="Tailspin Toys")
    ResellerRelationshipFactory(partner=partner_b, customer=customer)
    return customer


@pytest.fixture
def global_admin_api(app_key):
    """A client of an app registered with Global admin (removing a reseller relationship needs
    it, as on the page)."""
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {app_key(Role.ADMIN_AGENT, Role.GLOBAL_ADMIN)}")
    return client


class TestRelationships:
    def test_it_lists_the_partners_reseller_relationship(self, api, partner_a, customer, reseller):
        response = api.get(at(RELATIONSHIPS, customer))
        assert response.status_code == 200
        body = response.json()
        assert body["totalCount"] == 1
        assert body["items"] == [
            {
                "id": str(partner_a.pk),
                "name": "Contoso Partners",
                "mpnId": str(partner_a.mpn_id),
                "location": "US",
                "relationshipType": "None",
                "state": "active",
                "attributes": {"objectType": "PartnerRelationship"},
            }
        ]
        assert_matches(RELATIONSHIPS, "get", response)

    def test_an_ended_or_admin_only_customer_has_none(self, api, partner_a, customer):
        ResellerRelationshipFactory(partner=partner_a, customer=customer, ended_at=timezone.now())
        admin_only = CustomerFactory()
        AdminRelationshipFactory(partner=partner_a, customer=admin_only)
        for who in (customer, admin_only):
            response = api.get(at(RELATIONSHIPS, who))
            assert response.status_code == 200
            assert response.json()["items"] == []

    def test_another_partners_customer_is_a_404(self, api, theirs):
        response = api.get(at(RELATIONSHIPS, theirs))
        assert response.status_code == 404
        assert response.json()["code"] == "not_found"


class TestRemoveReseller:
    def test_it_ends_the_relationship_with_the_pages_service(
        self, global_admin_api, partner_a, customer, reseller
    ):
        response = global_admin_api.patch(
            at(ONE, customer), {"relationshipToPartner": "none"}, format="json"
        )
        assert response.status_code == 200
        assert response.json()["relationshipToPartner"] == "none"
        assert_matches(ONE, "patch", response)
        reseller.refresh_from_db()
        assert not reseller.is_active
        event = AuditEvent.objects.get(action=AuditAction.RESELLER_ENDED)
        assert (event.partner, event.customer, event.actor_tenant) == (
            partner_a,
            customer,
            partner_a,
        )
        assert event.actor.partner_app.name == "Contoso automation"
        assert global_admin_api.get(at(RELATIONSHIPS, customer)).json()["items"] == []

    def test_it_is_refused_while_subscriptions_are_active(
        self, global_admin_api, partner_a, customer, reseller
    ):
        SubscriptionFactory(partner=partner_a, customer=customer)
        response = global_admin_api.patch(
            at(ONE, customer), {"relationshipToPartner": "none"}, format="json"
        )
        assert response.status_code == 409
        assert response.json() == {
            "code": "active_subscriptions",
            # The remove-reseller page's sentence.
            "description": "Contoso Partners still has 1 active subscription for Northwind "
            "Traders. It must be suspended or moved to another partner before the reseller "
            "relationship can end.",
        }
        assert_matches(ONE, "patch", response)
        reseller.refresh_from_db()
        assert reseller.is_active
        assert not AuditEvent.objects.filter(action=AuditAction.RESELLER_ENDED).exists()

    def test_an_ended_relationship_has_nothing_to_remove(
        self, global_admin_api, customer, reseller
    ):
        reseller.end(by=None)
        response = global_admin_api.patch(
            at(ONE, customer), {"relationshipToPartner": "none"}, format="json"
        )
        assert response.status_code == 409
        assert response.json()["description"] == (
            "Northwind Traders has no active reseller relationship with you."
        )

    def test_an_agents_app_gets_the_pages_403(self, api, customer, reseller):
        response = api.patch(at(ONE, customer), {"relationshipToPartner": "none"}, format="json")
        assert response.status_code == 403
        assert response.json()["description"] == (
            "Only Global admins can remove a reseller relationship."
        )
        reseller.refresh_from_db()
        assert reseller.is_active

    def test_another_partners_customer_is_a_404(self, global_admin_api, theirs):
        response = global_admin_api.patch(
            at(ONE, theirs), {"relationshipToPartner": "none"}, format="json"
        )
        assert response.status_code == 404
        assert ResellerRelationship.objects.active().filter(customer=theirs).exists()

    @pytest.mark.parametrize(
        ("body", "field"),
        [
            ({"relationshipToPartner": "reseller"}, "relationshipToPartner"),
            ({}, "relationshipToPartner"),
            ({"relationshipToPartner": "none", "companyProfile": {}}, "companyProfile"),
        ],
    )
    def test_anything_else_is_a_field_error(
        self, global_admin_api, customer, reseller, body, field
    ):
        response = global_admin_api.patch(at(ONE, customer), body, format="json")
        assert response.status_code == 400
        assert response.json()["field"] == field
        assert_matches(ONE, "patch", response)
        reseller.refresh_from_db()
        assert reseller.is_active


class TestAgreements:
    def test_it_lists_acceptances_with_the_signer_only_when_it_came_through_you(
        self, api, partner_a, partner_b, customer, reseller
    ):
        AgreementAcceptanceFactory(
            customer=customer,
            version="MCA 2024-01",
            signer_first_name="Nancy",
            signer_last_name="Davolio",
            signer_email="nancy@northwind.example",
            recorded_at=timezone.now() - timedelta(days=400),
        )
        AgreementAcceptanceFactory(
            customer=customer,
            method=AcceptanceMethod.PARTNER_ATTESTATION,
            attested_by_partner=partner_b,
            recorded_at=timezone.now() - timedelta(days=1),
        )
        AgreementAcceptanceFactory(
            customer=customer,
            method=AcceptanceMethod.PARTNER_ATTESTATION,
            attested_by_partner=partner_a,
            signer_first_name="Andrew",
            signer_last_name="Fuller",
            signer_email="andrew@northwind.example",
            signer_phone="+1 206 555 0100",
        )
        response = api.get(at(AGREEMENTS, customer))
        assert response.status_code == 200
        body = response.json()
        assert body["totalCount"] == 3
        newest, other_partners, oldest = body["items"]
        assert newest["templateId"] == settings.CUSTOMER_AGREEMENT_VERSION
        assert newest["type"] == "MicrosoftCustomerAgreement"
        assert newest["dateAgreed"] == timezone.localdate().isoformat()
        assert newest["primaryContact"] == {
            "firstName": "Andrew",
            "lastName": "Fuller",
            "email": "andrew@northwind.example",
            "phoneNumber": "+1 206 555 0100",
        }
        # Another partner's attestation, the customer's own acceptance: that they exist, their
        # version and date, not who signed.
        assert "primaryContact" not in other_partners
        assert oldest["templateId"] == "MCA 2024-01"
        assert "primaryContact" not in oldest
        assert_matches(AGREEMENTS, "get", response)

    def test_an_acceptance_of_your_request_names_its_signer(
        self, api, partner_a, customer, reseller
    ):
        AgreementAcceptanceFactory(
            customer=customer,
            invitation=InvitationFactory(partner=partner_a),
            signer_first_name="Janet",
        )
        (item,) = api.get(at(AGREEMENTS, customer)).json()["items"]
        assert item["primaryContact"]["firstName"] == "Janet"

    def test_another_partners_customer_is_a_404(self, api, theirs):
        AgreementAcceptanceFactory(customer=theirs)
        assert api.get(at(AGREEMENTS, theirs)).status_code == 404


class TestAttestation:
    BODY = {
        "primaryContact": {
            "firstName": "Nancy",
            "lastName": "Davolio",
            "email": "nancy@northwindtraders.example",
            "phoneNumber": "+1 425 555 0100",
        },
        "dateAgreed": "2026-11-20",
        "type": "MicrosoftCustomerAgreement",
    }

    def test_an_attestation_is_recorded_and_audited_as_the_app(
        self, api, reseller, customer, partner_a
    ):
        response = api.post(at(AGREEMENTS, customer), self.BODY, format="json")
        assert response.status_code == 201
        assert response.json()["templateId"] == settings.CUSTOMER_AGREEMENT_VERSION
        assert_matches(AGREEMENTS.replace("{customer_id}", "{customer_id}"), "post", response)
        acceptance = customer.agreement_acceptances.get()
        assert acceptance.method == AcceptanceMethod.PARTNER_ATTESTATION
        assert acceptance.attested_by_partner == partner_a
        assert str(acceptance.accepted_on) == "2026-11-20"
        event = AuditEvent.objects.get(action=AuditAction.AGREEMENT_ATTESTED)
        assert event.actor.partner_app.partner == partner_a
        assert event.customer == customer
        listed = api.get(at(AGREEMENTS, customer)).json()["items"]
        assert listed[0]["primaryContact"]["lastName"] == "Davolio"

    def test_a_second_attestation_is_refused(self, api, reseller, customer):
        api.post(at(AGREEMENTS, customer), self.BODY, format="json")
        again = api.post(at(AGREEMENTS, customer), self.BODY, format="json")
        assert again.status_code == 409
        assert again.json()["code"] == "duplicate_agreement"
        assert "You already attested that" in again.json()["description"]
        assert customer.agreement_acceptances.count() == 1

    @pytest.mark.parametrize(
        ("date_agreed", "day"),
        [
            ("2026-11-20T08:00:00Z", "2026-11-20"),
            ("2026-11-20T08:00:00.000Z", "2026-11-20"),
            ("2026-11-20T23:30:00-05:00", "2026-11-21"),  # the day it was in UTC
            ("2026-11-20T08:00:00", "2026-11-20"),  # no offset: read as UTC
            ("2026-11-20", "2026-11-20"),
        ],
    )
    def test_date_agreed_is_a_utc_date_time_or_a_date_and_the_day_is_kept(
        self, api, reseller, customer, date_agreed, day
    ):
        response = api.post(
            at(AGREEMENTS, customer), {**self.BODY, "dateAgreed": date_agreed}, format="json"
        )
        assert response.status_code == 201, response.json()
        assert response.json()["dateAgreed"] == day
        assert str(customer.agreement_acceptances.get().accepted_on) == day

    @pytest.mark.parametrize(
        "date_agreed",
        [
            "not a date",
            "2026-11-30T25:00:00Z",
            "2026-02-30T08:00:00Z",
            "2026-02-30",
            "30/11/2026",
            "2026-11-30T08:00:00Z tomorrow",
            "",
            20261130,
        ],
    )
    def test_other_text_for_date_agreed_is_refused_naming_it(
        self, api, reseller, customer, date_agreed
    ):
        response = api.post(
            at(AGREEMENTS, customer), {**self.BODY, "dateAgreed": date_agreed}, format="json"
        )
        assert response.status_code == 400
        assert response.json() == {
            "code": "invalid",
            "description": "Use a UTC date and time for dateAgreed, such as "
            "2026-11-30T08:00:00Z, or a date, such as 2026-11-30.",
            "field": "dateAgreed",
        }
        assert_matches(AGREEMENTS, "post", response)
        assert not customer.agreement_acceptances.exists()

    def test_date_agreed_is_documented_as_a_date_time_or_a_date(self):
        schema = document()["components"]["schemas"]["AgreementInRequest"]["properties"][
            "dateAgreed"
        ]
        assert [choice["format"] for choice in schema["oneOf"]] == ["date-time", "date"]
        assert "2026-11-30T08:00:00Z" in schema["description"]

    @pytest.mark.parametrize(
        ("change", "field"),
        [
            ({"dateAgreed": "not a date"}, "dateAgreed"),
            ({"type": "SomethingElse"}, "type"),
            (
                {"primaryContact": {"firstName": "A\x1b", "lastName": "B", "email": "a@b.example"}},
                "primaryContact",
            ),
        ],
    )
    def test_bad_input_is_a_field_error_and_records_nothing(
        self, api, reseller, customer, change, field
    ):
        response = api.post(at(AGREEMENTS, customer), {**self.BODY, **change}, format="json")
        assert response.status_code == 400
        assert response.json()["field"] == field
        assert not customer.agreement_acceptances.exists()

    def test_a_future_date_is_refused(self, api, reseller, customer):
        future = (timezone.localdate() + timedelta(days=2)).isoformat()
        response = api.post(
            at(AGREEMENTS, customer), {**self.BODY, "dateAgreed": future}, format="json"
        )
        assert response.status_code == 409
        assert not customer.agreement_acceptances.exists()

    def test_a_helpdesk_app_may_not_and_another_partners_customer_is_a_404(
        self, app_key, api, theirs, reseller, customer
    ):
        helpdesk = APIClient()
        helpdesk.credentials(HTTP_AUTHORIZATION=f"Bearer {app_key(Role.HELPDESK_AGENT, name='HD')}")
        assert helpdesk.post(at(AGREEMENTS, customer), self.BODY, format="json").status_code == 403
        assert api.post(at(AGREEMENTS, theirs), self.BODY, format="json").status_code == 404
        assert not customer.agreement_acceptances.exists()
