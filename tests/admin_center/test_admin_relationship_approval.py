"""Approve partner roles: a partner's admin relationship request opened from its link, approved
("Approve all") or declined by a Global administrator, and every refusal on the way."""

import html
import logging
from datetime import timedelta
from urllib.parse import urlencode

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import dateformat, timezone

from tenancy import services
from tenancy.models import (
    HELPDESK_ADMINISTRATOR,
    LICENSE_ADMINISTRATOR,
    AdminRelationship,
    AdminRelationshipStatus,
    AuditAction,
    AuditEvent,
    Cloud,
    Role,
)
from tests.admin_center.conftest import link_path
from tests.factories import (
    AdminRelationshipFactory,
    CustomerFactory,
    factory_admin_token,
    member,
)

pytestmark = pytest.mark.django_db

OPENED = "admin_center.opened_admin_requests"
ROLES = [HELPDESK_ADMINISTRATOR, LICENSE_ADMINISTRATOR]


def open_path(relationship, token=None, portal="admin_center") -> str:
    path = reverse("admin_center:gdap-open", args=[relationship.pk], current_app=portal)
    token = factory_admin_token(relationship) if token is None else token
    return f"{path}?{urlencode({'token': token})}"


def request_url(relationship, portal="admin_center") -> str:
    return reverse("admin_center:gdap-request", args=[relationship.pk], current_app=portal)


def approve_url(relationship, portal="admin_center") -> str:
    return reverse("admin_center:gdap-approve", args=[relationship.pk], current_app=portal)


def decline_url(relationship, portal="admin_center") -> str:
    return reverse("admin_center:gdap-decline", args=[relationship.pk], current_app=portal)


def day(moment) -> str:
    return dateformat.format(timezone.localtime(moment), "F j, Y")


@pytest.fixture
def admin_request(partner_a, admin_agent):
    """A finalized request "for any customer", waiting for an answer."""
    return AdminRelationshipFactory(
        partner=partner_a,
        customer=None,
        pending=True,
        name="Northwind helpdesk",
        roles=ROLES,
        duration_days=180,
        auto_extend=True,
        created_by=admin_agent,
        finalized_by=admin_agent,
    )


@pytest.fixture
def opened(client_for):
    """`opened(user, relationship)`: a client signed in as `user` that has opened the link."""

    def open_as(user, relationship, portal="admin_center"):
        client = client_for(user)
        response = client.get(open_path(relationship, portal=portal))
        assert response.status_code == 302, response.content
        return client

    return open_as


def unanswered(relationship):
    relationship.refresh_from_db()
    assert relationship.status == AdminRelationshipStatus.APPROVAL_PENDING
    assert relationship.customer is None and relationship.approved_at is None
    assert not mail.outbox


