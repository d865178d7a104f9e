"""Statements compiled once and run many times: a bulk job's step does the same few statements
for thousands of items, and building each queryset again costs more than running it.

A statement is written with the ORM, as anywhere else (so a rule such as `skip_reason` stays
one expression), with a stand-in value where each run's value goes; it is compiled once, and each
run puts its values where the stand-ins were.
"""

import uuid
from datetime import UTC, datetime

from django.db import connections
from django.db.models import Model, QuerySet
from django.db.models.sql import UpdateQuery


class Slot:
    """A stand-in value, and how a run's value reaches the database in its place (as the field's
    own preparation would give it)."""

    def __init__(self, stand_in, prepare):
        self.stand_in = stand_in
        self.prepare = prepare


def uuid_slot(model: type[Model], field: str, n: int) -> Slot:
    column = model._meta.get_field(field)
    return Slot(
        uuid.UUID(int=n + 1),
        lambda value, connection: column.get_db_prep_value(value, connection),
    )


def moment_slot(n: int) -> Slot:
    return Slot(
        datetime(2000, 1, 1, 0, 0, n, tzinfo=UTC),
        lambda value, connection: connection.ops.adapt_datetimefield_value(value),
    )


def value_slot(stand_in) -> Slot:
    """A value the database takes as it is (text, a number, NULL in its place is fine)."""
    return Slot(stand_in, lambda value, connection: value)


class Compiled:
    def __init__(self, sql: str, params, slots: dict[str, Slot], using: str, compiler=None):
        self.sql = sql
        # A select's rows go through its columns' converters, as the ORM's would (on SQLite a
        # UUID comes back as text, a date as a string, until converted).
        self.converters = None
        if compiler is not None:
            columns = [select[0] for select in compiler.select[: compiler.col_count]]
            self.converters = compiler.get_converters(columns)
            self.compiler = compiler
        self.params = list(params)
        self.using = using
        connection = connections[using]
        self.slots = {}
        for name, slot in slots.items():
            prepared = slot.prepare(slot.stand_in, connection)
            places = [i for i, param in enumerate(self.params) if param == prepared]
            if len(places) != 1:
                raise ValueError(f"The stand-in for {name} is in {len(places)} places, not one.")
            self.slots[name] = (places[0], slot.prepare)

    def _params(self, values: dict) -> list:
        connection = connections[self.using]
        params = list(self.params)
        for name, (place, prepare) in self.slots.items():
            params[place] = prepare(values[name], connection)
        return params

    def fetchone(self, **values):
        with connections[self.using].cursor() as cursor:
            cursor.execute(self.sql, self._params(values))
            row = cursor.fetchone()
        if row is None or not self.converters:
            return row
        return next(iter(self.compiler.apply_converters([row], self.converters)))

    def rowcount(self, **values) -> int:
        with connections[self.using].cursor() as cursor:
            cursor.execute(self.sql, self._params(values))
            return cursor.rowcount


def compile_select(queryset: QuerySet, **slots: Slot) -> Compiled:
    """A values_list queryset, to fetch one row a run. Compile it inside a transaction when it
    locks rows (select_for_update)."""
    compiler = queryset.query.get_compiler(queryset.db)
    sql, params = compiler.as_sql()
    return Compiled(sql, params, slots, queryset.db, compiler)


def compile_update(queryset: QuerySet, values: dict, **slots: Slot) -> Compiled:
    """`queryset.update(**values)`, to run with other values in the slots."""
    query = queryset.query.chain(UpdateQuery)
    query.add_update_values(values)
    sql, params = query.get_compiler(queryset.db).as_sql()
    return Compiled(sql, params, slots, queryset.db)


__all__ = [
    "Compiled",
    "compile_select",
    "compile_update",
    "moment_slot",
    "uuid_slot",
    "value_slot",
]
