"""Who can do what, where, through the API: a customer's access paths, one user's, and what a
template would give once a customer approves; each checked against the OpenAPI document."""

import pytest

from tenancy import services
from tenancy.entra_roles import HELPDESK_ADMINISTRATOR, LICENSE_ADMINISTRATOR
from tenancy.models import AccessAssignment, Role, SecurityGroupMember
from tests.api.bulk_fixtures import READER, client_holding
from tests.api.queries import RATE_QUERIES
from tests.api.schema import assert_matches
from tests.factories import (
    AdminRelationshipFactory,
    CustomerFactory,
    ResellerRelationshipFactory,
    SecurityGroupFactory,
    make_customers,
    member,
)

pytestmark = pytest.mark.django_db

CUSTOMER = "/v1/customers/{customer_id}/access"
USER = "/v1/users/{membership_id}/access"
IF_APPROVED = "/v1/adminRelationshipTemplates/{template_id}/accessIfApproved"


@pytest.fixture
def licences(partner_a, sales_agent):
    group = SecurityGroupFactory(partner=partner_a, name="Licences")
    SecurityGroupMember.objects.create(group=group, membership=sales_agent.membership)
    return group


@pytest.fixture
def northwind(partner_a, customer, licences):
    ResellerRelationshipFactory(partner=partner_a, customer=customer)
    relationship = AdminRelationshipFactory(
        partner=partner_a,
        customer=customer,
        name="Northwind licences",
        roles=[READER, LICENSE_ADMINISTRATOR, HELPDESK_ADMINISTRATOR],
        auto_extend=True,
    )
    AccessAssignment.objects.create(
        relationship=relationship, group=licences, roles=[READER, LICENSE_ADMINISTRATOR]
    )
    return relationship


@pytest.fixture
def helpdesk_api(app_key):
    return client_holding(app_key(Role.HELPDESK_AGENT, name="Helpdesk automation"))


class TestCustomerAccess:
    def test_it_lists_each_agents_path_and_what_it_allows(
        self, api, customer, northwind, licences, sales_agent
    ):
        response = api.get(CUSTOMER.format(customer_id=customer.pk))
        assert response.status_code == 200, response.json()
        assert_matches(CUSTOMER, "get", response)
        body = response.json()
        assert body["totalCount"] == 1
        [item] = body["items"]
        assert item["agent"] == {
            "id": sales_agent.membership.pk,
            "userPrincipalName": sales_agent.username,
            "accountEnabled": True,
        }
        assert item["customer"]["tenantId"] == str(customer.pk)
        assert item["accessContainer"]["accessContainerId"] == str(licences.pk)
        assert item["accessContainer"]["displayName"] == "Licences"
        relationship = item["delegatedAdminRelationship"]
        assert relationship["id"] == str(northwind.pk)
        assert relationship["autoExtendDuration"] == "P180D"
        assert [role["roleDefinitionId"] for role in item["accessDetails"]["unifiedRoles"]] == [
            READER,
            LICENSE_ADMINISTRATOR,
        ]
        assert item["allowedTasks"] == ["manageSubscription"]
        assert item["attributes"] == {"objectType": "AccessPath"}

    def test_another_partners_customer_is_a_404(self, api, partner_b):
        theirs = CustomerFactory()
        ResellerRelationshipFactory(partner=partner_b, customer=theirs)
        response = api.get(CUSTOMER.format(customer_id=theirs.pk))
        assert response.status_code == 404
        assert response.json()["code"] == "not_found"
        assert_matches(CUSTOMER, "get", response)

    @pytest.mark.parametrize("agents", [1, 12])
    def test_it_costs_the_same_whatever_the_number_of_agents(
        self, api, partner_a, customer, northwind, agents, django_assert_num_queries
    ):
        for _ in range(agents - 1):
            group = SecurityGroupFactory(partner=partner_a)
            SecurityGroupMember.objects.create(
                group=group, membership=member(partner_a, Role.SALES_AGENT).membership
            )
            AccessAssignment.objects.create(relationship=northwind, group=group, roles=[READER])
        url = CUSTOMER.format(customer_id=customer.pk)
        api.get(url)  # last-used written once a minute: not in the count
        # The key with its app, principal and membership; the app's rate; the customer;
        # the paths.
        with django_assert_num_queries(3 + RATE_QUERIES):
            assert api.get(url).json()["totalCount"] == agents


