"""Admin relationships (GDAP) in Microsoft Graph's shapes, under
`/v1/tenantRelationships/delegatedAdminRelationships`, on the services the Admin relationships
pages call: a request is created, locked for approval (Finalize request) or terminated, and
security groups get some of an active relationship's roles (access assignments)."""

import re

from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, gettext_noop
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.response import Response

from api.base import DEFAULT_SIZE, GRAPH_STATUS, MAX_SIZE, AppView, errors, iso, lazy_sentence
from tenancy import selectors, services
from tenancy.models import (
    AUTO_EXTEND_DAYS,
    AccessAssignment,
    AdminRelationship,
    SecurityGroup,
    Tenant,
)
from tenancy.paging import keyset_page
from tenancy.rules import Action

BASE = "/v1/tenantRelationships/delegatedAdminRelationships"
NO_EXTENSION, EXTENSION = "PT0S", f"P{AUTO_EXTEND_DAYS}D"
DAYS = re.compile(r"P(\d{1,4})D")
ORDER = ["-created_at", "-id"]
# A window of expiry, as the Expiring page lists it: soonest end first.
EXPIRING_ORDER = ["ends_at", "id"]

# The services' field names, as Graph's requests name them.
RELATIONSHIP_FIELDS = {
    "name": "displayName",
    "duration_days": "duration",
    "roles": "accessDetails",
    "auto_extend": "autoExtendDuration",
    "customer": "customer",
}
ASSIGNMENT_FIELDS = {"group": "accessContainer", "roles": "accessDetails"}


def _field_errors(problems: dict[str, str], names: dict[str, str]) -> serializers.ValidationError:
    """A service's problems by field (AdminRequestInvalid), as a 400 naming Graph's field."""
    return serializers.ValidationError(
        {names.get(field, field): message for field, message in problems.items()}
    )


def _relationship_of(partner: Tenant, relationship_id) -> AdminRelationship:
    """One of the partner's admin relationships; anyone else's is a 404."""
    relationship = (
        AdminRelationship.objects.select_related("customer", "template_version__template__latest")
        .filter(pk=relationship_id, partner=partner)
        .first()
    )
    if relationship is None:
        raise Http404("No such admin relationship.")
    relationship.partner = partner
    return relationship


# --- Shapes ----------------------------------------------------------------------------------


class UnifiedRoleSerializer(serializers.Serializer):
    roleDefinitionId = serializers.CharField(
        max_length=100, help_text="A Microsoft Entra role template id."
    )


class AccessDetailsSerializer(serializers.Serializer):
    unifiedRoles = UnifiedRoleSerializer(many=True, max_length=100)


class RelationshipCustomerSerializer(serializers.Serializer):
    tenantId = serializers.UUIDField()
    displayName = serializers.CharField()


class DelegatedAdminRelationshipSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    displayName = serializers.CharField()
    duration = serializers.CharField(help_text="ISO 8601 days: P1D to P730D.")
    customer = RelationshipCustomerSerializer(
        required=False, help_text="Absent while a request for any customer is unanswered."
    )
    accessDetails = AccessDetailsSerializer()
    status = serializers.ChoiceField(
        choices=sorted(set(GRAPH_STATUS.values())),
        help_text="Graph's names: a declined or withdrawn request is terminated.",
    )
    autoExtendDuration = serializers.ChoiceField(choices=[EXTENSION, NO_EXTENSION])
    createdDateTime = serializers.DateTimeField()
    lastModifiedDateTime = serializers.DateTimeField()
    activatedDateTime = serializers.DateTimeField(required=False)
    endDateTime = serializers.DateTimeField(required=False)
    replacesRelationshipId = serializers.UUIDField(
        required=False,
        help_text="An upgrade request: the relationship it replaces once the customer approves "
        "it (that one is terminated then).",
    )
    upgradeAvailable = serializers.IntegerField(
        required=False,
        help_text="One relationship's GET: the number of its template's newer version, when "
        "`POST …/{id}/upgrade` would ask the customer for it (in force, made from an older "
        "version, no upgrade waiting).",
    )


DelegatedAdminRelationshipCollection = inline_serializer(
    "DelegatedAdminRelationshipCollection",
    fields={
        "value": DelegatedAdminRelationshipSerializer(many=True),
        "@odata.nextLink": serializers.CharField(
            required=False, help_text="The next page, while there is one."
        ),
    },
)


class CustomerRefSerializer(serializers.Serializer):
    tenantId = serializers.UUIDField()


