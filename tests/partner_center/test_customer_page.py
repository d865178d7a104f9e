"""The customer page: profile, relationships, agreement, subscriptions; purchase, manage, remove."""

import pytest
from django.test import Client
from django.utils import timezone

from tenancy.models import (
    AuditAction,
    AuditEvent,
    Offer,
    ResellerRelationship,
    Subscription,
    SubscriptionStatus,
)
from tests.factories import (
    AdminRelationshipFactory,
    AgreementAcceptanceFactory,
    CustomerFactory,
    ResellerRelationshipFactory,
    SubscriptionFactory,
)
from tests.partner_center.conftest import url

pytestmark = pytest.mark.django_db


@pytest.fixture
def reseller(partner_a, customer):
    return ResellerRelationshipFactory(partner=partner_a, customer=customer)


def offer(code):
    return Offer.objects.get(code=code)


class TestThePage:
    def test_it_shows_profile_relationships_agreement_and_subscriptions(
        self, client_for, sales_agent, partner_a, customer, reseller
    ):
        AdminRelationshipFactory(partner=partner_a, customer=customer)
        AgreementAcceptanceFactory(customer=customer, signer_first_name="Nancy")
        SubscriptionFactory(partner=partner_a, customer=customer, offer=offer("microsoft-365-e3"))
        SubscriptionFactory(customer=customer, offer=offer("office-365-e1"))  # another partner's
        response = client_for(sales_agent).get(url("customer-detail", customer.pk))
        page = response.content.decode()
        assert "Northwind Traders" in page and "northwindtraders.onmicrosoft.com" in page
        assert str(customer.pk) in page and "United States" in page
        assert "Since" in page and "Global Administrator, Helpdesk Administrator" in page
        assert "Accepted (MCA" in page and "Nancy" in page
        offers = [subscription.offer.name for subscription, _ in response.context["subscriptions"]]
        assert offers == ["Microsoft 365 E3"]

    def test_another_partners_customer_is_a_404(self, client_for, sales_agent, partner_b, customer):
        ResellerRelationshipFactory(partner=partner_b, customer=customer)
        assert client_for(sales_agent).get(url("customer-detail", customer.pk)).status_code == 404

    def test_a_customer_with_an_ended_relationship_is_still_ours_to_see(
        self, client_for, sales_agent, partner_a, customer
    ):
        ResellerRelationshipFactory(partner=partner_a, customer=customer, ended_at=timezone.now())
        page = client_for(sales_agent).get(url("customer-detail", customer.pk))
        assert page.status_code == 200
        assert b"Ended" in page.content
        assert b"an active reseller relationship" in page.content  # why purchase is refused

    def test_a_helpdesk_agent_sees_it_without_purchase(
        self, client_for, helpdesk_agent, customer, reseller
    ):
        page = client_for(helpdesk_agent).get(url("customer-detail", customer.pk))
        assert page.status_code == 200
        assert b"Purchase</button>" not in page.content

    def test_a_customer_user_gets_403(self, client_for, customer_admin, customer, reseller):
        assert (
            client_for(customer_admin).get(url("customer-detail", customer.pk)).status_code == 403
        )


