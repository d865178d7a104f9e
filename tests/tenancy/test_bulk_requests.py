"""Requests in bulk: the preview counts who gets a request and who is skipped and why, the job
makes one request per customer and template version, its lines are results, and a cancelled job
stops. (The test settings run each step as it is queued; tests/tenancy/test_bulk_worker.py runs
the real worker.)"""

import pytest
from django.core import mail
from django.utils import timezone

from tenancy import selectors, services
from tenancy.choices import AuditAction, BulkItemState, BulkJobStatus, WebhookEventName
from tenancy.entra_roles import HELPDESK_ADMINISTRATOR
from tenancy.models import (
    AdminRelationship,
    AuditEvent,
    BulkJob,
    BulkJobItem,
    Cloud,
    ResellerRelationship,
    Role,
    WebhookEvent,
    WebhookSubscription,
)
from tenancy.services import bulk_items, bulk_jobs
from tenancy.services.bulk_selection import Selection, bulk_request_preview
from tests.factories import make_customers, member

pytestmark = pytest.mark.django_db

READER = "88d8e3e3-8f55-4a1e-953a-9b9898b8876b"


@pytest.fixture
def version(partner_a, admin_agent):
    template = services.template_create(
        partner=partner_a,
        created_by=admin_agent,
        content=services.TemplateContent(
            name="Helpdesk tier", roles=[READER, HELPDESK_ADMINISTRATOR], duration_days=365
        ),
    )
    return template.latest


def everyone() -> Selection:
    return Selection(search=selectors.CustomerFilter())


@pytest.fixture
def start(django_capture_on_commit_callbacks):
    """Start a job as `agent`; its steps run as the start's transaction commits."""

    def start_as(agent, version, selection=None, **options):
        with django_capture_on_commit_callbacks(execute=True):
            return bulk_jobs.bulk_request_start(
                membership=agent.membership,
                selection=selection or everyone(),
                version=version,
                **options,
            )

    return start_as


class TestPreview:
    def test_it_counts_who_gets_a_request_and_why_the_others_are_skipped(
        self, partner_a, admin_agent, version, start
    ):
        customers = make_customers(partner_a, 6)
        ended = customers[0]
        ResellerRelationship.objects.filter(customer=ended).update(ended_at=timezone.now())
        from tenancy.effects.customer_list import customer_list_rebuild

        customer_list_rebuild(partner=partner_a)
        gov = make_customers(partner_a, 1, cloud=Cloud.USGOV)
        assert gov
        start(admin_agent, version, Selection(picked=(str(customers[1].pk),)))

        preview = bulk_request_preview(partner=partner_a, selection=everyone(), version=version)
        assert (preview.total, preview.requests) == (7, 4)
        assert preview.skipped == {"already": 1, "ended": 1, "other_cloud": 1}

    def test_the_preview_costs_the_same_for_ten_customers_or_two_hundred(
        self, partner_a, version, django_assert_num_queries
    ):
        make_customers(partner_a, 10)
        with django_assert_num_queries(1) as ten:
            bulk_request_preview(partner=partner_a, selection=everyone(), version=version)
        make_customers(partner_a, 190)
        with django_assert_num_queries(len(ten.captured_queries)):
            preview = bulk_request_preview(partner=partner_a, selection=everyone(), version=version)
        assert preview.requests == 200

    def test_a_pasted_list_reports_each_line_it_cannot_use(self, partner_a, partner_b, version):
        mine = make_customers(partner_a, 2)
        theirs = make_customers(partner_b, 1)
        pasted = "\n".join(
            [mine[0].domain, str(mine[1].pk), theirs[0].domain, "not a domain!", "", "x" * 10]
        )
        preview = bulk_request_preview(
            partner=partner_a, selection=Selection(pasted=pasted), version=version
        )
        assert preview.requests == 2
        assert preview.unknown == [(3, theirs[0].domain)]
        assert [n for n, _line in preview.unreadable] == [4, 6]

    def test_a_paste_past_its_limit_is_refused_whole(self, partner_a, version):
        with pytest.raises(services.ServiceError, match="at most 5,000 lines"):
            bulk_request_preview(
                partner=partner_a,
                selection=Selection(pasted="a.example\n" * 5001),
                version=version,
            )


