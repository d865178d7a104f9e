"""Small pieces of English the pages and messages share."""

from django.utils import dateformat, timezone


def possessive(name: str) -> str:
    """ "Contoso's", but "Contoso Partners'"."""
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
    """The country as it reads after "in": "the United States", "Canada"."""
    needs_article = (
        name in _WITH_ARTICLE
        or name.startswith("United ")
        or name.endswith((" Islands", " Republic"))
    )
    return f"the {name}" if needs_article else name


def day(moment) -> str:
    """ "March 4, 2027", in the site's time zone."""
    return dateformat.format(timezone.localtime(moment), "F j, Y")
