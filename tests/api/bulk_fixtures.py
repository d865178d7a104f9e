"""What the templates and bulk jobs API tests share: a template made through the service, and a
client holding a key with given roles."""

from rest_framework.test import APIClient

from tenancy import services
from tenancy.entra_roles import HELPDESK_ADMINISTRATOR

READER = "88d8e3e3-8f55-4a1e-953a-9b9898b8876b"  # Directory Readers


def make_template(partner, agent, *, name="Helpdesk tier", roles=(READER, HELPDESK_ADMINISTRATOR)):
    """A template of `partner` made by its Admin agent `agent` (version 1, 365 days)."""
    return services.template_create(
        partner=partner,
        created_by=agent,
        content=services.TemplateContent(name=name, roles=list(roles), duration_days=365),
    )


def client_holding(key: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    return client


def client_of(global_admin, *roles, name="Automation") -> APIClient:
    """A client holding the key of a new app of that Global admin's partner."""
    registered = services.app_register(
        membership=global_admin.membership, name=name, roles=list(roles)
    )
    return client_holding(registered.key)