class TestPurchase:
    def buy(self, client, customer, code="microsoft-365-e3", quantity="5"):
        return client.post(
            url("purchase", customer.pk), {"offer": code, "quantity": quantity}, follow=True
        )

    def test_it_is_refused_without_an_agreement_and_says_what_is_missing(
        self, client_for, sales_agent, customer, reseller
    ):
        client = client_for(sales_agent)
        page = client.get(url("customer-detail", customer.pk)).content.decode()
        assert "Microsoft Customer Agreement" in page and "Purchase</button>" not in page
        response = self.buy(client, customer)
        assert b"Purchasing needs the customer&#x27;s acceptance of the Microsoft Customer" in (
            response.content
        )
        assert not Subscription.objects.exists()

    def test_it_is_allowed_with_an_agreement(self, client_for, sales_agent, customer, reseller):
        AgreementAcceptanceFactory(customer=customer)
        response = self.buy(client_for(sales_agent), customer)
        assert b"Purchased Microsoft 365 E3 (5)" in response.content
        subscription = Subscription.objects.get()
        assert (subscription.quantity, subscription.created_by) == (5, sales_agent)
        assert AuditEvent.objects.filter(action=AuditAction.SUBSCRIPTION_PURCHASED).exists()

    @pytest.mark.parametrize(
        ("code", "quantity"),
        [
            ("nope", "5"),
            ("microsoft-365-e3", "0"),
            ("microsoft-365-e3", "abc"),
            ("microsoft-365-e3", "10001"),
            ("", ""),
        ],
    )
    def test_bad_input_gives_field_errors(
        self, client_for, sales_agent, customer, reseller, code, quantity
    ):
        AgreementAcceptanceFactory(customer=customer)
        response = client_for(sales_agent).post(
            url("purchase", customer.pk), {"offer": code, "quantity": quantity}
        )
        assert response.status_code == 400
        assert b'class="errorlist"' in response.content
        assert not Subscription.objects.exists()

    def test_an_azure_plan_is_bought_with_quantity_one(
        self, client_for, sales_agent, customer, reseller
    ):
        AgreementAcceptanceFactory(customer=customer)
        response = self.buy(client_for(sales_agent), customer, "azure-plan", "3")
        assert b"quantity is 1" in response.content
        self.buy(client_for(sales_agent), customer, "azure-plan", "1")
        assert Subscription.objects.get().offer.is_azure

    def test_another_partners_customer_is_a_404(self, client_for, sales_agent, partner_b, customer):
        ResellerRelationshipFactory(partner=partner_b, customer=customer)
        AgreementAcceptanceFactory(customer=customer)
        assert self.buy(client_for(sales_agent), customer).status_code == 404
        assert not Subscription.objects.exists()

    def test_a_helpdesk_agent_gets_403(self, client_for, helpdesk_agent, customer, reseller):
        AgreementAcceptanceFactory(customer=customer)
        assert self.buy(client_for(helpdesk_agent), customer).status_code == 403

    def test_it_rejects_get(self, client_for, sales_agent, customer, reseller):
        assert client_for(sales_agent).get(url("purchase", customer.pk)).status_code == 405

    def test_csrf_is_enforced(self, sales_agent, customer, reseller):
        AgreementAcceptanceFactory(customer=customer)
        client = Client(enforce_csrf_checks=True)
        client.force_login(sales_agent)
        assert self.buy(client, customer).status_code == 403


class TestManageSubscription:
    def change(self, client, subscription, **data):
        return client.post(
            url("subscription-update", subscription.customer_id, subscription.pk), data, follow=True
        )

    def test_a_licence_subscription_needs_an_admin_relationship(
        self, client_for, sales_agent, partner_a, customer, reseller
    ):
        subscription = SubscriptionFactory(partner=partner_a, customer=customer, quantity=10)
        client = client_for(sales_agent)
        refused = self.change(client, subscription, change="quantity", quantity="20")
        assert b"needs admin permissions" in refused.content
        subscription.refresh_from_db()
        assert subscription.quantity == 10

        AdminRelationshipFactory(partner=partner_a, customer=customer)
        done = self.change(client, subscription, change="quantity", quantity="20")
        assert b"was updated" in done.content
        subscription.refresh_from_db()
        assert subscription.quantity == 20

    def test_the_partners_own_azure_plan_is_managed_with_the_reseller_relationship_alone(
        self, client_for, sales_agent, partner_a, customer, reseller
    ):
        plan = SubscriptionFactory(
            partner=partner_a, customer=customer, offer=offer("azure-plan"), quantity=1
        )
        client = client_for(sales_agent)
        self.change(client, plan, change="suspend")
        plan.refresh_from_db()
        assert plan.status == SubscriptionStatus.SUSPENDED
        self.change(client, plan, change="reactivate")
        plan.refresh_from_db()
        assert plan.status == SubscriptionStatus.ACTIVE

    def test_another_partners_subscription_is_a_404(
        self, client_for, sales_agent, partner_a, partner_b, customer, reseller
    ):
        theirs = SubscriptionFactory(partner=partner_b, customer=customer)
        response = self.change(client_for(sales_agent), theirs, change="suspend")
        assert response.status_code == 404
        theirs.refresh_from_db()
        assert theirs.status == SubscriptionStatus.ACTIVE

    @pytest.mark.parametrize(
        "data",
        [{"change": "explode"}, {"change": "quantity"}, {"change": "quantity", "quantity": "-2"}],
    )
    def test_bad_input_changes_nothing(
        self, client_for, sales_agent, partner_a, customer, reseller, data
    ):
        AdminRelationshipFactory(partner=partner_a, customer=customer)
        subscription = SubscriptionFactory(partner=partner_a, customer=customer, quantity=10)
        response = self.change(client_for(sales_agent), subscription, **data)
        assert b"Nothing changed" in response.content
        subscription.refresh_from_db()
        assert (subscription.quantity, subscription.status) == (10, SubscriptionStatus.ACTIVE)

    def test_a_helpdesk_agent_gets_403(
        self, client_for, helpdesk_agent, partner_a, customer, reseller
    ):
        subscription = SubscriptionFactory(partner=partner_a, customer=customer)
        assert (
            self.change(client_for(helpdesk_agent), subscription, change="suspend").status_code
            == 403
        )

    def test_it_rejects_get(self, client_for, sales_agent, partner_a, customer, reseller):
        subscription = SubscriptionFactory(partner=partner_a, customer=customer)
        response = client_for(sales_agent).get(
            url("subscription-update", customer.pk, subscription.pk)
        )
        assert response.status_code == 405


