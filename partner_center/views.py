"""Partner Center: the Customers workspace, relationship requests, Add customer, the customer page,
and the activity log. Views parse input, call a rule or a service in `tenancy`, and render."""

import csv
import uuid
from datetime import datetime, time, timedelta
from functools import wraps
from urllib.parse import quote

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q
from django.http import Http404, HttpRequest, JsonResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from partner_center.forms import (
    ActivityFilterForm,
    AddCustomerForm,
    CustomerSearchForm,
    NewRelationshipForm,
    PurchaseForm,
    RequestFilterForm,
    SubscriptionChangeForm,
)
from tenancy import rules, services, text
from tenancy.http import MemberRequest, PartnerRequest
from tenancy.models import (
    ADMIN_FOREVER,
    AdminRelationship,
    AgreementAcceptance,
    AuditEvent,
    CustomerListCount,
    CustomerListRow,
    CustomerState,
    Invitation,
    InvitationStatus,
    LinkUnavailable,
    ResellerRelationship,
    Subscription,
    Tenant,
    domain_for,
    domain_prefix_validator,
    role_names,
)
from tenancy.paging import keyset_page
from tenancy.rules import Action
from tenancy.throttle import DOMAIN_CHECK_RATE, rate_limited

PAGE_SIZE = 25


def partner_view(action: Action):
    """Signed in, a member of a partner organization, and allowed `action` (403 says who is)."""

    def decorator(view):
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            membership = request.membership
            if membership is None or not membership.tenant.is_partner:
                raise PermissionDenied(
                    _(
                        "Partner Center is for partner organizations. Sign in with your partner "
                        "account."
                    )
                )
            rules.require(membership, action)
            request.partner = membership.tenant
            return view(request, *args, **kwargs)

        return login_required(wrapper)

    return decorator


def _get_customer(request: PartnerRequest, customer_id) -> Tenant:
    """A customer this partner has or had a reseller relationship with; anyone else's is a 404."""
    customer = (
        Tenant.objects.customers_of(request.partner)
        .select_related("country__market")
        .filter(pk=customer_id)
        .first()
    )
    if customer is None:
        raise Http404("No such customer.")
    return customer


def _get_invitation(request: PartnerRequest, invitation_id) -> Invitation:
    return get_object_or_404(
        Invitation.objects.select_related(
            "partner__country",
            "indirect_provider__country",
            "created_by",
            "answered_by",
            "answered_tenant",
            "revoked_by",
        ),
        pk=invitation_id,
        partner=request.partner,
    )


def _csv_cell(value) -> str:
    """A CSV cell a spreadsheet will not run as a formula."""
    cell = "" if value is None else str(value)
    return f"'{cell}" if cell[:1] in ("=", "+", "-", "@", "\t", "\r") else cell


def _posted(request: HttpRequest):
    """The form data of a POST, even an empty one (which must show errors, not a fresh form)."""
    return request.POST if request.method == "POST" else None


class _Echo:
    def write(self, value):
        return value


def _csv_response(filename: str, header: list[str], rows) -> StreamingHttpResponse:
    """Stream rows as CSV: the rows are read one chunk at a time, never all held in memory."""
    writer = csv.writer(_Echo())

    def lines():
        yield "\ufeff" + writer.writerow(header)  # the BOM lets spreadsheets read UTF-8
        for row in rows:
            yield writer.writerow([_csv_cell(value) for value in row])

    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@login_required
def home(request: MemberRequest):
    return redirect("partner_center:customer-list")


# --- Customer list ----------------------------------------------------------------------


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
    partner = request.partner
    form = CustomerSearchForm(request.GET or None, partner=partner)
    rows = CustomerListRow.objects.filter(partner=partner)
    sort, searching = "name", False
    if form.is_valid():
        data = form.cleaned_data
        if q := data["q"].strip():
            searching = True
            as_id = form.search_uuid()
            rows = rows.filter(
                Q(customer_id=as_id)
                if as_id
                else Q(customer_name__icontains=q) | Q(customer_domain__icontains=q)
            )
        if data["relationship"] == CustomerSearchForm.WITH_ADMIN:
            # Compared with now: an admin relationship's end needs no job to take effect.
            rows = rows.filter(admin_until__gt=timezone.now())
            searching = True  # counted, up to the limit, like a search
        elif data["relationship"]:
            rows = rows.filter(state=data["relationship"])
        if indirect := data.get("indirect"):
            searching = True
            if form.side == "reseller":  # the customers served through this provider
                rows = rows.filter(indirect_provider=indirect)
            else:  # the customers this reseller serves through us (its own rows say so)
                rows = rows.filter(
                    customer__in=CustomerListRow.objects.filter(
                        partner=indirect, indirect_provider=partner
                    ).values("customer_id")
                )
        sort = data["sort"] or sort
    return form, rows, CUSTOMER_ORDERS[sort], searching


