"""The request email's language: chosen on New relationship (and the admin relationship request),
used by the panel, Open in email and Send, whatever language the agent reads Partner Center in."""

from html import escape
from urllib.parse import quote

import pytest
from django.core import mail

from tenancy import services
from tenancy.effects.email import render_email
from tenancy.models import (
    HELPDESK_ADMINISTRATOR,
    AdminRelationship,
    AgreementAcceptance,
    Invitation,
    Role,
)
from tests.admin_center.conftest import SIGNER, accept_url, link_path
from tests.factories import CustomerFactory, ResellerRelationshipFactory, member
from tests.partner_center.conftest import url

pytestmark = pytest.mark.django_db


def subject_in(language: str, invitation: Invitation) -> str:
    """The request's email subject, were it written in `language`."""
    copy = Invitation.objects.get(pk=invitation.pk)
    copy.language = language
    return services.request_email(copy).subject


def test_a_french_agent_writes_the_email_in_german(
    client_for, sales_agent, partner_a, django_capture_on_commit_callbacks
):
    client = client_for(sales_agent)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "fr"
    form = client.get(url("new-relationship"))
    assert '<option value="fr" selected>' in form.content.decode()  # the agent's, by default

    client.post(
        url("new-relationship"),
        {"include_admin": "on", "language": "de", "recipient_email": "it@alpine.example"},
    )
    invitation = Invitation.objects.get()
    assert invitation.language == "de"
    german = services.request_email(invitation)
    assert german.subject != subject_in("en", invitation)
    assert german.subject != subject_in("fr", invitation)

    panel = client.get(url("request-detail", invitation.pk))
    page = panel.content.decode()
    assert panel["Content-Language"] == "fr"  # Partner Center stays French
    assert escape(german.subject) in page
    assert escape(subject_in("fr", invitation)) not in page
    assert quote(german.subject, safe="") in page  # Open in email

    with django_capture_on_commit_callbacks(execute=True):
        client.post(url("request-send", invitation.pk))
    [sent] = mail.outbox
    assert sent.subject == german.subject
    assert sent.body == german.text


def test_an_unknown_email_language_is_refused_and_nothing_is_made(client_for, sales_agent):
    response = client_for(sales_agent).post(url("new-relationship"), {"language": "pt"})
    assert response.status_code == 400
    assert not Invitation.objects.exists()


def test_the_admin_request_for_a_german_customer_defaults_to_german(
    client_for, admin_agent, partner_a
):
    alpine = CustomerFactory(name="Alpine Ski House GmbH", country_id="DE")
    ResellerRelationshipFactory(partner=partner_a, customer=alpine)
    page = client_for(admin_agent).get(url("admin-relationship-new") + f"?customer={alpine.pk}")
    assert '<option value="de" selected>' in page.content.decode()


def test_the_admin_request_keeps_the_chosen_language_for_its_email(admin_agent, partner_a):
    relationship = services.admin_relationship_create(
        partner=partner_a,
        created_by=admin_agent,
        request=services.AdminRequest(
            name="Helpdesk", duration_days=30, roles=[HELPDESK_ADMINISTRATOR], auto_extend=False
        ),
        finalize=True,
        language="ja",
    )
    relationship = AdminRelationship.objects.get(pk=relationship.pk)
    assert relationship.language == "ja"
    japanese = services.request_email(relationship).subject
    relationship.language = "en"
    assert japanese != services.request_email(relationship).subject


def test_the_agents_notice_is_in_the_agents_language(
    client_for, partner_a, sales_agent, customer_admin, django_capture_on_commit_callbacks
):
    sales_agent.membership.language = "es"
    sales_agent.membership.save()
    invitation = services.invitation_create(
        partner=partner_a, created_by=sales_agent, include_admin=False, language="de"
    )
    client = client_for(customer_admin)
    client.get(link_path(invitation))
    with django_capture_on_commit_callbacks(execute=True):
        client.post(accept_url(invitation), SIGNER)
    [notice] = mail.outbox
    context = {
        "invitation": invitation,
        "partner": partner_a,
        "customer": customer_admin.membership.tenant,
    }
    spanish = render_email("invitation_accepted", context, language="es")
    assert notice.subject == spanish.subject
    assert spanish.subject != render_email("invitation_accepted", context, language="en").subject


def test_the_acceptance_records_the_language_the_customer_read(
    client_for, partner_a, sales_agent, customer
):
    admin = member(customer, Role.CUSTOMER_GLOBAL_ADMIN)
    invitation = services.invitation_create(
        partner=partner_a, created_by=sales_agent, include_admin=False
    )
    client = client_for(admin)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "de-DE"
    client.get(link_path(invitation))
    assert client.post(accept_url(invitation), SIGNER).status_code == 302
    assert AgreementAcceptance.objects.get(customer=customer).language == "de"
