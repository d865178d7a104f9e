"""Who can do what, where, in Partner Center: an agent's access page and its CSV (from User
management, and each agent's own), the customer page's Who has access and its CSV, and "If
approved" on a template's page, its CSV, and under a bulk request's preview."""

import csv
import io
from datetime import timedelta

import pytest
from django.utils import timezone

from tenancy import services
from tenancy.entra_roles import HELPDESK_ADMINISTRATOR, LICENSE_ADMINISTRATOR
from tenancy.models import AccessAssignment, Role, SecurityGroupMember
from tests.factories import (
    AdminRelationshipFactory,
    CustomerFactory,
    ResellerRelationshipFactory,
    SecurityGroupFactory,
    make_customers,
    member,
)
from tests.partner_center.conftest import SIGNED_IN_QUERIES, url

pytestmark = pytest.mark.django_db

READER = "88d8e3e3-8f55-4a1e-953a-9b9898b8876b"  # Directory Readers


def rows_of(response) -> list[list[str]]:
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.reader(io.StringIO(body)))


@pytest.fixture
def licences(partner_a, sales_agent):
    group = SecurityGroupFactory(partner=partner_a, name="Licences")
    SecurityGroupMember.objects.create(group=group, membership=sales_agent.membership)
    return group


@pytest.fixture
def northwind(partner_a, customer, licences):
    """Partner A resells to the customer and holds an admin relationship there; the Licences
    group (the Sales agent) holds Directory Readers and License Administrator through it."""
    ResellerRelationshipFactory(partner=partner_a, customer=customer)
    relationship = AdminRelationshipFactory(
        partner=partner_a,
        customer=customer,
        name="Northwind licences",
        roles=[READER, LICENSE_ADMINISTRATOR, HELPDESK_ADMINISTRATOR],
    )
    AccessAssignment.objects.create(
        relationship=relationship, group=licences, roles=[READER, LICENSE_ADMINISTRATOR]
    )
    return relationship


def spread(partner, group, count: int):
    """`count` more customers, each with an admin relationship where `group` holds roles."""
    for customer in make_customers(partner, count):
        relationship = AdminRelationshipFactory(partner=partner, customer=customer)
        AccessAssignment.objects.create(relationship=relationship, group=group, roles=[READER])


class TestAgentPage:
    def test_an_agent_sees_its_own_roles_each_with_its_path_and_what_they_allow(
        self, client_for, sales_agent, northwind, customer
    ):
        page = client_for(sales_agent).get(url("agent-access", sales_agent.membership.pk))
        assert page.status_code == 200
        html = page.content.decode()
        assert "Your access in customers" in html
        assert customer.name in html
        assert "Directory Readers, License Administrator" in html
        assert "Licences" in html
        assert url("admin-relationship-detail", northwind.pk) in html
        assert "Northwind licences" in html
        assert "Change or suspend a subscription" in html
        assert '<th scope="rowgroup"' in html
        [each] = page.context["customers"]
        assert each.roles == {READER, LICENSE_ADMINISTRATOR}

    def test_an_auto_extending_relationship_says_so(
        self, client_for, sales_agent, northwind, partner_a
    ):
        northwind.auto_extend = True
        northwind.save()
        html = client_for(sales_agent).get(url("agent-access", sales_agent.membership.pk))
        assert "Extends automatically (next on" in html.content.decode()

    def test_global_admins_and_admin_agents_see_anyones(
        self, client_for, sales_agent, admin_agent, partner_global_admin, northwind
    ):
        for viewer in (admin_agent, partner_global_admin):
            page = client_for(viewer).get(url("agent-access", sales_agent.membership.pk))
            assert page.status_code == 200
            assert f"Access in customers: {sales_agent.username}" in page.content.decode()

    def test_another_agent_gets_403(self, client_for, helpdesk_agent, sales_agent, northwind):
        client = client_for(helpdesk_agent)
        for name in ("agent-access", "agent-access-export"):
            response = client.get(url(name, sales_agent.membership.pk))
            assert response.status_code == 403
            assert b"Northwind" not in response.content

    def test_another_partners_user_is_a_404(self, client_for, partner_global_admin, agent_b):
        client = client_for(partner_global_admin)
        for name in ("agent-access", "agent-access-export"):
            assert client.get(url(name, agent_b.membership.pk)).status_code == 404

    def test_no_roles_anywhere_says_so(self, client_for, helpdesk_agent):
        page = client_for(helpdesk_agent).get(url("agent-access", helpdesk_agent.membership.pk))
        assert "You hold no role in any customer." in page.content.decode()

    def test_its_csv_has_a_line_per_role_with_its_path(
        self, client_for, sales_agent, northwind, customer
    ):
        response = client_for(sales_agent).get(
            url("agent-access-export", sales_agent.membership.pk)
        )
        assert response["Content-Type"] == "text/csv; charset=utf-8"
        header, *lines = rows_of(response)
        assert header[:4] == ["User name", "Customer", "Microsoft ID", "Role"]
        end = northwind.ends_at.date().isoformat()
        assert lines == [
            [
                sales_agent.username,
                customer.name,
                str(customer.pk),
                "Directory Readers",
                "Licences",
                "Northwind licences",
                str(northwind.pk),
                end,
                "",
                "",
            ],
            [
                sales_agent.username,
                customer.name,
                str(customer.pk),
                "License Administrator",
                "Licences",
                "Northwind licences",
                str(northwind.pk),
                end,
                "",
                "Change or suspend a subscription",
            ],
        ]

    @pytest.mark.parametrize("size", [2, 40])
    def test_the_page_and_its_csv_cost_the_same_whatever_the_size(
        self, client_for, sales_agent, partner_a, licences, size, django_assert_num_queries
    ):
        spread(partner_a, licences, size)
        client = client_for(sales_agent)
        # The agent looked up, then its paths: one query for every customer and group.
        with django_assert_num_queries(SIGNED_IN_QUERIES + 2):
            page = client.get(url("agent-access", sales_agent.membership.pk))
        assert page.context["customer_count"] == size
        with django_assert_num_queries(SIGNED_IN_QUERIES + 2):
            lines = rows_of(client.get(url("agent-access-export", sales_agent.membership.pk)))
        assert len(lines) == 1 + size

    def test_a_long_list_is_cut_on_the_page_and_whole_in_the_csv(
        self, client_for, sales_agent, partner_a, licences, monkeypatch
    ):
        monkeypatch.setattr("partner_center.views.access_trace.PAGE_CUSTOMERS", 3)
        spread(partner_a, licences, 5)
        page = client_for(sales_agent).get(url("agent-access", sales_agent.membership.pk))
        assert len(page.context["customers"]) == 3
        assert "The first 3 customers of 5. Export has them all." in page.content.decode()


