"""Admin relationships (granular delegated admin privileges, GDAP), security groups and access
assignments.

A partner asks a customer for some Microsoft Entra roles for a number of days; the customer's
Global administrator approves (or declines); the relationship then runs until it ends, is
extended, or is terminated by either side. The partner's agents act in the customer only through
its security groups, each assigned some of the relationship's roles.

Only the answers people give are stored as a status (created, approval pending, active, declined,
withdrawn, terminated). "Expiring" and "expired" are read off the dates (`display_status`), so no
job has to flip rows for the pages to tell the truth.
"""

import uuid
from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import urlencode

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy, pgettext_lazy

from tenancy import tokens
from tenancy.models.tenants import Membership, Tenant

NAME_MAX_LENGTH = 50
MIN_DAYS, MAX_DAYS = 1, 730
AUTO_EXTEND_DAYS = 180
EXPIRING_DAYS = 30
# An unanswered request lapses this long after it was finalized (as in Partner Center).
REQUEST_VALID_DAYS = 90


@dataclass(frozen=True)
class EntraRoleInfo:
    """A Microsoft Entra role: its name, group and meaning are in the request's language."""

    id: str  # the role template id Microsoft Entra and Graph use
    name: str
    group: str
    meaning: str
    # Least privileged first: the order the request form lists a group's roles in.
    rank: int


# The groups the request form shows, in this order (least privileged first).
_READ_ONLY = gettext_lazy("Read only")
_SUPPORT = gettext_lazy("Support and users")
_LICENCES = gettext_lazy("Licences and billing")
_SERVICES = gettext_lazy("Microsoft 365 services")
_SECURITY = gettext_lazy("Security")
_DIRECTORY = gettext_lazy("Directory and privileged roles")
ROLE_GROUPS = [_READ_ONLY, _SUPPORT, _LICENCES, _SERVICES, _SECURITY, _DIRECTORY]

_CATALOG = [
    EntraRoleInfo(
        "88d8e3e3-8f55-4a1e-953a-9b9898b8876b",
        gettext_lazy("Directory Readers"),
        _READ_ONLY,
        gettext_lazy("See the organization's basic directory: users, groups and their properties."),
        1,
    ),
    EntraRoleInfo(
        "f2ef992c-3afb-46b9-b7cf-a126ee74c451",
        gettext_lazy("Global Reader"),
        _READ_ONLY,
        gettext_lazy("See every admin setting a Global Administrator sees, without changing any."),
        2,
    ),
    EntraRoleInfo(
        "5d6b6bb7-de71-4623-b4af-96380a352509",
        gettext_lazy("Security Reader"),
        _READ_ONLY,
        gettext_lazy("Read security reports, alerts and settings."),
        3,
    ),
    EntraRoleInfo(
        "f023fd81-a637-4b56-95fd-791ac0226033",
        gettext_lazy("Service Support Administrator"),
        _SUPPORT,
        gettext_lazy("Open and follow support requests with Microsoft and read service health."),
        10,
    ),
    EntraRoleInfo(
        "729827e3-9c14-49f7-bb1b-9608f156bbb8",
        gettext_lazy("Helpdesk Administrator"),
        _SUPPORT,
        gettext_lazy("Reset the passwords of users who are not administrators."),
        11,
    ),
    EntraRoleInfo(
        "fe930be7-5e62-47db-91af-98c3a49a38b1",
        gettext_lazy("User Administrator"),
        _SUPPORT,
        gettext_lazy(
            "Create, change and delete users and groups, and reset most users' passwords."
        ),
        12,
    ),
    EntraRoleInfo(
        "4d6ac14f-3453-41d0-bef9-a3e0c569773a",
        gettext_lazy("License Administrator"),
        _LICENCES,
        gettext_lazy("Assign and remove product licences and change subscription quantities."),
        20,
    ),
    EntraRoleInfo(
        "b0f54661-2d74-4c50-afa3-1ec803f12efe",
        gettext_lazy("Billing Administrator"),
        _LICENCES,
        gettext_lazy(
            "Buy, change and cancel subscriptions, and manage invoices and payment details."
        ),
        21,
    ),
    EntraRoleInfo(
        "29232cdf-9323-42fd-ade2-1d097af3e4de",
        gettext_lazy("Exchange Administrator"),
        _SERVICES,
        gettext_lazy("Manage mailboxes, mail flow and every Exchange Online setting."),
        30,
    ),
    EntraRoleInfo(
        "f28a1f50-f6e7-4571-818b-6a12f2af6b6c",
        gettext_lazy("SharePoint Administrator"),
        _SERVICES,
        gettext_lazy("Manage SharePoint sites, OneDrive and their sharing settings."),
        31,
    ),
    EntraRoleInfo(
        "69091246-20e8-4a56-aa4d-066075b2a7a8",
        gettext_lazy("Teams Administrator"),
        _SERVICES,
        gettext_lazy("Manage Microsoft Teams: teams, meetings, calling and their policies."),
        32,
    ),
    EntraRoleInfo(
        "194ae4cb-b126-40b2-bd5b-6091b380977d",
        gettext_lazy("Security Administrator"),
        _SECURITY,
        gettext_lazy("Change security settings and policies, and act on security alerts."),
        40,
    ),
    EntraRoleInfo(
        "9360feb5-f418-4baa-8175-e2a00bac4301",
        gettext_lazy("Directory Writers"),
        _DIRECTORY,
        gettext_lazy(
            "Change basic directory information; meant for applications rather than people."
        ),
        50,
    ),
    EntraRoleInfo(
        "7be44c8a-adaf-4e2a-84d6-ab2649e08a13",
        gettext_lazy("Privileged Authentication Administrator"),
        _DIRECTORY,
        gettext_lazy("Reset the sign-in methods of any user, administrators included."),
        51,
    ),
    EntraRoleInfo(
        "e8611ab8-c189-46e8-94e1-60213ab1f814",
        gettext_lazy("Privileged Role Administrator"),
        _DIRECTORY,
        gettext_lazy("Give anyone any admin role, including Global Administrator."),
        52,
    ),
    EntraRoleInfo(
        "62e90394-69f5-4237-9190-012177145e10",
        gettext_lazy("Global Administrator"),
        _DIRECTORY,
        gettext_lazy(
            "Everything: every setting, every user and every service in the organization."
        ),
        53,
    ),
]

