"""The Partner Center API, in the real one's shapes (`items`, `totalCount`, `links`,
`attributes.objectType`), on the services and rules the pages use."""

import json

from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from tenancy import rules, services
from tenancy.models import (
    AdminRelationship,
    CustomerListCount,
    CustomerListRow,
    CustomerState,
    Tenant,
)
from tenancy.paging import keyset_page
from tenancy.rules import Action

MAX_SIZE = 500
DEFAULT_SIZE = 40
ORDER = ["customer_name", "customer_id"]
FILTER_FIELDS = {"CompanyName": "customer_name", "Domain": "customer_domain"}
CONTINUATION_HEADER = "MS-ContinuationToken"

# Graph's names for an admin relationship's status.
GRAPH_STATUS = {
    "created": "created",
    "approval_pending": "approvalPending",
    "active": "active",
    "expiring": "active",
    "declined": "terminated",
    "withdrawn": "terminated",
    "terminated": "terminated",
    "expired": "expired",
}


class AppView(APIView):
    """Every endpoint: an app's key, and the app's roles must allow `action`."""

    action: Action

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        rules.require(request.membership, self.action)

    @property
    def partner(self) -> Tenant:
        return self.request.membership.tenant


# --- Shapes ----------------------------------------------------------------------------------


class AttributesSerializer(serializers.Serializer):
    objectType = serializers.CharField()


class RelationshipRequestSerializer(serializers.Serializer):
    url = serializers.URLField()
    attributes = AttributesSerializer()


class CompanyProfileSerializer(serializers.Serializer):
    tenantId = serializers.UUIDField()
    domain = serializers.CharField()
    companyName = serializers.CharField()


class AdminRelationshipRefSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    displayName = serializers.CharField()
    status = serializers.CharField()


class CustomerSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    companyProfile = CompanyProfileSerializer()
    relationshipToPartner = serializers.ChoiceField(choices=["reseller", "none"])
    attributes = AttributesSerializer()


class CustomerDetailSerializer(CustomerSerializer):
    adminRelationships = AdminRelationshipRefSerializer(many=True)


class LinkSerializer(serializers.Serializer):
    uri = serializers.CharField()
    method = serializers.CharField()
    headers = serializers.ListField(child=serializers.DictField())


class LinksSerializer(serializers.Serializer):
    self = LinkSerializer()
    next = LinkSerializer(required=False)


class CustomerCollectionSerializer(serializers.Serializer):
    totalCount = serializers.IntegerField()
    items = CustomerSerializer(many=True)
    links = LinksSerializer()
    attributes = AttributesSerializer()


def _customer(row_id, name, domain, state) -> dict:
    return {
        "id": str(row_id),
        "companyProfile": {"tenantId": str(row_id), "domain": domain, "companyName": name},
        "relationshipToPartner": "reseller" if state == CustomerState.RESELLER else "none",
        "attributes": {"objectType": "Customer"},
    }


# --- Relationship requests -------------------------------------------------------------------


class RelationshipRequestView(AppView):
    action = Action.REQUEST_RELATIONSHIP

    @extend_schema(
        summary="A new reseller relationship request link",
        description="The same request as New relationship in Partner Center: a link valid "
        "for the request's lifetime, audited as the app.",
        parameters=[
            OpenApiParameter("label", str, description="Who the request is for (optional)."),
            OpenApiParameter("recipient", str, description="The customer's email (optional)."),
            OpenApiParameter(
                "delegatedAdmin",
                bool,
                description="Include delegated administration permissions (default true).",
            ),
        ],
        responses=RelationshipRequestSerializer,
    )
    def get(self, request):
        params = QuerySerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        data = params.validated_data
        invitation = services.invitation_create(
            partner=self.partner,
            created_by=request.user,
            include_admin=data["delegatedAdmin"],
            label=data["label"],
            recipient_email=data["recipient"],
        )
        return Response(
            {"url": invitation.link(), "attributes": {"objectType": "RelationshipRequest"}}
        )


class QuerySerializer(serializers.Serializer):
    label = serializers.CharField(required=False, default="", allow_blank=True, max_length=100)
    recipient = serializers.EmailField(required=False, default="", allow_blank=True)
    delegatedAdmin = serializers.BooleanField(required=False, default=True)


# --- Customers --------------------------------------------------------------------------------


