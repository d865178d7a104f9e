"""The API's bulk jobs: a request job started from a Customer list filter or a list of domains
and ids, its preview, progress, results a page at a time, and cancelling it. (Started through
the client, a job's steps are queued as its transaction commits, which a test's never does: the
tests do its items with run_items.)"""

from urllib.parse import urlparse

import pytest
from django.urls import resolve
from django.utils import timezone

from tenancy.choices import BulkItemState, BulkJobStatus
from tenancy.effects.customer_list import customer_list_rebuild
from tenancy.effects.webhook_events import api_uri
from tenancy.models import (
    AdminRelationship,
    AuditAction,
    AuditEvent,
    BulkJob,
    BulkJobItem,
    ResellerRelationship,
    Role,
)
from tenancy.services.bulk_items import run_items
from tests.api.bulk_fixtures import client_holding, client_of, make_template
from tests.api.queries import RATE_QUERIES
from tests.api.schema import assert_matches
from tests.factories import CustomerFactory, indirect_link, make_customers

pytestmark = pytest.mark.django_db
LIST = "/v1/bulkJobs"
PREVIEW = LIST + "/preview"
ONE = LIST + "/{job_id}"
CANCEL = ONE + "/cancel"
RESULTS = ONE + "/results"


def at(path: str, job) -> str:
    return path.format(job_id=job if isinstance(job, str) else job.pk)


@pytest.fixture
def template(partner_a, admin_agent):
    return make_template(partner_a, admin_agent)


@pytest.fixture
def helpdesk_api(app_key):
    return client_holding(app_key(Role.HELPDESK_AGENT, name="Helpdesk automation"))


def start(api, template, **selection) -> dict:
    response = api.post(LIST, {"templateId": str(template.pk), **selection}, format="json")
    assert response.status_code == 201, response.json()
    return response.json()


def results(api, job_id, **params) -> list[dict]:
    return api.get(at(RESULTS, job_id), params).json()["items"]


