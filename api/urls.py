from django.urls import path
from drf_spectacular.views import SpectacularJSONAPIView

from api import views

app_name = "api"

urlpatterns = [
    path(
        "customers/relationshiprequests",
        views.RelationshipRequestView.as_view(),
        name="relationship-request",
    ),
    path("customers", views.CustomerListView.as_view(), name="customers"),
    path("customers/<uuid:customer_id>", views.CustomerDetailView.as_view(), name="customer"),
    path("openapi.json", SpectacularJSONAPIView.as_view(), name="schema"),
    path("docs/", views.reference, name="docs"),
]