class TestJob:
    def test_one_request_per_customer_from_the_version_with_its_results(
        self, partner_a, admin_agent, version, start
    ):
        customers = make_customers(partner_a, 5)
        job = start(admin_agent, version)
        job.refresh_from_db()
        assert (job.status, job.total, job.succeeded, job.skipped) == (BulkJobStatus.DONE, 5, 5, 0)
        made = AdminRelationship.objects.filter(template_version=version)
        assert sorted(r.customer_id for r in made) == sorted(c.pk for c in customers)
        assert {r.status for r in made} == {"approval_pending"}
        assert all(r.link() for r in made)
        items = BulkJobItem.objects.filter(job=job)
        assert {i.state for i in items} == {BulkItemState.DONE}
        assert AuditEvent.objects.filter(action=AuditAction.BULK_JOB_FINISHED).count() == 1

    def test_its_results_read_in_the_customer_lists_order(
        self, partner_a, admin_agent, version, start
    ):
        # Written in an order that is not the names': the ids, UUIDs, are in no order either.
        for name in ("Zeta", "Alpha", "Mu", "Beta", "Omega", "Delta"):
            make_customers(partner_a, 1, name=name)
        job = start(admin_agent, version)
        items = BulkJobItem.objects.filter(job=job).order_by("id")
        names = [item.customer.name for item in items.select_related("customer")]
        assert names == sorted(names)

    def test_a_second_job_for_the_same_version_skips_everyone_already_asked(
        self, partner_a, admin_agent, version, start
    ):
        make_customers(partner_a, 3)
        start(admin_agent, version)
        again = start(admin_agent, version)
        again.refresh_from_db()
        assert (again.succeeded, again.skipped) == (0, 3)
        assert {i.reason for i in again.items.all()} == {"already"}
        assert AdminRelationship.objects.filter(template_version=version).count() == 3

    def test_pasted_lines_that_name_nobody_are_results_with_their_reason(
        self, partner_a, admin_agent, version, start
    ):
        [customer] = make_customers(partner_a, 1)
        job = start(admin_agent, version, Selection(pasted=f"{customer.domain}\nnope\n"))
        job.refresh_from_db()
        assert (job.total, job.succeeded, job.skipped) == (2, 1, 1)
        assert job.items.get(state=BulkItemState.SKIPPED).reason == "unreadable_line"

    def test_it_can_email_each_request_to_the_customers_global_administrators(
        self, partner_a, admin_agent, version, start
    ):
        [customer] = make_customers(partner_a, 1, country_id="DE")
        member(customer, Role.CUSTOMER_GLOBAL_ADMIN, email="it@alpine.example")
        start(admin_agent, version, send_email=True)
        [email] = mail.outbox
        assert email.to == ["it@alpine.example"]
        relationship = AdminRelationship.objects.get(customer=customer)
        assert relationship.language == "de" and relationship.link() in email.body

    def test_asked_to_email_a_customer_nobody_can_receive_it_fails_and_makes_nothing(
        self, partner_a, admin_agent, version, start
    ):
        reachable, unreachable = make_customers(partner_a, 2)
        member(reachable, Role.CUSTOMER_GLOBAL_ADMIN, email="it@reachable.example")
        job = start(admin_agent, version, send_email=True)
        job.refresh_from_db()
        assert (job.succeeded, job.failed) == (1, 1)
        failed = BulkJobItem.objects.get(job=job, state=BulkItemState.FAILED)
        assert (failed.customer, failed.reason, failed.relationship) == (
            unreachable,
            "no_address",
            None,
        )
        assert not AdminRelationship.objects.filter(customer=unreachable).exists()
        assert [email.to for email in mail.outbox] == [["it@reachable.example"]]

    def test_each_request_is_named_after_its_customer_and_template_and_a_taken_name_is_not_lost(
        self, partner_a, admin_agent, version, start
    ):
        # Short names: a long one is cut to make room for the suffix, and the factory's random
        # names were sometimes that long (the test failed by chance).
        [first] = make_customers(partner_a, 1, name="Alpine Ski House")
        [second] = make_customers(partner_a, 1, name="Fabrikam")
        # A request of the second customer's, made by hand, already has the plain name.
        AdminRelationship.objects.create(
            partner=partner_a,
            customer=second,
            name=f"{second.name} - Helpdesk tier",
            roles=[READER],
            duration_days=30,
        )
        job = start(admin_agent, version)
        job.refresh_from_db()
        assert job.succeeded == 2
        made = AdminRelationship.objects.filter(template_version=version)
        assert made.get(customer=first).name == f"{first.name} - Helpdesk tier"
        other = made.get(customer=second).name
        assert other.startswith(f"{second.name} - Helpdesk tier ") and len(other) <= 50

    def test_one_customers_surprise_fails_that_item_alone_and_leaves_nothing_of_it(
        self, partner_a, admin_agent, version, start, monkeypatch
    ):
        first, troubled, last = make_customers(partner_a, 3)
        real = bulk_items.make_admin_request

        def make(**kwargs):
            made = real(**kwargs)  # written, then the surprise: all of it must go
            if kwargs["customer"].pk == troubled.pk:
                raise RuntimeError("the database went away")
            return made

        monkeypatch.setattr(bulk_items, "make_admin_request", make)
        job = start(admin_agent, version)
        job.refresh_from_db()
        assert (job.status, job.succeeded, job.failed) == (BulkJobStatus.DONE, 2, 1)
        failed = BulkJobItem.objects.get(job=job, state=BulkItemState.FAILED)
        assert (failed.customer, failed.reason) == (troubled, "error")
        assert not AdminRelationship.objects.filter(customer=troubled).exists()
        assert not AuditEvent.objects.filter(customer=troubled).exists()
        assert AdminRelationship.objects.filter(customer__in=[first, last]).count() == 2

    def test_a_webhook_event_tells_the_partner_the_job_finished(
        self, partner_a, admin_agent, version, start
    ):
        WebhookSubscription.objects.create(
            partner=partner_a,
            url="https://hooks.example.com/x",
            events=[WebhookEventName.BULK_JOB_FINISHED],
            created_by=admin_agent,
        )
        make_customers(partner_a, 1)
        job = start(admin_agent, version)
        [event] = WebhookEvent.objects.all()
        assert event.payload["ResourceUri"].endswith(f"/v1/bulkJobs/{job.pk}")

    def test_a_cancelled_job_does_no_more(
        self, partner_a, admin_agent, version, monkeypatch, start
    ):
        make_customers(partner_a, 4)
        monkeypatch.setattr(bulk_jobs, "_queue_step", lambda job_id, **kw: None)
        job = start(admin_agent, version)
        bulk_items.run_items(job, seconds=0)  # nothing yet
        bulk_jobs.bulk_job_cancel(membership=admin_agent.membership, job=job)
        bulk_items.run_items(job)
        job.refresh_from_db()
        assert (job.status, job.done) == (BulkJobStatus.CANCELLED, 0)
        assert not AdminRelationship.objects.filter(template_version=version).exists()

    def test_only_admin_agents_start_jobs_and_only_with_their_own_templates(
        self, partner_a, partner_b, sales_agent, version, start
    ):
        make_customers(partner_a, 1)
        with pytest.raises(services.ServiceError, match="Only Admin agents"):
            start(sales_agent, version)
        agent_b = member(partner_b, Role.ADMIN_AGENT)
        with pytest.raises(services.ServiceError, match="your organization's templates"):
            start(agent_b, version)
        assert not BulkJob.objects.exists()

    def test_an_empty_selection_is_refused(self, partner_a, admin_agent, version, start):
        with pytest.raises(services.ServiceError, match="at least one customer"):
            start(admin_agent, version)
        assert not BulkJob.objects.exists()
