"""The account pages both portals share: the second step of sign-in, Security info (authenticator
app, passkeys, recovery codes)."""

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods, require_POST
from django_otp import login as otp_login
from django_otp_webauthn import views as passkey_views

from tenancy import mfa, selectors, services
from tenancy.models import AuditAction, Membership
from tenancy.services import ServiceError
from tenancy.services.accounts import account_event
from tenancy.web.forms import PortalForm
from tenancy.web.http import local_path


def _next(request) -> str:
    return local_path(request.POST.get("next") or request.GET.get("next") or "")


class CodeForm(PortalForm):
    code = forms.CharField(
        label=gettext_lazy("Code"),
        max_length=12,
        widget=forms.TextInput(
            attrs={
                "autocomplete": "one-time-code",
                "inputmode": "numeric",
                "autofocus": True,
                "spellcheck": "false",
            }
        ),
    )


class RecoveryCodeForm(PortalForm):
    code = forms.CharField(
        label=gettext_lazy("Recovery code"),
        max_length=20,
        widget=forms.TextInput(
            attrs={"autocomplete": "off", "autofocus": True, "spellcheck": "false"}
        ),
    )


# --- Sign-in, second step ---------------------------------------------------------------------


@never_cache
@require_http_methods(["GET", "POST"])
@sensitive_post_parameters("code")
@login_required
def verify(request):
    """ "Verify your identity": the code from the authenticator app, a passkey, or a recovery
    code. Only after it does the portal open."""
    next_url = _next(request)
    if not request.session.get(mfa.SIGN_IN_PENDING):
        return redirect(next_url or "home")
    methods = mfa.methods_of(request.user)
    if not methods.enrolled:
        # Their methods were reset (by a Global admin) since they gave their password: they go
        # on as a user without a method does at sign-in (with MFA_REQUIRED, to set one up).
        request.session.pop(mfa.SIGN_IN_PENDING, None)
        messages.info(
            request,
            _(
                "Your sign-in methods were reset, so there is nothing to verify. "
                "Set up a new one in Security info."
            ),
        )
        return redirect(next_url or "home")
    method = request.POST.get("method") or request.GET.get("method") or ""
    if method not in ("app", "recovery"):
        method = "app" if methods.authenticators else ("" if methods.passkeys else "recovery")
    form_class = RecoveryCodeForm if method == "recovery" else CodeForm
    form = form_class(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            device = services.second_factor_check(
                user=request.user, method=method, code=form.cleaned_data["code"]
            )
        except ServiceError as refusal:
            form.add_error("code", refusal.message)
        else:
            otp_login(request, device)
            request.session.pop(mfa.SIGN_IN_PENDING, None)
            if method == "recovery":
                left = mfa.methods_of(request.user).recovery_codes_left
                messages.warning(
                    request,
                    ngettext(
                        "You signed in with a recovery code; %(count)s left. "
                        "Make new ones in Security info if you are running out.",
                        "You signed in with a recovery code; %(count)s left. "
                        "Make new ones in Security info if you are running out.",
                        left,
                    )
                    % {"count": left},
                )
            return redirect(next_url or "home")
    return render(
        request,
        "registration/verify.html",
        {"form": form, "method": method, "methods": methods, "next": next_url},
    )


# --- Security info ----------------------------------------------------------------------------


@never_cache
@require_http_methods(["GET"])
@login_required
def security_info(request):
    return render(
        request,
        "account/security_info.html",
        {"methods": mfa.methods_of(request.user), "required": _enrolment_required(request)},
    )


def _enrolment_required(request) -> bool:
    return settings.MFA_REQUIRED and not request.user.is_verified()


@never_cache
@require_http_methods(["GET", "POST"])
@sensitive_post_parameters("code")
@login_required
def authenticator_add(request):
    """Set up an authenticator app: scan the QR code (or type the key), then enter a code."""
    device = mfa.pending_authenticator(request.user)
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            codes = services.authenticator_confirm(
                user=request.user, device=device, code=form.cleaned_data["code"]
            )
        except ServiceError as refusal:
            form.add_error("code", refusal.message)
        else:
            if not request.user.is_verified():
                otp_login(request, device)
            request.session.pop(mfa.SIGN_IN_PENDING, None)
            messages.success(request, _("Authenticator app added."))
            if codes:
                return _new_codes_page(request, codes)
            return redirect("security-info")
    return render(
        request,
        "account/authenticator.html",
        {
            "form": form,
            "qr_svg": mfa.qr_svg(device),
            "manual_key": mfa.manual_key(device),
            "required": _enrolment_required(request),
        },
    )


@never_cache
@require_http_methods(["GET", "POST"])
@login_required
def recovery_codes(request):
    """How many codes are left, and a button for new ones; the new codes, in the answer to
    that button."""
    if request.method == "POST":
        try:
            codes = services.recovery_codes_renew(user=request.user)
        except ServiceError as refusal:
            messages.error(request, refusal.message)
            return redirect("security-info")
        return _new_codes_page(request, codes)
    return render(
        request,
        "account/recovery_codes.html",
        {"codes": None, "methods": mfa.methods_of(request.user)},
    )


def shown_codes(codes: list[str]) -> list[str]:
    """Recovery codes as the user reads and types them: "abcd-efgh"."""
    return [f"{code[:4]}-{code[4:]}" for code in codes]


def _new_codes_page(request, codes: list[str]):
    """New recovery codes, shown in the answer to the post that made them and kept nowhere: not
    in the session (a leaked session table would give a way in), not in a cache (no-store)."""
    return render(
        request,
        "account/recovery_codes.html",
        {"codes": shown_codes(codes), "methods": mfa.methods_of(request.user)},
    )


@require_POST
@login_required
def method_remove(request, kind: str, pk: int):
    try:
        services.sign_in_method_remove(user=request.user, kind=kind, pk=pk)
    except ServiceError as refusal:
        messages.error(request, refusal.message)
    else:
        if kind == "authenticator":
            messages.success(request, _("Authenticator app removed."))
        else:
            messages.success(request, _("Passkey removed."))
    return redirect("security-info")


# --- Passkeys: django-otp-webauthn's views, audited -------------------------------------------


class PasskeyRegistrationComplete(passkey_views.CompleteCredentialRegistrationView):
    def post(self, *args, **kwargs):
        response = super().post(*args, **kwargs)
        if response.status_code == 200:
            from django_otp_webauthn.models import WebAuthnCredential

            passkey = WebAuthnCredential.objects.filter(user=self.request.user).latest("pk")
            codes = services.passkey_added(user=self.request.user, passkey=passkey)
            self.request.session.pop(mfa.SIGN_IN_PENDING, None)
            if codes:
                # The first method's recovery codes: in this answer only (the page shows them
                # from it), never in the session.
                response = JsonResponse({"id": passkey.pk, "recovery_codes": shown_codes(codes)})
                add_never_cache_headers(response)
        return response


class PasskeyAuthenticationComplete(passkey_views.CompleteCredentialAuthenticationView):
    """A passkey as the second step of sign-in (never instead of the password: passwordless
    sign-in is off)."""

    def complete_auth(self, device):
        super().complete_auth(device)
        if device.user_id == self.request.user.pk:
            self.request.session.pop(mfa.SIGN_IN_PENDING, None)
            account_event(self.request.user, AuditAction.MFA_VERIFIED, method="passkey")


# --- A Global admin's users -------------------------------------------------------------------


def users_context(request) -> dict:
    """The organization's users, their roles and sign-in methods: five queries in all."""
    members = list(
        Membership.objects.filter(tenant=request.membership.tenant, user__partner_app=None)
        .select_related("user")
        .prefetch_related("role_rows")
        .order_by("user__username")
    )
    methods = mfa.methods_of_users([m.user for m in members])
    rows = [(member, methods[member.user_id]) for member in members]
    return {
        "rows": rows,
        "enrolled": sum(1 for _, m in rows if m.enrolled),
        "mfa_required": settings.MFA_REQUIRED,
    }


def reset_page(request, membership_id: int, *, template: str, back: str):
    """Confirm, then remove every sign-in method of one user of the organization (POST)."""
    target = selectors.member_of(request.membership.tenant, membership_id, people_only=False)
    methods = mfa.methods_of(target.user)
    if request.method == "POST":
        try:
            services.sign_in_methods_reset(membership=request.membership, target=target)
        except ServiceError as refusal:
            messages.error(request, refusal.message)
        else:
            messages.success(
                request,
                _(
                    # Translators: %(removed)s is what the user had, as the Users page says it:
                    # "Authenticator app, 2 passkeys".
                    "Sign-in methods reset for %(user)s (%(removed)s removed). "
                    "They set up new ones at their next sign-in."
                )
                % {"user": target.user.get_username(), "removed": methods.description},
            )
        return redirect(back)
    return render(
        request,
        template,
        {
            "target": target,
            "methods": methods,
            "removes": _what_a_reset_removes(methods),
            "back": back,
            "mfa_required": settings.MFA_REQUIRED,
        },
    )


def _what_a_reset_removes(methods: mfa.SignInMethods) -> str:
    """The reset page's first sentence: "This removes authenticator app, 2 passkeys and 5
    recovery codes." One msgid per shape of the list (translators reorder it as they need)."""
    app, passkeys, codes = (
        bool(methods.authenticators),
        len(methods.passkeys),
        methods.recovery_codes_left,
    )
    values = {
        "passkeys": ngettext("%(count)s passkey", "%(count)s passkeys", passkeys)
        % {"count": passkeys},
        "recovery_codes": ngettext("%(count)s recovery code", "%(count)s recovery codes", codes)
        % {"count": codes},
    }
    if app and passkeys and codes:
        # Translators: %(passkeys)s is "2 passkeys", %(recovery_codes)s "5 recovery codes".
        return _("This removes authenticator app, %(passkeys)s and %(recovery_codes)s.") % values
    if app and passkeys:
        return ngettext(
            "This removes authenticator app, %(count)s passkey.",
            "This removes authenticator app, %(count)s passkeys.",
            passkeys,
        ) % {"count": passkeys}
    if passkeys and codes:
        # Translators: %(passkeys)s is "2 passkeys", %(recovery_codes)s "5 recovery codes".
        return _("This removes %(passkeys)s and %(recovery_codes)s.") % values
    if passkeys:
        return ngettext(
            "This removes %(count)s passkey.", "This removes %(count)s passkeys.", passkeys
        ) % {"count": passkeys}
    if app and codes:
        return ngettext(
            "This removes authenticator app and %(count)s recovery code.",
            "This removes authenticator app and %(count)s recovery codes.",
            codes,
        ) % {"count": codes}
    if app:
        return _("This removes authenticator app.")
    # A user without an authenticator app or a passkey ("not enrolled") has, as a rule, no
    # recovery codes either (they go with the last method).
    if codes:
        return ngettext(
            # Translators: for a user with no authenticator app or passkey ("Not enrolled").
            "This removes not enrolled and %(count)s recovery code.",
            "This removes not enrolled and %(count)s recovery codes.",
            codes,
        ) % {"count": codes}
    # Translators: for a user with no sign-in method at all ("Not enrolled").
    return _("This removes not enrolled.")
