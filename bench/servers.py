"""What both benchmarks stand on: a throwaway PostgreSQL database with the production settings,
gunicorn serving it, and undoing all of it whatever happens (an error, Ctrl-C, SIGTERM, SIGHUP).

`throwaway_site()` creates and migrates the database, sets Django up against it in this process,
and gives the servers' environment, a scratch folder and the port the portals' URLs name;
`serving(*servers)` starts gunicorn (`Server`) and waits until it answers. Leaving them stops
the servers, closes Django's connections, drops the database and removes the scratch folder.

The database is only ever PostgreSQL on this machine, under a name that says "bench".
"""

import contextlib
import os
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import unquote, urlsplit, urlunsplit

from bench import loadgen

ROOT = Path(__file__).resolve().parents[1]
WORKERS = 2  # gunicorn workers of every server
DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/bench_portal"
LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1", ""}


def log(message: str = "") -> None:
    print(message, flush=True)


# --- The database ------------------------------------------------------------------------


def bench_database_url(explicit: str | None) -> tuple[str, str]:
    """(url, database name). Only PostgreSQL on this machine; the name always says "bench", so
    a DATABASE_URL meant for something else never has its database dropped."""
    url = explicit or os.environ.get("BENCH_DATABASE_URL") or os.environ.get("DATABASE_URL") or ""
    parts = urlsplit(url)
    if parts.scheme not in ("postgres", "postgresql", "pgsql"):
        parts = urlsplit(DEFAULT_DATABASE_URL)
    if (parts.hostname or "") not in LOCAL_HOSTS:
        raise SystemExit(f"The benchmark runs against 127.0.0.1 only, not {parts.hostname}.")
    name = unquote(parts.path.lstrip("/"))
    if "bench" not in name:
        name = "bench_portal"
    return urlunsplit(parts._replace(path=f"/{name}")), name


def _admin_connection(url: str):
    import psycopg

    parts = urlsplit(url)
    return psycopg.connect(
        host=parts.hostname or "127.0.0.1",
        port=parts.port or 5432,
        user=unquote(parts.username or "postgres"),
        password=unquote(parts.password) if parts.password else None,
        dbname="postgres",
        autocommit=True,
    )


def drop_database(url: str, name: str) -> None:
    from psycopg import sql

    with _admin_connection(url) as connection:
        connection.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )


def create_database(url: str, name: str) -> None:
    from psycopg import sql

    drop_database(url, name)
    with _admin_connection(url) as connection:
        connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def claim_database(url: str, name: str):
    """Creating the database drops it first, with its connections: never under another run.
    The claim (an advisory lock) holds while the returned connection is open."""
    connection = _admin_connection(url)
    (claimed,) = connection.execute("SELECT pg_try_advisory_lock(hashtext(%s))", [name]).fetchone()
    (others,) = connection.execute(
        "SELECT count(*) FROM pg_stat_activity WHERE datname = %s", [name]
    ).fetchone()
    if claimed and not others:
        return connection
    connection.close()
    raise SystemExit(
        f"The database {name} is in use: another run of this benchmark, or the servers of one "
        "that was killed. Wait for it (or stop them), or pass --database-url with another name "
        "that says bench."
    )


# --- The environment ---------------------------------------------------------------------


def environment(database_url: str, project_port: int, static_root: str) -> dict[str, str]:
    """The production settings (bench.settings) on the throwaway database, served over plain
    HTTP on 127.0.0.1:project_port."""

    def portal(setting: str, default_path: str) -> str:
        path = urlsplit(os.environ.get(setting) or default_path).path or default_path
        return f"http://127.0.0.1:{project_port}{path}"

    env = dict(os.environ)
    env.update(
        DJANGO_SETTINGS_MODULE="bench.settings",
        DJANGO_READ_DOT_ENV_FILE="false",
        DEBUG="false",
        SECRET_KEY=secrets.token_urlsafe(50),
        ALLOWED_HOSTS="127.0.0.1",
        CSRF_TRUSTED_ORIGINS="",
        DATABASE_URL=database_url,
        CONN_MAX_AGE="60",
        EMAIL_URL="consolemail://",
        # The benchmarks send no email; the console mailer stands in, and gunicorn's start
        # refuses it (tenancy.E003) unless it is allowed on purpose.
        EMAIL_CONSOLE_ALLOWED="true",
        SECURE_SSL_REDIRECT="false",
        SESSION_COOKIE_SECURE="false",
        CSRF_COOKIE_SECURE="false",
        SECURE_HSTS_SECONDS="0",
        SECURE_PROXY_SSL_HEADER="false",
        BENCH_STATIC_ROOT=static_root,
        PARTNER_CENTER_URL=portal("PARTNER_CENTER_URL", "/partner-center/"),
        ADMIN_CENTER_URL=portal("ADMIN_CENTER_URL", "/admin-center/"),
        OFFICE_ADMIN_URL=portal("OFFICE_ADMIN_URL", "/office-admin/"),
    )
    return env


