"""Admin relationships (GDAP): requested by a partner's Admin agent, approved or declined by the
customer's Global administrator, terminated by either side; the partner's security groups and
the roles each is given in a customer.

Every write is one transaction, audited on the side that acted (the audit line names both
tenants, so each side's activity log shows it); emails leave after commit.
"""

from dataclasses import dataclass, field
from datetime import timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from tenancy import rules, tokens
from tenancy.language import country_language, email_language
from tenancy.models import (
    AUTO_EXTEND_DAYS,
    DEFAULT_AUTO_EXTEND,
    DEFAULT_DAYS,
    DEFAULT_ROLES,
    REMINDERS,
    AccessAssignment,
    AdminRelationship,
    AdminRelationshipNotice,
    AdminRelationshipStatus,
    AuditAction,
    AuditEvent,
    Invitation,
    Membership,
    NoticeKind,
    Role,
    SecurityGroup,
    SecurityGroupMember,
    Tenant,
)
from tenancy.notifications import (
    email_on_commit,
    language_of,
    render_email,
    request_email_on_commit,
)
from tenancy.services import refusals
from tenancy.services.base import ServiceError, audit
from tenancy.services.customer_list import customer_list_refresh
from tenancy.services.refusals import InvitationRefused
from tenancy.services.webhooks import (
    WebhookEventName,
    access_assignment_webhook,
    admin_relationship_webhook,
)

S = AdminRelationshipStatus


class AdminRequestInvalid(ServiceError):
    """Field errors of an admin relationship request (or of an access assignment)."""

    def __init__(self, problems: dict[str, str]):
        field_name, message = next(iter(problems.items()))
        super().__init__(message, code=field_name)
        self.problems = problems


@dataclass(frozen=True)
class AdminRequest:
    name: str
    duration_days: int | None
    roles: list[str] = field(default_factory=list)
    auto_extend: bool = False


def _details(relationship: AdminRelationship, **more) -> dict:
    return {"relationship": str(relationship.id), "name": relationship.name, **more}


def _audit(relationship: AdminRelationship, action, actor, actor_tenant, **details):
    return audit(
        action=action,
        actor=actor,
        actor_tenant=actor_tenant,
        partner=relationship.partner,
        customer=relationship.customer,
        details=_details(relationship, **details),
    )


# --- The partner's side ------------------------------------------------------------------


def admin_relationship_create(
    *,
    partner: Tenant,
    created_by,
    request: AdminRequest,
    customer: Tenant | None = None,
    finalize: bool = False,
    language: str | None = None,
) -> AdminRelationship:
    """A new request (status created); with `finalize`, locked for approval at once, which is
    what Partner Center's **Finalize request** does."""
    problems = rules.admin_request_problems(
        name=request.name,
        duration_days=request.duration_days,
        roles=request.roles,
        auto_extend=request.auto_extend,
    )
    if not problems and customer is not None:
        decision = rules.may_administer(partner, customer)
        if not decision:
            problems["customer"] = decision.reason
    if problems:
        raise AdminRequestInvalid(problems)
    name = request.name.strip()
    now = timezone.now()
    relationship = AdminRelationship(
        # The email's language: as asked, else the customer's country's, else the agent's.
        language=email_language(
            language
            or (country_language(customer.country) if customer else None)
            or translation.get_language()
        ),
        partner=partner,
        customer=customer,
        name=name,
        roles=sorted(set(request.roles)),
        duration_days=request.duration_days,
        auto_extend=request.auto_extend,
        created_at=now,
        created_by=created_by,
    )
    try:
        with transaction.atomic():
            if AdminRelationship.objects.filter(partner=partner, name__iexact=name).exists():
                raise IntegrityError("name taken")
            # The unique constraint on (partner, lower(name)) decides a race between two.
            relationship.save(force_insert=True)
            _audit(
                relationship,
                AuditAction.ADMIN_CREATED,
                created_by,
                partner,
                roles=relationship.roles,
                duration_days=relationship.duration_days,
                auto_extend=relationship.auto_extend,
            )
            if finalize:
                relationship = admin_relationship_finalize(
                    relationship=relationship, finalized_by=created_by
                )
    except IntegrityError:
        raise AdminRequestInvalid(
            {
                "name": _(
                    "Your organization already has an admin relationship named “%(name)s”. "
                    "Names are unique, even among ended relationships: choose another."
                )
                % {"name": name}
            }
        ) from None
    return relationship


