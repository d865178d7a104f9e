"""Admin relationships → Expiring: tiles, their lists, Enable/Disable auto-extend and Remove
Global Administrator for those ticked or all in the list (as jobs), and for one relationship on
its page; upgrading a relationship to its template's newer version, one or all."""

from datetime import timedelta

import pytest
from django.utils import timezone

from tenancy import services
from tenancy.choices import AdminRelationshipStatus, BulkJobKind
from tenancy.entra_roles import GLOBAL_ADMINISTRATOR, HELPDESK_ADMINISTRATOR
from tenancy.models import AdminRelationship, BulkJob
from tests.factories import AdminRelationshipFactory, CustomerFactory
from tests.partner_center.conftest import SIGNED_IN_QUERIES, url

pytestmark = pytest.mark.django_db

READER = "88d8e3e3-8f55-4a1e-953a-9b9898b8876b"


def ending(partner, days, *, roles=(READER,), name=None, customer=None):
    now = timezone.now()
    return AdminRelationshipFactory(
        partner=partner,
        customer=customer or CustomerFactory(),
        name=name or f"Ends in {days} - {now.timestamp()}",
        roles=list(roles),
        approved_at=now - timedelta(days=200),
        duration_days=200 + max(days, 1),
        ends_at=now + timedelta(days=days),
    )


@pytest.fixture
def agent(client, admin_agent):
    client.force_login(admin_agent)
    return client


def test_tiles_count_each_window_and_open_its_list(agent, partner_a, partner_b):
    soon = ending(partner_a, 5, name="Soon")
    ending(partner_a, 20, name="This month")
    ending(partner_a, -3, name="Just ended")
    ending(partner_a, -200, name="Long ago")
    ending(partner_b, 5, name="Someone else's")
    response = agent.get(url("admin-relationship-expiring"))
    tiles = {tile["code"]: tile["count"] for tile in response.context["tiles"]}
    assert tiles == {"30": 2, "7": 1, "1": 0, "expired_30": 1, "expired_365": 2}
    assert [r.name for r in response.context["page"]] == ["Soon", "This month"]
    seven = agent.get(url("admin-relationship-expiring") + "?window=7")
    assert [r.pk for r in seven.context["page"]] == [soon.pk]
    past = agent.get(url("admin-relationship-expiring") + "?window=expired_30").content.decode()
    assert "Just ended" in past and "Enable auto-extend" not in past


@pytest.mark.parametrize("count", [2, 30])
def test_the_page_costs_the_same_few_or_many(agent, partner_a, count, django_assert_num_queries):
    for n in range(count):
        ending(partner_a, 3 + n % 20)
    with django_assert_num_queries(SIGNED_IN_QUERIES + 2):
        assert agent.get(url("admin-relationship-expiring")).status_code == 200


def test_enable_auto_extend_for_all_in_the_list_is_a_job(
    agent, partner_a, django_capture_on_commit_callbacks
):
    plain = ending(partner_a, 5)
    held = ending(partner_a, 6, roles=(GLOBAL_ADMINISTRATOR, READER))
    with django_capture_on_commit_callbacks(execute=True):
        response = agent.post(
            url("admin-relationship-expiring-action"),
            {"window": "30", "action": "auto_extend_on", "scope": "all"},
        )
    job = BulkJob.objects.get()
    assert response["Location"] == url("admin-relationship-bulk-job", job.pk)
    job.refresh_from_db()
    assert (job.kind, job.succeeded, job.skipped) == (BulkJobKind.AUTO_EXTEND_ON, 1, 1)
    assert AdminRelationship.objects.get(pk=plain.pk).auto_extend
    assert not AdminRelationship.objects.get(pk=held.pk).auto_extend
    page = agent.get(url("admin-relationship-bulk-job", job.pk) + "?state=skipped")
    assert "can&#x27;t extend automatically" in page.content.decode()


