"""The Microsoft Customer Agreement: accepted by the customer, or attested by a partner."""

from dataclasses import dataclass
from datetime import date

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from tenancy.effects.record import record
from tenancy.language import email_language
from tenancy.models import AcceptanceMethod, AgreementAcceptance, AuditAction, Tenant
from tenancy.services.base import ServiceError


@dataclass(frozen=True)
class Signer:
    """Who accepted the agreement for the customer."""

    first_name: str
    last_name: str
    email: str
    phone: str = ""


@dataclass(frozen=True)
class Attestation:
    """The partner's word that the customer accepted the Microsoft Customer Agreement."""

    signer: Signer
    accepted_on: date


def record_agreement(
    customer: Tenant, signer: Signer, *, recorded_by, recorded_at, **how
) -> AgreementAcceptance:
    """The current Customer Agreement, accepted for `customer` by `signer`.

    `how` is either the customer's own acceptance (`client_ip`, `invitation`; accepted today) or
    a partner's attestation (`attested_by_partner`, `accepted_on` the day the signer accepted).
    Call it inside the caller's transaction; it writes no audit line of its own. A customer's
    own acceptance records the language the agreement's summary was shown in (the request's).
    """
    attested = "attested_by_partner" in how
    if not attested:
        how.setdefault("language", email_language(translation.get_language()))
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
    """A customer accepts the Microsoft Customer Agreement in the admin center, with no request.

    When the current version is already accepted for the customer (here, with a partner's
    request, or by a partner's attestation), nothing is recorded and that acceptance is
    returned: its `recorded_by` says whether it is this user's.
    """
    with transaction.atomic():
        # Locked so that acceptances posted at once (a double click, several admins) record one
        # row: the later ones wait here, then find the first. Accepting a partner's request
        # takes the same lock.
        Tenant.objects.select_for_update().filter(pk=customer.pk).first()
        current = customer.agreement_acceptances.current().order_by("recorded_at", "pk")
        if (acceptance := current.first()) is not None:
            return acceptance
        try:
            with transaction.atomic():
                acceptance = record_agreement(
                    customer,
                    signer,
                    recorded_by=user,
                    recorded_at=timezone.now(),
                    client_ip=client_ip,
                )
        except IntegrityError:
            # The constraint (one acceptance of a version on this page) is the last word, should
            # a row ever get past the lock: the acceptance already there is the answer.
            acceptance = (
                customer.agreement_acceptances.current()
                .filter(method=AcceptanceMethod.CUSTOMER, invitation__isnull=True)
                .first()
            )
            if acceptance is None:
                raise
            return acceptance
        record(
            AuditAction.AGREEMENT_ACCEPTED,
            actor=user,
            actor_tenant=customer,
            customer=customer,
            details={"version": acceptance.version},
        )
    return acceptance


def agreement_attest(*, partner: Tenant, customer: Tenant, attested_by, attestation: Attestation):
    """A partner records that its customer accepted the current Customer Agreement (the API's
    POST …/agreements; Add customer records the same for a new customer). One per partner and
    version: a second is refused, as Partner Center refuses a duplicate."""
    with transaction.atomic():
        Tenant.objects.select_for_update().filter(pk=customer.pk).first()
        already = customer.agreement_acceptances.current().filter(attested_by_partner=partner)
        if already.exists():
            raise ServiceError(
                _(
                    "You already attested that %(customer)s accepted the Microsoft Customer "
                    "Agreement (%(version)s)."
                )
                % {"customer": customer.name, "version": settings.CUSTOMER_AGREEMENT_VERSION},
                code="duplicate_agreement",
            )
        if attestation.accepted_on > timezone.localdate():
            raise ServiceError(_("The date the customer agreed can't be in the future."))
        acceptance = record_agreement(
            customer,
            attestation.signer,
            recorded_by=attested_by,
            recorded_at=timezone.now(),
            attested_by_partner=partner,
            accepted_on=attestation.accepted_on,
        )
        record(
            AuditAction.AGREEMENT_ATTESTED,
            actor=attested_by,
            actor_tenant=partner,
            partner=partner,
            customer=customer,
            details={"version": acceptance.version},
        )
    return acceptance
