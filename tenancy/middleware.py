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
            request.membership = (
                Membership.objects.select_related("tenant__country__market")
                .prefetch_related("role_rows")
                .filter(user=request.user)
                .first()
            )
            if request.membership and request.membership.must_change_password:
                allowed = {reverse(name) for name in _PASSWORD_CHANGE_PAGES}
                if request.path not in allowed:
                    return redirect("password-change")
        return self.get_response(request)
