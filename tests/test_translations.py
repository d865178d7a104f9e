"""The translations are complete: every catalogue fully translated (nothing fuzzy), and no English
sentence left on any page of either portal rendered in another language.

The pages are found by walking the demo: each portal's people start at its home page and follow
every link of the site (requests opened by their links, too), as a person would click through.
"""

import io
import re
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from babel.messages.pofile import read_po
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.test import Client

from tenancy import services
from tenancy.models import (
    AdminRelationship,
    AdminRelationshipTemplate,
    BulkJobItem,
    Invitation,
    Offer,
    SecurityGroup,
    Tenant,
    WebhookEventName,
)

TRANSLATED = [code for code, _ in settings.LANGUAGES if code != "en"]
CATALOGUES = Path(settings.BASE_DIR) / "locale"

# Names Microsoft keeps in English in its localized portals, and the project's own name.
PRODUCT_NAMES = [
    "Microsoft Customer Agreement",
    "Microsoft 365 admin center",
    "Microsoft Office Admin portal",
    "Microsoft Cloud for US Government",
    "Microsoft commercial cloud",
    "Microsoft Entra",
    "Partner Center",
    "Microsoft 365",
    "Office 365",
    "Azure",
    "PartnerID",
]

# English words that no sentence of the other five languages uses, while nearly every English
# sentence has one.
ENGLISH = re.compile(
    r"\b(the|and|your|you|to|of|is|are|for|with|this|that|can|not|be|by|it|was|will|has|have|"
    r"their|its|from|which|who|when|there|here|they|what|no longer|yet)\b",
    re.IGNORECASE,
)


@pytest.mark.parametrize("language", TRANSLATED)
def test_every_message_of_the_catalogue_is_translated(language):
    path = CATALOGUES / language / "LC_MESSAGES" / "django.po"
    assert path.exists(), f"{path} is missing: run makemessages (docs/i18n.md)"
    with path.open("rb") as po:
        catalog = read_po(po, locale=language)
    assert len(catalog) > 500, "the catalogue holds too few messages: was it regenerated?"
    untranslated, fuzzy = [], []
    for message in catalog:
        if not message.id:
            continue
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        if not all(s.strip() for s in strings):
            untranslated.append(message.id)
        if message.fuzzy:
            fuzzy.append(message.id)
    assert not untranslated, f"{len(untranslated)} untranslated, e.g. {untranslated[:5]}"
    assert not fuzzy, f"{len(fuzzy)} fuzzy, e.g. {fuzzy[:5]}"


def test_every_message_of_the_templates_is_in_the_catalogues():
    """The Jinja2 templates' messages, as Babel's Jinja2 extractor reads them (the way
    `makemessages` collects them), are each in every catalogue: a message a template gained since
    the catalogues were made, or one the extractor reads differently from what the page asks
    for at run time, fails here."""
    from babel.messages.extract import extract_from_dir

    from tenancy.management.commands.makemessages import JINJA_DIR, METHODS, OPTIONS

    found = {
        (message if isinstance(message, str) else message[0], context)
        for _, _, message, _, context in extract_from_dir(
            Path(settings.BASE_DIR) / JINJA_DIR, method_map=METHODS, options_map=OPTIONS
        )
    }
    assert len(found) > 500, "the extractor found too few messages in the templates"
    for language in TRANSLATED:
        with (CATALOGUES / language / "LC_MESSAGES" / "django.po").open("rb") as po:
            catalog = read_po(po, locale=language)
        missing = [
            message for message, context in found if catalog.get(message, context=context) is None
        ]
        assert not missing, f"{language}: {len(missing)} not in the catalogue, e.g. {missing[:3]}"


VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "wbr"}


class _Text(HTMLParser):
    """The text a reader sees (no scripts, styles, `translate="no"`, nor an element in a
    language of its own such as a request's email shown as it was written), and the links."""

    def __init__(self):
        super().__init__()
        self.chunks, self.links, self._open = [], [], []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "a" and attrs.get("href"):
            self.links.append(attrs["href"])
        skip = (
            tag in ("script", "style", "template")
            or attrs.get("translate") == "no"
            or ("lang" in attrs and tag != "html")
        )
        if tag not in VOID:
            self._open.append((tag, skip))
        if skip or self._skipping():
            return
        for name in ("aria-label", "placeholder", "title", "alt"):
            if attrs.get(name):
                self.chunks.append(attrs[name])
        if tag == "input" and attrs.get("type") in ("submit", "button") and attrs.get("value"):
            self.chunks.append(attrs["value"])

    def handle_endtag(self, tag):
        for index in range(len(self._open) - 1, -1, -1):
            if self._open[index][0] == tag:
                del self._open[index:]
                break

    def _skipping(self) -> bool:
        return any(skip for _, skip in self._open)

    def handle_data(self, data):
        if not self._skipping() and data.strip():
            self.chunks.append(" ".join(data.split()))


def _read(html: str) -> _Text:
    parser = _Text()
    parser.feed(html)
    return parser


# Pages that are not part of either portal, or that change something when opened.
SKIPPED = ("/sign-out", "/operators/", "/v1/", "/static/", "/account/passkeys/", "mailto:")


