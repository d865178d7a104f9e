from datetime import timedelta

import pytest
from django.contrib.auth import authenticate
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.test import RequestFactory
from django.utils import timezone

from tenancy import selectors, services
from tenancy.models import (
    HELPDESK_ADMINISTRATOR,
    LICENSE_ADMINISTRATOR,
    AcceptanceMethod,
    AdminRelationshipStatus,
    AgreementAcceptance,
    AuditAction,
    AuditEvent,
    Cloud,
    Country,
    FormedBy,
    Offer,
    ResellerRelationship,
    Role,
    Subscription,
    SubscriptionStatus,
    Tenant,
)
from tests.factories import (
    AdminRelationshipFactory,
    AgreementAcceptanceFactory,
    CustomerFactory,
    ResellerRelationshipFactory,
    SubscriptionFactory,
    grant_roles,
    member,
)

pytestmark = pytest.mark.django_db


def details(**overrides):
    company = {
        "name": "Fourth Coffee",
        "domain_prefix": "fourthcoffee",
        "country": Country.objects.get(code="US"),
    }
    profile = {
        "address_line1": "1 Main Street",
        "city": "Seattle",
        "postal_code": "98101",
        "region": "WA",
        "contact_first_name": "Ada",
        "contact_last_name": "Lovelace",
        "contact_email": "ada@fourthcoffee.example",
    }
    profile |= {name: overrides.pop(name) for name in list(overrides) if name in profile}
    return services.CustomerDetails(**(company | overrides), profile=profile)


def attestation(**overrides):
    values = {
        "signer": services.Signer("Ada", "Lovelace", "ada@fourthcoffee.example"),
        "accepted_on": timezone.localdate(),
    }
    return services.Attestation(**(values | overrides))


class TestCustomerAdd:
    def test_it_creates_tenant_admin_and_relationship_in_one_go(self, partner_a, sales_agent):
        added = services.customer_add(
            partner=partner_a, added_by=sales_agent, details=details(), attestation=attestation()
        )
        customer = added.customer
        assert customer.domain == "fourthcoffee.onmicrosoft.com"
        assert customer.cloud == partner_a.cloud
        assert added.admin_user.username == "admin@fourthcoffee.onmicrosoft.com"
        assert added.admin_user.membership.roles == {Role.CUSTOMER_GLOBAL_ADMIN}
        assert added.admin_user.membership.must_change_password
        assert authenticate(
            RequestFactory().post("/sign-in/"),
            username=added.admin_user.username,
            password=added.temporary_password,
        )
        relationship = ResellerRelationship.objects.active().get(customer=customer)
        assert relationship.formed_by == FormedBy.NEW_CUSTOMER
        assert relationship.partner == partner_a
        agreement = AgreementAcceptance.objects.get(customer=customer)
        assert agreement.method == AcceptanceMethod.PARTNER_ATTESTATION
        assert agreement.attested_by_partner == partner_a
        actions = set(AuditEvent.objects.filter(customer=customer).values_list("action", flat=True))
        assert actions == {
            AuditAction.CUSTOMER_ADDED,
            AuditAction.RESELLER_STARTED,
            AuditAction.AGREEMENT_ATTESTED,
        }
        assert selectors.customers_of(partner_a).filter(pk=customer.pk).exists()

    def test_the_customer_may_accept_the_agreement_later(self, partner_a, sales_agent):
        added = services.customer_add(
            partner=partner_a, added_by=sales_agent, details=details(), attestation=None
        )
        assert not AgreementAcceptance.objects.filter(customer=added.customer).exists()

    def test_temporary_passwords_differ_and_are_strong(self):
        passwords = {services.temporary_password() for _ in range(50)}
        assert len(passwords) == 50
        for password in passwords:
            assert len(password) >= 16
            assert any(c.isupper() for c in password) and any(c.isdigit() for c in password)

    def test_a_country_outside_the_market_is_refused_and_nothing_is_created(
        self, partner_a, sales_agent
    ):
        with pytest.raises(services.ServiceError, match="Canada"):
            services.customer_add(
                partner=partner_a,
                added_by=sales_agent,
                details=details(country=Country.objects.get(code="CA")),
                attestation=None,
            )
        assert not Tenant.objects.filter(domain="fourthcoffee.onmicrosoft.com").exists()

    def test_a_taken_domain_is_refused(self, partner_a, sales_agent):
        CustomerFactory(domain="fourthcoffee.onmicrosoft.com")
        assert not Tenant.objects.domain_available("FourthCoffee")
        with pytest.raises(services.ServiceError, match="already taken"):
            services.customer_add(
                partner=partner_a, added_by=sales_agent, details=details(), attestation=None
            )
        assert Tenant.objects.filter(name="Fourth Coffee").count() == 0

    def test_a_bad_prefix_is_refused(self, partner_a, sales_agent):
        with pytest.raises(ValidationError):
            services.customer_add(
                partner=partner_a,
                added_by=sales_agent,
                details=details(domain_prefix="-bad-"),
                attestation=None,
            )

    def test_an_attestation_dated_in_the_future_is_refused(self, partner_a, sales_agent):
        tomorrow = timezone.localdate() + timedelta(days=1)
        with pytest.raises(services.ServiceError, match="future"):
            services.customer_add(
                partner=partner_a,
                added_by=sales_agent,
                details=details(),
                attestation=attestation(accepted_on=tomorrow),
            )

    def test_a_us_government_partner_adds_a_us_government_customer(self, gov_partner):
        agent = member(gov_partner, Role.SALES_AGENT)
        added = services.customer_add(
            partner=gov_partner, added_by=agent, details=details(), attestation=None
        )
        assert added.customer.cloud == Cloud.USGOV


