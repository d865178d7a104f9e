"""What an outside probe sends that no schema allows, to every operation of the OpenAPI document
(a new operation is probed as soon as it is documented): Unicode digits in every integer
parameter, a body nested thousands of levels deep to every operation that takes JSON, a NUL in
every text parameter and every string a body's schema has, thousands of brackets in every text
parameter. Each is a 4xx in JSON in its path's shape (Graph's on Graph's paths), never a 500.
Run on PostgreSQL too: it refuses a NUL in text, where SQLite would store it."""

import copy
import itertools
import json
from urllib.parse import urlencode

import pytest
from rest_framework.test import APIClient

from api.request_ids import GRAPH_PREFIX
from tenancy import services
from tenancy.models import AuditAction, Membership, Role
from tests.api.bulk_fixtures import READER, make_template
from tests.api.schema import document, graph_error
from tests.factories import (
    AdminRelationshipFactory,
    AuditEventFactory,
    InvitationFactory,
    ResellerRelationshipFactory,
    SecurityGroupFactory,
    grant_roles,
)

pytestmark = pytest.mark.django_db

# A superscript two, an Arabic-Indic three, a fullwidth one: digits to str.isdigit(), and the
# last two to int() as well; none is a number the API takes.
UNICODE_DIGITS = ("²", "٣", "１")
NUL_TEXT = "Con\x00"
BRACKETS = ("[" * 4000, "(" * 4000, "{" * 4000)
# Where a parameter is a grammar, the text goes where a value is, so that it reaches the query
# (in the customers' JSON filter, a NUL is an escape, \u0000).
TEXT_IN = {
    "filter": lambda text: json.dumps(
        {"Field": "CompanyName", "Value": text, "Operator": "starts_with"}
    ),
    "$filter": lambda text: f"displayName eq '{text}'",
}
DEPTH = 5000  # 10 kB of brackets; json's own stack runs out at about 1,500
HOOK = "http://127.0.0.1:9/hooks"


# --- The document ----------------------------------------------------------------------------


def _resolve(schema: dict) -> dict:
    while "$ref" in schema:
        schema = document()["components"]["schemas"][schema["$ref"].split("/")[-1]]
    return schema


def _leaves(schema: dict, kind: str, path: tuple = ()):
    """The places in a body where a value of `kind` ("string", "integer") goes: keys, and 0
    for an array's item."""
    schema = _resolve(schema)
    for combined in ("allOf", "oneOf", "anyOf"):
        for part in schema.get(combined, []):
            yield from _leaves(part, kind, path)
    for name, property_schema in schema.get("properties", {}).items():
        yield from _leaves(property_schema, kind, (*path, name))
    if schema.get("type") == "array":
        yield from _leaves(schema["items"], kind, (*path, 0))
    if schema.get("type") == kind:
        yield path


def _operations():
    for path, methods in document()["paths"].items():
        for method, operation in methods.items():
            yield method, path, operation


def _op(method: str, path: str) -> dict:
    return document()["paths"][path][method]


def _json_body(operation: dict) -> dict | None:
    content = operation.get("requestBody", {}).get("content", {})
    return content["application/json"]["schema"] if "application/json" in content else None


def _parameters(kind: str, places=("path", "query", "header")):
    return [
        pytest.param(method, path, p["name"], p["in"], id=f"{method.upper()} {path} {p['name']}")
        for method, path, operation in _operations()
        for p in operation.get("parameters", [])
        if p["in"] in places and _resolve(p["schema"]).get("type") == kind
    ]


def _body_leaves(kind: str):
    return [
        pytest.param(method, path, leaf, id=f"{method.upper()} {path} {'.'.join(map(str, leaf))}")
        for method, path, operation in _operations()
        if (schema := _json_body(operation)) is not None
        for leaf in dict.fromkeys(_leaves(schema, kind))
    ]


JSON_OPERATIONS = [
    pytest.param(method, path, operation["operationId"], id=f"{method.upper()} {path}")
    for method, path, operation in _operations()
    if _json_body(operation) is not None
]


