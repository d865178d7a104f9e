"""Writes that touch several models: one transaction each, audited, email after commit.

One module per sub-domain; the public names are here, so callers read
`services.invitation_accept(...)`. Views call these with keyword arguments and show what they
return, or the message of the ServiceError they raise.
"""

from tenancy.models import LinkUnavailable
from tenancy.services.accounts import (
    authenticator_confirm,
    passkey_added,
    recovery_codes_renew,
    second_factor_check,
    sign_in_method_remove,
    sign_in_methods_reset,
)
from tenancy.services.admin_relationships import (
    AdminRequest,
    AdminRequestInvalid,
    TimeRun,
    access_assignment_create,
    access_assignment_remove,
    access_assignment_update,
    admin_relationship_approve,
    admin_relationship_create,
    admin_relationship_decline,
    admin_relationship_finalize,
    admin_relationship_find,
    admin_relationship_record_refusal,
    admin_relationship_send,
    admin_relationship_terminate,
    admin_relationship_time,
    admin_relationship_withdraw,
    agent_roles_in,
    security_group_create,
    security_group_member_add,
    security_group_member_remove,
    security_group_rename,
)
from tenancy.services.agreements import Attestation, Signer, agreement_accept, agreement_attest
from tenancy.services.apps import AppRegistered, app_register, app_revoke
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
from tenancy.services.operators import (
    operator_change_record,
    user_deactivate,
    user_reactivate,
)
from tenancy.services.partnerships import (
    partnership_active_subscriptions,
    partnership_answer,
    partnership_remove,
    partnership_request,
    partnership_request_problem,
)
from tenancy.services.refusals import InvitationRefused, Refusal
from tenancy.services.relationships import reseller_relationship_end
from tenancy.services.subscriptions import (
    MAX_QUANTITY,
    subscription_manage_decision,
    subscription_purchase,
    subscription_update,
)
from tenancy.services.webhooks import (
    WebhookInvalid,
    webhook_emit,
    webhook_redeliver,
    webhook_send_test,
    webhook_subscription_create,
    webhook_subscription_deactivate,
    webhook_subscription_update,
)

__all__ = [
    "MAX_QUANTITY",
    "Acceptance",
    "AdminRequest",
    "AdminRequestInvalid",
    "AppRegistered",
    "Attestation",
    "CustomerAdded",
    "CustomerDetails",
    "InvitationRefused",
    "LinkUnavailable",
    "Refusal",
    "ServiceError",
    "Signer",
    "TimeRun",
    "WebhookInvalid",
    "access_assignment_create",
    "access_assignment_remove",
    "access_assignment_update",
    "admin_relationship_approve",
    "admin_relationship_create",
    "admin_relationship_decline",
    "admin_relationship_finalize",
    "admin_relationship_find",
    "admin_relationship_record_refusal",
    "admin_relationship_send",
    "admin_relationship_terminate",
    "admin_relationship_time",
    "admin_relationship_withdraw",
    "agent_roles_in",
    "agreement_accept",
    "agreement_attest",
    "app_register",
    "app_revoke",
    "audit",
    "authenticator_confirm",
    "customer_add",
    "invitation_accept",
    "invitation_create",
    "invitation_decline",
    "invitation_find",
    "invitation_record_open",
    "invitation_revoke",
    "invitation_send",
    "operator_change_record",
    "organization_profile_update",
    "partnership_active_subscriptions",
    "partnership_answer",
    "partnership_remove",
    "partnership_request",
    "partnership_request_problem",
    "passkey_added",
    "recovery_codes_renew",
    "reseller_relationship_end",
    "second_factor_check",
    "security_group_create",
    "security_group_member_add",
    "security_group_member_remove",
    "security_group_rename",
    "sign_in_method_remove",
    "sign_in_methods_reset",
    "subscription_manage_decision",
    "subscription_purchase",
    "subscription_update",
    "temporary_password",
    "user_deactivate",
    "user_reactivate",
    "webhook_emit",
    "webhook_redeliver",
    "webhook_send_test",
    "webhook_subscription_create",
    "webhook_subscription_deactivate",
    "webhook_subscription_update",
]
