"""`get_FOO_display()` at the cost of one translation."""

from django.utils.encoding import force_str


class ChoiceLabels:
    """For a model with choices: its `get_FOO_display()` translates the one label it shows.

    Django's finds the label through a dictionary of every choice, hashing each label, and a
    translated label is hashed by translating it: an Activity log of 50 events, each of some 60
    actions, translated 3,000 labels to show 50. The same label, the same fallback (the value
    itself when it is no choice)."""

    def _get_FIELD_display(self, field):
        value = getattr(self, field.attname)
        for choice, label in field.flatchoices:
            if choice == value:
                return force_str(label, strings_only=True)
        return force_str(value, strings_only=True)
