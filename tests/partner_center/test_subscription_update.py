"""A customer's page → change quantity, suspend, reactivate a subscription."""

import pytest

from tenancy import services
from tenancy.models import (
    HELPDESK_ADMINISTRATOR,
    LICENSE_ADMINISTRATOR,
    AuditAction,
    AuditEvent,
    SubscriptionStatus,
)
from tests.factories import (
    AdminRelationshipFactory,
    CustomerFactory,
    ResellerRelationshipFactory,
    SubscriptionFactory,
    grant_roles,
)
from tests.partner_center.conftest import offer, url

pytestmark = pytest.mark.django_db


def change(client, subscription, **data):
    return client.post(
        url("subscription-update", subscription.customer_id, subscription.pk), data, follow=True
    )


@pytest.fixture
def licences(partner_a, customer, reseller):
    return SubscriptionFactory(
        partner=partner_a, customer=customer, offer=offer("microsoft-365-e3"), quantity=10
    )


def test_managing_a_licence_subscription_is_refused_without_an_admin_relationship(
    client_for, sales_agent, licences
):
    client = client_for(sales_agent)
    page = client.get(url("customer-detail", licences.customer_id)).content
    assert b"no admin relationship in force" in page and b"Change quantity" not in page
    refused = change(client, licences, change="quantity", quantity="20")
    assert b"Changing or suspending this subscription needs Global Administrator" in (
        refused.content
    )
    licences.refresh_from_db()
    assert licences.quantity == 10
    assert not AuditEvent.objects.filter(action=AuditAction.SUBSCRIPTION_CHANGED).exists()


def test_an_admin_relationship_alone_is_not_enough_the_agents_group_needs_a_role(
    client_for, sales_agent, partner_a, customer, licences
):
    relationship = AdminRelationshipFactory(partner=partner_a, customer=customer)
    client = client_for(sales_agent)
    page = client.get(url("customer-detail", customer.pk)).content
    assert b"none of your security groups holds one of them here" in page
    assert b"Change quantity" not in page
    grant_roles(sales_agent.membership, relationship, HELPDESK_ADMINISTRATOR)
    refused = change(client, licences, change="quantity", quantity="20")
    assert b"Nothing changed" not in refused.content
    assert b"none of your security groups holds one of them here" in refused.content
    licences.refresh_from_db()
    assert licences.quantity == 10


def test_managing_a_licence_subscription_is_allowed_with_a_license_administrator_group(
    client_for, sales_agent, partner_a, customer, licences
):
    relationship = AdminRelationshipFactory(partner=partner_a, customer=customer)
    grant_roles(sales_agent.membership, relationship, LICENSE_ADMINISTRATOR)
    client = client_for(sales_agent)
    assert b"Change quantity" in client.get(url("customer-detail", customer.pk)).content
    done = change(client, licences, change="quantity", quantity="20")
    assert b"Microsoft 365 E3 was updated" in done.content
    change(client, licences, change="suspend")
    licences.refresh_from_db()
    assert (licences.quantity, licences.status) == (20, SubscriptionStatus.SUSPENDED)
    actions = AuditEvent.objects.filter(partner=partner_a).values_list("action", flat=True)
    assert set(actions) == {AuditAction.SUBSCRIPTION_CHANGED, AuditAction.SUBSCRIPTION_SUSPENDED}


def test_the_partners_own_azure_plan_is_managed_with_the_reseller_relationship_alone(
    client_for, sales_agent, partner_a, customer, reseller
):
    plan = SubscriptionFactory(
        partner=partner_a, customer=customer, offer=offer("azure-plan"), quantity=1
    )
    client = client_for(sales_agent)
    assert b"Suspend" in client.get(url("customer-detail", customer.pk)).content
    change(client, plan, change="suspend")
    plan.refresh_from_db()
    assert plan.status == SubscriptionStatus.SUSPENDED
    assert b"Reactivate" in client.get(url("customer-detail", customer.pk)).content
    change(client, plan, change="reactivate")
    plan.refresh_from_db()
    assert plan.status == SubscriptionStatus.ACTIVE


def test_an_azure_plan_has_no_quantity_to_change(
    client_for, sales_agent, partner_a, customer, reseller
):
    plan = SubscriptionFactory(
        partner=partner_a, customer=customer, offer=offer("azure-plan"), quantity=1
    )
    response = change(client_for(sales_agent), plan, change="quantity", quantity="4")
    assert b"An Azure plan has no quantity to change" in response.content
    plan.refresh_from_db()
    assert plan.quantity == 1


def test_another_partners_subscription_is_a_404(
    client_for, sales_agent, partner_b, customer, reseller
):
    theirs = SubscriptionFactory(partner=partner_b, customer=customer)
    response = change(client_for(sales_agent), theirs, change="suspend")
    assert response.status_code == 404
    theirs.refresh_from_db()
    assert theirs.status == SubscriptionStatus.ACTIVE


def test_a_subscription_under_another_customers_address_is_a_404(
    client_for, sales_agent, partner_a, licences
):
    other = CustomerFactory()
    ResellerRelationshipFactory(partner=partner_a, customer=other)
    response = client_for(sales_agent).post(
        url("subscription-update", other.pk, licences.pk), {"change": "suspend"}
    )
    assert response.status_code == 404
    licences.refresh_from_db()
    assert licences.status == SubscriptionStatus.ACTIVE


@pytest.mark.parametrize(
    "data",
    [
        {},
        {"change": "explode"},
        {"change": "quantity"},
        {"change": "quantity", "quantity": "-2"},
        {"change": "quantity", "quantity": "many"},
        {"change": "quantity", "quantity": "10001"},
        {"change": "ü" * 300},
    ],
)
def test_bad_input_changes_nothing_and_says_why(
    client_for, sales_agent, partner_a, customer, licences, data
):
    grant_roles(
        sales_agent.membership, AdminRelationshipFactory(partner=partner_a, customer=customer)
    )
    response = change(client_for(sales_agent), licences, **data)
    assert response.status_code == 200
    assert b"Nothing changed" in response.content
    licences.refresh_from_db()
    assert (licences.quantity, licences.status) == (10, SubscriptionStatus.ACTIVE)


@pytest.mark.parametrize("who", ["helpdesk_agent", "partner_global_admin"])
def test_roles_that_may_not_manage_get_403(client_for, licences, who, request):
    response = change(client_for(request.getfixturevalue(who)), licences, change="suspend")
    assert response.status_code == 403
    assert b"Only Admin agents and Sales agents can change or suspend a subscription" in (
        response.content
    )
    licences.refresh_from_db()
    assert licences.status == SubscriptionStatus.ACTIVE


def test_it_rejects_get(client_for, sales_agent, licences):
    response = client_for(sales_agent).get(
        url("subscription-update", licences.customer_id, licences.pk)
    )
    assert response.status_code == 405


def test_csrf_is_enforced(csrf_client, sales_agent, partner_a, customer, licences):
    AdminRelationshipFactory(partner=partner_a, customer=customer)
    assert change(csrf_client(sales_agent), licences, change="suspend").status_code == 403
    licences.refresh_from_db()
    assert licences.status == SubscriptionStatus.ACTIVE


def test_the_quantity_box_allows_what_the_service_allows(
    client_for, sales_agent, partner_a, customer, reseller
):
    grant_roles(
        sales_agent.membership, AdminRelationshipFactory(partner=partner_a, customer=customer)
    )
    SubscriptionFactory(partner=partner_a, customer=customer)
    page = client_for(sales_agent).get(url("customer-detail", customer.pk)).content.decode()
    assert f'max="{services.MAX_QUANTITY}"' in page