def admin_relationship_finalize(*, relationship: AdminRelationship, finalized_by):
    """Lock the request for approval: it gets its link and can no longer change."""
    with transaction.atomic():
        relationship = _locked(relationship.pk)
        if relationship.status != S.CREATED:
            raise ServiceError(_already(relationship), code="not_created")
        relationship.status = S.APPROVAL_PENDING
        relationship.finalized_at = timezone.now()
        relationship.finalized_by = finalized_by
        relationship.mint_token()
        relationship.save(
            update_fields=["status", "finalized_at", "finalized_by", "token_salt", "token_hash"]
        )
        _audit(relationship, AuditAction.ADMIN_FINALIZED, finalized_by, relationship.partner)
    return relationship


def admin_relationship_send(*, relationship: AdminRelationship, sent_by, to: str) -> None:
    if relationship.display_status() != S.APPROVAL_PENDING:
        raise ServiceError(
            _("Only a request waiting for approval can be sent."), code="not_pending"
        )
    reply_to = [sent_by.email] if sent_by.email else None
    with transaction.atomic():
        _audit(relationship, AuditAction.ADMIN_SENT, sent_by, relationship.partner, to=to)
        request_email_on_commit(relationship, [to], reply_to=reply_to)


def admin_relationship_withdraw(*, relationship: AdminRelationship, withdrawn_by):
    """The partner takes back a request the customer hasn't answered."""
    with transaction.atomic():
        relationship = _locked(relationship.pk)
        if relationship.status not in (S.CREATED, S.APPROVAL_PENDING):
            raise ServiceError(_already(relationship), code="not_pending")
        _close(relationship, S.WITHDRAWN, withdrawn_by, relationship.partner)
        _audit(relationship, AuditAction.ADMIN_WITHDRAWN, withdrawn_by, relationship.partner)
    return relationship


def admin_relationship_terminate(*, relationship: AdminRelationship, terminated_by, by: Tenant):
    """End an active relationship at once. `by` is the side acting: the partner (Admin agent)
    or the customer (Global administrator, "Remove roles"). Its access assignments go with it."""
    with transaction.atomic():
        relationship = _locked(relationship.pk)
        if by.pk not in (relationship.partner_id, relationship.customer_id):
            raise ServiceError(_("This admin relationship isn't yours to end."), code="not_party")
        if not relationship.is_in_force():
            raise ServiceError(_already(relationship), code="not_active")
        _close(relationship, S.TERMINATED, terminated_by, by)
        removed = AccessAssignment.objects.filter(
            relationship=relationship, removed_at__isnull=True
        ).update(removed_at=relationship.closed_at, removed_by=terminated_by)
        customer_list_refresh(partner=relationship.partner, customer=relationship.customer)
        _audit(
            relationship,
            AuditAction.ADMIN_TERMINATED,
            terminated_by,
            by,
            roles=relationship.roles,
            side="partner" if by.pk == relationship.partner_id else "customer",
            assignments_removed=removed,
        )
        admin_relationship_webhook(relationship, WebhookEventName.ADMIN_TERMINATED)
        if by.pk == relationship.partner_id:
            _email_customer_admins(relationship, "admin_relationship_terminated")
        else:
            _email_partner(relationship, "admin_relationship_answered", answer="terminated")
    return relationship


def _locked(pk) -> AdminRelationship:
    return (
        AdminRelationship.objects.select_for_update(of=("self",))
        .select_related("partner__country", "customer", "created_by", "finalized_by")
        .get(pk=pk)
    )


