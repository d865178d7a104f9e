"""The Partner Center API: keys, errors, relationship request links, customers in pages."""

import json
import logging

import pytest
from django.core.management import call_command
from django.urls import reverse
from rest_framework.test import APIClient

from api.throttling import AppRateThrottle
from tenancy import services
from tenancy.effects.customer_list import customer_list_rebuild
from tenancy.models import (
    AuditAction,
    AuditEvent,
    CustomerListRow,
    CustomerListVersion,
    Invitation,
    PartnerApp,
    Role,
)
from tests.api.queries import RATE_QUERIES
from tests.api.schema import assert_matches
from tests.factories import CustomerFactory, ResellerRelationshipFactory

pytestmark = pytest.mark.django_db
LINK = "/v1/customers/relationshiprequests"
CUSTOMERS = "/v1/customers"


def customers_of(partner, names):
    for name in names:
        customer = CustomerFactory(name=name)
        ResellerRelationshipFactory(partner=partner, customer=customer)
    customer_list_rebuild(partner=partner)


class TestKeys:
    def test_no_key_is_401_in_the_one_error_shape(self):
        response = APIClient().get(CUSTOMERS)
        assert response.status_code == 401
        assert response.json()["code"] == "unauthorized"
        assert response["WWW-Authenticate"].startswith("Bearer")

    def test_a_wrong_key_is_401(self, app_key):
        key = app_key()
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {key[:-1]}x")
        response = client.get(CUSTOMERS)
        assert response.status_code == 401
        assert "not valid" in response.json()["description"]

    def test_the_api_key_keyword_works_too(self, app_key):
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Api-Key {app_key()}")
        assert client.get(CUSTOMERS).status_code == 200

    def test_only_a_hash_of_the_key_is_stored(self, app_key):
        key = app_key()
        app = PartnerApp.objects.get()
        assert key.startswith(app.prefix + ".")
        stored = json.dumps(list(PartnerApp.objects.values()), default=str)
        assert key.split(".", 1)[1] not in stored

    def test_a_revoked_key_is_401_at_once(self, api, partner_global_admin):
        assert api.get(CUSTOMERS).status_code == 200
        services.app_revoke(
            membership=partner_global_admin.membership, app=PartnerApp.objects.get()
        )
        assert api.get(CUSTOMERS).status_code == 401

    def test_the_key_is_never_logged(self, app_key, caplog):
        key = app_key()
        caplog.set_level(logging.DEBUG)
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
        client.get(CUSTOMERS)
        client.get("/v1/customers/00000000-0000-4000-8000-000000000000")
        assert key not in caplog.text


class TestRelationshipRequests:
    def test_it_makes_a_request_audited_as_the_app(self, api, partner_a):
        response = api.post(LINK, {"label": "Fourth Coffee"}, format="json")
        assert response.status_code == 201
        body = response.json()
        assert body["attributes"] == {"objectType": "RelationshipRequest"}
        assert "invType=ResellerRelationship" in body["url"] and "token=" in body["url"]
        invitation = Invitation.objects.get()
        assert invitation.label == "Fourth Coffee" and invitation.include_admin
        event = AuditEvent.objects.get(action=AuditAction.INVITATION_CREATED)
        assert event.partner == partner_a
        assert event.actor.partner_app.name == "Contoso automation"
        assert event.actor_label.startswith("app-")
        assert_matches(LINK, "post", response)

    def test_an_app_without_the_role_gets_the_pages_sentence(self, app_key):
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {app_key(Role.HELPDESK_AGENT)}")
        response = client.get(LINK)
        assert response.status_code == 403
        assert response.json()["code"] == "forbidden"
        # The sentence the New relationship page gives a Helpdesk agent.
        assert response.json()["description"] == (
            "Only Admin agents and Sales agents can request a reseller relationship."
        )
        assert not Invitation.objects.exists()

    def test_a_bad_recipient_is_a_field_error(self, api):
        response = api.post(LINK, {"recipient": "not an address"}, format="json")
        assert response.status_code == 400
        assert response.json()["field"] == "recipient"
        assert not Invitation.objects.exists()


