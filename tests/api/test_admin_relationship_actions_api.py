"""The API's steps on admin relationships already made: the Expiring page's windows as a filter of
the list and as counts, PATCH (auto-extend on or off, removing Global Administrator) on an active
relationship, and upgrading one to its template's latest version."""

from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from tenancy import services
from tenancy.entra_roles import LICENSE_ADMINISTRATOR
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
from tests.api.bulk_fixtures import READER, make_template
from tests.api.queries import RATE_QUERIES
from tests.api.schema import assert_matches, graph_error
from tests.factories import (
    AdminRelationshipFactory,
    ResellerRelationshipFactory,
    SecurityGroupFactory,
)

# A role the relationship doesn't hold.
BILLING = "b0f54661-2d74-4c50-afa3-1ec803f12efe"

pytestmark = pytest.mark.django_db
LIST = "/v1/tenantRelationships/delegatedAdminRelationships"
COUNTS = LIST + "/expiryCounts"
ONE = LIST + "/{relationship_id}"
UPGRADE = ONE + "/upgrade"
MANAGE_403 = (
    "Only Admin agents can request, withdraw or terminate admin relationships and give "
    "security groups their roles."
)
GA_NO_EXTEND = (
    "A relationship that includes Global Administrator can't extend automatically. Remove "
    "Global Administrator first."
)


def at(path: str, relationship) -> str:
    return path.format(relationship_id=relationship.pk)


def roles(*ids) -> dict:
    return {"unifiedRoles": [{"roleDefinitionId": role} for role in ids]}


def ending_in(partner, days: float, **fields) -> AdminRelationship:
    """An active relationship of 90 days that ends `days` from now (negative: ended)."""
    approved = timezone.now() + timedelta(days=days) - timedelta(days=90)
    return AdminRelationshipFactory(
        partner=partner, approved_at=approved, created_at=approved, **fields
    )


@pytest.fixture
def sales_api(app_key):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {app_key(Role.SALES_AGENT)}")
    return client


@pytest.fixture
def active(partner_a, customer):
    """Active, the default roles, ending on its date."""
    return AdminRelationshipFactory(partner=partner_a, customer=customer, name="Northwind daily")


@pytest.fixture
def with_global_admin(partner_a, customer):
    return AdminRelationshipFactory(
        partner=partner_a,
        customer=customer,
        name="Northwind full",
        roles=sorted([*DEFAULT_ROLES, GLOBAL_ADMINISTRATOR]),
    )


@pytest.fixture
def theirs(partner_b):
    return AdminRelationshipFactory(partner=partner_b, name="Litware's")


def audited(action) -> AuditEvent:
    event = AuditEvent.objects.get(action=action)
    assert event.actor.partner_app.name == "Contoso automation"
    return event


