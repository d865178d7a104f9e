"""The customer's side of admin relationships (GDAP): a partner's request, opened from the link
in its email, approved ("Approve all") or declined by a Global administrator; and later the
roles removed again from Partner relationships.

The request pages work as the reseller request's do (admin_center.views): the link's token is
traded at once for a session entry, and every page after it carries only the request's id.
"""

from datetime import timedelta

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_variables
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from admin_center.views import (
    current_portal,
    customer_view,
    forget_opened,
    portal_url,
    refusal_page,
    remember_opened,
    request_page,
    was_opened,
)
from tenancy import services
from tenancy.http import CustomerRequest, MemberRequest
from tenancy.models import AUTO_EXTEND_DAYS, AdminRelationship, AdminRelationshipStatus
from tenancy.rules import Action
from tenancy.services import refusals
from tenancy.text import day, number, possessive
from tenancy.throttle import LINK_OPEN_RATE, rate_limited

# The admin relationship requests this browser session opened by their link (kept apart from
# the reseller requests': the two kinds of id name different tables).
OPENED_ADMIN_REQUESTS = "admin_center.opened_admin_requests"

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


# --- Opening a request ------------------------------------------------------------------


@require_GET
@rate_limited("link-open", **LINK_OPEN_RATE)
@request_page
@sensitive_variables("token")
def admin_request_open(request: MemberRequest, relationship_id):
    """The link in the partner's email. Trade its token for a session entry, then redirect to
    a token-free page."""
    token = request.GET.get("token", "")
    relationship = services.admin_relationship_find(relationship_id, token)
    if relationship is None:
        return refusal_page(request, refusals.unknown_link_refusal())
    remember_opened(request, OPENED_ADMIN_REQUESTS, relationship.pk)
    return redirect(portal_url(request, "gdap-request", relationship.pk))


def _opened(request: MemberRequest, relationship_id) -> AdminRelationship | None:
    """The request, if this session opened its link; None otherwise (a guessed id finds nothing)."""
    if not was_opened(request, OPENED_ADMIN_REQUESTS, relationship_id):
        return None
    return (
        AdminRelationship.objects.select_related(
            "partner__country__market", "customer", "finalized_by", "approved_by", "closed_by"
        )
        .filter(pk=relationship_id)
        .first()
    )


def _answerable(request: MemberRequest, relationship_id):
    """(relationship, refusal response or sign-in redirect or None) for the request pages."""
    relationship = _opened(request, relationship_id)
    if relationship is None:
        return None, refusal_page(request, refusals.not_opened_refusal())
    portal = current_portal(request)
    if relationship.partner.cloud != portal.cloud:
        return relationship, refusal_page(
            request, refusals.admin_wrong_portal_refusal(relationship)
        )
    if not request.user.is_authenticated:
        # Back to the page after signing in; a form posted signed out comes back to the request.
        back = (
            request.get_full_path()
            if request.method == "GET"
            else portal_url(request, "gdap-request", relationship.pk)
        )
        return relationship, redirect_to_login(back)
    membership = request.membership
    refusal = refusals.admin_request_refusal(
        relationship=relationship, membership=membership, portal_cloud=portal.cloud
    )
    if refusal is not None:
        services.admin_relationship_record_refusal(
            relationship=relationship, refusal=refusal, user=request.user, membership=membership
        )
        return relationship, refusal_page(request, refusal)
    return relationship, None


# --- Approve partner roles --------------------------------------------------------------


@never_cache
@require_GET
@request_page
def admin_request(request: MemberRequest, relationship_id):
    relationship, stop = _answerable(request, relationship_id)
    if stop is not None:
        return stop
    return render(
        request,
        "admin_center/admin_relationships/request.html",
        {
            "relationship": relationship,
            "partner": relationship.partner,
            "customer": request.membership.tenant,
            "roles": relationship.role_infos,
            "ends_if_approved_today": timezone.now() + timedelta(days=relationship.duration_days),
            "extend_days": AUTO_EXTEND_DAYS,
            "global_admin_warning": _(
                # Translators: %(partner_possessive)s is the name, with "'s" in English
                # only: in other languages the plain name.
                "With it, %(partner_possessive)s agents could change anything in your "
                "organization, including who holds admin roles."
            )
            % {
                "partner": relationship.partner.name,
                "partner_possessive": possessive(relationship.partner.name),
            },
        },
    )


