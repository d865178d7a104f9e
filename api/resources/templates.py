"""Admin relationship templates under `/v1/adminRelationshipTemplates`, on the services the
Templates pages call: a template is listed and shown with its latest version, made, and changed
(`PATCH`: a new version, the earlier ones kept with the relationships made from them). The roles,
duration and auto-extend in Graph's admin relationship shapes; the lists a page at a time with a
continuation token, as Partner Center's lists. Also the collection shapes bulk jobs share."""

from urllib.parse import urlencode

from django.core.validators import RegexValidator
from django.db.models import Prefetch, prefetch_related_objects
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response

from api.base import (
    CONTINUATION_HEADER,
    AppView,
    AttributesSerializer,
    LinksSerializer,
    NameField,
    PageQuerySerializer,
    TextField,
    continued_page,
    errors,
    iso,
    query_data,
    unknown,
)
from api.resources.delegated_admin_relationships import (
    EXTENSION,
    NO_EXTENSION,
    AccessDetailsSerializer,
    AutoExtendField,
    DurationField,
)
from tenancy import selectors, services
from tenancy.models import (
    TEMPLATE_NAME_MAX,
    AdminRelationshipTemplate,
    SecurityGroup,
    TemplateMapping,
    Tenant,
)
from tenancy.rules import Action

BASE = "/v1/adminRelationshipTemplates"
ORDER = ["name", "id"]

# The services' field names, as the API's requests name them.
TEMPLATE_FIELDS = {
    "name": "displayName",
    "description": "description",
    "duration_days": "duration",
    "roles": "accessDetails",
    "auto_extend": "autoExtendDuration",
    "mappings": "mappings",
}


def field_errors(problems: dict[str, str], names: dict[str, str]) -> serializers.ValidationError:
    """A service's problems by field (AdminRequestInvalid), as a 400 naming the API's field."""
    return serializers.ValidationError(
        {names.get(field, field): message for field, message in problems.items()}
    )


# The latest version's mappings with their groups (a change that leaves the mappings as they are
# hands the groups on to the new version).
MAPPINGS = Prefetch("latest__mappings", queryset=TemplateMapping.objects.select_related("group"))


def template_of(partner: Tenant, template_id) -> AdminRelationshipTemplate:
    """One of the partner's templates, with its latest version and that version's mappings;
    anyone else's is a 404."""
    template = selectors.template_of(partner, template_id)
    template.partner = partner
    prefetch_related_objects([template], MAPPINGS)
    return template


# --- Collections, as Partner Center's lists ----------------------------------------------------


class StrictSerializer(serializers.Serializer):
    """A body whose unknown keys are refused (a misspelt one must not pass for absent)."""

    def to_internal_value(self, data):
        if isinstance(data, dict):
            for key in data:
                if key not in self.fields:
                    raise serializers.ValidationError(
                        {str(key)[:100]: _("This field is not part of the request.")}
                    )
        return super().to_internal_value(data)


PAGE_PARAMETERS = [
    OpenApiParameter("continuationToken", str),
    OpenApiParameter(CONTINUATION_HEADER, str, location=OpenApiParameter.HEADER, required=False),
]


def collection(items: list, *, path: str, query: dict, next_cursor: str | None) -> dict:
    """A page as Partner Center's lists answer: `links.next` carries the continuation token."""
    encoded = urlencode(query)
    uri = path + (f"?{encoded}" if encoded else "")
    links = {"self": {"uri": uri, "method": "GET", "headers": []}}
    if next_cursor:
        links["next"] = {
            "uri": f"{uri}{'&' if encoded else '?'}seekOperation=Next",
            "method": "GET",
            "headers": [{"key": CONTINUATION_HEADER, "value": next_cursor}],
        }
    return {"items": items, "links": links, "attributes": {"objectType": "Collection"}}


# --- Shapes ----------------------------------------------------------------------------------


class TemplateMappingSerializer(serializers.Serializer):
    securityGroupId = serializers.UUIDField(help_text="One of your security groups.")
    accessDetails = AccessDetailsSerializer(
        help_text="The roles of the template the group gets once a customer approves."
    )


class AdminRelationshipTemplateSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    displayName = TextField()
    description = TextField(allow_blank=True)
    version = serializers.IntegerField(
        help_text="The latest version's number: what new requests and bulk jobs use."
    )
    accessDetails = AccessDetailsSerializer()
    duration = TextField(help_text="ISO 8601 days: P1D to P730D.")
    autoExtendDuration = serializers.ChoiceField(choices=[EXTENSION, NO_EXTENSION])
    mappings = TemplateMappingSerializer(many=True)
    createdDateTime = serializers.DateTimeField()
    lastModifiedDateTime = serializers.DateTimeField(help_text="When the latest version was made.")
    attributes = AttributesSerializer()