class TestOpeningTheLink:
    def test_the_link_redirects_to_a_token_free_page(self, client, admin_request):
        token = factory_admin_token(admin_request)
        response = client.get(link_path(admin_request))
        assert response.status_code == 302
        assert response["Location"] == request_url(admin_request)
        assert token not in response["Location"]
        assert client.session[OPENED] == [str(admin_request.pk)]
        assert response["Referrer-Policy"] == "no-referrer"
        assert "no-store" in response["Cache-Control"]

    def test_the_sessions_list_of_opened_requests_is_bounded(self, client, partner_a):
        requests = [
            AdminRelationshipFactory(partner=partner_a, customer=None, pending=True)
            for _ in range(22)
        ]
        for relationship in requests:
            client.get(open_path(relationship))
        assert client.session[OPENED] == [str(r.pk) for r in requests[-20:]]

    def test_anonymous_visitors_sign_in_then_come_back_to_the_request(
        self, client, admin_request, customer_admin, password
    ):
        client.get(open_path(admin_request))
        response = client.get(request_url(admin_request))
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("sign-in"))
        back = client.post(
            response["Location"],
            {
                "username": customer_admin.username,
                "password": password,
                "next": request_url(admin_request),
            },
        )
        assert back["Location"] == request_url(admin_request)
        assert b"Approve all" in client.get(back["Location"]).content

    def test_no_page_or_log_line_after_the_link_carries_the_token(
        self, client, admin_request, customer_admin, password, caplog
    ):
        token = factory_admin_token(admin_request)
        caplog.set_level(logging.DEBUG)
        seen = []
        response = client.get(open_path(admin_request), follow=True)
        seen += [url for url, _ in response.redirect_chain] + [response.content.decode()]
        response = client.post(
            reverse("sign-in"),
            {
                "username": customer_admin.username,
                "password": password,
                "next": request_url(admin_request),
            },
            follow=True,
        )
        seen += [url for url, _ in response.redirect_chain] + [response.content.decode()]
        response = client.post(approve_url(admin_request), follow=True)
        seen += [url for url, _ in response.redirect_chain] + [response.content.decode()]
        assert b"Partner relationships" in response.content
        assert not [part for part in seen if token in part]
        assert token not in caplog.text
        assert token not in str(dict(client.session))

    @pytest.mark.parametrize(
        "token", ["", "not-a-token", "A" * 43, "%00%ff", "another request's token"]
    )
    def test_a_bad_token_is_the_unknown_link_page(self, client, admin_request, partner_a, token):
        if token == "another request's token":
            other = AdminRelationshipFactory(partner=partner_a, customer=None, pending=True)
            token = factory_admin_token(other)
        response = client.get(open_path(admin_request, token=token))
        assert response.status_code == 404
        assert b"This link doesn&#x27;t work" in response.content
        assert OPENED not in client.session
        assert response["Referrer-Policy"] == "no-referrer"

    def test_a_guessed_id_without_opening_the_link_shows_nothing(
        self, client_for, admin_request, customer_admin
    ):
        client = client_for(customer_admin)
        response = client.get(request_url(admin_request))
        assert response.status_code == 404
        assert b"Open the request from its link" in response.content
        assert b"Contoso Partners" not in response.content
        assert client.post(approve_url(admin_request)).status_code == 404
        assert client.post(decline_url(admin_request)).status_code == 404
        unanswered(admin_request)


class TestTheRequestPage:
    def test_it_shows_the_partner_the_roles_with_their_meanings_and_the_duration(
        self, opened, admin_request, customer_admin, partner_a
    ):
        response = opened(customer_admin, admin_request).get(request_url(admin_request))
        assert response.status_code == 200
        assert response["Referrer-Policy"] == "no-referrer"
        assert "no-store" in response["Cache-Control"]
        page = html.unescape(response.content.decode())
        assert "<h1>Approve partner roles</h1>" in page
        assert "Contoso Partners" in page and "United States" in page
        assert str(partner_a.mpn_id) in page
        assert "Northwind helpdesk" in page
        for role in admin_request.role_infos:
            assert f"<strong>{role.name}</strong>: {role.meaning}" in page
        assert "Global Administrator" not in page
        assert "180 days" in page
        assert day(timezone.now() + timedelta(days=180)) in page
        assert "extended by 180 more days, each time, until you or the partner end it" in page
        assert "Approve all" in page and "Decline" in page
        assert f'action="{approve_url(admin_request)}"' in page

    def test_global_administrator_in_the_roles_is_pointed_out(
        self, opened, partner_a, customer_admin
    ):
        from tenancy.models import GLOBAL_ADMINISTRATOR

        relationship = AdminRelationshipFactory(
            partner=partner_a, customer=None, pending=True, roles=[GLOBAL_ADMINISTRATOR]
        )
        page = opened(customer_admin, relationship).get(request_url(relationship))
        assert b"This request includes Global Administrator" in page.content
        assert b"No: the roles end on that date" in page.content


