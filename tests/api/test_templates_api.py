"""The API's admin relationship templates: list, make, show, and change (a new version)."""

import pytest

from tenancy.entra_roles import GLOBAL_ADMINISTRATOR, HELPDESK_ADMINISTRATOR
from tenancy.models import (
    AdminRelationshipTemplate,
    AuditAction,
    AuditEvent,
    Role,
    TemplateVersion,
)
from tests.api.bulk_fixtures import READER, client_holding, make_template
from tests.api.queries import RATE_QUERIES
from tests.api.schema import assert_matches
from tests.factories import SecurityGroupFactory

pytestmark = pytest.mark.django_db
LIST = "/v1/adminRelationshipTemplates"
ONE = LIST + "/{template_id}"


def at(template) -> str:
    return ONE.format(template_id=template.pk)


def roles(*ids) -> dict:
    return {"unifiedRoles": [{"roleDefinitionId": role} for role in ids]}


def body(**changes) -> dict:
    return {
        "displayName": "Helpdesk tier",
        "description": "What the helpdesk needs",
        "duration": "P730D",
        "accessDetails": roles(READER, HELPDESK_ADMINISTRATOR),
        "autoExtendDuration": "P180D",
    } | changes


@pytest.fixture
def helpdesk_api(app_key):
    return client_holding(app_key(Role.HELPDESK_AGENT, name="Helpdesk automation"))


@pytest.fixture
def group(partner_a):
    return SecurityGroupFactory(partner=partner_a, name="Tier 1")


class TestCreate:
    def test_it_makes_version_1_with_its_mappings_audited_as_the_app(self, api, group):
        sent = body(mappings=[{"securityGroupId": str(group.pk), "accessDetails": roles(READER)}])
        response = api.post(LIST, sent, format="json")
        assert response.status_code == 201, response.json()
        made = response.json()
        assert_matches(LIST, "post", response)
        template = AdminRelationshipTemplate.objects.get()
        assert made["id"] == str(template.pk)
        assert made["version"] == 1
        assert made["displayName"] == "Helpdesk tier"
        assert made["duration"] == "P730D"
        assert made["autoExtendDuration"] == "P180D"
        assert made["accessDetails"] == roles(*sorted([READER, HELPDESK_ADMINISTRATOR]))
        assert made["mappings"] == [
            {"securityGroupId": str(group.pk), "accessDetails": roles(READER)}
        ]
        event = AuditEvent.objects.get(action=AuditAction.TEMPLATE_CREATED)
        assert event.actor.partner_app.name == "Contoso automation"

    def test_global_administrator_cannot_extend_automatically(self, api):
        response = api.post(
            LIST, body(accessDetails=roles(GLOBAL_ADMINISTRATOR, READER)), format="json"
        )
        assert response.status_code == 400
        assert response.json()["code"] == "invalid"
        assert response.json()["field"] == "autoExtendDuration"
        assert "Global Administrator" in response.json()["description"]
        assert not AdminRelationshipTemplate.objects.exists()

    @pytest.mark.parametrize(
        ("changes", "field"),
        [
            ({"displayName": "  "}, "displayName"),
            ({"duration": "two years"}, "duration"),
            ({"duration": "P731D"}, "duration"),
            ({"accessDetails": roles("not-a-role")}, "accessDetails"),
            ({"accessDetails": {"unifiedRoles": []}}, "accessDetails"),
            ({"autoExtendDuration": "P1Y"}, "autoExtendDuration"),
            ({"colour": "blue"}, "colour"),
        ],
    )
    def test_each_problem_is_a_400_naming_its_field(self, api, changes, field):
        response = api.post(LIST, body(**changes), format="json")
        assert response.status_code == 400
        assert response.json()["field"] == field
        assert_matches(LIST, "post", response)

    def test_a_name_in_use_is_refused(self, api, partner_a, admin_agent):
        make_template(partner_a, admin_agent, name="helpdesk TIER")
        response = api.post(LIST, body(), format="json")
        assert response.status_code == 409  # the data's conflict, not a malformed request
        assert response.json()["code"] == "name_taken"

    def test_another_partners_group_is_refused_as_unknown(self, api, partner_b):
        theirs = SecurityGroupFactory(partner=partner_b, name="Their tier")
        sent = body(mappings=[{"securityGroupId": str(theirs.pk), "accessDetails": roles(READER)}])
        response = api.post(LIST, sent, format="json")
        assert response.status_code == 404  # as another partner's objects are anywhere
        assert response.json()["field"] == "mappings"
        assert not AdminRelationshipTemplate.objects.exists()

    def test_a_group_gets_only_roles_of_the_template(self, api, group):
        sent = body(
            accessDetails=roles(READER),
            mappings=[
                {"securityGroupId": str(group.pk), "accessDetails": roles(HELPDESK_ADMINISTRATOR)}
            ],
        )
        response = api.post(LIST, sent, format="json")
        assert response.status_code == 400
        assert response.json()["field"] == "mappings"

    def test_a_read_only_app_can_read_but_not_make_one(self, helpdesk_api, partner_a, admin_agent):
        make_template(partner_a, admin_agent)
        assert helpdesk_api.get(LIST).status_code == 200
        response = helpdesk_api.post(LIST, body(displayName="Other"), format="json")
        assert response.status_code == 403
        assert response.json()["code"] == "forbidden"
        assert AdminRelationshipTemplate.objects.count() == 1


