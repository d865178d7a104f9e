"""The production configuration passes Django's deployment checks, and fails them when it should."""

import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings

from tenancy.logging import RedactInvitationTokens

ROOT = Path(__file__).resolve().parents[2]


def production_environment(tmp_path, **overrides) -> dict:
    values = {}
    for line in (ROOT / ".env.example").read_text().splitlines():
        if line and not line.startswith("#"):
            name, _, value = line.partition("=")
            values[name] = value
    values["SECRET_KEY"] = "x7Kq2-" + "p9ZtRw4vLm8NcY3bHs6JdF1gQe5UaX0oIiTrEy" * 2
    values["DATABASE_URL"] = f"sqlite:///{tmp_path / 'deploy-check.sqlite3'}"
    # Only what a process needs to start: nothing of the test run's own environment leaks in.
    base = {k: os.environ[k] for k in ("PATH", "HOME", "LANG", "SYSTEMROOT") if k in os.environ}
    return base | values | overrides | {"DJANGO_SETTINGS_MODULE": "config.settings.base"}


def check_deploy(env) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_check_deploy_is_clean_with_the_production_values(tmp_path):
    result = check_deploy(production_environment(tmp_path))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_check_deploy_rejects_the_console_mailer_in_production(tmp_path):
    result = check_deploy(production_environment(tmp_path, EMAIL_URL="consolemail://"))
    assert result.returncode != 0
    assert "mail.E001" in result.stderr


def test_check_deploy_rejects_plain_http_settings(tmp_path):
    result = check_deploy(
        production_environment(tmp_path, SECURE_SSL_REDIRECT="false", SESSION_COOKIE_SECURE="false")
    )
    assert result.returncode != 0
    assert "security.W008" in result.stderr
    assert "security.W012" in result.stderr


def test_production_refuses_to_start_without_a_secret_key(tmp_path):
    env = production_environment(tmp_path)
    del env["SECRET_KEY"]
    result = check_deploy(env)
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr


def test_portal_paths_must_differ(tmp_path):
    env = production_environment(
        tmp_path, OFFICE_ADMIN_URL="https://portal.example.us/admin-center/"
    )
    result = check_deploy(env)
    assert result.returncode != 0
    assert "tenancy.E002" in result.stderr


def test_the_csp_allows_no_inline_script_without_the_nonce():
    script_src = settings.SECURE_CSP["script-src"]
    assert "'unsafe-inline'" not in script_src
    assert "'self'" in script_src
    assert settings.SECURE_CSP["frame-ancestors"] == ["'none'"]


@pytest.mark.django_db
def test_pages_carry_the_csp_and_deny_framing(client):
    response = client.get("/sign-in/")
    policy = response["Content-Security-Policy"]
    # No page has an inline script, so no nonce is even minted: only our own files run.
    assert "script-src 'self'" in policy
    assert "unsafe-inline" not in policy
    assert "frame-ancestors 'none'" in policy
    assert response["X-Frame-Options"] == "DENY"


def test_log_lines_never_carry_an_invitation_token():
    record = logging.LogRecord(
        "django.server",
        logging.INFO,
        __file__,
        1,
        '"GET /admin-center/adminportal/home?invType=ResellerRelationship&partnerId=%s&token=%s '
        'HTTP/1.1" 302 0',
        ("3f2c", "abcDEF123_-secret"),
        None,
    )
    assert RedactInvitationTokens().filter(record)
    line = record.getMessage()
    assert "abcDEF123_-secret" not in line
    assert "token=[redacted]" in line
    assert "partnerId=3f2c" in line


def test_gunicorn_logs_paths_without_query_strings():
    config = (ROOT / "config" / "gunicorn.conf.py").read_text()
    assert "%(U)s" in config
    assert "%(r)s" not in config
    assert "%(q)s" not in config
