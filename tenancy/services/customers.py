"""Customers a partner adds itself, and the organization profile either side keeps up to date."""

import secrets
import string
from dataclasses import dataclass, field

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from tenancy import rules
from tenancy.effects.record import record
from tenancy.models import (
    AuditAction,
    Country,
    FormedBy,
    Membership,
    MembershipRole,
    ResellerRelationship,
    Role,
    Tenant,
    TenantKind,
    domain_for,
    domain_prefix_validator,
)
from tenancy.rules import Action
from tenancy.services.agreements import Attestation, record_agreement
from tenancy.services.base import ServiceError, acting_member
from tenancy.services.partnerships import partnership_decision

User = get_user_model()


@dataclass(frozen=True)
class CustomerDetails:
    name: str
    domain_prefix: str
    country: Country
    # Tenant.PROFILE_FIELDS: the billing address and the primary contact.
    profile: dict[str, str] = field(default_factory=dict)


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


def _profile(changes: dict[str, str]) -> dict[str, str]:
    unknown = set(changes) - set(Tenant.PROFILE_FIELDS)
    if unknown:
        raise TypeError(f"Not profile fields: {', '.join(sorted(unknown))}")
    return changes


def customer_add(
    *,
    partner: Tenant,
    added_by,
    details: CustomerDetails,
    attestation: Attestation | None,
    indirect_reseller: Tenant | None = None,
    now=None,
) -> CustomerAdded:
    """Create a customer tenant, its first Global administrator and the reseller relationship.
    An indirect provider may name one of its indirect resellers: the reseller is linked to the
    new customer through it in the same transaction. `now`: when (the demo data's history)."""
    acting_member(added_by, partner, Action.ADD_CUSTOMER)
    now = now or timezone.now()
    prefix = details.domain_prefix.strip().lower()
    domain_prefix_validator(prefix)
    profile = _profile(details.profile)
    customer = Tenant(
        kind=TenantKind.CUSTOMER,
        name=details.name.strip(),
        domain=domain_for(prefix),
        country=details.country,
        cloud=partner.cloud,
        created_at=now,
        **profile,
    )
    decision = rules.may_resell(partner, customer)
    if not decision:
        raise ServiceError(decision.reason, code=decision.code)
    if attestation and attestation.accepted_on > timezone.localdate(now):
        raise ServiceError(_("The acceptance date cannot be in the future."), code="future_date")
    password = temporary_password()
    try:
        with transaction.atomic():
            customer.save(force_insert=True)
            user = User.objects.create_user(
                username=f"admin@{customer.domain}",
                email=customer.contact_email,
                password=password,
                first_name=customer.contact_first_name,
                last_name=customer.contact_last_name,
            )
            membership = Membership.objects.create(
                user=user, tenant=customer, must_change_password=True
            )
            MembershipRole.objects.create(membership=membership, role=Role.CUSTOMER_GLOBAL_ADMIN)
            relationship = ResellerRelationship.objects.create(
                partner=partner,
                customer=customer,
                formed_by=FormedBy.NEW_CUSTOMER,
                created_at=now,
                created_by=added_by,
            )
            if indirect_reseller is not None:
                _link_reseller(partner, indirect_reseller, customer, added_by, now)
            common = {
                "actor": added_by,
                "actor_tenant": partner,
                "partner": partner,
                "customer": customer,
                "at": now,
            }
            record(AuditAction.CUSTOMER_ADDED, **common, details={"domain": customer.domain})
            record(
                AuditAction.RESELLER_STARTED,
                **common,
                details={
                    "formed_by": FormedBy.NEW_CUSTOMER,
                    **({"indirect_reseller": indirect_reseller.name} if indirect_reseller else {}),
                },
                subject=relationship,
            )
            if attestation:
                record_agreement(
                    customer,
                    attestation.signer,
                    recorded_by=added_by,
                    recorded_at=now,
                    accepted_on=attestation.accepted_on,
                    attested_by_partner=partner,
                )
                record(
                    AuditAction.AGREEMENT_ATTESTED,
                    **common,
                    details={"version": settings.CUSTOMER_AGREEMENT_VERSION},
                )
    except IntegrityError as error:
        # Two agents racing for one domain: the unique index settles it.
        if Tenant.objects.filter(domain=customer.domain).exists():
            raise ServiceError(
                _("%(domain)s is already taken. Choose another prefix.")
                % {"domain": customer.domain},
                code="domain_taken",
            ) from error
        raise
    return CustomerAdded(customer, user, password, relationship)


def _link_reseller(provider: Tenant, reseller: Tenant, customer: Tenant, added_by, now) -> None:
    decision = partnership_decision(provider, reseller, lock=True)
    if not decision:
        raise ServiceError(decision.reason, code=decision.code)
    ResellerRelationship.objects.create(
        partner=reseller,
        customer=customer,
        indirect_provider=provider,
        formed_by=FormedBy.NEW_CUSTOMER,
        created_at=now,
        created_by=added_by,
    )
    record(
        AuditAction.RESELLER_STARTED,
        actor=added_by,
        actor_tenant=provider,
        partner=reseller,
        customer=customer,
        details={"formed_by": FormedBy.NEW_CUSTOMER, "indirect_provider": provider.name},
        at=now,
    )


def organization_profile_update(*, tenant: Tenant, updated_by, **changes: str) -> Tenant:
    changes = _profile(changes)
    with transaction.atomic():
        tenant = Tenant.objects.select_for_update().get(pk=tenant.pk)
        changed = sorted(name for name, value in changes.items() if getattr(tenant, name) != value)
        for name in changed:
            setattr(tenant, name, changes[name])
        if changed:
            tenant.save(update_fields=changed)
            record(
                AuditAction.PROFILE_UPDATED,
                actor=updated_by,
                actor_tenant=tenant,
                customer=tenant if tenant.is_customer else None,
                partner=tenant if tenant.is_partner else None,
                details={"fields": changed},
            )
    return tenant
