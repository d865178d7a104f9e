"""Admin relationships (GDAP) in Partner Center: the list, Request admin relationship, a
relationship's page (its email and link while it waits for approval, its security groups once
active), finalize, send, withdraw, terminate, and the roles each security group holds."""

import html
import uuid
from datetime import timedelta
from urllib.parse import unquote

import pytest
from django.core import mail
from django.utils import timezone

from tenancy import services
from tenancy.models import (
    BILLING_ADMINISTRATOR,
    DEFAULT_ROLES,
    ENTRA_ROLES,
    GLOBAL_ADMINISTRATOR,
    HELPDESK_ADMINISTRATOR,
    LICENSE_ADMINISTRATOR,
    ROLE_GROUPS,
    AccessAssignment,
    AdminRelationship,
    AdminRelationshipStatus,
    AuditAction,
    AuditEvent,
    Role,
    SecurityGroup,
)
from tests.factories import (
    AdminRelationshipFactory,
    CustomerFactory,
    ResellerRelationshipFactory,
    SecurityGroupFactory,
    member,
)
from tests.partner_center.conftest import SIGNED_IN_QUERIES, url

pytestmark = pytest.mark.django_db

S = AdminRelationshipStatus
LIST = url("admin-relationship-list")
NEW = url("admin-relationship-new")
USER_ADMINISTRATOR = "fe930be7-5e62-47db-91af-98c3a49a38b1"
VALID = {
    "name": "Northwind helpdesk",
    "duration_days": "730",
    "roles": [HELPDESK_ADMINISTRATOR, LICENSE_ADMINISTRATOR],
    "auto_extend": "yes",
}
ONLY_ADMIN_AGENTS = (
    "Only Admin agents can request, withdraw or terminate admin relationships and give "
    "security groups their roles."
)


@pytest.fixture
def active(partner_a, customer):
    """Approved ten days ago for 90 days, with the default roles."""
    return AdminRelationshipFactory(partner=partner_a, customer=customer, name="Northwind support")


@pytest.fixture
def pending(partner_a, admin_agent):
    """Finalized, for any customer, waiting for approval."""
    return services.admin_relationship_create(
        partner=partner_a,
        created_by=admin_agent,
        request=services.AdminRequest(
            name="Helpdesk for anyone", duration_days=180, roles=[HELPDESK_ADMINISTRATOR]
        ),
        finalize=True,
    )


@pytest.fixture
def of_b(partner_b):
    return AdminRelationshipFactory(partner=partner_b, name="Litware's own")


@pytest.fixture
def group(partner_a):
    return SecurityGroupFactory(partner=partner_a, name="Helpdesk team")


@pytest.fixture
def assignment(active, group, admin_agent):
    return services.access_assignment_create(
        relationship=active, group=group, roles=[HELPDESK_ADMINISTRATOR], created_by=admin_agent
    )


def page_of(response) -> str:
    return response.content.decode()


def field_errors(response, field: str) -> list[str]:
    return list(response.context["form"].errors.get(field, []))


def audited(action) -> int:
    return AuditEvent.objects.filter(action=action).count()


def panel_link(response) -> str:
    page = page_of(response)
    start = page.index('id="request-link"')
    return html.unescape(page[page.index(">", start) + 1 : page.index("</textarea>", start)])


# --- Who may ------------------------------------------------------------------------------


def test_a_sales_agent_gets_403_with_the_message_naming_admin_agents(client_for, sales_agent):
    response = client_for(sales_agent).get(NEW)
    assert response.status_code == 403
    assert ONLY_ADMIN_AGENTS in page_of(response)