class TestApprove:
    def test_approve_all_binds_the_customer_and_tells_the_partners_agent(
        self,
        opened,
        admin_request,
        customer,
        customer_admin,
        admin_agent,
        django_capture_on_commit_callbacks,
    ):
        client = opened(customer_admin, admin_request)
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(approve_url(admin_request), follow=True)
        assert response.redirect_chain[-1][0] == reverse("admin_center:partner-relationships")
        page = html.unescape(response.content.decode())
        assert "You approved “Northwind helpdesk”: Contoso Partners holds the roles" in page
        assert "Northwind helpdesk" in page and "Active" in page

        admin_request.refresh_from_db()
        assert admin_request.status == AdminRelationshipStatus.ACTIVE
        assert admin_request.customer == customer
        assert admin_request.approved_by == customer_admin
        assert admin_request.ends_at == admin_request.approved_at + timedelta(days=180)
        event = AuditEvent.objects.get(action=AuditAction.ADMIN_APPROVED)
        assert (event.actor, event.actor_tenant, event.customer) == (
            customer_admin,
            customer,
            customer,
        )
        [email] = mail.outbox
        assert email.to == [admin_agent.email]
        assert email.subject == (
            'Northwind Traders approved your admin relationship "Northwind helpdesk"'
        )
        assert "Helpdesk Administrator, License Administrator" in email.body
        assert customer_admin.username in email.body
        assert OPENED not in client.session or not client.session[OPENED]

    def test_the_same_organization_is_told_it_already_approved(
        self, opened, admin_request, customer_admin
    ):
        opened(customer_admin, admin_request).post(approve_url(admin_request))
        client = opened(customer_admin, admin_request)
        response = client.get(request_url(admin_request))
        assert response.status_code == 409
        assert b"Your organization already approved this request" in response.content
        assert b"Go to Partner relationships" in response.content
        assert client.post(approve_url(admin_request)).status_code == 409
        assert AuditEvent.objects.filter(action=AuditAction.ADMIN_APPROVED).count() == 1

    def test_another_organization_is_told_it_was_answered_without_names(
        self, opened, admin_request, customer_admin
    ):
        opened(customer_admin, admin_request).post(approve_url(admin_request))
        other = member(CustomerFactory(name="Fourth Coffee"), Role.CUSTOMER_GLOBAL_ADMIN)
        client = opened(other, admin_request)
        response = client.get(request_url(admin_request))
        assert response.status_code == 409
        assert b"This request was already answered" in response.content
        assert b"Northwind" not in response.content
        assert customer_admin.username.encode() not in response.content
        assert client.post(approve_url(admin_request)).status_code == 409
        admin_request.refresh_from_db()
        assert admin_request.customer.name == "Northwind Traders"

    def test_it_rejects_get(self, opened, admin_request, customer_admin):
        client = opened(customer_admin, admin_request)
        assert client.get(approve_url(admin_request)).status_code == 405

    def test_csrf_is_enforced(self, admin_request, customer_admin):
        client = Client(enforce_csrf_checks=True)
        client.force_login(customer_admin)
        client.get(open_path(admin_request))
        assert client.post(approve_url(admin_request)).status_code == 403
        unanswered(admin_request)


class TestDecline:
    def test_it_confirms_then_declines_and_tells_the_partner(
        self,
        opened,
        admin_request,
        customer,
        customer_admin,
        admin_agent,
        django_capture_on_commit_callbacks,
    ):
        client = opened(customer_admin, admin_request)
        confirm = client.get(decline_url(admin_request))
        assert confirm.status_code == 200
        assert (
            b"Decline Contoso Partners' request for admin roles?"
            in html.unescape(confirm.content.decode()).encode()
        )
        assert confirm["Referrer-Policy"] == "no-referrer"
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(decline_url(admin_request), follow=True)
        assert response.redirect_chain[-1][0] == reverse("admin_center:partner-relationships")
        page = html.unescape(response.content.decode())
        assert "You declined the admin relationship request “Northwind helpdesk”" in page
        assert "We've told the partner" in page

        admin_request.refresh_from_db()
        assert admin_request.status == AdminRelationshipStatus.DECLINED
        assert admin_request.customer == customer
        assert admin_request.closed_by == customer_admin
        assert AuditEvent.objects.filter(action=AuditAction.ADMIN_DECLINED).count() == 1
        [email] = mail.outbox
        assert email.to == [admin_agent.email]
        assert "declined your admin relationship request" in email.subject
        assert "No roles were granted" in email.body

    def test_a_declined_request_cannot_be_approved_after(
        self, opened, admin_request, customer_admin
    ):
        opened(customer_admin, admin_request).post(decline_url(admin_request))
        client = opened(customer_admin, admin_request)
        response = client.post(approve_url(admin_request))
        assert response.status_code == 409
        assert b"Your organization already declined this request" in response.content
        assert not AdminRelationship.objects.in_force().exists()


