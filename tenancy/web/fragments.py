"""Parts of pages (and API answers) kept once made, under the version of the data they show.

A part is kept under a key that says everything it was rendered from besides that data: the
tenant, the data's version, the signed-in member's roles, the language, the time zone, the
URL prefix and the whole request path with its query. The version is a counter written in the
same transaction as each change to the data (CustomerListVersion) and read before the data is
(with the signed-in user, tenancy.web.auth_backend): a part rendered after a change commits is
kept under a new key, and one rendered before it is never asked for again. What a part shows of
the time (an admin relationship still in force until a day) makes the renderer say until when
the part holds; past that moment it is rendered again.

Where no version counts the changes to what a part shows (Relationship requests, Admin
relationships, a bulk job's page), the part is kept under a stamp instead: a digest of the rows
it is rendered from, read as values by the one query the page runs each time (`stamp`). The
part is then rendered from those same values (`from_values` makes model instances of them,
with what was not read deferred), so it can show nothing the stamp did not cover: a change to
any of it, by whatever writer, is a new stamp and a new key.

A list page can be kept whole for the signed-in member (`kept_page`): the layout around the kept
part says who they are, so its key says the member, their name and their organization's too;
each form's CSRF token is a hole in the kept page that every response fills with its own.

The copies live in the "fragments" cache. Because the key says all of the above, a copy in one
process's memory (the default, Django's LocMemCache) is as right as a shared one: a change made
by another web server or the task worker is seen through the version, which is in the database.
A shared cache that does not answer (Redis restarting) costs the copies, never the page: it is
rendered as if nothing were kept. A shared cache outlives a deploy, so the key also says which
code made the copy (`release()`): a new release never shows an old one's HTML.
"""

import functools
import hashlib
import logging
import pickle
import uuid
from collections.abc import Callable, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from importlib import import_module
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.cache import caches
from django.db import DEFAULT_DB_ALIAS, connections, models, transaction
from django.db.models import DEFERRED
from django.http import HttpResponse
from django.middleware.csrf import get_token
from django.shortcuts import render as django_render
from django.template.loader import render_to_string
from django.urls import get_script_prefix
from django.utils import timezone, translation
from markupsafe import Markup
from psycopg import IsolationLevel
from redis import ConnectionError as RedisConnectionError
from redis import TimeoutError as RedisTimeoutError

from tenancy.paging import KeysetPage
from tenancy.web.http import MemberRequest

logger = logging.getLogger(__name__)

# What a shared cache that is away raises (Django's RedisCache passes redis-py's errors on).
CACHE_AWAY = (RedisConnectionError, RedisTimeoutError)

# The packages whose code renders what is kept (with jinja2/, the templates).
PROJECT_PACKAGES = ("tenancy", "partner_center", "admin_center", "api", "config")

# Longest a copy is kept when nothing in it ends sooner (a copy not asked for is culled first).
KEEP_SECONDS = 600

Renderer = Callable[[], tuple[Any, datetime | None]]
Version = int | str | None


def stamp(*values) -> str:
    """A digest of the values a part is rendered from (a page of rows read as values, with its
    cursors, and anything else it shows): the part's version when nothing else counts its
    changes. Pickled, which tells apart any two values that differ (two equal ones may differ in
    their pickles, which costs a copy, never a wrong one)."""
    plain = [_rows(value) if isinstance(value, KeysetPage) else value for value in values]
    return hashlib.sha256(pickle.dumps(plain, protocol=5)).hexdigest()


def _rows(page: KeysetPage) -> list:
    """A page of rows as lists that pickle writes in C alone: a UUID as its bytes (its own
    pickling runs in Python, and a row holds several)."""
    rows = [*page.object_list, *([] if page.beyond is None else [page.beyond])]
    return [
        page.next_cursor,
        page.previous_cursor,
        page.beyond is not None,
        [[value.bytes if type(value) is uuid.UUID else value for value in row] for row in rows],
    ]


def from_values(model: type[models.Model], rows: Sequence) -> list[models.Model]:
    """Instances of `model` made from rows read by `values_list(..., named=True)`, as the ORM
    makes them from a row: a foreign key named alone is its id, `fk__field` a field of the
    related row (made an instance too, or None with no id). What the rows don't hold is
    deferred: reading it would ask the database, which a page's query count would show."""
    if not rows:
        return []
    names = rows[0]._fields
    own = [name for name in names if "__" not in name]
    related: dict[str, list[str]] = {}
    for name in names:
        head, _, rest = name.partition("__")
        if rest:
            related.setdefault(head, []).append(rest)
    attnames = {name: model._meta.get_field(name).attname for name in own}
    made = []
    for row in rows:
        instance = _instance(model, {attnames[name]: getattr(row, name) for name in own})
        for head, fields in related.items():
            key = getattr(row, head)
            other = None
            if key is not None:
                target = model._meta.get_field(head).related_model
                values = {name: getattr(row, f"{head}__{name}") for name in fields}
                other = _instance(target, {target._meta.pk.attname: key} | values)
            setattr(instance, head, other)
        made.append(instance)
    return made


