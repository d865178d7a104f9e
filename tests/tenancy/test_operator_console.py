"""The operators' console keeps the rules: every change is audited before → after, a change that
would break a rule is refused with the rule's words, and nothing is deleted (users and
memberships are deactivated)."""

import pytest
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.forms import CheckboxInput, MultiWidget
from django.urls import reverse

from console.admin import OperatorAudit, ReadOnlyAdmin
from tenancy.models import (
    AuditAction,
    AuditEvent,
    Cloud,
    Country,
    CustomerListRow,
    Market,
    Membership,
    Role,
    Tenant,
    TenantKind,
)
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
    UserFactory,
    grant_roles,
    member,
)
from tests.operators import sign_in_operator

pytestmark = pytest.mark.django_db

User = get_user_model()

# What the console writes; sign-ins write lines of their own.
CONSOLE_ACTIONS = [
    AuditAction.OPERATOR_ADDED,
    AuditAction.OPERATOR_CHANGED,
    AuditAction.ROLES_CHANGED,
    AuditAction.USER_DEACTIVATED,
    AuditAction.USER_REACTIVATED,
]


def console_lines():
    return AuditEvent.objects.filter(action__in=CONSOLE_ACTIONS).order_by("id")


@pytest.fixture
def operator_user(db):
    return UserFactory(username="operator@example.com", is_staff=True, is_superuser=True)


@pytest.fixture
def operator(client, operator_user):
    sign_in_operator(client, operator_user)
    return client


# --- Posting the real change forms --------------------------------------------------------------


def _values(form) -> dict:
    """What a browser would post for `form` as it was shown, field by field."""
    data = {}
    for name, field in form.fields.items():
        if field.disabled:
            continue
        bound = form[name]
        value = bound.value()
        if isinstance(field.widget, MultiWidget):
            for index, part in enumerate(field.widget.decompress(value)):
                data[f"{bound.html_name}_{index}"] = "" if part is None else part
        elif isinstance(field.widget, CheckboxInput):
            if value:
                data[bound.html_name] = "on"
        else:
            data[bound.html_name] = "" if value is None else value
    return data


def shown_form(operator, url) -> dict:
    """The change (or add) page's form and its inlines' rows, as posted unchanged."""
    page = operator.get(url)
    assert page.status_code == 200
    data = _values(page.context["adminform"].form)
    for inline in page.context["inline_admin_formsets"]:
        formset = inline.formset
        data |= _values(formset.management_form)
        for form in formset.initial_forms:
            data |= _values(form)
    return data


def change_url(obj) -> str:
    return reverse(f"admin:{obj._meta.app_label}_{obj._meta.model_name}_change", args=[obj.pk])


def post_change(operator, obj, **changes):
    url = change_url(obj)
    return operator.post(url, shown_form(operator, url) | changes)


def form_errors(response) -> str:
    """Every error the admin page shows, form and inlines, as one text."""
    assert response.status_code == 200, "expected the form again, with its errors"
    context = response.context
    error_lists = [*context["adminform"].form.errors.values()]
    for inline in context["inline_admin_formsets"]:
        error_lists.append(inline.formset.non_form_errors())
        error_lists.extend(error for form in inline.formset.forms for error in form.errors.values())
    return " ".join(message for errors in error_lists for message in errors)


def post_new_role(operator, membership, role):
    """The membership's change form with `role` in its blank extra row."""
    url = change_url(membership)
    data = shown_form(operator, url)
    row = data["role_rows-INITIAL_FORMS"]
    return operator.post(url, data | {f"role_rows-{row}-role": role})


def roles_of(user) -> set[str]:
    return set(Membership.objects.get(user=user).role_rows.values_list("role", flat=True))


# --- One audit line per change, before → after ----------------------------------------------


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


# --- Refused: the rule's words on the form; nothing saved; no audit line ------------------------


def assert_refused(response, obj, *phrases):
    errors = form_errors(response)
    for phrase in phrases:
        assert phrase in errors
    stored = type(obj)._default_manager.get(pk=obj.pk)
    for field in obj._meta.concrete_fields:
        assert getattr(stored, field.attname) == getattr(obj, field.attname), field.name
    assert not console_lines().exists()


