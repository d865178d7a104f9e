"""Admin relationships (GDAP) through the services: request, approval, decline, withdrawal,
termination, security groups and their assignments; statuses read off the dates."""

from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from tenancy import services
from tenancy.models import (
    GLOBAL_ADMINISTRATOR,
    HELPDESK_ADMINISTRATOR,
    LICENSE_ADMINISTRATOR,
    AccessAssignment,
    AdminRelationship,
    AdminRelationshipStatus,
    AuditAction,
    AuditEvent,
    Cloud,
    CustomerListRow,
    Role,
)
from tests.factories import (
    AdminRelationshipFactory,
    CustomerFactory,
    SecurityGroupFactory,
    factory_admin_token,
    member,
)

pytestmark = pytest.mark.django_db
THREE_ROLES = [
    HELPDESK_ADMINISTRATOR,
    LICENSE_ADMINISTRATOR,
    "88d8e3e3-8f55-4a1e-953a-9b9898b8876b",
]


@pytest.fixture
def admin_agent(partner_a):
    return member(partner_a, Role.ADMIN_AGENT, email="agent@contosopartners.example")


def request(partner, agent, *, name="Helpdesk tier 1", days=90, roles=THREE_ROLES, **more):
    return services.admin_relationship_create(
        partner=partner,
        created_by=agent,
        request=services.AdminRequest(name, days, roles, more.pop("auto_extend", False)),
        finalize=more.pop("finalize", True),
        **more,
    )


def approve(relationship, user, cloud=Cloud.PUBLIC):
    return services.admin_relationship_approve(
        relationship_id=relationship.pk, user=user, portal_cloud=cloud
    )


class TestRequest:
    def test_finalize_request_makes_a_pending_request_with_a_link(self, partner_a, admin_agent):
        relationship = request(partner_a, admin_agent)
        assert relationship.display_status() == AdminRelationshipStatus.APPROVAL_PENDING
        assert relationship.customer is None  # any customer, until one approves
        link = relationship.link()
        assert "/partners/invitation/granularAdminRelationships/" in link
        assert str(relationship.pk) in link
        token = link.rsplit("token=", 1)[1]
        assert relationship.token_hash != token  # only a hash of it is kept
        assert services.admin_relationship_find(relationship.pk, token) == relationship
        other = token[:-1] + ("B" if token.endswith("A") else "A")
        assert services.admin_relationship_find(relationship.pk, other) is None
        assert [e.action for e in AuditEvent.objects.order_by("id")] == [
            AuditAction.ADMIN_CREATED,
            AuditAction.ADMIN_FINALIZED,
        ]

    def test_a_draft_has_no_link_until_finalized(self, partner_a, admin_agent):
        draft = request(partner_a, admin_agent, finalize=False)
        assert (draft.display_status(), draft.link()) == (AdminRelationshipStatus.CREATED, None)
        finalized = services.admin_relationship_finalize(
            relationship=draft, finalized_by=admin_agent
        )
        assert finalized.display_status() == AdminRelationshipStatus.APPROVAL_PENDING
        with pytest.raises(services.ServiceError, match="waiting for the customer"):
            services.admin_relationship_finalize(relationship=draft, finalized_by=admin_agent)

    @pytest.mark.parametrize(
        ("fields", "field"),
        [
            ({"days": 0}, "duration_days"),
            ({"days": 731}, "duration_days"),
            ({"name": "n" * 51}, "name"),
            ({"roles": ["62e90394-0000-0000-0000-000000000000"]}, "roles"),
            ({"roles": [GLOBAL_ADMINISTRATOR], "auto_extend": True}, "auto_extend"),
        ],
    )
    def test_bad_input_is_refused_by_field_and_saves_nothing(
        self, partner_a, admin_agent, fields, field
    ):
        with pytest.raises(services.AdminRequestInvalid) as refused:
            request(partner_a, admin_agent, **fields)
        assert field in refused.value.problems
        assert not AdminRelationship.objects.exists()
        assert not AuditEvent.objects.exists()

    def test_a_name_is_used_once_per_partner_whatever_its_case(
        self, partner_a, partner_b, admin_agent
    ):
        first = request(partner_a, admin_agent, name="Helpdesk")
        services.admin_relationship_withdraw(relationship=first, withdrawn_by=admin_agent)
        with pytest.raises(services.AdminRequestInvalid, match="already has an admin relation"):
            request(partner_a, admin_agent, name=" HELPDESK ")
        assert AdminRelationship.objects.count() == 1
        request(partner_b, member(partner_b, Role.ADMIN_AGENT), name="Helpdesk")

    def test_a_customer_of_another_cloud_cannot_be_asked(self, partner_a, admin_agent):
        usgov = CustomerFactory(cloud=Cloud.USGOV)
        with pytest.raises(services.AdminRequestInvalid, match="own cloud"):
            request(partner_a, admin_agent, customer=usgov)