def offer(code):
    return Offer.objects.get(code=code)


class TestPurchase:
    def purchase(self, partner, customer, agent, code="microsoft-365-e3", quantity=5):
        return services.subscription_purchase(
            partner=partner,
            customer=customer,
            offer=offer(code),
            quantity=quantity,
            purchased_by=agent,
        )

    def test_it_is_refused_without_an_agreement(self, partner_a, sales_agent, customer):
        ResellerRelationshipFactory(partner=partner_a, customer=customer)
        with pytest.raises(services.ServiceError, match="Customer Agreement"):
            self.purchase(partner_a, customer, sales_agent)
        assert not Subscription.objects.exists()

    def test_it_is_refused_with_only_an_older_agreement_version(
        self, partner_a, sales_agent, customer
    ):
        ResellerRelationshipFactory(partner=partner_a, customer=customer)
        AgreementAcceptanceFactory(customer=customer, version="MCA 2024-01")
        with pytest.raises(services.ServiceError, match=r"current Microsoft Customer Agreement"):
            self.purchase(partner_a, customer, sales_agent)
        assert not Subscription.objects.exists()

    def test_it_is_refused_without_a_reseller_relationship(self, partner_a, sales_agent, customer):
        AgreementAcceptanceFactory(customer=customer)
        with pytest.raises(services.ServiceError, match="reseller relationship"):
            self.purchase(partner_a, customer, sales_agent)

    def test_it_is_allowed_with_both(self, partner_a, sales_agent, customer):
        ResellerRelationshipFactory(partner=partner_a, customer=customer)
        AgreementAcceptanceFactory(customer=customer)
        subscription = self.purchase(partner_a, customer, sales_agent)
        assert (subscription.quantity, subscription.status) == (5, SubscriptionStatus.ACTIVE)
        assert AuditEvent.objects.filter(action=AuditAction.SUBSCRIPTION_PURCHASED).exists()

    def test_an_azure_plan_has_quantity_one(self, partner_a, sales_agent, customer):
        ResellerRelationshipFactory(partner=partner_a, customer=customer)
        AgreementAcceptanceFactory(customer=customer)
        with pytest.raises(services.ServiceError, match="quantity is 1"):
            self.purchase(partner_a, customer, sales_agent, code="azure-plan", quantity=3)

    @pytest.mark.parametrize("quantity", [0, -1, 10_001])
    def test_the_quantity_is_bounded(self, partner_a, sales_agent, customer, quantity):
        ResellerRelationshipFactory(partner=partner_a, customer=customer)
        AgreementAcceptanceFactory(customer=customer)
        with pytest.raises(services.ServiceError, match="quantity"):
            self.purchase(partner_a, customer, sales_agent, quantity=quantity)