def test_a_cloud_change_is_refused_while_the_tenant_has_relationships(operator, customer):
    ResellerRelationshipFactory(customer=customer)
    AdminRelationshipFactory(customer=customer)

    response = post_change(operator, customer, cloud=Cloud.USGOV)

    assert_refused(
        response,
        customer,
        "Northwind Traders has 1 active reseller relationship and 1 admin relationship in "
        "force, so its cloud can't change",
        "End them first.",
    )


def test_a_country_change_is_refused_while_a_partner_has_an_open_request(operator, partner_a):
    InvitationFactory(partner=partner_a)
    InvitationFactory(partner=partner_a)

    response = post_change(operator, partner_a, country="CA")

    assert_refused(
        response,
        partner_a,
        "Contoso Partners has 2 open reseller relationship requests, so its country can't change",
    )


def test_a_cloud_change_is_allowed_once_relationships_ended(operator, customer, partner_a):
    relationship = ResellerRelationshipFactory(partner=partner_a, customer=customer)
    relationship.end(by=None)

    response = post_change(operator, customer, cloud=Cloud.USGOV)

    assert response.status_code == 302, form_errors(response)
    customer.refresh_from_db()
    assert customer.cloud == Cloud.USGOV
    [line] = console_lines()
    assert line.details["changes"] == {"cloud": [Cloud.PUBLIC, Cloud.USGOV]}


def test_a_csp_role_change_is_refused_while_the_partner_has_partnerships(
    operator, provider, partnership, customer
):
    from tests.factories import indirect_link

    indirect_link(partnership.reseller, customer, provider)

    response = post_change(operator, provider, csp_role="direct")

    assert_refused(
        response,
        provider,
        "Tailspin Distribution is an indirect provider with 1 indirect partnership and 1 "
        "customer served in two tiers, so its CSP role can't change",
    )


def test_a_country_change_is_refused_while_a_partnership_is_open(operator, provider, partnership):
    response = post_change(operator, provider, country="CA")

    assert_refused(
        response,
        provider,
        "Tailspin Distribution has 1 indirect partnership (active or requested), so its country "
        "can't change",
    )


def test_a_csp_role_change_is_allowed_without_partnerships(operator, provider):
    response = post_change(operator, provider, csp_role="direct")

    assert response.status_code == 302, form_errors(response)
    provider.refresh_from_db()
    assert provider.csp_role == "direct"


def test_a_tenants_kind_cannot_change(operator, customer):
    response = post_change(operator, customer, kind=TenantKind.PARTNER, mpn_id="5550001")

    assert_refused(
        response,
        customer,
        "Northwind Traders is a customer organization, and an organization's kind can't change",
    )


def test_a_customers_domain_cannot_change(operator, customer):
    response = post_change(operator, customer, domain="northwind-new.onmicrosoft.com")

    assert_refused(
        response,
        customer,
        "northwindtraders.onmicrosoft.com is Northwind Traders' initial domain: it identifies "
        "the customer organization and can't change.",
    )


def test_a_partner_id_another_partner_has_is_refused_by_name(operator, partner_a, partner_b):
    response = post_change(operator, partner_a, mpn_id=str(partner_b.mpn_id))

    assert_refused(
        response,
        partner_a,
        f"PartnerID {partner_b.mpn_id} already belongs to Litware Partners "
        "(litwarepartners.onmicrosoft.com). Each partner has its own PartnerID.",
    )


def test_a_role_of_the_other_kind_is_refused_on_a_membership(operator, customer_user):
    membership = Membership.objects.get(user=customer_user)
    response = post_new_role(operator, membership, Role.ADMIN_AGENT)

    assert_refused(response, membership, "Admin agent is not a role in a customer.")
    assert roles_of(customer_user) == {Role.CUSTOMER_USER}


def test_a_role_of_the_other_kind_is_refused_on_a_new_membership(operator, customer):
    user = UserFactory()
    response = operator.post(
        reverse("admin:tenancy_membership_add"),
        {
            "user": user.pk,
            "tenant": customer.pk,
            "role_rows-TOTAL_FORMS": "1",
            "role_rows-INITIAL_FORMS": "0",
            "role_rows-0-role": Role.GLOBAL_ADMIN,
        },
    )

    assert "Global admin is not a role in a customer." in form_errors(response)
    assert not Membership.objects.filter(user=user).exists()
    assert not console_lines().exists()


