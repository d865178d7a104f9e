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

Retries need the database backend; under the immediate backend (the test settings) a task runs
when it is enqueued and a failure is only logged.
"""

import logging
import sys
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial

from django.db import transaction
from django.dispatch import receiver
from django.tasks import DEFAULT_TASK_BACKEND_ALIAS, DEFAULT_TASK_QUEUE_NAME, Task, TaskResultStatus
from django.tasks.base import DEFAULT_TASK_PRIORITY
from django.tasks.signals import task_finished
from django.utils import timezone
from django.utils.json import normalize_json

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
