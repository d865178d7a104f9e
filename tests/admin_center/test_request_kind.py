"""A third kind of request link, declared here in a few lines: the shared abstraction gives it
its link, the answer flow of the admin center (token traded for the session, sign-in and back,
the page, the answer, declining) and the refusals, recorded once.

The kind: a partner asks its customer to confirm it still wants it as its reseller (kept in the
reseller request table, since it needs nothing more).
"""

import pytest
from django.db import transaction
from django.urls import include, path, reverse
from django.utils import timezone

from admin_center import urls as admin_center_urls
from admin_center.views.request_pages import RequestPages
from config import urls as project_urls
from tenancy import services
from tenancy.choices import AuditAction, InvitationStatus
from tenancy.models import AuditEvent, Invitation, Role
from tenancy.rules.request_refusals import RequestFacts, Stage
from tenancy.services import RequestKind
from tests.admin_center.conftest import link_path
from tests.factories import CustomerFactory, member

pytestmark = [pytest.mark.django_db, pytest.mark.urls(__name__)]


class ConfirmationRequests(RequestKind):
    name = "confirmation"
    model = Invitation
    email_template = "invitation"
    refused_action = AuditAction.INVITATION_REFUSED
    sent_action = AuditAction.INVITATION_SENT

    def facts(self, request, now=None) -> RequestFacts:
        if request.answered_at is None:
            return RequestFacts(partner=request.partner, stage=Stage.WAITING)
        return RequestFacts(
            partner=request.partner,
            stage=Stage.ANSWERED,
            declined=request.status == InvitationStatus.DECLINED,
            answered_tenant_id=request.answered_tenant_id,
            answered_by=request.answered_by.get_username(),
            answered_at=request.answered_at,
        )


CONFIRMATIONS = ConfirmationRequests()


def answer(found, user, cloud, status):
    with transaction.atomic():
        invitation, customer = CONFIRMATIONS.lock_for_answer(found.pk, user, cloud)
        invitation.status = status
        invitation.answered_at, invitation.answered_by = timezone.now(), user
        invitation.answered_tenant = customer
        invitation.save()


class ConfirmationPages(RequestPages):
    kind = CONFIRMATIONS
    session_key = "admin_center.opened_confirmations"
    open_name, page_name = "confirmation-open", "confirmation"
    accept_name, decline_name = "confirmation-accept", "confirmation-decline"

    def context(self, request, found):
        return {"heading": f"Keep {found.partner.name}?", "lines": [], "accept_label": "Keep"}

    def decline_context(self, request, found):
        return {"heading": f"Let {found.partner.name} go?"}

    def accepted(self, request, found):
        answer(found, request.user, "public", InvitationStatus.ACCEPTED)
        return self.done(request, found, "Kept.")

    def declined(self, request, found):
        answer(found, request.user, "public", InvitationStatus.DECLINED)
        return "Let go."


PAGES = ConfirmationPages()

# The project's URLs, with the admin center's own and the new kind's in its namespace.
urlpatterns = [
    *[p for p in project_urls.urlpatterns if getattr(p, "namespace", None) != "admin_center"],
    path(
        "admin-center/",
        include(
            (
                admin_center_urls.urlpatterns
                + PAGES.urls(open_route="confirm", route="confirm/<uuid:pk>/"),
                "admin_center",
            ),
            namespace="admin_center",
        ),
    ),
]


@pytest.fixture
def confirmation(partner_a, sales_agent):
    return services.invitation_create(
        partner=partner_a, created_by=sales_agent, include_admin=False
    )


def opened(client, confirmation):
    """Open the new kind's link: the same token, on the kind's own path."""
    query = link_path(confirmation).split("?", 1)[1]
    return client.get(f"{reverse('admin_center:confirmation-open')}?{query}")


def page_url(confirmation):
    return reverse("admin_center:confirmation", args=[confirmation.pk])


def test_its_link_trades_the_token_and_its_page_asks_to_sign_in_first(client, confirmation):
    response = opened(client, confirmation)
    assert response.status_code == 302
    assert response["Location"] == page_url(confirmation)
    assert confirmation.token() not in response["Location"]
    signed_out = client.get(page_url(confirmation))
    assert signed_out["Location"].startswith(reverse("sign-in"))
    sign_in = client.get(signed_out["Location"])
    assert b"A partner has sent your organization a request." in sign_in.content


def test_a_customer_administrator_answers_it_once(client_for, confirmation, customer_admin):
    client = client_for(customer_admin)
    opened(client, confirmation)
    page = client.get(page_url(confirmation))
    assert b"Keep Contoso Partners?" in page.content
    accepted = client.post(reverse("admin_center:confirmation-accept", args=[confirmation.pk]))
    assert accepted["Location"] == reverse("admin_center:partner-relationships")
    confirmation.refresh_from_db()
    assert confirmation.status == InvitationStatus.ACCEPTED

    # Answered: the link is refused, worded as every kind's is.
    opened(client, confirmation)
    again = client.get(page_url(confirmation))
    assert again.status_code == 409
    assert b"Your organization already accepted this request" in again.content


def test_declining_asks_first(client_for, confirmation, customer_admin):
    client = client_for(customer_admin)
    opened(client, confirmation)
    decline = reverse("admin_center:confirmation-decline", args=[confirmation.pk])
    assert b"Let Contoso Partners go?" in client.get(decline).content
    client.post(decline)
    confirmation.refresh_from_db()
    assert confirmation.status == InvitationStatus.DECLINED


@pytest.mark.parametrize(
    ("who", "status", "reason"),
    [("agent", 403, "not_customer"), ("user", 403, "role"), ("unknown", 404, "unknown")],
)
def test_the_refusals_come_from_the_shared_rule_and_are_recorded_once(
    client_for, confirmation, sales_agent, customer_user, who, status, reason
):
    if who == "unknown":
        response = client_for(customer_user).get(reverse("admin_center:confirmation-open"))
        assert response.status_code == status
        return
    user = {"agent": sales_agent, "user": customer_user}[who]
    client = client_for(user)
    opened(client, confirmation)
    for _ in range(2):
        assert client.get(page_url(confirmation)).status_code == status
    [line] = AuditEvent.objects.filter(action=AuditAction.INVITATION_REFUSED)
    assert line.details["reason"] == reason


def test_a_customer_of_another_cloud_is_refused_by_the_rule_every_kind_has(
    client_for, confirmation
):
    gov_admin = member(CustomerFactory(cloud="usgov"), Role.CUSTOMER_GLOBAL_ADMIN)
    client = client_for(gov_admin)
    opened(client, confirmation)
    response = client.get(page_url(confirmation))
    assert response.status_code == 403
    assert b"This partner is in another cloud" in response.content
