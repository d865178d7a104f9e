"""Where a page's CPU goes: a sampling profiler in the served process, for `make bench` only.

The served side: `bench.profiled_wsgi:application` is the project's WSGI application
(config.wsgi) with a sampler around it, on when BENCH_PROFILE is set (its value: the sampling
interval in seconds, e.g. 0.002). In each gunicorn worker (started on its first request, after the
fork) a SIGPROF timer (`setitimer(ITIMER_PROF)`: it runs on the process's CPU time, user and
system, so a worker waiting for PostgreSQL or for a request is not sampled) interrupts it; each
sample walks the Python stack from the innermost frame out and puts the CPU time since the
previous sample (`time.process_time()`) in the category of the innermost frame that has one:

- database: the DB driver (psycopg, psycopg_c/psycopg_binary, psycopg_pool, psycopg2; the
  standard library's sqlite3), so its execute, its fetch, its wait for the server (the poll that
  returns when the answer is there), the rows' conversion;
- ORM: django/db/ (the rest of it: querysets, the SQL compiler, Django's backends and cursor
  wrappers);
- template: jinja2/, django/template/ (but its response.py: a response's render() is where DRF
  writes an API's JSON, and a TemplateResponse's template is rendered further in), any module
  whose file or folder name says "jinja" (the project's Jinja2 helpers, templates under
  jinja2/), and a compiled Jinja2 template's own code (its file: a .html/.txt/... template, or
  "<template>");
- rest: a stack with none of them (gunicorn, middleware, views, form validation, sessions, the API's
  serializers and renderers...).

A call stack's time belongs to its innermost category: a query a template triggers is ORM and
database, a filter the template calls is template. Django templates are interpreted by
django/template/, Jinja2 templates compile to Python code whose frames carry the template's file
name and run under jinja2/: both are template. C functions have no frame: their time is their
Python caller's (psycopg's C wait and row loaders are called from psycopg's Python code, so they
are database; sqlite3's C execute, called from django/db/backends/sqlite3, would count as ORM).

`GET /__bench_profile__` answers this worker's totals since its previous answer, as JSON, and
holds the worker `?hold=` seconds (asleep: no CPU) so that concurrent calls reach every worker.

The bench's side: `collect(server)` calls it until every worker has answered and sums them;
`Profile.shares()` are the fractions of the sampled CPU per category, which the bench applies to
the CPU per request it measured without the profiler (so the four parts add up to it).
"""

import atexit
import json
import os
import signal
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import PurePath
from urllib.parse import parse_qs

CATEGORIES = ("template", "ORM", "database", "rest")
DUMP_PATH = "/__bench_profile__"
ENV = "BENCH_PROFILE"
# Seconds of CPU between samples; the kernel checks CPU timers on its tick, so at 250 Hz a sample
# comes every 4 ms. Each sample carries the CPU time since the previous one, whatever the interval.
DEFAULT_INTERVAL = 0.002

DRIVERS = {"psycopg", "psycopg_c", "psycopg_binary", "psycopg_pool", "psycopg2", "sqlite3"}
TEMPLATE_SUFFIXES = {".html", ".htm", ".txt", ".xml", ".jinja", ".jinja2", ".j2", ".tmpl"}


def classify(filename: str) -> str | None:
    """The category of code in `filename`, or None (a frame further out decides)."""
    if filename == "<template>":
        return "template"
    parts = PurePath(filename).parts
    lowered = [part.lower() for part in parts]
    for i, part in enumerate(lowered):
        if part == "django" and i + 1 < len(parts):
            following = lowered[i + 1]
            if following == "db":
                return "ORM"
            if following == "template":
                # A response's render() is not a template's: a TemplateResponse's template is
                # rendered further in (django/template/backends, jinja2), and an API's JSON
                # (DRF's Response is a SimpleTemplateResponse) is its renderer's, the rest.
                return None if parts[i + 2 : i + 3] == ("response.py",) else "template"
            return None  # the rest of Django (django/templatetags is called by templates)
        if part in DRIVERS:
            return "database"
    if any("jinja" in part for part in lowered):
        return "template"
    if PurePath(filename).suffix.lower() in TEMPLATE_SUFFIXES:
        return "template"
    return None


# --- In the served process ---------------------------------------------------------------


