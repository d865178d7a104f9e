"""The Customers workspace: the Customer list (search, filters, sort, keyset pages), its export."""

import uuid

from django.contrib.auth.decorators import login_required
from django.db.models import Count, Min
from django.shortcuts import redirect
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_safe

from partner_center.access import PAGE_SIZE, partner_view
from partner_center.exports import csv_response
from partner_center.forms import (
    CustomerSearchForm,
)
from tenancy import rules, selectors, text
from tenancy.models import (
    ADMIN_FOREVER,
    CustomerState,
    ResellerRelationship,
    Tenant,
)
from tenancy.paging import keyset_page
from tenancy.rules import Action
from tenancy.web import fragments
from tenancy.web.http import MemberRequest, PartnerRequest


@require_safe
@login_required
def home(request: MemberRequest):
    return redirect("partner_center:customer-list")


# Beyond this many matches a search shows "1,000+": counting every match exactly would read them
# all, and nobody pages through a thousand search results.
SEARCH_COUNT_LIMIT = 1000

NO_ID = uuid.UUID(int=0)

CUSTOMER_ORDERS = {
    "name": ["customer_name", "customer_id"],
    "-name": ["-customer_name", "-customer_id"],
    "since": ["since", "customer_id"],
    "-since": ["-since", "-customer_id"],
}


def _customer_rows(request: PartnerRequest) -> tuple:
    """The Customer list as the request asks, from its read model (CustomerListRow)."""
    form = CustomerSearchForm(request.GET or None, partner=request.partner)
    search, sort = form.search(), "name"
    if form.is_valid():
        sort = form.cleaned_data["sort"] or sort
    rows = selectors.customer_list_rows(request.partner, search, side=form.side)
    return form, rows, CUSTOMER_ORDERS[sort], search


@require_GET
@partner_view(Action.VIEW_CUSTOMERS)
def customer_list(request: PartnerRequest):
    side = rules.partnership_side(request.partner)
    # The page below its header comes from the list's read model and the query alone, except
    # the other tier's names of a two-tier partner: those are rendered each time.
    keep = side == ""
    return fragments.kept_page(
        request,
        "partner_center/customer_list.html",
        "customer-list",
        request.membership.customer_list_version if keep else None,
        lambda: _content(request, side),
    )


def _content(request: PartnerRequest, side: str):
    """The page below its header (search form, count, bulk bar, table, pages), and the moment
    it stops being true: when the first admin relationship it shows, or counts, ends."""
    form, rows, order, search = _customer_rows(request)
    ends = []
    page = keyset_page(
        # The list shows no country (its export does): no join for one.
        rows.select_related("indirect_provider") if side == "reseller" else rows,
        order=order,
        cursor=request.GET.get("cursor"),
        size=PAGE_SIZE,
    )
    if side == "provider":
        # The Indirect reseller column: one query for the page's rows.
        names = _indirect_resellers(request.partner, [row.customer_id for row in page.object_list])
        for row in page.object_list:
            row.indirect_resellers = names.get(row.customer_id, [])
    if search.relationship == selectors.WITH_ADMIN:
        # Which rows match depends on the time: the count holds until one of them lapses (past
        # the limit, a row that lapses leaves more than the limit).
        found = rows[: SEARCH_COUNT_LIMIT + 1].aggregate(n=Count("pk"), end=Min("admin_until"))
        total = found["n"]
        ends.append(found["end"])
    elif search.searching:
        total = rows[: SEARCH_COUNT_LIMIT + 1].count()
    else:  # exact, from the counters kept with the rows: nothing is counted here
        state = form.cleaned_data.get("relationship") if form.is_valid() else ""
        total = selectors.customer_list_total(request.partner, state)
    html = render_to_string(
        "partner_center/customer_list_content.html",
        {
            "form": form,
            "page": page,
            "total": min(total, SEARCH_COUNT_LIMIT),
            "more": total > SEARCH_COUNT_LIMIT,
            "searching": search.searching,
            "side": side,
            # Each state's label translated once a page, not once a row.
            "state_labels": {state: str(label) for state, label in CustomerState.choices},
            # What "Select all that match" carries to a bulk request: the search, not ids.
            "search_json": search.to_json(),
            "template_id": _template_id(request),
            # One reversal for the page, not one per row: "/partner-center/customers/".
            "detail_base": reverse("partner_center:customer-detail", args=[NO_ID]).removesuffix(
                f"{NO_ID}/"
            ),
        },
        request,
    )
    # A row's "Admin roles" badge, on the page or the one read past it (whose lapse can take
    # Next away from a page of "with admin roles").
    shown = [*page.object_list, *([page.beyond] if page.beyond else [])]
    ends += [row.admin_until for row in shown if row.has_admin]
    return html, min((end for end in ends if end and end != ADMIN_FOREVER), default=None)


