"""Queries of a fixed shape that every request runs, compiled to SQL once, not once a request.

Each page reads the session, then the user with their membership; Django's ORM builds the SQL of
each query anew every time (for the user with its membership, tenant, market and roles: about
480 µs of Python, where running the query costs some 60 µs). A `Prepared` query is compiled
once a database connection, by Django's own compiler, from a queryset built with sample values;
each run puts the run's values where the samples' were and hands that compiler to Django's own
iterable, so the rows become model instances (select_related and annotations included) exactly
as the queryset would have made them.

What may vary between runs is only the values named as parameters: the shape (filters, joins,
order) is the queryset's. Each parameter names the model field its value is compared with,
which says how the database driver is given it (a UUID as text on SQLite, a moment in UTC...).

On PostgreSQL the server plans a statement each time it is sent, unless it was prepared: for
the customer page's one query (a union of eight reads) planning took about 2 ms against 0.4 ms
to run it, and the session's and the user's queries pay it on every page too. So these queries
go through a cursor that binds values on the server and has psycopg prepare the statement
(`prepare=True`): planned once a connection, then its generic plan. Django's own queries are
unchanged (they bind on the client, which never prepares).
"""

import copy
import datetime
import functools
import uuid
import weakref
from collections.abc import Callable

from django.core.exceptions import ImproperlyConfigured
from django.db import connections, models
from django.db.models.query import (
    ModelIterable,
    NamedValuesListIterable,
    QuerySet,
    ValuesListIterable,
)

_ITERABLES = (ModelIterable, ValuesListIterable, NamedValuesListIterable)
_SAMPLE_MOMENT = datetime.datetime(1901, 2, 3, 4, 5, 6, 789012, tzinfo=datetime.UTC)


def _compared(field: models.Field) -> models.Field:
    """The field a value is compared with: a foreign key's target (its column holds that)."""
    return field.target_field if field.is_relation else field


def _sample(field: models.Field):
    """A value for `field` that no query holds as a constant of its own."""
    field = _compared(field)
    if isinstance(field, models.DateTimeField):
        return _SAMPLE_MOMENT
    if isinstance(field, models.UUIDField):
        return uuid.uuid4()
    if isinstance(field, models.IntegerField | models.AutoField):
        return -1_987_654_321
    if isinstance(field, models.CharField):
        return f"prepared sample {uuid.uuid4().hex}"
    raise ImproperlyConfigured(f"Prepared: no sample value for a {type(field).__name__}")


def _adapted(field: models.Field, value, connection):
    """The value as the driver gets it: what a lookup on `field` makes of it."""
    field = _compared(field)
    return field.get_db_prep_value(field.get_prep_value(value), connection, prepared=True)


class _CompiledQuery:
    """Stands for a queryset's Query: hands out one compiler, ready with its SQL."""

    def __init__(self, query, compiler):
        self._query = query
        self._compiler = compiler

    def get_compiler(self, using=None, connection=None, elide_empty=True):
        return self._compiler

    def __getattr__(self, name):
        return getattr(self._query, name)


class Prepared:
    """`Prepared(lambda pk: User.objects.filter(pk=pk), pk=User._meta.pk)`, then
    `.all(pk=3)`: the queryset's rows for those values, its SQL compiled once a connection.

    Querysets of model instances, or of rows as `values_list()` makes them (plain or named
    tuples), with no prefetch_related: what the hot paths read."""

    def __init__(self, queryset_for: Callable[..., QuerySet], using: str = "default", **fields):
        self.queryset_for = queryset_for
        self.using = using
        self.fields: dict[str, models.Field] = fields
        # One compilation a connection (a thread's): a compiler holds its connection.
        self._compiled: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()

    def _compile(self, connection):
        samples = {name: _sample(field) for name, field in self.fields.items()}
        queryset = self.queryset_for(**samples)
        if queryset._iterable_class not in _ITERABLES or queryset._prefetch_related_lookups:
            raise ImproperlyConfigured("Prepared: model instances or values_list() rows only")
        compiler = queryset.query.get_compiler(connection=connection)
        sql, params = compiler.as_sql()
        slots = []
        for name, field in self.fields.items():
            sample = _adapted(field, samples[name], connection)
            places = [i for i, param in enumerate(params) if param == sample]
            if not places:
                raise ImproperlyConfigured(f"Prepared: {name} is none of the query's parameters")
            # A value the query compares more than once (a partner in two subqueries) is put in
            # each of its places.
            slots.extend((place, name, field) for place in places)
        # The columns' converters (from the database's values to Python's), which Django works
        # out for each run of a query: the same for each run of this one.
        converters = compiler.get_converters([s[0] for s in compiler.select[: compiler.col_count]])
        return queryset, compiler, sql, tuple(params), slots, converters

    def all(self, **values) -> list:
        connection = connections[self.using]
        compiled = self._compiled.get(connection)
        if compiled is None:
            compiled = self._compiled[connection] = self._compile(connection)
        queryset, compiler, sql, params, slots, converters = compiled
        params = list(params)
        for place, name, field in slots:
            params[place] = _adapted(field, values[name], connection)
        bound = copy.copy(compiler)
        bound.as_sql = lambda *args, **kwargs: (sql, tuple(params))
        bound.get_converters = lambda expressions: converters
        if connection.vendor == "postgresql":
            bound.connection = _Planning(connection)
        # A shallow copy of the queryset (copy.copy would run it: QuerySet's pickling does).
        run = QuerySet.__new__(type(queryset))
        run.__dict__.update(queryset.__dict__, _result_cache=None)
        run.query = _CompiledQuery(queryset.query, bound)
        # (Setting a query of values makes a queryset's rows dictionaries: as they were.)
        run._iterable_class = queryset._iterable_class
        return list(run)

    def first(self, **values):
        """The one row for these values, or None."""
        rows = self.all(**values)
        return rows[0] if rows else None


class _Planning:
    """A PostgreSQL connection whose cursors have the server prepare each statement (psycopg's
    `prepare=True`): planned once a connection, not on each run. (Django leaves psycopg's own
    preparing off, for poolers that hand a session's statements to another one; these
    connections are the web server's own, kept for CONN_MAX_AGE.)"""

    def __init__(self, connection):
        self._connection = connection

    def cursor(self):
        connection = self._connection
        connection.ensure_connection()
        connection.validate_thread_sharing()
        driver = connection.connection
        if driver.prepare_threshold is None:
            # psycopg prepares nothing, even when asked, with no threshold (Django's default).
            # One no count reaches: only what is asked for is prepared, and Django's cursors,
            # which bind on the client, never prepare anything.
            driver.prepare_threshold = _NO_COUNT_REACHES
        raw = _planned_cursor_class()(driver)
        if connection.queries_logged:
            return connection.make_debug_cursor(raw)
        return connection.make_cursor(raw)

    chunked_cursor = cursor

    def __getattr__(self, name):
        return getattr(self._connection, name)


_NO_COUNT_REACHES = 2**62


@functools.cache
def _planned_cursor_class():
    """Django's cursor that binds values on the server, each statement prepared."""
    from django.db.backends.postgresql.base import ServerBindingCursor

    class PlannedCursor(ServerBindingCursor):
        def execute(self, query, params=None, *, prepare=None, binary=None):
            return super().execute(query, params, prepare=True, binary=binary)

    return PlannedCursor
