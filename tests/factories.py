"""factory-boy factories, one per model. Countries and offers come from the data migrations."""

import uuid
from datetime import timedelta

import factory
from django.conf import settings
from django.contrib.auth import get_user_model
from django.utils import timezone
from factory.django import DjangoModelFactory

from tenancy.models import (
    DELEGATED_ADMIN_ROLES,
    AcceptanceMethod,
    AdminRelationship,
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
    ResellerRelationship,
    Role,
    Subscription,
    Tenant,
    TenantKind,
)
from tenancy.services.customer_list import customer_list_refresh

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


class AdminRelationshipFactory(DjangoModelFactory[AdminRelationship]):
    class Meta:
        model = AdminRelationship
        skip_postgeneration_save = True

    partner = factory.SubFactory(PartnerFactory)
    customer = factory.SubFactory(CustomerFactory)
    roles = factory.LazyFunction(lambda: [role.value for role in DELEGATED_ADMIN_ROLES])

    @factory.post_generation
    def customer_list(self, create, extracted, **kwargs):
        if create:
            customer_list_refresh(partner=self.partner, customer=self.customer)


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
