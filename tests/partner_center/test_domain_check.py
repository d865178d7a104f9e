"""Add customer → the live hint: is <prefix>.onmicrosoft.com valid and free?"""

import pytest

from tests.factories import CustomerFactory
from tests.partner_center.conftest import url

pytestmark = pytest.mark.django_db

CHECK = url("domain-check")


def test_it_says_whether_a_prefix_is_free(client_for, sales_agent):
    CustomerFactory(domain="taken.onmicrosoft.com")
    client = client_for(sales_agent)
    free = client.get(CHECK, {"prefix": " FreeOne "}).json()
    assert free == {
        "valid": True,
        "available": True,
        "domain": "freeone.onmicrosoft.com",
        "message": "freeone.onmicrosoft.com is available.",
    }
    taken = client.get(CHECK, {"prefix": "taken"}).json()
    assert taken["available"] is False
    assert taken["message"] == "taken.onmicrosoft.com is already taken."


@pytest.mark.parametrize("prefix", ["", "-x", "a b", "ü", "x" * 64, "x" * 5000, "a.b"])
def test_it_rejects_bad_prefixes_plainly(client_for, sales_agent, prefix):
    response = client_for(sales_agent).get(CHECK, {"prefix": prefix})
    assert response.status_code == 200
    answer = response.json()
    assert answer["valid"] is False and answer["available"] is False and answer["message"]


@pytest.mark.parametrize("who", ["helpdesk_agent", "customer_admin"])
def test_it_is_for_partners_who_may_add_customers(client_for, who, request):
    CustomerFactory(domain="taken.onmicrosoft.com")
    response = client_for(request.getfixturevalue(who)).get(CHECK, {"prefix": "taken"})
    assert response.status_code == 403
    assert b"taken" not in response.content


def test_anonymous_visitors_learn_nothing(client):
    assert client.get(CHECK, {"prefix": "x"}).status_code == 302


def test_it_rejects_post(client_for, sales_agent):
    assert client_for(sales_agent).post(CHECK, {"prefix": "x"}).status_code == 405
