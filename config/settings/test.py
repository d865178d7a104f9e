"""Test settings: what the suite needs on top of base (pytest-django imports this first)."""

import os

os.environ.setdefault("SECRET_KEY", "tests-only-secret-key-not-for-any-real-deployment")
# Never a developer's .env, whatever the environment says: the suite sees the same settings
# everywhere.
os.environ["DJANGO_READ_DOT_ENV_FILE"] = "false"

from config.settings.base import *  # noqa: F403
from config.settings.base import STORAGES

DEBUG = False
# The test client's host, so portal links are on the same site as the pages under test.
PARTNER_CENTER_URL = "http://testserver/partner-center/"
ADMIN_CENTER_URL = "http://testserver/admin-center/"
OFFICE_ADMIN_URL = "http://testserver/office-admin/"
ALLOWED_HOSTS = ["testserver", "127.0.0.1", "localhost"]
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
STORAGES = {
    **STORAGES,
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
MAILERS = {"default": {"BACKEND": "django.core.mail.backends.locmem.EmailBackend"}}
# A task runs when it is enqueued (an email as its transaction commits), so a test needs no
# worker; tests/tenancy/test_tasks.py switches to the database backend and runs the real one.
TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}
# Static files straight from the finders: no collectstatic before a test run.
WHITENOISE_AUTOREFRESH = True
WHITENOISE_USE_FINDERS = True
# The test client's host is not one browsers offer passkeys on; browser tests set their own origin.
OTP_WEBAUTHN_ALLOWED_ORIGINS = ["http://localhost"]

# Tests sign in many times a second from new browsers; the site-wide budget for those has its
# own test (tests/tenancy/test_exact_limits.py).
SIGN_IN_UNKNOWN_PER_SECOND = 0
