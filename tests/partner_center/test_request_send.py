"""A request's page → Send: the request emailed to its recipient."""

import pytest
from django.core import mail

from tenancy import services
from tenancy.models import AuditAction, AuditEvent
from tests.partner_center.conftest import url

pytestmark = pytest.mark.django_db


def send(client, invitation, **kwargs):
    return client.post(url("request-send", invitation.pk), **kwargs)


def test_it_sends_the_email_to_the_recipient_after_commit(
    client_for, sales_agent, request_of_a, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = send(client_for(sales_agent), request_of_a, follow=True)
    assert len(callbacks) == 1
    assert b"Sent to it@northwind.example" in response.content
    [message] = mail.outbox
    assert message.to == ["it@northwind.example"]
    assert message.subject == services.request_email(request_of_a).subject
    assert request_of_a.link() in message.body
    assert message.alternatives[0].mimetype == "text/html"
    assert AuditEvent.objects.filter(action=AuditAction.INVITATION_SENT).count() == 1


def test_a_request_without_a_recipient_is_not_sent(
    client_for, sales_agent, partner_a, django_capture_on_commit_callbacks
):
    invitation = services.invitation_create(
        partner=partner_a, created_by=sales_agent, include_admin=True
    )
    with django_capture_on_commit_callbacks(execute=True):
        response = send(client_for(sales_agent), invitation, follow=True)
    assert b"has no recipient email" in response.content
    assert mail.outbox == []


def test_a_revoked_request_is_not_sent(
    client_for, sales_agent, request_of_a, django_capture_on_commit_callbacks
):
    services.invitation_revoke(invitation=request_of_a, revoked_by=sales_agent)
    with django_capture_on_commit_callbacks(execute=True):
        response = send(client_for(sales_agent), request_of_a, follow=True)
    assert b"Only a pending request can be sent" in response.content
    assert mail.outbox == []


def test_another_partners_request_is_a_404(client_for, sales_agent, request_of_b):
    assert send(client_for(sales_agent), request_of_b).status_code == 404
    assert mail.outbox == []


@pytest.mark.parametrize("who", ["helpdesk_agent", "partner_global_admin"])
def test_roles_that_may_not_request_get_403(client_for, request_of_a, who, request):
    response = send(client_for(request.getfixturevalue(who)), request_of_a)
    assert response.status_code == 403
    assert mail.outbox == []


def test_it_rejects_get(client_for, sales_agent, request_of_a):
    assert client_for(sales_agent).get(url("request-send", request_of_a.pk)).status_code == 405


def test_csrf_is_enforced(csrf_client, sales_agent, request_of_a):
    assert send(csrf_client(sales_agent), request_of_a).status_code == 403
    assert not AuditEvent.objects.filter(action=AuditAction.INVITATION_SENT).exists()
