"""Accept and authorize, Decline: one transaction each, bad input changes nothing."""

import html
import uuid

import pytest
from django.core import mail
from django.test import Client

from tenancy.models import (
    AdminRelationship,
    AgreementAcceptance,
    AuditAction,
    AuditEvent,
    CustomerListRow,
    CustomerState,
    Invitation,
    InvitationStatus,
    ResellerRelationship,
)
from tests.admin_center.conftest import SIGNER, accept_url, decline_url, link_path, request_url

pytestmark = pytest.mark.django_db


def nothing_changed(invitation):
    invitation.refresh_from_db()
    assert invitation.status == InvitationStatus.PENDING
    assert not ResellerRelationship.objects.exists()
    assert not AgreementAcceptance.objects.exists()


class TestAccept:
    def test_a_global_administrator_accepts_and_the_partner_sees_it(
        self,
        opened,
        invitation,
        customer,
        customer_admin,
        partner_a,
        django_capture_on_commit_callbacks,
    ):
        client = opened(customer_admin, invitation)
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(accept_url(invitation), SIGNER, follow=True)
        assert response.status_code == 200
        assert response.redirect_chain[-1][0].endswith("/settings/partner-relationships/")
        page = response.content.decode()
        assert "Contoso Partners is now your organization&#x27;s reseller" in page
        assert "Contoso Partners" in page and "Helpdesk Administrator" in page

        # The partner's side: the customer in its list, the request accepted and by whom.
        row = CustomerListRow.objects.get(partner=partner_a, customer=customer)
        assert row.is_active and row.state == CustomerState.RESELLER and row.has_admin
        invitation.refresh_from_db()
        assert invitation.display_status() == InvitationStatus.ACCEPTED
        assert invitation.answered_by == customer_admin
        assert invitation.answered_tenant == customer
        acceptance = AgreementAcceptance.objects.get(customer=customer)
        assert acceptance.signer_name == "Nancy Davolio"
        assert acceptance.signer_phone == "+1 425 555 0100"
        assert acceptance.client_ip == "127.0.0.1"
        [email] = mail.outbox
        assert email.to == [invitation.created_by.email]

    def test_a_billing_administrator_accepts_a_reseller_only_request(
        self, opened, reseller_only, customer_billing_admin
    ):
        response = opened(customer_billing_admin, reseller_only).post(
            accept_url(reseller_only), SIGNER
        )
        assert response.status_code == 302
        assert ResellerRelationship.objects.active().count() == 1
        assert not AdminRelationship.objects.exists()

    @pytest.mark.parametrize(
        ("field", "value", "error"),
        [
            ("first_name", "", "This field is required"),
            ("last_name", "   ", "This field is required"),
            ("email", "not-an-email", "Enter a valid email address"),
            ("first_name", "x" * 101, "at most 100 characters"),
            ("phone", "call me maybe", "Use digits"),
            ("accept", "", "Tick the box to accept the agreement"),
            ("first_name", "a\x00b", "Null characters are not allowed"),
        ],
    )
    def test_bad_signer_input_is_shown_next_to_the_field_and_changes_nothing(
        self, opened, invitation, customer_admin, field, value, error
    ):
        data = SIGNER | {field: value}
        if field == "accept" and not value:
            del data["accept"]
        response = opened(customer_admin, invitation).post(accept_url(invitation), data)
        assert response.status_code == 400
        page = response.content.decode()
        assert error in page
        assert f'id="id_{field}_error"' in page
        assert 'aria-invalid="true"' in page
        nothing_changed(invitation)

    def test_unicode_signers_are_welcome(self, opened, invitation, customer_admin):
        data = SIGNER | {"first_name": "Zoë", "last_name": "Łukasiewicz-Ōtani 山田"}
        assert (
            opened(customer_admin, invitation).post(accept_url(invitation), data).status_code == 302
        )
        assert AgreementAcceptance.objects.get().signer_last_name == "Łukasiewicz-Ōtani 山田"

    def test_a_forged_invitation_id_is_a_404(self, opened, invitation, customer_admin):
        client = opened(customer_admin, invitation)
        forged = accept_url(invitation).replace(str(invitation.pk), str(uuid.uuid4()))
        assert client.post(forged, SIGNER).status_code == 404
        assert (
            client.post(
                accept_url(invitation).replace(str(invitation.pk), "nope"), SIGNER
            ).status_code
            == 404
        )
        nothing_changed(invitation)

    def test_another_partners_request_not_opened_here_is_a_404(
        self, opened, client_for, invitation, customer_admin, partner_b, agent_b
    ):
        from tenancy import services

        theirs = services.invitation_create(
            partner=partner_b, created_by=agent_b, include_admin=False
        )
        client = opened(customer_admin, invitation)
        assert client.post(accept_url(theirs), SIGNER).status_code == 404
        assert not Invitation.objects.filter(
            pk=theirs.pk, status=InvitationStatus.ACCEPTED
        ).exists()

    def test_it_rejects_get(self, opened, invitation, customer_admin):
        assert opened(customer_admin, invitation).get(accept_url(invitation)).status_code == 405

    def test_csrf_is_enforced(self, invitation, customer_admin):
        client = Client(enforce_csrf_checks=True)
        client.force_login(customer_admin)
        client.get(link_path(invitation))
        assert client.post(accept_url(invitation), SIGNER).status_code == 403
        nothing_changed(invitation)

    def test_anonymous_posts_are_sent_to_sign_in(self, client, invitation):
        client.get(link_path(invitation))
        response = client.post(accept_url(invitation), SIGNER)
        assert response.status_code == 302
        assert "/sign-in/" in response["Location"]
        nothing_changed(invitation)


