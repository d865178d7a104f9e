"""One record per change: the audit line, and what follows from its action.

A service calls `record(...)` once for each line its change writes, inside its transaction, after
its writes. `record` writes the append-only audit line, then looks the action up in `EFFECTS` and
does what the row says: raise the webhook event (in the transaction: it commits with the
change), refresh the Customer list rows the line touches (in the transaction too, so the read
model never disagrees with the tables), and queue the emails (sent once the transaction commits).
A line dated in the past (the demo's history) refreshes the list and announces nothing.

Every audit action has a row; an action with nothing to follow has the explicit `NOTHING` row,
and `record` refuses an action without one (tests/tenancy/test_record.py walks them all). A new
action therefore cannot forget its webhook, its Customer list refresh or its email.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from django.urls import reverse
from django.utils import timezone

from tenancy import selectors
from tenancy.choices import AuditAction, NoticeKind, WebhookEventName
from tenancy.effects import webhook_events
from tenancy.effects.customer_list import customer_list_refresh, customer_list_rename
from tenancy.effects.email import (
    email_on_commit,
    language_of,
    render_email,
    request_email_on_commit,
)
from tenancy.models import REMINDERS, AdminRelationship, AuditEvent, Invitation, Tenant
from tenancy.portals import PARTNER_CENTER


@dataclass(frozen=True)
class Change:
    """A recorded audit line, and the object it is about (an admin relationship, an access
    assignment, a tenant...) for the effects that need more than the line says."""

    event: AuditEvent
    subject: object = None

    @property
    def partner(self) -> Tenant | None:
        return self.event.partner

    @property
    def customer(self) -> Tenant | None:
        return self.event.customer

    @property
    def invitation(self) -> Invitation | None:
        return self.event.invitation

    @property
    def details(self) -> dict:
        return self.event.details


Effect = Callable[[Change], None]


@dataclass(frozen=True)
class Effects:
    """What follows one audit action: its webhook event, its Customer list refresh, its email."""

    webhook: Effect | None = None
    customer_list: Effect | None = None
    email: Effect | None = None


NOTHING = Effects()


# --- Webhook events -----------------------------------------------------------------------------


def _request_accepted(change: Change) -> None:
    """The reseller hears that its request was accepted; on a two-tier request, the indirect
    provider's own line tells it that its reseller's was."""
    invitation = change.invitation
    provider_line = invitation.indirect_provider_id == change.partner.pk
    name = (
        WebhookEventName.INDIRECT_RESELLER_ACCEPTED
        if provider_line
        else WebhookEventName.RESELLER_ACCEPTED
    )
    webhook_events.customer_event(change.partner, change.customer, name, audited_at=change.event.at)


def _request_declined(change: Change) -> None:
    webhook_events.relationship_request_event(
        change.partner,
        change.invitation.pk,
        WebhookEventName.RESELLER_DECLINED,
        audited_at=change.event.at,
    )


def _admin_relationship(name: WebhookEventName) -> Effect:
    return lambda change: webhook_events.admin_relationship_event(
        change.subject, name, audited_at=change.event.at
    )


def _access_assignment(name: WebhookEventName) -> Effect:
    return lambda change: webhook_events.access_assignment_event(
        change.subject, name, audited_at=change.event.at
    )


def _bulk_job_finished(change: Change) -> None:
    webhook_events.bulk_job_event(
        change.subject, WebhookEventName.BULK_JOB_FINISHED, audited_at=change.event.at
    )


def _expired(change: Change) -> None:
    if change.details.get("notice") == NoticeKind.EXPIRED:
        webhook_events.admin_relationship_event(
            change.subject, WebhookEventName.ADMIN_EXPIRED, audited_at=change.event.at
        )


# --- The Customer list --------------------------------------------------------------------------


def _refresh_pair(change: Change) -> None:
    customer_list_refresh(partner=change.partner, customer=change.customer)


def _renamed(change: Change) -> None:
    """An operator changed an organization: its copies in the Customer lists follow."""
    if isinstance(change.subject, Tenant) and change.subject.is_customer:
        customer_list_rename(change.subject)


# --- Emails -------------------------------------------------------------------------------------


def _request_email(kind: str) -> Effect:
    """The request's own email, with its link, to the address the line names."""

    def send(change: Change) -> None:
        actor = change.event.actor
        reply_to = [actor.email] if actor is not None and actor.email else None
        request_email_on_commit(kind, change.subject.pk, [change.details["to"]], reply_to=reply_to)

    return send


