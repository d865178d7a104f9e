"""The real task worker in a test: run it once, and let time pass for tasks that wait."""

import logging
import signal
from io import StringIO

from django.core.management import call_command
from django.tasks import TaskResultStatus
from django.utils import timezone
from django_tasks_db.models import DBTaskResult


def run_worker() -> None:
    """The real worker, once: every task that is due, then it exits."""
    signals = [signal.SIGINT, signal.SIGTERM, signal.SIGQUIT]
    handlers = {each: signal.getsignal(each) for each in signals}
    loggers = {name: logging.getLogger(name).level for name in ("django.tasks", "django_tasks_db")}
    try:
        call_command(
            "db_worker",
            batch=True,
            interval=0,
            startup_delay=False,
            reload=False,
            stdout=StringIO(),
        )
    finally:
        # The worker takes over Ctrl-C and its loggers' levels; give them back to the test run.
        for each, handler in handlers.items():
            signal.signal(each, handler)
        for name, level in loggers.items():
            logging.getLogger(name).setLevel(level)


def time_passes() -> None:
    """Each task waiting for its next attempt is due now."""
    DBTaskResult.objects.filter(status=TaskResultStatus.READY).update(run_after=timezone.now())
