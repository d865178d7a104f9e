from django.urls import path

from partner_center import views

app_name = "partner_center"

urlpatterns = [
    path("", views.home, name="home"),
    path("customers/", views.customer_list, name="customer-list"),
    path("customers/export.csv", views.customer_export, name="customer-export"),
    path("customers/new-relationship/", views.new_relationship, name="new-relationship"),
    path("customers/requests/", views.request_list, name="request-list"),
    path("customers/requests/<uuid:invitation_id>/", views.request_detail, name="request-detail"),
    path("customers/requests/<uuid:invitation_id>/send/", views.request_send, name="request-send"),
    path(
        "customers/requests/<uuid:invitation_id>/revoke/",
        views.request_revoke,
        name="request-revoke",
    ),
    path("customers/add/", views.add_customer, name="add-customer"),
    path("customers/add/check-domain/", views.domain_check, name="domain-check"),
    path("customers/<uuid:customer_id>/", views.customer_detail, name="customer-detail"),
    path("customers/<uuid:customer_id>/purchase/", views.purchase, name="purchase"),
    path(
        "customers/<uuid:customer_id>/subscriptions/<uuid:subscription_id>/",
        views.subscription_update,
        name="subscription-update",
    ),
    path(
        "customers/<uuid:customer_id>/remove-reseller/",
        views.remove_reseller,
        name="remove-reseller",
    ),
    path("activity/", views.activity_log, name="activity-log"),
    path("activity/export.csv", views.activity_export, name="activity-export"),
]
