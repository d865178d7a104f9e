"""`make bench` end to end at a tiny size: it builds its database, serves the project and the bare
page with gunicorn, loads every page, prints the table and cleans up after itself."""

import os
import re
import subprocess
import sys
from pathlib import Path
from urllib.parse import quote

import pytest
from django.conf import settings

ROOT = Path(__file__).resolve().parents[1]
TIMES = "\N{MULTIPLICATION SIGN}"


def bench_database_url(prefix: str = "bench_smoke") -> str:
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
            f"--database-url={bench_database_url()}",
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
    assert "CSV export" in output
    assert "| page | customers | req/s | ratio to bare |" in report.read_text()


@pytest.mark.postgres
def test_the_guessers_benchmark_runs_its_three_phases_and_prints_its_table(tmp_path):
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
            f"--database-url={bench_database_url('bench_smoke_guessers')}",
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
    assert "| phase | agent requests |" in report.read_text()
