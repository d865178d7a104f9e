"""Customers workspace → New relationship: the form that makes a reseller relationship request."""

import html
from urllib.parse import parse_qs, urlsplit

import pytest

from tenancy import services
from tenancy.models import AuditAction, AuditEvent, Invitation, Role
from tests.factories import member
from tests.partner_center.conftest import url

pytestmark = pytest.mark.django_db

NEW = url("new-relationship")


def checkbox(page: str) -> str:
    """The include_admin <input> tag as rendered."""
    start = page.index('name="include_admin"')
    return page[page.rindex("<input", 0, start) : page.index(">", start) + 1]


def test_a_sales_agent_gets_the_email_and_link(client_for, sales_agent, partner_a):
    client = client_for(sales_agent)
    form = client.get(NEW).content.decode()
    assert "Include delegated administration permissions" in form
    assert "checked" in checkbox(form) and "disabled" not in checkbox(form)

    response = client.post(
        NEW, {"include_admin": "on", "label": "Northwind", "recipient_email": ""}, follow=True
    )
    invitation = Invitation.objects.get()
    assert response.redirect_chain == [(url("request-detail", invitation.pk), 302)]
    assert (invitation.partner, invitation.created_by) == (partner_a, sales_agent)
    assert invitation.include_admin and invitation.label == "Northwind"

    page = html.unescape(response.content.decode())
    email = services.request_email(invitation)
    assert email.subject in page and email.text.strip() in page
    link = invitation.link()
    token = parse_qs(urlsplit(link).query)["token"][0]
    assert services.invitation_find(token) == invitation
    assert f">{link}</textarea>" in page
    for label in ("Copy to clipboard", "Open in email", "Done"):
        assert label in page
    assert "Send</button>" not in page  # no recipient was given


def test_a_helpdesk_agent_gets_403_and_sees_no_new_relationship_button(client_for, helpdesk_agent):
    client = client_for(helpdesk_agent)
    for response in (client.get(NEW), client.post(NEW, {"include_admin": "on"})):
        assert response.status_code == 403
        assert b"Only Admin agents and Sales agents can request a reseller relationship" in (
            response.content
        )
    assert not Invitation.objects.exists()
    customers = client.get(url("customer-list"))
    assert customers.status_code == 200
    assert b"New relationship" not in customers.content


def test_an_admin_agent_may_leave_admin_permissions_out(client_for, admin_agent):
    response = client_for(admin_agent).post(NEW, {"label": "reseller only"})
    assert response.status_code == 302
    invitation = Invitation.objects.get()
    assert not invitation.include_admin
    assert "DAP=false" in invitation.link()


@pytest.mark.parametrize("who", ["partner_global_admin", "customer_admin"])
def test_global_admins_and_customers_get_403(client_for, who, request):
    assert client_for(request.getfixturevalue(who)).post(NEW, {}).status_code == 403
    assert not Invitation.objects.exists()


def test_a_forged_post_from_a_us_government_partner_still_includes_admin_permissions(
    client_for, gov_partner
):
    client = client_for(member(gov_partner, Role.SALES_AGENT))
    form = client.get(NEW).content.decode()
    assert "checked" in checkbox(form) and "disabled" in checkbox(form)
    assert "Always included for partners in Microsoft Cloud for US Government" in form
    assert "every reseller relationship request also asks for delegated administration" in form
    for forged in ({"label": "no box"}, {"label": "false", "include_admin": "false"}):
        assert client.post(NEW, forged).status_code == 302
    assert list(Invitation.objects.values_list("include_admin", flat=True)) == [True, True]
    link = Invitation.objects.first().link()
    assert "DAP=true" in link and "/office-admin/" in link


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"label": "x" * 201}, "label"),
        ({"label": "two\nlines"}, "label"),
        ({"recipient_email": "not an email"}, "recipient_email"),
        ({"recipient_email": "a@" + "b" * 260 + ".example"}, "recipient_email"),
        ({"recipient_email": ["a@b.example", "c@d.example"], "label": ["x", "y" * 300]}, "label"),
    ],
)
def test_bad_input_gives_field_errors_and_creates_nothing(client_for, sales_agent, data, field):
    response = client_for(sales_agent).post(NEW, data)
    assert response.status_code == 400
    assert f'id="id_{field}_error"' in response.content.decode()
    assert not Invitation.objects.exists()


def test_a_blank_form_makes_a_request_with_nothing_optional(client_for, sales_agent):
    assert client_for(sales_agent).post(NEW, {}).status_code == 302
    invitation = Invitation.objects.get()
    assert (invitation.label, invitation.recipient_email) == ("", "")


def test_unicode_labels_are_kept_as_typed(client_for, sales_agent):
    client_for(sales_agent).post(NEW, {"label": "Café Zoë — 東京"})
    assert Invitation.objects.get().label == "Café Zoë — 東京"


def test_csrf_is_enforced(csrf_client, sales_agent):
    assert csrf_client(sales_agent).post(NEW, {"label": "x"}).status_code == 403
    assert not Invitation.objects.exists()


def test_it_is_audited(client_for, sales_agent):
    client_for(sales_agent).post(NEW, {"label": "x"})
    event = AuditEvent.objects.get(action=AuditAction.INVITATION_CREATED)
    assert (event.actor, event.invitation) == (sales_agent, Invitation.objects.get())


def test_it_rejects_other_methods(client_for, sales_agent):
    assert client_for(sales_agent).put(NEW).status_code == 405
