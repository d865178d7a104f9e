"""The request's email greets the customer's administrator plainly: the label is the agent's own
note of whom the request is for, never part of the greeting."""

import html

import pytest
from django.core import mail

from tenancy import services
from tests.partner_center.conftest import url

pytestmark = pytest.mark.django_db

NOTE = "Jane at Northwind, call back Tuesday"


@pytest.fixture
def labelled(partner_a, sales_agent):
    return services.invitation_create(
        partner=partner_a,
        created_by=sales_agent,
        include_admin=True,
        label=NOTE,
        recipient_email="it@northwind.example",
    )


def test_the_shown_email_says_hello_without_the_label(client_for, sales_agent, labelled):
    response = client_for(sales_agent).get(url("request-detail", labelled.pk))
    email = response.context["email"]
    assert email.text.startswith("Hello,\n")
    assert NOTE not in email.text
    assert "<p>Hello,</p>" in email.html
    assert NOTE not in email.html


def test_the_sent_email_says_hello_without_the_label(
    client_for, sales_agent, labelled, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        client_for(sales_agent).post(url("request-send", labelled.pk))
    [message] = mail.outbox
    assert message.body.startswith("Hello,\n")
    body = message.alternatives[0].content
    assert "<p>Hello,</p>" in body
    assert NOTE not in message.body and NOTE not in body


def test_an_email_as_a_label_is_not_greeted_either(partner_a, sales_agent):
    invitation = services.invitation_create(
        partner=partner_a, created_by=sales_agent, include_admin=False, label="it@northwind.example"
    )
    assert services.request_email(invitation).text.startswith("Hello,\n")
    assert "it@northwind.example" not in services.request_email(invitation).text


def test_without_a_label_it_says_hello_too(partner_a, sales_agent):
    invitation = services.invitation_create(
        partner=partner_a, created_by=sales_agent, include_admin=False
    )
    assert services.request_email(invitation).text.startswith("Hello,\n")


def test_in_another_language_the_greeting_is_that_language_s(partner_a, sales_agent):
    invitation = services.invitation_create(
        partner=partner_a, created_by=sales_agent, include_admin=False, label=NOTE, language="fr"
    )
    email = services.request_email(invitation)
    assert email.text.startswith("Bonjour,\n")
    assert NOTE not in email.text and NOTE not in email.html


def test_new_relationship_says_the_label_stays_with_the_partner(client_for, sales_agent):
    page = html.unescape(client_for(sales_agent).get(url("new-relationship")).content.decode())
    assert "The customer sees it." not in page
    assert "The customer doesn't see it." in page
