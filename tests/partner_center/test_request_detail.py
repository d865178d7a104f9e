"""A request's page: the request panel (email, link, Copy, Open in email, Send, Done) while the
request can be answered, its status once it can't."""

import html
import re
from datetime import timedelta
from urllib.parse import parse_qs, unquote, urlsplit

import pytest
from django.utils import timezone

from tenancy import services
from tenancy.models import Cloud, Invitation, Role
from tests.factories import CustomerFactory, member
from tests.partner_center.conftest import url

pytestmark = pytest.mark.django_db


def panel_link(response) -> str:
    """The link as a person reads it from the panel's text box."""
    page = response.content.decode()
    start = page.index('id="request-link"')
    text = page[page.index(">", start) + 1 : page.index("</textarea>", start)]
    return html.unescape(text).strip()


def test_it_shows_the_email_and_the_link_in_a_labelled_readonly_box(
    client_for, sales_agent, request_of_a
):
    response = client_for(sales_agent).get(url("request-detail", request_of_a.pk))
    page = response.content.decode()
    assert '<label for="request-link">Link to the request</label>' in page
    box = page[page.index("<textarea") : page.index(">", page.index("<textarea"))]
    assert 'id="request-link"' in box and "readonly" in box and "disabled" not in box
    assert panel_link(response) == request_of_a.link()
    email = services.request_email(request_of_a)
    assert html.escape(email.subject) in page
    assert "Open in email" in page and "Done" in page


def test_copy_to_clipboard_is_hidden_until_the_script_shows_it(
    client_for, sales_agent, request_of_a
):
    page = client_for(sales_agent).get(url("request-detail", request_of_a.pk)).content.decode()
    button = page[page.rindex("<button", 0, page.index("Copy to clipboard")) :]
    assert button.split(">")[0].endswith("hidden")
    scripts = re.findall(r"<script[^>]*>(.*?)</script>", page, flags=re.S)
    assert scripts == [""]  # one script, from a file: the CSP allows no inline code
    assert "onclick" not in page


def test_open_in_email_carries_subject_body_and_recipient(client_for, sales_agent, request_of_a):
    response = client_for(sales_agent).get(url("request-detail", request_of_a.pk))
    mailto = html.unescape(response.content.decode().split('href="mailto:')[1].split('"')[0])
    recipient, _, query = mailto.partition("?")
    assert recipient == "it@northwind.example"
    fields = dict(part.split("=", 1) for part in query.split("&"))
    email = services.request_email(request_of_a)
    assert unquote(fields["subject"]) == email.subject
    assert unquote(fields["body"]) == email.text
    assert "&" not in fields["body"] and "\n" not in fields["body"]


def test_without_a_recipient_open_in_email_leaves_the_address_empty_and_there_is_no_send(
    client_for, sales_agent, partner_a
):
    invitation = services.invitation_create(
        partner=partner_a, created_by=sales_agent, include_admin=False
    )
    page = client_for(sales_agent).get(url("request-detail", invitation.pk)).content.decode()
    assert 'href="mailto:?subject=' in page
    assert url("request-send", invitation.pk) not in page


def test_with_a_recipient_there_is_a_send_button(client_for, sales_agent, request_of_a):
    page = client_for(sales_agent).get(url("request-detail", request_of_a.pk)).content.decode()
    assert f'action="{url("request-send", request_of_a.pk)}"' in page
    assert "Send</button>" in page


def test_an_opened_request_still_shows_its_link(
    client_for, sales_agent, request_of_a, customer_admin
):
    services.invitation_record_open(invitation=request_of_a, membership=customer_admin.membership)
    response = client_for(sales_agent).get(url("request-detail", request_of_a.pk))
    assert b"Opened" in response.content
    assert panel_link(response) == request_of_a.link()


@pytest.mark.parametrize("ending", ["revoked", "expired", "declined"])
def test_a_request_that_cannot_be_answered_shows_its_status_and_no_link(
    client_for, sales_agent, request_of_a, customer_admin, ending
):
    if ending == "revoked":
        services.invitation_revoke(invitation=request_of_a, revoked_by=sales_agent)
    elif ending == "expired":
        Invitation.objects.filter(pk=request_of_a.pk).update(
            expires_at=timezone.now() - timedelta(seconds=1)
        )
    else:
        services.invitation_decline(
            invitation_id=request_of_a.pk, user=customer_admin, portal_cloud=Cloud.PUBLIC
        )
    page = client_for(sales_agent).get(url("request-detail", request_of_a.pk)).content
    assert b'id="request-link"' not in page and b"mailto:" not in page
    assert request_of_a.token().encode() not in page
    assert f'class="badge {ending}"'.encode() in page
    assert b"can no longer be answered" in page


def test_it_is_never_cached(client_for, sales_agent, request_of_a):
    response = client_for(sales_agent).get(url("request-detail", request_of_a.pk))
    assert "no-store" in response["Cache-Control"]


def test_another_partners_request_is_a_404(client_for, sales_agent, request_of_b):
    response = client_for(sales_agent).get(url("request-detail", request_of_b.pk))
    assert response.status_code == 404
    assert request_of_b.token().encode() not in response.content


def test_an_unknown_request_is_a_404(client_for, sales_agent):
    missing = "00000000-0000-0000-0000-000000000000"
    assert client_for(sales_agent).get(url("request-detail", missing)).status_code == 404


def test_a_helpdesk_agent_gets_403(client_for, helpdesk_agent, request_of_a):
    response = client_for(helpdesk_agent).get(url("request-detail", request_of_a.pk))
    assert response.status_code == 403
    assert request_of_a.token().encode() not in response.content


def test_it_rejects_post(client_for, sales_agent, request_of_a):
    assert client_for(sales_agent).post(url("request-detail", request_of_a.pk)).status_code == 405


def test_a_customer_of_another_market_still_cannot_use_the_link(request_of_a):
    """The panel's link is for the partner's market: a Canadian organization is refused."""
    canadian = member(CustomerFactory(country_id="CA"), Role.CUSTOMER_GLOBAL_ADMIN)
    refusal = services.RESELLER_REQUESTS.refusal(
        request=request_of_a, membership=canadian.membership, portal_cloud=Cloud.PUBLIC
    )
    assert refusal.code == "market"


class TestKeyRotation:
    def test_the_same_link_is_shown_again_after_a_rotation_with_fallbacks(
        self, client_for, sales_agent, request_of_a, settings
    ):
        before = request_of_a.link()
        settings.SECRET_KEY_FALLBACKS = [settings.SECRET_KEY]
        settings.SECRET_KEY = "a rotated secret key, long enough for the tests only"
        response = client_for(sales_agent).get(url("request-detail", request_of_a.pk))
        assert panel_link(response) == before
        token = parse_qs(urlsplit(before).query)["token"][0]
        assert services.invitation_find(token) == request_of_a

    def test_once_the_old_key_is_retired_the_panel_says_so(
        self, client_for, sales_agent, request_of_a, settings
    ):
        token = request_of_a.token()
        settings.SECRET_KEY = "a rotated secret key, long enough for the tests only"
        settings.SECRET_KEY_FALLBACKS = []
        response = client_for(sales_agent).get(url("request-detail", request_of_a.pk))
        assert response.status_code == 200
        assert b"can no longer be shown" in response.content
        assert b'id="request-link"' not in response.content
        assert services.invitation_find(token) is None