def _walk(client: Client, starts: list[str], limit: int = 400) -> list[str]:
    """Every page of the site reachable from `starts` by following links (GET, 200, HTML)."""
    seen, queue, pages = set(), list(starts), []
    while queue and len(pages) < limit:
        url = queue.pop(0)
        parts = urlsplit(url)
        if parts.netloc and parts.netloc != "testserver":
            continue
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        key = re.sub(r"[0-9a-f]{8}-[0-9a-f-]{27}", "<id>", parts.path)  # one page per kind
        if key in seen or not parts.path.startswith("/") or path.startswith(SKIPPED):
            continue
        seen.add(key)
        response = client.get(path)
        if response.status_code in (301, 302):
            seen.discard(key)  # the page it leads to may share the key (a request's link)
            if response["Location"] != url:
                queue.insert(0, response["Location"])
            continue
        if response.status_code != 200 or "text/html" not in response["Content-Type"]:
            continue
        pages.append(path)
        queue.extend(_read(response.content.decode()).links)
    return pages


@pytest.fixture
def demo(db):
    call_command("seed_demo", force=True, stdout=io.StringIO())


def _data() -> list[str]:
    """What the demo holds that no translation changes: names, labels, addresses, offers."""
    values = [str(name.value) for name in WebhookEventName]  # named as Partner Center names them
    for model, fields in (
        (Tenant, ["name", "domain"]),
        (get_user_model(), ["username", "email"]),
        (Invitation, ["label"]),
        (AdminRelationship, ["name"]),
        (SecurityGroup, ["name", "description"]),
        (AdminRelationshipTemplate, ["name", "description"]),
        (BulkJobItem, ["line"]),
        (Offer, ["name", "description"]),
    ):
        for row in model.objects.values_list(*fields):
            values.extend(value for value in row if value)
    return sorted(set(values), key=len, reverse=True)


def _catalogue_english(language: str) -> set[str]:
    """The catalogue's English messages that its translation changes (no placeholders): a
    label such as "Customer list" shown as it is on a page in `language` is English left."""
    with (CATALOGUES / language / "LC_MESSAGES" / "django.po").open("rb") as po:
        catalog = read_po(po, locale=language)
    # A word the language writes as English does in some context ("Active" in French) is not
    # English left, in any context.
    kept = {message.id for message in catalog if message.id == message.string}
    return {
        message.id
        for message in catalog
        if isinstance(message.id, str)
        and message.id != message.string
        and message.id not in kept
        and "%" not in message.id
        and "<" not in message.id
        and message.id not in PRODUCT_NAMES
    }


# A message's placeholder shown as it is: a translation the page did not fill.
PLACEHOLDER = re.compile(r"%\(\w+\)[sd]")


def _english_left(html: str, data: list[str], english: set[str]) -> list[str]:
    left = []
    for chunk in _read(html).chunks:
        if PLACEHOLDER.search(chunk):
            left.append(chunk)
            continue
        if chunk in data or chunk in PRODUCT_NAMES:
            continue
        if chunk in english:
            left.append(chunk)
            continue
        rest = chunk
        for value in (*data, *PRODUCT_NAMES):
            rest = rest.replace(value, " ")
        if ENGLISH.search(rest) and len(rest.split()) >= 2:
            left.append(chunk)
    return left


# Who walks each portal (each role sees other pages), and where they start.
WALKERS = [
    ("globaladmin@contosopartners.onmicrosoft.com", ["/partner-center/", "/account/security/"]),
    ("adminagent@contosopartners.onmicrosoft.com", ["/partner-center/"]),
    ("sales@contosopartners.onmicrosoft.com", ["/partner-center/customers/new-relationship/"]),
    ("admin@tailwinddist.onmicrosoft.com", ["/partner-center/"]),
    ("admin@prosewaresolutions.onmicrosoft.com", ["/partner-center/"]),
    ("admin@northwindtraders.onmicrosoft.com", ["/admin-center/"]),
    ("admin@relecloud.onmicrosoft.com", ["/admin-center/"]),
    ("admin@springfieldpw.onmicrosoft.com", ["/office-admin/"]),
]


def test_no_english_is_left_on_any_page_in_another_language(demo):
    data = _data()
    # A pending request for the customer's walk: its pages open only from its link.
    request = services.invitation_create(
        partner=Tenant.objects.get(domain="contosopartners.onmicrosoft.com"),
        created_by=get_user_model().objects.get(username="sales@contosopartners.onmicrosoft.com"),
        include_admin=True,
    )
    link = urlsplit(request.link())
    problems, walked = {}, 0
    for username, starts in WALKERS:
        client = Client()
        client.force_login(get_user_model().objects.get(username=username))
        if username.startswith("admin@northwind"):
            starts = [f"{link.path}?{link.query}", *starts]
        for language in ("en", *TRANSLATED):
            client.defaults["HTTP_ACCEPT_LANGUAGE"] = language
            pages = _walk(client, starts)
            walked += len(pages)
            if language == "en":
                assert len(pages) >= 5, (username, pages)
                continue
            english = _catalogue_english(language)
            for page in pages:
                left = _english_left(client.get(page).content.decode(), data, english)
                if left:
                    problems[f"{language} {page}"] = left[:3]
    assert walked > 100
    assert not problems, f"{len(problems)} pages with English left: " + "; ".join(
        f"{page}: {left}" for page, left in list(problems.items())[:10]
    )
