"""Partner Center: admin relationships requested in bulk, and the jobs that do it (and send
reminders or withdraw in bulk). A request for "all that match" carries the Customer list's search,
never a list of ids; the preview and the start cost a fixed number of queries, whatever their size;
the job's page reads its counters and one page of its results."""

import functools
from dataclasses import replace

from django.contrib import messages
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from partner_center.access import partner_view
from partner_center.bulk_forms import (
    PASTE,
    PICKED,
    SEARCH,
    BulkRequestForm,
    ResultFilterForm,
    paste_limits,
)
from partner_center.exports import csv_response
from partner_center.views.access_trace import if_approved
from tenancy import selectors, services, text
from tenancy.models import BulkItemState, BulkJob, BulkJobItem
from tenancy.paging import keyset_page
from tenancy.prepared import Prepared
from tenancy.rules import Action
from tenancy.services.bulk_selection import item_reason
from tenancy.web import fragments
from tenancy.web.http import PartnerRequest

RESULTS_PAGE_SIZE = 50


@require_http_methods(["GET", "POST"])
@partner_view(Action.MANAGE_ADMIN_RELATIONSHIPS)
def bulk_request_new(request: PartnerRequest):
    """Choose who (the Customer list's selection, or a pasted list) and a template, see the
    preview, Start."""
    partner = request.partner
    data = request.POST if request.method == "POST" else (request.GET or None)
    initial = {}
    if data is not None and "template" in data and "scope" not in data:
        initial["template"] = data.get("template")  # from a template's page: who, next
        data = None
    form = BulkRequestForm(data, partner=partner, initial=initial)
    preview = None
    if form.is_bound and form.is_valid():
        selection = form.selection()
        template = form.cleaned_data["template"]
        starting = request.method == "POST" and request.POST.get("action") == "start"
        if template is None:
            if starting or form.chosen_scope == PASTE:
                form.add_error("template", _("Choose a template."))
        elif selection is not None:
            version = template.latest
            try:
                preview = services.bulk_request_preview(
                    partner=partner, selection=selection, version=version
                )
            except services.ServiceError as error:
                form.add_error("lines" if form.chosen_scope == PASTE else None, error.message)
            posted_version = form.cleaned_data.get("version")
            if starting and posted_version is not None and posted_version != version.pk:
                form.add_error(
                    None,
                    _(
                        "The template changed since this preview. Check the preview below, "
                        "then start again."
                    ),
                )
            elif starting and preview is not None and not preview.requests:
                form.add_error(None, _("Nobody in this selection would get a request."))
            elif starting and preview is not None:
                try:
                    job = services.bulk_request_start(
                        membership=request.membership,
                        selection=selection,
                        version=version,
                        send_email=form.cleaned_data["send_email"],
                    )
                except services.ServiceError as error:
                    form.add_error(None, error.message)
                else:
                    messages.success(
                        request, _("The job has started. It goes on if you leave this page.")
                    )
                    return redirect("partner_center:admin-relationship-bulk-job", job.pk)
    return render(
        request,
        "partner_center/bulk/new.html",
        {
            "form": form,
            "preview": preview,
            "scope": form.chosen_scope,
            "SEARCH": SEARCH,
            "PICKED": PICKED,
            "PASTE": PASTE,
            "paste_limits": paste_limits(),
            "has_templates": form.fields["template"].queryset.exists(),
            # Under the preview: who would hold which roles once a customer approves.
            "prospect": if_approved(form.cleaned_data["template"].latest) if preview else None,
        },
        status=400 if form.is_bound and form.errors else 200,
    )


@require_GET
@partner_view(Action.VIEW_ADMIN_RELATIONSHIPS)
def job_list(request: PartnerRequest):
    jobs = BulkJob.objects.filter(partner=request.partner).select_related(
        "template_version__template", "created_by"
    )
    page = keyset_page(
        jobs, order=["-created_at", "-id"], cursor=request.GET.get("cursor"), size=25
    )
    return render(request, "partner_center/bulk/jobs.html", {"page": page})


def _progress(job: BulkJob) -> dict:
    seconds_left = job.seconds_left()
    rate = job.rate()
    return {
        "status": job.status,
        "status_label": job.get_status_display(),
        "running": job.is_running,
        "total": job.total,
        "done": job.done,
        "succeeded": job.succeeded,
        "skipped": job.skipped,
        "failed": job.failed,
        "percent": job.percent,
        "rate": round(rate, 1) if rate else None,
        "seconds_left": seconds_left,
        "text": {
            "done": _("%(done)s of %(total)s")
            % {"done": text.number(job.done), "total": text.number(job.total)},
            "rate": _("%(rate)s a second") % {"rate": text.number(round(rate, 1))} if rate else "",
            "left": _time_left(seconds_left),
        },
    }


def _time_left(seconds: int | None) -> str:
    if seconds is None:
        return ""
    if seconds < 60:
        return _("Less than a minute left")
    minutes = round(seconds / 60)
    if minutes < 120:
        return _("About %(minutes)s minutes left") % {"minutes": minutes}
    return _("About %(hours)s hours left") % {"hours": round(minutes / 60)}


