"""The shared domain: clouds, markets, tenants, members, relationships, requests, agreements, audit.

Nothing here is ever deleted by the application: relationships and requests end by a change of
state, and audit events are append-only.
"""

import uuid
from datetime import timedelta
from urllib.parse import urlencode

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Exists, OuterRef, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import cached_property

from tenancy import tokens
from tenancy.notifications import EmailContent, render_email

TENANT_DOMAIN_SUFFIX = ".onmicrosoft.com"

# An initial domain prefix is one DNS label: lower-case letters, digits and inner hyphens.
domain_prefix_validator = RegexValidator(
    r"\A[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\Z",
    "Use 1 to 63 lower-case letters, digits or hyphens, not starting or ending with a hyphen.",
    code="invalid_domain_prefix",
)


def validate_tenant_domain(value: str) -> None:
    if not value.endswith(TENANT_DOMAIN_SUFFIX):
        raise ValidationError(
            "The domain must end with %(suffix)s.",
            code="invalid_domain",
            params={"suffix": TENANT_DOMAIN_SUFFIX},
        )
    domain_prefix_validator(value.removesuffix(TENANT_DOMAIN_SUFFIX))


class Cloud(models.TextChoices):
    PUBLIC = "public", "Microsoft commercial cloud"
    USGOV = "usgov", "Microsoft Cloud for US Government"


