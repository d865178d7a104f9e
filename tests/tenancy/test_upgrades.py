"""Upgrading a relationship to its template's newer version: the request asks only for what
changes; approved, the new version's mappings apply and the old relationship ends in the same
transaction; declined, the old one stays. One upgrade waits at a time."""

import pytest
from django.core import mail

from tenancy import services
from tenancy.choices import (
    AdminRelationshipStatus,
    AuditAction,
    BulkItemState,
    BulkJobKind,
)
from tenancy.entra_roles import HELPDESK_ADMINISTRATOR, LICENSE_ADMINISTRATOR
from tenancy.models import (
    AccessAssignment,
    AdminRelationship,
    AuditEvent,
    BulkJobItem,
    Cloud,
    Role,
    SecurityGroupMember,
)
from tests.factories import (
    CustomerFactory,
    ResellerRelationshipFactory,
    SecurityGroupFactory,
    member,
)

pytestmark = pytest.mark.django_db

READER = "88d8e3e3-8f55-4a1e-953a-9b9898b8876b"


class World:
    """A template whose version 1 asks Directory Readers + Helpdesk Administrator (the group
    "Tier 1" gets Helpdesk Administrator), a customer that approved a relationship from it, and
    version 2, which adds License Administrator and drops Helpdesk Administrator."""

    def __init__(self, partner, agent):
        self.partner, self.agent = partner, agent
        self.group = SecurityGroupFactory(partner=partner, name="Tier 1")
        self.tier_agent = member(partner, Role.SALES_AGENT)
        SecurityGroupMember.objects.create(group=self.group, membership=self.tier_agent.membership)
        self.template = services.template_create(
            partner=partner,
            created_by=agent,
            content=services.TemplateContent(
                name="Helpdesk",
                roles=[READER, HELPDESK_ADMINISTRATOR],
                duration_days=365,
                mappings=[(self.group, [HELPDESK_ADMINISTRATOR])],
            ),
        )
        self.customer = CustomerFactory(name="Northwind")
        ResellerRelationshipFactory(partner=partner, customer=self.customer)
        self.customer_ga = member(
            self.customer, Role.CUSTOMER_GLOBAL_ADMIN, email="it@northwind.example"
        )
        self.old = self.request(self.template.latest)
        self.approve(self.old)
        self.old.refresh_from_db()

    def request(self, version, name="Northwind - Helpdesk"):
        return services.admin_relationship_create(
            partner=self.partner,
            created_by=self.agent,
            request=services.AdminRequest(
                name=name,
                duration_days=version.duration_days,
                roles=version.roles,
                auto_extend=version.auto_extend,
            ),
            customer=self.customer,
            finalize=True,
            template_version=version,
        )

    def approve(self, relationship):
        return services.admin_relationship_approve(
            relationship_id=relationship.pk, user=self.customer_ga, portal_cloud=Cloud.PUBLIC
        )

    def version_2(self, duration_days=730):
        services.template_update(
            template=self.template,
            changed_by=self.agent,
            content=services.TemplateContent(
                name="Helpdesk",
                roles=[READER, LICENSE_ADMINISTRATOR],
                duration_days=duration_days,
                mappings=[(self.group, [LICENSE_ADMINISTRATOR])],
            ),
        )
        self.template.refresh_from_db()

    def roles_of_tier_agent(self):
        return services.agent_roles_in(self.tier_agent.membership, self.customer)


@pytest.fixture
def world(partner_a, admin_agent):
    return World(partner_a, admin_agent)


def test_nothing_to_upgrade_to_until_a_newer_version(world):
    decision = services.upgrade_decision(world.old)
    assert (bool(decision), decision.code) == (False, "latest")
    world.version_2()
    world.old.refresh_from_db()
    assert services.upgrade_decision(world.old)


