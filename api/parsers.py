"""The API's one parser of request bodies: JSON, as DRF's, but a body nested deeper than any
operation takes is a 400. Deep enough, `json` itself runs out of stack (a RecursionError, which
DRF's parser does not catch: a 500); not so deep, the view's code might."""

from django.utils.translation import gettext as _
from rest_framework import parsers
from rest_framework.exceptions import ParseError

# The deepest body an operation takes is 5 levels (a template's mappings' roles); the rest is
# room for what a client adds and the operation ignores.
MAX_DEPTH = 64


def depth_of(data) -> int:
    """How deep JSON's arrays and objects nest in `data` (iteratively: it may be deeper than the
    interpreter's stack); past MAX_DEPTH, MAX_DEPTH + 1."""
    deepest, pending = 0, [(data, 1)]
    while pending:
        value, depth = pending.pop()
        if isinstance(value, dict):
            value = value.values()
        elif not isinstance(value, list):
            continue
        deepest = max(deepest, depth)
        if deepest > MAX_DEPTH:
            break
        pending.extend((item, depth + 1) for item in value)
    return deepest


def too_deep() -> ParseError:
    return ParseError(_("A body can be nested at most %(max)s levels deep.") % {"max": MAX_DEPTH})


class JSONParser(parsers.JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise too_deep() from None
        if depth_of(data) > MAX_DEPTH:
            raise too_deep()
        return data