def _close(relationship: AdminRelationship, status, user, tenant: Tenant) -> None:
    relationship.status = status
    relationship.closed_at = timezone.now()
    relationship.closed_by = user
    relationship.closed_by_tenant = tenant
    relationship.save(update_fields=["status", "closed_at", "closed_by", "closed_by_tenant"])


def _already(relationship: AdminRelationship) -> str:
    status = relationship.display_status()
    if status == S.APPROVAL_PENDING:
        return _("This request is waiting for the customer's approval.")
    if status in (S.ACTIVE, S.EXPIRING):
        return _("This admin relationship is already active.")
    if status == S.EXPIRED:
        return _("This admin relationship has expired.")
    if status == S.DECLINED:
        return _("The customer declined this request.")
    if status == S.WITHDRAWN:
        return _("This request was withdrawn.")
    if status == S.TERMINATED:
        return _("This admin relationship was terminated.")
    return _("This request hasn't been finalized yet.")


# --- The customer's side -----------------------------------------------------------------


def admin_relationship_find(relationship_id, token: object) -> AdminRelationship | None:
    """The request a link names, if the link's token is the one issued for it."""
    if not tokens.looks_like_token(token):
        return None
    relationship = (
        AdminRelationship.objects.select_related("partner__country__market")
        .filter(pk=relationship_id, token_hash=tokens.hash_token(token))
        .first()
    )
    if relationship is None or not tokens.check_token(
        relationship.id, relationship.token_salt, token
    ):
        return None
    return relationship


def _lock_for_answer(relationship_id, user, portal_cloud: str):
    # The relationship row first, then the customer's (the order every answer takes): two
    # answers of one request run one after the other, and the second sees the first's.
    relationship = (
        AdminRelationship.objects.select_for_update(of=("self",))
        .select_related("partner__country__market", "customer", "created_by", "finalized_by")
        .filter(pk=relationship_id)
        .first()
    )
    if relationship is None:
        raise InvitationRefused(refusals.unknown_link_refusal())
    membership = Membership.objects.of_user(user)
    if membership is not None and membership.tenant.is_customer:
        Tenant.objects.select_for_update().filter(pk=membership.tenant_id).first()
    refusal = refusals.admin_request_refusal(
        relationship=relationship, membership=membership, portal_cloud=portal_cloud
    )
    if refusal is not None:
        raise InvitationRefused(refusal)
    return relationship, membership.tenant


def admin_relationship_approve(*, relationship_id, user, portal_cloud: str) -> AdminRelationship:
    """The customer's Global administrator approves every role asked for ("Approve all")."""
    with transaction.atomic():
        relationship, customer = _lock_for_answer(relationship_id, user, portal_cloud)
        now = timezone.now()
        relationship.customer = customer
        relationship.status = S.ACTIVE
        relationship.approved_at = now
        relationship.approved_by = user
        relationship.ends_at = now + timedelta(days=relationship.duration_days)
        relationship.save(
            update_fields=["customer", "status", "approved_at", "approved_by", "ends_at"]
        )
        customer_list_refresh(partner=relationship.partner, customer=customer)
        _audit(
            relationship,
            AuditAction.ADMIN_APPROVED,
            user,
            customer,
            roles=relationship.roles,
            ends_at=relationship.ends_at.isoformat(),
        )
        admin_relationship_webhook(relationship, WebhookEventName.ADMIN_APPROVED)
        _email_partner(relationship, "admin_relationship_answered", answer="approved")
    return relationship


def admin_relationship_decline(*, relationship_id, user, portal_cloud: str) -> AdminRelationship:
    with transaction.atomic():
        relationship, customer = _lock_for_answer(relationship_id, user, portal_cloud)
        relationship.customer = customer
        relationship.save(update_fields=["customer"])
        _close(relationship, S.DECLINED, user, customer)
        _audit(relationship, AuditAction.ADMIN_DECLINED, user, customer)
        _email_partner(relationship, "admin_relationship_answered", answer="declined")
    return relationship


