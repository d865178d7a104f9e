"""Remove roles: the customer's Global administrator ends one admin relationship at once (and
the partner's email when it is the partner who ends one)."""

import html
from datetime import timedelta

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from tenancy import services
from tenancy.models import (
    AccessAssignment,
    AdminRelationship,
    AdminRelationshipStatus,
    AuditAction,
    AuditEvent,
    ResellerRelationship,
)
from tests.factories import (
    AdminRelationshipFactory,
    CustomerFactory,
    ResellerRelationshipFactory,
    grant_roles,
)

pytestmark = pytest.mark.django_db

LIST = reverse("admin_center:partner-relationships")


def remove_url(relationship, portal="admin_center") -> str:
    return reverse("admin_center:gdap-terminate", args=[relationship.pk], current_app=portal)


@pytest.fixture
def relationship(partner_a, customer, admin_agent):
    """An approved admin relationship whose roles an agent of the partner holds."""
    ResellerRelationshipFactory(partner=partner_a, customer=customer)
    relationship = AdminRelationshipFactory(
        partner=partner_a, customer=customer, name="Northwind support", finalized_by=admin_agent
    )
    grant_roles(admin_agent.membership, relationship)
    return relationship


def in_force(relationship) -> bool:
    relationship.refresh_from_db()
    return relationship.is_in_force()


class TestRemoveRoles:
    def test_the_list_offers_it_for_each_relationship_in_force(
        self, client_for, customer_admin, relationship
    ):
        page = client_for(customer_admin).get(LIST).content.decode()
        assert f'href="{remove_url(relationship)}"' in page

    def test_it_confirms_then_ends_the_relationship_and_tells_the_partner(
        self,
        client_for,
        customer_admin,
        customer,
        admin_agent,
        relationship,
        django_capture_on_commit_callbacks,
    ):
        client = client_for(customer_admin)
        confirm = client.get(remove_url(relationship))
        assert confirm.status_code == 200
        page = html.unescape(confirm.content.decode())
        assert "Remove Contoso Partners' roles of “Northwind support”?" in page
        assert ", ".join(relationship.role_names) in page
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(remove_url(relationship), follow=True)
        assert response.redirect_chain[-1][0] == LIST
        page = html.unescape(response.content.decode())
        assert "Contoso Partners no longer holds the roles of “Northwind support”" in page
        assert "Ended by your organization" in page

        relationship.refresh_from_db()
        assert relationship.status == AdminRelationshipStatus.TERMINATED
        assert relationship.closed_by == customer_admin
        assert relationship.closed_by_tenant == customer
        # The partner's security groups lose the roles with it; the reseller relationship stays.
        assert not AccessAssignment.objects.filter(removed_at__isnull=True).exists()
        assert not services.agent_roles_in(admin_agent.membership, customer)
        assert ResellerRelationship.objects.active().count() == 1
        event = AuditEvent.objects.get(action=AuditAction.ADMIN_TERMINATED)
        assert event.details["side"] == "customer" and event.details["assignments_removed"] == 1
        [email] = mail.outbox
        assert email.to == [admin_agent.email]
        assert email.subject == (
            'Northwind Traders removed the roles of your admin relationship "Northwind support"'
        )
        assert customer_admin.username in email.body

    def test_it_ends_only_the_relationship_chosen(
        self, client_for, customer_admin, customer, partner_a, relationship
    ):
        other = AdminRelationshipFactory(partner=partner_a, customer=customer)
        client_for(customer_admin).post(remove_url(relationship))
        assert not in_force(relationship) and in_force(other)

    def test_a_second_post_gets_a_message_not_an_error(
        self, client_for, customer_admin, relationship
    ):
        client = client_for(customer_admin)
        assert client.post(remove_url(relationship)).status_code == 302
        again = client.post(remove_url(relationship), follow=True)
        assert again.status_code == 200
        page = html.unescape(again.content.decode())
        assert "Nothing was removed: This admin relationship was terminated." in page
        assert AuditEvent.objects.filter(action=AuditAction.ADMIN_TERMINATED).count() == 1

    def test_the_confirmation_of_an_ended_relationship_says_so(
        self, client_for, customer_admin, customer, partner_a
    ):
        ended = AdminRelationshipFactory(
            partner=partner_a,
            customer=customer,
            name="Last year",
            approved_at=timezone.now() - timedelta(days=200),
        )
        response = client_for(customer_admin).get(remove_url(ended), follow=True)
        assert response.redirect_chain[-1][0] == LIST
        page = html.unescape(response.content.decode())
        assert "“Last year” has already ended (expired): there are no roles to remove." in page
        assert f'href="{remove_url(ended)}"' not in page

    def test_another_customers_relationship_is_a_404(self, client_for, customer_admin, partner_b):
        theirs = AdminRelationshipFactory(partner=partner_b, customer=CustomerFactory())
        client = client_for(customer_admin)
        assert client.get(remove_url(theirs)).status_code == 404
        assert client.post(remove_url(theirs)).status_code == 404
        assert in_force(theirs)

    def test_a_request_for_any_customer_is_a_404(self, client_for, customer_admin, partner_a):
        pending = AdminRelationshipFactory(partner=partner_a, customer=None, pending=True)
        assert client_for(customer_admin).post(remove_url(pending)).status_code == 404

    def test_a_billing_administrator_gets_403(
        self, client_for, customer_billing_admin, relationship
    ):
        client = client_for(customer_billing_admin)
        response = client.post(remove_url(relationship))
        assert response.status_code == 403
        assert (
            b"Only Global administrators and Delegated Admin Relationship Administrators can "
            b"remove a partner&#x27;s admin roles"
        ) in response.content
        assert in_force(relationship)
        page = client.get(LIST).content.decode()
        assert "Northwind support" in page and "Remove roles" not in page

    def test_it_rejects_other_methods(self, client_for, customer_admin, relationship):
        assert client_for(customer_admin).put(remove_url(relationship)).status_code == 405

    def test_csrf_is_enforced(self, customer_admin, relationship):
        client = Client(enforce_csrf_checks=True)
        client.force_login(customer_admin)
        assert client.post(remove_url(relationship)).status_code == 403
        assert in_force(relationship)


class TestThePartnerEndsIt:
    def test_the_customers_global_administrators_are_told(
        self,
        customer,
        customer_admin,
        customer_billing_admin,
        partner_a,
        admin_agent,
        relationship,
        client_for,
        django_capture_on_commit_callbacks,
    ):
        with django_capture_on_commit_callbacks(execute=True):
            services.admin_relationship_terminate(
                relationship=relationship, terminated_by=admin_agent, by=partner_a
            )
        [email] = mail.outbox
        assert email.to == [customer_admin.email]
        assert email.subject == (
            'Contoso Partners ended its admin relationship "Northwind support" with '
            "Northwind Traders"
        )
        assert ", ".join(relationship.role_names) in email.body
        assert "Northwind support" in email.alternatives[0][0]
        page = client_for(customer_admin).get(LIST).content.decode()
        assert "Ended by Contoso Partners" in page
        assert f'href="{remove_url(relationship)}"' not in page
        assert AdminRelationship.objects.get().status == AdminRelationshipStatus.TERMINATED
