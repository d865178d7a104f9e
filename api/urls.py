from django.urls import path, re_path
from drf_spectacular.views import SpectacularJSONAPIView

from api.errors import NotFoundView
from api.resources import (
    access_trace,
    admin_relationship_actions,
    agreements,
    bulk_jobs,
    customer_relationships,
    customers,
    delegated_admin_relationships,
    reference,
    relationship_history,
    relationship_requests,
    templates,
    webhooks,
)

app_name = "api"

urlpatterns = [
    path(
        "customers/relationshiprequests",
        relationship_requests.RelationshipRequestView.as_view(),
        name="relationship-request",
    ),
    path("customers", customers.CustomerListView.as_view(), name="customers"),
    path("customers/<uuid:customer_id>", customers.CustomerDetailView.as_view(), name="customer"),
    path(
        "customers/<uuid:customer_id>/relationships",
        customer_relationships.CustomerRelationshipsView.as_view(),
        name="customer-relationships",
    ),
    path(
        "customers/<uuid:customer_id>/agreements",
        agreements.CustomerAgreementsView.as_view(),
        name="customer-agreements",
    ),
    path(
        "customers/<uuid:customer_id>/access",
        access_trace.CustomerAccessView.as_view(),
        name="customer-access",
    ),
    path(
        "users/<int:membership_id>/access",
        access_trace.UserAccessView.as_view(),
        name="user-access",
    ),
    path(
        "relationshiprequests",
        relationship_requests.RelationshipRequestListView.as_view(),
        name="relationship-requests",
    ),
    path(
        "relationshiprequests/<uuid:request_id>/revoke",
        relationship_requests.RelationshipRequestRevokeView.as_view(),
        name="relationship-request-revoke",
    ),
    path(
        "tenantRelationships/delegatedAdminRelationships",
        delegated_admin_relationships.AdminRelationshipListView.as_view(),
        name="admin-relationships",
    ),
    path(
        "tenantRelationships/delegatedAdminRelationships/expiryCounts",
        admin_relationship_actions.ExpiryCountsView.as_view(),
        name="admin-relationship-expiry-counts",
    ),
    path(
        "tenantRelationships/delegatedAdminRelationships/<uuid:relationship_id>",
        admin_relationship_actions.AdminRelationshipView.as_view(),
        name="admin-relationship",
    ),
    path(
        "tenantRelationships/delegatedAdminRelationships/<uuid:relationship_id>/upgrade",
        admin_relationship_actions.AdminRelationshipUpgradeView.as_view(),
        name="admin-relationship-upgrade",
    ),
    path(
        "tenantRelationships/delegatedAdminRelationships/<uuid:relationship_id>/requests",
        relationship_history.AdminRelationshipRequestView.as_view(),
        name="admin-relationship-requests",
    ),
    path(
        "tenantRelationships/delegatedAdminRelationships/<uuid:relationship_id>/requests/"
        "<int:request_id>",
        relationship_history.AdminRelationshipRequestDetailView.as_view(),
        name="admin-relationship-request",
    ),
    path(
        "tenantRelationships/delegatedAdminRelationships/<uuid:relationship_id>/operations",
        relationship_history.AdminRelationshipOperationListView.as_view(),
        name="admin-relationship-operations",
    ),
    path(
        "tenantRelationships/delegatedAdminRelationships/<uuid:relationship_id>/operations/"
        "<int:operation_id>",
        relationship_history.AdminRelationshipOperationDetailView.as_view(),
        name="admin-relationship-operation",
    ),
    path(
        "tenantRelationships/delegatedAdminRelationships/<uuid:relationship_id>/accessAssignments",
        delegated_admin_relationships.AccessAssignmentListView.as_view(),
        name="admin-relationship-access-assignments",
    ),
    path("adminRelationshipTemplates", templates.TemplateListView.as_view(), name="templates"),
    path(
        "adminRelationshipTemplates/<uuid:template_id>",
        templates.TemplateDetailView.as_view(),
        name="template",
    ),
    path(
        "adminRelationshipTemplates/<uuid:template_id>/accessIfApproved",
        access_trace.TemplateIfApprovedView.as_view(),
        name="template-access-if-approved",
    ),
    path("bulkJobs", bulk_jobs.BulkJobListView.as_view(), name="bulk-jobs"),
    path("bulkJobs/preview", bulk_jobs.BulkJobPreviewView.as_view(), name="bulk-job-preview"),
    path("bulkJobs/<uuid:job_id>", bulk_jobs.BulkJobDetailView.as_view(), name="bulk-job"),
    path(
        "bulkJobs/<uuid:job_id>/cancel",
        bulk_jobs.BulkJobCancelView.as_view(),
        name="bulk-job-cancel",
    ),
    path(
        "bulkJobs/<uuid:job_id>/results",
        bulk_jobs.BulkJobResultsView.as_view(),
        name="bulk-job-results",
    ),
    path(
        "relationshiprequests/<uuid:request_id>",
        webhooks.RelationshipRequestView.as_view(),
        name="relationship-request-detail",
    ),
    path(
        "tenantRelationships/delegatedAdminRelationships/<uuid:relationship_id>/accessAssignments"
        "/<uuid:assignment_id>",
        webhooks.AccessAssignmentView.as_view(),
        name="admin-relationship-access-assignment",
    ),
    path(
        "webhooks/registration",
        webhooks.WebhookRegistrationView.as_view(),
        name="webhook-registration",
    ),
    path(
        "webhooks/registration/validationEvents",
        webhooks.ValidationEventsView.as_view(),
        name="webhook-validation-events",
    ),
    path(
        "webhooks/registration/validationEvents/<uuid:correlation_id>",
        webhooks.ValidationEventView.as_view(),
        name="webhook-validation-event",
    ),
    path(
        "webhooks/eventTypes", webhooks.WebhookEventTypesView.as_view(), name="webhook-event-types"
    ),
    path("auditrecords", webhooks.AuditRecordListView.as_view(), name="audit-records"),
    path("openapi.json", SpectacularJSONAPIView.as_view(), name="schema"),
    path("docs/", reference.reference, name="docs"),
]

# Last: any other path under /v1/ (an unknown one, or a malformed id) is a 404 in the API's shape.
urlpatterns += [re_path(r"", NotFoundView.as_view(), name="not-found")]
