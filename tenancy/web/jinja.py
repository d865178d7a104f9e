"""The portals' pages and emails are Jinja2 templates (jinja2/ beside manage.py), rendered through
Django's own Jinja2 backend; the operators' console (Django's admin) keeps Django's templates.

What a page's template can use, beside its view's context and the context processors':

- `_("…")`, `pgettext`, `ngettext` and `{% trans %}…{% endtrans %}`: Jinja2's i18n extension on
  Django's translations (newstyle: `%(name)s` in a message is filled and escaped), so a message
  reads the same catalogue, under the same msgid, as it did in a Django template;
- `url(name, *args, **kwargs)`, `static(path)`, `querystring(request, key=value)` (Django's own
  `{% querystring %}`), `get_current_language()`, `get_available_languages()`;
- the project's filters (`day`, `short_day`, `number`, `country_name`…, from `tenancy.text`) and
  Django's `date`, `time`, `slice`, `add`, `urlencode` and `json_script`, which mean what they mean
  in a Django template.

`Jinja2` below is Django's backend plus one thing: a rendered template sends Django's
`template_rendered` signal, as Django templates do under the test runner, so a test reads
`response.context` and `response.templates` whichever engine rendered the page.
"""

import functools
import html
import weakref
from types import BuiltinFunctionType, FunctionType, MethodType, SimpleNamespace
from uuid import UUID

import jinja2
from django.conf import settings
from django.template import TemplateSyntaxError, defaultfilters, defaulttags
from django.template.backends import jinja2 as django_jinja2
from django.template.backends.utils import csrf_input, csrf_token_lazy
from django.templatetags.static import static
from django.test.signals import template_rendered
from django.urls import get_script_prefix
from django.utils import timezone, translation
from django.utils.formats import localize
from django.utils.html import json_script
from django.utils.timezone import template_localtime
from django.utils.translation import trans_real
from markupsafe import Markup

from tenancy import audit_text, reversing, text
from tenancy.web.context_processors import can_of


@jinja2.pass_context
def url(context, name: str, *args, **kwargs) -> str:
    """`{{ url("partner_center:customer", tenant.pk) }}`: Django's `{% url %}`, in the current
    application as it reverses (the admin center's pages are mounted twice: in the Office Admin
    portal, its links stay in the Office Admin portal)."""
    return reversing.reverse(name, args, kwargs, _current_app(context.get("request")))


def _current_app(request) -> str | None:
    current_app = getattr(request, "current_app", None)
    if current_app is None:
        current_app = getattr(getattr(request, "resolver_match", None), "namespace", None)
    return current_app


# remembered_include's parts: {(template, inputs, language, URL prefix, application): HTML}.
_REMEMBERED_PARTS: dict[tuple, Markup] = {}
REMEMBERED_PARTS_MAX = 4096


@jinja2.pass_context
def remembered_include(context, name: str, **inputs) -> Markup:
    """`{{ remembered_include("partner_center/includes/nav.html", roles=..., current=...) }}`:
    the template rendered from `inputs` alone (hashable values: the template sees nothing else
    of the page), once a process for each set of them, language, URL prefix and application —
    for a part every page shows that depends on little (the navigation)."""
    current_app = _current_app(context.get("request"))
    key = (
        name,
        tuple(sorted(inputs.items())),
        translation.get_language(),
        get_script_prefix(),
        current_app,
    )
    part = _REMEMBERED_PARTS.get(key)
    if part is None:
        if len(_REMEMBERED_PARTS) >= REMEMBERED_PARTS_MAX:
            _REMEMBERED_PARTS.clear()
        template = context.environment.get_template(name)
        rendered = template.render(
            inputs
            | {
                TRANSLATOR: context.get(TRANSLATOR),
                # All url() reads of the request: which application's links.
                "request": SimpleNamespace(current_app=current_app),
            }
        )
        part = _REMEMBERED_PARTS[key] = Markup(rendered)  # noqa: S704 (escaped as rendered)
    return part


def querystring(request, **changes) -> str:
    """`{{ querystring(request, cursor=None) }}`: Django's `{% querystring %}` on request.GET."""
    return defaulttags.querystring(SimpleNamespace(request=request), **changes)


def webauthn_configuration(request, **options) -> dict:
    """What django-otp-webauthn's script reads (its template tags build the same)."""
    from django_otp_webauthn.templatetags.otp_webauthn import get_configuration

    return get_configuration(request, options)


