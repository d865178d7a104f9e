"""Account → Security groups: groups of the partner's own users, their members, and the roles
each holds in customers (through admin relationships)."""

import html

import pytest

from tenancy import services
from tenancy.models import (
    HELPDESK_ADMINISTRATOR,
    AuditAction,
    AuditEvent,
    Membership,
    Role,
    SecurityGroup,
    SecurityGroupMember,
)
from tests.factories import AdminRelationshipFactory, SecurityGroupFactory, member
from tests.partner_center.conftest import SIGNED_IN_QUERIES, url

pytestmark = pytest.mark.django_db

LIST = url("security-group-list")
ONLY = "Only Global admins and Admin agents can manage security groups."


@pytest.fixture
def group(partner_a):
    return SecurityGroupFactory(partner=partner_a, name="Helpdesk team", description="First line")


@pytest.fixture
def group_b(partner_b):
    return SecurityGroupFactory(partner=partner_b, name="Litware helpdesk")


def page_of(response) -> str:
    return response.content.decode()


def membership_of(user) -> Membership:
    return Membership.objects.get(user=user)


def audited(action) -> int:
    return AuditEvent.objects.filter(action=action).count()


def add(group, user):
    SecurityGroupMember.objects.create(group=group, membership=membership_of(user))


# --- Who may ------------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["sales_agent", "helpdesk_agent"])
def test_agents_who_may_not_manage_them_get_403(client_for, who, group, request):
    client = client_for(request.getfixturevalue(who))
    response = client.get(LIST)
    assert response.status_code == 403
    assert ONLY in page_of(response)
    for name, method in (
        ("security-group-detail", "get"),
        ("security-group-rename", "post"),
        ("security-group-member-add", "post"),
    ):
        assert getattr(client, method)(url(name, group.pk), {"name": "x"}).status_code == 403
    assert client.post(LIST, {"name": "Sneaky"}).status_code == 403
    assert SecurityGroup.objects.count() == 1


@pytest.mark.parametrize("who", ["admin_agent", "partner_global_admin"])
def test_global_admins_and_admin_agents_manage_them(client_for, who, group, request):
    response = client_for(request.getfixturevalue(who)).get(LIST)
    assert response.status_code == 200
    assert ">Security groups</a>" in page_of(response)


def test_the_nav_hides_them_from_sales_agents(client_for, sales_agent):
    page = page_of(client_for(sales_agent).get(url("customer-list")))
    assert LIST not in page


def test_a_customer_gets_403(client_for, customer_admin):
    assert client_for(customer_admin).get(LIST).status_code == 403


# --- Only one's own -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "name"),
    [
        ("get", "security-group-detail"),
        ("post", "security-group-rename"),
        ("post", "security-group-member-add"),
    ],
)
def test_another_partners_group_is_a_404(client_for, admin_agent, group_b, method, name):
    response = getattr(client_for(admin_agent), method)(url(name, group_b.pk), {"name": "Mine"})
    assert response.status_code == 404
    assert "Litware helpdesk" not in page_of(response)
    group_b.refresh_from_db()
    assert group_b.name == "Litware helpdesk"


def test_removing_from_another_partners_group_is_a_404(client_for, admin_agent, group_b, agent_b):
    add(group_b, agent_b)
    response = client_for(admin_agent).post(
        url("security-group-member-remove", group_b.pk, membership_of(agent_b).pk)
    )
    assert response.status_code == 404
    assert SecurityGroupMember.objects.count() == 1


def test_another_partners_user_cannot_be_removed_through_ones_own_group(
    client_for, admin_agent, group, agent_b
):
    response = client_for(admin_agent).post(
        url("security-group-member-remove", group.pk, membership_of(agent_b).pk)
    )
    assert response.status_code == 404


# --- The list and Create -------------------------------------------------------------------


