"""Django's `reverse()`, worked out once a process for each URL pattern, not once a link.

A page shows many links (the navigation on every page, a link a row in a table), and reversing
one costs some 17 µs. A URL is a function of its name, its arguments, its application, the
URLconf and the script prefix (no URL of this project is translated), so each is reversed once
and kept; a link to a row (a UUID argument) is its pattern's URL, reversed once with a stand-in
UUID, with the row's UUID put in its place (a UUID stands in the path as written: the uuid path
converter's `str()`).
"""

import functools
import uuid

from django.conf import settings
from django.core.signals import setting_changed
from django.urls import get_script_prefix, get_urlconf
from django.urls import reverse as django_reverse

# Stand-ins for a link's UUID arguments, by position: no real row has one.
_STAND_INS = tuple(uuid.uuid4() for _ in range(4))


def reverse(name: str, args=(), kwargs=None, current_app=None) -> str:
    """`django.urls.reverse(name, args=args, kwargs=kwargs, current_app=current_app)`."""
    args = tuple(args or ())
    places = [i for i, arg in enumerate(args) if type(arg) is uuid.UUID][: len(_STAND_INS)]
    key_args = tuple(_STAND_INS[i] if i in places else arg for i, arg in enumerate(args))
    urlconf = get_urlconf() or settings.ROOT_URLCONF
    try:
        url = _reversed(
            name,
            key_args,
            tuple(sorted((kwargs or {}).items())),
            current_app,
            urlconf,
            get_script_prefix(),
        )
    except TypeError:  # an argument that can't be a key (a list): reversed each time
        return django_reverse(name, args=args, kwargs=kwargs, current_app=current_app)
    for i in places:
        url = url.replace(str(_STAND_INS[i]), str(args[i]))
    return url


@functools.lru_cache(maxsize=2048)
def _reversed(name, args, kwargs, current_app, urlconf, prefix) -> str:
    return django_reverse(
        name,
        urlconf=urlconf,
        args=args or None,
        kwargs=dict(kwargs) or None,
        current_app=current_app,
    )


def _forget(*, setting, **kwargs):
    if setting == "ROOT_URLCONF":  # a test's own URLs: Django forgets its own caches too
        _reversed.cache_clear()


setting_changed.connect(_forget)
