"""Pending requests from one partner: every admin relationship request a partner sent this
organization that still waits for its answer, on one page, each approved or declined on its own
or all at once.

The rules are the single request's: who may answer (`request_refusals.role_refusal`, which the
request's own page reads), whether each request can be answered (`ADMIN_REQUESTS.refusal`), and
the answers themselves (`admin_relationship_approve`, `admin_relationship_decline`, one
transaction each, which check again under their locks). Answering "all" answers the requests the
page showed, by their ids, never one that arrived after it was drawn.
"""

import uuid
from dataclasses import dataclass
from datetime import timedelta

from django.contrib import messages
from django.http import Http404, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from admin_center.access import customer_view, portal_url
from admin_center.refusals import refusal_page_of
from tenancy import selectors, services
from tenancy.choices import AdminRelationshipStatus
from tenancy.entra_roles import AUTO_EXTEND_DAYS
from tenancy.models import AdminRelationship, Tenant
from tenancy.rules import Action
from tenancy.rules import request_refusals as request_rules
from tenancy.text import day, number, possessive
from tenancy.web.http import CustomerRequest, MemberRequest

# At most this many requests answered by one post ("Approve all" of a page never comes near).
MAX_ANSWERS = 500


def waiting_here(partner: Tenant, customer: Tenant, now=None):
    """The partner's admin relationship requests made for this customer that still wait for its
    answer (not lapsed), oldest first: the ones this page shows."""
    return (
        AdminRelationship.objects.with_status(AdminRelationshipStatus.APPROVAL_PENDING, now)
        .filter(partner=partner, customer=customer)
        .order_by("finalized_at", "pk")
    )


def pending_together(request: MemberRequest, relationship: AdminRelationship) -> dict:
    """What a single request's page needs for its "review them together" link: how many of its
    partner's requests wait for this organization (one query), and this page's address."""
    customer = request.membership.tenant
    return {
        "waiting_from_partner": waiting_here(relationship.partner, customer).count(),
        "waiting_url": portal_url(request, "partner-requests", relationship.partner_id),
    }


@dataclass(frozen=True)
class PendingRow:
    """One waiting request as the page shows it, every value already worded."""

    id: str
    name: str
    roles: list[str]
    duration: str
    ends_if_approved_today: str
    auto_extend: str
    requested_on: str
    requested_by: str
    answer_by: str
    global_admin: bool
    # Why it can't be answered here after all (the single page's refusal), else "".
    refusal: str
    # An upgrade: the relationship it replaces, and what changes (only that is shown).
    upgrades: str = ""
    difference: object = None


def _row(relationship: AdminRelationship, refusal, now) -> PendingRow:
    days = relationship.duration_days
    if relationship.auto_extend:
        auto_extend = ngettext(
            "Then extended by %(days)s day at a time, until you or the partner end it",
            "Then extended by %(days)s days at a time, until you or the partner end it",
            AUTO_EXTEND_DAYS,
        ) % {"days": number(AUTO_EXTEND_DAYS)}
    else:
        auto_extend = _("Not extended automatically")
    finalized_by = relationship.finalized_by
    return PendingRow(
        id=str(relationship.pk),
        name=relationship.name,
        roles=relationship.role_names,
        duration=ngettext("%(days)s day", "%(days)s days", days) % {"days": number(days)},
        ends_if_approved_today=day(now + timedelta(days=days)),
        auto_extend=auto_extend,
        requested_on=day(relationship.finalized_at),
        requested_by=finalized_by.get_username() if finalized_by else "",
        answer_by=day(relationship.request_expires_at()),
        global_admin=relationship.includes_global_administrator,
        refusal=refusal.message if refusal is not None else "",
        upgrades=relationship.upgrade_of.name if relationship.upgrade_of_id else "",
        difference=services.difference(relationship.upgrade_of, relationship)
        if relationship.upgrade_of_id
        else None,
    )


# --- Who may answer --------------------------------------------------------------------------