class CustomerListView(AppView):
    action = Action.VIEW_CUSTOMERS

    @extend_schema(
        operation_id="customers_list",
        summary="The partner's customers, a page at a time",
        description="Sorted by company name. `links.next` carries the continuation token (send "
        f"it back in the `{CONTINUATION_HEADER}` header, or as `continuationToken`): a page "
        "costs the same wherever it is, and a customer added meanwhile neither repeats nor hides "
        'one. `filter`: {"Field": "CompanyName" | "Domain", "Value": "Cont", '
        '"Operator": "starts_with"}.',
        parameters=[
            OpenApiParameter("size", int, description=f"1 to {MAX_SIZE} (default {DEFAULT_SIZE})"),
            OpenApiParameter("filter", str, description="JSON, as above"),
            OpenApiParameter("continuationToken", str),
            OpenApiParameter(
                CONTINUATION_HEADER, str, location=OpenApiParameter.HEADER, required=False
            ),
        ],
        responses=CustomerCollectionSerializer,
    )
    def get(self, request):
        size = self._size(request.query_params.get("size"))
        rows = CustomerListRow.objects.filter(partner=self.partner)
        filtered = request.query_params.get("filter")
        if filtered:
            rows = rows.filter(**self._filter(filtered))
        token = request.headers.get(CONTINUATION_HEADER) or request.query_params.get(
            "continuationToken"
        )
        page = keyset_page(rows, order=ORDER, cursor=token, size=size)
        if filtered:
            total = rows.count()
        else:
            counts = CustomerListCount.objects.filter(partner=self.partner)
            total = sum(counts.values_list("count", flat=True))
        query = f"size={size}" + (f"&filter={filtered}" if filtered else "")
        links = {"self": {"uri": f"/v1/customers?{query}", "method": "GET", "headers": []}}
        if page.next_cursor:
            links["next"] = {
                "uri": f"/v1/customers?{query}&seekOperation=Next",
                "method": "GET",
                "headers": [{"key": CONTINUATION_HEADER, "value": page.next_cursor}],
            }
        return Response(
            {
                "totalCount": total,
                "items": [
                    _customer(r.customer_id, r.customer_name, r.customer_domain, r.state)
                    for r in page.object_list
                ],
                "links": links,
                "attributes": {"objectType": "Collection"},
            }
        )

    @staticmethod
    def _size(value) -> int:
        if value in (None, ""):
            return DEFAULT_SIZE
        try:
            size = int(value)
        except ValueError:
            size = 0
        if not 1 <= size <= MAX_SIZE:
            raise serializers.ValidationError({"size": f"Use a size from 1 to {MAX_SIZE}."})
        return size

    @staticmethod
    def _filter(raw: str) -> dict:
        problem = serializers.ValidationError(
            {
                "filter": 'Use {"Field": "CompanyName" or "Domain", "Value": "...", '
                '"Operator": "starts_with"}.'
            }
        )
        try:
            spec = json.loads(raw)
        except ValueError:
            raise problem from None
        if not isinstance(spec, dict):
            raise problem
        field = FILTER_FIELDS.get(spec.get("Field"))
        value = spec.get("Value")
        if field is None or spec.get("Operator") != "starts_with":
            raise problem
        if not isinstance(value, str) or not value.strip() or len(value) > 200:
            raise problem
        return {f"{field}__istartswith": value.strip()}


class CustomerDetailView(AppView):
    action = Action.VIEW_CUSTOMERS

    @extend_schema(
        operation_id="customer_get",
        summary="One customer",
        responses=CustomerDetailSerializer,
        parameters=[OpenApiParameter("customer_id", OpenApiTypes.UUID, OpenApiParameter.PATH)],
    )
    def get(self, request, customer_id):
        row = get_object_or_404(CustomerListRow, partner=self.partner, customer_id=customer_id)
        now = timezone.now()
        relationships = AdminRelationship.objects.filter(
            partner=self.partner, customer_id=customer_id
        ).order_by("-created_at")
        body = _customer(row.customer_id, row.customer_name, row.customer_domain, row.state)
        body["adminRelationships"] = [
            {
                "id": str(r.pk),
                "displayName": r.name,
                "status": GRAPH_STATUS.get(r.display_status(now).value, "created"),
            }
            for r in relationships
        ]
        return Response(body)


# --- The reference page -----------------------------------------------------------------------


def reference(request):
    """The OpenAPI document as a page: every operation with its parameters and answers, rendered
    here (no script, nothing from elsewhere), linked to the document itself."""
    document = SchemaGenerator().get_schema(request=None, public=True)
    operations = [
        {"method": method.upper(), "path": path, **operation}
        for path, methods in document["paths"].items()
        for method, operation in methods.items()
    ]
    return render(
        request,
        "api/reference.html",
        {"info": document["info"], "operations": operations},
    )
