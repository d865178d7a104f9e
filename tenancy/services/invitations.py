"""Reseller relationship requests: made and sent by a partner, opened and answered by a customer."""

from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from tenancy import rules, tokens
from tenancy.language import email_language
from tenancy.models import (
    AdminRelationship,
    AgreementAcceptance,
    AuditAction,
    FormedBy,
    Invitation,
    InvitationStatus,
    Membership,
    Partnership,
    ResellerRelationship,
    Tenant,
)
from tenancy.notifications import (
    email_on_commit,
    language_of,
    render_email,
    request_email_on_commit,
)
from tenancy.services import refusals
from tenancy.services.admin_relationships import default_admin_relationship
from tenancy.services.agreements import Signer, record_agreement
from tenancy.services.base import ServiceError, audit
from tenancy.services.customer_list import customer_list_refresh
from tenancy.services.partnerships import partnership_decision
from tenancy.services.refusals import InvitationRefused
from tenancy.services.webhooks import (
    WebhookEventName,
    admin_relationship_webhook,
    indirect_reseller_webhook,
    reseller_webhook,
)


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
) -> Invitation:
    """A request with its link. An indirect reseller's request names one of its indirect
    providers (`indirect_provider`): accepting it makes the customer both partners'.

    `acting_partner` is the organization of `created_by` when it is not `partner`: an indirect
    provider making the request for one of its resellers (through the API). Both partners'
    activity logs then show it, done by the provider."""
    if rules.admin_permissions_required(partner):
        include_admin = True
    if indirect_provider is not None or rules.partnership_side(partner) == "reseller":
        _check_two_tier(partner, indirect_provider)
    now = timezone.now()
    invitation = Invitation(
        created_at=now,
        expires_at=now + timedelta(days=settings.INVITATION_VALID_DAYS),
        partner=partner,
        indirect_provider=indirect_provider,
        created_by=created_by,
        include_admin=include_admin,
        # The email's language: as asked, else the one the agent works in.
        language=email_language(language or translation.get_language()),
        label=label.strip(),
        recipient_email=recipient_email.strip(),
    )
    invitation.mint_token()
    with transaction.atomic():
        invitation.save(force_insert=True)
        acting_partner = acting_partner or partner
        for logged in dict.fromkeys([partner, acting_partner]):
            audit(
                action=AuditAction.INVITATION_CREATED,
                actor=created_by,
                actor_tenant=acting_partner,
                partner=logged,
                invitation=invitation,
                details={
                    "include_admin": include_admin,
                    "label": invitation.label,
                    **({"indirect_provider": indirect_provider.name} if indirect_provider else {}),
                },
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
    if not invitation.is_open:
        raise ServiceError(_("Only a pending request can be sent."), code="not_open")
    invitation.token()  # LinkUnavailable now, not in the worker, if it can't be shown again
    reply_to = [sent_by.email] if sent_by.email else None
    with transaction.atomic():
        audit(
            action=AuditAction.INVITATION_SENT,
            actor=sent_by,
            actor_tenant=invitation.partner,
            partner=invitation.partner,
            invitation=invitation,
            details={"to": to},
        )
        request_email_on_commit(invitation, [to], reply_to=reply_to)


def invitation_revoke(*, invitation: Invitation, revoked_by) -> Invitation:
    with transaction.atomic():
        # Locked so that a revocation and an acceptance of the same link cannot both win.
        invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
        if invitation.status != InvitationStatus.PENDING:
            raise ServiceError(_already(invitation.status), code="not_pending")
        if invitation.is_expired():
            raise ServiceError(_("This request has expired; there is nothing to revoke."))
        invitation.status = InvitationStatus.REVOKED
        invitation.revoked_at = timezone.now()
        invitation.revoked_by = revoked_by
        invitation.save(update_fields=["status", "revoked_at", "revoked_by"])
        audit(
            action=AuditAction.INVITATION_REVOKED,
            actor=revoked_by,
            actor_tenant=invitation.partner,
            partner=invitation.partner,
            invitation=invitation,
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
    if not tokens.looks_like_token(token):
        return None
    invitation = (
        Invitation.objects.select_related(
            "partner__country__market", "indirect_provider__country__market", "created_by"
        )
        .filter(token_hash=tokens.hash_token(token))
        .first()
    )
    if invitation is None or not tokens.check_token(invitation.id, invitation.token_salt, token):
        return None
    return invitation


def invitation_record_open(
    *, invitation: Invitation, user=None, membership: Membership | None = None
) -> None:
    """Record the first opening of the link (the partner then sees "opened").

    The partner's own people checking the link do not count as the customer opening it.
    Pass the request's `membership` when there is one; it is looked up otherwise.
    """
    if membership is None and user is not None:
        membership = Membership.objects.of_user(user)
    if membership is not None and membership.tenant_id == invitation.partner_id:
        return
    now = timezone.now()
    with transaction.atomic():
        first = Invitation.objects.filter(pk=invitation.pk, opened_at__isnull=True).update(
            opened_at=now
        )
        if first:
            invitation.opened_at = now
            audit(
                action=AuditAction.INVITATION_OPENED,
                actor=user if user and user.is_authenticated else None,
                partner=invitation.partner,
                invitation=invitation,
            )


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


def _lock_for_answer(invitation_id, user, portal_cloud: str) -> tuple[Invitation, Tenant]:
    # The invitation row is locked first, then the customer's: every answer to a request takes
    # them in this order, so two acceptances of one link — or of two links by one customer —
    # run one after the other and the second sees what the first did.
    invitation = (
        Invitation.objects.select_for_update(of=("self",))
        .select_related(
            "partner__country__market", "indirect_provider__country__market", "created_by"
        )
        .filter(pk=invitation_id)
        .first()
    )
    if invitation is None:
        raise InvitationRefused(refusals.unknown_link_refusal())
    if invitation.is_indirect:
        # A two-tier request: the partnership next, before the customer, as Remove partnership
        # takes them (partnership, then each customer), so the two never wait on each other in
        # a circle; whichever comes second sees what the first did.
        list(
            Partnership.objects.select_for_update()
            .filter(provider=invitation.indirect_provider_id, reseller=invitation.partner_id)
            .order_by("pk")
            .values_list("pk", flat=True)
        )
    membership = Membership.objects.of_user(user)
    if membership is not None and membership.tenant.is_customer:
        Tenant.objects.select_for_update().filter(pk=membership.tenant_id).first()
    # Called through the module so the concurrency tests can slow this very check down.
    refusal = refusals.invitation_refusal(
        invitation=invitation, membership=membership, portal_cloud=portal_cloud
    )
    if refusal is not None:
        raise InvitationRefused(refusal)
    return invitation, membership.tenant


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
        invitation, customer = _lock_for_answer(invitation_id, user, portal_cloud)
        decision = rules.billing_address_first(customer)
        if not decision:
            raise ServiceError(decision.reason, code=decision.code)
        partner = invitation.partner
        provider = invitation.indirect_provider
        now = timezone.now()
        agreement = record_agreement(
            customer,
            signer,
            recorded_by=user,
            recorded_at=now,
            client_ip=client_ip,
            invitation=invitation,
        )
        events = [(AuditAction.AGREEMENT_ACCEPTED, {"version": agreement.version})]
        provider_events = []
        provider_relationship, provider_added = None, False
        if provider is not None:
            provider_relationship = (
                ResellerRelationship.objects.active().between(provider, customer).first()
            )
            if provider_relationship is None:
                provider_relationship = ResellerRelationship.objects.create(
                    partner=provider,
                    customer=customer,
                    formed_by=FormedBy.INVITATION,
                    invitation=invitation,
                    created_at=now,
                    created_by=user,
                )
                provider_added = True
                provider_events.append(
                    (
                        AuditAction.RESELLER_STARTED,
                        {"formed_by": FormedBy.INVITATION, "indirect_reseller": partner.name},
                    )
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
            events.append((AuditAction.RESELLER_STARTED, details))
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
                events.append(
                    (
                        AuditAction.ADMIN_APPROVED,
                        {
                            "relationship": str(admin.id),
                            "name": admin.name,
                            "roles": admin.roles,
                            "ends_at": admin.ends_at.isoformat(),
                        },
                    )
                )
        invitation.status = InvitationStatus.ACCEPTED
        invitation.answered_at = now
        invitation.answered_by = user
        invitation.answered_tenant = customer
        invitation.save(update_fields=["status", "answered_at", "answered_by", "answered_tenant"])
        accepted = {"include_admin": admin is not None}
        if provider is not None:
            accepted["indirect_provider"] = provider.name
            provider_events.insert(
                0,
                (
                    AuditAction.INVITATION_ACCEPTED,
                    {"indirect_reseller": partner.name, "provider_added": provider_added},
                ),
            )
        events.insert(0, (AuditAction.INVITATION_ACCEPTED, accepted))
        customer_list_refresh(partner=partner, customer=customer)
        if provider is not None:
            customer_list_refresh(partner=provider, customer=customer)
        for tier, tier_events in ((partner, events), (provider, provider_events)):
            for action, details in tier_events:
                audit(
                    action=action,
                    actor=user,
                    actor_tenant=customer,
                    partner=tier,
                    customer=customer,
                    invitation=invitation,
                    details=details,
                )
        reseller_webhook(invitation, customer, WebhookEventName.RESELLER_ACCEPTED)
        if provider is not None:
            indirect_reseller_webhook(invitation, customer)
        if any(action == AuditAction.ADMIN_APPROVED for action, _ in events):
            admin_relationship_webhook(admin, WebhookEventName.ADMIN_APPROVED)
        _notify_agent(invitation, "invitation_accepted", customer)
    return Acceptance(invitation, reseller, admin, agreement, provider_relationship, provider_added)


def invitation_decline(*, invitation_id, user, portal_cloud: str) -> Invitation:
    with transaction.atomic():
        invitation, customer = _lock_for_answer(invitation_id, user, portal_cloud)
        invitation.status = InvitationStatus.DECLINED
        invitation.answered_at = timezone.now()
        invitation.answered_by = user
        invitation.answered_tenant = customer
        invitation.save(update_fields=["status", "answered_at", "answered_by", "answered_tenant"])
        audit(
            action=AuditAction.INVITATION_DECLINED,
            actor=user,
            actor_tenant=customer,
            partner=invitation.partner,
            customer=customer,
            invitation=invitation,
        )
        reseller_webhook(invitation, customer, WebhookEventName.RESELLER_DECLINED)
        _notify_agent(invitation, "invitation_declined", customer)
    return invitation


def _notify_agent(invitation: Invitation, template: str, customer: Tenant) -> None:
    agent = invitation.created_by
    if not agent.email:
        return
    content = render_email(
        template,
        {"invitation": invitation, "partner": invitation.partner, "customer": customer},
        language=language_of(agent),
    )
    email_on_commit(content, [agent.email])
