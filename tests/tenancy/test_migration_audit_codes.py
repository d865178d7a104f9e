"""Migration 0017: audit lines that kept English sentences keep codes and facts instead (the
sentence among the facts: nothing is lost), and tasks waiting in the queue follow their modules
(nothing is lost either)."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from tenancy.audit_text import audit_detail
from tenancy.models import AuditEvent
from tenancy.reference_data import load_markets

pytestmark = pytest.mark.django_db(transaction=True)

BEFORE = [
    ("tenancy", "0016_languages"),
    ("django_tasks_database", "0021_conditional_partial_index_ordering"),
]
AFTER = [("tenancy", "0017_audit_codes_and_task_paths")]
SAID = (
    "Contoso is a partner in the United States, and Maple Leaf is in Canada. Resellers may only "
    "serve customers in their own market."
)


def migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


@pytest.fixture
def before_0017():
    apps = migrate(BEFORE)
    load_markets(apps.get_model("tenancy", "Market"), apps.get_model("tenancy", "Country"))
    yield apps
    executor = MigrationExecutor(connection)
    migrate(executor.loader.graph.leaf_nodes())


def test_refusals_and_app_roles_keep_codes_and_lose_nothing(before_0017):
    apps = before_0017
    Tenant = apps.get_model("tenancy", "Tenant")
    Event = apps.get_model("tenancy", "AuditEvent")
    partner = Tenant.objects.create(
        kind="partner",
        name="Contoso",
        domain="contoso-a.onmicrosoft.com",
        country_id="US",
        mpn_id=4999998,
        csp_role="direct",
    )
    customer = Tenant.objects.create(
        kind="customer", name="Maple Leaf", domain="mapleleaf-a.onmicrosoft.com", country_id="CA"
    )
    refused = Event.objects.create(
        at=timezone.now(),
        action="invitation.refused",
        partner=partner,
        customer=customer,
        details={"reason": "market", "message": SAID},
    )
    registered = Event.objects.create(
        at=timezone.now(),
        action="app.registered",
        partner=partner,
        details={"app": "Automation", "roles": ["Admin agent", "Sales agent"]},
    )

    migrate(AFTER)

    refused = AuditEvent.objects.get(pk=refused.pk)
    assert refused.details == {
        "reason": "market",
        "params": {"said": SAID, "partner": "Contoso", "customer": "Maple Leaf"},
    }
    assert audit_detail(refused) == "the customer is outside the partner's market"
    registered = AuditEvent.objects.get(pk=registered.pk)
    assert registered.details["roles"] == ["partner.admin_agent", "partner.sales_agent"]
    assert audit_detail(registered) == "Admin agent, Sales agent"


def test_queued_tasks_are_given_their_new_paths(before_0017):
    apps = before_0017
    Task = apps.get_model("django_tasks_database", "DBTaskResult")
    common = {
        "status": "READY",
        "enqueued_at": timezone.now(),
        "queue_name": "default",
        "backend_name": "default",
        "priority": 0,
        "run_after": timezone.now(),
    }
    email = Task.objects.create(
        task_path="tenancy.notifications.send_request_email",
        args_kwargs={
            "args": [],
            "kwargs": {"model": "tenancy.adminrelationship", "pk": "x", "to": [], "reply_to": []},
        },
        **common,
    )
    delivery = Task.objects.create(
        task_path="tenancy.webhooks.webhook_deliver",
        args_kwargs={"args": [], "kwargs": {"delivery_id": "1", "series": 1}},
        **common,
    )

    migrate(AFTER)

    email.refresh_from_db()
    assert email.task_path == "tenancy.effects.email.send_request_email"
    assert email.args_kwargs["kwargs"] == {"kind": "admin", "pk": "x", "to": [], "reply_to": []}
    delivery.refresh_from_db()
    assert delivery.task_path == "tenancy.effects.webhook_delivery.webhook_deliver"
    assert delivery.args_kwargs["kwargs"] == {"delivery_id": "1", "series": 1}
