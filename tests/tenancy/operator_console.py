"""What the operators' console tests share: an operator signed in with their second factor, the
admin's change forms posted as a browser would post them, and the audit lines the console writes."""

import pytest
from django.contrib.auth import get_user_model
from django.forms import CheckboxInput, MultiWidget
from django.urls import reverse

from tenancy.models import AuditAction, AuditEvent, Membership
from tests.factories import UserFactory
from tests.operators import sign_in_operator

User = get_user_model()

# What the console writes; sign-ins write lines of their own.
CONSOLE_ACTIONS = [
    AuditAction.OPERATOR_ADDED,
    AuditAction.OPERATOR_CHANGED,
    AuditAction.ROLES_CHANGED,
    AuditAction.USER_DEACTIVATED,
    AuditAction.USER_REACTIVATED,
]


def console_lines():
    return AuditEvent.objects.filter(action__in=CONSOLE_ACTIONS).order_by("id")


@pytest.fixture
def operator_user(db):
    return UserFactory(username="operator@example.com", is_staff=True, is_superuser=True)


@pytest.fixture
def operator(client, operator_user):
    sign_in_operator(client, operator_user)
    return client


# --- Posting the real change forms --------------------------------------------------------


def _values(form) -> dict:
    """What a browser would post for `form` as it was shown, field by field."""
    data = {}
    for name, field in form.fields.items():
        if field.disabled:
            continue
        bound = form[name]
        value = bound.value()
        if isinstance(field.widget, MultiWidget):
            for index, part in enumerate(field.widget.decompress(value)):
                data[f"{bound.html_name}_{index}"] = "" if part is None else part
        elif isinstance(field.widget, CheckboxInput):
            if value:
                data[bound.html_name] = "on"
        else:
            data[bound.html_name] = "" if value is None else value
    return data


def shown_form(operator, url) -> dict:
    """The change (or add) page's form and its inlines' rows, as posted unchanged."""
    page = operator.get(url)
    assert page.status_code == 200
    data = _values(page.context["adminform"].form)
    for inline in page.context["inline_admin_formsets"]:
        formset = inline.formset
        data |= _values(formset.management_form)
        for form in formset.initial_forms:
            data |= _values(form)
    return data


def change_url(obj) -> str:
    return reverse(f"admin:{obj._meta.app_label}_{obj._meta.model_name}_change", args=[obj.pk])


def post_change(operator, obj, **changes):
    url = change_url(obj)
    return operator.post(url, shown_form(operator, url) | changes)


def form_errors(response) -> str:
    """Every error the admin page shows, form and inlines, as one text."""
    assert response.status_code == 200, "expected the form again, with its errors"
    context = response.context
    error_lists = [*context["adminform"].form.errors.values()]
    for inline in context["inline_admin_formsets"]:
        error_lists.append(inline.formset.non_form_errors())
        error_lists.extend(error for form in inline.formset.forms for error in form.errors.values())
    return " ".join(message for errors in error_lists for message in errors)


def post_new_role(operator, membership, role):
    """The membership's change form with `role` in its blank extra row."""
    url = change_url(membership)
    data = shown_form(operator, url)
    row = data["role_rows-INITIAL_FORMS"]
    return operator.post(url, data | {f"role_rows-{row}-role": role})


def roles_of(user) -> set[str]:
    return set(Membership.objects.get(user=user).role_rows.values_list("role", flat=True))


def assert_refused(response, obj, *phrases):
    errors = form_errors(response)
    for phrase in phrases:
        assert phrase in errors
    stored = type(obj)._default_manager.get(pk=obj.pk)
    for field in obj._meta.concrete_fields:
        assert getattr(stored, field.attname) == getattr(obj, field.attname), field.name
    assert not console_lines().exists()
