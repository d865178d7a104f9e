"""Browser tests: Playwright driving Debian's Chromium against pytest-django's live server.

Without Chromium they are skipped on a laptop (with the command that installs it) and fail under
CI=true, where a missing browser is an error, not a reason to skip.
"""

import os
import shutil

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.core.cache import cache

from tenancy.management.commands.seed_demo import DEMO_PASSWORD
from tenancy.models import Country, Market, Offer
from tenancy.reference_data import load_markets, load_offers

CHROMIUM = os.environ.get("CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
HAVE_CHROMIUM = os.path.exists(CHROMIUM)
INSTALL_HINT = "browser tests need Chromium: sudo apt-get install -y chromium (then make test)"

# Chromium as root in a container, with nothing reaching for the network on its own.
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def pytest_collection_modifyitems(config, items):
    e2e = [item for item in items if "tests/e2e/" in item.nodeid]
    if HAVE_CHROMIUM or not e2e:
        return
    if os.environ.get("CI") == "true":
        raise pytest.UsageError(f"CI=true and no Chromium at {CHROMIUM}: {INSTALL_HINT}")
    for item in e2e:
        item.add_marker(pytest.mark.skip(reason=INSTALL_HINT))


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "args": CHROMIUM_FLAGS}


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    return {**browser_context_args, "viewport": {"width": 1280, "height": 860}}


@pytest.fixture
def site(live_server, settings):
    """The live server, with the three portals' base URLs pointing at it.

    A browser test's database is emptied after it, reference data included (and Playwright's
    greenlet keeps Django's serialized copy out of reach), so the markets and offers are loaded
    again here.
    """
    load_markets(Market, Country)
    load_offers(Offer)
    # The shared cache is a table the database flush between browser tests leaves alone: start
    # without another test's sign-in counters or rate windows.
    cache.clear()
    settings.PARTNER_CENTER_URL = f"{live_server.url}/partner-center/"
    settings.ADMIN_CENTER_URL = f"{live_server.url}/admin-center/"
    settings.OFFICE_ADMIN_URL = f"{live_server.url}/office-admin/"
    return live_server.url


@pytest.fixture
def sign_in(page, site):
    """Sign in on the sign-in page the way a person does (the page may already be there)."""

    def sign_in_as(username, password=DEMO_PASSWORD):
        if "/sign-in/" not in page.url:
            page.goto(f"{site}/sign-in/")
        page.get_by_label("Email or user name").fill(username)
        page.get_by_label("Password").fill(password)
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_load_state()

    return sign_in_as


@pytest.fixture
def sign_out(page):
    def sign_out_now():
        page.get_by_role("button", name="Sign out").first.click()
        page.wait_for_url("**/sign-in/")

    return sign_out_now


class AccessibilityLog:
    """Runs axe-core on each page it is shown; fails on a serious or critical violation."""

    def __init__(self, page):
        self.page = page
        self.axe = Axe()
        self.checked: list[str] = []

    def check(self, label: str = "") -> None:
        results = self.axe.run(self.page)
        bad = [
            f"{v['id']} ({v['impact']}): {v['help']} — {len(v['nodes'])} node(s), e.g. "
            f"{v['nodes'][0]['html'][:120]}"
            for v in results.response["violations"]
            if v["impact"] in ("serious", "critical")
        ]
        self.checked.append(label or self.page.url)
        assert not bad, f"axe-core on {label or self.page.url}:\n" + "\n".join(bad)


@pytest.fixture
def axe(page):
    return AccessibilityLog(page)


@pytest.fixture
def keyboard(page):
    """Reach a control with the Tab key alone, as a keyboard user does; fail if it can't be."""

    def tab_to(name: str, presses: int = 80) -> None:
        for _ in range(presses):
            page.keyboard.press("Tab")
            focused = page.evaluate(
                "() => { const e = document.activeElement;"
                " const label = e.labels && e.labels[0] ? e.labels[0].innerText : '';"
                " return (label || e.innerText || e.value || '').trim(); }"
            )
            if focused == name:
                return
        raise AssertionError(f"{name!r} can't be reached with the Tab key")

    return tab_to