@require_GET
@partner_view(Action.VIEW_CUSTOMERS)
def customer_list(request: PartnerRequest):
    form, rows, order, searching = _customer_rows(request)
    side = rules.partnership_side(request.partner)
    page = keyset_page(
        rows.select_related("country", "indirect_provider")
        if side == "reseller"
        else rows.select_related("country"),
        order=order,
        cursor=request.GET.get("cursor"),
        size=PAGE_SIZE,
    )
    if side == "provider":
        # The Indirect reseller column: one query for the page's rows.
        names = _indirect_resellers(request.partner, [row.customer_id for row in page.object_list])
        for row in page.object_list:
            row.indirect_resellers = names.get(row.customer_id, [])
    if searching:
        total = rows[: SEARCH_COUNT_LIMIT + 1].count()
    else:  # exact, from the counters kept with the rows: nothing is counted here
        counts = CustomerListCount.objects.filter(partner=request.partner)
        if state := form.cleaned_data.get("relationship") if form.is_valid() else "":
            counts = counts.filter(state=state)
        total = sum(counts.values_list("count", flat=True))
    return render(
        request,
        "partner_center/customer_list.html",
        {
            "form": form,
            "page": page,
            "total": min(total, SEARCH_COUNT_LIMIT),
            "more": total > SEARCH_COUNT_LIMIT,
            "searching": searching,
            "side": side,
            # One reversal for the page, not one per row: "/partner-center/customers/".
            "detail_base": reverse("partner_center:customer-detail", args=[NO_ID]).removesuffix(
                f"{NO_ID}/"
            ),
        },
    )


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
    _form, rows, order, _searching = _customer_rows(request)
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
    return _csv_response(
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


# --- Relationship requests --------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@partner_view(Action.REQUEST_RELATIONSHIP)
def new_relationship(request: PartnerRequest):
    partner = request.partner
    form = NewRelationshipForm(_posted(request), partner=partner, language=request.LANGUAGE_CODE)
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


@require_GET
@partner_view(Action.VIEW_REQUESTS)
def request_list(request: PartnerRequest):
    form = RequestFilterForm(request.GET or None)
    invitations = Invitation.objects.filter(partner=request.partner).select_related(
        "created_by", "answered_by", "answered_tenant"
    )
    now = timezone.now()
    if form.is_valid() and (status := form.cleaned_data["status"]):
        invitations = invitations.with_status(InvitationStatus(status), now)
    page = keyset_page(
        invitations, order=["-created_at", "-id"], cursor=request.GET.get("cursor"), size=PAGE_SIZE
    )
    rows = [(invitation, invitation.display_status(now)) for invitation in page.object_list]
    return render(
        request,
        "partner_center/request_list.html",
        {"form": form, "page": page, "rows": rows, "valid_days": settings.INVITATION_VALID_DAYS},
    )


@never_cache
@require_GET
@partner_view(Action.VIEW_REQUESTS)
def request_detail(request: PartnerRequest, invitation_id):
    """The request panel: the email and the link while the request can be answered."""
    invitation = _get_invitation(request, invitation_id)
    context = {"invitation": invitation, "status": invitation.display_status()}
    if invitation.is_open:
        try:
            email = invitation.email()
        except LinkUnavailable as error:
            messages.error(request, error.message)
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
    invitation = _get_invitation(request, invitation_id)
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
    invitation = _get_invitation(request, invitation_id)
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


# --- Add customer -----------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@partner_view(Action.ADD_CUSTOMER)
def add_customer(request: PartnerRequest):
    partner = request.partner
    form = AddCustomerForm(_posted(request), partner=partner)
    if request.method == "POST" and form.is_valid():
        try:
            added = services.customer_add(
                partner=partner,
                added_by=request.user,
                details=form.details(),
                attestation=form.attestation(),
                indirect_reseller=form.cleaned_data.get("indirect_reseller"),
            )
        except services.ServiceError as error:
            field = {
                "domain_taken": "domain_prefix",
                "market": "country",
                "cloud": "country",
                "partnership": "indirect_reseller",
            }
            form.add_error(field.get(error.code), error.message)
        except ValidationError as error:
            form.add_error("domain_prefix", error)
        else:
            # The temporary password is shown in this one response and kept nowhere: not in
            # the session, not in a cache (no-store).
            response = render(
                request,
                "partner_center/add_customer_done.html",
                {
                    "customer": added.customer,
                    "added": {
                        "username": added.admin_user.username,
                        "password": added.temporary_password,
                    },
                },
            )
            add_never_cache_headers(response)
            return response
    return render(
        request,
        "partner_center/add_customer.html",
        {"form": form},
        status=400 if form.is_bound else 200,
    )


@require_GET
@partner_view(Action.ADD_CUSTOMER)
@rate_limited("domain-check", **DOMAIN_CHECK_RATE, as_json=True)
def domain_check(request: PartnerRequest):
    """The live hint under the domain prefix: is `<prefix>.onmicrosoft.com` valid and free?"""
    prefix = request.GET.get("prefix", "").strip().lower()[:100]
    try:
        domain_prefix_validator(prefix)
    except ValidationError as error:
        return JsonResponse({"valid": False, "available": False, "message": error.messages[0]})
    domain = domain_for(prefix)
    available = Tenant.objects.domain_available(prefix)
    message = (
        _("%(domain)s is available.") if available else _("%(domain)s is already taken.")
    ) % {"domain": domain}
    return JsonResponse(
        {"valid": True, "available": available, "domain": domain, "message": message}
    )


# --- The customer page ------------------------------------------------------------------


def _customer_context(request: PartnerRequest, customer, purchase_form=None) -> dict:
    partner = request.partner
    side = rules.partnership_side(partner)
    reseller = (
        ResellerRelationship.objects.between(partner, customer)
        .select_related("indirect_provider")
        .order_by("-created_at")
        .first()
    )
    admins = list(
        AdminRelationship.objects.filter(partner=partner, customer=customer).order_by("-created_at")
    )
    has_admin = any(relationship.is_in_force() for relationship in admins)
    agent_roles = (
        services.agent_roles_in(request.membership, customer) if has_admin else frozenset()
    )
    # Only that an acceptance exists, its version and date: who signed is the customer's and
    # its own partner's business, not every partner's.
    agreement = (
        AgreementAcceptance.objects.filter(customer=customer)
        .only("version", "accepted_on", "recorded_at")
        .first()
    )
    has_reseller = bool(reseller and reseller.is_active)
    # What this partner sold the customer: bought by it, or (for an indirect reseller) by its
    # indirect provider on its behalf.
    subscriptions = (
        Subscription.objects.sold_by(partner)
        .filter(customer=customer)
        .select_related("offer", "partner", "indirect_reseller")
    )
    rows = [
        (
            subscription,
            rules.may_manage_subscription(
                is_azure_plan=subscription.offer.is_azure,
                provisioned_by_partner=True,
                # A reseller's sale was provisioned by its provider: only admin roles manage it.
                has_reseller_relationship=has_reseller and subscription.partner_id == partner.pk,
                has_admin_relationship=has_admin,
                agent_roles=agent_roles,
            ),
        )
        for subscription in subscriptions
    ]
    # An indirect provider: the indirect resellers that serve the customer through it.
    indirect_resellers = _resellers_of(partner, customer)
    if purchase_form is None:
        purchase_form = PurchaseForm(resellers=indirect_resellers)
    return {
        "customer": customer,
        "side": side,
        "reseller": reseller,
        "indirect_resellers": list(indirect_resellers or []),
        "admin_relationships": admins,
        "agent_roles": role_names(agent_roles),
        "agreement": agreement,
        "subscriptions": rows,
        "purchase": rules.may_purchase(
            has_reseller_relationship=has_reseller,
            has_current_agreement=agreement is not None and agreement.is_current,
            indirect_provider=reseller.indirect_provider if has_reseller else None,
        ),
        "purchase_form": purchase_form,
        "max_quantity": services.MAX_QUANTITY,
        "current_agreement_version": settings.CUSTOMER_AGREEMENT_VERSION,
    }


def _resellers_of(partner: Tenant, customer: Tenant):
    """The indirect resellers that serve `customer` through `partner` (none unless it is an
    indirect provider): whom a purchase can be made on behalf of."""
    if rules.partnership_side(partner) != "provider":
        return None
    return Tenant.objects.filter(
        pk__in=ResellerRelationship.objects.active()
        .filter(indirect_provider=partner, customer=customer)
        .values("partner_id")
    ).order_by("name")


@require_GET
@partner_view(Action.VIEW_CUSTOMERS)
def customer_detail(request: PartnerRequest, customer_id):
    customer = _get_customer(request, customer_id)
    return render(
        request, "partner_center/customer_detail.html", _customer_context(request, customer)
    )


@require_POST
@partner_view(Action.PURCHASE)
def purchase(request: PartnerRequest, customer_id):
    customer = _get_customer(request, customer_id)
    form = PurchaseForm(request.POST, resellers=_resellers_of(request.partner, customer))
    if not form.is_valid():
        return render(
            request,
            "partner_center/customer_detail.html",
            _customer_context(request, customer, purchase_form=form),
            status=400,
        )
    try:
        subscription = services.subscription_purchase(
            partner=request.partner,
            customer=customer,
            offer=form.cleaned_data["offer"],
            quantity=form.cleaned_data["quantity"],
            purchased_by=request.user,
            indirect_reseller=form.cleaned_data.get("indirect_reseller"),
        )
    except services.ServiceError as error:
        messages.error(request, error.message)
    else:
        messages.success(
            request,
            # Translators: "Purchased Microsoft 365 E3 (25) for Contoso.": 25 is the quantity.
            _("Purchased %(offer)s (%(quantity)s) for %(customer)s.")
            % {
                "offer": subscription.offer.name,
                "quantity": subscription.quantity,
                "customer": customer.name,
            },
        )
    return redirect("partner_center:customer-detail", customer.pk)


@require_POST
@partner_view(Action.MANAGE_SUBSCRIPTION)
def subscription_update(request: PartnerRequest, customer_id, subscription_id):
    customer = _get_customer(request, customer_id)
    subscription = get_object_or_404(
        Subscription.objects.sold_by(request.partner).select_related("offer"),
        pk=subscription_id,
        customer=customer,
    )
    form = SubscriptionChangeForm(request.POST)
    if not form.is_valid():
        problems = "; ".join(message for errors in form.errors.values() for message in errors)
        messages.error(request, _("Nothing changed: %(problems)s") % {"problems": problems})
        return redirect("partner_center:customer-detail", customer.pk)
    try:
        services.subscription_update(
            subscription=subscription,
            membership=request.membership,
            **form.update(),
        )
    except services.ServiceError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("%(offer)s was updated.") % {"offer": subscription.offer.name})
    return redirect("partner_center:customer-detail", customer.pk)


