"""The signed-in user and their membership (tenant, country, market, roles) in one query.

Every page needs both: `MemberBackend.get_user`, which django.contrib.auth calls once a request
for the session's user, reads the membership with the user, and MembershipMiddleware takes it
from there (`membership_of`). Nothing is kept between requests: a role removed is gone on the
next one.

A session names the backend that signed its user in. Sessions signed in before this backend
came name Django's ModelBackend; it stays in AUTHENTICATION_BACKENDS so they keep working (their
membership costs a query of its own, as before, until they sign in again).

The same query reads the version of the tenant's Customer list (CustomerListVersion), first
thing in the request: a page kept under that version (tenancy.web.fragments) was rendered from
rows read after it, so a change committed since has a later version and is never hidden.
"""

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.core.exceptions import PermissionDenied

from tenancy.models import Membership
from tenancy.models.tenants import CARRIED_ROLES, MEMBERSHIP_RELATED
from tenancy.prepared import Prepared


class MemberBackend(ModelBackend):
    """Django's ModelBackend (passwords, permissions), whose user comes with their membership."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        user = super().authenticate(request, username=username, password=password, **kwargs)
        checked = password is not None and (
            username is not None or kwargs.get(get_user_model().USERNAME_FIELD) is not None
        )
        if user is None and checked:
            # The password was checked and is wrong: stop here. ModelBackend, listed after this
            # one for older sessions only, would hash it again for nothing.
            raise PermissionDenied
        return user

    def get_user(self, user_id):
        user = _USER_WITH_MEMBERSHIP.first(pk=user_id)
        if user is None:
            return None
        if membership := getattr(user, "membership", None):
            membership.take_carried(user)
        return user if self.user_can_authenticate(user) else None


def _user_with_membership(pk):
    return (
        get_user_model()
        ._default_manager.select_related(f"membership__{MEMBERSHIP_RELATED}")
        .annotate(**Membership.objects.carried_by("membership"))
        .filter(pk=pk)
        .order_by()
    )


# Compiled once (tenancy.prepared): building this query's SQL costs eight times running it.
_USER_WITH_MEMBERSHIP = Prepared(_user_with_membership, pk=get_user_model()._meta.pk)


def membership_of(user) -> Membership | None:
    """The signed-in user's membership with its tenant, market and roles: the one MemberBackend
    loaded with the user (no query), else read now (a session signed in with ModelBackend)."""
    # The annotation that carries the roles says the user came from get_user above.
    if not hasattr(user, CARRIED_ROLES):
        return Membership.objects.of_user(user)
    return getattr(user, "membership", None)
