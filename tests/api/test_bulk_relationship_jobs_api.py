"""The API's bulk jobs on admin relationships: auto-extend on or off, remove Global Administrator
and upgrade, each for the relationships named, a window of the Expiring page, or (to upgrade) a
template's relationships on older versions. (The tests do a job's items with run_items: a test's
transaction never commits, so the steps queued on commit never run.)"""

import uuid
from datetime import timedelta

import pytest
from django.utils import timezone

from tenancy import services
from tenancy.entra_roles import LICENSE_ADMINISTRATOR
from tenancy.models import (
    DEFAULT_ROLES,
    GLOBAL_ADMINISTRATOR,
    AdminRelationship,
    AuditAction,
    AuditEvent,
    BulkJob,
    BulkJobKind,
    Role,
)
from tenancy.services.bulk_items import run_items
from tests.api.bulk_fixtures import READER, client_holding, make_template
from tests.api.schema import assert_matches
from tests.factories import AdminRelationshipFactory, CustomerFactory, ResellerRelationshipFactory

pytestmark = pytest.mark.django_db
LIST = "/v1/bulkJobs"
ONE = LIST + "/{job_id}"
RESULTS = ONE + "/results"
NOWHERE = "00000000-0000-4000-8000-000000000000"


def at(path: str, job_id) -> str:
    return path.format(job_id=job_id)


def ending_in(partner, days: float, **fields) -> AdminRelationship:
    """An active relationship of 90 days that ends `days` from now."""
    approved = timezone.now() + timedelta(days=days) - timedelta(days=90)
    return AdminRelationshipFactory(
        partner=partner, approved_at=approved, created_at=approved, **fields
    )


def start(api, **body) -> dict:
    response = api.post(LIST, body, format="json")
    assert response.status_code == 201, response.json()
    assert_matches(LIST, "post", response)
    return response.json()


def run(api, job: dict) -> dict:
    run_items(BulkJob.objects.get(pk=job["id"]))
    done = api.get(at(ONE, job["id"]))
    assert_matches(ONE, "get", done)
    return done.json()


def results(api, job: dict) -> list[dict]:
    response = api.get(at(RESULTS, job["id"]))
    assert_matches(RESULTS, "get", response)
    return response.json()["items"]


@pytest.fixture
def sales_api(app_key):
    return client_holding(app_key(Role.SALES_AGENT, name="Sales automation"))


@pytest.fixture
def with_global_admin(partner_a):
    return AdminRelationshipFactory(
        partner=partner_a, name="Full", roles=sorted([*DEFAULT_ROLES, GLOBAL_ADMINISTRATOR])
    )


class TestAutoExtend:
    def test_named_relationships_extend_and_one_holding_global_admin_is_skipped(
        self, api, partner_a, with_global_admin
    ):
        plain = AdminRelationshipFactory(partner=partner_a, name="Plain")
        job = start(
            api,
            kind="autoExtendOn",
            relationshipIds=[str(plain.pk), str(with_global_admin.pk), str(plain.pk)],
        )
        assert (job["kind"], job["status"], job["total"]) == ("autoExtendOn", "running", 2)
        assert "template" not in job
        event = AuditEvent.objects.get(action=AuditAction.BULK_JOB_STARTED)
        assert event.actor.partner_app.name == "Contoso automation"
        assert BulkJob.objects.get().kind == BulkJobKind.AUTO_EXTEND_ON
        done = run(api, job)
        assert (done["status"], done["succeeded"], done["skipped"]) == ("done", 1, 1)
        found = {r["relationshipId"]: r for r in results(api, job)}
        assert found[str(plain.pk)]["state"] == "done"
        assert found[str(with_global_admin.pk)]["state"] == "skipped"
        assert found[str(with_global_admin.pk)]["reason"]["code"] == "global_administrator"
        plain.refresh_from_db()
        with_global_admin.refresh_from_db()
        assert plain.auto_extend and not with_global_admin.auto_extend

    def test_a_window_of_the_expiring_page(self, api, partner_a, partner_b):
        soon = ending_in(partner_a, 5, name="Soon")
        ending_in(partner_a, 60, name="Later")
        ending_in(partner_b, 5, name="Theirs")
        job = start(api, kind="autoExtendOn", expiring="7")
        assert job["total"] == 1
        run(api, job)
        soon.refresh_from_db()
        assert soon.auto_extend
        assert AdminRelationship.objects.filter(auto_extend=True).count() == 1

    def test_auto_extend_off(self, api, partner_a):
        extending = AdminRelationshipFactory(partner=partner_a, auto_extend=True)
        job = start(api, kind="autoExtendOff", relationshipIds=[str(extending.pk)])
        assert job["kind"] == "autoExtendOff"
        assert run(api, job)["succeeded"] == 1
        extending.refresh_from_db()
        assert not extending.auto_extend


