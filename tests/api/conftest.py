import pytest
from rest_framework.test import APIClient

from tenancy import services
from tenancy.models import Role


@pytest.fixture
def app_key(partner_global_admin):
    """`app_key(*roles)`: a new app of partner A with those roles; its key."""

    def register(*roles, name="Contoso automation"):
        registered = services.app_register(
            membership=partner_global_admin.membership,
            name=name,
            roles=list(roles or (Role.ADMIN_AGENT, Role.SALES_AGENT)),
        )
        return registered.key

    return register


@pytest.fixture
def api(app_key):
    """An API client holding a Sales + Admin agent app's key."""
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {app_key()}")
    return client


@pytest.fixture
def app_key_of(db):
    """`app_key_of(global_admin, *roles)`: a new app of that Global admin's partner (an indirect
    provider's or an indirect reseller's, say) with those roles; its key."""

    def register(global_admin, *roles, name="Automation"):
        registered = services.app_register(
            membership=global_admin.membership,
            name=name,
            roles=list(roles or (Role.ADMIN_AGENT, Role.SALES_AGENT)),
        )
        return registered.key

    return register