# --- A partner with something behind every id ----------------------------------------------


class World:
    """Partner A with a customer (reseller and admin relationships), a security group, a
    template, and a webhook registration; the other objects a path names are made when a probe
    first needs them."""

    def __init__(self, partner, agent, global_admin, customer, client):
        self.partner, self.agent, self.customer, self.client = partner, agent, customer, client
        ResellerRelationshipFactory(partner=partner, customer=customer)
        self.relationship = AdminRelationshipFactory(partner=partner, customer=customer)
        self.group = SecurityGroupFactory(partner=partner)
        self.template = make_template(partner, agent)
        services.webhook_subscription_create(
            membership=Membership.objects.of_user(global_admin),
            url=HOOK,
            events=["bulk-job-completed"],
            sole=True,
        )
        self._ids: dict = {}

    def id(self, name: str, kind: str):
        key = (name, kind)
        if key not in self._ids:
            make = getattr(self, f"_{name}_{kind}", None) or getattr(self, f"_{name}", None)
            if make is None:
                pytest.fail(f"The probes' world has no {name} ({kind}): give it one.")
            self._ids[key] = make()
        return self._ids[key]

    def _customer_id(self):
        return self.customer.pk

    def _relationship_id(self):
        return self.relationship.pk

    def _assignment_id(self):
        return grant_roles(Membership.objects.of_user(self.agent), self.relationship).pk

    def _template_id(self):
        return self.template.pk

    def _job_id(self):
        response = self.client.post("/v1/bulkJobs", BODIES["bulk_jobs_create"](self), format="json")
        assert response.status_code == 201, response.content
        return response.json()["id"]

    def _request_id_string(self):
        return InvitationFactory(partner=self.partner).pk

    def _request_id_integer(self):
        return self._line(AuditAction.ADMIN_FINALIZED)

    def _operation_id(self):
        return self._line(AuditAction.ASSIGNMENT_CREATED)

    def _line(self, action) -> int:
        return AuditEventFactory(
            partner=self.partner,
            customer=self.customer,
            action=action,
            details={"relationship": str(self.relationship.pk)},
        ).pk

    def _membership_id(self):
        return Membership.objects.of_user(self.agent).pk

    def url(self, path: str, *, probe: tuple[str, str] | None = None, query=None) -> str:
        """`path` with the world's ids in it (or `probe`'s value in place of that one)."""
        for p in _operation(path)["parameters"]:
            if p["in"] == "path":
                if probe and p["name"] == probe[0]:
                    value = probe[1]
                else:
                    value = self.id(p["name"], _resolve(p["schema"])["type"])
                path = path.replace("{" + p["name"] + "}", str(value))
        return path + ("?" + urlencode(query) if query else "")


def _operation(path: str) -> dict:
    """The operation whose parameters a path has (every method of a path shares its path's)."""
    methods = document()["paths"][path]
    for operation in methods.values():
        if any(p["in"] == "path" for p in operation.get("parameters", [])):
            return operation
    return {"parameters": []}


ROLES = {"unifiedRoles": [{"roleDefinitionId": READER}]}