def _template_id(request: PartnerRequest) -> str:
    """The template a bulk request started from (its page's "Request in bulk"), carried on."""
    try:
        return str(uuid.UUID(request.GET.get("template", "")))
    except ValueError:
        return ""


def _indirect_resellers(provider: Tenant, customer_ids) -> dict:
    """customer id → the names of the indirect resellers that serve it through `provider`."""
    names: dict = {}
    if not customer_ids:
        return names
    links = (
        ResellerRelationship.objects.active()
        .filter(indirect_provider=provider, customer_id__in=customer_ids)
        .order_by("partner__name")
        .values_list("customer_id", "partner__name")
    )
    for customer_id, name in links:
        names.setdefault(customer_id, []).append(name)
    return names


def _with_indirect_column(provider: Tenant, lines, chunk: int = 2000):
    """The export's lines with the Indirect reseller column, looked up a chunk at a time."""
    batch = []
    for line in lines:
        batch.append(line)
        if len(batch) == chunk:
            yield from _indirect_batch(provider, batch)
            batch = []
    yield from _indirect_batch(provider, batch)


def _indirect_batch(provider: Tenant, batch):
    names = _indirect_resellers(provider, [line[2] for line in batch])
    for line in batch:
        yield (*line, ", ".join(names.get(line[2], [])))


@require_GET
@partner_view(Action.VIEW_CUSTOMERS)
def customer_export(request: PartnerRequest):
    _form, rows, order, _search = _customer_rows(request)
    columns = rows.order_by(*order).values_list(
        "customer_name",
        "customer_domain",
        "customer_id",
        "country__name",
        "country",
        "state",
        "since",
        "ended_at",
        "admin_until",
        "indirect_provider__name",
    )
    labels = dict(CustomerState.choices)
    side = rules.partnership_side(request.partner)
    if side == "reseller":
        # An indirect reseller's relationship, in the words of its list and customer page.
        labels[CustomerState.RESELLER] = _("Indirect reseller")
    now = timezone.now()
    # Translated now: the rows are written after the view has returned.
    auto_extends = _("auto-extends")
    # Translators: an admin relationship's last day in the Customer list export, 2027-03-04.
    until_day = _("until %(date)s")
    english = text.is_english()
    country_names: dict[str, str] = {}

    def admin_column(until) -> str:
        if until is None or until <= now:
            return ""
        return auto_extends if until == ADMIN_FOREVER else until_day % {"date": until.date()}

    def country_column(name: str, code: str) -> str:
        """The country in the request's language (in English, its stored name)."""
        if english or not code:
            return name
        if code not in country_names:
            country_names[code] = text.country_name(code)
        return country_names[code]

    lines = (
        (
            name,
            domain,
            microsoft_id,
            country_column(country, country_code),
            labels[state],
            since.date(),
            ended.date() if ended else "",
            admin_column(admin_until),
            *([provider or ""] if side == "reseller" else []),
        )
        for (
            name,
            domain,
            microsoft_id,
            country,
            country_code,
            state,
            since,
            ended,
            admin_until,
            provider,
        ) in columns.iterator(chunk_size=2000)
    )
    extra = {"provider": [_("Indirect reseller")], "reseller": [_("Indirect provider")]}.get(
        side, []
    )
    if side == "provider":
        lines = _with_indirect_column(request.partner, lines)
    return csv_response(
        f"customers-{timezone.localdate():%Y-%m-%d}.csv",
        [
            _("Company name"),
            _("Primary domain"),
            _("Microsoft ID"),
            _("Country"),
            _("Relationship"),
            _("Since"),
            _("Ended"),
            _("Admin relationship"),
            *extra,
        ],
        lines,
    )