def admin_relationship_record_refusal(
    *, relationship: AdminRelationship, refusal, user, membership: Membership | None
) -> None:
    """One audit line per organization and reason, as for reseller requests."""
    if refusal.code in ("unknown", "answered_here"):
        return
    customer = membership.tenant if membership and membership.tenant.is_customer else None
    seen = AuditEvent.objects.filter(
        action=AuditAction.ADMIN_REFUSED,
        partner=relationship.partner,
        customer=customer,
        details__relationship=str(relationship.id),
        details__reason=refusal.code,
    )
    if customer is None:
        seen = seen.filter(actor=user)
    if seen.exists():
        return
    audit(
        action=AuditAction.ADMIN_REFUSED,
        actor=user,
        actor_tenant=membership.tenant if membership else None,
        partner=relationship.partner,
        customer=customer,
        details=_details(relationship, reason=refusal.code, message=refusal.record),
    )


def default_admin_relationship(
    *, invitation: Invitation, customer: Tenant, approved_by, now
) -> AdminRelationship:
    """What accepting a reseller request with "Include delegated administration permissions"
    grants: an admin relationship with the default roles and duration, approved by the same
    acceptance. Called inside the acceptance's transaction."""
    partner = invitation.partner
    relationship = AdminRelationship(
        partner=partner,
        customer=customer,
        roles=list(DEFAULT_ROLES),
        duration_days=DEFAULT_DAYS,
        auto_extend=DEFAULT_AUTO_EXTEND,
        status=S.ACTIVE,
        invitation=invitation,
        created_at=invitation.created_at,
        created_by=invitation.created_by,
        finalized_at=invitation.created_at,
        finalized_by=invitation.created_by,
        approved_at=now,
        approved_by=approved_by,
        ends_at=now + timedelta(days=DEFAULT_DAYS),
    )
    relationship.name = default_name(relationship, customer)
    relationship.save(force_insert=True)
    return relationship


def default_name(relationship: AdminRelationship, customer: Tenant) -> str:
    """ "Default roles - Contoso - 1a2b3c4d": unique by its id, at most 50 characters."""
    suffix = f" - {relationship.id.hex[:8]}"
    return f"Default roles - {customer.name}"[: 50 - len(suffix)].rstrip() + suffix


# --- Who may do what in a customer -------------------------------------------------------


def agent_roles_in(membership: Membership, customer: Tenant, now=None) -> frozenset[str]:
    """The Microsoft Entra roles a partner's agent holds in `customer`: those its security
    groups were assigned on the partner's admin relationships in force there (and that the
    relationship still has). Nothing else gives any."""
    relationships = AdminRelationship.objects.in_force(now).filter(
        partner_id=membership.tenant_id, customer=customer
    )
    rows = AccessAssignment.objects.filter(
        removed_at__isnull=True,
        relationship__in=relationships,
        group__memberships__membership=membership,
    ).values_list("roles", "relationship__roles")
    held: set[str] = set()
    for assigned, granted in rows:
        held.update(set(assigned) & set(granted))
    return frozenset(held)


# --- Security groups ---------------------------------------------------------------------


def _clean_group_name(name: str) -> str:
    name = (name or "").strip()
    if not name:
        raise AdminRequestInvalid({"name": _("Enter a name for the security group.")})
    if len(name) > 120:
        raise AdminRequestInvalid({"name": _("Use at most 120 characters.")})
    if any(ord(c) < 32 or ord(c) == 127 for c in name):
        raise AdminRequestInvalid({"name": _("Use a single line without control characters.")})
    return name


def _group_name_taken(name: str) -> str:
    return _("There is already a security group named “%(name)s”.") % {"name": name}


def _group_name_free(partner: Tenant, name: str, exclude=None) -> None:
    taken = SecurityGroup.objects.filter(partner=partner, name__iexact=name)
    if exclude is not None:
        taken = taken.exclude(pk=exclude.pk)
    if taken.exists():
        raise AdminRequestInvalid({"name": _group_name_taken(name)})


