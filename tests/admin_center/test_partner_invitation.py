"""The request page and every refusal: a specific 4xx page that changes nothing."""

import pytest
from django.urls import reverse
from django.utils import timezone

from tenancy import services
from tenancy.models import (
    AgreementAcceptance,
    AuditAction,
    AuditEvent,
    Cloud,
    Invitation,
    InvitationStatus,
    ResellerRelationship,
    Role,
)
from tests.admin_center.conftest import SIGNER, accept_url, link_path, request_url
from tests.factories import (
    AdminRelationshipFactory,
    CustomerFactory,
    ResellerRelationshipFactory,
    member,
)

pytestmark = pytest.mark.django_db


def nothing_recorded_but_audit():
    assert not ResellerRelationship.objects.exists()
    assert not AgreementAcceptance.objects.exists()
    assert not Invitation.objects.exclude(status=InvitationStatus.PENDING).exists()


class TestTheRequestPage:
    def test_it_shows_the_partner_what_is_asked_and_the_agreement(
        self, opened, invitation, customer_admin, partner_a
    ):
        response = opened(customer_admin, invitation).get(request_url(invitation))
        assert response.status_code == 200
        page = response.content.decode()
        assert partner_a.name in page
        assert "United States" in page
        assert str(partner_a.mpn_id) in page
        assert "Reseller relationship" in page
        assert "User Administrator" in page and "Helpdesk Administrator" in page
        assert "Global Administrator" not in page  # not among the default roles
        assert "Reset the passwords of users" in page  # what the roles could do, said plainly
        assert "for 730 days, extended by 180 days each time" in page
        assert "Microsoft Customer Agreement" in page
        assert reverse("admin_center:agreement") in page
        assert "I have read and accept the agreement" in page
        assert "Accept and authorize" in page and "Decline" in page
        assert f'value="{customer_admin.email}"' in page  # the email is prefilled

    def test_a_reseller_only_request_asks_for_no_roles(
        self, opened, reseller_only, customer_billing_admin
    ):
        page = opened(customer_billing_admin, reseller_only).get(request_url(reseller_only))
        assert page.status_code == 200
        assert b"Helpdesk Administrator" not in page.content
        assert "doesn't ask for admin roles" in page.content.decode()

    def test_the_header_and_title_name_the_microsoft_365_admin_center(
        self, opened, invitation, customer_admin
    ):
        page = opened(customer_admin, invitation).get(request_url(invitation)).content.decode()
        assert "<title>Partner relationship request – Microsoft 365 admin center</title>" in page
        assert "Microsoft Office Admin portal" not in page

    def test_a_missing_billing_address_is_asked_for_first(self, opened, invitation, customer_admin):
        customer = customer_admin.membership.tenant
        customer.address_line1 = ""
        customer.save()
        client = opened(customer_admin, invitation)
        page = client.get(request_url(invitation))
        assert "add your organization's billing address" in page.content.decode()
        assert b"Accept and authorize" not in page.content
        profile = reverse("admin_center:organization-profile")
        assert f"{profile}?next={request_url(invitation)}".encode() in page.content
        refused = client.post(accept_url(invitation), SIGNER)
        assert refused.status_code == 302
        assert refused["Location"].startswith(profile)
        nothing_recorded_but_audit()


