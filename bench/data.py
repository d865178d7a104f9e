"""The benchmark's data: partners with many customers, requests, audit events, sessions, an app
(its API key) of the large partner, and a finished bulk request job of the large partner.

Admin relationships: a third of each partner's customers (not the ended ones) have an active one
(build_partner), about 31,700 at 100,000 customers, which the Admin relationships page lists;
the bulk job adds its requests, waiting for approval.

Called with Django set up against the throwaway benchmark database (never another one).
"""

import uuid
from dataclasses import dataclass, field
from datetime import timedelta
from importlib import import_module

from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.utils import timezone
from django.utils.module_loading import import_string

WORDS = ["Coffee", "Winery", "Airlines", "Traders", "Research", "Toys", "Bank", "Labs"]
BATCH = 5000
REQUESTS = 36
AUDIT_EVENTS = 300
# The finished bulk job's customers: a tenth of the large partner's, at most this many.
BULK_JOB_CUSTOMERS = 1_000


@dataclass
class BenchPartner:
    partner: object
    agent: object
    customers: int
    session: str = ""
    sample_customer: object = None


@dataclass
class BenchData:
    partners: dict[str, BenchPartner] = field(default_factory=dict)
    invitation_id: str = ""
    customer_admin_session: str = ""
    api_key: str = ""  # the large partner's app "Bench" (Sales agent), for the API's pages
    bulk_job_id: str = ""  # the large partner's finished bulk request job, for its page
    warnings: list[str] = field(default_factory=list)


def build_partner(name: str, customers: int, tag: str) -> BenchPartner:
    """A partner with `customers` customers (a third with admin roles, one in twenty ended) and
    a Sales + Admin agent, by bulk inserts."""
    from tenancy.models import (
        DEFAULT_ROLES,
        AdminRelationship,
        AdminRelationshipStatus,
        FormedBy,
        ResellerRelationship,
        Role,
        Tenant,
        TenantKind,
    )
    from tests.factories import PartnerFactory, member

    partner = PartnerFactory(name=name, domain=f"bench{tag}partners.onmicrosoft.com")
    agent = member(
        partner,
        Role.SALES_AGENT,
        Role.ADMIN_AGENT,
        username=f"agent@bench{tag}partners.onmicrosoft.com",
    )
    now = timezone.now()
    sample = None
    for start in range(0, customers, BATCH):
        tenants = Tenant.objects.bulk_create(
            Tenant(
                kind=TenantKind.CUSTOMER,
                name=f"{WORDS[i % len(WORDS)]} {i:06d}",
                domain=f"{tag}{i:06d}{uuid.uuid4().hex[:6]}.onmicrosoft.com",
                country_id="US",
                address_line1="1 Main St",
                city="Seattle",
            )
            for i in range(start, min(start + BATCH, customers))
        )
        ResellerRelationship.objects.bulk_create(
            ResellerRelationship(
                partner=partner,
                customer=tenant,
                formed_by=FormedBy.INVITATION,
                created_at=now - timedelta(minutes=i),
                ended_at=now if i % 20 == 0 else None,
            )
            for i, tenant in enumerate(tenants, start)
        )
        AdminRelationship.objects.bulk_create(
            AdminRelationship(
                partner=partner,
                customer=tenant,
                name=f"Bench {i:06d}",
                roles=list(DEFAULT_ROLES),
                duration_days=730,
                status=AdminRelationshipStatus.ACTIVE,
                approved_at=now - timedelta(days=1),
                ends_at=now + timedelta(days=729),
            )
            for i, tenant in enumerate(tenants, start)
            if i % 3 == 0 and i % 20
        )
        if sample is None and len(tenants) > 3:
            sample = tenants[3]  # active, with admin roles
    return BenchPartner(partner=partner, agent=agent, customers=customers, sample_customer=sample)


