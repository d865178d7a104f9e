"""A customer's page: account, relationships, agreement and subscriptions."""

import pytest
from django.utils import timezone

from tenancy.models import LICENSE_ADMINISTRATOR, AcceptanceMethod
from tests.factories import (
    AdminRelationshipFactory,
    AgreementAcceptanceFactory,
    ResellerRelationshipFactory,
    SubscriptionFactory,
    grant_roles,
)
from tests.partner_center.conftest import SIGNED_IN_QUERIES, offer, url

pytestmark = pytest.mark.django_db

# Every row the page can show, read as lines (the customer and the offers of the purchase form
# are made from them: tenancy.selectors.customer_page), then the reseller and admin
# relationships, the agreement, the subscriptions with their offers, and Who has access (every
# agent's access paths here, one query: partner_center/views/access_trace.py).
PAGE_QUERIES = SIGNED_IN_QUERIES + 6
# With an admin relationship in force the agent's own Entra roles there are its own among Who
# has access's paths: no query of their own.
PAGE_WITH_ADMIN_QUERIES = PAGE_QUERIES


def test_it_shows_profile_relationships_agreement_and_own_subscriptions(
    client_for, sales_agent, partner_a, customer, reseller
):
    relationship = AdminRelationshipFactory(
        partner=partner_a, customer=customer, name="Northwind helpdesk"
    )
    grant_roles(sales_agent.membership, relationship, LICENSE_ADMINISTRATOR)
    AgreementAcceptanceFactory(customer=customer, signer_first_name="Nancy")
    SubscriptionFactory(partner=partner_a, customer=customer, offer=offer("microsoft-365-e3"))
    SubscriptionFactory(customer=customer, offer=offer("office-365-e1"))  # another partner's
    response = client_for(sales_agent).get(url("customer-detail", customer.pk))
    page = response.content.decode()
    assert "<h1>Northwind Traders</h1>" in page and "northwindtraders.onmicrosoft.com" in page
    assert str(customer.pk) in page and "United States" in page
    assert "Since" in page and "Northwind helpdesk" in page
    assert url("admin-relationship-detail", relationship.pk) in page
    # What this agent may do here, through its security group.
    assert "Your admin roles here</dt>\n      <dd>License Administrator</dd>" in page
    assert "Accepted (MCA" in page
    offers = [subscription.offer.name for subscription, _ in response.context["subscriptions"]]
    assert offers == ["Microsoft 365 E3"]
    assert '<th scope="row">Office 365 E1</th>' not in page


def test_another_agents_roles_are_not_this_agents(
    client_for, sales_agent, admin_agent, partner_a, customer, reseller
):
    """Your admin roles here: this agent's own paths among everyone's in Who has access."""
    relationship = AdminRelationshipFactory(partner=partner_a, customer=customer)
    grant_roles(admin_agent.membership, relationship, LICENSE_ADMINISTRATOR)
    page = client_for(sales_agent).get(url("customer-detail", customer.pk)).content.decode()
    assert "Your admin roles here</dt>\n      <dd>None</dd>" in page
    assert admin_agent.username in page  # in Who has access, with its License Administrator
    page = client_for(admin_agent).get(url("customer-detail", customer.pk)).content.decode()
    assert "Your admin roles here</dt>\n      <dd>License Administrator</dd>" in page


def test_another_partners_attestation_shows_only_that_an_acceptance_exists(
    client_for, sales_agent, partner_a, partner_b, customer, reseller, django_assert_num_queries
):
    """Who signed, and which partner attested it, is not this partner's business: the page
    says that the agreement was accepted, which version and when."""
    AgreementAcceptanceFactory(
        customer=customer,
        method=AcceptanceMethod.PARTNER_ATTESTATION,
        attested_by_partner=partner_b,
        signer_first_name="Nancy",
        signer_last_name="Davolio",
        signer_email="nancy@northwind.example",
    )
    client = client_for(sales_agent)
    with django_assert_num_queries(PAGE_QUERIES):
        page = client.get(url("customer-detail", customer.pk)).content.decode()
    assert "Accepted (MCA 2026-09) on" in page
    for private in ("Nancy", "Davolio", "nancy@northwind.example", partner_b.name):
        assert private not in page


