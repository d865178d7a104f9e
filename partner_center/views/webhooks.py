"""Webhooks (Global admin, Admin agent): add a URL for the organization's events and see its
secret once; change its URL and events, deactivate it, send it a test event; its delivery log,
each delivery with its attempts, and Redeliver."""

from django import forms
from django.contrib import messages
from django.db.models import Prefetch
from django.shortcuts import redirect, render
from django.utils.text import format_lazy
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from partner_center.access import partner_view
from partner_center.admin_forms import add_problems
from tenancy import selectors, services
from tenancy.effects.webhook_delivery import AddressRefused, checked_target
from tenancy.models import (
    SUBSCRIBABLE_EVENTS,
    DeliveryAttempt,
    WebhookDelivery,
    WebhookSubscription,
)
from tenancy.models.webhooks import URL_MAX_LENGTH
from tenancy.rules import Action
from tenancy.services import ServiceError, WebhookInvalid
from tenancy.web.forms import PortalForm
from tenancy.web.http import PartnerRequest

LOG_SIZE = 25


class WebhookForm(PortalForm):
    url = forms.CharField(
        label=gettext_lazy("URL"),
        max_length=URL_MAX_LENGTH,
        help_text=gettext_lazy("An https:// address on the internet that accepts POST requests."),
    )
    events = forms.MultipleChoiceField(
        label=gettext_lazy("Events"),
        # "Customer added (customer-created)": the event's label, shown in the page's language
        # when it is shown, and its name in the API.
        choices=[
            (name.value, format_lazy("{} ({})", name.label, name.value))
            for name in SUBSCRIBABLE_EVENTS
        ],
        widget=forms.CheckboxSelectMultiple,
    )

    def clean_url(self):
        # Here too, so that a bad URL shows beside the other fields' errors (the service checks
        # it again, as it does for every caller).
        address = self.cleaned_data["url"].strip()
        try:
            checked_target(address)
        except AddressRefused as refusal:
            raise forms.ValidationError(str(refusal)) from None
        return address


def _save(request, form: WebhookForm, call) -> WebhookSubscription | None:
    """`call(url=..., events=...)` when the form is valid; its problems on the form."""
    if not form.is_valid():
        return None
    try:
        return call(url=form.cleaned_data["url"], events=form.cleaned_data["events"])
    except WebhookInvalid as invalid:
        add_problems(form, invalid.problems)
    except ServiceError as refusal:
        form.add_error(None, refusal.message)
    return None


@never_cache
@require_http_methods(["GET", "POST"])
@partner_view(Action.MANAGE_WEBHOOKS)
def webhook_list(request: PartnerRequest):
    form = WebhookForm(request.POST or None)
    if request.method == "POST":
        subscription = _save(
            request,
            form,
            lambda **fields: services.webhook_subscription_create(
                membership=request.membership, **fields
            ),
        )
        if subscription is not None:
            # The new webhook's page, with its secret: shown in this one answer, kept nowhere
            # else than the subscription itself (not in the session; never_cache: no-store).
            return _render_detail(request, subscription, new_secret=subscription.secret)
    subscriptions = WebhookSubscription.objects.filter(partner=request.partner).order_by(
        "-is_active", "-created_at"
    )
    return render(
        request,
        "partner_center/webhooks/list.html",
        {"form": form, "subscriptions": subscriptions},
        status=400 if form.is_bound and not form.is_valid() else 200,
    )


def _render_detail(
    request, subscription: WebhookSubscription, *, form=None, status=200, new_secret=None
):
    if form is None:
        form = WebhookForm(initial={"url": subscription.url, "events": subscription.events})
    deliveries = (
        WebhookDelivery.objects.filter(subscription=subscription)
        .select_related("event")
        .prefetch_related(
            Prefetch(
                "attempt_log",
                queryset=DeliveryAttempt.objects.order_by("at", "id"),
                to_attr="attempts_made",
            )
        )
        .order_by("-created_at")[:LOG_SIZE]
    )
    return render(
        request,
        "partner_center/webhooks/detail.html",
        {
            "subscription": subscription,
            "form": form,
            "new_secret": new_secret,
            "deliveries": deliveries,
            "log_size": LOG_SIZE,
        },
        status=status,
    )


@never_cache
@require_http_methods(["GET", "POST"])
@partner_view(Action.MANAGE_WEBHOOKS)
def webhook_detail(request: PartnerRequest, webhook_id):
    subscription = selectors.webhook_of(request.partner, webhook_id)
    if request.method == "GET":
        return _render_detail(request, subscription)
    form = WebhookForm(request.POST)
    saved = _save(
        request,
        form,
        lambda **fields: services.webhook_subscription_update(
            membership=request.membership, subscription=subscription, **fields
        ),
    )
    if saved is None:
        return _render_detail(request, subscription, form=form, status=400)
    messages.success(request, _("The webhook was saved."))
    return redirect("partner_center:webhook-detail", subscription.pk)


@require_POST
@partner_view(Action.MANAGE_WEBHOOKS)
def webhook_deactivate(request: PartnerRequest, webhook_id):
    subscription = selectors.webhook_of(request.partner, webhook_id)
    try:
        services.webhook_subscription_deactivate(
            membership=request.membership, subscription=subscription
        )
    except ServiceError as refusal:
        messages.error(request, refusal.message)
    else:
        messages.success(
            request, _("No more events will be sent to %(url)s.") % {"url": subscription.url}
        )
    return redirect("partner_center:webhook-detail", subscription.pk)


@require_POST
@partner_view(Action.MANAGE_WEBHOOKS)
def webhook_send_test(request: PartnerRequest, webhook_id):
    subscription = selectors.webhook_of(request.partner, webhook_id)
    try:
        services.webhook_send_test(membership=request.membership, subscription=subscription)
    except ServiceError as refusal:
        messages.error(request, refusal.message)
    else:
        messages.success(
            request, _("A test event is on its way: its delivery is at the top of the log.")
        )
    return redirect("partner_center:webhook-detail", subscription.pk)


@require_POST
@partner_view(Action.MANAGE_WEBHOOKS)
def webhook_redeliver(request: PartnerRequest, webhook_id, delivery_id):
    subscription = selectors.webhook_of(request.partner, webhook_id)
    delivery = selectors.webhook_delivery_of(subscription, delivery_id)
    try:
        services.webhook_redeliver(membership=request.membership, delivery=delivery)
    except ServiceError as refusal:
        messages.error(request, refusal.message)
    else:
        messages.success(request, _("The event is being sent again."))
    return redirect("partner_center:webhook-detail", subscription.pk)