class TestDecline:
    def test_it_asks_first_then_records_the_answer_and_tells_the_agent(
        self, opened, invitation, customer_admin, django_capture_on_commit_callbacks
    ):
        client = opened(customer_admin, invitation)
        confirm = client.get(decline_url(invitation))
        assert confirm.status_code == 200
        assert "Decline Contoso Partners' request?" in html.unescape(confirm.content.decode())
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(decline_url(invitation), follow=True)
        assert b"You declined the request from Contoso Partners" in response.content
        invitation.refresh_from_db()
        assert invitation.status == InvitationStatus.DECLINED
        assert invitation.answered_by == customer_admin
        assert not ResellerRelationship.objects.exists()
        assert AuditEvent.objects.filter(action=AuditAction.INVITATION_DECLINED).count() == 1
        [email] = mail.outbox
        assert "declined" in email.subject
        # The link is used up.
        client.get(link_path(invitation))
        assert client.get(request_url(invitation)).status_code == 409

    def test_a_plain_user_cannot_decline(self, opened, reseller_only, customer_user):
        client = opened(customer_user, reseller_only)
        assert client.post(decline_url(reseller_only)).status_code == 403
        nothing_changed(reseller_only)

    def test_csrf_is_enforced(self, invitation, customer_admin):
        client = Client(enforce_csrf_checks=True)
        client.force_login(customer_admin)
        client.get(link_path(invitation))
        assert client.post(decline_url(invitation)).status_code == 403
        nothing_changed(invitation)


class TestFormPostsFromNoReferrerPages:
    """Request pages send no Referer, so browsers post their forms with `Origin: null`."""

    def post_as_browser(self, invitation, user, **headers):
        client = Client(enforce_csrf_checks=True)
        client.force_login(user)
        client.get(link_path(invitation))
        client.get(request_url(invitation))
        token = client.cookies["csrftoken"].value
        return client.post(
            accept_url(invitation), SIGNER | {"csrfmiddlewaretoken": token}, **headers
        )

    def test_a_same_origin_post_with_a_null_origin_is_accepted(self, invitation, customer_admin):
        response = self.post_as_browser(
            invitation, customer_admin, HTTP_ORIGIN="null", HTTP_SEC_FETCH_SITE="same-origin"
        )
        assert response.status_code == 302
        assert ResellerRelationship.objects.active().count() == 1

    @pytest.mark.parametrize("site", ["cross-site", "same-site", None])
    def test_a_null_origin_the_browser_does_not_vouch_for_is_refused(
        self, invitation, customer_admin, site
    ):
        headers = {"HTTP_ORIGIN": "null"} | ({"HTTP_SEC_FETCH_SITE": site} if site else {})
        response = self.post_as_browser(invitation, customer_admin, **headers)
        assert response.status_code == 403
        nothing_changed(invitation)

    def test_the_csrf_token_is_still_required(self, invitation, customer_admin):
        client = Client(enforce_csrf_checks=True)
        client.force_login(customer_admin)
        client.get(link_path(invitation))
        response = client.post(
            accept_url(invitation),
            SIGNER,
            HTTP_ORIGIN="null",
            HTTP_SEC_FETCH_SITE="same-origin",
        )
        assert response.status_code == 403
        nothing_changed(invitation)
