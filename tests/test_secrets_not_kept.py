"""A secret the portal makes (an app's key, a webhook's signing secret, recovery codes) is shown
in the answer to the post that made it, once, and kept nowhere: not in the session table, not in
the cache that sessions may be read from. A leaked database yields no working key."""

import base64
import pickle

import pytest
from django.conf import settings
from django.contrib.sessions.models import Session
from django.db import connection
from django.urls import reverse
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from tenancy.models import PartnerApp, Role, WebhookEventName, WebhookSubscription
from tests.tenancy.test_mfa import authenticator_for, code_for

pytestmark = pytest.mark.django_db


def stored_text() -> str:
    """Everything the session table and the database cache hold, decoded as a reader of a
    leaked copy would decode it."""
    engine = __import__(settings.SESSION_ENGINE, fromlist=["SessionStore"])
    parts = []
    for session in Session.objects.all():
        parts.append(str(session.get_decoded()))
        parts.append(str(engine.SessionStore(session.session_key).load()))
    if "django_cache" in connection.introspection.table_names():
        with connection.cursor() as cursor:
            cursor.execute("SELECT cache_key, value FROM django_cache")
            for key, value in cursor.fetchall():
                parts.append(key)
                try:
                    parts.append(str(pickle.loads(base64.b64decode(value))))  # noqa: S301
                except Exception:  # a row that is no pickle is searched as it is
                    parts.append(str(value))
    return "\n".join(parts)


def shown_once(response, secret: str):
    assert response.status_code == 200
    assert secret in response.text
    assert "no-store" in response["Cache-Control"]
    assert secret not in stored_text()


def test_a_new_app_key_is_shown_in_the_answer_and_kept_nowhere(client_for, partner_global_admin):
    client = client_for(partner_global_admin)
    page = reverse("partner_center:app-list")
    response = client.post(page, {"name": "Billing sync", "roles": [Role.SALES_AGENT]})

    prefix = PartnerApp.objects.get().prefix
    assert f"{prefix}." not in stored_text()
    key = response.context["new_key"]["key"]
    assert key.startswith(f"{prefix}.")
    shown_once(response, key)
    assert "Copy this key now" in response.text
    again = client.get(page)
    assert key not in again.text
    assert "Billing sync" in again.text
    assert key not in stored_text()


def test_a_new_webhook_secret_is_shown_in_the_answer_and_kept_nowhere(
    client_for, admin_agent, settings
):
    settings.WEBHOOKS_ALLOW_LOOPBACK = True
    client = client_for(admin_agent)
    response = client.post(
        reverse("partner_center:webhook-list"),
        {"url": "http://127.0.0.1:9/hooks", "events": [WebhookEventName.ADMIN_APPROVED.value]},
    )

    subscription = WebhookSubscription.objects.get()
    assert subscription.secret not in stored_text()
    shown_once(response, subscription.secret)
    assert "Copy this secret now" in response.text
    detail = client.get(reverse("partner_center:webhook-detail", args=[subscription.pk]))
    assert subscription.secret not in detail.text
    assert subscription.masked_secret in detail.text
    assert subscription.secret not in stored_text()


def _codes(response) -> list[str]:
    return [code.replace("-", "") for code in response.context["codes"]]


def test_new_recovery_codes_are_shown_in_the_answer_and_kept_nowhere(client_for, sales_agent):
    client = client_for(sales_agent)
    authenticator_for(sales_agent)
    page = reverse("recovery-codes")
    response = client.post(page)

    codes = list(StaticToken.objects.values_list("token", flat=True))
    assert len(codes) == 10
    assert not [code for code in codes if code in stored_text() or code[4:] in stored_text()]
    assert set(_codes(response)) == set(codes)
    for code in codes:
        shown_once(response, f"{code[:4]}-{code[4:]}")
        assert code not in stored_text()
    assert "Save these codes now" in response.text
    again = client.get(page)
    assert not [code for code in codes if code[:4] in again.text and code[4:] in again.text]
    assert "10 unused recovery codes" in again.text


def test_the_first_methods_recovery_codes_are_shown_in_the_answer_and_kept_nowhere(
    client_for, sales_agent
):
    client = client_for(sales_agent)
    client.get(reverse("authenticator-add"))
    device = TOTPDevice.objects.get(user=sales_agent, confirmed=False)
    response = client.post(reverse("authenticator-add"), {"code": code_for(device)})

    codes = list(StaticToken.objects.values_list("token", flat=True))
    assert len(codes) == 10
    assert not [code for code in codes if code in stored_text() or code[4:] in stored_text()]
    assert set(_codes(response)) == set(codes)
    assert "Authenticator app added." in response.text
    for code in codes:
        shown_once(response, f"{code[:4]}-{code[4:]}")
        assert code not in stored_text()
    again = client.get(reverse("recovery-codes"))
    assert "10 unused recovery codes" in again.text


def test_a_first_passkeys_recovery_codes_come_in_its_answer_and_are_kept_nowhere(
    client_for, sales_agent, monkeypatch
):
    """The browser's part of the ceremony is stood in for (the browser walk in
    tests/e2e/test_mfa_walks.py does it for real): the library registers the passkey."""
    from django.http import JsonResponse
    from django_otp_webauthn import views as passkey_views
    from django_otp_webauthn.models import WebAuthnCredential

    def registered(view, *args, **kwargs):
        passkey = WebAuthnCredential.objects.create(
            user=view.request.user, name="Passkey", credential_id=b"id", public_key=b"key"
        )
        return JsonResponse({"id": passkey.pk})

    monkeypatch.setattr(passkey_views.CompleteCredentialRegistrationView, "post", registered)
    client = client_for(sales_agent)
    response = client.post(
        reverse("otp_webauthn:credential-registration-complete"),
        {},
        content_type="application/json",
    )

    codes = list(StaticToken.objects.values_list("token", flat=True))
    assert len(codes) == 10
    assert not [code for code in codes if code in stored_text() or code[4:] in stored_text()]
    assert response.status_code == 200
    assert sorted(response.json()["recovery_codes"]) == sorted(f"{c[:4]}-{c[4:]}" for c in codes)
    assert "no-store" in response["Cache-Control"]
    again = client.get(reverse("recovery-codes"))
    assert "10 unused recovery codes" in again.text
