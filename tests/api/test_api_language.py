"""The API's error descriptions follow Accept-Language; codes and fields never change."""

import pytest
from rest_framework.test import APIClient

pytestmark = pytest.mark.django_db


def test_an_error_description_is_in_the_callers_language_and_its_code_is_not(app_key):
    english = APIClient().get("/v1/customers").json()
    client = APIClient()
    descriptions = {}
    for language in ("fr", "de", "es", "ja", "hi"):
        answer = client.get("/v1/customers", HTTP_ACCEPT_LANGUAGE=language)
        assert answer.status_code == 401
        assert answer["Content-Language"] == language
        body = answer.json()
        assert body["code"] == english["code"] == "unauthorized"
        assert body["description"] != english["description"]
        descriptions[language] = body["description"]
    assert len(set(descriptions.values())) == 5


def test_a_field_error_keeps_its_field_name(app_key):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {app_key()}")
    answer = client.get("/v1/customers?size=abc", HTTP_ACCEPT_LANGUAGE="ja")
    english = client.get("/v1/customers?size=abc")
    assert answer.status_code == english.status_code == 400
    assert answer.json()["field"] == english.json()["field"] == "size"
    assert answer.json()["description"] != english.json()["description"]


def test_a_request_link_is_written_in_the_language_asked(app_key):
    from tenancy.models import Invitation

    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {app_key()}")
    assert client.get("/v1/customers/relationshiprequests?language=ja").status_code == 200
    assert client.get("/v1/customers/relationshiprequests").status_code == 200
    refused = client.get("/v1/customers/relationshiprequests?language=pt")
    assert refused.status_code == 400
    assert refused.json()["field"] == "language"
    assert sorted(Invitation.objects.values_list("language", flat=True)) == ["en", "ja"]