class TestExpiringFilter:
    @pytest.fixture
    def windows(self, partner_a, partner_b):
        return {
            "in_5": ending_in(partner_a, 5, name="In 5 days"),
            "in_20": ending_in(partner_a, 20, name="In 20 days"),
            "half_day": ending_in(partner_a, 0.5, name="Within a day"),
            "ended_10": ending_in(partner_a, -10, name="Ended 10 days ago"),
            "ended_200": ending_in(partner_a, -200, name="Ended 200 days ago"),
            # Not in any window: extends by itself; ends later; another partner's.
            "extends": ending_in(partner_a, 5, name="Extends", auto_extend=True),
            "later": ending_in(partner_a, 60, name="In 60 days"),
            "theirs": ending_in(partner_b, 5, name="Litware's"),
        }

    @pytest.mark.parametrize(
        ("window", "names"),
        [
            ("30", ["Within a day", "In 5 days", "In 20 days"]),
            ("7", ["Within a day", "In 5 days"]),
            ("1", ["Within a day"]),
            ("expired_30", ["Ended 10 days ago"]),
            ("expired_365", ["Ended 200 days ago", "Ended 10 days ago"]),
        ],
    )
    def test_each_window_lists_the_expiring_pages_relationships_soonest_end_first(
        self, api, windows, window, names
    ):
        response = api.get(LIST, {"expiring": window})
        assert response.status_code == 200
        assert [r["displayName"] for r in response.json()["value"]] == names
        assert_matches(LIST, "get", response)

    def test_the_next_page_keeps_the_window(self, api, windows, django_assert_num_queries):
        api.get(LIST)  # last-used written once a minute: not in the count
        # As the whole list: the window is the page's query.
        with django_assert_num_queries(2 + RATE_QUERIES):
            first = api.get(LIST, {"expiring": "30", "$top": 2})
        assert [r["displayName"] for r in first.json()["value"]] == ["Within a day", "In 5 days"]
        next_link = first.json()["@odata.nextLink"]
        assert next_link.startswith(f"http://testserver{LIST}?expiring=30&$top=2&$skiptoken=")
        second = api.get(next_link).json()
        assert [r["displayName"] for r in second["value"]] == ["In 20 days"]
        assert "@odata.nextLink" not in second

    def test_an_unknown_window_is_a_field_error(self, api):
        response = api.get(LIST, {"expiring": "90"})
        assert response.status_code == 400
        assert graph_error(response) == {
            "code": "invalidRequest",
            "description": "Use one of: 30, 7, 1, expired_30, expired_365.",
            "field": "expiring",
        }
        assert_matches(LIST, "get", response)

    def test_the_counts_are_the_tiles(self, sales_api, windows):
        response = sales_api.get(COUNTS)
        assert response.status_code == 200
        assert_matches(COUNTS, "get", response)
        value = response.json()["value"]
        assert [(w["window"], w["count"]) for w in value] == [
            ("30", 3),
            ("7", 2),
            ("1", 1),
            ("expired_30", 1),
            ("expired_365", 2),
        ]
        assert value[0]["displayName"] == "Ends in 30 days"
        assert value[3]["link"] == f"{LIST}?expiring=expired_30"

    def test_no_relationships_count_nothing(self, api):
        response = api.get(COUNTS)
        assert {w["count"] for w in response.json()["value"]} == {0}


