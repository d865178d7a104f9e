"""New relationship, the request panel, Send, the requests list and Revoke."""

import html
from datetime import timedelta
from urllib.parse import parse_qs, unquote, urlsplit

import pytest
from django.core import mail
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tenancy import services
from tenancy.models import (
    AuditAction,
    AuditEvent,
    Cloud,
    Invitation,
    InvitationStatus,
    Role,
)
from tests.factories import CustomerFactory, member
from tests.partner_center.conftest import url

pytestmark = pytest.mark.django_db

NEW = url("new-relationship")
LIST = url("request-list")


def panel_link(response) -> str:
    """The link as a person reads it from the panel's text box."""
    page = response.content.decode()
    start = page.index('id="request-link"')
    text = page[page.index(">", start) + 1 : page.index("</textarea>", start)]
    return html.unescape(text).strip()


class TestNewRelationship:
    def test_a_sales_agent_gets_the_email_and_the_link(self, client_for, sales_agent, partner_a):
        client = client_for(sales_agent)
        form = client.get(NEW)
        assert b"Include delegated administration permissions" in form.content
        assert b"checked" in form.content
        response = client.post(NEW, {"include_admin": "on", "label": "Northwind"}, follow=True)
        invitation = Invitation.objects.get()
        assert response.redirect_chain[-1][0] == url("request-detail", invitation.pk)
        assert invitation.created_by == sales_agent and invitation.include_admin
        page = html.unescape(response.content.decode())
        assert "Contoso Partners asks to become your Microsoft reseller" in page
        link = panel_link(response)
        assert link == services.invitation_link(invitation)
        assert services.invitation_find(parse_qs(urlsplit(link).query)["token"][0]) == invitation
        assert link in page  # in the email body too
        for label in ("Copy to clipboard", "Open in email", "Done"):
            assert label in page
        assert "Send</button>" not in page  # no recipient was given

    def test_an_admin_agent_may_too(self, client_for, admin_agent):
        assert client_for(admin_agent).post(NEW, {"label": "x"}).status_code == 302
        assert not Invitation.objects.get().include_admin  # the box was left unticked

    def test_a_helpdesk_agent_gets_403_saying_who_may(self, client_for, helpdesk_agent):
        client = client_for(helpdesk_agent)
        for response in (client.get(NEW), client.post(NEW, {"include_admin": "on"})):
            assert response.status_code == 403
            assert b"Only Admin agents and Sales agents can request a reseller relationship" in (
                response.content
            )
        assert not Invitation.objects.exists()

    def test_a_global_admin_gets_403(self, client_for, partner_global_admin):
        assert client_for(partner_global_admin).post(NEW, {}).status_code == 403

    def test_a_us_government_partner_always_includes_admin_permissions(
        self, client_for, gov_partner
    ):
        agent = member(gov_partner, Role.SALES_AGENT)
        client = client_for(agent)
        form = client.get(NEW).content.decode()
        assert "disabled" in form.split('name="include_admin"')[1].split(">")[0]
        assert "always include delegated administration permissions" in form
        # A forged POST without the box, or with it set to a false value.
        client.post(NEW, {"label": "forged"})
        client.post(NEW, {"label": "forged again", "include_admin": "false"})
        assert list(Invitation.objects.values_list("include_admin", flat=True)) == [True, True]
        link = services.invitation_link(Invitation.objects.first())
        assert "DAP=true" in link and "/office-admin/" in link

    @pytest.mark.parametrize(
        ("data", "field"),
        [
            ({"label": "x" * 201}, "label"),
            ({"recipient_email": "not an email"}, "recipient_email"),
            ({"label": "two\nlines"}, "label"),
        ],
    )
    def test_bad_input_gives_field_errors_and_creates_nothing(
        self, client_for, sales_agent, data, field
    ):
        response = client_for(sales_agent).post(NEW, data)
        assert response.status_code == 400
        assert f'id="id_{field}_error"' in response.content.decode()
        assert not Invitation.objects.exists()

    def test_unicode_labels_are_fine(self, client_for, sales_agent):
        client_for(sales_agent).post(NEW, {"label": "Café Zoë — 東京"})
        assert Invitation.objects.get().label == "Café Zoë — 東京"

    def test_csrf_is_enforced(self, sales_agent):
        client = Client(enforce_csrf_checks=True)
        client.force_login(sales_agent)
        assert client.post(NEW, {"label": "x"}).status_code == 403
        assert not Invitation.objects.exists()

    def test_it_is_audited(self, client_for, sales_agent):
        client_for(sales_agent).post(NEW, {"label": "x"})
        assert AuditEvent.objects.filter(action=AuditAction.INVITATION_CREATED).count() == 1


