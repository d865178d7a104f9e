"""The base of every form of both portals, and the fieldsets both portals ask for: an
organization's profile, and who signs the agreement."""

import copy
import functools
from pathlib import Path

from django import forms
from django.conf import settings
from django.forms.forms import DeclarativeFieldsMetaclass
from django.forms.renderers import Jinja2 as Jinja2Renderer
from django.utils.translation import gettext_lazy

from tenancy.models import Tenant
from tenancy.services import Signer
from tenancy.validators import validate_phone, validate_single_line


def is_single_line(field: forms.Field) -> bool:
    """A text field typed on one line: every CharField (email, URL, search... included), but
    not a Textarea, nor a password (never shown, never stored as typed)."""
    return isinstance(field, forms.CharField) and not isinstance(
        field.widget, forms.Textarea | forms.PasswordInput
    )


class SingleLineFieldsMetaclass(DeclarativeFieldsMetaclass):
    """Gives each single-line text field of the form class `validate_single_line`, so that a
    line break, an ESC or another control character is a field error and is never stored (in a
    name shown on a page, written to a log line or an email header)."""

    def __new__(mcs, name, bases, attrs):
        form_class = super().__new__(mcs, name, bases, attrs)
        for field_name, field in form_class.base_fields.items():
            if is_single_line(field) and validate_single_line not in field.validators:
                # A copy: a field inherited from another form (Django's own included) is left
                # as it is there.
                field = copy.deepcopy(field)
                field.validators.append(validate_single_line)
                form_class.base_fields[field_name] = field
        return form_class


class PortalFormRenderer(Jinja2Renderer):
    """The portals' pages are Jinja2 templates, and so are their fields: Django's own Jinja2
    widget templates (django/forms/jinja2/), so that a page is rendered by one engine; except
    where the project's jinja2/django/forms/ has one of the same name, written for speed (the
    select: its options without an include each)."""

    @functools.cached_property
    def engine(self):
        return self.backend(
            {
                "APP_DIRS": False,
                "DIRS": [
                    settings.BASE_DIR / "jinja2",
                    Path(forms.__file__).parent / "jinja2",
                ],
                "NAME": "portalforms",
                "OPTIONS": {},
            }
        )


# One renderer for the process: its engine compiles each widget's template once. (The operators'
# console keeps Django's templates and its forms the default renderer.)
JINJA2_FORMS = PortalFormRenderer()


class PortalForm(forms.Form, metaclass=SingleLineFieldsMetaclass):
    """The base of every form of both portals (tests/tenancy/test_hostile_inputs.py checks)."""

    default_renderer = JINJA2_FORMS


class OrganizationProfileForm(PortalForm):
    """The billing address and the primary contact: `Tenant.PROFILE_FIELDS`."""

    address_line1 = forms.CharField(label=gettext_lazy("Address line 1"), max_length=200)
    address_line2 = forms.CharField(
        label=gettext_lazy("Address line 2"), max_length=200, required=False
    )
    city = forms.CharField(label=gettext_lazy("City"), max_length=100)
    region = forms.CharField(
        label=gettext_lazy("State or province"), max_length=100, required=False
    )
    postal_code = forms.CharField(label=gettext_lazy("Postal code"), max_length=20, required=False)
    contact_first_name = forms.CharField(
        label=gettext_lazy("First name"), max_length=100, required=False
    )
    contact_last_name = forms.CharField(
        label=gettext_lazy("Last name"), max_length=100, required=False
    )
    contact_email = forms.EmailField(label=gettext_lazy("Email"), max_length=254, required=False)
    contact_phone = forms.CharField(
        label=gettext_lazy("Phone number"),
        max_length=40,
        required=False,
        validators=[validate_phone],
    )

    # Add customer makes the contact the first Global administrator: then a name and an email
    # are needed.
    contact_required = False

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("contact_first_name", "contact_last_name", "contact_email"):
            self.fields[name].required = self.contact_required

    def profile(self) -> dict[str, str]:
        return {name: self.cleaned_data[name] for name in Tenant.PROFILE_FIELDS}


class SignerForm(PortalForm):
    """Who accepts the Microsoft Customer Agreement for the organization.

    With a prefix (Add customer's `signer`), the fields are named `signer_first_name`... and
    labelled "Signer's first name"... (PREFIXED_LABELS), and `required` says whether they must
    be filled.
    """

    first_name = forms.CharField(label=gettext_lazy("First name"), max_length=100)
    last_name = forms.CharField(label=gettext_lazy("Last name"), max_length=100)
    email = forms.EmailField(label=gettext_lazy("Email address"), max_length=254)
    phone = forms.CharField(
        label=gettext_lazy("Phone number"),
        max_length=40,
        required=False,
        validators=[validate_phone],
    )

    # Each label as a whole msgid, per prefix.
    PREFIXED_LABELS = {
        "signer": {
            "first_name": gettext_lazy("Signer's first name"),
            "last_name": gettext_lazy("Signer's last name"),
            "email": gettext_lazy("Signer's email address"),
            "phone": gettext_lazy("Signer's phone number"),
        },
    }

    AUTOCOMPLETE = {
        "first_name": "given-name",
        "last_name": "family-name",
        "email": "email",
        "phone": "tel",
    }

    def __init__(self, *args, user=None, required: bool = True, required_message="", **kwargs):
        if user is not None and not kwargs.get("data") and not args:
            kwargs.setdefault(
                "initial",
                {"first_name": user.first_name, "last_name": user.last_name, "email": user.email},
            )
        super().__init__(*args, **kwargs)
        for name, autocomplete in self.AUTOCOMPLETE.items():
            field = self.fields[name]
            if self.prefix:
                field.label = self.PREFIXED_LABELS[self.prefix][name]
            if name != "phone":
                field.required = required
                if required_message:
                    field.error_messages["required"] = required_message
            if not self.prefix:
                field.widget.attrs["autocomplete"] = autocomplete

    def add_prefix(self, field_name: str) -> str:
        return f"{self.prefix}_{field_name}" if self.prefix else field_name

    def signer(self) -> Signer:
        data = self.cleaned_data
        return Signer(
            first_name=data["first_name"],
            last_name=data["last_name"],
            email=data["email"],
            phone=data["phone"],
        )


class EmailLanguageField(forms.ChoiceField):
    """The language a request's email is written in (the customer reads it), among the
    portals' languages, each named in its own language."""

    def __init__(self, **kwargs):
        kwargs.setdefault("label", gettext_lazy("Email language"))
        kwargs.setdefault(
            "help_text",
            gettext_lazy(
                "The email and the link's page are written for the customer in this language."
            ),
        )
        # Not required: a post without it (a script, an old page) gets the default language.
        kwargs.setdefault("required", False)
        super().__init__(choices=settings.LANGUAGES, **kwargs)
