"""`manage.py db_worker`: django-tasks-db's worker, with the same options, that also gives back
what a dead worker left (tenancy.tasks).

Beside the loop that claims and runs tasks, a thread of the worker wakes every tenth of a lease
(TASK_LEASE): it beats for the task the worker has been running since its last wake-up (extends
its lease by one from now), and takes back the tasks whose worker stopped beating a lease ago. It
takes back once more at start, before claiming anything, so a worker started after another was
killed picks up its task as soon as the lease allows. A task shorter than a tenth of a lease costs
nothing more than django-tasks-db's worker does.

(This app comes before django_tasks_db in INSTALLED_APPS, so this is the db_worker manage.py
runs.)
"""

import logging
import os
import threading

from django.db import DatabaseError, close_old_connections, connections
from django.utils import timezone
from django.utils.autoreload import DJANGO_AUTORELOAD_ENV, run_with_reloader
from django_tasks_db.management.commands import db_worker
from django_tasks_db.models import DBTaskResult

from tenancy.tasks import beat_interval, end_lease, extend_lease, take_back_lost_tasks

logger = logging.getLogger("django_tasks_db")


class Lease:
    """The worker's beating thread: what it runs, and the tasks others left."""

    def __init__(self, *, worker_id: str, backend_name: str):
        self.worker_id = worker_id
        self.backend_name = backend_name
        self._stopping = threading.Event()
        # Held while the thread beats, so the task that ends waits for a beat under way.
        self._lock = threading.Lock()
        self._running: DBTaskResult | None = None
        self._extended = False
        self._thread = threading.Thread(target=self._beat_until_stopped, name="lease", daemon=True)

    def start(self) -> None:
        take_back_lost_tasks(by=self.worker_id, backend_name=self.backend_name)
        self._thread.start()

    def stop(self) -> None:
        self._stopping.set()
        self._thread.join(10)

    def running(self, db_result: DBTaskResult) -> None:
        with self._lock:
            self._running, self._extended = db_result, False

    def ended(self) -> None:
        with self._lock:
            db_result, extended = self._running, self._extended
            self._running, self._extended = None, False
        if db_result is not None and extended:
            end_lease(db_result)

    def _beat_until_stopped(self) -> None:
        try:
            while not self._stopping.wait(beat_interval().total_seconds()):
                close_old_connections()
                try:
                    self._beat()
                    take_back_lost_tasks(by=self.worker_id, backend_name=self.backend_name)
                except DatabaseError:
                    # The database is away (restarting): the next beat tries again, well within
                    # the lease.
                    logger.warning("Worker %s could not beat", self.worker_id, exc_info=True)
        finally:
            connections.close_all()  # this thread's own

    def _beat(self) -> None:
        with self._lock:
            db_result = self._running
            if db_result is None or timezone.now() - db_result.started_at < beat_interval():
                return
            if extend_lease(db_result):
                self._extended = True
            elif not DBTaskResult.objects.finished().filter(pk=db_result.pk).exists():
                # Another worker took it back: this one was not heard from for a lease.
                logger.warning(
                    "Task id=%s was taken back from worker %s, which is still running it",
                    db_result.pk,
                    self.worker_id,
                )
                self._running, self._extended = None, False


class Worker(db_worker.Worker):
    def run(self) -> None:
        self.lease = Lease(worker_id=self.worker_id, backend_name=self.backend_name)
        self.lease.start()
        try:
            super().run()
        finally:
            self.lease.stop()

    def run_task(self, db_task_result: DBTaskResult) -> None:
        self.lease.running(db_task_result)
        try:
            super().run_task(db_task_result)
        finally:
            self.lease.ended()


class Command(db_worker.Command):
    help = "Run a database background worker (which takes back the tasks of workers lost)"

    def handle(
        self,
        *,
        verbosity: int,
        queue_name: str,
        interval: float,
        batch: bool,
        backend_name: str,
        startup_delay: bool,
        reload: bool,
        max_tasks: int | None,
        worker_id: str,
        exclude_queues: str,
        **options,
    ) -> None:
        # django-tasks-db 0.13's, with this module's Worker.
        self.configure_logging(verbosity)
        if reload and batch:
            logger.warning(
                "Warning: --reload and --batch cannot be specified together. Disabling autoreload."
            )
            reload = False
        queue_names = queue_name.split(",")
        excluded_queue_names = exclude_queues.split(",") if exclude_queues else []
        if excluded_queue_names and "*" not in queue_names:
            raise db_worker.CommandError("--exclude-queues can only be used with --queue-name=*")
        worker = Worker(
            queue_names=queue_names,
            interval=interval,
            batch=batch,
            backend_name=backend_name,
            startup_delay=startup_delay,
            max_tasks=max_tasks,
            worker_id=worker_id,
            excluded_queue_names=excluded_queue_names,
        )
        if reload:
            if os.environ.get(DJANGO_AUTORELOAD_ENV) == "true":
                worker.configure_signals()  # only the child process's
            run_with_reloader(worker.run)
        else:
            worker.configure_signals()
            worker.run()
