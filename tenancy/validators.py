"""Field validators both portals' forms use."""

import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

_PHONE = re.compile(r"\A\+?[0-9 ().-]{4,40}\Z")


def validate_phone(value: str) -> None:
    if not _PHONE.match(value):
        raise ValidationError(
            _("Use digits, spaces and + ( ) . - only, for example +1 425 555 0100.")
        )


def _is_control(character: str) -> bool:
    """C0 (line breaks, tab, ESC...), DEL, C1 (0x80-0x9f, NEL among them), and the Unicode line
    and paragraph separators: what breaks a line, a log line or an email header, or drives a
    terminal, in a value meant to be shown on one line."""
    code = ord(character)
    return code < 0x20 or 0x7F <= code <= 0x9F or code in (0x2028, 0x2029)


def validate_single_line(value) -> None:
    # Fields that clean to something else than text (a UUID) have nothing to check here.
    if isinstance(value, str) and any(_is_control(c) for c in value):
        raise ValidationError(
            _("Use a single line without control characters."), code="control_characters"
        )
