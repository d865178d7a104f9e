from urllib.parse import urlsplit

from django.conf import settings
from django.core.checks import Error, Tags, register

# No model is imported here: gunicorn's master runs `check_console_mailer` before Django is set
# up (config/gunicorn.conf.py). The portals read only settings and the plain choices.
from tenancy.portals import PORTALS


@register(Tags.urls)
def check_portal_urls(app_configs, **kwargs):
    errors = []
    for portal in PORTALS:
        parts = urlsplit(portal.base_url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            errors.append(
                Error(
                    f"{portal.setting} must be an absolute http(s) URL, not {portal.base_url!r}.",
                    id="tenancy.E001",
                )
            )
    mounts = [portal.mount for portal in PORTALS]
    if len(set(mounts)) != len(mounts) or "" in mounts:
        errors.append(
            Error(
                "Each portal is served under the path of its base URL, so the paths of "
                "PARTNER_CENTER_URL, ADMIN_CENTER_URL and OFFICE_ADMIN_URL must differ and "
                f"must not be empty (now: {', '.join(repr('/' + m) for m in mounts)}).",
                id="tenancy.E002",
            )
        )
    return errors


CONSOLE_MAILER = "django.core.mail.backends.console.EmailBackend"


@register(Tags.mail, deploy=True)
def check_console_mailer(app_configs, **kwargs):
    """The console mailer prints whole messages, request links and their tokens included, to
    the server's output (its log): in production only when EMAIL_CONSOLE_ALLOWED says so.
    gunicorn runs this check before it starts (config/gunicorn.conf.py)."""
    if getattr(settings, "EMAIL_CONSOLE_ALLOWED", settings.DEBUG):
        return []
    # Settings of another site served with this gunicorn configuration (the benchmark's bare
    # page) may predate MAILERS: then EMAIL_BACKEND says.
    mailers = getattr(settings, "MAILERS", None) or {
        "default": {"BACKEND": getattr(settings, "EMAIL_BACKEND", "")}
    }
    on_console = [
        alias for alias, mailer in mailers.items() if mailer.get("BACKEND") == CONSOLE_MAILER
    ]
    if not on_console:
        return []
    return [
        Error(
            f"Email goes to the console (MAILERS {', '.join(map(repr, on_console))}): whole "
            "messages, with the links and tokens of relationship requests, would be written to "
            "the server's output. Set EMAIL_URL to an SMTP server.",
            hint="To print emails on purpose (a demonstration, never real customers), set "
            "EMAIL_CONSOLE_ALLOWED=true.",
            id="tenancy.E003",
        )
    ]
