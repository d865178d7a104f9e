from django.apps import AppConfig


class ConsoleConfig(AppConfig):
    """The operators' console: Django's admin over the project's models, at /operators/."""

    name = "console"
    verbose_name = "Operators' console"