def add_requests_and_events(bench: BenchPartner, warnings: list[str]) -> None:
    """A few dozen relationship requests in every state and a few hundred audit events."""
    from tenancy.models import AuditAction, AuditEvent, InvitationStatus, ResellerRelationship
    from tests.factories import InvitationFactory

    partner, agent = bench.partner, bench.agent
    now = timezone.now()
    for k in range(REQUESTS):
        state = k % 4
        fields = {"label": f"Prospect {k}", "created_at": now - timedelta(days=k % 80, hours=k)}
        if state == 1:
            fields["opened_at"] = now - timedelta(hours=k)
        elif state == 2:
            fields |= {
                "status": InvitationStatus.REVOKED,
                "revoked_at": now - timedelta(hours=k),
                "revoked_by": agent,
            }
        elif state == 3:
            fields |= {
                "created_at": now - timedelta(days=120 + k),
                "expires_at": now - timedelta(days=30 + k),
            }
        InvitationFactory(partner=partner, created_by=agent, **fields)

    customers = list(
        ResellerRelationship.objects.filter(partner=partner)
        .order_by("created_at")
        .values_list("customer_id", flat=True)[:AUDIT_EVENTS]
    )
    actions = [
        AuditAction.INVITATION_CREATED,
        AuditAction.RESELLER_STARTED,
        AuditAction.ADMIN_GRANTED,
        AuditAction.SUBSCRIPTION_PURCHASED,
        AuditAction.SUBSCRIPTION_CHANGED,
    ]
    AuditEvent.objects.bulk_create(
        AuditEvent(
            at=now - timedelta(hours=2 * k),
            actor=agent,
            actor_label=agent.get_username(),
            actor_tenant=partner,
            action=actions[k % len(actions)],
            partner=partner,
            customer_id=customers[k % len(customers)] if customers else None,
        )
        for k in range(AUDIT_EVENTS)
    )

    # The customer page of one customer: a couple of subscriptions and an agreement.
    try:
        from tests.factories import AgreementAcceptanceFactory, SubscriptionFactory

        customer = bench.sample_customer
        if customer is not None:
            AgreementAcceptanceFactory(customer=customer)
            SubscriptionFactory(partner=partner, customer=customer, created_by=agent)
            SubscriptionFactory(partner=partner, customer=customer, created_by=agent, quantity=25)
    except Exception as error:  # the page is still measured without them
        warnings.append(f"customer page extras not built: {error!r}")


def add_request_customer(bench: BenchPartner) -> tuple[object, object]:
    """A customer (no relationship yet) whose Global administrator opened a pending request."""
    from tenancy.models import Role
    from tests.factories import CustomerFactory, InvitationFactory, member

    customer = CustomerFactory(
        name="Northwind Benchmark Traders", domain="northwindbench.onmicrosoft.com", country_id="US"
    )
    admin = member(
        customer, Role.CUSTOMER_GLOBAL_ADMIN, username="admin@northwindbench.onmicrosoft.com"
    )
    invitation = InvitationFactory(
        partner=bench.partner,
        created_by=bench.agent,
        label="Northwind Benchmark Traders",
        opened_at=timezone.now(),
    )
    return admin, invitation


def register_app(bench: BenchPartner) -> str:
    """The partner's app "Bench" (Sales agent), registered as on the Apps page by a Global admin of
    the partner (one is added when it has none): its key."""
    from tenancy.models import Membership, Role
    from tenancy.services import app_register
    from tests.factories import member

    admin = Membership.objects.filter(
        tenant=bench.partner, role_rows__role=Role.GLOBAL_ADMIN
    ).first()
    if admin:
        user = admin.user
    else:
        user = member(bench.partner, Role.GLOBAL_ADMIN, username=f"admin@{bench.partner.domain}")
    registered = app_register(
        membership=Membership.objects.of_user(user), name="Bench", roles=[Role.SALES_AGENT]
    )
    return registered.key