class TestRefusals:
    def test_a_us_government_request_names_the_office_admin_portal_in_the_wrong_portal(
        self, client_for, gov_partner
    ):
        agent = member(gov_partner, Role.SALES_AGENT)
        invitation = services.invitation_create(
            partner=gov_partner, created_by=agent, include_admin=True
        )
        gov_admin = member(CustomerFactory(cloud=Cloud.USGOV), Role.CUSTOMER_GLOBAL_ADMIN)
        client = client_for(gov_admin)
        wrong_link = link_path(invitation).replace("/office-admin/", "/admin-center/")
        client.get(wrong_link)
        response = client.get(request_url(invitation, portal="admin_center"))
        assert response.status_code == 400
        assert b"Open this request in the Microsoft Office Admin portal" in response.content
        assert client.post(accept_url(invitation, portal="admin_center"), SIGNER).status_code == 400
        nothing_recorded_but_audit()

        # The same request, in the right portal: every page names the Office Admin portal.
        client.get(link_path(invitation))
        right = client.get(request_url(invitation, portal="office_admin"))
        assert right.status_code == 200
        assert b"Microsoft Office Admin portal" in right.content
        assert b"Microsoft 365 admin center" not in right.content
        done = client.post(accept_url(invitation, portal="office_admin"), SIGNER, follow=True)
        assert done.redirect_chain[-1][0] == reverse(
            "admin_center:partner-relationships", current_app="office_admin"
        )
        assert gov_partner.name.encode() in done.content

    def test_the_wrong_portal_is_told_before_sign_in(self, client, gov_partner):
        agent = member(gov_partner, Role.SALES_AGENT)
        invitation = services.invitation_create(
            partner=gov_partner, created_by=agent, include_admin=True
        )
        client.get(link_path(invitation).replace("/office-admin/", "/admin-center/"))
        response = client.get(request_url(invitation, portal="admin_center"))
        assert response.status_code == 400
        assert b"Microsoft Office Admin portal" in response.content

    def test_a_canadian_customer_is_refused_with_both_countries_and_only_an_audit_line(
        self, opened, invitation, canadian_admin
    ):
        client = opened(canadian_admin, invitation)
        response = client.get(request_url(invitation))
        assert response.status_code == 403
        page = response.content.decode()
        assert "United States" in page and "Canada" in page
        assert "own market" in page
        assert client.post(accept_url(invitation), SIGNER).status_code == 403
        nothing_recorded_but_audit()
        refused = AuditEvent.objects.filter(action=AuditAction.INVITATION_REFUSED)
        assert [(e.customer, e.details["reason"]) for e in refused] == [
            (canadian_admin.membership.tenant, "market")
        ]
        actions = AuditEvent.objects.exclude(action__startswith="account.")
        assert set(actions.values_list("action", flat=True)) == {
            AuditAction.INVITATION_CREATED,
            AuditAction.INVITATION_OPENED,
            AuditAction.INVITATION_REFUSED,
        }

    def test_a_public_customer_cannot_accept_a_us_government_partner(self, client_for, gov_partner):
        agent = member(gov_partner, Role.SALES_AGENT)
        invitation = services.invitation_create(
            partner=gov_partner, created_by=agent, include_admin=True
        )
        public_admin = member(CustomerFactory(), Role.CUSTOMER_GLOBAL_ADMIN)
        client = client_for(public_admin)
        client.get(link_path(invitation))
        response = client.get(request_url(invitation, portal="office_admin"))
        assert response.status_code == 403
        assert b"Microsoft Cloud for US Government" in response.content
        assert b"Microsoft commercial cloud" in response.content

    def test_a_billing_administrator_may_not_accept_admin_roles(
        self, opened, invitation, customer_billing_admin
    ):
        client = opened(customer_billing_admin, invitation)
        response = client.get(request_url(invitation))
        assert response.status_code == 403
        assert b"Only Global administrators can accept" in response.content
        assert client.post(accept_url(invitation), SIGNER).status_code == 403
        nothing_recorded_but_audit()

    def test_a_plain_user_may_not_accept_anything(self, opened, reseller_only, customer_user):
        response = opened(customer_user, reseller_only).get(request_url(reseller_only))
        assert response.status_code == 403
        assert b"Only Global administrators and Billing administrators" in response.content

    def test_a_partner_account_is_told_to_sign_in_as_the_customer(
        self, opened, invitation, agent_b
    ):
        response = opened(agent_b, invitation).get(request_url(invitation))
        assert response.status_code == 403
        assert b"partner organization" in response.content
        assert b"Sign out" in response.content

    def test_an_expired_request(self, opened, invitation, customer_admin):
        Invitation.objects.filter(pk=invitation.pk).update(expires_at=timezone.now())
        response = opened(customer_admin, invitation).get(request_url(invitation))
        assert response.status_code == 410
        assert b"expired" in response.content
        assert b"Ask Contoso Partners to send you a new request" in response.content

    def test_a_request_answered_by_another_organization_names_no_one(
        self, opened, invitation, customer_admin
    ):
        opened(customer_admin, invitation).post(accept_url(invitation), SIGNER)
        other = member(CustomerFactory(name="Fourth Coffee"), Role.CUSTOMER_GLOBAL_ADMIN)
        response = opened(other, invitation).get(request_url(invitation))
        assert response.status_code == 409
        assert b"already used" in response.content
        assert b"Northwind" not in response.content
        assert customer_admin.username.encode() not in response.content

    def test_the_same_organization_sees_the_answer_it_gave(
        self, opened, invitation, customer_admin
    ):
        client = opened(customer_admin, invitation)
        client.post(accept_url(invitation), SIGNER)
        client.get(link_path(invitation))
        response = client.get(request_url(invitation))
        assert response.status_code == 409
        assert b"Your organization already accepted this request" in response.content
        assert customer_admin.username.encode() in response.content

    def test_an_existing_reseller_is_told_nothing_changed(
        self, opened, reseller_only, customer, customer_admin, partner_a
    ):
        ResellerRelationshipFactory(partner=partner_a, customer=customer)
        response = opened(customer_admin, reseller_only).get(request_url(reseller_only))
        assert response.status_code == 409
        assert b"is already your reseller" in response.content
        assert b"Nothing was changed" in response.content
        assert ResellerRelationship.objects.count() == 1

    def test_an_existing_reseller_without_admin_roles_may_still_grant_them(
        self, opened, invitation, customer, customer_admin, partner_a
    ):
        ResellerRelationshipFactory(partner=partner_a, customer=customer)
        response = opened(customer_admin, invitation).get(request_url(invitation))
        assert response.status_code == 200
        AdminRelationshipFactory(partner=partner_a, customer=customer)
        assert opened(customer_admin, invitation).get(request_url(invitation)).status_code == 409
