from urllib.parse import urlsplit

import pytest
from django.urls import reverse

from tenancy import services
from tenancy.models import Role
from tests.factories import CustomerFactory, member


def link_path(invitation) -> str:
    """The request's link as a path with its query string, for the test client."""
    link = urlsplit(invitation.link())
    return f"{link.path}?{link.query}"


def request_url(invitation, portal="admin_center") -> str:
    return reverse("admin_center:partner-invitation", args=[invitation.pk], current_app=portal)


def accept_url(invitation, portal="admin_center") -> str:
    return reverse("admin_center:invitation-accept", args=[invitation.pk], current_app=portal)


def decline_url(invitation, portal="admin_center") -> str:
    return reverse("admin_center:invitation-decline", args=[invitation.pk], current_app=portal)


SIGNER = {
    "first_name": "Nancy",
    "last_name": "Davolio",
    "email": "nancy@northwind.example",
    "phone": "+1 425 555 0100",
    "accept": "on",
}


@pytest.fixture
def invitation(partner_a, sales_agent):
    return services.invitation_create(
        partner=partner_a, created_by=sales_agent, include_admin=True, label="Northwind"
    )


@pytest.fixture
def reseller_only(partner_a, sales_agent):
    return services.invitation_create(
        partner=partner_a, created_by=sales_agent, include_admin=False, label="Northwind billing"
    )


@pytest.fixture
def opened(client_for):
    """`opened(user, invitation)`: a client signed in as `user` that has opened the link."""

    def open_as(user, invitation):
        client = client_for(user)
        response = client.get(link_path(invitation))
        assert response.status_code == 302, response.content
        return client

    return open_as


@pytest.fixture
def canadian_admin(db):
    canada = CustomerFactory(name="Maple Leaf Outfitters", country_id="CA")
    return member(canada, Role.CUSTOMER_GLOBAL_ADMIN)
