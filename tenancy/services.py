"""Writes that touch several models: one transaction each, audited, email after commit.

Views call these with keyword arguments and show what they return or the message of the
ServiceError they raise. Nothing here knows about requests or templates beyond email.
"""

import secrets
import string
import uuid
from dataclasses import dataclass
from datetime import date, timedelta
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import dateformat, timezone

from tenancy import rules, tokens
from tenancy.models import (
    ADMIN_ROLE_MEANINGS,
    DELEGATED_ADMIN_ROLES,
    TENANT_DOMAIN_SUFFIX,
    AcceptanceMethod,
    AdminRelationship,
    AgreementAcceptance,
    AuditAction,
    AuditEvent,
    Cloud,
    Country,
    FormedBy,
    Invitation,
    InvitationStatus,
    Membership,
    MembershipRole,
    Offer,
    ResellerRelationship,
    Role,
    Subscription,
    SubscriptionStatus,
    Tenant,
    TenantKind,
    domain_prefix_validator,
)
from tenancy.notifications import EmailContent, render_email, send_email
from tenancy.portals import admin_portal_for
from tenancy.text import possessive

User = get_user_model()


class ServiceError(Exception):
    """A business refusal: the message is for the person who asked."""

    def __init__(self, message: str, *, code: str = ""):
        super().__init__(message)
        self.message = message
        self.code = code


def audit(
    *,
    action: AuditAction,
    actor=None,
    actor_tenant: Tenant | None = None,
    partner: Tenant | None = None,
    customer: Tenant | None = None,
    invitation: Invitation | None = None,
    details: dict | None = None,
) -> AuditEvent:
    return AuditEvent.objects.create(
        action=action,
        actor=actor,
        actor_label=actor.get_username() if actor else "",
        actor_tenant=actor_tenant,
        partner=partner,
        customer=customer,
        invitation=invitation,
        details=details or {},
    )


# --- Relationship requests (invitations) -------------------------------------------------


def invitation_create(
    *,
    partner: Tenant,
    created_by,
    include_admin: bool,
    label: str = "",
    recipient_email: str = "",
) -> Invitation:
    if rules.admin_permissions_required(partner):
        include_admin = True
    now = timezone.now()
    invitation = Invitation(
        id=uuid.uuid4(),
        created_at=now,
        expires_at=now + timedelta(days=settings.INVITATION_VALID_DAYS),
        partner=partner,
        created_by=created_by,
        include_admin=include_admin,
        label=label.strip(),
        recipient_email=recipient_email.strip(),
        token_salt=tokens.new_salt(),
    )
    invitation.token_hash = tokens.hash_token(
        tokens.make_token(invitation.id, invitation.token_salt)
    )
    with transaction.atomic():
        invitation.save(force_insert=True)
        audit(
            action=AuditAction.INVITATION_CREATED,
            actor=created_by,
            actor_tenant=partner,
            partner=partner,
            invitation=invitation,
            details={"include_admin": include_admin, "label": invitation.label},
        )
    return invitation


class LinkUnavailable(ServiceError):
    """The secret key that made a request's token was retired: its link can't be shown again."""


def invitation_token(invitation: Invitation) -> str:
    token = tokens.recover_token(invitation.id, invitation.token_salt, invitation.token_hash)
    if token is None:
        raise LinkUnavailable(
            "This request's link can no longer be shown: the key it was made with was retired. "
            "Revoke the request and make a new one.",
            code="link_unavailable",
        )
    return token


def invitation_link(invitation: Invitation) -> str:
    """The absolute link, in the admin portal of the partner's cloud, with the real link's
    parameters (so a partner recognizes it) and the token."""
    portal = admin_portal_for(invitation.partner.cloud)
    path = reverse("admin_center:invitation-open", current_app=portal.namespace)
    query = urlencode(
        {
            "invType": "ResellerRelationship",
            "partnerId": str(invitation.partner_id),
            "msppId": "0",
            "DAP": "true" if invitation.include_admin else "false",
            "token": invitation_token(invitation),
        }
    )
    return f"{portal.absolute(path)}?{query}"


