"""Partner Center's toolkit: who may open a page (`partner_view`), the page size, and reading a
posted form."""

from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from django.utils.translation import gettext as _

from tenancy import rules
from tenancy.rules import Action

PAGE_SIZE = 25


def partner_view(action: Action):
    """Signed in, a member of a partner organization, and allowed `action` (403 says who is)."""

    def decorator(view):
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            membership = request.membership
            if membership is None or not membership.tenant.is_partner:
                raise PermissionDenied(
                    _(
                        "Partner Center is for partner organizations. Sign in with your partner "
                        "account."
                    )
                )
            rules.require(membership, action)
            request.partner = membership.tenant
            return view(request, *args, **kwargs)

        return login_required(wrapper)

    return decorator


def posted(request: HttpRequest):
    """The form data of a POST, even an empty one (which must show errors, not a fresh form)."""
    return request.POST if request.method == "POST" else None
