"""Request rates, counted where every web server shares them (tenancy.counters: the database, or
Redis when CACHE_URL names it), never in one process.

`rate_limited` caps how often one user (or, signed out, one address) may call a view: a fixed
window of `per` seconds holds at most `limit` calls; the next answers 429 with Retry-After and a
page that says when to try again. Sign-in tries are tenancy.web.sign_in_guard's; the page it
answers a locked sign-in with is here.
"""

import functools
import math
from datetime import datetime, timedelta
from functools import wraps

from django.http import HttpResponse, JsonResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import ngettext

from tenancy import counters
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
    """Count one call; 0 if it is within the limit, else the seconds until the window ends.
    Exact under concurrency: the count is one atomic step (tenancy.counters)."""
    count = counters.hit(f"rate:{scope}:{who}", per=per)
    return 0 if count.value <= limit else count.wait()


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


@functools.lru_cache(maxsize=16)
def _busy_page(language: str) -> str:
    return render_to_string("registration/sign_in_busy.html")


def busy_response(wait_seconds: int) -> HttpResponse:
    """The page an unknown browser's sign-in gets while the site's budget of password checks
    for unknown browsers is spent (tenancy.web.sign_in_guard): made once per language."""
    response = HttpResponse(_busy_page(translation.get_language()), status=429)
    response["Retry-After"] = str(wait_seconds)
    response["Cache-Control"] = "no-store"
    return response