def security_group_create(
    *, partner: Tenant, name: str, created_by, description: str = ""
) -> SecurityGroup:
    name = _clean_group_name(name)
    try:
        with transaction.atomic():
            _group_name_free(partner, name)
            group = SecurityGroup.objects.create(
                partner=partner,
                name=name,
                description=" ".join((description or "").split())[:300],
                created_by=created_by,
            )
            audit(
                action=AuditAction.GROUP_CREATED,
                actor=created_by,
                actor_tenant=partner,
                partner=partner,
                details={"group": str(group.id), "name": name},
            )
    except IntegrityError:
        raise AdminRequestInvalid({"name": _group_name_taken(name)}) from None
    return group


def security_group_rename(*, group: SecurityGroup, name: str, renamed_by) -> SecurityGroup:
    name = _clean_group_name(name)
    before = group.name
    if name == before:
        return group
    try:
        with transaction.atomic():
            _group_name_free(group.partner, name, exclude=group)
            group.name = name
            group.save(update_fields=["name"])
            audit(
                action=AuditAction.GROUP_RENAMED,
                actor=renamed_by,
                actor_tenant=group.partner,
                partner=group.partner,
                details={"group": str(group.id), "from": before, "to": name},
            )
    except IntegrityError:
        group.name = before
        raise AdminRequestInvalid({"name": _group_name_taken(name)}) from None
    return group


PARTNER_AGENT_ROLES = {Role.ADMIN_AGENT, Role.SALES_AGENT, Role.HELPDESK_AGENT, Role.GLOBAL_ADMIN}


def security_group_member_add(*, group: SecurityGroup, membership: Membership, added_by) -> None:
    if membership.tenant_id != group.partner_id:
        raise AdminRequestInvalid(
            {"member": _("Only your organization's own users can be members.")}
        )
    with transaction.atomic():
        _member, created = SecurityGroupMember.objects.get_or_create(
            group=group, membership=membership, defaults={"added_by": added_by}
        )
        if not created:
            raise AdminRequestInvalid(
                {
                    "member": _("%(user)s is already a member.")
                    % {"user": membership.user.get_username()}
                }
            )
        audit(
            action=AuditAction.GROUP_MEMBER_ADDED,
            actor=added_by,
            actor_tenant=group.partner,
            partner=group.partner,
            details={
                "group": str(group.id),
                "name": group.name,
                "member": membership.user.get_username(),
            },
        )


def security_group_member_remove(
    *, group: SecurityGroup, membership: Membership, removed_by
) -> None:
    with transaction.atomic():
        rows = SecurityGroupMember.objects.filter(group=group, membership=membership)
        deleted, _by_model = rows.delete()
        if not deleted:
            raise ServiceError(
                _("%(user)s is not a member of %(group)s.")
                % {"user": membership.user.get_username(), "group": group.name},
                code="not_member",
            )
        audit(
            action=AuditAction.GROUP_MEMBER_REMOVED,
            actor=removed_by,
            actor_tenant=group.partner,
            partner=group.partner,
            details={
                "group": str(group.id),
                "name": group.name,
                "member": membership.user.get_username(),
            },
        )


# --- Access assignments ------------------------------------------------------------------


def access_assignment_create(
    *, relationship: AdminRelationship, group: SecurityGroup, roles, created_by
) -> AccessAssignment:
    """Give one of the partner's security groups some of an active relationship's roles."""
    if group.partner_id != relationship.partner_id:
        raise AdminRequestInvalid(
            {"group": _("Choose one of your organization's security groups.")}
        )
    with transaction.atomic():
        relationship = _locked(relationship.pk)
        _assignable(relationship)
        problems = rules.assignment_problems(roles=roles, relationship_roles=relationship.roles)
        if problems:
            raise AdminRequestInvalid(problems)
        if AccessAssignment.objects.filter(
            relationship=relationship, group=group, removed_at__isnull=True
        ).exists():
            raise AdminRequestInvalid(
                {
                    "group": _("%(group)s already has roles in this relationship: edit them.")
                    % {"group": group.name}
                }
            )
        assignment = AccessAssignment.objects.create(
            relationship=relationship,
            group=group,
            roles=sorted(set(roles)),
            created_by=created_by,
        )
        _audit(
            relationship,
            AuditAction.ASSIGNMENT_CREATED,
            created_by,
            relationship.partner,
            group=group.name,
            roles=assignment.roles,
        )
        access_assignment_webhook(relationship, assignment, WebhookEventName.ASSIGNMENT_CREATED)
    return assignment