def test_a_new_membership_without_a_tenant_shows_the_form_not_an_error_page(operator):
    response = operator.post(
        reverse("admin:tenancy_membership_add"),
        {
            "user": UserFactory().pk,
            "tenant": "",
            "role_rows-TOTAL_FORMS": "1",
            "role_rows-INITIAL_FORMS": "0",
            "role_rows-0-role": Role.GLOBAL_ADMIN,
        },
    )

    assert "This field is required." in form_errors(response)
    assert not Membership.objects.exists()
    assert not console_lines().exists()


def test_removing_the_last_global_admin_of_a_tenant_with_members_is_refused(
    operator, customer, customer_admin, customer_user
):
    membership = Membership.objects.get(user=customer_admin)

    response = post_change(operator, membership, **{"role_rows-0-DELETE": "on"})

    assert_refused(
        response,
        membership,
        "Northwind Traders would have no Global administrator: "
        "admin@northwindtraders.onmicrosoft.com is its last active one, and it still has "
        "2 active members. Make another member Global administrator first.",
    )
    assert roles_of(customer_admin) == {Role.CUSTOMER_GLOBAL_ADMIN}


def test_changing_the_last_global_admins_role_to_another_is_refused(
    operator, partner_a, partner_global_admin
):
    ResellerRelationshipFactory(partner=partner_a)
    membership = Membership.objects.get(user=partner_global_admin)

    response = post_change(operator, membership, **{"role_rows-0-role": Role.ADMIN_AGENT})

    assert_refused(
        response,
        membership,
        "Contoso Partners would have no Global admin",
        "1 active member and 1 active reseller relationship",
    )
    assert roles_of(partner_global_admin) == {Role.GLOBAL_ADMIN}


def test_a_global_admin_role_may_go_while_another_global_admin_remains(
    operator, customer, customer_admin
):
    other = member(customer, Role.CUSTOMER_GLOBAL_ADMIN)
    membership = Membership.objects.get(user=customer_admin)

    response = post_change(operator, membership, **{"role_rows-0-DELETE": "on"})

    assert response.status_code == 302, form_errors(response)
    assert roles_of(customer_admin) == set()
    assert roles_of(other) == {Role.CUSTOMER_GLOBAL_ADMIN}


def test_a_member_cannot_move_to_another_tenant(operator, customer_user, partner_a):
    membership = Membership.objects.get(user=customer_user)

    response = post_change(operator, membership, tenant=str(partner_a.pk))

    assert_refused(
        response,
        membership,
        "user@northwindtraders.onmicrosoft.com is a member of Northwind Traders and can't move "
        "to another organization.",
    )


def test_a_membership_cannot_pass_to_another_user(operator, customer_user):
    membership = Membership.objects.get(user=customer_user)
    other = UserFactory()

    response = post_change(operator, membership, user=str(other.pk))

    assert_refused(
        response,
        membership,
        "This membership is user@northwindtraders.onmicrosoft.com's and can't pass to another "
        "user.",
    )


def test_a_country_cannot_move_market_while_its_tenants_have_relationships(operator, customer):
    ResellerRelationshipFactory(customer=customer)
    country = Country.objects.get(code="US")

    response = post_change(operator, country, market="CA")

    assert_refused(
        response,
        country,
        "Organizations in the United States have 1 active reseller relationship, so it can't "
        "move from the United States market to the Canada market",
    )


def test_a_country_without_ties_may_move_market(operator):
    country = Country.objects.get(code="FR")
    old_market = country.market

    response = post_change(operator, country, market="US")

    assert response.status_code == 302, form_errors(response)
    [line] = console_lines()
    assert line.details["changes"] == {"market": [old_market.name, "United States"]}


def test_unchecking_active_for_the_last_global_admin_is_refused(
    operator, customer, customer_admin, customer_user
):
    data = shown_form(operator, change_url(customer_admin))
    del data["is_active"]

    response = operator.post(change_url(customer_admin), data)

    assert_refused(response, customer_admin, "Northwind Traders would have no Global administrator")


# --- Nothing is deleted ---------------------------------------------------------------------


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


# --- Deactivated, not deleted ---------------------------------------------------------------


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
