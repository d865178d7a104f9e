"""The activity log: the partner's audit lines by day, and their export."""

from datetime import datetime, time, timedelta

from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from partner_center.access import partner_view
from partner_center.exports import csv_response
from partner_center.forms import (
    ActivityFilterForm,
)
from tenancy.audit_text import audit_detail
from tenancy.models import (
    AuditEvent,
)
from tenancy.paging import keyset_page
from tenancy.rules import Action
from tenancy.web.http import PartnerRequest


def _activity(request: PartnerRequest):
    form = ActivityFilterForm(request.GET or None)
    start, end = form.date_range()
    tz = timezone.get_current_timezone()
    # A range on the timestamp itself, so the (partner, at) index serves it.
    events = (
        AuditEvent.objects.filter(
            partner=request.partner,
            at__gte=datetime.combine(start, time.min, tz),
            at__lt=datetime.combine(end + timedelta(days=1), time.min, tz),
        )
        .select_related("customer")
        .order_by("-at", "-id")
    )
    return form, start, end, events


@require_GET
@partner_view(Action.VIEW_ACTIVITY)
def activity_log(request: PartnerRequest):
    form, start, end, events = _activity(request)
    page = keyset_page(events, order=["-at", "-id"], cursor=request.GET.get("cursor"), size=50)
    return render(
        request,
        "partner_center/activity_log.html",
        {"form": form, "page": page, "start": start, "end": end, "total": events.count()},
        status=400 if form.is_bound and not form.is_valid() else 200,
    )


@require_GET
@partner_view(Action.VIEW_ACTIVITY)
def activity_export(request: PartnerRequest):
    form, start, end, events = _activity(request)
    if form.is_bound and not form.is_valid():
        return activity_log(request)

    def action(event) -> str:
        detail = audit_detail(event)
        return f"{event.get_action_display()} ({detail})" if detail else event.get_action_display()

    rows = (
        (
            timezone.localtime(event.at).strftime("%Y-%m-%d %H:%M:%S"),
            event.customer.name if event.customer else "",
            event.customer.domain if event.customer else "",
            action(event),
            event.actor_label,
        )
        for event in events.iterator(chunk_size=2000)
    )
    return csv_response(
        f"activity-{start:%Y-%m-%d}-to-{end:%Y-%m-%d}.csv",
        [
            # Translators: the export's first column: "Date (Europe/Paris)", a time zone's name.
            _("Date (%(time_zone)s)") % {"time_zone": timezone.get_current_timezone_name()},
            _("Customer"),
            _("Customer domain"),
            _("Action"),
            _("User"),
        ],
        rows,
    )
