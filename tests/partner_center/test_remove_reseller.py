"""A customer's page → Remove reseller relationship (Global admins): confirmed, refused while
subscriptions are active, ended and audited."""

import pytest

from tenancy.models import AuditAction, AuditEvent, ResellerRelationship, SubscriptionStatus
from tests.factories import CustomerFactory, ResellerRelationshipFactory, SubscriptionFactory
from tests.partner_center.conftest import url

pytestmark = pytest.mark.django_db


def remove_url(customer) -> str:
    return url("remove-reseller", customer.pk)


def test_a_global_admin_confirms_and_ends_it(client_for, partner_global_admin, customer, reseller):
    client = client_for(partner_global_admin)
    confirm = client.get(remove_url(customer))
    assert b"Remove the reseller relationship with Northwind Traders?" in confirm.content
    assert b"Remove reseller relationship</button>" in confirm.content
    response = client.post(remove_url(customer), follow=True)
    assert b"The reseller relationship with Northwind Traders has ended" in response.content
    reseller.refresh_from_db()
    assert reseller.ended_at is not None and reseller.ended_by == partner_global_admin
    assert ResellerRelationship.objects.count() == 1  # ended, never deleted
    assert AuditEvent.objects.filter(action=AuditAction.RESELLER_ENDED).count() == 1
    listed = client.get(url("customer-list"), {"relationship": "ended"})
    assert [row.customer for row in listed.context["page"].object_list] == [customer]


def test_it_is_refused_while_subscriptions_are_active(
    client_for, partner_global_admin, partner_a, customer, reseller
):
    SubscriptionFactory(partner=partner_a, customer=customer)
    client = client_for(partner_global_admin)
    confirm = client.get(remove_url(customer)).content
    # The same sentence the customer's side and the service say (one rule, one wording).
    reason = (
        b"Contoso Partners still has 1 active subscription for Northwind Traders. It must be "
        b"suspended or moved to another partner before the reseller relationship can end."
    )
    assert reason in confirm
    assert b"Remove reseller relationship</button>" not in confirm
    response = client.post(remove_url(customer), follow=True)
    assert reason in response.content
    reseller.refresh_from_db()
    assert reseller.is_active


def test_suspended_subscriptions_do_not_stand_in_the_way(
    client_for, partner_global_admin, partner_a, customer, reseller
):
    SubscriptionFactory(partner=partner_a, customer=customer, status=SubscriptionStatus.SUSPENDED)
    client_for(partner_global_admin).post(remove_url(customer))
    reseller.refresh_from_db()
    assert not reseller.is_active


def test_an_ended_relationship_has_nothing_to_remove(
    client_for, partner_global_admin, customer, reseller
):
    client = client_for(partner_global_admin)
    client.post(remove_url(customer))
    again = client.post(remove_url(customer), follow=True)
    assert b"has no active reseller relationship with you" in again.content
    assert AuditEvent.objects.filter(action=AuditAction.RESELLER_ENDED).count() == 1


@pytest.mark.parametrize("who", ["sales_agent", "admin_agent", "helpdesk_agent"])
def test_agents_get_403_saying_who_may(client_for, customer, reseller, who, request):
    client = client_for(request.getfixturevalue(who))
    for response in (client.get(remove_url(customer)), client.post(remove_url(customer))):
        assert response.status_code == 403
        assert b"Only Global admins can remove a reseller relationship" in response.content
    reseller.refresh_from_db()
    assert reseller.is_active


@pytest.mark.parametrize("method", ["get", "post"])
def test_another_partners_customer_is_a_404(client_for, partner_global_admin, partner_b, method):
    theirs = CustomerFactory()
    ResellerRelationshipFactory(partner=partner_b, customer=theirs)
    response = getattr(client_for(partner_global_admin), method)(remove_url(theirs))
    assert response.status_code == 404
    assert ResellerRelationship.objects.active().filter(customer=theirs).exists()


def test_csrf_is_enforced(csrf_client, partner_global_admin, customer, reseller):
    assert csrf_client(partner_global_admin).post(remove_url(customer)).status_code == 403
    reseller.refresh_from_db()
    assert reseller.is_active


def test_it_rejects_other_methods(client_for, partner_global_admin, customer, reseller):
    assert client_for(partner_global_admin).delete(remove_url(customer)).status_code == 405
