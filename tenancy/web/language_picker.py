"""The language picker in each portal's header: the choice is kept on the member (and, signed
out, in the language cookie), so it follows the user from browser to browser."""

from urllib.parse import parse_qs, urlsplit

from django.conf import settings
from django.http import HttpRequest, HttpResponseRedirect
from django.utils import translation
from django.views.decorators.http import require_POST

from tenancy.language import LANGUAGE_CODES
from tenancy.models import Membership
from tenancy.web.http import local_path


@require_POST
def set_language(request: HttpRequest):
    """Use the posted language from now on; back to the page the picker was on. An unknown
    language changes nothing."""
    language = request.POST.get("language", "")
    response = HttpResponseRedirect(_back_to(request.POST.get("next", "")))
    if language not in LANGUAGE_CODES:
        return response
    membership = getattr(request, "membership", None)
    if membership is not None and membership.language != language:
        Membership.objects.filter(pk=membership.pk).update(language=language)
    translation.activate(language)
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME,
        language,
        max_age=settings.LANGUAGE_COOKIE_AGE,
        samesite="Lax",
        secure=settings.SESSION_COOKIE_SECURE,
        httponly=True,
    )
    return response


def _back_to(target: str) -> str:
    """The page to go back to: a path of this site, never a request link's URL (its token
    would be in the redirect, the next request's URL and the browser's history)."""
    path = local_path(target)
    if not path or "token" in parse_qs(urlsplit(path).query, keep_blank_values=True):
        return "/"
    return path
