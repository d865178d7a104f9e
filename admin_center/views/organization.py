"""The customer's own organization: the home page, the Microsoft Customer Agreement (its text, and
accepting it with no partner's request), the organization profile, and its activity."""

from urllib.parse import urlsplit

from django.conf import settings
from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from admin_center.access import customer_view, portal_url
from admin_center.forms import AcceptAgreementForm, OrganizationProfileForm
from tenancy import services
from tenancy.models import AgreementAcceptance, AuditEvent, ResellerRelationship, Tenant
from tenancy.paging import keyset_page
from tenancy.rules import Action
from tenancy.text import day
from tenancy.web.http import CustomerRequest, MemberRequest, client_ip


@require_GET
def agreement(request: MemberRequest):
    """The Microsoft Customer Agreement in full (our plain-language stand-in)."""
    return render(
        request,
        "admin_center/agreement.html",
        {"agreement_version": settings.CUSTOMER_AGREEMENT_VERSION},
    )


@require_GET
@customer_view()
def home(request: CustomerRequest):
    customer = request.customer
    return render(
        request,
        "admin_center/home.html",
        {
            "reseller_count": ResellerRelationship.objects.active()
            .filter(customer=customer)
            .count(),
            "agreement": AgreementAcceptance.objects.filter(customer=customer).first(),
            "needs_profile": not customer.has_billing_address,
        },
    )


@require_http_methods(["GET", "POST"])
@customer_view(Action.EDIT_ORGANIZATION_PROFILE)
def organization_profile(request: CustomerRequest):
    customer = request.customer
    next_url = request.POST.get("next") or request.GET.get("next") or ""
    if not (
        next_url.startswith("/")
        and url_has_allowed_host_and_scheme(next_url, allowed_hosts=None)
        and urlsplit(next_url).path.startswith(portal_url(request, "home"))
    ):
        next_url = ""
    initial = {name: getattr(customer, name) for name in Tenant.PROFILE_FIELDS}
    form = OrganizationProfileForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        services.organization_profile_update(
            tenant=customer, updated_by=request.user, **form.profile()
        )
        messages.success(request, _("Your organization profile was saved."))
        return redirect(next_url or portal_url(request, "organization-profile"))
    return render(
        request,
        "admin_center/organization_profile.html",
        {"form": form, "next": next_url},
        status=400 if form.is_bound and not form.is_valid() else 200,
    )


@require_http_methods(["GET", "POST"])
@customer_view(Action.ACCEPT_AGREEMENT)
def agreements(request: CustomerRequest):
    customer = request.customer
    acceptances = AgreementAcceptance.objects.filter(customer=customer).select_related(
        "attested_by_partner"
    )
    current = settings.CUSTOMER_AGREEMENT_VERSION
    accepted = next((acceptance for acceptance in acceptances if acceptance.is_current), None)
    has_current = accepted is not None
    form = AcceptAgreementForm(request.POST or None, user=request.user)
    if request.method == "POST" and (has_current or form.is_valid()):
        if not has_current:
            # Another admin's post may have got there first (the service then records nothing
            # and returns theirs): `recorded_by` tells.
            accepted = services.agreement_accept(
                customer=customer,
                user=request.user,
                signer=form.signer(),
                client_ip=client_ip(request),
            )
        if has_current or accepted.recorded_by_id != request.user.pk:
            messages.info(
                request,
                _(
                    # Translators: %(version)s is the agreement's version ("MCA 2026-09"),
                    # %(signer)s the name of the person who accepted it.
                    "Your organization had already accepted the Microsoft Customer Agreement "
                    "(%(version)s): %(signer)s, %(date)s. Nothing changed."
                )
                % {
                    "version": current,
                    "signer": accepted.signer_name,
                    "date": day(accepted.accepted_on),
                },
            )
        else:
            messages.success(
                request,
                _("Your organization accepted the Microsoft Customer Agreement (%(version)s).")
                % {"version": current},
            )
        return redirect(portal_url(request, "agreements"))
    return render(
        request,
        "admin_center/agreements.html",
        {
            "acceptances": acceptances,
            "has_current": has_current,
            "agreement_version": current,
            "form": form,
        },
        status=400 if form.is_bound and not form.is_valid() else 200,
    )


@require_GET
@customer_view(Action.VIEW_ORGANIZATION_ACTIVITY)
def activity(request: CustomerRequest):
    events = AuditEvent.objects.filter(customer=request.customer).select_related(
        "partner", "actor_tenant"
    )
    page = keyset_page(events, order=["-at", "-id"], cursor=request.GET.get("cursor"), size=50)
    return render(request, "admin_center/activity.html", {"page": page})
