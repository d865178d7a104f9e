"""factory-boy factories, one per model. Countries and offers come from the data migrations."""

import uuid
from datetime import timedelta

import factory
from django.conf import settings
from django.contrib.auth import get_user_model
from django.utils import timezone
from factory.django import DjangoModelFactory

from tenancy.effects.customer_list import customer_list_rebuild, customer_list_refresh
from tenancy.models import (
    DEFAULT_ROLES,
    AcceptanceMethod,
    AccessAssignment,
    AdminRelationship,
    AdminRelationshipStatus,
    AgreementAcceptance,
    AuditAction,
    AuditEvent,
    Cloud,
    Country,
    CspRole,
    FormedBy,
    Invitation,
    Market,
    Membership,
    MembershipRole,
    Offer,
    OfferKind,
    Partnership,
    PartnershipStatus,
    ResellerRelationship,
    Role,
    SecurityGroup,
    SecurityGroupMember,
    Subscription,
    Tenant,
    TenantKind,
)

PASSWORD = "correct-horse-battery-staple"


class UserFactory(DjangoModelFactory[get_user_model()]):
    class Meta:
        model = get_user_model()
        django_get_or_create = ["username"]
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"person{n}@example.onmicrosoft.com")
    email = factory.LazyAttribute(lambda o: o.username)
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    password = factory.django.Password(PASSWORD)


class MarketFactory(DjangoModelFactory[Market]):
    """Markets and countries come from the data migration; these find them (or add one)."""

    class Meta:
        model = Market
        django_get_or_create = ["code"]

    code = "US"
    name = "United States"


class CountryFactory(DjangoModelFactory[Country]):
    class Meta:
        model = Country
        django_get_or_create = ["code"]

    code = "US"
    name = "United States"
    market = factory.SubFactory(MarketFactory)


class OfferFactory(DjangoModelFactory[Offer]):
    class Meta:
        model = Offer
        django_get_or_create = ["code"]

    code = factory.Sequence(lambda n: f"offer-{n}")
    name = factory.Sequence(lambda n: f"Offer {n}")
    kind = OfferKind.LICENSE


class TenantFactory(DjangoModelFactory[Tenant]):
    class Meta:
        model = Tenant

    kind = TenantKind.CUSTOMER
    name = factory.Faker("company")
    domain = factory.Sequence(lambda n: f"tenant{n}.onmicrosoft.com")
    country_id = "US"
    cloud = Cloud.PUBLIC
    address_line1 = factory.Faker("street_address")
    city = factory.Faker("city")
    postal_code = factory.Faker("postcode")


class CustomerFactory(TenantFactory):
    domain = factory.Sequence(lambda n: f"customer{n}.onmicrosoft.com")


class PartnerFactory(TenantFactory):
    kind = TenantKind.PARTNER
    domain = factory.Sequence(lambda n: f"partner{n}.onmicrosoft.com")
    mpn_id = factory.Sequence(lambda n: 4_000_000 + n)
    csp_role = CspRole.DIRECT


class ProviderFactory(PartnerFactory):
    """An indirect provider (a distributor)."""

    domain = factory.Sequence(lambda n: f"provider{n}.onmicrosoft.com")
    csp_role = CspRole.INDIRECT_PROVIDER


class IndirectResellerFactory(PartnerFactory):
    domain = factory.Sequence(lambda n: f"reseller{n}.onmicrosoft.com")
    csp_role = CspRole.INDIRECT_RESELLER


class MembershipFactory(DjangoModelFactory[Membership]):
    """`MembershipFactory(tenant=t, roles=[Role.SALES_AGENT])`; the user is named in t's domain."""

    class Meta:
        model = Membership
        skip_postgeneration_save = True

    tenant = factory.SubFactory(CustomerFactory)
    user = factory.SubFactory(
        UserFactory,
        username=factory.LazyAttributeSequence(
            lambda o, n: f"member{n}@{o.factory_parent.tenant.domain}"
        ),
    )

    @factory.post_generation
    def roles(self, create, extracted, **kwargs):
        for role in extracted or []:
            MembershipRole.objects.create(membership=self, role=role)


