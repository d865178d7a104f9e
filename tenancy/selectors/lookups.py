"""One lookup per kind of object, scoped to a tenant.

Partner Center's pages, the API, the forms and the services find an object of a tenant through
these, so "whose is it" is decided in one place: another tenant's object is a 404 (`Http404`,
which the pages and the API both answer as such), never a leak. They read; they never write.
"""

from django.db.models import Exists, OuterRef
from django.http import Http404
from django.utils.translation import gettext as _

from tenancy.choices import Role
from tenancy.models import (
    AccessAssignment,
    AdminRelationship,
    AdminRelationshipTemplate,
    AgreementAcceptance,
    BulkJob,
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
from tenancy.prepared import Prepared
from tenancy.rules import PERMISSIONS, Action

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
    customer = _CUSTOMER_OF.first(partner=partner.pk, customer=customer_id)
    if customer is None:
        raise Http404("No such customer.")
    return customer


# Every page of a customer reads it so: compiled once (tenancy.prepared).
_CUSTOMER_OF = Prepared(
    lambda partner, customer: (
        customers_of(partner).select_related("country__market").filter(pk=customer)
    ),
    partner=Tenant._meta.pk,
    customer=Tenant._meta.pk,
)


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
            "customer",
            "created_by",
            "finalized_by",
            "approved_by",
            "closed_by",
            "closed_by_tenant",
            "template_version__template",
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


def template_of(partner: Tenant, template_id) -> AdminRelationshipTemplate:
    """One of the partner's admin relationship templates, with its latest version."""
    template = (
        AdminRelationshipTemplate.objects.select_related("latest__created_by")
        .filter(partner=partner, pk=template_id)
        .first()
    )
    if template is None:
        raise Http404("No such template.")
    return template


def bulk_job_of(partner: Tenant, job_id) -> BulkJob:
    """One of the partner's bulk jobs."""
    job = _BULK_JOB_OF.first(partner=partner.pk, job=job_id)
    if job is None:
        raise Http404("No such job.")
    job.partner = partner
    return job


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


def latest_agreement(customer: Tenant, read=None) -> AgreementAcceptance | None:
    """The customer's latest acceptance of the Microsoft Customer Agreement: only that it exists,
    its version and date (who signed is the customer's and its own partner's business). `read`:
    all of the customer's acceptances, when the caller has read them (the customer page): the
    latest of those, in the same order."""
    if read is not None:
        return max(read, key=lambda each: (each.recorded_at, each.pk), default=None)
    return (
        AgreementAcceptance.objects.filter(customer=customer)
        .only("version", "accepted_on", "recorded_at")
        .order_by("-recorded_at", "-pk")
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


# --- Whom an email goes to -----------------------------------------------------------------------


def admin_agent_emails(partner: Tenant) -> list[str]:
    """The partner's active Admin agents' addresses (reminders, answers without an agent)."""
    return _emails(partner, Role.ADMIN_AGENT)


def global_administrator_emails(customer: Tenant) -> list[str]:
    """Who hears of the customer's admin relationships (a request, its reminders, a partner's
    ending one): its active members whose roles may answer a request, the Global
    administrators and the Delegated Admin Relationship Administrators."""
    return _emails(customer, *PERMISSIONS[Action.APPROVE_ADMIN_RELATIONSHIP])


def _emails(tenant: Tenant, *roles: Role) -> list[str]:
    return sorted(
        set(
            Membership.objects.filter(
                tenant=tenant, role_rows__role__in=roles, user__is_active=True
            )
            .exclude(user__email="")
            .values_list("user__email", flat=True)
        )
    )


# Its page, and the progress it polls while the job runs, read it so: compiled once.
_BULK_JOB_OF = Prepared(
    lambda partner, job: BulkJob.objects.select_related(
        "template_version__template", "created_by"
    ).filter(partner=partner, pk=job),
    partner=Tenant._meta.pk,
    job=BulkJob._meta.pk,
)