class RelationshipCreateSerializer(serializers.Serializer):
    displayName = serializers.CharField(
        allow_blank=True,
        trim_whitespace=False,
        error_messages={"required": gettext_lazy("Enter a name for the admin relationship.")},
    )
    duration = serializers.CharField(
        error_messages={"required": gettext_lazy("Give a duration in days, from P1D to P730D.")}
    )
    customer = CustomerRefSerializer(
        required=False,
        allow_null=True,
        help_text="One of your customers. Leave it out to request the relationship for any "
        "customer.",
    )
    accessDetails = AccessDetailsSerializer(
        error_messages={"required": gettext_lazy("Select at least one Microsoft Entra role.")}
    )
    autoExtendDuration = serializers.ChoiceField(
        choices=[NO_EXTENSION, EXTENSION],
        required=False,
        default=NO_EXTENSION,
        error_messages={
            "invalid_choice": lazy_sentence(
                # Translators: %(extension)s and %(no_extension)s are the API's values, as they are.
                gettext_noop("Use %(extension)s or %(no_extension)s."),
                extension=EXTENSION,
                no_extension=NO_EXTENSION,
            )
        },
    )

    def validate_duration(self, value: str) -> int:
        match = DAYS.fullmatch(value.strip())
        if match is None:
            raise serializers.ValidationError(
                _("Give the duration in ISO 8601 days, from P1D to P730D.")
            )
        return int(match[1])

    def validate_customer(self, value):
        if value is None:
            return None
        partner = self.context["partner"]
        customer = selectors.customers_of(partner).filter(pk=value["tenantId"]).first()
        if customer is None:
            # The request form's sentence.
            raise serializers.ValidationError(
                _("Choose one of your customers, or request the relationship for any customer.")
            )
        return customer


class DelegatedAdminRelationshipRequestSerializer(serializers.Serializer):
    action = serializers.ChoiceField(
        choices=["lockForApproval", "terminate"],
        error_messages={
            "invalid_choice": gettext_lazy(
                # Translators: lockForApproval and terminate are the API's values, as they are.
                "Use lockForApproval or terminate: approving and rejecting are the customer's."
            )
        },
    )


class DelegatedAdminRelationshipRequestResultSerializer(serializers.Serializer):
    action = serializers.ChoiceField(choices=["lockForApproval", "terminate"])
    status = serializers.ChoiceField(choices=["succeeded"])
    createdDateTime = serializers.DateTimeField()
    lastModifiedDateTime = serializers.DateTimeField()


class AccessContainerSerializer(serializers.Serializer):
    accessContainerId = serializers.UUIDField(help_text="One of your security groups.")
    accessContainerType = serializers.ChoiceField(choices=["securityGroup"])


class AccessAssignmentSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    accessContainer = AccessContainerSerializer()
    accessDetails = AccessDetailsSerializer()
    status = serializers.ChoiceField(
        choices=["active", "error"],
        help_text="error: made from a template's mapping when the customer approved, and not "
        "possible then (the group had no members, or the role was not approved); retry it on the "
        "relationship's page.",
    )
    createdDateTime = serializers.DateTimeField()
    lastModifiedDateTime = serializers.DateTimeField()


class AccessAssignmentCreateSerializer(serializers.Serializer):
    accessContainer = AccessContainerSerializer(
        error_messages={"required": gettext_lazy("Choose a security group.")}
    )
    accessDetails = AccessDetailsSerializer(
        error_messages={
            "required": gettext_lazy("Select at least one of the relationship's roles.")
        }
    )


AccessAssignmentCollection = inline_serializer(
    "AccessAssignmentCollection", fields={"value": AccessAssignmentSerializer(many=True)}
)


def _roles(value: dict) -> list[str]:
    return [role["roleDefinitionId"] for role in value["unifiedRoles"]]


def _relationship(relationship: AdminRelationship, now) -> dict:
    body = {
        "id": str(relationship.pk),
        "displayName": relationship.name,
        "duration": f"P{relationship.duration_days}D",
        "accessDetails": {"unifiedRoles": [{"roleDefinitionId": r} for r in relationship.roles]},
        "status": GRAPH_STATUS[relationship.display_status(now).value],
        "autoExtendDuration": EXTENSION if relationship.auto_extend else NO_EXTENSION,
        "createdDateTime": iso(relationship.created_at),
        "lastModifiedDateTime": iso(
            max(
                moment
                for moment in (
                    relationship.created_at,
                    relationship.finalized_at,
                    relationship.approved_at,
                    relationship.closed_at,
                )
                if moment
            )
        ),
    }
    if customer := relationship.customer:
        body["customer"] = {"tenantId": str(customer.pk), "displayName": customer.name}
    if relationship.approved_at:
        body["activatedDateTime"] = iso(relationship.approved_at)
    if end := relationship.closed_at or relationship.current_end(now):
        body["endDateTime"] = iso(end)
    if relationship.upgrade_of_id:
        body["replacesRelationshipId"] = str(relationship.upgrade_of_id)
    return body