@pytest.mark.parametrize("who", ["sales_agent", "helpdesk_agent", "partner_global_admin"])
@pytest.mark.parametrize(
    "name",
    [
        "admin-relationship-new",
        "admin-relationship-finalize",
        "admin-relationship-send",
        "admin-relationship-withdraw",
        "admin-relationship-terminate",
        "access-assignment-new",
        "access-assignment-edit",
        "access-assignment-remove",
    ],
)
def test_only_admin_agents_may_write(client_for, who, name, active, assignment, request):
    args = {
        "admin-relationship-new": [],
        "access-assignment-edit": [active.pk, assignment.pk],
        "access-assignment-remove": [active.pk, assignment.pk],
    }.get(name, [active.pk])
    response = client_for(request.getfixturevalue(who)).post(
        url(name, *args), {**VALID, "to": "it@northwind.example", "group": assignment.group_id}
    )
    assert response.status_code == 403
    assert html.escape(ONLY_ADMIN_AGENTS) in page_of(response)
    active.refresh_from_db()
    assert active.status == S.ACTIVE
    assert AdminRelationship.objects.count() == 1
    assert AccessAssignment.objects.get().removed_at is None
    assert mail.outbox == []


def test_a_helpdesk_agent_sees_the_list_and_a_relationship_but_no_actions(
    client_for, helpdesk_agent, active, assignment, pending
):
    client = client_for(helpdesk_agent)
    listing = client.get(LIST)
    assert listing.status_code == 200
    assert [relationship for relationship, _ in listing.context["rows"]] == [pending, active]
    assert "Request admin relationship" not in page_of(listing)
    detail = page_of(client.get(url("admin-relationship-detail", active.pk)))
    assert "Helpdesk team" in detail
    for action in ("Add security group", "Terminate relationship", ">Edit<", ">Remove<"):
        assert action not in detail
    waiting = client.get(url("admin-relationship-detail", pending.pk))
    assert "granularAdminRelationships" in panel_link(waiting)
    assert ">Send</button>" not in page_of(waiting)
    assert "Withdraw request" not in page_of(waiting)


def test_the_nav_shows_admin_relationships_to_agents(client_for, sales_agent, admin_agent):
    assert 'href="/partner-center/admin-relationships/"' in page_of(
        client_for(sales_agent).get(LIST)
    )
    page = page_of(client_for(admin_agent).get(LIST))
    assert ">Admin relationships</a>" in page and ">Security groups</a>" in page


@pytest.mark.parametrize("who", ["customer_admin", "customer_user"])
def test_customers_get_403(client_for, who, request):
    assert client_for(request.getfixturevalue(who)).get(LIST).status_code == 403


def test_it_asks_to_sign_in(client):
    response = client.get(LIST)
    assert response.status_code == 302 and "/sign-in/" in response["Location"]


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
    assert of_b.status == S.ACTIVE


@pytest.mark.parametrize(("method", "name"), [("get", "edit"), ("post", "remove")])
def test_another_partners_assignment_is_a_404(client_for, admin_agent, active, of_b, method, name):
    theirs = services.access_assignment_create(
        relationship=of_b,
        group=SecurityGroupFactory(partner=of_b.partner),
        roles=[HELPDESK_ADMINISTRATOR],
        created_by=member(of_b.partner, Role.ADMIN_AGENT),
    )
    client = client_for(admin_agent)
    for relationship in (active, of_b):
        response = getattr(client, method)(
            url(f"access-assignment-{name}", relationship.pk, theirs.pk)
        )
        assert response.status_code == 404
    theirs.refresh_from_db()
    assert theirs.removed_at is None


def test_a_removed_assignment_is_a_404(client_for, admin_agent, active, assignment):
    services.access_assignment_remove(assignment=assignment, removed_by=admin_agent)
    response = client_for(admin_agent).get(url("access-assignment-edit", active.pk, assignment.pk))
    assert response.status_code == 404


# --- The list -----------------------------------------------------------------------------


def test_the_list_shows_own_relationships_with_status_roles_and_end(
    client_for, sales_agent, active, pending, of_b
):
    response = client_for(sales_agent).get(LIST)
    rows = response.context["rows"]
    assert [(relationship.name, status) for relationship, status in rows] == [
        ("Helpdesk for anyone", S.APPROVAL_PENDING),
        ("Northwind support", S.ACTIVE),
    ]
    page = page_of(response)
    assert "Litware" not in page
    assert "Any customer" in page and "Northwind Traders" in page
    assert "Approval pending" in page and ">Active</span>" in page
    assert f'<td class="num">{len(DEFAULT_ROLES)}</td>' in page
    assert f"{active.days_left()} days left" in page
    assert f"until {active.current_end():%b} {active.current_end().day}" in page


