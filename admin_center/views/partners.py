"""Settings → Partner relationships: each partner with its reseller relationship and its admin
relationships, ending a reseller relationship, and removing a partner's admin roles."""

from dataclasses import dataclass

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_GET, require_http_methods

from admin_center.access import customer_view, portal_url
from tenancy import selectors, services
from tenancy.choices import AdminRelationshipStatus
from tenancy.entra_roles import AUTO_EXTEND_DAYS
from tenancy.models import AdminRelationship, ResellerRelationship, Tenant
from tenancy.rules import Action
from tenancy.selectors.access_trace import group_access_in
from tenancy.text import number, possessive, short_day
from tenancy.web.http import CustomerRequest

# Remove roles, asked of an admin relationship that is no longer in force: one sentence for each
# status it can be in (%(name)s is the admin relationship's name).
_ENDED_ALREADY = {
    AdminRelationshipStatus.CREATED: gettext_lazy(
        "“%(name)s” has already ended (created): there are no roles to remove."
    ),
    AdminRelationshipStatus.APPROVAL_PENDING: gettext_lazy(
        "“%(name)s” has already ended (approval pending): there are no roles to remove."
    ),
    AdminRelationshipStatus.EXPIRED: gettext_lazy(
        "“%(name)s” has already ended (expired): there are no roles to remove."
    ),
    AdminRelationshipStatus.DECLINED: gettext_lazy(
        "“%(name)s” has already ended (declined): there are no roles to remove."
    ),
    AdminRelationshipStatus.WITHDRAWN: gettext_lazy(
        "“%(name)s” has already ended (withdrawn): there are no roles to remove."
    ),
    AdminRelationshipStatus.TERMINATED: gettext_lazy(
        "“%(name)s” has already ended (terminated): there are no roles to remove."
    ),
}


# The stylesheet's badge for each status an admin relationship shows.
_ADMIN_BADGES = {
    AdminRelationshipStatus.APPROVAL_PENDING: "pending",
    AdminRelationshipStatus.ACTIVE: "active",
    AdminRelationshipStatus.EXPIRING: "pending",
    AdminRelationshipStatus.EXPIRED: "expired",
    AdminRelationshipStatus.DECLINED: "declined",
    AdminRelationshipStatus.WITHDRAWN: "revoked",
    AdminRelationshipStatus.TERMINATED: "ended",
}


@dataclass(frozen=True)
class AdminRelationshipRow:
    """An admin relationship as Partner relationships shows it: its status and, with the date
    that matters for that status, one sentence ("Ends on …", "Ended by Contoso on …",
    "Declined on …")."""

    relationship: AdminRelationship
    status: AdminRelationshipStatus
    when: str

    @property
    def badge(self) -> str:
        return _ADMIN_BADGES.get(self.status, "")

    @property
    def in_force(self) -> bool:
        return self.status in (AdminRelationshipStatus.ACTIVE, AdminRelationshipStatus.EXPIRING)

    @property
    def waiting(self) -> bool:
        return self.status == AdminRelationshipStatus.APPROVAL_PENDING


