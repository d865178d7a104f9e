"""Time on admin relationships: the reminders before a fixed end (30, 7 and 1 days) and once it
has passed, and the auto-extension of those that extend themselves. No job has to flip a row for
the pages to tell the truth (a relationship's state is read off its dates); this only tells
people, and records each extension.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from tenancy import selectors
from tenancy.choices import AdminRelationshipStatus, AuditAction, NoticeKind
from tenancy.entra_roles import AUTO_EXTEND_DAYS
from tenancy.models import REMINDERS, AdminRelationship, AdminRelationshipNotice
from tenancy.services.admin_relationship_base import locked, record_admin
from tenancy.services.chasing import waiting_reminders
from tenancy.tasks import retried_task


@dataclass
class TimeRun:
    reminders: int = 0
    expired: int = 0
    extended: int = 0
    # Requests waiting for a customer's approval, sent to it again.
    chased: int = 0


def admin_relationship_time(now=None) -> TimeRun:
    """Send each due reminder (30, 7 and 1 days before the end, and once expired) to the
    partner's Admin agents, and record each auto-extension. Idempotent: a notice is recorded
    for the end it was about, so a second run for the same moment sends and extends nothing."""
    now = now or timezone.now()
    run = TimeRun()
    horizon = now + timedelta(days=REMINDERS[0][1])
    # Auto-extending relationships whose end has come: move the end on.
    due_extension = AdminRelationship.objects.filter(
        status=AdminRelationshipStatus.ACTIVE, auto_extend=True, ends_at__lte=now
    ).values_list("pk", flat=True)
    for pk in due_extension.iterator():
        if _extend(pk, now):
            run.extended += 1
    # Fixed-end relationships ending within 30 days, or ended (not yet told).
    ending = (
        AdminRelationship.objects.filter(
            status=AdminRelationshipStatus.ACTIVE, auto_extend=False, ends_at__lte=horizon
        )
        .exclude(notices__kind=NoticeKind.EXPIRED)
        .values_list("pk", flat=True)
    )
    for pk in ending.iterator():
        kind = _remind(pk, now)
        if kind == NoticeKind.EXPIRED:
            run.expired += 1
        elif kind is not None:
            run.reminders += 1
    run.chased = waiting_reminders(now)
    return run


def _due_notice(relationship: AdminRelationship, now) -> NoticeKind | None:
    left = relationship.ends_at - now
    if left <= timedelta(0):
        return NoticeKind.EXPIRED
    # The nearest reminder whose moment has come: a relationship made for 5 days gets the
    # 7-day one, not the 30-day one as well.
    due = [kind for kind, days in REMINDERS if left <= timedelta(days=days)]
    return due[-1] if due else None


def _remind(pk, now) -> NoticeKind | None:
    with transaction.atomic():
        relationship = locked(pk)
        if relationship.status != AdminRelationshipStatus.ACTIVE or relationship.auto_extend:
            return None
        kind = _due_notice(relationship, now)
        if kind is None:
            return None
        sent = AdminRelationshipNotice.objects.filter(
            relationship=relationship, ends_at=relationship.ends_at
        ).values_list("kind", flat=True)
        order = [k for k, _ in REMINDERS] + [NoticeKind.EXPIRED]
        if any(order.index(k) >= order.index(kind) for k in sent if k in order):
            return None  # this one, or a later one, was already sent
        recipients = selectors.admin_agent_emails(relationship.partner)
        AdminRelationshipNotice.objects.create(
            relationship=relationship,
            kind=kind,
            ends_at=relationship.ends_at,
            sent_at=now,
            recipients=len(recipients),
        )
        record_admin(
            relationship,
            AuditAction.ADMIN_REMINDED,
            None,
            None,
            notice=kind,
            ends_at=relationship.ends_at.isoformat(),
            recipients=len(recipients),
        )
    return kind


def _extend(pk, now) -> bool:
    with transaction.atomic():
        relationship = locked(pk)
        if not (relationship.status == AdminRelationshipStatus.ACTIVE and relationship.auto_extend):
            return False
        if relationship.ends_at > now:
            return False  # another run extended it already
        before = relationship.ends_at
        AdminRelationshipNotice.objects.create(
            relationship=relationship, kind=NoticeKind.EXTENDED, ends_at=before, sent_at=now
        )
        relationship.ends_at = relationship.current_end(now)
        relationship.save(update_fields=["ends_at"])
        record_admin(
            relationship,
            AuditAction.ADMIN_EXTENDED,
            None,
            None,
            days=AUTO_EXTEND_DAYS,
            before=before.isoformat(),
            ends_at=relationship.ends_at.isoformat(),
        )
    return True


@retried_task
def admin_relationship_reminders(*, now: str | None = None) -> dict:
    """The run of `manage.py admin_relationship_reminders --enqueue`, in the worker. Safe to
    repeat: a notice is recorded for the end it was about."""
    run = admin_relationship_time(now=datetime.fromisoformat(now) if now else None)
    return {
        "reminders": run.reminders,
        "expired": run.expired,
        "extended": run.extended,
        "chased": run.chased,
    }
