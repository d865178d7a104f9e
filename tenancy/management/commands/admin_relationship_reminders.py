"""manage.py admin_relationship_reminders [--now ISO8601]: email the reminders that are due (30,
7 and 1 days before an admin relationship ends, and once it has expired) to the partner's Admin
agents, and record auto-extensions. Run it daily (cron or a systemd timer); a notice is recorded
for the end it was about, so running it more often, or twice, sends nothing twice."""

from datetime import datetime

from django.core.management.base import BaseCommand, CommandError

from tenancy.services import admin_relationship_time


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

    def handle(self, *args, now=None, **options):
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
        run = admin_relationship_time(now=moment)
        self.stdout.write(
            f"Sent {_plural(run.reminders, 'reminder')}, "
            f"{_plural(run.expired, 'expiry notice')}; "
            f"extended {_plural(run.extended, 'relationship')}."
        )
