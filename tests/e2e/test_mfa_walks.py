"""Second factors in the browser: an agent sets up an authenticator app (the test reads the key
off the page and makes the codes, as the app would), signs in with password and code, uses a
recovery code once; with MFA_REQUIRED a user without a factor can open nothing but the setup."""

import io
from base64 import b32decode

import pytest
from django.core.management import call_command
from django_otp.oath import totp
from playwright.sync_api import expect

pytestmark = pytest.mark.django_db(transaction=True)

SALES = "sales@contosopartners.onmicrosoft.com"
ADMIN_AGENT = "adminagent@contosopartners.onmicrosoft.com"


@pytest.fixture
def demo(site):
    call_command("seed_demo", force=True, stdout=io.StringIO())


def code(key: str, *, steps_ahead: int = 0) -> str:
    """What an authenticator app shows for `key` (as the page shows it), now or a step ahead.
    The server accepts one step either side, and each step's code once."""
    secret = b32decode(key.replace(" ", "") + "=" * (-len(key.replace(" ", "")) % 8))
    return f"{totp(secret, drift=steps_ahead):06d}"


def test_an_agent_enrols_an_authenticator_and_signs_in_with_it(page, demo, sign_in, sign_out, axe):
    sign_in(SALES)
    expect(page.get_by_role("heading", name="Customer list")).to_be_visible()
    page.get_by_role("link", name="Security info").click()
    expect(page.get_by_role("heading", name="Security info")).to_be_visible()
    axe.check("Security info")
    page.get_by_role("link", name="Add authenticator app").click()
    expect(page.get_by_role("img", name="QR code for your authenticator app")).to_be_visible()
    axe.check("authenticator setup")
    key = page.get_by_label("Key", exact=True).inner_text()
    page.get_by_label("Code", exact=True).fill(code(key))
    page.get_by_role("button", name="Verify").click()

    expect(page.get_by_role("heading", name="Recovery codes")).to_be_visible()
    expect(page.get_by_text("this is the only time they are shown")).to_be_visible()
    codes = page.get_by_role("list", name="Your recovery codes").get_by_role("listitem")
    expect(codes).to_have_count(10)
    recovery = codes.first.inner_text()
    axe.check("recovery codes")
    page.get_by_role("link", name="Continue").click()
    expect(page.get_by_role("heading", name="Customer list")).to_be_visible()
    sign_out()

    # Password, then the code.
    sign_in(SALES)
    expect(page.get_by_role("heading", name="Verify your identity")).to_be_visible()
    axe.check("second step")
    page.goto(page.url.split("/sign-in/")[0] + "/partner-center/customers/")
    expect(page.get_by_role("heading", name="Verify your identity")).to_be_visible()
    page.get_by_label("Code", exact=True).fill(code(key, steps_ahead=1))
    page.get_by_role("button", name="Verify").click()
    expect(page.get_by_role("heading", name="Customer list")).to_be_visible()
    sign_out()

    # A recovery code works once.
    sign_in(SALES)
    page.get_by_role("link", name="Use a recovery code").click()
    page.get_by_label("Recovery code").fill(recovery)
    page.get_by_role("button", name="Verify").click()
    expect(page.get_by_text("You signed in with a recovery code; 9 left.")).to_be_visible()
    expect(page.get_by_role("heading", name="Customer list")).to_be_visible()
    sign_out()
    sign_in(SALES)
    page.get_by_role("link", name="Use a recovery code").click()
    page.get_by_label("Recovery code").fill(recovery)
    page.get_by_role("button", name="Verify").click()
    expect(page.get_by_text("That recovery code didn't work.")).to_be_visible()
    expect(page.get_by_role("heading", name="Verify your identity")).to_be_visible()


def test_with_mfa_required_a_user_without_a_factor_opens_only_the_setup(
    page, demo, sign_in, settings, site
):
    settings.MFA_REQUIRED = True
    sign_in(ADMIN_AGENT)
    expect(page.get_by_role("heading", name="Security info")).to_be_visible()
    expect(page.get_by_text("Your organization requires a second way to sign in")).to_be_visible()
    for path in ("/partner-center/customers/", "/partner-center/admin-relationships/", "/"):
        page.goto(site + path)
        expect(page.get_by_role("heading", name="Security info")).to_be_visible()
    page.get_by_role("link", name="Add authenticator app").click()
    key = page.get_by_label("Key", exact=True).inner_text()
    page.get_by_label("Code", exact=True).fill(code(key))
    page.get_by_role("button", name="Verify").click()
    expect(page.get_by_role("heading", name="Recovery codes")).to_be_visible()
    page.goto(site + "/partner-center/customers/")
    expect(page.get_by_role("heading", name="Customer list")).to_be_visible()


def test_an_agent_adds_a_passkey_and_signs_in_with_it(
    page, demo, sign_in, sign_out, settings, site
):
    """Chromium's virtual authenticator stands in for the device (a platform passkey that
    verifies its user), through the DevTools protocol."""
    settings.OTP_WEBAUTHN_ALLOWED_ORIGINS = [site]
    devtools = page.context.new_cdp_session(page)
    devtools.send("WebAuthn.enable")
    devtools.send(
        "WebAuthn.addVirtualAuthenticator",
        {
            "options": {
                "protocol": "ctap2",
                "transport": "internal",
                "hasResidentKey": True,
                "hasUserVerification": True,
                "isUserVerified": True,
                "automaticPresenceSimulation": True,
            }
        },
    )
    sign_in(SALES)
    page.get_by_role("link", name="Security info").click()
    page.wait_for_load_state("networkidle")  # the passkey script and its messages are in
    page.get_by_role("button", name="Add passkey").click()
    # The first method: its recovery codes come next.
    expect(page.get_by_role("heading", name="Recovery codes")).to_be_visible()
    expect(
        page.get_by_role("list", name="Your recovery codes").get_by_role("listitem")
    ).to_have_count(10)
    page.get_by_role("link", name="Security info").click()
    expect(page.get_by_role("cell", name="Passkey", exact=True)).to_be_visible()
    sign_out()

    sign_in(SALES)
    expect(page.get_by_role("heading", name="Verify your identity")).to_be_visible()
    page.wait_for_load_state("networkidle")
    page.get_by_role("button", name="Use a passkey").click()
    expect(page.get_by_role("heading", name="Customer list")).to_be_visible()