def _available_languages():
    return settings.LANGUAGES


def username(user) -> str:
    """`{{ invitation.created_by|username }}`: the user's name; none for no user."""
    return user.get_username() if user is not None else ""


FILTERS = {
    "possessive": lambda name: text.possessive(str(name)),
    "country_name": text.country_name,
    "market_name": text.market_name,
    "day": text.day,
    "short_day": text.short_day,
    "short_day_time": text.short_day_time,
    "number": text.number,
    "audit_detail": audit_text.audit_detail,
    "username": username,
    # Django's, where Jinja2 has none or one that means something else.
    "date": defaultfilters.date,
    "time": defaultfilters.time,
    "slice": defaultfilters.slice_filter,
    "add": defaultfilters.add,
    "urlencode": defaultfilters.urlencode,
    "json_script": json_script,
}

GLOBALS = {
    "url": url,
    "remembered_include": remembered_include,
    "can_of": can_of,
    "static": static,
    "querystring": querystring,
    "webauthn_configuration": webauthn_configuration,
    "get_current_language": translation.get_language,
    "get_available_languages": _available_languages,
    "get_current_timezone": timezone.get_current_timezone_name,
}


def _finalize(value):
    """What `{{ value }}` prints, as a Django template prints it: a number or a moment localized
    (in the current time zone), and HTML escaped. A method printed uncalled is a template's
    mistake, not text.

    Text is escaped by Jinja2 itself (markupsafe, in C), which writes `'` and `"` as `&#39;`
    and `&#34;`: the page is given Django's spellings of those two (`&#x27;`, `&quot;`) once,
    when it is rendered (Template.render), rather than each value twice over here."""
    kind = type(value)
    if kind is str or kind is Markup or kind is UUID or value is None:  # most values
        return value
    if kind is int and not settings.USE_THOUSAND_SEPARATOR:
        return value
    if isinstance(value, jinja2.Undefined) or hasattr(value, "__html__"):
        return value
    if isinstance(value, MethodType | FunctionType | BuiltinFunctionType):
        raise TypeError(f"a template prints the method {value!r}: call it")
    if not isinstance(value, str):
        value = localize(template_localtime(value))
    return value


def as_djangos_escapes(page: str) -> str:
    """markupsafe's character references for `'` and `"` in Django's spelling: the same
    characters (a browser reads either), in the words the project's pages always used."""
    if "&#3" not in page:
        return page
    return page.replace("&#39;", "&#x27;").replace("&#34;", "&quot;")


# The request's translation, looked up once a page (as `translation.gettext` would on each
# message) and handed to the page's context by Template.render.
TRANSLATOR = "_translator"


class _RememberedTranslations:
    """A language's catalogue whose `gettext` remembers each answer: a page asks the same few
    hundred messages on every render, and a lookup walks every catalogue of the chain (Django's,
    the apps', the project's) and its fallback (an English message: all of them, in vain)."""

    def __init__(self, catalog):
        self.catalog = catalog
        self.answers: dict[str, str] = {}

    def gettext(self, message: str) -> str:
        try:
            return self.answers[message]
        except KeyError:
            answer = self.answers[message] = self.catalog.gettext(message)
            return answer

    def ngettext(self, singular: str, plural: str, number: int) -> str:
        return self.catalog.ngettext(singular, plural, number)


# One a catalogue: when Django loads the catalogues anew (LOCALE_PATHS changed, a .mo file
# changed under the development server) they are new objects, with nothing remembered.
_REMEMBERED: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _remembered(catalog) -> _RememberedTranslations:
    try:
        return _REMEMBERED[catalog]
    except KeyError:
        remembered = _REMEMBERED[catalog] = _RememberedTranslations(catalog)
        return remembered
    except TypeError:  # a catalogue that can't be a key: asked each time
        return _RememberedTranslations(catalog)


@jinja2.pass_context
def _gettext(context, message: str, /, **variables):
    """Jinja2's newstyle `_()`: the translation, its `%(name)s` filled (escaped as Django does)."""
    translator = context.get(TRANSLATOR)
    translated = (translator or translation).gettext(message)
    if not variables and "%" not in translated:  # most messages: nothing to fill
        return Markup(translated) if context.eval_ctx.autoescape else translated  # noqa: S704
    return _filled(context, translated, variables)


