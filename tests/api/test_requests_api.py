"""The API's relationship requests: the partner's requests a page at a time, with filters, and
Revoke."""

from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from tenancy import services
from tenancy.models import AuditAction, AuditEvent, Cloud, Invitation, InvitationStatus, Role
from tests.api.queries import RATE_QUERIES
from tests.api.schema import assert_matches
from tests.factories import InvitationFactory

pytestmark = pytest.mark.django_db
REQUESTS = "/v1/relationshiprequests"
REVOKE = "/v1/relationshiprequests/{request_id}/revoke"


def revoke(invitation) -> str:
    return REVOKE.format(request_id=invitation.pk)


def requests_of(partner, labels, *, start=None, **fields) -> list[Invitation]:
    """One request per label, a minute apart, the first the oldest."""
    start = start or timezone.now() - timedelta(days=1)
    return [
        InvitationFactory(
            partner=partner, label=label, created_at=start + timedelta(minutes=n), **fields
        )
        for n, label in enumerate(labels)
    ]


def client_with(app_key, *roles) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {app_key(*roles)}")
    return client


def labels(response) -> list[str]:
    return [item["label"] for item in response.json()["items"]]


class TestList:
    def test_it_lists_only_own_requests_newest_first(self, api, partner_a, partner_b):
        requests_of(partner_a, ["Fourth Coffee", "Litware"])
        requests_of(partner_b, ["Someone else's"])
        response = api.get(REQUESTS)
        assert response.status_code == 200
        assert labels(response) == ["Litware", "Fourth Coffee"]
        item = response.json()["items"][0]
        assert item["status"] == "pending" and item["delegatedAdmin"] is True
        assert item["attributes"] == {"objectType": "RelationshipRequest"}
        assert "next" not in response.json()["links"]
        assert_matches(REQUESTS, "get", response)

    def test_asking_for_the_link_again_adds_no_request_to_the_list(self, api):
        urls = {api.get("/v1/customers/relationshiprequests").json()["url"] for _ in range(3)}
        assert len(urls) == 1
        (item,) = api.get(REQUESTS).json()["items"]
        assert (item["label"], item["status"]) == ("", "pending")

    def test_an_answered_request_names_the_organization(
        self, api, partner_a, sales_agent, customer_admin
    ):
        invitation = services.invitation_create(
            partner=partner_a, created_by=sales_agent, include_admin=False
        )
        services.invitation_decline(
            invitation_id=invitation.pk, user=customer_admin, portal_cloud=Cloud.PUBLIC
        )
        response = api.get(REQUESTS)
        (item,) = response.json()["items"]
        assert item["status"] == "declined"
        assert item["answeredBy"] == {
            "tenantId": str(customer_admin.membership.tenant_id),
            "companyName": "Northwind Traders",
            "domain": "northwindtraders.onmicrosoft.com",
        }
        assert "answeredDateTime" in item
        assert_matches(REQUESTS, "get", response)

    def test_it_filters_by_status_and_creation_date(self, api, partner_a):
        old = requests_of(partner_a, ["Old"], start=timezone.now() - timedelta(days=40))
        requests_of(partner_a, ["January"], start=timezone.now() - timedelta(days=20))
        (revoked,) = requests_of(partner_a, ["Revoked"])
        revoked.status = InvitationStatus.REVOKED
        revoked.revoked_at = timezone.now()
        revoked.save()
        Invitation.objects.filter(pk=old[0].pk).update(expires_at=timezone.now())
        assert labels(api.get(REQUESTS, {"status": "revoked"})) == ["Revoked"]
        assert labels(api.get(REQUESTS, {"status": "expired"})) == ["Old"]
        assert labels(api.get(REQUESTS, {"status": "pending"})) == ["January"]
        thirty_days_ago = (timezone.now() - timedelta(days=30)).date().isoformat()
        assert labels(api.get(REQUESTS, {"createdAfter": thirty_days_ago})) == [
            "Revoked",
            "January",
        ]
        week_ago = (timezone.now() - timedelta(days=7)).isoformat()
        assert labels(
            api.get(REQUESTS, {"createdAfter": thirty_days_ago, "createdBefore": week_ago})
        ) == ["January"]

    def test_pages_follow_the_continuation_token_at_a_fixed_cost(
        self, api, partner_a, django_assert_num_queries
    ):
        requests_of(partner_a, [f"Request {n:02d}" for n in range(7)])
        api.get(REQUESTS, {"size": 3})  # last-used written once a minute: not in the count
        # The key with its app, principal and membership; the app's rate (one statement);
        # the page.
        with django_assert_num_queries(2 + RATE_QUERIES):
            first = api.get(REQUESTS, {"size": 3, "status": "pending"})
        assert labels(first) == ["Request 06", "Request 05", "Request 04"]
        link = first.json()["links"]["next"]
        assert link["uri"] == f"{REQUESTS}?size=3&status=pending&seekOperation=Next"
        token = link["headers"][0]["value"]
        with django_assert_num_queries(2 + RATE_QUERIES):
            second = api.get(
                REQUESTS, {"size": 3, "status": "pending"}, HTTP_MS_CONTINUATIONTOKEN=token
            )
        assert labels(second) == ["Request 03", "Request 02", "Request 01"]
        last = api.get(
            REQUESTS,
            {"size": 3, "continuationToken": second.json()["links"]["next"]["headers"][0]["value"]},
        )
        assert labels(last) == ["Request 00"]
        assert "next" not in last.json()["links"]

    @pytest.mark.parametrize(
        ("params", "field"),
        [
            ({"status": "lost"}, "status"),
            ({"createdAfter": "last tuesday"}, "createdAfter"),
            ({"createdBefore": "2026-13-01"}, "createdBefore"),
            ({"size": "0"}, "size"),
            ({"size": "many"}, "size"),
        ],
    )
    def test_bad_parameters_are_field_errors(self, api, params, field):
        response = api.get(REQUESTS, params)
        assert response.status_code == 400
        assert response.json()["code"] == "invalid"
        assert response.json()["field"] == field
        assert_matches(REQUESTS, "get", response)

    def test_a_helpdesk_app_gets_the_pages_403(self, app_key, partner_a):
        requests_of(partner_a, ["Fourth Coffee"])
        response = client_with(app_key, Role.HELPDESK_AGENT).get(REQUESTS)
        assert response.status_code == 403
        assert response.json()["description"] == (
            "Only Global admins, Admin agents and Sales agents can see relationship requests."
        )


