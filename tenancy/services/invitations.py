"""Reseller relationship requests: made and sent by a partner, opened and answered by a customer.

The link, its email, the rule that says who can answer and the lines that record opening and
refusals are the request kind's (tenancy.services.request_links, RESELLER_REQUESTS); the writes
are here.
"""

from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from tenancy import rules
from tenancy.choices import AuditAction, FormedBy, InvitationStatus
from tenancy.effects.record import record
from tenancy.language import email_language
from tenancy.models import (
    AdminRelationship,
    AgreementAcceptance,
    Invitation,
    Membership,
    ResellerRelationship,
    Tenant,
)
from tenancy.rules import Action, Decision
from tenancy.services.admin_relationship_base import lifetime_details
from tenancy.services.admin_relationships import default_admin_relationship
from tenancy.services.agreements import Signer, record_agreement
from tenancy.services.base import ServiceError, acting_member
from tenancy.services.partnerships import partnership_decision
from tenancy.services.request_links import RESELLER_REQUESTS


def invitation_create(
    *,
    partner: Tenant,
    created_by,
    include_admin: bool,
    label: str = "",
    recipient_email: str = "",
    indirect_provider: Tenant | None = None,
    acting_partner: Tenant | None = None,
    language: str | None = None,
    now=None,
) -> Invitation:
    """A request with its link. An indirect reseller's request names one of its indirect
    providers (`indirect_provider`): accepting it makes the customer both partners'.

    `acting_partner` is the organization of `created_by` when it is not `partner`: an indirect
    provider making the request for one of its resellers (through the API). Both partners'
    activity logs then show it, done by the provider. `now`: when (the demo data's history)."""
    acting_partner = acting_partner or partner
    include_admin = _request_allowed(
        partner=partner,
        created_by=created_by,
        include_admin=include_admin,
        indirect_provider=indirect_provider,
        acting_partner=acting_partner,
    )
    with transaction.atomic():
        return _invitation_insert(
            partner=partner,
            created_by=created_by,
            include_admin=include_admin,
            label=label,
            recipient_email=recipient_email,
            indirect_provider=indirect_provider,
            acting_partner=acting_partner,
            # The email's language: as asked, else the one the agent works in.
            language=email_language(language or translation.get_language()),
            now=now or timezone.now(),
        )


def invitation_open_general(
    *,
    partner: Tenant,
    created_by,
    include_admin: bool,
    indirect_provider: Tenant | None = None,
    acting_partner: Tenant | None = None,
    language: str | None = None,
) -> Invitation:
    """The general-purpose request `created_by` (an app's principal) has open for these terms
    (partner, indirect provider, delegated admin, email language): one with no label and no
    recipient, still pending and unexpired, whose link can still be shown. Made, and audited,
    only when there is none, so asking again (a retry, a crawler) adds no request; once it is
    answered, revoked or has expired, the next call makes a new one. The rules are those of
    `invitation_create`, checked on every call (a partnership that ended refuses even an open
    one)."""
    acting_partner = acting_partner or partner
    include_admin = _request_allowed(
        partner=partner,
        created_by=created_by,
        include_admin=include_admin,
        indirect_provider=indirect_provider,
        acting_partner=acting_partner,
    )
    language = email_language(language or translation.get_language())
    with transaction.atomic():
        # Two calls at once must not both find none and both make one: they queue on the acting
        # partner's row. FOR NO KEY UPDATE, so rows inserted meanwhile that point at the partner
        # (its requests, its audit lines) are not held up by it.
        Tenant.objects.select_for_update(no_key=True).filter(pk=acting_partner.pk).first()
        now = timezone.now()
        open_ones = Invitation.objects.filter(
            partner=partner,
            indirect_provider=indirect_provider,
            created_by=created_by,
            include_admin=include_admin,
            language=language,
            label="",
            recipient_email="",
            status=InvitationStatus.PENDING,
            expires_at__gt=now,
        ).order_by("-created_at", "-pk")
        for invitation in open_ones:
            # A link made under a key since retired can't be shown again: not one to hand out.
            if invitation.token() is not None:
                return invitation
        return _invitation_insert(
            partner=partner,
            created_by=created_by,
            include_admin=include_admin,
            indirect_provider=indirect_provider,
            acting_partner=acting_partner,
            language=language,
            now=now,
        )


def _request_allowed(
    *,
    partner: Tenant,
    created_by,
    include_admin: bool,
    indirect_provider: Tenant | None,
    acting_partner: Tenant,
) -> bool:
    """Raise if `created_by` may not make this request; its delegated admin choice as it will
    be (a US Government partner's always includes it)."""
    acting_member(created_by, acting_partner, Action.REQUEST_RELATIONSHIP)
    if rules.admin_permissions_required(partner):
        include_admin = True
    if indirect_provider is not None or rules.partnership_side(partner) == "reseller":
        _check_two_tier(partner, indirect_provider)
    return include_admin


