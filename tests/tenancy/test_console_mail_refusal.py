"""Production never prints whole emails (request links with their tokens) to its output: with
the console mailer, the deployment check fails and gunicorn refuses to start, unless
EMAIL_CONSOLE_ALLOWED says it is meant (DEBUG turns it on)."""

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.checks import Error

from tenancy.checks import check_console_mailer
from tests.tenancy.test_configuration import check_deploy, production_environment

ROOT = Path(__file__).resolve().parents[2]
CONSOLE = {"default": {"BACKEND": "django.core.mail.backends.console.EmailBackend"}}
SMTP = {
    "default": {
        "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "OPTIONS": {"host": "smtp.example.com", "port": 587},
    }
}


def gunicorn_config():
    """config/gunicorn.conf.py as gunicorn loads it: a module from a file path."""
    spec = importlib.util.spec_from_file_location("gunicorn_conf", ROOT / "config/gunicorn.conf.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class TestTheCheck:
    def test_the_console_mailer_not_allowed_is_an_error(self, settings):
        settings.MAILERS = CONSOLE
        settings.EMAIL_CONSOLE_ALLOWED = False
        [error] = check_console_mailer(None)
        assert isinstance(error, Error)
        assert error.id == "tenancy.E003"
        assert "EMAIL_URL" in error.msg and "EMAIL_CONSOLE_ALLOWED" in error.hint

    def test_any_mailer_on_the_console_counts(self, settings):
        settings.MAILERS = SMTP | {"notices": CONSOLE["default"]}
        settings.EMAIL_CONSOLE_ALLOWED = False
        [error] = check_console_mailer(None)
        assert "'notices'" in error.msg

    def test_allowed_it_is_no_error(self, settings):
        settings.MAILERS = CONSOLE
        settings.EMAIL_CONSOLE_ALLOWED = True
        assert check_console_mailer(None) == []

    def test_smtp_is_no_error(self, settings):
        settings.MAILERS = SMTP
        settings.EMAIL_CONSOLE_ALLOWED = False
        assert check_console_mailer(None) == []

    def test_it_is_a_deployment_check(self, settings):
        from django.core.checks import registry

        assert check_console_mailer in registry.registry.get_checks(include_deployment_checks=True)
        assert check_console_mailer not in registry.registry.get_checks()


class TestGunicorn:
    def test_it_refuses_to_start_with_the_console_mailer(self, settings):
        settings.MAILERS = CONSOLE
        settings.EMAIL_CONSOLE_ALLOWED = False
        with pytest.raises(SystemExit) as refused:
            gunicorn_config().on_starting(server=None)
        assert "tenancy.E003" in str(refused.value.code)
        assert "EMAIL_CONSOLE_ALLOWED" in str(refused.value.code)

    def test_it_starts_with_smtp(self, settings):
        settings.MAILERS = SMTP
        settings.EMAIL_CONSOLE_ALLOWED = False
        assert gunicorn_config().on_starting(server=None) is None

    def test_it_starts_when_the_console_is_allowed(self, settings):
        settings.MAILERS = CONSOLE
        settings.EMAIL_CONSOLE_ALLOWED = True
        assert gunicorn_config().on_starting(server=None) is None


def allowed_in_a_process(**environment) -> bool:
    """EMAIL_CONSOLE_ALLOWED as the production settings, imported afresh, make it."""
    base = {k: os.environ[k] for k in ("PATH", "HOME", "LANG") if k in os.environ}
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            "from django.conf import settings; print(settings.EMAIL_CONSOLE_ALLOWED)",
        ],
        cwd=ROOT,
        env=base
        | {"SECRET_KEY": "s" * 50, "DJANGO_SETTINGS_MODULE": "config.settings.base"}
        | environment,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    return {"True": True, "False": False}[result.stdout.strip()]


class TestTheSetting:
    def test_it_follows_debug_unless_set(self):
        assert allowed_in_a_process(DEBUG="true") is True
        assert allowed_in_a_process() is False
        assert allowed_in_a_process(DEBUG="true", EMAIL_CONSOLE_ALLOWED="false") is False
        assert allowed_in_a_process(EMAIL_CONSOLE_ALLOWED="true") is True

    def test_check_deploy_names_it_with_the_console_mailer(self, tmp_path):
        result = check_deploy(production_environment(tmp_path, EMAIL_URL="consolemail://"))
        assert result.returncode != 0
        assert "tenancy.E003" in result.stderr

    def test_check_deploy_stays_clean_with_the_production_values(self, tmp_path):
        result = check_deploy(production_environment(tmp_path))
        assert result.returncode == 0, result.stdout + result.stderr