def manage(env: dict[str, str], *command: str) -> None:
    done = subprocess.run(  # noqa: S603 (our own arguments, no shell)
        [sys.executable, "manage.py", *command],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode:
        raise RuntimeError(f"manage.py {' '.join(command)} failed:\n{done.stdout}{done.stderr}")


@dataclass
class Site:
    """The throwaway site: its environment, its scratch folder, the project's port, and when the
    run began (before the database was made)."""

    env: dict[str, str]
    folder: Path
    port: int
    started_at: datetime
    started: float  # time.perf_counter()

    @property
    def elapsed(self) -> float:
        """Seconds since the run began."""
        return time.perf_counter() - self.started


def _stop_on_signal(signum, frame):
    raise SystemExit(128 + signum)


@contextlib.contextmanager
def throwaway_site(
    database_url: str,
    database: str,
    *,
    scratch_prefix: str,
    extra_env: dict[str, str] | None = None,
    claim: bool = False,
) -> Iterator[Site]:
    """Creates the database (dropped first if it is there; with `claim`, only if no other run
    uses it), migrates it, collects the static files into a scratch folder and sets Django up in
    this process against it. On the way out, whatever happened (SIGTERM and SIGHUP unwind like
    Ctrl-C): Django's connections closed, the database dropped, the scratch folder removed."""
    signal.signal(signal.SIGTERM, _stop_on_signal)
    signal.signal(signal.SIGHUP, _stop_on_signal)
    started_at, started = datetime.now(UTC), time.perf_counter()
    scratch = tempfile.TemporaryDirectory(prefix=scratch_prefix)
    folder = Path(scratch.name)
    claimed = None
    created = django_ready = False
    try:
        port = free_port()
        env = environment(database_url, port, str(folder / "static")) | (extra_env or {})
        os.environ.update(env)

        migrating = time.perf_counter()
        if claim:
            claimed = claim_database(database_url, database)
        create_database(database_url, database)
        created = True
        manage(env, "migrate", "--noinput", "--verbosity", "0")
        manage(env, "collectstatic", "--noinput", "--verbosity", "0")
        log(
            f"Database {database} created and migrated, static files collected: "
            f"{time.perf_counter() - migrating:.1f} s"
        )

        import django

        django.setup()
        django_ready = True
        yield Site(env, folder, port, started_at, started)
    finally:
        if django_ready:
            from django.db import connections

            connections.close_all()
        if created:
            try:
                drop_database(database_url, database)
            except Exception as error:
                log(f"Could not drop the database {database}: {error}")
        if claimed is not None:
            claimed.close()
        scratch.cleanup()


# --- gunicorn ----------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _stat(pid: int) -> list[str] | None:
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return text[text.rindex(")") + 2 :].split()  # fields from the 3rd (state) on


def _children(pid: int) -> list[int]:
    found = []
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            fields = _stat(int(entry.name))
            if fields and int(fields[1]) == pid:
                found.append(int(entry.name))
    return found


def rss_kib(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


class Server:
    """gunicorn with config/gunicorn.conf.py, bound to 127.0.0.1:port with WORKERS workers;
    ready when `ready_path` answers 200 and every worker is up."""

    def __init__(
        self,
        name: str,
        app: str,
        ready_path: str,
        env: dict[str, str],
        folder: Path,
        port: int | None = None,
    ):
        self.name = name
        self.app = app
        self.ready_path = ready_path
        self.port = port or free_port()
        self.env = env | {
            "GUNICORN_BIND": f"127.0.0.1:{self.port}",
            "WEB_CONCURRENCY": str(WORKERS),
        }
        self.log_path = folder / f"gunicorn-{name}.log"
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        with open(self.log_path, "wb") as errors:
            self.process = subprocess.Popen(  # noqa: S603 (our own arguments, no shell)
                [sys.executable, "-m", "gunicorn", "-c", "config/gunicorn.conf.py", self.app],
                cwd=ROOT,
                env=self.env,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,  # the access log
                stderr=errors,
                start_new_session=True,
            )

    def wait_ready(self, timeout: float = 90) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn ({self.name}) exited:\n{self.log_tail()}")
            try:
                status, _ = loadgen.get(self.port, self.ready_path, timeout=5)
            except OSError:
                time.sleep(0.2)
                continue
            if status == 200 and len(self.workers()) >= WORKERS:
                return
            time.sleep(0.2)
        raise RuntimeError(f"gunicorn ({self.name}) not ready after {timeout:.0f} s")

    def workers(self) -> list[int]:
        return _children(self.process.pid) if self.process else []

    def cpu_ticks(self) -> int:
        """CPU of the workers: the live ones, plus the reaped ones (the master's cutime+cstime),
        so a worker recycled by max_requests during a run is still counted."""
        master = _stat(self.process.pid)
        ticks = int(master[13]) + int(master[14]) if master else 0
        for pid in self.workers():
            fields = _stat(pid)
            if fields:
                ticks += int(fields[11]) + int(fields[12])
        return ticks

    def log_tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def stop(self) -> None:
        process = self.process
        if process is None:
            return
        workers = self.workers()
        if process.poll() is None:
            process.terminate()  # graceful: workers finish their request
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(25)
        if process.poll() is None:
            process.kill()
            process.wait(5)
        for pid in workers:  # a worker its master left behind, still in the master's group
            fields = _stat(pid)
            if fields and int(fields[2]) == process.pid:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
        self.process = None


@contextlib.contextmanager
def serving(*servers: Server) -> Iterator[None]:
    """Starts the servers together and waits until each is ready; stops them all on the way out,
    whatever happened."""
    try:
        for server in servers:
            server.start()
        for server in servers:
            server.wait_ready()
        yield
    finally:
        for server in servers:
            server.stop()
