"""The per-request floor: what each middleware costs a portal page, in CPU and in queries.

`.venv/bin/python -m bench.floor [--requests N] [--customers N] [--postgres]` builds a throwaway
database (SQLite in a scratch folder; with --postgres, the database `floor_probe` on
127.0.0.1:5432, dropped and made again, never another name), migrates it, adds a partner with
customers and an agent (Sales and Admin agent) with the test factories, signs the agent in with
the test client (Django's authenticate: the session records the backend that signed in, as the
sign-in page's does) and asks for the Customer list many times in this process.

Each middleware of settings.MIDDLEWARE is wrapped in a timer (time.process_time_ns), and so are
the view (URL resolution, the view, its template) and the membership context processor inside
it. A row is a part's own time: what its callees take is charged to them, and so are the
queries. What a middleware only puts on the request lazily (the session, `request.user`, the
verified second factor) is loaded as that middleware hands over, so its query is charged to the
middleware that brings it; every portal page loads them all anyway. `rest` is the test client
and Django's handler around the chain. The timers add about a microsecond per row.

Two runs: an agent without a second factor, and one signed in with an authenticator app (the
session names the device django_otp verified).
"""

import argparse
import os
import secrets
import sys
import tempfile
import time
import warnings
from collections import defaultdict
from contextlib import contextmanager
from pathlib import Path

POSTGRES_URL = "postgres://postgres@127.0.0.1:5432/floor_probe"
POSTGRES_NAME = "floor_probe"
WARM_UP = 50


# --- The meter: exclusive CPU time and queries per part --------------------------------------


class Meter:
    """Nested regions; each part is charged its own time and queries, not its callees'."""

    def __init__(self):
        self.cpu_ns = defaultdict(int)
        self.queries = defaultdict(int)
        self.calls = defaultdict(int)
        self.query_count = 0
        self.sql: list[tuple[str, str]] = []
        self._stack: list[list] = []

    @contextmanager
    def region(self, part: str):
        frame = [part, 0, 0]  # part, callees' ns, callees' queries
        self._stack.append(frame)
        queries = self.query_count
        started = time.process_time_ns()
        try:
            yield
        finally:
            elapsed = time.process_time_ns() - started
            ran = self.query_count - queries
            self._stack.pop()
            self.cpu_ns[part] += elapsed - frame[1]
            self.queries[part] += ran - frame[2]
            self.calls[part] += 1
            if self._stack:
                self._stack[-1][1] += elapsed
                self._stack[-1][2] += ran

    def execute(self, execute, sql, params, many, context):
        self.query_count += 1
        self.sql.append((self._stack[-1][0] if self._stack else "rest", sql))
        return execute(sql, params, many, context)

    def reset(self):
        self.cpu_ns.clear()
        self.queries.clear()
        self.calls.clear()
        self.sql.clear()
        self.query_count = 0


METER = Meter()


def _settle(request) -> None:
    """Load what the middleware before put on the request lazily, so it is charged there."""
    session = getattr(request, "session", None)
    if session is not None and not hasattr(session, "_session_cache"):
        session._get_session()
    user = getattr(request, "user", None)
    if user is not None:
        user.is_authenticated  # noqa: B018 - evaluates the lazy user (and its device)


def _timed(path: str, name: str):
    from django.utils.module_loading import import_string

    middleware_class = import_string(path)

    class Timed:
        def __init__(self, get_response):
            def handed_over(request):
                _settle(request)
                return get_response(request)

            self.middleware = middleware_class(handed_over)
            for hook in ("process_view", "process_template_response", "process_exception"):
                if hasattr(self.middleware, hook):
                    setattr(self, hook, self._hook(getattr(self.middleware, hook)))

        def _hook(self, method):
            def timed(*args, **kwargs):
                with METER.region(name):
                    return method(*args, **kwargs)

            return timed

        def __call__(self, request):
            with METER.region(name):
                return self.middleware(request)

    Timed.__name__ = Timed.__qualname__ = f"Timed{name}"
    return Timed


def _timed_view(path: str):
    """The innermost middleware, its get_response (Django's _get_response) timed as the view."""
    from django.utils.module_loading import import_string

    middleware_class = import_string(path)

    class TimedInnermost(middleware_class):
        def __init__(self, get_response):
            def view(request):
                with METER.region("view (URL, view, template)"):
                    return get_response(request)

            super().__init__(view)

    return TimedInnermost