@pytest.fixture
def every_status(partner_a, admin_agent, customer):
    now = timezone.now()

    def make(name, **fields):
        fields.setdefault("customer", customer)
        return AdminRelationshipFactory(partner=partner_a, name=name, **fields)

    make("running")
    make("ending soon", approved_at=now - timedelta(days=80))
    make("ran out", approved_at=now - timedelta(days=100))
    make("asked", pending=True, customer=None, finalized_at=now)
    make("lapsed", pending=True, customer=None, finalized_at=now - timedelta(days=91))
    make("draft", status=S.CREATED, approved_at=None, customer=None, finalized_at=None)
    make("said no", status=S.DECLINED, approved_at=None, closed_at=now)
    make("taken back", status=S.WITHDRAWN, approved_at=None, customer=None, closed_at=now)
    make("ended", status=S.TERMINATED, closed_at=now)


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        ("", 9),
        ("active", ["running"]),
        ("expiring", ["ending soon"]),
        ("expired", ["lapsed", "ran out"]),
        ("approval_pending", ["asked"]),
        ("created", ["draft"]),
        ("declined", ["said no"]),
        ("withdrawn", ["taken back"]),
        ("terminated", ["ended"]),
    ],
)
def test_it_filters_by_status(client_for, sales_agent, every_status, status, expected):
    response = client_for(sales_agent).get(LIST, {"status": status})
    rows = response.context["rows"]
    if isinstance(expected, int):
        assert len(rows) == expected
        return
    assert sorted(relationship.name for relationship, _ in rows) == expected
    assert {shown for _, shown in rows} == {S(status)}


def test_it_searches_by_name_or_customer_name(client_for, sales_agent, partner_a, active, pending):
    AdminRelationshipFactory(
        partner=partner_a, name="Security desk", customer=CustomerFactory(name="Fabrikam")
    )
    client = client_for(sales_agent)

    def names(**query):
        return [r.name for r, _ in client.get(LIST, query).context["rows"]]

    assert names(q="helpdesk") == ["Helpdesk for anyone"]
    assert names(q="northwind") == ["Northwind support"]
    assert names(q="FABRIK") == ["Security desk"]
    assert names(q="desk") == ["Helpdesk for anyone", "Security desk"]
    assert names(q="desk", status="approval_pending") == ["Helpdesk for anyone"]
    assert "No admin relationships match." in page_of(client.get(LIST, {"q": "nothing"}))


def test_it_pages_25_at_a_time(client_for, sales_agent, partner_a):
    start = timezone.now() - timedelta(days=5)
    for i in range(27):
        AdminRelationshipFactory(partner=partner_a, name=f"r{i}", created_at=start + timedelta(i))
    client = client_for(sales_agent)
    first = client.get(LIST)
    assert len(first.context["rows"]) == 25
    second = client.get(LIST, {"cursor": first.context["page"].next_cursor})
    assert [r.name for r, _ in second.context["rows"]] == ["r1", "r0"]


@pytest.mark.parametrize(
    "query",
    [{"status": "bogus"}, {"cursor": "x"}, {"q": "ü" * 500}, {"status": "active", "q": "%_"}],
)
def test_odd_parameters_never_break_the_list(client_for, sales_agent, active, query):
    assert client_for(sales_agent).get(LIST, query).status_code == 200


def test_the_list_costs_the_same_whatever_its_size(
    client_for, sales_agent, partner_a, django_assert_num_queries
):
    client = client_for(sales_agent)

    def make(n):
        for _ in range(n):
            AdminRelationshipFactory(partner=partner_a)
            AdminRelationshipFactory(partner=partner_a, pending=True, customer=None)

    # One page of relationships with their customers (keyset); no count.
    queries = SIGNED_IN_QUERIES + 1
    make(1)
    with django_assert_num_queries(queries):
        assert len(client.get(LIST).context["rows"]) == 2
    make(14)
    with django_assert_num_queries(queries):
        assert len(client.get(LIST).context["rows"]) == 25
    with django_assert_num_queries(queries):
        assert len(client.get(LIST, {"status": "active", "q": "admin"}).context["rows"]) == 15