class TestRefusals:
    def test_a_billing_administrator_is_sent_to_a_global_administrator(
        self, opened, admin_request, customer_billing_admin
    ):
        client = opened(customer_billing_admin, admin_request)
        response = client.get(request_url(admin_request))
        assert response.status_code == 403
        page = html.unescape(response.content.decode())
        assert "Your role can't approve admin roles" in page
        assert (
            "Only Global administrators and Delegated Admin Relationship Administrators can "
            "approve or decline"
        ) in page
        assert "Forward the partner's email to someone in Northwind Traders who can" in page
        assert "Approve all" not in page
        assert client.post(approve_url(admin_request)).status_code == 403
        assert client.post(decline_url(admin_request)).status_code == 403
        unanswered(admin_request)
        refused = AuditEvent.objects.filter(action=AuditAction.ADMIN_REFUSED)
        assert [e.details["reason"] for e in refused] == ["role"]  # once, however many tries

    def test_a_partner_account_is_told_to_sign_in_as_the_customer(
        self, opened, admin_request, agent_b
    ):
        response = opened(agent_b, admin_request).get(request_url(admin_request))
        assert response.status_code == 403
        assert b"partner organization" in response.content

    def test_a_withdrawn_request_is_gone(self, opened, admin_request, customer_admin, admin_agent):
        client = opened(customer_admin, admin_request)
        services.admin_relationship_withdraw(relationship=admin_request, withdrawn_by=admin_agent)
        response = client.get(request_url(admin_request))
        assert response.status_code == 410
        assert b"This request was withdrawn" in response.content
        assert client.post(approve_url(admin_request)).status_code == 410
        admin_request.refresh_from_db()
        assert admin_request.status == AdminRelationshipStatus.WITHDRAWN

    def test_a_request_finalized_91_days_ago_has_expired(self, opened, partner_a, customer_admin):
        relationship = AdminRelationshipFactory(
            partner=partner_a,
            customer=None,
            pending=True,
            created_at=timezone.now() - timedelta(days=91),
        )
        client = opened(customer_admin, relationship)
        response = client.get(request_url(relationship))
        assert response.status_code == 410
        assert b"This request has expired" in response.content
        assert day(relationship.request_expires_at()).encode() in response.content
        assert client.post(approve_url(relationship)).status_code == 410
        unanswered(relationship)

    def test_a_request_made_for_another_customer_is_refused(
        self, opened, partner_a, customer_admin
    ):
        fourth = CustomerFactory(name="Fourth Coffee")
        relationship = AdminRelationshipFactory(partner=partner_a, customer=fourth, pending=True)
        client = opened(customer_admin, relationship)
        response = client.get(request_url(relationship))
        assert response.status_code == 403
        assert b"This request is for another organization" in response.content
        assert client.post(approve_url(relationship)).status_code == 403
        relationship.refresh_from_db()
        assert relationship.status == AdminRelationshipStatus.APPROVAL_PENDING
        assert relationship.customer == fourth

    def test_a_us_government_partners_link_opened_in_the_public_admin_center(
        self, client_for, gov_partner
    ):
        relationship = AdminRelationshipFactory(partner=gov_partner, customer=None, pending=True)
        gov_admin = member(CustomerFactory(cloud=Cloud.USGOV), Role.CUSTOMER_GLOBAL_ADMIN)
        client = client_for(gov_admin)
        assert link_path(relationship).startswith("/office-admin/")
        client.get(link_path(relationship).replace("/office-admin/", "/admin-center/"))
        response = client.get(request_url(relationship, portal="admin_center"))
        assert response.status_code == 400
        assert b"Open this request in the Microsoft Office Admin portal" in response.content
        assert client.post(approve_url(relationship, portal="admin_center")).status_code == 400

        # The same link as the partner sent it: the Office Admin portal, where it is approved.
        client.get(link_path(relationship))
        page = client.get(request_url(relationship, portal="office_admin"))
        assert page.status_code == 200
        assert b"Microsoft Office Admin portal" in page.content
        assert b"Microsoft 365 admin center" not in page.content
        done = client.post(approve_url(relationship, portal="office_admin"), follow=True)
        assert done.redirect_chain[-1][0] == reverse(
            "admin_center:partner-relationships", current_app="office_admin"
        )
        relationship.refresh_from_db()
        assert relationship.status == AdminRelationshipStatus.ACTIVE

    def test_the_wrong_portal_is_told_before_sign_in(self, client, gov_partner):
        relationship = AdminRelationshipFactory(partner=gov_partner, customer=None, pending=True)
        client.get(link_path(relationship).replace("/office-admin/", "/admin-center/"))
        response = client.get(request_url(relationship))
        assert response.status_code == 400
        assert b"Microsoft Office Admin portal" in response.content
