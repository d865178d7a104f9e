"""Durable background work: tenancy.tasks' retries with backoff and every email, on the database
backend and django-tasks-db's real worker (`manage.py db_worker --batch`: each task that is due,
then exit).

Transactional: writes commit as in production, so emails are queued by real on-commit hooks
(and the worker, which checks its connection between tasks, works on PostgreSQL too). They run
last, after browser tests may have emptied the database: the reference data is loaded again."""

import smtplib
from datetime import UTC, datetime, timedelta
from io import StringIO

import pytest
from django.core import mail
from django.core.mail.backends import locmem
from django.core.management import call_command
from django.db import transaction
from django.tasks import TaskResultStatus
from django.urls import reverse
from django_tasks_db.models import DBTaskResult

from tenancy import services
from tenancy.effects.email import send_email
from tenancy.models import Cloud, InvitationStatus
from tenancy.tasks import GiveUp, enqueue_on_commit, retried_task
from tests.factories import AdminRelationshipFactory, UserFactory
from tests.operators import sign_in_operator
from tests.worker import run_worker, time_passes

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("reference_data")]

READY, FAILED, SUCCESSFUL = (
    TaskResultStatus.READY,
    TaskResultStatus.FAILED,
    TaskResultStatus.SUCCESSFUL,
)
SIGNER = services.Signer(first_name="Nancy", last_name="Davolio", email="nancy@example.com")

RUNS: list[int] = []


@retried_task(takes_context=True)
def flaky(context, *, failures: int) -> str:
    RUNS.append(context.attempt)
    if context.attempt <= failures:
        raise ConnectionError(f"attempt {context.attempt} failed")
    return f"done on attempt {context.attempt}"


@retried_task(max_attempts=3)
def always_down() -> None:
    RUNS.append(len(RUNS) + 1)
    raise ConnectionError("still down")


@retried_task
def hopeless() -> None:
    RUNS.append(len(RUNS) + 1)
    raise GiveUp("the receiver is gone")


class FlakyMailer(locmem.EmailBackend):
    """The test outbox behind a mail server that drops the first `failures` connections."""

    failures = 0

    def send_messages(self, messages):
        if FlakyMailer.failures:
            FlakyMailer.failures -= 1
            raise smtplib.SMTPServerDisconnected("Connection unexpectedly closed")
        return super().send_messages(messages)


@pytest.fixture(autouse=True)
def database_backend(settings):
    """Tasks are rows, run only by the worker (the suite's default runs them at once)."""
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    RUNS.clear()


@pytest.fixture
def mail_server_down(settings):
    """The mail server refuses the next two emails, then comes back."""
    settings.MAILERS = {"default": {"BACKEND": f"{__name__}.FlakyMailer"}}
    FlakyMailer.failures = 2
    yield
    FlakyMailer.failures = 0


def the_result() -> DBTaskResult:
    [result] = DBTaskResult.objects.all()
    return result


def assert_waits(result: DBTaskResult, delay: timedelta) -> None:
    assert result.status == READY
    assert result.finished_at is None
    waited = result.run_after - result.started_at
    assert delay <= waited < delay + timedelta(seconds=5)


# --- Retries with backoff -----------------------------------------------------------------------


def test_a_task_that_fails_twice_is_retried_later_each_time_and_succeeds_once():
    result = flaky.enqueue(failures=2)

    run_worker()
    assert RUNS == [1]
    assert_waits(the_result(), timedelta(seconds=30))
    assert "attempt 1 failed" in the_result().traceback

    run_worker()
    assert RUNS == [1], "not due yet"

    time_passes()
    run_worker()
    assert RUNS == [1, 2]
    assert_waits(the_result(), timedelta(minutes=1))

    time_passes()
    run_worker()
    assert RUNS == [1, 2, 3]
    result.refresh()
    assert result.status == SUCCESSFUL
    assert result.attempts == 3
    assert result.return_value == "done on attempt 3"
    assert DBTaskResult.objects.count() == 1

    time_passes()
    run_worker()
    assert RUNS == [1, 2, 3]


def test_a_task_that_keeps_failing_is_left_failed_after_its_last_attempt():
    result = always_down.enqueue()
    for _ in range(5):
        run_worker()
        time_passes()

    assert RUNS == [1, 2, 3]
    result.refresh()
    assert result.status == FAILED
    assert result.attempts == 3
    [error] = result.errors
    assert error.exception_class_path == "builtins.ConnectionError"
    assert "still down" in error.traceback


def test_a_task_that_gives_up_fails_at_once():
    result = hopeless.enqueue()
    run_worker()
    time_passes()
    run_worker()

    assert RUNS == [1]
    result.refresh()
    assert result.status == FAILED
    assert result.errors[0].exception_class_path == "tenancy.tasks.GiveUp"


def test_the_backoff_doubles_from_30_seconds_to_an_hour_and_gives_up_within_a_day():
    assert [send_email.delay_after(attempt) for attempt in range(1, 10)] == [
        timedelta(seconds=30),
        timedelta(minutes=1),
        timedelta(minutes=2),
        timedelta(minutes=4),
        timedelta(minutes=8),
        timedelta(minutes=16),
        timedelta(minutes=32),
        timedelta(hours=1),
        timedelta(hours=1),
    ]
    assert send_email.delay_after(10_000) == timedelta(hours=1)

    queued = datetime(2026, 6, 1, tzinfo=UTC)
    attempt, failed_at = 1, queued
    while at := send_email.next_attempt_at(
        attempt=attempt, enqueued_at=queued, failed_at=failed_at
    ):
        attempt, failed_at = attempt + 1, at
    assert attempt == 30
    assert timedelta(hours=23) < failed_at - queued <= timedelta(days=1)


