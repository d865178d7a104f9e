import sys
from collections import Counter
from datetime import timedelta
from io import StringIO
from pathlib import Path

import pytest
from django.core import mail
from django.core.management import CommandError, call_command
from django.db.models.signals import post_save
from django.urls import reverse
from django.utils import timezone

import tenancy.services
from tenancy import selectors, services
from tenancy.demo import DEMO_PASSWORD, HELPDESK_GROUP
from tenancy.effects.customer_list import customer_list_rebuild
from tenancy.effects.record import record_many
from tenancy.models import (
    DEFAULT_ROLES,
    GLOBAL_ADMINISTRATOR,
    LICENSE_ADMINISTRATOR,
    AccessAssignment,
    AdminRelationship,
    AdminRelationshipNotice,
    AdminRelationshipStatus,
    AdminRelationshipTemplate,
    AgreementAcceptance,
    AssignmentState,
    AuditAction,
    AuditEvent,
    BulkItemState,
    BulkJob,
    BulkJobItem,
    BulkJobStatus,
    Cloud,
    CspRole,
    CustomerListCount,
    CustomerListRow,
    Invitation,
    InvitationStatus,
    Membership,
    NoticeKind,
    Partnership,
    PartnershipStatus,
    ResellerRelationship,
    Role,
    SecurityGroup,
    SecurityGroupMember,
    Subscription,
    TemplateMapping,
    TemplateVersion,
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
            SecurityGroup,
            AccessAssignment,
            Invitation,
            Subscription,
            AuditEvent,
            Partnership,
            CustomerListRow,
            AdminRelationshipTemplate,
            TemplateVersion,
            BulkJob,
            BulkJobItem,
            AdminRelationshipNotice,
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

    assert selectors.customers_of(contoso).count() >= 50
    assert ResellerRelationship.objects.active().exclude(partner=contoso).exists()


@pytest.mark.parametrize(
    ("username", "lands_on"),
    [
        ("sales@contosopartners.onmicrosoft.com", "Partner Center"),
        ("admin@northwindtraders.onmicrosoft.com", "Microsoft 365 admin center"),
        ("admin@springfieldpw.onmicrosoft.com", "Microsoft Office Admin portal"),
        ("agent@tailwinddist.onmicrosoft.com", "Partner Center"),
        ("sales@prosewaresolutions.onmicrosoft.com", "Partner Center"),
        # Added by Tailwind (Add customer), yet signs in with the published password.
        ("admin@firstupconsultants.onmicrosoft.com", "Microsoft 365 admin center"),
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
    assert set(defaults.values_list("partner__domain", flat=True)) == {
        "contosopartners.onmicrosoft.com",
        "fabrikamconseil.onmicrosoft.com",
        "tailspinfederal.onmicrosoft.com",
        # Lakeshore Retail accepted Proseware's two-tier request with admin permissions.
        "prosewaresolutions.onmicrosoft.com",
    }
    for relationship in defaults:
        assert sorted(relationship.roles) == sorted(DEFAULT_ROLES)
        assert relationship.auto_extend and relationship.duration_days == 730
        assert relationship.display_status() == S.ACTIVE


def test_the_pending_requests_have_a_working_link():
    call_command("seed_demo", force=True, stdout=StringIO())
    pending = AdminRelationship.objects.with_status(S.APPROVAL_PENDING)

    assert {r.customer.domain for r in pending} == {
        f"{prefix}.onmicrosoft.com"
        for prefix in [
            "northwindtraders",
            "springfieldpw",
            # Contoso's requests from its templates, and from its bulk request.
            "treyresearch",
            "humongousinsurance",
            "consolidatedmessenger",
            "fourthcoffee",
            "blueyonderairlines",
            "schooloffineart",
        ]
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
    assignment = AccessAssignment.objects.get(
        group=group, relationship__name="Relecloud - licences and helpdesk", removed_at__isnull=True
    )

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


# --- Through the services -------------------------------------------------------------------

SERVICES = Path(tenancy.services.__file__).parent
# What only a service writes: the seed makes none of these itself.
SERVICE_ROWS = (
    ResellerRelationship,
    AgreementAcceptance,
    AdminRelationship,
    SecurityGroup,
    SecurityGroupMember,
    AccessAssignment,
    Invitation,
    Subscription,
    Partnership,
    AdminRelationshipTemplate,
    TemplateVersion,
    TemplateMapping,
    BulkJob,
    AdminRelationshipNotice,
)


def written_from(test) -> bool:
    """Whether a frame of the current call stack passes `test` (a code object's test)."""
    frame = sys._getframe()
    while frame is not None:
        if test(frame.f_code):
            return True
        frame = frame.f_back
    return False


def in_a_service(code) -> bool:
    return Path(code.co_filename).parent == SERVICES


def test_every_row_and_audit_line_is_a_services():
    strays = []

    def audit_line(sender, instance, created, **kwargs):
        if created and not written_from(lambda code: code is record_many.__code__):
            strays.append(f"{instance.action} by hand")

    def service_row(sender, instance, created, **kwargs):
        if created and not written_from(in_a_service):
            strays.append(f"{sender.__name__} outside a service")

    post_save.connect(audit_line, sender=AuditEvent, weak=False)
    for model in SERVICE_ROWS:
        post_save.connect(service_row, sender=model, weak=False)
    try:
        call_command("seed_demo", force=True, stdout=StringIO())
    finally:
        post_save.disconnect(audit_line, sender=AuditEvent)
        for model in SERVICE_ROWS:
            post_save.disconnect(service_row, sender=model)

    assert strays == []
    assert AuditEvent.objects.count() > 300  # the receivers did see the seed's lines


def near(line: AuditEvent | None, at) -> bool:
    return line is not None and abs(line.at - at) < timedelta(minutes=1)


def test_the_history_is_dated_when_it_happened():
    call_command("seed_demo", force=True, stdout=StringIO())
    lines = AuditEvent.objects.order_by("at")

    relationships = ResellerRelationship.objects.all()
    assert relationships.filter(created_at__lt=timezone.now() - timedelta(days=600)).exists()
    for relationship in relationships:
        pair = lines.filter(partner=relationship.partner, customer=relationship.customer)
        assert near(
            pair.filter(action=AuditAction.RESELLER_STARTED).first(), relationship.created_at
        )
        if relationship.ended_at is not None:
            ended = pair.filter(action=AuditAction.RESELLER_ENDED).first()
            assert near(ended, relationship.ended_at)
    for admin in AdminRelationship.objects.filter(approved_at__isnull=False):
        approved = lines.filter(action=AuditAction.ADMIN_APPROVED, details__name=admin.name)
        assert near(approved.first(), admin.approved_at)
    for subscription in Subscription.objects.all():
        purchased = lines.filter(
            action=AuditAction.SUBSCRIPTION_PURCHASED,
            details__subscription=str(subscription.id),
            partner=subscription.partner,
        )
        assert near(purchased.first(), subscription.created_at)
    bellows = AdminRelationship.objects.get(name="Bellows College - security review")
    assert (timezone.now() - bellows.closed_at).days == 30
    terminated = lines.get(action=AuditAction.ADMIN_TERMINATED, details__name=bellows.name)
    assert (
        terminated.at == bellows.closed_at and terminated.actor.username == f"adminagent@{CONTOSO}"
    )


def test_the_customers_global_administrators_answered_the_admin_requests():
    call_command("seed_demo", force=True, stdout=StringIO())
    contoso = AdminRelationship.objects.filter(partner__domain=CONTOSO)
    answers = [
        *contoso.filter(approved_at__isnull=False).values_list("approved_by", "customer"),
        *contoso.filter(status=S.DECLINED).values_list("closed_by", "customer"),
    ]

    assert len(answers) > 30
    for user, customer in answers:
        membership = Membership.objects.get(user=user)
        assert membership.tenant_id == customer
        assert membership.roles == {Role.CUSTOMER_GLOBAL_ADMIN}


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


# --- Templates, a bulk request and pending approvals ------------------------------------------

ADMIN_AGENT = f"adminagent@{CONTOSO}"
LEAST_PRIVILEGE = "Least privilege (default)"
HELPDESK_TIER = "Helpdesk tier"
SECURITY_GROUP = "Security operations"


@pytest.fixture
def contoso():
    call_command("seed_demo", force=True, stdout=StringIO())
    return Tenant.objects.get(domain=CONTOSO)


def admin_agent():
    return Membership.objects.get(user__username=ADMIN_AGENT).user


def test_contoso_has_two_templates_and_edited_the_default_one(contoso):
    now = timezone.now()
    templates = {t.name: t for t in AdminRelationshipTemplate.objects.filter(partner=contoso)}

    assert set(templates) == {LEAST_PRIVILEGE, HELPDESK_TIER}
    default, helpdesk = templates[LEAST_PRIVILEGE], templates[HELPDESK_TIER]
    first, second = default.versions.order_by("number")
    assert (first.number, second.number, default.latest) == (1, 2, second)
    assert set(first.roles) < set(second.roles)
    assert ((now - first.created_at).days, (now - second.created_at).days) == (130, 45)
    assert GLOBAL_ADMINISTRATOR not in second.roles
    assert (second.duration_days, second.auto_extend) == (730, True)
    assert {m.group.name for m in second.mappings.all()} == {HELPDESK_GROUP, SECURITY_GROUP}
    assert [v.number for v in helpdesk.versions.all()] == [1]
    assert {m.group.name for m in helpdesk.latest.mappings.all()} == {HELPDESK_GROUP}
    for mapping in TemplateMapping.objects.filter(version__template__partner=contoso):
        assert mapping.roles and set(mapping.roles) <= set(mapping.version.roles)
    lines = AuditEvent.objects.filter(partner=contoso, details__name=LEAST_PRIVILEGE)
    created = lines.get(action=AuditAction.TEMPLATE_CREATED)
    changed = lines.get(action=AuditAction.TEMPLATE_CHANGED)
    assert (created.at, changed.at) == (first.created_at, second.created_at)
    assert created.actor.username == changed.actor.username == ADMIN_AGENT


def test_a_bulk_request_ran_days_ago_and_the_step_queued_found_it_done(
    django_capture_on_commit_callbacks,
):
    # The step the job queues as the seed commits runs here (the immediate backend).
    with django_capture_on_commit_callbacks(execute=True):
        call_command("seed_demo", force=True, stdout=StringIO())
    job = BulkJob.objects.get(partner__domain=CONTOSO)
    items = BulkJobItem.objects.filter(job=job)

    # Emailed when it ran, days ago (a change dated in the past sends nothing today).
    assert job.status == BulkJobStatus.DONE and job.send_email
    assert not [email for email in mail.outbox if "Least privilege" in email.body]
    assert (
        job.template_version == AdminRelationshipTemplate.objects.get(name=LEAST_PRIVILEGE).latest
    )
    assert job.created_by.username == ADMIN_AGENT
    assert (timezone.now() - job.created_at).days == 5
    assert job.created_at < job.finished_at < job.created_at + timedelta(minutes=1)
    assert job.succeeded > 0 and job.skipped > 0 and job.failed > 0
    assert job.total == items.count() == job.succeeded + job.skipped + job.failed
    assert Counter(items.values_list("state", flat=True)) == {
        BulkItemState.DONE: job.succeeded,
        BulkItemState.SKIPPED: job.skipped,
        BulkItemState.FAILED: job.failed,
    }
    skipped = items.filter(state=BulkItemState.SKIPPED)
    assert sorted(skipped.values_list("reason", flat=True)) == [
        "already",
        "ended",
        "unknown_line",
        "unreadable_line",
    ]
    failed = items.filter(state=BulkItemState.FAILED)
    assert list(failed.values_list("customer__name", "reason")) == [("VanArsdel", "no_address")]
    for item in items.filter(state=BulkItemState.DONE):
        made = item.relationship
        assert (made.customer, made.template_version) == (item.customer, job.template_version)
        assert made.display_status() == S.APPROVAL_PENDING
        assert job.created_at < made.finalized_at == item.processed_at <= job.finished_at
    # One request per customer and version: the job's, and the one Consolidated Messenger had.
    from_version = AdminRelationship.objects.filter(template_version=job.template_version)
    assert from_version.filter(status=S.APPROVAL_PENDING).count() == job.succeeded + 1
    lines = AuditEvent.objects.filter(details__job=str(job.pk))
    assert sorted(lines.values_list("action", flat=True)) == [
        AuditAction.BULK_JOB_FINISHED,
        AuditAction.BULK_JOB_STARTED,
    ]
    assert near(lines.get(action=AuditAction.BULK_JOB_FINISHED), job.finished_at)


def test_pending_approvals_have_several_ages_their_reminders_and_one_lapsed(contoso, settings):
    now = timezone.now()
    waiting = services.waiting_requests(contoso).filter(template_version__isnull=False)

    ages = {(now - relationship.finalized_at).days for relationship in waiting}
    assert ages == {2, 5, 9, 25, 60}
    reminders_due = {
        sum(age >= days for days in settings.ADMIN_REQUEST_REMINDER_DAYS) for age in ages
    }
    assert reminders_due == {0, 1, 2}
    # Each reminder was sent on the day it fell due: today's run has none left to send.
    for relationship in waiting:
        notices = AdminRelationshipNotice.objects.filter(
            relationship=relationship, kind=NoticeKind.WAITING
        )
        due = [
            relationship.finalized_at + timedelta(days=days)
            for days in sorted(settings.ADMIN_REQUEST_REMINDER_DAYS)
            if relationship.finalized_at + timedelta(days=days) <= now
        ]
        assert sorted(notice.ends_at for notice in notices) == due
        assert all(n.sent_at == n.ends_at and n.recipients == 1 for n in notices)
    chased = AuditEvent.objects.filter(action=AuditAction.ADMIN_CHASED, partner=contoso)
    assert set(chased.values_list("at", flat=True)) == set(
        AdminRelationshipNotice.objects.filter(kind=NoticeKind.WAITING).values_list(
            "sent_at", flat=True
        )
    )

    lapsed = services.lapsed_requests(contoso).get()
    assert lapsed.name == "Fabrikam Residences - least privilege"
    assert (now - lapsed.finalized_at).days == 100 and lapsed.display_status() == S.EXPIRED
    again = services.admin_request_again(relationship=lapsed, requested_by=admin_agent())
    assert again.display_status() == S.APPROVAL_PENDING
    assert again.template_version == lapsed.template_version


def test_northwind_has_two_requests_from_contoso_waiting(contoso):
    waiting = services.waiting_requests(contoso).filter(
        customer__domain="northwindtraders.onmicrosoft.com"
    )

    assert sorted(waiting.values_list("name", flat=True)) == [
        "Northwind Traders - helpdesk tier",
        "Northwind Traders - support",
    ]


def test_an_approval_from_the_default_template_gave_its_groups_their_roles(contoso):
    relationship = AdminRelationship.objects.get(
        partner=contoso, name="Margie's Travel - least privilege"
    )
    version = relationship.template_version
    assignments = {
        a.group.name: a for a in AccessAssignment.objects.filter(relationship=relationship)
    }

    assert (version.template.name, version.number) == (LEAST_PRIVILEGE, 1)
    assert relationship.display_status() == S.ACTIVE
    made, failed = assignments.pop(HELPDESK_GROUP), assignments.pop(SECURITY_GROUP)
    assert assignments == {}
    assert (made.state, made.mapping.version) == (AssignmentState.ACTIVE, version)
    assert made.created_at == failed.created_at == relationship.approved_at
    assert (failed.state, failed.failure) == (AssignmentState.FAILED, "no_members")
    # Its Retry says why, until the group has a member.
    agent = admin_agent()
    with pytest.raises(services.ServiceError) as refused:
        services.access_assignment_retry(assignment=failed, retried_by=agent)
    assert refused.value.code == "no_members"
    services.security_group_member_add(
        group=failed.group, membership=Membership.objects.get(user=agent), added_by=agent
    )
    retried = services.access_assignment_retry(assignment=failed, retried_by=agent)
    assert retried.state == AssignmentState.ACTIVE


def test_it_prints_the_templates_the_bulk_request_and_the_pending_approvals():
    out = StringIO()
    call_command("seed_demo", force=True, stdout=out)

    printed = out.getvalue()
    assert "Least privilege (default)            version 2" in printed
    assert (
        "Bulk request from “Least privilege (default)”, 5 days ago: 4 made, 4 skipped, 1 failed"
        in printed
    )
    assert "Pending approvals: 9 waiting, 0 to 60 days old; 1 lapsed" in printed
    # A link for each request a demo account can answer, and none for the others.
    assert "To approve “Northwind Traders - helpdesk tier”" in printed
    assert "To approve “Trey Research" not in printed


# --- Two tiers -------------------------------------------------------------------------------

TAILWIND = "tailwinddist.onmicrosoft.com"
PROSEWARE = "prosewaresolutions.onmicrosoft.com"
WINGTIP = "wingtip.onmicrosoft.com"
THROUGH_PROSEWARE = {
    "Lakeshore Retail",
    "Fincher Architects",
    "Munson's Pickles",
    "First Up Consultants",
}
THROUGH_WINGTIP = {"Nod Publishers"}


def rows_of(domain):
    return CustomerListRow.objects.filter(partner__domain=domain)


@pytest.fixture
def two_tier():
    call_command("seed_demo", force=True, stdout=StringIO())
    return {domain: Tenant.objects.get(domain=domain) for domain in (TAILWIND, PROSEWARE, WINGTIP)}


def test_tailwind_and_its_resellers_are_us_partners_with_their_roles(two_tier):
    assert [(t.csp_role, t.country_id, t.cloud) for t in two_tier.values()] == [
        (CspRole.INDIRECT_PROVIDER, "US", Cloud.PUBLIC),
        (CspRole.INDIRECT_RESELLER, "US", Cloud.PUBLIC),
        (CspRole.INDIRECT_RESELLER, "US", Cloud.PUBLIC),
    ]
    assert roles_of(f"admin@{TAILWIND}") == {Role.GLOBAL_ADMIN}
    assert roles_of(f"agent@{TAILWIND}") == {Role.ADMIN_AGENT, Role.SALES_AGENT}
    for reseller in (PROSEWARE, WINGTIP):
        assert roles_of(f"admin@{reseller}") == {Role.GLOBAL_ADMIN}
        assert roles_of(f"sales@{reseller}") == {Role.SALES_AGENT}


def test_tailwind_partners_with_both_resellers(two_tier):
    partnerships = Partnership.objects.filter(provider=two_tier[TAILWIND])

    assert {(p.reseller.domain, p.status) for p in partnerships} == {
        (PROSEWARE, PartnershipStatus.ACTIVE),
        (WINGTIP, PartnershipStatus.ACTIVE),
    }
    for partnership in partnerships:
        assert partnership.requested_by.username == f"admin@{TAILWIND}"
        assert partnership.answered_by.username == f"admin@{partnership.reseller.domain}"


def test_the_shared_customers_are_on_every_customer_list(two_tier):
    tailwind = two_tier[TAILWIND]

    provider_rows = rows_of(TAILWIND)
    assert set(provider_rows.values_list("customer_name", flat=True)) == (
        THROUGH_PROSEWARE | THROUGH_WINGTIP
    )
    assert not provider_rows.filter(indirect_provider__isnull=False).exists()
    for domain, names in [(PROSEWARE, THROUGH_PROSEWARE), (WINGTIP, THROUGH_WINGTIP)]:
        rows = rows_of(domain)
        assert set(rows.values_list("customer_name", flat=True)) == names
        assert {row.indirect_provider_id for row in rows} == {tailwind.pk}
    for row in CustomerListRow.objects.filter(partner__in=two_tier.values()):
        customer = row.customer
        assert (customer.country_id, customer.cloud) == ("US", Cloud.PUBLIC)
        assert customer.has_current_agreement()
        assert ResellerRelationship.objects.active().between(row.partner, customer).exists()


def test_the_customers_accepted_the_resellers_two_tier_requests(two_tier):
    accepted = Invitation.objects.filter(
        indirect_provider=two_tier[TAILWIND], status=InvitationStatus.ACCEPTED
    )

    assert {(i.partner.domain, i.answered_tenant.name) for i in accepted} == {
        *((PROSEWARE, name) for name in THROUGH_PROSEWARE - {"First Up Consultants"}),
        *((WINGTIP, name) for name in THROUGH_WINGTIP),
    }
    for invitation in accepted:
        admin = invitation.answered_by
        assert admin.username == f"admin@{invitation.answered_tenant.domain}"
        assert roles_of(admin.username) == {Role.CUSTOMER_GLOBAL_ADMIN}


def test_tailwind_bought_a_subscription_on_prosewares_behalf(two_tier):
    subscription = Subscription.objects.get(partner=two_tier[TAILWIND])

    assert subscription.indirect_reseller == two_tier[PROSEWARE]
    assert subscription.customer.name in THROUGH_PROSEWARE
    assert list(Subscription.objects.sold_by(two_tier[PROSEWARE])) == [subscription]


def test_northwind_can_accept_wingtips_open_two_tier_request(two_tier):
    pending = Invitation.objects.get(partner=two_tier[WINGTIP], status=InvitationStatus.PENDING)
    northwind_admin = Membership.objects.get(
        user__username="admin@northwindtraders.onmicrosoft.com"
    ).user
    assert pending.indirect_provider == two_tier[TAILWIND] and pending.is_open

    acceptance = services.invitation_accept(
        invitation_id=pending.pk,
        user=northwind_admin,
        signer=services.Signer(first_name="Nancy", last_name="Davolio", email="n@example.com"),
        client_ip=None,
        portal_cloud=Cloud.PUBLIC,
    )

    assert acceptance.provider_added
    assert acceptance.reseller_relationship.indirect_provider == two_tier[TAILWIND]


def test_a_second_run_leaves_the_two_tier_demo_as_it_was(two_tier):
    def snapshot():
        return (
            sorted(Partnership.objects.values_list("provider", "reseller", "status")),
            sorted(rows_of(TAILWIND).values_list("customer", flat=True)),
            Subscription.objects.filter(indirect_reseller__isnull=False).count(),
            Invitation.objects.filter(indirect_provider__isnull=False).count(),
        )

    first = snapshot()
    call_command("seed_demo", force=True, stdout=StringIO())

    assert snapshot() == first


def test_it_prints_the_two_tier_accounts_and_the_open_request():
    out = StringIO()
    call_command("seed_demo", force=True, stdout=out)

    printed = out.getvalue()
    for login in [
        f"admin@{TAILWIND}",
        f"agent@{TAILWIND}",
        f"admin@{PROSEWARE}",
        f"sales@{PROSEWARE}",
        f"admin@{WINGTIP}",
        f"sales@{WINGTIP}",
        "admin@lakeshoreretail.onmicrosoft.com",
        "admin@firstupconsultants.onmicrosoft.com",
    ]:
        assert login in printed
    assert "Wingtip Computing's two-tier request (through Tailwind Distribution)" in printed
    assert "invType=IndirectResellerRelationship" in printed