def invitation_email(invitation: Invitation) -> EmailContent:
    partner = invitation.partner
    return render_email(
        "invitation",
        {
            "invitation": invitation,
            "partner": partner,
            "portal": admin_portal_for(partner.cloud),
            "link": invitation_link(invitation),
            "admin_roles": [
                (role.label, ADMIN_ROLE_MEANINGS[role]) for role in DELEGATED_ADMIN_ROLES
            ],
        },
    )


def invitation_send(*, invitation: Invitation, sent_by, to: str) -> None:
    """Email the request to `to`, once the transaction that records it has committed."""
    if not invitation.is_open:
        raise ServiceError("Only a pending request can be sent.", code="not_open")
    content = invitation_email(invitation)
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
        # robust: a mail server that is down is logged; it does not undo or hide what committed.
        transaction.on_commit(lambda: send_email(content, [to], reply_to=reply_to), robust=True)


def invitation_revoke(*, invitation: Invitation, revoked_by) -> Invitation:
    with transaction.atomic():
        # Locked so that a revocation and an acceptance of the same link cannot both win.
        invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
        if invitation.status != InvitationStatus.PENDING:
            status = InvitationStatus(invitation.status).label.lower()
            raise ServiceError(f"This request was already {status}.", code="not_pending")
        if invitation.is_expired():
            raise ServiceError("This request has expired; there is nothing to revoke.")
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


def invitation_find(token: object) -> Invitation | None:
    """The invitation a link's token was issued for, or None for an unknown or mangled token."""
    if not tokens.looks_like_token(token):
        return None
    invitation = (
        Invitation.objects.select_related("partner__country__market", "created_by")
        .filter(token_hash=tokens.hash_token(token))
        .first()
    )
    if invitation is None or not tokens.check_token(invitation.id, invitation.token_salt, token):
        return None
    return invitation


def invitation_record_open(*, invitation: Invitation, user=None) -> None:
    """Record the first opening of the link (the partner then sees "opened").

    The partner's own people checking the link do not count as the customer opening it.
    """
    if user is not None and user.is_authenticated:
        membership = Membership.objects.filter(user=user).only("tenant_id").first()
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
class Refusal:
    """Why a request cannot be answered here, worded for the customer's administrator."""

    code: str
    title: str
    message: str
    advice: str
    status: int


def _day(moment) -> str:
    return dateformat.format(timezone.localtime(moment), "F j, Y")


def unknown_link_refusal() -> Refusal:
    return Refusal(
        "unknown",
        "This link doesn't work",
        "The link is incomplete, or it isn't a reseller relationship request.",
        "Copy the whole link from the partner's email into the address bar, or ask the partner "
        "for a new request.",
        404,
    )


def wrong_portal_refusal(invitation: Invitation) -> Refusal:
    portal = admin_portal_for(invitation.partner.cloud)
    return Refusal(
        "wrong_portal",
        f"Open this request in the {portal.name}",
        f"{invitation.partner.name} works in {Cloud(invitation.partner.cloud).label}, so its "
        f"requests are answered in the {portal.name}, not here.",
        f"Open the link exactly as the partner sent it; it leads to the {portal.name}.",
        400,
    )