def _invitation_insert(
    *,
    partner: Tenant,
    created_by,
    include_admin: bool,
    indirect_provider: Tenant | None,
    acting_partner: Tenant,
    language: str,
    now,
    label: str = "",
    recipient_email: str = "",
) -> Invitation:
    """Save a new request and record it (in the caller's transaction)."""
    invitation = Invitation(
        created_at=now,
        expires_at=now + timedelta(days=settings.INVITATION_VALID_DAYS),
        partner=partner,
        indirect_provider=indirect_provider,
        created_by=created_by,
        include_admin=include_admin,
        language=language,
        label=label.strip(),
        recipient_email=recipient_email.strip(),
    )
    invitation.mint_token()
    invitation.save(force_insert=True)
    for logged in dict.fromkeys([partner, acting_partner]):
        record(
            AuditAction.INVITATION_CREATED,
            actor=created_by,
            actor_tenant=acting_partner,
            partner=logged,
            invitation=invitation,
            details={
                "include_admin": include_admin,
                "label": invitation.label,
                **({"indirect_provider": indirect_provider.name} if indirect_provider else {}),
            },
            at=now,
        )
    return invitation


def _check_two_tier(reseller: Tenant, provider: Tenant | None) -> None:
    """An indirect reseller's request names an indirect provider it partners with."""
    if rules.partnership_side(reseller) != "reseller":
        raise ServiceError(
            _("%(reseller)s is not an indirect reseller: its requests name no indirect provider.")
            % {"reseller": reseller.name},
            code="not_reseller",
        )
    if provider is None:
        raise ServiceError(
            _("Choose the indirect provider this customer will buy through."), code="provider"
        )
    decision = partnership_decision(provider, reseller)
    if not decision:
        raise ServiceError(decision.reason, code=decision.code)


def invitation_send(*, invitation: Invitation, sent_by, to: str) -> None:
    """Email the request to `to`, once the transaction that records it has committed."""
    acting_member(sent_by, invitation.partner, Action.REQUEST_RELATIONSHIP)
    RESELLER_REQUESTS.send(request=invitation, sent_by=sent_by, to=to)


def invitation_revoke_decision(invitation: Invitation) -> Decision:
    """May the request still be revoked? Only while it waits for an answer."""
    if invitation.status != InvitationStatus.PENDING:
        return Decision(False, _already(invitation.status), "not_pending")
    if invitation.is_expired():
        return Decision(
            False, _("This request has expired; there is nothing to revoke."), "expired"
        )
    return rules.ALLOWED


def invitation_revoke(*, invitation: Invitation, revoked_by, now=None) -> Invitation:
    acting_member(revoked_by, invitation.partner, Action.REVOKE_REQUEST)
    with transaction.atomic():
        # Locked so that a revocation and an acceptance of the same link cannot both win.
        invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
        decision = invitation_revoke_decision(invitation)
        if not decision:
            raise ServiceError(decision.reason, code=decision.code)
        now = now or timezone.now()
        invitation.status = InvitationStatus.REVOKED
        invitation.revoked_at = now
        invitation.revoked_by = revoked_by
        invitation.save(update_fields=["status", "revoked_at", "revoked_by"])
        record(
            AuditAction.INVITATION_REVOKED,
            actor=revoked_by,
            actor_tenant=invitation.partner,
            partner=invitation.partner,
            invitation=invitation,
            at=now,
        )
    return invitation


def _already(status: str) -> str:
    """Why an answered or revoked request can't be revoked."""
    return {
        InvitationStatus.ACCEPTED: _("This request was already accepted."),
        InvitationStatus.DECLINED: _("This request was already declined."),
        InvitationStatus.REVOKED: _("This request was already revoked."),
    }[status]


def invitation_find(token: object) -> Invitation | None:
    """The invitation a link's token was issued for, or None for an unknown or mangled token."""
    return RESELLER_REQUESTS.find(token)


def invitation_record_open(*, invitation: Invitation, membership: Membership | None) -> None:
    """A signed-in person of a customer organization views the request (the partner then sees
    "opened"); anyone else, or a link fetched by a mail gateway, records nothing."""
    RESELLER_REQUESTS.record_open(request=invitation, membership=membership)


@dataclass(frozen=True)
class Acceptance:
    invitation: Invitation
    reseller_relationship: ResellerRelationship
    admin_relationship: AdminRelationship | None
    agreement: AgreementAcceptance
    # A two-tier request: the indirect provider's relationship with the customer, and whether
    # this acceptance made it (False when the provider already was the customer's reseller).
    provider_relationship: ResellerRelationship | None = None
    provider_added: bool = False


