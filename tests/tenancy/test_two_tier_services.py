"""Two tiers in the services: a reseller's request naming its provider, one acceptance making the
customer both partners', purchases on the reseller's behalf, and what ends with a partnership."""

from urllib.parse import parse_qs, urlsplit

import pytest

from admin_center.refusals import refusal_page_of
from tenancy import rules, services
from tenancy.models import (
    AgreementAcceptance,
    AuditAction,
    AuditEvent,
    Cloud,
    CustomerListRow,
    Invitation,
    InvitationStatus,
    Offer,
    PartnershipStatus,
    ResellerRelationship,
    Role,
    SubscriptionStatus,
)
from tests.factories import (
    AgreementAcceptanceFactory,
    CustomerFactory,
    IndirectResellerFactory,
    PartnershipFactory,
    ProviderFactory,
    ResellerRelationshipFactory,
    SubscriptionFactory,
    indirect_link,
    member,
)

pytestmark = pytest.mark.django_db

SIGNER = services.Signer(first_name="Nancy", last_name="Davolio", email="nancy@example.com")


def two_tier(reseller, agent, provider, **options):
    return services.invitation_create(
        partner=reseller,
        created_by=agent,
        include_admin=options.pop("include_admin", False),
        indirect_provider=provider,
        **options,
    )


def accept(invitation, user):
    return services.invitation_accept(
        invitation_id=invitation.pk,
        user=user,
        signer=SIGNER,
        client_ip="203.0.113.9",
        portal_cloud=Cloud.PUBLIC,
    )


def actions(partner, customer=None) -> list[str]:
    events = AuditEvent.objects.filter(partner=partner).exclude(action__startswith="account.")
    if customer is not None:
        events = events.filter(customer=customer)
    return sorted(events.values_list("action", flat=True))


class TestTheRequest:
    def test_the_link_keeps_the_real_two_tier_parameters(
        self, reseller, reseller_agent, provider, partnership
    ):
        invitation = two_tier(reseller, reseller_agent, provider, include_admin=True)
        query = parse_qs(urlsplit(invitation.link()).query)
        assert query["invType"] == ["IndirectResellerRelationship"]
        assert query["partnerId"] == [str(reseller.pk)]
        assert query["indirectCSPId"] == [str(provider.pk)]
        assert query["msppId"] == ["0"]

    def test_the_email_names_both_partners_and_what_each_does(
        self, reseller, reseller_agent, provider, partnership
    ):
        email = services.request_email(two_tier(reseller, reseller_agent, provider))
        assert reseller.name in email.subject and provider.name in email.subject
        assert f"{provider.name}, indirect provider: becomes your reseller of record" in email.text
        assert f"{reseller.name}, indirect reseller: sells to you" in email.text

    def test_an_indirect_reseller_must_name_a_provider(self, reseller, reseller_agent, partnership):
        with pytest.raises(services.ServiceError, match="Choose the indirect provider"):
            services.invitation_create(
                partner=reseller, created_by=reseller_agent, include_admin=False
            )
        assert not Invitation.objects.exists()

    def test_a_provider_it_does_not_partner_with_is_refused(self, reseller, reseller_agent):
        stranger = ProviderFactory(name="Wide World Distribution")
        with pytest.raises(services.ServiceError, match="no longer partner"):
            two_tier(reseller, reseller_agent, stranger)
        assert not Invitation.objects.exists()

    def test_a_pending_partnership_is_not_enough(self, reseller, reseller_agent, provider):
        PartnershipFactory(provider=provider, reseller=reseller, status=PartnershipStatus.PENDING)
        with pytest.raises(services.ServiceError, match="no longer partner"):
            two_tier(reseller, reseller_agent, provider)

    def test_a_direct_partner_names_no_provider(self, partner_a, sales_agent, provider):
        with pytest.raises(services.ServiceError, match="not an indirect reseller"):
            two_tier(partner_a, sales_agent, provider)


