"""A real task worker's settings in a test that runs it as a process of its own: the test
settings, with tasks as rows of the database (the suite's default runs them at once) and a short
lease, so a job whose worker was killed is resumed within seconds."""

from config.settings.test import *  # noqa: F403

TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
BULK_JOB_LEASE_SECONDS = 2