def member(tenant: Tenant, *roles: Role, **user_fields):
    """A user of `tenant` holding `roles`."""
    user_fields = {f"user__{name}": value for name, value in user_fields.items()}
    membership = MembershipFactory(tenant=tenant, roles=list(roles), **user_fields)
    return membership.user


class ResellerRelationshipFactory(DjangoModelFactory[ResellerRelationship]):
    class Meta:
        model = ResellerRelationship
        skip_postgeneration_save = True

    partner = factory.SubFactory(PartnerFactory)
    customer = factory.SubFactory(CustomerFactory)
    formed_by = FormedBy.INVITATION
    created_at = factory.LazyFunction(lambda: timezone.now() - timedelta(days=30))

    @factory.post_generation
    def customer_list(self, create, extracted, **kwargs):
        # As the services do: the Customer list's read model follows the relationship.
        if create:
            customer_list_refresh(partner=self.partner, customer=self.customer)


class PartnershipFactory(DjangoModelFactory[Partnership]):
    """An active partnership (`status=PartnershipStatus.PENDING` for a request not answered)."""

    class Meta:
        model = Partnership

    provider = factory.SubFactory(ProviderFactory)
    reseller = factory.SubFactory(IndirectResellerFactory)
    status = PartnershipStatus.ACTIVE
    requested_at = factory.LazyFunction(lambda: timezone.now() - timedelta(days=60))
    requested_by = factory.LazyAttribute(
        lambda o: MembershipFactory(tenant=o.provider, roles=[Role.GLOBAL_ADMIN]).user
    )
    answered_at = factory.LazyAttribute(
        lambda o: None if o.status == PartnershipStatus.PENDING else o.requested_at
    )
    answered_by = factory.LazyAttribute(
        lambda o: (
            None
            if o.status == PartnershipStatus.PENDING
            else MembershipFactory(tenant=o.reseller, roles=[Role.GLOBAL_ADMIN]).user
        )
    )


def indirect_link(reseller: Tenant, customer: Tenant, provider: Tenant, **fields):
    """The customer is the provider's (reseller of record) and the reseller's through it, as an
    accepted two-tier request leaves them."""
    ResellerRelationshipFactory(partner=provider, customer=customer, **fields)
    return ResellerRelationshipFactory(
        partner=reseller, customer=customer, indirect_provider=provider, **fields
    )


class AdminRelationshipFactory(DjangoModelFactory[AdminRelationship]):
    """An approved admin relationship, 10 days into 90 (`pending=True`: finalized, waiting for
    the customer, with a working link: `factory_admin_token(relationship)`)."""

    class Meta:
        model = AdminRelationship
        skip_postgeneration_save = True

    class Params:
        pending = factory.Trait(
            status=AdminRelationshipStatus.APPROVAL_PENDING,
            approved_at=None,
            ends_at=None,
            approved_by=None,
        )

    partner = factory.SubFactory(PartnerFactory)
    customer = factory.SubFactory(CustomerFactory)
    name = factory.Sequence(lambda n: f"Admin relationship {n}")
    roles = factory.LazyFunction(lambda: sorted(DEFAULT_ROLES))
    duration_days = 90
    status = AdminRelationshipStatus.ACTIVE
    created_at = factory.LazyFunction(lambda: timezone.now() - timedelta(days=11))
    finalized_at = factory.LazyAttribute(lambda o: o.created_at)
    approved_at = factory.LazyFunction(lambda: timezone.now() - timedelta(days=10))
    ends_at = factory.LazyAttribute(
        lambda o: o.approved_at + timedelta(days=o.duration_days) if o.approved_at else None
    )

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        relationship = model_class(*args, **kwargs)
        if relationship.status != AdminRelationshipStatus.CREATED:
            relationship.mint_token()
        relationship.save(force_insert=True)
        return relationship

    @factory.post_generation
    def customer_list(self, create, extracted, **kwargs):
        if create and self.customer_id and self.approved_at:
            customer_list_refresh(partner=self.partner, customer=self.customer)