ENTRA_ROLES: dict[str, EntraRoleInfo] = {role.id: role for role in _CATALOG}
GLOBAL_ADMINISTRATOR = "62e90394-69f5-4237-9190-012177145e10"
HELPDESK_ADMINISTRATOR = "729827e3-9c14-49f7-bb1b-9608f156bbb8"
LICENSE_ADMINISTRATOR = "4d6ac14f-3453-41d0-bef9-a3e0c569773a"
BILLING_ADMINISTRATOR = "b0f54661-2d74-4c50-afa3-1ec803f12efe"

# What "Include delegated administration permissions" on a reseller request asks for: the
# roles a partner needs to run a customer's day-to-day services, none of them Global
# Administrator, for two years, extended automatically (allowed because Global Administrator
# isn't among them).
DEFAULT_ROLES = [
    "88d8e3e3-8f55-4a1e-953a-9b9898b8876b",  # Directory Readers
    "f023fd81-a637-4b56-95fd-791ac0226033",  # Service Support Administrator
    "729827e3-9c14-49f7-bb1b-9608f156bbb8",  # Helpdesk Administrator
    "fe930be7-5e62-47db-91af-98c3a49a38b1",  # User Administrator
    "4d6ac14f-3453-41d0-bef9-a3e0c569773a",  # License Administrator
]
DEFAULT_DAYS = 730
DEFAULT_AUTO_EXTEND = True


def sorted_roles(role_ids) -> list[EntraRoleInfo]:
    """The catalog entries of `role_ids`, least privileged first; unknown ids are left out."""
    return sorted(
        (ENTRA_ROLES[role] for role in set(role_ids) if role in ENTRA_ROLES),
        key=lambda role: role.rank,
    )


def role_names(role_ids) -> list[str]:
    """The roles' names, least privileged first, in the request's language."""
    return [str(role.name) for role in sorted_roles(role_ids)]


