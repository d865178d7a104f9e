"""What `make faults` (bench/faults.py) found: every acknowledged write looked for in the
database, every email at the SMTP sink, every webhook event at the receiver; per fault's window,
requests, errors, writes missing or twice and the seconds to recover; the table and its notes."""

import argparse
import os
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from bench.fault_load import (
    SPOOFED_ADDRESS,
    Fixture,
    Ledger,
)
from bench.fault_parts import (
    HOST,
    Cluster,
    Ports,
    Receiver,
    Redis,
    Service,
    SmtpSink,
)

# What recovering from a fault means: requests succeeding again, or what was queued while the part
# was away delivered.
REQUESTS, DELIVERIES = "requests", "deliveries"


@dataclass
class Window:
    name: str
    started: float
    fault_at: float | None = None
    restored_at: float | None = None  # the part is back (started again, reachable)
    ended: float = 0.0
    notes: list[str] = field(default_factory=list)
    task_id: str | None = None  # the task a killed worker was running
    measure: str = "requests"  # what recovering means (FAULTS)


@dataclass
class Run:
    args: argparse.Namespace
    ledger: Ledger
    cluster: Cluster
    redis: Redis
    sink: SmtpSink
    receiver: Receiver
    webs: dict[int, Service]
    workers: dict[int, Service]
    ports: Ports
    windows: list[Window] = field(default_factory=list)
    examples: list[str] = field(default_factory=list)  # some of what was missing or twice


@dataclass
class Row:
    window: Window
    requests: int = 0
    errors: int = 0
    missing: int = 0
    twice: int = 0
    recovered: float | None = 0.0  # None: never
    problems: Counter = field(default_factory=Counter)


def window_of(run: Run, moment: float) -> int:
    for index, window in enumerate(run.windows):
        if window.started <= moment < (window.ended or float("inf")):
            return index
    return len(run.windows) - 1 if moment >= run.windows[-1].started else 0


