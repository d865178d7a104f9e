"""A bulk job's items, done: each in one transaction of its own, a few at once on PostgreSQL
(BULK_JOB_THREADS), until none is left, the step's time is up or the job is cancelled.

Exactly one request per customer and template version, whatever happens: an item is claimed
under its row lock (two workers, or two threads, take different items), the customer's row is
locked before `skip_reason` is read again (two jobs for one version wait on each other, and the
second finds the first's request), and the item's state changes in the transaction that makes the
request (a worker killed mid-item leaves it pending, with nothing made). A step's statements are
compiled once (tenancy.services.compiled): a step does thousands of items.
"""

import logging
import threading
import time
from dataclasses import dataclass

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import F
from django.utils import timezone

from tenancy import selectors
from tenancy.choices import AuditAction, BulkItemState, BulkJobKind, BulkJobStatus
from tenancy.effects.record import record
from tenancy.entra_roles import NAME_MAX_LENGTH
from tenancy.language import country_language
from tenancy.models import (
    AdminRelationship,
    BulkJob,
    BulkJobItem,
    CustomerListRow,
    TemplateVersion,
    Tenant,
)
from tenancy.services.admin_relationship_base import locked
from tenancy.services.admin_relationship_changes import (
    auto_extend_decision,
    change_auto_extend,
    remove_global_admin,
    remove_global_admin_decision,
)
from tenancy.services.admin_relationships import (
    AdminRequest,
    admin_relationship_withdraw_decision,
    make_admin_request,
    withdraw,
)
from tenancy.services.base import ServiceError
from tenancy.services.bulk_selection import skip_reason
from tenancy.services.chasing import admin_request_remind_decision, remind
from tenancy.services.compiled import (
    Compiled,
    compile_select,
    compile_update,
    moment_slot,
    uuid_slot,
    value_slot,
)
from tenancy.services.templates import request_name_for
from tenancy.services.upgrades import upgrade, upgrade_decision

logger = logging.getLogger(__name__)


@dataclass
class Stepped:
    processed: int = 0
    finished: bool = False
    # What is left is being done by another step (its items are locked): this one steps aside.
    others_working: bool = False


def run_items(
    job: BulkJob, *, seconds: float | None = None, now=None, threads: int | None = None
) -> Stepped:
    """Do the job's pending items, one transaction each, for `seconds` (None: to the end).
    `now`: when (the demo data's history; the worker's steps run now).

    On PostgreSQL, outside a transaction (as on the worker), BULK_JOB_THREADS items at once,
    each thread on its own connection: while one item waits for the database another's Python
    runs. Items are claimed under SKIP LOCKED, so threads, like workers, take different ones."""
    started = time.monotonic()
    if threads is None:
        threads = settings.BULK_JOB_THREADS if _can_thread() else 1
    outcomes = []

    def work(own_connection: bool) -> None:
        statements = _Statements(job, now or timezone.now())
        processed, ended = 0, "time"
        try:
            while not stopping.is_set() and (
                seconds is None or time.monotonic() - started < seconds
            ):
                outcome = _next_item(job, statements, now)
                if outcome is None:
                    ended = "drained"
                    break
                if outcome == "stopped":
                    stopping.set()
                    ended = "stopped"
                    break
                processed += 1
        finally:
            outcomes.append((processed, ended))
            if own_connection:
                connection.close()

    stopping = threading.Event()
    if threads <= 1:
        work(own_connection=False)
    else:
        pool = [threading.Thread(target=work, args=(True,)) for _ in range(threads)]
        for thread in pool:
            thread.start()
        for thread in pool:
            thread.join()
    stepped = Stepped(processed=sum(processed for processed, _ended in outcomes))
    ended = {ended for _processed, ended in outcomes}
    if "stopped" in ended:
        stepped.finished = True
    elif ended == {"drained"}:
        if BulkJobItem.objects.filter(job=job, state=BulkItemState.PENDING).exists():
            # Claimed by another step that is still at them: it finishes the job, or, if its
            # worker dies, this step's successor does when the lease is up.
            stepped.others_working = True
        else:
            stepped.finished = _finish(job, now)
    return stepped


def _can_thread() -> bool:
    """Threads need rows they can pass over (SKIP LOCKED) and committed data to read (not the
    inside of a test's transaction)."""
    return connection.features.has_select_for_update_skip_locked and (
        connection.vendor != "sqlite" and not connection.in_atomic_block
    )


class _NameTaken(Exception):
    """The plain name of an item's request is taken: its transaction is rolled back, and the
    item done again with a name of its own."""