class AdminRelationshipStatus(models.TextChoices):
    CREATED = "created", pgettext_lazy("admin relationship status", "Created")
    APPROVAL_PENDING = (
        "approval_pending",
        pgettext_lazy("admin relationship status", "Approval pending"),
    )
    ACTIVE = "active", pgettext_lazy("admin relationship status", "Active")
    EXPIRING = "expiring", pgettext_lazy("admin relationship status", "Expiring")
    EXPIRED = "expired", pgettext_lazy("admin relationship status", "Expired")
    DECLINED = "declined", pgettext_lazy("admin relationship status", "Declined")
    WITHDRAWN = "withdrawn", pgettext_lazy("admin relationship status", "Withdrawn")
    TERMINATED = "terminated", pgettext_lazy("admin relationship status", "Terminated")


S = AdminRelationshipStatus
STORED_STATUSES = [(s.value, s.label) for s in (S.CREATED, S.APPROVAL_PENDING, S.ACTIVE)] + [
    (s.value, s.label) for s in (S.DECLINED, S.WITHDRAWN, S.TERMINATED)
]


class AdminRelationshipQuerySet(models.QuerySet):
    def in_force(self, now=None):
        """Approved, not terminated, and not past its end (an auto-extending one never lapses:
        its end moves 180 days on each time it comes)."""
        now = now or timezone.now()
        return self.filter(status=S.ACTIVE).filter(Q(ends_at__gt=now) | Q(auto_extend=True))

    def with_status(self, status: AdminRelationshipStatus, now=None):
        """Relationships a person would see with `status` (see `display_status`)."""
        now = now or timezone.now()
        lapse = now - timedelta(days=REQUEST_VALID_DAYS)
        running = Q(status=S.ACTIVE)
        fixed_end = running & Q(auto_extend=False)
        condition = {
            S.APPROVAL_PENDING: Q(status=S.APPROVAL_PENDING, finalized_at__gt=lapse),
            S.ACTIVE: running
            & (Q(auto_extend=True) | Q(ends_at__gt=now + timedelta(days=EXPIRING_DAYS))),
            S.EXPIRING: fixed_end
            & Q(ends_at__gt=now, ends_at__lte=now + timedelta(days=EXPIRING_DAYS)),
            S.EXPIRED: (fixed_end & Q(ends_at__lte=now))
            | Q(status=S.APPROVAL_PENDING, finalized_at__lte=lapse),
        }.get(status, Q(status=status))
        return self.filter(condition)