class TestAcceptance:
    def test_one_acceptance_makes_the_customer_both_partners(
        self, reseller, reseller_agent, provider, partnership, customer, customer_admin
    ):
        invitation = two_tier(reseller, reseller_agent, provider)
        accepted = accept(invitation, customer_admin)

        assert accepted.provider_added
        of_record = ResellerRelationship.objects.active().get(partner=provider, customer=customer)
        assert of_record.indirect_provider is None
        link = ResellerRelationship.objects.active().get(partner=reseller, customer=customer)
        assert link.indirect_provider == provider
        assert AgreementAcceptance.objects.filter(customer=customer).count() == 1
        rows = {row.partner_id: row for row in CustomerListRow.objects.filter(customer=customer)}
        assert rows[provider.pk].indirect_provider_id is None
        assert rows[reseller.pk].indirect_provider_id == provider.pk
        # Each partner's activity log tells its side.
        assert actions(provider, customer) == [
            AuditAction.INVITATION_ACCEPTED,
            AuditAction.RESELLER_STARTED,
        ]
        assert actions(reseller, customer) == [
            AuditAction.AGREEMENT_ACCEPTED,
            AuditAction.INVITATION_ACCEPTED,
            AuditAction.RESELLER_STARTED,
        ]

    def test_a_customer_the_provider_already_has_gains_only_the_reseller(
        self, reseller, reseller_agent, provider, partnership, customer, customer_admin
    ):
        before = ResellerRelationshipFactory(partner=provider, customer=customer)
        accepted = accept(two_tier(reseller, reseller_agent, provider), customer_admin)
        assert not accepted.provider_added
        assert accepted.provider_relationship == before
        assert ResellerRelationship.objects.filter(partner=provider, customer=customer).count() == 1
        assert ResellerRelationship.objects.active().get(partner=reseller).indirect_provider == (
            provider
        )
        assert AuditAction.RESELLER_STARTED not in actions(provider, customer)

    def test_a_partnership_removed_meanwhile_refuses_and_changes_nothing(
        self, reseller, reseller_agent, provider, provider_admin, partnership, customer_admin
    ):
        invitation = two_tier(reseller, reseller_agent, provider)
        services.partnership_remove(partnership=partnership, removed_by=provider_admin, by=provider)
        with pytest.raises(services.RequestRefused) as refused:
            accept(invitation, customer_admin)
        assert refused.value.refusal.code == "partnership"
        assert "no longer partner" in refused.value.refusal.message
        assert not ResellerRelationship.objects.exists()
        assert not AgreementAcceptance.objects.exists()
        invitation.refresh_from_db()
        assert invitation.status == InvitationStatus.PENDING

    def test_a_customer_outside_the_partners_market_is_refused_naming_both_countries(
        self, reseller, reseller_agent, provider, partnership
    ):
        canadian = member(CustomerFactory(country_id="CA"), Role.CUSTOMER_GLOBAL_ADMIN)
        with pytest.raises(services.RequestRefused) as refused:
            accept(two_tier(reseller, reseller_agent, provider), canadian)
        assert refused.value.refusal.code == "market"
        assert "United States" in refused.value.refusal.message
        assert "Canada" in refused.value.refusal.message
        assert not ResellerRelationship.objects.exists()

    def test_a_reseller_serving_the_customer_through_another_provider_is_refused(
        self, reseller, reseller_agent, provider, partnership, customer, customer_admin
    ):
        other = ProviderFactory(name="Wide World Distribution")
        PartnershipFactory(provider=other, reseller=reseller)
        indirect_link(reseller, customer, other)
        with pytest.raises(services.RequestRefused) as refused:
            accept(two_tier(reseller, reseller_agent, provider), customer_admin)
        assert refused.value.refusal.code == "other_provider"
        page = refusal_page_of(refused.value.refusal, wording="reseller", customer=customer)
        assert "Wide World Distribution" in page.title
        assert not ResellerRelationship.objects.filter(partner=provider).exists()

    def test_accepting_twice_says_it_was_answered(
        self, reseller, reseller_agent, provider, partnership, customer_admin
    ):
        invitation = two_tier(reseller, reseller_agent, provider)
        accept(invitation, customer_admin)
        with pytest.raises(services.RequestRefused) as refused:
            accept(invitation, customer_admin)
        assert refused.value.refusal.code == "answered_here"
        assert ResellerRelationship.objects.count() == 2