class TestStart:
    def test_a_filter_starts_a_job_for_the_customers_it_finds(self, api, partner_a, template):
        make_customers(partner_a, 3)
        contoso = CustomerFactory(name="Contoso Pharma", domain="contosopharma.onmicrosoft.com")
        ResellerRelationship.objects.create(partner=partner_a, customer=contoso)
        customer_list_rebuild(partner=partner_a)
        response = api.post(
            LIST,
            {"templateId": str(template.pk), "filter": {"q": "contoso"}},
            format="json",
        )
        assert response.status_code == 201, response.json()
        assert_matches(LIST, "post", response)
        body = response.json()
        assert response["Location"] == f"http://testserver{LIST}/{body['id']}"
        assert body["kind"] == "request"
        assert body["status"] == "running"
        assert body["template"] == {"id": str(template.pk), "version": 1}
        assert (body["total"], body["done"], body["sendEmail"]) == (1, 0, False)
        assert "finishedDateTime" not in body
        assert body["links"]["results"]["uri"] == f"{LIST}/{body['id']}/results"
        event = AuditEvent.objects.get(action=AuditAction.BULK_JOB_STARTED)
        assert event.actor.partner_app.name == "Contoso automation"

        run_items(BulkJob.objects.get(pk=body["id"]))
        done = api.get(response["Location"])
        assert done.status_code == 200
        assert_matches(ONE, "get", done)
        assert done.json()["status"] == "done"
        assert (done.json()["succeeded"], done.json()["done"]) == (1, 1)
        assert "finishedDateTime" in done.json()
        made = AdminRelationship.objects.get()
        assert made.customer == contoso
        assert made.template_version == template.latest

    def test_an_empty_filter_is_every_customer(self, api, partner_a, template):
        make_customers(partner_a, 4)
        assert start(api, template, filter={}, sendEmail=True)["total"] == 4
        assert BulkJob.objects.get().send_email

    def test_a_list_reports_what_names_none_of_your_customers(
        self, api, partner_a, partner_b, template
    ):
        first, second = make_customers(partner_a, 2)
        (theirs,) = make_customers(partner_b, 1)
        job = start(
            api,
            template,
            customers=[first.domain.upper(), str(second.pk), "not a domain!", theirs.domain],
        )
        assert (job["total"], job["skipped"]) == (4, 2)
        run_items(BulkJob.objects.get(pk=job["id"]))
        found = results(api, job["id"])
        assert [r["state"] for r in found] == ["done", "done", "skipped", "skipped"]
        assert {r["customer"]["tenantId"] for r in found[:2]} == {str(first.pk), str(second.pk)}
        lines = {r["lineNumber"]: (r["line"], r["reason"]["code"]) for r in found[2:]}
        assert lines == {
            3: ("not a domain!", "unreadable_line"),
            4: (theirs.domain, "unknown_line"),
        }
        assert found[3]["reason"]["description"] == "Not one of your customers"
        assert not AdminRelationship.objects.filter(customer=theirs).exists()

    @pytest.mark.parametrize(
        ("selection", "field"),
        [
            ({}, "filter"),
            ({"filter": {}, "customers": ["a.example"]}, "filter"),
            # A misspelt filter must not pass for no filter (every customer).
            ({"filter": {"name": "Contoso"}}, "filter"),
            ({"filter": {"relationship": "friends"}}, "filter"),
            ({"filter": {"indirect": "not-an-id"}}, "filter"),
            ({"filter": {"indirect": "00000000-0000-4000-8000-000000000000"}}, "filter"),
            ({"customers": "a.example"}, "customers"),
            ({"customers": []}, "customers"),
            ({"customers": ["   "]}, "customers"),
        ],
    )
    def test_each_problem_is_a_400_naming_its_field(
        self, api, partner_a, template, selection, field
    ):
        make_customers(partner_a, 2)
        response = api.post(LIST, {"templateId": str(template.pk)} | selection, format="json")
        assert response.status_code == 400, response.json()
        assert response.json()["code"] == "invalid"
        assert response.json()["field"] == field
        assert not BulkJob.objects.exists()

    def test_a_filter_that_finds_nobody_is_refused(self, api, partner_a, template):
        make_customers(partner_a, 2)
        sent = {"templateId": str(template.pk), "filter": {"q": "nobody at all"}}
        response = api.post(LIST, sent, format="json")
        assert response.status_code == 409  # the data's answer today, not a malformed request
        assert response.json()["code"] == "empty"
        assert not BulkJob.objects.exists()

    def test_another_partners_template_is_refused_as_unknown(
        self, api, partner_a, partner_b, agent_b
    ):
        make_customers(partner_a, 2)
        theirs = make_template(partner_b, agent_b)
        response = api.post(LIST, {"templateId": str(theirs.pk), "filter": {}}, format="json")
        assert response.status_code == 404  # as another partner's objects are anywhere
        assert response.json()["field"] == "templateId"
        nobodys = {"templateId": "00000000-0000-4000-8000-000000000000", "filter": {}}
        assert api.post(LIST, nobodys, format="json").status_code == 404
        assert not BulkJob.objects.exists()

    def test_a_read_only_app_cannot_start_or_preview_one(self, helpdesk_api, partner_a, template):
        make_customers(partner_a, 2)
        sent = {"templateId": str(template.pk), "filter": {}}
        for path in (LIST, PREVIEW):
            response = helpdesk_api.post(path, sent, format="json")
            assert response.status_code == 403
            assert response.json()["code"] == "forbidden"
        assert not BulkJob.objects.exists()