# --- Request admin relationship -----------------------------------------------------------


def test_the_form_is_labelled_and_defaults_to_two_years_for_any_customer(client_for, admin_agent):
    response = client_for(admin_agent).get(NEW)
    assert response.status_code == 200
    page = page_of(response)
    assert '<label for="id_name">Admin relationship name</label>' in page
    assert '<label for="id_duration_days">Duration in days</label>' in page
    assert 'value="730"' in page and 'maxlength="50"' in page
    assert "<legend>Select Microsoft Entra roles</legend>" in page
    assert "<legend>Auto extend</legend>" in page
    assert ">Yes</label>" in page and ">No</label>" in page
    assert "Any customer" in page
    assert "Finalize request</button>" in page
    for role in ENTRA_ROLES.values():
        assert f'<label for="role-{role.id}">{role.name}</label>' in page
        assert html.escape(role.meaning) in page


def test_roles_are_grouped_least_privileged_first(client_for, admin_agent):
    page = page_of(client_for(admin_agent).get(NEW))
    groups = [page.index(f"<legend>{group}</legend>") for group in ROLE_GROUPS]
    assert groups == sorted(groups)
    positions = [
        page.index(f'<label for="role-{role.id}">')
        for role in sorted(ENTRA_ROLES.values(), key=lambda role: role.rank)
    ]
    assert positions == sorted(positions)


def test_global_administrator_carries_its_warning_and_a_notice_once_chosen(client_for, admin_agent):
    client = client_for(admin_agent)
    page = page_of(client.get(NEW))
    ga = page.index(f'<label for="role-{GLOBAL_ADMINISTRATOR}">')
    warning = page.index(f'id="role-{GLOBAL_ADMINISTRATOR}-warning"')
    assert ga < warning < page.index("</fieldset>", ga)
    assert "full control of the customer" in page[warning : warning + 400]
    assert "Global Administrator is selected." not in page
    # Chosen, with auto-extend: the form comes back with the notice and the field error.
    response = client.post(NEW, {**VALID, "roles": [GLOBAL_ADMINISTRATOR]})
    assert response.status_code == 400
    assert "Global Administrator is selected." in page_of(response)
    assert f'value="{GLOBAL_ADMINISTRATOR}" id="role-{GLOBAL_ADMINISTRATOR}"' in page_of(response)


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"duration_days": "0"}, "duration_days", "Choose a duration from 1 to 730 days."),
        ({"duration_days": "731"}, "duration_days", "Choose a duration from 1 to 730 days."),
        ({"duration_days": "two"}, "duration_days", "Choose a duration from 1 to 730 days."),
        ({"duration_days": ""}, "duration_days", "Choose a duration from 1 to 730 days."),
        ({"name": "x" * 51}, "name", "Use at most 50 characters (this name has 51)."),
        ({"name": "  "}, "name", "Enter a name for the admin relationship."),
        ({"roles": ["not-a-role"]}, "roles", "Unknown Microsoft Entra role: not-a-role."),
        ({"roles": []}, "roles", "Select at least one Microsoft Entra role."),
        (
            {"roles": [HELPDESK_ADMINISTRATOR, GLOBAL_ADMINISTRATOR]},
            "auto_extend",
            "A relationship that includes Global Administrator can't extend automatically.",
        ),
        ({"auto_extend": ""}, "auto_extend", "Choose whether the relationship extends"),
        ({"customer": str(uuid.uuid4())}, "customer", "Choose one of your customers"),
        ({"customer": "not-an-id"}, "customer", "Enter a valid UUID."),
    ],
)
def test_bad_input_is_a_field_error_and_saves_nothing(
    client_for, admin_agent, change, field, message
):
    response = client_for(admin_agent).post(NEW, {**VALID, **change})
    assert response.status_code == 400
    errors = field_errors(response, field)
    assert len(errors) == 1 and errors[0].startswith(message)
    assert html.escape(errors[0]) in page_of(response)
    assert AdminRelationship.objects.count() == 0
    assert not AuditEvent.objects.exclude(action__startswith="account.").exists()


