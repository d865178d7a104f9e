"""Admin relationships → Templates: Admin agents make and edit them (an edit is a new version),
every agent reads them, another partner's is a 404; a request can start from one."""

import pytest

from tenancy import services
from tenancy.choices import AssignmentState
from tenancy.entra_roles import GLOBAL_ADMINISTRATOR, HELPDESK_ADMINISTRATOR
from tenancy.models import (
    AccessAssignment,
    AdminRelationship,
    AdminRelationshipTemplate,
    Role,
    SecurityGroupMember,
    TemplateMapping,
    TemplateVersion,
)
from tests.factories import (
    CustomerFactory,
    ResellerRelationshipFactory,
    SecurityGroupFactory,
    member,
)
from tests.partner_center.conftest import url

pytestmark = pytest.mark.django_db

READER = "88d8e3e3-8f55-4a1e-953a-9b9898b8876b"


@pytest.fixture
def helpdesk(partner_a, admin_agent):
    group = SecurityGroupFactory(partner=partner_a, name="Helpdesk")
    SecurityGroupMember.objects.create(group=group, membership=admin_agent.membership)
    return group


@pytest.fixture
def readers(partner_a):
    return SecurityGroupFactory(partner=partner_a, name="Readers")


@pytest.fixture
def template(partner_a, admin_agent, helpdesk):
    return services.template_create(
        partner=partner_a,
        created_by=admin_agent,
        content=services.TemplateContent(
            name="Helpdesk tier",
            roles=[READER, HELPDESK_ADMINISTRATOR],
            duration_days=365,
            mappings=[(helpdesk, [HELPDESK_ADMINISTRATOR])],
        ),
    )


def posted(name="Least privilege", roles=(READER,), duration="730", auto="no", **mappings):
    data = {"name": name, "duration_days": duration, "roles": list(roles), "auto_extend": auto}
    for group, group_roles in mappings.items():
        data[f"group-{group}"] = list(group_roles)
    return data


def test_an_admin_agent_makes_a_template_with_two_mappings(client, admin_agent, helpdesk, readers):
    client.force_login(admin_agent)
    data = posted(roles=(READER, HELPDESK_ADMINISTRATOR))
    data[f"group-{helpdesk.pk}"] = [READER, HELPDESK_ADMINISTRATOR]
    data[f"group-{readers.pk}"] = [READER]
    response = client.post(url("admin-relationship-template-new"), data)
    template = AdminRelationshipTemplate.objects.get(name="Least privilege")
    assert response.status_code == 302
    assert response["Location"] == url("admin-relationship-template", template.pk)
    assert template.latest.number == 1
    assert {(m.group.name, tuple(m.roles)) for m in template.latest.mappings.all()} == {
        ("Helpdesk", tuple(sorted([READER, HELPDESK_ADMINISTRATOR]))),
        ("Readers", (READER,)),
    }
    page = client.get(response["Location"]).content.decode()
    assert "Helpdesk" in page and "Readers" in page and "Directory Readers" in page


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        (
            {"roles": [GLOBAL_ADMINISTRATOR], "auto_extend": "yes"},
            "auto_extend",
            "Global Administrator",
        ),
        ({"name": ""}, "name", "Enter a name for the template."),
        ({"roles": []}, "roles", "Select at least one"),
    ],
)
def test_bad_input_is_a_field_error_and_makes_nothing(client, admin_agent, change, field, message):
    client.force_login(admin_agent)
    response = client.post(url("admin-relationship-template-new"), posted() | change)
    assert response.status_code == 400
    assert any(message in error for error in response.context["form"].errors[field])
    assert not AdminRelationshipTemplate.objects.exists()


def test_a_mapping_to_a_role_the_template_does_not_hold_is_refused(client, admin_agent, helpdesk):
    client.force_login(admin_agent)
    response = client.post(
        url("admin-relationship-template-new"),
        posted(roles=(READER,), **{str(helpdesk.pk): [HELPDESK_ADMINISTRATOR]}),
    )
    assert response.status_code == 400
    assert "which the template doesn't ask for" in response.context["form"].mapping_error
    assert "which the template doesn&#x27;t ask for" in response.content.decode()
    assert not AdminRelationshipTemplate.objects.exists()


def test_a_mapping_to_another_partners_group_is_refused(client, admin_agent, partner_b):
    theirs = SecurityGroupFactory(partner=partner_b, name="Theirs")
    client.force_login(admin_agent)
    response = client.post(
        url("admin-relationship-template-new"), posted(**{str(theirs.pk): [READER]})
    )
    assert response.status_code == 400
    assert response.context["form"].mapping_error == (
        "Choose your organization's own security groups."
    )
    assert not TemplateMapping.objects.exists()


def test_an_edit_is_a_new_version_and_the_old_one_stays(client, admin_agent, template, helpdesk):
    client.force_login(admin_agent)
    first = template.latest
    data = posted(name="Helpdesk tier", roles=(READER, HELPDESK_ADMINISTRATOR), duration="180")
    data[f"group-{helpdesk.pk}"] = [HELPDESK_ADMINISTRATOR]
    response = client.post(url("admin-relationship-template-edit", template.pk), data)
    assert response.status_code == 302
    template.refresh_from_db()
    assert template.latest.number == 2 and template.latest.duration_days == 180
    first.refresh_from_db()
    assert first.duration_days == 365
    assert TemplateVersion.objects.filter(template=template).count() == 2
    # Saving what is already there makes no version.
    client.post(url("admin-relationship-template-edit", template.pk), data)
    assert TemplateVersion.objects.filter(template=template).count() == 2