class TestRemoveGlobalAdministrator:
    def test_it_goes_from_each_relationship_that_holds_it(self, api, partner_a, with_global_admin):
        without = AdminRelationshipFactory(partner=partner_a, name="Without")
        job = start(
            api,
            kind="removeGlobalAdministrator",
            relationshipIds=[str(with_global_admin.pk), str(without.pk)],
        )
        done = run(api, job)
        assert (done["succeeded"], done["skipped"]) == (1, 1)
        with_global_admin.refresh_from_db()
        assert GLOBAL_ADMINISTRATOR not in with_global_admin.roles
        skipped = next(r for r in results(api, job) if r["state"] == "skipped")
        assert skipped["reason"]["code"] == "not_held"


class TestUpgrade:
    @pytest.fixture
    def template(self, partner_a, admin_agent):
        return make_template(partner_a, admin_agent)

    @pytest.fixture
    def on_version_1(self, partner_a, template):
        made = []
        for name in ("Northwind", "Fabrikam"):
            customer = CustomerFactory(name=name)
            ResellerRelationshipFactory(partner=partner_a, customer=customer)
            made.append(
                AdminRelationshipFactory(
                    partner=partner_a,
                    customer=customer,
                    name=f"{name} - Helpdesk tier",
                    roles=template.latest.roles,
                    duration_days=365,
                    template_version=template.latest,
                )
            )
        return made

    @pytest.fixture
    def version_2(self, template, admin_agent):
        services.template_update(
            template=template,
            changed_by=admin_agent,
            content=services.TemplateContent(
                name=template.name, roles=[READER, LICENSE_ADMINISTRATOR], duration_days=365
            ),
        )
        template.refresh_from_db()
        return template.latest

    def test_a_templates_relationships_on_older_versions(
        self, api, partner_a, template, on_version_1, version_2
    ):
        AdminRelationshipFactory(partner=partner_a, name="From no template")
        job = start(api, kind="upgrade", templateId=str(template.pk))
        assert (job["kind"], job["total"]) == ("upgrade", 2)
        assert run(api, job)["succeeded"] == 2
        found = results(api, job)
        made = AdminRelationship.objects.filter(upgrade_of__in=on_version_1)
        assert {r["relationshipId"] for r in found} == {str(r.pk) for r in made}
        assert all("?token=" in r["relationshipLink"] for r in found)  # for the customer
        assert {r.template_version for r in made} == {version_2}

    def test_named_relationships_on_the_latest_version_are_skipped(
        self, api, template, on_version_1
    ):
        job = start(api, kind="upgrade", relationshipIds=[str(on_version_1[0].pk)])
        run(api, job)
        (result,) = results(api, job)
        assert (result["state"], result["reason"]["code"]) == ("skipped", "latest")
        assert result["relationshipId"] == str(on_version_1[0].pk)
        assert "relationshipLink" not in result

    def test_a_template_with_nothing_to_upgrade_is_refused(self, api, template, on_version_1):
        response = api.post(
            LIST, {"kind": "upgrade", "templateId": str(template.pk)}, format="json"
        )
        assert response.status_code == 409  # the data's answer today, not a malformed request
        assert response.json() == {
            "code": "empty",
            "description": "Select at least one admin relationship.",
        }
        assert not BulkJob.objects.exists()

    def test_another_partners_template_is_a_404_naming_the_field(self, api, partner_b, agent_b):
        theirs = make_template(partner_b, agent_b)
        response = api.post(LIST, {"kind": "upgrade", "templateId": str(theirs.pk)}, format="json")
        assert response.status_code == 404
        assert response.json()["field"] == "templateId"
        assert response.json()["description"] == "Choose one of your organization's templates."


