"""A worker killed mid-task gives its task back: a task whose worker has not been heard from for a
lease (TASK_LEASE) is run again, by another worker or the same one restarted, and tasks are safe
to run twice (an email or a webhook delivery is not sent again once it is recorded sent; a repeat
carries the same id, so its receiver can drop it).

A killed worker is played in two ways: in this process, by leaving a task the way a killed worker
leaves it (claimed, then nothing more: Running), and, on PostgreSQL, by SIGKILLing a real
`manage.py db_worker` in the middle of a webhook delivery."""

import signal
import smtplib
import subprocess
import threading
import time
from datetime import timedelta
from pathlib import Path

import pytest
from django.core import mail
from django.core.mail.backends import locmem
from django.db import OperationalError, connection
from django.db.models import F, QuerySet
from django.tasks import TaskResultStatus, task
from django_tasks_db.models import DBTaskResult, get_date_max

from tenancy import services
from tenancy.models import (
    AttemptOutcome,
    Cloud,
    DeliveryAttempt,
    DeliveryStatus,
    WebhookDelivery,
    WebhookEventName,
)
from tenancy.tasks import retried_task, take_back_lost_tasks, through_outage
from tests.tenancy.test_webhooks import HANG, Receiver, emit, subscribe
from tests.worker import run_worker, time_passes, worker_process

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("reference_data")]

READY, RUNNING, FAILED, SUCCESSFUL = (
    TaskResultStatus.READY,
    TaskResultStatus.RUNNING,
    TaskResultStatus.FAILED,
    TaskResultStatus.SUCCESSFUL,
)
LEASE = timedelta(minutes=5)
SIGNER = services.Signer(first_name="Nancy", last_name="Davolio", email="nancy@example.com")

RUNS: list[int] = []


@retried_task(takes_context=True)
def counted(context) -> str:
    RUNS.append(context.attempt)
    return f"done on attempt {context.attempt}"


@retried_task(max_attempts=2)
def two_tries() -> None:
    RUNS.append(len(RUNS) + 1)


@task
def plain() -> None:
    RUNS.append(len(RUNS) + 1)


@retried_task(takes_context=True)
def outlives_its_lease(context, *, seconds: float) -> dict:
    """Runs for several leases, then says whether its row was still its own all along."""
    time.sleep(seconds)
    row = DBTaskResult.objects.get(pk=context.task_result.id)
    return {"status": row.status, "taken_back": take_back_lost_tasks(by="another-worker")}


class WorkerKilled(BaseException):
    """The worker process ends here, as under SIGKILL: nothing after it runs."""


@pytest.fixture(autouse=True)
def database_backend(settings):
    """Tasks are rows, run only by the worker; the lease is the default's."""
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    settings.TASK_LEASE = LEASE
    RUNS.clear()


@pytest.fixture
def killed_before_its_end_is_recorded(monkeypatch):
    """The next task the worker runs does its work, then its worker dies before writing that the
    task ended (the row stays Running). `undo()` brings the workers back."""

    def die(self, *args):
        raise WorkerKilled

    monkeypatch.setattr(DBTaskResult, "set_successful", die)
    monkeypatch.setattr(DBTaskResult, "set_failed", die)
    return monkeypatch


def the_result() -> DBTaskResult:
    [result] = DBTaskResult.objects.all()
    return result


def killed_while_running(result_id, worker_id: str = "killed-worker") -> None:
    """What a worker killed in the middle of a task leaves: the task claimed, and nothing more."""
    DBTaskResult.objects.get(pk=result_id).claim(worker_id)


def run_dying_worker() -> None:
    with pytest.raises(WorkerKilled):
        run_worker()


def lease_passes() -> None:
    """A lease and a second go by: every timestamp on the tasks is that much older."""
    by = LEASE + timedelta(seconds=1)
    DBTaskResult.objects.update(enqueued_at=F("enqueued_at") - by)
    DBTaskResult.objects.exclude(started_at=None).update(started_at=F("started_at") - by)
    DBTaskResult.objects.exclude(run_after=get_date_max()).update(run_after=F("run_after") - by)