class TestManageSubscription:
    def test_a_licence_subscription_needs_an_entra_role_through_a_security_group(
        self, partner_a, sales_agent, customer
    ):
        ResellerRelationshipFactory(partner=partner_a, customer=customer)
        subscription = SubscriptionFactory(partner=partner_a, customer=customer)
        agent = sales_agent.membership
        with pytest.raises(services.ServiceError, match="no admin relationship in force"):
            services.subscription_update(subscription=subscription, membership=agent, quantity=20)
        relationship = AdminRelationshipFactory(partner=partner_a, customer=customer)
        # The relationship alone gives this agent nothing: its groups hold no role there.
        with pytest.raises(services.ServiceError, match="none of your security groups"):
            services.subscription_update(subscription=subscription, membership=agent, quantity=20)
        grant_roles(agent, relationship, HELPDESK_ADMINISTRATOR)
        with pytest.raises(services.ServiceError, match="License Administrator"):
            services.subscription_update(subscription=subscription, membership=agent, quantity=20)
        grant_roles(agent, relationship, LICENSE_ADMINISTRATOR)
        updated = services.subscription_update(
            subscription=subscription, membership=agent, quantity=20
        )
        assert updated.quantity == 20
        assert AuditEvent.objects.filter(action=AuditAction.SUBSCRIPTION_CHANGED).exists()

    def test_an_assignment_counts_only_while_its_relationship_is_in_force(
        self, partner_a, sales_agent, customer, customer_admin
    ):
        subscription = SubscriptionFactory(partner=partner_a, customer=customer)
        agent = sales_agent.membership
        relationship = AdminRelationshipFactory(partner=partner_a, customer=customer)
        grant_roles(agent, relationship, LICENSE_ADMINISTRATOR)
        assert services.agent_roles_in(agent, customer) == {LICENSE_ADMINISTRATOR}
        later = relationship.ends_at + timedelta(seconds=1)
        assert services.agent_roles_in(agent, customer, now=later) == set()
        services.admin_relationship_terminate(
            relationship=relationship, terminated_by=customer_admin, by=customer
        )
        assert services.agent_roles_in(agent, customer) == set()
        with pytest.raises(services.ServiceError, match="no admin relationship in force"):
            services.subscription_update(subscription=subscription, membership=agent, quantity=3)

    def test_a_role_the_relationship_lacks_gives_nothing_even_if_assigned(
        self, partner_a, sales_agent, customer
    ):
        relationship = AdminRelationshipFactory(
            partner=partner_a, customer=customer, roles=[HELPDESK_ADMINISTRATOR]
        )
        # Written past the service's check, as a stale or tampered row would be.
        grant_roles(sales_agent.membership, relationship, LICENSE_ADMINISTRATOR)
        assert services.agent_roles_in(sales_agent.membership, customer) == set()

    def test_the_partners_own_azure_plan_is_managed_with_the_reseller_relationship_alone(
        self, partner_a, sales_agent, customer
    ):
        ResellerRelationshipFactory(partner=partner_a, customer=customer)
        plan = SubscriptionFactory(
            partner=partner_a, customer=customer, offer=offer("azure-plan"), quantity=1
        )
        suspended = services.subscription_update(
            subscription=plan,
            membership=sales_agent.membership,
            status=SubscriptionStatus.SUSPENDED,
        )
        assert suspended.status == SubscriptionStatus.SUSPENDED
        assert AuditEvent.objects.filter(action=AuditAction.SUBSCRIPTION_SUSPENDED).exists()

    def test_another_partners_azure_plan_is_not_ours_to_manage(
        self, partner_a, partner_b, sales_agent, customer
    ):
        ResellerRelationshipFactory(partner=partner_a, customer=customer)
        relationship = AdminRelationshipFactory(partner=partner_a, customer=customer)
        grant_roles(sales_agent.membership, relationship)
        plan = SubscriptionFactory(
            partner=partner_b, customer=customer, offer=offer("azure-plan"), quantity=1
        )
        with pytest.raises(services.ServiceError, match="Only the partner that sold"):
            services.subscription_update(
                subscription=plan,
                membership=sales_agent.membership,
                status=SubscriptionStatus.SUSPENDED,
            )


