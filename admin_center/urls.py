from django.urls import path

from admin_center import views

app_name = "admin_center"

urlpatterns = [
    path("", views.home, name="home"),
    path("adminportal/home", views.invitation_open, name="invitation-open"),
    path("billing/agreements/", views.home, name="agreements"),
    path("settings/partner-relationships/", views.home, name="partner-relationships"),
    path("settings/organization-profile/", views.home, name="company-profile"),
    path("activity/", views.home, name="activity"),
]
