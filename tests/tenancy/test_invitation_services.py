from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from django.core import mail
from django.utils import timezone

from admin_center.refusals import refusal_page_of
from tenancy import services
from tenancy.models import (
    AdminRelationship,
    AdminRelationshipStatus,
    AgreementAcceptance,
    AuditAction,
    AuditEvent,
    Cloud,
    Invitation,
    InvitationStatus,
    ResellerRelationship,
    Role,
    Tenant,
)
from tests.factories import (
    AdminRelationshipFactory,
    CustomerFactory,
    InvitationFactory,
    ResellerRelationshipFactory,
    factory_token,
    member,
)

pytestmark = pytest.mark.django_db

SIGNER = services.Signer(first_name="Nancy", last_name="Davolio", email="nancy@example.com")


def create(partner, agent, **options):
    return services.invitation_create(
        partner=partner,
        created_by=agent,
        include_admin=options.pop("include_admin", True),
        **options,
    )


class TestCreate:
    def test_it_records_the_request_and_an_audit_line(self, partner_a, sales_agent):
        invitation = create(partner_a, sales_agent, label="Northwind", include_admin=False)
        assert invitation.status == InvitationStatus.PENDING
        assert not invitation.include_admin
        assert invitation.expires_at - invitation.created_at == timedelta(days=90)
        event = AuditEvent.objects.get(action=AuditAction.INVITATION_CREATED)
        assert (event.actor, event.partner, event.invitation) == (
            sales_agent,
            partner_a,
            invitation,
        )

    def test_a_us_government_partner_always_asks_for_admin_permissions(self, gov_partner):
        agent = member(gov_partner, Role.SALES_AGENT)
        invitation = create(gov_partner, agent, include_admin=False)
        assert invitation.include_admin

    def test_the_database_keeps_no_working_token(self, partner_a, sales_agent):
        invitation = create(partner_a, sales_agent)
        token = invitation.token()
        stored = Invitation.objects.filter(pk=invitation.pk).values().get()
        assert token not in {str(value) for value in stored.values()}


class TestLink:
    def test_it_keeps_the_real_links_parameters_and_adds_the_token(self, partner_a, sales_agent):
        invitation = create(partner_a, sales_agent, include_admin=False)
        link = urlsplit(invitation.link())
        assert f"{link.scheme}://{link.netloc}/" == "http://testserver/"
        assert link.path == "/admin-center/adminportal/home"
        query = parse_qs(link.query)
        assert query["invType"] == ["ResellerRelationship"]
        assert query["partnerId"] == [str(partner_a.id)]
        assert query["msppId"] == ["0"]
        assert query["DAP"] == ["false"]
        assert services.invitation_find(query["token"][0]) == invitation

    def test_a_us_government_link_leads_to_the_office_admin_portal(self, gov_partner):
        invitation = create(gov_partner, member(gov_partner, Role.SALES_AGENT))
        link = invitation.link()
        assert urlsplit(link).path == "/office-admin/adminportal/home"
        assert "DAP=true" in link

    def test_the_link_uses_the_portals_base_url(self, partner_a, sales_agent, settings):
        settings.ADMIN_CENTER_URL = "https://admin.example.com/admin-center/"
        link = create(partner_a, sales_agent).link()
        assert link.startswith("https://admin.example.com/admin-center/adminportal/home?")


