"""Admin relationships (GDAP): requested by a partner's Admin agent, approved or declined by the
customer's Global administrator, terminated by either side.

Every write is one transaction, recorded on the side that acted (the audit line names both
tenants, so each side's activity log shows it); what follows (webhooks, the Customer list,
emails) is the record table's. Security groups and their roles are in `security_groups`, time
(reminders, auto-extension) in `admin_relationship_time`.
"""

from dataclasses import dataclass, field
from datetime import timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from tenancy import rules
from tenancy.choices import AdminRelationshipStatus, AuditAction
from tenancy.effects.record import record_many
from tenancy.entra_roles import DEFAULT_AUTO_EXTEND, DEFAULT_DAYS, DEFAULT_ROLES
from tenancy.language import country_language, email_language
from tenancy.models import (
    AdminRelationship,
    Invitation,
    Membership,
    TemplateVersion,
    Tenant,
)
from tenancy.rules import Action, Decision
from tenancy.selectors.access_trace import access_paths, agent_roles
from tenancy.services.access_assignments import template_mappings_apply
from tenancy.services.admin_relationship_base import (
    AdminRequestInvalid,
    admin_line,
    already,
    close,
    end,
    locked,
    record_admin,
)
from tenancy.services.base import ServiceError, acting_member
from tenancy.services.request_links import ADMIN_REQUESTS


@dataclass(frozen=True)
class AdminRequest:
    name: str
    duration_days: int | None
    roles: list[str] = field(default_factory=list)
    auto_extend: bool = False


# --- The partner's side ------------------------------------------------------------------


def admin_request_problems(
    *,
    partner: Tenant,
    request: AdminRequest,
    customer: Tenant | None,
    template_version: TemplateVersion | None = None,
) -> dict[str, str]:
    """What is wrong with a request, by field (the rule's, and the customer's and template's
    being the partner's to ask for); empty when nothing is."""
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
    if (
        not problems
        and template_version is not None
        and template_version.template.partner_id != partner.pk
    ):
        problems["template"] = _("Choose one of your organization's templates.")
    return problems


def make_admin_request(
    *,
    partner: Tenant,
    created_by,
    request: AdminRequest,
    customer: Tenant | None,
    finalize: bool,
    language: str | None,
    template_version: TemplateVersion | None,
    now,
    upgrade_of: AdminRelationship | None = None,
) -> AdminRelationship:
    """Write a checked request and its lines, inside the caller's transaction (a name already
    taken raises IntegrityError: the unique constraint on (partner, lower(name)) decides). Made
    finalized, it is written as such at once, with its link. `upgrade_of`: the relationship it
    moves to `template_version` (tenancy.services.upgrades)."""
    relationship = AdminRelationship(
        # The email's language: as asked, else the customer's country's, else the agent's.
        language=email_language(
            language
            or (country_language(customer.country) if customer else None)
            or translation.get_language()
        ),
        partner=partner,
        customer=customer,
        name=request.name.strip(),
        roles=sorted(set(request.roles)),
        duration_days=request.duration_days,
        auto_extend=request.auto_extend,
        template_version=template_version,
        upgrade_of=upgrade_of,
        created_at=now,
        created_by=created_by,
    )
    if finalize:
        relationship.status = AdminRelationshipStatus.APPROVAL_PENDING
        relationship.finalized_at, relationship.finalized_by = now, created_by
        relationship.mint_token()
    # No savepoint: a caller that recovers from an error here (a name taken) rolls back its
    # own transaction (a bulk job's item, Request again's attempt) or had none open before.
    with transaction.atomic(savepoint=False):
        relationship.save(force_insert=True)
        lines = [
            admin_line(
                relationship,
                AuditAction.ADMIN_CREATED,
                created_by,
                partner,
                roles=relationship.roles,
                duration_days=relationship.duration_days,
                auto_extend=relationship.auto_extend,
                at=now,
            )
        ]
        if finalize:
            lines.append(
                admin_line(relationship, AuditAction.ADMIN_FINALIZED, created_by, partner, at=now)
            )
        record_many(lines)
    return relationship


