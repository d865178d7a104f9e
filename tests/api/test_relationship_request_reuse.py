"""`GET /v1/customers/relationshiprequests` is safe to call again: it answers the app's open
general-purpose request, the same until a customer answers it, it is revoked or it expires;
`POST` there makes a request for one customer each time."""

import time

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from tenancy import services
from tenancy.models import AuditAction, AuditEvent, Cloud, Invitation, PartnerApp, Role
from tenancy.services import invitations
from tests.api.schema import assert_matches
from tests.factories import member
from tests.threads import at_once

LINK = "/v1/customers/relationshiprequests"
REVOKE = "/v1/relationshiprequests/{request_id}/revoke"
SIGNER = services.Signer(first_name="Nancy", last_name="Davolio", email="nancy@example.com")


def link(client, params=None) -> str:
    response = client.get(LINK, params)
    assert response.status_code == 200, response.json()
    assert_matches(LINK, "get", response)
    return response.json()["url"]


def made() -> int:
    return AuditEvent.objects.filter(action=AuditAction.INVITATION_CREATED).count()


def only_request() -> Invitation:
    (invitation,) = Invitation.objects.all()
    return invitation


@pytest.mark.django_db
class TestTheLink:
    def test_two_calls_answer_the_same_link_one_request_audited_once(self, api, partner_a):
        first = link(api)
        assert link(api) == first
        invitation = only_request()
        assert first == invitation.link()
        assert (invitation.partner, invitation.label, invitation.recipient_email) == (
            partner_a,
            "",
            "",
        )
        assert invitation.created_by.partner_app.name == "Contoso automation"
        assert made() == 1

    def test_once_accepted_the_next_call_makes_a_new_one(self, api, customer_admin):
        first = link(api)
        services.invitation_accept(
            invitation_id=only_request().pk,
            user=customer_admin,
            signer=SIGNER,
            client_ip=None,
            portal_cloud=Cloud.PUBLIC,
        )
        second = link(api)
        assert second != first
        assert link(api) == second
        assert Invitation.objects.count() == 2
        assert made() == 2

    def test_once_declined_the_next_call_makes_a_new_one(self, api, customer_admin):
        first = link(api)
        services.invitation_decline(
            invitation_id=only_request().pk, user=customer_admin, portal_cloud=Cloud.PUBLIC
        )
        assert link(api) != first
        assert Invitation.objects.count() == 2

    def test_once_revoked_the_next_call_makes_a_new_one(self, api):
        first = link(api)
        revoked = api.post(REVOKE.format(request_id=only_request().pk))
        assert revoked.status_code == 200
        second = link(api)
        assert second != first
        assert link(api) == second
        assert Invitation.objects.count() == 2

    def test_once_expired_the_next_call_makes_a_new_one(self, api):
        first = link(api)
        Invitation.objects.update(expires_at=timezone.now())
        assert link(api) != first
        assert Invitation.objects.count() == 2

    def test_each_set_of_terms_has_its_own_link(self, api):
        default = link(api)
        without_admin = link(api, {"delegatedAdmin": "false"})
        in_japanese = link(api, {"language": "ja"})
        assert len({default, without_admin, in_japanese}) == 3
        assert link(api, {"delegatedAdmin": "false"}) == without_admin
        assert link(api, {"language": "ja"}) == in_japanese
        assert link(api, {"delegatedAdmin": "true", "language": "en"}) == default
        assert sorted(Invitation.objects.values_list("include_admin", "language")) == [
            (False, "en"),
            (True, "en"),
            (True, "ja"),
        ]

    def test_a_us_government_partner_always_includes_admin_so_both_answers_are_one(
        self, app_key_of, gov_partner
    ):
        client = APIClient()
        admin = member(gov_partner, Role.GLOBAL_ADMIN)
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {app_key_of(admin)}")
        assert link(client, {"delegatedAdmin": "false"}) == link(client)
        assert only_request().include_admin

    def test_each_app_has_its_own_and_a_persons_request_is_not_handed_out(
        self, api, app_key, sales_agent, partner_a
    ):
        by_a_person = services.invitation_create(
            partner=partner_a, created_by=sales_agent, include_admin=True, language="en"
        )
        other_app = APIClient()
        other_app.credentials(HTTP_AUTHORIZATION=f"Bearer {app_key(name='Onboarding')}")
        mine, theirs = link(api), link(other_app)
        assert len({mine, theirs, by_a_person.link()}) == 3
        assert (link(api), link(other_app)) == (mine, theirs)
        assert Invitation.objects.count() == 3

    @pytest.mark.parametrize(
        ("params", "field"),
        [
            ({"label": "Fourth Coffee"}, "label"),
            ({"recipient": "someone@fourthcoffee.example"}, "recipient"),
            ({"label": ""}, "label"),
        ],
    )
    def test_naming_whom_it_is_for_is_refused_and_makes_nothing(self, api, params, field):
        response = api.get(LINK, params)
        assert response.status_code == 400
        assert_matches(LINK, "get", response)
        body = response.json()
        assert (body["code"], body["field"]) == ("invalid", field)
        assert body["description"].startswith(f"{field} names whom a request is for: POST it")
        assert not Invitation.objects.exists()
        assert made() == 0

    def test_a_helpdesk_app_gets_the_pages_sentence_and_nothing_is_made(self, app_key):
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {app_key(Role.HELPDESK_AGENT)}")
        response = client.get(LINK)
        assert response.status_code == 403
        assert_matches(LINK, "get", response)
        assert not Invitation.objects.exists()

    def test_without_a_key_it_is_401(self):
        response = APIClient().get(LINK)
        assert response.status_code == 401
        assert_matches(LINK, "get", response)