def test_the_request_asks_for_the_new_version_and_says_only_what_changes(
    world, django_capture_on_commit_callbacks
):
    world.version_2()
    with django_capture_on_commit_callbacks(execute=True):
        new = services.admin_relationship_upgrade(relationship=world.old, requested_by=world.agent)
    assert new.upgrade_of == world.old and new.template_version == world.template.latest
    assert new.name == "Northwind - Helpdesk v2"
    assert new.status == AdminRelationshipStatus.APPROVAL_PENDING
    change = services.difference(world.old, new)
    assert change.added == ["License Administrator"]
    assert change.removed == ["Helpdesk Administrator"]
    assert change.duration_days == (365, 730) and change.auto_extend is None
    [email] = mail.outbox
    assert email.to == ["it@northwind.example"] and new.link() in email.body
    # One upgrade waits at a time.
    with pytest.raises(services.ServiceError) as refused:
        services.admin_relationship_upgrade(relationship=world.old, requested_by=world.agent)
    assert refused.value.code == "waiting"


def test_approved_the_new_mappings_apply_and_the_old_relationship_ends(world):
    assert world.roles_of_tier_agent() == {HELPDESK_ADMINISTRATOR}
    world.version_2()
    new = services.admin_relationship_upgrade(relationship=world.old, requested_by=world.agent)
    mail.outbox.clear()
    world.approve(new)
    world.old.refresh_from_db()
    new.refresh_from_db()
    assert new.status == AdminRelationshipStatus.ACTIVE
    assert world.old.status == AdminRelationshipStatus.TERMINATED
    assert world.roles_of_tier_agent() == {LICENSE_ADMINISTRATOR}
    live = AccessAssignment.objects.filter(removed_at__isnull=True)
    assert list(live.values_list("relationship", "roles")) == [(new.pk, [LICENSE_ADMINISTRATOR])]
    ended = AuditEvent.objects.get(action=AuditAction.ADMIN_TERMINATED)
    assert ended.details["replaced_by"] == str(new.pk)
    # Nobody is told the old one "ended": the customer has just approved its replacement.
    assert not [email for email in mail.outbox if "ended" in email.subject]


def test_declined_the_old_relationship_stays_as_it_was(world):
    world.version_2()
    new = services.admin_relationship_upgrade(relationship=world.old, requested_by=world.agent)
    services.admin_relationship_decline(
        relationship_id=new.pk, user=world.customer_ga, portal_cloud=Cloud.PUBLIC
    )
    world.old.refresh_from_db()
    assert world.old.status == AdminRelationshipStatus.ACTIVE
    assert world.roles_of_tier_agent() == {HELPDESK_ADMINISTRATOR}
    # And it can be asked again.
    assert services.upgrade_decision(world.old)


def test_approved_after_the_customer_removed_the_old_one_it_stands_alone(world):
    world.version_2()
    new = services.admin_relationship_upgrade(relationship=world.old, requested_by=world.agent)
    services.admin_relationship_terminate(
        relationship=world.old, terminated_by=world.customer_ga, by=world.customer
    )
    world.approve(new)
    assert world.roles_of_tier_agent() == {LICENSE_ADMINISTRATOR}
    assert AuditEvent.objects.filter(action=AuditAction.ADMIN_TERMINATED).count() == 1


def test_upgrade_all_as_a_job_makes_one_request_each_and_a_second_job_none(
    world, django_capture_on_commit_callbacks
):
    second = world.request(world.template.latest, name="Northwind - Helpdesk (2)")
    world.approve(second)
    world.version_2()
    for expected_done in (2, 0):
        with django_capture_on_commit_callbacks(execute=True):
            job = services.bulk_relationships_start(
                membership=world.agent.membership,
                kind=BulkJobKind.UPGRADE,
                relationships=AdminRelationship.objects.filter(pk__in=[world.old.pk, second.pk]),
                selection={"picked": 2},
            )
        job.refresh_from_db()
        assert job.succeeded == expected_done
    assert AdminRelationship.objects.filter(upgrade_of__isnull=False).count() == 2
    skipped = BulkJobItem.objects.filter(job=job, state=BulkItemState.SKIPPED)
    assert set(skipped.values_list("reason", flat=True)) == {"waiting"}
    # What "Upgrade all" would take now: none (both wait).
    assert not services.upgradable(world.partner, world.template).exists()
