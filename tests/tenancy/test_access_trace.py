"""The access trace (tenancy.selectors.access_trace): who holds which roles where, through which
security group, access assignment and admin relationship; what a template would give once a
customer approves; and that the trace, `services.agent_roles_in` and the rules' table never
disagree."""

import itertools
import random
from datetime import timedelta

import pytest
from django.utils import timezone

from tenancy import rules, services
from tenancy.choices import AdminRelationshipStatus, AssignmentState
from tenancy.entra_roles import (
    BILLING_ADMINISTRATOR,
    GLOBAL_ADMINISTRATOR,
    HELPDESK_ADMINISTRATOR,
    LICENSE_ADMINISTRATOR,
)
from tenancy.models import AccessAssignment, Cloud, Role, SecurityGroupMember, Subscription
from tenancy.rules import CustomerTask
from tenancy.selectors import access_trace
from tests.factories import (
    AdminRelationshipFactory,
    CustomerFactory,
    SecurityGroupFactory,
    SubscriptionFactory,
    grant_roles,
    member,
)

pytestmark = pytest.mark.django_db

READER = "88d8e3e3-8f55-4a1e-953a-9b9898b8876b"  # Directory Readers
USER_ADMINISTRATOR = "fe930be7-5e62-47db-91af-98c3a49a38b1"
POOL = [
    READER,
    HELPDESK_ADMINISTRATOR,
    USER_ADMINISTRATOR,
    LICENSE_ADMINISTRATOR,
    BILLING_ADMINISTRATOR,
    GLOBAL_ADMINISTRATOR,
]


def trace_roles(partner, membership, customer) -> frozenset[str]:
    return access_trace.roles_held(
        access_trace.access_paths(partner=partner, membership=membership, customer=customer)
    )


def in_group(group, *users):
    for user in users:
        SecurityGroupMember.objects.create(group=group, membership=user.membership)
    return group


