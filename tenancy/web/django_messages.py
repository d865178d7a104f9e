# ruff: noqa: RUF001 (Django writes these with a typographic apostrophe)
"""Django's own messages that our pages show and that Django's catalogue for one of our
languages lacks (Hindi has no password-validation messages): listed here so that makemessages
puts them in our catalogues, which take precedence. Never called."""

from django.utils.translation import gettext_noop, ngettext


def _messages() -> None:  # pragma: no cover - read by makemessages only
    gettext_noop("Your password can’t be too similar to your other personal information.")
    ngettext(
        "Your password must contain at least %(min_length)d character.",
        "Your password must contain at least %(min_length)d characters.",
        8,
    )
    gettext_noop("Your password can’t be a commonly used password.")
    gettext_noop("Your password can’t be entirely numeric.")
    gettext_noop("The password is too similar to the %(verbose_name)s.")
    ngettext(
        "This password is too short. It must contain at least %d character.",
        "This password is too short. It must contain at least %d characters.",
        8,
    )
    gettext_noop("This password is too common.")
    gettext_noop("This password is entirely numeric.")
    gettext_noop("Enter the same password as before, for verification.")
    gettext_noop("The two password fields didn’t match.")
