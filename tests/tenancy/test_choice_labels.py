"""A model's get_FOO_display(): the label Django would show, translating only that one."""

from unittest import mock

import pytest
from django.apps import apps
from django.utils import translation
from django.utils.translation import trans_real

from tenancy.choices import AuditAction
from tenancy.models import AuditEvent
from tenancy.models.choice_labels import ChoiceLabels

LANGUAGES = ["en", "fr", "ja"]


def _fields_with_choices():
    for model in apps.get_app_config("tenancy").get_models():
        for field in model._meta.concrete_fields:
            if field.choices:
                yield model, field


def test_every_model_with_choices_shows_one_label_at_the_price_of_one():
    bare = [
        model.__name__ for model, _ in _fields_with_choices() if not issubclass(model, ChoiceLabels)
    ]
    assert not bare, f"get_FOO_display translates every choice on: {sorted(set(bare))}"


@pytest.mark.parametrize("language", LANGUAGES)
def test_each_label_is_the_one_djangos_own_lookup_gives(language):
    with translation.override(language):
        for model, field in _fields_with_choices():
            labels = {value: str(label) for value, label in field.flatchoices}
            for value in [*labels, "not-a-choice"]:
                row = model(**{field.attname: value})
                shown = getattr(row, f"get_{field.name}_display")()
                assert shown == labels.get(value, value), (model.__name__, field.name, value)


def test_an_activity_log_row_translates_its_own_action_only():
    action, label = AuditAction.choices[-1]
    event = AuditEvent(action=action)
    with translation.override("fr"):
        expected = str(label)
        translations = type(trans_real.catalog())
        with mock.patch.object(
            translations, "gettext", autospec=True, side_effect=translations.gettext
        ) as gettext:
            shown = event.get_action_display()
    assert shown == expected
    assert gettext.call_count == 1