def test_the_list_shows_own_groups_with_member_counts(
    client_for, admin_agent, sales_agent, helpdesk_agent, group, group_b, partner_a
):
    add(group, sales_agent)
    add(group, helpdesk_agent)
    SecurityGroupFactory(partner=partner_a, name="Billing team")
    response = client_for(admin_agent).get(LIST)
    groups = {g.name: g.member_count for g in response.context["page"]}
    assert groups == {"Billing team": 0, "Helpdesk team": 2}
    page = page_of(response)
    assert "Litware" not in page
    assert '<label for="id_name">Group name</label>' in page
    assert "Create security group</button>" in page


def test_create_a_group(client_for, admin_agent, partner_a):
    response = client_for(admin_agent).post(
        LIST, {"name": "  Billing team ", "description": "Invoices and licences"}, follow=True
    )
    group = SecurityGroup.objects.get()
    assert response.redirect_chain == [(url("security-group-detail", group.pk), 302)]
    assert group.name == "Billing team" and group.partner == partner_a
    assert group.description == "Invoices and licences" and group.created_by == admin_agent
    assert "Security group Billing team created." in page_of(response)
    assert audited(AuditAction.GROUP_CREATED) == 1


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("HELPDESK TEAM", "There is already a security group named “HELPDESK TEAM”."),
        ("", "Enter a name for the security group."),
        ("x" * 121, "Ensure this value has at most 120 characters (it has 121)."),
        ("two\nlines", "Use a single line without control characters."),
    ],
)
def test_a_bad_name_is_a_field_error(client_for, admin_agent, group, name, message):
    response = client_for(admin_agent).post(LIST, {"name": name})
    assert response.status_code == 400
    assert response.context["form"].errors["name"] == [message]
    assert html.escape(message) in page_of(response)
    assert SecurityGroup.objects.count() == 1
    assert audited(AuditAction.GROUP_CREATED) == 0


def test_another_partners_group_name_is_free(client_for, admin_agent, group_b):
    response = client_for(admin_agent).post(LIST, {"name": "litware HELPDESK"})
    assert response.status_code == 302
    assert SecurityGroup.objects.count() == 2


def test_the_list_costs_the_same_whatever_its_size(
    client_for, admin_agent, partner_a, django_assert_num_queries
):
    client = client_for(admin_agent)
    users = [member(partner_a, Role.HELPDESK_AGENT) for _ in range(3)]

    def make(n):
        for _ in range(n):
            group = SecurityGroupFactory(partner=partner_a)
            for user in users:
                add(group, user)

    # One page of groups, with their member and assignment counts.
    queries = SIGNED_IN_QUERIES + 1
    make(2)
    with django_assert_num_queries(queries):
        assert len(client.get(LIST).context["page"]) == 2
    make(28)
    with django_assert_num_queries(queries):
        page = client.get(LIST).context["page"]
    assert len(page) == 25 and {g.member_count for g in page} == {3}


# --- A group's page -----------------------------------------------------------------------


def test_a_groups_page_shows_members_choices_and_roles_in_customers(
    client_for, admin_agent, sales_agent, helpdesk_agent, agent_b, group, partner_a, customer
):
    add(group, sales_agent)
    relationship = AdminRelationshipFactory(
        partner=partner_a, customer=customer, name="Northwind support"
    )
    services.access_assignment_create(
        relationship=relationship,
        group=group,
        roles=[HELPDESK_ADMINISTRATOR],
        created_by=admin_agent,
    )
    page = page_of(client_for(admin_agent).get(url("security-group-detail", group.pk)))
    assert "<h1>Helpdesk team</h1>" in page and "First line" in page
    assert f'<th scope="row">{sales_agent.username}</th>' in page
    assert f'Remove<span class="visually-hidden"> {sales_agent.username}</span>' in page
    start = page.index('<select name="member"')
    select = page[start : page.index("</select>", start)]
    assert '<label for="id_member">User</label>' in page
    assert helpdesk_agent.username in select and admin_agent.username in select
    assert sales_agent.username not in select  # already a member
    assert agent_b.username not in select  # another partner's user
    assert "Add member</button>" in page
    assert '<label for="id_name">Group name</label>' in page
    assert "Northwind support" in page and "<td>Northwind Traders</td>" in page
    assert "<td>Helpdesk Administrator</td>" in page


