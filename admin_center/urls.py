from django.urls import path

from admin_center.views import organization, partners, pending_requests, users
from admin_center.views.partner_requests import ADMIN_PAGES, RESELLER_PAGES

app_name = "admin_center"

urlpatterns = [
    path("", organization.home, name="home"),
    # The paths of the real admin center's links (the admin relationship's there after "#/"),
    # so a partner recognizes them.
    *RESELLER_PAGES.urls(open_route="adminportal/home", route="partner-invitation/<uuid:pk>/"),
    *ADMIN_PAGES.urls(
        open_route="partners/invitation/granularAdminRelationships/<uuid:relationship_id>",
        route="partner-admin-relationships/<uuid:pk>/",
    ),
    path("customer-agreement/", organization.agreement, name="agreement"),
    path("billing/agreements/", organization.agreements, name="agreements"),
    path(
        "settings/partner-relationships/",
        partners.partner_relationships,
        name="partner-relationships",
    ),
    path(
        "settings/partner-relationships/admin-relationships/<uuid:relationship_id>/remove/",
        partners.admin_relationship_terminate,
        name="gdap-terminate",
    ),
    path(
        "settings/partner-relationships/<uuid:partner_id>/requests/",
        pending_requests.pending_requests,
        name="partner-requests",
    ),
    path(
        "settings/partner-relationships/<uuid:partner_id>/requests/approve/",
        pending_requests.approve,
        name="partner-requests-approve",
    ),
    path(
        "settings/partner-relationships/<uuid:partner_id>/requests/decline/",
        pending_requests.decline,
        name="partner-requests-decline",
    ),
    path(
        "settings/partner-relationships/<uuid:partner_id>/end-reseller/",
        partners.end_reseller,
        name="end-reseller",
    ),
    path(
        "settings/organization-profile/",
        organization.organization_profile,
        name="organization-profile",
    ),
    path("users/active/", users.users, name="users"),
    path(
        "users/<int:membership_id>/reset-sign-in/",
        users.user_reset_sign_in,
        name="user-reset-sign-in",
    ),
    path("users/<int:membership_id>/roles/", users.user_roles, name="user-roles"),
    path("activity/", organization.activity, name="activity"),
]