# A body each operation takes (or refuses only for what it is about, a 409), with a value in
# every string it has: the probes change one place of it. An operation not here is probed from
# an empty body.
BODIES = {
    "admin_relationship_templates_create": lambda w: {
        "displayName": "Probe tier",
        "description": "Reads the directory",
        "duration": "P90D",
        "accessDetails": ROLES,
        "autoExtendDuration": "PT0S",
        "mappings": [{"securityGroupId": str(w.group.pk), "accessDetails": ROLES}],
    },
    "admin_relationship_template_update": lambda w: BODIES["admin_relationship_templates_create"](
        w
    ),
    "bulk_jobs_create": lambda w: {
        "kind": "request",
        "templateId": str(w.template.pk),
        "customers": [w.customer.domain],
        "sendEmail": False,
    },
    "bulk_jobs_preview": lambda w: BODIES["bulk_jobs_create"](w),
    "customer_update": lambda w: {"relationshipToPartner": "none"},
    "customer_agreement_attest": lambda w: {
        "primaryContact": {
            "firstName": "Ada",
            "lastName": "Lovelace",
            "email": "ada@northwindtraders.com",
            "phoneNumber": "+1 425 555 0100",
        },
        "dateAgreed": "2026-01-15",
        "type": "MicrosoftCustomerAgreement",
        "templateId": "MCA 2026-09",
    },
    "relationship_request_create": lambda w: {
        "delegatedAdmin": True,
        "language": "en",
        "label": "Northwind",
        "recipient": "it@northwindtraders.com",
    },
    "delegated_admin_relationships_create": lambda w: {
        "displayName": "Probe relationship",
        "duration": "P90D",
        "customer": {"tenantId": str(w.customer.pk)},
        "accessDetails": ROLES,
        "autoExtendDuration": "PT0S",
    },
    "delegated_admin_relationship_update": lambda w: {"autoExtendDuration": "PT0S"},
    "delegated_admin_access_assignments_create": lambda w: {
        "accessContainer": {
            "accessContainerId": str(w.group.pk),
            "accessContainerType": "securityGroup",
        },
        "accessDetails": ROLES,
    },
    "delegated_admin_relationship_requests_create": lambda w: {"action": "lockForApproval"},
    "webhook_registration_create": lambda w: {
        "WebhookUrl": HOOK,
        "WebhookEvents": ["bulk-job-completed"],
    },
    "webhook_registration_update": lambda w: BODIES["webhook_registration_create"](w),
}


@pytest.fixture(autouse=True)
def loopback(settings):
    """The baseline's webhook address is this machine's: no name to resolve."""
    settings.WEBHOOKS_ALLOW_LOOPBACK = True
    settings.WEBHOOKS_TIMEOUT = 0.5


@pytest.fixture
def client(app_key):
    """A key that may do everything the API does."""
    key = app_key(Role.ADMIN_AGENT, Role.SALES_AGENT, Role.GLOBAL_ADMIN)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    return client


@pytest.fixture
def world(partner_a, admin_agent, partner_global_admin, customer, client):
    return World(partner_a, admin_agent, partner_global_admin, customer, client)


def _body_of(world, method: str, path: str) -> dict:
    make = BODIES.get(_op(method, path)["operationId"])
    return make(world) if make else {}


def _send(client, method: str, url: str, body: str | None = None, **headers):
    if body is None:
        return client.generic(method.upper(), url, **headers)
    return client.generic(method.upper(), url, body, content_type="application/json", **headers)


def _call(client, world, method: str, path: str, *, query=None, place="query"):
    """The operation on the world's ids, with its body if it takes one, and `query` in the
    query string (or, `place` "header", in headers)."""
    body = json.dumps(_body_of(world, method, path)) if _json_body(_op(method, path)) else None
    if place == "header":
        headers = {f"HTTP_{name.upper().replace('-', '_')}": v for name, v in query.items()}
        return _send(client, method, world.url(path), body, **headers)
    return _send(client, method, world.url(path, query=query), body)


def assert_refused(response, path: str, status: int) -> str:
    """`status`, in JSON, in the shape of `path`'s API; its description."""
    assert response.status_code == status, response.content[:500]
    assert response["Content-Type"] == "application/json"
    if path.startswith(GRAPH_PREFIX):
        error = graph_error(response)
    else:
        error = response.json()
        assert set(error) <= {"code", "description", "field"}
    assert error["code"] and error["description"]
    return error["description"]


# --- The probes ------------------------------------------------------------------------------


@pytest.mark.parametrize("digit", UNICODE_DIGITS)
@pytest.mark.parametrize(("method", "path", "name", "place"), _parameters("integer"))
def test_unicode_digits_in_an_integer_parameter_are_no_number(
    client, world, method, path, name, place, digit
):
    if place == "path":
        # No route takes it: the path names no operation.
        response = _send(client, method, world.url(path, probe=(name, digit)))
        assert_refused(response, path, 404)
        return
    response = _call(client, world, method, path, query={name: digit}, place=place)
    assert_refused(response, path, 400)


