"""Admin relationships (GDAP) in Partner Center: who may see and change them, the list, and
Request admin relationship (its form, its checks, and from a customer's page)."""

import html
import uuid
from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from tenancy.choices import AdminRelationshipStatus
from tenancy.models import (
    DEFAULT_ROLES,
    ENTRA_ROLES,
    GLOBAL_ADMINISTRATOR,
    HELPDESK_ADMINISTRATOR,
    ROLE_GROUPS,
    AccessAssignment,
    AdminRelationship,
    AuditEvent,
    Role,
)
from tests.factories import (
    AdminRelationshipFactory,
    CustomerFactory,
    ResellerRelationshipFactory,
    member,
)
from tests.partner_center.admin_relationship_fixtures import (
    NEW,
    VALID,
    field_errors,
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

LIST = url("admin-relationship-list")
ONLY_ADMIN_AGENTS = (
    "Only Admin agents can request, withdraw or terminate admin relationships and give "
    "security groups their roles."
)


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
    assert active.status == AdminRelationshipStatus.ACTIVE
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


# --- The list -----------------------------------------------------------------------------


def test_the_list_shows_own_relationships_with_status_roles_and_end(
    client_for, sales_agent, active, pending, of_b
):
    response = client_for(sales_agent).get(LIST)
    rows = response.context["rows"]
    assert [(relationship.name, status) for relationship, status in rows] == [
        ("Helpdesk for anyone", AdminRelationshipStatus.APPROVAL_PENDING),
        ("Northwind support", AdminRelationshipStatus.ACTIVE),
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
    make(
        "draft",
        status=AdminRelationshipStatus.CREATED,
        approved_at=None,
        customer=None,
        finalized_at=None,
    )
    make("said no", status=AdminRelationshipStatus.DECLINED, approved_at=None, closed_at=now)
    make(
        "taken back",
        status=AdminRelationshipStatus.WITHDRAWN,
        approved_at=None,
        customer=None,
        closed_at=now,
    )
    make("ended", status=AdminRelationshipStatus.TERMINATED, closed_at=now)


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
    assert {shown for _, shown in rows} == {AdminRelationshipStatus(status)}


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