class TestUserAccess:
    def test_an_admin_agents_app_sees_any_users_access(self, api, customer, northwind, sales_agent):
        path = USER.format(membership_id=sales_agent.membership.pk)
        response = api.get(path)
        assert response.status_code == 200, response.json()
        assert_matches(USER, "get", response)
        [item] = response.json()["items"]
        assert item["customer"] == {"tenantId": str(customer.pk), "displayName": customer.name}

    def test_a_helpdesk_app_gets_403_for_another_user(self, helpdesk_api, sales_agent):
        response = helpdesk_api.get(USER.format(membership_id=sales_agent.membership.pk))
        assert response.status_code == 403
        assert "Only Global admins and Admin agents" in response.json()["description"]
        assert_matches(USER, "get", response)

    def test_another_partners_user_is_a_404(self, api, agent_b):
        response = api.get(USER.format(membership_id=agent_b.membership.pk))
        assert response.status_code == 404
        assert_matches(USER, "get", response)

    @pytest.mark.parametrize("size", [1, 25])
    def test_it_costs_the_same_whatever_the_number_of_customers(
        self, api, partner_a, sales_agent, licences, size, django_assert_num_queries
    ):
        for customer in make_customers(partner_a, size):
            relationship = AdminRelationshipFactory(partner=partner_a, customer=customer)
            AccessAssignment.objects.create(
                relationship=relationship, group=licences, roles=[READER]
            )
        url = USER.format(membership_id=sales_agent.membership.pk)
        api.get(url)
        # The key with its app, principal and membership; the app's rate; the user; the
        # paths.
        with django_assert_num_queries(3 + RATE_QUERIES):
            assert api.get(url).json()["totalCount"] == size


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
    def test_it_says_who_would_hold_what_and_what_would_not_be_made(
        self, helpdesk_api, template, sales_agent
    ):
        path = IF_APPROVED.format(template_id=template.pk)
        response = helpdesk_api.get(path)
        assert response.status_code == 200, response.json()
        assert_matches(IF_APPROVED, "get", response)
        body = response.json()
        assert (body["templateId"], body["version"], body["totalCount"]) == (
            str(template.pk),
            1,
            1,
        )
        [item] = body["items"]
        assert item["agent"]["userPrincipalName"] == sales_agent.username
        assert [p["accessContainer"]["displayName"] for p in item["through"]] == ["Licences"]
        assert item["allowedTasks"] == ["manageSubscription"]
        assert item["alreadyHeld"] == {"unifiedRoles": []}
        [not_made] = body["notMade"]
        assert not_made["code"] == "no_members"
        assert not_made["accessContainer"]["displayName"] == "Nobody"

    def test_with_a_customer_it_counts_what_is_held_there(self, api, template, customer, northwind):
        path = IF_APPROVED.format(template_id=template.pk)
        response = api.get(path, {"customerId": str(customer.pk)})
        assert response.status_code == 200, response.json()
        assert_matches(IF_APPROVED, "get", response)
        [item] = response.json()["items"]
        held = [role["roleDefinitionId"] for role in item["alreadyHeld"]["unifiedRoles"]]
        assert held == [READER, LICENSE_ADMINISTRATOR]

    def test_a_customer_id_that_is_no_guid_is_a_400_and_anothers_a_404(
        self, api, template, partner_b
    ):
        path = IF_APPROVED.format(template_id=template.pk)
        response = api.get(path, {"customerId": "nope"})
        assert response.status_code == 400
        assert response.json()["field"] == "customerId"
        assert_matches(IF_APPROVED, "get", response)
        theirs = CustomerFactory()
        ResellerRelationshipFactory(partner=partner_b, customer=theirs)
        assert api.get(path, {"customerId": str(theirs.pk)}).status_code == 404

    def test_another_partners_template_is_a_404(self, app_key_of, agent_b, template):
        client = client_holding(app_key_of(agent_b, Role.ADMIN_AGENT))
        response = client.get(IF_APPROVED.format(template_id=template.pk))
        assert response.status_code == 404
        assert_matches(IF_APPROVED, "get", response)
