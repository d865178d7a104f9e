from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render

from tenancy import rules
from tenancy.rules import Action


def partner_view(action: Action):
    """Signed in, a member of a partner organization, and allowed `action` (403 says who is)."""

    def decorator(view):
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            membership = request.membership
            if membership is None or not membership.tenant.is_partner:
                raise PermissionDenied(
                    "Partner Center is for partner organizations. Sign in with your partner "
                    "account."
                )
            rules.require(membership, action)
            request.partner = membership.tenant
            return view(request, *args, **kwargs)

        return login_required(wrapper)

    return decorator


@login_required
def home(request):
    return redirect("partner_center:customer-list")


@partner_view(Action.VIEW_CUSTOMERS)
def customer_list(request):
    return render(request, "partner_center/placeholder.html", {"title": "Customers"})


@partner_view(Action.VIEW_REQUESTS)
def request_list(request):
    return render(request, "partner_center/placeholder.html", {"title": "Relationship requests"})


@partner_view(Action.ADD_CUSTOMER)
def add_customer(request):
    return render(request, "partner_center/placeholder.html", {"title": "Add customer"})


@partner_view(Action.VIEW_ACTIVITY)
def activity_log(request):
    return render(request, "partner_center/placeholder.html", {"title": "Activity log"})