def until_of(model: type[models.Model], page: KeysetPage, now: datetime) -> datetime | None:
    """Until when a page of `model`'s rows (and the one read past it, its Next) shows what it
    shows: the first of their `status_until` moments; None when only a change ends it."""
    rows = [*page.object_list, *([] if page.beyond is None else [page.beyond])]
    return first_until(from_values(model, rows), now)


def first_until(shown, now: datetime) -> datetime | None:
    """Until when what these objects show holds: the first of their `status_until` moments;
    None when only a change ends it."""
    return min(filter(None, (each.status_until(now) for each in shown)), default=None)


def _instance(model: type[models.Model], values: dict) -> models.Model:
    fields = model._meta.concrete_fields
    return model.from_db(
        DEFAULT_DB_ALIAS, None, [values.get(field.attname, DEFERRED) for field in fields]
    )


def fragment_key(
    request: MemberRequest, part: str, version: int | str, also: Sequence[str] = ()
) -> str:
    """The cache key of `part` of this request's page at `version` of its tenant's data; `also`:
    what else the part depends on (a request header, say)."""
    membership = request.membership
    said = "\n".join(
        [
            part,
            str(membership.tenant_id),
            str(version),
            ",".join(sorted(membership.roles)),
            translation.get_language() or "",
            timezone.get_current_timezone_name(),
            get_script_prefix(),
            request.get_full_path(),
            release(),
            *also,
        ]
    )
    return f"fragment:{part}:{hashlib.sha256(said.encode()).hexdigest()}"


# The settings a kept part can show: the portals' addresses (links), the keys that make a
# request's link (a retired key takes the link away), how long a request is valid.
SHOWN_SETTINGS = (
    "PARTNER_CENTER_URL",
    "ADMIN_CENTER_URL",
    "OFFICE_ADMIN_URL",
    "SECRET_KEY",
    "SECRET_KEY_FALLBACKS",
    "INVITATION_VALID_DAYS",
)


@functools.cache
def release() -> str:
    """Which code and configuration this process runs: a digest of the path, size and
    modification time of each file of the project's packages and templates, and of the
    settings a part can show (read once a process)."""
    roots = [Path(settings.BASE_DIR) / "jinja2"] + [
        Path(import_module(name).__file__).parent for name in PROJECT_PACKAGES
    ]
    digest = hashlib.sha256()
    for root in roots:
        for path in sorted(root.rglob("*")):
            if path.is_file() and path.suffix in {".py", ".html", ".txt"}:
                stat = path.stat()
                digest.update(f"{path}:{stat.st_size}:{stat.st_mtime_ns}\n".encode())
    digest.update(repr([getattr(settings, name) for name in SHOWN_SETTINGS]).encode())
    return digest.hexdigest()[:16]


def kept_value(
    request: MemberRequest,
    part: str,
    version: Version,
    render: Renderer,
    also: Sequence[str] = (),
):
    """`part` as kept for this request, else made now and kept. `render` returns it (anything
    the cache can store) and the moment it stops being true, or None. With no version (the
    data's was not read first), it is made each time and never kept."""
    return _kept(request, part, version, render, also)[0]


def _kept(request: MemberRequest, part: str, version: Version, render: Renderer, also=()):
    """(the part, until when it holds), as kept or made now."""
    if version is None:
        return render()
    cache = caches["fragments"]
    key = fragment_key(request, part, version, also)
    now = timezone.now()
    try:
        copy = cache.get(key)
    except CACHE_AWAY as error:
        logger.warning("The fragment cache did not answer (%s): rendering without it", error)
        return render()
    if copy is not None:
        value, until = copy
        if until is None or now < until:
            return value, until
    value, until = render()
    seconds = KEEP_SECONDS if until is None else min(KEEP_SECONDS, (until - now).total_seconds())
    if seconds > 0:
        try:
            cache.set(key, (value, until), seconds)
        except CACHE_AWAY as error:
            logger.warning("The fragment cache did not answer (%s): not kept", error)
    return value, until


def kept(request: MemberRequest, part: str, version: Version, render: Renderer) -> Markup:
    """`part` of the page, HTML: `render` returns a template's output (escaped as it was
    rendered, autoescaping on), shown as it is."""
    html = kept_value(request, part, version, lambda: _as_text(render()))
    return Markup(html)  # noqa: S704 (a template's output)


def _as_text(rendered: tuple) -> tuple[str, datetime | None]:
    html, until = rendered
    return str(html), until


def kept_page(
    request: MemberRequest,
    template_name: str,
    part: str,
    version: Version,
    render: Renderer,
    context: dict | None = None,
) -> HttpResponse:
    """A page whose content is `part` (`render`: the template's output and until when it holds)
    in the portal's layout, the whole page kept for the signed-in member. The layout shows the
    member (their name, their organization's, their navigation) and two forms (the language,
    signing out): it is kept with a hole where each form's CSRF token goes, filled with this
    request's token. A page with messages to show is rendered around the kept part, never kept
    (the messages are shown once). `context`: what else the page's template shows around the
    part (its title), which the version covers too."""
    context = context or {}
    if version is None or len(messages.get_messages(request)):
        content = kept(request, part, version, render)
        return django_render(request, template_name, {**context, "content": content})

    def whole() -> tuple[str, datetime | None]:
        content, until = _kept(request, part, version, lambda: _as_text(render()))
        content = Markup(content)  # noqa: S704 (a template's output)
        return _with_holes(request, template_name, {**context, "content": content}), until

    return _kept_whole(request, part, version, whole)