@pytest.mark.parametrize(("method", "path", "operation_id"), JSON_OPERATIONS)
def test_a_body_nested_thousands_deep_is_refused(client, world, method, path, operation_id):
    for depth in (DEPTH, 1000):  # past what json can parse; past what any operation takes
        for body in ("[" * depth + "]" * depth, '{"a": ' * depth + "1" + "}" * depth):
            response = _send(client, method, world.url(path), body)
            description = assert_refused(response, path, 400)
            assert description == "A body can be nested at most 64 levels deep."


@pytest.mark.parametrize(("method", "path", "name", "place"), _parameters("string"))
def test_a_nul_in_a_text_parameter_is_refused(client, world, method, path, name, place):
    if place == "path":
        response = _send(client, method, world.url(path, probe=(name, NUL_TEXT)))
        assert_refused(response, path, 404)
        return
    value = TEXT_IN.get(name, str)(NUL_TEXT)
    response = _call(client, world, method, path, query={name: value}, place=place)
    assert_refused(response, path, 400)


@pytest.mark.parametrize("brackets", BRACKETS, ids=["[", "(", "{"])
@pytest.mark.parametrize(("method", "path", "name", "place"), _parameters("string", ("query",)))
def test_thousands_of_brackets_in_a_text_parameter_are_refused(
    client, world, method, path, name, place, brackets
):
    response = _call(client, world, method, path, query={name: brackets})
    assert_refused(response, path, 400)


@pytest.mark.parametrize(("method", "path", "leaf"), _body_leaves("string"))
def test_a_nul_in_a_body_string_is_refused(client, world, method, path, leaf):
    body = _set(
        _body_of(world, method, path),
        leaf,
        lambda old: (old if isinstance(old, str) else "") + NUL_TEXT,
    )
    response = _send(client, method, world.url(path), json.dumps(body))
    assert_refused(response, path, 400)


# --- The probes start from what the operations take -------------------------------------------


@pytest.mark.parametrize(("method", "path", "operation_id"), JSON_OPERATIONS)
def test_the_probes_bodies_are_ones_the_operations_take(client, world, method, path, operation_id):
    """Else a probe of one field would be refused for another, and prove nothing."""
    assert operation_id in BODIES, "Give the probes a body this operation takes."
    response = _send(client, method, world.url(path), json.dumps(_body_of(world, method, path)))
    assert response.status_code in (200, 201, 202, 204, 409), response.content[:500]


def test_a_filter_with_a_value_is_one_the_customers_take(client, world):
    value = TEXT_IN["filter"]("North")
    response = client.get("/v1/customers", {"filter": value})
    assert response.status_code == 200
    assert [c["id"] for c in response.json()["items"]] == [str(world.customer.pk)]


def test_a_nul_in_the_customers_filter_names_the_parameter(client, world):
    response = client.get("/v1/customers", {"filter": TEXT_IN["filter"](NUL_TEXT)})
    assert response.json() == {
        "code": "invalid",
        "description": "Null characters are not allowed.",
        "field": "filter",
    }


# --- Helpers ---------------------------------------------------------------------------------


def _set(body: dict, leaf: tuple, value):
    """A copy of `body` with the value at `leaf` replaced by `value(old)` (made where absent)."""
    body = copy.deepcopy(body)
    node = body
    for key, following in itertools.pairwise(leaf):
        empty = [] if isinstance(following, int) else {}
        if isinstance(key, int):
            if not node:
                node.append(empty)
            node = node[0]
        else:
            if not isinstance(node.get(key), type(empty)):
                node[key] = empty
            node = node[key]
    last = leaf[-1]
    if isinstance(last, int):
        if node:
            node[0] = value(node[0])
        else:
            node.append(value(None))
    else:
        node[last] = value(node.get(last))
    return body
