"""Benchmark: Partner Center's Customer list and its export with a partner of many customers.

    make bench                                   # SQLite (a throwaway file), 100,000 customers
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/test make bench   # PostgreSQL (test_test)
    .venv/bin/python -m bench.customer_list --customers 20000 --explain

It builds a throwaway test database (never the one `make run` uses), fills it with one partner
and N customers (a third with admin roles, one in twenty ended), then times the pages through
Django's test client, full middleware included, and prints the figures.
"""

import argparse
import os
import statistics
import sys
import tempfile
import time
import tracemalloc
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")

import django

django.setup()

from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import (  # noqa: E402
    CaptureQueriesContext,
    setup_test_environment,
    teardown_test_environment,
)
from django.urls import reverse  # noqa: E402
from django.utils import timezone  # noqa: E402

RUNS = 5


def build(customers: int) -> tuple:
    from tenancy.models import (
        AdminRelationship,
        FormedBy,
        ResellerRelationship,
        Role,
        Tenant,
        TenantKind,
    )
    from tests.factories import PartnerFactory, member

    partner = PartnerFactory(name="Benchmark Partners")
    agent = member(partner, Role.SALES_AGENT, Role.ADMIN_AGENT)
    now = timezone.now()
    batch = 5000
    words = ["Coffee", "Winery", "Airlines", "Traders", "Research", "Toys", "Bank", "Labs"]
    for start in range(0, customers, batch):
        tenants = Tenant.objects.bulk_create(
            Tenant(
                kind=TenantKind.CUSTOMER,
                name=f"{words[i % len(words)]} {i:06d}",
                domain=f"c{i:06d}{uuid.uuid4().hex[:6]}.onmicrosoft.com",
                country_id="US",
                address_line1="1 Main St",
                city="Seattle",
            )
            for i in range(start, min(start + batch, customers))
        )
        ResellerRelationship.objects.bulk_create(
            ResellerRelationship(
                partner=partner,
                customer=tenant,
                formed_by=FormedBy.INVITATION,
                created_at=now - timezone.timedelta(minutes=i),
                ended_at=now if i % 20 == 0 else None,
            )
            for i, tenant in enumerate(tenants, start)
        )
        AdminRelationship.objects.bulk_create(
            AdminRelationship(partner=partner, customer=tenant, roles=["global_administrator"])
            for i, tenant in enumerate(tenants, start)
            if i % 3 == 0 and i % 20
        )
    return partner, agent


def timed(client: Client, path: str, params: dict) -> tuple[float, int, int]:
    """Median milliseconds over RUNS, the query count, the status."""
    client.get(path, params)  # warm caches
    times = []
    for _ in range(RUNS):
        with CaptureQueriesContext(connection) as queries:
            started = time.perf_counter()
            response = client.get(path, params)
            if hasattr(response, "streaming_content"):
                for _chunk in response.streaming_content:
                    pass
            times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times), len(queries), response.status_code


def export_figures(client: Client) -> tuple[float, int, float]:
    """Seconds, rows and peak Python memory (MiB) to stream the whole export."""
    tracemalloc.start()
    started = time.perf_counter()
    response = client.get(reverse("partner_center:customer-export"))
    rows = -1  # the header line
    for chunk in response.streaming_content:
        rows += chunk.count(b"\n")
    seconds = time.perf_counter() - started
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return seconds, rows, peak / 2**20


def explain(partner) -> None:
    from tenancy.models import ResellerRelationship

    rows = ResellerRelationship.objects.customer_list(partner).select_related("customer__country")
    for label, queryset in [
        ("first page by name", rows.order_by("customer__name", "customer_id")[:25]),
        ("first page, newest first", rows.order_by("-created_at", "-pk")[:25]),
    ]:
        print(f"\nEXPLAIN ({label}):")
        print(queryset.explain(**({"analyze": True} if connection.vendor == "postgresql" else {})))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--explain", action="store_true", help="print the query plans")
    args = parser.parse_args()

    scratch = tempfile.TemporaryDirectory(prefix="bench-")
    if connection.vendor == "sqlite":
        # A file, as in production-like use, not the in-memory database tests get.
        connection.settings_dict["TEST"]["NAME"] = os.path.join(scratch.name, "bench.sqlite3")
    setup_test_environment()
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        started = time.perf_counter()
        partner, agent = build(args.customers)
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")  # what autovacuum would do after a bulk load
        print(
            f"{connection.vendor}: {args.customers:,} customers built in "
            f"{time.perf_counter() - started:.1f} s"
        )
        client = Client()
        client.force_login(agent)
        listing = reverse("partner_center:customer-list")
        middle = str(args.customers // 2)
        print(f"\n{'page':44} {'median ms':>10} {'queries':>8}")
        for label, params in [
            ("Customer list, first page (name)", {}),
            ("Customer list, page 2,000 (name)", {"page": 2000}),
            ("Customer list, newest first", {"sort": "-since"}),
            ("Customer list, filter: with admin roles", {"relationship": "admin"}),
            ("Customer list, filter: ended", {"relationship": "ended"}),
            ("Customer list, search 'coffee 0123'", {"q": "coffee 0123"}),
            ("Customer list, search by domain", {"q": f"c{middle:0>6}"}),
        ]:
            ms, queries, status = timed(client, listing, params)
            assert status == 200, status
            print(f"{label:44} {ms:10.1f} {queries:8d}")
        seconds, rows, peak = export_figures(client)
        print(
            f"\nExport: {rows:,} rows streamed in {seconds:.1f} s "
            f"({rows / seconds:,.0f} rows/s), peak Python memory {peak:.1f} MiB"
        )
        if args.explain:
            explain(partner)
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)
        teardown_test_environment()
        scratch.cleanup()


if __name__ == "__main__":
    main()
