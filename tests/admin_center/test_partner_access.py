"""Partner relationships shows, for each partner, what its agents hold in the organization: the
security groups given roles on its admin relationships in force, each group's roles and the
relationship's end — what the customer granted. The groups' names, not the agents' names."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import dateformat, timezone

from tenancy.entra_roles import HELPDESK_ADMINISTRATOR, LICENSE_ADMINISTRATOR
from tenancy.models import AccessAssignment, AdminRelationshipStatus, Role, SecurityGroupMember
from tests.factories import (
    AdminRelationshipFactory,
    CustomerFactory,
    PartnerFactory,
    ResellerRelationshipFactory,
    SecurityGroupFactory,
    member,
)

pytestmark = pytest.mark.django_db

LIST = reverse("admin_center:partner-relationships")
READER = "88d8e3e3-8f55-4a1e-953a-9b9898b8876b"  # Directory Readers
# As tests/admin_center/test_partner_relationships.py counts them: the session; the user with
# their membership; the reseller relationships; the admin relationships; the groups' access.
LIST_QUERIES = 5


def day(moment) -> str:
    return dateformat.format(timezone.localtime(moment), "M j, Y")


def group_with_roles(relationship, name, roles, *agents):
    group = SecurityGroupFactory(partner=relationship.partner, name=name)
    for agent in agents:
        SecurityGroupMember.objects.create(group=group, membership=agent.membership)
    AccessAssignment.objects.create(relationship=relationship, group=group, roles=roles)
    return group


@pytest.fixture
def helpdesk(partner_a, customer, helpdesk_agent):
    relationship = AdminRelationshipFactory(
        partner=partner_a,
        customer=customer,
        name="Contoso support",
        roles=[READER, HELPDESK_ADMINISTRATOR, LICENSE_ADMINISTRATOR],
    )
    group_with_roles(
        relationship, "Tier 1 helpdesk", [READER, HELPDESK_ADMINISTRATOR], helpdesk_agent
    )
    return relationship


class TestAgentsAccess:
    def test_each_partner_shows_its_groups_roles_and_end_without_agents_names(
        self, client_for, customer_admin, helpdesk, helpdesk_agent
    ):
        page = client_for(customer_admin).get(LIST)
        html = page.content.decode()
        assert "Agents&#x27; access" in html or "Agents' access" in html
        assert "Security group <strong>Tier 1 helpdesk</strong>" in html
        assert "Directory Readers, Helpdesk Administrator" in html
        assert f"Through “Contoso support”, until {day(helpdesk.ends_at)}" in html
        assert helpdesk_agent.username not in html
        [row] = page.context["active"]
        [access] = row["access"]
        assert access.roles == {READER, HELPDESK_ADMINISTRATOR}

    def test_an_auto_extending_relationship_says_it_goes_on(
        self, client_for, customer_admin, helpdesk
    ):
        helpdesk.auto_extend = True
        helpdesk.save()
        html = client_for(customer_admin).get(LIST).content.decode()
        assert "then extended automatically" in html

    def test_a_billing_administrator_sees_it_too(
        self, client_for, customer_billing_admin, helpdesk
    ):
        html = client_for(customer_billing_admin).get(LIST).content.decode()
        assert "Tier 1 helpdesk" in html

    def test_what_no_longer_gives_roles_is_not_shown(
        self, client_for, customer_admin, partner_a, customer, helpdesk
    ):
        now = timezone.now()
        ended = AdminRelationshipFactory(
            partner=partner_a,
            customer=customer,
            status=AdminRelationshipStatus.TERMINATED,
            closed_at=now,
        )
        group_with_roles(ended, "Ended group", ended.roles)
        expired = AdminRelationshipFactory(
            partner=partner_a, customer=customer, approved_at=now - timedelta(days=100)
        )
        group_with_roles(expired, "Expired group", expired.roles)
        removed = group_with_roles(helpdesk, "Removed group", [READER])
        AccessAssignment.objects.filter(group=removed).update(removed_at=now)
        # Another organization's partner access is not this one's business.
        other = CustomerFactory()
        theirs = AdminRelationshipFactory(partner=partner_a, customer=other)
        group_with_roles(theirs, "Elsewhere", theirs.roles)
        html = client_for(customer_admin).get(LIST).content.decode()
        assert "Tier 1 helpdesk" in html
        for hidden in ("Ended group", "Expired group", "Removed group", "Elsewhere"):
            assert hidden not in html

    def test_a_partner_with_no_group_holding_roles_says_none(
        self, client_for, customer_admin, partner_a, customer
    ):
        ResellerRelationshipFactory(partner=partner_a, customer=customer)
        html = client_for(customer_admin).get(LIST).content.decode()
        assert "None: no security group of this partner holds a role here." in html

    def test_its_query_count_is_fixed_whatever_the_number_of_partners_and_groups(
        self, client_for, customer_admin, customer, django_assert_num_queries
    ):
        client = client_for(customer_admin)

        def add_partners(n):
            for _ in range(n):
                partner = PartnerFactory()
                relationship = AdminRelationshipFactory(partner=partner, customer=customer)
                for _ in range(3):
                    group_with_roles(
                        relationship,
                        f"Group {SecurityGroupFactory._meta.model.objects.count()}",
                        [READER],
                        member(partner, Role.ADMIN_AGENT),
                    )

        add_partners(1)
        with django_assert_num_queries(LIST_QUERIES):
            page = client.get(LIST)
        assert page.content.decode().count("Security group <strong>") == 3
        add_partners(15)
        with django_assert_num_queries(LIST_QUERIES):
            page = client.get(LIST)
        assert page.content.decode().count("Security group <strong>") == 16 * 3
