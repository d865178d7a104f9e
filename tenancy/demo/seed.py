"""One run of the seed, in one transaction: the cast first, then what the partners and customers
did, oldest stories first as the tables list them, then the report."""

import random

from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.utils import timezone

from tenancy.demo.admin import admin_relationships
from tenancy.demo.book import book_of_business
from tenancy.demo.cast import Demo, cast
from tenancy.demo.data import DEMO_PASSWORD
from tenancy.demo.report import report
from tenancy.demo.requests import requests, two_tier
from tenancy.demo.templates import templates


def seed(write) -> Demo:
    """Make (or find) the demo data; `write` prints a line of the report."""
    demo = Demo(
        now=timezone.now(),
        # Seeded: the same histories, subscriptions and quantities on every machine.
        rng=random.Random(2026),  # noqa: S311 (demo data, not a secret)
        password=make_password(DEMO_PASSWORD),
    )
    with transaction.atomic():
        cast(demo)
        book_of_business(demo)
        admin_relationships(demo)
        templates(demo)
        requests(demo)
        two_tier(demo)
    report(demo, write)
    return demo
