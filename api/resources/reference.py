"""The API's reference page."""

from functools import cache, lru_cache
from html import unescape
from urllib.parse import urlsplit

import markdown
from django.shortcuts import render
from django.utils.safestring import SafeString, mark_safe
from markdown.extensions import Extension
from markdown.treeprocessors import Treeprocessor

from api.base import openapi_document

# Link targets a description may have: the web, mail, or this site (no scheme).
_LINK_SCHEMES = {"", "http", "https", "mailto"}


class _SafeLinks(Treeprocessor):
    """Drops a link's target when its scheme is not one of _LINK_SCHEMES (javascript:, data:…)."""

    def run(self, root):
        for link in root.iter("a"):
            # As a browser reads it: character references decoded, tabs and newlines dropped.
            href = "".join(c for c in unescape(link.get("href", "")) if c > " ")
            try:
                scheme = urlsplit(href).scheme.lower()
            except ValueError:
                scheme = "?"
            if scheme not in _LINK_SCHEMES:
                del link.attrib["href"]


class _NoRawHtml(Extension):
    """Markdown without its HTML pass-through: no raw HTML blocks or inline tags are recognised,
    so a `<` in the source stays text and is escaped on output. No images either (nothing on
    the page is loaded from elsewhere), and links keep only safe targets."""

    def extendMarkdown(self, md):
        md.preprocessors.deregister("html_block")
        for name in ("html", "image_link", "image_reference", "short_image_ref"):
            md.inlinePatterns.deregister(name)
        md.treeprocessors.register(_SafeLinks(md), "safe_links", -1)  # after "unescape"


@lru_cache(maxsize=1024)  # the document repeats itself: each error answer is on every operation
def render_markdown(text: str | None, *, inline: bool = False) -> SafeString:
    """CommonMark-style text (backticks, **bold**, lists) as HTML, with any HTML in it escaped.
    `inline` for a line that sits inside another element: no enclosing paragraph."""
    if not text:
        return mark_safe("")
    html = markdown.Markdown(extensions=[_NoRawHtml()], output_format="html").convert(text)
    if inline and html.startswith("<p>") and html.endswith("</p>") and html.count("<p>") == 1:
        html = html[len("<p>") : -len("</p>")]
    # Safe: the converter escapes every text node and makes no markup from the source's HTML.
    return mark_safe(html)  # noqa: S308


def _status_order(code: str):
    return (not code.isdigit(), code)


def _schema_name(answer: dict) -> str:
    """The name of the schema an answer's JSON body follows, if it names one."""
    ref = answer.get("content", {}).get("application/json", {}).get("schema", {}).get("$ref", "")
    return ref.rpartition("/")[2]


def _operation(method: str, path: str, operation: dict) -> dict:
    return {
        "method": method.upper(),
        "path": path,
        "operationId": operation.get("operationId", ""),
        "summary": render_markdown(operation.get("summary"), inline=True),
        "description": render_markdown(operation.get("description")),
        "parameters": [
            {
                "name": parameter["name"],
                "in": parameter.get("in", ""),
                "required": parameter.get("required", False),
                "schema": parameter.get("schema", {}),
                "description": render_markdown(parameter.get("description")),
            }
            for parameter in operation.get("parameters", [])
        ],
        "responses": [
            {
                "code": code,
                "description": render_markdown(answer.get("description"), inline=True),
                # Errors all share one shape, said once at the top of the page.
                "body": _schema_name(answer) if code.startswith("2") else "",
            }
            for code, answer in sorted(
                operation.get("responses", {}).items(), key=lambda i: _status_order(i[0])
            )
        ],
    }


@cache
def page_context() -> dict:
    """The page's content, rendered once per process: the document doesn't change at run time."""
    document = openapi_document()
    info = document["info"]
    return {
        "info": {
            "title": info.get("title", ""),
            "description": render_markdown(info.get("description")),
        },
        "operations": [
            _operation(method, path, operation)
            for path, methods in document["paths"].items()
            for method, operation in methods.items()
        ],
    }


def reference(request):
    """The OpenAPI document as a page: every operation with its parameters and answers, rendered
    here (no script, nothing from elsewhere), linked to the document itself."""
    return render(request, "api/reference.html", page_context())
