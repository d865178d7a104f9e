"""Writes that touch several models: one transaction each, audited, email after commit.

One module per sub-domain; the public names are here, so callers read
`services.invitation_accept(...)`. Views call these with keyword arguments and show what they
return, or the message of the ServiceError they raise.
"""

from tenancy.models import LinkUnavailable
from tenancy.services.agreements import Attestation, Signer, agreement_accept
from tenancy.services.base import ServiceError, audit
from tenancy.services.customers import (
    CustomerAdded,
    CustomerDetails,
    customer_add,
    organization_profile_update,
    temporary_password,
)
from tenancy.services.invitations import (
    Acceptance,
    invitation_accept,
    invitation_create,
    invitation_decline,
    invitation_find,
    invitation_record_open,
    invitation_revoke,
    invitation_send,
)
from tenancy.services.refusals import InvitationRefused, Refusal
from tenancy.services.relationships import admin_relationship_end, reseller_relationship_end
from tenancy.services.subscriptions import (
    MAX_QUANTITY,
    subscription_manage_decision,
    subscription_purchase,
    subscription_update,
)

__all__ = [
    "MAX_QUANTITY",
    "Acceptance",
    "Attestation",
    "CustomerAdded",
    "CustomerDetails",
    "InvitationRefused",
    "LinkUnavailable",
    "Refusal",
    "ServiceError",
    "Signer",
    "admin_relationship_end",
    "agreement_accept",
    "audit",
    "customer_add",
    "invitation_accept",
    "invitation_create",
    "invitation_decline",
    "invitation_find",
    "invitation_record_open",
    "invitation_revoke",
    "invitation_send",
    "organization_profile_update",
    "reseller_relationship_end",
    "subscription_manage_decision",
    "subscription_purchase",
    "subscription_update",
    "temporary_password",
]
