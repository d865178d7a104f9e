"""What ties tenants to others: the operators' console refuses an edit that would break a
relationship formed under a rule (a tenant's cloud, a country's market), and these count what
stands in the way. Worded in English: the console stays English."""

from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.db.models import Q
from django.utils import timezone

from tenancy.choices import AdminRelationshipStatus, InvitationStatus
from tenancy.models import (
    AdminRelationship,
    Country,
    Invitation,
    Membership,
    Partnership,
    ResellerRelationship,
    Tenant,
)


def _counted(count: int, one: str, many: str) -> str:
    return f"{count} {one if count == 1 else many}"


def and_list(parts: list[str]) -> str:
    """'a, b and c', in English."""
    return parts[0] if len(parts) == 1 else f"{', '.join(parts[:-1])} and {parts[-1]}"


@dataclass(frozen=True)
class Ties:
    """What binds tenants to others now: relationships in force and requests still open."""

    reseller_relationships: int = 0
    admin_relationships: int = 0
    reseller_requests: int = 0
    admin_requests: int = 0
    partnerships: int = 0

    def __bool__(self) -> bool:
        return any(
            (
                self.reseller_relationships,
                self.admin_relationships,
                self.reseller_requests,
                self.admin_requests,
                self.partnerships,
            )
        )

    def parts(self) -> list[str]:
        counted = [
            (
                self.reseller_relationships,
                "active reseller relationship",
                "active reseller relationships",
            ),
            (
                self.admin_relationships,
                "admin relationship in force",
                "admin relationships in force",
            ),
            (
                self.reseller_requests,
                "open reseller relationship request",
                "open reseller relationship requests",
            ),
            (
                self.admin_requests,
                "admin relationship request awaiting approval",
                "admin relationship requests awaiting approval",
            ),
            (
                self.partnerships,
                "indirect partnership (active or requested)",
                "indirect partnerships (active or requested)",
            ),
        ]
        return [_counted(count, one, many) for count, one, many in counted if count]

    def __str__(self) -> str:
        """'2 active reseller relationships and 1 admin relationship in force'."""
        return and_list(self.parts())


def _ties(side) -> Ties:
    """`side("partner")` is the Q that puts the tenants concerned on the partner's side."""
    now = timezone.now()
    either = side("partner") | side("customer")
    return Ties(
        reseller_relationships=ResellerRelationship.objects.active().filter(either).count(),
        admin_relationships=AdminRelationship.objects.in_force(now).filter(either).count(),
        reseller_requests=Invitation.objects.filter(
            side("partner"), status=InvitationStatus.PENDING, expires_at__gt=now
        ).count(),
        admin_requests=AdminRelationship.objects.with_status(
            AdminRelationshipStatus.APPROVAL_PENDING, now
        )
        .filter(either)
        .count(),
        partnerships=Partnership.objects.open().filter(side("provider") | side("reseller")).count(),
    )


def tenant_ties(tenant: Tenant) -> Ties:
    return _ties(lambda side: Q(**{side: tenant}))


def country_ties(country: Country) -> Ties:
    return _ties(lambda side: Q(**{f"{side}__country": country}))


def two_tier_ties(tenant: Tenant) -> str:
    """What ties a partner to its CSP role: open partnerships, customers served through a
    provider. "" when nothing does."""
    partnerships = Partnership.objects.open().filter(Q(provider=tenant) | Q(reseller=tenant))
    links = ResellerRelationship.objects.active().filter(
        Q(partner=tenant, indirect_provider__isnull=False) | Q(indirect_provider=tenant)
    )
    counted = [
        (partnerships.count(), "indirect partnership", "indirect partnerships"),
        (links.count(), "customer served in two tiers", "customers served in two tiers"),
    ]
    parts = [_counted(count, one, many) for count, one, many in counted if count]
    return and_list(parts) if parts else ""


def active_people(tenant: Tenant):
    """The tenant's active members who are people (an app holding a role is not someone who
    can sign in and manage)."""
    return Membership.objects.filter(tenant=tenant, user__is_active=True, user__partner_app=None)


def usernames(membership_ids) -> list[str]:
    return sorted(
        str(user) for user in get_user_model().objects.filter(membership__pk__in=membership_ids)
    )
