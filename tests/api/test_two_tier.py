"""Two tiers in the API: an indirect provider's and an indirect reseller's relationship request
links, the relationships a customer has with both, and the provider's webhook when a customer
accepts."""

import uuid
from urllib.parse import parse_qs, urlsplit

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from tenancy import services
from tenancy.models import (
    Cloud,
    Invitation,
    Membership,
    PartnerApp,
    PartnershipStatus,
    ResellerRelationship,
    WebhookDelivery,
    WebhookEvent,
    WebhookEventName,
)
from tests.api.queries import RATE_QUERIES
from tests.api.schema import assert_matches, document
from tests.factories import (
    CustomerFactory,
    IndirectResellerFactory,
    PartnershipFactory,
    ProviderFactory,
    ResellerRelationshipFactory,
    indirect_link,
)

pytestmark = pytest.mark.django_db
LINK = "/v1/customers/relationshiprequests"
RELATIONSHIPS = "/v1/customers/{customer_id}/relationships"
RESELLER_ID = "indirectResellerId"
PROVIDER_ID = "indirectCloudSolutionProviderId"


def client_with(key: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    return client


@pytest.fixture
def provider_api(app_key_of, provider_admin):
    return client_with(app_key_of(provider_admin, name="Tailspin automation"))


@pytest.fixture
def reseller_api(app_key_of, reseller_admin):
    return client_with(app_key_of(reseller_admin, name="Fabrikam automation"))


def principal_of(partner):
    return PartnerApp.objects.get(partner=partner).principal


def query_of(url: str) -> dict:
    return {key: value for key, [value] in parse_qs(urlsplit(url).query).items()}


def ask(client: APIClient, method: str, params: dict | None = None):
    """The link (`get`, parameters in the query) or a new request (`post`, the same in a JSON
    body): both take the two tiers' parameters and refuse alike."""
    if method == "get":
        return client.get(LINK, params)
    return client.post(LINK, params or {}, format="json")


BOTH = pytest.mark.parametrize("method", ["get", "post"])


def relationships_of(customer) -> str:
    return RELATIONSHIPS.format(customer_id=customer.pk)


def item(tenant, relationship_type: str) -> dict:
    return {
        "id": str(tenant.pk),
        "name": tenant.name,
        "mpnId": str(tenant.mpn_id),
        "location": tenant.country_id,
        "relationshipType": relationship_type,
        "state": "active",
        "attributes": {"objectType": "PartnerRelationship"},
    }


# --- Relationship request links -----------------------------------------------------------------


class TestTwoTierLinks:
    def test_a_provider_makes_a_request_for_one_of_its_resellers(
        self, provider_api, provider, reseller, partnership
    ):
        response = ask(provider_api, "post", {RESELLER_ID: str(reseller.pk), "label": "Fourth"})
        assert response.status_code == 201
        assert_matches(LINK, "post", response)
        query = query_of(response.json()["url"])
        assert query["invType"] == "IndirectResellerRelationship"
        assert query["partnerId"] == str(reseller.pk)
        assert query["indirectCSPId"] == str(provider.pk)
        assert query["msppId"] == "0"
        invitation = Invitation.objects.get()
        assert response.json()["id"] == str(invitation.pk)
        assert invitation.partner == reseller
        assert invitation.indirect_provider == provider
        assert invitation.created_by == principal_of(provider)
        assert invitation.label == "Fourth"

    def test_a_providers_link_for_a_reseller_is_the_same_on_every_call(
        self, provider_api, provider, reseller, partnership
    ):
        params = {RESELLER_ID: str(reseller.pk)}
        first = provider_api.get(LINK, params)
        assert first.status_code == 200
        assert_matches(LINK, "get", first)
        assert query_of(first.json()["url"])["indirectCSPId"] == str(provider.pk)
        assert provider_api.get(LINK, params).json()["url"] == first.json()["url"]
        own = provider_api.get(LINK)  # the provider's own link is another request
        assert own.json()["url"] != first.json()["url"]
        assert sorted(
            (i.partner.name, i.indirect_provider_id is not None) for i in Invitation.objects.all()
        ) == [("Fabrikam Resellers", True), ("Tailspin Distribution", False)]

    def test_a_reseller_gets_a_link_naming_its_provider(
        self, reseller_api, provider, reseller, partnership
    ):
        response = reseller_api.get(LINK, {PROVIDER_ID: str(provider.pk)})
        assert response.status_code == 200
        assert_matches(LINK, "get", response)
        query = query_of(response.json()["url"])
        assert (query["invType"], query["partnerId"], query["indirectCSPId"]) == (
            "IndirectResellerRelationship",
            str(reseller.pk),
            str(provider.pk),
        )
        invitation = Invitation.objects.get()
        assert (invitation.partner, invitation.indirect_provider) == (reseller, provider)
        assert invitation.created_by == principal_of(reseller)

    def test_a_provider_without_the_parameter_gets_its_own_link(self, provider_api, provider):
        response = provider_api.get(LINK)
        assert response.status_code == 200
        assert_matches(LINK, "get", response)
        assert query_of(response.json()["url"])["invType"] == "ResellerRelationship"
        invitation = Invitation.objects.get()
        assert (invitation.partner, invitation.indirect_provider) == (provider, None)

    @BOTH
    def test_a_reseller_must_name_its_provider(self, reseller_api, partnership, method):
        response = ask(reseller_api, method)
        assert response.status_code == 409  # the service's refusal, as the page's
        assert_matches(LINK, method, response)
        assert response.json() == {
            "code": "provider",
            "description": "Choose the indirect provider this customer will buy through.",
        }
        assert not Invitation.objects.exists()

    @BOTH
    @pytest.mark.parametrize("who", ["provider", "reseller"])
    @pytest.mark.parametrize("value", ["not-a-guid", "12345", " "])
    def test_a_malformed_id_is_a_field_error(self, who, value, request, partnership, method):
        client = request.getfixturevalue(f"{who}_api")
        field = RESELLER_ID if who == "provider" else PROVIDER_ID
        response = ask(client, method, {field: value})
        assert response.status_code == 400
        assert_matches(LINK, method, response)
        assert response.json()["field"] == field
        assert "GUID" in response.json()["description"]
        assert not Invitation.objects.exists()

    @pytest.mark.parametrize(
        "status", [PartnershipStatus.PENDING, PartnershipStatus.DECLINED, PartnershipStatus.REMOVED]
    )
    def test_a_partnership_not_active_is_refused_in_the_services_words(
        self, provider_api, reseller_api, provider, reseller, status
    ):
        fields = {"status": status}
        if status == PartnershipStatus.REMOVED:
            fields |= {"ended_at": timezone.now(), "ended_by": principal_of(provider)}
        PartnershipFactory(provider=provider, reseller=reseller, **fields)
        sentence = (
            "Fabrikam Resellers and Tailspin Distribution no longer partner: Fabrikam Resellers "
            "can't sell through Tailspin Distribution."
        )
        for client, params in (
            (provider_api, {RESELLER_ID: str(reseller.pk)}),
            (reseller_api, {PROVIDER_ID: str(provider.pk)}),
        ):
            for method in ("get", "post"):
                response = ask(client, method, params)
                assert response.status_code == 409
                assert_matches(LINK, method, response)
                assert response.json() == {"code": "partnership", "description": sentence}
        assert not Invitation.objects.exists()

    def test_a_partner_never_partnered_with_is_refused_without_naming_anyone(
        self, provider_api, reseller_api, provider, reseller, partnership, customer
    ):
        stranger_reseller = IndirectResellerFactory(name="Wingtip Resellers")
        PartnershipFactory(reseller=stranger_reseller)  # with another provider
        stranger_provider = ProviderFactory(name="Adatum Distribution")
        PartnershipFactory(provider=stranger_provider)
        before = Invitation.objects.count()
        cases = [
            (provider_api, RESELLER_ID, stranger_reseller.pk, "resellers", "reseller"),
            (provider_api, RESELLER_ID, customer.pk, "resellers", "reseller"),
            (provider_api, RESELLER_ID, uuid.uuid4(), "resellers", "reseller"),
            (reseller_api, PROVIDER_ID, stranger_provider.pk, "providers", "provider"),
            (reseller_api, PROVIDER_ID, customer.pk, "providers", "provider"),
            (reseller_api, PROVIDER_ID, uuid.uuid4(), "providers", "provider"),
        ]
        for (client, field, other_id, plural, one), method in zip(
            cases, ["get", "post"] * 3, strict=True
        ):
            response = ask(client, method, {field: str(other_id)})
            assert response.status_code == 409
            assert_matches(LINK, method, response)
            assert response.json() == {
                "code": "partnership",
                "description": f"Choose one of your indirect {plural}: only a {one} you partner "
                "with can be named.",
            }
        assert Invitation.objects.count() == before

    @BOTH
    def test_a_direct_partner_passing_either_is_told_whom_it_is_for(self, api, partner_a, method):
        some_id = str(uuid.uuid4())
        for field, whom in (
            (RESELLER_ID, "indirect providers"),
            (PROVIDER_ID, "indirect resellers"),
        ):
            response = ask(api, method, {field: some_id})
            assert response.status_code == 403  # a rule about who the caller is
            assert_matches(LINK, method, response)
            body = response.json()
            assert body["description"].startswith(f"{field} is for {whom}")
        assert not Invitation.objects.exists()

    @BOTH
    def test_each_tier_is_told_which_parameter_is_not_its_own(
        self, provider_api, reseller_api, provider, reseller, partnership, method
    ):
        response = ask(provider_api, method, {PROVIDER_ID: str(provider.pk)})
        assert response.status_code == 403
        assert_matches(LINK, method, response)
        assert response.json()["description"].startswith(f"{PROVIDER_ID} is for indirect resellers")
        response = ask(reseller_api, method, {RESELLER_ID: str(reseller.pk)})
        assert response.status_code == 403
        assert response.json()["description"].startswith(f"{RESELLER_ID} is for indirect providers")
        assert not Invitation.objects.exists()

    def test_both_parameters_are_documented(self):
        doc = document()
        parameters = {p["name"]: p for p in doc["paths"][LINK]["get"]["parameters"]}
        body = doc["paths"][LINK]["post"]["requestBody"]["content"]["application/json"]["schema"]
        fields = doc["components"]["schemas"][body["$ref"].rsplit("/", 1)[1]]["properties"]
        for name in (RESELLER_ID, PROVIDER_ID):
            assert parameters[name]["in"] == "query"
            assert parameters[name]["schema"] == {"type": "string", "format": "uuid"}
            assert parameters[name]["description"]
            assert (fields[name]["type"], fields[name]["format"]) == ("string", "uuid")
            assert fields[name]["description"]


# --- A customer's relationships ------------------------------------------------------------------


class TestRelationshipTypes:
    def test_a_provider_sees_itself_and_its_resellers_serving_the_customer(
        self, provider_api, provider, reseller, partnership, customer
    ):
        indirect_link(reseller, customer, provider)
        second = IndirectResellerFactory(name="Adventure Works Resellers", country_id="CA")
        PartnershipFactory(provider=provider, reseller=second)
        ResellerRelationshipFactory(partner=second, customer=customer, indirect_provider=provider)
        # Not listed: a link that ended, and a reseller serving the customer through another
        # provider.
        gone = IndirectResellerFactory(name="Alpine Resellers")
        ResellerRelationshipFactory(
            partner=gone, customer=customer, indirect_provider=provider, ended_at=timezone.now()
        )
        elsewhere = ProviderFactory(name="Adatum Distribution")
        ResellerRelationshipFactory(partner=elsewhere, customer=customer)
        ResellerRelationshipFactory(
            partner=IndirectResellerFactory(), customer=customer, indirect_provider=elsewhere
        )

        response = provider_api.get(relationships_of(customer))
        assert response.status_code == 200
        assert_matches(RELATIONSHIPS, "get", response)
        assert response.json() == {
            "totalCount": 3,
            "items": [
                item(provider, "IsIndirectCloudSolutionProviderOf"),
                item(second, "IsIndirectResellerOf"),
                item(reseller, "IsIndirectResellerOf"),
            ],
            "attributes": {"objectType": "Collection"},
        }
        assert response.json()["items"][1]["location"] == "CA"

    def test_a_reseller_sees_itself_and_the_provider_it_serves_the_customer_through(
        self, reseller_api, provider, reseller, partnership, customer
    ):
        indirect_link(reseller, customer, provider)
        response = reseller_api.get(relationships_of(customer))
        assert response.status_code == 200
        assert_matches(RELATIONSHIPS, "get", response)
        assert response.json()["items"] == [
            item(reseller, "IsIndirectResellerOf"),
            item(provider, "IsIndirectCloudSolutionProviderOf"),
        ]

    def test_a_provider_with_no_reseller_on_the_customer_sees_itself(
        self, provider_api, provider, customer
    ):
        ResellerRelationshipFactory(partner=provider, customer=customer)
        response = provider_api.get(relationships_of(customer))
        assert response.status_code == 200
        assert response.json()["items"] == [item(provider, "IsIndirectCloudSolutionProviderOf")]

    def test_once_the_link_ended_a_reseller_sees_nothing(
        self, reseller_api, provider, reseller, customer
    ):
        indirect_link(reseller, customer, provider, ended_at=timezone.now())
        response = reseller_api.get(relationships_of(customer))
        assert response.status_code == 200
        assert_matches(RELATIONSHIPS, "get", response)
        assert response.json()["items"] == []

    def test_the_queries_do_not_grow_with_the_resellers(
        self, provider_api, provider, reseller, partnership, customer, django_assert_num_queries
    ):
        indirect_link(reseller, customer, provider)
        url = relationships_of(customer)
        provider_api.get(url)  # last-used written once a minute: not in the count
        # The key with its app, principal and membership; the app's rate (one
        # statement); the customer; the relationships.
        with django_assert_num_queries(3 + RATE_QUERIES):
            assert len(provider_api.get(url).json()["items"]) == 2
        for _ in range(2):
            more = IndirectResellerFactory()
            ResellerRelationshipFactory(partner=more, customer=customer, indirect_provider=provider)
        with django_assert_num_queries(3 + RATE_QUERIES):
            assert len(provider_api.get(url).json()["items"]) == 4

    def test_another_partners_customer_is_still_a_404(
        self, provider_api, reseller_api, provider, reseller, partnership, partner_b
    ):
        # The provider's own customer that the reseller does not serve, and partner B's.
        own = CustomerFactory()
        ResellerRelationshipFactory(partner=provider, customer=own)
        theirs = CustomerFactory()
        ResellerRelationshipFactory(partner=partner_b, customer=theirs)
        for client, customer in (
            (reseller_api, own),
            (reseller_api, theirs),
            (provider_api, theirs),
        ):
            response = client.get(relationships_of(customer))
            assert response.status_code == 404
            assert_matches(RELATIONSHIPS, "get", response)
            assert response.json()["code"] == "not_found"


# --- The provider's webhook ----------------------------------------------------------------------


def subscribe(global_admin, url: str, events: list[str]):
    return services.webhook_subscription_create(
        membership=Membership.objects.of_user(global_admin), url=url, events=events
    )


def test_a_providers_webhook_hears_when_a_customer_accepts_a_two_tier_request(
    settings,
    provider_api,
    provider,
    reseller,
    partnership,
    provider_admin,
    reseller_admin,
    customer,
    customer_admin,
):
    settings.WEBHOOKS_ALLOW_LOOPBACK = True
    provider_hook = subscribe(
        provider_admin, "http://127.0.0.1:9/provider", [WebhookEventName.INDIRECT_RESELLER_ACCEPTED]
    )
    reseller_hook = subscribe(
        reseller_admin,
        "http://127.0.0.1:9/reseller",
        [WebhookEventName.RESELLER_ACCEPTED, WebhookEventName.INDIRECT_RESELLER_ACCEPTED],
    )
    response = provider_api.get(LINK, {RESELLER_ID: str(reseller.pk), "delegatedAdmin": "false"})
    assert response.status_code == 200
    assert_matches(LINK, "get", response)

    services.invitation_accept(
        invitation_id=Invitation.objects.get().pk,
        user=customer_admin,
        signer=services.Signer(first_name="Nancy", last_name="Davolio", email="n@example.com"),
        client_ip=None,
        portal_cloud=Cloud.PUBLIC,
    )

    customer_uri = f"http://testserver/v1/customers/{customer.pk}"
    events = {
        (event.partner, event.name): event.payload["ResourceUri"]
        for event in WebhookEvent.objects.all()
    }
    assert events == {
        (provider, WebhookEventName.INDIRECT_RESELLER_ACCEPTED): customer_uri,
        (reseller, WebhookEventName.RESELLER_ACCEPTED): customer_uri,
    }
    [delivery] = WebhookDelivery.objects.filter(subscription=provider_hook)
    assert delivery.event.name == WebhookEventName.INDIRECT_RESELLER_ACCEPTED
    [delivery] = WebhookDelivery.objects.filter(subscription=reseller_hook)
    assert delivery.event.name == WebhookEventName.RESELLER_ACCEPTED
    # And the provider now sees both tiers on the customer.
    assert ResellerRelationship.objects.active().filter(customer=customer).count() == 2
    response = provider_api.get(relationships_of(customer))
    assert_matches(RELATIONSHIPS, "get", response)
    assert response.json()["items"] == [
        item(provider, "IsIndirectCloudSolutionProviderOf"),
        item(reseller, "IsIndirectResellerOf"),
    ]