def add_bulk_job(bench: BenchPartner, log=print) -> str:
    """A finished bulk request job of the partner, done as the worker does it (run_items, in this
    process, emails off): a template of its own, then a pasted list of a tenth of its customers'
    domains, BULK_JOB_CUSTOMERS at most (spread over the list: some with admin roles already, one
    in twenty ended), two domains of nobody's and a line that names nothing.
    Needs the Customer list's rows (the selection reads them). The job's id."""
    import time

    from django.tasks import TaskResultStatus
    from django_tasks_db.models import DBTaskResult

    from tenancy import services
    from tenancy.entra_roles import DEFAULT_DAYS, DEFAULT_ROLES
    from tenancy.models import BulkJob, Membership, ResellerRelationship
    from tenancy.services.bulk_items import run_items

    started = time.perf_counter()
    template = services.template_create(
        partner=bench.partner,
        created_by=bench.agent,
        content=services.TemplateContent(
            name="Bench admin relationships", roles=list(DEFAULT_ROLES), duration_days=DEFAULT_DAYS
        ),
    )
    domains = list(
        ResellerRelationship.objects.filter(partner=bench.partner)
        .order_by("customer__name")
        .values_list("customer__domain", flat=True)
    )
    size = min(BULK_JOB_CUSTOMERS, max(10, len(domains) // 10))
    step = max(1, len(domains) // size)
    lines = domains[1::step][:size]
    lines += ["nobody-bench-1.onmicrosoft.com", "nobody-bench-2.onmicrosoft.com", "not a domain"]
    job = services.bulk_request_start(
        membership=Membership.objects.of_user(bench.agent),
        selection=services.Selection(pasted="\n".join(lines)),
        version=template.latest,
        send_email=False,
    )
    # This process does the job: its queued step never runs (make bench's bulk requests start
    # a worker on this database later).
    DBTaskResult.objects.filter(
        status=TaskResultStatus.READY,
        task_path__endswith=".bulk_job_step",
        args_kwargs__kwargs__job_id=str(job.pk),
    ).delete()
    job = BulkJob.objects.select_related("template_version__template").get(pk=job.pk)
    run_items(job, seconds=None, threads=1)
    job.refresh_from_db()
    log(
        f"  bulk request job: {job.total:,} items ({job.succeeded:,} requests, {job.skipped:,} "
        f"skipped, {job.failed:,} failed), {job.status}, in {time.perf_counter() - started:.1f} s"
    )
    return str(job.pk)


def session_for(user, **values) -> str:
    """A signed-in session for `user` (as django.contrib.auth.login stores it): its key."""
    store = import_module(settings.SESSION_ENGINE).SessionStore()
    store[SESSION_KEY] = str(user.pk)
    # The backend that signs users in (the sign-in guard comes first but only counts and
    # refuses; it loads no user).
    store[BACKEND_SESSION_KEY] = next(
        path
        for path in settings.AUTHENTICATION_BACKENDS
        if hasattr(import_string(path), "get_user")
    )
    store[HASH_SESSION_KEY] = user.get_session_auth_hash()
    for key, value in values.items():
        store[key] = value
    store.create()
    return store.session_key


def build(small: int, large: int, log=print) -> BenchData:
    import time

    from django.core.management import call_command, get_commands
    from django.db import connection

    data = BenchData()
    for tag, name, customers in (
        ("small", "Benchmark Partners Small", small),
        ("large", "Benchmark Partners Large", large),
    ):
        started = time.perf_counter()
        data.partners[tag] = build_partner(name, customers, tag)
        log(f"  {name}: {customers:,} customers in {time.perf_counter() - started:.1f} s")

    large_partner = data.partners["large"]
    started = time.perf_counter()
    add_requests_and_events(large_partner, data.warnings)
    admin, invitation = add_request_customer(large_partner)
    try:
        data.api_key = register_app(large_partner)
    except Exception as error:  # the API's pages say so; the others are still measured
        data.warnings.append(f"no app for the API's pages: {error!r}")
    log(f"  requests, audit events, request customer, app in {time.perf_counter() - started:.1f} s")

    started = time.perf_counter()
    with connection.cursor() as cursor:
        # Statistics for the bulk-loaded tables before anything reads them at this size.
        cursor.execute("ANALYZE")
    if "rebuild_customer_list" in get_commands():
        # The project's Customer list read model, filled from the relationship tables.
        call_command("rebuild_customer_list", verbosity=0)
        log(f"  manage.py rebuild_customer_list in {time.perf_counter() - started:.1f} s")
    try:
        data.bulk_job_id = add_bulk_job(large_partner, log=log)
    except Exception as error:  # its page says so; the others are still measured
        data.warnings.append(f"no bulk request job: {error!r}")

    started = time.perf_counter()
    with connection.cursor() as cursor:
        # What autovacuum does after a bulk load: statistics and the visibility map.
        cursor.execute("VACUUM ANALYZE")
    log(f"  VACUUM ANALYZE in {time.perf_counter() - started:.1f} s")

    for bench in data.partners.values():
        bench.session = session_for(bench.agent)
    try:
        opened = import_module("admin_center.views").OPENED_REQUESTS
    except (ImportError, AttributeError):
        opened = "admin_center.opened_requests"
    data.customer_admin_session = session_for(admin, **{opened: [str(invitation.pk)]})
    data.invitation_id = str(invitation.pk)
    return data
