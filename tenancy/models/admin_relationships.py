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
from datetime import timedelta
from urllib.parse import urlencode

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils import timezone

from tenancy.choices import AdminRelationshipStatus, AssignmentState, NoticeKind
from tenancy.entra_roles import (
    AUTO_EXTEND_DAYS,
    EXPIRING_DAYS,
    GLOBAL_ADMINISTRATOR,
    MAX_DAYS,
    MIN_DAYS,
    NAME_MAX_LENGTH,
    REQUEST_VALID_DAYS,
    EntraRoleInfo,
    role_names,
    sorted_roles,
)
from tenancy.models.choice_labels import ChoiceLabels
from tenancy.models.links import LinkToken, LinkTokenQuerySet
from tenancy.models.tenants import Membership, Tenant
from tenancy.portals import PARTNER_CENTER, admin_portal_for
from tenancy.reversing import reverse

STORED_STATUSES = [
    (s.value, s.label)
    for s in (
        AdminRelationshipStatus.CREATED,
        AdminRelationshipStatus.APPROVAL_PENDING,
        AdminRelationshipStatus.ACTIVE,
    )
] + [
    (s.value, s.label)
    for s in (
        AdminRelationshipStatus.DECLINED,
        AdminRelationshipStatus.WITHDRAWN,
        AdminRelationshipStatus.TERMINATED,
    )
]


class AdminRelationshipQuerySet(LinkTokenQuerySet):
    def in_force(self, now=None):
        """Approved, not terminated, and not past its end (an auto-extending one never lapses:
        its end moves 180 days on each time it comes)."""
        now = now or timezone.now()
        return self.filter(status=AdminRelationshipStatus.ACTIVE).filter(
            Q(ends_at__gt=now) | Q(auto_extend=True)
        )

    def with_status(self, status: AdminRelationshipStatus, now=None):
        """Relationships a person would see with `status` (see `display_status`)."""
        return self.filter(status_condition(status, now or timezone.now()))


def status_condition(status: AdminRelationshipStatus, now) -> Q:
    """The rows whose `display_status(now)` is `status`, as a condition (the statuses computed
    from dates are conditions on the dates)."""
    lapse = now - timedelta(days=REQUEST_VALID_DAYS)
    running = Q(status=AdminRelationshipStatus.ACTIVE)
    fixed_end = running & Q(auto_extend=False)
    return {
        AdminRelationshipStatus.APPROVAL_PENDING: Q(
            status=AdminRelationshipStatus.APPROVAL_PENDING, finalized_at__gt=lapse
        ),
        AdminRelationshipStatus.ACTIVE: running
        & (Q(auto_extend=True) | Q(ends_at__gt=now + timedelta(days=EXPIRING_DAYS))),
        AdminRelationshipStatus.EXPIRING: fixed_end
        & Q(ends_at__gt=now, ends_at__lte=now + timedelta(days=EXPIRING_DAYS)),
        AdminRelationshipStatus.EXPIRED: (fixed_end & Q(ends_at__lte=now))
        | Q(status=AdminRelationshipStatus.APPROVAL_PENDING, finalized_at__lte=lapse),
    }.get(status, Q(status=status))


