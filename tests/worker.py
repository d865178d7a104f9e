"""The real task worker in a test: run it once, and let time pass for tasks that wait."""

import logging
import os
import signal
import subprocess
import sys
from io import StringIO
from pathlib import Path

from django.conf import settings
from django.core.management import call_command
from django.db import connection
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


def worker_process(stdout=subprocess.DEVNULL, **environment: str) -> subprocess.Popen:
    """`manage.py db_worker`, a process of its own on the test database (PostgreSQL), with
    `environment` on top of this one's; its output to `stdout`."""
    database = connection.settings_dict
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.worker_settings",
        "DATABASE_URL": f"postgres://{database['USER']}@{database['HOST'] or '127.0.0.1'}:"
        f"{database['PORT'] or 5432}/{database['NAME']}",
        **environment,
    }
    command = [sys.executable, "manage.py", "db_worker", "--interval", "0.1"]
    return subprocess.Popen(  # noqa: S603 (this interpreter, a fixed command)
        [*command, "--no-startup-delay", "--no-reload"],
        cwd=Path(settings.BASE_DIR),
        env=env,
        stdout=stdout,
        stderr=subprocess.STDOUT if stdout is not subprocess.DEVNULL else subprocess.DEVNULL,
    )