def _role_stop(request: CustomerRequest):
    """The single request's page for a member who may not answer (a Billing administrator, a
    user): its refusal, worded the same; None for a Global administrator."""
    viewer = request_rules.Viewer(request.membership, request.portal.cloud)
    refusal = request_rules.role_refusal(
        viewer, Action.APPROVE_ADMIN_RELATIONSHIP, services.ADMIN_REQUESTS.wording
    )
    if refusal is None:
        return None
    page = refusal_page_of(
        refusal, wording=services.ADMIN_REQUESTS.wording, customer=request.customer
    )
    context = {"refusal": page, "request_kind": services.ADMIN_REQUESTS.name}
    return render(request, "admin_center/refusal.html", context, status=page.status)


def _refusal(request: CustomerRequest, relationship: AdminRelationship, now=None):
    return services.ADMIN_REQUESTS.refusal(
        request=relationship,
        membership=request.membership,
        portal_cloud=request.portal.cloud,
        now=now,
    )


# --- The page ----------------------------------------------------------------------------------


@never_cache
@require_GET
@customer_view()
def pending_requests(request: CustomerRequest, partner_id):
    """Every request of the partner's waiting for this organization. A fixed number of queries
    whatever their number: the partner, then the requests with who sent them. (Which of the
    partner's templates a request came from is the partner's own business: not shown.)"""
    customer = request.customer
    partner = selectors.related_partner_of(customer, partner_id)
    stop = _role_stop(request)
    if stop is not None:
        return stop
    now = timezone.now()
    rows = []
    for relationship in waiting_here(partner, customer, now).select_related(
        "finalized_by", "upgrade_of"
    ):
        relationship.partner, relationship.customer = partner, customer
        rows.append(_row(relationship, _refusal(request, relationship, now), now))
    answerable = [row for row in rows if not row.refusal]
    names = {"partner": partner.name, "partner_possessive": possessive(partner.name)}
    return render(
        request,
        "admin_center/pending_requests.html",
        {
            "partner": partner,
            "heading": _("Pending requests from %(partner)s") % names,
            "rows": rows,
            "answerable": answerable,
            "global_admin_rows": sum(row.global_admin for row in answerable),
            "global_admin_warning": _(
                # Translators: %(partner_possessive)s is the name, with "'s" in English
                # only: in other languages the plain name.
                "With it, %(partner_possessive)s agents could change anything in your "
                "organization, including who holds admin roles."
            )
            % names,
            "approve_url": portal_url(request, "partner-requests-approve", partner.pk),
            "decline_url": portal_url(request, "partner-requests-decline", partner.pk),
        },
    )


# --- Answering -------------------------------------------------------------------------------


def _chosen(request: CustomerRequest, partner: Tenant, values: list[str]):
    """The requests named by `values` (ids, in the order given, once each), every one of them
    this partner's for this organization: anything else is a 404. None when too many."""
    if len(values) > MAX_ANSWERS:
        return None
    try:
        ids = list(dict.fromkeys(uuid.UUID(value) for value in values))
    except ValueError:
        raise Http404(_("No such admin relationship.")) from None
    found = AdminRelationship.objects.filter(
        partner=partner, customer=request.customer, pk__in=ids
    ).select_related("approved_by", "closed_by")
    by_id = {relationship.pk: relationship for relationship in found}
    if len(by_id) != len(ids):
        raise Http404(_("No such admin relationship."))
    for relationship in by_id.values():
        relationship.partner, relationship.customer = partner, request.customer
    return [by_id[pk] for pk in ids]


def _answer_each(request: CustomerRequest, chosen, answer) -> tuple[int, list]:
    """Answer each request as its own page would: checked, its refusal recorded, else answered
    by the service in a transaction of its own (which checks again under its lock). (How many
    were answered, [(name, why not)] for the others.)"""
    done, failed = 0, []
    for relationship in chosen:
        refusal = _refusal(request, relationship)
        if refusal is None:
            try:
                answer(
                    relationship_id=relationship.pk,
                    user=request.user,
                    portal_cloud=request.portal.cloud,
                )
            except services.RequestRefused as refused:
                refusal = refused.refusal
            else:
                done += 1
                continue
        else:
            services.ADMIN_REQUESTS.record_refusal(
                request=relationship,
                refusal=refusal,
                user=request.user,
                membership=request.membership,
            )
        failed.append((relationship.name, refusal.message))
    return done, failed