def check(run: Run, fixture: Fixture) -> tuple[list[Row], list[str]]:
    from django.db import connections
    from django.db.models import Count
    from django_tasks_db.models import DBTaskResult

    from tenancy.models import (
        AdminRelationship,
        AgreementAcceptance,
        Invitation,
        ResellerRelationship,
        Subscription,
        WebhookDelivery,
    )

    connections.close_all()
    rows = [Row(window) for window in run.windows]
    for sent in run.ledger.sent:
        rows[sent.window].requests += 1
        rows[sent.window].errors += not sent.ok

    def problem(index: int, kind: str, what: str, which: str) -> None:
        row = rows[index]
        if kind == "missing":
            row.missing += 1
        else:
            row.twice += 1
        row.problems[f"{kind}: {what}"] += 1
        if len(run.examples) < 40:
            run.examples.append(f"{row.window.name}: {kind}: {what} {which}")

    writes = defaultdict(list)
    for write in run.ledger.writes:
        writes[write.kind].append(write)

    # Relationship requests: each there, once by its label; each email sent at the sink once.
    found = {
        str(pk)
        for pk in Invitation.objects.filter(pk__in=[w.key for w in writes["request"]]).values_list(
            "pk", flat=True
        )
    }
    labels = Counter(
        dict(
            Invitation.objects.filter(label__in=[w.name for w in writes["request"]])
            .values_list("label")
            .annotate(n=Count("id"))
            .order_by()
        )
    )
    for write in writes["request"]:
        if write.key not in found:
            problem(write.window, "missing", "relationship request", write.name)
        elif labels[write.name] > 1:
            problem(write.window, "twice", "relationship request", write.name)
    mails = Counter(r for mail in run.sink.mails for r in mail.recipients)
    for write in writes["email"]:
        if not mails[write.recipient]:
            problem(write.window, "missing", "email", write.recipient)
        elif mails[write.recipient] > 1:
            ids = {m.message_id for m in run.sink.mails if write.recipient in m.recipients}
            same = " (the same Message-ID)" if len(ids) == 1 else ""
            problem(write.window, "twice", "email", write.recipient + same)

    # Admin relationships: each there, once by its name.
    names = Counter(
        dict(
            AdminRelationship.objects.filter(
                partner_id=fixture.partner_id,
                name__in=[w.name for w in writes["admin relationship"]],
            )
            .values_list("name")
            .annotate(n=Count("id"))
            .order_by()
        )
    )
    for write in writes["admin relationship"]:
        if not names[write.name]:
            problem(write.window, "missing", "admin relationship", write.name)
        elif names[write.name] > 1:
            problem(write.window, "twice", "admin relationship", write.name)

    # Purchases: each quantity bought once for its customer.
    bought = Counter(
        f"{customer}/{quantity}"
        for customer, quantity in Subscription.objects.filter(
            customer_id__in=fixture.shops
        ).values_list("customer_id", "quantity")
    )
    for write in writes["purchase"]:
        if not bought[write.key]:
            problem(write.window, "missing", "purchase", write.key)
        elif bought[write.key] > 1:
            problem(write.window, "twice", "purchase", write.key)

    # Acceptances: one reseller relationship and one agreement acceptance each.
    accepted = [w.customer for w in writes["acceptance"]]
    relationships = Counter(
        str(c)
        for c in ResellerRelationship.objects.filter(
            partner_id=fixture.partner_id, customer_id__in=accepted
        ).values_list("customer_id", flat=True)
    )
    agreements = Counter(
        str(c)
        for c in AgreementAcceptance.objects.filter(customer_id__in=accepted).values_list(
            "customer_id", flat=True
        )
    )
    for write in writes["acceptance"]:
        if not relationships[write.customer] or not agreements[write.customer]:
            problem(write.window, "missing", "acceptance", write.customer)
        elif relationships[write.customer] > 1 or agreements[write.customer] > 1:
            problem(write.window, "twice", "acceptance", write.customer)
    addresses = Counter(
        AgreementAcceptance.objects.filter(customer_id__in=accepted).values_list(
            "client_ip", flat=True
        )
    )

    # Webhook events: every event of the partner delivered once (a signature that verifies).
    events = {
        str(pk): (name, created.timestamp())
        for pk, name, created in WebhookDelivery.objects.filter(
            partner_id=fixture.partner_id
        ).values_list("event_id", "event__name", "event__created_at")
    }
    delivered = Counter(d.event_id for d in run.receiver.deliveries if d.verified and d.answered)
    unverified = sum(not d.verified for d in run.receiver.deliveries)
    cut_off = [d.event_id for d in run.receiver.deliveries if not d.answered]
    for write in writes["test event"]:
        if write.key not in events:
            problem(write.window, "missing", "test event", write.key)
    for event_id, (name, created) in events.items():
        index = window_of(run, created)
        if not delivered[event_id]:
            problem(index, "missing", "webhook event", f"{name} {event_id}")
        elif delivered[event_id] > 1:
            problem(
                index, "twice", "webhook event", f"{name} {event_id} ({delivered[event_id]} times)"
            )

    # Any email the sink had twice, whatever caused it (acceptances tell the partner too).
    copies = Counter((mail.recipients, mail.subject, mail.text) for mail in run.sink.mails)
    expected = {w.recipient for w in writes["email"]}
    for (recipients, subject, _), count in copies.items():
        if count > 1 and not expected.intersection(recipients):
            first = min(m.at for m in run.sink.mails if m.recipients == recipients)
            problem(window_of(run, first), "twice", "email", f"{subject!r} to {recipients}")

    # Seconds to recover.
    deliveries_at: dict[str, float] = {}
    for d in run.receiver.deliveries:
        if d.verified and d.answered:
            deliveries_at.setdefault(d.event_id, d.at)
    mails_at: dict[str, float] = {}
    for mail in run.sink.mails:
        for recipient in mail.recipients:
            mails_at.setdefault(recipient, mail.at)
    for index, row in enumerate(rows):
        window = row.window
        if window.fault_at is None:
            row.recovered = None
            continue
        if window.measure == REQUESTS:
            # From the fault until requests succeed again: the first success after the last error.
            errors = [s.ended for s in run.ledger.sent if s.window == index and not s.ok]
            recovered = 0.0
            if errors:
                after = [s.ended for s in run.ledger.sent if s.ok and s.ended > max(errors)]
                recovered = (min(after) - window.fault_at) if after else None
        else:
            # From the fault until what was queued before the part came back is delivered.
            until = window.restored_at or window.ended
            waiting = [
                mails_at.get(w.recipient)
                for w in writes["email"]
                if window.started <= w.at <= until
            ] + [
                deliveries_at.get(event_id)
                for event_id, (_, created) in events.items()
                if window.started <= created <= until
            ]
            if any(at is None for at in waiting):
                recovered = None
            else:
                recovered = max([window.fault_at, *waiting]) - window.fault_at
        if window.task_id:
            task = DBTaskResult.objects.filter(pk=window.task_id).values("status", "finished_at")
            task = task.first()
            if task and task["status"] == "SUCCESSFUL" and task["finished_at"]:
                done = task["finished_at"].timestamp() - window.fault_at
                window.notes.append(f"its task was taken back and done {done:.1f} s later")
                recovered = None if recovered is None else max(recovered, done)
            else:
                status = task["status"].lower() if task else "gone"
                window.notes.append(f"its task is still {status}")
                recovered = None
        row.recovered = recovered

    checks = [
        f"X-Forwarded-For: acceptances recorded {dict(addresses) or 'none'} "
        f"(the clients wrote {SPOOFED_ADDRESS} in the header themselves)",
        f"webhook deliveries: {len(run.receiver.deliveries):,} received, "
        f"{unverified} with a signature that did not verify",
    ]
    killed_at = next((w.fault_at for w in run.windows if w.task_id), None) or 0.0
    for event_id in cut_off:
        again = [d.at for d in run.receiver.deliveries if d.event_id == event_id and d.answered]
        checks.append(
            f"webhook event {event_id}: its worker was killed before the receiver's answer; "
            + (
                f"delivered again {min(again) - killed_at:.1f} s after, with the same webhook-id"
                if again
                else "not delivered again"
            )
        )
    if addresses and set(addresses) != {HOST}:
        checks.append("FAILED: an acceptance recorded an address other than the one nginx saw")
    return rows, checks