class TestPreview:
    def test_it_counts_requests_and_skips_without_starting(self, api, partner_a, template):
        customers = make_customers(partner_a, 4)
        ResellerRelationship.objects.filter(customer=customers[0]).update(ended_at=timezone.now())
        customer_list_rebuild(partner=partner_a)
        response = api.post(
            PREVIEW,
            {
                "templateId": str(template.pk),
                "customers": [c.domain for c in customers] + ["nope.onmicrosoft.com", "??"],
            },
            format="json",
        )
        assert response.status_code == 200, response.json()
        assert_matches(PREVIEW, "post", response)
        preview = response.json()
        assert (preview["total"], preview["requests"], preview["skipped"]) == (6, 3, 3)
        assert {r["code"]: r["count"] for r in preview["skippedReasons"]} == {
            "ended": 1,
            "unknown_line": 1,
            "unreadable_line": 1,
        }
        ended = next(r for r in preview["skippedReasons"] if r["code"] == "ended")
        assert ended["description"].startswith("No longer your customer")
        assert preview["skippedLines"] == [
            {"lineNumber": 5, "value": "nope.onmicrosoft.com", "reason": "unknown_line"},
            {"lineNumber": 6, "value": "??", "reason": "unreadable_line"},
        ]
        assert preview["template"] == {"id": str(template.pk), "version": 1}
        assert not BulkJob.objects.exists()

    def test_a_provider_filters_by_one_of_its_indirect_resellers(
        self, provider, provider_admin, provider_agent, indirect_reseller, partnership
    ):
        through = CustomerFactory(name="Through the reseller")
        indirect_link(indirect_reseller, through, provider)
        make_customers(provider, 2)
        customer_list_rebuild(partner=provider)
        customer_list_rebuild(partner=indirect_reseller)
        template = make_template(provider, provider_agent)
        provider_api = client_of(provider_admin, Role.ADMIN_AGENT)
        sent = {"templateId": str(template.pk), "filter": {"indirect": str(indirect_reseller.pk)}}
        preview = provider_api.post(PREVIEW, sent, format="json").json()
        assert (preview["total"], preview["requests"]) == (1, 1)
        job = provider_api.post(LIST, sent, format="json").json()
        assert [r["customer"]["tenantId"] for r in results(provider_api, job["id"])] == [
            str(through.pk)
        ]

    def test_a_customer_with_a_request_from_the_version_is_skipped(self, api, partner_a, template):
        make_customers(partner_a, 3)
        run_items(BulkJob.objects.get(pk=start(api, template, filter={})["id"]))
        preview = api.post(
            PREVIEW, {"templateId": str(template.pk), "filter": {}}, format="json"
        ).json()
        assert (preview["requests"], preview["skipped"]) == (0, 3)
        assert preview["skippedReasons"][0]["code"] == "already"


class TestJobs:
    def test_it_lists_only_own_jobs_newest_first_a_page_at_a_time(
        self, api, partner_a, template, partner_b, agent_b
    ):
        make_customers(partner_a, 1)
        ids = [start(api, template, filter={})["id"] for _ in range(3)]
        make_customers(partner_b, 1)
        theirs = make_template(partner_b, agent_b)
        their_api = client_of(agent_b, Role.ADMIN_AGENT)
        start(their_api, theirs, filter={})
        first = api.get(LIST, {"size": 2})
        assert first.status_code == 200
        assert_matches(LIST, "get", first)
        assert [j["id"] for j in first.json()["items"]] == ids[::-1][:2]
        token = first.json()["links"]["next"]["headers"][0]["value"]
        second = api.get(LIST, {"size": 2}, HTTP_MS_CONTINUATIONTOKEN=token).json()
        assert [j["id"] for j in second["items"]] == ids[:1]
        assert "next" not in second["links"]

    def test_another_partners_job_is_a_404(self, api, partner_b, agent_b):
        make_customers(partner_b, 1)
        theirs = make_template(partner_b, agent_b)
        job = start(client_of(agent_b, Role.ADMIN_AGENT), theirs, filter={})
        for response in (
            api.get(at(ONE, job["id"])),
            api.get(at(RESULTS, job["id"])),
            api.post(at(CANCEL, job["id"])),
        ):
            assert response.status_code == 404
            assert response.json()["code"] == "not_found"
        assert BulkJob.objects.get().status == BulkJobStatus.RUNNING

    def test_the_webhook_events_resource_is_the_job(self, api, partner_a, template):
        make_customers(partner_a, 1)
        job = BulkJob.objects.get(pk=start(api, template, filter={})["id"])
        path = urlparse(api_uri(f"bulkJobs/{job.id}")).path
        assert resolve(path).view_name == "api:bulk-job"
        assert api.get(path).json()["id"] == str(job.pk)

    def test_a_read_only_app_follows_a_job_but_cannot_cancel_it(
        self, api, helpdesk_api, partner_a, template
    ):
        make_customers(partner_a, 2)
        job = start(api, template, filter={})
        assert helpdesk_api.get(LIST).status_code == 200
        assert helpdesk_api.get(at(ONE, job["id"])).status_code == 200
        assert helpdesk_api.get(at(RESULTS, job["id"])).status_code == 200
        assert helpdesk_api.post(at(CANCEL, job["id"])).status_code == 403
        assert BulkJob.objects.get().status == BulkJobStatus.RUNNING


