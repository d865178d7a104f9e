from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "api"
    verbose_name = "Partner Center API"

    def ready(self):
        # The OpenAPI document's extensions register as they are imported.
        from api import schema_hooks  # noqa: F401