class AdminRelationship(models.Model):
    """A partner's request for Microsoft Entra roles in a customer, and once approved the
    relationship itself. Never deleted: it ends by being declined, withdrawn, terminated, or by
    reaching its end."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    partner = models.ForeignKey(Tenant, on_delete=models.PROTECT, related_name="admin_grants")
    # Empty for a request "for any customer" until an organization approves it.
    customer = models.ForeignKey(
        Tenant,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="admin_relationships",
    )
    name = models.CharField("admin relationship name", max_length=NAME_MAX_LENGTH)
    roles = models.JSONField(default=list, help_text="Microsoft Entra role template ids.")
    duration_days = models.PositiveSmallIntegerField("duration in days")
    auto_extend = models.BooleanField(default=False)
    # The language of the request's email to the customer.
    language = models.CharField(
        "email language", max_length=10, choices=settings.LANGUAGES, default="en"
    )
    status = models.CharField(max_length=20, choices=STORED_STATUSES, default=S.CREATED)
    # Like a reseller request's: only a hash of the link's token is kept. Empty for the
    # relationships a reseller request made, which have no link of their own.
    token_salt = models.CharField(max_length=32, blank=True, editable=False)
    token_hash = models.CharField(max_length=64, null=True, blank=True, unique=True, editable=False)
    # The reseller request whose "Include delegated administration permissions" made it.
    invitation = models.ForeignKey(
        "Invitation", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    finalized_at = models.DateTimeField(null=True, blank=True)
    finalized_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    approved_at = models.DateTimeField("approved (activated) at", null=True, blank=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    ends_at = models.DateTimeField(null=True, blank=True)
    # Declined, withdrawn or terminated: when, by whom, and on which side.
    closed_at = models.DateTimeField(null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    closed_by_tenant = models.ForeignKey(
        Tenant, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    objects = AdminRelationshipQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["partner", "-created_at", "-id"], name="gdap_partner_idx"),
            models.Index(
                fields=["partner", "status", "-created_at", "-id"], name="gdap_partner_status_idx"
            ),
            models.Index(fields=["customer", "partner"], name="gdap_customer_idx"),
            models.Index(fields=["status", "ends_at"], name="gdap_ends_idx"),
        ]
        constraints = [
            models.UniqueConstraint(
                "partner",
                Lower("name"),
                name="gdap_name_unique_per_partner",
                violation_error_message="This partner already has an admin relationship with "
                "this name.",
            ),
            models.CheckConstraint(
                condition=Q(duration_days__gte=MIN_DAYS, duration_days__lte=MAX_DAYS),
                name="gdap_duration_1_to_730_days",
            ),
            models.CheckConstraint(
                condition=~Q(partner=models.F("customer")),
                name="gdap_between_two_tenants",
            ),
            models.CheckConstraint(
                condition=Q(status__in=[S.CREATED, S.APPROVAL_PENDING, S.WITHDRAWN])
                | Q(status=S.DECLINED, customer__isnull=False)
                | Q(
                    status__in=[S.ACTIVE, S.TERMINATED],
                    customer__isnull=False,
                    approved_at__isnull=False,
                    ends_at__isnull=False,
                ),
                name="gdap_approved_has_customer_and_end",
            ),
            models.CheckConstraint(
                condition=Q(
                    status__in=[S.DECLINED, S.WITHDRAWN, S.TERMINATED], closed_at__isnull=False
                )
                | Q(status__in=[S.CREATED, S.APPROVAL_PENDING, S.ACTIVE], closed_at__isnull=True),
                name="gdap_closed_matches_status",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    # --- What a person sees -------------------------------------------------------------

    def current_end(self, now=None):
        """When it ends: for an auto-extending relationship whose end has passed but was not yet
        recorded as extended, the end it has been extended to."""
        if self.ends_at is None:
            return None
        now = now or timezone.now()
        end = self.ends_at
        if self.auto_extend and self.status == S.ACTIVE:
            while end <= now:
                end += timedelta(days=AUTO_EXTEND_DAYS)
        return end

    def request_expires_at(self):
        if self.finalized_at is None:
            return None
        return self.finalized_at + timedelta(days=REQUEST_VALID_DAYS)

    def display_status(self, now=None) -> AdminRelationshipStatus:
        now = now or timezone.now()
        if self.status == S.APPROVAL_PENDING and now >= self.request_expires_at():
            return S.EXPIRED
        if self.status != S.ACTIVE:
            return S(self.status)
        end = self.current_end(now)
        if end <= now:
            return S.EXPIRED
        if not self.auto_extend and end - now <= timedelta(days=EXPIRING_DAYS):
            return S.EXPIRING
        return S.ACTIVE

    def is_in_force(self, now=None) -> bool:
        return self.display_status(now) in (S.ACTIVE, S.EXPIRING)

    def days_left(self, now=None) -> int | None:
        if not self.is_in_force(now):
            return None
        return max((self.current_end(now) - (now or timezone.now())).days, 0)

    @property
    def role_infos(self) -> list[EntraRoleInfo]:
        return sorted_roles(self.roles)

    @property
    def role_names(self) -> list[str]:
        return role_names(self.roles)

    @property
    def includes_global_administrator(self) -> bool:
        return GLOBAL_ADMINISTRATOR in self.roles

    # --- The link ------------------------------------------------------------------------

    def mint_token(self) -> str:
        self.token_salt = tokens.new_salt()
        token = tokens.make_token(self.id, self.token_salt)
        self.token_hash = tokens.hash_token(token)
        return token

    def token(self) -> str | None:
        if not self.token_hash:
            return None
        return tokens.recover_token(self.id, self.token_salt, self.token_hash)

    def link(self) -> str | None:
        """The absolute link to the request, in the admin portal of the partner's cloud; None
        before the request is finalized, or once the key that made it was retired."""
        from tenancy.portals import admin_portal_for

        token = self.token()
        if token is None:
            return None
        portal = admin_portal_for(self.partner.cloud)
        path = reverse("admin_center:gdap-open", args=[self.id], current_app=portal.namespace)
        return f"{portal.absolute(path)}?{urlencode({'token': token})}"

    def partner_center_url(self) -> str:
        """Its page in Partner Center, absolute (for the partner's emails)."""
        from tenancy.portals import PARTNER_CENTER

        path = reverse("partner_center:admin-relationship-detail", args=[self.id])
        return PARTNER_CENTER.absolute(path)

    def email(self):
        """The templated email that carries the link."""
        from tenancy.notifications import render_email
        from tenancy.portals import admin_portal_for

        return render_email(
            "admin_relationship_request",
            {
                "relationship": self,
                "partner": self.partner,
                "portal": admin_portal_for(self.partner.cloud),
                "link": self.link(),
            },
            language=self.language,
        )


class SecurityGroup(models.Model):
    """A group of a partner's own users, through which they get roles in customers."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    partner = models.ForeignKey(Tenant, on_delete=models.PROTECT, related_name="security_groups")
    name = models.CharField(max_length=120)
    description = models.CharField(max_length=300, blank=True)
    members = models.ManyToManyField(
        Membership, through="SecurityGroupMember", related_name="security_groups"
    )
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                "partner",
                Lower("name"),
                name="security_group_name_unique_per_partner",
                violation_error_message="There is already a security group with this name.",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class SecurityGroupMember(models.Model):
    group = models.ForeignKey(SecurityGroup, on_delete=models.CASCADE, related_name="memberships")
    membership = models.ForeignKey(Membership, on_delete=models.CASCADE, related_name="+")
    added_at = models.DateTimeField(default=timezone.now)
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["group", "membership"], name="security_group_member"),
        ]
        indexes = [models.Index(fields=["membership", "group"], name="group_member_idx")]

    def __str__(self) -> str:
        return f"{self.membership} in {self.group}"


class AccessAssignment(models.Model):
    """Some of an admin relationship's roles, given to one of the partner's security groups."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    relationship = models.ForeignKey(
        AdminRelationship, on_delete=models.PROTECT, related_name="assignments"
    )
    group = models.ForeignKey(SecurityGroup, on_delete=models.PROTECT, related_name="assignments")
    roles = models.JSONField(default=list, help_text="Microsoft Entra role template ids.")
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    updated_at = models.DateTimeField(null=True, blank=True)
    # Removed assignments are kept (with who removed them), like everything else here.
    removed_at = models.DateTimeField(null=True, blank=True)
    removed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["relationship", "group"],
                condition=Q(removed_at__isnull=True),
                name="one_assignment_per_group_and_relationship",
                violation_error_message="This security group already has roles in this "
                "relationship: edit them instead.",
            ),
        ]
        indexes = [models.Index(fields=["group", "relationship"], name="assignment_group_idx")]

    def __str__(self) -> str:
        return f"{self.group} in {self.relationship}"

    @property
    def is_active(self) -> bool:
        return self.removed_at is None

    @property
    def role_names(self) -> list[str]:
        return role_names(self.roles)


