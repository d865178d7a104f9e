"""A customer's page: account, relationships, agreement, subscriptions; purchasing, changing a
subscription, and removing the reseller relationship."""

from django.conf import settings
from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from partner_center.access import partner_view
from partner_center.forms import (
    PurchaseForm,
    SubscriptionChangeForm,
)
from tenancy import rules, selectors, services
from tenancy.models import (
    ResellerRelationship,
    Subscription,
    Tenant,
    role_names,
)
from tenancy.rules import Action
from tenancy.selectors import access_trace
from tenancy.selectors.access_trace import may_see_others_access
from tenancy.selectors.customer_page import (
    agreements_in,
    customer_in,
    has_customer,
    offers_in,
    page_lines,
)
from tenancy.web import fragments
from tenancy.web.http import PartnerRequest


def _customer_context(
    request: PartnerRequest, customer, purchase_form=None, offers=None, agreements=None
) -> dict:
    """`offers`, `agreements`: the catalog and the customer's acceptances, when the page has
    read them (customer_page.page_lines)."""
    partner = request.partner
    # Who has access: every agent's roles here and through what (one query), this agent's too.
    access = list(access_trace.access_paths(partner=partner, customer=customer))
    # What the partner (and this agent) has with the customer: what the page shows, and what
    # the purchase and subscription decisions read.
    standing = services.customer_standing(
        request.membership, customer, access=access, agreements=agreements
    )
    # What this partner sold the customer: bought by it, or (for an indirect reseller) by its
    # indirect provider on its behalf.
    subscriptions = list(
        Subscription.objects.sold_by(partner)
        .filter(customer=customer)
        .select_related("offer", "partner", "indirect_reseller")
    )
    decisions = services.subscription_manage_decisions(
        subscriptions, membership=request.membership, customer=customer, standing=standing
    )
    # An indirect provider: the indirect resellers that serve the customer through it.
    indirect_resellers = _resellers_of(partner, customer)
    if purchase_form is None:
        purchase_form = PurchaseForm(resellers=indirect_resellers, offers=offers)
    return {
        "customer": customer,
        "side": rules.partnership_side(partner),
        "reseller": standing.reseller,
        "indirect_resellers": list(indirect_resellers or []),
        "admin_relationships": standing.admin_relationships,
        "agent_roles": role_names(standing.agent_roles),
        "agreement": standing.agreement,
        "subscriptions": [(each, decisions[each.pk]) for each in subscriptions],
        "purchase": services.subscription_purchase_decision(
            partner=partner, customer=customer, standing=standing
        ),
        "purchase_form": purchase_form,
        "max_quantity": services.MAX_QUANTITY,
        "current_agreement_version": settings.CUSTOMER_AGREEMENT_VERSION,
        "who_has_access": access_trace.by_agent(access),
        "may_see_others_access": may_see_others_access(request.membership),
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
    """Kept whole for the agent under the stamp of every row it can show (page_lines: the
    customer among them, or a 404), and rendered from the snapshot they were read in."""
    partner = request.partner

    def read():
        lines = page_lines(partner.pk, customer_id)
        if not has_customer(lines):
            raise Http404("No such customer.")
        return fragments.stamp(lines, settings.CUSTOMER_AGREEMENT_VERSION), lines

    def page(lines):
        context = _customer_context(
            request, customer_in(lines), offers=offers_in(lines), agreements=agreements_in(lines)
        )
        return context, fragments.first_until(context["admin_relationships"], timezone.now())

    return fragments.kept_snapshot_page(
        request, "partner_center/customer_detail.html", "customer", read, page
    )


@require_POST
@partner_view(Action.PURCHASE)
def purchase(request: PartnerRequest, customer_id):
    customer = selectors.customer_of(request.partner, customer_id)
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
    customer = selectors.customer_of(request.partner, customer_id)
    subscription = selectors.subscription_of(request.partner, customer, subscription_id)
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
    customer = selectors.customer_of(request.partner, customer_id)
    decision = services.reseller_relationship_end_decision(
        partner=request.partner, customer=customer, by=request.partner
    )
    if decision.code == "none":
        messages.error(request, decision.reason)
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
    return render(
        request, "partner_center/remove_reseller.html", {"customer": customer, "decision": decision}
    )
