"""The fixed cast of STYLE.md, built with the factories.

Partner A is a US partner in the public cloud with an Admin agent, a Sales agent, a Helpdesk
agent and a Global admin; partner B is another US partner with one agent. The customer is a US
organization with a Global administrator, a Billing administrator and a plain user.
"""

import os
import sys

import pytest
from django.conf import settings
from django.core.cache import cache, caches
from django.test import Client
from django.utils import translation

from tenancy import counters
from tenancy.models import Cloud, Country, Market, Offer, Role
from tenancy.reference_data import load_markets, load_offers
from tests.factories import (
    PASSWORD,
    CustomerFactory,
    IndirectResellerFactory,
    PartnerFactory,
    PartnershipFactory,
    ProviderFactory,
    member,
)

# Browser tests drive a live server from pytest's event loop thread.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture(autouse=True)
def shared_store_left_empty():
    """On Redis (CACHE_URL=redis://…, as CI's PostgreSQL leg runs) what a test cached or counted
    outlives its transaction: each test leaves the store empty for the next."""
    yield
    if settings.CACHES["default"]["BACKEND"] == "django.core.cache.backends.redis.RedisCache":
        cache.clear()


@pytest.fixture(autouse=True)
def no_random_prune(monkeypatch):
    """One database count in PRUNE_ONE_IN also deletes the expired ones: a statement more, by
    chance, in a request whose queries a test counts exactly. Tests never draw it
    (tests/tenancy/test_exact_limits.py draws it on purpose)."""
    monkeypatch.setattr(counters, "PRUNE_ONE_IN", sys.maxsize)


@pytest.fixture(autouse=True)
def no_kept_fragments():
    """Pages' kept parts (tenancy.web.fragments) are keyed by the data's version, which a rolled
    back test takes back: each test starts with none kept."""
    caches["fragments"].clear()


@pytest.fixture(autouse=True)
def english_to_start():
    """Each test starts in English: a request a test made through the test client (in this
    thread) leaves its language active, and the next test must not inherit it."""
    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.deactivate()


@pytest.fixture
def reference_data():
    """The markets, countries and offers the data migrations load. A transactional test that
    runs after a browser test finds them gone (the browser test empties the database), so such
    tests ask for them again."""
    load_markets(Market, Country)
    load_offers(Offer)


@pytest.fixture
def partner_a(db):
    return PartnerFactory(name="Contoso Partners", domain="contosopartners.onmicrosoft.com")


@pytest.fixture
def admin_agent(partner_a):
    return member(
        partner_a, Role.ADMIN_AGENT, username="adminagent@contosopartners.onmicrosoft.com"
    )


@pytest.fixture
def sales_agent(partner_a):
    return member(partner_a, Role.SALES_AGENT, username="sales@contosopartners.onmicrosoft.com")


@pytest.fixture
def helpdesk_agent(partner_a):
    return member(
        partner_a, Role.HELPDESK_AGENT, username="helpdesk@contosopartners.onmicrosoft.com"
    )


@pytest.fixture
def partner_global_admin(partner_a):
    return member(partner_a, Role.GLOBAL_ADMIN, username="admin@contosopartners.onmicrosoft.com")


@pytest.fixture
def partner_b(db):
    return PartnerFactory(name="Litware Partners", domain="litwarepartners.onmicrosoft.com")


@pytest.fixture
def agent_b(partner_b):
    return member(
        partner_b,
        Role.ADMIN_AGENT,
        Role.SALES_AGENT,
        Role.GLOBAL_ADMIN,
        username="agent@litwarepartners.onmicrosoft.com",
    )


@pytest.fixture
def gov_partner(db):
    return PartnerFactory(
        name="Tailspin Federal", domain="tailspinfederal.onmicrosoft.com", cloud=Cloud.USGOV
    )


@pytest.fixture
def customer(db):
    return CustomerFactory(name="Northwind Traders", domain="northwindtraders.onmicrosoft.com")


@pytest.fixture
def customer_admin(customer):
    return member(
        customer, Role.CUSTOMER_GLOBAL_ADMIN, username="admin@northwindtraders.onmicrosoft.com"
    )


@pytest.fixture
def customer_billing_admin(customer):
    return member(
        customer, Role.CUSTOMER_BILLING_ADMIN, username="billing@northwindtraders.onmicrosoft.com"
    )


@pytest.fixture
def customer_user(customer):
    return member(customer, Role.CUSTOMER_USER, username="user@northwindtraders.onmicrosoft.com")


@pytest.fixture
def client_for(db):
    """`client_for(user)`: a test client signed in as `user` (a fresh client each call)."""

    def sign_in(user):
        signed_in = Client()
        signed_in.force_login(user)
        return signed_in

    return sign_in


@pytest.fixture
def password():
    return PASSWORD


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config, items):
    """Transactional tests (browser walks, races) last; `postgres` ones skipped on SQLite.

    A transactional test empties the database when it ends, so it must run after the tests that
    rely on the rows the data migrations put there. pytest-django orders them so, but pytest's
    own grouping of parametrized fixtures (the browser) can undo it; this runs after both.
    """
    from django.conf import settings

    def transactional(item) -> bool:
        marker = item.get_closest_marker("django_db")
        return bool(marker and marker.kwargs.get("transaction")) or "live_server" in getattr(
            item, "fixturenames", ()
        )

    items.sort(key=transactional)

    if settings.DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
        return
    skip = pytest.mark.skip(
        reason="needs PostgreSQL row locks: DATABASE_URL=postgres://postgres@127.0.0.1:5432/test"
    )
    for item in items:
        if "postgres" in item.keywords:
            item.add_marker(skip)


# --- Two tiers: an indirect provider and an indirect reseller, both in the US -----------------


@pytest.fixture
def provider(db):
    return ProviderFactory(name="Tailspin Distribution", domain="tailspindist.onmicrosoft.com")


@pytest.fixture
def provider_admin(provider):
    return member(provider, Role.GLOBAL_ADMIN, username="admin@tailspindist.onmicrosoft.com")


@pytest.fixture
def provider_agent(provider):
    return member(provider, Role.ADMIN_AGENT, username="agent@tailspindist.onmicrosoft.com")


@pytest.fixture
def indirect_reseller(db):
    return IndirectResellerFactory(name="Fabrikam Resellers", domain="fabrikamres.onmicrosoft.com")


@pytest.fixture
def reseller(indirect_reseller):
    """The indirect reseller (Partner Center's tests name a reseller relationship `reseller`:
    there, ask for `indirect_reseller`)."""
    return indirect_reseller


@pytest.fixture
def reseller_admin(indirect_reseller):
    return member(
        indirect_reseller, Role.GLOBAL_ADMIN, username="admin@fabrikamres.onmicrosoft.com"
    )


@pytest.fixture
def reseller_agent(indirect_reseller):
    return member(indirect_reseller, Role.SALES_AGENT, username="sales@fabrikamres.onmicrosoft.com")


@pytest.fixture
def partnership(provider, indirect_reseller):
    """The provider and the reseller partner (active)."""
    return PartnershipFactory(provider=provider, reseller=indirect_reseller)


@pytest.fixture
def receiver(settings):
    """A partner's webhook receiver on loopback (tests.tenancy.test_webhooks.Receiver), which
    the delivery may call; a short timeout."""
    from tests.tenancy.test_webhooks import Receiver

    settings.WEBHOOKS_ALLOW_LOOPBACK = True
    settings.WEBHOOKS_TIMEOUT = 0.5
    server = Receiver()
    server.start()
    yield server
    server.stop()