def _tell_request_agent(template: str) -> Effect:
    """The agent who made a reseller request hears how the customer answered (on the reseller's
    line: the provider's line of a two-tier acceptance is no news to that agent)."""

    def send(change: Change) -> None:
        invitation = change.invitation
        agent = invitation.created_by
        if not agent.email or invitation.indirect_provider_id == change.partner.pk:
            return
        content = render_email(
            template,
            {"invitation": invitation, "partner": invitation.partner, "customer": change.customer},
            language=language_of(agent),
        )
        email_on_commit(content, [agent.email])

    return send


def _tell_partner(answer: str) -> Effect:
    """The agent who made an admin relationship request hears the customer's answer (for a
    request's default one, or an agent without an address, the partner's Admin agents)."""

    def send(change: Change) -> None:
        relationship: AdminRelationship = change.subject
        if answer == "approved" and relationship.invitation_id is not None:
            return  # approved with a reseller request: its own email says so
        if answer == "terminated" and change.details.get("side") != "customer":
            return
        agent = relationship.finalized_by or relationship.created_by
        recipients = [agent.email] if agent and agent.email else []
        if not recipients:
            recipients = selectors.admin_agent_emails(relationship.partner)
        if not recipients:
            return
        content = render_email(
            "admin_relationship_answered",
            {
                "relationship": relationship,
                "partner": relationship.partner,
                "customer": relationship.customer,
                "answer": answer,
            },
            language=language_of(agent) if agent and agent.email else None,
        )
        email_on_commit(content, recipients)

    return send


def _terminated(change: Change) -> None:
    """Ended by the partner: the customer's Global administrators are told, in the language the
    request was written to them in; ended by the customer: the partner is."""
    relationship: AdminRelationship = change.subject
    if change.details.get("replaced_by"):
        return  # replaced by the upgrade the customer has just approved: no news to anyone
    if change.details.get("side") == "customer":
        _tell_partner("terminated")(change)
        return
    recipients = selectors.global_administrator_emails(relationship.customer)
    if not recipients:
        return
    content = render_email(
        "admin_relationship_terminated",
        {
            "relationship": relationship,
            "partner": relationship.partner,
            "customer": relationship.customer,
        },
        language=relationship.language,
    )
    email_on_commit(content, recipients)


def _role_removed(change: Change) -> None:
    """The partner gave up a role (Global Administrator): the customer's Global administrators
    are told, in the language the request was written to them in."""
    relationship: AdminRelationship = change.subject
    recipients = selectors.global_administrator_emails(relationship.customer)
    if not recipients:
        return
    content = render_email(
        "admin_relationship_role_removed",
        {
            "relationship": relationship,
            "partner": relationship.partner,
            "customer": relationship.customer,
            "at": change.event.at,
        },
        language=relationship.language,
    )
    email_on_commit(content, recipients)


def expiring_url(kind: NoticeKind) -> str:
    """Partner Center's Expiring page, on the tile the reminder is about."""
    days = dict(REMINDERS).get(kind)
    window = "expired_30" if days is None else str(min(code for code in (1, 7, 30) if code >= days))
    return PARTNER_CENTER.absolute(
        reverse("partner_center:admin-relationship-expiring") + f"?window={window}"
    )


def _reminder(change: Change) -> None:
    """30, 7 and 1 day before a fixed end, and once it has passed: the partner's Admin agents,
    in the language of the agent who asked."""
    relationship: AdminRelationship = change.subject
    recipients = selectors.admin_agent_emails(relationship.partner)
    if not recipients:
        return
    kind = NoticeKind(change.details["notice"])
    content = render_email(
        "admin_relationship_reminder",
        {
            "relationship": relationship,
            "partner": relationship.partner,
            "customer": relationship.customer,
            "kind": kind,
            "expired": kind == NoticeKind.EXPIRED,
            "days": dict(REMINDERS).get(kind),
            "expiring_url": expiring_url(kind),
        },
        language=language_of(relationship.finalized_by or relationship.created_by),
    )
    email_on_commit(content, recipients)


# --- The table ----------------------------------------------------------------------------------

