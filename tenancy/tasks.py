"""Background work: tasks on Django's tasks framework, kept in the project's database and run by
django-tasks-db's worker (`manage.py db_worker`), so a task outlives a crash or a restart.

A task that must not be lost (an email, a webhook delivery) is a `retried_task`: when an attempt
raises, the worker runs it again later, with exponential backoff (30 s, 1 min, 2 min, ... at most
an hour apart) for up to a day from when it was queued; then it is left Failed, with its
traceback, in the operators' console (/operators/, "Task results"). It stays one task result
throughout: each attempt adds to its `worker_ids`, and while it waits for the next one the
console shows the last error and the time it runs again ("run after").

    from tenancy.tasks import GiveUp, enqueue_on_commit, retried_task

    @retried_task
    def webhook_deliver(*, delivery_id: int) -> None:
        ...  # raise to have this attempt retried; raise GiveUp(...) to fail now, for good

    # in a service, inside its transaction.atomic():
    enqueue_on_commit(webhook_deliver, delivery_id=delivery.pk)

The policy is per task: `@retried_task(first_delay=timedelta(minutes=1), max_delay=..., retry_for=
timedelta(hours=6), max_attempts=10, queue_name=..., priority=..., takes_context=True)`; with
`takes_context=True` the function's first argument is a TaskContext and `context.attempt` counts
from 1. A task that raises after doing part of its work runs again from the start: make it safe
to repeat (check what is done, or do the outside call last).

Arguments must be JSON (str, int, float, bool, None, lists and dicts of them): the task runs in
another process, maybe hours later. Pass ids and read the rows again; never a model instance.
They are stored in plain text and shown to operators: no secrets (a request's link is rendered
when its email is sent, not before; see tenancy.effects.email).

A worker killed outright (SIGKILL, its machine lost) can't say its task ended: the task is left
Running. The project's worker (`manage.py db_worker`, tenancy/management/commands/db_worker.py)
beats for the task it runs and takes back, a lease after the last beat (TASK_LEASE), what a worker
that stopped beating left: Ready again, the lost run counted as an attempt (`take_back_lost_tasks`).
So a task may run again after it made its outside call: one whose call must not be repeated (an
email) writes that it made it, right after, with `record_done`, and checks `done_before` first.

Retries need the database backend; under the immediate backend (the test settings) a task runs
when it is enqueued and a failure is only logged.
"""

import logging
import sys
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial

from django.conf import settings
from django.core.exceptions import SuspiciousOperation
from django.db import InterfaceError, OperationalError, connection, transaction
from django.db.models import Q
from django.dispatch import receiver
from django.tasks import DEFAULT_TASK_BACKEND_ALIAS, DEFAULT_TASK_QUEUE_NAME, Task, TaskResultStatus
from django.tasks.base import DEFAULT_TASK_PRIORITY, TaskContext
from django.tasks.signals import task_finished
from django.utils import timezone
from django.utils.json import normalize_json
from django_tasks_db.models import DBTaskResult, get_date_max
from django_tasks_db.utils import exclusive_transaction

logger = logging.getLogger(__name__)

FIRST_DELAY = timedelta(seconds=30)
MAX_DELAY = timedelta(hours=1)
RETRY_FOR = timedelta(days=1)


class GiveUp(Exception):
    """Raised by a retried task when another attempt cannot help (the row it needs is gone, the
    receiver answered 410 Gone): the task is left Failed at once, with this message."""


@dataclass(frozen=True, slots=True, kw_only=True)
class RetriedTask(Task):
    """A Task that the worker runs again after a failed attempt, later each time. Its policy
    is part of it, so `task.using(...)` (which the worker calls) keeps it."""

    first_delay: timedelta = FIRST_DELAY
    max_delay: timedelta = MAX_DELAY
    retry_for: timedelta = RETRY_FOR
    max_attempts: int | None = None

    def delay_after(self, attempt: int) -> timedelta:
        """The wait after the attempt-th failure: first_delay, doubled each time, capped."""
        return min(self.first_delay * 2 ** min(attempt - 1, 32), self.max_delay)

    def next_attempt_at(
        self, *, attempt: int, enqueued_at: datetime, failed_at: datetime
    ) -> datetime | None:
        """When to try again after the attempt-th failure, or None: leave it failed."""
        if self.max_attempts is not None and attempt >= self.max_attempts:
            return None
        at = failed_at + self.delay_after(attempt)
        if at - enqueued_at > self.retry_for:
            return None
        return at


