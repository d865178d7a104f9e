"""The roles a security group holds through an active admin relationship (access assignments):
add, edit and remove them, only one's own, and what is refused."""

import html

import pytest

from tenancy import services
from tenancy.models import (
    BILLING_ADMINISTRATOR,
    GLOBAL_ADMINISTRATOR,
    HELPDESK_ADMINISTRATOR,
    LICENSE_ADMINISTRATOR,
    AccessAssignment,
    AuditAction,
    Role,
)
from tests.factories import SecurityGroupFactory, member

# Fixtures, which pytest finds by name in the module ("x as x": the import is used).
from tests.partner_center.admin_relationship_fixtures import active as active
from tests.partner_center.admin_relationship_fixtures import assignment as assignment
from tests.partner_center.admin_relationship_fixtures import audited, field_errors, page_of
from tests.partner_center.admin_relationship_fixtures import group as group
from tests.partner_center.admin_relationship_fixtures import of_b as of_b
from tests.partner_center.admin_relationship_fixtures import pending as pending
from tests.partner_center.conftest import url

pytestmark = pytest.mark.django_db

USER_ADMINISTRATOR = "fe930be7-5e62-47db-91af-98c3a49a38b1"


# --- Only one's own -----------------------------------------------------------------------


@pytest.mark.parametrize(("method", "name"), [("get", "edit"), ("post", "remove")])
def test_another_partners_assignment_is_a_404(client_for, admin_agent, active, of_b, method, name):
    theirs = services.access_assignment_create(
        relationship=of_b,
        group=SecurityGroupFactory(partner=of_b.partner),
        roles=[HELPDESK_ADMINISTRATOR],
        created_by=member(of_b.partner, Role.ADMIN_AGENT),
    )
    client = client_for(admin_agent)
    for relationship in (active, of_b):
        response = getattr(client, method)(
            url(f"access-assignment-{name}", relationship.pk, theirs.pk)
        )
        assert response.status_code == 404
    theirs.refresh_from_db()
    assert theirs.removed_at is None


def test_a_removed_assignment_is_a_404(client_for, admin_agent, active, assignment):
    services.access_assignment_remove(assignment=assignment, removed_by=admin_agent)
    response = client_for(admin_agent).get(url("access-assignment-edit", active.pk, assignment.pk))
    assert response.status_code == 404


# --- Giving roles, changing and removing them ---------------------------------------------


def test_add_edit_and_remove_a_security_groups_roles(
    client_for, admin_agent, active, group, partner_a
):
    SecurityGroupFactory(partner=partner_a, name="Billing team")
    client = client_for(admin_agent)
    detail = url("admin-relationship-detail", active.pk)
    page = page_of(client.get(detail))
    assert f'href="{url("access-assignment-new", active.pk)}"' in page
    form = page_of(client.get(url("access-assignment-new", active.pk)))
    assert '<label for="id_group">Security group</label>' in form
    assert ">Billing team</option>" in form and ">Helpdesk team</option>" in form
    for role in active.role_infos:
        assert f'<label for="role-{role.id}">{role.name}</label>' in form
    assert f'value="{GLOBAL_ADMINISTRATOR}"' not in form  # not one of the relationship's

    response = client.post(
        url("access-assignment-new", active.pk),
        {"group": group.pk, "roles": [HELPDESK_ADMINISTRATOR, USER_ADMINISTRATOR]},
        follow=True,
    )
    assert response.redirect_chain == [(detail, 302)]
    assignment = AccessAssignment.objects.get()
    assert assignment.group == group and assignment.created_by == admin_agent
    assert sorted(assignment.roles) == sorted([HELPDESK_ADMINISTRATOR, USER_ADMINISTRATOR])
    page = page_of(response)
    assert "Helpdesk team now has Helpdesk Administrator, User Administrator in " in page
    assert "<td>Helpdesk Administrator, User Administrator</td>" in page

    edit = url("access-assignment-edit", active.pk, assignment.pk)
    assert f'href="{edit}"' in page
    form = page_of(client.get(edit))
    assert f'value="{HELPDESK_ADMINISTRATOR}" id="role-{HELPDESK_ADMINISTRATOR}"' in form
    assert f'id="role-{HELPDESK_ADMINISTRATOR}" aria-describedby' in form
    assert "checked" in form.split(f'id="role-{HELPDESK_ADMINISTRATOR}"')[1].split(">")[0]
    assert "checked" not in form.split(f'id="role-{LICENSE_ADMINISTRATOR}"')[1].split(">")[0]
    response = client.post(edit, {"roles": [LICENSE_ADMINISTRATOR]}, follow=True)
    assert "Helpdesk team now has License Administrator in" in page_of(response)
    assignment.refresh_from_db()
    assert assignment.roles == [LICENSE_ADMINISTRATOR] and assignment.updated_at

    response = client.post(url("access-assignment-remove", active.pk, assignment.pk), follow=True)
    assert "Helpdesk team no longer has roles in Northwind Traders" in page_of(response)
    assignment.refresh_from_db()
    assert assignment.removed_at is not None and assignment.removed_by == admin_agent
    assert [
        audited(action)
        for action in (
            AuditAction.ASSIGNMENT_CREATED,
            AuditAction.ASSIGNMENT_UPDATED,
            AuditAction.ASSIGNMENT_REMOVED,
        )
    ] == [1, 1, 1]
    again = client.post(url("access-assignment-remove", active.pk, assignment.pk))
    assert again.status_code == 404


