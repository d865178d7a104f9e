"""Bulk jobs on the task worker: started by an Admin agent, one item at a time, each in its own
transaction; resumed after a crash, cancellable, finished once.

Exactly one request per customer and template version, whatever happens: an item is claimed
under its row lock (two workers on one job take different items), the customer's row is locked
before `skip_reason` is read again (two jobs for one version wait on each other, and the second
finds the first's request), and the item's state changes in the transaction that makes the
request (a worker killed mid-item leaves it pending, with nothing made).

Resuming: a step of the job first queues its successor to run a lease later (BULK_JOB_LEASE);
finishing normally it brings the successor forward to now. A worker killed mid-step never does:
the successor runs when the lease is up, on whichever worker, and goes on where it stopped.
"""

import logging
import time
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import EmptyResultSet
from django.db import IntegrityError, connection, transaction
from django.db.models import CharField, F, Value
from django.db.models.functions import Cast
from django.tasks import task
from django.utils import timezone
from django.utils.translation import gettext as _
from django_tasks_db import DatabaseBackend
from django_tasks_db.models import DBTaskResult

from tenancy import selectors
from tenancy.choices import AuditAction, BulkItemState, BulkJobKind, BulkJobStatus
from tenancy.effects.record import record
from tenancy.entra_roles import NAME_MAX_LENGTH
from tenancy.models import (
    BulkJob,
    BulkJobItem,
    CustomerListRow,
    TemplateVersion,
    Tenant,
)
from tenancy.rules import Action
from tenancy.services.admin_relationship_base import locked
from tenancy.services.admin_relationships import (
    AdminRequest,
    admin_relationship_withdraw_decision,
    make_admin_request,
    withdraw,
)
from tenancy.services.base import ServiceError, acting_member
from tenancy.services.bulk_selection import (
    UNKNOWN,
    UNREADABLE,
    Selection,
    read_paste,
    selected_rows,
    skip_reason,
    unknown_lines,
)
from tenancy.services.chasing import admin_request_remind_decision, remind
from tenancy.services.templates import request_name_for

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
    """One item per selected customer."""
    select = rows.annotate(
        item_job=Value(job.pk),
        item_key=Cast("customer_id", CharField()),
        item_customer=F("customer_id"),
        item_line=Value(""),
        item_state=Value(BulkItemState.PENDING),
        item_reason=Value(""),
    ).values_list("item_job", "item_key", "item_customer", "item_line", "item_state", "item_reason")
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
    """A job that sends each of `relationships` (a queryset of the partner's requests: those
    picked, or all a search of Pending approvals matches) to its customer again, or withdraws
    it. The items in one INSERT … SELECT, whatever their number."""
    partner = membership.tenant
    acting_member(membership.user, partner, Action.MANAGE_ADMIN_RELATIONSHIPS)
    if kind not in (BulkJobKind.REMIND, BulkJobKind.WITHDRAW):
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
            raise ServiceError(_("Select at least one request."), code="empty")
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


@dataclass
class Stepped:
    processed: int = 0
    finished: bool = False
    # What is left is being done by another step (its items are locked): this one steps aside.
    others_working: bool = False


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


def run_items(job: BulkJob, *, seconds: float | None = None, now=None) -> Stepped:
    """Do the job's pending items, one transaction each, for `seconds` (None: to the end).
    `now`: when (the demo data's history; the worker's steps run now)."""
    started = time.monotonic()
    stepped = Stepped()
    while seconds is None or time.monotonic() - started < seconds:
        outcome = _next_item(job, now)
        if outcome is None:
            if BulkJobItem.objects.filter(job=job, state=BulkItemState.PENDING).exists():
                # Claimed by another step that is still at them: it finishes the job, or, if
                # its worker dies, this step's successor does when the lease is up.
                stepped.others_working = True
                return stepped
            stepped.finished = _finish(job, now)
            return stepped
        if outcome == "stopped":
            stepped.finished = True
            return stepped
        stepped.processed += 1
    return stepped


def _next_item(job: BulkJob, at=None) -> str | None:
    """Claim and do one pending item: its state; None when none is left, "stopped" when the
    job no longer runs."""
    with transaction.atomic():
        item = (
            BulkJobItem.objects.select_for_update(skip_locked=True)
            .filter(job=job, state=BulkItemState.PENDING)
            .order_by("id")
            .first()
        )
        if item is None:
            return None
        now = at or timezone.now()
        state, reason = _do(job, item, now)
        counter = {
            BulkItemState.DONE: "succeeded",
            BulkItemState.SKIPPED: "skipped",
            BulkItemState.FAILED: "failed",
        }[state]
        # The job's row, counted in the item's transaction: a cancelled job takes no more.
        counted = BulkJob.objects.filter(pk=job.pk, status=BulkJobStatus.RUNNING).update(
            **{counter: F(counter) + 1}, progressed_at=now
        )
        if not counted:
            transaction.set_rollback(True)
            return "stopped"
        BulkJobItem.objects.filter(pk=item.pk).update(
            state=state, reason=reason, relationship=item.relationship, processed_at=now
        )
    return state