def test_add_and_remove_a_member(client_for, admin_agent, helpdesk_agent, group):
    client = client_for(admin_agent)
    membership = membership_of(helpdesk_agent)
    response = client.post(
        url("security-group-member-add", group.pk), {"member": membership.pk}, follow=True
    )
    assert f"{helpdesk_agent.username} is now in Helpdesk team." in page_of(response)
    assert list(group.members.all()) == [membership]
    assert audited(AuditAction.GROUP_MEMBER_ADDED) == 1

    response = client.post(
        url("security-group-member-remove", group.pk, membership.pk), follow=True
    )
    assert f"{helpdesk_agent.username} was removed from Helpdesk team." in page_of(response)
    assert not group.members.exists()
    assert audited(AuditAction.GROUP_MEMBER_REMOVED) == 1

    # Not a member (any more): said so, nothing written.
    response = client.post(
        url("security-group-member-remove", group.pk, membership.pk), follow=True
    )
    assert "is not a member of Helpdesk team." in page_of(response)
    assert audited(AuditAction.GROUP_MEMBER_REMOVED) == 1


@pytest.mark.parametrize("whom", ["agent_b", "sales_agent"])
def test_only_own_users_not_yet_members_can_be_added(
    client_for, admin_agent, sales_agent, group, whom, request
):
    add(group, sales_agent)
    user = request.getfixturevalue(whom)
    response = client_for(admin_agent).post(
        url("security-group-member-add", group.pk), {"member": membership_of(user).pk}
    )
    assert response.status_code == 400
    message = "Choose one of your organization's users who isn't a member yet."
    assert response.context["member_form"].errors["member"] == [message]
    assert html.escape(message) in page_of(response)
    assert group.members.count() == 1
    assert audited(AuditAction.GROUP_MEMBER_ADDED) == 0


def test_rename_a_group(client_for, admin_agent, group, partner_a):
    client = client_for(admin_agent)
    response = client.post(
        url("security-group-rename", group.pk), {"name": "First line"}, follow=True
    )
    assert "Security group Helpdesk team is now First line." in page_of(response)
    group.refresh_from_db()
    assert group.name == "First line"
    assert audited(AuditAction.GROUP_RENAMED) == 1

    SecurityGroupFactory(partner=partner_a, name="Billing team")
    response = client.post(url("security-group-rename", group.pk), {"name": "billing TEAM"})
    assert response.status_code == 400
    assert response.context["rename_form"].errors["name"] == [
        "There is already a security group named “billing TEAM”."
    ]
    assert "<h1>First line</h1>" in page_of(response)
    group.refresh_from_db()
    assert group.name == "First line"
    response = client.post(url("security-group-rename", group.pk), {"name": ""})
    assert response.status_code == 400
    assert "Enter a name for the security group." in page_of(response)
    assert audited(AuditAction.GROUP_RENAMED) == 1


def test_it_rejects_get_on_writes(client_for, admin_agent, group):
    client = client_for(admin_agent)
    assert client.get(url("security-group-rename", group.pk)).status_code == 405
    assert client.get(url("security-group-member-add", group.pk)).status_code == 405


def test_a_groups_page_costs_the_same_whatever_its_members(
    client_for, admin_agent, group, partner_a, django_assert_num_queries
):
    client = client_for(admin_agent)
    detail = url("security-group-detail", group.pk)

    def grow(n):
        for _ in range(n):
            add(group, member(partner_a, Role.HELPDESK_AGENT))
            relationship = AdminRelationshipFactory(partner=partner_a)
            services.access_assignment_create(
                relationship=relationship,
                group=group,
                roles=[HELPDESK_ADMINISTRATOR],
                created_by=admin_agent,
            )

    # The group; its members with their users; the users who may be added; its assignments
    # with their relationships and customers.
    queries = SIGNED_IN_QUERIES + 4
    grow(2)
    with django_assert_num_queries(queries):
        client.get(detail)
    grow(28)
    with django_assert_num_queries(queries):
        page = page_of(client.get(detail))
    assert page.count(">Remove<") == 30
    assert page.count("<td>Helpdesk Administrator</td>") == 30
