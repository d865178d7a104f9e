"""The admin center's toolkit: which portal a request is in, its URLs, who may open a page, and
the headers of a request link's pages.

The admin center is served twice (the Microsoft 365 admin center and, for the US Government
cloud, the Microsoft Office Admin portal), under two URL namespaces; every URL is reversed in
the namespace of the request's own portal.
"""

from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _

from tenancy import rules
from tenancy.portals import Portal, admin_portal_for, portal_for_namespace
from tenancy.rules import Action


def current_portal(request: HttpRequest) -> Portal:
    return portal_for_namespace(request.resolver_match.namespace)


def portal_url(request: HttpRequest, name: str, *args) -> str:
    return reverse(f"admin_center:{name}", args=args, current_app=request.resolver_match.namespace)


def customer_view(action: Action | None = None):
    """Signed in, a member of a customer organization of this portal's cloud, allowed `action`."""

    def decorator(view):
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            portal = current_portal(request)
            membership = request.membership
            if membership is None or not membership.tenant.is_customer:
                raise PermissionDenied(
                    _(
                        # Translators: %(portal)s is "Microsoft 365 admin center" or "Microsoft
                        # Office Admin portal" (product names, kept in English).
                        "The %(portal)s is for customer organizations. Sign in with an account "
                        "of your organization."
                    )
                    % {"portal": portal.name}
                )
            tenant = membership.tenant
            if tenant.cloud != portal.cloud:
                # Each organization has one admin portal: send it there.
                home = admin_portal_for(tenant.cloud)
                return redirect(
                    home.link(request, reverse("admin_center:home", current_app=home.namespace))
                )
            if action is not None:
                rules.require(membership, action)
            request.customer = tenant
            request.portal = portal
            return view(request, *args, **kwargs)

        return login_required(wrapper)

    return decorator


def request_page(view):
    """Headers for every page of a relationship request: the token's neighbourhood."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        response = view(request, *args, **kwargs)
        response["Referrer-Policy"] = "no-referrer"
        response["Cache-Control"] = "no-store"
        response["X-Robots-Tag"] = "noindex"
        return response

    return wrapper
