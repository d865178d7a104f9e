"""`manage.py makemessages`: Django's, plus the messages of the Jinja2 templates (jinja2/), which
xgettext cannot read. Django's command collects the Python code's messages into the .pot as
always (it is told to skip jinja2/); Babel's Jinja2 extractor (Jinja2's own `babel_extract`,
newstyle as tenancy.web.jinja renders) collects the templates' into a second .pot; msgcat joins
the two before Django merges the result into each language's catalogue. A template's message
keeps the msgid it had as a Django template (`%(name)s` placeholders, `%%` for a percent sign,
`trimmed` joining lines the same way), so the catalogues' translations carry over.
"""

import os
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import write_po
from django.conf import settings
from django.core.management.base import CommandError
from django.core.management.commands import makemessages
from django.core.management.utils import popen_wrapper

JINJA_DIR = "jinja2"
METHODS = [("**.html", "jinja2"), ("**.txt", "jinja2")]
OPTIONS = {"**": {"newstyle_gettext": "true", "silent": "false"}}


class Command(makemessages.Command):
    help = makemessages.Command.help + " And the Jinja2 templates' messages, with Babel."

    def handle(self, *args, **options):
        options["ignore_patterns"] = [*options.get("ignore_patterns", []), JINJA_DIR]
        return super().handle(*args, **options)

    def build_potfiles(self):
        potfiles = super().build_potfiles()
        if self.domain != "django":
            return potfiles
        templates = self.template_messages()
        for potfile in potfiles:
            joined, errors, status = popen_wrapper(
                ["msgcat", "--use-first", "--sort-by-file", potfile, templates]
            )
            if status:
                raise CommandError(f"msgcat failed:\n{errors}")
            Path(potfile).write_text(joined, encoding="utf-8")
        os.unlink(templates)
        return potfiles

    def template_messages(self) -> str:
        """The templates' messages, in a .pot of their own (its path)."""
        root = Path(settings.BASE_DIR) / JINJA_DIR
        catalog = Catalog(charset="utf-8")
        for filename, lineno, message, comments, context in extract_from_dir(
            root,
            method_map=METHODS,
            options_map=OPTIONS,
            comment_tags=("Translators:",),
            strip_comment_tags=False,
        ):
            location = (os.path.relpath(root / filename, Path.cwd()), lineno)
            catalog.add(message, locations=[location], auto_comments=comments, context=context)
        path = Path(settings.BASE_DIR) / "locale" / "jinja2-templates.pot"
        with path.open("wb") as out:
            write_po(out, catalog, width=79, omit_header=False)
        return str(path)
