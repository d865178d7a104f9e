import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from tenancy.management.commands.seed_demo import DEMO_PASSWORD
from tenancy.models import (
    AdminRelationship,
    AuditEvent,
    Cloud,
    Invitation,
    Membership,
    ResellerRelationship,
    Role,
    Subscription,
    Tenant,
    TenantKind,
)

pytestmark = pytest.mark.django_db


def counts():
    return [
        model.objects.count()
        for model in (
            Tenant,
            Membership,
            ResellerRelationship,
            AdminRelationship,
            Invitation,
            Subscription,
            AuditEvent,
        )
    ]


def roles_of(username):
    return Membership.objects.get(user__username=username).roles


def test_it_refuses_to_run_without_debug_unless_forced(settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="published"):
        call_command("seed_demo")
    assert Tenant.objects.count() == 0


def test_it_is_idempotent():
    call_command("seed_demo", force=True, stdout=None)
    first = counts()
    call_command("seed_demo", force=True)
    assert counts() == first


def test_it_creates_the_cast_the_demo_needs():
    call_command("seed_demo", force=True)
    contoso = Tenant.objects.get(domain="contosopartners.onmicrosoft.com")
    assert contoso.kind == TenantKind.PARTNER and contoso.country_id == "US"
    assert roles_of("adminagent@contosopartners.onmicrosoft.com") == {Role.ADMIN_AGENT}
    assert roles_of("sales@contosopartners.onmicrosoft.com") == {Role.SALES_AGENT}
    assert roles_of("helpdesk@contosopartners.onmicrosoft.com") == {Role.HELPDESK_AGENT}
    assert Tenant.objects.get(domain="fabrikamconseil.onmicrosoft.com").country_id == "FR"
    assert Tenant.objects.get(domain="tailspinfederal.onmicrosoft.com").cloud == Cloud.USGOV

    northwind = Tenant.objects.get(domain="northwindtraders.onmicrosoft.com")
    assert not ResellerRelationship.objects.filter(customer=northwind).exists()
    assert roles_of("admin@northwindtraders.onmicrosoft.com") == {Role.CUSTOMER_GLOBAL_ADMIN}
    assert roles_of("billing@northwindtraders.onmicrosoft.com") == {Role.CUSTOMER_BILLING_ADMIN}
    assert roles_of("user@northwindtraders.onmicrosoft.com") == {Role.CUSTOMER_USER}
    for domain, country, cloud in [
        ("alpineskihouse", "DE", Cloud.PUBLIC),
        ("mapleleafoutfitters", "CA", Cloud.PUBLIC),
        ("springfieldpw", "US", Cloud.USGOV),
    ]:
        tenant = Tenant.objects.get(domain=f"{domain}.onmicrosoft.com")
        assert (tenant.country_id, tenant.cloud) == (country, cloud)
        assert roles_of(f"admin@{domain}.onmicrosoft.com") == {Role.CUSTOMER_GLOBAL_ADMIN}

    assert Tenant.objects.customers_of(contoso).count() >= 50
    assert ResellerRelationship.objects.active().exclude(partner=contoso).exists()


@pytest.mark.parametrize(
    ("username", "lands_on"),
    [
        ("sales@contosopartners.onmicrosoft.com", "Partner Center"),
        ("admin@northwindtraders.onmicrosoft.com", "Microsoft 365 admin center"),
        ("admin@springfieldpw.onmicrosoft.com", "Microsoft Office Admin portal"),
    ],
)
def test_demo_users_sign_in_with_the_published_password(client, username, lands_on):
    call_command("seed_demo", force=True)
    response = client.post(
        reverse("sign-in"), {"username": username, "password": DEMO_PASSWORD}, follow=True
    )
    assert response.status_code == 200
    assert lands_on.encode() in response.content