class TestEmail:
    def test_only_the_html_part_escapes_names(self, partner_a, sales_agent):
        partner_a.name = "City Power & Light <Partners>"
        partner_a.save()
        email = services.request_email(create(partner_a, sales_agent))
        assert email.subject.startswith("City Power & Light <Partners> asks")
        assert "City Power & Light <Partners>, a Microsoft Cloud" in email.text
        assert "&amp;" not in email.subject + email.text
        assert "City Power &amp; Light &lt;Partners&gt;" in email.html

    def test_the_text_part_gives_the_partner_id(self, partner_a, sales_agent):
        email = services.request_email(create(partner_a, sales_agent))
        assert f"(PartnerID {partner_a.mpn_id})" in email.text

    def test_it_says_who_asks_what_where_until_when_with_the_link(self, partner_a, sales_agent):
        invitation = create(partner_a, sales_agent, label="Northwind Traders")
        email = services.request_email(invitation)
        assert "Contoso Partners" in email.subject
        body = email.text
        assert "Contoso Partners" in body
        assert "United States" in body
        assert "reseller relationship" in body.lower()
        assert "An admin relationship" in body
        assert "for 730 days" in body
        # The default roles, each with its meaning; never Global Administrator.
        assert "License Administrator: Assign and remove product licences" in body
        assert "Global Administrator" not in body
        assert "Microsoft 365 admin center" in body
        assert invitation.expires_at.strftime("%B") in body
        assert invitation.link() in body
        assert "&amp;" not in body  # the text part is not HTML-escaped
        assert invitation.link().replace("&", "&amp;") in email.html

    def test_a_reseller_only_request_says_a_billing_administrator_may_accept(
        self, partner_a, sales_agent
    ):
        body = services.request_email(create(partner_a, sales_agent, include_admin=False)).text
        assert "Delegated administration" not in body
        assert "Billing administrator" in body

    def test_a_us_government_request_names_the_office_admin_portal(self, gov_partner):
        invitation = create(gov_partner, member(gov_partner, Role.SALES_AGENT))
        body = services.request_email(invitation).text
        assert "Microsoft Office Admin portal" in body
        assert "Microsoft 365 admin center" not in body


class TestSend:
    def test_it_sends_after_the_transaction_commits(
        self, partner_a, sales_agent, django_capture_on_commit_callbacks
    ):
        invitation = create(partner_a, sales_agent)
        with django_capture_on_commit_callbacks(execute=False) as callbacks:
            services.invitation_send(invitation=invitation, sent_by=sales_agent, to="it@nw.example")
        assert mail.outbox == []
        for callback in callbacks:
            callback()
        [message] = mail.outbox
        assert message.to == ["it@nw.example"]
        assert message.reply_to == [sales_agent.email]
        assert invitation.link() in message.body
        assert AuditEvent.objects.filter(action=AuditAction.INVITATION_SENT).count() == 1

    def test_a_revoked_request_is_not_sent(self, partner_a, sales_agent):
        invitation = create(partner_a, sales_agent)
        services.invitation_revoke(invitation=invitation, revoked_by=sales_agent)
        invitation.refresh_from_db()
        with pytest.raises(services.ServiceError):
            services.invitation_send(invitation=invitation, sent_by=sales_agent, to="x@y.example")


class TestRevoke:
    def test_it_makes_the_link_stop_working(self, partner_a, sales_agent, customer_admin):
        invitation = create(partner_a, sales_agent)
        services.invitation_revoke(invitation=invitation, revoked_by=sales_agent)
        invitation.refresh_from_db()
        assert invitation.display_status() == InvitationStatus.REVOKED
        refusal = services.RESELLER_REQUESTS.refusal(
            request=invitation, membership=customer_admin.membership, portal_cloud=Cloud.PUBLIC
        )
        assert refusal.code == "revoked"
        with pytest.raises(services.RequestRefused):
            accept(invitation, customer_admin)

    def test_an_answered_request_cannot_be_revoked(self, partner_a, sales_agent, customer_admin):
        invitation = create(partner_a, sales_agent)
        accept(invitation, customer_admin)
        with pytest.raises(services.ServiceError, match="already accepted"):
            services.invitation_revoke(invitation=invitation, revoked_by=sales_agent)


def accept(invitation, user, portal_cloud=Cloud.PUBLIC):
    return services.invitation_accept(
        invitation_id=invitation.pk,
        user=user,
        signer=SIGNER,
        client_ip="203.0.113.9",
        portal_cloud=portal_cloud,
    )