def test_a_group_of_another_partner_is_a_field_error(client_for, admin_agent, active, partner_b):
    theirs = SecurityGroupFactory(partner=partner_b, name="Their group")
    response = client_for(admin_agent).post(
        url("access-assignment-new", active.pk),
        {"group": theirs.pk, "roles": [HELPDESK_ADMINISTRATOR]},
    )
    assert response.status_code == 400
    assert field_errors(response, "group") == ["Choose one of your organization's security groups."]
    assert "Their group" not in page_of(response)
    assert AccessAssignment.objects.count() == 0


@pytest.mark.parametrize(
    ("roles", "message"),
    [
        ([GLOBAL_ADMINISTRATOR], "Not a role of this admin relationship: Global Administrator."),
        ([HELPDESK_ADMINISTRATOR, BILLING_ADMINISTRATOR], "Billing Administrator"),
        (["made-up"], "Not a role of this admin relationship: made-up."),
        ([], "Select at least one of the relationship's roles."),
    ],
)
def test_roles_outside_the_relationship_are_a_field_error(
    client_for, admin_agent, active, group, assignment, roles, message
):
    client = client_for(admin_agent)
    other_group = SecurityGroupFactory(partner=active.partner)
    response = client.post(
        url("access-assignment-new", active.pk), {"group": other_group.pk, "roles": roles}
    )
    assert response.status_code == 400
    [error] = field_errors(response, "roles")
    assert message in error
    assert html.escape(error) in page_of(response)
    response = client.post(
        url("access-assignment-edit", active.pk, assignment.pk), {"roles": roles}
    )
    assert response.status_code == 400
    assert message in field_errors(response, "roles")[0]
    assert AccessAssignment.objects.count() == 1
    assignment.refresh_from_db()
    assert assignment.roles == [HELPDESK_ADMINISTRATOR]


def test_a_group_that_already_has_roles_is_told_to_edit_them(
    client_for, admin_agent, active, group, assignment
):
    response = client_for(admin_agent).post(
        url("access-assignment-new", active.pk),
        {"group": group.pk, "roles": [USER_ADMINISTRATOR]},
    )
    assert response.status_code == 400
    assert "already has roles in this relationship" in field_errors(response, "group")[0]
    assert AccessAssignment.objects.count() == 1


def test_only_an_active_relationship_gives_roles(client_for, admin_agent, pending, group):
    client = client_for(admin_agent)
    response = client.get(url("access-assignment-new", pending.pk), follow=True)
    assert "Security groups get roles only on an active admin relationship" in page_of(response)
    response = client.post(
        url("access-assignment-new", pending.pk),
        {"group": group.pk, "roles": [HELPDESK_ADMINISTRATOR]},
    )
    assert response.status_code == 302
    assert AccessAssignment.objects.count() == 0


def test_without_security_groups_the_form_says_to_create_one(client_for, admin_agent, active):
    page = page_of(client_for(admin_agent).get(url("access-assignment-new", active.pk)))
    assert "Your organization has no security group yet." in page
    assert f'href="{url("security-group-list")}"' in page