def admin_relationship_create(
    *,
    partner: Tenant,
    created_by,
    request: AdminRequest,
    customer: Tenant | None = None,
    finalize: bool = False,
    language: str | None = None,
    template_version: TemplateVersion | None = None,
    now=None,
) -> AdminRelationship:
    """A new request (status created); with `finalize`, locked for approval at once, which is
    what Partner Center's **Finalize request** does. `template_version`: the template version it
    is made from (its mappings apply when the customer approves). `now`: when (the demo data's
    history)."""
    acting_member(created_by, partner, Action.MANAGE_ADMIN_RELATIONSHIPS)
    problems = admin_request_problems(
        partner=partner, request=request, customer=customer, template_version=template_version
    )
    if problems:
        raise AdminRequestInvalid(problems)
    name = request.name.strip()
    try:
        with transaction.atomic():
            if AdminRelationship.objects.filter(partner=partner, name__iexact=name).exists():
                raise IntegrityError("name taken")
            return make_admin_request(
                partner=partner,
                created_by=created_by,
                request=request,
                customer=customer,
                finalize=finalize,
                language=language,
                template_version=template_version,
                now=now or timezone.now(),
            )
    except IntegrityError:
        raise AdminRequestInvalid(
            {
                "name": _(
                    "Your organization already has an admin relationship named “%(name)s”. "
                    "Names are unique, even among ended relationships: choose another."
                )
                % {"name": name}
            },
            taken=True,
        ) from None


def admin_relationship_finalize_decision(relationship: AdminRelationship) -> Decision:
    if relationship.status != AdminRelationshipStatus.CREATED:
        return Decision(False, already(relationship), "not_created")
    return rules.ALLOWED


def admin_relationship_finalize(*, relationship: AdminRelationship, finalized_by, now=None):
    """Lock the request for approval: it gets its link and can no longer change."""
    acting_member(finalized_by, relationship.partner, Action.MANAGE_ADMIN_RELATIONSHIPS)
    with transaction.atomic():
        relationship = locked(relationship.pk)
        decision = admin_relationship_finalize_decision(relationship)
        if not decision:
            raise ServiceError(decision.reason, code=decision.code)
        now = now or timezone.now()
        relationship.status = AdminRelationshipStatus.APPROVAL_PENDING
        relationship.finalized_at = now
        relationship.finalized_by = finalized_by
        relationship.mint_token()
        relationship.save(
            update_fields=["status", "finalized_at", "finalized_by", "token_salt", "token_hash"]
        )
        record_admin(
            relationship, AuditAction.ADMIN_FINALIZED, finalized_by, relationship.partner, at=now
        )
    return relationship


def admin_relationship_send(*, relationship: AdminRelationship, sent_by, to: str) -> None:
    acting_member(sent_by, relationship.partner, Action.MANAGE_ADMIN_RELATIONSHIPS)
    ADMIN_REQUESTS.send(request=relationship, sent_by=sent_by, to=to)


def admin_relationship_withdraw_decision(relationship: AdminRelationship) -> Decision:
    """The partner takes back only a request the customer hasn't answered."""
    if relationship.status not in (
        AdminRelationshipStatus.CREATED,
        AdminRelationshipStatus.APPROVAL_PENDING,
    ):
        return Decision(False, already(relationship), "not_pending")
    return rules.ALLOWED


def admin_relationship_withdraw(*, relationship: AdminRelationship, withdrawn_by):
    """The partner takes back a request the customer hasn't answered."""
    acting_member(withdrawn_by, relationship.partner, Action.MANAGE_ADMIN_RELATIONSHIPS)
    with transaction.atomic():
        relationship = locked(relationship.pk)
        decision = admin_relationship_withdraw_decision(relationship)
        if not decision:
            raise ServiceError(decision.reason, code=decision.code)
        withdraw(relationship, by=withdrawn_by)
    return relationship


def withdraw(relationship: AdminRelationship, *, by, now=None) -> None:
    """Close a locked, checked request as withdrawn, and record it (one of a bulk job's, or
    Withdraw's)."""
    close(relationship, AdminRelationshipStatus.WITHDRAWN, by, relationship.partner, now)
    record_admin(relationship, AuditAction.ADMIN_WITHDRAWN, by, relationship.partner, at=now)