class TestFind:
    def test_it_finds_the_invitation_of_a_token(self):
        invitation = InvitationFactory()
        assert services.invitation_find(factory_token(invitation)) == invitation

    @pytest.mark.parametrize("token", [None, "", "nope", "A" * 43, "A" * 500])
    def test_unknown_tokens_find_nothing(self, token):
        InvitationFactory()
        assert services.invitation_find(token) is None

    def test_the_first_opening_is_recorded_once(self, customer_admin):
        invitation = InvitationFactory()
        services.invitation_record_open(invitation=invitation, membership=customer_admin.membership)
        first = Invitation.objects.get(pk=invitation.pk).opened_at
        services.invitation_record_open(invitation=invitation, membership=customer_admin.membership)
        assert Invitation.objects.get(pk=invitation.pk).opened_at == first
        assert invitation.display_status() == InvitationStatus.OPENED
        assert AuditEvent.objects.filter(action=AuditAction.INVITATION_OPENED).count() == 1

    def test_a_request_read_as_opened_is_not_written_again(
        self, customer_admin, django_assert_num_queries
    ):
        """Every later view of its page: nothing to record, so no write (nor transaction)."""
        invitation = InvitationFactory()
        services.invitation_record_open(invitation=invitation, membership=customer_admin.membership)
        again = Invitation.objects.get(pk=invitation.pk)
        with django_assert_num_queries(0):
            services.invitation_record_open(invitation=again, membership=customer_admin.membership)
        assert AuditEvent.objects.filter(action=AuditAction.INVITATION_OPENED).count() == 1

    def test_the_partners_own_agent_opening_the_link_is_not_the_customer_opening_it(self):
        invitation = InvitationFactory()
        services.invitation_record_open(
            invitation=invitation, membership=invitation.created_by.membership
        )
        assert Invitation.objects.get(pk=invitation.pk).opened_at is None

    def test_nobody_signed_in_records_no_opening(self):
        """A mail gateway fetching the link before a person does is no customer reading it."""
        invitation = InvitationFactory()
        services.invitation_record_open(invitation=invitation, membership=None)
        assert Invitation.objects.get(pk=invitation.pk).opened_at is None


