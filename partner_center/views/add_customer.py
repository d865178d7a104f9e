"""Add customer: a new customer organization, its first Global administrator and the reseller
relationship, with the live check of the domain prefix."""

from django.core.exceptions import ValidationError
from django.http import JsonResponse
from django.shortcuts import render
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from partner_center.access import partner_view, posted
from partner_center.forms import (
    AddCustomerForm,
)
from tenancy import services
from tenancy.models import (
    Tenant,
    domain_for,
    domain_prefix_validator,
)
from tenancy.rules import Action
from tenancy.web.http import PartnerRequest
from tenancy.web.throttle import DOMAIN_CHECK_RATE, rate_limited


@require_http_methods(["GET", "POST"])
@partner_view(Action.ADD_CUSTOMER)
def add_customer(request: PartnerRequest):
    partner = request.partner
    form = AddCustomerForm(posted(request), partner=partner)
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