def access_assignment_update(
    *, assignment: AccessAssignment, roles, updated_by
) -> AccessAssignment:
    with transaction.atomic():
        relationship = _locked(assignment.relationship_id)
        assignment = (
            AccessAssignment.objects.select_for_update()
            .select_related("group")
            .get(pk=assignment.pk)
        )
        if assignment.removed_at is not None:
            raise ServiceError(
                _("These roles were already removed from the group."), code="removed"
            )
        _assignable(relationship)
        problems = rules.assignment_problems(roles=roles, relationship_roles=relationship.roles)
        if problems:
            raise AdminRequestInvalid(problems)
        before = assignment.roles
        assignment.roles = sorted(set(roles))
        assignment.updated_at = timezone.now()
        assignment.save(update_fields=["roles", "updated_at"])
        _audit(
            relationship,
            AuditAction.ASSIGNMENT_UPDATED,
            updated_by,
            relationship.partner,
            group=assignment.group.name,
            before=before,
            roles=assignment.roles,
        )
    return assignment


def access_assignment_remove(*, assignment: AccessAssignment, removed_by) -> None:
    with transaction.atomic():
        relationship = _locked(assignment.relationship_id)
        assignment = (
            AccessAssignment.objects.select_for_update()
            .select_related("group")
            .get(pk=assignment.pk)
        )
        if assignment.removed_at is not None:
            raise ServiceError(
                _("These roles were already removed from the group."), code="removed"
            )
        assignment.removed_at = timezone.now()
        assignment.removed_by = removed_by
        assignment.save(update_fields=["removed_at", "removed_by"])
        _audit(
            relationship,
            AuditAction.ASSIGNMENT_REMOVED,
            removed_by,
            relationship.partner,
            group=assignment.group.name,
            roles=assignment.roles,
        )
        access_assignment_webhook(relationship, assignment, WebhookEventName.ASSIGNMENT_DELETED)


def _assignable(relationship: AdminRelationship) -> None:
    if not relationship.is_in_force():
        raise ServiceError(
            # Translators: %(status)s is a sentence about the relationship's state ("This admin
            # relationship has expired.").
            _("Security groups get roles only on an active admin relationship. %(status)s")
            % {"status": _already(relationship)},
            code="not_active",
        )


# --- Time: reminders and auto-extend -----------------------------------------------------


@dataclass
class TimeRun:
    reminders: int = 0
    expired: int = 0
    extended: int = 0