class TestCustomers:
    def test_pages_follow_the_continuation_token_and_stay_stable_under_inserts(
        self, api, partner_a
    ):
        customers_of(partner_a, [f"Customer {n:02d}" for n in range(5)])
        first = api.get(CUSTOMERS, {"size": 2})
        body = first.json()
        assert body["totalCount"] == 5
        assert [c["companyProfile"]["companyName"] for c in body["items"]] == [
            "Customer 00",
            "Customer 01",
        ]
        assert body["items"][0]["relationshipToPartner"] == "reseller"
        assert_matches(CUSTOMERS, "get", first)
        token = body["links"]["next"]["headers"][0]["value"]
        # A customer that sorts before the page just read arrives meanwhile.
        customers_of(partner_a, ["Customer 00a"])
        second = api.get(CUSTOMERS, {"size": 2}, HTTP_MS_CONTINUATIONTOKEN=token).json()
        assert [c["companyProfile"]["companyName"] for c in second["items"]] == [
            "Customer 02",
            "Customer 03",
        ]

    def test_each_page_costs_the_same_queries(self, api, partner_a, django_assert_num_queries):
        customers_of(partner_a, [f"Customer {n:02d}" for n in range(30)])
        api.get(CUSTOMERS, {"size": 5})  # last-used written once a minute: not in the count
        # Asked again before the list changes, the page is the one kept under the list's
        # version: the key with its app, principal and membership (with the version); the app's
        # rate (one statement).
        with django_assert_num_queries(1 + RATE_QUERIES):
            token = api.get(CUSTOMERS, {"size": 5}).json()["links"]["next"]["headers"][0]
        # The next page, the same URL with a continuation token: its rows and the counts too.
        with django_assert_num_queries(3 + RATE_QUERIES):
            second = api.get(CUSTOMERS, {"size": 5}, HTTP_MS_CONTINUATIONTOKEN=token["value"])
        assert second.json()["items"][0]["companyProfile"]["companyName"] == "Customer 05"
        customers_of(partner_a, ["Customer 00a"])
        # A change to the list: read again, at the same cost as any page.
        with django_assert_num_queries(3 + RATE_QUERIES):
            again = api.get(CUSTOMERS, {"size": 5}).json()
        assert again["totalCount"] == 31
        assert again["items"][1]["companyProfile"]["companyName"] == "Customer 00a"

    def test_another_partners_app_at_the_same_version_gets_its_own_list(
        self, api, app_key_of, partner_a, partner_b, agent_b
    ):
        customers_of(partner_a, ["Contoso Pharma"])
        customers_of(partner_b, ["Tailspin Toys"])
        CustomerListVersion.objects.filter(partner__in=[partner_a, partner_b]).update(version=7)
        assert api.get(CUSTOMERS).json()["items"][0]["companyProfile"]["companyName"] == (
            "Contoso Pharma"
        )
        theirs = APIClient()
        theirs.credentials(HTTP_AUTHORIZATION=f"Bearer {app_key_of(agent_b)}")
        names = [c["companyProfile"]["companyName"] for c in theirs.get(CUSTOMERS).json()["items"]]
        assert names == ["Tailspin Toys"]

    def test_a_filter_starts_with_a_name_or_domain(self, api, partner_a):
        customers_of(partner_a, ["Contoso Pharma", "Fabrikam", "Contoso Retail"])
        found = api.get(
            CUSTOMERS,
            {
                "filter": json.dumps(
                    {"Field": "CompanyName", "Value": "cont", "Operator": "starts_with"}
                )
            },
        ).json()
        assert [c["companyProfile"]["companyName"] for c in found["items"]] == [
            "Contoso Pharma",
            "Contoso Retail",
        ]
        assert found["totalCount"] == 2

    @pytest.mark.parametrize(
        ("params", "field"),
        [
            ({"size": "0"}, "size"),
            ({"size": "abc"}, "size"),
            ({"filter": "{"}, "filter"),
            (
                {
                    "filter": json.dumps(
                        {"Field": "Secret", "Value": "a", "Operator": "starts_with"}
                    )
                },
                "filter",
            ),
            (
                {"filter": json.dumps({"Field": "Domain", "Value": "a", "Operator": "contains"})},
                "filter",
            ),
        ],
    )
    def test_bad_parameters_are_field_errors(self, api, params, field):
        response = api.get(CUSTOMERS, params)
        assert response.status_code == 400
        assert response.json()["code"] == "invalid"
        assert response.json()["field"] == field

    def test_one_customer_and_another_partners_is_a_404(self, api, partner_a, partner_b):
        customers_of(partner_a, ["Northwind"])
        customers_of(partner_b, ["Tailspin"])
        mine = CustomerListRow.objects.get(partner=partner_a).customer_id
        theirs = CustomerListRow.objects.get(partner=partner_b).customer_id
        response = api.get(f"{CUSTOMERS}/{mine}")
        assert response.status_code == 200
        assert response.json()["companyProfile"]["companyName"] == "Northwind"
        assert response.json()["adminRelationships"] == []
        assert_matches("/v1/customers/{customer_id}", "get", response)
        other = api.get(f"{CUSTOMERS}/{theirs}")
        assert other.status_code == 404
        assert other.json()["code"] == "not_found"


