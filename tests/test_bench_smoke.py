"""`make bench` end to end at a tiny size: it builds its database, serves the project and the bare
page with gunicorn, loads every page, prints the table and cleans up after itself. And the rule
that keeps both benchmarks from dropping a database that is not theirs."""

import os
import re
import subprocess
import sys
from pathlib import Path
from urllib.parse import quote

import pytest
from django.conf import settings

from bench.guessers import guessers_database_url
from bench.servers import bench_database_url

ROOT = Path(__file__).resolve().parents[1]
TIMES = "\N{MULTIPLICATION SIGN}"


def smoke_database_url(prefix: str = "bench_smoke") -> str:
    """The test run's PostgreSQL server, a database of this run's own (the benchmark drops it)."""
    db = settings.DATABASES["default"]
    password = f":{quote(db['PASSWORD'], safe='')}" if db.get("PASSWORD") else ""
    user = quote(db.get("USER") or "postgres", safe="")
    host = db.get("HOST") or "127.0.0.1"
    port = db.get("PORT") or 5432
    return f"postgres://{user}{password}@{host}:{port}/{prefix}_{os.getpid()}"


@pytest.mark.postgres
def test_the_http_benchmark_runs_at_a_tiny_size_and_prints_its_table(tmp_path):
    report = tmp_path / "last-run.md"
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    done = subprocess.run(  # noqa: S603 (our own arguments, no shell)
        [
            sys.executable,
            "-m",
            "bench.http_bench",
            "--customers-small=50",
            "--customers-large=200",
            "--seconds=0.5",
            "--rounds=1",
            "--client=python",
            f"--database-url={smoke_database_url()}",
            f"--report={report}",
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=150,
        check=False,
    )
    output = done.stdout + done.stderr
    assert done.returncode == 0, output[-4000:]
    assert re.search(r"^page +customers +req/s +ratio to bare +p50 ms +p99 ms", output, re.M), (
        output
    )
    # The reference and a page that needs no data have figures, a ratio among them.
    assert re.search(rf"^bare Django page \(reference\) .* 1\.00{TIMES} ", output, re.M)
    assert re.search(rf"^healthz .* \d+\.\d\d{TIMES} ", output, re.M), output
    # The API's customer list, as the large partner's app: page 1, and a page found by links.next.
    api = r"^API /v1/customers\?size=40, "
    assert re.search(rf"{api}page 1 +200 .* \d+\.\d\d{TIMES} ", output, re.M), output
    assert re.search(
        rf"{api}deep \(page 5, links\.next\) +200 .* \d+\.\d\d{TIMES} ", output, re.M
    ), output
    # What a first view costs: the same page on the copy of the project that keeps nothing.
    first = r"^Customer list, page 1, first view \(nothing kept\) +200 "
    assert re.search(rf"{first}.* \d+\.\d\d{TIMES} ", output, re.M), output
    assert "CSV export" in output
    assert "| page | customers | req/s | ratio to bare |" in report.read_text()


@pytest.mark.postgres
def test_the_guessers_benchmark_runs_its_phases_and_prints_its_table(tmp_path):
    report = tmp_path / "last-guessers.md"
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    done = subprocess.run(  # noqa: S603 (our own arguments, no shell)
        [
            sys.executable,
            "-m",
            "bench.guessers",
            "--customers=50",
            "--seconds=2",
            "--guessers=3",
            f"--database-url={smoke_database_url('bench_smoke_guessers')}",
            f"--report={report}",
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=150,
        check=False,
    )
    output = done.stdout + done.stderr
    assert done.returncode == 0, output[-4000:]
    assert re.search(r"^phase +agent requests +agent median ms +agent p99 ms", output, re.M), output
    alone = rf"^\(a\) agent alone +\d[\d,]* +[\d.,]+ +[\d.,]+ +1\.00{TIMES} "
    assert re.search(alone, output, re.M), output
    # Without throttling every guess is checked: the sign-in page again, with its error.
    assert re.search(r"^\(b\) 3 guessers, throttling off .* 200: \d", output, re.M), output
    assert re.search(r"^\(c\) 3 guessers, throttling on ", output, re.M), output
    assert re.search(r"^\(d\) 3 guessers spread, throttling on ", output, re.M), output
    # The owner signs in from its own browser while the guessers hammer its account.
    owner = r"^\(e\) 3 guessers at the owner, throttling on .* known browser 302: \d"
    assert re.search(owner, output, re.M), output
    assert "| phase | agent requests |" in report.read_text()


def test_the_benchmark_database_is_one_on_this_machine_whose_name_says_bench(monkeypatch):
    monkeypatch.delenv("BENCH_DATABASE_URL", raising=False)
    monkeypatch.setenv("DATABASE_URL", "postgres://app@127.0.0.1:5432/portal")
    assert bench_database_url(None) == (
        "postgres://app@127.0.0.1:5432/bench_portal",
        "bench_portal",
    )
    assert bench_database_url("postgres://app@localhost/bench_mine")[1] == "bench_mine"
    with pytest.raises(SystemExit, match=r"127\.0\.0\.1 only"):
        bench_database_url("postgres://app@db.example.com/bench_portal")


def test_the_guessers_never_take_the_http_benchmarks_database(monkeypatch):
    monkeypatch.delenv("BENCH_DATABASE_URL", raising=False)
    monkeypatch.delenv("DATABASE_URL", raising=False)
    assert guessers_database_url(None)[1] == "bench_guessers"
    assert guessers_database_url("postgres://app@127.0.0.1/bench_portal")[1] == "bench_guessers"
    assert guessers_database_url("postgres://app@127.0.0.1/bench_other")[1] == "bench_other"


@pytest.mark.postgres
def test_the_bulk_benchmark_runs_at_a_tiny_size_and_prints_its_figures(tmp_path):
    report = tmp_path / "last-bulk.md"
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    done = subprocess.run(  # noqa: S603 (our own arguments, no shell)
        [
            sys.executable,
            "-m",
            "bench.bulk",
            "--customers=20,50",
            "--select-all=20,50",
            "--warmup=3",
            "--profile=always",
            "--profile-items=10",
            f"--database-url={smoke_database_url('bench_smoke_bulk')}",
            f"--report={report}",
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=150,
        check=False,
    )
    output = done.stdout + done.stderr
    assert done.returncode == 0, output[-4000:]
    for n in (20, 50):
        counted = (
            rf'^  "Select all that match" at {n} customers: preview \d+ queries \({n} counted\), '
            rf"start \d+ queries \({n} items\)"
        )
        assert re.search(counted, output, re.M), output
        # One worker did the whole job: customers a second, its memory, the items' slices.
        job = (
            rf"^  Job at {n} customers: {n} items \(\d+ requests, \d+ skipped, 0 failed\) in "
            rf"[\d.]+ s = [\d,]+ customers/s start → DONE .* worker RSS [\d.]+ MiB → [\d.]+ MiB "
            r"\([+-][\d.]+ MiB, .* per \d+ items: first [\d,]+/s, last [\d,]+/s"
        )
        assert re.search(job, output, re.M), output
    assert re.search(r"^  Queries of the preview and the start: (fixed|NOT fixed)", output, re.M)
    assert re.search(r"^  Bulk request of 50, one worker, emails off: ≥ 300 ", output, re.M)
    # The profile: asked for, over a job of 10 in this process.
    assert re.search(r"no profiler, over 10 customers .* an item takes [\d.]+ ms", output), output
    assert "The top 15 by cumulative time:" in output
    assert "tenancy/services/bulk_items.py" in output
    assert "## Bulk requests" in report.read_text()