class AdminRelationship(LinkToken, ChoiceLabels, models.Model):
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
    status = models.CharField(
        max_length=20, choices=STORED_STATUSES, default=AdminRelationshipStatus.CREATED
    )
    # Like a reseller request's: only a hash of the link's token is kept. Empty for the
    # relationships a reseller request made, which have no link of their own.
    token_salt = models.CharField(max_length=32, blank=True, editable=False)
    token_hash = models.CharField(max_length=64, null=True, blank=True, unique=True, editable=False)
    # The reseller request whose "Include delegated administration permissions" made it.
    invitation = models.ForeignKey(
        "Invitation", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # The template version it was made from: its mappings become access assignments once the
    # customer approves.
    # An upgrade: a request that moves `upgrade_of` (made from an older version of the same
    # template) to the template's newer version. Approved, it terminates that relationship in the
    # same transaction; declined or lapsed, that one stays as it was.
    upgrade_of = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="upgrades"
    )
    template_version = models.ForeignKey(
        "TemplateVersion",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="relationships",
        db_index=False,  # gdap_version_customer_idx leads with it
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
            # "Has this customer a relationship from this template version?", asked for each
            # customer of a bulk request: one index probe, however many the version has made.
            models.Index(fields=["template_version", "customer"], name="gdap_version_customer_idx"),
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
                condition=Q(
                    status__in=[
                        AdminRelationshipStatus.CREATED,
                        AdminRelationshipStatus.APPROVAL_PENDING,
                        AdminRelationshipStatus.WITHDRAWN,
                    ]
                )
                | Q(status=AdminRelationshipStatus.DECLINED, customer__isnull=False)
                | Q(
                    status__in=[AdminRelationshipStatus.ACTIVE, AdminRelationshipStatus.TERMINATED],
                    customer__isnull=False,
                    approved_at__isnull=False,
                    ends_at__isnull=False,
                ),
                name="gdap_approved_has_customer_and_end",
            ),
            models.CheckConstraint(
                condition=Q(
                    status__in=[
                        AdminRelationshipStatus.DECLINED,
                        AdminRelationshipStatus.WITHDRAWN,
                        AdminRelationshipStatus.TERMINATED,
                    ],
                    closed_at__isnull=False,
                )
                | Q(
                    status__in=[
                        AdminRelationshipStatus.CREATED,
                        AdminRelationshipStatus.APPROVAL_PENDING,
                        AdminRelationshipStatus.ACTIVE,
                    ],
                    closed_at__isnull=True,
                ),
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
        if self.auto_extend and self.status == AdminRelationshipStatus.ACTIVE:
            while end <= now:
                end += timedelta(days=AUTO_EXTEND_DAYS)
        return end

    def request_expires_at(self):
        if self.finalized_at is None:
            return None
        return self.finalized_at + timedelta(days=REQUEST_VALID_DAYS)

    def display_status(self, now=None) -> AdminRelationshipStatus:
        now = now or timezone.now()
        if (
            self.status == AdminRelationshipStatus.APPROVAL_PENDING
            and now >= self.request_expires_at()
        ):
            return AdminRelationshipStatus.EXPIRED
        if self.status != AdminRelationshipStatus.ACTIVE:
            return AdminRelationshipStatus(self.status)
        end = self.current_end(now)
        if end <= now:
            return AdminRelationshipStatus.EXPIRED
        if not self.auto_extend and end - now <= timedelta(days=EXPIRING_DAYS):
            return AdminRelationshipStatus.EXPIRING
        return AdminRelationshipStatus.ACTIVE

    def status_until(self, now=None):
        """Until when what `display_status`, `current_end` and `days_left` show holds by itself:
        a pending request's lapse; in force, the end (or the extension past it), the start of
        its expiring days and the next drop of its days left. None when only a change to the
        relationship changes them; `now` itself when they change at once."""
        now = now or timezone.now()
        if self.status == AdminRelationshipStatus.APPROVAL_PENDING:
            lapse = self.request_expires_at()
            return lapse if lapse is not None and now < lapse else None
        if self.status != AdminRelationshipStatus.ACTIVE or self.ends_at is None:
            return None
        end = self.current_end(now)
        if end <= now:
            return None
        # The days left drop by one just after this moment (now itself when exactly on it).
        moments = [end, end - timedelta(days=(end - now).days)]
        if not self.auto_extend and now < end - timedelta(days=EXPIRING_DAYS):
            moments.append(end - timedelta(days=EXPIRING_DAYS))
        return min(moments)

    def is_in_force(self, now=None) -> bool:
        return self.display_status(now) in (
            AdminRelationshipStatus.ACTIVE,
            AdminRelationshipStatus.EXPIRING,
        )

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

    def link(self) -> str | None:
        """The absolute link to the request, in the admin portal of the partner's cloud; None
        before the request is finalized, or once the key that made it was retired."""
        token = self.token()
        if token is None:
            return None
        portal = admin_portal_for(self.partner.cloud)
        path = reverse("admin_center:gdap-open", args=[self.id], current_app=portal.namespace)
        return f"{portal.absolute(path)}?{urlencode({'token': token})}"

    def partner_center_url(self) -> str:
        """Its page in Partner Center, absolute (for the partner's emails)."""
        path = reverse("partner_center:admin-relationship-detail", args=[self.id])
        return PARTNER_CENTER.absolute(path)


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


class AccessAssignment(ChoiceLabels, models.Model):
    """Some of an admin relationship's roles, given to one of the partner's security groups."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    relationship = models.ForeignKey(
        AdminRelationship, on_delete=models.PROTECT, related_name="assignments"
    )
    group = models.ForeignKey(SecurityGroup, on_delete=models.PROTECT, related_name="assignments")
    roles = models.JSONField(default=list, help_text="Microsoft Entra role template ids.")
    # Made from a template's mapping when the customer approved, it may not have been possible
    # (the group has no members, a role the relationship lacks): then it gives nothing, says
    # why, and can be retried.
    state = models.CharField(max_length=10, choices=AssignmentState, default=AssignmentState.ACTIVE)
    failure = models.CharField(max_length=40, blank=True)
    mapping = models.ForeignKey(
        "TemplateMapping", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
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
        return self.removed_at is None and self.state == AssignmentState.ACTIVE

    @property
    def role_names(self) -> list[str]:
        return role_names(self.roles)


# (kind, days before the end it is due), most distant first.
REMINDERS = [
    (NoticeKind.ENDS_IN_30_DAYS, 30),
    (NoticeKind.ENDS_IN_7_DAYS, 7),
    (NoticeKind.ENDS_IN_1_DAY, 1),
]


class AdminRelationshipNotice(ChoiceLabels, models.Model):
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