class TestEndRelationships:
    def test_ending_the_reseller_relationship_is_refused_while_subscriptions_run(
        self, partner_a, partner_global_admin, customer
    ):
        ResellerRelationshipFactory(partner=partner_a, customer=customer)
        SubscriptionFactory(partner=partner_a, customer=customer)
        with pytest.raises(
            services.ServiceError, match="still has 1 active subscription for Northwind Traders"
        ):
            services.reseller_relationship_end(
                partner=partner_a, customer=customer, ended_by=partner_global_admin, by=partner_a
            )
        assert ResellerRelationship.objects.active().count() == 1

    def test_it_ends_once_they_are_suspended_and_keeps_the_row(
        self, partner_a, partner_global_admin, customer
    ):
        relationship = ResellerRelationshipFactory(partner=partner_a, customer=customer)
        SubscriptionFactory(
            partner=partner_a, customer=customer, status=SubscriptionStatus.SUSPENDED
        )
        services.reseller_relationship_end(
            partner=partner_a, customer=customer, ended_by=partner_global_admin, by=partner_a
        )
        relationship.refresh_from_db()
        assert relationship.ended_at is not None
        assert relationship.ended_by == partner_global_admin
        assert AuditEvent.objects.filter(action=AuditAction.RESELLER_ENDED).count() == 1

    def test_another_partners_subscriptions_do_not_block(
        self, partner_a, partner_b, partner_global_admin, customer
    ):
        ResellerRelationshipFactory(partner=partner_a, customer=customer)
        SubscriptionFactory(partner=partner_b, customer=customer)
        services.reseller_relationship_end(
            partner=partner_a, customer=customer, ended_by=partner_global_admin, by=partner_a
        )
        assert not ResellerRelationship.objects.active().filter(partner=partner_a).exists()

    def test_the_customer_removes_admin_roles(self, partner_a, customer, customer_admin):
        admin = AdminRelationshipFactory(partner=partner_a, customer=customer)
        services.admin_relationship_terminate(
            relationship=admin, terminated_by=customer_admin, by=customer
        )
        admin.refresh_from_db()
        assert admin.display_status() == AdminRelationshipStatus.TERMINATED
        assert (admin.closed_by, admin.closed_by_tenant) == (customer_admin, customer)
        with pytest.raises(services.ServiceError, match="was terminated"):
            services.admin_relationship_terminate(
                relationship=admin, terminated_by=customer_admin, by=customer
            )


def test_organization_profile_update_records_what_changed(customer, customer_admin):
    services.organization_profile_update(
        tenant=customer, updated_by=customer_admin, city="Tacoma", address_line1="2 Elm St"
    )
    customer.refresh_from_db()
    assert customer.city == "Tacoma"
    event = AuditEvent.objects.get(action=AuditAction.PROFILE_UPDATED)
    assert event.details == {"fields": ["address_line1", "city"]}
    services.organization_profile_update(tenant=customer, updated_by=customer_admin, city="Tacoma")
    assert AuditEvent.objects.filter(action=AuditAction.PROFILE_UPDATED).count() == 1


def test_the_same_agreement_version_is_recorded_once_per_customer(customer, customer_admin):
    """A second acceptance of the version already accepted changes nothing (and the database
    refuses a second row: see the PostgreSQL race in tests/admin_center/test_concurrency.py)."""
    signer = services.Signer("Nancy", "Davolio", "nancy@northwind.example")
    first = services.agreement_accept(
        customer=customer, user=customer_admin, signer=signer, client_ip=None
    )
    again = services.agreement_accept(
        customer=customer, user=customer_admin, signer=signer, client_ip=None
    )
    assert again == first
    assert AgreementAcceptance.objects.filter(customer=customer).count() == 1
    with pytest.raises(IntegrityError), transaction.atomic():
        AgreementAcceptance.objects.create(
            customer=customer,
            version=first.version,
            method=first.method,
            signer_first_name="X",
            signer_last_name="Y",
            signer_email="x@y.example",
            accepted_on=first.accepted_on,
            recorded_by=customer_admin,
        )