@require_POST
@request_page
def admin_request_approve(request: MemberRequest, relationship_id):
    relationship, stop = _answerable(request, relationship_id)
    if stop is not None:
        return stop
    try:
        relationship = services.admin_relationship_approve(
            relationship_id=relationship.pk,
            user=request.user,
            portal_cloud=current_portal(request).cloud,
        )
    except services.InvitationRefused as refused:
        return refusal_page(request, refused.refusal)
    forget_opened(request, OPENED_ADMIN_REQUESTS, relationship.pk)
    names = {
        "name": relationship.name,
        "partner": relationship.partner.name,
        "date": day(relationship.ends_at),
        "days": number(AUTO_EXTEND_DAYS),
    }
    if relationship.auto_extend:
        message = ngettext(
            # Translators: %(name)s is the admin relationship's name, chosen by the partner.
            "You approved “%(name)s”: %(partner)s holds the roles you approved in your "
            "organization until %(date)s (then extended by %(days)s day at a time, unless it is "
            "ended).",
            "You approved “%(name)s”: %(partner)s holds the roles you approved in your "
            "organization until %(date)s (then extended by %(days)s days at a time, unless it is "
            "ended).",
            AUTO_EXTEND_DAYS,
        )
    else:
        message = _(
            # Translators: %(name)s is the admin relationship's name, chosen by the partner.
            "You approved “%(name)s”: %(partner)s holds the roles you approved in your "
            "organization until %(date)s."
        )
    messages.success(request, message % names)
    return redirect(portal_url(request, "partner-relationships"))


@require_http_methods(["GET", "POST"])
@request_page
def admin_request_decline(request: MemberRequest, relationship_id):
    relationship, stop = _answerable(request, relationship_id)
    if stop is not None:
        return stop
    if request.method == "GET":
        partner = relationship.partner.name
        return render(
            request,
            "admin_center/admin_relationships/decline.html",
            {
                "relationship": relationship,
                "partner": relationship.partner,
                # Translators: %(partner_possessive)s is the name, with "'s" in English
                # only: in other languages the plain name.
                "heading": _("Decline %(partner_possessive)s request for admin roles?")
                % {"partner": partner, "partner_possessive": possessive(partner)},
            },
        )
    try:
        services.admin_relationship_decline(
            relationship_id=relationship.pk,
            user=request.user,
            portal_cloud=current_portal(request).cloud,
        )
    except services.InvitationRefused as refused:
        return refusal_page(request, refused.refusal)
    forget_opened(request, OPENED_ADMIN_REQUESTS, relationship.pk)
    messages.success(
        request,
        _(
            "You declined the admin relationship request “%(name)s” from %(partner)s. We've told "
            "the partner; its agents got no roles in your organization."
        )
        % {"name": relationship.name, "partner": relationship.partner.name},
    )
    return redirect(portal_url(request, "partner-relationships"))


# --- Remove roles -----------------------------------------------------------------------


def _own_relationship(request: CustomerRequest, relationship_id) -> AdminRelationship:
    """One of this customer's admin relationships, else 404 (another organization's included)."""
    relationship = (
        AdminRelationship.objects.filter(pk=relationship_id, customer=request.customer)
        .select_related("partner")
        .first()
    )
    if relationship is None:
        raise Http404(_("No such admin relationship."))
    return relationship


@require_http_methods(["GET", "POST"])
@customer_view(Action.REMOVE_ADMIN_ROLES)
def admin_relationship_terminate(request: CustomerRequest, relationship_id):
    """Remove roles: end one admin relationship at once (Partner Center's "Terminate")."""
    relationship = _own_relationship(request, relationship_id)
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
    if not relationship.is_in_force():
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
