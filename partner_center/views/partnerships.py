"""Two tiers: an indirect provider's Indirect resellers and Request a partnership; an indirect
reseller's Indirect providers, where its Global admin accepts or declines a request; and Remove
partnership, from either side. Views parse input, call a rule or a service in `tenancy`, and
render."""

from django.contrib import messages
from django.core.exceptions import BadRequest, PermissionDenied
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from partner_center.access import partner_view
from partner_center.partnership_forms import AnswerForm, FindResellerForm, RequestPartnershipForm
from tenancy import rules, selectors, services
from tenancy.models import Partnership, ResellerRelationship
from tenancy.rules import Action
from tenancy.services import ServiceError
from tenancy.web.http import PartnerRequest

# Each side's list page.
LIST_URLS = {
    "provider": "partner_center:indirect-reseller-list",
    "reseller": "partner_center:indirect-provider-list",
}

# Why a page is refused: (the page, the partner's side: "" for a direct-bill partner) → the
# 403's message. The pages: each side's list ("provider": Indirect resellers, "reseller":
# Indirect providers) and "request": Request a partnership (an indirect provider's).
WRONG_SIDE = {
    ("provider", ""): gettext_lazy(
        # Translators: the page names as in the menu and titles; %(partner)s is a company.
        "Indirect resellers is a page for indirect providers. %(partner)s is a direct-bill "
        "partner: it has no indirect partnerships."
    ),
    ("provider", "reseller"): gettext_lazy(
        # Translators: the page names as in the menu and titles; %(partner)s is a company.
        "Indirect resellers is a page for indirect providers. %(partner)s is an indirect "
        "reseller: its partnerships are under Indirect providers."
    ),
    ("reseller", ""): gettext_lazy(
        # Translators: the page names as in the menu and titles; %(partner)s is a company.
        "Indirect providers is a page for indirect resellers. %(partner)s is a direct-bill "
        "partner: it has no indirect partnerships."
    ),
    ("reseller", "provider"): gettext_lazy(
        # Translators: the page names as in the menu and titles; %(partner)s is a company.
        "Indirect providers is a page for indirect resellers. %(partner)s is an indirect "
        "provider: its partnerships are under Indirect resellers."
    ),
    ("request", ""): gettext_lazy(
        # Translators: the page names as in the menu and titles; %(partner)s is a company.
        "Request a partnership is a page for indirect providers. %(partner)s is a direct-bill "
        "partner: it has no indirect partnerships."
    ),
    ("request", "reseller"): gettext_lazy(
        # Translators: the page names as in the menu and titles; %(partner)s is a company.
        "Request a partnership is a page for indirect providers. %(partner)s is an indirect "
        "reseller: its partnerships are under Indirect providers."
    ),
}


def _require_side(request: PartnerRequest, side: str, *, page: str = "") -> None:
    """403, saying why, unless the partner is on `side` ("provider" or "reseller"); `page`
    names the page when it is not the side's list ("request": Request a partnership)."""
    partner = request.partner
    actual = rules.partnership_side(partner)
    if actual == side:
        return
    raise PermissionDenied(WRONG_SIDE[page or side, actual] % {"partner": partner.name})


def _require_a_side(request: PartnerRequest) -> str:
    side = rules.partnership_side(request.partner)
    if not side:
        raise PermissionDenied(
            _(
                "Partnerships are for indirect providers and indirect resellers. %(partner)s is "
                "a direct-bill partner: it has no indirect partnerships."
            )
            % {"partner": request.partner.name}
        )
    return side


def _open_and_past(request: PartnerRequest, partnerships) -> tuple[list, list]:
    """Pending and active ones, and the declined or removed ones, each with its `counterpart`
    (the other side): from one query."""
    rows = list(partnerships)
    for partnership in rows:
        partnership.counterpart = partnership.other(request.partner)
    open_ = [p for p in rows if p.is_pending or p.is_active]
    return open_, [p for p in rows if not (p.is_pending or p.is_active)]


# --- Lists --------------------------------------------------------------------------------


@require_GET
@partner_view(Action.VIEW_PARTNERSHIPS)
def indirect_reseller_list(request: PartnerRequest):
    _require_side(request, "provider")
    current, past = _open_and_past(
        request,
        Partnership.objects.filter(provider=request.partner)
        .select_related("reseller__country", "ended_by_tenant")
        .order_by("-requested_at", "-id"),
    )
    return render(
        request,
        "partner_center/partnerships/indirect_resellers.html",
        {"current": current, "past": past},
    )


@require_GET
@partner_view(Action.VIEW_PARTNERSHIPS)
def indirect_provider_list(request: PartnerRequest):
    _require_side(request, "reseller")
    current, past = _open_and_past(
        request,
        Partnership.objects.filter(reseller=request.partner)
        .select_related("provider__country", "ended_by_tenant")
        .order_by("-requested_at", "-id"),
    )
    return render(
        request,
        "partner_center/partnerships/indirect_providers.html",
        {
            "requests": [p for p in current if p.is_pending],
            "active": [p for p in current if p.is_active],
            "past": past,
        },
    )


