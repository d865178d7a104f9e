"""The customer's side of a two-tier request: the link, the page naming both partners, one
Accept and authorize, Partner relationships showing both types, and a changed link refused."""

from urllib.parse import urlencode, urlsplit

import pytest
from django.urls import reverse

from tenancy import services
from tenancy.models import (
    AgreementAcceptance,
    AuditEvent,
    Invitation,
    InvitationStatus,
    ResellerRelationship,
)
from tests.admin_center.conftest import SIGNER, accept_url, link_path, request_url
from tests.factories import ProviderFactory, ResellerRelationshipFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def two_tier(indirect_reseller, reseller_agent, provider, partnership):
    return services.invitation_create(
        partner=indirect_reseller,
        created_by=reseller_agent,
        include_admin=False,
        label="Northwind",
        indirect_provider=provider,
    )


def text(response) -> str:
    return response.content.decode()


def tampered(invitation: Invitation, **changes) -> str:
    """The request's link with some of its parameters changed (None drops one)."""
    link = urlsplit(invitation.link())
    params = dict(pair.split("=", 1) for pair in link.query.split("&"))
    for name, value in changes.items():
        if value is None:
            params.pop(name, None)
        else:
            params[name] = value
    return f"{link.path}?{urlencode(params, safe='-')}"


def test_the_customer_accepts_both_partners_at_once(
    client_for, two_tier, customer, customer_admin, indirect_reseller, provider
):
    client = client_for(customer_admin)
    assert client.get(link_path(two_tier)).status_code == 302
    page = text(client.get(request_url(two_tier)))
    assert f"Review the request from {indirect_reseller.name} and {provider.name}" in page
    assert "indirect reseller" in page and "indirect provider" in page
    assert f"Your organization buys Microsoft cloud services through {provider.name}" in page

    response = client.post(accept_url(two_tier), SIGNER, follow=True)
    assert (
        f"{provider.name} is now your organization&#x27;s reseller, and "
        f"{indirect_reseller.name} sells to you through it as your indirect reseller."
    ) in text(response)
    # Partner relationships lists both, with their types.
    assert 'Indirect provider <span class="muted">(reseller of record)</span>' in text(response)
    assert f'Indirect reseller <span class="muted">through {provider.name}</span>' in text(response)
    assert ResellerRelationship.objects.active().filter(customer=customer).count() == 2
    assert AgreementAcceptance.objects.filter(customer=customer).count() == 1


def test_when_the_customer_already_has_the_provider_the_page_says_only_the_reseller_is_added(
    client_for, two_tier, customer, customer_admin, indirect_reseller, provider
):
    ResellerRelationshipFactory(partner=provider, customer=customer)
    client = client_for(customer_admin)
    client.get(link_path(two_tier))
    page = text(client.get(request_url(two_tier)))
    assert f"{provider.name} is already your organization's reseller." in page
    response = client.post(accept_url(two_tier), SIGNER, follow=True)
    assert (
        f"{indirect_reseller.name} is now your indirect reseller, selling to you through "
        f"{provider.name}, which already was your organization&#x27;s reseller."
    ) in text(response)
    assert ResellerRelationship.objects.filter(partner=provider).count() == 1


@pytest.mark.parametrize(
    "change",
    [
        {"indirectCSPId": "00000000-0000-4000-8000-000000000000"},
        {"indirectCSPId": None},
        {"indirectCSPId": "not-a-guid"},
    ],
    ids=["another provider", "provider dropped", "garbage"],
)
def test_a_changed_indirect_provider_is_refused_and_changes_nothing(
    client_for, two_tier, customer_admin, change
):
    client = client_for(customer_admin)
    before = AuditEvent.objects.count()
    response = client.get(tampered(two_tier, **change))
    assert response.status_code == 400
    assert "This link was changed" in text(response)
    assert response["Referrer-Policy"] == "no-referrer"
    two_tier.refresh_from_db()
    assert two_tier.opened_at is None
    assert AuditEvent.objects.count() == before
    # The session did not open it: the request page stays shut.
    assert client.get(request_url(two_tier)).status_code == 404
    assert not ResellerRelationship.objects.exists()


def test_a_provider_named_on_a_one_tier_link_is_refused(
    client_for, partner_a, sales_agent, customer_admin
):
    invitation = services.invitation_create(
        partner=partner_a, created_by=sales_agent, include_admin=False
    )
    response = client_for(customer_admin).get(
        tampered(invitation, indirectCSPId=str(ProviderFactory().pk))
    )
    assert response.status_code == 400
    assert "This link was changed" in text(response)


def test_a_partnership_removed_after_opening_refuses_the_acceptance(
    client_for, two_tier, customer_admin, provider, provider_admin, partnership
):
    client = client_for(customer_admin)
    client.get(link_path(two_tier))
    services.partnership_remove(partnership=partnership, removed_by=provider_admin, by=provider)
    response = client.post(accept_url(two_tier), SIGNER)
    assert response.status_code == 410
    assert "This request can no longer be accepted" in text(response)
    assert "Nothing changed for your organization." in text(response)
    assert not ResellerRelationship.objects.exists()
    two_tier.refresh_from_db()
    assert two_tier.status == InvitationStatus.PENDING


def test_the_partner_relationships_page_costs_the_same_queries_with_both_tiers(
    client_for, customer, customer_admin, indirect_reseller, provider, django_assert_num_queries
):
    from tests.factories import indirect_link

    client = client_for(customer_admin)
    page = reverse("admin_center:partner-relationships")
    ResellerRelationshipFactory(customer=customer)
    # (5: the page also reads what each partner's security groups hold here.)
    with django_assert_num_queries(5) as one:
        client.get(page)
    indirect_link(indirect_reseller, customer, provider)
    with django_assert_num_queries(len(one.captured_queries)):
        response = client.get(page)
    assert "Indirect provider" in text(response)
