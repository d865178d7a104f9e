"""Small pieces of text the pages and messages share, in the language of the request.

Dates and country names come from Babel's locale data (CLDR); English keeps the names stored
with the countries, as before.
"""

import functools

from babel import Locale, UnknownLocaleError
from babel.dates import format_date, format_time
from babel.lists import format_list
from babel.numbers import format_decimal
from django.utils import timezone, translation
from django.utils.translation import gettext

from tenancy import market_names  # noqa: F401 (the market names' msgids, for makemessages)


def _locale() -> Locale:
    return _locale_of(translation.get_language() or "en")


@functools.lru_cache(maxsize=32)
def _locale_of(code: str) -> Locale:
    # Parsed once a language: a page formats a date or a number on every row.
    try:
        return Locale.parse(translation.to_locale(code))
    except (UnknownLocaleError, ValueError):
        return Locale.parse("en")


def is_english() -> bool:
    return (translation.get_language() or "en").split("-")[0] == "en"


def possessive(name: str) -> str:
    """ "Contoso's", but "Contoso Partners'". English only: in another language the name is
    left as it is, and the translated sentence around it says whose (a translation can only use
    the placeholders of its English message, so the same placeholder carries both)."""
    if not is_english():
        return name
    return f"{name}'" if name.endswith(("s", "S")) else f"{name}'s"


# Country names that take "the" in a sentence ("a partner in the United States").
_WITH_ARTICLE = {
    "Bahamas",
    "Comoros",
    "Gambia",
    "Maldives",
    "Netherlands",
    "Philippines",
    "Seychelles",
}


def in_country(name: str) -> str:
    """The country as it reads after "in": "the United States", "Canada" (in English; other
    languages' sentences carry their own preposition and article)."""
    if not is_english():
        return name
    needs_article = (
        name in _WITH_ARTICLE
        or name.startswith("United ")
        or name.endswith((" Islands", " Republic"))
    )
    return f"the {name}" if needs_article else name


def country_name(country) -> str:
    """A Country (or an ISO code) named in the request's language."""
    code = getattr(country, "code", country) or ""
    if is_english():
        return getattr(country, "name", None) or Locale.parse("en").territories.get(code, code)
    return _locale().territories.get(code) or getattr(country, "name", code)


def market_name(market) -> str:
    """A CSP market's name in the request's language."""
    return gettext(getattr(market, "name", market))


def _date(moment, length: str) -> str:
    if moment is None:
        return ""
    if hasattr(moment, "hour"):
        moment = timezone.localtime(moment).date()
    return _formatted_date(moment, length, translation.get_language() or "en")


@functools.lru_cache(maxsize=4096)
def _formatted_date(day, length: str, code: str) -> str:
    # A list's rows share their days: each day is worded once a language.
    return format_date(day, format=length, locale=_locale_of(code))


def day(moment) -> str:
    """ "March 4, 2027" (in French "4 mars 2027"), in the site's time zone."""
    return _date(moment, "long")


def short_day(moment) -> str:
    """ "Mar 4, 2027" (in German "04.03.2027")."""
    return _date(moment, "medium")


def short_day_time(moment) -> str:
    """ "Mar 4, 2027 14:05", in the site's time zone."""
    if moment is None:
        return ""
    local = timezone.localtime(moment)
    return f"{short_day(local.date())} {format_time(local.time(), 'HH:mm', locale=_locale())}"


def number(value) -> str:
    """ "1,000" (in French "1 000", in Hindi "1,000")."""
    return format_decimal(value, locale=_locale())


def and_list(parts) -> str:
    """ "7 and 21", "7, 21 and 30", in the language of the request (CLDR's list patterns)."""
    return format_list([str(part) for part in parts], locale=_locale())
