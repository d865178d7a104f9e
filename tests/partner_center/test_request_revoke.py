"""Relationship requests → Revoke: a confirmation, then the request's link stops working."""

from urllib.parse import urlsplit

import pytest

from tenancy import services
from tenancy.models import AuditAction, AuditEvent, Cloud, InvitationStatus
from tests.partner_center.conftest import url

pytestmark = pytest.mark.django_db


def revoke_url(invitation) -> str:
    return url("request-revoke", invitation.pk)


def test_revoking_makes_the_link_stop_working(
    client_for, sales_agent, request_of_a, customer_admin
):
    client = client_for(sales_agent)
    link = request_of_a.link()
    token = request_of_a.token()

    confirm = client.get(revoke_url(request_of_a))
    assert b"Revoke this request?" in confirm.content
    assert b'<form method="post"' in confirm.content
    done = client.post(revoke_url(request_of_a), follow=True)
    assert b"Its link no longer works" in done.content

    request_of_a.refresh_from_db()
    assert request_of_a.status == InvitationStatus.REVOKED
    assert request_of_a.revoked_by == sales_agent
    # The link still leads to the request, which now refuses to be answered.
    assert services.invitation_find(token) == request_of_a
    refusal = services.RESELLER_REQUESTS.refusal(
        request=request_of_a, membership=customer_admin.membership, portal_cloud=Cloud.PUBLIC
    )
    assert refusal.code == "revoked"
    with pytest.raises(services.RequestRefused):
        services.invitation_accept(
            invitation_id=request_of_a.pk,
            user=customer_admin,
            signer=services.Signer("Nancy", "Davolio", "nancy@northwind.example"),
            client_ip=None,
            portal_cloud=Cloud.PUBLIC,
        )
    # And the customer's administrator who opens the link is told so.
    customer = client_for(customer_admin)
    parts = urlsplit(link)
    opened = customer.get(f"{parts.path}?{parts.query}", follow=True)
    assert opened.status_code == 410
    assert b"withdrawn" in opened.content


def test_it_is_audited(client_for, sales_agent, request_of_a):
    client_for(sales_agent).post(revoke_url(request_of_a))
    event = AuditEvent.objects.get(action=AuditAction.INVITATION_REVOKED)
    assert (event.actor, event.invitation_id) == (sales_agent, request_of_a.pk)


def test_an_answered_request_cannot_be_revoked(
    client_for, sales_agent, request_of_a, customer_admin
):
    services.invitation_decline(
        invitation_id=request_of_a.pk, user=customer_admin, portal_cloud=Cloud.PUBLIC
    )
    client = client_for(sales_agent)
    assert b"nothing to revoke" in client.get(revoke_url(request_of_a)).content
    response = client.post(revoke_url(request_of_a), follow=True)
    assert b"already declined" in response.content
    request_of_a.refresh_from_db()
    assert request_of_a.status == InvitationStatus.DECLINED


@pytest.mark.parametrize("method", ["get", "post"])
def test_another_partners_request_is_a_404(client_for, sales_agent, request_of_b, method):
    response = getattr(client_for(sales_agent), method)(revoke_url(request_of_b))
    assert response.status_code == 404
    request_of_b.refresh_from_db()
    assert request_of_b.status == InvitationStatus.PENDING


@pytest.mark.parametrize("who", ["helpdesk_agent", "partner_global_admin"])
def test_other_roles_get_403_saying_who_may(client_for, request_of_a, who, request):
    response = client_for(request.getfixturevalue(who)).post(revoke_url(request_of_a))
    assert response.status_code == 403
    assert b"Only Admin agents and Sales agents can revoke a relationship request" in (
        response.content
    )
    request_of_a.refresh_from_db()
    assert request_of_a.status == InvitationStatus.PENDING


def test_an_admin_agent_may_revoke_a_sales_agents_request(client_for, admin_agent, request_of_a):
    client_for(admin_agent).post(revoke_url(request_of_a))
    request_of_a.refresh_from_db()
    assert request_of_a.status == InvitationStatus.REVOKED


def test_csrf_is_enforced(csrf_client, sales_agent, request_of_a):
    assert csrf_client(sales_agent).post(revoke_url(request_of_a)).status_code == 403
    request_of_a.refresh_from_db()
    assert request_of_a.status == InvitationStatus.PENDING


def test_it_rejects_other_methods(client_for, sales_agent, request_of_a):
    assert client_for(sales_agent).delete(revoke_url(request_of_a)).status_code == 405
