"""The operators' console audits every change once, before → after: tenants, markets,
memberships and their roles, users (never their password) and groups."""

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse

from tenancy.models import AuditAction, CustomerListRow, Market, Membership, Role
from tests.factories import ResellerRelationshipFactory, UserFactory, member
from tests.tenancy.operator_console import (
    User,
    change_url,
    console_lines,
    form_errors,
    post_change,
    post_new_role,
    roles_of,
)

# Fixtures, which pytest finds by name in the module ("x as x": the import is used).
from tests.tenancy.operator_console import operator as operator
from tests.tenancy.operator_console import operator_user as operator_user

pytestmark = pytest.mark.django_db


def test_renaming_a_customer_writes_one_audit_line_with_before_and_after(operator, operator_user):
    relationship = ResellerRelationshipFactory()
    customer = relationship.customer
    old_name = customer.name

    response = post_change(operator, customer, name="Renamed Traders")

    assert response.status_code == 302
    [line] = console_lines()
    assert line.action == AuditAction.OPERATOR_CHANGED
    assert line.actor == operator_user
    assert line.customer == customer
    assert line.partner is None
    assert line.details == {
        "model": "tenancy.Tenant",
        "pk": str(customer.pk),
        "object": f"Renamed Traders ({customer.domain})",
        "changes": {"name": [old_name, "Renamed Traders"]},
    }
    # The Tenant admin still keeps the Customer list's copy of the name.
    assert CustomerListRow.objects.get(customer=customer).customer_name == "Renamed Traders"


def test_saving_without_a_change_writes_no_line(operator):
    customer = ResellerRelationshipFactory().customer
    assert post_change(operator, customer).status_code == 302
    assert not console_lines().exists()


def test_a_change_to_a_partner_shows_in_its_activity_log(
    operator, partner_a, partner_global_admin, client_for
):
    response = post_change(operator, partner_a, city="Redmond", postal_code="98052")

    assert response.status_code == 302
    [line] = console_lines()
    assert line.partner == partner_a
    assert line.details["changes"]["city"][1] == "Redmond"
    assert line.details["changes"]["postal_code"][1] == "98052"
    log = client_for(partner_global_admin).get(reverse("partner_center:activity-log"))
    assert "An operator changed a record" in log.content.decode()


def test_a_related_field_reads_by_name(operator, customer):
    response = post_change(operator, customer, country="CA")

    assert response.status_code == 302
    [line] = console_lines()
    assert line.details["changes"] == {"country": ["United States", "Canada"]}


def test_adding_a_market_writes_an_added_line(operator, operator_user):
    url = reverse("admin:tenancy_market_add")
    response = operator.post(url, {"code": "ZZ", "name": "Zedland"})

    assert response.status_code == 302
    [line] = console_lines()
    assert line.action == AuditAction.OPERATOR_ADDED
    assert line.actor == operator_user
    assert line.details["model"] == "tenancy.Market"
    assert line.details["pk"] == "ZZ"
    assert line.details["changes"] == {"name": ["", "Zedland"]}


def test_a_markets_code_cannot_be_edited_after_it_is_added(operator):
    market = Market.objects.get(code="US")
    response = post_change(operator, market, code="XX", name="United States of Testing")

    assert response.status_code == 302
    assert not Market.objects.filter(code="XX").exists()
    assert Market.objects.get(code="US").name == "United States of Testing"


def test_adding_a_role_inline_writes_one_roles_changed_line(operator, customer, customer_user):
    membership = Membership.objects.get(user=customer_user)
    response = post_new_role(operator, membership, Role.CUSTOMER_BILLING_ADMIN)

    assert response.status_code == 302, form_errors(response)
    assert roles_of(customer_user) == {Role.CUSTOMER_USER, Role.CUSTOMER_BILLING_ADMIN}
    [line] = console_lines()
    assert line.action == AuditAction.ROLES_CHANGED
    assert line.customer == customer
    assert line.details["model"] == "tenancy.Membership"
    assert line.details["changes"] == {"roles": ["User", "Billing administrator, User"]}


