"""Clouds, markets and countries; tenants (partner and customer directories), members, roles."""

import uuid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import OuterRef, Q, StringAgg, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from tenancy.choices import Cloud, CspRole, Role, TenantKind
from tenancy.models.choice_labels import ChoiceLabels
from tenancy.prepared import Prepared
from tenancy.text import country_name

TENANT_DOMAIN_SUFFIX = ".onmicrosoft.com"

# An initial domain prefix is one DNS label: lower-case letters, digits and inner hyphens.
domain_prefix_validator = RegexValidator(
    r"\A[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\Z",
    gettext_lazy(
        "Use 1 to 63 lower-case letters, digits or hyphens, not starting or ending with a hyphen."
    ),
    code="invalid_domain_prefix",
)


def validate_tenant_domain(value: str) -> None:
    if not value.endswith(TENANT_DOMAIN_SUFFIX):
        raise ValidationError(
            _("The domain must end with %(suffix)s."),
            code="invalid_domain",
            params={"suffix": TENANT_DOMAIN_SUFFIX},
        )
    domain_prefix_validator(value.removesuffix(TENANT_DOMAIN_SUFFIX))


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


class Tenant(ChoiceLabels, models.Model):
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
        lines = [self.address_line1, self.address_line2, city_line, country_name(self.country)]
        return [line for line in lines if line]


# What every page shows of a membership besides its roles: its tenant, their country and market.
MEMBERSHIP_RELATED = "tenant__country__market"
# What a query of another model that reaches a membership (the signed-in user, an app) reads of
# it beside the rows: its roles, and its tenant's Customer list version (MembershipQuerySet.
# carried_by, then Membership.take_carried).
CARRIED_ROLES = "membership_role_list"
CARRIED_LIST_VERSION = "membership_customer_list_version"


class MembershipQuerySet(models.QuerySet):
    @staticmethod
    def roles_joined(membership) -> Subquery:
        """The roles of `membership` (an OuterRef to its id) as one delimited string, as a
        subquery: they come in the query that reads the membership (see Membership.roles)."""
        return Subquery(
            MembershipRole.objects.filter(membership=membership)
            .values("membership")
            .annotate(joined=StringAgg("role", Value(",")))
            .values("joined")
        )

    @staticmethod
    def customer_list_version(tenant) -> Coalesce:
        """The version of `tenant`'s Customer list (an OuterRef to it), 0 before its first
        change, as a subquery: read with the membership, before any page reads the list."""
        from tenancy.models.customer_list import CustomerListVersion

        return Coalesce(
            Subquery(CustomerListVersion.objects.filter(partner=tenant).values("version")),
            0,
        )

    @staticmethod
    def carried_by(path: str) -> dict:
        """The annotations that read the roles and the Customer list version of the membership a
        query reaches by `path` ("membership" from a user), in that query."""
        return {
            CARRIED_ROLES: MembershipQuerySet.roles_joined(OuterRef(path)),
            CARRIED_LIST_VERSION: MembershipQuerySet.customer_list_version(
                OuterRef(f"{path}__tenant")
            ),
        }

    def of_user(self, user) -> "Membership | None":
        """The user's membership with its tenant, market and roles: what every page needs.
        (A signed-in user's comes with the user: tenancy.web.auth_backend.)"""
        if not user.is_authenticated:
            return None
        return _MEMBERSHIP_OF_USER.first(user=user.pk)


class Membership(ChoiceLabels, models.Model):
    """A user's place in one tenant; the roles are MembershipRole rows."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="membership"
    )
    tenant = models.ForeignKey(Tenant, on_delete=models.PROTECT, related_name="memberships")
    must_change_password = models.BooleanField(
        default=False, help_text="Set for a temporary password: the user must change it first."
    )
    # The portals' language this user chose in the header's picker; empty: the browser's.
    language = models.CharField(max_length=10, choices=settings.LANGUAGES, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    objects = MembershipQuerySet.as_manager()

    # The version of the tenant's Customer list, read with the membership (of_user, and the
    # signed-in user's in tenancy.web.auth_backend); None when it was not read with it.
    customer_list_version: int | None = None

    class Meta:
        ordering = ["tenant__name", "user__username"]

    def __str__(self) -> str:
        return f"{self.user} in {self.tenant.name}"

    def take_carried(self, row) -> None:
        """Take the roles and the list version read with `row` (MembershipQuerySet.carried_by)."""
        self.role_list = getattr(row, CARRIED_ROLES)
        self.customer_list_version = getattr(row, CARRIED_LIST_VERSION)

    @cached_property
    def roles(self) -> frozenset[Role]:
        if hasattr(self, "role_list"):  # read with the membership (MembershipQuerySet.of_user)
            return frozenset(Role(role) for role in (self.role_list or "").split(",") if role)
        return frozenset(Role(row.role) for row in self.role_rows.all())

    @property
    def role_labels(self) -> list[str]:
        """The roles' names in the request's language, in its alphabetical order."""
        return sorted(str(role.label) for role in self.roles)


class MembershipRole(ChoiceLabels, models.Model):
    membership = models.ForeignKey(Membership, on_delete=models.CASCADE, related_name="role_rows")
    role = models.CharField(max_length=30, choices=Role)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["membership", "role"], name="membership_role_once"),
        ]

    def __str__(self) -> str:
        return str(Role(self.role).label)

    def clean(self) -> None:
        super().clean()
        membership = getattr(self, "membership", None)
        if membership and self.role and not self.role.startswith(f"{membership.tenant.kind}."):
            raise ValidationError(
                {"role": f"{Role(self.role).label} is not a role in a {membership.tenant.kind}."}
            )


# A user has one membership at most (OneToOne): no ordering, nor the join it would take. Read on
# every request an app makes (and by sessions signed in before tenancy.web.auth_backend came):
# compiled once (tenancy.prepared).
_MEMBERSHIP_OF_USER = Prepared(
    lambda user: (
        Membership.objects.select_related(MEMBERSHIP_RELATED)
        .annotate(
            role_list=MembershipQuerySet.roles_joined(OuterRef("pk")),
            customer_list_version=MembershipQuerySet.customer_list_version(OuterRef("tenant")),
        )
        .filter(user=user)
        .order_by()
    ),
    user=Membership._meta.get_field("user"),
)
