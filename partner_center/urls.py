from django.urls import path

from partner_center.views import (
    activity,
    add_customer,
    admin_relationships,
    admin_templates,
    apps,
    bulk_jobs,
    customer_list,
    customer_page,
    partnerships,
    pending_approvals,
    relationship_requests,
    security_groups,
    users,
    webhooks,
)

app_name = "partner_center"

urlpatterns = [
    path("", customer_list.home, name="home"),
    path("customers/", customer_list.customer_list, name="customer-list"),
    path("customers/export.csv", customer_list.customer_export, name="customer-export"),
    path(
        "customers/new-relationship/",
        relationship_requests.new_relationship,
        name="new-relationship",
    ),
    path("customers/requests/", relationship_requests.request_list, name="request-list"),
    path(
        "customers/requests/<uuid:invitation_id>/",
        relationship_requests.request_detail,
        name="request-detail",
    ),
    path(
        "customers/requests/<uuid:invitation_id>/send/",
        relationship_requests.request_send,
        name="request-send",
    ),
    path(
        "customers/requests/<uuid:invitation_id>/revoke/",
        relationship_requests.request_revoke,
        name="request-revoke",
    ),
    path("customers/add/", add_customer.add_customer, name="add-customer"),
    path("customers/add/check-domain/", add_customer.domain_check, name="domain-check"),
    path("customers/<uuid:customer_id>/", customer_page.customer_detail, name="customer-detail"),
    path("customers/<uuid:customer_id>/purchase/", customer_page.purchase, name="purchase"),
    path(
        "customers/<uuid:customer_id>/subscriptions/<uuid:subscription_id>/",
        customer_page.subscription_update,
        name="subscription-update",
    ),
    path(
        "customers/<uuid:customer_id>/remove-reseller/",
        customer_page.remove_reseller,
        name="remove-reseller",
    ),
    path(
        "indirect-resellers/",
        partnerships.indirect_reseller_list,
        name="indirect-reseller-list",
    ),
    path(
        "indirect-resellers/request/",
        partnerships.partnership_request,
        name="partnership-request",
    ),
    path(
        "indirect-providers/",
        partnerships.indirect_provider_list,
        name="indirect-provider-list",
    ),
    path(
        "partnerships/<int:partnership_id>/answer/",
        partnerships.partnership_answer,
        name="partnership-answer",
    ),
    path(
        "partnerships/<int:partnership_id>/remove/",
        partnerships.partnership_remove,
        name="partnership-remove",
    ),
    path(
        "admin-relationships/",
        admin_relationships.admin_relationship_list,
        name="admin-relationship-list",
    ),
    path(
        "admin-relationships/new/",
        admin_relationships.admin_relationship_new,
        name="admin-relationship-new",
    ),
    path(
        "admin-relationships/<uuid:relationship_id>/",
        admin_relationships.admin_relationship_detail,
        name="admin-relationship-detail",
    ),
    path(
        "admin-relationships/<uuid:relationship_id>/finalize/",
        admin_relationships.admin_relationship_finalize,
        name="admin-relationship-finalize",
    ),
    path(
        "admin-relationships/<uuid:relationship_id>/send/",
        admin_relationships.admin_relationship_send,
        name="admin-relationship-send",
    ),
    path(
        "admin-relationships/<uuid:relationship_id>/withdraw/",
        admin_relationships.admin_relationship_withdraw,
        name="admin-relationship-withdraw",
    ),
    path(
        "admin-relationships/<uuid:relationship_id>/terminate/",
        admin_relationships.admin_relationship_terminate,
        name="admin-relationship-terminate",
    ),
    path(
        "admin-relationships/<uuid:relationship_id>/assignments/new/",
        admin_relationships.access_assignment_new,
        name="access-assignment-new",
    ),
    path(
        "admin-relationships/<uuid:relationship_id>/assignments/<uuid:assignment_id>/",
        admin_relationships.access_assignment_edit,
        name="access-assignment-edit",
    ),
    path(
        "admin-relationships/<uuid:relationship_id>/assignments/<uuid:assignment_id>/remove/",
        admin_relationships.access_assignment_remove,
        name="access-assignment-remove",
    ),
    path(
        "admin-relationships/<uuid:relationship_id>/assignments/<uuid:assignment_id>/retry/",
        admin_relationships.access_assignment_retry,
        name="access-assignment-retry",
    ),
    path(
        "admin-relationships/templates/",
        admin_templates.template_list,
        name="admin-relationship-templates",
    ),
    path(
        "admin-relationships/templates/new/",
        admin_templates.template_new,
        name="admin-relationship-template-new",
    ),
    path(
        "admin-relationships/templates/<uuid:template_id>/",
        admin_templates.template_detail,
        name="admin-relationship-template",
    ),
    path(
        "admin-relationships/templates/<uuid:template_id>/edit/",
        admin_templates.template_edit,
        name="admin-relationship-template-edit",
    ),
    path(
        "admin-relationships/pending/",
        pending_approvals.pending_list,
        name="admin-relationship-pending",
    ),
    path(
        "admin-relationships/pending/remind/",
        pending_approvals.pending_remind,
        name="admin-relationship-pending-remind",
    ),
    path(
        "admin-relationships/pending/withdraw/",
        pending_approvals.pending_withdraw,
        name="admin-relationship-pending-withdraw",
    ),
    path(
        "admin-relationships/<uuid:relationship_id>/remind/",
        pending_approvals.request_remind,
        name="admin-relationship-remind",
    ),
    path(
        "admin-relationships/<uuid:relationship_id>/again/",
        pending_approvals.request_again,
        name="admin-relationship-again",
    ),
    path("admin-relationships/bulk/", bulk_jobs.job_list, name="admin-relationship-bulk-jobs"),
    path(
        "admin-relationships/bulk/new/",
        bulk_jobs.bulk_request_new,
        name="admin-relationship-bulk-new",
    ),
    path(
        "admin-relationships/bulk/<uuid:job_id>/",
        bulk_jobs.job_detail,
        name="admin-relationship-bulk-job",
    ),
    path(
        "admin-relationships/bulk/<uuid:job_id>/progress.json",
        bulk_jobs.job_progress,
        name="admin-relationship-bulk-progress",
    ),
    path(
        "admin-relationships/bulk/<uuid:job_id>/results.csv",
        bulk_jobs.job_results_export,
        name="admin-relationship-bulk-results",
    ),
    path(
        "admin-relationships/bulk/<uuid:job_id>/cancel/",
        bulk_jobs.job_cancel,
        name="admin-relationship-bulk-cancel",
    ),
    path("security-groups/", security_groups.security_group_list, name="security-group-list"),
    path(
        "security-groups/<uuid:group_id>/",
        security_groups.security_group_detail,
        name="security-group-detail",
    ),
    path(
        "security-groups/<uuid:group_id>/rename/",
        security_groups.security_group_rename,
        name="security-group-rename",
    ),
    path(
        "security-groups/<uuid:group_id>/members/",
        security_groups.security_group_member_add,
        name="security-group-member-add",
    ),
    path(
        "security-groups/<uuid:group_id>/members/<int:membership_id>/remove/",
        security_groups.security_group_member_remove,
        name="security-group-member-remove",
    ),
    path("users/", users.user_list, name="user-list"),
    path("apps/", apps.app_list, name="app-list"),
    path("apps/<str:prefix>/revoke/", apps.app_revoke, name="app-revoke"),
    path("webhooks/", webhooks.webhook_list, name="webhook-list"),
    path("webhooks/<uuid:webhook_id>/", webhooks.webhook_detail, name="webhook-detail"),
    path(
        "webhooks/<uuid:webhook_id>/deactivate/",
        webhooks.webhook_deactivate,
        name="webhook-deactivate",
    ),
    path("webhooks/<uuid:webhook_id>/test/", webhooks.webhook_send_test, name="webhook-test"),
    path(
        "webhooks/<uuid:webhook_id>/deliveries/<uuid:delivery_id>/redeliver/",
        webhooks.webhook_redeliver,
        name="webhook-redeliver",
    ),
    path(
        "users/<int:membership_id>/reset-sign-in/",
        users.user_reset_sign_in,
        name="user-reset-sign-in",
    ),
    path("activity/", activity.activity_log, name="activity-log"),
    path("activity/export.csv", activity.activity_export, name="activity-export"),
]