class TestPaths:
    def test_an_agents_path_names_group_assignment_relationship_and_end(
        self, partner_a, sales_agent, customer
    ):
        relationship = AdminRelationshipFactory(
            partner=partner_a, customer=customer, roles=[READER, LICENSE_ADMINISTRATOR]
        )
        assignment = grant_roles(sales_agent.membership, relationship, LICENSE_ADMINISTRATOR)
        [path] = access_trace.access_paths(partner=partner_a, membership=sales_agent.membership)
        assert path.customer == customer
        assert path.group == assignment.group
        assert path.assignment_id == assignment.pk
        assert path.relationship == relationship
        assert path.ends_at == relationship.ends_at
        assert not path.auto_extend
        assert path.roles == {LICENSE_ADMINISTRATOR}
        assert path.role_names == ["License Administrator"]
        assert path.tasks == [CustomerTask.MANAGE_SUBSCRIPTION]
        assert path.username == sales_agent.username

    def test_an_auto_extending_relationship_past_its_recorded_end_shows_its_next_end(
        self, partner_a, sales_agent, customer
    ):
        relationship = AdminRelationshipFactory(
            partner=partner_a,
            customer=customer,
            auto_extend=True,
            approved_at=timezone.now() - timedelta(days=100),
        )
        grant_roles(sales_agent.membership, relationship)
        [path] = access_trace.access_paths(partner=partner_a, customer=customer)
        assert path.auto_extend
        assert path.ends_at == relationship.ends_at + timedelta(days=180)
        assert path.ends_at == relationship.current_end()

    def test_what_gives_nothing_is_not_a_path(self, partner_a, partner_b, sales_agent, customer):
        now = timezone.now()
        ended = AdminRelationshipFactory(
            partner=partner_a,
            customer=customer,
            status=AdminRelationshipStatus.TERMINATED,
            closed_at=now,
        )
        expired = AdminRelationshipFactory(
            partner=partner_a, customer=customer, approved_at=now - timedelta(days=100)
        )
        pending = AdminRelationshipFactory(partner=partner_a, customer=customer, pending=True)
        live = AdminRelationshipFactory(partner=partner_a, customer=customer, roles=[READER])
        for relationship in (ended, expired, pending):
            grant_roles(sales_agent.membership, relationship)
        grant_roles(sales_agent.membership, live, HELPDESK_ADMINISTRATOR)  # not the relationship's
        failed = grant_roles(sales_agent.membership, live, READER)
        failed.state = AssignmentState.FAILED
        failed.save()
        removed = grant_roles(sales_agent.membership, live, READER)
        removed.removed_at = now
        removed.save()
        # Another partner's group on another partner's relationship with the same customer.
        theirs = AdminRelationshipFactory(partner=partner_b, customer=customer)
        grant_roles(member(partner_b, Role.ADMIN_AGENT).membership, theirs)

        assert list(access_trace.access_paths(partner=partner_a, customer=customer)) == []
        assert services.agent_roles_in(sales_agent.membership, customer) == frozenset()

    def test_an_empty_group_gives_no_path_and_its_roles_still_show_to_the_customer(
        self, partner_a, customer
    ):
        relationship = AdminRelationshipFactory(partner=partner_a, customer=customer)
        group = SecurityGroupFactory(partner=partner_a, name="Nobody yet")
        AccessAssignment.objects.create(relationship=relationship, group=group, roles=[READER])
        assert list(access_trace.access_paths(partner=partner_a, customer=customer)) == []
        [granted] = access_trace.group_access_in(customer)
        assert (granted.group_name, granted.roles) == ("Nobody yet", {READER})
        assert granted.partner_id == partner_a.pk

    def test_agents_come_by_name_and_customers_by_name(
        self, partner_a, sales_agent, helpdesk_agent
    ):
        zeta = CustomerFactory(name="Zeta")
        alpha = CustomerFactory(name="Alpha")
        group = in_group(SecurityGroupFactory(partner=partner_a), sales_agent, helpdesk_agent)
        for customer in (zeta, alpha):
            relationship = AdminRelationshipFactory(partner=partner_a, customer=customer)
            AccessAssignment.objects.create(relationship=relationship, group=group, roles=[READER])
        customers = access_trace.by_customer(
            access_trace.access_paths(partner=partner_a, membership=sales_agent.membership)
        )
        assert [each.customer.name for each in customers] == ["Alpha", "Zeta"]
        agents = access_trace.by_agent(access_trace.access_paths(partner=partner_a, customer=zeta))
        assert [agent.username for agent in agents] == sorted(
            [sales_agent.username, helpdesk_agent.username]
        )

    def test_it_needs_an_agent_or_a_customer(self, partner_a):
        with pytest.raises(TypeError):
            list(access_trace.access_paths(partner=partner_a))

    @pytest.mark.parametrize("size", [1, 40])
    def test_it_costs_one_query_whatever_the_size(
        self, partner_a, sales_agent, size, django_assert_num_queries
    ):
        groups = [in_group(SecurityGroupFactory(partner=partner_a), sales_agent) for _ in range(3)]
        customer = None
        for _ in range(size):
            customer = CustomerFactory()
            relationship = AdminRelationshipFactory(partner=partner_a, customer=customer)
            for group in groups:
                AccessAssignment.objects.create(
                    relationship=relationship, group=group, roles=[READER]
                )
        with django_assert_num_queries(1):
            paths = list(
                access_trace.access_paths(partner=partner_a, membership=sales_agent.membership)
            )
        assert len(paths) == 3 * size
        with django_assert_num_queries(1):
            assert (
                len(
                    access_trace.by_agent(
                        access_trace.access_paths(partner=partner_a, customer=customer)
                    )
                )
                == 1
            )
        with django_assert_num_queries(1):
            assert len(access_trace.group_access_in(customer)) == 3


