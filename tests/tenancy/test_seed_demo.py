from io import StringIO

import pytest
from django.core import mail
from django.core.management import CommandError, call_command
from django.urls import reverse

from tenancy import services
from tenancy.management.commands.seed_demo import DEMO_PASSWORD, HELPDESK_GROUP
from tenancy.models import (
    DEFAULT_ROLES,
    LICENSE_ADMINISTRATOR,
    AccessAssignment,
    AdminRelationship,
    AdminRelationshipStatus,
    AuditEvent,
    Cloud,
    CustomerListCount,
    CustomerListRow,
    Invitation,
    Membership,
    ResellerRelationship,
    Role,
    SecurityGroup,
    Subscription,
    Tenant,
    TenantKind,
)
from tenancy.services.customer_list import customer_list_rebuild

pytestmark = pytest.mark.django_db


def counts():
    return [
        model.objects.count()
        for model in (
            Tenant,
            Membership,
            ResellerRelationship,
            AdminRelationship,
            SecurityGroup,
            AccessAssignment,
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


S = AdminRelationshipStatus
CONTOSO = "contosopartners.onmicrosoft.com"


def test_contoso_has_an_admin_relationship_in_every_state():
    call_command("seed_demo", force=True, stdout=StringIO())
    contoso = Tenant.objects.get(domain=CONTOSO)

    shown = {r.display_status() for r in AdminRelationship.objects.filter(partner=contoso)}

    assert shown == set(S)


def test_customers_with_admin_roles_have_the_default_relationship():
    call_command("seed_demo", force=True, stdout=StringIO())

    defaults = AdminRelationship.objects.filter(name__startswith="Default roles - ")
    assert defaults.values("partner").distinct().count() == 3
    for relationship in defaults:
        assert sorted(relationship.roles) == sorted(DEFAULT_ROLES)
        assert relationship.auto_extend and relationship.duration_days == 730
        assert relationship.display_status() == S.ACTIVE


def test_the_pending_requests_have_a_working_link():
    call_command("seed_demo", force=True, stdout=StringIO())
    pending = AdminRelationship.objects.filter(status=S.APPROVAL_PENDING)

    assert {r.customer.domain for r in pending} == {
        "northwindtraders.onmicrosoft.com",
        "springfieldpw.onmicrosoft.com",
    }
    for relationship in pending:
        assert relationship.display_status() == S.APPROVAL_PENDING
        assert services.admin_relationship_find(relationship.id, relationship.token()) == (
            relationship
        )


def test_the_sales_agent_may_change_a_subscription_through_the_helpdesk_group():
    call_command("seed_demo", force=True, stdout=StringIO())
    contoso = Tenant.objects.get(domain=CONTOSO)
    sales = Membership.objects.get(user__username=f"sales@{CONTOSO}")
    group = SecurityGroup.objects.get(partner=contoso, name=HELPDESK_GROUP)
    assignment = AccessAssignment.objects.get(group=group, removed_at__isnull=True)

    assert group.name == "Helpdesk \N{EN DASH} tier 1"
    assert {m.membership.user.username for m in group.memberships.all()} == {
        f"sales@{CONTOSO}",
        f"helpdesk@{CONTOSO}",
    }
    assert LICENSE_ADMINISTRATOR in assignment.roles
    assert assignment.relationship.display_status() == S.ACTIVE
    customer = assignment.relationship.customer
    assert LICENSE_ADMINISTRATOR in services.agent_roles_in(sales, customer)
    subscription = Subscription.objects.filter(
        partner=contoso, customer=customer, offer__kind="license"
    ).first()
    assert subscription is not None
    assert services.subscription_manage_decision(subscription=subscription, membership=sales)


def customer_list():
    fields = [f.attname for f in CustomerListRow._meta.concrete_fields if f.name != "id"]
    counts = CustomerListCount.objects.filter(count__gt=0).values_list("partner", "state", "count")
    return sorted(CustomerListRow.objects.values_list(*fields)), sorted(counts)


def test_the_customer_list_agrees_with_a_rebuild():
    call_command("seed_demo", force=True, stdout=StringIO())
    kept = customer_list()

    customer_list_rebuild()

    assert customer_list() == kept


def test_the_reminders_after_seeding_are_sent_once(django_capture_on_commit_callbacks):
    call_command("seed_demo", force=True, stdout=StringIO())
    outputs = []

    for _ in range(2):
        out = StringIO()
        with django_capture_on_commit_callbacks(execute=True):
            call_command("admin_relationship_reminders", stdout=out)
        outputs.append(out.getvalue().strip())

    assert outputs == [
        "Sent 1 reminder, 1 expiry notice; extended 0 relationships.",
        "Sent 0 reminders, 0 expiry notices; extended 0 relationships.",
    ]
    assert [message.to for message in mail.outbox] == [[f"adminagent@{CONTOSO}"]] * 2


def test_it_prints_the_admin_relationships_and_the_approval_link():
    out = StringIO()
    call_command("seed_demo", force=True, stdout=out)

    printed = out.getvalue()
    assert "Relecloud - licences and helpdesk" in printed and "Expiring" in printed
    assert "admin@relecloud.onmicrosoft.com" in printed
    assert "/granularAdminRelationships/" in printed and "?token=" in printed
