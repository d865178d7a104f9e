"""Chasing what is pending: a request waiting for a customer's approval sent to its Global
administrators again (by an agent, for one or many; and by itself after a number of days), and
a request that lapsed unanswered asked again."""

from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from tenancy import rules, selectors
from tenancy.choices import AdminRelationshipStatus, AuditAction, NoticeKind
from tenancy.effects.record import record
from tenancy.entra_roles import NAME_MAX_LENGTH, REQUEST_VALID_DAYS
from tenancy.models import AdminRelationship, AdminRelationshipNotice
from tenancy.rules import Action, Decision
from tenancy.services.admin_relationship_base import AdminRequestInvalid, locked
from tenancy.services.admin_relationships import (
    AdminRequest,
    admin_request_problems,
    make_admin_request,
)
from tenancy.services.base import ServiceError, acting_member


def waiting_requests(partner, *, q: str = "", now=None):
    """The partner's requests waiting for a customer's approval (not lapsed), oldest first."""
    requests = AdminRelationship.objects.with_status(
        AdminRelationshipStatus.APPROVAL_PENDING, now
    ).filter(partner=partner)
    if q := q.strip():
        requests = requests.filter(Q(name__icontains=q) | Q(customer__name__icontains=q))
    return requests


def lapsed_requests(partner, *, q: str = "", now=None):
    """The partner's requests that lapsed unanswered (each can be asked again), newest first."""
    now = now or timezone.now()
    lapse = now - timedelta(days=REQUEST_VALID_DAYS)
    requests = AdminRelationship.objects.filter(partner=partner).filter(
        Q(status=AdminRelationshipStatus.APPROVAL_PENDING, finalized_at__lte=lapse)
        | Q(status=AdminRelationshipStatus.EXPIRED, approved_at__isnull=True)
    )
    if q := q.strip():
        requests = requests.filter(Q(name__icontains=q) | Q(customer__name__icontains=q))
    return requests


def admin_request_remind_decision(relationship: AdminRelationship, now=None) -> Decision:
    """A request can be sent again while it waits for approval, to a customer it names."""
    if relationship.display_status(now) != AdminRelationshipStatus.APPROVAL_PENDING:
        return Decision(
            False, _("Only a request waiting for approval can be sent again."), "not_waiting"
        )
    if relationship.customer_id is None:
        return Decision(
            False,
            _(
                "This request is for any customer: send its link to the customer yourself, from "
                "its page."
            ),
            "any_customer",
        )
    if not selectors.global_administrator_emails(relationship.customer):
        return Decision(
            False,
            _("Nobody in %(customer)s who can approve admin relationships has an email address.")
            % {"customer": relationship.customer.name},
            "no_address",
        )
    return rules.ALLOWED


def remind(relationship: AdminRelationship, *, by, now, automatic: bool = False) -> int:
    """Send the request to the customer's Global administrators again, in the language it was
    written to the customer in; the lines are recorded (their emails leave after commit).
    Returns how many were sent. Inside the caller's transaction."""
    addresses = selectors.global_administrator_emails(relationship.customer)
    for address in addresses:
        record(
            AuditAction.ADMIN_CHASED,
            actor=by,
            actor_tenant=relationship.partner if by is not None else None,
            partner=relationship.partner,
            customer=relationship.customer,
            details={
                "relationship": str(relationship.pk),
                "name": relationship.name,
                "to": address,
                "automatic": automatic,
            },
            subject=relationship,
            at=now,
        )
    return len(addresses)


def admin_request_remind(*, relationship: AdminRelationship, reminded_by, now=None) -> int:
    """An agent sends one waiting request to the customer's Global administrators again."""
    acting_member(reminded_by, relationship.partner, Action.MANAGE_ADMIN_RELATIONSHIPS)
    now = now or timezone.now()
    with transaction.atomic():
        relationship = locked(relationship.pk)
        decision = admin_request_remind_decision(relationship, now)
        if not decision:
            raise ServiceError(decision.reason, code=decision.code)
        return remind(relationship, by=reminded_by, now=now)


def waiting_reminders(now=None) -> int:
    """Send each waiting request again when it has waited ADMIN_REQUEST_REMINDER_DAYS (7 and 21
    by default), once for each: a notice is recorded for the moment it was due, so a second run
    sends nothing twice. Returns how many requests were sent again."""
    now = now or timezone.now()
    sent = 0
    for days in sorted(set(settings.ADMIN_REQUEST_REMINDER_DAYS)):
        due = (
            waiting_requests_everywhere(now)
            .filter(finalized_at__lte=now - timedelta(days=days), customer__isnull=False)
            .values_list("pk", flat=True)
        )
        for pk in due.iterator():
            sent += _remind_once(pk, days, now)
    return sent


def waiting_requests_everywhere(now):
    return AdminRelationship.objects.with_status(AdminRelationshipStatus.APPROVAL_PENDING, now)


def _remind_once(pk, days: int, now) -> int:
    with transaction.atomic():
        relationship = locked(pk)
        if relationship.display_status(now) != AdminRelationshipStatus.APPROVAL_PENDING:
            return 0
        due_at = relationship.finalized_at + timedelta(days=days)
        _notice, made = AdminRelationshipNotice.objects.get_or_create(
            relationship=relationship,
            kind=NoticeKind.WAITING,
            ends_at=due_at,
            defaults={"sent_at": now},
        )
        if not made:
            return 0
        count = remind(relationship, by=None, now=now, automatic=True)
        AdminRelationshipNotice.objects.filter(pk=_notice.pk).update(recipients=count)
        return 1 if count else 0


def admin_request_again(*, relationship: AdminRelationship, requested_by, now=None):
    """A request that lapsed unanswered, asked again: the same roles, duration, customer and
    template version, under a name of its own."""
    partner = relationship.partner
    acting_member(requested_by, partner, Action.MANAGE_ADMIN_RELATIONSHIPS)
    now = now or timezone.now()
    if relationship.display_status(now) != AdminRelationshipStatus.EXPIRED or (
        relationship.approved_at is not None
    ):
        raise ServiceError(
            _("Only a request that lapsed unanswered can be asked again."), code="not_lapsed"
        )
    request = AdminRequest(
        name=_again(relationship.name),
        duration_days=relationship.duration_days,
        roles=relationship.roles,
        auto_extend=relationship.auto_extend,
    )
    problems = admin_request_problems(
        partner=partner,
        request=request,
        customer=relationship.customer,
        template_version=relationship.template_version,
    )
    if problems:
        raise AdminRequestInvalid(problems)
    for attempt in range(2, 20):
        try:
            with transaction.atomic():
                return make_admin_request(
                    partner=partner,
                    created_by=requested_by,
                    request=request,
                    customer=relationship.customer,
                    finalize=True,
                    language=relationship.language,
                    template_version=relationship.template_version,
                    now=now,
                )
        except IntegrityError:
            request = AdminRequest(
                name=_again(relationship.name, attempt),
                duration_days=request.duration_days,
                roles=request.roles,
                auto_extend=request.auto_extend,
            )
    raise ServiceError(_("Choose a new name for this request."), code="name")


def _again(name: str, attempt: int = 1) -> str:
    """ "Northwind - support (again)", "… (again 2)": a name of its own, at most 50."""
    suffix = " (again)" if attempt == 1 else f" (again {attempt})"
    return name[: NAME_MAX_LENGTH - len(suffix)].rstrip() + suffix