class TestPartnerships:
    def test_request_and_accept_are_audited_on_both_sides(
        self, provider, provider_admin, reseller, reseller_admin
    ):
        partnership = services.partnership_request(
            provider=provider, reseller=reseller, requested_by=provider_admin
        )
        services.partnership_answer(
            partnership=partnership, answered_by=reseller_admin, accept=True
        )
        partnership.refresh_from_db()
        assert partnership.status == PartnershipStatus.ACTIVE
        for side in (provider, reseller):
            assert actions(side) == [
                AuditAction.PARTNERSHIP_ACCEPTED,
                AuditAction.PARTNERSHIP_REQUESTED,
            ]

    def test_partners_in_two_markets_cannot_partner_and_the_reason_names_both(
        self, provider, provider_admin
    ):
        french = IndirectResellerFactory(name="Fabrikam Revente", country_id="FR")
        with pytest.raises(services.ServiceError) as refused:
            services.partnership_request(
                provider=provider, reseller=french, requested_by=provider_admin
            )
        assert refused.value.code == "market"
        assert (
            provider.name in refused.value.message and "Fabrikam Revente" in refused.value.message
        )
        assert "France" in refused.value.message

    def test_a_direct_partner_is_not_an_indirect_reseller(
        self, provider, provider_admin, partner_a
    ):
        decision = rules.may_partner(provider, partner_a)
        assert decision.code == "not_reseller"
        with pytest.raises(services.ServiceError, match="not an indirect reseller"):
            services.partnership_request(
                provider=provider, reseller=partner_a, requested_by=provider_admin
            )

    def test_a_second_request_to_the_same_reseller_is_refused(
        self, provider, provider_admin, partnership
    ):
        with pytest.raises(services.ServiceError, match="already your indirect reseller"):
            services.partnership_request(
                provider=provider, reseller=partnership.reseller, requested_by=provider_admin
            )

    def test_a_reseller_may_have_several_providers(self, reseller, reseller_admin, partnership):
        second = ProviderFactory(name="Wide World Distribution")
        requested = services.partnership_request(
            provider=second, reseller=reseller, requested_by=member(second, Role.GLOBAL_ADMIN)
        )
        services.partnership_answer(partnership=requested, answered_by=reseller_admin, accept=True)
        assert reseller.provider_partnerships.filter(status=PartnershipStatus.ACTIVE).count() == 2

    def test_removal_is_refused_while_a_subscription_bought_through_it_is_active(
        self, provider, provider_admin, reseller, partnership, customer
    ):
        indirect_link(reseller, customer, provider)
        subscription = SubscriptionFactory(
            partner=provider, customer=customer, indirect_reseller=reseller
        )
        with pytest.raises(services.ServiceError) as refused:
            services.partnership_remove(
                partnership=partnership, removed_by=provider_admin, by=provider
            )
        assert refused.value.code == "active_subscriptions"
        assert "1 active subscription bought on behalf of" in refused.value.message
        partnership.refresh_from_db()
        assert partnership.is_active
        # Once it is suspended, the partnership can go.
        subscription.status = SubscriptionStatus.SUSPENDED
        subscription.save()
        services.partnership_remove(partnership=partnership, removed_by=provider_admin, by=provider)
        partnership.refresh_from_db()
        assert partnership.status == PartnershipStatus.REMOVED

    def test_removal_ends_the_resellers_links_and_leaves_the_provider_reseller(
        self, provider, reseller, reseller_admin, partnership, customer
    ):
        indirect_link(reseller, customer, provider)
        services.partnership_remove(partnership=partnership, removed_by=reseller_admin, by=reseller)
        assert not ResellerRelationship.objects.active().filter(partner=reseller).exists()
        assert ResellerRelationship.objects.active().filter(partner=provider).exists()
        assert CustomerListRow.objects.get(partner=reseller).state == "ended"
        assert AuditAction.RESELLER_ENDED in actions(reseller, customer)


