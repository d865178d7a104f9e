"""manage.py rebuild_customer_list [--partner <Microsoft ID>]: recompute the Customer list's read
model from the relationship tables (after a restore, a bulk import, or to check it)."""

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from tenancy.effects.customer_list import customer_list_rebuild
from tenancy.models import Tenant


class Command(BaseCommand):
    help = "Recompute the Customer list's read model from the relationship tables."

    def add_arguments(self, parser):
        parser.add_argument("--partner", help="only this partner (its Microsoft ID)")

    def handle(self, *args, partner=None, **options):
        one = None
        if partner:
            try:
                one = Tenant.objects.partners().filter(pk=partner).first()
            except ValidationError:
                one = None
            if one is None:
                raise CommandError(f"No partner with Microsoft ID {partner}.")
        rows = customer_list_rebuild(partner=one)
        self.stdout.write(f"Customer list rebuilt: {rows:,} row{'s' if rows != 1 else ''}.")
