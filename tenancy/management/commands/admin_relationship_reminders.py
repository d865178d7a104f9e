"""manage.py admin_relationship_reminders [--now ISO8601] [--enqueue]: email the reminders that are
due (30, 7 and 1 days before an admin relationship ends, and once it has expired) to the
partner's Admin agents, and record auto-extensions. Run it daily (cron or a systemd timer): it is
the scheduler's entry point. A notice is recorded for the end it was about, so running it more
often, or twice, sends nothing twice. The emails are queued and the worker sends them (retried
while the mail server is down); with --enqueue the whole run is queued for the worker too
(tenancy.services.admin_relationship_expiry.admin_relationship_reminders), retried if it fails."""

from datetime import datetime

from django.core.management.base import BaseCommand, CommandError

from tenancy.services.admin_relationship_expiry import (
    admin_relationship_reminders,
    admin_relationship_time,
)


def _plural(count: int, word: str, plural: str = "") -> str:
    return f"{count:,} {word if count == 1 else plural or f'{word}s'}"


class Command(BaseCommand):
    help = (
        "Send the admin relationship reminders that are due and record auto-extensions. "
        "Idempotent: run it daily, or more often."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--now",
            metavar="ISO8601",
            help="act as if it were this moment, with its time zone (e.g. "
            "2026-03-01T06:00:00+00:00), for tests or to catch up",
        )
        parser.add_argument(
            "--enqueue",
            action="store_true",
            help="queue the run for the worker (manage.py db_worker) instead of running it here; "
            "it is retried with backoff if it fails",
        )

    def handle(self, *args, now=None, enqueue=False, **options):
        moment = None
        if now is not None:
            try:
                moment = datetime.fromisoformat(now)
            except ValueError:
                raise CommandError(
                    f"--now {now!r} is not an ISO 8601 date and time, such as "
                    "2026-03-01T06:00:00+00:00."
                ) from None
            if moment.tzinfo is None or moment.utcoffset() is None:
                raise CommandError(f"--now {now!r} has no time zone: add one, such as +00:00 or Z.")
        if enqueue:
            result = admin_relationship_reminders.enqueue(
                now=moment.isoformat() if moment else None
            )
            self.stdout.write(f"Queued the reminders for the worker (task {result.id}).")
            return
        run = admin_relationship_time(now=moment)
        self.stdout.write(
            f"Sent {_plural(run.reminders, 'reminder')}, "
            f"{_plural(run.expired, 'expiry notice')}; "
            f"extended {_plural(run.extended, 'relationship')}"
            + (
                f"; sent {_plural(run.chased, 'waiting request')} to "
                f"{'its customer' if run.chased == 1 else 'their customers'} again."
                if run.chased
                else "."
            )
        )