def _told(request: CustomerRequest, failed, not_done: str) -> None:
    for name, reason in failed:
        messages.error(request, not_done % {"name": name, "reason": reason})


def _back(request: CustomerRequest, partner: Tenant):
    """To the partner's pending requests while some wait, else to Partner relationships."""
    if waiting_here(partner, request.customer).exists():
        return redirect(portal_url(request, "partner-requests", partner.pk))
    return redirect(portal_url(request, "partner-relationships"))


@require_POST
@customer_view()
def approve(request: CustomerRequest, partner_id):
    """Approve one request (its row's button) or all the page showed ("Approve all")."""
    partner = selectors.related_partner_of(request.customer, partner_id)
    stop = _role_stop(request)
    if stop is not None:
        return stop
    chosen = _chosen(request, partner, request.POST.getlist("request"))
    if chosen is None:
        return HttpResponseBadRequest()
    done, failed = _answer_each(request, chosen, services.admin_relationship_approve)
    if done:
        messages.success(
            request,
            ngettext(
                "You approved %(count)s admin relationship request from %(partner)s: its agents "
                "hold the roles you approved in your organization.",
                "You approved %(count)s admin relationship requests from %(partner)s: its agents "
                "hold the roles you approved in your organization.",
                done,
            )
            % {"count": number(done), "partner": partner.name},
        )
    # Translators: %(name)s is an admin relationship's name; %(reason)s a sentence saying why.
    _told(request, failed, _("“%(name)s” was not approved: %(reason)s"))
    return _back(request, partner)


@never_cache
@require_http_methods(["GET", "POST"])
@customer_view()
def decline(request: CustomerRequest, partner_id):
    """Decline one request or all the page showed: a confirmation (GET, the ids in the query),
    then the answers (POST)."""
    partner = selectors.related_partner_of(request.customer, partner_id)
    stop = _role_stop(request)
    if stop is not None:
        return stop
    source = request.POST if request.method == "POST" else request.GET
    chosen = _chosen(request, partner, source.getlist("request"))
    if chosen is None:
        return HttpResponseBadRequest()
    if request.method == "POST":
        done, failed = _answer_each(request, chosen, services.admin_relationship_decline)
        if done:
            messages.success(
                request,
                ngettext(
                    "You declined %(count)s admin relationship request from %(partner)s. We've "
                    "told the partner; its agents got no roles from it.",
                    "You declined %(count)s admin relationship requests from %(partner)s. We've "
                    "told the partner; its agents got no roles from them.",
                    done,
                )
                % {"count": number(done), "partner": partner.name},
            )
        # Translators: %(name)s is an admin relationship's name; %(reason)s a sentence saying why.
        _told(request, failed, _("“%(name)s” was not declined: %(reason)s"))
        return _back(request, partner)
    now = timezone.now()
    waiting = [r for r in chosen if _refusal(request, r, now) is None]
    if not waiting:
        messages.info(request, _("None of these requests is waiting for an answer any more."))
        return _back(request, partner)
    return render(
        request,
        "admin_center/pending_requests.html",
        {
            "partner": partner,
            "confirming": True,
            "heading": _decline_heading(partner, len(waiting)),
            "declining": [relationship.name for relationship in waiting],
            "waiting_ids": [str(relationship.pk) for relationship in waiting],
            "decline_url": portal_url(request, "partner-requests-decline", partner.pk),
            "back_url": portal_url(request, "partner-requests", partner.pk),
        },
    )


def _decline_heading(partner: Tenant, count: int) -> str:
    names = {"partner": partner.name, "partner_possessive": possessive(partner.name)}
    if count == 1:
        # Translators: %(partner_possessive)s is the name, with "'s" in English
        # only: in other languages the plain name.
        return _("Decline %(partner_possessive)s request for admin roles?") % names
    return ngettext(
        "Decline %(count)s admin relationship request from %(partner)s?",
        "Decline %(count)s admin relationship requests from %(partner)s?",
        count,
    ) % {**names, "count": number(count)}