# --- The report -------------------------------------------------------------------------------

HEADER = ["fault", "requests", "errors", "missing", "twice", "recovered in"]


def cells(row: Row) -> list[str]:
    if row.window.fault_at is None:
        recovered = "—"
    elif row.recovered is None:
        recovered = "never"
    else:
        recovered = f"{row.recovered:.1f} s"
    return [
        row.window.name,
        f"{row.requests:,}",
        f"{row.errors:,}",
        f"{row.missing:,}",
        f"{row.twice:,}",
        recovered,
    ]


def text_table(rows: list[Row]) -> str:
    table = [HEADER, *(cells(row) for row in rows)]
    widths = [max(len(line[i]) for line in table) for i in range(len(HEADER))]
    lines = []
    for line in table:
        first = line[0].ljust(widths[0])
        rest = [cell.rjust(width) for cell, width in zip(line[1:], widths[1:], strict=True)]
        lines.append("  ".join([first, *rest]))
    return "\n".join(lines)


def markdown_table(rows: list[Row]) -> str:
    lines = [
        "| " + " | ".join(HEADER) + " |",
        "|---|" + "---:|" * (len(HEADER) - 1),
        *("| " + " | ".join(cells(row)) + " |" for row in rows),
    ]
    return "\n".join(lines)


def notes(rows: list[Row]) -> list[str]:
    lines = []
    for row in rows:
        said = "; ".join(row.window.notes)
        problems = [f"{count} {what}" for what, count in sorted(row.problems.items())]
        if said or problems:
            lines.append(f"- {row.window.name}: " + "; ".join(filter(None, [said, *problems])))
    return lines


def write_report(path: Path, rows, run: Run, facts: list[str], started_at, elapsed) -> None:
    writes = Counter(w.kind for w in run.ledger.writes)
    text = [
        "# make faults",
        "",
        f"{started_at:%Y-%m-%d %H:%M} UTC, {os.cpu_count()} cores, {elapsed / 60:.1f} min in all; "
        f"{run.args.clients} clients; writes acknowledged: "
        + ", ".join(f"{count:,} {kind}s" for kind, count in sorted(writes.items()))
        + ".",
        "",
        markdown_table(rows),
        "",
        *notes(rows),
        *(f"- {fact}" for fact in facts),
        "",
    ]
    path.write_text("\n".join(text))