class Sampler:
    """CPU time per category since the last `take()`, in this process."""

    def __init__(self, interval: float):
        self.interval = interval
        self.pid: int | None = None
        self._categories: dict[str, str] = {}
        self._reset()

    def _reset(self) -> None:
        self.seconds = dict.fromkeys(CATEGORIES, 0.0)
        self.samples = dict.fromkeys(CATEGORIES, 0)
        self.last = time.process_time()
        self.since = time.monotonic()

    def ensure_started(self) -> None:
        """The timer, once in each process (timers are not inherited by a fork)."""
        if self.pid == os.getpid():
            return
        self.pid = os.getpid()
        self._reset()
        signal.signal(signal.SIGPROF, self._sample)
        signal.siginterrupt(signal.SIGPROF, False)  # restart interrupted system calls
        signal.setitimer(signal.ITIMER_PROF, self.interval, self.interval)
        atexit.register(self.stop)

    def stop(self) -> None:
        """No more samples (at exit: a SIGPROF after Python's handlers are gone would kill it)."""
        signal.setitimer(signal.ITIMER_PROF, 0, 0)
        signal.signal(signal.SIGPROF, signal.SIG_IGN)

    def _sample(self, signum, frame) -> None:
        now = time.process_time()
        spent, self.last = now - self.last, now
        category = "rest"
        categories = self._categories
        while frame is not None:
            filename = frame.f_code.co_filename
            found = categories.get(filename, "")
            if found == "":
                found = categories[filename] = classify(filename)
            if found is not None:
                category = found
                break
            frame = frame.f_back
        self.seconds[category] += spent
        self.samples[category] += 1

    def take(self) -> dict:
        """The totals since the previous call, and start again."""
        answer = {
            "pid": os.getpid(),
            "seconds": dict(self.seconds),
            "samples": dict(self.samples),
            "wall": time.monotonic() - self.since,
        }
        self._reset()
        return answer


def profiled(inner, interval: float):
    sampler = Sampler(interval)

    def application(environ, start_response):
        sampler.ensure_started()
        if environ.get("PATH_INFO") != DUMP_PATH:
            return inner(environ, start_response)
        answer = sampler.take()
        query = parse_qs(environ.get("QUERY_STRING", ""))
        hold = min(float(query.get("hold", ["0"])[0] or 0), 2.0)
        if hold > 0:
            time.sleep(hold)  # asleep, this worker takes no other call meanwhile
        body = json.dumps(answer).encode()
        start_response(
            "200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(body)))]
        )
        return [body]

    application.sampler = sampler
    return application


def wsgi_application():
    """The project's WSGI application, with the sampler when BENCH_PROFILE is set (see
    bench/profiled_wsgi.py, which gunicorn serves)."""
    from config.wsgi import application as django_application

    interval = os.environ.get(ENV, "")
    if not interval or interval.lower() in ("0", "false", "off", "no"):
        return django_application
    try:
        seconds = float(interval)
    except ValueError:
        seconds = DEFAULT_INTERVAL
    return profiled(django_application, seconds if seconds > 0 else DEFAULT_INTERVAL)


# --- In the bench ------------------------------------------------------------------------


@dataclass
class Profile:
    """The sampled CPU of a server's workers over a run, per category."""

    seconds: dict[str, float] = field(default_factory=lambda: dict.fromkeys(CATEGORIES, 0.0))
    samples: dict[str, int] = field(default_factory=lambda: dict.fromkeys(CATEGORIES, 0))
    workers: int = 0
    missing: int = 0  # workers that never answered

    def add(self, answer: dict) -> None:
        for category in CATEGORIES:
            self.seconds[category] += answer["seconds"].get(category, 0.0)
            self.samples[category] += answer["samples"].get(category, 0)

    @property
    def total_seconds(self) -> float:
        return sum(self.seconds.values())

    @property
    def total_samples(self) -> int:
        return sum(self.samples.values())

    def shares(self) -> dict[str, float] | None:
        total = self.total_seconds
        if total <= 0:
            return None
        return {category: self.seconds[category] / total for category in CATEGORIES}


def collect(server, hold: float = 0.05, attempts: int = 10) -> Profile:
    """Every worker's totals since its previous answer, summed (and so reset: call it once
    before a run to start from zero). Concurrent calls, each holding its worker `hold` seconds,
    until each worker of `server` has answered."""
    from bench import loadgen

    profile = Profile()
    wanted = set(server.workers())
    seen: set[int] = set()

    def call(_):
        status, body = loadgen.get(server.port, f"{DUMP_PATH}?hold={hold}", timeout=30)
        if status != 200:
            raise RuntimeError(f"{DUMP_PATH}: HTTP {status}")
        return json.loads(body)

    with ThreadPoolExecutor(max_workers=len(wanted) + 1) as pool:
        for _ in range(attempts):
            for answer in pool.map(call, range(len(wanted) + 1)):
                profile.add(answer)
                seen.add(answer["pid"])
            wanted = set(server.workers()) or wanted
            if wanted <= seen:
                break
    profile.workers = len(seen & wanted)
    profile.missing = len(wanted - seen)
    return profile


def split_ms(cpu_ms: float, shares: dict[str, float] | None, digits: int = 2) -> list[str]:
    """`cpu_ms` split by `shares`, each rounded to `digits` so that the parts add up to `cpu_ms`
    rounded the same way (largest remainders)."""
    if not shares or cpu_ms != cpu_ms:
        return ["—"] * len(CATEGORIES)
    scale = 10**digits
    total = round(cpu_ms * scale)
    raw = [shares[category] * cpu_ms * scale for category in CATEGORIES]
    parts = [int(value) for value in raw]
    order = sorted(range(len(raw)), key=lambda i: raw[i] - parts[i], reverse=True)
    for i in order[: max(0, total - sum(parts))]:
        parts[i] += 1
    return [f"{part / scale:.{digits}f}" for part in parts]
