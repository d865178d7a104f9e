"""Admin relationships (GDAP) in Microsoft Graph's shapes, under
`/v1/tenantRelationships/delegatedAdminRelationships`, on the services the Admin relationships
pages call: a request is created, locked for approval (Finalize request) or terminated, and
security groups get some of an active relationship's roles (access assignments)."""

import re

from django.core.validators import RegexValidator
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, gettext_noop
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    extend_schema,
    extend_schema_field,
    inline_serializer,
)
from rest_framework import serializers, status
from rest_framework.exceptions import ErrorDetail
from rest_framework.response import Response

from api import odata
from api.base import (
    DEFAULT_SIZE,
    GRAPH_STATUS,
    MAX_SIZE,
    AppView,
    NameField,
    TextField,
    api_page,
    graph_errors,
    iso,
    lazy_sentence,
    unknown,
)
from api.errors import UNKNOWN
from api.resources.relationship_filters import (
    ASSIGNMENT_PROPERTIES,
    ASSIGNMENT_SELECTABLE,
    EXTENSION,
    NO_EXTENSION,
    ORDERBY,
    SELECTABLE,
    relationship_properties,
)
from tenancy import selectors, services
from tenancy.entra_roles import ENTRA_ROLES, NAME_MAX_LENGTH
from tenancy.models import (
    AUTO_EXTEND_DAYS,
    AccessAssignment,
    AdminRelationship,
    SecurityGroup,
    Tenant,
)
from tenancy.rules import Action

BASE = "/v1/tenantRelationships/delegatedAdminRelationships"
# Whole days as Graph writes them (P730D, P730DT0S), and as the Python Graph SDK sends a
# timedelta (str(): "730 days, 0:00:00", "1 day, 0:00:00", "0:00:00").
ISO_DAYS = re.compile(r"P(\d{1,4})D(?:T(?=\d)(?:0+H)?(?:0+M)?(?:0+S)?)?|PT0+S")
SDK_DAYS = re.compile(r"(?:(\d{1,4}) days?, )?0:00:00")
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


def graph_days(text: str) -> int | None:
    """The whole days of a duration as Graph or its SDK writes it; None for anything else."""
    match = ISO_DAYS.fullmatch(text.strip()) or SDK_DAYS.fullmatch(text.strip())
    if match is None:
        return None
    return int(match[1] or 0)


# A relationship's duration, 1 to 730 whole days, in those two forms (the schema's pattern and
# the server's check are this one expression).
DAYS_1_TO_730 = r"(?:730|7[0-2][0-9]|[1-6][0-9]{2}|[1-9][0-9]?)"
DURATION = (
    rf"^(?:P({DAYS_1_TO_730})D(?:T(?=0)(?:0+H)?(?:0+M)?(?:0+S)?)?"
    rf"|({DAYS_1_TO_730}) days?, 0:00:00)$"
)


@extend_schema_field(
    {
        "type": "string",
        "pattern": DURATION,
        "description": "P1D to P730D (whole days; the Python Graph SDK's '730 days, 0:00:00' too).",
    }
)
class DurationField(TextField):
    """A relationship's duration: P1D to P730D (whole days), as days."""

    def to_internal_value(self, data) -> int:
        match = re.fullmatch(DURATION, super().to_internal_value(data))
        if match is None:
            raise serializers.ValidationError(
                _("Give the duration in ISO 8601 days, from P1D to P730D.")
            )
        return int(match[1] or match[2])


class AutoExtendField(serializers.ChoiceField):
    """`autoExtendDuration`: P180D or PT0S (the SDK's "180 days, 0:00:00" and "0:00:00" too)."""

    def __init__(self, **kwargs):
        kwargs.setdefault(
            "error_messages",
            {
                "invalid_choice": lazy_sentence(
                    # Translators: %(extension)s and %(no_extension)s are the API's values, as
                    # they are.
                    gettext_noop("Use %(extension)s or %(no_extension)s."),
                    extension=EXTENSION,
                    no_extension=NO_EXTENSION,
                )
            },
        )
        super().__init__(choices=[NO_EXTENSION, EXTENSION], **kwargs)

    def to_internal_value(self, data):
        if isinstance(data, str):
            days = graph_days(data)
            data = {AUTO_EXTEND_DAYS: EXTENSION, 0: NO_EXTENSION}.get(days, data)
        return super().to_internal_value(data)


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
    roleDefinitionId = serializers.ChoiceField(
        choices=sorted(ENTRA_ROLES),
        help_text="A Microsoft Entra role template id.",
        error_messages={
            # Translators: {input} is the id sent, as it is.
            "invalid_choice": gettext_lazy("Unknown Microsoft Entra role: {input}.")
        },
    )


class AccessDetailsSerializer(serializers.Serializer):
    unifiedRoles = serializers.ListField(
        child=UnifiedRoleSerializer(),
        allow_empty=False,
        min_length=1,
        max_length=100,
        error_messages={
            "empty": gettext_lazy("Select at least one Microsoft Entra role."),
            "min_length": gettext_lazy("Select at least one Microsoft Entra role."),
        },
    )


