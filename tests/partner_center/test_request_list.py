"""Customers workspace → Relationship requests: every request, its status and who answered."""

from datetime import timedelta

import pytest
from django.utils import timezone
from pytest_django.asserts import assertContains, assertNotContains

from tenancy import services
from tenancy.models import Cloud, Invitation, InvitationStatus, Role
from tests.factories import PartnershipFactory, ProviderFactory, member
from tests.partner_center.conftest import SIGNED_IN_QUERIES, url

pytestmark = pytest.mark.django_db

LIST = url("request-list")


def labels(response) -> list[str]:
    return [invitation.label for invitation, _ in response.context["rows"]]


@pytest.fixture
def every_status(partner_a, sales_agent, customer_admin):
    def make(label):
        return services.invitation_create(
            partner=partner_a, created_by=sales_agent, include_admin=False, label=label
        )

    make("still pending")
    services.invitation_record_open(
        invitation=make("opened one"), membership=customer_admin.membership
    )
    services.invitation_accept(
        invitation_id=make("accepted one").pk,
        user=customer_admin,
        signer=services.Signer("Nancy", "Davolio", "nancy@northwind.example"),
        client_ip=None,
        portal_cloud=Cloud.PUBLIC,
    )
    services.invitation_revoke(invitation=make("revoked one"), revoked_by=sales_agent)
    expired = make("expired one")
    Invitation.objects.filter(pk=expired.pk).update(expires_at=timezone.now() - timedelta(1))


def test_it_shows_each_status_and_who_answered(
    client_for, sales_agent, customer_admin, every_status
):
    response = client_for(sales_agent).get(LIST)
    statuses = {invitation.label: status for invitation, status in response.context["rows"]}
    assert statuses == {
        "still pending": InvitationStatus.PENDING,
        "opened one": InvitationStatus.OPENED,
        "accepted one": InvitationStatus.ACCEPTED,
        "revoked one": InvitationStatus.REVOKED,
        "expired one": InvitationStatus.EXPIRED,
    }
    page = response.content.decode()
    assert "Northwind Traders" in page and customer_admin.username in page
    assert sales_agent.username in page


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        ("pending", ["still pending"]),
        ("opened", ["opened one"]),
        ("accepted", ["accepted one"]),
        ("revoked", ["revoked one"]),
        ("expired", ["expired one"]),
    ],
)
def test_it_filters_by_status(client_for, sales_agent, every_status, status, expected):
    assert labels(client_for(sales_agent).get(LIST, {"status": status})) == expected


def test_only_open_requests_offer_revoke_and_show_email(client_for, sales_agent, every_status):
    page = client_for(sales_agent).get(LIST).content.decode()
    assert page.count(">Revoke<") == 2 and page.count(">Show email<") == 2


def test_it_shows_only_own_requests_newest_first(
    client_for, sales_agent, partner_a, request_of_a, request_of_b
):
    later = services.invitation_create(
        partner=partner_a, created_by=sales_agent, include_admin=True, label="later"
    )
    rows = client_for(sales_agent).get(LIST).context["rows"]
    assert [invitation for invitation, _ in rows] == [later, request_of_a]


def test_it_shows_25_a_page(client_for, sales_agent, partner_a):
    for i in range(27):
        services.invitation_create(
            partner=partner_a, created_by=sales_agent, include_admin=True, label=f"r{i}"
        )
    client = client_for(sales_agent)
    first = client.get(LIST)
    assert len(labels(first)) == 25
    assert not first.context["page"].has_previous
    second = client.get(LIST, {"cursor": first.context["page"].next_cursor})
    assert labels(second) == ["r1", "r0"]
    assert not second.context["page"].has_next
    assert (
        f'href="?cursor={first.context["page"].next_cursor}" rel="next"' in first.content.decode()
    )


