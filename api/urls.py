from django.urls import path
from drf_spectacular.views import SpectacularJSONAPIView

from api import admin_relationships, views

app_name = "api"

urlpatterns = [
    path(
        "customers/relationshiprequests",
        views.RelationshipRequestView.as_view(),
        name="relationship-request",
    ),
    path("customers", views.CustomerListView.as_view(), name="customers"),
    path("customers/<uuid:customer_id>", views.CustomerDetailView.as_view(), name="customer"),
    path(
        "customers/<uuid:customer_id>/relationships",
        views.CustomerRelationshipsView.as_view(),
        name="customer-relationships",
    ),
    path(
        "customers/<uuid:customer_id>/agreements",
        views.CustomerAgreementsView.as_view(),
        name="customer-agreements",
    ),
    path(
        "relationshiprequests",
        views.RelationshipRequestListView.as_view(),
        name="relationship-requests",
    ),
    path(
        "relationshiprequests/<uuid:request_id>/revoke",
        views.RelationshipRequestRevokeView.as_view(),
        name="relationship-request-revoke",
    ),
    path(
        "tenantRelationships/delegatedAdminRelationships",
        admin_relationships.AdminRelationshipListView.as_view(),
        name="admin-relationships",
    ),
    path(
        "tenantRelationships/delegatedAdminRelationships/<uuid:relationship_id>",
        admin_relationships.AdminRelationshipDetailView.as_view(),
        name="admin-relationship",
    ),
    path(
        "tenantRelationships/delegatedAdminRelationships/<uuid:relationship_id>/requests",
        admin_relationships.AdminRelationshipRequestView.as_view(),
        name="admin-relationship-requests",
    ),
    path(
        "tenantRelationships/delegatedAdminRelationships/<uuid:relationship_id>/accessAssignments",
        admin_relationships.AccessAssignmentListView.as_view(),
        name="admin-relationship-access-assignments",
    ),
    path("openapi.json", SpectacularJSONAPIView.as_view(), name="schema"),
    path("docs/", views.reference, name="docs"),
]