class TestUserManagement:
    def test_it_links_each_persons_access(
        self, client_for, partner_global_admin, sales_agent, helpdesk_agent
    ):
        html = client_for(partner_global_admin).get(url("user-list")).content.decode()
        assert "Who can do what, where" in html
        for user in (sales_agent, helpdesk_agent):
            assert url("agent-access", user.membership.pk) in html
            assert f"Access of {user.username}" in html
        assert "My access" in html


class TestCustomerPage:
    def test_who_has_access_shows_each_agent_its_roles_and_through_what(
        self, client_for, helpdesk_agent, sales_agent, northwind, customer
    ):
        html = client_for(helpdesk_agent).get(url("customer-detail", customer.pk))
        html = html.content.decode()
        assert "Who has access" in html
        assert sales_agent.username in html
        assert "Directory Readers, License Administrator" in html
        assert "Northwind licences" in html
        assert url("customer-access-export", customer.pk) in html
        # A Helpdesk agent sees who, but opens only its own access page.
        assert url("agent-access", sales_agent.membership.pk) not in html
        assert url("agent-access", helpdesk_agent.membership.pk) in html

    def test_an_admin_agent_can_open_each_agents_page(
        self, client_for, admin_agent, sales_agent, northwind, customer
    ):
        html = client_for(admin_agent).get(url("customer-detail", customer.pk)).content.decode()
        assert url("agent-access", sales_agent.membership.pk) in html

    def test_nobody_with_access_says_so(self, client_for, sales_agent, partner_a, customer):
        ResellerRelationshipFactory(partner=partner_a, customer=customer)
        html = client_for(sales_agent).get(url("customer-detail", customer.pk)).content.decode()
        assert "None of your agents holds a role here." in html

    def test_its_csv_lists_every_agent_and_another_partners_customer_is_a_404(
        self, client_for, sales_agent, partner_b, northwind, customer
    ):
        client = client_for(sales_agent)
        _header, *lines = rows_of(client.get(url("customer-access-export", customer.pk)))
        assert [line[0] for line in lines] == [sales_agent.username] * 2
        assert [line[3] for line in lines] == ["Directory Readers", "License Administrator"]
        theirs = CustomerFactory()
        ResellerRelationshipFactory(partner=partner_b, customer=theirs)
        assert client.get(url("customer-access-export", theirs.pk)).status_code == 404

    @pytest.mark.parametrize("agents", [1, 15])
    def test_who_has_access_costs_one_query_whatever_the_number_of_agents(
        self,
        client_for,
        sales_agent,
        partner_a,
        customer,
        licences,
        agents,
        django_assert_num_queries,
    ):
        ResellerRelationshipFactory(partner=partner_a, customer=customer)
        relationship = AdminRelationshipFactory(partner=partner_a, customer=customer)
        for _ in range(agents):
            group = SecurityGroupFactory(partner=partner_a)
            SecurityGroupMember.objects.create(
                group=group, membership=member(partner_a, Role.HELPDESK_AGENT).membership
            )
            AccessAssignment.objects.create(relationship=relationship, group=group, roles=[READER])
        client = client_for(sales_agent)
        # The customer, its admin and reseller relationships, the agreement, the subscriptions,
        # and Who has access: one query for every agent, the agent's own roles here among them.
        with django_assert_num_queries(SIGNED_IN_QUERIES + 6):
            page = client.get(url("customer-detail", customer.pk))
        assert len(page.context["who_has_access"]) == agents
        with django_assert_num_queries(SIGNED_IN_QUERIES + 2):
            lines = rows_of(client.get(url("customer-access-export", customer.pk)))
        assert len(lines) == 1 + agents