def test_removing_a_role_inline_writes_one_roles_changed_line(operator, customer):
    user = member(customer, Role.CUSTOMER_USER, Role.CUSTOMER_BILLING_ADMIN)
    membership = Membership.objects.get(user=user)
    rows = list(membership.role_rows.order_by("id"))
    billing = next(i for i, row in enumerate(rows) if row.role == Role.CUSTOMER_BILLING_ADMIN)

    response = post_change(operator, membership, **{f"role_rows-{billing}-DELETE": "on"})

    assert response.status_code == 302, form_errors(response)
    assert roles_of(user) == {Role.CUSTOMER_USER}
    [line] = console_lines()
    assert line.action == AuditAction.ROLES_CHANGED
    assert line.details["changes"] == {"roles": ["Billing administrator, User", "User"]}


def test_adding_a_member_with_roles_writes_an_added_line_and_a_roles_line(operator, partner_a):
    user = UserFactory()
    response = operator.post(
        reverse("admin:tenancy_membership_add"),
        {
            "user": user.pk,
            "tenant": partner_a.pk,
            "role_rows-TOTAL_FORMS": "1",
            "role_rows-INITIAL_FORMS": "0",
            "role_rows-0-role": Role.SALES_AGENT,
        },
    )

    assert response.status_code == 302, form_errors(response)
    added, roles = console_lines()
    assert added.action == AuditAction.OPERATOR_ADDED
    assert added.partner == partner_a
    assert added.details["changes"]["user"] == ["", str(user)]
    assert roles.action == AuditAction.ROLES_CHANGED
    assert roles.details["changes"] == {"roles": ["", "Sales agent"]}


def test_a_change_to_a_member_through_the_tenant_page_is_audited(operator, customer, customer_user):
    membership = Membership.objects.get(user=customer_user)
    page = operator.get(change_url(customer))
    [inline] = page.context["inline_admin_formsets"]
    index = next(
        i for i, form in enumerate(inline.formset.initial_forms) if form.instance == membership
    )

    response = post_change(
        operator, customer, **{f"memberships-{index}-must_change_password": "on"}
    )

    assert response.status_code == 302, form_errors(response)
    [line] = console_lines()
    assert line.action == AuditAction.OPERATOR_CHANGED
    assert line.customer == customer
    assert line.details["model"] == "tenancy.Membership"
    assert line.details["changes"] == {"must_change_password": ["False", "True"]}


def test_a_users_change_is_audited_without_the_password(operator, customer_user, customer):
    response = post_change(operator, customer_user, first_name="Renamed", email="r@example.com")

    assert response.status_code == 302, form_errors(response)
    [line] = console_lines()
    assert line.action == AuditAction.OPERATOR_CHANGED
    assert line.customer == customer
    assert line.details["model"] == "auth.User"
    assert set(line.details["changes"]) == {"first_name", "email"}
    assert line.details["changes"]["email"] == [customer_user.email, "r@example.com"]


def test_a_password_change_says_changed_and_never_the_hash(operator, customer_user):
    old_hash = customer_user.password
    url = reverse("admin:auth_user_password_change", args=[customer_user.pk])
    response = operator.post(
        url,
        {
            "password1": "a-new-Long-passw0rd",
            "password2": "a-new-Long-passw0rd",
            "usable_password": "true",
            "set-password": "",
        },
    )

    assert response.status_code == 302
    customer_user.refresh_from_db()
    assert customer_user.password != old_hash
    [line] = console_lines()
    assert line.details["changes"] == {"password": ["(hidden)", "(changed)"]}
    assert old_hash not in str(line.details)
    assert customer_user.password not in str(line.details)


def test_adding_a_user_audits_the_password_as_changed(operator):
    response = operator.post(
        reverse("admin:auth_user_add"),
        {
            "username": "new.person@example.com",
            "password1": "a-new-Long-passw0rd",
            "password2": "a-new-Long-passw0rd",
            "usable_password": "true",
        },
    )

    assert response.status_code == 302
    user = User.objects.get(username="new.person@example.com")
    [line] = console_lines()
    assert line.action == AuditAction.OPERATOR_ADDED
    assert line.details["changes"]["password"] == ["", "(changed)"]
    assert line.details["changes"]["username"] == ["", "new.person@example.com"]
    assert user.password not in str(line.details)


def test_a_groups_change_is_audited(operator):
    group = Group.objects.create(name="Helpdesk operators")
    response = post_change(operator, group, name="Support operators")

    assert response.status_code == 302
    [line] = console_lines()
    assert line.details["model"] == "auth.Group"
    assert line.details["changes"] == {"name": ["Helpdesk operators", "Support operators"]}