def invitation_refusal(
    *, invitation: Invitation, membership: Membership | None, portal_cloud: str
) -> Refusal | None:
    """Every reason this member cannot answer this request in this portal, first one wins."""
    partner = invitation.partner
    if partner.cloud != portal_cloud:
        return wrong_portal_refusal(invitation)
    if invitation.status == InvitationStatus.REVOKED:
        return Refusal(
            "revoked",
            "This request was withdrawn",
            f"{partner.name} revoked this request on {_day(invitation.revoked_at)}.",
            f"If you still want {partner.name} as your reseller, ask them for a new request.",
            410,
        )
    customer = membership.tenant if membership else None
    if invitation.status in (InvitationStatus.ACCEPTED, InvitationStatus.DECLINED):
        answer = InvitationStatus(invitation.status).label.lower()
        if customer is not None and invitation.answered_tenant_id == customer.pk:
            return Refusal(
                "answered_here",
                f"Your organization already {answer} this request",
                f"{invitation.answered_by.get_username()} {answer} this request from "
                f"{partner.name} on {_day(invitation.answered_at)}.",
                "A request is answered once. Your partners are listed on Partner relationships.",
                409,
            )
        return Refusal(
            "answered",
            "This request was already used",
            f"This request from {partner.name} was {answer} by another organization on "
            f"{_day(invitation.answered_at)}.",
            f"A request is answered once. Ask {partner.name} for a request of your own.",
            409,
        )
    if invitation.is_expired():
        return Refusal(
            "expired",
            "This request has expired",
            f"The request from {partner.name} expired on {_day(invitation.expires_at)}.",
            f"Ask {partner.name} to send you a new request.",
            410,
        )
    if customer is None or not customer.is_customer:
        where = f"{customer.name}, a partner organization" if customer else "no organization"
        return Refusal(
            "not_customer",
            "Sign in as an administrator of your organization",
            f"The account you signed in with belongs to {where}. A reseller relationship "
            "request is accepted by an administrator of the customer's organization.",
            "Sign out, open the link from the partner's email again, and sign in with your "
            "organization's administrator account.",
            403,
        )
    decision = rules.may_resell(partner, customer)
    if not decision:
        portal = admin_portal_for(customer.cloud)
        advice = {
            "cloud": f"Your organization answers requests in the {portal.name}. Ask a partner "
            f"in {Cloud(customer.cloud).label} for a request.",
            "market": f"Look for a partner in the {customer.country.market.name} market, or "
            f"ask {partner.name} whether they have a partner organization there.",
        }.get(decision.code, "")
        title = {"cloud": "This partner is in another cloud"}.get(
            decision.code, "This partner can't serve your country"
        )
        return Refusal(decision.code, title, decision.reason, advice, 403)
    action = rules.accept_action(invitation.include_admin)
    if not rules.may(membership.roles, action):
        return Refusal(
            "role",
            "Your role can't accept this request",
            rules.denial_message(action),
            f"Forward the partner's email to a Global administrator of {customer.name}; they "
            "open the link and sign in.",
            403,
        )
    reseller = ResellerRelationship.objects.active().between(partner, customer).first()
    if reseller is not None and not _adds_admin_roles(invitation, customer):
        return Refusal(
            "already_reseller",
            f"{partner.name} is already your reseller",
            f"{partner.name} has been your organization's reseller since "
            f"{_day(reseller.created_at)}. Nothing was changed.",
            "Your partners and their roles are listed on Partner relationships.",
            409,
        )
    return None


def _adds_admin_roles(invitation: Invitation, customer: Tenant) -> bool:
    return (
        invitation.include_admin
        and not AdminRelationship.objects.active().between(invitation.partner, customer).exists()
    )


def invitation_record_refusal(
    *, invitation: Invitation, refusal: Refusal, user, membership: Membership | None
) -> None:
    """One audit line per organization and reason; repeated page loads add nothing."""
    if refusal.code in ("unknown", "answered_here", "already_reseller"):
        return
    customer = membership.tenant if membership and membership.tenant.is_customer else None
    seen = AuditEvent.objects.filter(
        action=AuditAction.INVITATION_REFUSED,
        invitation=invitation,
        customer=customer,
        details__reason=refusal.code,
    )
    if customer is None:
        seen = seen.filter(actor=user)
    if seen.exists():
        return
    audit(
        action=AuditAction.INVITATION_REFUSED,
        actor=user,
        actor_tenant=membership.tenant if membership else None,
        partner=invitation.partner,
        customer=customer,
        invitation=invitation,
        details={"reason": refusal.code, "message": refusal.message},
    )


class InvitationRefused(ServiceError):
    def __init__(self, refusal: Refusal):
        super().__init__(refusal.message, code=refusal.code)
        self.refusal = refusal


@dataclass(frozen=True)
class Signer:
    first_name: str
    last_name: str
    email: str
    phone: str = ""


