"""What a partner changes on a relationship in force without new consent: auto-extend on or off,
and Remove Global Administrator (from the relationship and every assignment that held it; the
customer told), for one or as a bulk job."""

from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from tenancy import services
from tenancy.choices import AuditAction, BulkItemState, BulkJobKind, WebhookEventName
from tenancy.entra_roles import GLOBAL_ADMINISTRATOR, HELPDESK_ADMINISTRATOR
from tenancy.models import (
    ADMIN_FOREVER,
    AccessAssignment,
    AdminRelationship,
    AuditEvent,
    BulkJobItem,
    CustomerListRow,
    ResellerRelationship,
    Role,
    SecurityGroupMember,
    WebhookEvent,
    WebhookSubscription,
)
from tests.factories import AdminRelationshipFactory, SecurityGroupFactory, member

pytestmark = pytest.mark.django_db

READER = "88d8e3e3-8f55-4a1e-953a-9b9898b8876b"


@pytest.fixture
def customer_ga(customer):
    return member(customer, Role.CUSTOMER_GLOBAL_ADMIN, email="it@northwind.example")


def active(partner, customer, *, roles, days_left=20, auto_extend=False, **fields):
    now = timezone.now()
    return AdminRelationshipFactory(
        partner=partner,
        customer=customer,
        roles=roles,
        auto_extend=auto_extend,
        approved_at=now - timedelta(days=100),
        duration_days=100 + days_left,
        ends_at=now + timedelta(days=days_left),
        **fields,
    )


def assignment(relationship, roles, *, members=1):
    group = SecurityGroupFactory(partner=relationship.partner)
    for _ in range(members):
        agent = member(relationship.partner, Role.SALES_AGENT)
        SecurityGroupMember.objects.create(group=group, membership=agent.membership)
    return AccessAssignment.objects.create(relationship=relationship, group=group, roles=roles)


class TestAutoExtend:
    def test_enabled_it_extends_and_the_customer_list_says_so(
        self, partner_a, customer, admin_agent
    ):
        ResellerRelationship.objects.create(partner=partner_a, customer=customer)
        relationship = active(partner_a, customer, roles=[READER])
        services.admin_relationship_auto_extend(
            relationship=relationship, on=True, changed_by=admin_agent
        )
        relationship.refresh_from_db()
        assert relationship.auto_extend
        row = CustomerListRow.objects.get(partner=partner_a, customer=customer)
        assert row.admin_until == ADMIN_FOREVER
        [line] = AuditEvent.objects.filter(action=AuditAction.ADMIN_AUTO_EXTEND_CHANGED)
        assert line.details["auto_extend"] is True and line.actor == admin_agent

    def test_disabled_it_ends_at_the_end_of_the_period_it_is_in(
        self, partner_a, customer, admin_agent
    ):
        now = timezone.now()
        relationship = active(partner_a, customer, roles=[READER], auto_extend=True)
        # Extended twice already, not yet recorded: its end has moved on 360 days.
        AdminRelationship.objects.filter(pk=relationship.pk).update(
            ends_at=now - timedelta(days=300)
        )
        relationship.refresh_from_db()
        end = relationship.current_end(now)
        services.admin_relationship_auto_extend(
            relationship=relationship, on=False, changed_by=admin_agent, now=now
        )
        relationship.refresh_from_db()
        assert (relationship.auto_extend, relationship.ends_at) == (False, end)
        assert relationship.is_in_force(now)

    @pytest.mark.parametrize(
        ("make", "on", "code"),
        [
            (
                lambda p, c: active(p, c, roles=[GLOBAL_ADMINISTRATOR, READER]),
                True,
                "global_administrator",
            ),
            (lambda p, c: active(p, c, roles=[READER], days_left=-1), True, "not_in_force"),
            (lambda p, c: active(p, c, roles=[READER], auto_extend=True), True, "already_on"),
            (lambda p, c: active(p, c, roles=[READER]), False, "already_off"),
            (
                lambda p, c: AdminRelationshipFactory(partner=p, customer=c, pending=True),
                True,
                "not_in_force",
            ),
        ],
    )
    def test_refused_says_why_and_changes_nothing(
        self, partner_a, customer, admin_agent, make, on, code
    ):
        relationship = make(partner_a, customer)
        with pytest.raises(services.ServiceError) as refused:
            services.admin_relationship_auto_extend(
                relationship=relationship, on=on, changed_by=admin_agent
            )
        assert refused.value.code == code
        assert not AuditEvent.objects.filter(action=AuditAction.ADMIN_AUTO_EXTEND_CHANGED)

    def test_only_admin_agents(self, partner_a, customer, sales_agent):
        relationship = active(partner_a, customer, roles=[READER])
        with pytest.raises(services.ServiceError, match="Only Admin agents"):
            services.admin_relationship_auto_extend(
                relationship=relationship, on=True, changed_by=sales_agent
            )


