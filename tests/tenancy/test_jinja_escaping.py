"""What a page's `{{ value }}` prints: escaped as Django escapes (the suite's pages assert its
spellings), whichever way the backend gets there; a plain-text template is left as written."""

from django.template import engines
from django.test import RequestFactory

HOSTILE = "<script>alert('x')</script> & \"quoted\" &#39;"


def _engine():
    return engines["jinja"]


def test_a_page_escapes_text_as_django_does():
    from django.utils.html import escape

    page = _engine().from_string("<p>{{ name }}</p>").render({"name": HOSTILE})
    assert page == f"<p>{escape(HOSTILE)}</p>"
    assert "<script>" not in page and "&#x27;x&#x27;" in page and "&quot;quoted&quot;" in page


def test_a_translated_message_with_a_name_escapes_the_name_as_django_does():
    from django.utils.html import escape

    request = RequestFactory().get("/")
    page = _engine().from_string("{% trans name=name %}Select {{ name }}{% endtrans %}")
    assert page.render({"name": HOSTILE}, request) == f"Select {escape(HOSTILE)}"


def test_a_plain_text_template_is_not_escaped(tmp_path):
    """An email's subject and text body: the value as it is, character references included."""
    from tenancy.web.jinja import Jinja2

    (tmp_path / "subject.txt").write_text("Hello {{ name }}")
    (tmp_path / "page.html").write_text("Hello {{ name }}")
    engine = Jinja2(
        {
            "NAME": "escaping-test",
            "DIRS": [tmp_path],
            "APP_DIRS": False,
            "OPTIONS": {"environment": "tenancy.web.jinja.environment"},
        }
    )
    assert engine.get_template("subject.txt").render({"name": HOSTILE}) == f"Hello {HOSTILE}"
    page = engine.get_template("page.html").render({"name": HOSTILE})
    assert "&amp;#39;" in page and "&#x27;x&#x27;" in page


def test_each_render_speaks_its_own_language():
    """The catalogue's answers are remembered a language: never another language's."""
    from django.utils import translation

    template = _engine().from_string('{{ _("Customer list") }}')
    request = RequestFactory().get("/")
    said = {}
    for language in ["fr", "de", "fr", "en", "de", "ja"]:
        with translation.override(language):
            said.setdefault(language, set()).add(template.render({}, request))
    assert all(len(answers) == 1 for answers in said.values())
    assert len({answers.pop() for answers in said.values()}) == 4