class TestAgentLookup:
    def test_anyone_sees_their_own_and_admins_see_anyones(
        self, sales_agent, helpdesk_agent, admin_agent, partner_global_admin
    ):
        own = access_trace.agent_access_of(helpdesk_agent.membership, helpdesk_agent.membership.pk)
        assert own == helpdesk_agent.membership
        for viewer in (admin_agent, partner_global_admin):
            assert access_trace.agent_access_of(viewer.membership, sales_agent.membership.pk)

    def test_an_agent_may_not_see_anothers(self, sales_agent, helpdesk_agent):
        from django.core.exceptions import PermissionDenied

        with pytest.raises(PermissionDenied, match="Only Global admins and Admin agents"):
            access_trace.agent_access_of(helpdesk_agent.membership, sales_agent.membership.pk)

    def test_another_partners_user_is_a_404(self, partner_global_admin, agent_b):
        from django.http import Http404

        with pytest.raises(Http404):
            access_trace.agent_access_of(partner_global_admin.membership, agent_b.membership.pk)


# --- The trace and the rules never disagree -----------------------------------------------------


def _random_relationship(rng, partner, customer, now):
    roles = rng.sample(POOL, rng.randint(1, 4))
    kind = rng.choice(["active", "active", "auto", "expiring", "expired", "ended", "pending"])
    fields = {"partner": partner, "customer": customer, "roles": sorted(roles)}
    if kind == "auto":
        # Past its recorded end, extending itself: still in force.
        fields |= {"auto_extend": True, "approved_at": now - timedelta(days=rng.choice([10, 95]))}
        fields["roles"] = sorted(set(roles) - {GLOBAL_ADMINISTRATOR}) or [READER]
    elif kind == "expiring":
        fields["approved_at"] = now - timedelta(days=80)
    elif kind == "expired":
        fields["approved_at"] = now - timedelta(days=rng.choice([91, 300]))
    elif kind == "ended":
        fields |= {"status": AdminRelationshipStatus.TERMINATED, "closed_at": now}
    elif kind == "pending":
        fields["pending"] = True
    return AdminRelationshipFactory(**fields)


def build_random_world(rng, partner, other_partner):
    """Agents, groups, customers, relationships in force and not, assignments made, failed and
    removed, some with roles their relationship doesn't hold; another partner's beside them."""
    now = timezone.now()
    agent_roles = [Role.ADMIN_AGENT, Role.SALES_AGENT, Role.HELPDESK_AGENT, Role.GLOBAL_ADMIN]
    agents = [member(partner, rng.choice(agent_roles)).membership for _ in range(5)]
    groups = [SecurityGroupFactory(partner=partner) for _ in range(4)]
    for group in groups:
        for agent in rng.sample(agents, rng.randint(1, 3)):
            SecurityGroupMember.objects.create(group=group, membership=agent)
    customers = [CustomerFactory() for _ in range(5)]
    theirs_group = SecurityGroupFactory(partner=other_partner)
    SecurityGroupMember.objects.create(
        group=theirs_group, membership=member(other_partner, Role.ADMIN_AGENT).membership
    )
    for customer in customers:
        SubscriptionFactory(partner=partner, customer=customer)
        theirs = AdminRelationshipFactory(partner=other_partner, customer=customer)
        AccessAssignment.objects.create(relationship=theirs, group=theirs_group, roles=POOL)
        for _ in range(rng.randint(1, 3)):
            relationship = _random_relationship(rng, partner, customer, now)
            for group in rng.sample(groups, rng.randint(1, 3)):
                # Mostly the relationship's roles; sometimes one it doesn't hold (it was
                # assigned, then the relationship moved on without it).
                roles = rng.sample(relationship.roles, rng.randint(1, len(relationship.roles)))
                if rng.random() < 0.3:
                    roles.append(rng.choice(POOL))
                state = AssignmentState.FAILED if rng.random() < 0.2 else AssignmentState.ACTIVE
                removed_at = now if rng.random() < 0.2 else None
                AccessAssignment.objects.create(
                    relationship=relationship,
                    group=group,
                    roles=sorted(set(roles)),
                    state=state,
                    removed_at=removed_at,
                )
    # At least one way in, whatever the draw.
    sure = AdminRelationshipFactory(partner=partner, customer=rng.choice(customers))
    AccessAssignment.objects.create(relationship=sure, group=rng.choice(groups), roles=sure.roles)
    return agents, customers