class TestAutoExtend:
    def test_it_turns_auto_extend_on(self, api, active):
        response = api.patch(at(ONE, active), {"autoExtendDuration": "P180D"}, format="json")
        assert response.status_code == 200, response.json()
        assert response.json()["autoExtendDuration"] == "P180D"
        assert_matches(ONE, "patch", response)
        active.refresh_from_db()
        assert active.auto_extend
        assert audited(AuditAction.ADMIN_AUTO_EXTEND_CHANGED).details["auto_extend"] is True

    def test_it_turns_auto_extend_off_and_the_relationship_ends_on_its_date(self, api, partner_a):
        extending = AdminRelationshipFactory(partner=partner_a, auto_extend=True)
        response = api.patch(at(ONE, extending), {"autoExtendDuration": "PT0S"}, format="json")
        assert response.status_code == 200
        assert response.json()["autoExtendDuration"] == "PT0S"
        extending.refresh_from_db()
        assert not extending.auto_extend
        assert response.json()["endDateTime"].startswith(f"{extending.ends_at:%Y-%m-%d}")

    def test_global_administrator_held_is_refused_with_the_pages_sentence(
        self, api, with_global_admin
    ):
        response = api.patch(
            at(ONE, with_global_admin), {"autoExtendDuration": "P180D"}, format="json"
        )
        assert response.status_code == 409
        assert graph_error(response) == {
            "code": "global_administrator",
            "description": GA_NO_EXTEND,
        }
        assert_matches(ONE, "patch", response)
        with_global_admin.refresh_from_db()
        assert not with_global_admin.auto_extend

    @pytest.mark.parametrize(
        ("fields", "status"),
        [({"pending": True}, "approval pending"), ({"status": "created"}, "created")],
    )
    def test_a_relationship_not_active_is_refused(self, api, partner_a, fields, status):
        if "status" in fields:
            fields = fields | {"approved_at": None, "ends_at": None, "finalized_at": None}
        waiting = AdminRelationshipFactory(partner=partner_a, **fields)
        response = api.patch(at(ONE, waiting), {"autoExtendDuration": "P180D"}, format="json")
        assert response.status_code == 409
        assert graph_error(response)["description"] == (
            f"Only an active admin relationship can be changed; this one is {status}."
        )
        waiting.refresh_from_db()
        assert not waiting.auto_extend

    def test_a_value_it_has_already_changes_nothing(self, api, active):
        response = api.patch(at(ONE, active), {"autoExtendDuration": "PT0S"}, format="json")
        assert response.status_code == 200
        assert not AuditEvent.objects.filter(action=AuditAction.ADMIN_AUTO_EXTEND_CHANGED).exists()

    @pytest.mark.parametrize(
        ("body", "field", "message"),
        [
            ({"autoExtendDuration": "P1Y"}, "autoExtendDuration", "Use P180D or PT0S."),
            ({}, "autoExtendDuration", "Give autoExtendDuration, or accessDetails"),
            ({"displayName": "New name"}, "displayName", "Only autoExtendDuration, and"),
            ({"duration": "P30D"}, "duration", "Only autoExtendDuration, and"),
            ({"status": "terminated"}, "status", "This field is not part of the request."),
        ],
    )
    def test_bad_input_is_a_field_error(self, api, active, body, field, message):
        response = api.patch(at(ONE, active), body, format="json")
        assert response.status_code == 400
        assert graph_error(response)["field"] == field
        assert message in graph_error(response)["description"]
        assert_matches(ONE, "patch", response)

    def test_a_sales_app_reads_but_gets_the_pages_403_to_change(self, sales_api, active):
        assert sales_api.get(at(ONE, active)).status_code == 200
        response = sales_api.patch(at(ONE, active), {"autoExtendDuration": "P180D"}, format="json")
        assert response.status_code == 403
        assert graph_error(response)["description"] == MANAGE_403
        assert_matches(ONE, "patch", response)
        active.refresh_from_db()
        assert not active.auto_extend

    def test_another_partners_relationship_is_a_404(self, api, theirs):
        response = api.patch(at(ONE, theirs), {"autoExtendDuration": "P180D"}, format="json")
        assert response.status_code == 404
        assert_matches(ONE, "patch", response)
        theirs.refresh_from_db()
        assert not theirs.auto_extend