class TestAnswer:
    def test_approval_binds_the_customer_starts_the_clock_and_tells_the_agent(
        self, partner_a, admin_agent, customer, customer_admin, django_capture_on_commit_callbacks
    ):
        relationship = request(partner_a, admin_agent)
        with django_capture_on_commit_callbacks(execute=True):
            approved = approve(relationship, customer_admin)
        assert approved.customer == customer
        assert approved.display_status() == AdminRelationshipStatus.ACTIVE
        assert approved.ends_at == approved.approved_at + timedelta(days=90)
        assert approved.days_left() == 89
        [email] = mail.outbox
        assert email.to == ["agent@contosopartners.example"]
        page = f"/partner-center/admin-relationships/{relationship.pk}/"
        assert page in email.body and page in email.alternatives[0].content
        event = AuditEvent.objects.get(action=AuditAction.ADMIN_APPROVED)
        assert (event.actor, event.actor_tenant, event.partner) == (
            customer_admin,
            customer,
            partner_a,
        )
        row = CustomerListRow.objects.get(partner=partner_a, customer=customer)
        assert row.has_admin

    def test_a_request_is_answered_once(self, partner_a, admin_agent, customer_admin):
        relationship = request(partner_a, admin_agent)
        approve(relationship, customer_admin)
        with pytest.raises(services.RequestRefused) as refused:
            services.admin_relationship_decline(
                relationship_id=relationship.pk, user=customer_admin, portal_cloud=Cloud.PUBLIC
            )
        assert refused.value.refusal.code == "answered_here"

    def test_a_billing_administrator_is_refused_naming_the_global_administrator(
        self, partner_a, admin_agent, customer
    ):
        relationship = request(partner_a, admin_agent)
        billing = member(customer, Role.CUSTOMER_BILLING_ADMIN)
        with pytest.raises(services.RequestRefused) as refused:
            approve(relationship, billing)
        assert refused.value.refusal.code == "role"
        assert (
            "Only Global administrators and Delegated Admin Relationship Administrators can approve"
        ) in refused.value.refusal.message
        relationship.refresh_from_db()
        assert relationship.display_status() == AdminRelationshipStatus.APPROVAL_PENDING

    def test_decline_closes_it_and_tells_the_agent(
        self, partner_a, admin_agent, customer, customer_admin, django_capture_on_commit_callbacks
    ):
        relationship = request(partner_a, admin_agent)
        with django_capture_on_commit_callbacks(execute=True):
            declined = services.admin_relationship_decline(
                relationship_id=relationship.pk, user=customer_admin, portal_cloud=Cloud.PUBLIC
            )
        assert declined.display_status() == AdminRelationshipStatus.DECLINED
        assert (declined.customer, declined.closed_by_tenant) == (customer, customer)
        assert len(mail.outbox) == 1
        assert not CustomerListRow.objects.exists()

    def test_a_request_for_one_customer_is_refused_to_another(
        self, partner_a, admin_agent, customer
    ):
        other = CustomerFactory(name="Fabrikam")
        relationship = request(partner_a, admin_agent, customer=other)
        with pytest.raises(services.RequestRefused) as refused:
            approve(relationship, member(customer, Role.CUSTOMER_GLOBAL_ADMIN))
        assert refused.value.refusal.code == "other_customer"

    def test_an_unanswered_request_lapses_after_90_days(self, partner_a, customer_admin):
        relationship = AdminRelationshipFactory(
            partner=partner_a,
            customer=None,
            pending=True,
            finalized_at=timezone.now() - timedelta(days=91),
        )
        assert relationship.display_status() == AdminRelationshipStatus.EXPIRED
        with pytest.raises(services.RequestRefused) as refused:
            approve(relationship, customer_admin)
        assert refused.value.refusal.code == "expired"

    def test_withdrawn_requests_cannot_be_approved(self, partner_a, admin_agent, customer_admin):
        relationship = request(partner_a, admin_agent)
        services.admin_relationship_withdraw(relationship=relationship, withdrawn_by=admin_agent)
        with pytest.raises(services.RequestRefused) as refused:
            approve(relationship, customer_admin)
        assert refused.value.refusal.code == "withdrawn"
        with pytest.raises(services.ServiceError, match="withdrawn"):
            services.admin_relationship_withdraw(
                relationship=relationship, withdrawn_by=admin_agent
            )

    def test_the_partners_cloud_decides_the_portal(self, partner_a, admin_agent, customer_admin):
        relationship = request(partner_a, admin_agent)
        with pytest.raises(services.RequestRefused) as refused:
            approve(relationship, customer_admin, cloud=Cloud.USGOV)
        assert refused.value.refusal.code == "wrong_portal"


