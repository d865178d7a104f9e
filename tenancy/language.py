"""Which language a person reads in: a member's choice, an email's, a country's main one (among
the portals' six)."""

from babel.languages import get_official_languages
from django.conf import settings

LANGUAGE_CODES = {code for code, _ in settings.LANGUAGES}


def member_language(membership) -> str:
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
