"""Customers: the partner's list a page at a time (keyset, from the Customer list's read model),
one customer, and removing the reseller relationship (`PATCH`, `relationshipToPartner: none`)."""

import json

from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.response import Response

from api.base import (
    CONTINUATION_HEADER,
    CUSTOMER_ID,
    GRAPH_STATUS,
    NUL,
    AppView,
    AttributesSerializer,
    LinksSerializer,
    PageQuerySerializer,
    TextField,
    continued_page,
    customer_of,
    errors,
    null_characters,
    query_data,
)
from tenancy import selectors, services
from tenancy.models import AdminRelationship, CustomerListRow, CustomerState
from tenancy.rules import Action
from tenancy.web import fragments

ORDER = ["customer_name", "customer_id"]
FILTER_FIELDS = {"CompanyName": "customer_name", "Domain": "customer_domain"}


class CompanyProfileSerializer(serializers.Serializer):
    tenantId = serializers.UUIDField()
    domain = TextField()
    companyName = TextField()


class AdminRelationshipRefSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    displayName = TextField()
    status = TextField()


class CustomerSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    companyProfile = CompanyProfileSerializer()
    relationshipToPartner = serializers.ChoiceField(choices=["reseller", "none"])
    attributes = AttributesSerializer()


class CustomerDetailSerializer(CustomerSerializer):
    adminRelationships = AdminRelationshipRefSerializer(many=True)


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


class CustomerPatchSerializer(serializers.Serializer):
    relationshipToPartner = TextField(
        help_text='"none": ends your reseller relationship with the customer.'
    )

    def validate_relationshipToPartner(self, value: str) -> str:
        if value != "none":
            raise serializers.ValidationError(
                _('Only "none" can be set: it removes your reseller relationship.')
            )
        return value

    def to_internal_value(self, data):
        if isinstance(data, dict):
            for key in data:
                if key not in self.fields:
                    raise serializers.ValidationError(
                        {str(key)[:100]: _("Only relationshipToPartner can change here.")}
                    )
        return super().to_internal_value(data)


# --- Endpoints -------------------------------------------------------------------------------


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
            PageQuerySerializer,
            OpenApiParameter("filter", str, description="JSON, as above"),
            OpenApiParameter("continuationToken", str),
            OpenApiParameter(
                CONTINUATION_HEADER, str, location=OpenApiParameter.HEADER, required=False
            ),
        ],
        responses=CustomerCollectionSerializer,
    )
    def get(self, request):
        size = query_data(PageQuerySerializer, request)["size"]
        # A page is kept under the list's version, read with the app's membership before the
        # rows (tenancy.web.fragments): asked again before the list changes, it is the same.
        body = fragments.kept_value(
            request,
            "api-customers",
            request.membership.customer_list_version,
            lambda: (self._page(request, size), None),
            also=[request.headers.get(CONTINUATION_HEADER, "")],
        )
        return Response(body)

    def _page(self, request, size: int) -> dict:
        rows = CustomerListRow.objects.filter(partner=self.partner)
        filtered = request.query_params.get("filter")
        if filtered:
            rows = rows.filter(**self._filter(filtered))
        page = continued_page(rows, request, order=ORDER, size=size)
        # Exact: a filtered list counts its rows; the whole list reads its counters.
        total = rows.count() if filtered else selectors.customer_list_total(self.partner)
        query = f"size={size}" + (f"&filter={filtered}" if filtered else "")
        links = {"self": {"uri": f"/v1/customers?{query}", "method": "GET", "headers": []}}
        if page.next_cursor:
            links["next"] = {
                "uri": f"/v1/customers?{query}&seekOperation=Next",
                "method": "GET",
                "headers": [{"key": CONTINUATION_HEADER, "value": page.next_cursor}],
            }
        return {
            "totalCount": total,
            "items": [
                _customer(r.customer_id, r.customer_name, r.customer_domain, r.state)
                for r in page.object_list
            ],
            "links": links,
            "attributes": {"objectType": "Collection"},
        }

    @staticmethod
    def _filter(raw: str) -> dict:
        problem = serializers.ValidationError(
            {
                "filter": _(
                    # Translators: the JSON stays as it is.
                    'Use {"Field": "CompanyName" or "Domain", "Value": "...", '
                    '"Operator": "starts_with"}.'
                )
            }
        )
        try:
            spec = json.loads(raw)
        except (ValueError, RecursionError):  # deep enough, json runs out of stack
            raise problem from None
        if not isinstance(spec, dict):
            raise problem
        field = FILTER_FIELDS.get(spec.get("Field"))
        value = spec.get("Value")
        if field is None or spec.get("Operator") != "starts_with":
            raise problem
        if not isinstance(value, str) or not value.strip() or len(value) > 200:
            raise problem
        if NUL in value:  # an escape in the JSON, past the view's check of the query
            raise serializers.ValidationError({"filter": null_characters()})
        return {f"{field}__istartswith": value.strip()}


class CustomerDetailView(AppView):
    action = Action.VIEW_CUSTOMERS
    method_actions = {"PATCH": Action.REMOVE_RESELLER}

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
                "status": GRAPH_STATUS[r.display_status(now).value],
            }
            for r in relationships
        ]
        return Response(body)

    @extend_schema(
        operation_id="customer_update",
        summary="Remove the reseller relationship",
        description='`{"relationshipToPartner": "none"}` ends your reseller relationship with '
        "the customer, as **Remove reseller relationship** does (Global admins only), audited "
        "as the app. Refused (409) while any of your subscriptions for the customer is active: "
        "suspend them first. The customer stays on your list, its relationship `none`.",
        # Written out: the serializer would be documented as partial, as for every PATCH, and
        # this body needs its one field.
        request={
            "application/json": {
                "type": "object",
                "properties": {"relationshipToPartner": {"type": "string", "enum": ["none"]}},
                "required": ["relationshipToPartner"],
                "additionalProperties": False,
            }
        },
        responses={200: CustomerSerializer, **errors(400, 403, 404, 409)},
        parameters=[CUSTOMER_ID],
    )
    def patch(self, request, customer_id):
        customer = customer_of(self.partner, customer_id)
        CustomerPatchSerializer(data=request.data).is_valid(raise_exception=True)
        # The service asks the decision the remove-reseller page shows, under its lock.
        services.reseller_relationship_end(
            partner=self.partner, customer=customer, ended_by=request.user, by=self.partner
        )
        row = CustomerListRow.objects.get(partner=self.partner, customer=customer)
        return Response(
            _customer(row.customer_id, row.customer_name, row.customer_domain, row.state)
        )
