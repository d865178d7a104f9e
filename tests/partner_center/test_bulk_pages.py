"""Requests in bulk from Partner Center: from the Customer list's search ("Select all that match",
which carries the search, never a list of ids), from customers ticked on its page, or from a
pasted list; the preview; Start; the job's page, its progress, results and CSV; Cancel."""

import csv
import io

import pytest

from tenancy import selectors, services
from tenancy.effects.customer_list import customer_list_rebuild
from tenancy.entra_roles import HELPDESK_ADMINISTRATOR
from tenancy.models import AdminRelationship, BulkItemState, BulkJob, BulkJobItem, BulkJobStatus
from tests.factories import make_customers
from tests.partner_center.conftest import SIGNED_IN_QUERIES, url

pytestmark = pytest.mark.django_db

READER = "88d8e3e3-8f55-4a1e-953a-9b9898b8876b"


@pytest.fixture
def template(partner_a, admin_agent):
    return services.template_create(
        partner=partner_a,
        created_by=admin_agent,
        content=services.TemplateContent(
            name="Helpdesk tier", roles=[READER, HELPDESK_ADMINISTRATOR], duration_days=365
        ),
    )


@pytest.fixture
def agent(client, admin_agent):
    client.force_login(admin_agent)
    return client


def named(partner, count: int, prefix: str):
    customers = make_customers(partner, count)
    for n, customer in enumerate(customers):
        customer.name = f"{prefix} {n:03d}"
        customer.save(update_fields=["name"])
    customer_list_rebuild(partner=partner)
    return customers


def test_the_customer_list_offers_to_select_all_that_match(agent, partner_a, template):
    named(partner_a, 3, "Alpine")
    named(partner_a, 2, "Baker")
    page = agent.get(url("customer-list") + "?q=alpine").content.decode()
    assert "Select all 3 customers that match" in page
    assert 'name="q" value="alpine"' in page
    assert page.count('name="customer"') == 3


def test_select_all_previews_and_starts_one_request_per_customer(
    agent, partner_a, template, django_capture_on_commit_callbacks
):
    named(partner_a, 4, "Alpine")
    named(partner_a, 2, "Baker")
    query = f"?scope=search&q=alpine&template={template.pk}"
    preview = agent.get(url("admin-relationship-bulk-new") + query)
    assert preview.status_code == 200
    assert preview.context["preview"].requests == 4
    assert "4</strong> customers get a request" in preview.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = agent.post(
            url("admin-relationship-bulk-new"),
            {
                "scope": "search",
                "q": "alpine",
                "template": str(template.pk),
                "version": str(template.latest.pk),
                "action": "start",
            },
        )
    job = BulkJob.objects.get()
    assert response.status_code == 302
    assert response["Location"] == url("admin-relationship-bulk-job", job.pk)
    job.refresh_from_db()
    assert (job.status, job.total, job.succeeded) == (BulkJobStatus.DONE, 4, 4)
    made = AdminRelationship.objects.filter(template_version=template.latest)
    assert sorted(made.values_list("customer__name", flat=True)) == [
        f"Alpine {n:03d}" for n in range(4)
    ]
    page = agent.get(response["Location"]).content.decode()
    assert "4 of 4" in page and "Alpine 000" in page and "Link to the request" in page


def test_customers_picked_on_the_page(agent, partner_a, template):
    customers = named(partner_a, 5, "Alpine")
    query = f"?scope=picked&customer={customers[0].pk}&customer={customers[1].pk}"
    response = agent.get(url("admin-relationship-bulk-new") + query + f"&template={template.pk}")
    assert response.context["preview"].requests == 2


def test_an_empty_selection_is_refused_and_starts_nothing(agent, template):
    response = agent.post(
        url("admin-relationship-bulk-new"),
        {"scope": "picked", "template": str(template.pk), "action": "start"},
    )
    assert response.status_code == 400
    assert "Select at least one customer." in response.content.decode()
    assert not BulkJob.objects.exists()


