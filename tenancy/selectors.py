"""Reads that several interfaces share, scoped to a tenant: one lookup per kind of object.

Partner Center's pages, the API, the forms and the services find an object of a tenant through
these, so "whose is it" is decided in one place: another tenant's object is a 404 (`Http404`,
which the pages and the API both answer as such), never a leak. They read; they never write.
"""

from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.db.models import Exists, OuterRef, Q
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from tenancy.choices import AdminRelationshipStatus, InvitationStatus, Role
from tenancy.models import (
    AccessAssignment,
    AdminRelationship,
    AgreementAcceptance,
    Country,
    Invitation,
    Membership,
    PartnerApp,
    Partnership,
    ResellerRelationship,
    SecurityGroup,
    Subscription,
    Tenant,
    WebhookDelivery,
    WebhookSubscription,
)

# --- A partner's objects -----------------------------------------------------------------------


def customers_of(partner: Tenant):
    """Customers with which `partner` has or had a reseller relationship, or an approved admin
    relationship: the organizations of its Customer list."""
    pair = {"partner": partner, "customer": OuterRef("pk")}
    return Tenant.objects.customers().filter(
        Exists(ResellerRelationship.objects.filter(**pair))
        | Exists(AdminRelationship.objects.filter(approved_at__isnull=False, **pair))
    )


def customer_of(partner: Tenant, customer_id) -> Tenant:
    """One of the partner's customers (on its Customer list); anyone else is a 404."""
    customer = (
        customers_of(partner).select_related("country__market").filter(pk=customer_id).first()
    )
    if customer is None:
        raise Http404("No such customer.")
    return customer


def invitation_of(partner: Tenant, invitation_id) -> Invitation:
    """One of the partner's reseller relationship requests."""
    invitation = (
        Invitation.objects.select_related(
            "partner__country",
            "indirect_provider__country",
            "created_by",
            "answered_by",
            "answered_tenant",
            "revoked_by",
        )
        .filter(pk=invitation_id, partner=partner)
        .first()
    )
    if invitation is None:
        raise Http404("No such request.")
    return invitation


def admin_relationship_of(partner: Tenant, relationship_id) -> AdminRelationship:
    """One of the partner's admin relationships (its partner is `partner`, read no more)."""
    relationship = (
        AdminRelationship.objects.select_related(
            "customer", "created_by", "finalized_by", "approved_by", "closed_by", "closed_by_tenant"
        )
        .filter(pk=relationship_id, partner=partner)
        .first()
    )
    if relationship is None:
        raise Http404("No such admin relationship.")
    relationship.partner = partner
    return relationship


def access_assignment_of(relationship: AdminRelationship, assignment_id) -> AccessAssignment:
    """One of the relationship's access assignments still in place."""
    assignment = (
        AccessAssignment.objects.select_related("group")
        .filter(pk=assignment_id, relationship=relationship, removed_at__isnull=True)
        .first()
    )
    if assignment is None:
        raise Http404("No such access assignment.")
    assignment.relationship = relationship
    return assignment


def security_group_of(partner: Tenant, group_id) -> SecurityGroup:
    group = SecurityGroup.objects.filter(pk=group_id, partner=partner).first()
    if group is None:
        raise Http404("No such security group.")
    group.partner = partner
    return group


def member_of(tenant: Tenant, membership_id, *, people_only: bool = True) -> Membership:
    """A member of the tenant (with `people_only`, a person: not an app's principal)."""
    members = Membership.objects.select_related("user").filter(pk=membership_id, tenant=tenant)
    if people_only:
        members = members.filter(user__partner_app=None)
    membership = members.first()
    if membership is None:
        raise Http404("No such user.")
    return membership


def subscription_of(partner: Tenant, customer: Tenant, subscription_id) -> Subscription:
    """A subscription the partner sold the customer (bought by it, or on its behalf)."""
    subscription = (
        Subscription.objects.sold_by(partner)
        .select_related("offer")
        .filter(pk=subscription_id, customer=customer)
        .first()
    )
    if subscription is None:
        raise Http404("No such subscription.")
    return subscription


