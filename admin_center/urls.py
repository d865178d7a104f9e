from django.urls import path

from admin_center import admin_relationships, users, views

app_name = "admin_center"

urlpatterns = [
    path("", views.home, name="home"),
    # The path and parameters of the real admin center's link, so a partner recognizes it.
    path("adminportal/home", views.invitation_open, name="invitation-open"),
    path(
        "partner-invitation/<uuid:invitation_id>/",
        views.partner_invitation,
        name="partner-invitation",
    ),
    path(
        "partner-invitation/<uuid:invitation_id>/accept/",
        views.invitation_accept,
        name="invitation-accept",
    ),
    path(
        "partner-invitation/<uuid:invitation_id>/decline/",
        views.invitation_decline,
        name="invitation-decline",
    ),
    # The path of the real admin center's link (there after "#/"), so a partner recognizes it.
    path(
        "partners/invitation/granularAdminRelationships/<uuid:relationship_id>",
        admin_relationships.admin_request_open,
        name="gdap-open",
    ),
    path(
        "partner-admin-relationships/<uuid:relationship_id>/",
        admin_relationships.admin_request,
        name="gdap-request",
    ),
    path(
        "partner-admin-relationships/<uuid:relationship_id>/approve/",
        admin_relationships.admin_request_approve,
        name="gdap-approve",
    ),
    path(
        "partner-admin-relationships/<uuid:relationship_id>/decline/",
        admin_relationships.admin_request_decline,
        name="gdap-decline",
    ),
    path("customer-agreement/", views.agreement, name="agreement"),
    path("billing/agreements/", views.agreements, name="agreements"),
    path(
        "settings/partner-relationships/",
        views.partner_relationships,
        name="partner-relationships",
    ),
    path(
        "settings/partner-relationships/admin-relationships/<uuid:relationship_id>/remove/",
        admin_relationships.admin_relationship_terminate,
        name="gdap-terminate",
    ),
    path(
        "settings/partner-relationships/<uuid:partner_id>/end-reseller/",
        views.end_reseller,
        name="end-reseller",
    ),
    path("settings/organization-profile/", views.organization_profile, name="organization-profile"),
    path("users/active/", users.users, name="users"),
    path(
        "users/<int:membership_id>/reset-sign-in/",
        users.user_reset_sign_in,
        name="user-reset-sign-in",
    ),
    path("activity/", views.activity, name="activity"),
]
