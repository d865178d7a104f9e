"""Nothing is deleted through the operators' console: no record, by page or bulk action, and the
read-only admins stay read-only; users are deactivated and reactivated instead, each audited."""

import pytest
from django.contrib import admin
from django.contrib.auth.models import Group
from django.urls import reverse

from console.admin import OperatorAudit, ReadOnlyAdmin
from tenancy.models import AuditAction, Membership, Role, Tenant
from tests.factories import (
    AdminRelationshipFactory,
    AgreementAcceptanceFactory,
    AuditEventFactory,
    InvitationFactory,
    MembershipFactory,
    PartnerFactory,
    PartnershipFactory,
    ResellerRelationshipFactory,
    SubscriptionFactory,
    grant_roles,
    member,
)
from tests.tenancy.operator_console import (
    User,
    assert_refused,
    change_url,
    console_lines,
    form_errors,
    shown_form,
)

# Fixtures, which pytest finds by name in the module ("x as x": the import is used).
from tests.tenancy.operator_console import operator as operator
from tests.tenancy.operator_console import operator_user as operator_user

pytestmark = pytest.mark.django_db

# --- Nothing is deleted -------------------------------------------------------------------


def tenancy_and_auth_admins():
    return [
        (model, model_admin)
        for model, model_admin in admin.site._registry.items()
        if model._meta.app_label in ("tenancy", "auth")
    ]


@pytest.fixture
def one_of_each(customer, customer_admin, partner_a, admin_agent):
    """A record of every model the console shows."""
    ResellerRelationshipFactory(partner=partner_a, customer=customer)
    relationship = AdminRelationshipFactory(partner=partner_a, customer=customer)
    grant_roles(Membership.objects.get(user=admin_agent), relationship)
    InvitationFactory(partner=partner_a)
    AgreementAcceptanceFactory(customer=customer)
    SubscriptionFactory(partner=partner_a, customer=customer)
    AuditEventFactory(partner=partner_a, customer=customer)
    PartnershipFactory()
    Group.objects.create(name="Operators")


@pytest.mark.parametrize(
    "model", [model for model, _ in tenancy_and_auth_admins()], ids=lambda m: m._meta.label
)
def test_no_record_can_be_deleted(operator, one_of_each, model):
    obj = model._default_manager.first()
    url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_delete", args=[obj.pk])

    assert operator.get(url).status_code == 403
    assert operator.post(url, {"post": "yes"}).status_code == 403
    assert model._default_manager.filter(pk=obj.pk).exists()


def test_the_delete_action_is_gone(operator, one_of_each, customer_user):
    for model, _ in tenancy_and_auth_admins():
        page = operator.get(
            reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
        )
        action_form = page.context["action_form"]
        assert action_form is None or "delete_selected" not in dict(
            action_form.fields["action"].choices
        ), model._meta.label

    membership = Membership.objects.get(user=customer_user)
    for changelist, pk in [
        ("admin:auth_user_changelist", customer_user.pk),
        ("admin:tenancy_membership_changelist", membership.pk),
    ]:
        bulk = operator.post(
            reverse(changelist),
            {"action": "delete_selected", "_selected_action": [pk], "post": "yes"},
        )
        assert bulk.status_code in (200, 302)
    assert User.objects.filter(pk=customer_user.pk).exists()
    assert Membership.objects.filter(pk=membership.pk).exists()


def test_every_admin_that_can_change_anything_is_audited(rf, operator_user):
    request = rf.get("/operators/")
    request.user = operator_user
    for model, model_admin in tenancy_and_auth_admins():
        may_change = model_admin.has_change_permission(request) or model_admin.has_add_permission(
            request
        )
        assert isinstance(model_admin, OperatorAudit) or not may_change, model._meta.label
        assert not model_admin.has_delete_permission(request), model._meta.label


@pytest.mark.parametrize(
    "model",
    [model for model, a in tenancy_and_auth_admins() if isinstance(a, ReadOnlyAdmin)],
    ids=lambda m: m._meta.label,
)
def test_read_only_admins_stay_read_only(operator, one_of_each, model):
    name = f"admin:{model._meta.app_label}_{model._meta.model_name}"
    obj = model._default_manager.first()
    assert operator.get(reverse(f"{name}_add")).status_code == 403
    assert operator.post(reverse(f"{name}_add"), {}).status_code == 403
    assert operator.post(reverse(f"{name}_change", args=[obj.pk]), {}).status_code == 403
    page = operator.get(reverse(f"{name}_changelist"))
    assert page.status_code == 200
    assert page.context["action_form"] is None


# --- Deactivated, not deleted -------------------------------------------------------------


def run_action(operator, changelist, action, pks):
    return operator.post(
        reverse(changelist),
        {"action": action, "_selected_action": [str(pk) for pk in pks]},
        follow=True,
    )


