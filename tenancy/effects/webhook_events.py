"""Webhook events: what a partner's organization raised, as Partner Center shapes it, and one
delivery to each of its subscriptions that wants it.

An event is raised inside the transaction of the change it announces (the record table calls
these): the event and its deliveries commit with the change, or not at all. Each delivery is then
sent by a task (tenancy.effects.webhook_delivery) that retries with backoff for a day.

Never lost: with the database task backend (production), the task is queued in that same
transaction, so the change, its deliveries and their tasks commit together; the worker can't see
the task before the commit. With another backend (the test settings run a task at once), it is
queued as the transaction commits: a process that dies between the commit and the queueing
leaves the delivery Pending in the delivery log, where Redeliver sends it.

Each event's ResourceUri and AuditUri are Partner Center API GETs the partner's app can read
(tests/api/test_webhooks_api.py follows every event kind's): the resource, and the partner's
audit records on the day of the change.
"""

from datetime import UTC, datetime
from urllib.parse import urlencode, urljoin

from django.conf import settings
from django.db import transaction
from django_tasks_db import DatabaseBackend

from tenancy.choices import WebhookEventName
from tenancy.effects.webhook_delivery import webhook_deliver
from tenancy.models import (
    AccessAssignment,
    AdminRelationship,
    Tenant,
    WebhookDelivery,
    WebhookEvent,
    WebhookSubscription,
)
from tenancy.tasks import enqueue_on_commit


def queue_delivery(delivery: WebhookDelivery) -> None:
    arguments = {"delivery_id": str(delivery.pk), "series": delivery.series}
    if (
        isinstance(webhook_deliver.get_backend(), DatabaseBackend)
        and transaction.get_connection().in_atomic_block
    ):
        # The task is a row of this database: written in the caller's transaction, it commits
        # (and becomes visible to the worker) with the delivery, or rolls back with it.
        webhook_deliver.enqueue(**arguments)
    else:
        enqueue_on_commit(webhook_deliver, **arguments)


def _utc(at) -> str:
    """'2026-06-01T09:30:00.123Z', as Partner Center writes ResourceChangeUtcDate."""
    return at.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def event_payload(event: WebhookEvent, *, resource_uri, resource_name, audit_uri) -> dict:
    return {
        "EventName": event.name,
        "ResourceUri": resource_uri,
        "ResourceName": resource_name,
        "AuditUri": audit_uri,
        "ResourceChangeUtcDate": _utc(event.created_at),
        "EventId": str(event.id),
    }


def deliver(event: WebhookEvent, subscription: WebhookSubscription) -> WebhookDelivery:
    """One delivery of `event` to `subscription`, queued."""
    delivery = WebhookDelivery.objects.create(
        partner=event.partner,
        event=event,
        subscription=subscription,
        next_attempt_at=event.created_at,
    )
    queue_delivery(delivery)
    return delivery


def webhook_emit(
    *,
    partner: Tenant,
    name: str,
    resource_uri: str,
    resource_name: str,
    audit_uri: str | None = None,
    audited_at: datetime | None = None,
) -> WebhookEvent | None:
    """Raise `name` for `partner`: the event and a delivery to each active subscription that
    wants it, sent once the caller's transaction commits. None when no subscription wants it.
    `audited_at`: when the change's audit line was written (its day is the AuditUri's)."""
    name = WebhookEventName(name)
    wanting = [
        subscription
        for subscription in WebhookSubscription.objects.filter(partner=partner, is_active=True)
        if subscription.wants(name)
    ]
    if not wanting:
        return None
    with transaction.atomic():
        event = WebhookEvent(partner=partner, name=name)
        event.payload = event_payload(
            event,
            resource_uri=resource_uri,
            resource_name=resource_name,
            audit_uri=(
                audit_uri
                if audit_uri is not None
                else audit_records_uri(audited_at or event.created_at)
            ),
        )
        event.save()
        for subscription in wanting:
            deliver(event, subscription)
    return event


def api_uri(path: str) -> str:
    """The Partner Center API's address of a resource (`/v1/<path>` on Partner Center's host)."""
    return urljoin(settings.PARTNER_CENTER_URL, f"/v1/{path}")


def audit_records_uri(at: datetime) -> str:
    """The partner's audit records (`GET /v1/auditrecords`) on the UTC day of `at`, the time of
    the change's audit line: where that line is."""
    day = at.astimezone(UTC).date().isoformat()
    return api_uri("auditrecords?" + urlencode({"startDate": day, "endDate": day}))


# --- The events the record table raises --------------------------------------------------------


def customer_event(
    partner: Tenant, customer: Tenant, name: str, *, audited_at: datetime | None = None
) -> None:
    """A customer accepted a partner's request (its own, or, for an indirect provider, its
    reseller's): the resource is the customer."""
    webhook_emit(
        partner=partner,
        name=name,
        resource_uri=api_uri(f"customers/{customer.id}"),
        resource_name="customer",
        audited_at=audited_at,
    )


def relationship_request_event(
    partner: Tenant, request_id, name: str, *, audited_at: datetime | None = None
) -> None:
    """A customer declined a reseller relationship request: the resource is the request."""
    webhook_emit(
        partner=partner,
        name=name,
        resource_uri=api_uri(f"relationshiprequests/{request_id}"),
        resource_name="relationshipRequest",
        audited_at=audited_at,
    )


def admin_relationship_event(
    relationship: AdminRelationship, name: str, *, audited_at: datetime | None = None
) -> None:
    webhook_emit(
        partner=relationship.partner,
        name=name,
        resource_uri=api_uri(f"tenantRelationships/delegatedAdminRelationships/{relationship.id}"),
        resource_name="delegatedAdminRelationship",
        audited_at=audited_at,
    )


def access_assignment_event(
    assignment: AccessAssignment, name: str, *, audited_at: datetime | None = None
) -> None:
    relationship = assignment.relationship
    webhook_emit(
        partner=relationship.partner,
        name=name,
        resource_uri=api_uri(
            f"tenantRelationships/delegatedAdminRelationships/{relationship.id}"
            f"/accessAssignments/{assignment.id}"
        ),
        resource_name="delegatedAdminAccessAssignment",
        audited_at=audited_at,
    )


def bulk_job_event(job, name: str, *, audited_at: datetime | None = None) -> None:
    """A bulk job finished: the resource is the job (its progress and results)."""
    webhook_emit(
        partner=job.partner,
        name=name,
        resource_uri=api_uri(f"bulkJobs/{job.id}"),
        resource_name="bulkJob",
        audited_at=audited_at,
    )