def test_a_paste_of_junk_says_which_lines_and_starts_nothing(agent, partner_a, template):
    named(partner_a, 2, "Alpine")
    data = {
        "scope": "paste",
        "template": str(template.pk),
        "lines": "not a domain!\nnobody.example.com\n",
        "action": "start",
    }
    response = agent.post(url("admin-relationship-bulk-new"), data)
    page = response.content.decode()
    assert response.status_code == 400
    assert "Nobody in this selection would get a request." in page
    assert "Line 1: “not a domain!” is not a domain or a Microsoft ID" in page
    assert "Line 2: nobody.example.com is not one of your customers" in page
    assert not BulkJob.objects.exists()


def test_a_paste_over_the_limit_is_refused(agent, template):
    data = {"scope": "paste", "template": str(template.pk), "lines": "a.example.com\n" * 5001}
    response = agent.post(url("admin-relationship-bulk-new"), data)
    assert response.status_code == 400
    assert "Paste at most 5,000 lines" in response.content.decode()


def test_a_pasted_list_goes_on_past_its_bad_lines(
    agent, partner_a, template, django_capture_on_commit_callbacks
):
    customers = named(partner_a, 2, "Alpine")
    lines = f"{customers[0].domain}\n{customers[1].pk}\ngarbage line\n"
    with django_capture_on_commit_callbacks(execute=True):
        agent.post(
            url("admin-relationship-bulk-new"),
            {"scope": "paste", "template": str(template.pk), "lines": lines, "action": "start"},
        )
    job = BulkJob.objects.get()
    job.refresh_from_db()
    assert (job.total, job.succeeded, job.skipped) == (3, 2, 1)


def test_start_refuses_when_the_template_changed_since_the_preview(
    agent, partner_a, admin_agent, template
):
    named(partner_a, 2, "Alpine")
    preview_version = template.latest
    services.template_update(
        template=template,
        changed_by=admin_agent,
        content=services.TemplateContent(name="Helpdesk tier", roles=[READER], duration_days=90),
    )
    response = agent.post(
        url("admin-relationship-bulk-new"),
        {
            "scope": "search",
            "template": str(template.pk),
            "version": str(preview_version.pk),
            "action": "start",
        },
    )
    assert response.status_code == 400
    assert "The template changed since this preview" in response.content.decode()
    assert not BulkJob.objects.exists()


def test_only_admin_agents_start_jobs(client, sales_agent, template):
    client.force_login(sales_agent)
    assert client.get(url("admin-relationship-bulk-new")).status_code == 403
    assert client.get(url("admin-relationship-bulk-jobs")).status_code == 200


@pytest.fixture
def job(partner_a, admin_agent, template, django_capture_on_commit_callbacks):
    customers = named(partner_a, 3, "Alpine")
    with django_capture_on_commit_callbacks(execute=True):
        return services.bulk_request_start(
            membership=admin_agent.membership,
            selection=services.Selection(
                pasted="\n".join(["nobody.example.com", *(c.domain for c in customers)])
            ),
            version=template.latest,
        )


def test_another_partners_job_is_a_404(client, agent_b, job):
    client.force_login(agent_b)
    for name in (
        "admin-relationship-bulk-job",
        "admin-relationship-bulk-progress",
        "admin-relationship-bulk-results",
    ):
        assert client.get(url(name, job.pk)).status_code == 404
    assert client.post(url("admin-relationship-bulk-cancel", job.pk)).status_code == 404


def test_the_results_as_csv(agent, job):
    response = agent.get(url("admin-relationship-bulk-results", job.pk))
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))
    assert rows[0][:5] == [
        "Company name",
        "Primary domain",
        "Microsoft ID",
        "Pasted line",
        "Result",
    ]
    by_result = {}
    for row in rows[1:]:
        by_result.setdefault(row[4], []).append(row)
    assert len(by_result["Done"]) == 3
    assert all(row[7].startswith("http") for row in by_result["Done"])
    assert by_result["Skipped"][0][3] == "nobody.example.com"
    assert by_result["Skipped"][0][5] == "Not one of your customers"