@jinja2.pass_context
def _ngettext(context, singular: str, plural: str, number: int, /, **variables):
    variables.setdefault("num", number)
    translator = context.get(TRANSLATOR) or translation
    return _filled(context, translator.ngettext(singular, plural, number), variables)


@jinja2.pass_context
def _pgettext(context, message_context: str, message: str, /, **variables):
    return _filled(context, translation.pgettext(message_context, message), variables)


@jinja2.pass_context
def _npgettext(context, message_context, singular, plural, number, /, **variables):
    variables.setdefault("num", number)
    translated = translation.npgettext(message_context, singular, plural, number)
    return _filled(context, translated, variables)


def _escaped(value):
    # django.utils.html.conditional_escape, without its wrapper for lazy strings (a value here is
    # already a value).
    return value.__html__() if hasattr(value, "__html__") else html.escape(str(value))


def _filled(context, translated: str, variables: dict):
    # A message is always a format string (`%%` is a percent sign), as in a Django template.
    if context.eval_ctx.autoescape:
        values = {name: _escaped(value) for name, value in variables.items()}
        return Markup(translated % values)  # noqa: S704 (the values are escaped)
    return translated % variables


def environment(**options) -> jinja2.Environment:
    # A template file's last newline stays, as in a Django template (emails' bodies end in one).
    options.setdefault("keep_trailing_newline", True)
    # HTML is escaped; a .txt template (an email's subject and plain-text body) is plain text.
    options.pop("autoescape", None)
    # As in a Django template, a missing name (or a name's missing attribute) is empty and false.
    options["undefined"] = jinja2.ChainableUndefined
    env = jinja2.Environment(
        autoescape=jinja2.select_autoescape(
            disabled_extensions=("txt",), default_for_string=True, default=True
        ),
        extensions=["jinja2.ext.i18n"],
        finalize=_finalize,
        **options,
    )
    # The i18n extension compiles `{% trans %}` for newstyle callables (keyword variables); these
    # are Jinja2's newstyle ones except that they escape as Django does.
    env.newstyle_gettext = True
    env.globals.update(
        _=_gettext, gettext=_gettext, ngettext=_ngettext, pgettext=_pgettext, npgettext=_npgettext
    )
    env.filters.update(FILTERS)
    env.globals.update(GLOBALS)
    return env


class CsrfInput:
    """`{{ csrf_input }}`: the form's hidden CSRF field, masked once a page (Django's lazy one
    masks the token anew for each form of the page: 64 random characters each time). Built only
    when a form prints it, so a page without a form sets no CSRF cookie."""

    def __init__(self, request):
        self.request = request

    @functools.cached_property
    def _html(self) -> str:
        return csrf_input(self.request)

    def __html__(self) -> str:
        return self._html

    __str__ = __html__


class Template(django_jinja2.Template):
    def __init__(self, template, backend):
        super().__init__(template, backend)
        self.name = template.name
        autoescape = template.environment.autoescape
        self.escapes_html = autoescape(template.name) if callable(autoescape) else autoescape

    def render(self, context=None, request=None):
        """Render as Django's backend does, except that the view's context wins over the
        context processors' (as in a Django template: a page's own `portal` is not replaced)."""
        full = {}
        if request is not None:
            full["request"] = request
            full["csrf_input"] = CsrfInput(request)
            full["csrf_token"] = csrf_token_lazy(request)
            for context_processor in self.backend.template_context_processors:
                full.update(context_processor(request))
        full[TRANSLATOR] = _remembered(trans_real.catalog())
        if context:
            full.update(context)
        try:
            html = self.template.render(full)
            if self.escapes_html:
                html = as_djangos_escapes(html)
        except jinja2.TemplateSyntaxError as exc:
            error = TemplateSyntaxError(exc.args)
            error.template_debug = django_jinja2.get_exception_info(exc)
            raise error from exc
        # No receiver outside tests: sending costs a dictionary lookup.
        template_rendered.send(sender=self, template=self, context=full)
        return html


class Jinja2(django_jinja2.Jinja2):
    def from_string(self, template_code):
        return Template(self.env.from_string(template_code), self)

    def get_template(self, template_name):
        template = super().get_template(template_name)
        return Template(template.template, self)
