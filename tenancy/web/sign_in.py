"""Sign-in, sign-out and the password change every portal shares, and the landing redirect."""

from django import forms
from django.contrib import messages
from django.contrib.auth import forms as auth_forms
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import AuthenticationForm
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import Resolver404, resolve, reverse, reverse_lazy
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from tenancy.models import AuditAction
from tenancy.portals import PARTNER_CENTER, admin_portal_for, portal_for_namespace
from tenancy.services.accounts import account_event
from tenancy.web import sign_in_guard
from tenancy.web.forms import JINJA2_FORMS, PortalForm
from tenancy.web.http import local_path


def landing_url(request) -> str | None:
    """Where a signed-in user belongs: Partner Center, or their cloud's admin portal."""
    membership = request.membership
    if membership is None:
        return None
    tenant = membership.tenant
    if tenant.is_partner:
        return PARTNER_CENTER.link(request, reverse("partner_center:home"))
    portal = admin_portal_for(tenant.cloud)
    return portal.link(request, reverse("admin_center:home", current_app=portal.namespace))


@never_cache
def home(request):
    if not request.user.is_authenticated:
        return redirect("sign-in")
    url = landing_url(request)
    if url:
        return redirect(url)
    if request.user.is_staff:
        return redirect("admin:index")
    return render(request, "registration/no_organization.html", status=403)


class SignInForm(PortalForm, AuthenticationForm):
    username = forms.CharField(
        label=gettext_lazy("Email or user name"),
        max_length=254,
        widget=forms.TextInput(attrs={"autofocus": True, "autocomplete": "username"}),
    )


class SignInView(auth_views.LoginView):
    template_name = "registration/sign_in.html"
    form_class = SignInForm
    redirect_authenticated_user = True

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        target = self.get_redirect_url()
        portal, for_request = None, ""
        if target:
            try:
                match = resolve(target.split("?", 1)[0])
            except Resolver404:
                match = None
            if match:
                portal = portal_for_namespace(match.namespaces[0] if match.namespaces else None)
                # A partner's request (any kind) marks its page with what it asks.
                for_request = getattr(match.func, "answers_request", "")
        context["portal"] = portal
        context["for_request"] = for_request
        return context

    def get_redirect_url(self):
        return local_path(super().get_redirect_url())

    def form_valid(self, form):
        response = super().form_valid(form)
        # This browser now has its own allowance of tries for this account (sign_in_guard).
        names = {form.cleaned_data["username"], form.get_user().get_username()}
        sign_in_guard.remember_device(self.request, response, *names)
        return response


class PasswordChangeForm(auth_forms.PasswordChangeForm):
    default_renderer = JINJA2_FORMS


class PasswordChangeView(auth_views.PasswordChangeView):
    form_class = PasswordChangeForm
    template_name = "registration/password_change.html"
    success_url = reverse_lazy("home")

    def form_valid(self, form):
        response = super().form_valid(form)
        account_event(self.request.user, AuditAction.PASSWORD_CHANGED)
        membership = self.request.membership
        if membership is not None and membership.must_change_password:
            membership.must_change_password = False
            membership.save(update_fields=["must_change_password"])
        messages.success(self.request, _("Your password was changed."))
        return response


password_change = login_required(PasswordChangeView.as_view())


@require_GET
def healthz(request):
    return HttpResponse("ok", content_type="text/plain")
