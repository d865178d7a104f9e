"""Bulk jobs on the task worker: started by an Admin agent (the job and its items in one
transaction), done by steps on the worker (tenancy.services.bulk_items: one transaction an item,
exactly one request per customer and template version), resumed after a crash, cancellable,
finished once.

Resuming: a step of the job first queues its successor to run a lease later (BULK_JOB_LEASE);
finishing normally it brings the successor forward to now. A worker killed mid-step never does:
the successor runs when the lease is up, on whichever worker, and goes on where it stopped.
"""

import logging
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import EmptyResultSet
from django.db import connection, transaction
from django.db.models import CharField, F, Value
from django.db.models.functions import Cast
from django.tasks import task
from django.utils import timezone
from django.utils.translation import gettext as _
from django_tasks_db import DatabaseBackend
from django_tasks_db.models import DBTaskResult

from tenancy.choices import AuditAction, BulkItemState, BulkJobKind, BulkJobStatus
from tenancy.effects.record import record
from tenancy.models import (
    BulkJob,
    BulkJobItem,
    TemplateVersion,
)
from tenancy.rules import Action
from tenancy.services.base import ServiceError, acting_member
from tenancy.services.bulk_items import run_items
from tenancy.services.bulk_selection import (
    UNKNOWN,
    UNREADABLE,
    Selection,
    read_paste,
    selected_rows,
    unknown_lines,
)

logger = logging.getLogger(__name__)

# How long a step works before it hands over to the next (a step is one task).
STEP_SECONDS = 10


def _lease() -> timedelta:
    return timedelta(seconds=settings.BULK_JOB_LEASE_SECONDS)


# --- Starting -------------------------------------------------------------------------------


def _insert_rows(select, columns: list[str]) -> int:
    """The rows `select` (a values_list in `columns`' order) written as items by one INSERT …
    SELECT, whatever their number (none, when the select can match nothing)."""
    try:
        sql, params = select.query.sql_with_params()
    except EmptyResultSet:  # e.g. an empty list of ids: no query to make
        return 0
    table = BulkJobItem._meta.db_table
    names = ", ".join(f'"{column}"' for column in columns)
    with connection.cursor() as cursor:
        cursor.execute(f'INSERT INTO "{table}" ({names}) {sql}', params)
        return cursor.rowcount


def _insert_items(job: BulkJob, rows) -> int:
    """One item per selected customer, numbered in the Customer list's order (by name): the
    job's results, listed by item, read as the list does (the insert follows the select's order;
    without one, PostgreSQL's came out in no order a person could follow)."""
    select = (
        rows.order_by("customer_name", "customer_id")
        .annotate(
            item_job=Value(job.pk),
            item_key=Cast("customer_id", CharField()),
            item_customer=F("customer_id"),
            item_line=Value(""),
            item_state=Value(BulkItemState.PENDING),
            item_reason=Value(""),
        )
        .values_list(
            "item_job", "item_key", "item_customer", "item_line", "item_state", "item_reason"
        )
    )
    sql, params = select.query.sql_with_params()
    table = BulkJobItem._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f'INSERT INTO "{table}" ("job_id", "key", "customer_id", "line", "state", "reason") '
            f"{sql}",
            params,
        )
        return cursor.rowcount


def bulk_request_start(
    *,
    membership,
    selection: Selection,
    version: TemplateVersion,
    send_email: bool = False,
    now=None,
) -> BulkJob:
    """A job that asks each selected customer for an admin relationship from `version`: the
    job and its items in one transaction, a fixed number of queries whatever their number; the
    worker does the rest."""
    partner = membership.tenant
    acting_member(membership.user, partner, Action.MANAGE_ADMIN_RELATIONSHIPS)
    if version.template.partner_id != partner.pk:
        raise ServiceError(_("Choose one of your organization's templates."), code="template")
    pasted = (
        None if selection.search is not None or selection.picked else read_paste(selection.pasted)
    )
    now = now or timezone.now()
    with transaction.atomic():
        job = BulkJob.objects.create(
            partner=partner,
            kind=BulkJobKind.REQUEST,
            template_version=version,
            selection=selection.to_json(),
            send_email=send_email,
            created_at=now,
            created_by=membership.user,
            progressed_at=now,
        )
        total = _insert_items(job, selected_rows(partner, selection, pasted=pasted))
        if pasted is not None:
            # Lines that name nobody are results too: skipped, each with its reason.
            lines = [(n, line, UNREADABLE) for n, line in pasted.unreadable]
            lines += [(n, value, UNKNOWN) for n, value in unknown_lines(partner, pasted)]
            BulkJobItem.objects.bulk_create(
                BulkJobItem(
                    job=job,
                    key=f"line:{n}",
                    line=line,
                    state=BulkItemState.SKIPPED,
                    reason=reason,
                    processed_at=now,
                )
                for n, line, reason in lines
            )
            total += len(lines)
            job.skipped = len(lines)
        if not total:
            raise ServiceError(_("Select at least one customer."), code="empty")
        job.total = total
        job.save(update_fields=["total", "skipped"])
        record(
            AuditAction.BULK_JOB_STARTED,
            actor=membership.user,
            actor_tenant=partner,
            partner=partner,
            details={
                "job": str(job.pk),
                "kind": job.kind,
                "template": str(version.template_id),
                "version": version.number,
                "total": total,
            },
            subject=job,
            at=now,
        )
        transaction.on_commit(lambda: _queue_step(job.pk))
    return job


