from django.urls import path

from partner_center import views

app_name = "partner_center"

urlpatterns = [
    path("", views.home, name="home"),
    path("customers/", views.customer_list, name="customer-list"),
    path("customers/requests/", views.request_list, name="request-list"),
    path("customers/add/", views.add_customer, name="add-customer"),
    path("activity/", views.activity_log, name="activity-log"),
]
