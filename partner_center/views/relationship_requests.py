"""Relationship requests: New relationship, the list of requests, a request's panel (its email and
link), sending it, revoking it."""

import functools
from urllib.parse import quote

from django.conf import settings
from django.contrib import messages
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from partner_center.access import PAGE_SIZE, partner_view, posted
from partner_center.forms import (
    NewRelationshipForm,
    RequestFilterForm,
)
from tenancy import selectors, services
from tenancy.models import (
    Invitation,
    InvitationStatus,
)
from tenancy.paging import keyset_page
from tenancy.prepared import Prepared
from tenancy.rules import Action
from tenancy.web import fragments
from tenancy.web.http import PartnerRequest


@require_http_methods(["GET", "POST"])
@partner_view(Action.REQUEST_RELATIONSHIP)
def new_relationship(request: PartnerRequest):
    partner = request.partner
    form = NewRelationshipForm(posted(request), partner=partner, language=request.LANGUAGE_CODE)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            invitation = services.invitation_create(
                partner=partner,
                created_by=request.user,
                include_admin=data["include_admin"],
                label=data["label"],
                recipient_email=data["recipient_email"],
                indirect_provider=data.get("indirect_provider"),
                language=data["language"] or None,
            )
        except services.ServiceError as error:  # the partnership ended since the page loaded
            form.add_error("indirect_provider" if form.two_tier else None, error.message)
        else:
            messages.success(request, _("The request is ready. Share the email or the link below."))
            return redirect("partner_center:request-detail", invitation.pk)
    return render(
        request,
        "partner_center/new_relationship.html",
        {"form": form},
        status=400 if form.is_bound else 200,
    )


# What a row of Relationship requests shows, and its status: a third of the columns, and no
# tenant's or user's other fields. Read as values each time; the page's part below its header
# is kept under their stamp and rendered from them (tenancy.web.fragments).
REQUEST_ROW = (
    "id",
    "label",
    "include_admin",
    "created_at",
    "expires_at",
    "status",
    "opened_at",
    "answered_at",
    "created_by",
    "created_by__username",
    "answered_by",
    "answered_by__username",
    "answered_tenant",
    "answered_tenant__name",
    "indirect_provider",
    "indirect_provider__name",
)


REQUEST_ORDER = ["-created_at", "-id"]
# The first page of them all, what the page shows first: its query compiled once.
_FIRST_REQUESTS = Prepared(
    lambda partner: (
        Invitation.objects.filter(partner=partner)
        .values_list(*REQUEST_ROW, named=True)
        .order_by(*REQUEST_ORDER)[: PAGE_SIZE + 1]
    ),
    partner=Invitation._meta.get_field("partner"),
)


@require_GET
@partner_view(Action.VIEW_REQUESTS)
def request_list(request: PartnerRequest):
    form = RequestFilterForm(request.GET or None)
    invitations = Invitation.objects.filter(partner=request.partner)
    now = timezone.now()
    first = functools.partial(_FIRST_REQUESTS.all, partner=request.partner.pk)
    if form.is_valid() and (status := form.cleaned_data["status"]):
        invitations = invitations.with_status(InvitationStatus(status), now)
        first = None
    page = keyset_page(
        invitations,
        named=REQUEST_ROW,
        order=REQUEST_ORDER,
        cursor=request.GET.get("cursor"),
        size=PAGE_SIZE,
        first=first,
    )
    version = fragments.stamp(page, settings.INVITATION_VALID_DAYS)
    return fragments.kept_page(
        request,
        "partner_center/request_list.html",
        "requests",
        version,
        lambda: _request_rows(request, form, page, now),
    )


def _request_rows(request: PartnerRequest, form, page, now):
    """The page below its header, and until when it holds: the first expiry of a pending
    request it shows, or of the one read past it."""
    invitations = fragments.from_values(Invitation, page.object_list)
    rows = [(invitation, invitation.display_status(now)) for invitation in invitations]
    html = render_to_string(
        "partner_center/request_list_content.html",
        {"form": form, "page": page, "rows": rows, "valid_days": settings.INVITATION_VALID_DAYS},
        request,
    )
    return html, fragments.until_of(Invitation, page, now)


@never_cache
@require_GET
@partner_view(Action.VIEW_REQUESTS)
def request_detail(request: PartnerRequest, invitation_id):
    """The request panel: the email and the link while the request can be answered."""
    invitation = selectors.invitation_of(request.partner, invitation_id)
    context = {"invitation": invitation, "status": invitation.display_status()}
    if invitation.is_open:
        email = services.request_email(invitation)
        if email is None:
            messages.error(request, services.LINK_UNAVAILABLE)
            return render(request, "partner_center/request_detail.html", context)
        mailto = "mailto:{}?subject={}&body={}".format(
            quote(invitation.recipient_email, safe="@"),
            quote(email.subject, safe=""),
            quote(email.text, safe=""),
        )
        context |= {
            "email": email,
            "link": invitation.link(),
            "mailto": mailto,
        }
    return render(request, "partner_center/request_detail.html", context)


@require_POST
@partner_view(Action.REQUEST_RELATIONSHIP)
def request_send(request: PartnerRequest, invitation_id):
    invitation = selectors.invitation_of(request.partner, invitation_id)
    if not invitation.recipient_email:
        messages.error(
            request, _("This request has no recipient email. Copy it or open it in email.")
        )
    else:
        try:
            services.invitation_send(
                invitation=invitation, sent_by=request.user, to=invitation.recipient_email
            )
        except services.ServiceError as error:
            messages.error(request, error.message)
        else:
            messages.success(
                request, _("Sent to %(email)s.") % {"email": invitation.recipient_email}
            )
    return redirect("partner_center:request-detail", invitation.pk)


@require_http_methods(["GET", "POST"])
@partner_view(Action.REVOKE_REQUEST)
def request_revoke(request: PartnerRequest, invitation_id):
    invitation = selectors.invitation_of(request.partner, invitation_id)
    if request.method == "POST":
        try:
            services.invitation_revoke(invitation=invitation, revoked_by=request.user)
        except services.ServiceError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, _("The request was revoked. Its link no longer works."))
        return redirect("partner_center:request-list")
    return render(
        request,
        "partner_center/request_revoke.html",
        {"invitation": invitation, "status": invitation.display_status()},
    )