def bulk_relationships_start(
    *, membership, kind: str, relationships, selection: dict, now=None
) -> BulkJob:
    """A job that takes one step on each of `relationships` (a queryset of the partner's: those
    picked, or all a search matches): send a waiting request again, withdraw it, turn
    auto-extend on or off, remove Global Administrator, upgrade to the template's latest version
    (tenancy.services.bulk_items.RELATIONSHIP_WORK). The items in one INSERT … SELECT, whatever
    their number."""
    partner = membership.tenant
    acting_member(membership.user, partner, Action.MANAGE_ADMIN_RELATIONSHIPS)
    if kind == BulkJobKind.REQUEST:
        raise ValueError(kind)
    now = now or timezone.now()
    with transaction.atomic():
        job = BulkJob.objects.create(
            partner=partner,
            kind=kind,
            selection=selection,
            created_at=now,
            created_by=membership.user,
            progressed_at=now,
        )
        rows = relationships.filter(partner=partner).annotate(
            item_job=Value(job.pk),
            item_key=Cast("pk", CharField()),
            item_customer=F("customer_id"),
            item_relationship=F("pk"),
            item_line=Value(""),
            item_state=Value(BulkItemState.PENDING),
            item_reason=Value(""),
        )
        total = _insert_rows(
            rows.values_list(
                "item_job",
                "item_key",
                "item_customer",
                "item_relationship",
                "item_line",
                "item_state",
                "item_reason",
            ),
            ["job_id", "key", "customer_id", "relationship_id", "line", "state", "reason"],
        )
        if not total:
            raise ServiceError(
                _("Select at least one request.")
                if kind in (BulkJobKind.REMIND, BulkJobKind.WITHDRAW)
                else _("Select at least one admin relationship."),
                code="empty",
            )
        job.total = total
        job.save(update_fields=["total"])
        record(
            AuditAction.BULK_JOB_STARTED,
            actor=membership.user,
            actor_tenant=partner,
            partner=partner,
            details={"job": str(job.pk), "kind": kind, "total": total},
            subject=job,
            at=now,
        )
        transaction.on_commit(lambda: _queue_step(job.pk))
    return job


def bulk_job_cancel(*, membership, job: BulkJob) -> BulkJob:
    """Stop a running job: the items not done yet stay waiting, and are never done."""
    acting_member(membership.user, job.partner, Action.MANAGE_ADMIN_RELATIONSHIPS)
    now = timezone.now()
    with transaction.atomic():
        cancelled = BulkJob.objects.filter(pk=job.pk, status=BulkJobStatus.RUNNING).update(
            status=BulkJobStatus.CANCELLED, cancelled_at=now, cancelled_by=membership.user
        )
        if not cancelled:
            raise ServiceError(_("This job has already ended."), code="ended")
        job.refresh_from_db()
        record(
            AuditAction.BULK_JOB_CANCELLED,
            actor=membership.user,
            actor_tenant=job.partner,
            partner=job.partner,
            details={"job": str(job.pk), "kind": job.kind, "done": job.done},
            subject=job,
        )
    return job


# --- Running ---------------------------------------------------------------------------------


def _queue_step(job_id, *, run_after=None):
    """Queue a step of the job (on the database backend, to run no sooner than `run_after`)."""
    step = bulk_job_step
    if run_after is not None:
        step = step.using(run_after=run_after)
    return step.enqueue(job_id=str(job_id))


@task
def bulk_job_step(*, job_id: str) -> dict:
    """Work on the job for a while (or, on a backend that runs tasks at once, to its end)."""
    job = BulkJob.objects.filter(pk=job_id).select_related("template_version__template").first()
    if job is None or not job.is_running:
        return {"processed": 0, "running": False}
    resumable = isinstance(bulk_job_step.get_backend(), DatabaseBackend)
    successor = _queue_step(job.pk, run_after=timezone.now() + _lease()) if resumable else None
    stepped = run_items(job, seconds=STEP_SECONDS if resumable else None)
    if successor is not None and not stepped.finished and not stepped.others_working:
        # This step ended normally: the next one needn't wait for the lease.
        DBTaskResult.objects.filter(pk=successor.id).update(run_after=timezone.now())
    return {"processed": stepped.processed, "running": not stepped.finished}
