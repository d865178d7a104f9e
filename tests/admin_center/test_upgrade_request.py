"""The customer's side of an upgrade: its request page shows what changes — the roles added, the
roles removed, the new duration — and nothing else to read; approved, it replaces the old
relationship; the page of a partner's pending requests shows only the changes too."""

from urllib.parse import urlsplit

import pytest
from django.test import Client
from django.urls import reverse

from tenancy import services
from tenancy.choices import AdminRelationshipStatus
from tests.tenancy.test_upgrades import World

pytestmark = pytest.mark.django_db


@pytest.fixture
def upgrade(partner_a, admin_agent):
    world = World(partner_a, admin_agent)
    world.version_2()
    world.old.refresh_from_db()
    world.new = services.admin_relationship_upgrade(
        relationship=world.old, requested_by=admin_agent
    )
    return world


def opened(world) -> Client:
    client = Client()
    client.force_login(world.customer_ga)
    link = urlsplit(world.new.link())
    client.get(f"{link.path}?{link.query}")
    return client


def test_the_request_page_shows_only_what_changes(upgrade):
    client = opened(upgrade)
    page = client.get(reverse("admin_center:gdap-request", args=[upgrade.new.pk]))
    html = page.content.decode()
    changes = html.split('id="changes-heading"')[1].split("</section>")[0]
    assert "What changes in “Northwind - Helpdesk”" in html
    assert "Roles added" in changes and "License Administrator" in changes
    assert "Roles removed" in changes and "Helpdesk Administrator" in changes
    assert "730 days (was 365)" in changes
    # The role that stays is not there to read, nor the partner's card of a first request.
    assert "Directory Readers" not in html
    assert 'id="partner-heading"' not in html
    assert "Approve the changes" in html


def test_approving_the_changes_replaces_the_old_relationship(upgrade):
    client = opened(upgrade)
    response = client.post(reverse("admin_center:gdap-approve", args=[upgrade.new.pk]))
    assert response.status_code == 302
    upgrade.old.refresh_from_db()
    upgrade.new.refresh_from_db()
    assert upgrade.old.status == AdminRelationshipStatus.TERMINATED
    assert upgrade.new.status == AdminRelationshipStatus.ACTIVE


def test_the_partners_pending_requests_show_the_changes_too(upgrade):
    client = Client()
    client.force_login(upgrade.customer_ga)
    page = client.get(
        reverse("admin_center:partner-requests", args=[upgrade.partner.pk])
    ).content.decode()
    assert "Changes “Northwind - Helpdesk”:" in page
    assert "License Administrator" in page and "Directory Readers" not in page