class TestThePanel:
    def test_open_in_email_carries_subject_body_and_recipient(
        self, client_for, sales_agent, request_of_a
    ):
        response = client_for(sales_agent).get(url("request-detail", request_of_a.pk))
        mailto = html.unescape(response.content.decode().split('href="mailto:')[1].split('"')[0])
        recipient, _, query = mailto.partition("?")
        assert recipient == "it@northwind.example"
        fields = dict(part.split("=", 1) for part in query.split("&"))
        email = services.invitation_email(request_of_a)
        assert unquote(fields["subject"]) == email.subject
        assert unquote(fields["body"]) == email.text
        assert "&" not in fields["body"] and "\n" not in fields["body"]

    def test_it_is_never_cached(self, client_for, sales_agent, request_of_a):
        response = client_for(sales_agent).get(url("request-detail", request_of_a.pk))
        assert "no-store" in response["Cache-Control"]

    def test_another_partners_request_is_a_404(self, client_for, sales_agent, request_of_b):
        assert (
            client_for(sales_agent).get(url("request-detail", request_of_b.pk)).status_code == 404
        )

    def test_an_answered_or_revoked_request_shows_no_link(
        self, client_for, sales_agent, request_of_a
    ):
        services.invitation_revoke(invitation=request_of_a, revoked_by=sales_agent)
        page = client_for(sales_agent).get(url("request-detail", request_of_a.pk)).content
        assert b"request-link" not in page
        assert services.invitation_token(request_of_a).encode() not in page
        assert b"Revoked" in page

    def test_a_helpdesk_agent_gets_403(self, client_for, helpdesk_agent, request_of_a):
        response = client_for(helpdesk_agent).get(url("request-detail", request_of_a.pk))
        assert response.status_code == 403


class TestSend:
    def test_it_sends_the_email_to_the_recipient_after_commit(
        self, client_for, sales_agent, request_of_a, django_capture_on_commit_callbacks
    ):
        with django_capture_on_commit_callbacks(execute=True):
            response = client_for(sales_agent).post(
                url("request-send", request_of_a.pk), follow=True
            )
        assert b"Sent to it@northwind.example" in response.content
        [message] = mail.outbox
        assert message.to == ["it@northwind.example"]
        assert services.invitation_link(request_of_a) in message.body
        assert message.alternatives[0].mimetype == "text/html"

    def test_it_rejects_get(self, client_for, sales_agent, request_of_a):
        assert client_for(sales_agent).get(url("request-send", request_of_a.pk)).status_code == 405

    def test_another_partners_request_is_a_404(self, client_for, sales_agent, request_of_b):
        assert client_for(sales_agent).post(url("request-send", request_of_b.pk)).status_code == 404
        assert mail.outbox == []

    def test_csrf_is_enforced(self, sales_agent, request_of_a):
        client = Client(enforce_csrf_checks=True)
        client.force_login(sales_agent)
        assert client.post(url("request-send", request_of_a.pk)).status_code == 403


class TestTheList:
    def test_it_shows_each_status_and_who_answered(
        self, client_for, sales_agent, partner_a, customer_admin
    ):
        def make(label):
            return services.invitation_create(
                partner=partner_a, created_by=sales_agent, include_admin=False, label=label
            )

        make("still pending")
        opened = make("opened one")
        services.invitation_record_open(invitation=opened)
        accepted = make("accepted one")
        services.invitation_accept(
            invitation_id=accepted.pk,
            user=customer_admin,
            signer=services.Signer("A", "B", "a@b.example"),
            client_ip=None,
            portal_cloud=Cloud.PUBLIC,
        )
        services.invitation_revoke(invitation=make("revoked one"), revoked_by=sales_agent)
        expired = make("expired one")
        Invitation.objects.filter(pk=expired.pk).update(expires_at=timezone.now() - timedelta(1))

        response = client_for(sales_agent).get(LIST)
        statuses = {inv.label: status for inv, status in response.context["rows"]}
        assert statuses == {
            "still pending": InvitationStatus.PENDING,
            "opened one": InvitationStatus.OPENED,
            "accepted one": InvitationStatus.ACCEPTED,
            "revoked one": InvitationStatus.REVOKED,
            "expired one": InvitationStatus.EXPIRED,
        }
        page = response.content.decode()
        assert "Northwind Traders" in page and customer_admin.username in page

        expired_only = client_for(sales_agent).get(LIST, {"status": "expired"})
        assert [inv.label for inv, _ in expired_only.context["rows"]] == ["expired one"]
        opened_only = client_for(sales_agent).get(LIST, {"status": "opened"})
        assert [inv.label for inv, _ in opened_only.context["rows"]] == ["opened one"]

    def test_it_shows_only_own_requests(self, client_for, sales_agent, request_of_a, request_of_b):
        rows = client_for(sales_agent).get(LIST).context["rows"]
        assert [invitation for invitation, _ in rows] == [request_of_a]

    def test_its_query_count_does_not_grow(self, client_for, sales_agent, partner_a):
        client = client_for(sales_agent)

        def make(n):
            for i in range(n):
                services.invitation_create(
                    partner=partner_a,
                    created_by=member(partner_a, Role.SALES_AGENT),
                    include_admin=True,
                    label=f"r{i}",
                )

        make(2)
        with CaptureQueriesContext(connection) as few:
            client.get(LIST)
        make(20)
        with CaptureQueriesContext(connection) as many:
            client.get(LIST)
        assert len(many) == len(few)

    def test_a_bad_status_filter_is_ignored(self, client_for, sales_agent, request_of_a):
        assert client_for(sales_agent).get(LIST, {"status": "bogus"}).status_code == 200

    def test_a_helpdesk_agent_gets_403(self, client_for, helpdesk_agent):
        assert client_for(helpdesk_agent).get(LIST).status_code == 403


