"""Opening a request's link: the token is traded for a session entry and never seen again."""

import logging

import pytest
from django.urls import reverse

from tenancy import services
from tenancy.models import AuditAction, AuditEvent, Invitation, InvitationStatus
from tests.admin_center.conftest import SIGNER, accept_url, link_path, request_url

pytestmark = pytest.mark.django_db


def test_the_link_redirects_to_a_token_free_page(client, invitation):
    token = invitation.token()
    response = client.get(link_path(invitation))
    assert response.status_code == 302
    assert response["Location"] == request_url(invitation)
    assert token not in response["Location"]
    assert str(invitation.pk) in client.session["admin_center.opened_requests"]


def test_a_mail_gateway_fetching_the_link_does_not_mark_it_opened(client, invitation):
    """Fetched signed out, the link and the request's page (the sign-in redirect) record
    nothing: a mail gateway that checks links before a person reads them is nobody opening it."""
    client.get(link_path(invitation))
    client.get(request_url(invitation))
    invitation.refresh_from_db()
    assert invitation.opened_at is None
    assert invitation.display_status() == InvitationStatus.PENDING
    assert not AuditEvent.objects.filter(action=AuditAction.INVITATION_OPENED).exists()


def test_the_first_view_by_a_signed_in_customer_is_recorded_for_the_partner(
    client, invitation, customer_admin
):
    client.force_login(customer_admin)
    client.get(link_path(invitation))
    assert client.get(request_url(invitation)).status_code == 200
    client.get(request_url(invitation))
    invitation.refresh_from_db()
    assert invitation.opened_at is not None
    assert invitation.display_status() == InvitationStatus.OPENED
    [event] = AuditEvent.objects.filter(action=AuditAction.INVITATION_OPENED)
    assert event.actor == customer_admin


def test_anonymous_visitors_sign_in_then_come_back_to_the_request(
    client, invitation, customer_admin, password
):
    client.get(link_path(invitation))
    response = client.get(request_url(invitation))
    assert response.status_code == 302
    sign_in = response["Location"]
    assert sign_in.startswith(reverse("sign-in"))
    assert invitation.token() not in sign_in

    page = client.get(sign_in)
    assert b"Microsoft 365 admin center" in page.content
    assert b"An administrator of your organization must sign in" in page.content

    back = client.post(
        sign_in,
        {
            "username": customer_admin.username,
            "password": password,
            "next": request_url(invitation),
        },
    )
    assert back["Location"] == request_url(invitation)
    assert b"Accept and authorize" in client.get(back["Location"]).content


@pytest.mark.parametrize(
    "query",
    [
        "",
        "?token=",
        "?token=not-a-token",
        "?token=" + "A" * 43,
        "?invType=ResellerRelationship&partnerId=x&msppId=0&DAP=true",
        "?token=%00%ff",
    ],
)
def test_an_unknown_or_mangled_link_gets_a_clear_404(client, invitation, query):
    path = reverse("admin_center:invitation-open")
    response = client.get(path + query)
    assert response.status_code == 404
    assert b"This link doesn&#x27;t work" in response.content
    assert "admin_center.opened_requests" not in client.session


def test_a_link_whose_partner_id_was_edited_does_not_work(client, invitation, partner_b):
    path = link_path(invitation).replace(str(invitation.partner_id), str(partner_b.pk))
    assert client.get(path).status_code == 404


def test_a_revoked_link_stops_working_at_once(client_for, invitation, sales_agent, customer_admin):
    client = client_for(customer_admin)
    client.get(link_path(invitation))
    services.invitation_revoke(invitation=invitation, revoked_by=sales_agent)
    response = client.get(request_url(invitation))
    assert response.status_code == 410
    assert b"withdrawn" in response.content
    assert b"Accept and authorize" not in response.content
    assert client.post(accept_url(invitation), SIGNER).status_code == 410
    assert not Invitation.objects.filter(status=InvitationStatus.ACCEPTED).exists()


def test_a_guessed_request_page_shows_nothing(client_for, invitation, customer_admin):
    """Knowing a request's id is not enough: only the session that opened the link sees it."""
    response = client_for(customer_admin).get(request_url(invitation))
    assert response.status_code == 404
    assert invitation.partner.name.encode() not in response.content


@pytest.mark.parametrize("which", ["open", "request", "refusal"])
def test_request_pages_send_no_referrer_cannot_be_framed_and_load_nothing_from_elsewhere(
    client_for, invitation, customer_admin, which
):
    client = client_for(customer_admin)
    response = client.get(link_path(invitation))
    if which == "request":
        response = client.get(request_url(invitation))
        assert response.status_code == 200
    elif which == "refusal":
        response = client.get(reverse("admin_center:invitation-open") + "?token=nope")
        assert response.status_code == 404
    assert response["Referrer-Policy"] == "no-referrer"
    assert response["X-Frame-Options"] == "DENY"
    policy = response["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in policy
    assert "default-src 'self'" in policy
    assert "no-store" in response["Cache-Control"]


def test_no_page_or_log_line_after_the_link_carries_the_token(
    client, invitation, customer_admin, password, caplog
):
    token = invitation.token()
    caplog.set_level(logging.DEBUG)
    seen = []
    response = client.get(link_path(invitation), follow=True)
    seen += [url for url, _ in response.redirect_chain] + [response.content.decode()]
    response = client.post(
        reverse("sign-in"),
        {
            "username": customer_admin.username,
            "password": password,
            "next": request_url(invitation),
        },
        follow=True,
    )
    seen += [url for url, _ in response.redirect_chain] + [response.content.decode()]
    response = client.post(accept_url(invitation), SIGNER, follow=True)
    seen += [url for url, _ in response.redirect_chain] + [response.content.decode()]
    assert b"Partner relationships" in response.content
    assert not [part for part in seen if token in part]
    assert token not in caplog.text
    assert token not in str(dict(client.session))
