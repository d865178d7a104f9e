"""Request rates, counted in the cache every web server shares (CACHES["default"]: the database
cache unless CACHE_URL names Redis), never in one process.

`rate_limited` caps how often one user (or, signed out, one address) may call a view: a fixed
window of `per` seconds holds at most `limit` calls; the next answers 429 with Retry-After and a
page that says when to try again. Failed sign-ins are Axes' (config/settings/base.py); this module
only remembers until when a lock holds, so the lockout page can say it.
"""

import functools
import hashlib
import math
import time
from datetime import UTC, datetime, timedelta
from functools import wraps

from django.conf import settings
from django.core.cache import cache
from django.http import HttpResponse, JsonResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import ngettext

from tenancy.web.http import client_ip

# Calls per window of seconds, per user (or address, signed out). The domain check runs as an
# agent types a name; a request link is opened once or twice by a person.
DOMAIN_CHECK_RATE = {"limit": 60, "per": 60}
LINK_OPEN_RATE = {"limit": 30, "per": 60}


def _who(request) -> str:
    if request.user.is_authenticated:
        return f"user:{request.user.pk}"
    return f"address:{client_ip(request) or '-'}"


def hit(scope: str, who: str, *, limit: int, per: int) -> int:
    """Count one call; 0 if it is within the limit, else the seconds until the window ends."""
    now = time.time()
    window = int(now // per)
    key = f"rate:{scope}:{who}:{window}"
    cache.add(key, 0, timeout=per + 1)
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr: this call starts a new window
        cache.add(key, 1, timeout=per + 1)
        count = 1
    if count <= limit:
        return 0
    return max(1, math.ceil((window + 1) * per - now))


def rate_limited(scope: str, *, limit: int, per: int = 60, as_json: bool = False):
    """At most `limit` calls per `per` seconds for one user (or address) on the decorated view.
    `as_json`: the view answers a page's script, which shows the answer's `message`."""

    def decorator(view):
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            wait = hit(scope, _who(request), limit=limit, per=per)
            if wait and as_json:
                message = ngettext(
                    "Too many checks. Try again in %(count)s second.",
                    "Too many checks. Try again in %(count)s seconds.",
                    wait,
                ) % {"count": wait}
                response = JsonResponse({"valid": False, "message": message}, status=429)
                response["Retry-After"] = str(wait)
                return response
            if wait:
                return too_many(request, wait)
            return view(request, *args, **kwargs)

        return wrapper

    return decorator


def too_many(request, wait_seconds: int, *, reason: str = ""):
    until = timezone.now() + timedelta(seconds=wait_seconds)
    response = render(
        request,
        "too_many_requests.html",
        {"until": until, "wait_seconds": wait_seconds, "reason": reason},
        status=429,
    )
    response["Retry-After"] = str(wait_seconds)
    return response


@functools.lru_cache(maxsize=128)
def _locked_page(until: str, minutes: int, language: str) -> str:
    # The same few pages, over and over, while a guesser keeps at it: made once each (per
    # language: `language` is the one active, in the key).
    return render_to_string(
        "registration/locked_out.html", {"locked_until": until, "locked_minutes": minutes}
    )


# --- Sign-in locks -----------------------------------------------------------------------------


def _lock_keys(username: str | None, ip_address: str | None) -> list[str]:
    keys = []
    # Hashed: a key holds no user-chosen characters (any cache backend takes it).
    if username:
        keys.append(f"signin-lock:user:{hashlib.sha256(username.lower().encode()).hexdigest()}")
    if ip_address:
        keys.append(f"signin-lock:address:{hashlib.sha256(ip_address.encode()).hexdigest()}")
    return keys


def remember_lock(*, username: str | None, ip_address: str | None) -> None:
    cool_off = settings.AXES_COOLOFF_TIME
    until = timezone.now() + cool_off
    for key in _lock_keys(username, ip_address):
        cache.set(key, until.timestamp(), timeout=int(cool_off.total_seconds()) + 1)


def lock_in_force(*, username: str | None, ip_address: str | None) -> datetime | None:
    """When the lock on this account or address ends, if one holds now (one cache read)."""
    stamps = cache.get_many(_lock_keys(username, ip_address)).values()
    ends = max(stamps, default=None)
    if ends is None or ends <= time.time():
        return None
    return datetime.fromtimestamp(ends, tz=UTC)


def locked_response(ends: datetime) -> HttpResponse:
    """The page a locked sign-in gets: until when, and where to go meanwhile. Rendered without
    the request, so it costs next to nothing however often a guesser asks."""
    wait = max(1, math.ceil((ends - timezone.now()).total_seconds()))
    response = HttpResponse(
        _locked_page(f"{ends:%H:%M}", math.ceil(wait / 60), translation.get_language()), status=429
    )
    response["Retry-After"] = str(wait)
    response["Cache-Control"] = "no-store"
    return response