def oracle(membership, customer, now) -> frozenset[str]:
    """The rule as the README states it, worked out row by row with the models' own methods:
    for each assignment made and not removed, on a relationship of the agent's partner in force
    in the customer, whose group the agent is in, the assignment's roles that the relationship
    has."""
    held = set()
    for assignment in AccessAssignment.objects.select_related("relationship", "group"):
        relationship = assignment.relationship
        if not (
            assignment.is_active
            and relationship.partner_id == membership.tenant_id
            and relationship.customer_id == customer.pk
            and relationship.is_in_force(now)
            and assignment.group.memberships.filter(membership=membership).exists()
        ):
            continue
        held |= set(assignment.roles) & set(relationship.roles)
    return frozenset(held)


@pytest.mark.parametrize("seed", range(6))
def test_the_trace_agent_roles_in_and_the_rules_never_disagree(seed, partner_a, partner_b):
    rng = random.Random(seed)
    agents, customers = build_random_world(rng, partner_a, partner_b)
    now = timezone.now()
    by_agent = {
        agent.pk: {
            each.customer.pk: each.roles
            for each in access_trace.by_customer(
                access_trace.access_paths(partner=partner_a, membership=agent, now=now)
            )
        }
        for agent in agents
    }
    by_customer = {
        customer.pk: {
            each.membership_id: each.roles
            for each in access_trace.by_agent(
                access_trace.access_paths(partner=partner_a, customer=customer, now=now)
            )
        }
        for customer in customers
    }
    subscriptions = {
        sub.customer_id: sub
        for sub in Subscription.objects.filter(partner=partner_a).select_related(
            "offer", "customer"
        )
    }
    held_somewhere = 0
    for agent in agents:
        for customer in customers:
            expected = oracle(agent, customer, now)
            held_somewhere += bool(expected)
            assert by_agent[agent.pk].get(customer.pk, frozenset()) == expected
            assert by_customer[customer.pk].get(agent.pk, frozenset()) == expected
            assert trace_roles(partner_a, agent, customer) == expected
            assert services.agent_roles_in(agent, customer, now=now) == expected
            # What the trace says the roles allow is what the rules decide for the task.
            for task in CustomerTask:
                assert (task in access_trace.tasks_allowed(expected)) == rules.entra_roles_allow(
                    expected, task
                )
            may = rules.may_manage_subscription(
                is_azure_plan=False,
                provisioned_by_partner=True,
                has_reseller_relationship=True,
                has_admin_relationship=True,
                agent_roles=expected,
            )
            allows = CustomerTask.MANAGE_SUBSCRIPTION in access_trace.tasks_allowed(expected)
            assert bool(may) == allows
            # And what the subscription service itself decides for a licence subscription.
            decision = services.subscription_manage_decision(
                subscription=subscriptions[customer.pk], membership=agent
            )
            assert bool(decision) == allows, decision.reason
    # The random world is not empty of access (else the test proves little).
    assert held_somewhere


# --- If approved --------------------------------------------------------------------------------


TEMPLATE_NUMBERS = itertools.count(1)


def make_template(partner, by, mappings, roles=None):
    return services.template_create(
        partner=partner,
        created_by=by,
        content=services.TemplateContent(
            name=f"Template {next(TEMPLATE_NUMBERS)}",
            roles=roles or [READER, HELPDESK_ADMINISTRATOR, LICENSE_ADMINISTRATOR],
            duration_days=365,
            auto_extend=False,
            mappings=mappings,
        ),
    )


def approve_from(template, customer, admin_agent):
    version = template.latest
    relationship = services.admin_relationship_create(
        partner=template.partner,
        created_by=admin_agent,
        request=services.AdminRequest(
            name=f"If approved {customer.pk.hex[:8]}",
            duration_days=version.duration_days,
            roles=version.roles,
            auto_extend=version.auto_extend,
        ),
        customer=customer,
        finalize=True,
        template_version=version,
    )
    approver = member(customer, Role.CUSTOMER_GLOBAL_ADMIN)
    services.admin_relationship_approve(
        relationship_id=relationship.pk, user=approver, portal_cloud=Cloud.PUBLIC
    )
    return relationship


