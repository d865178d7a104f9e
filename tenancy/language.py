"""The language picker in each portal's header: the choice is kept on the member (and, signed
out, in the language cookie), so it follows the user from browser to browser."""

from babel.languages import get_official_languages
from django.conf import settings
from django.http import HttpRequest, HttpResponseRedirect
from django.utils import translation
from django.views.decorators.http import require_POST

from tenancy.http import local_path
from tenancy.models import Membership

LANGUAGE_CODES = {code for code, _ in settings.LANGUAGES}


@require_POST
def set_language(request: HttpRequest):
    """Use the posted language from now on; back to the page the picker was on. An unknown
    language changes nothing."""
    language = request.POST.get("language", "")
    response = HttpResponseRedirect(local_path(request.POST.get("next", "")) or "/")
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


def member_language(membership: Membership | None) -> str:
    """The language a member chose, if any ("" follows the browser)."""
    if membership is None or membership.language not in LANGUAGE_CODES:
        return ""
    return membership.language


def email_language(language: str | None) -> str:
    """`language` if the portals speak it, else the site's default."""
    return language if language in LANGUAGE_CODES else settings.LANGUAGE_CODE


def country_language(country) -> str:
    """The main language of a country that the portals speak: German for Germany, Hindi for
    India, English for the United States; the site's default where none of its official
    languages is one of ours (Brazil, say)."""
    code = getattr(country, "code", country) or ""
    for language in get_official_languages(code, de_facto=True):
        if language in LANGUAGE_CODES:
            return language
    return settings.LANGUAGE_CODE
