import contextlib
import functools
from urllib.parse import urlencode

from django.conf import settings
from django.core.exceptions import DisallowedHost
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import translation

from tenancy import mfa
from tenancy.language import member_language
from tenancy.web import sign_in_guard, throttle
from tenancy.web.auth_backend import membership_of

# What a user may still open while a step of signing in is left: the second factor, a new
# password (for a temporary one), a first sign-in method (with MFA_REQUIRED). Sign-out always.
_VERIFY_PAGES = (
    "sign-in-verify",
    "sign-out",
    "set-language",
    "otp_webauthn:credential-authentication-begin",
    "otp_webauthn:credential-authentication-complete",
    "otp_webauthn:js-i18n-catalog",
)
_PASSWORD_CHANGE_PAGES = ("password-change", "sign-out", "set-language")
_ENROL_PAGES = (
    "security-info",
    "authenticator-add",
    "recovery-codes",
    "sign-out",
    "set-language",
    "otp_webauthn:credential-registration-begin",
    "otp_webauthn:credential-registration-complete",
    "otp_webauthn:js-i18n-catalog",
)


def _paths(names) -> set[str]:
    return {reverse(name) for name in names}


def _to(name: str, request):
    url = reverse(name)
    if request.method == "GET":
        url += "?" + urlencode({"next": request.get_full_path()})
    return redirect(url)


class MembershipMiddleware:
    """Resolve the signed-in user's tenant and roles once per request: `request.membership`,
    read with the user (tenancy.web.auth_backend).

    And finish signing in before anything else: a user with a second factor gives it first
    (the session says so, `mfa.SIGN_IN_PENDING`, no query); a user holding a temporary password
    changes it; with MFA_REQUIRED, a user without a second factor sets one up, and so does an
    operator opening the console with OPERATORS_MFA_REQUIRED (production).
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.membership = None
        user = request.user
        if not user.is_authenticated:
            return self.get_response(request)
        if request.session.get(mfa.SIGN_IN_PENDING) and not user.is_verified():
            if request.path not in _paths(_VERIFY_PAGES):
                return _to("sign-in-verify", request)
            return self.get_response(request)
        request.membership = membership = membership_of(user)
        if language := member_language(membership):
            # The member's own choice wins over the cookie and the browser's Accept-Language.
            translation.activate(language)
            request.LANGUAGE_CODE = language
        if membership and membership.must_change_password:
            allowed, step = _PASSWORD_CHANGE_PAGES, "password-change"
        elif not user.is_verified() and (
            settings.MFA_REQUIRED or (settings.OPERATORS_MFA_REQUIRED and _in_console(request))
        ):
            allowed, step = _ENROL_PAGES, "security-info"
        else:
            return self.get_response(request)
        if request.path not in _paths(allowed):
            return _to(step, request) if step == "security-info" else redirect(step)
        return self.get_response(request)


class SignInLockMiddleware:
    """Refuse a sign-in whose allowance is spent before anything else runs: no session, no CSRF
    check, no form, no password hash; one read (tenancy.web.sign_in_guard). That answers the
    flood of guesses that follows a lock for next to nothing, so they can't starve the workers
    real users need. And the try that spends an allowance (or one the guard refused, should this
    pass it by) gets the same page, with until when."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.method == "POST" and request.path_info in _sign_in_paths():
            ends = sign_in_guard.lock_in_force(request, request.POST.get("username"))
            if ends is not None:
                return throttle.locked_response(ends)
        response = self.get_response(request)
        if (ends := getattr(request, "sign_in_locked_until", None)) is not None:
            return throttle.locked_response(ends)
        if (wait := getattr(request, "sign_in_busy", None)) is not None:
            return throttle.busy_response(wait)
        return response


@functools.cache
def _sign_in_paths() -> frozenset[str]:
    return frozenset({reverse("sign-in"), reverse("admin:login")})


class SameOriginNullOriginMiddleware:
    """Let a page with `Referrer-Policy: no-referrer` post its own forms.

    Under that policy browsers send `Origin: null` with a form post, which Django's CSRF check
    rejects. When the browser itself vouches that the post comes from this site
    (`Sec-Fetch-Site: same-origin`, a header no page can set), the request's real origin is put
    back before CsrfViewMiddleware runs; the CSRF token is still checked as always. A post from
    another site says `cross-site` and is rejected as before.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        meta = request.META
        if meta.get("HTTP_ORIGIN") == "null" and meta.get("HTTP_SEC_FETCH_SITE") == "same-origin":
            with contextlib.suppress(DisallowedHost):
                meta["HTTP_ORIGIN"] = f"{request.scheme}://{request.get_host()}"
        return self.get_response(request)


class OperatorsInEnglishMiddleware:
    """The operators' console (the Django admin) stays English, whatever the operator's
    browser asks for."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path_info.startswith(_operators_prefix()):
            translation.activate(settings.LANGUAGE_CODE)
            request.LANGUAGE_CODE = settings.LANGUAGE_CODE
        return self.get_response(request)


@functools.cache
def _operators_prefix() -> str:
    return reverse("admin:index")


def _in_console(request) -> bool:
    """An operator (a staff user: the console's own test) on one of the console's pages."""
    return request.user.is_staff and request.path_info.startswith(_operators_prefix())