@never_cache
@require_GET
@partner_view(Action.VIEW_ADMIN_RELATIONSHIPS)
def job_detail(request: PartnerRequest, job_id):
    """The job's progress (its counters: nothing is counted here) and one page of its results
    (an index range of its items): a fixed number of queries, whatever its size."""
    job = selectors.bulk_job_of(request.partner, job_id)
    form = ResultFilterForm(request.GET or None)
    items = BulkJobItem.objects.filter(job=job)
    first = functools.partial(_FIRST_RESULTS.all, job=job.pk)
    state = form.cleaned_data.get("state") if form.is_valid() else ""
    if state:
        items = items.filter(state=state)
        first = None
    page = keyset_page(
        items,
        named=RESULT_ROW,
        order=["id"],
        cursor=request.GET.get("cursor"),
        size=RESULTS_PAGE_SIZE,
        first=first,
    )
    # A running job's page changes as the worker goes: it is rendered each time. Once the job
    # is over, the page is kept under the stamp of the job's row and of the results it shows.
    version = None if job.is_running else fragments.stamp(page, _job_shown(job))
    return fragments.kept_page(
        request,
        "partner_center/bulk/job.html",
        "bulk-job",
        version,
        lambda: (_content(request, job, form, page), None),
        context={"job": job},
    )


def _job_shown(job: BulkJob) -> tuple:
    """What the page shows of the job: its row, its partner's cloud (its links), its template's
    name and version, who started it and who cancelled it."""
    version = job.template_version
    return (
        [getattr(job, field.attname) for field in BulkJob._meta.concrete_fields],
        job.partner.cloud,
        (version.template.name, version.number) if version else None,
        job.created_by.get_username(),
        job.cancelled_by.get_username() if job.cancelled_by_id else None,
    )


# What a row of a job's results shows (its request's link is made from the token's salt and
# hash): read as values each time; the results are kept under their stamp and rendered from
# them (tenancy.web.fragments).
RESULT_ROW = (
    "id",
    "line",
    "state",
    "reason",
    "customer",
    "customer__name",
    "customer__domain",
    "relationship",
    "relationship__name",
    "relationship__token_salt",
    "relationship__token_hash",
)


# The first page of a job's results, what its page shows first: its query compiled once.
_FIRST_RESULTS = Prepared(
    lambda job: (
        BulkJobItem.objects.filter(job=job)
        .values_list(*RESULT_ROW, named=True)
        .order_by("id")[: RESULTS_PAGE_SIZE + 1]
    ),
    job=BulkJobItem._meta.get_field("job"),
)


def _content(request: PartnerRequest, job: BulkJob, form, page) -> str:
    """The page below its header: the job, its progress, one page of its results (made from
    the values read)."""
    items = fragments.from_values(BulkJobItem, page.object_list)
    for item in items:
        item.reason_text = item_reason(item.reason)
        if item.relationship is not None:
            item.relationship.partner = job.partner  # its link's cloud, without a query
    return render_to_string(
        "partner_center/bulk/job_content.html",
        {
            "job": job,
            "progress": _progress(job),
            "page": replace(page, object_list=items),
            "form": form,
        },
        request,
    )


@never_cache
@require_GET
@partner_view(Action.VIEW_ADMIN_RELATIONSHIPS)
def job_progress(request: PartnerRequest, job_id):
    """The job's progress for its page to update itself (one query)."""
    job = selectors.bulk_job_of(request.partner, job_id)
    return JsonResponse(_progress(job))


@require_GET
@partner_view(Action.VIEW_ADMIN_RELATIONSHIPS)
def job_results_export(request: PartnerRequest, job_id):
    job = selectors.bulk_job_of(request.partner, job_id)
    items = (
        BulkJobItem.objects.filter(job=job)
        .select_related("customer", "relationship")
        .order_by("id")
    )
    labels = dict(BulkItemState.choices)
    reasons: dict[str, str] = {}

    def reason(code: str) -> str:
        if code not in reasons:
            reasons[code] = item_reason(code)
        return reasons[code]

    def link(item: BulkJobItem) -> str:
        if item.relationship is None:
            return ""
        item.relationship.partner = job.partner
        return item.relationship.link() or ""

    rows = (
        (
            item.customer.name if item.customer else "",
            item.customer.domain if item.customer else "",
            item.customer_id or "",
            item.line,
            labels[item.state],
            reason(item.reason),
            item.relationship.name if item.relationship else "",
            link(item),
            item.processed_at.isoformat() if item.processed_at else "",
        )
        for item in items.iterator(chunk_size=2000)
    )
    return csv_response(
        f"bulk-job-{job.created_at:%Y-%m-%d}-{str(job.pk)[:8]}.csv",
        [
            _("Company name"),
            _("Primary domain"),
            _("Microsoft ID"),
            _("Pasted line"),
            _("Result"),
            _("Reason"),
            _("Admin relationship name"),
            _("Link to the request"),
            _("Done at"),
        ],
        rows,
    )


@require_POST
@partner_view(Action.MANAGE_ADMIN_RELATIONSHIPS)
def job_cancel(request: PartnerRequest, job_id):
    job = selectors.bulk_job_of(request.partner, job_id)
    try:
        job = services.bulk_job_cancel(membership=request.membership, job=job)
    except services.ServiceError as error:
        messages.error(request, error.message)
    else:
        messages.success(
            request,
            _("The job is cancelled after %(done)s of %(total)s. What it did stays done.")
            % {"done": text.number(job.done), "total": text.number(job.total)},
        )
    return redirect("partner_center:admin-relationship-bulk-job", job.pk)