def _admin_row(relationship: AdminRelationship, customer: Tenant, now) -> AdminRelationshipRow:
    status = relationship.display_status(now)
    if status in (AdminRelationshipStatus.ACTIVE, AdminRelationshipStatus.EXPIRING):
        date = relationship.current_end(now)
        if relationship.auto_extend:
            when = ngettext(
                "Ends on %(date)s, then extended by %(days)s day each time",
                "Ends on %(date)s, then extended by %(days)s days each time",
                AUTO_EXTEND_DAYS,
            )
        else:
            when = _("Ends on %(date)s")
    elif status == AdminRelationshipStatus.APPROVAL_PENDING:
        when, date = _("Waiting for approval until %(date)s"), relationship.request_expires_at()
    elif status == AdminRelationshipStatus.EXPIRED and relationship.approved_at is None:
        when, date = _("Request expired on %(date)s"), relationship.request_expires_at()
    elif status == AdminRelationshipStatus.EXPIRED:
        when, date = _("Ended on %(date)s"), relationship.ends_at
    elif (
        status == AdminRelationshipStatus.TERMINATED
        and relationship.closed_by_tenant_id == customer.pk
    ):
        when, date = _("Ended by your organization on %(date)s"), relationship.closed_at
    elif status == AdminRelationshipStatus.TERMINATED:
        when, date = _("Ended by %(partner)s on %(date)s"), relationship.closed_at
    elif status == AdminRelationshipStatus.DECLINED:
        when, date = _("Declined on %(date)s"), relationship.closed_at
    elif status == AdminRelationshipStatus.WITHDRAWN:
        when, date = _("Withdrawn on %(date)s"), relationship.closed_at
    else:
        # Translators: %(status)s is an admin relationship's status ("Declined").
        when, date = _("%(status)s on %(date)s"), relationship.closed_at
    when %= {
        "date": short_day(date),
        "days": number(AUTO_EXTEND_DAYS),
        "partner": relationship.partner.name,
        "status": status.label,
    }
    return AdminRelationshipRow(relationship, status, when)


@require_GET
@customer_view(Action.VIEW_PARTNER_RELATIONSHIPS)
def partner_relationships(request: CustomerRequest):
    """Each partner with its reseller relationship and every admin relationship it asked this
    organization for (drafts aside), and what each partner's security groups hold here. Three
    queries whatever the number of partners."""
    customer = request.customer
    now = timezone.now()
    resellers = ResellerRelationship.objects.filter(customer=customer).select_related(
        "partner__country", "indirect_provider"
    )
    admins = (
        AdminRelationship.objects.filter(customer=customer)
        .exclude(status=AdminRelationshipStatus.CREATED)
        .select_related("partner__country")
    )
    partners: dict = {}

    def row_of(partner: Tenant) -> dict:
        return partners.setdefault(
            partner.pk, {"partner": partner, "reseller": None, "ended": [], "admins": []}
        )

    for reseller in resellers:
        row = row_of(reseller.partner)
        if reseller.is_active:
            row["reseller"] = reseller
        else:
            row["ended"].append(reseller)
    for admin in admins:
        row_of(admin.partner)["admins"].append(_admin_row(admin, customer, now))
    # What each partner's security groups hold here, through its relationships in force: the
    # groups' names, their roles and the ends (not who is in them). One query.
    for access in group_access_in(customer, now):
        if access.partner_id in partners:  # (one approved between the two reads waits a reload)
            partners[access.partner_id].setdefault("access", []).append(access)
    current, past = [], []
    for row in partners.values():
        # In force first, then waiting for approval, then the ended ones; newest first in each.
        row["admins"].sort(key=lambda admin: (not admin.in_force, not admin.waiting))
        ongoing = any(admin.in_force or admin.waiting for admin in row["admins"])
        (current if row["reseller"] or ongoing else past).append(row)
    return render(
        request,
        "admin_center/partner_relationships.html",
        {
            "active": sorted(current, key=lambda row: row["partner"].name.lower()),
            "past": sorted(past, key=lambda row: row["partner"].name.lower()),
            "extend_days": AUTO_EXTEND_DAYS,
        },
    )