class Market(models.Model):
    code = models.CharField(max_length=8, primary_key=True)
    name = models.CharField(max_length=100, unique=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Country(models.Model):
    code = models.CharField("ISO 3166 code", max_length=2, primary_key=True)
    name = models.CharField(max_length=100, unique=True)
    market = models.ForeignKey(Market, on_delete=models.PROTECT, related_name="countries")

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "countries"

    def __str__(self) -> str:
        return self.name


class TenantKind(models.TextChoices):
    PARTNER = "partner", "Partner"
    CUSTOMER = "customer", "Customer"


class CspRole(models.TextChoices):
    DIRECT = "direct", "Direct-bill partner"
    INDIRECT_PROVIDER = "indirect_provider", "Indirect provider"
    INDIRECT_RESELLER = "indirect_reseller", "Indirect reseller"


def domain_for(prefix: str) -> str:
    """The initial domain a prefix makes: `contoso` → `contoso.onmicrosoft.com`."""
    return f"{prefix.strip().lower()}{TENANT_DOMAIN_SUFFIX}"


class TenantQuerySet(models.QuerySet):
    def domain_available(self, prefix: str) -> bool:
        return not self.filter(domain=domain_for(prefix)).exists()

    def partners(self):
        return self.filter(kind=TenantKind.PARTNER)

    def customers(self):
        return self.filter(kind=TenantKind.CUSTOMER)

    def customers_of(self, partner: "Tenant"):
        """Customers with which `partner` has or had a reseller relationship."""
        return self.filter(
            Exists(ResellerRelationship.objects.filter(partner=partner, customer=OuterRef("pk"))),
            kind=TenantKind.CUSTOMER,
        )


class Tenant(models.Model):
    """A directory (an Entra tenant) of a partner or a customer."""

    id = models.UUIDField("Microsoft ID", primary_key=True, default=uuid.uuid4, editable=False)
    kind = models.CharField(max_length=10, choices=TenantKind)
    name = models.CharField("company name", max_length=200)
    domain = models.CharField(
        "primary domain",
        max_length=80,
        unique=True,
        validators=[validate_tenant_domain],
        help_text=f"The initial domain, <prefix>{TENANT_DOMAIN_SUFFIX}.",
    )
    country = models.ForeignKey(Country, on_delete=models.PROTECT, related_name="tenants")
    cloud = models.CharField(max_length=10, choices=Cloud, default=Cloud.PUBLIC)

    address_line1 = models.CharField("address line 1", max_length=200, blank=True)
    address_line2 = models.CharField("address line 2", max_length=200, blank=True)
    city = models.CharField(max_length=100, blank=True)
    region = models.CharField("state or province", max_length=100, blank=True)
    postal_code = models.CharField(max_length=20, blank=True)

    contact_first_name = models.CharField("contact first name", max_length=100, blank=True)
    contact_last_name = models.CharField("contact last name", max_length=100, blank=True)
    contact_email = models.EmailField("contact email", blank=True)
    contact_phone = models.CharField("contact phone", max_length=40, blank=True)

    # The partner's numeric PartnerID (formerly MPN ID), shown as "PartnerID".
    mpn_id = models.PositiveIntegerField("PartnerID", null=True, blank=True, unique=True)
    csp_role = models.CharField("CSP role", max_length=20, choices=CspRole, blank=True)

    created_at = models.DateTimeField(default=timezone.now, editable=False)

    # The organization profile: billing address and primary contact, edited together.
    PROFILE_FIELDS = (
        "address_line1",
        "address_line2",
        "city",
        "region",
        "postal_code",
        "contact_first_name",
        "contact_last_name",
        "contact_email",
        "contact_phone",
    )

    objects = TenantQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        # The Customer list sorts by name (then id, to page stably) across a partner's customers.
        indexes = [models.Index(fields=["name", "id"], name="tenant_name_idx")]
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(kind=TenantKind.PARTNER, mpn_id__isnull=False) & ~Q(csp_role="")
                    | Q(kind=TenantKind.CUSTOMER, mpn_id__isnull=True, csp_role="")
                ),
                name="tenant_partner_fields_only_on_partners",
                violation_error_message=(
                    "A partner needs a PartnerID and a CSP role; a customer has neither."
                ),
            ),
            models.CheckConstraint(
                condition=Q(domain__endswith=TENANT_DOMAIN_SUFFIX),
                name="tenant_domain_is_initial_domain",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.domain})"

    @property
    def is_partner(self) -> bool:
        return self.kind == TenantKind.PARTNER

    @property
    def is_customer(self) -> bool:
        return self.kind == TenantKind.CUSTOMER

    @property
    def domain_prefix(self) -> str:
        return self.domain.removesuffix(TENANT_DOMAIN_SUFFIX)

    def has_current_agreement(self) -> bool:
        """Has this customer accepted the version of the Customer Agreement in force today?"""
        return self.agreement_acceptances.current().exists()

    @property
    def has_billing_address(self) -> bool:
        return bool(self.address_line1.strip() and self.city.strip())

    @property
    def address_lines(self) -> list[str]:
        city_line = " ".join(p for p in (self.postal_code, self.city, self.region) if p)
        lines = [self.address_line1, self.address_line2, city_line, self.country.name]
        return [line for line in lines if line]


class Role(models.TextChoices):
    # Partner Center roles.
    GLOBAL_ADMIN = "partner.global_admin", "Global admin"
    ADMIN_AGENT = "partner.admin_agent", "Admin agent"
    SALES_AGENT = "partner.sales_agent", "Sales agent"
    HELPDESK_AGENT = "partner.helpdesk_agent", "Helpdesk agent"
    BILLING_ADMIN = "partner.billing_admin", "Billing admin"
    # A customer organization's roles.
    CUSTOMER_GLOBAL_ADMIN = "customer.global_admin", "Global administrator"
    CUSTOMER_BILLING_ADMIN = "customer.billing_admin", "Billing administrator"
    CUSTOMER_USER = "customer.user", "User"

    @classmethod
    def for_kind(cls, kind: str) -> list["Role"]:
        return [role for role in cls if role.value.startswith(f"{kind}.")]


class MembershipQuerySet(models.QuerySet):
    def of_user(self, user) -> "Membership | None":
        """The user's membership with its tenant, market and roles: what every page needs."""
        if not user.is_authenticated:
            return None
        return (
            self.select_related("tenant__country__market")
            .prefetch_related("role_rows")
            .filter(user=user)
            .first()
        )


