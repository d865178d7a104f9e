"""Ending an indirect reseller's relationship while its provider's purchase on its behalf is
active: the service, Partner Center's Remove reseller relationship page, the admin center's End
reseller relationship page and the API give one answer, from one decision.

Before, the pages counted the subscriptions the reseller bought itself (none: it never buys),
offered the end, and told the customer the reseller would "no longer be able to buy"; the
service then refused it over the provider's purchase.
"""

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse
from rest_framework.test import APIClient

from tenancy import services
from tenancy.models import Offer, ResellerRelationship, Role, Subscription
from tests.factories import indirect_link

pytestmark = pytest.mark.django_db

REFUSAL = (
    "Tailspin Distribution bought 1 active subscription for Northwind Traders on behalf of "
    "Fabrikam Resellers. It must be suspended or moved to another partner before the reseller "
    "relationship can end."
)


@pytest.fixture
def bought_on_behalf(provider, indirect_reseller, partnership, customer, provider_agent):
    """The customer buys through Fabrikam (an indirect reseller) and Tailspin (its provider),
    and Tailspin bought a subscription on Fabrikam's behalf."""
    indirect_link(indirect_reseller, customer, provider)
    return Subscription.objects.create(
        partner=provider,
        customer=customer,
        indirect_reseller=indirect_reseller,
        offer=Offer.objects.get(code="microsoft-365-business-basic"),
        quantity=5,
        created_by=provider_agent,
    )


def still_active(reseller, customer) -> bool:
    return ResellerRelationship.objects.active().between(reseller, customer).exists()


def test_the_decision_and_the_service_refuse_it_naming_the_provider(
    bought_on_behalf, indirect_reseller, customer, reseller_admin
):
    decision = services.reseller_relationship_end_decision(
        partner=indirect_reseller, customer=customer, by=indirect_reseller
    )
    assert (decision.allowed, decision.code, decision.reason) == (
        False,
        "active_subscriptions",
        REFUSAL,
    )
    with pytest.raises(services.ServiceError) as refused:
        services.reseller_relationship_end(
            partner=indirect_reseller,
            customer=customer,
            ended_by=reseller_admin,
            by=indirect_reseller,
        )
    assert refused.value.message == REFUSAL
    assert still_active(indirect_reseller, customer)


def test_partner_centers_page_shows_the_same_refusal_and_offers_no_button(
    client_for, bought_on_behalf, indirect_reseller, customer, reseller_admin
):
    client = client_for(reseller_admin)
    path = reverse("partner_center:remove-reseller", args=[customer.pk])
    page = client.get(path).content.decode()
    assert REFUSAL in page
    assert 'type="submit" class="button danger"' not in page
    refused = client.post(path)
    assert [str(m) for m in get_messages(refused.wsgi_request)] == [REFUSAL]
    assert still_active(indirect_reseller, customer)


def test_the_admin_centers_page_shows_the_same_refusal_and_what_really_ends(
    client_for, bought_on_behalf, indirect_reseller, customer, customer_admin
):
    client = client_for(customer_admin)
    path = reverse("admin_center:end-reseller", args=[indirect_reseller.pk])
    page = client.get(path).content.decode()
    assert REFUSAL in page
    # An indirect reseller never bought anything: it sells through its provider.
    assert "no longer be able to buy" not in page
    assert (
        "Fabrikam Resellers will no longer sell to your organization through Tailspin "
        "Distribution." in page
    )
    refused = client.post(path)
    assert [str(m) for m in get_messages(refused.wsgi_request)] == [REFUSAL]
    assert still_active(indirect_reseller, customer)


def test_the_api_answers_the_same_refusal(
    bought_on_behalf, indirect_reseller, customer, reseller_admin
):
    key = services.app_register(
        membership=reseller_admin.membership, name="Fabrikam automation", roles=[Role.GLOBAL_ADMIN]
    ).key
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    response = api.patch(
        f"/v1/customers/{customer.pk}", {"relationshipToPartner": "none"}, format="json"
    )
    assert response.status_code == 409
    assert response.json()["description"] == REFUSAL
    assert still_active(indirect_reseller, customer)


def test_once_the_purchase_is_suspended_every_interface_allows_it(
    client_for, bought_on_behalf, indirect_reseller, customer, reseller_admin
):
    bought_on_behalf.status = "suspended"
    bought_on_behalf.save()
    assert services.reseller_relationship_end_decision(
        partner=indirect_reseller, customer=customer, by=indirect_reseller
    )
    client = client_for(reseller_admin)
    path = reverse("partner_center:remove-reseller", args=[customer.pk])
    assert 'type="submit" class="button danger"' in client.get(path).content.decode()
    client.post(path)
    assert not still_active(indirect_reseller, customer)