class NoticeKind(models.TextChoices):
    ENDS_IN_30_DAYS = "30_days", gettext_lazy("Ends in 30 days")
    ENDS_IN_7_DAYS = "7_days", gettext_lazy("Ends in 7 days")
    ENDS_IN_1_DAY = "1_day", gettext_lazy("Ends in 1 day")
    EXPIRED = "expired", gettext_lazy("Expired")
    EXTENDED = "extended", gettext_lazy("Extended automatically")


# (kind, days before the end it is due), most distant first.
REMINDERS = [
    (NoticeKind.ENDS_IN_30_DAYS, 30),
    (NoticeKind.ENDS_IN_7_DAYS, 7),
    (NoticeKind.ENDS_IN_1_DAY, 1),
]


class AdminRelationshipNotice(models.Model):
    """A reminder sent, or an extension applied, for one end of one relationship: recorded so
    the command that sends them never does it twice for the same moment."""

    relationship = models.ForeignKey(
        AdminRelationship, on_delete=models.PROTECT, related_name="notices"
    )
    kind = models.CharField(max_length=10, choices=NoticeKind)
    # The end the notice was about (an extension moves the end: the next reminders are new).
    ends_at = models.DateTimeField()
    sent_at = models.DateTimeField(default=timezone.now)
    recipients = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["relationship", "kind", "ends_at"], name="gdap_notice_once"
            ),
        ]

    def __str__(self) -> str:
        return f"{NoticeKind(self.kind).label}: {self.relationship}"
