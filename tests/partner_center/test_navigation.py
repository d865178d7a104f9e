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


# The navigation is rendered once a process for each set of its inputs (remembered_include):
# each test below asks for pages whose navigations differ in one input, one after the other, so
# a navigation remembered under too short a key would show on the wrong page.


def entries(response) -> list[str]:
    nav = re.search(r'<nav class="sidenav".*?</nav>', response.content.decode(), re.S).group(0)
    return re.findall(r"<a [^>]*>([^<]+)</a>", nav)


def test_each_set_of_roles_has_its_own_navigation(client_for, sales_agent, partner_global_admin):
    sales = entries(client_for(sales_agent).get(LIST))
    admin = entries(client_for(partner_global_admin).get(LIST))
    assert "User management" in admin and "User management" not in sales
    assert entries(client_for(sales_agent).get(LIST)) == sales


def test_each_language_and_page_has_its_own_navigation(client_for, sales_agent):
    client = client_for(sales_agent)
    assert current_entries(client.get(LIST)) == ["Customer list"]
    assert current_entries(client.get(url("request-list"))) == ["Relationship requests"]
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "fr"
    assert "Customer list" not in entries(client.get(LIST))
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    assert current_entries(client.get(LIST)) == ["Customer list"]


def test_my_access_is_the_members_own_and_current_only_on_their_own_page(
    client_for, partner_global_admin, sales_agent
):
    client = client_for(partner_global_admin)
    own = url("agent-access", partner_global_admin.membership.pk)
    theirs = url("agent-access", sales_agent.membership.pk)
    page = client.get(own)
    assert current_entries(page) == ["My access"]
    assert f'href="{own}"' in page.content.decode()
    other = client.get(theirs)
    assert "My access" not in current_entries(other)
    # Another member's navigation links to their own access page, not this one's.
    assert f'href="{theirs}"' in client_for(sales_agent).get(LIST).content.decode()


def test_a_two_tier_partner_has_its_own_navigation(
    client_for, provider_admin, partner_global_admin
):
    assert "Indirect resellers" in entries(client_for(provider_admin).get(LIST))
    assert "Indirect resellers" not in entries(client_for(partner_global_admin).get(LIST))