def test_deactivating_and_reactivating_users_is_audited_per_user(
    operator, operator_user, customer, customer_user, customer_billing_admin, partner_a, sales_agent
):
    response = run_action(
        operator,
        "admin:auth_user_changelist",
        "deactivate_users",
        [customer_user.pk, sales_agent.pk],
    )

    assert "Deactivated 2 users." in response.content.decode()
    assert not User.objects.get(pk=customer_user.pk).is_active
    assert not User.objects.get(pk=sales_agent.pk).is_active
    lines = {line.details["object"]: line for line in console_lines()}
    assert lines[str(customer_user)].action == AuditAction.USER_DEACTIVATED
    assert lines[str(customer_user)].customer == customer
    assert lines[str(sales_agent)].partner == partner_a
    assert lines[str(sales_agent)].actor == operator_user
    assert lines[str(sales_agent)].details["changes"] == {"is_active": ["True", "False"]}

    membership = Membership.objects.get(user=customer_user)
    response = run_action(
        operator, "admin:tenancy_membership_changelist", "reactivate_users", [membership.pk]
    )

    assert "Reactivated 1 user." in response.content.decode()
    assert User.objects.get(pk=customer_user.pk).is_active
    reactivated = console_lines().last()
    assert reactivated.action == AuditAction.USER_REACTIVATED
    assert reactivated.customer == customer
    assert reactivated.details["changes"] == {"is_active": ["False", "True"]}


def test_deactivating_from_the_membership_list(operator, customer, customer_user):
    membership = Membership.objects.get(user=customer_user)
    run_action(operator, "admin:tenancy_membership_changelist", "deactivate_users", [membership.pk])

    assert not User.objects.get(pk=customer_user.pk).is_active
    assert Membership.objects.filter(pk=membership.pk).exists()
    [line] = console_lines()
    assert line.action == AuditAction.USER_DEACTIVATED
    assert line.customer == customer


def test_a_deactivated_users_session_ends_on_the_next_request(operator, sales_agent, client_for):
    agent = client_for(sales_agent)
    assert agent.get(reverse("partner_center:customer-list")).status_code == 200

    run_action(operator, "admin:auth_user_changelist", "deactivate_users", [sales_agent.pk])

    response = agent.get(reverse("partner_center:customer-list"))
    assert response.status_code == 302
    assert response.url.startswith(reverse("sign-in"))
    assert not response.wsgi_request.user.is_authenticated


def test_unchecking_active_on_the_user_form_is_audited_as_a_deactivation(
    operator, customer, customer_user
):
    data = shown_form(operator, change_url(customer_user))
    del data["is_active"]

    response = operator.post(change_url(customer_user), data)

    assert response.status_code == 302, form_errors(response)
    assert not User.objects.get(pk=customer_user.pk).is_active
    [line] = console_lines()
    assert line.action == AuditAction.USER_DEACTIVATED
    assert line.customer == customer
    assert line.details["changes"] == {"is_active": ["True", "False"]}


def test_an_operator_cannot_deactivate_themself(operator, operator_user):
    response = run_action(
        operator, "admin:auth_user_changelist", "deactivate_users", [operator_user.pk]
    )

    assert "You can&#x27;t deactivate your own account." in response.content.decode()
    assert User.objects.get(pk=operator_user.pk).is_active
    assert not console_lines().exists()


def test_an_operator_cannot_uncheck_their_own_active_box(operator, operator_user):
    data = shown_form(operator, change_url(operator_user))
    del data["is_active"]

    response = operator.post(change_url(operator_user), data)

    assert_refused(response, operator_user, "You can't deactivate your own account.")


def test_deactivating_the_last_active_global_admin_is_refused(
    operator, customer, customer_admin, customer_user
):
    response = run_action(
        operator, "admin:auth_user_changelist", "deactivate_users", [customer_admin.pk]
    )

    assert "Northwind Traders would have no Global administrator" in response.content.decode()
    assert User.objects.get(pk=customer_admin.pk).is_active
    assert not console_lines().exists()


def test_of_two_global_admins_deactivated_together_the_last_one_stays(operator, customer_user):
    customer = Membership.objects.get(user=customer_user).tenant
    first = member(customer, Role.CUSTOMER_GLOBAL_ADMIN, username="first@example.com")
    second = member(customer, Role.CUSTOMER_GLOBAL_ADMIN, username="second@example.com")

    response = run_action(
        operator, "admin:auth_user_changelist", "deactivate_users", [first.pk, second.pk]
    )

    content = response.content.decode()
    assert "Deactivated 1 user." in content
    assert "would have no Global administrator" in content
    active = User.objects.filter(pk__in=[first.pk, second.pk], is_active=True)
    assert active.count() == 1
    assert console_lines().count() == 1


def test_the_last_global_admin_of_a_tenant_with_nothing_left_may_go(operator):
    partner = PartnerFactory()
    membership = MembershipFactory(tenant=partner, roles=[Role.GLOBAL_ADMIN])

    run_action(operator, "admin:auth_user_changelist", "deactivate_users", [membership.user.pk])

    assert not User.objects.get(pk=membership.user.pk).is_active
    assert Tenant.objects.filter(pk=partner.pk).exists()