def retried_task(
    function=None,
    *,
    first_delay: timedelta = FIRST_DELAY,
    max_delay: timedelta = MAX_DELAY,
    retry_for: timedelta = RETRY_FOR,
    max_attempts: int | None = None,
    priority: int = DEFAULT_TASK_PRIORITY,
    queue_name: str = DEFAULT_TASK_QUEUE_NAME,
    backend: str = DEFAULT_TASK_BACKEND_ALIAS,
    takes_context: bool = False,
):
    """`django.tasks.task`, retried: `@retried_task` or `@retried_task(retry_for=...)` on a
    module-level function. The result is a Task: `.enqueue(...)`, `.using(...)`, `.call(...)`."""

    def wrap(func) -> RetriedTask:
        return RetriedTask(
            func=func,
            first_delay=first_delay,
            max_delay=max_delay,
            retry_for=retry_for,
            max_attempts=max_attempts,
            priority=priority,
            queue_name=queue_name,
            backend=backend,
            takes_context=takes_context,
        )

    return wrap(function) if function is not None else wrap


def enqueue_on_commit(task: Task, /, *args, **kwargs) -> None:
    """Queue `task` once the current transaction commits (at once outside one); not at all if it
    rolls back. The arguments are checked now, so one that isn't JSON fails in the caller."""
    args, kwargs = normalize_json(args), normalize_json(kwargs)
    # robust: if the queue can't be written after the commit, that is logged; it does not turn
    # what committed into an error page.
    transaction.on_commit(partial(task.enqueue, *args, **kwargs), robust=True)


@receiver(task_finished)
def _retry_failed_attempt(sender, task_result, **kwargs) -> None:
    """The worker has marked an attempt of a retried task Failed: put it back in the queue,
    to run no sooner than its backoff says. (Connected whenever a retried task exists: the
    module that declares one imports this one, and the worker imports that module to run it.)"""
    task = task_result.task
    db_result = getattr(task_result, "db_result", None)  # only the database backend has one
    if (
        db_result is None
        or task_result.status != TaskResultStatus.FAILED
        or not isinstance(task, RetriedTask)
    ):
        return
    # The signal is sent while the worker handles the exception (Django's own log receiver
    # reads it the same way).
    if isinstance(sys.exc_info()[1], GiveUp):
        return
    next_at = task.next_attempt_at(
        attempt=task_result.attempts,
        enqueued_at=task_result.enqueued_at,
        failed_at=task_result.finished_at or timezone.now(),
    )
    if next_at is None:
        logger.error(
            "Task id=%s path=%s gave up after %d attempts",
            task_result.id,
            task.module_path,
            task_result.attempts,
        )
        return
    # The last error (exception_class_path, traceback) stays on the row for operators to see
    # while it waits; the next attempt's outcome replaces it.
    type(db_result).objects.filter(pk=db_result.pk, status=TaskResultStatus.FAILED).update(
        status=TaskResultStatus.READY, run_after=next_at, finished_at=None
    )
    logger.warning(
        "Task id=%s path=%s attempt %d failed; next attempt at %s",
        task_result.id,
        task.module_path,
        task_result.attempts,
        next_at.isoformat(),
    )


# --- Runs that "just stopped": done once, and the lease ------------------------------------------


def done_before(context: TaskContext):
    """What an earlier attempt of this task wrote with `record_done`, or None. An attempt whose
    worker died after its outside call, before the task's end was written, leaves it behind; the
    attempt that takes over returns it instead of making the call again."""
    db_result = getattr(context.task_result, "db_result", None)  # only the database backend has one
    return db_result.return_value if db_result is not None else None


def record_done(context: TaskContext, value):
    """Write `value` (JSON, not None) as the task's result now, right after its outside call (an
    email handed to the mail server), so that a later attempt finds it (`done_before`). Returns
    `value`, for the task to return. Written through a database restart (`through_outage`)."""
    db_result = getattr(context.task_result, "db_result", None)
    if db_result is not None:
        through_outage(type(db_result).objects.filter(pk=db_result.pk).update, return_value=value)
    return value


def through_outage(write, *args, **kwargs):
    """`write(*args, **kwargs)`, made again while the database doesn't answer (a restart, a
    failover), for up to a lease (TASK_LEASE); then the error is raised. For the write that
    records an outside call just made (an email handed over, a webhook's answer): were it lost,
    the task would fail or its worker stop, and the call be made again. Outside a transaction
    only (inside one, a broken connection can't be made good)."""
    deadline = time.monotonic() + settings.TASK_LEASE.total_seconds()
    delay = 0.25
    while True:
        try:
            return write(*args, **kwargs)
        except (OperationalError, InterfaceError):
            if connection.in_atomic_block or time.monotonic() + delay > deadline:
                raise
            logger.warning("The database did not answer: writing again in %.2f s", delay)
            connection.close()  # opened afresh by the next query
            time.sleep(delay)
            delay = min(delay * 2, 2.0)