def test_every_problem_shows_at_once(client_for, admin_agent):
    response = client_for(admin_agent).post(
        NEW, {"name": "x" * 60, "duration_days": "0", "auto_extend": "no"}
    )
    assert response.status_code == 400
    assert set(response.context["form"].errors) == {"name", "duration_days", "roles"}


def test_a_name_in_use_in_any_case_is_a_name_error(client_for, admin_agent, active, of_b):
    client = client_for(admin_agent)
    response = client.post(NEW, {**VALID, "name": "NORTHWIND SUPPORT"})
    assert response.status_code == 400
    [error] = field_errors(response, "name")
    assert "already has an admin relationship named “NORTHWIND SUPPORT”" in error
    assert AdminRelationship.objects.count() == 2
    # Names are unique per partner: another partner's name is free.
    assert client.post(NEW, {**VALID, "name": "litware's OWN"}).status_code == 302


def test_a_partner_of_another_customer_cannot_prefill_it(client_for, admin_agent, partner_b):
    theirs = CustomerFactory(name="Their customer")
    ResellerRelationshipFactory(partner=partner_b, customer=theirs)
    client = client_for(admin_agent)
    assert client.get(NEW, {"customer": theirs.pk}).status_code == 404
    assert client.get(NEW, {"customer": "nonsense"}).status_code == 404
    response = client.post(NEW, {**VALID, "customer": theirs.pk})
    assert response.status_code == 400
    assert "Their customer" not in page_of(response)
    assert AdminRelationship.objects.count() == 0


def test_from_a_customers_page_it_is_for_that_customer(client_for, admin_agent, customer, reseller):
    client = client_for(admin_agent)
    response = client.get(NEW, {"customer": customer.pk})
    page = page_of(response)
    assert "<strong>Northwind Traders</strong>" in page
    assert f'<input type="hidden" name="customer" value="{customer.pk}"' in page
    assert "Any customer" not in page
    response = client.post(NEW, {**VALID, "customer": customer.pk})
    relationship = AdminRelationship.objects.get()
    assert response["Location"] == url("admin-relationship-detail", relationship.pk)
    assert relationship.customer == customer
    # A bad field keeps the customer shown.
    response = client.post(NEW, {**VALID, "name": "", "customer": customer.pk})
    assert "<strong>Northwind Traders</strong>" in page_of(response)


def test_the_customers_page_links_here(client_for, admin_agent, customer, reseller, active):
    page = page_of(client_for(admin_agent).get(url("customer-detail", customer.pk)))
    assert f'href="{NEW}?customer={customer.pk}"' in page
    assert f'href="{url("admin-relationship-detail", active.pk)}"' in page


def test_it_rejects_other_methods(client_for, admin_agent, active):
    client = client_for(admin_agent)
    assert client.put(NEW).status_code == 405
    assert client.post(LIST).status_code == 405
    assert client.get(url("admin-relationship-finalize", active.pk)).status_code == 405
    assert client.get(url("admin-relationship-send", active.pk)).status_code == 405


# --- The happy path -----------------------------------------------------------------------


def test_request_finalize_share_and_send(
    client_for, admin_agent, partner_a, django_capture_on_commit_callbacks
):
    client = client_for(admin_agent)
    response = client.post(NEW, VALID, follow=True)
    relationship = AdminRelationship.objects.get()
    assert response.redirect_chain == [(url("admin-relationship-detail", relationship.pk), 302)]
    assert relationship.status == S.APPROVAL_PENDING
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
        assert "a Global administrator of your organization" in text
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
    assert pending.status == S.APPROVAL_PENDING
    response = client.post(url("admin-relationship-withdraw", pending.pk), follow=True)
    page = page_of(response)
    assert "The request was withdrawn. Its link no longer works." in page
    assert ">Withdrawn</span>" in page and 'id="request-link"' not in page
    pending.refresh_from_db()
    assert pending.status == S.WITHDRAWN and pending.closed_by == admin_agent
    assert audited(AuditAction.ADMIN_WITHDRAWN) == 1