def _instrument(settings) -> list[str]:
    """Wrap every middleware of settings.MIDDLEWARE and the membership context processor."""
    import tenancy.web.context_processors as processors

    module = sys.modules[__name__]
    names, paths = [], []
    for index, path in enumerate(settings.MIDDLEWARE):
        name = path.rsplit(".", 1)[1]
        inner = path
        if index == len(settings.MIDDLEWARE) - 1:
            module.TimedInnermost = _timed_view(path)
            inner = f"{__name__}.TimedInnermost"
        attribute = f"Timed{index}"
        setattr(module, attribute, _timed(inner, name))
        names.append(name)
        paths.append(f"{__name__}.{attribute}")
    settings.MIDDLEWARE = paths

    membership = processors.membership

    def timed_membership(request):
        with METER.region("context processor: membership"):
            return membership(request)

    processors.membership = timed_membership
    return names


# --- The throwaway database -------------------------------------------------------------------


def _environment(database_url: str) -> None:
    os.environ.update(
        DJANGO_SETTINGS_MODULE="config.settings.base",
        DJANGO_READ_DOT_ENV_FILE="false",
        DEBUG="false",
        SECRET_KEY=secrets.token_urlsafe(50),
        DATABASE_URL=database_url,
        ALLOWED_HOSTS="testserver",
        PARTNER_CENTER_URL="http://testserver/partner-center/",
        ADMIN_CENTER_URL="http://testserver/admin-center/",
        OFFICE_ADMIN_URL="http://testserver/office-admin/",
        MFA_REQUIRED="false",
    )
    for variable in ("CACHE_URL", "EMAIL_URL"):
        os.environ.pop(variable, None)


def _postgres(action: str) -> None:
    import psycopg

    with psycopg.connect("postgresql://postgres@127.0.0.1:5432/postgres", autocommit=True) as db:
        db.execute(f"DROP DATABASE IF EXISTS {POSTGRES_NAME} WITH (FORCE)")
        if action == "create":
            db.execute(f"CREATE DATABASE {POSTGRES_NAME}")


def _build(customers: int):
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from tenancy.models import Role
    from tests.factories import PASSWORD, PartnerFactory, make_customers, member

    partner = PartnerFactory(name="Floor Partners", domain="floorpartners.onmicrosoft.com")
    make_customers(partner, customers)
    agent = member(
        partner, Role.SALES_AGENT, Role.ADMIN_AGENT, username="agent@floorpartners.onmicrosoft.com"
    )
    secured = member(
        partner,
        Role.SALES_AGENT,
        Role.ADMIN_AGENT,
        username="secured@floorpartners.onmicrosoft.com",
    )
    device = TOTPDevice.objects.create(user=secured, name="Authenticator app", confirmed=True)
    return (agent, PASSWORD, None), (secured, PASSWORD, device)


def _client(user, password, device):
    from django.test import Client
    from django_otp import DEVICE_ID_SESSION_KEY

    from tenancy import mfa

    client = Client()
    assert client.login(username=user.username, password=password)
    if device is not None:
        # As the second step of signing in leaves it: the device verified, nothing pending.
        session = client.session
        session[DEVICE_ID_SESSION_KEY] = device.persistent_id
        session.pop(mfa.SIGN_IN_PENDING, None)
        session.save()
    return client


# --- The run ----------------------------------------------------------------------------------


def _measure(client, url: str, requests: int, names: list[str]) -> dict:
    from django.db import connection

    for _ in range(WARM_UP):
        assert client.get(url).status_code == 200
    METER.reset()
    with connection.execute_wrapper(METER.execute):
        started = time.process_time_ns()
        wall = time.perf_counter()
        for _ in range(requests):
            response = client.get(url)
            assert response.status_code == 200, response.status_code
        wall = time.perf_counter() - wall
        total = time.process_time_ns() - started
    parts = [*names, "view (URL, view, template)", "context processor: membership"]
    rest_queries = sum(q for part, q in METER.queries.items() if part not in parts)
    rows = [(part, METER.cpu_ns[part], METER.queries[part]) for part in parts]
    rows.append(("rest (test client, handler)", total - sum(METER.cpu_ns.values()), rest_queries))
    return {
        "rows": rows,
        "total": total,
        "wall": wall,
        "queries": METER.query_count,
        "sql": METER.sql,
    }