# --- Request a partnership ------------------------------------------------------------------


@never_cache
@require_http_methods(["GET", "POST"])
@partner_view(Action.MANAGE_PARTNERSHIPS)
def partnership_request(request: PartnerRequest):
    _require_side(request, "provider", page="request")
    provider = request.partner
    if request.method == "POST" and "reseller" in request.POST:
        return _request_confirmed(request)
    form = FindResellerForm(request.POST if request.method == "POST" else None, provider=provider)
    if form.is_valid():
        reseller = form.cleaned_data["reseller"]
        if not (decision := services.partnership_request_decision(provider, reseller)):
            form.add_error(None, decision.reason)
        else:
            return render(
                request,
                "partner_center/partnerships/request_confirm.html",
                {
                    "reseller": reseller,
                    "form": RequestPartnershipForm(initial={"reseller": reseller.pk}),
                },
            )
    return render(
        request,
        "partner_center/partnerships/request.html",
        {"form": form},
        status=400 if form.is_bound else 200,
    )


def _request_confirmed(request: PartnerRequest):
    """The confirm step's Request a partnership: the reseller in the hidden field."""
    confirmed = RequestPartnershipForm(request.POST)
    if not confirmed.is_valid():
        problems = confirmed.errors.get("reseller", [])
    else:
        reseller = confirmed.cleaned_data["reseller"]
        try:
            services.partnership_request(
                provider=request.partner, reseller=reseller, requested_by=request.user
            )
        except ServiceError as refusal:
            problems = [refusal.message]
        else:
            messages.success(
                request,
                _(
                    "Your request was sent to %(reseller)s. You partner once their Global admin "
                    "accepts it."
                )
                % {"reseller": reseller.name},
            )
            return redirect(LIST_URLS["provider"])
    # Back to the first step, saying why.
    return render(
        request,
        "partner_center/partnerships/request.html",
        {"form": FindResellerForm(provider=request.partner), "problems": problems},
        status=400,
    )


# --- Answer, remove -----------------------------------------------------------------------


@require_POST
@partner_view(Action.MANAGE_PARTNERSHIPS)
def partnership_answer(request: PartnerRequest, partnership_id):
    _require_a_side(request)
    partnership = selectors.partnership_of(request.partner, partnership_id)
    provider, reseller = partnership.provider, partnership.reseller
    if reseller.pk != request.partner.pk:
        raise PermissionDenied(
            # Translators: %(reseller)s and %(provider)s are company names.
            _("%(reseller)s's Global admin answers this request: %(provider)s made it.")
            % {"reseller": reseller.name, "provider": provider.name}
        )
    form = AnswerForm(request.POST)
    if not form.is_valid():
        raise BadRequest("Accept or decline: nothing else answers a request.")
    accept = form.cleaned_data["answer"] == "accept"
    try:
        services.partnership_answer(
            partnership=partnership, answered_by=request.user, accept=accept
        )
    except ServiceError as refusal:
        messages.error(request, refusal.message)
    else:
        messages.success(
            request,
            (
                _("%(provider)s is now your indirect provider.")
                if accept
                # Translators: %(provider)s is a company name.
                else _("You declined %(provider)s's request.")
            )
            % {"provider": provider.name},
        )
    return redirect(LIST_URLS["reseller"])


@never_cache
@require_http_methods(["GET", "POST"])
@partner_view(Action.MANAGE_PARTNERSHIPS)
def partnership_remove(request: PartnerRequest, partnership_id):
    side = _require_a_side(request)
    partnership = selectors.partnership_of(request.partner, partnership_id)
    provider, reseller = partnership.provider, partnership.reseller
    decision = services.partnership_remove_decision(partnership, by=request.partner)
    if decision.code == "pending":
        messages.error(request, decision.reason)
        return redirect(LIST_URLS[side])
    if request.method == "POST":
        withdrawn = partnership.is_pending
        try:
            services.partnership_remove(
                partnership=partnership, removed_by=request.user, by=request.partner
            )
        except ServiceError as refusal:
            messages.error(request, refusal.message)
            return redirect("partner_center:partnership-remove", partnership.pk)
        if withdrawn:
            done = _("Your request to %(reseller)s was withdrawn.")
        elif side == "provider":
            done = _("%(reseller)s is no longer your indirect reseller.")
        else:
            done = _("%(provider)s is no longer your indirect provider.")
        messages.success(request, done % {"provider": provider.name, "reseller": reseller.name})
        return redirect(LIST_URLS[side])
    customers = (
        ResellerRelationship.objects.active()
        .filter(partner=reseller, indirect_provider=provider)
        .count()
    )
    return render(
        request,
        "partner_center/partnerships/remove.html",
        {
            "partnership": partnership,
            "other": partnership.other(request.partner),
            "decision": decision,
            "customers": customers,
            "list_url": LIST_URLS[side],
        },
    )