def test_every_agent_reads_templates_but_only_admin_agents_change_them(
    client, sales_agent, template
):
    client.force_login(sales_agent)
    assert client.get(url("admin-relationship-templates")).status_code == 200
    page = client.get(url("admin-relationship-template", template.pk)).content.decode()
    assert (
        "Helpdesk tier" in page and url("admin-relationship-template-edit", template.pk) not in page
    )
    assert client.get(url("admin-relationship-template-new")).status_code == 403
    assert client.post(url("admin-relationship-template-edit", template.pk)).status_code == 403


def test_another_partners_template_is_a_404(client, agent_b, template):
    client.force_login(agent_b)
    assert client.get(url("admin-relationship-template", template.pk)).status_code == 404
    assert client.get(url("admin-relationship-template-edit", template.pk)).status_code == 404
    response = client.get(url("admin-relationship-new") + f"?template={template.pk}")
    assert response.status_code == 404


@pytest.fixture
def fabrikam(partner_a):
    customer = CustomerFactory(name="Fabrikam")
    ResellerRelationshipFactory(partner=partner_a, customer=customer)
    return customer


def test_a_request_starts_from_a_template_and_remembers_its_version(
    client, admin_agent, template, fabrikam
):
    client.force_login(admin_agent)
    page = client.get(
        url("admin-relationship-new") + f"?template={template.pk}&customer={fabrikam.pk}"
    )
    form = page.context["form"]
    assert form["name"].value() == "Fabrikam - Helpdesk tier"
    assert sorted(form["roles"].value()) == sorted([READER, HELPDESK_ADMINISTRATOR])
    assert "From the template" in page.content.decode()
    data = {
        "name": "Fabrikam - Helpdesk tier",
        "duration_days": "365",
        "roles": [READER, HELPDESK_ADMINISTRATOR],
        "auto_extend": "no",
        "customer": str(fabrikam.pk),
        "template_version": str(template.latest.pk),
        "language": "en",
    }
    response = client.post(url("admin-relationship-new"), data)
    assert response.status_code == 302
    made = AdminRelationship.objects.get(name="Fabrikam - Helpdesk tier")
    assert made.template_version == template.latest


def test_a_request_changed_from_its_template_does_not_apply_its_mappings(
    client, admin_agent, template, fabrikam
):
    client.force_login(admin_agent)
    data = {
        "name": "Changed",
        "duration_days": "90",
        "roles": [READER, HELPDESK_ADMINISTRATOR],
        "auto_extend": "no",
        "customer": str(fabrikam.pk),
        "template_version": str(template.latest.pk),
        "language": "en",
    }
    response = client.post(url("admin-relationship-new"), data, follow=True)
    assert AdminRelationship.objects.get(name="Changed").template_version is None
    assert "won't get roles on approval" in response.content.decode().replace("&#x27;", "'")


def test_the_template_list_costs_the_same_for_one_or_many(
    client, admin_agent, template, partner_a, django_assert_num_queries
):
    client.force_login(admin_agent)
    client.get(url("admin-relationship-templates"))
    with django_assert_num_queries(3):
        client.get(url("admin-relationship-templates"))
    for n in range(5):
        services.template_create(
            partner=partner_a,
            created_by=admin_agent,
            content=services.TemplateContent(name=f"T{n}", roles=[READER], duration_days=30),
        )
    with django_assert_num_queries(3):
        assert client.get(url("admin-relationship-templates")).status_code == 200


def test_a_mapping_that_could_not_be_made_shows_why_and_retries(
    client, admin_agent, partner_a, readers, fabrikam
):
    """Readers has no members when the customer approves: the assignment is kept, not made,
    with a reason a person reads; once the group has a member, Retry makes it."""
    template = services.template_create(
        partner=partner_a,
        created_by=admin_agent,
        content=services.TemplateContent(
            name="Readers only",
            roles=[READER],
            duration_days=365,
            mappings=[(readers, [READER])],
        ),
    )
    relationship = services.admin_relationship_create(
        partner=partner_a,
        created_by=admin_agent,
        request=services.AdminRequest(
            name="Readers - Fabrikam", duration_days=365, roles=[READER], auto_extend=False
        ),
        customer=fabrikam,
        finalize=True,
        template_version=template.latest,
    )
    customer_admin = member(fabrikam, Role.CUSTOMER_GLOBAL_ADMIN)
    services.admin_relationship_approve(
        relationship_id=relationship.pk, user=customer_admin, portal_cloud=fabrikam.cloud
    )
    client.force_login(admin_agent)
    detail = url("admin-relationship-detail", relationship.pk)
    page = client.get(detail).content.decode()
    assert "Not made" in page
    assert "Readers has no members, so nobody would get Directory Readers" in page
    [assignment] = AccessAssignment.objects.filter(relationship=relationship)
    retry = url("access-assignment-retry", relationship.pk, assignment.pk)
    refused = client.post(retry, follow=True).content.decode()
    assert "Readers has no members" in refused
    assignment.refresh_from_db()
    assert assignment.state == AssignmentState.FAILED
    SecurityGroupMember.objects.create(group=readers, membership=admin_agent.membership)
    client.post(retry)
    assignment.refresh_from_db()
    assert assignment.state == AssignmentState.ACTIVE
    assert "Not made" not in client.get(detail).content.decode()