def partnership_of(partner: Tenant, partnership_id) -> Partnership:
    """A partnership the partner is either side of."""
    partnership = (
        Partnership.objects.of(partner)
        .select_related("provider__country__market", "reseller__country__market")
        .filter(pk=partnership_id)
        .first()
    )
    if partnership is None:
        raise Http404("No such partnership.")
    return partnership


def partnered_with(partner: Tenant, other_id, *, other: str) -> Tenant | None:
    """The partner on the other side (`other`: "reseller" or "provider") of one of `partner`'s
    partnerships, whatever its status; None for an organization it never partnered with."""
    side = "provider" if other == "reseller" else "reseller"
    return Tenant.objects.filter(
        pk=other_id,
        pk__in=Partnership.objects.filter(**{side: partner}).values(f"{other}_id"),
    ).first()


def webhook_of(partner: Tenant, webhook_id) -> WebhookSubscription:
    subscription = WebhookSubscription.objects.filter(pk=webhook_id, partner=partner).first()
    if subscription is None:
        raise Http404("No such webhook.")
    return subscription


def webhook_delivery_of(subscription: WebhookSubscription, delivery_id) -> WebhookDelivery:
    delivery = WebhookDelivery.objects.filter(
        pk=delivery_id, subscription=subscription, partner=subscription.partner_id
    ).first()
    if delivery is None:
        raise Http404("No such delivery.")
    return delivery


def app_of(partner: Tenant, prefix) -> PartnerApp:
    app = PartnerApp.objects.filter(prefix=prefix, partner=partner).first()
    if app is None:
        raise Http404("No such app.")
    return app


# --- A customer's objects -----------------------------------------------------------------------


def latest_agreement(customer: Tenant) -> AgreementAcceptance | None:
    """The customer's latest acceptance of the Microsoft Customer Agreement: only that it exists,
    its version and date (who signed is the customer's and its own partner's business)."""
    return (
        AgreementAcceptance.objects.filter(customer=customer)
        .only("version", "accepted_on", "recorded_at")
        .first()
    )


def related_partner_of(customer: Tenant, partner_id) -> Tenant:
    """A partner that has or had a relationship of either kind with the customer. Ended ones
    count, so a form posted twice gets the service's answer (already ended), not a 404."""
    partner = (
        Tenant.objects.partners()
        .filter(pk=partner_id)
        .filter(
            pk__in=ResellerRelationship.objects.filter(customer=customer)
            .values("partner")
            .union(AdminRelationship.objects.filter(customer=customer).values("partner"))
        )
        .first()
    )
    if partner is None:
        raise Http404(_("No such partner relationship."))
    return partner


def customer_admin_relationship_of(customer: Tenant, relationship_id) -> AdminRelationship:
    """One of the customer's admin relationships (another organization's is a 404)."""
    relationship = (
        AdminRelationship.objects.filter(pk=relationship_id, customer=customer)
        .select_related("partner")
        .first()
    )
    if relationship is None:
        raise Http404(_("No such admin relationship."))
    return relationship


# --- What ties tenants to others ---------------------------------------------------------------
#
# The operators' console refuses an edit that would break a relationship formed under a rule
# (a tenant's cloud, a country's market); these count what stands in the way. Worded in English:
# the console stays English.


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


# --- Whom an email goes to -----------------------------------------------------------------------


def admin_agent_emails(partner: Tenant) -> list[str]:
    """The partner's active Admin agents' addresses (reminders, answers without an agent)."""
    return _emails(partner, Role.ADMIN_AGENT)


def global_administrator_emails(customer: Tenant) -> list[str]:
    """The customer's active Global administrators' addresses."""
    return _emails(customer, Role.CUSTOMER_GLOBAL_ADMIN)


def _emails(tenant: Tenant, role: Role) -> list[str]:
    return sorted(
        set(
            Membership.objects.filter(tenant=tenant, role_rows__role=role, user__is_active=True)
            .exclude(user__email="")
            .values_list("user__email", flat=True)
        )
    )
