"""Bulk jobs on the real task worker, run as processes of their own against PostgreSQL: one
killed mid-job (SIGKILL) and started again, two on one job, two jobs for the same customers at
once — each ends with exactly one request per customer and template version."""

import signal
import subprocess
import time

import pytest

from tenancy import selectors, services
from tenancy.choices import BulkItemState, BulkJobStatus
from tenancy.entra_roles import HELPDESK_ADMINISTRATOR
from tenancy.models import AdminRelationship, BulkJob
from tenancy.services import bulk_jobs
from tenancy.services.bulk_selection import Selection
from tests.factories import make_customers
from tests.worker import worker_process

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("reference_data"),
]

READER = "88d8e3e3-8f55-4a1e-953a-9b9898b8876b"
CUSTOMERS = 600


@pytest.fixture
def database_backend(settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    settings.BULK_JOB_LEASE_SECONDS = 2


@pytest.fixture
def version(partner_a, admin_agent):
    return services.template_create(
        partner=partner_a,
        created_by=admin_agent,
        content=services.TemplateContent(
            name="Helpdesk tier", roles=[READER, HELPDESK_ADMINISTRATOR], duration_days=365
        ),
    ).latest


def worker() -> subprocess.Popen:
    """`manage.py db_worker`, a process of its own, on the test database."""
    return worker_process()


def wait_for(condition, seconds=60):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.1)
    raise AssertionError("waited in vain")


def job_of(job) -> BulkJob:
    return BulkJob.objects.get(pk=job.pk)


def start(agent, version) -> BulkJob:
    return bulk_jobs.bulk_request_start(
        membership=agent.membership,
        selection=Selection(search=selectors.CustomerFilter()),
        version=version,
    )


def assert_one_request_per_customer(version, customers):
    made = list(
        AdminRelationship.objects.filter(template_version=version).values_list(
            "customer_id", flat=True
        )
    )
    assert len(made) == len(set(made)) == len(customers)


def stop(*processes):
    for process in processes:
        process.terminate()
        process.wait(10)


@pytest.mark.usefixtures("database_backend")
def test_a_worker_killed_mid_job_is_taken_over_and_the_job_ends_with_one_request_each(
    partner_a, admin_agent, version
):
    customers = make_customers(partner_a, CUSTOMERS)
    job = start(admin_agent, version)
    first = worker()
    try:
        wait_for(lambda: job_of(job).done >= 50)
        first.send_signal(signal.SIGKILL)
        first.wait(10)
    finally:
        first.kill()
    killed_at = job_of(job)
    assert killed_at.status == BulkJobStatus.RUNNING and killed_at.done < CUSTOMERS

    second = worker()
    try:
        wait_for(lambda: job_of(job).status == BulkJobStatus.DONE)
    finally:
        stop(second)
    job = job_of(job)
    assert (job.succeeded, job.skipped, job.failed) == (CUSTOMERS, 0, 0)
    assert not job.items.exclude(state=BulkItemState.DONE).exists()
    assert_one_request_per_customer(version, customers)


@pytest.mark.usefixtures("database_backend")
def test_two_workers_on_one_job_share_its_items(partner_a, admin_agent, version):
    customers = make_customers(partner_a, CUSTOMERS)
    job = start(admin_agent, version)
    bulk_jobs.bulk_job_step.enqueue(job_id=str(job.pk))  # a second step, at once
    workers = [worker(), worker()]
    try:
        wait_for(lambda: job_of(job).status == BulkJobStatus.DONE)
    finally:
        stop(*workers)
    assert job_of(job).succeeded == CUSTOMERS
    assert_one_request_per_customer(version, customers)


@pytest.mark.usefixtures("database_backend")
def test_two_agents_starting_the_same_bulk_request_at_once_make_one_request_each(
    partner_a, admin_agent, version
):
    from tenancy.models import Role
    from tests.factories import member

    other_agent = member(partner_a, Role.ADMIN_AGENT)
    customers = make_customers(partner_a, CUSTOMERS)
    jobs = [start(admin_agent, version), start(other_agent, version)]
    workers = [worker(), worker()]
    try:
        wait_for(lambda: all(job_of(job).status == BulkJobStatus.DONE for job in jobs))
    finally:
        stop(*workers)
    done = [job_of(job) for job in jobs]
    assert sum(job.succeeded for job in done) == CUSTOMERS
    assert sum(job.skipped for job in done) == CUSTOMERS
    assert_one_request_per_customer(version, customers)
