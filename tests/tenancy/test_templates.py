"""Admin relationship templates: versions, requests made from one, and access that follows the
customer's approval (each mapping an assignment at once, or one that says why it couldn't be)."""

import pytest

from tenancy import services
from tenancy.choices import AssignmentState, AuditAction, WebhookEventName
from tenancy.entra_roles import (
    DEFAULT_ROLES,
    GLOBAL_ADMINISTRATOR,
    HELPDESK_ADMINISTRATOR,
    LICENSE_ADMINISTRATOR,
)
from tenancy.models import (
    AccessAssignment,
    AuditEvent,
    Cloud,
    Role,
    SecurityGroupMember,
    TemplateVersion,
    WebhookEvent,
    WebhookSubscription,
)
from tests.factories import SecurityGroupFactory, member

pytestmark = pytest.mark.django_db

READER = "88d8e3e3-8f55-4a1e-953a-9b9898b8876b"  # Directory Readers


@pytest.fixture
def helpdesk_group(partner_a, helpdesk_agent):
    group = SecurityGroupFactory(partner=partner_a, name="Helpdesk")
    SecurityGroupMember.objects.create(group=group, membership=helpdesk_agent.membership)
    return group


@pytest.fixture
def licences_group(partner_a, sales_agent):
    group = SecurityGroupFactory(partner=partner_a, name="Licences")
    SecurityGroupMember.objects.create(group=group, membership=sales_agent.membership)
    return group


def content(*mappings, name="Helpdesk tier", roles=None, **more):
    return services.TemplateContent(
        name=name,
        roles=roles or [READER, HELPDESK_ADMINISTRATOR, LICENSE_ADMINISTRATOR],
        duration_days=more.pop("duration_days", 365),
        auto_extend=more.pop("auto_extend", True),
        mappings=list(mappings),
        **more,
    )


@pytest.fixture
def template(partner_a, admin_agent, helpdesk_group, licences_group):
    return services.template_create(
        partner=partner_a,
        created_by=admin_agent,
        content=content(
            (helpdesk_group, [READER, HELPDESK_ADMINISTRATOR]),
            (licences_group, [LICENSE_ADMINISTRATOR]),
        ),
    )


def request_from(template, customer, agent):
    version = template.latest
    return services.admin_relationship_create(
        partner=template.partner,
        created_by=agent,
        request=services.AdminRequest(
            name=f"{template.name} - {customer.name}",
            duration_days=version.duration_days,
            roles=version.roles,
            auto_extend=version.auto_extend,
        ),
        customer=customer,
        finalize=True,
        template_version=version,
    )


def approve(relationship, user):
    return services.admin_relationship_approve(
        relationship_id=relationship.pk, user=user, portal_cloud=Cloud.PUBLIC
    )


class TestVersions:
    def test_a_template_starts_at_version_one_and_is_recorded(self, template):
        version = template.latest
        assert (version.number, version.duration_days, version.auto_extend) == (1, 365, True)
        assert sorted(m.group.name for m in version.mappings.all()) == ["Helpdesk", "Licences"]
        [line] = AuditEvent.objects.filter(action=AuditAction.TEMPLATE_CREATED)
        assert line.details["version"] == 1

    def test_an_edit_is_a_new_version_and_the_old_one_stays(
        self, template, admin_agent, helpdesk_group
    ):
        first = template.latest
        services.template_update(
            template=template,
            changed_by=admin_agent,
            content=content((helpdesk_group, [READER]), roles=[READER, HELPDESK_ADMINISTRATOR]),
        )
        template.refresh_from_db()
        assert template.latest.number == 2
        assert [m.roles for m in template.latest.mappings.all()] == [[READER]]
        first.refresh_from_db()
        assert first.roles == sorted([READER, HELPDESK_ADMINISTRATOR, LICENSE_ADMINISTRATOR])
        assert first.mappings.count() == 2

    def test_saving_it_unchanged_makes_no_version(
        self, template, admin_agent, helpdesk_group, licences_group
    ):
        services.template_update(
            template=template,
            changed_by=admin_agent,
            content=content(
                (licences_group, [LICENSE_ADMINISTRATOR]),
                (helpdesk_group, [HELPDESK_ADMINISTRATOR, READER]),
            ),
        )
        assert TemplateVersion.objects.filter(template=template).count() == 1