def admin_relationship_terminate_decision(
    relationship: AdminRelationship, *, by: Tenant
) -> Decision:
    """Either side ends a relationship in force; nobody else, and nothing already ended."""
    if by.pk not in (relationship.partner_id, relationship.customer_id):
        return Decision(False, _("This admin relationship isn't yours to end."), "not_party")
    if not relationship.is_in_force():
        return Decision(False, already(relationship), "not_active")
    return rules.ALLOWED


def admin_relationship_terminate(
    *, relationship: AdminRelationship, terminated_by, by: Tenant, now=None
):
    """End an active relationship at once. `by` is the side acting: the partner (Admin agent)
    or the customer (Global administrator, "Remove roles"). Its access assignments go with it."""
    if by.pk == relationship.partner_id:
        acting_member(terminated_by, by, Action.MANAGE_ADMIN_RELATIONSHIPS)
    elif by.pk == relationship.customer_id:
        acting_member(terminated_by, by, Action.REMOVE_ADMIN_ROLES)
    with transaction.atomic():
        relationship = locked(relationship.pk)
        decision = admin_relationship_terminate_decision(relationship, by=by)
        if not decision:
            raise ServiceError(decision.reason, code=decision.code)
        end(relationship, terminated_by, by, now=now or timezone.now())
    return relationship


# --- The customer's side -----------------------------------------------------------------


def admin_relationship_find(relationship_id, token: object) -> AdminRelationship | None:
    """The request a link names, if the link's token is the one issued for it."""
    return ADMIN_REQUESTS.find(token, relationship_id=relationship_id)


def admin_relationship_approve(
    *, relationship_id, user, portal_cloud: str, now=None
) -> AdminRelationship:
    """The customer's Global administrator approves every role asked for ("Approve all")."""
    with transaction.atomic():
        relationship, customer = ADMIN_REQUESTS.lock_for_answer(
            relationship_id, user, portal_cloud, now=now
        )
        now = now or timezone.now()
        relationship.customer = customer
        relationship.status = AdminRelationshipStatus.ACTIVE
        relationship.approved_at = now
        relationship.approved_by = user
        relationship.ends_at = now + timedelta(days=relationship.duration_days)
        relationship.save(
            update_fields=["customer", "status", "approved_at", "approved_by", "ends_at"]
        )
        record_admin(
            relationship,
            AuditAction.ADMIN_APPROVED,
            user,
            customer,
            roles=relationship.roles,
            ends_at=relationship.ends_at.isoformat(),
            at=now,
        )
        # Made from a template: its mappings give the partner's groups their roles now.
        template_mappings_apply(relationship=relationship, approved_by=user, now=now)
        if relationship.upgrade_of_id is not None:
            # An upgrade: the relationship it replaces ends in this same transaction (unless it
            # already has: the customer removed it meanwhile, or it ran out).
            replaced = locked(relationship.upgrade_of_id)
            if replaced.is_in_force(now):
                end(replaced, user, customer, now=now, replaced_by=str(relationship.pk))
    return relationship


def admin_relationship_decline(
    *, relationship_id, user, portal_cloud: str, now=None
) -> AdminRelationship:
    with transaction.atomic():
        relationship, customer = ADMIN_REQUESTS.lock_for_answer(
            relationship_id, user, portal_cloud, now=now
        )
        now = now or timezone.now()
        relationship.customer = customer
        relationship.save(update_fields=["customer"])
        close(relationship, AdminRelationshipStatus.DECLINED, user, customer, now=now)
        record_admin(relationship, AuditAction.ADMIN_DECLINED, user, customer, at=now)
    return relationship


def default_admin_relationship(
    *, invitation: Invitation, customer: Tenant, approved_by, now
) -> AdminRelationship:
    """What accepting a reseller request with "Include delegated administration permissions"
    grants: an admin relationship with the default roles and duration, approved by the same
    acceptance. Called inside the acceptance's transaction (which records it)."""
    relationship = AdminRelationship(
        partner=invitation.partner,
        customer=customer,
        roles=list(DEFAULT_ROLES),
        duration_days=DEFAULT_DAYS,
        auto_extend=DEFAULT_AUTO_EXTEND,
        status=AdminRelationshipStatus.ACTIVE,
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
    # The access trace's paths, so what the pages show and what the services allow are one
    # rule (tenancy.selectors.access_trace).
    return agent_roles(
        access_paths(
            partner=membership.tenant_id, membership=membership, customer=customer, now=now
        ),
        membership,
    )
