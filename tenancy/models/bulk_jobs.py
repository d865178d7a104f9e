"""Bulk jobs: one piece of work done for many customers or relationships by the task worker, one
item at a time, each in its own transaction.

A job keeps what was chosen (a Customer list search, a list pasted in, a selection) and one item
per target, made when it starts; the worker turns each pending item into a request, a reminder
or a withdrawal, or skips it with a reason, or records why it failed. The items are the job's
results; the job's counters say how far it is. Never deleted.
"""

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone

from tenancy.choices import BulkItemState, BulkJobKind, BulkJobStatus
from tenancy.models.admin_relationships import AdminRelationship
from tenancy.models.choice_labels import ChoiceLabels
from tenancy.models.templates import TemplateVersion
from tenancy.models.tenants import Tenant


class BulkJob(ChoiceLabels, models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    partner = models.ForeignKey(Tenant, on_delete=models.PROTECT, related_name="bulk_jobs")
    kind = models.CharField(max_length=20, choices=BulkJobKind)
    template_version = models.ForeignKey(
        TemplateVersion, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # How the targets were chosen: {"search": {...}} (the Customer list's), {"pasted": lines},
    # {"selected": n}. For the job's page; the items are what it works on.
    selection = models.JSONField(default=dict)
    send_email = models.BooleanField(default=False)
    status = models.CharField(max_length=10, choices=BulkJobStatus, default=BulkJobStatus.RUNNING)
    total = models.PositiveIntegerField(default=0)
    succeeded = models.PositiveIntegerField(default=0)
    skipped = models.PositiveIntegerField(default=0)
    failed = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    # When the worker last did an item: a job that stops moving is resumed (its watchdog).
    progressed_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    cancelled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["partner", "-created_at", "-id"], name="bulk_job_idx")]

    def __str__(self) -> str:
        return f"{BulkJobKind(self.kind).label} ({self.created_at:%Y-%m-%d %H:%M})"

    @property
    def done(self) -> int:
        return self.succeeded + self.skipped + self.failed

    @property
    def is_running(self) -> bool:
        return self.status == BulkJobStatus.RUNNING

    @property
    def percent(self) -> int:
        return 100 if not self.total else min(100, self.done * 100 // self.total)

    def rate(self) -> float | None:
        """Items a second, from the start to the last item done (None before it has one)."""
        end = self.finished_at or self.progressed_at
        if not self.done or end is None:
            return None
        seconds = (end - self.created_at).total_seconds()
        return self.done / seconds if seconds > 0 else None

    def seconds_left(self) -> int | None:
        """At the rate so far; None when it isn't running or has no rate yet."""
        rate = self.rate()
        if not self.is_running or not rate:
            return None
        return round((self.total - self.done) / rate)


class BulkJobItem(ChoiceLabels, models.Model):
    """One target of a job, and what became of it."""

    job = models.ForeignKey(BulkJob, on_delete=models.PROTECT, related_name="items")
    # What the item is about, once per job: the customer's id (a request), the relationship's (a
    # reminder, a withdrawal), or the pasted line's number (a line that named nobody).
    key = models.CharField(max_length=60)
    customer = models.ForeignKey(
        Tenant, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # The relationship a reminder or a withdrawal is about, or the request a request job made.
    relationship = models.ForeignKey(
        AdminRelationship, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # A pasted line that named nobody (kept as it was written, cut to length).
    line = models.CharField(max_length=200, blank=True)
    state = models.CharField(max_length=10, choices=BulkItemState, default=BulkItemState.PENDING)
    reason = models.CharField(max_length=40, blank=True)
    processed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["job", "id"]
        indexes = [
            models.Index(fields=["job", "state", "id"], name="bulk_item_state_idx"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["job", "key"], name="bulk_item_once"),
        ]

    def __str__(self) -> str:
        return f"{self.job}: {self.state}"