def test_an_active_relationship_cannot_be_withdrawn(client_for, admin_agent, active):
    client = client_for(admin_agent)
    confirm = page_of(client.get(url("admin-relationship-withdraw", active.pk)))
    assert "there is no request to withdraw" in confirm
    assert "Withdraw request</button>" not in confirm
    response = client.post(url("admin-relationship-withdraw", active.pk), follow=True)
    assert "This admin relationship is already active." in page_of(response)
    active.refresh_from_db()
    assert active.status == S.ACTIVE


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
    assert draft.status == S.APPROVAL_PENDING and draft.finalized_by == admin_agent
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
    assert active.status == S.TERMINATED and active.closed_by_tenant == active.partner
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
    assert pending.status == S.APPROVAL_PENDING
    assert audited(AuditAction.ADMIN_TERMINATED) == 0


# --- Access assignments -------------------------------------------------------------------


def test_add_edit_and_remove_a_security_groups_roles(
    client_for, admin_agent, active, group, partner_a
):
    SecurityGroupFactory(partner=partner_a, name="Billing team")
    client = client_for(admin_agent)
    detail = url("admin-relationship-detail", active.pk)
    page = page_of(client.get(detail))
    assert f'href="{url("access-assignment-new", active.pk)}"' in page
    form = page_of(client.get(url("access-assignment-new", active.pk)))
    assert '<label for="id_group">Security group</label>' in form
    assert ">Billing team</option>" in form and ">Helpdesk team</option>" in form
    for role in active.role_infos:
        assert f'<label for="role-{role.id}">{role.name}</label>' in form
    assert f'value="{GLOBAL_ADMINISTRATOR}"' not in form  # not one of the relationship's

    response = client.post(
        url("access-assignment-new", active.pk),
        {"group": group.pk, "roles": [HELPDESK_ADMINISTRATOR, USER_ADMINISTRATOR]},
        follow=True,
    )
    assert response.redirect_chain == [(detail, 302)]
    assignment = AccessAssignment.objects.get()
    assert assignment.group == group and assignment.created_by == admin_agent
    assert sorted(assignment.roles) == sorted([HELPDESK_ADMINISTRATOR, USER_ADMINISTRATOR])
    page = page_of(response)
    assert "Helpdesk team now has Helpdesk Administrator, User Administrator in " in page
    assert "<td>Helpdesk Administrator, User Administrator</td>" in page

    edit = url("access-assignment-edit", active.pk, assignment.pk)
    assert f'href="{edit}"' in page
    form = page_of(client.get(edit))
    assert f'value="{HELPDESK_ADMINISTRATOR}" id="role-{HELPDESK_ADMINISTRATOR}"' in form
    assert f'id="role-{HELPDESK_ADMINISTRATOR}" aria-describedby' in form
    assert "checked" in form.split(f'id="role-{HELPDESK_ADMINISTRATOR}"')[1].split(">")[0]
    assert "checked" not in form.split(f'id="role-{LICENSE_ADMINISTRATOR}"')[1].split(">")[0]
    response = client.post(edit, {"roles": [LICENSE_ADMINISTRATOR]}, follow=True)
    assert "Helpdesk team now has License Administrator in" in page_of(response)
    assignment.refresh_from_db()
    assert assignment.roles == [LICENSE_ADMINISTRATOR] and assignment.updated_at

    response = client.post(url("access-assignment-remove", active.pk, assignment.pk), follow=True)
    assert "Helpdesk team no longer has roles in Northwind Traders" in page_of(response)
    assignment.refresh_from_db()
    assert assignment.removed_at is not None and assignment.removed_by == admin_agent
    assert [
        audited(action)
        for action in (
            AuditAction.ASSIGNMENT_CREATED,
            AuditAction.ASSIGNMENT_UPDATED,
            AuditAction.ASSIGNMENT_REMOVED,
        )
    ] == [1, 1, 1]
    again = client.post(url("access-assignment-remove", active.pk, assignment.pk))
    assert again.status_code == 404