class TestAccept:
    def test_it_records_agreement_relationships_answer_and_audit(
        self, partner_a, sales_agent, customer, customer_admin, django_capture_on_commit_callbacks
    ):
        invitation = create(partner_a, sales_agent)
        with django_capture_on_commit_callbacks(execute=True):
            result = accept(invitation, customer_admin)
        invitation.refresh_from_db()
        assert invitation.status == InvitationStatus.ACCEPTED
        assert (invitation.answered_by, invitation.answered_tenant) == (customer_admin, customer)
        agreement = AgreementAcceptance.objects.get(customer=customer)
        assert agreement.signer_name == "Nancy Davolio"
        assert agreement.client_ip == "203.0.113.9"
        assert agreement.invitation == invitation
        assert agreement.recorded_by == customer_admin
        assert result.reseller_relationship.is_active
        admin = result.admin_relationship
        assert admin.role_names == [
            "Directory Readers",
            "Service Support Administrator",
            "Helpdesk Administrator",
            "User Administrator",
            "License Administrator",
        ]
        assert admin.display_status() == AdminRelationshipStatus.ACTIVE
        assert (admin.customer, admin.approved_by, admin.invitation) == (
            customer,
            customer_admin,
            invitation,
        )
        assert (admin.duration_days, admin.auto_extend) == (730, True)
        actions = set(AuditEvent.objects.filter(customer=customer).values_list("action", flat=True))
        assert actions == {
            AuditAction.INVITATION_ACCEPTED,
            AuditAction.AGREEMENT_ACCEPTED,
            AuditAction.RESELLER_STARTED,
            AuditAction.ADMIN_APPROVED,
        }
        [email] = mail.outbox
        assert email.to == [sales_agent.email]
        assert "Northwind Traders accepted" in email.subject

    def test_an_organization_without_a_billing_address_is_refused_and_nothing_changes(
        self, partner_a, sales_agent, customer, customer_admin
    ):
        """The admin center asks for the address first; the service holds the rule too."""
        Tenant.objects.filter(pk=customer.pk).update(address_line1="", city="")
        invitation = create(partner_a, sales_agent)
        with pytest.raises(services.ServiceError, match="billing address") as refused:
            accept(invitation, customer_admin)
        assert refused.value.code == "billing_address"
        invitation.refresh_from_db()
        assert invitation.status == InvitationStatus.PENDING
        assert not ResellerRelationship.objects.exists()
        assert not AgreementAcceptance.objects.exists()

    def test_a_reseller_only_request_grants_no_admin_roles(
        self, partner_a, sales_agent, customer_billing_admin
    ):
        result = accept(create(partner_a, sales_agent, include_admin=False), customer_billing_admin)
        assert result.admin_relationship is None
        assert not AdminRelationship.objects.exists()

    def test_a_second_acceptance_of_the_same_link_says_it_was_used(
        self, partner_a, sales_agent, customer_admin
    ):
        invitation = create(partner_a, sales_agent)
        accept(invitation, customer_admin)
        with pytest.raises(services.RequestRefused) as refused:
            accept(invitation, customer_admin)
        assert refused.value.refusal.code == "answered_here"
        assert ResellerRelationship.objects.count() == 1
        assert AgreementAcceptance.objects.count() == 1

    def test_another_organization_cannot_use_an_answered_link(
        self, partner_a, sales_agent, customer_admin
    ):
        invitation = create(partner_a, sales_agent)
        accept(invitation, customer_admin)
        other = member(CustomerFactory(name="Fourth Coffee"), Role.CUSTOMER_GLOBAL_ADMIN)
        with pytest.raises(services.RequestRefused) as refused:
            accept(invitation, other)
        assert refused.value.refusal.code == "answered"
        assert "another organization" in refused.value.refusal.message

    def test_an_existing_reseller_is_kept_and_admin_roles_added(
        self, partner_a, sales_agent, customer, customer_admin
    ):
        existing = ResellerRelationshipFactory(partner=partner_a, customer=customer)
        result = accept(create(partner_a, sales_agent), customer_admin)
        assert result.reseller_relationship == existing
        assert ResellerRelationship.objects.count() == 1
        assert result.admin_relationship is not None

    def test_an_existing_reseller_with_nothing_to_add_is_refused_and_nothing_changes(
        self, partner_a, sales_agent, customer, customer_admin
    ):
        ResellerRelationshipFactory(partner=partner_a, customer=customer)
        AdminRelationshipFactory(partner=partner_a, customer=customer)
        invitation = create(partner_a, sales_agent)
        with pytest.raises(services.RequestRefused) as refused:
            accept(invitation, customer_admin)
        assert refused.value.refusal.code == "already_reseller"
        invitation.refresh_from_db()
        assert invitation.status == InvitationStatus.PENDING
        assert not AgreementAcceptance.objects.exists()

    def test_an_expired_link_is_refused(self, partner_a, sales_agent, customer_admin):
        invitation = create(partner_a, sales_agent)
        Invitation.objects.filter(pk=invitation.pk).update(expires_at=timezone.now())
        with pytest.raises(services.RequestRefused) as refused:
            accept(invitation, customer_admin)
        assert refused.value.refusal.code == "expired"

    def test_the_wrong_portal_is_refused_naming_the_right_one(self, gov_partner):
        invitation = create(gov_partner, member(gov_partner, Role.SALES_AGENT))
        gov_admin = member(CustomerFactory(cloud=Cloud.USGOV), Role.CUSTOMER_GLOBAL_ADMIN)
        with pytest.raises(services.RequestRefused) as refused:
            accept(invitation, gov_admin, portal_cloud=Cloud.PUBLIC)
        assert refused.value.refusal.code == "wrong_portal"
        # The page's title is the admin center's wording of the refusal.
        page = refusal_page_of(refused.value.refusal, wording="reseller", customer=None)
        assert "Microsoft Office Admin portal" in page.title
        assert accept(invitation, gov_admin, portal_cloud=Cloud.USGOV).reseller_relationship

    def test_a_customer_in_another_market_is_refused_naming_both_countries(
        self, partner_a, sales_agent
    ):
        canadian = member(CustomerFactory(country_id="CA"), Role.CUSTOMER_GLOBAL_ADMIN)
        with pytest.raises(services.RequestRefused) as refused:
            accept(create(partner_a, sales_agent), canadian)
        assert refused.value.refusal.code == "market"
        assert "United States" in refused.value.refusal.message
        assert "Canada" in refused.value.refusal.message

    def test_a_billing_administrator_cannot_grant_admin_roles(
        self, partner_a, sales_agent, customer_billing_admin
    ):
        with pytest.raises(services.RequestRefused) as refused:
            accept(create(partner_a, sales_agent, include_admin=True), customer_billing_admin)
        assert refused.value.refusal.code == "role"
        assert "Global administrators" in refused.value.refusal.message

    def test_a_plain_user_cannot_accept(self, partner_a, sales_agent, customer_user):
        with pytest.raises(services.RequestRefused) as refused:
            accept(create(partner_a, sales_agent, include_admin=False), customer_user)
        assert refused.value.refusal.code == "role"

    def test_a_partner_account_cannot_accept(self, partner_a, sales_agent, agent_b):
        with pytest.raises(services.RequestRefused) as refused:
            accept(create(partner_a, sales_agent), agent_b)
        assert refused.value.refusal.code == "not_customer"