def test_remove_global_administrator_in_bulk_says_how_many_first(
    agent, partner_a, django_capture_on_commit_callbacks
):
    held = [ending(partner_a, 5 + n, roles=(GLOBAL_ADMINISTRATOR, READER)) for n in range(2)]
    data = {"window": "30", "action": "remove_global_admin", "scope": "picked"}
    data["relationship"] = [str(r.pk) for r in held]
    confirm = agent.post(url("admin-relationship-expiring-action"), data)
    assert "Remove Global Administrator from 2 relationships?" in confirm.content.decode()
    assert not BulkJob.objects.exists()
    with django_capture_on_commit_callbacks(execute=True):
        agent.post(url("admin-relationship-expiring-action"), data | {"confirm": "yes"})
    assert {tuple(r.roles) for r in AdminRelationship.objects.all()} == {(READER,)}


def test_one_relationship_remove_then_enable_from_its_page(agent, partner_a):
    relationship = ending(partner_a, 5, roles=(GLOBAL_ADMINISTRATOR, HELPDESK_ADMINISTRATOR))
    detail = url("admin-relationship-detail", relationship.pk)
    page = agent.get(detail).content.decode()
    assert "Remove Global Administrator" in page and "Enable auto-extend" not in page
    agent.post(url("admin-relationship-remove-global-admin", relationship.pk))
    page = agent.get(detail).content.decode()
    assert "Enable auto-extend" in page
    agent.post(url("admin-relationship-auto-extend", relationship.pk), {"on": "yes"})
    relationship.refresh_from_db()
    assert relationship.auto_extend and relationship.roles == [HELPDESK_ADMINISTRATOR]


def test_refused_steps_say_why_and_change_nothing(agent, partner_a):
    relationship = ending(partner_a, 5, roles=(GLOBAL_ADMINISTRATOR, READER))
    response = agent.post(
        url("admin-relationship-auto-extend", relationship.pk), {"on": "yes"}, follow=True
    )
    assert "Remove Global Administrator first" in response.content.decode()
    only = ending(partner_a, 5, roles=(GLOBAL_ADMINISTRATOR,))
    page = agent.get(url("admin-relationship-remove-global-admin", only.pk))
    assert page.status_code == 409 and "Terminate the relationship instead" in (
        page.content.decode()
    )
    relationship.refresh_from_db()
    assert not relationship.auto_extend


def test_sales_agents_see_but_do_not_act_and_another_partners_is_a_404(
    client, sales_agent, agent_b, partner_a
):
    relationship = ending(partner_a, 5)
    client.force_login(sales_agent)
    page = client.get(url("admin-relationship-expiring")).content.decode()
    assert relationship.name in page and "Apply to selected" not in page
    assert client.post(url("admin-relationship-auto-extend", relationship.pk)).status_code == 403
    client.force_login(agent_b)
    for name in ("admin-relationship-auto-extend", "admin-relationship-upgrade"):
        assert client.post(url(name, relationship.pk)).status_code == 404
    assert client.get(
        url("admin-relationship-remove-global-admin", relationship.pk)
    ).status_code == (404)


def test_a_relationship_from_an_older_version_offers_the_upgrade(
    agent, partner_a, admin_agent, customer
):
    template = services.template_create(
        partner=partner_a,
        created_by=admin_agent,
        content=services.TemplateContent(name="Helpdesk", roles=[READER], duration_days=90),
    )
    old = ending(partner_a, 40, customer=customer)
    AdminRelationship.objects.filter(pk=old.pk).update(template_version=template.latest)
    services.template_update(
        template=template,
        changed_by=admin_agent,
        content=services.TemplateContent(
            name="Helpdesk", roles=[READER, HELPDESK_ADMINISTRATOR], duration_days=90
        ),
    )
    detail = agent.get(url("admin-relationship-detail", old.pk)).content.decode()
    assert "Version 2 of “Helpdesk” is available." in detail
    response = agent.post(url("admin-relationship-upgrade", old.pk))
    new = AdminRelationship.objects.get(upgrade_of=old)
    assert response["Location"] == url("admin-relationship-detail", new.pk)
    assert new.status == AdminRelationshipStatus.APPROVAL_PENDING
    page = agent.get(response["Location"]).content.decode()
    assert "What the upgrade changes" in page and "Helpdesk Administrator" in page
    detail = agent.get(url("admin-relationship-detail", old.pk)).content.decode()
    assert "is waiting for the customer's approval" in detail
    # The template's page lists it no more (an upgrade waits).
    template_page = agent.get(url("admin-relationship-template", template.pk))
    assert template_page.context["older_count"] == 0
