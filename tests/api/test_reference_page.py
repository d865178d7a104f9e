"""The API reference page (/v1/docs/): the OpenAPI document's Markdown, rendered and escaped."""

import re
from html import unescape

import pytest
from django.urls import reverse
from drf_spectacular.generators import SchemaGenerator

from api.resources.reference import render_markdown

SECTION = re.compile(r'<section id="(?P<id>[^"]+)"[^>]*>(?P<body>.*?)</section>', re.S)
BACKTICKED = re.compile(r"`[^`\n]+`")


@pytest.fixture(scope="module")
def document():
    return SchemaGenerator().get_schema(request=None, public=True)


@pytest.fixture
def sections(client):
    response = client.get(reverse("api:docs"))
    assert response.status_code == 200
    return {m["id"]: m["body"] for m in SECTION.finditer(response.content.decode())}


def operations(document):
    for methods in document["paths"].values():
        yield from methods.values()


@pytest.mark.django_db
def test_the_page_answers_without_a_key(client):
    response = client.get(reverse("api:docs"))
    assert response.status_code == 200
    page = response.content.decode()
    assert "<script>" not in page.split('<main id="main"', 1)[1]
    # The document's own description: its backticks are code too.
    assert "<code>Authorization: Bearer &lt;key&gt;</code>" in page


@pytest.mark.django_db
def test_backticks_in_a_description_become_code(sections):
    section = sections["delegated_admin_relationships_list"]
    assert "<code>$filter</code>" in section
    assert "<code>@odata.nextLink</code>" in section
    assert "`$filter`" not in section


@pytest.mark.django_db
def test_no_description_is_left_with_raw_backticks(sections, document):
    assert set(sections) == {op["operationId"] for op in operations(document)}
    for operation_id, body in sections.items():
        assert not BACKTICKED.search(unescape(body)), operation_id


@pytest.mark.django_db
def test_bold_and_lists_are_rendered(sections):
    assert "<strong>New template</strong>" in sections["admin_relationship_templates_create"]
    # A choice parameter's description is a list of its values.
    results = sections["bulk_job_results"]
    assert "<ul>" in results and "<li><code>pending</code> - pending</li>" in results


@pytest.mark.django_db
def test_every_documented_answer_is_shown_with_its_description(sections, document):
    for operation in operations(document):
        section = sections[operation["operationId"]]
        for code, answer in operation["responses"].items():
            assert f"<code>{code}</code>" in section, (operation["operationId"], code)
            if answer.get("description"):
                assert str(render_markdown(answer["description"], inline=True)) in section
    update = sections["customer_update"]
    assert "<code>409</code>" in update
    assert "wait for <code>Retry-After</code> seconds" in update


def test_html_in_a_description_is_escaped():
    html = render_markdown(
        "Before <script>alert(1)</script> and `<b>code</b>`.\n\n"
        '<div onclick="x()">block</div>\n\n<!-- a comment -->'
    )
    assert "<script" not in html and "<div" not in html and "<!--" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<code>&lt;b&gt;code&lt;/b&gt;</code>" in html
    assert "&lt;div onclick=" in html


def test_links_keep_only_safe_targets_and_images_are_not_loaded():
    html = render_markdown(
        "[a](javascript:alert(1)) [b](https://example.com/) ![c](https://x/y.png) "
        "[d](java&#115;cript:alert(2)) [e](JaVa\tScript:alert(3))"
    )
    assert "javascript:" not in html.lower() and 'href="java' not in html.lower()
    assert "<a>a</a>" in html and "<a>d</a>" in html and "<a>e</a>" in html
    assert '<a href="https://example.com/">b</a>' in html
    assert "<img" not in html


def test_inline_rendering_has_no_paragraph():
    assert render_markdown("**One** `thing`", inline=True) == (
        "<strong>One</strong> <code>thing</code>"
    )
    assert render_markdown("") == ""
