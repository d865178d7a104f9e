from tenancy.portals import portal_for_namespace
from tenancy.rules import Action, may


def membership(request):
    """The signed-in member, their tenant, what they may do (`can.add_customer`...), the portal."""
    member = getattr(request, "membership", None)
    match = getattr(request, "resolver_match", None)
    return {
        "membership": member,
        "tenant": member.tenant if member else None,
        "can": {action.name.lower(): may(member.roles, action) for action in Action}
        if member
        else {},
        "portal": portal_for_namespace(match.namespaces[0] if match and match.namespaces else None),
    }
