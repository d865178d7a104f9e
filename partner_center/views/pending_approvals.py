"""Partner Center: Admin relationships → Pending approvals. The requests waiting for customers'
approval, oldest first, with their age: sent again to the customer's Global administrators (one
at once; a selection, or all a search matches, as a bulk job), withdrawn in bulk; and the ones
that lapsed unanswered, each asked again in one click."""

import uuid

from django import forms
from django.conf import settings
from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from partner_center.access import PAGE_SIZE, partner_view
from tenancy import selectors, services, text
from tenancy.models import AdminRelationship, BulkJobKind
from tenancy.paging import keyset_page
from tenancy.rules import Action
from tenancy.web.forms import PortalForm
from tenancy.web.http import PartnerRequest

WAITING, LAPSED = "waiting", "lapsed"


class PendingFilterForm(PortalForm):
    q = forms.CharField(
        label=gettext_lazy("Search"),
        max_length=200,
        required=False,
        widget=forms.TextInput(
            attrs={"type": "search", "placeholder": gettext_lazy("Name or customer")}
        ),
    )
    show = forms.ChoiceField(
        label=gettext_lazy("Show"),
        choices=[
            (WAITING, gettext_lazy("Waiting for approval")),
            (LAPSED, gettext_lazy("Lapsed without an answer")),
        ],
        required=False,
    )

    def values(self) -> tuple[str, str]:
        if not self.is_valid():
            return "", WAITING
        return self.cleaned_data["q"].strip(), self.cleaned_data["show"] or WAITING


def _requests(partner, q: str, show: str, now):
    if show == LAPSED:
        return services.lapsed_requests(partner, q=q, now=now)
    return services.waiting_requests(partner, q=q, now=now)


@require_GET
@partner_view(Action.VIEW_ADMIN_RELATIONSHIPS)
def pending_list(request: PartnerRequest):
    form = PendingFilterForm(request.GET or None)
    q, show = form.values()
    now = timezone.now()
    requests = _requests(request.partner, q, show, now).select_related(
        "customer", "template_version__template"
    )
    order = ["-finalized_at", "-id"] if show == LAPSED else ["finalized_at", "id"]
    page = keyset_page(requests, order=order, cursor=request.GET.get("cursor"), size=PAGE_SIZE)
    for relationship in page:
        relationship.age_days = (now - relationship.finalized_at).days
    return render(
        request,
        "partner_center/admin_relationships/pending.html",
        {
            "form": form,
            "page": page,
            "show": show,
            "q": q,
            "total": requests.count(),
            "now": now,
            "reminder_days": text.and_list(sorted(set(settings.ADMIN_REQUEST_REMINDER_DAYS))),
        },
    )


def _chosen(request: PartnerRequest):
    """The requests an action names: those ticked, or every one a search matches
    (`scope=all`, with the search's `q`), as a queryset — never a list of ids in a form."""
    q = request.POST.get("q", "")[:200]
    requests = services.waiting_requests(request.partner, q=q)
    if request.POST.get("scope") == "all":
        return requests, {"search": {"q": q}} if q.strip() else {"search": {}}
    ids = []
    for value in request.POST.getlist("relationship")[:PAGE_SIZE]:
        try:
            ids.append(uuid.UUID(value))
        except ValueError:
            continue
    return requests.filter(pk__in=ids), {"picked": len(ids)}


def _start(request: PartnerRequest, kind: str):
    requests, selection = _chosen(request)
    try:
        job = services.bulk_relationships_start(
            membership=request.membership, kind=kind, relationships=requests, selection=selection
        )
    except services.ServiceError as error:
        messages.error(request, error.message)
        return redirect("partner_center:admin-relationship-pending")
    return redirect("partner_center:admin-relationship-bulk-job", job.pk)


@require_POST
@partner_view(Action.MANAGE_ADMIN_RELATIONSHIPS)
def pending_remind(request: PartnerRequest):
    """Send the chosen requests to their customers again, as a bulk job."""
    return _start(request, BulkJobKind.REMIND)


@require_http_methods(["POST"])
@partner_view(Action.MANAGE_ADMIN_RELATIONSHIPS)
def pending_withdraw(request: PartnerRequest):
    """Withdraw the chosen requests, as a bulk job — after a page that says how many."""
    if request.POST.get("confirm") != "yes":
        requests, _selection = _chosen(request)
        count = requests.count()
        if not count:
            messages.error(request, _("Select at least one request."))
            return redirect("partner_center:admin-relationship-pending")
        return render(
            request,
            "partner_center/admin_relationships/pending_withdraw.html",
            {
                "count": count,
                "scope": request.POST.get("scope", ""),
                "q": request.POST.get("q", "")[:200],
                "ids": request.POST.getlist("relationship")[:PAGE_SIZE],
            },
        )
    return _start(request, BulkJobKind.WITHDRAW)


@require_POST
@partner_view(Action.MANAGE_ADMIN_RELATIONSHIPS)
def request_remind(request: PartnerRequest, relationship_id):
    """Send one waiting request to its customer's Global administrators again, now."""
    relationship = selectors.admin_relationship_of(request.partner, relationship_id)
    try:
        sent = services.admin_request_remind(relationship=relationship, reminded_by=request.user)
    except services.ServiceError as error:
        messages.error(request, error.message)
    else:
        messages.success(
            request,
            ngettext(
                "“%(name)s” was sent again to %(count)s Global administrator of %(customer)s.",
                "“%(name)s” was sent again to %(count)s Global administrators of %(customer)s.",
                sent,
            )
            % {"name": relationship.name, "count": sent, "customer": relationship.customer.name},
        )
    return redirect(_back(request))


@require_POST
@partner_view(Action.MANAGE_ADMIN_RELATIONSHIPS)
def request_again(request: PartnerRequest, relationship_id):
    """A request that lapsed unanswered, made again: same roles, customer and template."""
    relationship: AdminRelationship = selectors.admin_relationship_of(
        request.partner, relationship_id
    )
    try:
        again = services.admin_request_again(relationship=relationship, requested_by=request.user)
    except services.AdminRequestInvalid as error:
        messages.error(request, " ".join(error.problems.values()))
    except services.ServiceError as error:
        messages.error(request, error.message)
    else:
        messages.success(
            request,
            _(
                "“%(name)s” is a new request, finalized. Share its email or link with the "
                "customer's Global administrator."
            )
            % {"name": again.name},
        )
        return redirect("partner_center:admin-relationship-detail", again.pk)
    return redirect(_back(request))


def _back(request: PartnerRequest) -> str:
    """Where a row's action returns: the page it was on (Pending approvals), if it says so."""
    back = request.POST.get("next", "")
    if back.startswith("/") and url_has_allowed_host_and_scheme(
        back, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return back
    return "partner_center:admin-relationship-pending"
