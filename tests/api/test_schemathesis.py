"""schemathesis (a tool nobody here wrote) drives every operation of /v1/openapi.json with data
it makes from the document, valid and not, and runs all its checks on each answer: no server
error, every status and content type documented, every body as its schema says, what the
document accepts is accepted and what it refuses is refused. With a key whose roles cannot end
relationships, and one whose can (the test's database is thrown away after)."""

import json

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, settings

from api.resources.relationship_filters import EXTENSION, NO_EXTENSION
from config.wsgi import application
from tenancy.entra_roles import GLOBAL_ADMINISTRATOR
from tenancy.models import Role
from tests.api.schema import document
from tests.factories import AdminRelationshipFactory, ResellerRelationshipFactory

pytestmark = pytest.mark.django_db


# Left out of the generated requests, each with the test that covers it instead:
# - a continuation token is opaque: only the one a page gave leads anywhere, any other is a 400
#   (tests/api/test_graph_conformance.py);
# - `$filter` and the customers' `filter` are grammars (OData; a JSON object in a parameter) that
#   a JSON schema can't spell: hypothesis fuzzes `$filter` against the answers themselves
#   (test_graph_conformance.py), and tests/api/test_customers_api.py covers `filter`.
LEFT_OUT = {"MS-ContinuationToken", "continuationToken", "$skiptoken", "$filter", "filter"}


def fuzzed_document() -> dict:
    """The document /v1/openapi.json serves (made here: serving it counts against a rate, in
    the database), without the parameters above."""
    fuzzed = json.loads(json.dumps(document(), default=str))
    for methods in fuzzed["paths"].values():
        for operation in methods.values():
            operation["parameters"] = [
                p for p in operation.get("parameters", []) if p["name"] not in LEFT_OUT
            ]
    return fuzzed


# The server itself: each call goes through the whole WSGI stack, in the test's transaction.
schema = schemathesis.openapi.from_dict(fuzzed_document())
schema.app = application
schema.location = "/v1/openapi.json"


@pytest.fixture(autouse=True)
def keep_the_tests_connection():
    """schemathesis calls the WSGI app itself, whose request_finished signal would close the
    database connection the test's transaction is on (Django's test client unhooks it too)."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def data(partner_a, customer):
    """Partner A with a customer and an admin relationship there."""
    ResellerRelationshipFactory(partner=partner_a, customer=customer)
    AdminRelationshipFactory(partner=partner_a, customer=customer)


@pytest.fixture
def sales_key(app_key, data):
    """A Sales agent's app: it can't end relationships."""
    return app_key(Role.SALES_AGENT)


@pytest.fixture
def admin_key(app_key, data):
    """An Admin agent's and Global admin's app: it can."""
    return app_key(Role.ADMIN_AGENT, Role.GLOBAL_ADMIN)


# Derandomized: the same examples on every run (CI never meets a new one by chance).
FUZZ = settings(
    max_examples=12, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck)
)


def within_the_cross_field_rule(case) -> None:
    """Global Administrator never extends automatically: a rule across two fields, which an
    OpenAPI 3.0 schema can't spell (each field alone is valid). A generated body that breaks it
    asks for no extension instead; tests/api/test_admin_relationships_api.py and
    test_templates_api.py show the 400 it gets."""
    body = case.body
    if not isinstance(body, dict) or body.get("autoExtendDuration") != EXTENSION:
        return
    details = body.get("accessDetails")
    roles = details.get("unifiedRoles") if isinstance(details, dict) else None
    if isinstance(roles, list) and any(
        isinstance(role, dict) and role.get("roleDefinitionId") == GLOBAL_ADMINISTRATOR
        for role in roles
    ):
        body["autoExtendDuration"] = NO_EXTENSION


@schema.parametrize()
@FUZZ
def test_a_key_that_cant_end_relationships(case, sales_key):
    within_the_cross_field_rule(case)
    case.call_and_validate(headers={"Authorization": f"Bearer {sales_key}"})


@schema.parametrize()
@FUZZ
def test_a_key_that_can(case, admin_key):
    within_the_cross_field_rule(case)
    case.call_and_validate(headers={"Authorization": f"Bearer {admin_key}"})