def factory_admin_token(relationship: AdminRelationship) -> str:
    return relationship.token()


class SecurityGroupFactory(DjangoModelFactory[SecurityGroup]):
    class Meta:
        model = SecurityGroup

    partner = factory.SubFactory(PartnerFactory)
    name = factory.Sequence(lambda n: f"Security group {n}")


def grant_roles(membership: Membership, relationship: AdminRelationship, *roles: str):
    """Put `membership` in a new security group assigned `roles` (default: all of the
    relationship's) on `relationship`; returns the assignment."""
    group = SecurityGroupFactory(partner=relationship.partner)
    SecurityGroupMember.objects.create(group=group, membership=membership)
    return AccessAssignment.objects.create(
        relationship=relationship, group=group, roles=list(roles or relationship.roles)
    )


class InvitationFactory(DjangoModelFactory[Invitation]):
    """An invitation with a working token; `factory_token(invitation)` gives it back."""

    class Meta:
        model = Invitation

    partner = factory.SubFactory(PartnerFactory)
    created_by = factory.LazyAttribute(lambda o: member(o.partner, Role.SALES_AGENT))
    include_admin = True
    id = factory.LazyFunction(uuid.uuid4)
    expires_at = factory.LazyFunction(
        lambda: timezone.now() + timedelta(days=settings.INVITATION_VALID_DAYS)
    )

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        invitation = model_class(*args, **kwargs)
        if not invitation.token_hash:
            invitation.mint_token()
        invitation.save(force_insert=True)
        return invitation


def factory_token(invitation: Invitation) -> str:
    return invitation.token()


class AgreementAcceptanceFactory(DjangoModelFactory[AgreementAcceptance]):
    class Meta:
        model = AgreementAcceptance

    customer = factory.SubFactory(CustomerFactory)
    version = factory.LazyFunction(lambda: settings.CUSTOMER_AGREEMENT_VERSION)
    method = AcceptanceMethod.CUSTOMER
    signer_first_name = factory.Faker("first_name")
    signer_last_name = factory.Faker("last_name")
    signer_email = factory.Faker("email")
    accepted_on = factory.LazyFunction(timezone.localdate)
    recorded_by = factory.LazyAttribute(lambda o: member(o.customer, Role.CUSTOMER_GLOBAL_ADMIN))


class SubscriptionFactory(DjangoModelFactory[Subscription]):
    class Meta:
        model = Subscription

    partner = factory.SubFactory(PartnerFactory)
    customer = factory.SubFactory(CustomerFactory)
    offer = factory.LazyFunction(lambda: Offer.objects.get(code="microsoft-365-business-basic"))
    quantity = 10
    created_by = factory.LazyAttribute(lambda o: member(o.partner, Role.SALES_AGENT))


class AuditEventFactory(DjangoModelFactory[AuditEvent]):
    class Meta:
        model = AuditEvent

    action = AuditAction.CUSTOMER_ADDED
    partner = factory.SubFactory(PartnerFactory)
    customer = factory.SubFactory(CustomerFactory)
    actor_tenant = factory.SelfAttribute("partner")


def make_customers(partner: Tenant, count: int, **fields) -> list[Tenant]:
    """`count` customers of `partner`, each with an active reseller relationship and a row on
    its Customer list, written in bulk."""
    customers = Tenant.objects.bulk_create(
        CustomerFactory.build(domain=f"bulk{uuid.uuid4().hex}.onmicrosoft.com", **fields)
        for _ in range(count)
    )
    ResellerRelationship.objects.bulk_create(
        ResellerRelationship(partner=partner, customer=customer, formed_by=FormedBy.INVITATION)
        for customer in customers
    )
    customer_list_rebuild(partner=partner)
    return customers