class TestRemoveReseller:
    def test_a_global_admin_confirms_and_ends_it(
        self, client_for, partner_global_admin, customer, reseller
    ):
        client = client_for(partner_global_admin)
        confirm = client.get(url("remove-reseller", customer.pk))
        assert b"Remove the reseller relationship with Northwind Traders?" in confirm.content
        response = client.post(url("remove-reseller", customer.pk), follow=True)
        assert b"has ended" in response.content
        reseller.refresh_from_db()
        assert reseller.ended_at is not None and reseller.ended_by == partner_global_admin
        assert ResellerRelationship.objects.count() == 1  # ended, never deleted
        assert AuditEvent.objects.filter(action=AuditAction.RESELLER_ENDED).count() == 1

    def test_it_is_refused_while_subscriptions_are_active(
        self, client_for, partner_global_admin, partner_a, customer, reseller
    ):
        SubscriptionFactory(partner=partner_a, customer=customer)
        client = client_for(partner_global_admin)
        assert b"1 active subscription" in client.get(url("remove-reseller", customer.pk)).content
        response = client.post(url("remove-reseller", customer.pk), follow=True)
        assert b"still active" in response.content
        reseller.refresh_from_db()
        assert reseller.is_active

    @pytest.mark.parametrize("who", ["sales_agent", "admin_agent", "helpdesk_agent"])
    def test_agents_get_403(self, client_for, customer, reseller, who, request):
        user = request.getfixturevalue(who)
        response = client_for(user).post(url("remove-reseller", customer.pk))
        assert response.status_code == 403
        assert b"Only Global admins can remove a reseller relationship" in response.content
        reseller.refresh_from_db()
        assert reseller.is_active

    def test_another_partners_customer_is_a_404(self, client_for, partner_global_admin, partner_b):
        theirs = CustomerFactory()
        ResellerRelationshipFactory(partner=partner_b, customer=theirs)
        assert (
            client_for(partner_global_admin).post(url("remove-reseller", theirs.pk)).status_code
            == 404
        )
        assert ResellerRelationship.objects.active().filter(customer=theirs).exists()

    def test_csrf_is_enforced(self, partner_global_admin, customer, reseller):
        client = Client(enforce_csrf_checks=True)
        client.force_login(partner_global_admin)
        assert client.post(url("remove-reseller", customer.pk)).status_code == 403
        reseller.refresh_from_db()
        assert reseller.is_active


def test_its_query_count_does_not_grow_with_subscriptions(
    client_for, sales_agent, partner_a, customer, reseller
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    AdminRelationshipFactory(partner=partner_a, customer=customer)
    AgreementAcceptanceFactory(customer=customer)
    client = client_for(sales_agent)
    SubscriptionFactory(partner=partner_a, customer=customer)
    with CaptureQueriesContext(connection) as few:
        client.get(url("customer-detail", customer.pk))
    for code in ["azure-plan", "office-365-e1", "microsoft-365-e3"] * 5:
        SubscriptionFactory(partner=partner_a, customer=customer, offer=offer(code))
    with CaptureQueriesContext(connection) as many:
        response = client.get(url("customer-detail", customer.pk))
    assert len(response.context["subscriptions"]) == 16
    assert len(many) == len(few)