def test_an_app_past_its_rate_gets_429_with_retry_after(api, monkeypatch):
    monkeypatch.setattr(AppRateThrottle, "THROTTLE_RATES", {"user": "3/min"})
    for _ in range(3):
        assert api.get(CUSTOMERS).status_code == 200
    response = api.get(CUSTOMERS)
    assert response.status_code == 429
    assert response.json()["code"] == "throttled"
    assert int(response["Retry-After"]) > 0


def test_the_openapi_document_is_served_and_valid(client):
    response = client.get("/v1/openapi.json")
    assert response.status_code == 200
    assert "/v1/customers" in json.loads(response.content)["paths"]
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", "/dev/null")
    assert client.get(reverse("api:docs")).status_code == 200


class TestAppManagement:
    def test_a_global_admin_registers_an_app_and_sees_its_key_once(
        self, client_for, partner_global_admin
    ):
        client = client_for(partner_global_admin)
        page = client.post(
            reverse("partner_center:app-list"),
            {"name": "Billing sync", "roles": [Role.SALES_AGENT]},
            follow=True,
        )
        key = page.context["new_key"]["key"]
        assert key in page.content.decode()
        assert "be shown again" in page.content.decode()
        again = client.get(reverse("partner_center:app-list")).content.decode()
        assert key not in again and "Billing sync" in again
        api = APIClient()
        api.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
        assert api.get(CUSTOMERS).status_code == 200
        assert AuditEvent.objects.filter(action=AuditAction.APP_REGISTERED).count() == 1

    def test_revoking_from_the_page(self, client_for, partner_global_admin, api):
        app = PartnerApp.objects.get()
        client_for(partner_global_admin).post(
            reverse("partner_center:app-revoke", args=[app.prefix])
        )
        assert api.get(CUSTOMERS).status_code == 401
        assert AuditEvent.objects.filter(action=AuditAction.APP_REVOKED).count() == 1

    def test_only_a_global_admin_manages_apps(self, client_for, admin_agent):
        response = client_for(admin_agent).get(reverse("partner_center:app-list"))
        assert response.status_code == 403

    def test_another_partners_app_is_a_404(self, client_for, agent_b, partner_b, api):
        from tests.factories import member

        their_admin = member(partner_b, Role.GLOBAL_ADMIN, username="admin@b.example")
        app = PartnerApp.objects.get()
        response = client_for(their_admin).post(
            reverse("partner_center:app-revoke", args=[app.prefix])
        )
        assert response.status_code == 404
        assert api.get(CUSTOMERS).status_code == 200

    def test_an_apps_principal_is_not_listed_among_the_users(
        self, client_for, partner_global_admin, api
    ):
        page = client_for(partner_global_admin).get(reverse("partner_center:user-list"))
        assert "app-" not in page.content.decode()


def test_an_app_given_global_admin_removes_a_reseller_relationship(app_key, partner_a):
    customers_of(partner_a, ["Northwind"])
    row = CustomerListRow.objects.get(partner=partner_a)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {app_key(Role.GLOBAL_ADMIN, name='Offboard')}")
    response = client.patch(
        f"{CUSTOMERS}/{row.customer_id}", {"relationshipToPartner": "none"}, format="json"
    )
    assert response.status_code == 200
    assert AuditEvent.objects.filter(action=AuditAction.RESELLER_ENDED).count() == 1


def test_an_app_holding_global_admin_is_not_the_partners_last_global_admin(
    app_key, partner_global_admin, partner_a, sales_agent
):
    from tenancy import services

    app_key(Role.GLOBAL_ADMIN)
    decision = services.global_admin_loss_decision(
        partner_a, deactivating=[partner_global_admin.membership.pk]
    )
    assert not decision