EFFECTS: dict[AuditAction, Effects] = {
    # Reseller relationship requests.
    AuditAction.INVITATION_CREATED: NOTHING,
    AuditAction.INVITATION_SENT: Effects(email=_request_email("reseller")),
    AuditAction.INVITATION_OPENED: NOTHING,
    AuditAction.INVITATION_REVOKED: NOTHING,
    AuditAction.INVITATION_ACCEPTED: Effects(
        webhook=_request_accepted, email=_tell_request_agent("invitation_accepted")
    ),
    AuditAction.INVITATION_DECLINED: Effects(
        webhook=_request_declined, email=_tell_request_agent("invitation_declined")
    ),
    AuditAction.INVITATION_REFUSED: NOTHING,
    # Customers, agreements, reseller relationships.
    AuditAction.CUSTOMER_ADDED: NOTHING,
    AuditAction.AGREEMENT_ACCEPTED: NOTHING,
    AuditAction.AGREEMENT_ATTESTED: NOTHING,
    AuditAction.RESELLER_STARTED: Effects(customer_list=_refresh_pair),
    AuditAction.RESELLER_ENDED: Effects(customer_list=_refresh_pair),
    # Lines written before admin relationships existed; nothing writes them now.
    AuditAction.ADMIN_GRANTED: NOTHING,
    AuditAction.ADMIN_REMOVED: NOTHING,
    # Admin relationships.
    AuditAction.ADMIN_CREATED: NOTHING,
    AuditAction.ADMIN_FINALIZED: NOTHING,
    AuditAction.ADMIN_SENT: Effects(email=_request_email("admin")),
    AuditAction.ADMIN_WITHDRAWN: NOTHING,
    AuditAction.ADMIN_APPROVED: Effects(
        webhook=_admin_relationship(WebhookEventName.ADMIN_APPROVED),
        customer_list=_refresh_pair,
        email=_tell_partner("approved"),
    ),
    AuditAction.ADMIN_DECLINED: Effects(email=_tell_partner("declined")),
    AuditAction.ADMIN_REFUSED: NOTHING,
    AuditAction.ADMIN_TERMINATED: Effects(
        webhook=_admin_relationship(WebhookEventName.ADMIN_TERMINATED),
        customer_list=_refresh_pair,
        email=_terminated,
    ),
    AuditAction.ADMIN_EXTENDED: NOTHING,
    AuditAction.ADMIN_REMINDED: Effects(webhook=_expired, email=_reminder),
    AuditAction.ADMIN_CHASED: Effects(email=_request_email("admin")),
    # Changes the partner makes without new consent: the list's "auto-extends", the customer told
    # of a role given up.
    AuditAction.ADMIN_AUTO_EXTEND_CHANGED: Effects(customer_list=_refresh_pair),
    AuditAction.ADMIN_ROLE_REMOVED: Effects(email=_role_removed),
    # Security groups and the roles they are given.
    AuditAction.GROUP_CREATED: NOTHING,
    AuditAction.GROUP_RENAMED: NOTHING,
    AuditAction.GROUP_MEMBER_ADDED: NOTHING,
    AuditAction.GROUP_MEMBER_REMOVED: NOTHING,
    AuditAction.ASSIGNMENT_CREATED: Effects(
        webhook=_access_assignment(WebhookEventName.ASSIGNMENT_CREATED)
    ),
    AuditAction.ASSIGNMENT_UPDATED: NOTHING,
    AuditAction.ASSIGNMENT_REMOVED: Effects(
        webhook=_access_assignment(WebhookEventName.ASSIGNMENT_DELETED)
    ),
    # Shown on the relationship, with its reason and Retry.
    AuditAction.ASSIGNMENT_FAILED: NOTHING,
    # Templates and bulk work.
    AuditAction.TEMPLATE_CREATED: NOTHING,
    AuditAction.TEMPLATE_CHANGED: NOTHING,
    AuditAction.BULK_JOB_STARTED: NOTHING,
    AuditAction.BULK_JOB_CANCELLED: NOTHING,
    AuditAction.BULK_JOB_FINISHED: Effects(webhook=_bulk_job_finished),
    # Subscriptions.
    AuditAction.SUBSCRIPTION_PURCHASED: NOTHING,
    AuditAction.SUBSCRIPTION_CHANGED: NOTHING,
    AuditAction.SUBSCRIPTION_SUSPENDED: NOTHING,
    AuditAction.SUBSCRIPTION_REACTIVATED: NOTHING,
    # Two tiers.
    AuditAction.PARTNERSHIP_REQUESTED: NOTHING,
    AuditAction.PARTNERSHIP_ACCEPTED: NOTHING,
    AuditAction.PARTNERSHIP_DECLINED: NOTHING,
    AuditAction.PARTNERSHIP_REMOVED: NOTHING,
    AuditAction.PROFILE_UPDATED: NOTHING,
    # Accounts.
    AuditAction.SIGNED_IN: NOTHING,
    AuditAction.SIGNED_OUT: NOTHING,
    AuditAction.SIGN_IN_FAILED: NOTHING,
    AuditAction.SIGN_IN_LOCKED: NOTHING,
    AuditAction.PASSWORD_CHANGED: NOTHING,
    AuditAction.MFA_VERIFIED: NOTHING,
    AuditAction.MFA_ADDED: NOTHING,
    AuditAction.MFA_REMOVED: NOTHING,
    AuditAction.MFA_RESET: NOTHING,
    AuditAction.RECOVERY_CODES_MADE: NOTHING,
    AuditAction.RECOVERY_CODE_USED: NOTHING,
    AuditAction.ROLES_CHANGED: NOTHING,
    AuditAction.USER_DEACTIVATED: NOTHING,
    AuditAction.USER_REACTIVATED: NOTHING,
    # Apps and webhooks.
    AuditAction.APP_REGISTERED: NOTHING,
    AuditAction.APP_REVOKED: NOTHING,
    AuditAction.WEBHOOK_CREATED: NOTHING,
    AuditAction.WEBHOOK_UPDATED: NOTHING,
    AuditAction.WEBHOOK_DEACTIVATED: NOTHING,
    AuditAction.WEBHOOK_REDELIVERED: NOTHING,
    # The operators' console.
    AuditAction.OPERATOR_ADDED: NOTHING,
    AuditAction.OPERATOR_CHANGED: Effects(customer_list=_renamed),
}