class _Statements:
    """A step's statements, compiled at their first use and run for each item (a step does
    thousands of items; building each queryset again would cost more than running it). `now`:
    the step's start, the moment `skip_reason` reads the requests' lapse and ends against."""

    def __init__(self, job: BulkJob, now):
        self.job = job
        self.now = now
        self._compiled: dict[str, Compiled] = {}

    def _get(self, name: str, make) -> Compiled:
        if name not in self._compiled:
            self._compiled[name] = make()
        return self._compiled[name]

    def claim(self) -> BulkJobItem | None:
        """The job's next pending item, locked; one another transaction holds is passed over."""
        row = self._get(
            "claim",
            lambda: compile_select(
                BulkJobItem.objects.select_for_update(skip_locked=True)
                .filter(job=self.job, state=BulkItemState.PENDING)
                .order_by("id")
                .values_list("id", "key", "customer_id", "relationship_id")[:1]
            ),
        ).fetchone()
        if row is None:
            return None
        pk, key, customer_id, relationship_id = row
        return BulkJobItem(
            pk=pk,
            job=self.job,
            key=key,
            customer_id=customer_id,
            relationship_id=relationship_id,
            state=BulkItemState.PENDING,
        )

    def customer(self, customer_id) -> tuple[Tenant, str | None]:
        """The customer, its row locked, and why it gets no request ("" when it gets one; None
        when it is not on the partner's Customer list).

        Two statements, in this order: the lock first (two jobs for one version, or the
        customer's own approval, take their turns), then `skip_reason`, a statement of its own
        so that it reads what the one before it committed (on PostgreSQL a statement that waited
        for a lock still reads from the moment it began)."""
        fields = [field.attname for field in Tenant._meta.concrete_fields]
        values = self._get(
            "lock customer",
            lambda: compile_select(
                Tenant.objects.select_for_update()
                .filter(pk=CUSTOMER.stand_in)
                .values_list(*fields),
                customer=CUSTOMER,
            ),
        ).fetchone(customer=customer_id)
        version = self.job.template_version
        row = self._get(
            "skip",
            lambda: compile_select(
                skip_reason(
                    CustomerListRow.objects.filter(
                        partner=self.job.partner, customer=CUSTOMER.stand_in
                    ),
                    version,
                    self.now,
                ).values_list("skip")[:1],
                customer=CUSTOMER,
            ),
        ).fetchone(customer=customer_id)
        return Tenant.from_db(self.job._state.db, fields, values), (row[0] if row else None)

    def count(self, item: BulkJobItem, state: str, reason: str, now) -> bool:
        """The item's outcome and the job's counter; False (nothing written) when the job no
        longer runs."""
        counter = COUNTERS[state]
        counted = self._get(
            f"count {counter}",
            lambda: compile_update(
                BulkJob.objects.filter(pk=self.job.pk, status=BulkJobStatus.RUNNING),
                {counter: F(counter) + 1, "progressed_at": MOMENT.stand_in},
                now=MOMENT,
            ),
        ).rowcount(now=now)
        if not counted:
            return False
        self._get(
            "item",
            lambda: compile_update(
                BulkJobItem.objects.filter(pk=ITEM.stand_in),
                {
                    "state": STATE.stand_in,
                    "reason": REASON.stand_in,
                    "relationship": RELATIONSHIP.stand_in,
                    "processed_at": MOMENT.stand_in,
                },
                item=ITEM,
                state=STATE,
                reason=REASON,
                relationship=RELATIONSHIP,
                now=MOMENT,
            ),
        ).rowcount(
            item=item.pk,
            state=state,
            reason=reason,
            relationship=item.relationship_id,
            now=now,
        )
        return True


# The stand-ins of the compiled statements' values.
CUSTOMER = uuid_slot(Tenant, "id", 1)
RELATIONSHIP = uuid_slot(AdminRelationship, "id", 2)
ITEM = value_slot(-1)
STATE = value_slot("<state>")
REASON = value_slot("<reason>")
MOMENT = moment_slot(1)
COUNTERS = {
    BulkItemState.DONE: "succeeded",
    BulkItemState.SKIPPED: "skipped",
    BulkItemState.FAILED: "failed",
}


def _next_item(job: BulkJob, statements: _Statements, at=None) -> str | None:
    """Claim and do one pending item, in one transaction: its state; None when none is left,
    "stopped" when the job no longer runs.

    The happy path has no savepoint (an item is a handful of statements and a commit). A taken
    name, a refusal or a surprise rolls the item's transaction back whole; the item is then done
    again with a name of its own, or marked failed with its reason, in a transaction of its own.
    """
    unique_name = False
    item = None
    for _attempt in range(2):
        try:
            with transaction.atomic():
                item = statements.claim()
                if item is None:
                    return None
                now = at or timezone.now()
                state, reason = _do(statements, item, now, unique_name=unique_name)
                if not statements.count(item, state, reason, now):
                    transaction.set_rollback(True)  # a cancelled job takes no more
                    return "stopped"
                return state
        except _NameTaken:
            unique_name = True
        except ServiceError as refusal:
            return _failed(job, item.pk, refusal.code or "refused", at)
        except Exception:  # one customer's surprise must not stop the others: it's the item's
            if item is None:
                raise
            logger.exception("Bulk job %s: item %s failed", job.pk, item.pk)
            return _failed(job, item.pk, "error", at)
    return _failed(job, item.pk, "name", at)


