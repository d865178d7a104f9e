"""What every service shares: the refusal it raises, and the check of who is acting."""

from tenancy import rules
from tenancy.models import Membership, Tenant


class ServiceError(Exception):
    """A business refusal: the message is for the person who asked."""

    def __init__(self, message: str, *, code: str = ""):
        super().__init__(message)
        self.message = message
        self.code = code


def acting_member(user, tenant: Tenant, action: rules.Action) -> Membership:
    """The member of `tenant` that `user` is, if its roles allow `action`; otherwise a refusal
    that says who may. Services reachable from more than one interface (a page, the API, the
    other portal) check this themselves, whatever the caller checked before."""
    membership = Membership.objects.of_user(user) if user is not None else None
    if membership is None or membership.tenant_id != tenant.pk:
        raise ServiceError(rules.denial_message(action), code="role")
    if not rules.may(membership.roles, action):
        raise ServiceError(rules.denial_message(action), code="role")
    return membership
