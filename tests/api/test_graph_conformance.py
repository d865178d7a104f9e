"""Graph's conventions on /v1/tenantRelationships/delegatedAdminRelationships: `$filter` (never
ignored, never wider than asked: checked against an evaluation of the same filter over the
answers themselves, fuzzed with hypothesis), `$select`, `$orderby`, `$top`, `$count`, absolute
`@odata.nextLink`, Graph's error shape with request ids, requests and operations read back."""

import datetime as dt
import operator
import re

import pytest
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from odata_query import ast
from odata_query.grammar import ODataLexer, ODataParser

from tenancy import services
from tenancy.models import (
    DEFAULT_ROLES,
    GLOBAL_ADMINISTRATOR,
    AdminRelationship,
    AdminRelationshipStatus,
)
from tests.api.queries import RATE_QUERIES
from tests.api.schema import assert_matches, graph_error
from tests.factories import (
    AdminRelationshipFactory,
    CustomerFactory,
    ResellerRelationshipFactory,
    SecurityGroupFactory,
)

pytestmark = pytest.mark.django_db
LIST = "/v1/tenantRelationships/delegatedAdminRelationships"
DAY = dt.timedelta(days=1)


@pytest.fixture
def world(partner_a, partner_b):
    """Partner A's relationships in every state the answers can show, in two customers; partner
    B's one."""
    now = timezone.now()
    northwind, fabrikam = CustomerFactory(name="Northwind"), CustomerFactory(name="Fabrikam")
    made = {}

    def make(name, customer=northwind, **fields):
        made[name] = AdminRelationshipFactory(
            partner=partner_a, customer=customer, name=name, **fields
        )

    make("Active", approved_at=now - 10 * DAY)  # ends in 80 days
    make("Expiring", approved_at=now - 85 * DAY)  # ends in 5 days
    make("Ended", approved_at=now - 100 * DAY)  # expired 10 days ago
    make("Auto ahead", approved_at=now - 10 * DAY, auto_extend=True)
    # Auto-extending, its recorded end 200 days ago: extended twice since (k = 2).
    make(
        "Auto twice",
        customer=fabrikam,
        created_at=now - 400 * DAY,
        approved_at=now - 290 * DAY,
        auto_extend=True,
    )
    make("Auto once", customer=fabrikam, approved_at=now - 100 * DAY, auto_extend=True)
    make("Waiting", customer=fabrikam, pending=True, finalized_at=now - 5 * DAY)
    make("Lapsed", pending=True, created_at=now - 120 * DAY, finalized_at=now - 100 * DAY)
    make(
        "Terminated",
        status=AdminRelationshipStatus.TERMINATED,
        closed_at=now - 3 * DAY,
    )
    make(
        "Declined",
        customer=fabrikam,
        pending=True,
        status=AdminRelationshipStatus.DECLINED,
        closed_at=now - 2 * DAY,
    )
    make("Draft", customer=None, pending=True, status=AdminRelationshipStatus.CREATED)
    made["theirs"] = AdminRelationshipFactory(partner=partner_b, name="Theirs")
    return made


def everything(api) -> list[dict]:
    return api.get(LIST, {"$top": 500}).json()["value"]


def names(response) -> set[str]:
    assert response.status_code == 200, response.content
    return {r["displayName"] for r in response.json()["value"]}


# --- An oracle: the filter evaluated over the answers' own JSON -----------------------------


def _value_of(body: dict, node):
    if isinstance(node, ast.Identifier):
        return body.get(node.name)
    owner = _value_of(body, node.owner)
    return None if owner is None else owner.get(node.attr)


def _literal(node, like):
    if isinstance(node, ast.Null):
        return None
    if isinstance(node, ast.DateTime):
        return node.py_val
    return node.val if isinstance(node, ast.GUID) else node.py_val


def _as(value, like):
    if isinstance(like, dt.datetime) and isinstance(value, str):
        return dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    return value


OPS = {
    ast.Eq: operator.eq,
    ast.NotEq: operator.ne,
    ast.Lt: operator.lt,
    ast.LtE: operator.le,
    ast.Gt: operator.gt,
    ast.GtE: operator.ge,
}