def relationship_detail(relationship: AdminRelationship, now) -> dict:
    """One relationship as its GET shows it: with the version an upgrade would move it to."""
    body = _relationship(relationship, now)
    if services.upgrade_decision(relationship, now):
        body["upgradeAvailable"] = services.newer_version(relationship).number
    return body


def _assignment(assignment: AccessAssignment) -> dict:
    return {
        "id": str(assignment.pk),
        "accessContainer": {
            "accessContainerId": str(assignment.group_id),
            "accessContainerType": "securityGroup",
        },
        "accessDetails": {"unifiedRoles": [{"roleDefinitionId": r} for r in assignment.roles]},
        # Graph's word for one a template's mapping could not make (see the relationship's page).
        "status": "active" if assignment.is_active else "error",
        "createdDateTime": iso(assignment.created_at),
        "lastModifiedDateTime": iso(assignment.updated_at or assignment.created_at),
    }


RELATIONSHIP_ID = OpenApiParameter("relationship_id", OpenApiTypes.UUID, OpenApiParameter.PATH)


# --- Endpoints -------------------------------------------------------------------------------


class AdminRelationshipListView(AppView):
    action = Action.VIEW_ADMIN_RELATIONSHIPS
    method_actions = {"POST": Action.MANAGE_ADMIN_RELATIONSHIPS}

    @extend_schema(
        operation_id="delegated_admin_relationships_list",
        summary="Your admin relationships, a page at a time",
        description="Newest first. `@odata.nextLink` leads to the next page (its `$skiptoken` "
        "is a keyset cursor: a page costs the same wherever it is). `expiring` keeps those of "
        "one window of the Expiring page (a fixed end in the next 30, 7 or 1 days, or passed in "
        "the last 30 or 365), soonest end first; `…/expiryCounts` counts each window.",
        parameters=[
            OpenApiParameter("$top", int, description=f"1 to {MAX_SIZE} (default {DEFAULT_SIZE})"),
            OpenApiParameter("$skiptoken", str),
            OpenApiParameter(
                "expiring",
                str,
                enum=selectors.WINDOW_CODES,
                description="30, 7, 1: ends within that many days; expired_30, expired_365: "
                "ended in the last 30 or 365 days (a fixed end, not auto-extending).",
            ),
        ],
        responses={200: DelegatedAdminRelationshipCollection, **errors(400, 403)},
    )
    def get(self, request):
        top = request.query_params.get("$top")
        size = DEFAULT_SIZE
        if top not in (None, ""):
            size = int(top) if top.isdigit() else 0
            if not 1 <= size <= MAX_SIZE:
                raise serializers.ValidationError(
                    {"$top": _("Use $top from 1 to %(max)s.") % {"max": MAX_SIZE}}
                )
        now = timezone.now()
        window = request.query_params.get("expiring") or ""
        if not window:
            relationships = AdminRelationship.objects.filter(partner=self.partner)
            order, query = ORDER, ""
        elif window in selectors.WINDOW_CODES:
            # The Expiring page's rule and order.
            relationships = selectors.expiring(self.partner, window, now)
            order, query = EXPIRING_ORDER, f"expiring={window}&"
        else:
            raise serializers.ValidationError(
                {
                    "expiring": _("Use one of: %(values)s.")
                    % {"values": ", ".join(selectors.WINDOW_CODES)}
                }
            )
        page = keyset_page(
            relationships.select_related("customer"),
            order=order,
            cursor=request.query_params.get("$skiptoken"),
            size=size,
        )
        body = {"value": [_relationship(r, now) for r in page.object_list]}
        if page.next_cursor:
            body["@odata.nextLink"] = f"{BASE}?{query}$top={size}&$skiptoken={page.next_cursor}"
        return Response(body)

    @extend_schema(
        operation_id="delegated_admin_relationships_create",
        summary="Create an admin relationship request",
        description="As **Request for new relationship**, audited as the app; the request is "
        "`created` until you lock it for approval (`POST …/{id}/requests` with "
        '`{"action": "lockForApproval"}`). `duration` in ISO 8601 days (P1D to P730D); '
        f"`autoExtendDuration` {EXTENSION} (not with Global Administrator) or {NO_EXTENSION}. "
        "Each problem with the request is a 400 naming its field.",
        request=RelationshipCreateSerializer,
        responses={201: DelegatedAdminRelationshipSerializer, **errors(400, 403)},
    )
    def post(self, request):
        body = RelationshipCreateSerializer(data=request.data, context={"partner": self.partner})
        body.is_valid(raise_exception=True)
        data = body.validated_data
        try:
            relationship = services.admin_relationship_create(
                partner=self.partner,
                created_by=request.user,
                request=services.AdminRequest(
                    name=data["displayName"],
                    duration_days=data["duration"],
                    roles=_roles(data["accessDetails"]),
                    auto_extend=data["autoExtendDuration"] == EXTENSION,
                ),
                customer=data.get("customer"),
            )
        except services.AdminRequestInvalid as error:
            raise _field_errors(error.problems, RELATIONSHIP_FIELDS) from None
        return Response(_relationship(relationship, timezone.now()), status=status.HTTP_201_CREATED)


