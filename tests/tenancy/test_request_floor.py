"""What every signed-in page costs before its own work: the session, then the user with their
membership, its tenant, country, market and roles in one query (tenancy.web.auth_backend)."""

from unittest import mock

import pytest
from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, base_user
from django.urls import reverse

from tenancy.models import MembershipRole, Role
from tests.partner_center.conftest import SIGNED_IN_QUERIES

pytestmark = pytest.mark.django_db

MEMBER_BACKEND = "tenancy.web.auth_backend.MemberBackend"
MODEL_BACKEND = "django.contrib.auth.backends.ModelBackend"
CUSTOMER_LIST = reverse("partner_center:customer-list")


def test_the_floor_is_the_session_and_one_query_for_the_user_and_their_membership(
    client, sales_agent, password, django_assert_num_queries
):
    client.post(reverse("sign-in"), {"username": sales_agent.username, "password": password})
    assert client.session[BACKEND_SESSION_KEY] == MEMBER_BACKEND
    # Partner Center's home only sends on to the Customer list: nothing of its own.
    with django_assert_num_queries(2) as floor:
        response = client.get(reverse("partner_center:home"))
    assert response.status_code == 302
    session, user = (query["sql"] for query in floor.captured_queries)
    assert '"django_session"' in session
    assert '"auth_user"' in user
    assert '"tenancy_membership"' in user
    assert '"tenancy_membershiprole"' in user
    assert '"tenancy_market"' in user


def test_the_page_has_the_membership_with_its_tenant_market_and_roles(
    client_for, sales_agent, partner_a, django_assert_num_queries
):
    client = client_for(sales_agent)
    with django_assert_num_queries(SIGNED_IN_QUERIES + 2):
        response = client.get(CUSTOMER_LIST)
    membership = response.wsgi_request.membership
    assert membership.tenant == partner_a
    assert membership.roles == {Role.SALES_AGENT}
    with django_assert_num_queries(0):
        assert membership.tenant.country.market.code
        assert membership.roles == {Role.SALES_AGENT}
        assert response.wsgi_request.user.membership is membership


def test_a_removed_role_is_refused_on_the_very_next_request(client_for, sales_agent):
    client = client_for(sales_agent)
    assert client.get(CUSTOMER_LIST).status_code == 200
    MembershipRole.objects.filter(membership__user=sales_agent).delete()
    assert client.get(CUSTOMER_LIST).status_code == 403


def test_a_removed_membership_is_refused_on_the_very_next_request(client_for, sales_agent):
    client = client_for(sales_agent)
    assert client.get(CUSTOMER_LIST).status_code == 200
    sales_agent.membership.delete()
    assert client.get(CUSTOMER_LIST).status_code == 403


def test_an_operator_without_a_membership_still_gets_the_console(admin_client, admin_user):
    assert not hasattr(admin_user, "membership")
    response = admin_client.get(reverse("admin:index"))
    assert response.status_code == 200
    assert response.wsgi_request.membership is None
    users = admin_client.get(reverse("admin:auth_user_changelist"))
    assert users.status_code == 200


def test_a_session_signed_in_before_still_works(
    client, sales_agent, partner_a, django_assert_num_queries
):
    assert MODEL_BACKEND in settings.AUTHENTICATION_BACKENDS
    client.force_login(sales_agent, backend=MODEL_BACKEND)
    assert client.session[BACKEND_SESSION_KEY] == MODEL_BACKEND
    # As before MemberBackend: the membership costs a query of its own.
    with django_assert_num_queries(SIGNED_IN_QUERIES + 1 + 2):
        response = client.get(CUSTOMER_LIST)
    assert response.status_code == 200
    assert response.wsgi_request.membership.tenant == partner_a
    assert response.wsgi_request.membership.roles == {Role.SALES_AGENT}


def test_a_wrong_password_is_checked_once(client, sales_agent):
    checked = mock.Mock(wraps=base_user.check_password)
    with mock.patch.object(base_user, "check_password", checked):
        response = client.post(
            reverse("sign-in"), {"username": sales_agent.username, "password": "wrong"}
        )
    assert response.status_code == 200
    assert "_auth_user_id" not in client.session
    assert checked.call_count == 1