class TestIfApproved:
    def test_it_says_who_would_hold_what_and_which_mapping_would_not_be_made(
        self, partner_a, admin_agent, sales_agent, helpdesk_agent, django_assert_num_queries
    ):
        helpdesk = in_group(
            SecurityGroupFactory(partner=partner_a, name="Helpdesk"), helpdesk_agent
        )
        licences = in_group(
            SecurityGroupFactory(partner=partner_a, name="Licences"), sales_agent, helpdesk_agent
        )
        empty = SecurityGroupFactory(partner=partner_a, name="Empty")
        template = make_template(
            partner_a,
            admin_agent,
            [
                (helpdesk, [READER, HELPDESK_ADMINISTRATOR]),
                (licences, [LICENSE_ADMINISTRATOR]),
                (empty, [READER]),
            ],
        )
        with django_assert_num_queries(1):
            prospect = access_trace.if_approved(template.latest)
        agents = {agent.username: agent for agent in prospect.agents}
        assert agents[helpdesk_agent.username].roles == {
            READER,
            HELPDESK_ADMINISTRATOR,
            LICENSE_ADMINISTRATOR,
        }
        assert [p.group.name for p in agents[helpdesk_agent.username].paths] == [
            "Helpdesk",
            "Licences",
        ]
        assert agents[sales_agent.username].roles == {LICENSE_ADMINISTRATOR}
        assert agents[sales_agent.username].tasks == [CustomerTask.MANAGE_SUBSCRIPTION]
        [failed] = prospect.failed
        assert failed.group == empty
        assert failed.failure == "no_members"
        assert "Empty has no members" in failed.reason

    def test_with_a_customer_it_counts_what_is_held_there_already(
        self, partner_a, admin_agent, sales_agent, customer, django_assert_num_queries
    ):
        licences = in_group(SecurityGroupFactory(partner=partner_a), sales_agent)
        template = make_template(partner_a, admin_agent, [(licences, [LICENSE_ADMINISTRATOR])])
        held = AdminRelationshipFactory(partner=partner_a, customer=customer, roles=[READER])
        grant_roles(sales_agent.membership, held)
        with django_assert_num_queries(2):
            prospect = access_trace.if_approved(
                template.latest, partner=partner_a, customer=customer
            )
        [agent] = prospect.agents
        assert agent.roles == {READER, LICENSE_ADMINISTRATOR}
        assert agent.already == {READER}
        assert agent.new_role_names == ["License Administrator"]

    @pytest.mark.parametrize("seed", range(4))
    def test_what_it_foretells_is_what_approval_gives(self, seed, partner_a, admin_agent):
        """Random groups, members and mappings: once a customer approves, each agent holds
        exactly what "If approved" said, and the rules allow what it said they would."""
        rng = random.Random(seed)
        agents = [member(partner_a, Role.SALES_AGENT).membership for _ in range(5)]
        roles = rng.sample(POOL[:5], 3)
        mappings = []
        for _ in range(rng.randint(1, 4)):
            group = SecurityGroupFactory(partner=partner_a)
            for agent in rng.sample(agents, rng.randint(0, 3)):
                SecurityGroupMember.objects.create(group=group, membership=agent)
            mappings.append((group, rng.sample(roles, rng.randint(1, 3))))
        template = make_template(partner_a, admin_agent, mappings, roles=roles)
        foretold = {
            agent.membership_id: agent for agent in access_trace.if_approved(template.latest).agents
        }
        customer = CustomerFactory()
        approve_from(template, customer, admin_agent)
        for agent in agents:
            held = services.agent_roles_in(agent, customer)
            expected = foretold[agent.pk].roles if agent.pk in foretold else frozenset()
            assert held == expected
            assert access_trace.tasks_allowed(held) == (
                foretold[agent.pk].tasks if agent.pk in foretold else []
            )