def test_a_group_of_another_partner_is_a_field_error(client_for, admin_agent, active, partner_b):
    theirs = SecurityGroupFactory(partner=partner_b, name="Their group")
    response = client_for(admin_agent).post(
        url("access-assignment-new", active.pk),
        {"group": theirs.pk, "roles": [HELPDESK_ADMINISTRATOR]},
    )
    assert response.status_code == 400
    assert field_errors(response, "group") == ["Choose one of your organization's security groups."]
    assert "Their group" not in page_of(response)
    assert AccessAssignment.objects.count() == 0


@pytest.mark.parametrize(
    ("roles", "message"),
    [
        ([GLOBAL_ADMINISTRATOR], "Not a role of this admin relationship: Global Administrator."),
        ([HELPDESK_ADMINISTRATOR, BILLING_ADMINISTRATOR], "Billing Administrator"),
        (["made-up"], "Not a role of this admin relationship: made-up."),
        ([], "Select at least one of the relationship's roles."),
    ],
)
def test_roles_outside_the_relationship_are_a_field_error(
    client_for, admin_agent, active, group, assignment, roles, message
):
    client = client_for(admin_agent)
    other_group = SecurityGroupFactory(partner=active.partner)
    response = client.post(
        url("access-assignment-new", active.pk), {"group": other_group.pk, "roles": roles}
    )
    assert response.status_code == 400
    [error] = field_errors(response, "roles")
    assert message in error
    assert html.escape(error) in page_of(response)
    response = client.post(
        url("access-assignment-edit", active.pk, assignment.pk), {"roles": roles}
    )
    assert response.status_code == 400
    assert message in field_errors(response, "roles")[0]
    assert AccessAssignment.objects.count() == 1
    assignment.refresh_from_db()
    assert assignment.roles == [HELPDESK_ADMINISTRATOR]


def test_a_group_that_already_has_roles_is_told_to_edit_them(
    client_for, admin_agent, active, group, assignment
):
    response = client_for(admin_agent).post(
        url("access-assignment-new", active.pk),
        {"group": group.pk, "roles": [USER_ADMINISTRATOR]},
    )
    assert response.status_code == 400
    assert "already has roles in this relationship" in field_errors(response, "group")[0]
    assert AccessAssignment.objects.count() == 1


def test_only_an_active_relationship_gives_roles(client_for, admin_agent, pending, group):
    client = client_for(admin_agent)
    response = client.get(url("access-assignment-new", pending.pk), follow=True)
    assert "Security groups get roles only on an active admin relationship" in page_of(response)
    response = client.post(
        url("access-assignment-new", pending.pk),
        {"group": group.pk, "roles": [HELPDESK_ADMINISTRATOR]},
    )
    assert response.status_code == 302
    assert AccessAssignment.objects.count() == 0


def test_without_security_groups_the_form_says_to_create_one(client_for, admin_agent, active):
    page = page_of(client_for(admin_agent).get(url("access-assignment-new", active.pk)))
    assert "Your organization has no security group yet." in page
    assert f'href="{url("security-group-list")}"' in page


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


def test_a_member_without_membership_roles_is_refused(client_for, partner_a):
    nobody = member(partner_a)
    assert client_for(nobody).get(LIST).status_code == 403
    assert client_for(member(partner_a, Role.HELPDESK_AGENT)).get(LIST).status_code == 200


def test_csrf_is_enforced_and_the_form_carries_its_token(csrf_client, admin_agent):
    client = csrf_client(admin_agent)
    assert client.post(NEW, VALID).status_code == 403
    page = page_of(client.get(NEW))
    token = page.split('name="csrfmiddlewaretoken" value="')[1].split('"')[0]
    assert client.post(NEW, {**VALID, "csrfmiddlewaretoken": token}).status_code == 302
    assert AdminRelationship.objects.count() == 1