@dataclass(frozen=True)
class Acceptance:
    invitation: Invitation
    reseller_relationship: ResellerRelationship
    admin_relationship: AdminRelationship | None
    agreement: AgreementAcceptance


def _lock_for_answer(invitation_id, user, portal_cloud: str):
    # The invitation row is locked first, then the customer's: every answer to a request takes
    # them in this order, so two acceptances of one link — or of two links by one customer —
    # run one after the other and the second sees what the first did.
    invitation = (
        Invitation.objects.select_for_update(of=("self",))
        .select_related("partner__country__market", "created_by")
        .filter(pk=invitation_id)
        .first()
    )
    if invitation is None:
        raise InvitationRefused(unknown_link_refusal())
    membership = (
        Membership.objects.select_related("tenant__country__market")
        .prefetch_related("role_rows")
        .filter(user=user)
        .first()
    )
    if membership is not None and membership.tenant.is_customer:
        Tenant.objects.select_for_update().filter(pk=membership.tenant_id).first()
    refusal = invitation_refusal(
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
    """The customer accepts the agreement and the request: one transaction, all rules re-checked."""
    with transaction.atomic():
        invitation, customer = _lock_for_answer(invitation_id, user, portal_cloud)
        partner = invitation.partner
        now = timezone.now()
        agreement = _record_agreement(
            customer,
            signer,
            recorded_by=user,
            recorded_at=now,
            client_ip=client_ip,
            invitation=invitation,
        )
        events = [(AuditAction.AGREEMENT_ACCEPTED, {"version": agreement.version})]
        reseller = ResellerRelationship.objects.active().between(partner, customer).first()
        if reseller is None:
            reseller = ResellerRelationship.objects.create(
                partner=partner,
                customer=customer,
                formed_by=FormedBy.INVITATION,
                invitation=invitation,
                created_at=now,
                created_by=user,
            )
            events.append((AuditAction.RESELLER_STARTED, {"formed_by": FormedBy.INVITATION}))
        admin = None
        if invitation.include_admin:
            admin = AdminRelationship.objects.active().between(partner, customer).first()
            if admin is None:
                admin = AdminRelationship.objects.create(
                    partner=partner,
                    customer=customer,
                    roles=[role.value for role in DELEGATED_ADMIN_ROLES],
                    invitation=invitation,
                    granted_at=now,
                    granted_by=user,
                )
                events.append((AuditAction.ADMIN_GRANTED, {"roles": admin.roles}))
        invitation.status = InvitationStatus.ACCEPTED
        invitation.answered_at = now
        invitation.answered_by = user
        invitation.answered_tenant = customer
        invitation.save(update_fields=["status", "answered_at", "answered_by", "answered_tenant"])
        events.insert(0, (AuditAction.INVITATION_ACCEPTED, {"include_admin": admin is not None}))
        for action, details in events:
            audit(
                action=action,
                actor=user,
                actor_tenant=customer,
                partner=partner,
                customer=customer,
                invitation=invitation,
                details=details,
            )
        _notify_agent(invitation, "invitation_accepted", customer)
    return Acceptance(invitation, reseller, admin, agreement)


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
        _notify_agent(invitation, "invitation_declined", customer)
    return invitation


def _notify_agent(invitation: Invitation, template: str, customer: Tenant) -> None:
    agent = invitation.created_by
    if not agent.email:
        return
    content = render_email(
        template,
        {"invitation": invitation, "partner": invitation.partner, "customer": customer},
    )
    transaction.on_commit(lambda: send_email(content, [agent.email]), robust=True)


# --- Customers --------------------------------------------------------------------------


def domain_for(prefix: str) -> str:
    return f"{prefix.strip().lower()}{TENANT_DOMAIN_SUFFIX}"


def domain_prefix_available(prefix: str) -> bool:
    return not Tenant.objects.filter(domain=domain_for(prefix)).exists()


@dataclass(frozen=True)
class CustomerDetails:
    name: str
    domain_prefix: str
    country: Country
    address_line1: str
    city: str
    postal_code: str = ""
    region: str = ""
    address_line2: str = ""
    contact_first_name: str = ""
    contact_last_name: str = ""
    contact_email: str = ""
    contact_phone: str = ""


@dataclass(frozen=True)
class Attestation:
    """The partner's word that the customer accepted the Microsoft Customer Agreement."""

    signer: Signer
    accepted_on: date


@dataclass(frozen=True)
class CustomerAdded:
    customer: Tenant
    admin_user: object
    temporary_password: str
    reseller_relationship: ResellerRelationship


def temporary_password() -> str:
    """16 characters with upper, lower, digit and symbol; the user must change it at first use."""
    alphabet = string.ascii_letters + string.digits
    while True:
        body = "".join(secrets.choice(alphabet) for _ in range(14))
        if (
            any(c.isupper() for c in body)
            and any(c.islower() for c in body)
            and any(c.isdigit() for c in body)
        ):
            return f"{body[:7]}-{body[7:]}!"


def customer_add(
    *,
    partner: Tenant,
    added_by,
    details: CustomerDetails,
    attestation: Attestation | None,
) -> CustomerAdded:
    """Create a customer tenant, its first Global administrator and the reseller relationship."""
    prefix = details.domain_prefix.strip().lower()
    domain_prefix_validator(prefix)
    customer = Tenant(
        kind=TenantKind.CUSTOMER,
        name=details.name.strip(),
        domain=domain_for(prefix),
        country=details.country,
        cloud=partner.cloud,
        address_line1=details.address_line1,
        address_line2=details.address_line2,
        city=details.city,
        region=details.region,
        postal_code=details.postal_code,
        contact_first_name=details.contact_first_name,
        contact_last_name=details.contact_last_name,
        contact_email=details.contact_email,
        contact_phone=details.contact_phone,
    )
    decision = rules.may_resell(partner, customer)
    if not decision:
        raise ServiceError(decision.reason, code=decision.code)
    if attestation and attestation.accepted_on > timezone.localdate():
        raise ServiceError("The acceptance date cannot be in the future.", code="future_date")
    password = temporary_password()
    try:
        with transaction.atomic():
            customer.save(force_insert=True)
            user = User.objects.create_user(
                username=f"admin@{customer.domain}",
                email=details.contact_email,
                password=password,
                first_name=details.contact_first_name,
                last_name=details.contact_last_name,
            )
            membership = Membership.objects.create(
                user=user, tenant=customer, must_change_password=True
            )
            MembershipRole.objects.create(membership=membership, role=Role.CUSTOMER_GLOBAL_ADMIN)
            relationship = ResellerRelationship.objects.create(
                partner=partner,
                customer=customer,
                formed_by=FormedBy.NEW_CUSTOMER,
                created_by=added_by,
            )
            common = {
                "actor": added_by,
                "actor_tenant": partner,
                "partner": partner,
                "customer": customer,
            }
            audit(action=AuditAction.CUSTOMER_ADDED, **common, details={"domain": customer.domain})
            audit(
                action=AuditAction.RESELLER_STARTED,
                **common,
                details={"formed_by": FormedBy.NEW_CUSTOMER},
            )
            if attestation:
                _record_agreement(
                    customer,
                    attestation.signer,
                    recorded_by=added_by,
                    recorded_at=timezone.now(),
                    accepted_on=attestation.accepted_on,
                    attested_by_partner=partner,
                )
                audit(
                    action=AuditAction.AGREEMENT_ATTESTED,
                    **common,
                    details={"version": settings.CUSTOMER_AGREEMENT_VERSION},
                )
    except IntegrityError as error:
        # Two agents racing for one domain: the unique index settles it.
        if Tenant.objects.filter(domain=customer.domain).exists():
            raise ServiceError(
                f"{customer.domain} is already taken. Choose another prefix.", code="domain_taken"
            ) from error
        raise
    return CustomerAdded(customer, user, password, relationship)


def _record_agreement(
    customer: Tenant, signer: Signer, *, recorded_by, recorded_at, **how
) -> AgreementAcceptance:
    """The current Customer Agreement, accepted for `customer` by `signer`.

    `how` is either the customer's own acceptance (`client_ip`, `invitation`; accepted today) or
    a partner's attestation (`attested_by_partner`, `accepted_on` the day the signer accepted).
    """
    attested = "attested_by_partner" in how
    return AgreementAcceptance.objects.create(
        customer=customer,
        version=settings.CUSTOMER_AGREEMENT_VERSION,
        method=AcceptanceMethod.PARTNER_ATTESTATION if attested else AcceptanceMethod.CUSTOMER,
        signer_first_name=signer.first_name,
        signer_last_name=signer.last_name,
        signer_email=signer.email,
        signer_phone=signer.phone,
        accepted_on=how.pop("accepted_on", None) or timezone.localdate(recorded_at),
        recorded_at=recorded_at,
        recorded_by=recorded_by,
        **how,
    )


def agreement_accept(
    *, customer: Tenant, user, signer: Signer, client_ip: str | None
) -> AgreementAcceptance:
    """A customer accepts the Microsoft Customer Agreement in the admin center, with no request."""
    with transaction.atomic():
        acceptance = _record_agreement(
            customer, signer, recorded_by=user, recorded_at=timezone.now(), client_ip=client_ip
        )
        audit(
            action=AuditAction.AGREEMENT_ACCEPTED,
            actor=user,
            actor_tenant=customer,
            customer=customer,
            details={"version": acceptance.version},
        )
    return acceptance


PROFILE_FIELDS = (
    "address_line1",
    "address_line2",
    "city",
    "region",
    "postal_code",
    "contact_first_name",
    "contact_last_name",
    "contact_email",
    "contact_phone",
)


def company_profile_update(*, tenant: Tenant, updated_by, **changes: str) -> Tenant:
    unknown = set(changes) - set(PROFILE_FIELDS)
    if unknown:
        raise TypeError(f"Not profile fields: {', '.join(sorted(unknown))}")
    with transaction.atomic():
        tenant = Tenant.objects.select_for_update().get(pk=tenant.pk)
        changed = sorted(name for name, value in changes.items() if getattr(tenant, name) != value)
        for name in changed:
            setattr(tenant, name, changes[name])
        if changed:
            tenant.save(update_fields=changed)
            audit(
                action=AuditAction.PROFILE_UPDATED,
                actor=updated_by,
                actor_tenant=tenant,
                customer=tenant if tenant.is_customer else None,
                partner=tenant if tenant.is_partner else None,
                details={"fields": changed},
            )
    return tenant


# --- Relationships ----------------------------------------------------------------------


def reseller_relationship_end(*, partner: Tenant, customer: Tenant, ended_by, by: Tenant) -> None:
    """End the active reseller relationship; refused while the partner's subscriptions run.

    `by` is the tenant acting: the partner (Global admin) or the customer (Global administrator).
    """
    with transaction.atomic():
        # Locks the relationship row: a purchase takes the same lock, so a subscription cannot
        # slip in between the check below and the end.
        relationship = (
            ResellerRelationship.objects.select_for_update().active().between(partner, customer)
        ).first()
        if relationship is None:
            raise ServiceError("There is no active reseller relationship to end.", code="none")
        running = Subscription.objects.active().filter(partner=partner, customer=customer).count()
        if running:
            noun = "subscription is" if running == 1 else "subscriptions are"
            raise ServiceError(
                f"{running} of {possessive(partner.name)} {noun} still active for {customer.name}. "
                "They must be suspended or moved to another partner before the reseller "
                "relationship can end.",
                code="active_subscriptions",
            )
        relationship.end(by=ended_by)
        audit(
            action=AuditAction.RESELLER_ENDED,
            actor=ended_by,
            actor_tenant=by,
            partner=partner,
            customer=customer,
        )


def admin_relationship_end(*, partner: Tenant, customer: Tenant, ended_by) -> None:
    """The customer removes a partner's delegated admin roles."""
    with transaction.atomic():
        relationship = (
            AdminRelationship.objects.select_for_update().active().between(partner, customer)
        ).first()
        if relationship is None:
            raise ServiceError(f"{partner.name} has no admin roles to remove.", code="none")
        relationship.end(by=ended_by)
        audit(
            action=AuditAction.ADMIN_REMOVED,
            actor=ended_by,
            actor_tenant=customer,
            partner=partner,
            customer=customer,
            details={"roles": relationship.roles},
        )


# --- Subscriptions ----------------------------------------------------------------------

MAX_QUANTITY = 10_000


def subscription_purchase(
    *, partner: Tenant, customer: Tenant, offer: Offer, quantity: int, purchased_by
) -> Subscription:
    if offer.is_azure and quantity != 1:
        raise ServiceError("An Azure plan is bought once; its quantity is 1.", code="quantity")
    if not 1 <= quantity <= MAX_QUANTITY:
        raise ServiceError(f"Choose a quantity from 1 to {MAX_QUANTITY:,}.", code="quantity")
    with transaction.atomic():
        # The same lock reseller_relationship_end takes (see there).
        relationship = (
            ResellerRelationship.objects.select_for_update().active().between(partner, customer)
        ).first()
        decision = rules.may_purchase(
            has_reseller_relationship=relationship is not None,
            has_agreement=AgreementAcceptance.objects.filter(customer=customer).exists(),
        )
        if not decision:
            raise ServiceError(decision.reason, code=decision.code)
        subscription = Subscription.objects.create(
            partner=partner,
            customer=customer,
            offer=offer,
            quantity=quantity,
            created_by=purchased_by,
        )
        audit(
            action=AuditAction.SUBSCRIPTION_PURCHASED,
            actor=purchased_by,
            actor_tenant=partner,
            partner=partner,
            customer=customer,
            details={
                "offer": offer.name,
                "quantity": quantity,
                "subscription": str(subscription.id),
            },
        )
    return subscription


def subscription_manage_decision(*, subscription: Subscription, partner: Tenant) -> rules.Decision:
    customer_id = subscription.customer_id
    pair = Q(partner=partner, customer_id=customer_id)
    return rules.may_manage_subscription(
        is_azure_plan=subscription.offer.is_azure,
        provisioned_by_partner=subscription.partner_id == partner.pk,
        has_reseller_relationship=ResellerRelationship.objects.active().filter(pair).exists(),
        has_admin_relationship=AdminRelationship.objects.active().filter(pair).exists(),
    )


def subscription_update(
    *,
    subscription: Subscription,
    partner: Tenant,
    changed_by,
    quantity: int | None = None,
    status: SubscriptionStatus | None = None,
) -> Subscription:
    with transaction.atomic():
        subscription = (
            Subscription.objects.select_for_update(of=("self",))
            .select_related("offer", "customer")
            .get(pk=subscription.pk)
        )
        decision = subscription_manage_decision(subscription=subscription, partner=partner)
        if not decision:
            raise ServiceError(decision.reason, code=decision.code)
        events = []
        if quantity is not None and quantity != subscription.quantity:
            if subscription.offer.is_azure:
                raise ServiceError("An Azure plan has no quantity to change.", code="quantity")
            if not 1 <= quantity <= MAX_QUANTITY:
                raise ServiceError(
                    f"Choose a quantity from 1 to {MAX_QUANTITY:,}.", code="quantity"
                )
            events.append(
                (AuditAction.SUBSCRIPTION_CHANGED, {"from": subscription.quantity, "to": quantity})
            )
            subscription.quantity = quantity
        if status is not None and status != subscription.status:
            action = (
                AuditAction.SUBSCRIPTION_SUSPENDED
                if status == SubscriptionStatus.SUSPENDED
                else AuditAction.SUBSCRIPTION_REACTIVATED
            )
            events.append((action, {}))
            subscription.status = status
        if events:
            subscription.updated_at = timezone.now()
            subscription.save(update_fields=["quantity", "status", "updated_at"])
        for action, details in events:
            audit(
                action=action,
                actor=changed_by,
                actor_tenant=partner,
                partner=partner,
                customer=subscription.customer,
                details={
                    "offer": subscription.offer.name,
                    "subscription": str(subscription.id),
                    **details,
                },
            )
    return subscription
