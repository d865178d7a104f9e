from urllib.parse import urlsplit

from django.core.checks import Error, Tags, register

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
