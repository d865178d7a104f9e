"""A Global admin resets the sign-in methods of a user who is half signed in (password given, the
second factor still to come): that user is not left on "Verify your identity" with nothing to
give. They go on as a user without a method goes on at sign-in: into their portal (signed in
with their password only), or, with MFA_REQUIRED, to Security info to set up a new method."""

import html
import re

import pytest
from django.urls import reverse

from tenancy.models import Role
from tests.factories import member
from tests.tenancy.test_mfa import authenticator_for, sign_in

pytestmark = pytest.mark.django_db

RESET_MESSAGE = (
    "Your sign-in methods were reset, so there is nothing to verify. "
    "Set up a new one in Security info."
)


@pytest.fixture(params=["partner_center", "admin_center"])
def portal(request, partner_a, customer):
    """(the user, their Global admin, the users page, where the user lands)"""
    if request.param == "partner_center":
        return (
            member(partner_a, Role.SALES_AGENT, username="kim@contosopartners.example"),
            member(partner_a, Role.GLOBAL_ADMIN, username="ga@contosopartners.example"),
            reverse("partner_center:user-list"),
            "Customer list",
        )
    return (
        member(customer, Role.CUSTOMER_USER, username="kim@northwind.example"),
        member(customer, Role.CUSTOMER_GLOBAL_ADMIN, username="ga@northwind.example"),
        reverse("admin_center:users"),
        customer.name,
    )


def half_signed_in(client, user, password):
    authenticator_for(user)
    response = sign_in(client, user, password, follow=True)
    assert "Verify your identity" in response.text
    return client


def reset_by_global_admin(client_for, admin, users_page, user):
    client = client_for(admin)
    users = client.get(users_page).text
    label = f"Reset sign-in methods for {user.username}"
    link = re.search(rf'<a href="([^"]+)" aria-label="{re.escape(label)}"', users).group(1)
    confirm = client.get(link)
    assert "Reset sign-in methods" in confirm.text
    done = client.post(link, follow=True)
    assert f"Sign-in methods reset for {user.username}" in html.unescape(done.text)


def test_the_half_signed_in_user_goes_on_into_their_portal(client, client_for, portal, password):
    user, admin, users_page, landing = portal
    half_signed_in(client, user, password)

    reset_by_global_admin(client_for, admin, users_page, user)

    response = client.get(reverse("sign-in-verify"), follow=True)
    page = html.unescape(response.text)
    assert "Verify your identity" not in page
    assert f"<h1>{landing}</h1>" in page
    assert RESET_MESSAGE in page
    # And stays in.
    again = client.get(reverse("home"), follow=True)
    assert f"<h1>{landing}</h1>" in html.unescape(again.text)


def test_a_page_opened_meanwhile_is_where_they_land(client, client_for, portal, password):
    user, admin, users_page, _ = portal
    half_signed_in(client, user, password)
    reset_by_global_admin(client_for, admin, users_page, user)

    response = client.get(reverse("security-info"), follow=True)
    assert response.redirect_chain[-1][0] == reverse("security-info")
    assert "You have no second sign-in method yet." in response.text


def test_with_mfa_required_they_set_up_a_new_method(client, client_for, portal, password, settings):
    user, admin, users_page, _ = portal
    half_signed_in(client, user, password)
    reset_by_global_admin(client_for, admin, users_page, user)
    settings.MFA_REQUIRED = True

    response = client.get(reverse("sign-in-verify"), follow=True)
    assert response.redirect_chain[-1][0].startswith(reverse("security-info"))
    assert "Your organization requires a second way to sign in." in response.text
    assert "Verify your identity" not in response.text


def test_a_user_who_still_has_a_method_still_verifies(client, portal, password):
    user, *_ = portal
    half_signed_in(client, user, password)
    response = client.get(reverse("sign-in-verify"), follow=True)
    assert "Verify your identity" in response.text