class TestCancel:
    def test_a_cancelled_job_does_no_more_and_cancels_once(self, api, partner_a, template):
        make_customers(partner_a, 3)
        job = start(api, template, filter={})
        response = api.post(at(CANCEL, job["id"]))
        assert response.status_code == 200
        assert_matches(CANCEL, "post", response)
        assert response.json()["status"] == "cancelled"
        assert "cancelledDateTime" in response.json()
        run_items(BulkJob.objects.get(pk=job["id"]))
        assert not AdminRelationship.objects.exists()
        assert {r["state"] for r in results(api, job["id"])} == {"pending"}
        again = api.post(at(CANCEL, job["id"]))
        assert again.status_code == 409
        assert again.json()["code"] == "ended"
        assert AuditEvent.objects.filter(action=AuditAction.BULK_JOB_CANCELLED).count() == 1


class TestResults:
    def test_a_made_request_has_its_id_and_link_a_skipped_one_its_reason(
        self, api, partner_a, template
    ):
        customers = make_customers(partner_a, 2)
        ResellerRelationship.objects.filter(customer=customers[1]).update(ended_at=timezone.now())
        customer_list_rebuild(partner=partner_a)
        job = start(api, template, filter={})
        run_items(BulkJob.objects.get(pk=job["id"]))
        response = api.get(at(RESULTS, job["id"]))
        assert response.status_code == 200
        assert_matches(RESULTS, "get", response)
        by_customer = {r["customer"]["tenantId"]: r for r in response.json()["items"]}
        made = AdminRelationship.objects.get()
        done = by_customer[str(customers[0].pk)]
        assert done["state"] == "done"
        assert done["relationshipId"] == str(made.pk)
        assert done["relationshipLink"] == made.link()
        assert done["customer"]["domain"] == customers[0].domain
        assert "reason" not in done
        skipped = by_customer[str(customers[1].pk)]
        assert skipped["state"] == "skipped"
        assert skipped["reason"]["code"] == "ended"
        assert "relationshipId" not in skipped
        only_skipped = results(api, job["id"], state="skipped")
        assert [r["customer"]["tenantId"] for r in only_skipped] == [str(customers[1].pk)]
        bad = api.get(at(RESULTS, job["id"]), {"state": "lost"})
        assert (bad.status_code, bad.json()["field"]) == (400, "state")

    def test_pages_follow_the_continuation_token_in_the_order_of_the_items(
        self, api, partner_a, template
    ):
        make_customers(partner_a, 5)
        job = start(api, template, filter={})
        order = [
            str(customer_id)
            for customer_id in BulkJobItem.objects.filter(job_id=job["id"])
            .order_by("id")
            .values_list("customer_id", flat=True)
        ]
        seen, token = [], None
        while True:
            headers = {"HTTP_MS_CONTINUATIONTOKEN": token} if token else {}
            page = api.get(at(RESULTS, job["id"]), {"size": 2}, **headers).json()
            seen += [r["customer"]["tenantId"] for r in page["items"]]
            if "next" not in page["links"]:
                break
            token = page["links"]["next"]["headers"][0]["value"]
        assert seen == order

    @pytest.mark.parametrize("count", [5, 300])
    def test_a_page_costs_the_same_queries_whatever_the_jobs_size(
        self, api, partner_a, template, count, django_assert_num_queries
    ):
        make_customers(partner_a, count)
        job = start(api, template, filter={})
        run_items(BulkJob.objects.get(pk=job["id"]))
        assert BulkJobItem.objects.filter(state=BulkItemState.DONE).count() == count
        # The key with its app, principal and membership; the app's rate (one
        # statement); the job; the page of items with their customers and requests.
        with django_assert_num_queries(3 + RATE_QUERIES):
            page = api.get(at(RESULTS, job["id"]), {"size": 500}).json()
        assert len(page["items"]) == count
        assert all("relationshipLink" in r for r in page["items"])
        with django_assert_num_queries(3 + RATE_QUERIES):
            first = api.get(at(RESULTS, job["id"]), {"size": 2}).json()
        with django_assert_num_queries(3 + RATE_QUERIES):
            token = first["links"]["next"]["headers"][0]["value"]
            api.get(at(RESULTS, job["id"]), {"size": 2}, HTTP_MS_CONTINUATIONTOKEN=token)
