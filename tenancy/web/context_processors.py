import functools
from types import MappingProxyType

from tenancy.portals import portal_for_namespace
from tenancy.rules import Action, may


def membership(request):
    """The signed-in member, their tenant, what they may do (`can.add_customer`...), the portal."""
    member = getattr(request, "membership", None)
    match = getattr(request, "resolver_match", None)
    return {
        "membership": member,
        "tenant": member.tenant if member else None,
        "can": can_of(member.roles if member else None),
        "portal": portal_for_namespace(match.namespaces[0] if match and match.namespaces else None),
    }


def can_of(roles: frozenset | None) -> MappingProxyType:
    """What a holder of `roles` may do (`can.add_customer`...); nothing without a membership."""
    return _can(roles) if roles is not None else _NOTHING


_NOTHING = MappingProxyType({})


@functools.lru_cache(maxsize=256)
def _can(roles: frozenset) -> MappingProxyType:
    """What a holder of `roles` may do, worked out once a set of roles (read-only: one for
    every page of those roles). The roles are the request's own: a role removed is a new set."""
    return MappingProxyType({action.name.lower(): may(roles, action) for action in Action})
