"""Which language a page speaks: the member's choice, else the language cookie, else the
browser's Accept-Language; the operators' console always English."""

import datetime

import pytest
from django.urls import reverse
from django.utils import translation

from tenancy import text
from tenancy.models import Membership
from tests.operators import sign_in_operator

pytestmark = pytest.mark.django_db

CUSTOMERS = "/partner-center/customers/"


def language_of(response) -> str:
    return response["Content-Language"]


def test_the_browser_s_language_is_the_default(client):
    assert (
        language_of(client.get(reverse("sign-in"), HTTP_ACCEPT_LANGUAGE="de-DE,de;q=0.9")) == "de"
    )
    assert language_of(client.get(reverse("sign-in"), HTTP_ACCEPT_LANGUAGE="pt-BR")) == "en"


def test_the_picker_remembers_the_choice_on_the_member(client_for, sales_agent):
    client = client_for(sales_agent)
    response = client.post(reverse("set-language"), {"language": "ja", "next": CUSTOMERS})
    assert response.status_code == 302
    assert response["Location"] == CUSTOMERS
    assert Membership.objects.get(user=sales_agent).language == "ja"
    # It wins over the browser, and follows the member to another browser (no cookie there).
    assert language_of(client.get(CUSTOMERS, HTTP_ACCEPT_LANGUAGE="fr")) == "ja"
    other_browser = client_for(sales_agent)
    other_browser.cookies.clear()
    other_browser.force_login(sales_agent)
    assert language_of(other_browser.get(CUSTOMERS, HTTP_ACCEPT_LANGUAGE="fr")) == "ja"


def test_signed_out_the_choice_is_kept_in_the_cookie(client):
    client.post(reverse("set-language"), {"language": "hi", "next": "/sign-in/"})
    assert language_of(client.get(reverse("sign-in"), HTTP_ACCEPT_LANGUAGE="en")) == "hi"


@pytest.mark.parametrize("language", ["xx", "", "fr<script>", "en-US-x-evil"])
def test_an_unknown_language_changes_nothing(client_for, sales_agent, language):
    response = client_for(sales_agent).post(
        reverse("set-language"), {"language": language, "next": CUSTOMERS}
    )
    assert response.status_code == 302
    assert Membership.objects.get(user=sales_agent).language == ""


def test_the_picker_never_sends_to_another_site(client_for, sales_agent):
    for target in ("https://evil.example/", "//evil.example/x", "javascript:alert(1)"):
        response = client_for(sales_agent).post(
            reverse("set-language"), {"language": "fr", "next": target}
        )
        assert response["Location"] == "/"


def test_the_picker_only_takes_posts(client_for, sales_agent):
    assert client_for(sales_agent).get(reverse("set-language")).status_code == 405


def test_the_operators_console_stays_english(client, django_user_model):
    operator = django_user_model.objects.create_superuser("operator", password="x")
    sign_in_operator(client, operator)
    response = client.get(reverse("admin:index"), HTTP_ACCEPT_LANGUAGE="fr")
    assert response.status_code == 200
    assert language_of(response) == "en"


def test_dates_numbers_and_country_names_follow_the_language():
    moment = datetime.datetime(2027, 3, 4, 14, 5, tzinfo=datetime.UTC)
    expected = {
        "en": ("March 4, 2027", "Germany", "1,000"),
        "fr": ("4 mars 2027", "Allemagne", "1\u202f000"),
        "de": ("4. März 2027", "Deutschland", "1.000"),
        "es": ("4 de marzo de 2027", "Alemania", "1.000"),
        "ja": ("2027年3月4日", "ドイツ", "1,000"),
        "hi": ("4 मार्च 2027", "जर्मनी", "1,000"),
    }
    for language, (day, germany, thousand) in expected.items():
        with translation.override(language):
            assert (text.day(moment), text.country_name("DE"), text.number(1000)) == (
                day,
                germany,
                thousand,
            ), language