def admin_relationship_time(now=None) -> TimeRun:
    """Send each due reminder (30, 7 and 1 days before the end, and once expired) to the
    partner's Admin agents, and record each auto-extension. Idempotent: a notice is recorded
    for the end it was about, so a second run for the same moment sends and extends nothing."""
    now = now or timezone.now()
    run = TimeRun()
    horizon = now + timedelta(days=REMINDERS[0][1])
    # Auto-extending relationships whose end has come: move the end on.
    due_extension = AdminRelationship.objects.filter(
        status=S.ACTIVE, auto_extend=True, ends_at__lte=now
    ).values_list("pk", flat=True)
    for pk in due_extension.iterator():
        if _extend(pk, now):
            run.extended += 1
    # Fixed-end relationships ending within 30 days, or ended (not yet told).
    ending = (
        AdminRelationship.objects.filter(status=S.ACTIVE, auto_extend=False, ends_at__lte=horizon)
        .exclude(notices__kind=NoticeKind.EXPIRED)
        .values_list("pk", flat=True)
    )
    for pk in ending.iterator():
        kind = _remind(pk, now)
        if kind == NoticeKind.EXPIRED:
            run.expired += 1
        elif kind is not None:
            run.reminders += 1
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
        relationship = _locked(pk)
        if relationship.status != S.ACTIVE or relationship.auto_extend:
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
        recipients = _admin_agent_emails(relationship.partner)
        AdminRelationshipNotice.objects.create(
            relationship=relationship,
            kind=kind,
            ends_at=relationship.ends_at,
            sent_at=now,
            recipients=len(recipients),
        )
        _audit(
            relationship,
            AuditAction.ADMIN_REMINDED,
            None,
            None,
            notice=kind,
            ends_at=relationship.ends_at.isoformat(),
            recipients=len(recipients),
        )
        if kind == NoticeKind.EXPIRED:
            admin_relationship_webhook(relationship, WebhookEventName.ADMIN_EXPIRED)
        if recipients:
            content = render_email(
                "admin_relationship_reminder",
                {
                    "relationship": relationship,
                    "partner": relationship.partner,
                    "customer": relationship.customer,
                    "kind": kind,
                    "expired": kind == NoticeKind.EXPIRED,
                    "days": dict(REMINDERS).get(kind),
                },
                # To the partner's Admin agents: in the language of the agent who asked.
                language=language_of(relationship.finalized_by or relationship.created_by),
            )
            email_on_commit(content, recipients)
    return kind


def _extend(pk, now) -> bool:
    with transaction.atomic():
        relationship = _locked(pk)
        if not (relationship.status == S.ACTIVE and relationship.auto_extend):
            return False
        if relationship.ends_at > now:
            return False  # another run extended it already
        before = relationship.ends_at
        AdminRelationshipNotice.objects.create(
            relationship=relationship, kind=NoticeKind.EXTENDED, ends_at=before, sent_at=now
        )
        relationship.ends_at = relationship.current_end(now)
        relationship.save(update_fields=["ends_at"])
        _audit(
            relationship,
            AuditAction.ADMIN_EXTENDED,
            None,
            None,
            days=AUTO_EXTEND_DAYS,
            before=before.isoformat(),
            ends_at=relationship.ends_at.isoformat(),
        )
    return True


# --- Email -------------------------------------------------------------------------------


def _admin_agent_emails(partner: Tenant) -> list[str]:
    return sorted(
        set(
            Membership.objects.filter(
                tenant=partner, role_rows__role=Role.ADMIN_AGENT, user__is_active=True
            )
            .exclude(user__email="")
            .values_list("user__email", flat=True)
        )
    )


def _email_partner(relationship: AdminRelationship, template: str, *, answer: str) -> None:
    """Tell the agent who made the request (or, for a default one, the Admin agents)."""
    agent = relationship.finalized_by or relationship.created_by
    recipients = [agent.email] if agent and agent.email else []
    if not recipients:
        recipients = _admin_agent_emails(relationship.partner)
    if not recipients:
        return
    content = render_email(
        template,
        {
            "relationship": relationship,
            "partner": relationship.partner,
            "customer": relationship.customer,
            "answer": answer,
        },
        language=language_of(agent) if agent and agent.email else None,
    )
    email_on_commit(content, recipients)


def _email_customer_admins(relationship: AdminRelationship, template: str) -> None:
    recipients = sorted(
        set(
            Membership.objects.filter(
                tenant=relationship.customer,
                role_rows__role=Role.CUSTOMER_GLOBAL_ADMIN,
                user__is_active=True,
            )
            .exclude(user__email="")
            .values_list("user__email", flat=True)
        )
    )
    if not recipients:
        return
    content = render_email(
        template,
        {
            "relationship": relationship,
            "partner": relationship.partner,
            "customer": relationship.customer,
        },
        # The language the request was written to the customer in.
        language=relationship.language,
    )
    email_on_commit(content, recipients)
