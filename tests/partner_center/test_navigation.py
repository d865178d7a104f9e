"""Partner Center's left navigation: "Customers" opens the Customers workspace (its Customer
list), as in Partner Center, and exactly one entry is the current page."""

import re

import pytest
from pytest_django.asserts import assertContains

from tests.partner_center.conftest import url

pytestmark = pytest.mark.django_db

LIST = url("customer-list")


def current_entries(response) -> list[str]:
    """The names of the navigation's links marked as the current page."""
    nav = re.search(r'<nav class="sidenav".*?</nav>', response.content.decode(), re.S).group(0)
    return re.findall(r'aria-current="page"[^>]*>([^<]+)</a>', nav)


def test_customers_is_a_link_to_the_customer_list(client_for, sales_agent):
    response = client_for(sales_agent).get(url("request-list"))
    assertContains(response, f'<h2><a href="{LIST}">Customers</a></h2>', html=True)
    # The Customer list entry stays under it.
    assertContains(response, f'<a href="{LIST}">Customer list</a>', html=True)


def test_on_the_customer_list_only_its_own_entry_is_current(client_for, sales_agent):
    response = client_for(sales_agent).get(LIST)
    assert current_entries(response) == ["Customer list"]


def test_on_relationship_requests_only_that_entry_is_current(client_for, sales_agent):
    response = client_for(sales_agent).get(url("request-list"))
    assert current_entries(response) == ["Relationship requests"]


def test_customers_is_a_link_in_every_language(client_for, sales_agent):
    client = client_for(sales_agent)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "fr"
    response = client.get(url("request-list"))
    assertContains(response, f'<h2><a href="{LIST}">Clients</a></h2>', html=True)