class TestRemoveGlobalAdministrator:
    def test_its_roles_less_global_administrator_remove_it_from_it_and_its_groups(
        self, api, partner_a, with_global_admin
    ):
        holding = AccessAssignment.objects.create(
            relationship=with_global_admin,
            group=SecurityGroupFactory(partner=partner_a),
            roles=[GLOBAL_ADMINISTRATOR, HELPDESK_ADMINISTRATOR],
        )
        response = api.patch(
            at(ONE, with_global_admin), {"accessDetails": roles(*DEFAULT_ROLES)}, format="json"
        )
        assert response.status_code == 200, response.json()
        assert_matches(ONE, "patch", response)
        granted = {r["roleDefinitionId"] for r in response.json()["accessDetails"]["unifiedRoles"]}
        assert granted == set(DEFAULT_ROLES)
        with_global_admin.refresh_from_db()
        holding.refresh_from_db()
        assert GLOBAL_ADMINISTRATOR not in with_global_admin.roles
        assert holding.roles == [HELPDESK_ADMINISTRATOR]
        assert audited(AuditAction.ADMIN_ROLE_REMOVED).details["assignments_changed"] == 1

    def test_removing_it_and_turning_auto_extend_on_at_once(self, api, with_global_admin):
        response = api.patch(
            at(ONE, with_global_admin),
            {"accessDetails": roles(*DEFAULT_ROLES), "autoExtendDuration": "P180D"},
            format="json",
        )
        assert response.status_code == 200, response.json()
        with_global_admin.refresh_from_db()
        assert with_global_admin.auto_extend
        assert GLOBAL_ADMINISTRATOR not in with_global_admin.roles

    def test_the_same_roles_change_nothing(self, api, active):
        response = api.patch(
            at(ONE, active), {"accessDetails": roles(*reversed(DEFAULT_ROLES))}, format="json"
        )
        assert response.status_code == 200
        assert not AuditEvent.objects.filter(action=AuditAction.ADMIN_ROLE_REMOVED).exists()

    @pytest.mark.parametrize(
        "wanted",
        [
            [*DEFAULT_ROLES, LICENSE_ADMINISTRATOR, GLOBAL_ADMINISTRATOR, READER, BILLING],
            [READER],  # Global Administrator and others
            sorted([*DEFAULT_ROLES, GLOBAL_ADMINISTRATOR, "f2ef992c-3afb-46b9-b7cf-a126ee74c451"]),
        ],
    )
    def test_any_other_change_of_roles_is_a_field_error(self, api, with_global_admin, wanted):
        before = list(with_global_admin.roles)
        response = api.patch(
            at(ONE, with_global_admin), {"accessDetails": roles(*wanted)}, format="json"
        )
        assert response.status_code == 400
        assert graph_error(response) == {
            "code": "invalidRequest",
            "description": "An admin relationship's roles can't change without a new request, "
            "except that Global Administrator can be removed from an active one: send its roles "
            "without it.",
            "field": "accessDetails",
        }
        assert_matches(ONE, "patch", response)
        with_global_admin.refresh_from_db()
        assert with_global_admin.roles == before

    def test_its_only_role_is_refused_with_the_pages_sentence(self, api, partner_a):
        only = AdminRelationshipFactory(partner=partner_a, roles=[GLOBAL_ADMINISTRATOR])
        response = api.patch(at(ONE, only), {"accessDetails": roles()}, format="json")
        assert response.status_code == 409
        assert graph_error(response)["code"] == "only_role"
        assert graph_error(response)["description"].startswith(
            "Global Administrator is this relationship's only role"
        )
        only.refresh_from_db()
        assert only.roles == [GLOBAL_ADMINISTRATOR]

    def test_an_ended_relationship_is_refused(self, api, partner_a):
        ended = AdminRelationshipFactory(
            partner=partner_a,
            roles=sorted([*DEFAULT_ROLES, GLOBAL_ADMINISTRATOR]),
            status=AdminRelationshipStatus.TERMINATED,
            closed_at=timezone.now(),
        )
        response = api.patch(
            at(ONE, ended), {"accessDetails": roles(*DEFAULT_ROLES)}, format="json"
        )
        assert response.status_code == 409
        assert graph_error(response) == {
            "code": "not_in_force",
            "description": "Only an active admin relationship can be changed; this one is "
            "terminated.",
        }

    def test_a_sales_app_gets_the_pages_403(self, sales_api, with_global_admin):
        response = sales_api.patch(
            at(ONE, with_global_admin), {"accessDetails": roles(*DEFAULT_ROLES)}, format="json"
        )
        assert response.status_code == 403
        with_global_admin.refresh_from_db()
        assert GLOBAL_ADMINISTRATOR in with_global_admin.roles