def test_its_query_count_does_not_grow(
    client_for, sales_agent, partner_a, customer_admin, django_assert_num_queries
):
    client = client_for(sales_agent)

    def make(n):
        for i in range(n):
            invitation = services.invitation_create(
                partner=partner_a,
                created_by=member(partner_a, Role.SALES_AGENT),
                include_admin=False,
                label=f"r{i}",
            )
            if i % 2:
                services.invitation_decline(
                    invitation_id=invitation.pk, user=customer_admin, portal_cloud=Cloud.PUBLIC
                )

    # One page of requests (keyset), with creators and answers joined; no count.
    queries = SIGNED_IN_QUERIES + 1
    make(2)
    with django_assert_num_queries(queries):
        client.get(LIST)
    make(30)
    with django_assert_num_queries(queries):
        assert len(client.get(LIST).context["rows"]) == 25


@pytest.mark.parametrize(
    "query", [{"status": "bogus"}, {"cursor": "x"}, {"cursor": "eyJ4Ijo1fQ"}, {"status": "ü" * 500}]
)
def test_odd_parameters_never_break_it(client_for, sales_agent, request_of_a, query):
    assert client_for(sales_agent).get(LIST, query).status_code == 200


@pytest.mark.parametrize("who", ["helpdesk_agent", "customer_admin"])
def test_helpdesk_agents_and_customers_get_403(client_for, who, request):
    assert client_for(request.getfixturevalue(who)).get(LIST).status_code == 403


def test_a_global_admin_sees_it_without_new_relationship(
    client_for, partner_global_admin, request_of_a
):
    response = client_for(partner_global_admin).get(LIST)
    assert labels(response) == ["Northwind Traders"]
    assert b"New relationship" not in response.content and b">Revoke<" not in response.content


def test_it_rejects_post(client_for, sales_agent):
    assert client_for(sales_agent).post(LIST).status_code == 405


def test_the_validity_it_states_is_the_setting(client_for, sales_agent, settings):
    settings.INVITATION_VALID_DAYS = 30
    page = client_for(sales_agent).get(LIST).content.decode()
    assert "A request expires 30 days after it was made." in page
    assert "90 days" not in page


class TestTwoTierRequests:
    """An indirect reseller's requests each name the indirect provider the customer would buy
    through, as its Customer list does."""

    @pytest.fixture
    def reseller_requests(self, indirect_reseller, reseller_agent, provider, partnership):
        return [
            services.invitation_create(
                partner=indirect_reseller,
                created_by=reseller_agent,
                include_admin=False,
                label=label,
                indirect_provider=provider,
            )
            for label in ("Adatum", "")
        ]

    def test_it_names_each_request_s_indirect_provider(
        self, client_for, reseller_agent, provider, reseller_requests
    ):
        response = client_for(reseller_agent).get(LIST)
        # Under each request's label (or "(no label)"), as its page says "through" too.
        assertContains(
            response, f'<span class="muted">through {provider.name}</span>', count=2, html=True
        )

    def test_in_another_language_too(self, client_for, reseller_agent, provider, reseller_requests):
        client = client_for(reseller_agent)
        client.defaults["HTTP_ACCEPT_LANGUAGE"] = "de"
        assertContains(
            client.get(LIST), f'<span class="muted">über {provider.name}</span>', count=2, html=True
        )

    def test_a_direct_partner_s_requests_name_no_provider(
        self, client_for, sales_agent, request_of_a
    ):
        assertNotContains(client_for(sales_agent).get(LIST), "through")

    def test_naming_the_provider_costs_no_query_per_row(
        self,
        client_for,
        reseller_agent,
        indirect_reseller,
        provider,
        reseller_requests,
        django_assert_num_queries,
    ):
        client = client_for(reseller_agent)
        with django_assert_num_queries(SIGNED_IN_QUERIES + 1):
            client.get(LIST)
        for n in range(10):
            other = ProviderFactory()
            PartnershipFactory(provider=other, reseller=indirect_reseller)
            services.invitation_create(
                partner=indirect_reseller,
                created_by=reseller_agent,
                include_admin=False,
                label=f"r{n}",
                indirect_provider=other,
            )
        with django_assert_num_queries(SIGNED_IN_QUERIES + 1):
            client.get(LIST)