class TestPurchaseOnBehalf:
    @pytest.fixture
    def shared(self, provider, reseller, partnership, customer):
        indirect_link(reseller, customer, provider)
        AgreementAcceptanceFactory(customer=customer)
        return customer

    def test_the_provider_buys_for_the_reseller_and_the_subscription_records_both(
        self, provider, provider_agent, reseller, shared
    ):
        subscription = services.subscription_purchase(
            partner=provider,
            customer=shared,
            offer=Offer.objects.get(code="microsoft-365-business-basic"),
            quantity=5,
            purchased_by=provider_agent,
            indirect_reseller=reseller,
        )
        assert (subscription.partner, subscription.indirect_reseller) == (provider, reseller)
        assert AuditAction.SUBSCRIPTION_PURCHASED in actions(reseller, shared)

    def test_a_reseller_that_does_not_serve_the_customer_is_refused(
        self, provider, provider_agent, shared
    ):
        other = IndirectResellerFactory()
        PartnershipFactory(provider=provider, reseller=other)
        with pytest.raises(services.ServiceError, match="doesn't serve"):
            services.subscription_purchase(
                partner=provider,
                customer=shared,
                offer=Offer.objects.get(code="microsoft-365-business-basic"),
                quantity=1,
                purchased_by=provider_agent,
                indirect_reseller=other,
            )

    def test_the_indirect_reseller_cannot_buy_itself(self, reseller, reseller_agent, shared):
        with pytest.raises(services.ServiceError, match="purchases on your behalf"):
            services.subscription_purchase(
                partner=reseller,
                customer=shared,
                offer=Offer.objects.get(code="microsoft-365-business-basic"),
                quantity=1,
                purchased_by=reseller_agent,
            )

    def test_the_reseller_manages_its_sale_only_with_admin_roles(
        self, provider, reseller, reseller_agent, shared
    ):
        subscription = SubscriptionFactory(
            partner=provider, customer=shared, indirect_reseller=reseller
        )
        decision = services.subscription_manage_decision(
            subscription=subscription, membership=reseller_agent.membership
        )
        assert decision.code == "admin"
        with pytest.raises(services.ServiceError, match="no admin relationship"):
            services.subscription_update(
                subscription=subscription, membership=reseller_agent.membership, quantity=3
            )


class TestEndings:
    def test_the_provider_ending_its_relationship_ends_the_resellers_links(
        self, provider, provider_admin, reseller, partnership, customer
    ):
        indirect_link(reseller, customer, provider)
        services.reseller_relationship_end(
            partner=provider, customer=customer, ended_by=provider_admin, by=provider
        )
        assert not ResellerRelationship.objects.active().exists()
        assert CustomerListRow.objects.get(partner=reseller).state == "ended"

    def test_the_provider_cannot_end_while_a_resellers_sale_is_active(
        self, provider, provider_admin, reseller, partnership, customer
    ):
        indirect_link(reseller, customer, provider)
        SubscriptionFactory(partner=provider, customer=customer, indirect_reseller=reseller)
        with pytest.raises(services.ServiceError, match="active subscription"):
            services.reseller_relationship_end(
                partner=provider, customer=customer, ended_by=provider_admin, by=provider
            )
        assert ResellerRelationship.objects.active().count() == 2
