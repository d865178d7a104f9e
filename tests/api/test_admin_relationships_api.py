"""The API's admin relationships, in Microsoft Graph's shapes: create, list, get, lock for
approval or terminate, and the roles security groups hold through them."""

from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from tenancy.choices import AssignmentState
from tenancy.models import (
    DEFAULT_ROLES,
    GLOBAL_ADMINISTRATOR,
    HELPDESK_ADMINISTRATOR,
    AccessAssignment,
    AdminRelationship,
    AdminRelationshipStatus,
    AuditAction,
    AuditEvent,
    Role,
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
ONE = LIST + "/{relationship_id}"
REQUESTS = ONE + "/requests"
ASSIGNMENTS = ONE + "/accessAssignments"
MANAGE_403 = (
    "Only Admin agents can request, withdraw or terminate admin relationships and give "
    "security groups their roles."
)


def at(path: str, relationship) -> str:
    return path.format(relationship_id=relationship.pk)


def roles(*ids) -> dict:
    return {"unifiedRoles": [{"roleDefinitionId": role} for role in ids]}


def request_body(**changes) -> dict:
    return {
        "displayName": "Helpdesk for Northwind",
        "duration": "P730D",
        "accessDetails": roles(*DEFAULT_ROLES),
        "autoExtendDuration": "P180D",
    } | changes


@pytest.fixture
def sales_api(app_key):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {app_key(Role.SALES_AGENT)}")
    return client


@pytest.fixture
def reseller(partner_a, customer):
    return ResellerRelationshipFactory(partner=partner_a, customer=customer)


@pytest.fixture
def active(partner_a, customer):
    """An active relationship of partner A in the customer, with the default roles."""
    return AdminRelationshipFactory(partner=partner_a, customer=customer, name="Northwind daily")


@pytest.fixture
def theirs(partner_b):
    return AdminRelationshipFactory(partner=partner_b, name="Litware's")


def assert_audited_as_the_app(action, relationship_id):
    event = AuditEvent.objects.get(action=action)
    assert event.details["relationship"] == str(relationship_id)
    assert event.actor.partner_app.name == "Contoso automation"
    return event


class TestCreate:
    def test_it_creates_a_request_with_the_pages_service(self, api, partner_a, customer, reseller):
        body = request_body(customer={"tenantId": str(customer.pk)})
        response = api.post(LIST, body, format="json")
        assert response.status_code == 201
        created = response.json()
        assert created["status"] == "created"
        assert created["duration"] == "P730D"
        assert created["autoExtendDuration"] == "P180D"
        assert created["customer"] == {
            "tenantId": str(customer.pk),
            "displayName": "Northwind Traders",
        }
        assert {r["roleDefinitionId"] for r in created["accessDetails"]["unifiedRoles"]} == set(
            DEFAULT_ROLES
        )
        assert_matches(LIST, "post", response)
        relationship = AdminRelationship.objects.get()
        assert str(relationship.pk) == created["id"]
        assert (relationship.partner, relationship.customer) == (partner_a, customer)
        assert relationship.status == AdminRelationshipStatus.CREATED and relationship.auto_extend
        event = assert_audited_as_the_app(AuditAction.ADMIN_CREATED, relationship.pk)
        assert event.details["duration_days"] == 730

    def test_a_request_for_any_customer_has_none(self, api):
        response = api.post(
            LIST, request_body(duration="P90D", autoExtendDuration="PT0S"), format="json"
        )
        assert response.status_code == 201
        assert "customer" not in response.json()
        assert response.json()["autoExtendDuration"] == "PT0S"

    @pytest.mark.parametrize(
        ("changes", "field", "message"),
        [
            ({"displayName": " "}, "displayName", "Enter a name for the admin relationship."),
            ({"displayName": "x" * 51}, "displayName", "Use at most 50 characters"),
            ({"duration": "730"}, "duration", "ISO 8601 days"),
            ({"duration": "P731D"}, "duration", "from P1D to P730D."),
            ({"accessDetails": roles()}, "accessDetails", "Select at least one"),
            ({"accessDetails": roles("made-up")}, "accessDetails", "Unknown Microsoft Entra"),
            (
                {"accessDetails": roles(GLOBAL_ADMINISTRATOR)},
                "autoExtendDuration",
                "can't extend automatically",
            ),
            ({"autoExtendDuration": "P1Y"}, "autoExtendDuration", "Use P180D or PT0S."),
        ],
    )
    def test_each_problem_is_a_field_error(self, api, changes, field, message):
        response = api.post(LIST, request_body(**changes), format="json")
        assert response.status_code == 400
        assert graph_error(response)["field"] == field
        assert message in graph_error(response)["description"]
        assert_matches(LIST, "post", response)
        assert not AdminRelationship.objects.exists()

    def test_a_customer_that_is_nobodys_is_a_404_naming_the_field(self, api):
        body = request_body(customer={"tenantId": "00000000-0000-4000-8000-000000000000"})
        response = api.post(LIST, body, format="json")
        assert response.status_code == 404
        assert graph_error(response) == {
            "code": "itemNotFound",
            "description": "Choose one of your customers, or request the relationship for any "
            "customer.",
            "field": "customer",
        }
        assert_matches(LIST, "post", response)
        assert not AdminRelationship.objects.exists()

    def test_another_partners_customer_is_not_yours_to_name(self, api, partner_b):
        theirs = CustomerFactory()
        ResellerRelationshipFactory(partner=partner_b, customer=theirs)
        response = api.post(
            LIST, request_body(customer={"tenantId": str(theirs.pk)}), format="json"
        )
        assert response.status_code == 404  # as another partner's objects are anywhere
        assert graph_error(response)["field"] == "customer"

    def test_a_name_in_use_is_refused_as_the_page_does(self, api, active):
        response = api.post(LIST, request_body(displayName="northwind DAILY"), format="json")
        assert response.status_code == 409  # the data's conflict, not a malformed request
        assert graph_error(response)["code"] == "name_taken"
        assert graph_error(response)["description"].startswith(
            "Your organization already has an admin relationship named “northwind DAILY”."
        )

    def test_a_sales_app_gets_the_pages_403(self, sales_api):
        response = sales_api.post(LIST, request_body(), format="json")
        assert response.status_code == 403
        assert graph_error(response)["description"] == MANAGE_403
        assert_matches(LIST, "post", response)
        assert not AdminRelationship.objects.exists()


class TestListAndGet:
    def test_it_lists_only_own_relationships_a_page_at_a_time(
        self, api, partner_a, theirs, django_assert_num_queries
    ):
        start = timezone.now() - timedelta(days=50)
        for n in range(5):
            AdminRelationshipFactory(
                partner=partner_a, name=f"Relationship {n}", created_at=start + timedelta(days=n)
            )
        api.get(LIST)  # last-used written once a minute: not in the count
        # The key with its app, principal and membership; the app's rate (one statement);
        # the page.
        with django_assert_num_queries(2 + RATE_QUERIES):
            first = api.get(LIST, {"$top": 2})
        assert first.status_code == 200
        assert [r["displayName"] for r in first.json()["value"]] == [
            "Relationship 4",
            "Relationship 3",
        ]
        assert_matches(LIST, "get", first)
        next_link = first.json()["@odata.nextLink"]
        assert next_link.startswith(f"http://testserver{LIST}?$top=2&$skiptoken=")
        with django_assert_num_queries(2 + RATE_QUERIES):
            second = api.get(next_link)
        assert [r["displayName"] for r in second.json()["value"]] == [
            "Relationship 2",
            "Relationship 1",
        ]
        last = api.get(second.json()["@odata.nextLink"]).json()
        assert [r["displayName"] for r in last["value"]] == ["Relationship 0"]
        assert "@odata.nextLink" not in last

    def test_statuses_read_as_graphs(self, api, partner_a):
        now = timezone.now()
        AdminRelationshipFactory(partner=partner_a, name="Active")
        AdminRelationshipFactory(
            partner=partner_a, name="Expiring", approved_at=now - timedelta(days=80)
        )
        AdminRelationshipFactory(
            partner=partner_a, name="Expired", approved_at=now - timedelta(days=100)
        )
        AdminRelationshipFactory(partner=partner_a, name="Pending", pending=True)
        AdminRelationshipFactory(
            partner=partner_a,
            name="Declined",
            status=AdminRelationshipStatus.DECLINED,
            approved_at=None,
            ends_at=None,
            closed_at=now,
        )
        statuses = {r["displayName"]: r["status"] for r in api.get(LIST).json()["value"]}
        assert statuses == {
            "Active": "active",
            "Expiring": "active",
            "Expired": "expired",
            "Pending": "approvalPending",
            "Declined": "terminated",
        }

    def test_a_bad_top_is_a_field_error(self, api):
        response = api.get(LIST, {"$top": "0"})
        assert response.status_code == 400
        assert graph_error(response)["field"] == "$top"

    def test_one_relationship(self, sales_api, active):
        response = sales_api.get(at(ONE, active))
        assert response.status_code == 200
        body = response.json()
        assert body["displayName"] == "Northwind daily"
        assert body["status"] == "active"
        assert body["duration"] == "P90D"
        assert body["autoExtendDuration"] == "PT0S"
        assert "activatedDateTime" in body and "endDateTime" in body
        assert_matches(ONE, "get", response)

    def test_another_partners_relationship_is_a_404(self, api, theirs):
        response = api.get(at(ONE, theirs))
        assert response.status_code == 404
        assert_matches(ONE, "get", response)


class TestRequests:
    def test_lock_for_approval_finalizes_the_request(self, api):
        created = api.post(LIST, request_body(), format="json").json()
        relationship = AdminRelationship.objects.get()
        response = api.post(
            at(REQUESTS, relationship), {"action": "lockForApproval"}, format="json"
        )
        assert response.status_code == 201
        assert response.json()["action"] == "lockForApproval"
        assert response.json()["status"] == "succeeded"
        assert_matches(REQUESTS, "post", response)
        relationship.refresh_from_db()
        assert (
            relationship.status == AdminRelationshipStatus.APPROVAL_PENDING and relationship.link()
        )
        assert_audited_as_the_app(AuditAction.ADMIN_FINALIZED, created["id"])
        assert api.get(at(ONE, relationship)).json()["status"] == "approvalPending"

    def test_locking_twice_is_refused_with_the_pages_sentence(self, api, partner_a):
        pending = AdminRelationshipFactory(partner=partner_a, pending=True)
        response = api.post(at(REQUESTS, pending), {"action": "lockForApproval"}, format="json")
        assert response.status_code == 409
        assert graph_error(response) == {
            "code": "not_created",
            "description": "This request is waiting for the customer's approval.",
        }
        assert_matches(REQUESTS, "post", response)

    def test_terminate_ends_it_and_its_assignments(self, api, active):
        AccessAssignment.objects.create(
            relationship=active, group=SecurityGroupFactory(partner=active.partner), roles=["x"]
        )
        response = api.post(at(REQUESTS, active), {"action": "terminate"}, format="json")
        assert response.status_code == 201
        active.refresh_from_db()
        assert active.status == AdminRelationshipStatus.TERMINATED
        assert not AccessAssignment.objects.filter(removed_at__isnull=True).exists()
        event = assert_audited_as_the_app(AuditAction.ADMIN_TERMINATED, active.pk)
        assert event.details["side"] == "partner"
        assert api.get(at(ONE, active)).json()["status"] == "terminated"

    def test_terminating_a_request_not_yet_approved_is_refused(self, api, partner_a):
        pending = AdminRelationshipFactory(partner=partner_a, pending=True)
        response = api.post(at(REQUESTS, pending), {"action": "terminate"}, format="json")
        assert response.status_code == 409
        assert graph_error(response)["description"] == (
            "This request is waiting for the customer's approval."
        )

    @pytest.mark.parametrize("body", [{"action": "approve"}, {}, {"action": 7}])
    def test_another_action_is_a_field_error(self, api, active, body):
        response = api.post(at(REQUESTS, active), body, format="json")
        assert response.status_code == 400
        assert graph_error(response)["field"] == "action"

    def test_a_sales_app_gets_the_pages_403(self, sales_api, active):
        response = sales_api.post(at(REQUESTS, active), {"action": "terminate"}, format="json")
        assert response.status_code == 403
        assert graph_error(response)["description"] == MANAGE_403
        active.refresh_from_db()
        assert active.status == AdminRelationshipStatus.ACTIVE

    def test_another_partners_relationship_is_a_404(self, api, theirs):
        response = api.post(at(REQUESTS, theirs), {"action": "terminate"}, format="json")
        assert response.status_code == 404
        theirs.refresh_from_db()
        assert theirs.status == AdminRelationshipStatus.ACTIVE


class TestAccessAssignments:
    def body(self, group, *role_ids) -> dict:
        return {
            "accessContainer": {
                "accessContainerId": str(group.pk),
                "accessContainerType": "securityGroup",
            },
            "accessDetails": roles(*(role_ids or [HELPDESK_ADMINISTRATOR])),
        }

    def test_it_gives_a_group_roles_and_lists_them(self, api, partner_a, active):
        group = SecurityGroupFactory(partner=partner_a, name="Helpdesk")
        response = api.post(at(ASSIGNMENTS, active), self.body(group), format="json")
        assert response.status_code == 201
        created = response.json()
        assert created["accessContainer"]["accessContainerId"] == str(group.pk)
        assert created["accessDetails"] == roles(HELPDESK_ADMINISTRATOR)
        assert created["status"] == "active"
        assert_matches(ASSIGNMENTS, "post", response)
        assignment = AccessAssignment.objects.get()
        assert (assignment.group, assignment.roles) == (group, [HELPDESK_ADMINISTRATOR])
        event = assert_audited_as_the_app(AuditAction.ASSIGNMENT_CREATED, active.pk)
        assert event.details["group"] == "Helpdesk"
        listed = api.get(at(ASSIGNMENTS, active))
        assert listed.status_code == 200
        assert [a["id"] for a in listed.json()["value"]] == [created["id"]]
        assert_matches(ASSIGNMENTS, "get", listed)

    def test_an_assignment_a_template_could_not_make_reads_as_graphs_error(
        self, api, partner_a, active
    ):
        group = SecurityGroupFactory(partner=partner_a, name="Empty")
        AccessAssignment.objects.create(
            relationship=active,
            group=group,
            roles=[HELPDESK_ADMINISTRATOR],
            state=AssignmentState.FAILED,
            failure="no_members",
        )
        listed = api.get(at(ASSIGNMENTS, active))
        assert [a["status"] for a in listed.json()["value"]] == ["error"]
        assert_matches(ASSIGNMENTS, "get", listed)

    def test_only_an_active_relationship_takes_groups(self, api, partner_a):
        pending = AdminRelationshipFactory(partner=partner_a, pending=True)
        group = SecurityGroupFactory(partner=partner_a)
        response = api.post(at(ASSIGNMENTS, pending), self.body(group), format="json")
        assert response.status_code == 409
        # The Add security group page's sentence.
        assert graph_error(response)["description"] == (
            "Security groups get roles only on an active admin relationship, and this one is "
            "approval pending."
        )
        assert_matches(ASSIGNMENTS, "post", response)
        assert not AccessAssignment.objects.exists()

    def test_a_group_of_another_partner_is_a_404_naming_the_field(self, api, partner_b, active):
        response = api.post(
            at(ASSIGNMENTS, active),
            self.body(SecurityGroupFactory(partner=partner_b)),
            format="json",
        )
        assert response.status_code == 404
        assert graph_error(response) == {
            "code": "itemNotFound",
            "description": "Choose one of your organization's security groups.",
            "field": "accessContainer",
        }

    def test_a_role_the_customer_did_not_approve_is_a_field_error(self, api, partner_a, active):
        group = SecurityGroupFactory(partner=partner_a)
        response = api.post(
            at(ASSIGNMENTS, active), self.body(group, GLOBAL_ADMINISTRATOR), format="json"
        )
        assert response.status_code == 400
        assert graph_error(response)["field"] == "accessDetails"
        assert graph_error(response)["description"].startswith(
            "Not a role of this admin relationship: Global Administrator."
        )

    def test_a_group_that_has_roles_already_is_a_field_error(self, api, partner_a, active):
        group = SecurityGroupFactory(partner=partner_a, name="Helpdesk")
        api.post(at(ASSIGNMENTS, active), self.body(group), format="json")
        response = api.post(at(ASSIGNMENTS, active), self.body(group), format="json")
        assert response.status_code == 400
        assert graph_error(response)["field"] == "accessContainer"
        assert graph_error(response)["description"] == (
            "Helpdesk already has roles in this relationship: edit them."
        )
        assert AccessAssignment.objects.count() == 1

    def test_a_sales_app_reads_but_gets_the_pages_403_to_write(self, sales_api, partner_a, active):
        assert sales_api.get(at(ASSIGNMENTS, active)).status_code == 200
        group = SecurityGroupFactory(partner=partner_a)
        response = sales_api.post(at(ASSIGNMENTS, active), self.body(group), format="json")
        assert response.status_code == 403
        assert graph_error(response)["description"] == MANAGE_403
        assert not AccessAssignment.objects.exists()

    def test_another_partners_relationship_is_a_404(self, api, partner_a, theirs):
        group = SecurityGroupFactory(partner=partner_a)
        assert api.get(at(ASSIGNMENTS, theirs)).status_code == 404
        response = api.post(at(ASSIGNMENTS, theirs), self.body(group), format="json")
        assert response.status_code == 404
        assert not AccessAssignment.objects.exists()