class TestTime:
    def test_statuses_follow_the_dates(self, partner_a):
        now = timezone.now()
        relationship = AdminRelationshipFactory(
            partner=partner_a, approved_at=now - timedelta(days=80), duration_days=90
        )
        assert relationship.display_status(now) == AdminRelationshipStatus.EXPIRING  # 10 days left
        assert (
            relationship.display_status(now - timedelta(days=30)) == AdminRelationshipStatus.ACTIVE
        )
        assert (
            relationship.display_status(now + timedelta(days=10)) == AdminRelationshipStatus.EXPIRED
        )
        for status in (
            AdminRelationshipStatus.ACTIVE,
            AdminRelationshipStatus.EXPIRING,
            AdminRelationshipStatus.EXPIRED,
        ):
            shown = AdminRelationship.objects.with_status(status, now=now + timedelta(days=10))
            assert list(shown) == (
                [relationship] if status == AdminRelationshipStatus.EXPIRED else []
            )

    def test_auto_extend_never_lapses(self, partner_a):
        relationship = AdminRelationshipFactory(partner=partner_a, auto_extend=True)
        later = relationship.ends_at + timedelta(days=1)
        assert relationship.display_status(later) == AdminRelationshipStatus.ACTIVE
        assert relationship.current_end(later) == relationship.ends_at + timedelta(days=180)
        assert AdminRelationship.objects.in_force(later).get() == relationship


class TestTerminate:
    def test_the_partner_terminates_and_the_customers_admins_are_told(
        self,
        partner_a,
        admin_agent,
        customer,
        customer_admin,
        django_capture_on_commit_callbacks,
    ):
        relationship = AdminRelationshipFactory(partner=partner_a, customer=customer)
        group = SecurityGroupFactory(partner=partner_a)
        assignment = services.access_assignment_create(
            relationship=relationship,
            group=group,
            roles=[LICENSE_ADMINISTRATOR],
            created_by=admin_agent,
        )
        with django_capture_on_commit_callbacks(execute=True):
            services.admin_relationship_terminate(
                relationship=relationship, terminated_by=admin_agent, by=partner_a
            )
        relationship.refresh_from_db()
        assert relationship.display_status() == AdminRelationshipStatus.TERMINATED
        assignment.refresh_from_db()
        assert assignment.removed_at is not None  # its assignments go with it
        [email] = mail.outbox
        assert email.to == [customer_admin.email]

    def test_a_stranger_cannot_terminate(self, partner_a, partner_b, customer):
        relationship = AdminRelationshipFactory(partner=partner_a, customer=customer)
        with pytest.raises(services.ServiceError, match="isn't yours"):
            services.admin_relationship_terminate(
                relationship=relationship,
                terminated_by=member(partner_b, Role.ADMIN_AGENT),
                by=partner_b,
            )


