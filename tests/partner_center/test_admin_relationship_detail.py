"""An admin relationship's page in Partner Center: only one's own; its email and link while it
waits for approval, finalize, send and withdraw; its facts once active, terminate; and what the
page costs."""

import html
from urllib.parse import unquote

import pytest
from django.core import mail

from tenancy import services
from tenancy.choices import AdminRelationshipStatus
from tenancy.models import (
    GLOBAL_ADMINISTRATOR,
    HELPDESK_ADMINISTRATOR,
    LICENSE_ADMINISTRATOR,
    AdminRelationship,
    AuditAction,
    SecurityGroup,
)
from tests.factories import SecurityGroupFactory
from tests.partner_center.admin_relationship_fixtures import (
    NEW,
    VALID,
    audited,
    page_of,
    panel_link,
)

# Fixtures, which pytest finds by name in the module ("x as x": the import is used).
from tests.partner_center.admin_relationship_fixtures import active as active
from tests.partner_center.admin_relationship_fixtures import assignment as assignment
from tests.partner_center.admin_relationship_fixtures import group as group
from tests.partner_center.admin_relationship_fixtures import of_b as of_b
from tests.partner_center.admin_relationship_fixtures import pending as pending
from tests.partner_center.conftest import SIGNED_IN_QUERIES, url

pytestmark = pytest.mark.django_db

# --- Only one's own -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "name"),
    [
        ("get", "admin-relationship-detail"),
        ("get", "admin-relationship-withdraw"),
        ("post", "admin-relationship-withdraw"),
        ("get", "admin-relationship-terminate"),
        ("post", "admin-relationship-terminate"),
        ("post", "admin-relationship-finalize"),
        ("post", "admin-relationship-send"),
        ("get", "access-assignment-new"),
        ("post", "access-assignment-new"),
    ],
)
def test_another_partners_relationship_is_a_404(client_for, admin_agent, of_b, method, name):
    response = getattr(client_for(admin_agent), method)(url(name, of_b.pk))
    assert response.status_code == 404
    assert "Litware" not in page_of(response)
    of_b.refresh_from_db()
    assert of_b.status == AdminRelationshipStatus.ACTIVE


# --- The happy path -----------------------------------------------------------------------


def test_request_finalize_share_and_send(
    client_for, admin_agent, partner_a, django_capture_on_commit_callbacks
):
    client = client_for(admin_agent)
    response = client.post(NEW, VALID, follow=True)
    relationship = AdminRelationship.objects.get()
    assert response.redirect_chain == [(url("admin-relationship-detail", relationship.pk), 302)]
    assert relationship.status == AdminRelationshipStatus.APPROVAL_PENDING
    assert relationship.name == "Northwind helpdesk" and relationship.duration_days == 730
    assert relationship.auto_extend and relationship.customer is None
    assert sorted(relationship.roles) == sorted([HELPDESK_ADMINISTRATOR, LICENSE_ADMINISTRATOR])
    assert relationship.created_by == admin_agent == relationship.finalized_by
    page = page_of(response)
    assert "The request is finalized." in page
    link = panel_link(response)
    assert "granularAdminRelationships" in link and link == relationship.link()
    email = services.request_email(relationship)
    assert html.escape(email.subject) in page
    assert "Copy to clipboard" in page and "Open in email" in page
    assert '<label for="id_to">Email address</label>' in page
    assert "Withdraw request" in page
    mailto = html.unescape(page.split('href="mailto:')[1].split('"')[0])
    fields = dict(part.split("=", 1) for part in mailto.partition("?")[2].split("&"))
    assert unquote(fields["subject"]) == email.subject
    assert unquote(fields["body"]) == email.text
    assert audited(AuditAction.ADMIN_CREATED) == audited(AuditAction.ADMIN_FINALIZED) == 1

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = client.post(
            url("admin-relationship-send", relationship.pk),
            {"to": "it@northwind.example"},
            follow=True,
        )
    assert len(callbacks) == 1
    assert "Sent to it@northwind.example." in page_of(response)
    [message] = mail.outbox
    assert message.to == ["it@northwind.example"]
    assert message.reply_to == [admin_agent.email]
    assert message.subject == email.subject
    assert link in message.body and "granularAdminRelationships" in message.body
    assert audited(AuditAction.ADMIN_SENT) == 1