class AdminRelationshipTemplateCollectionSerializer(serializers.Serializer):
    items = AdminRelationshipTemplateSerializer(many=True)
    links = LinksSerializer()
    attributes = AttributesSerializer()


class TemplateMappingWriteSerializer(StrictSerializer):
    securityGroupId = serializers.UUIDField(
        help_text="One of your security groups.",
        error_messages={"required": gettext_lazy("Choose a security group.")},
    )
    accessDetails = AccessDetailsSerializer(
        error_messages={"required": gettext_lazy("Select at least one of the template's roles.")}
    )


class AdminRelationshipTemplateWriteSerializer(StrictSerializer):
    """A new template (every field but `description`, `autoExtendDuration` and `mappings`
    required), or a change to one (`PATCH`: only the fields sent change)."""

    displayName = NameField(
        max_length=TEMPLATE_NAME_MAX,
        validators=[
            RegexValidator(r"\S", gettext_lazy("Enter a name for the template.")),
            # One line, as the service wants it (tenancy.validators.validate_single_line).
            RegexValidator(
                r"^[^\x00-\x1f\x7f-\x9f\u2028\u2029]*$",
                gettext_lazy("Use a single line without control characters."),
            ),
        ],
        error_messages={
            "required": gettext_lazy("Enter a name for the template."),
            "blank": gettext_lazy("Enter a name for the template."),
            # Translators: {max_length} is the number of characters a name may have.
            "max_length": gettext_lazy("Use at most {max_length} characters."),
        },
    )
    description = TextField(required=False, allow_blank=True)
    duration = DurationField(
        help_text="ISO 8601 days: P1D to P730D.",
        error_messages={"required": gettext_lazy("Give a duration in days, from P1D to P730D.")},
    )
    accessDetails = AccessDetailsSerializer(
        error_messages={"required": gettext_lazy("Select at least one Microsoft Entra role.")}
    )
    autoExtendDuration = AutoExtendField(
        required=False,
        help_text=f"{EXTENSION} (not with Global Administrator) or {NO_EXTENSION} (the default).",
    )
    mappings = TemplateMappingWriteSerializer(
        many=True,
        required=False,
        max_length=100,
        help_text="Which of your security groups get which of the template's roles once a "
        "customer approves (none by default).",
    )

    def __init__(self, *args, changing: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if changing:
            for field in self.fields.values():
                field.required = False


def _roles(access_details: dict) -> list[str]:
    return [role["roleDefinitionId"] for role in access_details["unifiedRoles"]]


def _unified(roles: list[str]) -> dict:
    return {"unifiedRoles": [{"roleDefinitionId": role} for role in roles]}


def _mappings(partner: Tenant, mappings: list[dict]) -> list[tuple[SecurityGroup, list[str]]]:
    """The (group, roles) pairs a request's mappings name, in one query. A group that isn't the
    partner's is refused as if it didn't exist."""
    ids = {mapping["securityGroupId"] for mapping in mappings}
    groups = SecurityGroup.objects.in_bulk([*ids]) if ids else {}
    if any(group.partner_id != partner.pk for group in groups.values()) or len(groups) < len(ids):
        raise unknown("mappings", _("Choose one of your organization's security groups."))
    return [
        (groups[mapping["securityGroupId"]], _roles(mapping["accessDetails"]))
        for mapping in mappings
    ]


def template_body(template: AdminRelationshipTemplate) -> dict:
    version = template.latest
    return {
        "id": str(template.pk),
        "displayName": template.name,
        "description": template.description,
        "version": version.number,
        "accessDetails": _unified(version.roles),
        "duration": f"P{version.duration_days}D",
        "autoExtendDuration": EXTENSION if version.auto_extend else NO_EXTENSION,
        "mappings": [
            {"securityGroupId": str(mapping.group_id), "accessDetails": _unified(mapping.roles)}
            for mapping in version.mappings.all()
        ],
        "createdDateTime": iso(template.created_at),
        "lastModifiedDateTime": iso(version.created_at),
        "attributes": {"objectType": "AdminRelationshipTemplate"},
    }


TEMPLATE_ID = OpenApiParameter("template_id", OpenApiTypes.UUID, OpenApiParameter.PATH)


# --- Endpoints -------------------------------------------------------------------------------


class TemplateListView(AppView):
    action = Action.VIEW_ADMIN_RELATIONSHIPS
    method_actions = {"POST": Action.MANAGE_ADMIN_RELATIONSHIPS}

    @extend_schema(
        operation_id="admin_relationship_templates_list",
        summary="Your admin relationship templates, a page at a time",
        description="By name, each with its latest version. `links.next` carries the "
        f"continuation token (the `{CONTINUATION_HEADER}` header, or `continuationToken`).",
        parameters=[PageQuerySerializer, *PAGE_PARAMETERS],
        responses={200: AdminRelationshipTemplateCollectionSerializer, **errors(400, 403)},
    )
    def get(self, request):
        size = query_data(PageQuerySerializer, request)["size"]
        templates = (
            AdminRelationshipTemplate.objects.filter(partner=self.partner)
            .exclude(latest=None)
            .select_related("latest")
            .prefetch_related(MAPPINGS)
        )
        page = continued_page(templates, request, order=ORDER, size=size)
        query = {"size": size} if "size" in request.query_params else {}
        return Response(
            collection(
                [template_body(t) for t in page.object_list],
                path=BASE,
                query=query,
                next_cursor=page.next_cursor,
            )
        )

    @extend_schema(
        operation_id="admin_relationship_templates_create",
        summary="Make an admin relationship template",
        description="As **New template**, audited as the app: version 1. `duration` in ISO "
        f"8601 days (P1D to P730D); `autoExtendDuration` {EXTENSION} (not with Global "
        f"Administrator) or {NO_EXTENSION}; `mappings`: your security groups and which of the "
        "template's roles each gets once a customer approves. Each problem is a 400 naming its "
        "field.",
        request=AdminRelationshipTemplateWriteSerializer,
        responses={201: AdminRelationshipTemplateSerializer, **errors(400, 403, 404, 409)},
    )
    def post(self, request):
        body = AdminRelationshipTemplateWriteSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        content = services.TemplateContent(
            name=data["displayName"],
            description=data.get("description", ""),
            roles=_roles(data["accessDetails"]),
            duration_days=data["duration"],
            auto_extend=data.get("autoExtendDuration") == EXTENSION,
            mappings=_mappings(self.partner, data.get("mappings", [])),
        )
        try:
            template = services.template_create(
                partner=self.partner, created_by=request.user, content=content
            )
        except services.AdminRequestInvalid as error:
            if error.taken:
                raise
            raise field_errors(error.problems, TEMPLATE_FIELDS) from None
        return Response(
            template_body(template_of(self.partner, template.pk)), status=status.HTTP_201_CREATED
        )


class TemplateDetailView(AppView):
    action = Action.VIEW_ADMIN_RELATIONSHIPS
    method_actions = {"PATCH": Action.MANAGE_ADMIN_RELATIONSHIPS}

    @extend_schema(
        operation_id="admin_relationship_template_get",
        summary="One admin relationship template, with its latest version",
        parameters=[TEMPLATE_ID],
        responses={200: AdminRelationshipTemplateSerializer, **errors(403, 404)},
    )
    def get(self, request, template_id):
        return Response(template_body(template_of(self.partner, template_id)))

    @extend_schema(
        operation_id="admin_relationship_template_update",
        summary="Change an admin relationship template: a new version",
        description="As **Edit template**, audited as the app. Only the fields sent change "
        "(`mappings`, when sent, replaces them all). A change to the roles, duration, "
        "auto-extend or mappings makes a new version (the answer's `version`); relationships "
        "made from earlier versions keep what they were made with. A change of name or "
        "description alone makes none.",
        parameters=[TEMPLATE_ID],
        request=AdminRelationshipTemplateWriteSerializer,
        responses={200: AdminRelationshipTemplateSerializer, **errors(400, 403, 404, 409)},
    )
    def patch(self, request, template_id):
        template = template_of(self.partner, template_id)
        body = AdminRelationshipTemplateWriteSerializer(data=request.data, changing=True)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        latest = template.latest
        if "mappings" in data:
            mappings = _mappings(self.partner, data["mappings"])
        else:
            mappings = [(mapping.group, mapping.roles) for mapping in latest.mappings.all()]
        content = services.TemplateContent(
            name=data.get("displayName", template.name),
            description=data.get("description", template.description),
            roles=_roles(data["accessDetails"]) if "accessDetails" in data else latest.roles,
            duration_days=data.get("duration", latest.duration_days),
            auto_extend=(
                data["autoExtendDuration"] == EXTENSION
                if "autoExtendDuration" in data
                else latest.auto_extend
            ),
            mappings=mappings,
        )
        try:
            services.template_update(template=template, changed_by=request.user, content=content)
        except services.AdminRequestInvalid as error:
            if error.taken:
                raise
            raise field_errors(error.problems, TEMPLATE_FIELDS) from None
        return Response(template_body(template_of(self.partner, template_id)))
