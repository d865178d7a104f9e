import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from tenancy.models import AdminRelationship, AuditAction, AuditEvent, ResellerRelationship, Role
from tests.factories import (
    AdminRelationshipFactory,
    CustomerFactory,
    PartnerFactory,
    ResellerRelationshipFactory,
    SubscriptionFactory,
    member,
)

pytestmark = pytest.mark.django_db

LIST = reverse("admin_center:partner-relationships")
# Session, user, membership with its roles; reseller and admin relationships with their partners.
LIST_QUERIES = 5


def remove_roles_url(partner):
    return reverse("admin_center:remove-roles", args=[partner.pk])


def end_reseller_url(partner):
    return reverse("admin_center:end-reseller", args=[partner.pk])


@pytest.fixture
def related(partner_a, customer):
    ResellerRelationshipFactory(partner=partner_a, customer=customer)
    AdminRelationshipFactory(partner=partner_a, customer=customer)
    return partner_a


class TestTheList:
    def test_it_lists_each_partner_with_its_relationship_types(
        self, client_for, customer_admin, related, partner_b, customer
    ):
        ResellerRelationshipFactory(partner=partner_b, customer=customer)
        page = client_for(customer_admin).get(LIST).content.decode()
        assert "Contoso Partners" in page and "Litware Partners" in page
        assert "Admin roles: Global Administrator, Helpdesk Administrator" in page
        assert page.count("<div>Reseller <span") == 2
        assert "Remove roles" in page and "End reseller relationship" in page

    def test_it_lists_only_this_organizations_partners(self, client_for, customer_admin, partner_b):
        ResellerRelationshipFactory(partner=partner_b, customer=CustomerFactory())
        page = client_for(customer_admin).get(LIST).content.decode()
        assert "Litware Partners" not in page
        assert "No partner works with your organization" in page

    def test_ended_relationships_are_kept_as_history(self, client_for, customer_admin, customer):
        ResellerRelationshipFactory(
            partner=PartnerFactory(name="Old Partner"), customer=customer, ended_at=timezone.now()
        )
        page = client_for(customer_admin).get(LIST).content.decode()
        assert "Past relationships" in page and "Old Partner" in page

    def test_a_billing_administrator_sees_it_without_the_actions(
        self, client_for, customer_billing_admin, related
    ):
        page = client_for(customer_billing_admin).get(LIST).content.decode()
        assert "Contoso Partners" in page
        assert "Remove roles" not in page and "End reseller relationship" not in page

    def test_a_plain_user_gets_403_saying_who_may(self, client_for, customer_user):
        response = client_for(customer_user).get(LIST)
        assert response.status_code == 403
        assert b"Only Global administrators and Billing administrators" in response.content

    def test_a_partner_agent_gets_403(self, client_for, sales_agent):
        assert client_for(sales_agent).get(LIST).status_code == 403

    def test_a_us_government_customer_is_sent_to_its_own_portal(self, client_for):
        from tenancy.models import Cloud

        gov_admin = member(CustomerFactory(cloud=Cloud.USGOV), Role.CUSTOMER_GLOBAL_ADMIN)
        response = client_for(gov_admin).get(LIST)
        assert response.status_code == 302
        assert response["Location"] == reverse("admin_center:home", current_app="office_admin")

    def test_its_query_count_is_fixed_whatever_the_number_of_partners(
        self, client_for, customer_admin, customer, django_assert_num_queries
    ):
        client = client_for(customer_admin)

        def add_partners(n):
            for _ in range(n):
                partner = PartnerFactory()
                ResellerRelationshipFactory(partner=partner, customer=customer)
                AdminRelationshipFactory(partner=partner, customer=customer)

        add_partners(2)
        with django_assert_num_queries(LIST_QUERIES):
            client.get(LIST)
        add_partners(20)
        with django_assert_num_queries(LIST_QUERIES):
            page = client.get(LIST)
        assert page.content.decode().count("<div>Reseller <span") == 22