class TestRefusals:
    def test_only_admin_agents_make_templates(self, partner_a, sales_agent):
        with pytest.raises(services.ServiceError, match="Only Admin agents"):
            services.template_create(partner=partner_a, created_by=sales_agent, content=content())

    @pytest.mark.parametrize(
        ("change", "field", "words"),
        [
            ({"roles": [GLOBAL_ADMINISTRATOR]}, "auto_extend", "Global Administrator"),
            ({"duration_days": 731}, "duration_days", "730"),
            ({"name": " "}, "name", "Enter a name"),
        ],
    )
    def test_bad_input_is_a_field_error_and_changes_nothing(
        self, partner_a, admin_agent, change, field, words
    ):
        with pytest.raises(services.AdminRequestInvalid) as refused:
            services.template_create(
                partner=partner_a, created_by=admin_agent, content=content(**change)
            )
        assert words in refused.value.problems[field]
        assert not TemplateVersion.objects.exists()

    def test_a_mapping_to_another_partners_group_or_a_role_outside_is_refused(
        self, partner_a, partner_b, admin_agent, helpdesk_group
    ):
        theirs = SecurityGroupFactory(partner=partner_b)
        with pytest.raises(services.AdminRequestInvalid, match="own security groups"):
            services.template_create(
                partner=partner_a, created_by=admin_agent, content=content((theirs, [READER]))
            )
        with pytest.raises(services.AdminRequestInvalid, match="doesn't ask for"):
            services.template_create(
                partner=partner_a,
                created_by=admin_agent,
                content=content((helpdesk_group, [GLOBAL_ADMINISTRATOR])),
            )

    def test_a_name_is_once_per_partner(self, template, partner_a, admin_agent):
        with pytest.raises(services.AdminRequestInvalid, match="already a template"):
            services.template_create(
                partner=partner_a, created_by=admin_agent, content=content(name="HELPDESK TIER")
            )


class TestAccessFollowsApproval:
    def test_on_approval_each_mapping_is_an_assignment_and_its_agents_act_at_once(
        self, template, admin_agent, customer, customer_admin, helpdesk_agent, sales_agent
    ):
        WebhookSubscription.objects.create(
            partner=template.partner,
            url="https://hooks.example.com/x",
            events=[WebhookEventName.ASSIGNMENT_CREATED],
            created_by=admin_agent,
        )
        relationship = request_from(template, customer, admin_agent)
        assert relationship.template_version == template.latest
        assert services.agent_roles_in(helpdesk_agent.membership, customer) == frozenset()

        approve(relationship, customer_admin)

        assert services.agent_roles_in(helpdesk_agent.membership, customer) == {
            READER,
            HELPDESK_ADMINISTRATOR,
        }
        assert services.agent_roles_in(sales_agent.membership, customer) == {LICENSE_ADMINISTRATOR}
        assignments = AccessAssignment.objects.filter(relationship=relationship)
        assert {a.state for a in assignments} == {AssignmentState.ACTIVE}
        assert WebhookEvent.objects.filter(name=WebhookEventName.ASSIGNMENT_CREATED).count() == 2

    def test_an_emptied_group_is_kept_with_its_reason_and_a_retry_makes_it(
        self, template, admin_agent, customer, customer_admin, helpdesk_group, helpdesk_agent
    ):
        SecurityGroupMember.objects.filter(group=helpdesk_group).delete()
        relationship = request_from(template, customer, admin_agent)
        approve(relationship, customer_admin)

        failed = AccessAssignment.objects.get(relationship=relationship, group=helpdesk_group)
        assert (failed.state, failed.failure) == (AssignmentState.FAILED, "no_members")
        assert AuditEvent.objects.filter(action=AuditAction.ASSIGNMENT_FAILED).count() == 1
        with pytest.raises(services.ServiceError, match="Helpdesk has no members"):
            services.access_assignment_retry(assignment=failed, retried_by=admin_agent)

        SecurityGroupMember.objects.create(
            group=helpdesk_group, membership=helpdesk_agent.membership
        )
        services.access_assignment_retry(assignment=failed, retried_by=admin_agent)
        failed.refresh_from_db()
        assert failed.state == AssignmentState.ACTIVE
        assert HELPDESK_ADMINISTRATOR in services.agent_roles_in(
            helpdesk_agent.membership, customer
        )

    def test_a_relationship_made_without_a_template_gets_no_assignment(
        self, partner_a, admin_agent, customer, customer_admin
    ):
        relationship = services.admin_relationship_create(
            partner=partner_a,
            created_by=admin_agent,
            request=services.AdminRequest("Plain", 90, list(DEFAULT_ROLES)),
            customer=customer,
            finalize=True,
        )
        approve(relationship, customer_admin)
        assert not AccessAssignment.objects.filter(relationship=relationship).exists()

    def test_another_partners_template_is_refused(
        self, template, partner_b, customer, customer_admin
    ):
        agent = member(partner_b, Role.ADMIN_AGENT)
        with pytest.raises(services.AdminRequestInvalid, match="your organization's templates"):
            services.admin_relationship_create(
                partner=partner_b,
                created_by=agent,
                request=services.AdminRequest("Theirs", 90, [READER]),
                customer=customer,
                template_version=template.latest,
            )
