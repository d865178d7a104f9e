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
from tenancy.models import AUTO_EXTEND_DAYS, AdminRelationship
from tenancy.rules import Action
from tenancy.services import refusals
from tenancy.text import day, possessive
from tenancy.throttle import LINK_OPEN_RATE, rate_limited

# The admin relationship requests this browser session opened by their link (kept apart from
# the reseller requests': the two kinds of id name different tables).
OPENED_ADMIN_REQUESTS = "admin_center.opened_admin_requests"


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
    until = day(relationship.ends_at)
    if relationship.auto_extend:
        until += f" (then extended by {AUTO_EXTEND_DAYS} days at a time, unless it is ended)"
    messages.success(
        request,
        f"You approved “{relationship.name}”: {relationship.partner.name} holds the roles you "
        f"approved in your organization until {until}.",
    )
    return redirect(portal_url(request, "partner-relationships"))


@require_http_methods(["GET", "POST"])
@request_page
def admin_request_decline(request: MemberRequest, relationship_id):
    relationship, stop = _answerable(request, relationship_id)
    if stop is not None:
        return stop
    if request.method == "GET":
        return render(
            request,
            "admin_center/admin_relationships/decline.html",
            {"relationship": relationship, "partner": relationship.partner},
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
        f"You declined the admin relationship request “{relationship.name}” from "
        f"{relationship.partner.name}. We've told the partner; its agents got no roles in your "
        "organization.",
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
        raise Http404("No such admin relationship.")
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
            messages.error(request, f"Nothing was removed: {error.message}")
        else:
            messages.success(
                request,
                f"{partner.name} no longer holds the roles of “{relationship.name}” in your "
                "organization. We've told the partner.",
            )
        return back
    if not relationship.is_in_force():
        messages.info(
            request,
            f"“{relationship.name}” has already ended "
            f"({relationship.display_status().label.lower()}): there are no roles to remove.",
        )
        return back
    return render(
        request,
        "admin_center/confirm.html",
        {
            "title": f"Remove {possessive(partner.name)} roles of “{relationship.name}”?",
            "body": [
                f"{possessive(partner.name)} agents will lose these roles in your organization "
                f"at once: {', '.join(relationship.role_names)}.",
                "The admin relationship ends: the partner's security groups lose the roles it "
                "gave them, and it is not extended again. The partner's other admin "
                "relationships and its reseller relationship stay as they are.",
                "To give roles back, the partner sends a new request.",
            ],
            "button": "Remove roles",
        },
    )