class TestRemoveRoles:
    def test_it_confirms_then_ends_the_admin_relationship(
        self, client_for, customer_admin, related, customer
    ):
        client = client_for(customer_admin)
        confirm = client.get(remove_roles_url(related))
        assert b"Remove Contoso Partners" in confirm.content
        assert b"Global Administrator, Helpdesk Administrator" in confirm.content
        response = client.post(remove_roles_url(related), follow=True)
        assert b"no longer holds admin roles" in response.content
        admin = AdminRelationship.objects.get()
        assert admin.ended_at is not None and admin.ended_by == customer_admin
        assert ResellerRelationship.objects.active().count() == 1
        assert AuditEvent.objects.filter(action=AuditAction.ADMIN_REMOVED).count() == 1

    def test_posting_twice_answers_the_second_post_with_a_message(
        self, client_for, customer_admin, related
    ):
        """A double submit: the second post finds nothing to remove and says so (no 404/500)."""
        client = client_for(customer_admin)
        assert client.post(remove_roles_url(related)).status_code == 302
        again = client.post(remove_roles_url(related), follow=True)
        assert again.status_code == 200
        assert b"Contoso Partners has no admin roles to remove." in again.content
        assert AuditEvent.objects.filter(action=AuditAction.ADMIN_REMOVED).count() == 1

    def test_roles_removed_between_the_check_and_the_post_answer_with_a_message(
        self, client_for, customer_admin, related, customer, monkeypatch
    ):
        """Two posts at once: the page's check passes for both; the service refuses the later."""
        from tenancy import services

        real = services.admin_relationship_end

        def removed_meanwhile(**kwargs):
            real(**kwargs)  # the other post's removal, committed first
            real(**kwargs)

        monkeypatch.setattr(services, "admin_relationship_end", removed_meanwhile)
        response = client_for(customer_admin).post(remove_roles_url(related), follow=True)
        assert response.status_code == 200
        assert b"has no admin roles to remove" in response.content

    def test_a_billing_administrator_gets_403(self, client_for, customer_billing_admin, related):
        client = client_for(customer_billing_admin)
        assert client.post(remove_roles_url(related)).status_code == 403
        assert AdminRelationship.objects.active().count() == 1

    def test_another_customers_partner_is_a_404(self, client_for, customer_admin, partner_b):
        AdminRelationshipFactory(partner=partner_b, customer=CustomerFactory())
        assert client_for(customer_admin).post(remove_roles_url(partner_b)).status_code == 404
        assert AdminRelationship.objects.active().count() == 1

    def test_a_partner_without_roles_is_a_404(
        self, client_for, customer_admin, partner_a, customer
    ):
        ResellerRelationshipFactory(partner=partner_a, customer=customer)
        assert client_for(customer_admin).get(remove_roles_url(partner_a)).status_code == 404

    def test_csrf_is_enforced(self, customer_admin, related):
        client = Client(enforce_csrf_checks=True)
        client.force_login(customer_admin)
        assert client.post(remove_roles_url(related)).status_code == 403
        assert AdminRelationship.objects.active().count() == 1


class TestEndReseller:
    def test_it_is_refused_while_the_partners_subscriptions_are_active(
        self, client_for, customer_admin, related, customer
    ):
        SubscriptionFactory(partner=related, customer=customer)
        client = client_for(customer_admin)
        confirm = client.get(end_reseller_url(related))
        # One rule, one wording: the page and the refusal say the same sentence, and it asks
        # for what can be done (suspend or move), not "cancel".
        reason = (
            b"Contoso Partners still has 1 active subscription for Northwind Traders. It must be "
            b"suspended or moved to another partner before the reseller relationship can end."
        )
        assert reason in confirm.content
        assert b"cancel" not in confirm.content.lower()
        assert b'type="submit"' not in confirm.content.split(b"<main")[1].split(b"</main>")[0]
        response = client.post(end_reseller_url(related), follow=True)
        assert reason in response.content
        assert ResellerRelationship.objects.active().count() == 1

    def test_it_ends_the_relationship_and_keeps_the_row(
        self, client_for, customer_admin, related, customer
    ):
        response = client_for(customer_admin).post(end_reseller_url(related), follow=True)
        assert b"no longer your organization&#x27;s reseller" in response.content
        relationship = ResellerRelationship.objects.get()
        assert relationship.ended_at is not None and relationship.ended_by == customer_admin
        event = AuditEvent.objects.get(action=AuditAction.RESELLER_ENDED)
        assert event.actor_tenant == customer

    def test_a_billing_administrator_gets_403(self, client_for, customer_billing_admin, related):
        response = client_for(customer_billing_admin).post(end_reseller_url(related))
        assert response.status_code == 403
        assert b"Only Global administrators can end a reseller relationship" in response.content

    def test_another_customers_partner_is_a_404(self, client_for, customer_admin, partner_b):
        ResellerRelationshipFactory(partner=partner_b, customer=CustomerFactory())
        assert client_for(customer_admin).post(end_reseller_url(partner_b)).status_code == 404

    def test_it_rejects_other_methods(self, client_for, customer_admin, related):
        assert client_for(customer_admin).put(end_reseller_url(related)).status_code == 405