class Membership(models.Model):
    """A user's place in one tenant; the roles are MembershipRole rows."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="membership"
    )
    tenant = models.ForeignKey(Tenant, on_delete=models.PROTECT, related_name="memberships")
    must_change_password = models.BooleanField(
        default=False, help_text="Set for a temporary password: the user must change it first."
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    objects = MembershipQuerySet.as_manager()

    class Meta:
        ordering = ["tenant__name", "user__username"]

    def __str__(self) -> str:
        return f"{self.user} in {self.tenant.name}"

    @cached_property
    def roles(self) -> frozenset[Role]:
        return frozenset(Role(row.role) for row in self.role_rows.all())

    @property
    def role_labels(self) -> list[str]:
        return sorted(role.label for role in self.roles)


class MembershipRole(models.Model):
    membership = models.ForeignKey(Membership, on_delete=models.CASCADE, related_name="role_rows")
    role = models.CharField(max_length=30, choices=Role)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["membership", "role"], name="membership_role_once"),
        ]

    def __str__(self) -> str:
        return Role(self.role).label

    def clean(self) -> None:
        super().clean()
        membership = getattr(self, "membership", None)
        if membership and self.role and not self.role.startswith(f"{membership.tenant.kind}."):
            raise ValidationError(
                {"role": f"{Role(self.role).label} is not a role in a {membership.tenant.kind}."}
            )


class RelationshipQuerySet(models.QuerySet):
    def active(self):
        return self.filter(ended_at__isnull=True)

    def between(self, partner: Tenant, customer: Tenant):
        return self.filter(partner=partner, customer=customer)


class ResellerRelationshipQuerySet(RelationshipQuerySet):
    def customer_list(self, partner: Tenant):
        """One row per customer `partner` has or had: the pair's latest relationship (active, or
        the last one that ended), annotated `has_admin_relationship`.

        Driven from this table so that the (partner, created_at) index serves "newest first"
        and the pair index the "no newer relationship" check, at any number of customers.
        """
        newer = ResellerRelationship.objects.filter(
            Q(created_at__gt=OuterRef("created_at"))
            | Q(created_at=OuterRef("created_at"), pk__gt=OuterRef("pk")),
            partner=partner,
            customer=OuterRef("customer"),
        )
        admin = AdminRelationship.objects.active().filter(
            partner=partner, customer=OuterRef("customer")
        )
        return (
            self.filter(partner=partner)
            .exclude(Exists(newer))
            .annotate(has_admin_relationship=Exists(admin))
        )


class Ending:
    """Relationships end by a change of state, recorded with who ended them; never deleted."""

    def end(self, *, by) -> None:
        self.ended_at = timezone.now()
        self.ended_by = by
        self.save(update_fields=["ended_at", "ended_by"])


class FormedBy(models.TextChoices):
    NEW_CUSTOMER = "new_customer", "New customer (Add customer)"
    INVITATION = "invitation", "Accepted request"


class ResellerRelationship(Ending, models.Model):
    """A partner resells to a customer. Active while `ended_at` is empty; never deleted."""

    partner = models.ForeignKey(
        Tenant, on_delete=models.PROTECT, related_name="customer_relationships"
    )
    customer = models.ForeignKey(
        Tenant, on_delete=models.PROTECT, related_name="reseller_relationships"
    )
    formed_by = models.CharField(max_length=20, choices=FormedBy)
    invitation = models.ForeignKey(
        "Invitation", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    ended_at = models.DateTimeField(null=True, blank=True)
    ended_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    objects = ResellerRelationshipQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["partner", "customer", "created_at"], name="reseller_pair_idx"),
            models.Index(fields=["partner", "-created_at"], name="reseller_partner_since_idx"),
            models.Index(fields=["customer", "partner"], name="reseller_customer_idx"),
        ]
        constraints = [
            # The CSP rule: a partner is a customer's reseller once, however many requests were
            # accepted or raced each other.
            models.UniqueConstraint(
                fields=["partner", "customer"],
                condition=Q(ended_at__isnull=True),
                name="one_active_reseller_relationship_per_pair",
                violation_error_message="This partner is already the customer's reseller.",
            ),
            models.CheckConstraint(
                condition=~Q(partner=models.F("customer")),
                name="reseller_relationship_between_two_tenants",
            ),
            models.CheckConstraint(
                condition=Q(ended_at__isnull=True) | Q(ended_at__gte=models.F("created_at")),
                name="reseller_relationship_ends_after_it_starts",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.partner.name} resells to {self.customer.name}"

    @property
    def is_active(self) -> bool:
        return self.ended_at is None


class AdminRole(models.TextChoices):
    """Directory roles a partner's agents hold in a customer organization (delegated admin)."""

    GLOBAL_ADMINISTRATOR = "global_administrator", "Global Administrator"
    HELPDESK_ADMINISTRATOR = "helpdesk_administrator", "Helpdesk Administrator"


