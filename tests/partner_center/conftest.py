from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from tenancy import services
from tenancy.models import Offer
from tests.factories import AdminRelationshipFactory, CustomerFactory, ResellerRelationshipFactory
from tests.factories import make_customers as make_customers  # shared with other tests

# What every Partner Center page costs before its own work: the session, and the user with
# their membership and its roles (one query: tenancy.web.auth_backend).
SIGNED_IN_QUERIES = 2


def url(name, *args):
    return reverse(f"partner_center:{name}", args=args)


def offer(code: str) -> Offer:
    """An offer of the seeded catalog."""
    return Offer.objects.get(code=code)


@pytest.fixture
def csrf_client():
    """`csrf_client(user)`: a signed-in client that checks CSRF tokens as a browser's would."""

    def sign_in(user):
        client = Client(enforce_csrf_checks=True)
        client.force_login(user)
        return client

    return sign_in


@pytest.fixture
def book(partner_a):
    """Partner A's customers in each state (reseller whose admin relationship expired, reseller
    with an admin relationship, ended), and one customer of another partner."""
    fourth = CustomerFactory(name="Fourth Coffee", domain="fourthcoffee.onmicrosoft.com")
    ResellerRelationshipFactory(partner=partner_a, customer=fourth)
    AdminRelationshipFactory(
        partner=partner_a,
        customer=fourth,
        approved_at=timezone.now() - timedelta(days=100),
        duration_days=90,
    )
    litware = CustomerFactory(name="Litware", domain="litware.onmicrosoft.com")
    ResellerRelationshipFactory(partner=partner_a, customer=litware)
    AdminRelationshipFactory(partner=partner_a, customer=litware)
    coho = CustomerFactory(name="Coho Winery", domain="cohowinery.onmicrosoft.com")
    ResellerRelationshipFactory(partner=partner_a, customer=coho, ended_at=timezone.now())
    ResellerRelationshipFactory(customer=CustomerFactory(name="Someone Else's"))
    return {"fourth": fourth, "litware": litware, "coho": coho}


@pytest.fixture
def reseller(partner_a, customer):
    """Partner A is the customer's reseller."""
    return ResellerRelationshipFactory(partner=partner_a, customer=customer)


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
