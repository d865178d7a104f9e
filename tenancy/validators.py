"""Field validators both portals' forms use."""

import re

from django.core.exceptions import ValidationError

_PHONE = re.compile(r"\A\+?[0-9 ().-]{4,40}\Z")


def validate_phone(value: str) -> None:
    if not _PHONE.match(value):
        raise ValidationError("Use digits, spaces and + ( ) . - only, for example +1 425 555 0100.")


def validate_single_line(value: str) -> None:
    if any(ord(c) < 32 for c in value):
        raise ValidationError("Use a single line without control characters.")