def _table(sql: str) -> str:
    """A statement in short: its verb, its main table and what it joins (not its subqueries')."""
    words, depth, subquery = [], 0, False
    for word in sql.replace('"', "").replace("(", " ( ").replace(")", " ) ").split():
        depth += (word == "(") - (word == ")")
        subquery = subquery or (depth > 0 and word.upper() == "SELECT")
        if depth == 0:
            words.append(word)
    verb = words[0].upper()
    if verb in {"UPDATE", "INSERT"}:
        return f"{verb} {words[2] if verb == 'INSERT' else words[1]}"
    if verb not in {"SELECT", "DELETE"}:
        return verb
    following = [words[i + 1] for i, w in enumerate(words[:-1]) if w.upper() in {"FROM", "JOIN"}]
    short = f"{verb} {following[0] if following else '?'}"
    if joined := [table for table in following[1:] if table != following[0]]:
        short += " JOIN " + ", ".join(dict.fromkeys(joined))
    return short + (" (and a subquery)" if subquery else "")


def _report(title: str, result: dict, requests: int) -> list[str]:
    lines = [
        f"### {title}",
        "",
        "| part | CPU µs/request | queries/request |",
        "|---|---:|---:|",
    ]
    for part, cpu_ns, queries in result["rows"]:
        lines.append(f"| {part} | {cpu_ns / requests / 1000:,.0f} | {queries / requests:g} |")
    lines.append(
        f"| **total** | **{result['total'] / requests / 1000:,.0f}** "
        f"| **{result['queries'] / requests:g}** |"
    )
    lines += ["", "The queries of the last request, by the part that ran them:", ""]
    last = _last_request(result["sql"], result["queries"] // requests)
    for part, sql in last:
        lines.append(f"- {part}: `{_table(sql)}`")
    lines += [
        "",
        f"Wall time {result['wall'] / requests * 1000:.2f} ms/request "
        f"({requests} requests, CPU {result['total'] / requests / 1000:,.0f} µs/request).",
        "",
    ]
    return lines


def _last_request(sql: list, per_request: int) -> list:
    return sql[-per_request:] if per_request else []


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=1000)
    parser.add_argument("--customers", type=int, default=120)
    parser.add_argument("--postgres", action="store_true", help=f"on {POSTGRES_URL}")
    args = parser.parse_args(argv)

    scratch = tempfile.TemporaryDirectory(prefix="floor-")
    if args.postgres:
        database_url = POSTGRES_URL
        _postgres("create")
    else:
        database_url = f"sqlite:///{Path(scratch.name) / 'floor.sqlite3'}"
    _environment(database_url)

    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection
    from django.urls import reverse

    assert connection.settings_dict["NAME"] in {
        POSTGRES_NAME,
        str(Path(scratch.name) / "floor.sqlite3"),
    }
    # Plain static files: the page's {% static %} needs no collected manifest.
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    warnings.filterwarnings("ignore", message="No directory at")
    try:
        started = time.perf_counter()
        call_command("migrate", verbosity=0)
        people = _build(args.customers)
        print(f"database ready in {time.perf_counter() - started:.1f} s", file=sys.stderr)
        names = _instrument(settings)
        url = reverse("partner_center:customer-list")
        out = [
            f"## The per-request floor: GET {url} (the Customer list, {args.customers} customers)",
            "",
            f"{connection.vendor}, Django {django.get_version()}, {settings.SESSION_ENGINE}, "
            f"backends {', '.join(settings.AUTHENTICATION_BACKENDS)}; "
            f"{args.requests} requests after {WARM_UP} to warm up; `python -m bench.floor`.",
            "",
        ]
        for (user, password, device), title in zip(
            people,
            (
                "An agent without a second factor",
                "An agent signed in with an authenticator app",
            ),
            strict=True,
        ):
            client = _client(user, password, device)
            result = _measure(client, url, args.requests, names)
            out += _report(title, result, args.requests)
        print("\n".join(out))
    finally:
        connection.close()
        if args.postgres:
            _postgres("drop")
        scratch.cleanup()
    return 0


if __name__ == "__main__":
    sys.exit(main())