class TestRevoke:
    def test_it_revokes_with_the_pages_service_audited_as_the_app(self, api, partner_a):
        (invitation,) = requests_of(partner_a, ["Fourth Coffee"])
        response = api.post(revoke(invitation))
        assert response.status_code == 200
        assert response.json()["status"] == "revoked"
        assert_matches(REVOKE, "post", response)
        invitation.refresh_from_db()
        assert invitation.status == InvitationStatus.REVOKED
        event = AuditEvent.objects.get(action=AuditAction.INVITATION_REVOKED)
        assert (event.partner, event.invitation) == (partner_a, invitation)
        assert event.actor.partner_app.name == "Contoso automation"

    def test_an_answered_request_is_refused_with_the_pages_sentence(
        self, api, partner_a, customer_admin
    ):
        (invitation,) = requests_of(partner_a, ["Northwind"])
        services.invitation_decline(
            invitation_id=invitation.pk, user=customer_admin, portal_cloud=Cloud.PUBLIC
        )
        response = api.post(revoke(invitation))
        assert response.status_code == 409
        assert response.json() == {
            "code": "not_pending",
            "description": "This request was already declined.",
        }
        assert_matches(REVOKE, "post", response)

    def test_an_expired_request_has_nothing_to_revoke(self, api, partner_a):
        (invitation,) = requests_of(partner_a, ["Late"], expires_at=timezone.now())
        response = api.post(revoke(invitation))
        assert response.status_code == 409
        assert response.json()["description"] == (
            "This request has expired; there is nothing to revoke."
        )

    def test_a_helpdesk_app_gets_the_pages_403(self, app_key, partner_a):
        (invitation,) = requests_of(partner_a, ["Fourth Coffee"])
        response = client_with(app_key, Role.HELPDESK_AGENT).post(revoke(invitation))
        assert response.status_code == 403
        assert response.json()["description"] == (
            "Only Admin agents and Sales agents can revoke a relationship request."
        )
        invitation.refresh_from_db()
        assert invitation.status == InvitationStatus.PENDING

    def test_another_partners_request_is_a_404(self, api, partner_b):
        (invitation,) = requests_of(partner_b, ["Someone else's"])
        response = api.post(revoke(invitation))
        assert response.status_code == 404
        assert_matches(REVOKE, "post", response)
        invitation.refresh_from_db()
        assert invitation.status == InvitationStatus.PENDING
