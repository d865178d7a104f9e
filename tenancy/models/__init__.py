"""The shared domain: clouds, markets, tenants, members, relationships, requests, agreements, audit.

Nothing here is ever deleted by the application: relationships and requests end by a change of
state, and audit events are append-only. One module per sub-domain; every name is here.
"""

from tenancy.models.agreements import (
    AcceptanceMethod,
    AgreementAcceptance,
    AgreementAcceptanceQuerySet,
)
from tenancy.models.audit import (
    AppendOnlyQuerySet,
    AuditAction,
    AuditEvent,
)
from tenancy.models.customer_list import CustomerListCount, CustomerListRow, CustomerState
from tenancy.models.invitations import (
    STORED_INVITATION_STATUSES,
    Invitation,
    InvitationQuerySet,
    InvitationStatus,
    LinkUnavailable,
    default_invitation_expiry,
)
from tenancy.models.relationships import (
    ADMIN_ROLE_MEANINGS,
    DELEGATED_ADMIN_ROLES,
    AdminRelationship,
    AdminRole,
    Ending,
    FormedBy,
    RelationshipQuerySet,
    ResellerRelationship,
)
from tenancy.models.subscriptions import (
    Offer,
    OfferKind,
    Subscription,
    SubscriptionQuerySet,
    SubscriptionStatus,
)
from tenancy.models.tenants import (
    TENANT_DOMAIN_SUFFIX,
    Cloud,
    Country,
    CspRole,
    Market,
    Membership,
    MembershipQuerySet,
    MembershipRole,
    Role,
    Tenant,
    TenantKind,
    TenantQuerySet,
    domain_for,
    domain_prefix_validator,
    validate_tenant_domain,
)

__all__ = [
    "ADMIN_ROLE_MEANINGS",
    "DELEGATED_ADMIN_ROLES",
    "STORED_INVITATION_STATUSES",
    "TENANT_DOMAIN_SUFFIX",
    "AcceptanceMethod",
    "AdminRelationship",
    "AdminRole",
    "AgreementAcceptance",
    "AgreementAcceptanceQuerySet",
    "AppendOnlyQuerySet",
    "AuditAction",
    "AuditEvent",
    "Cloud",
    "Country",
    "CspRole",
    "CustomerListCount",
    "CustomerListRow",
    "CustomerState",
    "Ending",
    "FormedBy",
    "Invitation",
    "InvitationQuerySet",
    "InvitationStatus",
    "LinkUnavailable",
    "Market",
    "Membership",
    "MembershipQuerySet",
    "MembershipRole",
    "Offer",
    "OfferKind",
    "RelationshipQuerySet",
    "ResellerRelationship",
    "Role",
    "Subscription",
    "SubscriptionQuerySet",
    "SubscriptionStatus",
    "Tenant",
    "TenantKind",
    "TenantQuerySet",
    "default_invitation_expiry",
    "domain_for",
    "domain_prefix_validator",
    "validate_tenant_domain",
]