class TestDecline:
    def test_it_records_the_answer_and_tells_the_agent(
        self, partner_a, sales_agent, customer_admin, django_capture_on_commit_callbacks
    ):
        invitation = create(partner_a, sales_agent)
        with django_capture_on_commit_callbacks(execute=True):
            services.invitation_decline(
                invitation_id=invitation.pk, user=customer_admin, portal_cloud=Cloud.PUBLIC
            )
        invitation.refresh_from_db()
        assert invitation.status == InvitationStatus.DECLINED
        assert not ResellerRelationship.objects.exists()
        assert AuditEvent.objects.filter(action=AuditAction.INVITATION_DECLINED).count() == 1
        [email] = mail.outbox
        assert "declined" in email.subject


class TestRefusalAudit:
    def test_a_refusal_is_recorded_once_per_organization_and_reason(self, partner_a, sales_agent):
        invitation = create(partner_a, sales_agent)
        canadian = member(CustomerFactory(country_id="CA"), Role.CUSTOMER_GLOBAL_ADMIN)
        for _ in range(3):
            refusal = services.RESELLER_REQUESTS.refusal(
                request=invitation, membership=canadian.membership, portal_cloud=Cloud.PUBLIC
            )
            services.RESELLER_REQUESTS.record_refusal(
                request=invitation,
                refusal=refusal,
                user=canadian,
                membership=canadian.membership,
            )
        [event] = AuditEvent.objects.filter(action=AuditAction.INVITATION_REFUSED)
        assert event.details["reason"] == "market"
        assert event.customer == canadian.membership.tenant


def test_a_mail_server_that_is_down_does_not_undo_an_acceptance(
    partner_a, sales_agent, customer_admin, django_capture_on_commit_callbacks, monkeypatch, caplog
):
    from tenancy.effects import email as notifications

    def broken(*args, **kwargs):
        raise ConnectionRefusedError("smtp is down")

    monkeypatch.setattr(notifications.EmailMultiAlternatives, "send", broken)
    invitation = create(partner_a, sales_agent)
    with django_capture_on_commit_callbacks(execute=True):
        accept(invitation, customer_admin)
    invitation.refresh_from_db()
    assert invitation.status == InvitationStatus.ACCEPTED
    assert "smtp is down" in caplog.text