# How far back a change's date may be and still be news (a service given "now" a moment ago).
HISTORY = timedelta(minutes=10)


def missing_effects() -> set[AuditAction]:
    """The audit actions the table has no row for (it must have one for each)."""
    return set(AuditAction) - set(EFFECTS)


def record(
    action: AuditAction,
    *,
    actor=None,
    actor_tenant: Tenant | None = None,
    partner: Tenant | None = None,
    customer: Tenant | None = None,
    invitation: Invitation | None = None,
    details: dict | None = None,
    subject=None,
    at=None,
) -> AuditEvent:
    """Write the audit line of a change and do what its action's row says. Call it inside the
    service's transaction, after the change's writes. `at`: when it happened (now, unless the
    demo data writes history)."""
    [event] = record_many(
        [
            Line(
                action,
                actor=actor,
                actor_tenant=actor_tenant,
                partner=partner,
                customer=customer,
                invitation=invitation,
                details=details,
                subject=subject,
                at=at,
            )
        ]
    )
    return event


@dataclass
class Line:
    """One audit line to record (the arguments of `record`)."""

    action: AuditAction
    actor: object = None
    actor_tenant: Tenant | None = None
    partner: Tenant | None = None
    customer: Tenant | None = None
    invitation: Invitation | None = None
    details: dict | None = None
    subject: object = None
    at: object = None


def record_many(lines: list[Line]) -> list[AuditEvent]:
    """`record` for the lines of one change, written by one INSERT (a bulk job's request is
    created and finalized at once: two lines), each then doing what its action's row says."""
    for line in lines:
        if line.action not in EFFECTS:
            raise LookupError(
                f"{line.action} has no row in the record table (tenancy.effects.record)."
            )
    now = timezone.now()
    events = [
        AuditEvent(
            action=line.action,
            at=line.at or now,
            actor=line.actor,
            actor_label=line.actor.get_username() if line.actor else "",
            actor_tenant=line.actor_tenant,
            partner=line.partner,
            customer=line.customer,
            invitation=line.invitation,
            details=line.details or {},
        )
        for line in lines
    ]
    if len(events) == 1:
        events[0].save(force_insert=True)
    else:
        AuditEvent.objects.bulk_create(events)
    for line, event in zip(lines, events, strict=True):
        effects = EFFECTS[line.action]
        change = Change(event, line.subject)
        # A change dated well in the past (the demo's history) keeps the read model right but
        # announces nothing: nobody is sent today an email or an event about months ago.
        news = line.at is None or line.at >= now - HISTORY
        announced = (effects.webhook, effects.email) if news else ()
        for effect in (effects.customer_list, *announced):
            if effect is not None:
                effect(change)
    return events