class RelationshipCustomerSerializer(serializers.Serializer):
    tenantId = serializers.UUIDField()
    displayName = TextField()


class DelegatedAdminRelationshipSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    displayName = TextField()
    duration = TextField(help_text="ISO 8601 days: P1D to P730D.")
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
        "@odata.nextLink": TextField(
            required=False, help_text="The next page, while there is one."
        ),
    },
)


class CustomerRefSerializer(serializers.Serializer):
    tenantId = serializers.UUIDField()


class RelationshipCreateSerializer(serializers.Serializer):
    displayName = NameField(
        trim_whitespace=False,
        max_length=NAME_MAX_LENGTH,
        validators=[
            RegexValidator(r"\S", gettext_lazy("Enter a name for the admin relationship.")),
            # One line, as the service wants it (tenancy.validators.validate_single_line).
            RegexValidator(
                r"^[^\x00-\x1f\x7f-\x9f\u2028\u2029]*$",
                gettext_lazy("Use a single line without control characters."),
            ),
        ],
        error_messages={
            "required": gettext_lazy("Enter a name for the admin relationship."),
            "blank": gettext_lazy("Enter a name for the admin relationship."),
            # Translators: {max_length} is the number of characters a name may have.
            "max_length": gettext_lazy("Use at most {max_length} characters."),
        },
    )
    duration = DurationField(
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
    autoExtendDuration = AutoExtendField(required=False, default=NO_EXTENSION)

    def validate_customer(self, value):
        if value is None:
            return None
        partner = self.context["partner"]
        customer = selectors.customers_of(partner).filter(pk=value["tenantId"]).first()
        if customer is None:
            # The request form's sentence.
            raise serializers.ValidationError(
                ErrorDetail(
                    _(
                        "Choose one of your customers, or request the relationship for any "
                        "customer."
                    ),
                    code=UNKNOWN,
                )
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
        description="Newest first. Graph's query options: `$filter` (`eq`, `ne`, `in`, `and`, "
        "`or`, `not`, and `lt`/`le`/`gt`/`ge` on dates, `startswith` on names) on `id`, "
        "`displayName`, `status`, `customer/tenantId`, `customer/displayName`, "
        "`createdDateTime`, `activatedDateTime`, `endDateTime` and `autoExtendDuration` — e.g. "
        "`status eq 'active' and customer/tenantId eq '…'`; `$select`, `$orderby` "
        "(`createdDateTime` or `displayName`, `asc` or `desc`), `$top` (1 to 500), "
        "`$count=true` (`@odata.count`, the number that match). Anything else, or a property or "
        "operator not listed, is a 400: a filter is never ignored. `@odata.nextLink` is the "
        "next page's absolute URL (its `$skiptoken` a keyset cursor: a page costs the same "
        "wherever it is). `expiring` keeps those of one window of the Expiring page (a fixed "
        "end in the next 30, 7 or 1 days, or passed in the last 30 or 365), soonest end first; "
        "`…/expiryCounts` counts each window.",
        parameters=[
            *odata.documented(
                filterable=list(relationship_properties(None, None)),
                selectable=SELECTABLE,
                orderable=list(ORDERBY),
                top_default=DEFAULT_SIZE,
            ),
            OpenApiParameter(
                "expiring",
                str,
                enum=selectors.WINDOW_CODES,
                description="30, 7, 1: ends within that many days; expired_30, expired_365: "
                "ended in the last 30 or 365 days (a fixed end, not auto-extending).",
            ),
        ],
        responses={200: DelegatedAdminRelationshipCollection, **graph_errors(400, 403)},
    )
    def get(self, request):
        try:
            options = odata.query_options(request)
            size = odata.top(options.get("$top"), default=DEFAULT_SIZE, maximum=MAX_SIZE)
            chosen = odata.select(options.get("$select"), SELECTABLE)
            counted = odata.count(options.get("$count"))
            now = timezone.now()
            window = request.query_params.get("expiring")
            if window is None:
                relationships = AdminRelationship.objects.filter(partner=self.partner)
                order = ORDER
            elif window in selectors.WINDOW_CODES:
                # The Expiring page's rule and order.
                relationships = selectors.expiring(self.partner, window, now)
                order = EXPIRING_ORDER
            else:
                raise serializers.ValidationError(
                    {
                        "expiring": _("Use one of: %(values)s.")
                        % {"values": ", ".join(selectors.WINDOW_CODES)}
                    }
                )
            order = odata.orderby(options.get("$orderby"), ORDERBY, order)
            if "$filter" in options:
                properties = relationship_properties(relationships, now)
                relationships = relationships.filter(
                    odata.FilterTranslator(properties).q(options["$filter"])
                )
        except odata.ODataError as error:
            raise odata.as_400(error) from None
        page = api_page(
            relationships.select_related("customer"),
            order=order,
            cursor=options.get("$skiptoken"),
            size=size,
            parameter="$skiptoken",
        )
        body = {
            "@odata.context": odata.context_link(
                request, "tenantRelationships/delegatedAdminRelationships"
            )
        }
        if counted:
            body["@odata.count"] = relationships.count()
        body["value"] = [odata.only(_relationship(r, now), chosen) for r in page.object_list]
        if page.next_cursor:
            body["@odata.nextLink"] = odata.next_link(request, BASE, page.next_cursor)
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
        responses={201: DelegatedAdminRelationshipSerializer, **graph_errors(400, 403, 404, 409)},
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
            if error.taken:
                raise
            raise _field_errors(error.problems, RELATIONSHIP_FIELDS) from None
        return Response(_relationship(relationship, timezone.now()), status=status.HTTP_201_CREATED)


class AdminRelationshipDetailView(AppView):
    action = Action.VIEW_ADMIN_RELATIONSHIPS

    @extend_schema(
        operation_id="delegated_admin_relationship_get",
        summary="One admin relationship",
        parameters=[
            RELATIONSHIP_ID,
            odata.documented(filterable=[], selectable=SELECTABLE, orderable=[], top_default=0)[1],
        ],
        responses={200: DelegatedAdminRelationshipSerializer, **graph_errors(403, 404)},
    )
    def get(self, request, relationship_id):
        try:
            chosen = odata.select(
                odata.query_options(request, {"$select"}).get("$select"), SELECTABLE
            )
        except odata.ODataError as error:
            raise odata.as_400(error) from None
        relationship = _relationship_of(self.partner, relationship_id)
        return Response(odata.only(relationship_detail(relationship, timezone.now()), chosen))


class AccessAssignmentListView(AppView):
    action = Action.VIEW_ADMIN_RELATIONSHIPS
    method_actions = {"POST": Action.MANAGE_ADMIN_RELATIONSHIPS}

    @extend_schema(
        operation_id="delegated_admin_access_assignments_list",
        summary="The roles each of your security groups holds through the relationship",
        description="Oldest first. `$filter` on `id`, `status` (`active`, `error`), "
        "`accessContainer/accessContainerId` and `createdDateTime`; `$select`, `$orderby` "
        "(`createdDateTime`), `$top` (1 to 500, the default), `$count=true`; anything else "
        "is a 400.",
        parameters=[
            RELATIONSHIP_ID,
            *odata.documented(
                filterable=list(ASSIGNMENT_PROPERTIES),
                selectable=ASSIGNMENT_SELECTABLE,
                orderable=["createdDateTime"],
                top_default=MAX_SIZE,
            ),
        ],
        responses={200: AccessAssignmentCollection, **graph_errors(403, 404)},
    )
    def get(self, request, relationship_id):
        relationship = _relationship_of(self.partner, relationship_id)
        assignments = AccessAssignment.objects.filter(
            relationship=relationship, removed_at__isnull=True
        )
        try:
            options = odata.query_options(request)
            size = odata.top(options.get("$top"), default=MAX_SIZE, maximum=MAX_SIZE)
            chosen = odata.select(options.get("$select"), ASSIGNMENT_SELECTABLE)
            counted = odata.count(options.get("$count"))
            order = odata.orderby(
                options.get("$orderby"), {"createdDateTime": "created_at"}, ["created_at", "id"]
            )
            if "$filter" in options:
                assignments = assignments.filter(
                    odata.FilterTranslator(ASSIGNMENT_PROPERTIES).q(options["$filter"])
                )
        except odata.ODataError as error:
            raise odata.as_400(error) from None
        page = api_page(
            assignments,
            order=order,
            cursor=options.get("$skiptoken"),
            size=size,
            parameter="$skiptoken",
        )
        body = {
            "@odata.context": odata.context_link(
                request, "tenantRelationships/delegatedAdminRelationships('…')/accessAssignments"
            )
        }
        if counted:
            body["@odata.count"] = assignments.count()
        body["value"] = [odata.only(_assignment(a), chosen) for a in page.object_list]
        if page.next_cursor:
            body["@odata.nextLink"] = odata.next_link(request, request.path, page.next_cursor)
        return Response(body)

    @extend_schema(
        operation_id="delegated_admin_access_assignments_create",
        summary="Give a security group some of the relationship's roles",
        description="As **Add security group** on an active relationship, audited as the app. "
        "`accessContainer.accessContainerId`: one of your security groups; "
        "`accessDetails.unifiedRoles`: roles the customer approved. Refused (409) unless the "
        "relationship is active.",
        parameters=[RELATIONSHIP_ID],
        request=AccessAssignmentCreateSerializer,
        responses={201: AccessAssignmentSerializer, **graph_errors(400, 403, 404, 409)},
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
            raise unknown(
                "accessContainer", _("Choose one of your organization's security groups.")
            )
        try:
            assignment = services.access_assignment_create(
                relationship=relationship,
                group=group,
                roles=_roles(data["accessDetails"]),
                created_by=request.user,
            )
        except services.AdminRequestInvalid as error:
            if error.taken:
                raise
            raise _field_errors(error.problems, ASSIGNMENT_FIELDS) from None
        return Response(_assignment(assignment), status=status.HTTP_201_CREATED)
