"""Keyset paging: Next / Previous with an opaque cursor, for every list that can grow.

A page is found by the sort key of the row next to it, not by an offset: page 2,000 costs what
page 1 costs (an index range scan of one page), and a customer added between two page loads
neither repeats nor hides a row. The cursor is the key of the last (or first) row shown, as
URL-safe base64 of JSON; a cursor that does not parse, or holds a value the database cannot
compare with, is treated as no cursor (the first page).
"""

import base64
import binascii
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Q, QuerySet

NEXT, PREVIOUS = "n", "p"


class InvalidCursor(ValueError):
    """A cursor given to a strict `keyset_page` that is not one it wrote (an API's continuation
    token: a script must hear that its token is wrong, not get page 1 again)."""


@dataclass(frozen=True)
class KeysetPage:
    object_list: list
    next_cursor: str | None
    previous_cursor: str | None
    # The row read past the page's end to know there is more (None when there is none): a page
    # that depends on the time asks when it ends too.
    beyond: Any = None

    @property
    def has_next(self) -> bool:
        return self.next_cursor is not None

    @property
    def has_previous(self) -> bool:
        return self.previous_cursor is not None

    @property
    def has_other_pages(self) -> bool:
        return self.has_next or self.has_previous

    def __iter__(self):
        return iter(self.object_list)

    def __len__(self) -> int:
        return len(self.object_list)


def _encode(direction: str, values: list) -> str:
    raw = json.dumps([direction, [None if v is None else str(v) for v in values]])
    return base64.urlsafe_b64encode(raw.encode()).rstrip(b"=").decode()


def _decode(cursor: str | None, fields: list) -> tuple[str, list] | None:
    if not cursor or len(cursor) > 1000:
        return None
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        direction, values = json.loads(raw)
        if direction not in (NEXT, PREVIOUS) or len(values) != len(fields):
            return None
        parsed = [field.to_python(value) for field, value in zip(fields, values, strict=True)]
    except (binascii.Error, ValueError, TypeError, UnicodeDecodeError, ValidationError):
        return None
    if not all(_comparable(value) for value in parsed):
        return None
    return direction, parsed


def _comparable(value) -> bool:
    """Whether the database can be asked to compare with `value`. The cursors we write hold
    aware datetimes and text without NUL; a forged one may hold a naive datetime, one that
    leaves the calendar when converted to UTC (an OverflowError when it is sent), or a NUL
    (which PostgreSQL refuses in text)."""
    if value is None:
        return False
    if isinstance(value, datetime):
        if value.utcoffset() is None:
            return False
        try:
            value.astimezone(UTC)
        except OverflowError:
            return False
    return not (isinstance(value, str) and "\x00" in value)


def _beyond(order: list[str], values: list, *, forward: bool) -> Q:
    """Rows strictly after `values` in `order` (or before it when not `forward`)."""
    condition = Q()
    for index in reversed(range(len(order))):
        name = order[index].lstrip("-")
        descending = order[index].startswith("-")
        lookup = "lt" if descending == forward else "gt"
        step = Q(**{f"{name}__{lookup}": values[index]})
        if index < len(order) - 1:
            step |= Q(**{name: values[index]}) & condition
        condition = step
    # The same rows, bounded on the leading column too: `name > X OR (name = X AND ...)` alone
    # is no index range, and PostgreSQL would read every row before X to find the page.
    first, lead = order[0].lstrip("-"), values[0]
    if len(order) > 1 and lead is not None:
        inclusive = "lte" if order[0].startswith("-") == forward else "gte"
        condition &= Q(**{f"{first}__{inclusive}": lead})
    return condition


def keyset_page(
    queryset: QuerySet,
    *,
    order: list[str],
    cursor: str | None,
    size: int,
    strict: bool = False,
    named: Sequence[str] = (),
    first: Callable[[], list] | None = None,
):
    """One page of `queryset` in `order` (its last field unique, e.g. the primary key).

    Pages treat a cursor they can't read as none (the first page). `strict` (the API) raises
    InvalidCursor instead, and answers a page past the end as empty rather than as page 1.
    `named`: the rows are read as named tuples of these fields (`values_list(named=True)`), the
    queryset turned into that only when it is run. `first`: the first page's rows read another
    way (a tenancy.prepared query, compiled once): the queryset's first `size + 1` in `order`,
    the same rows."""
    model = queryset.model
    again = {"named": named, "first": first}  # for the first page, when it comes to that

    def rows_of() -> QuerySet:
        return queryset.values_list(*named, named=True) if named else queryset

    by_name = {f.attname: f for f in model._meta.concrete_fields} | {
        f.name: f for f in model._meta.concrete_fields
    }
    fields = [by_name[name.lstrip("-")] for name in order]
    decoded = _decode(cursor, fields)
    if strict and cursor and decoded is None:
        raise InvalidCursor(cursor)
    reverse = [name[1:] if name.startswith("-") else f"-{name}" for name in order]

    def key(row: Any) -> list:
        return [getattr(row, field.attname) for field in fields]

    if decoded is None:
        rows = first() if first is not None else list(rows_of().order_by(*order)[: size + 1])
        more = len(rows) > size
        beyond, rows = rows[size:], rows[:size]
        return KeysetPage(rows, _encode(NEXT, key(rows[-1])) if more else None, None, *beyond)
    direction, values = decoded
    if direction == NEXT:
        rows = list(
            rows_of().filter(_beyond(order, values, forward=True)).order_by(*order)[: size + 1]
        )
        more = len(rows) > size
        beyond, rows = rows[size:], rows[:size]
        if not rows:
            if strict:
                return KeysetPage([], None, None)
            return keyset_page(queryset, order=order, cursor=None, size=size, **again)
        return KeysetPage(
            rows,
            _encode(NEXT, key(rows[-1])) if more else None,
            _encode(PREVIOUS, key(rows[0])),
            *beyond,
        )
    rows = list(
        rows_of().filter(_beyond(order, values, forward=False)).order_by(*reverse)[: size + 1]
    )
    more = len(rows) > size
    beyond, rows = rows[size:], rows[:size][::-1]
    if not more:
        # Back at the start: show the first page as the first page (a full one, no Previous).
        return keyset_page(queryset, order=order, cursor=None, size=size, **again)
    return KeysetPage(rows, _encode(NEXT, key(rows[-1])), _encode(PREVIOUS, key(rows[0])), *beyond)