class WorkerLost(Exception):
    """Written on a task taken back from a worker that stopped beating (killed, its machine
    lost), as its last error: the console shows it until the task runs again."""


WORKER_LOST = f"{WorkerLost.__module__}.{WorkerLost.__qualname__}"
# A plain task (one that isn't retried when it raises) is run again after its worker was lost up to
# this many attempts in all: one that kills its worker every time (out of memory) ends there.
PLAIN_TASK_ATTEMPTS = 3


def beat_interval() -> timedelta:
    """How often a worker beats for the task it runs (and looks for lost ones): a tenth of
    a lease, so a live worker must miss ten beats in a row to lose its task."""
    return settings.TASK_LEASE / 10


def extend_lease(db_result: DBTaskResult, *, now: datetime | None = None) -> bool:
    """The beat: the running attempt `db_result` keeps its task a lease from now. While a task
    is Running its `run_after` (which only a Ready task needs) holds when its lease is up. False
    when the task is no longer this attempt's (it ended, or was taken back)."""
    now = now or timezone.now()
    return bool(
        DBTaskResult.objects.filter(
            pk=db_result.pk, status=TaskResultStatus.RUNNING, started_at=db_result.started_at
        ).update(run_after=now + settings.TASK_LEASE)
    )


def end_lease(db_result: DBTaskResult) -> None:
    """After beats, an ended task shows the `run_after` it was queued with again."""
    DBTaskResult.objects.filter(
        pk=db_result.pk,
        started_at=db_result.started_at,
        status__in=(TaskResultStatus.SUCCESSFUL, TaskResultStatus.FAILED),
    ).update(run_after=db_result.run_after)


def _lost(now: datetime, backend_name: str):
    """Running tasks whose worker hasn't been heard from for a lease: started a lease ago or more,
    and their lease is up (or they never beat: still the run_after they were queued with)."""
    return (
        DBTaskResult.objects.running()
        .filter(backend_name=backend_name, started_at__lte=now - settings.TASK_LEASE)
        .filter(Q(run_after__lte=now) | Q(run_after=get_date_max()))
    )


def _may_run_again(db_result: DBTaskResult, now: datetime) -> bool:
    attempts = len(db_result.worker_ids)
    try:
        task = db_result.task
    except (ImportError, SuspiciousOperation):
        return True  # the worker fails it, saying why
    if isinstance(task, RetriedTask):
        # Its own policy, without the backoff: the lease was the wait.
        if task.max_attempts is not None and attempts >= task.max_attempts:
            return False
        return now - db_result.enqueued_at <= task.retry_for
    return attempts < PLAIN_TASK_ATTEMPTS


def take_back_lost_tasks(
    *, by: str, backend_name: str = DEFAULT_TASK_BACKEND_ALIAS, now: datetime | None = None
) -> int:
    """Put each task whose worker was lost back to Ready, to run again at once (or leave it
    Failed when its policy says it has had its attempts), with WorkerLost as its last error.
    `by`: the worker id of the caller, for the record. How many it took back."""
    now = now or timezone.now()
    lost = _lost(now, backend_name)
    if not lost.exists():  # the usual answer: one query, no lock
        return 0
    taken = 0
    with exclusive_transaction(lost.db):
        # SKIP LOCKED: workers taking back at the same time each take other rows; the UPDATE's
        # condition (still Running, still that attempt) makes a late repeat change nothing.
        for db_result in lost.select_for_update(skip_locked=True).order_by("started_at")[:100]:
            again = _may_run_again(db_result, now)
            lost_worker = db_result.worker_ids[-1] if db_result.worker_ids else "?"
            why = (
                f"{WORKER_LOST}: worker {lost_worker} was not heard from for "
                f"{settings.TASK_LEASE}; worker {by} took its attempt "
                f"{len(db_result.worker_ids)} back at {now.isoformat()}.\n"
            )
            if again:
                changes = {"status": TaskResultStatus.READY, "run_after": now}
            else:
                changes = {"status": TaskResultStatus.FAILED, "finished_at": now}
            taken += DBTaskResult.objects.filter(
                pk=db_result.pk,
                status=TaskResultStatus.RUNNING,
                started_at=db_result.started_at,
            ).update(exception_class_path=WORKER_LOST, traceback=why, **changes)
            (logger.warning if again else logger.error)(
                "Task id=%s path=%s: its worker %s was lost; %s",
                db_result.pk,
                db_result.task_path,
                lost_worker,
                "run again" if again else f"gave up after {len(db_result.worker_ids)} attempts",
            )
    return taken