# --- If approved ---------------------------------------------------------------------------------


@pytest.fixture
def template(partner_a, admin_agent, licences):
    empty = SecurityGroupFactory(partner=partner_a, name="Nobody")
    return services.template_create(
        partner=partner_a,
        created_by=admin_agent,
        content=services.TemplateContent(
            name="Licences tier",
            roles=[READER, LICENSE_ADMINISTRATOR],
            duration_days=365,
            mappings=[(licences, [LICENSE_ADMINISTRATOR]), (empty, [READER])],
        ),
    )


class TestIfApproved:
    def test_the_template_page_says_who_would_hold_what_and_what_would_not_be_made(
        self, client_for, helpdesk_agent, sales_agent, template
    ):
        page = client_for(helpdesk_agent).get(url("admin-relationship-template", template.pk))
        html = page.content.decode()
        assert "If approved" in html
        [agent] = page.context["prospect"].agents
        assert agent.username == sales_agent.username
        assert agent.roles == {LICENSE_ADMINISTRATOR}
        assert "Change or suspend a subscription" in html
        assert "Nobody has no members, so nobody would get Directory Readers." in html
        assert url("admin-relationship-template-if-approved", template.pk) in html

    @pytest.mark.parametrize("members", [1, 20])
    def test_the_template_page_costs_the_same_whatever_the_members(
        self,
        client_for,
        admin_agent,
        partner_a,
        licences,
        template,
        members,
        django_assert_num_queries,
    ):
        for _ in range(members):
            SecurityGroupMember.objects.create(
                group=licences, membership=member(partner_a, Role.SALES_AGENT).membership
            )
        client = client_for(admin_agent)
        # The template, its relationships by version, its versions, its mappings, If approved
        # (the mappings with their members, one query), and how many of its relationships are on
        # older versions (none here: their list is not read).
        with django_assert_num_queries(SIGNED_IN_QUERIES + 6):
            page = client.get(url("admin-relationship-template", template.pk))
        assert len(page.context["prospect"].agents) == members + 1

    def test_its_csv_has_a_line_per_agent_and_role(
        self, client_for, sales_agent, helpdesk_agent, template
    ):
        response = client_for(helpdesk_agent).get(
            url("admin-relationship-template-if-approved", template.pk)
        )
        header, *lines = rows_of(response)
        assert header == ["User name", "Role", "Security group", "Allows"]
        assert lines == [
            [
                sales_agent.username,
                "License Administrator",
                "Licences",
                "Change or suspend a subscription",
            ]
        ]

    def test_another_partners_template_is_a_404(self, client_for, agent_b, template):
        response = client_for(agent_b).get(
            url("admin-relationship-template-if-approved", template.pk)
        )
        assert response.status_code == 404

    def test_the_bulk_preview_shows_it_under_the_counts(
        self, client_for, admin_agent, sales_agent, partner_a, template
    ):
        make_customers(partner_a, 3)
        query = f"?scope=search&template={template.pk}"
        page = client_for(admin_agent).get(url("admin-relationship-bulk-new") + query)
        assert page.context["preview"].requests == 3
        html = page.content.decode()
        assert html.index("Start: request 3 admin relationships") < html.index("If approved")
        assert sales_agent.username in html
        assert "Nobody has no members" in html


def test_an_expired_relationship_gives_no_access_on_any_page(
    client_for, sales_agent, partner_a, customer, licences
):
    ResellerRelationshipFactory(partner=partner_a, customer=customer)
    expired = AdminRelationshipFactory(
        partner=partner_a, customer=customer, approved_at=timezone.now() - timedelta(days=100)
    )
    AccessAssignment.objects.create(relationship=expired, group=licences, roles=[READER])
    client = client_for(sales_agent)
    assert client.get(url("agent-access", sales_agent.membership.pk)).context["customers"] == []
    assert client.get(url("customer-detail", customer.pk)).context["who_has_access"] == []