@pytest.mark.django_db
class TestNewRequests:
    def test_each_post_makes_a_request_for_one_customer(self, api, partner_a):
        general = link(api)
        answers = [
            api.post(
                LINK,
                {"label": "Fourth Coffee", "recipient": "it@fourthcoffee.example"},
                format="json",
            )
            for _ in range(2)
        ]
        for answer in answers:
            assert answer.status_code == 201
            assert_matches(LINK, "post", answer)
            assert answer.json()["attributes"] == {"objectType": "RelationshipRequest"}
        first, second = (answer.json() for answer in answers)
        assert first["url"] != second["url"] and first["id"] != second["id"]
        request = Invitation.objects.get(pk=first["id"])
        assert (request.label, request.recipient_email) == (
            "Fourth Coffee",
            "it@fourthcoffee.example",
        )
        assert request.link() == first["url"]
        # The addressed requests are not the link, which stays what it was.
        assert link(api) == general
        assert Invitation.objects.count() == 3
        assert made() == 3

    def test_a_post_takes_the_links_terms(self, api):
        answer = api.post(
            LINK, {"label": "Alpine", "delegatedAdmin": False, "language": "de"}, format="json"
        )
        assert answer.status_code == 201
        assert "DAP=false" in answer.json()["url"]
        request = only_request()
        assert (request.include_admin, request.language) == (False, "de")

    @pytest.mark.parametrize(
        ("body", "field"),
        [
            ({"recipient": "not an address"}, "recipient"),
            ({"label": "x" * 101}, "label"),
            ({"language": "pt"}, "language"),
            ({"delegatedAdmin": "perhaps"}, "delegatedAdmin"),
        ],
    )
    def test_a_bad_field_is_a_field_error_and_makes_nothing(self, api, body, field):
        answer = api.post(LINK, body, format="json")
        assert answer.status_code == 400
        assert_matches(LINK, "post", answer)
        assert answer.json()["field"] == field
        assert not Invitation.objects.exists()

    def test_a_helpdesk_app_may_not(self, app_key):
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {app_key(Role.HELPDESK_AGENT)}")
        answer = client.post(LINK, {"label": "Fourth Coffee"}, format="json")
        assert answer.status_code == 403
        assert_matches(LINK, "post", answer)
        assert not Invitation.objects.exists()


# --- Two calls at once (PostgreSQL: real row locks) ----------------------------------------------


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("reference_data")
def test_two_calls_at_once_make_one_request(app_key, partner_a, monkeypatch):
    # Slowed between "none open" and the insert, so that without the lock both calls would make
    # one.
    real = invitations._invitation_insert

    def slow(**kwargs):
        time.sleep(0.3)
        return real(**kwargs)

    monkeypatch.setattr(invitations, "_invitation_insert", slow)
    key = app_key()
    clients = [APIClient(), APIClient()]
    for client in clients:
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    answers = at_once(*(lambda client=client: client.get(LINK) for client in clients))
    assert [getattr(a, "status_code", a) for a in answers] == [200, 200]
    assert answers[0].json()["url"] == answers[1].json()["url"]
    invitation = only_request()
    assert invitation.created_by == PartnerApp.objects.get(partner=partner_a).principal
    assert made() == 1
