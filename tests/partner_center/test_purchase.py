"""A customer's page → Purchase: needs an active reseller relationship and an accepted agreement."""

import pytest
from django.utils import timezone

from tenancy.models import AuditAction, AuditEvent, Subscription
from tests.factories import AgreementAcceptanceFactory, ResellerRelationshipFactory
from tests.partner_center.conftest import url

pytestmark = pytest.mark.django_db


def buy(client, customer, code="microsoft-365-e3", quantity="5"):
    return client.post(
        url("purchase", customer.pk), {"offer": code, "quantity": quantity}, follow=True
    )


def test_purchase_is_refused_without_an_agreement_and_says_what_is_missing(
    client_for, sales_agent, customer, reseller
):
    client = client_for(sales_agent)
    page = client.get(url("customer-detail", customer.pk)).content.decode()
    assert "Purchase</button>" not in page
    needs = "Purchasing needs the customer&#x27;s acceptance of the current Microsoft Customer"
    assert needs in page
    response = buy(client, customer)
    assert needs.encode() in response.content
    assert b"an active reseller relationship" not in response.content  # that one is there
    assert not Subscription.objects.exists()


def test_purchase_is_allowed_with_an_agreement(client_for, sales_agent, customer, reseller):
    AgreementAcceptanceFactory(customer=customer)
    client = client_for(sales_agent)
    assert b"Purchase</button>" in client.get(url("customer-detail", customer.pk)).content
    response = buy(client, customer)
    assert b"Purchased Microsoft 365 E3 (5) for Northwind Traders" in response.content
    subscription = Subscription.objects.get()
    assert (subscription.quantity, subscription.created_by) == (5, sales_agent)
    assert AuditEvent.objects.filter(action=AuditAction.SUBSCRIPTION_PURCHASED).exists()
    assert b'<th scope="row">Microsoft 365 E3</th>' in response.content


def test_an_acceptance_of_an_older_agreement_version_is_not_enough(
    client_for, sales_agent, customer, reseller
):
    AgreementAcceptanceFactory(customer=customer, version="MCA 2024-01")
    client = client_for(sales_agent)
    page = client.get(url("customer-detail", customer.pk)).content.decode()
    assert "Accepted (MCA 2024-01)" in page
    assert "The current version is MCA 2026-09" in page
    assert "Purchase</button>" not in page
    response = buy(client, customer)
    assert b"the current Microsoft Customer Agreement (MCA 2026-09)" in response.content
    assert not Subscription.objects.exists()


def test_purchase_is_refused_once_the_reseller_relationship_ended(
    client_for, sales_agent, partner_a, customer
):
    ResellerRelationshipFactory(partner=partner_a, customer=customer, ended_at=timezone.now())
    AgreementAcceptanceFactory(customer=customer)
    response = buy(client_for(sales_agent), customer)
    assert b"Purchasing needs an active reseller relationship with this customer." in (
        response.content
    )
    assert not Subscription.objects.exists()


@pytest.mark.parametrize(
    ("code", "quantity", "field"),
    [
        ("nope", "5", "offer"),
        ("", "5", "offer"),
        ("microsoft-365-e3", "0", "quantity"),
        ("microsoft-365-e3", "-1", "quantity"),
        ("microsoft-365-e3", "abc", "quantity"),
        ("microsoft-365-e3", "1.5", "quantity"),
        ("microsoft-365-e3", "10001", "quantity"),
        ("microsoft-365-e3", "9" * 40, "quantity"),
        ("microsoft-365-e3", "", "quantity"),
        ("microsoft-365-e3", "五", "quantity"),
    ],
)
def test_bad_input_gives_field_errors(
    client_for, sales_agent, customer, reseller, code, quantity, field
):
    AgreementAcceptanceFactory(customer=customer)
    response = client_for(sales_agent).post(
        url("purchase", customer.pk), {"offer": code, "quantity": quantity}
    )
    assert response.status_code == 400
    assert f'id="id_{field}_error"' in response.content.decode()
    assert not Subscription.objects.exists()


def test_an_azure_plan_is_bought_with_quantity_one(client_for, sales_agent, customer, reseller):
    AgreementAcceptanceFactory(customer=customer)
    client = client_for(sales_agent)
    assert b"quantity is 1" in buy(client, customer, "azure-plan", "3").content
    assert not Subscription.objects.exists()
    buy(client, customer, "azure-plan", "1")
    assert Subscription.objects.get().offer.is_azure


def test_another_partners_customer_is_a_404(client_for, sales_agent, partner_b, customer):
    ResellerRelationshipFactory(partner=partner_b, customer=customer)
    AgreementAcceptanceFactory(customer=customer)
    assert buy(client_for(sales_agent), customer).status_code == 404
    assert not Subscription.objects.exists()


@pytest.mark.parametrize("who", ["helpdesk_agent", "partner_global_admin"])
def test_roles_that_may_not_purchase_get_403(client_for, customer, reseller, who, request):
    AgreementAcceptanceFactory(customer=customer)
    response = buy(client_for(request.getfixturevalue(who)), customer)
    assert response.status_code == 403
    assert b"Only Admin agents and Sales agents can purchase" in response.content
    assert not Subscription.objects.exists()


def test_it_rejects_get(client_for, sales_agent, customer, reseller):
    assert client_for(sales_agent).get(url("purchase", customer.pk)).status_code == 405


def test_csrf_is_enforced(csrf_client, sales_agent, customer, reseller):
    AgreementAcceptanceFactory(customer=customer)
    assert buy(csrf_client(sales_agent), customer).status_code == 403
    assert not Subscription.objects.exists()