def _do(job: BulkJob, item: BulkJobItem, now) -> tuple[str, str]:
    """(state, reason) of one item, its request made when it gets one."""
    work = {
        BulkJobKind.REQUEST: _request,
        BulkJobKind.REMIND: _remind,
        BulkJobKind.WITHDRAW: _withdraw,
    }[job.kind]
    try:
        with transaction.atomic():
            return work(job, item, now)
    except ServiceError as refusal:
        return BulkItemState.FAILED, refusal.code or "refused"
    except Exception:  # one customer's surprise must not stop the others: it's the item's
        logger.exception("Bulk job %s: item %s failed", job.pk, item.pk)
        return BulkItemState.FAILED, "error"


def _request(job: BulkJob, item: BulkJobItem, now) -> tuple[str, str]:
    version = job.template_version
    partner = job.partner
    # The customer's row lock: two jobs for one version, or a customer's own approval, take
    # their turns; the second reads what the first made.
    customer = Tenant.objects.select_for_update().select_related("country").get(pk=item.customer_id)
    row = (
        skip_reason(
            CustomerListRow.objects.filter(partner=partner, customer=customer), version, now
        )
        .values_list("skip", flat=True)
        .first()
    )
    if row is None:
        return BulkItemState.SKIPPED, "not_customer"
    if row:
        return BulkItemState.SKIPPED, row
    addresses = selectors.global_administrator_emails(customer) if job.send_email else []
    if job.send_email and not addresses:
        # Asked to email each request: one nobody would receive is not made (the partner makes
        # it from the customer's page and shares its link another way).
        return BulkItemState.FAILED, "no_address"
    relationship = None
    for name in (
        request_name_for(version.template, customer),
        _unique_name(version, customer, item),
    ):
        try:
            with transaction.atomic():  # a name already taken rolls back this attempt only
                relationship = make_admin_request(
                    partner=partner,
                    created_by=job.created_by,
                    request=AdminRequest(
                        name=name,
                        duration_days=version.duration_days,
                        roles=version.roles,
                        auto_extend=version.auto_extend,
                    ),
                    customer=customer,
                    finalize=True,
                    language=None,
                    template_version=version,
                    now=now,
                )
            break
        except IntegrityError:
            continue
    if relationship is None:
        return BulkItemState.FAILED, "name"
    if job.send_email:
        for address in addresses:
            record(
                AuditAction.ADMIN_SENT,
                actor=job.created_by,
                actor_tenant=partner,
                partner=partner,
                customer=customer,
                details={
                    "relationship": str(relationship.pk),
                    "name": relationship.name,
                    "to": address,
                },
                subject=relationship,
                at=now,
            )
    item.relationship = relationship
    return BulkItemState.DONE, ""


def _remind(job: BulkJob, item: BulkJobItem, now) -> tuple[str, str]:
    relationship = locked(item.relationship_id)
    decision = admin_request_remind_decision(relationship, now)
    if not decision:
        return BulkItemState.SKIPPED, decision.code
    remind(relationship, by=job.created_by, now=now)
    return BulkItemState.DONE, ""


def _withdraw(job: BulkJob, item: BulkJobItem, now) -> tuple[str, str]:
    relationship = locked(item.relationship_id)
    decision = admin_relationship_withdraw_decision(relationship)
    if not decision:
        return BulkItemState.SKIPPED, decision.code
    withdraw(relationship, by=job.created_by, now=now)
    return BulkItemState.DONE, ""


def _unique_name(version: TemplateVersion, customer: Tenant, item: BulkJobItem) -> str:
    """ "Contoso - Helpdesk tier 1a2b3c": when the plain name is taken (by an earlier version's
    request, say), made unique by the item's id; at most NAME_MAX_LENGTH characters."""
    suffix = f" {item.pk:06x}"[-7:]
    plain = request_name_for(version.template, customer)
    return plain[: NAME_MAX_LENGTH - len(suffix)].rstrip() + suffix


def _finish(job: BulkJob, at=None) -> bool:
    """Mark the job done once (the one that does records it); True when it has ended."""
    now = at or timezone.now()
    with transaction.atomic():
        finished = BulkJob.objects.filter(pk=job.pk, status=BulkJobStatus.RUNNING).update(
            status=BulkJobStatus.DONE, finished_at=now
        )
        if finished:
            job.refresh_from_db()
            record(
                AuditAction.BULK_JOB_FINISHED,
                actor=job.created_by,
                actor_tenant=job.partner,
                partner=job.partner,
                details={
                    "job": str(job.pk),
                    "kind": job.kind,
                    "succeeded": job.succeeded,
                    "skipped": job.skipped,
                    "failed": job.failed,
                },
                subject=job,
                at=now,
            )
    return True
