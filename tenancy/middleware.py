import contextlib

from django.core.exceptions import DisallowedHost
from django.shortcuts import redirect
from django.urls import reverse

from tenancy.models import Membership

# Pages a user with a temporary password may still reach.
_PASSWORD_CHANGE_PAGES = ("password-change", "sign-out")


class MembershipMiddleware:
    """Resolve the signed-in user's tenant and roles once per request: `request.membership`.

    A user holding a temporary password is sent to change it before anything else.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.membership = None
        if request.user.is_authenticated:
            request.membership = Membership.objects.of_user(request.user)
            if request.membership and request.membership.must_change_password:
                allowed = {reverse(name) for name in _PASSWORD_CHANGE_PAGES}
                if request.path not in allowed:
                    return redirect("password-change")
        return self.get_response(request)


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