def test_arguments_that_are_not_json_are_refused_where_the_task_is_queued():
    with pytest.raises(TypeError):
        enqueue_on_commit(flaky, failures=object())


def test_a_task_queued_on_commit_waits_for_the_commit_and_is_dropped_on_rollback():
    with pytest.raises(RuntimeError), transaction.atomic():
        enqueue_on_commit(flaky, failures=0)
        raise RuntimeError
    assert not DBTaskResult.objects.exists()

    with transaction.atomic():
        enqueue_on_commit(flaky, failures=0)
        assert not DBTaskResult.objects.exists()
    assert DBTaskResult.objects.count() == 1


# --- Emails -------------------------------------------------------------------------------------


def create(partner, agent):
    return services.invitation_create(
        partner=partner, created_by=agent, include_admin=True, recipient_email="it@nw.example"
    )


def test_an_acceptance_email_survives_a_mail_server_that_is_down(
    partner_a, sales_agent, customer_admin, mail_server_down
):
    invitation = create(partner_a, sales_agent)
    services.invitation_accept(
        invitation_id=invitation.pk,
        user=customer_admin,
        signer=SIGNER,
        client_ip="203.0.113.9",
        portal_cloud=Cloud.PUBLIC,
    )
    invitation.refresh_from_db()
    assert invitation.status == InvitationStatus.ACCEPTED
    assert mail.outbox == []
    assert the_result().task_path == "tenancy.effects.email.send_email"

    run_worker()
    assert mail.outbox == []
    assert_waits(the_result(), timedelta(seconds=30))
    assert "SMTPServerDisconnected" in the_result().traceback

    time_passes()
    run_worker()
    assert mail.outbox == []

    time_passes()
    run_worker()
    [email] = mail.outbox
    assert email.to == [sales_agent.email]
    assert "accepted" in email.subject.lower()
    assert the_result().status == SUCCESSFUL
    assert len(the_result().worker_ids) == 3


def test_a_requests_email_is_rendered_when_sent_so_its_token_is_never_stored(
    partner_a, sales_agent
):
    invitation = create(partner_a, sales_agent)
    token = invitation.token()
    services.invitation_send(invitation=invitation, sent_by=sales_agent, to="it@nw.example")
    assert token not in str(the_result().args_kwargs)

    run_worker()
    [email] = mail.outbox
    assert email.to == ["it@nw.example"]
    assert email.reply_to == [sales_agent.email]
    assert f"token={token}" in email.body
    assert the_result().return_value == "Sent."


def test_a_request_revoked_before_its_email_left_is_not_sent(partner_a, sales_agent):
    invitation = create(partner_a, sales_agent)
    services.invitation_send(invitation=invitation, sent_by=sales_agent, to="it@nw.example")
    services.invitation_revoke(invitation=invitation, revoked_by=sales_agent)

    run_worker()
    assert mail.outbox == []
    assert the_result().status == SUCCESSFUL
    assert "no longer waiting" in the_result().return_value


# --- Admin relationship reminders ---------------------------------------------------------------


def test_the_reminders_command_can_queue_its_run_for_the_worker(partner_a, admin_agent):
    now = datetime(2026, 6, 1, 6, 0, tzinfo=UTC)
    AdminRelationshipFactory(
        partner=partner_a,
        duration_days=90,
        approved_at=now - timedelta(days=60),
        ends_at=now + timedelta(days=30),
    )
    out = StringIO()
    call_command("admin_relationship_reminders", now=now.isoformat(), enqueue=True, stdout=out)
    assert out.getvalue().startswith("Queued the reminders for the worker (task ")
    assert mail.outbox == []

    # The run queues its email as its transaction commits; the same pass of the worker sends it.
    run_worker()
    [run] = DBTaskResult.objects.filter(
        task_path="tenancy.services.admin_relationship_expiry.admin_relationship_reminders"
    )
    assert run.return_value == {"reminders": 1, "expired": 0, "extended": 0, "chased": 0}
    [email] = mail.outbox
    assert email.to == [admin_agent.email]


# --- The operators' console ---------------------------------------------------------------------


def test_operators_see_task_results_with_their_error_and_cannot_delete_them(client):
    always_down.enqueue()
    for _ in range(3):
        run_worker()
        time_passes()
    result = the_result()
    sign_in_operator(client, UserFactory(is_staff=True, is_superuser=True))

    index = client.get(reverse("admin:index"))
    assert reverse("admin:django_tasks_database_dbtaskresult_changelist") in index.text
    failed = client.get(
        reverse("admin:django_tasks_database_dbtaskresult_changelist"), {"status__exact": FAILED}
    )
    assert "always_down" in failed.text
    page = client.get(reverse("admin:django_tasks_database_dbtaskresult_change", args=[result.pk]))
    assert page.status_code == 200
    assert "still down" in page.text
    delete = reverse("admin:django_tasks_database_dbtaskresult_delete", args=[result.pk])
    assert client.post(delete, {"post": "yes"}).status_code == 403
    assert DBTaskResult.objects.filter(pk=result.pk).exists()
