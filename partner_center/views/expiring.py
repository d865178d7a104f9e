"""Partner Center: Admin relationships → Expiring. Tiles for the relationships that end in 30 days,
7 days, a day, and that expired in the last 30 days and year, each opening its list; for those
ticked or all that match, Enable auto-extend, Disable auto-extend and Remove Global Administrator
as bulk jobs (the job skips, with the reason, each one the step doesn't fit)."""

import uuid

from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from partner_center.access import PAGE_SIZE, partner_view
from tenancy import selectors, services
from tenancy.entra_roles import GLOBAL_ADMINISTRATOR
from tenancy.models import BulkJobKind
from tenancy.paging import keyset_page
from tenancy.rules import Action
from tenancy.web.http import PartnerRequest

ACTIONS = {
    "auto_extend_on": BulkJobKind.AUTO_EXTEND_ON,
    "auto_extend_off": BulkJobKind.AUTO_EXTEND_OFF,
    "remove_global_admin": BulkJobKind.REMOVE_GLOBAL_ADMIN,
}


def _window(value: str) -> str:
    return value if value in selectors.WINDOW_CODES else "30"


@require_GET
@partner_view(Action.VIEW_ADMIN_RELATIONSHIPS)
def expiring_page(request: PartnerRequest):
    now = timezone.now()
    window = _window(request.GET.get("window", ""))
    counts = selectors.expiry_counts(request.partner, now)
    relationships = selectors.expiring(request.partner, window, now).select_related("customer")
    page = keyset_page(
        relationships, order=["ends_at", "id"], cursor=request.GET.get("cursor"), size=PAGE_SIZE
    )
    for relationship in page:
        relationship.holds_global_admin = GLOBAL_ADMINISTRATOR in relationship.roles
    tiles = [
        {"code": code, "label": label, "count": counts[code], "ahead": ahead}
        for code, label, _days, ahead in selectors.WINDOWS
    ]
    return render(
        request,
        "partner_center/admin_relationships/expiring.html",
        {
            "tiles": tiles,
            "window": window,
            "ahead": window.isdigit(),
            "total": counts[window],
            "page": page,
            "now": now,
        },
    )


def _chosen(request: PartnerRequest, window: str):
    """Those ticked, or every one in the window (`scope=all`): a queryset, never ids in a form."""
    relationships = selectors.expiring(request.partner, window)
    if request.POST.get("scope") == "all":
        return relationships, {"expiring": window}
    ids = []
    for value in request.POST.getlist("relationship")[:PAGE_SIZE]:
        try:
            ids.append(uuid.UUID(value))
        except ValueError:
            continue
    return relationships.filter(pk__in=ids), {"picked": len(ids)}


@require_POST
@partner_view(Action.MANAGE_ADMIN_RELATIONSHIPS)
def expiring_action(request: PartnerRequest):
    window = _window(request.POST.get("window", ""))
    kind = ACTIONS.get(request.POST.get("action", ""))
    back = redirect(reverse("partner_center:admin-relationship-expiring") + f"?window={window}")
    if kind is None:
        messages.error(request, _("Choose what to do."))
        return back
    relationships, selection = _chosen(request, window)
    if kind == BulkJobKind.REMOVE_GLOBAL_ADMIN and request.POST.get("confirm") != "yes":
        count = relationships.count()
        if not count:
            messages.error(request, _("Select at least one admin relationship."))
            return back
        return render(
            request,
            "partner_center/admin_relationships/remove_global_admin.html",
            {
                "count": count,
                "window": window,
                "scope": request.POST.get("scope", ""),
                "ids": request.POST.getlist("relationship")[:PAGE_SIZE],
            },
        )
    try:
        job = services.bulk_relationships_start(
            membership=request.membership,
            kind=kind,
            relationships=relationships,
            selection=selection,
        )
    except services.ServiceError as error:
        messages.error(request, error.message)
        return back
    return redirect("partner_center:admin-relationship-bulk-job", job.pk)