class TestRevoke:
    def test_it_confirms_then_revokes_and_the_link_stops_working(
        self, client_for, sales_agent, request_of_a, customer_admin
    ):
        client = client_for(sales_agent)
        confirm = client.get(url("request-revoke", request_of_a.pk))
        assert b"Revoke this request?" in confirm.content
        response = client.post(url("request-revoke", request_of_a.pk), follow=True)
        assert b"Its link no longer works" in response.content
        request_of_a.refresh_from_db()
        assert request_of_a.status == InvitationStatus.REVOKED
        assert request_of_a.revoked_by == sales_agent
        assert AuditEvent.objects.filter(action=AuditAction.INVITATION_REVOKED).count() == 1
        # The customer's side: the link finds the request, which refuses to be answered.
        refusal = services.invitation_refusal(
            invitation=request_of_a, membership=customer_admin.membership, portal_cloud="public"
        )
        assert refusal.code == "revoked"

    def test_another_partners_request_is_a_404(self, client_for, sales_agent, request_of_b):
        assert (
            client_for(sales_agent).post(url("request-revoke", request_of_b.pk)).status_code == 404
        )
        request_of_b.refresh_from_db()
        assert request_of_b.status == InvitationStatus.PENDING

    @pytest.mark.parametrize("who", ["helpdesk_agent", "partner_global_admin"])
    def test_other_roles_get_403(self, client_for, request_of_a, who, request):
        user = request.getfixturevalue(who)
        assert client_for(user).post(url("request-revoke", request_of_a.pk)).status_code == 403
        request_of_a.refresh_from_db()
        assert request_of_a.status == InvitationStatus.PENDING

    def test_an_answered_request_cannot_be_revoked(
        self, client_for, sales_agent, request_of_a, customer_admin
    ):
        services.invitation_decline(
            invitation_id=request_of_a.pk, user=customer_admin, portal_cloud=Cloud.PUBLIC
        )
        response = client_for(sales_agent).post(url("request-revoke", request_of_a.pk), follow=True)
        assert b"already declined" in response.content
        request_of_a.refresh_from_db()
        assert request_of_a.status == InvitationStatus.DECLINED

    def test_csrf_is_enforced(self, sales_agent, request_of_a):
        client = Client(enforce_csrf_checks=True)
        client.force_login(sales_agent)
        assert client.post(url("request-revoke", request_of_a.pk)).status_code == 403


def test_customers_of_other_markets_still_cannot_use_a_link(client_for, sales_agent, request_of_a):
    """The panel's link is for the partner's market: a Canadian organization is refused."""
    canadian = member(CustomerFactory(country_id="CA"), Role.CUSTOMER_GLOBAL_ADMIN)
    refusal = services.invitation_refusal(
        invitation=request_of_a, membership=canadian.membership, portal_cloud=Cloud.PUBLIC
    )
    assert refusal.code == "market"


class TestKeyRotation:
    def test_the_same_link_is_shown_again_after_a_rotation_with_fallbacks(
        self, client_for, sales_agent, request_of_a, settings
    ):
        before = services.invitation_link(request_of_a)
        settings.SECRET_KEY_FALLBACKS = [settings.SECRET_KEY]
        settings.SECRET_KEY = "a rotated secret key, long enough for the tests only"
        response = client_for(sales_agent).get(url("request-detail", request_of_a.pk))
        assert panel_link(response) == before
        token = parse_qs(urlsplit(before).query)["token"][0]
        assert services.invitation_find(token) == request_of_a

    def test_once_the_old_key_is_retired_the_panel_says_so(
        self, client_for, sales_agent, request_of_a, settings
    ):
        token = services.invitation_token(request_of_a)
        settings.SECRET_KEY = "a rotated secret key, long enough for the tests only"
        settings.SECRET_KEY_FALLBACKS = []
        response = client_for(sales_agent).get(url("request-detail", request_of_a.pk))
        assert response.status_code == 200
        assert b"can no longer be shown" in response.content
        assert b'id="request-link"' not in response.content
        assert services.invitation_find(token) is None