def kept_snapshot_page(
    request: MemberRequest,
    template_name: str,
    part: str,
    read: Callable[[], tuple[str, Any]],
    render: Callable[[Any], tuple[dict, datetime | None]],
) -> HttpResponse:
    """A page kept whole for the signed-in member under the stamp of what it shows, where
    rendering it takes more queries than the one that reads the stamp. `read` returns the stamp
    and what it read; `render` takes the latter and returns the template's context and until
    when it holds.

    On a miss, the stamp is read again, and the page rendered, in one snapshot of the database
    (`snapshot`): what the page shows is what that stamp covers, whatever another writer commits
    meanwhile. It is kept only if that stamp is the one asked for (else the next request, which
    reads the new one, renders it again). A page with messages to show is rendered, never
    kept."""
    version, state = read()

    def whole() -> tuple[str, datetime | None]:
        with snapshot():
            again, state_now = read()
            context, until = render(state_now)
            html = _with_holes(request, template_name, context)
        return html, (until if again == version else _GONE)

    return _whole_page(request, template_name, part, version, lambda: render(state), whole)


def kept_whole_page(
    request: MemberRequest,
    template_name: str,
    part: str,
    version: Version,
    render: Callable[[], tuple[dict, datetime | None]],
) -> HttpResponse:
    """A page kept whole for the signed-in member under `version`: a stamp of every value it is
    rendered from, all of them read before it (a test checks that rendering it asks the
    database nothing more). `render` returns the template's context and until when it holds. A
    page with messages to show is rendered, never kept; with no version, it is rendered each
    time."""

    def whole() -> tuple[str, datetime | None]:
        context, until = render()
        return _with_holes(request, template_name, context), until

    return _whole_page(request, template_name, part, version, render, whole)


def _whole_page(request, template_name, part, version, render, whole) -> HttpResponse:
    if version is None or len(messages.get_messages(request)):
        context, _until = render()
        return django_render(request, template_name, context)
    return _kept_whole(request, part, version, whole)


def row_values(instance: models.Model | None) -> list | None:
    """What a stamp holds of a model instance: its fields' values as read (a deferred one is
    not read for it), and the same of each related instance read with it (select_related)."""
    if instance is None:
        return None
    values = [type(instance)._meta.label]
    values += [instance.__dict__.get(field.attname) for field in instance._meta.concrete_fields]
    related = instance._state.fields_cache
    values += [(name, row_values(related[name])) for name in sorted(related)]
    return values


# Until when a page holds that is never kept: it was over before it was made.
_GONE = datetime.min.replace(tzinfo=UTC)


def _with_holes(request: MemberRequest, template_name: str, context: dict) -> str:
    """The page rendered with a hole where each form's CSRF token goes."""
    return render_to_string(
        template_name,
        {
            **context,
            "csrf_input": Markup(  # noqa: S704 (no outside text)
                f'<input type="hidden" name="csrfmiddlewaretoken" value="{_csrf_hole()}">'
            ),
            "csrf_token": _csrf_hole(),
        },
        request,
    )


def _kept_whole(request: MemberRequest, part: str, version: Version, whole: Renderer):
    """The whole page as kept for this member (else `whole()` makes it), its holes filled with
    this response's CSRF token."""
    membership = request.membership
    page = _kept(
        request,
        f"{part}:page",
        version,
        whole,
        also=(
            str(membership.pk),
            request.user.get_username(),
            membership.tenant.name,
            membership.tenant.csp_role,
        ),
    )[0]
    return HttpResponse(page.replace(_csrf_hole(), get_token(request)))


@contextmanager
def snapshot(using: str = DEFAULT_DB_ALIAS):
    """What is read inside is read from one snapshot of the database. PostgreSQL's default
    (read committed) gives each statement its own, so the transaction is made repeatable read:
    told to the driver, which says so in its BEGIN (no statement of its own). SQLite's
    transaction reads one state of the file already. Inside another transaction (a test's),
    that one's: no savepoint, nothing is written."""
    connection = connections[using]
    if connection.in_atomic_block or connection.vendor != "postgresql":
        with transaction.atomic(using=using, savepoint=False):
            yield
        return
    connection.ensure_connection()
    driver = connection.connection
    before = driver.isolation_level
    driver.isolation_level = IsolationLevel.REPEATABLE_READ
    try:
        with transaction.atomic(using=using, savepoint=False):
            yield
    finally:
        if not driver.closed:  # (a connection that broke is made anew, as configured)
            driver.isolation_level = before


@functools.cache
def _csrf_hole() -> str:
    """What stands for the CSRF token in a kept page: made from the secret key, so no text a
    page shows can be taken for it (the same in every process, as a shared cache needs)."""
    return hashlib.sha256(f"csrf-hole:{settings.SECRET_KEY}".encode()).hexdigest()
