"""What the admin relationship tests share: a relationship active, pending or of partner B, a
security group with roles in it, the request form's valid input, and readers for the pages."""

import html

import pytest

from tenancy import services
from tenancy.models import (
    HELPDESK_ADMINISTRATOR,
    LICENSE_ADMINISTRATOR,
    AuditEvent,
)
from tests.factories import AdminRelationshipFactory, SecurityGroupFactory
from tests.partner_center.conftest import url

NEW = url("admin-relationship-new")
VALID = {
    "name": "Northwind helpdesk",
    "duration_days": "730",
    "roles": [HELPDESK_ADMINISTRATOR, LICENSE_ADMINISTRATOR],
    "auto_extend": "yes",
}


@pytest.fixture
def active(partner_a, customer):
    """Approved ten days ago for 90 days, with the default roles."""
    return AdminRelationshipFactory(partner=partner_a, customer=customer, name="Northwind support")


@pytest.fixture
def pending(partner_a, admin_agent):
    """Finalized, for any customer, waiting for approval."""
    return services.admin_relationship_create(
        partner=partner_a,
        created_by=admin_agent,
        request=services.AdminRequest(
            name="Helpdesk for anyone", duration_days=180, roles=[HELPDESK_ADMINISTRATOR]
        ),
        finalize=True,
    )


@pytest.fixture
def of_b(partner_b):
    return AdminRelationshipFactory(partner=partner_b, name="Litware's own")


@pytest.fixture
def group(partner_a):
    return SecurityGroupFactory(partner=partner_a, name="Helpdesk team")


@pytest.fixture
def assignment(active, group, admin_agent):
    return services.access_assignment_create(
        relationship=active, group=group, roles=[HELPDESK_ADMINISTRATOR], created_by=admin_agent
    )


def page_of(response) -> str:
    return response.content.decode()


def field_errors(response, field: str) -> list[str]:
    return list(response.context["form"].errors.get(field, []))


def audited(action) -> int:
    return AuditEvent.objects.filter(action=action).count()


def panel_link(response) -> str:
    page = page_of(response)
    start = page.index('id="request-link"')
    return html.unescape(page[page.index(">", start) + 1 : page.index("</textarea>", start)])