def holds(body: dict, node) -> bool:
    if isinstance(node, ast.BoolOp):
        left, right = holds(body, node.left), holds(body, node.right)
        return (left and right) if isinstance(node.op, ast.And) else (left or right)
    if isinstance(node, ast.UnaryOp):
        return not holds(body, node.operand)
    if isinstance(node, ast.Call):
        value = _value_of(body, node.args[0])
        return value is not None and value.startswith(node.args[1].py_val)
    value = _value_of(body, node.left)
    if isinstance(node.comparator, ast.In):
        return value in [_literal(item, value) for item in node.right.val]
    literal = _literal(node.right, value)
    value = _as(value, literal)
    if isinstance(node.comparator, ast.Eq | ast.NotEq):
        return OPS[type(node.comparator)](value, literal)
    if value is None or literal is None:
        return False
    return OPS[type(node.comparator)](value, literal)


def oracle(bodies: list[dict], text: str) -> set[str]:
    tree = ODataParser().parse(ODataLexer().tokenize(text))
    return {b["displayName"] for b in bodies if holds(b, tree)}


def odata_time(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")


# --- $filter ---------------------------------------------------------------------------------


class TestFilter:
    def test_status_eq_active_is_only_the_active(self, api, world):
        response = api.get(LIST, {"$filter": "status eq 'active'"})
        assert names(response) == {"Active", "Expiring", "Auto ahead", "Auto twice", "Auto once"}
        assert_matches(LIST, "get", response)

    @pytest.mark.parametrize(
        "text",
        [
            "status eq 'terminated'",
            "status ne 'active'",
            "status in ('expired', 'approvalPending')",
            "not (status eq 'active') and displayName ne 'Draft'",
            "startswith(displayName, 'Auto')",
            "startswith(customer/displayName, 'Fab') or displayName eq 'Draft'",
            "autoExtendDuration eq 'P180D'",
            "endDateTime eq null",
            "endDateTime ne null and status eq 'active'",
            "activatedDateTime eq null",
        ],
    )
    def test_each_filter_keeps_what_it_says(self, api, world, text):
        bodies = everything(api)
        assert names(api.get(LIST, {"$filter": text})) == oracle(bodies, text)

    def test_a_customer_and_times(self, api, world):
        fabrikam = world["Auto twice"].customer_id
        bodies = everything(api)
        for text in (
            f"customer/tenantId eq '{fabrikam}'",
            f"customer/tenantId eq {fabrikam}",
            f"customer/tenantId ne '{fabrikam}'",
            f"createdDateTime lt {odata_time(timezone.now() - 50 * DAY)}",
        ):
            assert names(api.get(LIST, {"$filter": text})) == oracle(bodies, text), text

    def test_end_date_time_is_the_end_shown_auto_extension_included(self, api, world):
        """An auto-extending relationship's end moves on by itself: `endDateTime` filters on the
        end the answer shows, not on the one recorded."""
        bodies = {b["displayName"]: b for b in everything(api)}
        shown = bodies["Auto twice"]["endDateTime"]
        assert dt.datetime.fromisoformat(shown) > timezone.now()
        assert names(api.get(LIST, {"$filter": f"endDateTime eq {shown}"})) == {"Auto twice"}
        # Auto twice now ends in 160 days, Auto once in 170.
        soon = odata_time(timezone.now() + 165 * DAY)
        text = f"endDateTime lt {soon} and status eq 'active'"
        expected = oracle(list(bodies.values()), text)
        assert "Auto twice" in expected and "Auto once" not in expected
        assert names(api.get(LIST, {"$filter": text})) == expected

    @pytest.mark.parametrize(
        ("text", "message"),
        [
            ("roles eq 'x'", "Filter on one of: id, displayName, status"),
            ("status lt 'active'", "status can't be compared with lt"),
            ("status eq 'approved'", "status takes one of: 'created', 'approvalPending'"),
            ("displayName eq 3", "displayName takes a string in quotes."),
            ("createdDateTime gt '2026-01-01'", "createdDateTime takes a date and time"),
            ("customer/tenantId eq 'nope'", "customer/tenantId takes a GUID."),
            ("contains(displayName, 'a')", "The function contains is not supported here."),
            ("duration add 1 eq 2", "Filter on one of"),
            ("status eq", "The $filter is not an OData expression."),
            ("displayName eq 'a' and", "The $filter is not an OData expression."),
        ],
    )
    def test_what_it_cant_answer_exactly_is_a_400_never_ignored(self, api, world, text, message):
        response = api.get(LIST, {"$filter": text})
        assert response.status_code == 400
        error = graph_error(response)
        assert error["field"] == "$filter"
        assert error["description"].startswith(message), error["description"]
        assert_matches(LIST, "get", response)

    @pytest.mark.parametrize("option", ["$search", "$skip", "$expand", "$format", "$apply"])
    def test_an_unsupported_option_is_a_400(self, api, world, option):
        response = api.get(LIST, {option: "x"})
        assert response.status_code == 400
        assert graph_error(response)["field"] == option

    def test_a_filtered_page_costs_a_fixed_number_of_queries(
        self, api, world, partner_a, django_assert_num_queries
    ):
        api.get(LIST)  # last-used written once a minute: not in the count
        text = "status eq 'active' and startswith(displayName, 'A')"
        # The list's 9, and one to count.
        with django_assert_num_queries(3 + RATE_QUERIES):
            api.get(LIST, {"$filter": text, "$count": "true"})
        for n in range(30):
            AdminRelationshipFactory(partner=partner_a, name=f"Another {n}")
        with django_assert_num_queries(3 + RATE_QUERIES):
            response = api.get(LIST, {"$filter": text, "$count": "true"})
        assert response.json()["@odata.count"] == 34  # 4 of the world's, and 30 more

    def test_another_partners_never_match(self, api, world):
        theirs = world["theirs"]
        response = api.get(LIST, {"$filter": f"id eq {theirs.pk} or displayName eq 'Theirs'"})
        assert names(response) == set()


# A grammar of the filters the allow-list takes, for hypothesis.
STATUSES = ["created", "approvalPending", "active", "expired", "terminated"]
NAMES = ["Active", "Auto", "Auto twice", "Draft", "Ex", "Theirs", "W"]


@st.composite
def terms(draw):
    now = timezone.now()
    moment = odata_time(
        now + draw(st.integers(-400, 400)) * DAY + draw(st.integers(0, 3)) * DAY / 7
    )
    choice = draw(st.integers(0, 8))
    comparator = draw(st.sampled_from(["eq", "ne", "lt", "le", "gt", "ge"]))
    if choice == 0:
        return f"status {draw(st.sampled_from(['eq', 'ne']))} '{draw(st.sampled_from(STATUSES))}'"
    if choice == 1:
        # odata-query reads ('x') as a parenthesized value, not a list: in takes two or more.
        chosen = draw(st.lists(st.sampled_from(STATUSES), min_size=2, max_size=3))
        return "status in (" + ", ".join(f"'{s}'" for s in chosen) + ")"
    if choice == 2:
        return f"displayName {draw(st.sampled_from(['eq', 'ne']))} '{draw(st.sampled_from(NAMES))}'"
    if choice == 3:
        return f"startswith(displayName, '{draw(st.sampled_from(NAMES))}')"
    if choice == 4:
        return f"createdDateTime {comparator} {moment}"
    if choice == 5:
        return f"endDateTime {comparator} {moment}"
    if choice == 6:
        return f"endDateTime {draw(st.sampled_from(['eq', 'ne']))} null"
    if choice == 7:
        return f"autoExtendDuration eq '{draw(st.sampled_from(['P180D', 'PT0S']))}'"
    return f"activatedDateTime {comparator} {moment}"


filters = st.recursive(
    terms(),
    lambda inner: st.one_of(
        st.tuples(inner, st.sampled_from(["and", "or"]), inner).map(
            lambda t: f"({t[0]}) {t[1]} ({t[2]})"
        ),
        inner.map(lambda t: f"not ({t})"),
    ),
    max_leaves=4,
)


@settings(
    max_examples=60,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(text=filters)
def test_fuzzed_filters_keep_exactly_what_they_say(api, world, text):
    bodies = everything(api)
    response = api.get(LIST, {"$filter": text})
    assert response.status_code == 200, (text, response.content)
    assert names(response) == oracle(bodies, text), text


@settings(
    max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(text=st.text(max_size=120))
def test_any_filter_text_is_an_answer_or_a_400(api, world, text):
    response = api.get(LIST, {"$filter": text})
    assert response.status_code in (200, 400), (text, response.content)
    if response.status_code == 400:
        assert graph_error(response)["field"] == "$filter"


# --- The other options -----------------------------------------------------------------------


class TestOptions:
    def test_select_keeps_what_was_asked_and_the_id(self, api, world):
        response = api.get(LIST, {"$select": "displayName,status", "$top": 2})
        assert [set(r) for r in response.json()["value"]] == [{"id", "displayName", "status"}] * 2
        one = api.get(f"{LIST}/{world['Active'].pk}", {"$select": "endDateTime"}).json()
        assert set(one) == {"id", "endDateTime"}
        bad = api.get(LIST, {"$select": "displayName,roles"})
        assert bad.status_code == 400 and graph_error(bad)["field"] == "$select"

    def test_orderby_and_count(self, api, world):
        response = api.get(LIST, {"$orderby": "displayName asc", "$count": "true", "$top": 3})
        body = response.json()
        assert body["@odata.count"] == 11
        assert [r["displayName"] for r in body["value"]] == ["Active", "Auto ahead", "Auto once"]
        assert body["@odata.context"].startswith("http://testserver/v1/$metadata#")
        rest = api.get(body["@odata.nextLink"]).json()
        assert [r["displayName"] for r in rest["value"]] == ["Auto twice", "Declined", "Draft"]
        for bad in ("roles desc", "displayName sideways", "displayName,status"):
            response = api.get(LIST, {"$orderby": bad})
            assert response.status_code == 400 and graph_error(response)["field"] == "$orderby"

    def test_next_link_is_absolute_and_keeps_the_query(self, api, world):
        first = api.get(LIST, {"$filter": "status eq 'active'", "$top": 2}).json()
        link = first["@odata.nextLink"]
        assert link.startswith(
            "http://testserver/v1/tenantRelationships/delegatedAdminRelationships?"
        )
        assert "$filter=status" in link and "$top=2" in link
        seen = [r["displayName"] for r in first["value"]]
        while link:
            page = api.get(link).json()
            seen += [r["displayName"] for r in page["value"]]
            link = page.get("@odata.nextLink")
        assert sorted(seen) == ["Active", "Auto ahead", "Auto once", "Auto twice", "Expiring"]

    @pytest.mark.parametrize("top", ["0", "501", "²", "1.5", "-1", "", "١٢"])
    def test_top_outside_1_to_500_is_a_400(self, api, world, top):
        response = api.get(LIST, {"$top": top})
        assert response.status_code == 400
        assert graph_error(response)["field"] == "$top"

    @pytest.mark.parametrize("token", ["nonsense", "WyJuIiwgWzFdXQ", "x" * 2000])
    def test_a_skiptoken_it_did_not_give_is_a_400(self, api, world, token):
        response = api.get(LIST, {"$skiptoken": token})
        assert response.status_code == 400
        assert graph_error(response)["field"] == "$skiptoken"

    def test_count_takes_true_or_false(self, api, world):
        response = api.get(LIST, {"$count": "yes"})
        assert response.status_code == 400 and graph_error(response)["field"] == "$count"


# --- Requests and operations -----------------------------------------------------------------


class TestRequestsAndOperations:
    def test_each_request_has_an_id_that_reads_back(self, api, partner_a, customer):
        ResellerRelationshipFactory(partner=partner_a, customer=customer)
        made = api.post(
            LIST,
            {
                "displayName": "Helpdesk",
                "duration": "P730D",
                "customer": {"tenantId": str(customer.pk)},
                "accessDetails": {"unifiedRoles": [{"roleDefinitionId": r} for r in DEFAULT_ROLES]},
            },
            format="json",
        ).json()
        requests = f"{LIST}/{made['id']}/requests"
        lock = api.post(requests, {"action": "lockForApproval"}, format="json")
        assert lock.status_code == 201
        assert_matches(LIST + "/{relationship_id}/requests", "post", lock)
        lock = lock.json()
        assert lock["action"] == "lockForApproval" and lock["status"] == "succeeded"
        again = api.get(f"{requests}/{lock['id']}")
        assert again.status_code == 200 and again.json() == lock
        listed = api.get(requests)
        assert listed.json()["value"] == [lock]
        assert_matches(LIST + "/{relationship_id}/requests", "get", listed)
        assert api.get(f"{requests}/999999").status_code == 404

    def test_the_customers_answer_and_a_termination_are_requests_too(self, api, world):
        relationship = world["Active"]
        terminate = api.post(
            f"{LIST}/{relationship.pk}/requests", {"action": "terminate"}, format="json"
        ).json()
        listed = api.get(f"{LIST}/{relationship.pk}/requests").json()["value"]
        assert [r["action"] for r in listed] == ["terminate"]
        assert listed[0]["id"] == terminate["id"]

    def test_operations_list_the_changes_of_an_active_relationship(
        self, api, partner_a, admin_agent
    ):
        relationship = AdminRelationshipFactory(
            partner=partner_a, roles=sorted([*DEFAULT_ROLES, GLOBAL_ADMINISTRATOR])
        )
        group = SecurityGroupFactory(partner=partner_a)
        services.access_assignment_create(
            relationship=relationship,
            group=group,
            roles=[GLOBAL_ADMINISTRATOR],
            created_by=admin_agent,
        )
        removed = api.patch(
            f"{LIST}/{relationship.pk}",
            {"accessDetails": {"unifiedRoles": [{"roleDefinitionId": r} for r in DEFAULT_ROLES]}},
            format="json",
        )
        assert removed.status_code == 200
        operations = api.get(f"{LIST}/{relationship.pk}/operations")
        assert operations.status_code == 200
        assert_matches(LIST + "/{relationship_id}/operations", "get", operations)
        kinds = [o["operationType"] for o in operations.json()["value"]]
        assert kinds[0] == "delegatedAdminAccessAssignmentUpdate"
        assert "delegatedAdminRelationshipUpdate" in kinds
        first = operations.json()["value"][0]
        assert api.get(f"{LIST}/{relationship.pk}/operations/{first['id']}").json() == first

    def test_another_partners_requests_are_a_404(self, api, world):
        theirs = world["theirs"]
        assert api.get(f"{LIST}/{theirs.pk}/requests").status_code == 404
        assert api.get(f"{LIST}/{theirs.pk}/operations").status_code == 404


# --- One error shape everywhere under /v1/ ---------------------------------------------------


class TestErrorsEverywhere:
    @pytest.mark.parametrize(
        "path",
        [
            "/v1/nothing-here",
            "/v1/customers/not-a-guid",
            "/v1/customers/00000000-0000-4000-8000-000000000000/nothing",
            "/v1/tenantRelationships/delegatedAdminRelationships/not-a-guid",
            "/v1/tenantRelationships/nothing",
        ],
    )
    def test_unknown_paths_and_malformed_ids_are_json_404s(self, api, path):
        response = api.get(path)
        assert response.status_code == 404
        assert response["Content-Type"] == "application/json"
        if path.startswith("/v1/tenantRelationships/"):
            assert graph_error(response)["code"] == "itemNotFound"
        else:
            assert response.json()["code"] == "not_found"

    def test_methods_not_allowed_and_no_key_in_each_shape(self, api, client):
        graph = api.delete(LIST)
        assert graph.status_code == 405 and graph_error(graph)["code"] == "notSupported"
        assert "GET" in graph["Allow"]
        partner_center = api.delete("/v1/customers")
        assert partner_center.status_code == 405
        assert partner_center.json()["code"] == "method_not_allowed"
        anonymous = client.get(LIST)
        assert anonymous.status_code == 401
        assert graph_error(anonymous)["code"] == "unauthenticated"

    def test_request_ids_are_echoed(self, api):
        response = api.get(LIST, HTTP_CLIENT_REQUEST_ID="5f0e2c4a-1111-4222-8333-944455556666")
        assert response["client-request-id"] == "5f0e2c4a-1111-4222-8333-944455556666"
        assert re.fullmatch(r"[0-9a-f-]{36}", response["request-id"])
        partner_center = api.get(
            "/v1/customers", HTTP_MS_REQUESTID="abc-1", HTTP_MS_CORRELATIONID="def-2"
        )
        assert partner_center["MS-RequestId"] == "abc-1"
        assert partner_center["MS-CorrelationId"] == "def-2"
        fresh = api.get("/v1/customers", HTTP_MS_REQUESTID="bad value\twith tab")
        assert re.fullmatch(r"[0-9a-f-]{36}", fresh["MS-RequestId"])

    def test_a_partner_center_continuation_token_it_did_not_give_is_a_400(self, api):
        response = api.get("/v1/customers", HTTP_MS_CONTINUATIONTOKEN="garbage")
        assert response.status_code == 400
        assert response.json()["field"] == "MS-ContinuationToken"


def test_the_sdk_duration_form_is_read_as_days(api, customer):
    body = {
        "displayName": "From the SDK",
        "duration": "730 days, 0:00:00",
        "autoExtendDuration": "180 days, 0:00:00",
        "accessDetails": {"unifiedRoles": [{"roleDefinitionId": r} for r in DEFAULT_ROLES]},
    }
    response = api.post(LIST, body, format="json")
    assert response.status_code == 201, response.content
    assert response.json()["duration"] == "P730D"
    assert response.json()["autoExtendDuration"] == "P180D"
    relationship = AdminRelationship.objects.get(name="From the SDK")
    assert relationship.duration_days == 730 and relationship.auto_extend
    for bad in ("730 days, 1:00:00", "P730DT", "P1Y", "PT12H"):
        response = api.post(LIST, body | {"displayName": "x", "duration": bad}, format="json")
        assert response.status_code == 400, bad
        assert graph_error(response)["field"] == "duration"
