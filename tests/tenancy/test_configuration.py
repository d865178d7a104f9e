"""The production configuration passes Django's deployment checks, and fails them when it should."""

import json
import logging
import os
import re
import shutil
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


def settings_in_a_process(cwd, settings_module, **environment) -> dict:
    """What a settings module, imported in a fresh process, makes of an environment (and .env)."""
    base = {k: os.environ[k] for k in ("PATH", "HOME", "LANG", "SYSTEMROOT") if k in os.environ}
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            "import json; from django.conf import settings; print(json.dumps({"
            "'BASE_DIR': str(settings.BASE_DIR),"
            "'INVITATION_VALID_DAYS': settings.INVITATION_VALID_DAYS,"
            "'ENGINE': settings.DATABASES['default']['ENGINE'],"
            "'MAILER': settings.MAILERS['default']['BACKEND'],"
            "'CACHE': settings.CACHES['default']['BACKEND'],"
            "'FRAGMENTS': settings.CACHES['fragments']['BACKEND'],"
            "'SESSION_ENGINE': settings.SESSION_ENGINE,"
            "'CONN_MAX_AGE': settings.DATABASES['default']['CONN_MAX_AGE']}))",
        ],
        cwd=cwd,
        env=base
        | {"SECRET_KEY": "s" * 50}
        | environment
        | {"DJANGO_SETTINGS_MODULE": settings_module},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


@pytest.fixture
def project_with_a_dot_env(tmp_path):
    """A copy of config/ with a .env beside it, so BASE_DIR/.env is a file the test wrote."""
    shutil.copytree(
        ROOT / "config", tmp_path / "config", ignore=shutil.ignore_patterns("__pycache__")
    )
    (tmp_path / ".env").write_text("INVITATION_VALID_DAYS=17\n")
    return tmp_path


@pytest.mark.parametrize(
    ("settings_module", "flag", "days"),
    [
        ("config.settings.base", None, 90),
        ("config.settings.base", "false", 90),
        ("config.settings.base", "true", 17),
        ("config.settings.test", None, 90),
        ("config.settings.test", "true", 90),
    ],
)
def test_dot_env_is_read_only_when_asked_and_never_by_the_tests(
    project_with_a_dot_env, settings_module, flag, days
):
    flag_env = {} if flag is None else {"DJANGO_READ_DOT_ENV_FILE": flag}
    found = settings_in_a_process(project_with_a_dot_env, settings_module, **flag_env)
    assert found["BASE_DIR"] == str(project_with_a_dot_env)
    assert found["INVITATION_VALID_DAYS"] == days


@pytest.mark.parametrize(
    ("variable", "setting", "default"),
    [
        ("DATABASE_URL", "ENGINE", "django.db.backends.sqlite3"),
        ("EMAIL_URL", "MAILER", "django.core.mail.backends.console.EmailBackend"),
    ],
)
def test_an_empty_url_means_unset(variable, setting, default):
    found = settings_in_a_process(ROOT, "config.settings.base", **{variable: ""})
    assert found[setting] == default


def variables_read_by_the_settings() -> set[str]:
    source = (ROOT / "config" / "settings" / "base.py").read_text()
    return set(re.findall(r"\benv(?:\.\w+)?\(\s*[\"']([A-Z][A-Z0-9_]*)[\"']", source))


def test_env_example_lists_every_variable_the_settings_read():
    read = variables_read_by_the_settings()
    assert {"DEBUG", "DATABASE_URL", "USE_X_FORWARDED_FOR"} <= read  # the parse finds them
    lines = (ROOT / ".env.example").read_text().splitlines()
    # Set, or shown in a comment (the switch that reads .env can't live in .env).
    listed = {m[1] for line in lines if (m := re.match(r"#? ?([A-Z][A-Z0-9_]*)=", line))}
    assert not read - listed, f"missing from .env.example: {sorted(read - listed)}"


def test_production_keeps_connections_and_shares_its_cache_in_the_database():
    found = settings_in_a_process(ROOT, "config.settings.base")
    assert found["CONN_MAX_AGE"] == 60
    assert found["CACHE"] == "django.core.cache.backends.db.DatabaseCache"
    assert found["SESSION_ENGINE"] == "tenancy.web.sessions"


def test_kept_page_parts_are_in_each_process_unless_a_cache_url_says_where():
    # Kept under a version counted in the database, a part in one process's memory is as right
    # as a shared one (tenancy.web.fragments).
    found = settings_in_a_process(ROOT, "config.settings.base")
    assert found["FRAGMENTS"] == "django.core.cache.backends.locmem.LocMemCache"
    shared = settings_in_a_process(
        ROOT, "config.settings.base", FRAGMENT_CACHE_URL="redis://127.0.0.1:6379/2"
    )
    assert shared["FRAGMENTS"] == "django.core.cache.backends.redis.RedisCache"


def test_on_redis_the_cache_is_djangos_own_and_sessions_stay_in_the_database():
    found = settings_in_a_process(
        ROOT, "config.settings.base", CACHE_URL="redis://127.0.0.1:6379/0"
    )
    assert found["CACHE"] == "django.core.cache.backends.redis.RedisCache"
    # A sign-out must hold while Redis is away: see SESSION_ENGINE's comment.
    assert found["SESSION_ENGINE"] == "tenancy.web.sessions"


def test_the_sessions_are_djangos_database_sessions():
    from django.contrib.sessions.backends.db import SessionStore as DatabaseSessions

    from tenancy.web.sessions import SessionStore

    assert issubclass(SessionStore, DatabaseSessions)


def test_the_development_server_opens_a_connection_per_request():
    assert settings_in_a_process(ROOT, "config.settings.base", DEBUG="true")["CONN_MAX_AGE"] == 0
