"""While the database is away (restarting, failing over), a request answers 503 with
Retry-After, on the pages and in the API's shape: the client may send it again as it is."""

import pytest
from django.db import OperationalError
from django.test import Client
from django.urls import reverse

from tenancy.models import Membership, PartnerApp, Role
from tenancy.web.auth_backend import MemberBackend
from tests.factories import member

pytestmark = pytest.mark.django_db


@pytest.fixture
def database_away(monkeypatch):
    """The next read of a membership finds no database (a page reads it with the user, the API
    with the app's key)."""

    def refuse(*args, **kwargs):
        raise OperationalError("connection to server at 127.0.0.1, port 5432 failed")

    def away():
        monkeypatch.setattr(type(Membership.objects), "of_user", refuse)
        monkeypatch.setattr(MemberBackend, "get_user", refuse)
        # An app's key is read with its membership.
        monkeypatch.setattr(type(PartnerApp.objects), "get_from_key", refuse)

    return away


def test_a_page_answers_503_with_retry_after(partner_a, database_away):
    client = Client(raise_request_exception=False)
    client.force_login(member(partner_a, Role.SALES_AGENT))
    database_away()
    answer = client.get(reverse("partner_center:home"))
    assert answer.status_code == 503
    assert answer["Retry-After"] == "5"
    assert "Try again in a moment" in answer.content.decode()


def test_the_api_answers_503_in_its_shape(api, database_away):
    database_away()
    api.raise_request_exception = False
    answer = api.get("/v1/customers")
    assert answer.status_code == 503
    assert answer["Retry-After"] == "5"
    assert answer.json()["code"] == "unavailable"


def test_any_other_failure_is_still_a_500(api, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("a defect")

    monkeypatch.setattr(type(PartnerApp.objects), "get_from_key", broken)
    api.raise_request_exception = False
    answer = api.get("/v1/customers")
    assert answer.status_code == 500
    assert "Retry-After" not in answer