def _claim(job: BulkJob, pk=None) -> BulkJobItem | None:
    """The job's next pending item (or item `pk`, if still pending), locked; one that another
    transaction holds is passed over."""
    items = BulkJobItem.objects.filter(job=job, state=BulkItemState.PENDING)
    if pk is not None:
        return items.select_for_update().filter(pk=pk).first()
    return items.select_for_update(skip_locked=True).order_by("id").first()


def _count(job: BulkJob, item: BulkJobItem, state: str, reason: str, now) -> str:
    """The item's outcome and the job's counter, in the item's transaction; a job that no
    longer runs takes none ("stopped", the transaction rolled back)."""
    counter = COUNTERS[state]
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


def _failed(job: BulkJob, item_pk, code: str, at=None) -> str:
    """Item `item_pk`, whose work was rolled back, marked failed with `code`."""
    with transaction.atomic():
        item = _claim(job, item_pk)
        if item is None:  # done meanwhile by another step: nothing to mark
            return BulkItemState.DONE
        item.relationship = None
        return _count(job, item, BulkItemState.FAILED, code, at or timezone.now())


def _do(statements: _Statements, item: BulkJobItem, now, *, unique_name: bool) -> tuple[str, str]:
    """(state, reason) of one item, its request made when it gets one (inside the item's
    transaction; a refusal or an error is raised to it)."""
    job = statements.job
    if job.kind == BulkJobKind.REQUEST:
        return _request(statements, item, now, unique_name=unique_name)
    return _on_relationship(job, item, now)


def _request(
    statements: _Statements, item: BulkJobItem, now, *, unique_name: bool
) -> tuple[str, str]:
    job = statements.job
    version = job.template_version
    partner = job.partner
    customer, skip = statements.customer(item.customer_id)
    if skip is None:
        return BulkItemState.SKIPPED, "not_customer"
    if skip:
        return BulkItemState.SKIPPED, skip
    addresses = selectors.global_administrator_emails(customer) if job.send_email else []
    if job.send_email and not addresses:
        # Asked to email each request: one nobody would receive is not made (the partner makes
        # it from the customer's page and shares its link another way).
        return BulkItemState.FAILED, "no_address"
    name = (
        _unique_name(version, customer, item)
        if unique_name
        else request_name_for(version.template, customer)
    )
    try:
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
            # The customer's country's language (read off its code: no query for the country).
            language=country_language(customer.country_id),
            template_version=version,
            now=now,
        )
    except IntegrityError as error:
        if not unique_name and "gdap_name_unique_per_partner" in str(error):
            raise _NameTaken from error
        raise
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


# Each kind of job on relationships: whether its step may be taken now (the decision the pages
# and the API ask too), and the step, on the relationship locked.
RELATIONSHIP_WORK = {
    BulkJobKind.REMIND: (admin_request_remind_decision, remind),
    BulkJobKind.WITHDRAW: (
        lambda relationship, now: admin_relationship_withdraw_decision(relationship),
        withdraw,
    ),
    BulkJobKind.AUTO_EXTEND_ON: (
        lambda relationship, now: auto_extend_decision(relationship, True, now),
        lambda relationship, *, by, now: change_auto_extend(relationship, True, by=by, now=now),
    ),
    BulkJobKind.AUTO_EXTEND_OFF: (
        lambda relationship, now: auto_extend_decision(relationship, False, now),
        lambda relationship, *, by, now: change_auto_extend(relationship, False, by=by, now=now),
    ),
    BulkJobKind.REMOVE_GLOBAL_ADMIN: (remove_global_admin_decision, remove_global_admin),
    BulkJobKind.UPGRADE: (upgrade_decision, upgrade),
}


def _on_relationship(job: BulkJob, item: BulkJobItem, now) -> tuple[str, str]:
    decide, act = RELATIONSHIP_WORK[job.kind]
    relationship = locked(item.relationship_id)
    decision = decide(relationship, now)
    if not decision:
        return BulkItemState.SKIPPED, decision.code
    made = act(relationship, by=job.created_by, now=now)
    if isinstance(made, AdminRelationship):
        item.relationship = made  # an upgrade: the request it made, with its link
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
