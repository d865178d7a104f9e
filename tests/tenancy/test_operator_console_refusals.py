"""The operators' console refuses a change that would break a rule: the rule's words on the
form, nothing saved and no audit line. Changes the rules allow go through."""

import pytest
from django.urls import reverse

from tenancy.models import Cloud, Country, Membership, Role, TenantKind
from tests.factories import (
    AdminRelationshipFactory,
    InvitationFactory,
    ResellerRelationshipFactory,
    UserFactory,
    member,
)
from tests.tenancy.operator_console import (
    assert_refused,
    change_url,
    console_lines,
    form_errors,
    post_change,
    post_new_role,
    roles_of,
    shown_form,
)

# Fixtures, which pytest finds by name in the module ("x as x": the import is used).
from tests.tenancy.operator_console import operator as operator
from tests.tenancy.operator_console import operator_user as operator_user

pytestmark = pytest.mark.django_db


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