class TestRead:
    def test_it_lists_only_own_templates_by_name_a_page_at_a_time(
        self, api, partner_a, admin_agent, partner_b, agent_b
    ):
        for name in ("Tier 3", "Tier 1", "Tier 2"):
            make_template(partner_a, admin_agent, name=name)
        make_template(partner_b, agent_b, name="Tier 0")
        first = api.get(LIST, {"size": 2})
        assert first.status_code == 200
        assert_matches(LIST, "get", first)
        assert [t["displayName"] for t in first.json()["items"]] == ["Tier 1", "Tier 2"]
        token = first.json()["links"]["next"]["headers"][0]["value"]
        second = api.get(LIST, {"size": 2}, HTTP_MS_CONTINUATIONTOKEN=token).json()
        assert [t["displayName"] for t in second["items"]] == ["Tier 3"]
        assert "next" not in second["links"]

    def test_the_list_costs_the_same_whatever_its_length(
        self, api, partner_a, admin_agent, group, django_assert_num_queries
    ):
        template = make_template(partner_a, admin_agent)
        api.patch(
            at(template),
            {"mappings": [{"securityGroupId": str(group.pk), "accessDetails": roles(READER)}]},
            format="json",
        )
        # The key with its app, principal and membership; the app's rate (one
        # statement); the page of templates with their latest versions; their mappings with the
        # groups.
        with django_assert_num_queries(3 + RATE_QUERIES):
            assert len(api.get(LIST).json()["items"]) == 1
        for n in range(5):
            make_template(partner_a, admin_agent, name=f"More {n}")
        with django_assert_num_queries(3 + RATE_QUERIES):
            assert len(api.get(LIST).json()["items"]) == 6

    def test_one_template_and_another_partners_is_a_404(
        self, api, partner_a, admin_agent, partner_b, agent_b
    ):
        mine = make_template(partner_a, admin_agent)
        theirs = make_template(partner_b, agent_b)
        response = api.get(at(mine))
        assert response.status_code == 200
        assert response.json()["version"] == 1
        assert_matches(ONE, "get", response)
        other = api.get(at(theirs))
        assert other.status_code == 404
        assert other.json()["code"] == "not_found"
        patched = api.patch(at(theirs), {"duration": "P30D"}, format="json")
        assert patched.status_code == 404
        assert TemplateVersion.objects.filter(template=theirs).count() == 1


class TestChange:
    def test_a_change_is_a_new_version_and_the_rest_stays(self, api, partner_a, admin_agent):
        template = make_template(partner_a, admin_agent)
        response = api.patch(at(template), {"duration": "P90D"}, format="json")
        assert response.status_code == 200, response.json()
        assert_matches(ONE, "patch", response)
        changed = response.json()
        assert changed["version"] == 2
        assert changed["duration"] == "P90D"
        assert changed["displayName"] == "Helpdesk tier"
        assert changed["accessDetails"] == roles(*sorted([READER, HELPDESK_ADMINISTRATOR]))
        first = TemplateVersion.objects.get(template=template, number=1)
        assert first.duration_days == 365
        assert AuditEvent.objects.filter(action=AuditAction.TEMPLATE_CHANGED).count() == 1

    def test_a_new_name_alone_makes_no_version(self, api, partner_a, admin_agent):
        template = make_template(partner_a, admin_agent)
        response = api.patch(at(template), {"displayName": "Helpdesk, tier 1"}, format="json")
        assert response.json()["version"] == 1
        assert response.json()["displayName"] == "Helpdesk, tier 1"

    def test_mappings_stay_unless_sent_and_sent_replace_them_all(
        self, api, partner_a, admin_agent, group
    ):
        template = make_template(partner_a, admin_agent)
        mapped = [{"securityGroupId": str(group.pk), "accessDetails": roles(READER)}]
        assert api.patch(at(template), {"mappings": mapped}, format="json").json()["version"] == 2
        kept = api.patch(at(template), {"duration": "P60D"}, format="json").json()
        assert (kept["version"], kept["mappings"]) == (3, mapped)
        cleared = api.patch(at(template), {"mappings": []}, format="json").json()
        assert (cleared["version"], cleared["mappings"]) == (4, [])

    def test_roles_that_leave_a_mapping_out_name_the_mappings(
        self, api, partner_a, admin_agent, group
    ):
        template = make_template(partner_a, admin_agent)
        mapped = [{"securityGroupId": str(group.pk), "accessDetails": roles(READER)}]
        api.patch(at(template), {"mappings": mapped}, format="json")
        response = api.patch(
            at(template), {"accessDetails": roles(HELPDESK_ADMINISTRATOR)}, format="json"
        )
        assert response.status_code == 400
        assert response.json()["field"] == "mappings"

    def test_auto_extend_is_refused_once_global_administrator_is_asked_for(
        self, api, partner_a, admin_agent
    ):
        template = make_template(partner_a, admin_agent, roles=(GLOBAL_ADMINISTRATOR,))
        response = api.patch(at(template), {"autoExtendDuration": "P180D"}, format="json")
        assert response.status_code == 400
        assert response.json()["field"] == "autoExtendDuration"

    def test_a_read_only_app_cannot_change_one(self, helpdesk_api, partner_a, admin_agent):
        template = make_template(partner_a, admin_agent)
        assert helpdesk_api.get(at(template)).status_code == 200
        response = helpdesk_api.patch(at(template), {"duration": "P30D"}, format="json")
        assert response.status_code == 403
        assert TemplateVersion.objects.filter(template=template).count() == 1