class TestUpgrade:
    @pytest.fixture
    def template(self, partner_a, admin_agent):
        return make_template(partner_a, admin_agent)  # v1: Directory Readers + Helpdesk, 365 days

    @pytest.fixture
    def old(self, partner_a, customer, template):
        """An active relationship from version 1."""
        ResellerRelationshipFactory(partner=partner_a, customer=customer)
        version = template.latest
        return AdminRelationshipFactory(
            partner=partner_a,
            customer=customer,
            name="Northwind - Helpdesk tier",
            roles=version.roles,
            duration_days=version.duration_days,
            template_version=version,
        )

    @pytest.fixture
    def version_2(self, template, admin_agent):
        """Adds License Administrator, drops Helpdesk Administrator, lasts 730 days."""
        services.template_update(
            template=template,
            changed_by=admin_agent,
            content=services.TemplateContent(
                name=template.name, roles=[READER, LICENSE_ADMINISTRATOR], duration_days=730
            ),
        )
        template.refresh_from_db()
        return template.latest

    def test_it_sends_the_request_that_replaces_it_and_says_what_changes(self, api, old, version_2):
        assert api.get(at(ONE, old)).json()["upgradeAvailable"] == 2
        response = api.post(at(UPGRADE, old))
        assert response.status_code == 201, response.json()
        assert_matches(UPGRADE, "post", response)
        body = response.json()
        new = AdminRelationship.objects.get(upgrade_of=old)
        assert body["id"] == str(new.pk)
        assert response["Location"] == f"http://testserver{LIST}/{new.pk}"
        assert body["status"] == "approvalPending"
        assert body["displayName"] == new.name
        assert body["replacesRelationshipId"] == str(old.pk)
        assert body["rolesAdded"] == [
            {"roleDefinitionId": LICENSE_ADMINISTRATOR, "displayName": "License Administrator"}
        ]
        assert body["rolesRemoved"] == [
            {"roleDefinitionId": HELPDESK_ADMINISTRATOR, "displayName": "Helpdesk Administrator"}
        ]
        assert body["durationChange"] == {"before": "P365D", "after": "P730D"}
        assert "autoExtendDurationChange" not in body
        assert new.template_version == version_2
        sent = AuditEvent.objects.get(action=AuditAction.ADMIN_FINALIZED)
        assert sent.actor.partner_app.name == "Contoso automation"
        # The request names what it replaces; the old one has no upgrade to offer any more.
        shown = api.get(at(ONE, new))
        assert shown.json()["replacesRelationshipId"] == str(old.pk)
        assert_matches(ONE, "get", shown)
        assert "upgradeAvailable" not in api.get(at(ONE, old)).json()
        listed = {r["id"]: r for r in api.get(LIST).json()["value"]}
        assert listed[str(new.pk)]["replacesRelationshipId"] == str(old.pk)

    def test_an_upgrade_waiting_is_refused_with_the_pages_sentence(self, api, old, version_2):
        assert api.post(at(UPGRADE, old)).status_code == 201
        response = api.post(at(UPGRADE, old))
        assert response.status_code == 409
        assert graph_error(response) == {
            "code": "waiting",
            "description": "An upgrade of this relationship is already waiting for the "
            "customer's approval.",
        }
        assert_matches(UPGRADE, "post", response)
        assert AdminRelationship.objects.filter(upgrade_of=old).count() == 1

    def test_the_latest_version_has_nothing_to_upgrade_to(self, api, old):
        assert "upgradeAvailable" not in api.get(at(ONE, old)).json()
        response = api.post(at(UPGRADE, old))
        assert response.status_code == 409
        assert graph_error(response)["code"] == "latest"
        assert graph_error(response)["description"] == (
            "It was made from its template's latest version: there is nothing to upgrade to."
        )

    def test_a_relationship_not_in_force_is_refused(self, api, old, version_2):
        AdminRelationship.objects.filter(pk=old.pk).update(
            status=AdminRelationshipStatus.TERMINATED, closed_at=timezone.now()
        )
        assert "upgradeAvailable" not in api.get(at(ONE, old)).json()
        response = api.post(at(UPGRADE, old))
        assert response.status_code == 409
        assert graph_error(response)["description"] == (
            "Only an active admin relationship can be upgraded."
        )

    def test_a_relationship_from_no_template_is_refused(self, api, active):
        response = api.post(at(UPGRADE, active))
        assert response.status_code == 409
        assert graph_error(response)["code"] == "latest"

    def test_a_sales_app_gets_the_pages_403(self, sales_api, old, version_2):
        response = sales_api.post(at(UPGRADE, old))
        assert response.status_code == 403
        assert graph_error(response)["description"] == MANAGE_403
        assert_matches(UPGRADE, "post", response)
        assert not AdminRelationship.objects.filter(upgrade_of=old).exists()

    def test_another_partners_relationship_is_a_404(self, api, theirs):
        response = api.post(at(UPGRADE, theirs))
        assert response.status_code == 404
        assert_matches(UPGRADE, "post", response)
