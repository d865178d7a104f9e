"""What a view's `request` carries once the middleware and the portal decorators have run."""

from django.http import HttpRequest

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