# --- The lease ----------------------------------------------------------------------------------


def test_a_task_whose_worker_was_killed_runs_again_once_its_lease_is_up_and_not_before():
    result = counted.enqueue()
    killed_while_running(result.id)

    run_worker()
    assert RUNS == []
    assert the_result().status == RUNNING

    lease_passes()
    run_worker()
    assert RUNS == [2], "the killed run counts as an attempt"
    result.refresh()
    assert result.status == SUCCESSFUL
    assert result.return_value == "done on attempt 2"
    assert result.worker_ids[0] == "killed-worker"
    assert result.attempts == 2

    lease_passes()
    run_worker()
    assert RUNS == [2]


def test_a_task_taken_back_is_ready_with_its_lost_worker_as_its_last_error():
    result = counted.enqueue()
    killed_while_running(result.id)
    lease_passes()

    assert take_back_lost_tasks(by="worker-2") == 1
    row = the_result()
    assert row.status == READY
    assert row.exception_class_path == "tenancy.tasks.WorkerLost"
    assert "killed-worker" in row.traceback
    assert take_back_lost_tasks(by="worker-3") == 0


def test_a_task_that_kills_its_worker_every_time_is_left_failed_after_its_last_attempt():
    result = two_tries.enqueue()
    for attempt in (1, 2):
        killed_while_running(result.id, f"killed-{attempt}")
        lease_passes()
        assert take_back_lost_tasks(by=f"worker-{attempt}") == 1
    run_worker()

    assert RUNS == []
    result.refresh()
    assert result.status == FAILED
    assert result.worker_ids == ["killed-1", "killed-2"]
    [error] = result.errors
    assert error.exception_class_path == "tenancy.tasks.WorkerLost"


def test_a_plain_task_is_taken_back_too_and_left_failed_after_three_lost_attempts():
    result = plain.enqueue()
    killed_while_running(result.id, "killed-1")
    lease_passes()
    run_worker()
    assert RUNS == [1]
    assert the_result().status == SUCCESSFUL

    result = plain.enqueue()
    for attempt in (1, 2, 3):
        killed_while_running(result.id, f"killed-{attempt}")
        lease_passes()
        assert take_back_lost_tasks(by=f"worker-{attempt}") == 1
    run_worker()
    result.refresh()
    assert result.status == FAILED
    assert result.attempts == 3
    assert RUNS == [1]


def test_a_task_that_outlives_its_lease_on_a_live_worker_is_not_taken_back(settings):
    settings.TASK_LEASE = timedelta(seconds=1)
    result = outlives_its_lease.enqueue(seconds=3)

    run_worker()
    result.refresh()
    assert result.status == SUCCESSFUL
    assert result.return_value == {"status": RUNNING, "taken_back": 0}
    assert result.attempts == 1


