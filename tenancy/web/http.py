"""What a view's `request` carries once the middleware and the portal decorators have run."""

from django.conf import settings
from django.http import HttpRequest
from django.utils.http import url_has_allowed_host_and_scheme

from tenancy.models import Membership, Tenant
from tenancy.portals import Portal


class MemberRequest(HttpRequest):
    """After MembershipMiddleware: the signed-in user's membership (tenant, roles), or None."""

    membership: Membership | None


class PartnerRequest(MemberRequest):
    """A Partner Center view's request (`partner_view`): a member of this partner."""

    membership: Membership
    partner: Tenant


class CustomerRequest(MemberRequest):
    """An admin center view's request (`customer_view`): a member of this customer, in the
    admin portal of its cloud."""

    membership: Membership
    customer: Tenant
    portal: Portal


def local_path(target: str) -> str:
    """`target` if it is a path of this site, else "": never another host, never a
    scheme-relative URL. Where sign-in and its second step may send a user next."""
    local = target.startswith("/") and not target.startswith("//")
    if local and url_has_allowed_host_and_scheme(target, allowed_hosts=None):
        return target
    return ""


def client_ip(request: HttpRequest) -> str | None:
    """The client's address: REMOTE_ADDR, or behind our proxy (USE_X_FORWARDED_FOR) the address
    it appended last. Agreement acceptances record it; sign-in throttling counts by it."""
    if settings.USE_X_FORWARDED_FOR and (forwarded := request.META.get("HTTP_X_FORWARDED_FOR")):
        return forwarded.split(",")[-1].strip() or None
    return request.META.get("REMOTE_ADDR") or None
