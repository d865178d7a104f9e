"""Methods per URL: every page of the portals (Partner Center, both admin portals, the account
pages) answers only the methods it serves. A page that only reads takes GET and HEAD; a form
page GET, HEAD and POST; an action POST. PUT, PATCH and DELETE are 405 everywhere, even for a
signed-in user with every role (the API under /v1/ and the operators' console answer their own
way and are not walked here)."""

import uuid

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from tenancy.models import Cloud, Role
from tests.factories import (
    AdminRelationshipFactory,
    CustomerFactory,
    InvitationFactory,
    ResellerRelationshipFactory,
    SecurityGroupFactory,
    member,
)

pytestmark = pytest.mark.django_db

NOT_WALKED = ("v1/", "operators/")
PARTNER_ROLES = (
    Role.GLOBAL_ADMIN,
    Role.ADMIN_AGENT,
    Role.SALES_AGENT,
    Role.HELPDESK_AGENT,
    Role.BILLING_ADMIN,
)
CUSTOMER_ROLES = (Role.CUSTOMER_GLOBAL_ADMIN, Role.CUSTOMER_BILLING_ADMIN)


def _patterns(resolver: URLResolver, prefix: str = "", namespace: str | None = None):
    """(route, URL name with its namespace, the pattern's converters) of every page."""
    for entry in resolver.url_patterns:
        route = prefix + str(entry.pattern)
        if isinstance(entry, URLResolver):
            inner = ":".join(n for n in (namespace, entry.namespace) if n) or None
            yield from _patterns(entry, route, inner)
        elif isinstance(entry, URLPattern) and entry.name:
            name = f"{namespace}:{entry.name}" if namespace else entry.name
            yield route, name, entry.pattern.converters


def walked() -> list[tuple[str, str, dict]]:
    return [
        (route, name, converters)
        for route, name, converters in _patterns(get_resolver())
        if not route.startswith(NOT_WALKED)
    ]


@pytest.fixture
def cast(partner_a, customer):
    """A partner user and a customer user (each cloud) with every role, and real rows to name
    in the URLs, so a page that forgot its methods would answer as it does for GET."""
    agent = member(partner_a, *PARTNER_ROLES, username="everything@contosopartners.example")
    admin = member(customer, *CUSTOMER_ROLES, username="everything@northwind.example")
    gov_customer = CustomerFactory(cloud=Cloud.USGOV)
    gov_admin = member(gov_customer, *CUSTOMER_ROLES, username="everything@gov.example")
    ResellerRelationshipFactory(partner=partner_a, customer=customer)
    invitation = InvitationFactory(partner=partner_a, created_by=agent)
    relationship = AdminRelationshipFactory(partner=partner_a, customer=customer)
    group = SecurityGroupFactory(partner=partner_a)
    values = {
        "customer_id": customer.pk,
        "invitation_id": invitation.pk,
        "relationship_id": relationship.pk,
        "group_id": group.pk,
        "partner_id": partner_a.pk,
        "membership_id": agent.membership.pk,
        "prefix": "nothing",
        "kind": "authenticator",
    }
    return {"agent": agent, "admin": admin, "gov_admin": gov_admin, "values": values}


def _kwargs(name: str, converters: dict, values: dict) -> dict:
    kwargs = {}
    for key, converter in converters.items():
        if key in values:
            kwargs[key] = values[key]
        elif key == "pk" and type(converter).__name__ == "UUIDConverter":
            kwargs[key] = values["invitation_id" if "invitation" in name else "relationship_id"]
        elif type(converter).__name__ == "UUIDConverter":
            kwargs[key] = uuid.uuid4()
        elif type(converter).__name__ == "IntConverter":
            kwargs[key] = 1
        else:
            kwargs[key] = "x"
    return kwargs


def _user_for(name: str, cast: dict):
    if name.startswith("admin_center:"):
        return cast["admin"]
    if name.startswith("office_admin:"):
        return cast["gov_admin"]
    return cast["agent"]


def test_the_walk_covers_both_portals_and_the_account_pages():
    names = {name for _, name, _ in walked()}
    assert "partner_center:user-list" in names
    assert "admin_center:users" in names
    assert "office_admin:users" in names
    assert "security-info" in names
    assert not [name for name in names if name.startswith(("api:", "admin:"))]


@pytest.mark.parametrize("method", ["put", "patch", "delete"])
def test_every_page_refuses_methods_it_does_not_serve(client_for, cast, method):
    answers = {}
    clients = {}
    for _, name, converters in walked():
        user = _user_for(name, cast)
        client = clients.get(user.pk) or clients.setdefault(user.pk, client_for(user))
        namespace = name.split(":", 1)[0] if ":" in name else None
        url = reverse(name, kwargs=_kwargs(name, converters, cast["values"]), current_app=namespace)
        response = getattr(client, method)(url)
        if response.status_code != 405:
            answers[name] = response.status_code
    assert not answers, "\n".join(f"{name}: {status}" for name, status in answers.items())