class AdminRelationshipDetailView(AppView):
    action = Action.VIEW_ADMIN_RELATIONSHIPS

    @extend_schema(
        operation_id="delegated_admin_relationship_get",
        summary="One admin relationship",
        parameters=[RELATIONSHIP_ID],
        responses={200: DelegatedAdminRelationshipSerializer, **errors(403, 404)},
    )
    def get(self, request, relationship_id):
        relationship = _relationship_of(self.partner, relationship_id)
        return Response(relationship_detail(relationship, timezone.now()))


class AdminRelationshipRequestView(AppView):
    action = Action.MANAGE_ADMIN_RELATIONSHIPS

    @extend_schema(
        operation_id="delegated_admin_relationship_requests_create",
        summary="Lock a request for approval, or terminate a relationship",
        description="`lockForApproval` is **Finalize request**: the request gets its link for "
        "the customer's Global administrator. `terminate` is **Terminate relationship**: it "
        "ends at once, with its access assignments. Either is audited as the app; a request "
        "that can't be done is refused (409) with the page's sentence.",
        parameters=[RELATIONSHIP_ID],
        request=DelegatedAdminRelationshipRequestSerializer,
        responses={
            201: DelegatedAdminRelationshipRequestResultSerializer,
            **errors(400, 403, 404, 409),
        },
    )
    def post(self, request, relationship_id):
        relationship = _relationship_of(self.partner, relationship_id)
        body = DelegatedAdminRelationshipRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        action = body.validated_data["action"]
        if action == "lockForApproval":
            services.admin_relationship_finalize(
                relationship=relationship, finalized_by=request.user
            )
        else:
            services.admin_relationship_terminate(
                relationship=relationship, terminated_by=request.user, by=self.partner
            )
        now = iso(timezone.now())
        return Response(
            {
                "action": action,
                "status": "succeeded",
                "createdDateTime": now,
                "lastModifiedDateTime": now,
            },
            status=status.HTTP_201_CREATED,
        )


class AccessAssignmentListView(AppView):
    action = Action.VIEW_ADMIN_RELATIONSHIPS
    method_actions = {"POST": Action.MANAGE_ADMIN_RELATIONSHIPS}

    @extend_schema(
        operation_id="delegated_admin_access_assignments_list",
        summary="The roles each of your security groups holds through the relationship",
        parameters=[RELATIONSHIP_ID],
        responses={200: AccessAssignmentCollection, **errors(403, 404)},
    )
    def get(self, request, relationship_id):
        relationship = _relationship_of(self.partner, relationship_id)
        assignments = AccessAssignment.objects.filter(
            relationship=relationship, removed_at__isnull=True
        ).order_by("created_at", "id")
        return Response({"value": [_assignment(a) for a in assignments]})

    @extend_schema(
        operation_id="delegated_admin_access_assignments_create",
        summary="Give a security group some of the relationship's roles",
        description="As **Add security group** on an active relationship, audited as the app. "
        "`accessContainer.accessContainerId`: one of your security groups; "
        "`accessDetails.unifiedRoles`: roles the customer approved. Refused (409) unless the "
        "relationship is active.",
        parameters=[RELATIONSHIP_ID],
        request=AccessAssignmentCreateSerializer,
        responses={201: AccessAssignmentSerializer, **errors(400, 403, 404, 409)},
    )
    def post(self, request, relationship_id):
        relationship = _relationship_of(self.partner, relationship_id)
        # The page's decision, before the body is read (the service asks it again under its
        # lock).
        decision = services.access_assignment_decision(relationship)
        if not decision:
            raise services.ServiceError(decision.reason, code=decision.code)
        body = AccessAssignmentCreateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        group = SecurityGroup.objects.filter(
            pk=data["accessContainer"]["accessContainerId"], partner=self.partner
        ).first()
        if group is None:
            raise serializers.ValidationError(
                {"accessContainer": _("Choose one of your organization's security groups.")}
            )
        try:
            assignment = services.access_assignment_create(
                relationship=relationship,
                group=group,
                roles=_roles(data["accessDetails"]),
                created_by=request.user,
            )
        except services.AdminRequestInvalid as error:
            raise _field_errors(error.problems, ASSIGNMENT_FIELDS) from None
        return Response(_assignment(assignment), status=status.HTTP_201_CREATED)
