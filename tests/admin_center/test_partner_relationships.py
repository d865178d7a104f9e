import html
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import dateformat, timezone

from tenancy.models import (
    GLOBAL_ADMINISTRATOR,
    HELPDESK_ADMINISTRATOR,
    AdminRelationshipStatus,
    AuditAction,
    AuditEvent,
    ResellerRelationship,
    Role,
)
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
# Session; user with membership and roles; the reseller relationships and the admin
# relationships, each with its partner and country, however many of them there are; and what
# each partner's security groups hold here (one query: tenancy.selectors.access_trace).
LIST_QUERIES = 5


def end_reseller_url(partner):
    return reverse("admin_center:end-reseller", args=[partner.pk])


def remove_url(relationship):
    return reverse("admin_center:gdap-terminate", args=[relationship.pk])


@pytest.fixture
def related(partner_a, customer):
    ResellerRelationshipFactory(partner=partner_a, customer=customer)
    AdminRelationshipFactory(
        partner=partner_a,
        customer=customer,
        name="Northwind support",
        roles=[GLOBAL_ADMINISTRATOR, HELPDESK_ADMINISTRATOR],
    )
    return partner_a


def every_kind_of_admin_relationship(partner, customer):
    """One admin relationship in each state a customer sees, and a draft it doesn't."""
    now = timezone.now()
    active = AdminRelationshipFactory(partner=partner, customer=customer, auto_extend=True)
    expiring = AdminRelationshipFactory(
        partner=partner, customer=customer, approved_at=now - timedelta(days=80)
    )
    expired = AdminRelationshipFactory(
        partner=partner, customer=customer, approved_at=now - timedelta(days=100)
    )
    pending = AdminRelationshipFactory(partner=partner, customer=customer, pending=True)
    declined = AdminRelationshipFactory(
        partner=partner,
        customer=customer,
        pending=True,
        status=AdminRelationshipStatus.DECLINED,
        closed_at=now,
    )
    terminated = AdminRelationshipFactory(
        partner=partner,
        customer=customer,
        status=AdminRelationshipStatus.TERMINATED,
        closed_at=now - timedelta(days=2),
        closed_by_tenant=partner,
    )
    draft = AdminRelationshipFactory(
        partner=partner,
        customer=customer,
        pending=True,
        status=AdminRelationshipStatus.CREATED,
        name="Draft",
    )
    return active, expiring, expired, pending, declined, terminated, draft


class TestTheList:
    def test_it_lists_each_partner_with_its_relationship_types(
        self, client_for, customer_admin, related, partner_b, customer
    ):
        ResellerRelationshipFactory(partner=partner_b, customer=customer)
        page = client_for(customer_admin).get(LIST).content.decode()
        assert "Contoso Partners" in page and "Litware Partners" in page
        assert "<strong>Northwind support</strong>" in page
        assert "Helpdesk Administrator, Global Administrator" in page
        assert page.count("<div>Reseller <span") == 2
        assert page.count(">Remove roles<") == 1
        assert page.count("End reseller relationship<") == 2

    def test_it_shows_every_admin_relationship_with_its_status_and_end(
        self, client_for, customer_admin, partner_a, customer
    ):
        active, expiring, expired, pending, declined, terminated, _draft = (
            every_kind_of_admin_relationship(partner_a, customer)
        )
        page = html.unescape(client_for(customer_admin).get(LIST).content.decode())

        def shown(relationship, label, when):
            item = page.split(f"<strong>{relationship.name}</strong>")[1].split("</p>")[0]
            assert f">{label}</span>" in item, item
            assert when in item, item
            return item

        def day(moment):
            return dateformat.format(timezone.localtime(moment), "M j, Y")

        item = shown(active, "Active", f"Ends on {day(active.ends_at)}")
        assert "then extended by 180 days each time" in item
        assert f'href="{remove_url(active)}"' in item
        item = shown(expiring, "Expiring", f"Ends on {day(expiring.ends_at)}")
        assert f'href="{remove_url(expiring)}"' in item
        shown(expired, "Expired", f"Ended on {day(expired.ends_at)}")
        deadline = day(pending.request_expires_at())
        shown(pending, "Approval pending", f"Waiting for approval until {deadline}")
        shown(declined, "Declined", f"Declined on {day(declined.closed_at)}")
        shown(terminated, "Terminated", "Ended by Contoso Partners")
        assert "Draft" not in page
        assert page.count(">Remove roles<") == 2
        # In force first, then waiting, then the ended ones.
        order = [page.index(f"<strong>{r.name}</strong>") for r in (active, pending, expired)]
        assert order == sorted(order)

    def test_it_lists_only_this_organizations_partners(self, client_for, customer_admin, partner_b):
        ResellerRelationshipFactory(partner=partner_b, customer=CustomerFactory())
        AdminRelationshipFactory(partner=partner_b, customer=CustomerFactory())
        page = client_for(customer_admin).get(LIST).content.decode()
        assert "Litware Partners" not in page
        assert "No partner works with your organization" in page

    def test_ended_relationships_are_kept_as_history(self, client_for, customer_admin, customer):
        old = PartnerFactory(name="Old Partner")
        ResellerRelationshipFactory(partner=old, customer=customer, ended_at=timezone.now())
        AdminRelationshipFactory(
            partner=old,
            customer=customer,
            name="Old roles",
            status=AdminRelationshipStatus.TERMINATED,
            closed_at=timezone.now(),
            closed_by_tenant=customer,
        )
        page = client_for(customer_admin).get(LIST).content.decode()
        history = page.split("Past relationships")[1]
        assert "Old Partner" in history and "Old roles" in history
        assert "Ended by your organization" in history
        assert "Remove roles" not in page

    def test_a_billing_administrator_sees_it_without_the_actions(
        self, client_for, customer_billing_admin, related
    ):
        page = client_for(customer_billing_admin).get(LIST).content.decode()
        assert "Contoso Partners" in page and "Northwind support" in page
        assert "Remove roles" not in page and "End reseller relationship" not in page

    def test_a_plain_user_gets_403_saying_who_may(self, client_for, customer_user):
        response = client_for(customer_user).get(LIST)
        assert response.status_code == 403
        assert (
            b"Only Global administrators, Billing administrators and Delegated Admin "
            b"Relationship Administrators can see partner relationships"
        ) in response.content

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
                every_kind_of_admin_relationship(partner, customer)

        add_partners(2)
        with django_assert_num_queries(LIST_QUERIES):
            page = client.get(LIST)
        assert page.content.decode().count(">Remove roles<") == 4
        add_partners(20)
        with django_assert_num_queries(LIST_QUERIES):
            page = client.get(LIST)
        page = page.content.decode()
        assert page.count("<div>Reseller <span") == 22
        assert page.count("Admin relationship <strong>") == 22 * 6
        assert page.count(">Remove roles<") == 22 * 2


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
