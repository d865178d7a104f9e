from django.apps import AppConfig


class TenancyConfig(AppConfig):
    name = "tenancy"
    verbose_name = "Tenancy"

    def ready(self) -> None:
        # The checks and receivers register themselves; the request kinds fill the registry the
        # request email task reads (in the web servers and in the worker alike).
        from tenancy import checks  # noqa: F401
        from tenancy.services import request_links  # noqa: F401
        from tenancy.web import signals  # noqa: F401