@pytest.mark.postgres
def test_workers_taking_back_at_once_take_each_task_back_once():
    results = [counted.enqueue() for _ in range(40)]
    for result in results:
        killed_while_running(result.id)
    lease_passes()

    taken: list[int] = []
    start = threading.Barrier(4)

    def take_back(worker_id: str) -> None:
        try:
            start.wait()
            taken.append(take_back_lost_tasks(by=worker_id))
        finally:
            connection.close()

    threads = [threading.Thread(target=take_back, args=(f"worker-{n}",)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert sum(taken) == 40
    assert DBTaskResult.objects.filter(status=READY).count() == 40


# --- Emails: not sent twice ---------------------------------------------------------------------


class LostAnswerMailer(locmem.EmailBackend):
    """The mail server takes the next `lost` emails, but the connection drops before it says so."""

    lost = 0

    def send_messages(self, messages):
        sent = super().send_messages(messages)
        if LostAnswerMailer.lost:
            LostAnswerMailer.lost -= 1
            raise smtplib.SMTPServerDisconnected("Connection unexpectedly closed")
        return sent


def accept(partner, sales_agent, customer_admin):
    invitation = services.invitation_create(
        partner=partner, created_by=sales_agent, include_admin=True, recipient_email="it@nw.example"
    )
    services.invitation_accept(
        invitation_id=invitation.pk,
        user=customer_admin,
        signer=SIGNER,
        client_ip="203.0.113.9",
        portal_cloud=Cloud.PUBLIC,
    )


def test_an_email_its_worker_died_after_sending_is_not_sent_again(
    partner_a, sales_agent, customer_admin, killed_before_its_end_is_recorded
):
    accept(partner_a, sales_agent, customer_admin)
    run_dying_worker()
    assert len(mail.outbox) == 1
    assert the_result().status == RUNNING

    killed_before_its_end_is_recorded.undo()
    lease_passes()
    run_worker()
    assert len(mail.outbox) == 1
    result = the_result()
    assert result.status == SUCCESSFUL
    assert len(result.worker_ids) == 2


def test_a_requests_email_its_worker_died_after_sending_is_not_sent_again(
    partner_a, sales_agent, killed_before_its_end_is_recorded
):
    invitation = services.invitation_create(
        partner=partner_a, created_by=sales_agent, include_admin=True
    )
    services.invitation_send(invitation=invitation, sent_by=sales_agent, to="it@nw.example")
    run_dying_worker()
    assert len(mail.outbox) == 1

    killed_before_its_end_is_recorded.undo()
    lease_passes()
    run_worker()
    assert len(mail.outbox) == 1
    assert the_result().status == SUCCESSFUL
    assert the_result().return_value == "Sent."


def test_an_email_its_worker_was_killed_before_sending_is_sent_once(
    partner_a, sales_agent, customer_admin
):
    accept(partner_a, sales_agent, customer_admin)
    killed_while_running(the_result().pk)
    lease_passes()

    run_worker()
    [email] = mail.outbox
    assert email.to == [sales_agent.email]
    assert the_result().status == SUCCESSFUL


def test_an_email_sent_again_after_a_lost_answer_keeps_its_message_id(
    settings, partner_a, sales_agent, customer_admin
):
    settings.MAILERS = {"default": {"BACKEND": f"{__name__}.LostAnswerMailer"}}
    LostAnswerMailer.lost = 1
    accept(partner_a, sales_agent, customer_admin)

    run_worker()
    time_passes()
    run_worker()
    first, again = mail.outbox
    assert first.message()["Message-ID"] == again.message()["Message-ID"]
    assert str(the_result().pk) in first.message()["Message-ID"]


# --- Webhooks: delivered once, with one id ------------------------------------------------------


def test_a_delivery_its_worker_died_after_recording_it_is_not_sent_again(
    receiver, partner_a, admin_agent, killed_before_its_end_is_recorded
):
    subscribe(admin_agent, receiver.url)
    emit(partner_a)
    run_dying_worker()
    assert len(receiver.received) == 1
    assert WebhookDelivery.objects.get().status == DeliveryStatus.DELIVERED

    killed_before_its_end_is_recorded.undo()
    lease_passes()
    run_worker()
    assert len(receiver.received) == 1
    result = the_result()
    assert result.status == SUCCESSFUL
    assert result.return_value == "Not sent: already delivered."


def test_a_delivery_its_worker_was_killed_during_is_sent_again_with_the_same_id(
    receiver, partner_a, admin_agent
):
    subscription = subscribe(admin_agent, receiver.url)
    event = emit(partner_a)
    killed_while_running(the_result().pk)
    lease_passes()

    run_worker()
    [got] = receiver.received
    assert got.headers["webhook-id"] == str(event.id)
    got.verify(subscription.secret)
    assert WebhookDelivery.objects.get().status == DeliveryStatus.DELIVERED


# --- The database restarts right after the outside call -----------------------------------------


@pytest.fixture
def database_restarts_once(monkeypatch):
    """The next write through `target` (a model manager's or queryset's method) finds the
    database away; it answers again a moment later."""

    def restart(owner, name):
        real = getattr(owner, name)
        calls = []

        def away_once(*args, **kwargs):
            calls.append(1)
            if len(calls) == 1:
                raise OperationalError("server closed the connection unexpectedly")
            return real(*args, **kwargs)

        monkeypatch.setattr(owner, name, away_once)
        return calls

    return restart


def test_a_delivery_answered_while_the_database_restarts_is_recorded_not_sent_again(
    receiver, partner_a, admin_agent, database_restarts_once
):
    subscribe(admin_agent, receiver.url)
    emit(partner_a)
    writes = database_restarts_once(type(DeliveryAttempt.objects), "create")
    run_worker()
    assert len(writes) == 2  # the write was made again once the database answered
    assert len(receiver.received) == 1
    delivery = WebhookDelivery.objects.get()
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.DELIVERED, 1)
    assert the_result().status == SUCCESSFUL
    time_passes()
    run_worker()
    assert len(receiver.received) == 1


def test_an_email_sent_while_the_database_restarts_is_recorded_not_sent_again(
    partner_a, sales_agent, customer_admin, database_restarts_once
):
    accept(partner_a, sales_agent, customer_admin)
    writes = database_restarts_once(QuerySet, "update")
    run_worker()
    assert len(writes) >= 2
    assert len(mail.outbox) == 1
    assert the_result().status == SUCCESSFUL
    time_passes()
    run_worker()
    assert len(mail.outbox) == 1


def test_a_database_away_for_longer_than_a_lease_is_an_error_in_the_end(settings):
    settings.TASK_LEASE = timedelta(seconds=0.3)

    def away():
        raise OperationalError("connection refused")

    with pytest.raises(OperationalError):
        through_outage(away)


# --- A real worker, SIGKILLed mid-delivery (issue 24's point to show) ---------------------------


def worker(log: Path) -> subprocess.Popen:
    """`manage.py db_worker`, a process of its own on the test database, with a 2-second lease
    and webhooks that wait 30 s for an answer."""
    with log.open("ab") as output:
        return worker_process(
            output,
            TASK_LEASE_SECONDS="2",
            WEBHOOKS_TIMEOUT="30",
            WEBHOOKS_ALLOW_LOOPBACK="true",
        )


def wait_for(condition, seconds: float, log: Path) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.1)
    raise AssertionError(f"waited {seconds} s in vain; the workers said:\n{log.read_text()}")