def invitation_accept(
    *,
    invitation_id,
    user,
    signer: Signer,
    client_ip: str | None,
    portal_cloud: str,
) -> Acceptance:
    """The customer accepts the agreement and the request: one transaction, all rules re-checked.

    A two-tier request makes both partners the customer's at once: the indirect provider its
    reseller of record (unless it already is), the indirect reseller linked through it."""
    with transaction.atomic():
        invitation, customer = RESELLER_REQUESTS.lock_for_answer(invitation_id, user, portal_cloud)
        decision = rules.billing_address_first(customer)
        if not decision:
            raise ServiceError(decision.reason, code=decision.code)
        partner, provider = invitation.partner, invitation.indirect_provider
        now = timezone.now()
        agreement = record_agreement(
            customer,
            signer,
            recorded_by=user,
            recorded_at=now,
            client_ip=client_ip,
            invitation=invitation,
        )
        # (action, the line's partner, details, subject), written once everything is.
        lines = []
        provider_relationship, provider_added = None, False
        if provider is not None:
            provider_relationship = (
                ResellerRelationship.objects.active().between(provider, customer).first()
            )
            provider_added = provider_relationship is None
        invitation.status = InvitationStatus.ACCEPTED
        invitation.answered_at = now
        invitation.answered_by = user
        invitation.answered_tenant = customer
        invitation.save(update_fields=["status", "answered_at", "answered_by", "answered_tenant"])
        accepted = {"include_admin": invitation.include_admin}
        if provider is not None:
            accepted["indirect_provider"] = provider.name
        lines.append((AuditAction.INVITATION_ACCEPTED, partner, accepted, invitation))
        version = {"version": agreement.version}
        lines.append((AuditAction.AGREEMENT_ACCEPTED, partner, version, None))
        if provider_added:
            provider_relationship = ResellerRelationship.objects.create(
                partner=provider,
                customer=customer,
                formed_by=FormedBy.INVITATION,
                invitation=invitation,
                created_at=now,
                created_by=user,
            )
        reseller = ResellerRelationship.objects.active().between(partner, customer).first()
        if reseller is None:
            reseller = ResellerRelationship.objects.create(
                partner=partner,
                customer=customer,
                indirect_provider=provider,
                formed_by=FormedBy.INVITATION,
                invitation=invitation,
                created_at=now,
                created_by=user,
            )
            details = {"formed_by": FormedBy.INVITATION}
            if provider is not None:
                details["indirect_provider"] = provider.name
            lines.append((AuditAction.RESELLER_STARTED, partner, details, reseller))
        admin = None
        if invitation.include_admin:
            admin = (
                AdminRelationship.objects.in_force(now)
                .filter(partner=partner, customer=customer)
                .first()
            )
            if admin is None:
                admin = default_admin_relationship(
                    invitation=invitation, customer=customer, approved_by=user, now=now
                )
                lines.append((AuditAction.ADMIN_APPROVED, partner, lifetime_details(admin), admin))
        if provider is not None:
            lines.append(
                (
                    AuditAction.INVITATION_ACCEPTED,
                    provider,
                    {"indirect_reseller": partner.name, "provider_added": provider_added},
                    invitation,
                )
            )
            if provider_added:
                lines.append(
                    (
                        AuditAction.RESELLER_STARTED,
                        provider,
                        {"formed_by": FormedBy.INVITATION, "indirect_reseller": partner.name},
                        provider_relationship,
                    )
                )
        for action, tier, details, subject in lines:
            record(
                action,
                actor=user,
                actor_tenant=customer,
                partner=tier,
                customer=customer,
                invitation=invitation,
                details=details,
                subject=subject,
            )
    return Acceptance(invitation, reseller, admin, agreement, provider_relationship, provider_added)


def invitation_decline(*, invitation_id, user, portal_cloud: str) -> Invitation:
    with transaction.atomic():
        invitation, customer = RESELLER_REQUESTS.lock_for_answer(invitation_id, user, portal_cloud)
        invitation.status = InvitationStatus.DECLINED
        invitation.answered_at = timezone.now()
        invitation.answered_by = user
        invitation.answered_tenant = customer
        invitation.save(update_fields=["status", "answered_at", "answered_by", "answered_tenant"])
        record(
            AuditAction.INVITATION_DECLINED,
            actor=user,
            actor_tenant=customer,
            partner=invitation.partner,
            customer=customer,
            invitation=invitation,
            subject=invitation,
        )
    return invitation