@require_http_methods(["GET", "POST"])
@customer_view(Action.END_RESELLER)
def end_reseller(request: CustomerRequest, partner_id):
    partner = selectors.related_partner_of(request.customer, partner_id)
    customer = request.customer
    if request.method == "POST":
        try:
            services.reseller_relationship_end(
                partner=partner, customer=customer, ended_by=request.user, by=customer
            )
        except services.ServiceError as error:
            messages.error(request, error.message)
            if error.code == "active_subscriptions":
                return redirect(portal_url(request, "end-reseller", partner.pk))
            return redirect(portal_url(request, "partner-relationships"))
        messages.success(
            request,
            _("%(partner)s is no longer your organization's reseller.") % {"partner": partner.name},
        )
        return redirect(portal_url(request, "partner-relationships"))
    relationship = services.active_reseller_relationship(partner, customer)
    if relationship is None:
        raise Http404(_("This partner is not your reseller."))
    decision = services.reseller_relationship_end_decision(
        partner=partner, customer=customer, by=customer
    )
    provider = relationship.indirect_provider
    if provider is not None:
        # An indirect reseller never bought anything itself: its provider bought on its behalf.
        consequence = _(
            "%(partner)s will no longer sell to your organization through %(provider)s. "
            "%(provider)s stays your reseller."
        ) % {"partner": partner.name, "provider": provider.name}
    else:
        consequence = _(
            "%(partner)s will no longer be able to buy subscriptions for your organization."
        ) % {"partner": partner.name}
    return render(
        request,
        "admin_center/confirm.html",
        {
            "title": _("End the reseller relationship with %(partner)s?")
            % {"partner": partner.name},
            "body": [
                consequence,
                _(
                    "Admin roles, if the partner holds any, are not affected; remove them "
                    "separately."
                ),
            ],
            "button": _("End reseller relationship"),
            "blocked": decision.reason,
        },
    )


@require_http_methods(["GET", "POST"])
@customer_view(Action.REMOVE_ADMIN_ROLES)
def admin_relationship_terminate(request: CustomerRequest, relationship_id):
    """Remove roles: end one admin relationship at once (Partner Center's "Terminate")."""
    relationship = selectors.customer_admin_relationship_of(request.customer, relationship_id)
    partner = relationship.partner
    back = redirect(portal_url(request, "partner-relationships"))
    if request.method == "POST":
        try:
            services.admin_relationship_terminate(
                relationship=relationship, terminated_by=request.user, by=request.customer
            )
        except services.ServiceError as error:
            # Typically a second post, or the partner ended it meanwhile: nothing left to remove.
            messages.error(
                request,
                # Translators: %(reason)s is a sentence saying why ("The admin relationship has
                # already ended.").
                _("Nothing was removed: %(reason)s") % {"reason": error.message},
            )
        else:
            messages.success(
                request,
                _(
                    "%(partner)s no longer holds the roles of “%(name)s” in your organization. "
                    "We've told the partner."
                )
                % {"partner": partner.name, "name": relationship.name},
            )
        return back
    if not services.admin_relationship_terminate_decision(relationship, by=request.customer):
        status = relationship.display_status()
        message = _ENDED_ALREADY.get(status)
        if message is None:
            # Translators: %(status)s is the admin relationship's status, in lower case.
            message = _("“%(name)s” has already ended (%(status)s): there are no roles to remove.")
        messages.info(
            request, message % {"name": relationship.name, "status": status.label.lower()}
        )
        return back
    names = {
        "partner": partner.name,
        "partner_possessive": possessive(partner.name),
        "name": relationship.name,
        "roles": ", ".join(relationship.role_names),
    }
    return render(
        request,
        "admin_center/confirm.html",
        {
            # Translators: the English sentence uses %(partner_possessive)s ("Contoso's"),
            # elsewhere the plain name; %(name)s is the admin relationship's name.
            "title": _("Remove %(partner_possessive)s roles of “%(name)s”?") % names,
            "body": [
                _(
                    # Translators: the English sentence uses %(partner_possessive)s ("Contoso's"),
                    # elsewhere the plain name; %(roles)s lists Microsoft Entra role names.
                    "%(partner_possessive)s agents will lose these roles in your organization "
                    "at once: %(roles)s."
                )
                % names,
                _(
                    "The admin relationship ends: the partner's security groups lose the roles "
                    "it gave them, and it is not extended again. The partner's other admin "
                    "relationships and its reseller relationship stay as they are."
                ),
                _("To give roles back, the partner sends a new request."),
            ],
            "button": _("Remove roles"),
        },
    )
