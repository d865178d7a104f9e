"""Demo data: partners, customers, agents and history to click through. Safe to run again.
The data and the builders are in tenancy.demo."""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from tenancy.demo import DEMO_PASSWORD, HELPDESK_GROUP, seed

__all__ = ["DEMO_PASSWORD", "HELPDESK_GROUP", "Command"]


class Command(BaseCommand):
    help = "Create the demo partners, customers, agents and history. Safe to run again."

    def add_arguments(self, parser):
        parser.add_argument(
            "--force",
            action="store_true",
            help="Run even with DEBUG off (the demo accounts share a published password).",
        )

    def handle(self, *args, force=False, **options):
        if not settings.DEBUG and not force:
            raise CommandError(
                "seed_demo creates accounts whose password is published. Run it with DEBUG on, "
                "or pass --force on a database nobody relies on."
            )
        seed(self.stdout.write)
