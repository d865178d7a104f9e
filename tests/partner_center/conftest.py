import pytest
from django.urls import reverse

from tenancy import services


def url(name, *args):
    return reverse(f"partner_center:{name}", args=args)


@pytest.fixture
def request_of_a(partner_a, sales_agent):
    """A pending request of partner A, with a recipient."""
    return services.invitation_create(
        partner=partner_a,
        created_by=sales_agent,
        include_admin=True,
        label="Northwind Traders",
        recipient_email="it@northwind.example",
    )


@pytest.fixture
def request_of_b(partner_b, agent_b):
    return services.invitation_create(partner=partner_b, created_by=agent_b, include_admin=False)