def test_the_email_says_who_asks_for_what_for_how_long_and_who_approves(
    partner_a, admin_agent, customer, reseller
):
    relationship = services.admin_relationship_create(
        partner=partner_a,
        created_by=admin_agent,
        request=services.AdminRequest(
            name="Everything",
            duration_days=30,
            roles=[GLOBAL_ADMINISTRATOR, HELPDESK_ADMINISTRATOR],
        ),
        customer=customer,
        finalize=True,
    )
    email = services.request_email(relationship)
    assert email.subject == "Contoso Partners asks for admin roles in your organization"
    for text in (email.text, html.unescape(email.html)):
        assert "Contoso Partners" in text and "United States" in text
        assert f"PartnerID {partner_a.mpn_id}" in text
        assert "Helpdesk Administrator: Reset the passwords" in text.replace("</strong>", "")
        assert "Global Administrator" in text and "full control" in text
        assert "For 30 days from your approval" in text
        assert "not extended automatically" in text
        assert (
            "a Global administrator or a Delegated Admin Relationship Administrator of your "
            "organization" in text
        )
        assert "Microsoft 365 admin center" in text
        assert relationship.link() in text
    assert email.text.index("Helpdesk Administrator") < email.text.index("Global Administrator:")


def test_an_auto_extending_request_says_so(partner_a, admin_agent):
    relationship = services.admin_relationship_create(
        partner=partner_a,
        created_by=admin_agent,
        request=services.AdminRequest(
            name="Auto", duration_days=730, roles=[HELPDESK_ADMINISTRATOR], auto_extend=True
        ),
        finalize=True,
    )
    assert "extended automatically by 180 days" in services.request_email(relationship).text


def test_send_needs_a_valid_address(
    client_for, admin_agent, pending, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(admin_agent).post(
            url("admin-relationship-send", pending.pk), {"to": "not an address"}
        )
    assert response.status_code == 400
    assert "Enter a valid email address." in page_of(response)
    assert "granularAdminRelationships" in panel_link(response)
    assert mail.outbox == []
    assert audited(AuditAction.ADMIN_SENT) == 0


def test_a_withdrawn_request_is_not_sent(
    client_for, admin_agent, pending, django_capture_on_commit_callbacks
):
    services.admin_relationship_withdraw(relationship=pending, withdrawn_by=admin_agent)
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(admin_agent).post(
            url("admin-relationship-send", pending.pk), {"to": "it@northwind.example"}, follow=True
        )
    assert "Only a request waiting for approval can be sent." in page_of(response)
    assert mail.outbox == []


def test_withdraw_asks_first_then_the_link_is_gone(client_for, admin_agent, pending):
    client = client_for(admin_agent)
    confirm = client.get(url("admin-relationship-withdraw", pending.pk))
    assert "Withdraw this request?" in page_of(confirm)
    assert "Withdraw request</button>" in page_of(confirm)
    pending.refresh_from_db()
    assert pending.status == AdminRelationshipStatus.APPROVAL_PENDING
    response = client.post(url("admin-relationship-withdraw", pending.pk), follow=True)
    page = page_of(response)
    assert "The request was withdrawn. Its link no longer works." in page
    assert ">Withdrawn</span>" in page and 'id="request-link"' not in page
    pending.refresh_from_db()
    assert pending.status == AdminRelationshipStatus.WITHDRAWN and pending.closed_by == admin_agent
    assert audited(AuditAction.ADMIN_WITHDRAWN) == 1


def test_an_active_relationship_cannot_be_withdrawn(client_for, admin_agent, active):
    client = client_for(admin_agent)
    confirm = page_of(client.get(url("admin-relationship-withdraw", active.pk)))
    assert "there is no request to withdraw" in confirm
    assert "Withdraw request</button>" not in confirm
    response = client.post(url("admin-relationship-withdraw", active.pk), follow=True)
    assert "This admin relationship is already active." in page_of(response)
    active.refresh_from_db()
    assert active.status == AdminRelationshipStatus.ACTIVE


def test_a_draft_offers_finalize(client_for, admin_agent, partner_a):
    draft = services.admin_relationship_create(
        partner=partner_a,
        created_by=admin_agent,
        request=services.AdminRequest(
            name="Draft", duration_days=10, roles=[HELPDESK_ADMINISTRATOR]
        ),
    )
    client = client_for(admin_agent)
    page = page_of(client.get(url("admin-relationship-detail", draft.pk)))
    assert f'action="{url("admin-relationship-finalize", draft.pk)}"' in page
    assert "Finalize request</button>" in page and 'id="request-link"' not in page
    response = client.post(url("admin-relationship-finalize", draft.pk), follow=True)
    assert "granularAdminRelationships" in panel_link(response)
    draft.refresh_from_db()
    assert (
        draft.status == AdminRelationshipStatus.APPROVAL_PENDING
        and draft.finalized_by == admin_agent
    )
    assert audited(AuditAction.ADMIN_FINALIZED) == 1
    again = client.post(url("admin-relationship-finalize", draft.pk), follow=True)
    assert html.escape("This request is waiting for the customer's approval.") in page_of(again)
    assert audited(AuditAction.ADMIN_FINALIZED) == 1


def test_an_active_relationship_shows_its_facts(client_for, sales_agent, active, customer_admin):
    AdminRelationship.objects.filter(pk=active.pk).update(approved_by=customer_admin)
    page = page_of(client_for(sales_agent).get(url("admin-relationship-detail", active.pk)))
    assert "Northwind Traders (northwindtraders.onmicrosoft.com)" in page
    assert "90 days" in page
    assert f"by {customer_admin.username}" in page
    assert f"{active.days_left()} days left" in page
    for role in active.role_infos:
        assert f"<strong>{role.name}</strong>: {html.escape(role.meaning)}" in page
    assert "No security group has roles through this relationship yet." in page


def test_terminate_asks_first_then_ends_it_and_its_assignments(
    client_for, admin_agent, active, assignment, customer_admin, django_capture_on_commit_callbacks
):
    client = client_for(admin_agent)
    confirm = page_of(client.get(url("admin-relationship-terminate", active.pk)))
    assert "Terminate this admin relationship?" in confirm
    assert "the 1 security group given them loses them" in confirm
    assert "Terminate relationship</button>" in confirm
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url("admin-relationship-terminate", active.pk), follow=True)
    page = page_of(response)
    assert "was terminated" in page and ">Terminated</span>" in page
    assert "Add security group" not in page and "Terminate relationship" not in page
    active.refresh_from_db()
    assert (
        active.status == AdminRelationshipStatus.TERMINATED
        and active.closed_by_tenant == active.partner
    )
    assignment.refresh_from_db()
    assert assignment.removed_at is not None
    assert audited(AuditAction.ADMIN_TERMINATED) == 1
    [message] = mail.outbox  # the customer's Global administrator is told
    assert message.to == [customer_admin.email]