def test_progress_as_json(agent, job):
    progress = agent.get(url("admin-relationship-bulk-progress", job.pk)).json()
    assert progress["status"] == "done" and progress["done"] == progress["total"] == 4
    assert progress["text"]["done"] == "4 of 4"


def test_results_filtered_by_state(agent, job):
    response = agent.get(url("admin-relationship-bulk-job", job.pk) + "?state=skipped")
    items = list(response.context["page"])
    assert [item.state for item in items] == [BulkItemState.SKIPPED]
    assert items[0].reason_text == "Not one of your customers"


def test_cancel_stops_a_running_job(agent, partner_a, admin_agent, template):
    named(partner_a, 3, "Alpine")
    job = services.bulk_request_start(  # not run: its steps wait for the commit
        membership=admin_agent.membership,
        selection=_everyone(),
        version=template.latest,
    )
    response = agent.post(url("admin-relationship-bulk-cancel", job.pk), follow=True)
    job.refresh_from_db()
    assert job.status == BulkJobStatus.CANCELLED
    assert "The job is cancelled after 0 of 3" in response.content.decode()
    assert BulkJobItem.objects.filter(job=job, state=BulkItemState.PENDING).count() == 3


def _everyone():
    return services.Selection(search=selectors.CustomerFilter())


@pytest.mark.parametrize("size", [5, 60])
def test_preview_and_start_cost_a_fixed_number_of_queries(
    agent, partner_a, template, size, django_assert_num_queries
):
    named(partner_a, size, "Alpine")
    query = url("admin-relationship-bulk-new") + f"?scope=search&q=alpine&template={template.pk}"
    # The preview, and under it "If approved" (the template's mappings with their members: one
    # query).
    with django_assert_num_queries(SIGNED_IN_QUERIES + 6):
        assert agent.get(query).context["preview"].requests == size
    with django_assert_num_queries(SIGNED_IN_QUERIES + 10):
        agent.post(
            url("admin-relationship-bulk-new"),
            {"scope": "search", "q": "alpine", "template": str(template.pk), "action": "start"},
        )
    assert BulkJob.objects.get().total == size


@pytest.mark.parametrize("size", [5, 120])
def test_the_job_page_costs_a_fixed_number_of_queries(
    agent,
    partner_a,
    admin_agent,
    template,
    size,
    django_assert_num_queries,
    django_capture_on_commit_callbacks,
):
    named(partner_a, size, "Alpine")
    with django_capture_on_commit_callbacks(execute=True):
        job = services.bulk_request_start(
            membership=admin_agent.membership, selection=_everyone(), version=template.latest
        )
    with django_assert_num_queries(SIGNED_IN_QUERIES + 2):
        page = agent.get(url("admin-relationship-bulk-job", job.pk)).context["page"]
    assert len(page.object_list) == min(size, 50)
    if page.next_cursor:
        with django_assert_num_queries(SIGNED_IN_QUERIES + 2):
            agent.get(url("admin-relationship-bulk-job", job.pk) + f"?cursor={page.next_cursor}")
    with django_assert_num_queries(SIGNED_IN_QUERIES + 1):
        agent.get(url("admin-relationship-bulk-progress", job.pk))
    with django_assert_num_queries(SIGNED_IN_QUERIES + 1):
        agent.get(url("admin-relationship-bulk-jobs"))


def test_the_job_page_and_its_progress_are_never_cached_by_the_browser(agent, job):
    # A running job's page and the progress it polls change as the worker goes.
    for name in ("admin-relationship-bulk-job", "admin-relationship-bulk-progress"):
        response = agent.get(url(name, job.pk))
        assert "no-store" in response["Cache-Control"], name