class TestRemoveGlobalAdministrator:
    def test_the_role_leaves_the_relationship_and_its_assignments_and_the_customer_is_told(
        self, partner_a, customer, customer_ga, admin_agent, django_capture_on_commit_callbacks
    ):
        WebhookSubscription.objects.create(
            partner=partner_a,
            url="https://hooks.example.com/x",
            events=[WebhookEventName.ASSIGNMENT_DELETED],
            created_by=admin_agent,
        )
        relationship = active(
            partner_a, customer, roles=[GLOBAL_ADMINISTRATOR, HELPDESK_ADMINISTRATOR]
        )
        both = assignment(relationship, [GLOBAL_ADMINISTRATOR, HELPDESK_ADMINISTRATOR])
        only = assignment(relationship, [GLOBAL_ADMINISTRATOR])
        helpdesk = assignment(relationship, [HELPDESK_ADMINISTRATOR])
        with django_capture_on_commit_callbacks(execute=True):
            services.admin_relationship_remove_global_admin(
                relationship=relationship, removed_by=admin_agent
            )
        relationship.refresh_from_db()
        assert relationship.roles == [HELPDESK_ADMINISTRATOR]
        for each in (both, only, helpdesk):
            each.refresh_from_db()
        assert (both.roles, both.removed_at) == ([HELPDESK_ADMINISTRATOR], None)
        assert only.removed_at is not None
        assert (helpdesk.roles, helpdesk.removed_at) == ([HELPDESK_ADMINISTRATOR], None)
        # Nobody holds it through this relationship any more.
        holder = only.group.memberships.get().membership
        assert GLOBAL_ADMINISTRATOR not in services.agent_roles_in(holder, customer)
        [event] = WebhookEvent.objects.all()
        assert event.payload["EventName"] == "granular-admin-access-assignment-deleted"
        [email] = mail.outbox
        assert email.to == ["it@northwind.example"]
        assert "no longer holds Global Administrator" in email.subject
        # And now it may extend by itself.
        assert services.auto_extend_decision(relationship, True)

    @pytest.mark.parametrize(
        ("roles", "days_left", "code"),
        [
            ([READER], 20, "not_held"),
            ([GLOBAL_ADMINISTRATOR], 20, "only_role"),
            ([GLOBAL_ADMINISTRATOR, READER], -1, "not_in_force"),
        ],
    )
    def test_refused_says_why(self, partner_a, customer, admin_agent, roles, days_left, code):
        relationship = active(partner_a, customer, roles=roles, days_left=days_left)
        with pytest.raises(services.ServiceError) as refused:
            services.admin_relationship_remove_global_admin(
                relationship=relationship, removed_by=admin_agent
            )
        assert refused.value.code == code
        relationship.refresh_from_db()
        assert relationship.roles == roles


class TestInBulk:
    def test_auto_extend_for_all_skips_those_with_global_administrator(
        self, partner_a, customer, admin_agent, django_capture_on_commit_callbacks
    ):
        plain = [active(partner_a, customer, roles=[READER]) for _ in range(2)]
        with_ga = active(partner_a, customer, roles=[GLOBAL_ADMINISTRATOR, READER])
        with django_capture_on_commit_callbacks(execute=True):
            job = services.bulk_relationships_start(
                membership=admin_agent.membership,
                kind=BulkJobKind.AUTO_EXTEND_ON,
                relationships=AdminRelationship.objects.filter(partner=partner_a),
                selection={"search": {}},
            )
        job.refresh_from_db()
        assert (job.succeeded, job.skipped) == (2, 1)
        skipped = BulkJobItem.objects.get(job=job, state=BulkItemState.SKIPPED)
        assert (skipped.relationship_id, skipped.reason) == (with_ga.pk, "global_administrator")
        assert all(AdminRelationship.objects.get(pk=r.pk).auto_extend for r in plain)

    def test_remove_global_administrator_for_all_then_auto_extend(
        self, partner_a, customer, admin_agent, django_capture_on_commit_callbacks
    ):
        held = [active(partner_a, customer, roles=[GLOBAL_ADMINISTRATOR, READER]) for _ in range(3)]
        chosen = AdminRelationship.objects.filter(pk__in=[r.pk for r in held])
        for kind in (BulkJobKind.REMOVE_GLOBAL_ADMIN, BulkJobKind.AUTO_EXTEND_ON):
            with django_capture_on_commit_callbacks(execute=True):
                job = services.bulk_relationships_start(
                    membership=admin_agent.membership,
                    kind=kind,
                    relationships=chosen,
                    selection={"picked": 3},
                )
            job.refresh_from_db()
            assert job.succeeded == 3, kind
        assert {tuple(r.roles) for r in chosen} == {(READER,)}
        assert all(r.auto_extend for r in chosen)