def test_another_partners_customer_is_a_404(client_for, sales_agent, partner_b, customer):
    ResellerRelationshipFactory(partner=partner_b, customer=customer)
    response = client_for(sales_agent).get(url("customer-detail", customer.pk))
    assert response.status_code == 404
    assert b"Northwind" not in response.content


def test_a_customer_with_no_partner_at_all_is_a_404(client_for, sales_agent, customer):
    assert client_for(sales_agent).get(url("customer-detail", customer.pk)).status_code == 404


def test_a_partner_tenant_is_a_404_even_with_a_relationship_row(client_for, sales_agent, partner_b):
    assert client_for(sales_agent).get(url("customer-detail", partner_b.pk)).status_code == 404


def test_a_customer_with_an_ended_relationship_is_still_ours_to_see(
    client_for, sales_agent, partner_a, customer
):
    ResellerRelationshipFactory(partner=partner_a, customer=customer, ended_at=timezone.now())
    page = client_for(sales_agent).get(url("customer-detail", customer.pk))
    assert page.status_code == 200
    assert b"Ended" in page.content
    assert b"an active reseller relationship" in page.content  # why purchase is refused
    assert b"Remove reseller relationship" not in page.content


def test_a_helpdesk_agent_sees_it_without_purchase_or_manage(
    client_for, helpdesk_agent, partner_a, customer, reseller
):
    AgreementAcceptanceFactory(customer=customer)
    SubscriptionFactory(partner=partner_a, customer=customer)
    page = client_for(helpdesk_agent).get(url("customer-detail", customer.pk))
    assert page.status_code == 200
    assert b"Purchase</button>" not in page.content and b"Suspend" not in page.content


def test_only_a_global_admin_is_offered_remove_reseller_relationship(
    client_for, sales_agent, partner_global_admin, customer, reseller
):
    link = url("remove-reseller", customer.pk).encode()
    assert link not in client_for(sales_agent).get(url("customer-detail", customer.pk)).content
    page = client_for(partner_global_admin).get(url("customer-detail", customer.pk)).content
    assert link in page and b"Remove reseller relationship" in page


@pytest.mark.parametrize("who", ["customer_admin", "agent_b"])
def test_customers_and_other_partners_cannot_see_it(client_for, customer, reseller, who, request):
    response = client_for(request.getfixturevalue(who)).get(url("customer-detail", customer.pk))
    assert response.status_code in (403, 404)
    assert b"northwindtraders.onmicrosoft.com" not in response.content


def test_it_rejects_post(client_for, sales_agent, customer, reseller):
    assert client_for(sales_agent).post(url("customer-detail", customer.pk)).status_code == 405


def test_its_query_count_does_not_grow_with_subscriptions(
    client_for, sales_agent, partner_a, customer, reseller, django_assert_num_queries
):
    relationship = AdminRelationshipFactory(partner=partner_a, customer=customer)
    grant_roles(sales_agent.membership, relationship)
    AgreementAcceptanceFactory(customer=customer)
    client = client_for(sales_agent)
    SubscriptionFactory(partner=partner_a, customer=customer)
    with django_assert_num_queries(PAGE_WITH_ADMIN_QUERIES):
        client.get(url("customer-detail", customer.pk))
    for code in ["azure-plan", "office-365-e1", "microsoft-365-e3"] * 5:
        SubscriptionFactory(partner=partner_a, customer=customer, offer=offer(code))
    for _ in range(5):
        grant_roles(
            sales_agent.membership, AdminRelationshipFactory(partner=partner_a, customer=customer)
        )
    with django_assert_num_queries(PAGE_WITH_ADMIN_QUERIES):
        response = client.get(url("customer-detail", customer.pk))
    assert len(response.context["subscriptions"]) == 16
    assert len(response.context["admin_relationships"]) == 6