@require_http_methods(["GET", "POST"])
@partner_view(Action.REMOVE_RESELLER)
def remove_reseller(request: PartnerRequest, customer_id):
    customer = _get_customer(request, customer_id)
    if not ResellerRelationship.objects.active().between(request.partner, customer).exists():
        messages.error(
            request,
            _("%(customer)s has no active reseller relationship with you.")
            % {"customer": customer.name},
        )
        return redirect("partner_center:customer-detail", customer.pk)
    if request.method == "POST":
        try:
            services.reseller_relationship_end(
                partner=request.partner,
                customer=customer,
                ended_by=request.user,
                by=request.partner,
            )
        except services.ServiceError as error:
            messages.error(request, error.message)
            return redirect("partner_center:remove-reseller", customer.pk)
        messages.success(
            request,
            _("The reseller relationship with %(customer)s has ended.")
            % {"customer": customer.name},
        )
        return redirect("partner_center:customer-detail", customer.pk)
    decision = rules.may_end_reseller(
        partner=request.partner,
        customer=customer,
        active_subscriptions=Subscription.objects.active()
        .filter(partner=request.partner, customer=customer)
        .count(),
    )
    return render(
        request, "partner_center/remove_reseller.html", {"customer": customer, "decision": decision}
    )


# --- Activity log -----------------------------------------------------------------------


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
    rows = (
        (
            timezone.localtime(event.at).strftime("%Y-%m-%d %H:%M:%S"),
            event.customer.name if event.customer else "",
            event.customer.domain if event.customer else "",
            event.get_action_display(),
            event.actor_label,
        )
        for event in events.iterator(chunk_size=2000)
    )
    return _csv_response(
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