# What a request for delegated administration grants, and what it lets the partner's agents do.
DELEGATED_ADMIN_ROLES = [AdminRole.GLOBAL_ADMINISTRATOR, AdminRole.HELPDESK_ADMINISTRATOR]
ADMIN_ROLE_MEANINGS = {
    AdminRole.GLOBAL_ADMINISTRATOR: (
        "The partner's Admin agents act as Global Administrators in your organization: they can "
        "add and remove users, assign licences, manage domains and change every service setting."
    ),
    AdminRole.HELPDESK_ADMINISTRATOR: (
        "The partner's Helpdesk agents act as Helpdesk Administrators: they can reset passwords "
        "of users who are not administrators and open service requests for you."
    ),
}


class AdminRelationship(Ending, models.Model):
    """Delegated admin permissions of a partner in a customer. Active while `ended_at` is empty."""

    partner = models.ForeignKey(Tenant, on_delete=models.PROTECT, related_name="admin_grants")
    customer = models.ForeignKey(
        Tenant, on_delete=models.PROTECT, related_name="admin_relationships"
    )
    roles = models.JSONField(default=list, help_text="AdminRole values granted.")
    invitation = models.ForeignKey(
        "Invitation", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    granted_at = models.DateTimeField(default=timezone.now)
    granted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    ended_at = models.DateTimeField(null=True, blank=True)
    ended_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    objects = RelationshipQuerySet.as_manager()

    class Meta:
        ordering = ["-granted_at"]
        indexes = [
            models.Index(fields=["partner", "customer"], name="admin_pair_idx"),
            models.Index(fields=["customer", "partner"], name="admin_customer_idx"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["partner", "customer"],
                condition=Q(ended_at__isnull=True),
                name="one_active_admin_relationship_per_pair",
                violation_error_message="This partner already has admin roles in the customer.",
            ),
            models.CheckConstraint(
                condition=~Q(partner=models.F("customer")),
                name="admin_relationship_between_two_tenants",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.partner.name} administers {self.customer.name}"

    @property
    def is_active(self) -> bool:
        return self.ended_at is None

    @property
    def role_labels(self) -> list[str]:
        return [AdminRole(role).label for role in self.roles if role in AdminRole.values]


class InvitationStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    OPENED = "opened", "Opened"
    ACCEPTED = "accepted", "Accepted"
    DECLINED = "declined", "Declined"
    REVOKED = "revoked", "Revoked"
    EXPIRED = "expired", "Expired"


# The states stored in the database; "opened" and "expired" are read off the timestamps.
STORED_INVITATION_STATUSES = [
    (s.value, s.label)
    for s in (
        InvitationStatus.PENDING,
        InvitationStatus.ACCEPTED,
        InvitationStatus.DECLINED,
        InvitationStatus.REVOKED,
    )
]


def default_invitation_expiry():
    return timezone.now() + timedelta(days=settings.INVITATION_VALID_DAYS)


class InvitationQuerySet(models.QuerySet):
    def with_status(self, status: InvitationStatus, now=None):
        """Requests a person would see with `status` (see `Invitation.display_status`)."""
        now = now or timezone.now()
        pending = Q(status=InvitationStatus.PENDING)
        condition = {
            InvitationStatus.PENDING: pending & Q(expires_at__gt=now, opened_at__isnull=True),
            InvitationStatus.OPENED: pending & Q(expires_at__gt=now, opened_at__isnull=False),
            InvitationStatus.EXPIRED: pending & Q(expires_at__lte=now),
        }.get(status, Q(status=status))
        return self.filter(condition)


class Invitation(models.Model):
    """A reseller relationship request ("New relationship").

    The link carries a token derived from the secret key and `token_salt`; only a hash of the
    token is stored, so a copy of the database alone yields no working link.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    partner = models.ForeignKey(Tenant, on_delete=models.PROTECT, related_name="invitations")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    label = models.CharField(
        max_length=200, blank=True, help_text="For whom the request is meant (name or email)."
    )
    recipient_email = models.EmailField(blank=True)
    include_admin = models.BooleanField(
        "includes delegated administration permissions", default=True
    )
    token_salt = models.CharField(max_length=32, editable=False)
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField(default=default_invitation_expiry)
    status = models.CharField(
        max_length=10, choices=STORED_INVITATION_STATUSES, default=InvitationStatus.PENDING
    )
    opened_at = models.DateTimeField(null=True, blank=True)
    answered_at = models.DateTimeField(null=True, blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    answered_tenant = models.ForeignKey(
        Tenant, on_delete=models.PROTECT, null=True, blank=True, related_name="answered_invitations"
    )
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    objects = InvitationQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["partner", "-created_at"], name="invitation_partner_idx")]
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(
                        status__in=[InvitationStatus.ACCEPTED, InvitationStatus.DECLINED],
                        answered_at__isnull=False,
                        answered_by__isnull=False,
                        answered_tenant__isnull=False,
                    )
                    | Q(
                        status__in=[InvitationStatus.PENDING, InvitationStatus.REVOKED],
                        answered_at__isnull=True,
                        answered_tenant__isnull=True,
                    )
                ),
                name="invitation_answer_matches_status",
            ),
            models.CheckConstraint(
                condition=Q(status=InvitationStatus.REVOKED, revoked_at__isnull=False)
                | (~Q(status=InvitationStatus.REVOKED) & Q(revoked_at__isnull=True)),
                name="invitation_revocation_matches_status",
            ),
        ]

    def __str__(self) -> str:
        return f"Request {str(self.id)[:8]} from {self.partner.name}"

    def display_status(self, now=None) -> InvitationStatus:
        """What a person sees: stored state, with "opened" and "expired" read off the times."""
        if self.status != InvitationStatus.PENDING:
            return InvitationStatus(self.status)
        if self.is_expired(now):
            return InvitationStatus.EXPIRED
        if self.opened_at:
            return InvitationStatus.OPENED
        return InvitationStatus.PENDING

    def is_expired(self, now=None) -> bool:
        return (now or timezone.now()) >= self.expires_at

    @property
    def is_open(self) -> bool:
        return self.status == InvitationStatus.PENDING and not self.is_expired()

    def mint_token(self) -> str:
        """Give this (unsaved) request a new secret token; returns it. Only its hash is kept."""
        self.token_salt = tokens.new_salt()
        token = tokens.make_token(self.id, self.token_salt)
        self.token_hash = tokens.hash_token(token)
        return token

    def token(self) -> str:
        token = tokens.recover_token(self.id, self.token_salt, self.token_hash)
        if token is None:
            raise LinkUnavailable(
                "This request's link can no longer be shown: the key it was made with was "
                "retired. Revoke the request and make a new one."
            )
        return token

    def link(self) -> str:
        """The absolute link, in the admin portal of the partner's cloud, with the real link's
        parameters (so a partner recognizes it) and the token."""
        from tenancy.portals import admin_portal_for  # the portals module reads Cloud from here

        portal = admin_portal_for(self.partner.cloud)
        path = reverse("admin_center:invitation-open", current_app=portal.namespace)
        query = urlencode(
            {
                "invType": "ResellerRelationship",
                "partnerId": str(self.partner_id),
                "msppId": "0",
                "DAP": "true" if self.include_admin else "false",
                "token": self.token(),
            }
        )
        return f"{portal.absolute(path)}?{query}"

    def email(self) -> EmailContent:
        """The templated email that carries the link."""
        from tenancy.portals import admin_portal_for

        return render_email(
            "invitation",
            {
                "invitation": self,
                "partner": self.partner,
                "portal": admin_portal_for(self.partner.cloud),
                "link": self.link(),
                "admin_roles": [
                    (role.label, ADMIN_ROLE_MEANINGS[role]) for role in DELEGATED_ADMIN_ROLES
                ],
            },
        )


class LinkUnavailable(Exception):
    """The secret key that made a request's token was retired: its link can't be shown again."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message
        self.code = "link_unavailable"


class AcceptanceMethod(models.TextChoices):
    CUSTOMER = "customer", "Accepted by the customer in the admin center"
    PARTNER_ATTESTATION = "partner_attestation", "Attested by the partner"


class AgreementAcceptanceQuerySet(models.QuerySet):
    def current(self):
        """Acceptances of the version customers accept today (purchases need one)."""
        return self.filter(version=settings.CUSTOMER_AGREEMENT_VERSION)


class AgreementAcceptance(models.Model):
    """A customer's acceptance of the Microsoft Customer Agreement. Never deleted."""

    customer = models.ForeignKey(
        Tenant, on_delete=models.PROTECT, related_name="agreement_acceptances"
    )
    version = models.CharField(max_length=40)
    method = models.CharField(max_length=20, choices=AcceptanceMethod)
    signer_first_name = models.CharField(max_length=100)
    signer_last_name = models.CharField(max_length=100)
    signer_email = models.EmailField()
    signer_phone = models.CharField(max_length=40, blank=True)
    accepted_on = models.DateField(help_text="The day the signer accepted the agreement.")
    recorded_at = models.DateTimeField(default=timezone.now)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    client_ip = models.GenericIPAddressField(null=True, blank=True)
    invitation = models.ForeignKey(
        Invitation, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    attested_by_partner = models.ForeignKey(
        Tenant, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    objects = AgreementAcceptanceQuerySet.as_manager()

    class Meta:
        ordering = ["-recorded_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(method=AcceptanceMethod.CUSTOMER, attested_by_partner__isnull=True)
                | Q(method=AcceptanceMethod.PARTNER_ATTESTATION, attested_by_partner__isnull=False),
                name="agreement_attestation_names_partner",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.customer.name} accepted {self.version}"

    @property
    def signer_name(self) -> str:
        return f"{self.signer_first_name} {self.signer_last_name}"

    @property
    def is_current(self) -> bool:
        return self.version == settings.CUSTOMER_AGREEMENT_VERSION


class OfferKind(models.TextChoices):
    LICENSE = "license", "Licence-based"
    AZURE = "azure", "Azure plan"


class Offer(models.Model):
    code = models.SlugField(max_length=60, primary_key=True)
    name = models.CharField(max_length=120, unique=True)
    kind = models.CharField(max_length=10, choices=OfferKind)
    description = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def is_azure(self) -> bool:
        return self.kind == OfferKind.AZURE


class SubscriptionStatus(models.TextChoices):
    ACTIVE = "active", "Active"
    SUSPENDED = "suspended", "Suspended"


class SubscriptionQuerySet(models.QuerySet):
    def active(self):
        return self.filter(status=SubscriptionStatus.ACTIVE)


class Subscription(models.Model):
    """A subscription a partner bought on behalf of a customer."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    partner = models.ForeignKey(Tenant, on_delete=models.PROTECT, related_name="sold_subscriptions")
    customer = models.ForeignKey(Tenant, on_delete=models.PROTECT, related_name="subscriptions")
    offer = models.ForeignKey(Offer, on_delete=models.PROTECT, related_name="subscriptions")
    quantity = models.PositiveIntegerField(default=1)
    status = models.CharField(
        max_length=10, choices=SubscriptionStatus, default=SubscriptionStatus.ACTIVE
    )
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    updated_at = models.DateTimeField(default=timezone.now)

    objects = SubscriptionQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["partner", "customer", "status"], name="subscription_pair_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(quantity__gte=1), name="subscription_quantity_positive"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.offer.name} × {self.quantity} for {self.customer.name}"  # noqa: RUF001

    @property
    def is_active(self) -> bool:
        return self.status == SubscriptionStatus.ACTIVE


class AuditAction(models.TextChoices):
    INVITATION_CREATED = "invitation.created", "Created a reseller relationship request"
    INVITATION_SENT = "invitation.sent", "Emailed a reseller relationship request"
    INVITATION_OPENED = "invitation.opened", "Opened a reseller relationship request"
    INVITATION_REVOKED = "invitation.revoked", "Revoked a reseller relationship request"
    INVITATION_ACCEPTED = "invitation.accepted", "Accepted a reseller relationship request"
    INVITATION_DECLINED = "invitation.declined", "Declined a reseller relationship request"
    INVITATION_REFUSED = "invitation.refused", "A reseller relationship request was refused"
    CUSTOMER_ADDED = "customer.added", "Added a customer"
    AGREEMENT_ACCEPTED = "agreement.accepted", "Accepted the Microsoft Customer Agreement"
    AGREEMENT_ATTESTED = "agreement.attested", "Attested acceptance of the Customer Agreement"
    RESELLER_STARTED = "reseller.started", "Reseller relationship started"
    RESELLER_ENDED = "reseller.ended", "Reseller relationship ended"
    ADMIN_GRANTED = "admin.granted", "Admin roles granted"
    ADMIN_REMOVED = "admin.removed", "Admin roles removed"
    SUBSCRIPTION_PURCHASED = "subscription.purchased", "Purchased a subscription"
    SUBSCRIPTION_CHANGED = "subscription.changed", "Changed a subscription's quantity"
    SUBSCRIPTION_SUSPENDED = "subscription.suspended", "Suspended a subscription"
    SUBSCRIPTION_REACTIVATED = "subscription.reactivated", "Reactivated a subscription"
    PROFILE_UPDATED = "profile.updated", "Updated the organization profile"


class AppendOnlyQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise TypeError("Audit events are append-only.")

    def delete(self):
        raise TypeError("Audit events are append-only.")


class AuditEvent(models.Model):
    """One state change: who did what, to which tenants. Append-only."""

    at = models.DateTimeField(default=timezone.now)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # The actor as they were named then, so the line reads the same after a rename.
    actor_label = models.CharField(max_length=200, blank=True)
    actor_tenant = models.ForeignKey(
        Tenant, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    action = models.CharField(max_length=40, choices=AuditAction)
    partner = models.ForeignKey(
        Tenant, on_delete=models.PROTECT, null=True, blank=True, related_name="partner_events"
    )
    customer = models.ForeignKey(
        Tenant, on_delete=models.PROTECT, null=True, blank=True, related_name="customer_events"
    )
    invitation = models.ForeignKey(
        Invitation, on_delete=models.PROTECT, null=True, blank=True, related_name="events"
    )
    details = models.JSONField(default=dict, blank=True)

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [
            models.Index(fields=["partner", "-at"], name="audit_partner_at_idx"),
            models.Index(fields=["customer", "-at"], name="audit_customer_at_idx"),
            models.Index(fields=["-at"], name="audit_at_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.get_action_display()}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise TypeError("Audit events are append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise TypeError("Audit events are append-only.")