class TestAssignmentsAndGroups:
    def test_a_group_gets_only_the_relationships_roles(self, partner_a, admin_agent, customer):
        relationship = AdminRelationshipFactory(
            partner=partner_a, customer=customer, roles=[HELPDESK_ADMINISTRATOR]
        )
        group = SecurityGroupFactory(partner=partner_a)
        with pytest.raises(services.AdminRequestInvalid, match="Not a role of this admin"):
            services.access_assignment_create(
                relationship=relationship,
                group=group,
                roles=[LICENSE_ADMINISTRATOR],
                created_by=admin_agent,
            )
        assert not AccessAssignment.objects.exists()

    def test_another_partners_group_is_refused(self, partner_a, partner_b, admin_agent, customer):
        relationship = AdminRelationshipFactory(partner=partner_a, customer=customer)
        with pytest.raises(services.AdminRequestInvalid, match="your organization's security"):
            services.access_assignment_create(
                relationship=relationship,
                group=SecurityGroupFactory(partner=partner_b),
                roles=[HELPDESK_ADMINISTRATOR],
                created_by=admin_agent,
            )

    def test_one_assignment_per_group_edited_then_removed(self, partner_a, admin_agent, customer):
        relationship = AdminRelationshipFactory(partner=partner_a, customer=customer)
        group = SecurityGroupFactory(partner=partner_a)
        assignment = services.access_assignment_create(
            relationship=relationship,
            group=group,
            roles=[HELPDESK_ADMINISTRATOR],
            created_by=admin_agent,
        )
        with pytest.raises(services.AdminRequestInvalid, match="already has roles"):
            services.access_assignment_create(
                relationship=relationship,
                group=group,
                roles=[LICENSE_ADMINISTRATOR],
                created_by=admin_agent,
            )
        services.access_assignment_update(
            assignment=assignment, roles=[LICENSE_ADMINISTRATOR], updated_by=admin_agent
        )
        assignment.refresh_from_db()
        assert assignment.roles == [LICENSE_ADMINISTRATOR]
        services.access_assignment_remove(assignment=assignment, removed_by=admin_agent)
        with pytest.raises(services.ServiceError, match="already removed"):
            services.access_assignment_remove(assignment=assignment, removed_by=admin_agent)
        assert AccessAssignment.objects.count() == 1  # kept, marked removed
        assert list(
            AuditEvent.objects.filter(action__startswith="access_assignment").values_list(
                "action", flat=True
            )
        ) == [
            AuditAction.ASSIGNMENT_REMOVED,
            AuditAction.ASSIGNMENT_UPDATED,
            AuditAction.ASSIGNMENT_CREATED,
        ]

    def test_an_expired_relationship_takes_no_assignment(self, partner_a, admin_agent, customer):
        relationship = AdminRelationshipFactory(
            partner=partner_a,
            customer=customer,
            approved_at=timezone.now() - timedelta(days=100),
            duration_days=90,
        )
        # The sentence the pages and the API show too (the service had its own, which said
        # "has expired": two copies of one rule).
        with pytest.raises(services.ServiceError, match="and this one is expired"):
            services.access_assignment_create(
                relationship=relationship,
                group=SecurityGroupFactory(partner=partner_a),
                roles=[HELPDESK_ADMINISTRATOR],
                created_by=admin_agent,
            )

    def test_groups_have_unique_names_and_own_members(self, partner_a, partner_b, admin_agent):
        group = services.security_group_create(
            partner=partner_a, name="Helpdesk – tier 1", created_by=admin_agent
        )
        with pytest.raises(services.AdminRequestInvalid, match="already a security group"):
            services.security_group_create(
                partner=partner_a, name="HELPDESK – TIER 1", created_by=admin_agent
            )
        agent = member(partner_a, Role.SALES_AGENT).membership
        services.security_group_member_add(group=group, membership=agent, added_by=admin_agent)
        with pytest.raises(services.AdminRequestInvalid, match="already a member"):
            services.security_group_member_add(group=group, membership=agent, added_by=admin_agent)
        stranger = member(partner_b, Role.SALES_AGENT).membership
        with pytest.raises(services.AdminRequestInvalid, match="own users"):
            services.security_group_member_add(
                group=group, membership=stranger, added_by=admin_agent
            )
        services.security_group_rename(
            group=group, name="Helpdesk – tier 2", renamed_by=admin_agent
        )
        services.security_group_member_remove(group=group, membership=agent, removed_by=admin_agent)
        assert not group.members.exists()
        assert AuditEvent.objects.filter(action__startswith="security_group").count() == 4

    def test_the_reseller_requests_option_makes_a_default_admin_relationship(
        self, partner_a, sales_agent, customer, customer_admin
    ):
        invitation = services.invitation_create(
            partner=partner_a, created_by=sales_agent, include_admin=True
        )
        services.invitation_accept(
            invitation_id=invitation.pk,
            user=customer_admin,
            signer=services.Signer("Nancy", "Davolio", "nancy@northwind.example"),
            client_ip=None,
            portal_cloud=Cloud.PUBLIC,
        )
        relationship = AdminRelationship.objects.get()
        assert relationship.invitation == invitation
        assert relationship.name.startswith("Default roles - Northwind Traders - ")
        assert len(relationship.name) <= 50
        assert GLOBAL_ADMINISTRATOR not in relationship.roles
        assert relationship.link() is None  # approved with the reseller request: no link


def test_the_link_of_a_factory_request_works(partner_a):
    relationship = AdminRelationshipFactory(partner=partner_a, pending=True, customer=None)
    token = factory_admin_token(relationship)
    assert services.admin_relationship_find(relationship.pk, token) == relationship
