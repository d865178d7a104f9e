"""`compilemessages`, also where GNU gettext isn't installed: then Babel compiles the catalogs
(the same .mo files). `make install` runs it."""

from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from django.conf import settings
from django.core.management.commands import compilemessages
from django.core.management.utils import find_command


class Command(compilemessages.Command):
    def handle(self, **options):
        if find_command(self.program):
            return super().handle(**options)
        for locale_dir in map(Path, settings.LOCALE_PATHS):
            for po_path in sorted(locale_dir.glob("*/LC_MESSAGES/*.po")):
                with po_path.open("rb") as po:
                    catalog = read_po(po, locale=po_path.parts[-3])
                with po_path.with_suffix(".mo").open("wb") as mo:
                    write_mo(mo, catalog)
                if options["verbosity"] > 0:
                    self.stdout.write(f"compiled {po_path} with Babel")
        return None
