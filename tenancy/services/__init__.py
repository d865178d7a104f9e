"""Writes that touch several models: one transaction each, recorded once (tenancy.effects.record
does what follows), and beside each guarded write the decision its pages and the API ask too.

One module per sub-domain; the public names are here, so callers read
`services.invitation_accept(...)`. Views call these with keyword arguments and show what they
return, or the message of the ServiceError they raise.
"""

from tenancy.services.access_assignments import (
    access_assignment_create,
    access_assignment_decision,
    access_assignment_remove,
    access_assignment_retry,
    access_assignment_update,
)
from tenancy.services.accounts import (
    authenticator_confirm,
    passkey_added,
    recovery_codes_renew,
    second_factor_check,
    sign_in_method_remove,
    sign_in_methods_reset,
)
from tenancy.services.admin_relationship_expiry import TimeRun, admin_relationship_time
from tenancy.services.admin_relationships import (
    AdminRequest,
    AdminRequestInvalid,
    admin_relationship_approve,
    admin_relationship_create,
    admin_relationship_decline,
    admin_relationship_finalize,
    admin_relationship_finalize_decision,
    admin_relationship_find,
    admin_relationship_send,
    admin_relationship_terminate,
    admin_relationship_terminate_decision,
    admin_relationship_withdraw,
    admin_relationship_withdraw_decision,
    agent_roles_in,
)
from tenancy.services.agreements import Attestation, Signer, agreement_accept, agreement_attest
from tenancy.services.apps import AppRegistered, app_register, app_revoke
from tenancy.services.base import ServiceError
from tenancy.services.bulk_jobs import (
    bulk_job_cancel,
    bulk_relationships_start,
    bulk_request_start,
)
from tenancy.services.bulk_selection import Preview, Selection, bulk_request_preview
from tenancy.services.chasing import (
    admin_request_again,
    admin_request_remind,
    admin_request_remind_decision,
    waiting_requests,
)
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
    invitation_revoke_decision,
    invitation_send,
)
from tenancy.services.operators import (
    global_admin_loss_decision,
    operator_change_record,
    user_deactivate,
    user_deactivate_decision,
    user_reactivate,
)
from tenancy.services.partnerships import (
    partnership_active_subscriptions,
    partnership_answer,
    partnership_remove,
    partnership_remove_decision,
    partnership_request,
    partnership_request_decision,
)
from tenancy.services.relationships import (
    active_reseller_relationship,
    reseller_relationship_end,
    reseller_relationship_end_decision,
)
from tenancy.services.request_links import (
    ADMIN_REQUESTS,
    LINK_UNAVAILABLE,
    RESELLER_REQUESTS,
    RequestKind,
    RequestRefused,
    request_email,
)
from tenancy.services.security_groups import (
    security_group_create,
    security_group_member_add,
    security_group_member_remove,
    security_group_rename,
)
from tenancy.services.subscriptions import (
    MAX_QUANTITY,
    Standing,
    customer_standing,
    subscription_manage_decision,
    subscription_manage_decisions,
    subscription_purchase,
    subscription_purchase_decision,
    subscription_update,
)
from tenancy.services.templates import TemplateContent, template_create, template_update
from tenancy.services.webhook_subscriptions import (
    WebhookInvalid,
    webhook_redeliver,
    webhook_send_test,
    webhook_subscription_create,
    webhook_subscription_deactivate,
    webhook_subscription_update,
)

__all__ = [
    "ADMIN_REQUESTS",
    "LINK_UNAVAILABLE",
    "MAX_QUANTITY",
    "RESELLER_REQUESTS",
    "Acceptance",
    "AdminRequest",
    "AdminRequestInvalid",
    "AppRegistered",
    "Attestation",
    "CustomerAdded",
    "CustomerDetails",
    "Preview",
    "RequestKind",
    "RequestRefused",
    "Selection",
    "ServiceError",
    "Signer",
    "Standing",
    "TemplateContent",
    "TimeRun",
    "WebhookInvalid",
    "access_assignment_create",
    "access_assignment_decision",
    "access_assignment_remove",
    "access_assignment_retry",
    "access_assignment_update",
    "active_reseller_relationship",
    "admin_relationship_approve",
    "admin_relationship_create",
    "admin_relationship_decline",
    "admin_relationship_finalize",
    "admin_relationship_finalize_decision",
    "admin_relationship_find",
    "admin_relationship_send",
    "admin_relationship_terminate",
    "admin_relationship_terminate_decision",
    "admin_relationship_time",
    "admin_relationship_withdraw",
    "admin_relationship_withdraw_decision",
    "admin_request_again",
    "admin_request_remind",
    "admin_request_remind_decision",
    "agent_roles_in",
    "agreement_accept",
    "agreement_attest",
    "app_register",
    "app_revoke",
    "authenticator_confirm",
    "bulk_job_cancel",
    "bulk_relationships_start",
    "bulk_request_preview",
    "bulk_request_start",
    "customer_add",
    "customer_standing",
    "global_admin_loss_decision",
    "invitation_accept",
    "invitation_create",
    "invitation_decline",
    "invitation_find",
    "invitation_record_open",
    "invitation_revoke",
    "invitation_revoke_decision",
    "invitation_send",
    "operator_change_record",
    "organization_profile_update",
    "partnership_active_subscriptions",
    "partnership_answer",
    "partnership_remove",
    "partnership_remove_decision",
    "partnership_request",
    "partnership_request_decision",
    "passkey_added",
    "recovery_codes_renew",
    "request_email",
    "reseller_relationship_end",
    "reseller_relationship_end_decision",
    "second_factor_check",
    "security_group_create",
    "security_group_member_add",
    "security_group_member_remove",
    "security_group_rename",
    "sign_in_method_remove",
    "sign_in_methods_reset",
    "subscription_manage_decision",
    "subscription_manage_decisions",
    "subscription_purchase",
    "subscription_purchase_decision",
    "subscription_update",
    "template_create",
    "template_update",
    "temporary_password",
    "user_deactivate",
    "user_deactivate_decision",
    "user_reactivate",
    "waiting_requests",
    "webhook_redeliver",
    "webhook_send_test",
    "webhook_subscription_create",
    "webhook_subscription_deactivate",
    "webhook_subscription_update",
]
