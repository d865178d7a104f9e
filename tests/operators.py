"""Operators signed in the way production has them: with a second factor given.

The console asks for one unless DEBUG is on (OPERATORS_MFA_REQUIRED), and the test settings have
DEBUG off. `sign_in_operator` gives the user an authenticator app and signs them in with the
session verified, as the second step of sign-in leaves it (django-otp's `otp_login`). As a
pytest plugin (`-p tests.operators` in pyproject.toml) it also makes pytest-django's
`admin_client` such an operator.
"""

import pytest


def sign_in_operator(client, user):
    """Sign `user` in on the test `client` with their authenticator app given; return it."""
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from tenancy import mfa

    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name="Authenticator app", confirmed=True)
    client.force_login(user)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.pop(mfa.SIGN_IN_PENDING, None)
    session.save()
    return device


class Fixtures:
    @pytest.fixture
    def admin_client(self, db, admin_user):
        """pytest-django's `admin_client`: its superuser, signed in with a second factor."""
        from django.test import Client

        client = Client()
        sign_in_operator(client, admin_user)
        return client


def pytest_configure(config):
    # Registered now, after pytest-django (an installed plugin, loaded after `-p` ones), so that
    # this `admin_client` is the one tests get.
    config.pluginmanager.register(Fixtures(), "tests.operators.fixtures")