class TestBadInput:
    def test_a_relationship_id_of_nobodys_is_a_404_naming_the_field(self, api):
        body = {"kind": "autoExtendOn", "relationshipIds": [NOWHERE]}
        response = api.post(LIST, body, format="json")
        assert response.status_code == 404
        assert response.json()["field"] == "relationshipIds"
        assert response.json()["description"] == f"Not one of your admin relationships: {NOWHERE}."
        assert not BulkJob.objects.exists()

    def test_an_empty_window_is_refused(self, api):
        response = api.post(LIST, {"kind": "autoExtendOn", "expiring": "30"}, format="json")
        assert response.status_code == 409
        assert response.json()["code"] == "empty"
        assert not BulkJob.objects.exists()

    @pytest.mark.parametrize(
        ("body", "field", "message"),
        [
            ({"kind": "autoExtendOn"}, "relationshipIds", "Choose the admin relationships with"),
            (
                {"kind": "autoExtendOn", "relationshipIds": [NOWHERE], "expiring": "30"},
                "expiring",
                "Choose the admin relationships with",
            ),
            (
                {"kind": "autoExtendOn", "templateId": NOWHERE},
                "templateId",
                "templateId chooses the relationships of an upgrade job only.",
            ),
            (
                {"kind": "autoExtendOn", "relationshipIds": []},
                "relationshipIds",
                "This list may not be empty.",
            ),
            (
                {"kind": "autoExtendOn", "relationshipIds": ["not-an-id"]},
                "relationshipIds",
                "Must be a valid UUID.",
            ),
            (
                {"kind": "autoExtendOn", "expiring": "90"},
                "expiring",
                "Use one of: 30, 7, 1, expired_30, expired_365.",
            ),
            (
                {"kind": "autoExtendOn", "expiring": "30", "sendEmail": True},
                "sendEmail",
                "This field is not part of the request.",
            ),
            (
                {"kind": "extendForever", "expiring": "30"},
                "kind",
                "Use one of: request, autoExtendOn, autoExtendOff, removeGlobalAdministrator, "
                "upgrade.",
            ),
        ],
    )
    def test_each_problem_is_a_400_naming_its_field(self, api, body, field, message):
        response = api.post(LIST, body, format="json")
        assert response.status_code == 400, response.json()
        assert response.json()["field"] == field
        assert message in response.json()["description"]
        assert_matches(LIST, "post", response)
        assert not BulkJob.objects.exists()

    def test_at_most_5000_relationships(self, api, partner_a):
        ids = [str(AdminRelationshipFactory(partner=partner_a).pk)] * 5_001
        response = api.post(LIST, {"kind": "autoExtendOn", "relationshipIds": ids}, format="json")
        assert response.status_code == 400
        assert response.json()["field"] == "relationshipIds"
        assert "no more than 5000" in response.json()["description"]

    def test_5000_ids_are_read_in_one_go(self, api, partner_a):
        mine = AdminRelationshipFactory(partner=partner_a)
        others = [str(uuid.uuid4()) for _ in range(4_999)]
        response = api.post(
            LIST,
            {"kind": "autoExtendOn", "relationshipIds": [str(mine.pk), *others]},
            format="json",
        )
        assert response.status_code == 404  # as another partner's objects are anywhere
        assert response.json()["description"] == (
            f"Not one of your admin relationships: {others[0]}."
        )

    def test_another_partners_relationship_is_not_yours_to_name(self, api, partner_a, partner_b):
        mine = AdminRelationshipFactory(partner=partner_a)
        theirs = AdminRelationshipFactory(partner=partner_b)
        response = api.post(
            LIST,
            {"kind": "autoExtendOn", "relationshipIds": [str(mine.pk), str(theirs.pk)]},
            format="json",
        )
        assert response.status_code == 404  # as another partner's objects are anywhere
        assert response.json()["description"] == (
            f"Not one of your admin relationships: {theirs.pk}."
        )
        theirs.refresh_from_db()
        assert not theirs.auto_extend and not BulkJob.objects.exists()

    @pytest.mark.parametrize("kind", ["autoExtendOn", "removeGlobalAdministrator", "upgrade"])
    def test_a_sales_app_gets_the_pages_403(self, sales_api, partner_a, kind):
        mine = AdminRelationshipFactory(partner=partner_a)
        response = sales_api.post(
            LIST, {"kind": kind, "relationshipIds": [str(mine.pk)]}, format="json"
        )
        assert response.status_code == 403
        assert response.json()["code"] == "forbidden"
        assert_matches(LIST, "post", response)
        assert not BulkJob.objects.exists()


def test_a_request_job_may_say_its_kind(api, partner_a, admin_agent):
    template = make_template(partner_a, admin_agent)
    customer = CustomerFactory()
    ResellerRelationshipFactory(partner=partner_a, customer=customer)
    job = start(api, kind="request", templateId=str(template.pk), customers=[customer.domain])
    assert (job["kind"], job["total"]) == ("request", 1)


def test_the_list_names_each_kind_as_the_api_does(api, partner_a):
    mine = AdminRelationshipFactory(partner=partner_a)
    start(api, kind="removeGlobalAdministrator", relationshipIds=[str(mine.pk)])
    response = api.get(LIST)
    assert [job["kind"] for job in response.json()["items"]] == ["removeGlobalAdministrator"]
    assert_matches(LIST, "get", response)


def test_only_a_request_job_has_a_preview(api, partner_a):
    mine = AdminRelationshipFactory(partner=partner_a)
    response = api.post(
        LIST + "/preview",
        {"kind": "autoExtendOn", "relationshipIds": [str(mine.pk)]},
        format="json",
    )
    assert response.status_code == 400
    assert response.json() == {
        "code": "invalid",
        "description": "Only a request job has a preview.",
        "field": "kind",
    }
