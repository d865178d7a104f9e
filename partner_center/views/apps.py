"""App management (Global admin): register an app for the API and see its key once, list apps
with when they were made and last used, revoke a key."""

from django import forms
from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from partner_center.access import partner_view
from tenancy import selectors, services
from tenancy.models import APP_ROLES, PartnerApp
from tenancy.rules import Action
from tenancy.services import ServiceError
from tenancy.services.apps import NAME_MAX
from tenancy.web.forms import PortalForm


class AppForm(PortalForm):
    name = forms.CharField(label=gettext_lazy("App name"), max_length=NAME_MAX)
    roles = forms.MultipleChoiceField(
        label=gettext_lazy("Roles"),
        choices=[(role.value, role.label) for role in APP_ROLES],
        widget=forms.CheckboxSelectMultiple,
        help_text=gettext_lazy(
            "What the app may do, as a user with these roles would. Global admin also "
            "lets it remove reseller relationships."
        ),
    )


@never_cache
@require_http_methods(["GET", "POST"])
@partner_view(Action.MANAGE_APPS)
def app_list(request):
    form = AppForm(request.POST or None)
    new_key = None
    if request.method == "POST" and form.is_valid():
        try:
            registered = services.app_register(
                membership=request.membership,
                name=form.cleaned_data["name"],
                roles=form.cleaned_data["roles"],
            )
        except ServiceError as refusal:
            form.add_error("name", refusal.message)
        else:
            # The key is shown in this one answer and kept nowhere: not in the session, not in
            # a cache (never_cache says no-store). Only its hash is stored.
            new_key = {"key": registered.key}
            form = AppForm()
    apps = PartnerApp.objects.filter(partner=request.partner).select_related("created_by")
    return render(
        request,
        "partner_center/apps.html",
        {"form": form, "apps": apps, "new_key": new_key},
        status=400 if form.is_bound and not form.is_valid() else 200,
    )


@require_POST
@partner_view(Action.MANAGE_APPS)
def app_revoke(request, prefix: str):
    app = selectors.app_of(request.partner, prefix)
    try:
        services.app_revoke(membership=request.membership, app=app)
    except ServiceError as refusal:
        messages.error(request, refusal.message)
    else:
        messages.success(
            request,
            # Translators: %(app)s is the name a partner gave its app.
            _("%(app)s's key was revoked. Calls with it now answer 401.") % {"app": app.name},
        )
    return redirect("partner_center:app-list")
