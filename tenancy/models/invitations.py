"""Reseller relationship requests ("New relationship") and their links."""

import uuid
from datetime import timedelta
from urllib.parse import urlencode

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from tenancy.choices import InvitationStatus
from tenancy.models.choice_labels import ChoiceLabels
from tenancy.models.links import LinkToken, LinkTokenQuerySet
from tenancy.models.tenants import Tenant
from tenancy.portals import admin_portal_for
from tenancy.reversing import reverse

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


class InvitationQuerySet(LinkTokenQuerySet):
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


class Invitation(LinkToken, ChoiceLabels, models.Model):
    """A reseller relationship request ("New relationship").

    The link carries a token derived from the secret key and `token_salt`; only a hash of the
    token is stored, so a copy of the database alone yields no working link.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    partner = models.ForeignKey(Tenant, on_delete=models.PROTECT, related_name="invitations")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    # A two-tier request: `partner` is an indirect reseller, and accepting also makes this
    # indirect provider the customer's reseller of record (unless it already is).
    indirect_provider = models.ForeignKey(
        Tenant,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="indirect_invitations",
    )
    label = models.CharField(
        max_length=200, blank=True, help_text="For whom the request is meant (name or email)."
    )
    recipient_email = models.EmailField(blank=True)
    # The language of the request's email (the panel, Copy, Open in email and Send).
    language = models.CharField(
        "email language", max_length=10, choices=settings.LANGUAGES, default="en"
    )
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
        indexes = [
            models.Index(fields=["partner", "-created_at"], name="invitation_partner_idx"),
            models.Index(
                fields=["indirect_provider", "-created_at"],
                condition=Q(indirect_provider__isnull=False),
                name="invitation_provider_idx",
            ),
        ]
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

    @property
    def is_indirect(self) -> bool:
        return self.indirect_provider_id is not None

    def display_status(self, now=None) -> InvitationStatus:
        """What a person sees: stored state, with "opened" and "expired" read off the times."""
        if self.status != InvitationStatus.PENDING:
            return InvitationStatus(self.status)
        if self.is_expired(now):
            return InvitationStatus.EXPIRED
        if self.opened_at:
            return InvitationStatus.OPENED
        return InvitationStatus.PENDING

    def status_until(self, now=None):
        """Until when `display_status` holds by itself: a pending request's expiry; None when
        only a change to the request changes it."""
        now = now or timezone.now()
        if self.status == InvitationStatus.PENDING and now < self.expires_at:
            return self.expires_at
        return None

    def is_expired(self, now=None) -> bool:
        return (now or timezone.now()) >= self.expires_at

    @property
    def is_open(self) -> bool:
        return self.status == InvitationStatus.PENDING and not self.is_expired()

    def link(self) -> str | None:
        """The absolute link, in the admin portal of the partner's cloud, with the real link's
        parameters (so a partner recognizes it) and the token; None once the key that made the
        token was retired."""
        token = self.token()
        if token is None:
            return None
        portal = admin_portal_for(self.partner.cloud)
        path = reverse("admin_center:invitation-open", current_app=portal.namespace)
        if self.is_indirect:
            params = {
                "invType": "IndirectResellerRelationship",
                "partnerId": str(self.partner_id),
                "indirectCSPId": str(self.indirect_provider_id),
                "msppId": "0",
            }
        else:
            params = {
                "invType": "ResellerRelationship",
                "partnerId": str(self.partner_id),
                "msppId": "0",
            }
        params |= {"DAP": "true" if self.include_admin else "false", "token": token}
        query = urlencode(params)
        return f"{portal.absolute(path)}?{query}"