@pytest.mark.postgres
def test_a_worker_killed_mid_delivery_gives_it_back_and_the_event_arrives_again_with_its_id(
    settings, tmp_path, partner_a, admin_agent
):
    settings.WEBHOOKS_ALLOW_LOOPBACK = True
    receiver = Receiver()
    receiver.answers = [HANG]  # the first request gets no answer: its worker is mid-delivery
    receiver.start()
    log = tmp_path / "workers.log"
    started: list[subprocess.Popen] = []
    try:
        subscription = subscribe(admin_agent, receiver.url, [WebhookEventName.RESELLER_ACCEPTED])
        event = emit(partner_a, WebhookEventName.RESELLER_ACCEPTED)

        started.append(worker(log))
        wait_for(lambda: len(receiver.received) == 1, 20, log)
        # A second worker beside the first, for longer than a lease: the first still beats, so
        # its delivery stays its own.
        started.append(worker(log))
        time.sleep(3)
        assert len(receiver.received) == 1
        assert len(the_result().worker_ids) == 1

        started[0].send_signal(signal.SIGKILL)
        started[0].wait(10)
        delivery = WebhookDelivery.objects.get()
        assert delivery.status == DeliveryStatus.PENDING
        wait_for(lambda: the_result().status == SUCCESSFUL, 20, log)
        time.sleep(1)  # a few more looks for work: nothing more is sent
    finally:
        for process in started:
            process.kill()
            process.wait(10)
        receiver.stop()

    assert [got.headers["webhook-id"] for got in receiver.received] == [str(event.id)] * 2
    for got in receiver.received:
        got.verify(subscription.secret)
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.DELIVERED
    assert list(DeliveryAttempt.objects.values_list("outcome", flat=True)) == [
        AttemptOutcome.DELIVERED
    ]
    result = the_result()
    assert len(result.worker_ids) == 2
    assert result.return_value.startswith("Delivered")