def test_a_pending_request_cannot_be_terminated(client_for, admin_agent, pending):
    client = client_for(admin_agent)
    assert "there is nothing to terminate" in page_of(
        client.get(url("admin-relationship-terminate", pending.pk))
    )
    response = client.post(url("admin-relationship-terminate", pending.pk), follow=True)
    assert "waiting for the customer" in html.unescape(page_of(response))
    pending.refresh_from_db()
    assert pending.status == AdminRelationshipStatus.APPROVAL_PENDING
    assert audited(AuditAction.ADMIN_TERMINATED) == 0


# --- What a page costs --------------------------------------------------------------------


def test_a_pending_requests_page_costs_the_same_as_any(
    client_for, sales_agent, pending, django_assert_num_queries
):
    client = client_for(sales_agent)
    # The relationship with its customer and people; the partner is the member's own tenant.
    with django_assert_num_queries(SIGNED_IN_QUERIES + 1):
        response = client.get(url("admin-relationship-detail", pending.pk))
    assert "granularAdminRelationships" in panel_link(response)


def test_an_active_relationships_page_costs_the_same_whatever_its_assignments(
    client_for, admin_agent, active, django_assert_num_queries
):
    client = client_for(admin_agent)
    detail = url("admin-relationship-detail", active.pk)

    def assign(n):
        for _ in range(n):
            services.access_assignment_create(
                relationship=active,
                group=SecurityGroupFactory(partner=active.partner),
                roles=[HELPDESK_ADMINISTRATOR],
                created_by=admin_agent,
            )

    # The relationship, then its assignments with their groups.
    queries = SIGNED_IN_QUERIES + 2
    assign(2)
    with django_assert_num_queries(queries):
        assert len(client.get(detail).context["assignments"]) == 2
    assign(28)
    with django_assert_num_queries(queries):
        page = page_of(client.get(detail))
    assert page.count(">Remove<") == 30
    assert SecurityGroup.objects.count() == 30
