"""What a partner does to admin relationships already made, in the API: how many end when (the
Expiring page's tiles), a change Graph allows on an active relationship (`PATCH`: auto-extend,
and taking Global Administrator away, which needs no new consent), an upgrade to the template's
newer version (a request that replaces the relationship once approved), and the same steps for
many relationships at once as a bulk job (`POST /v1/bulkJobs` with a `kind`; api.resources.bulk_jobs
reads its body here). Each on the services and decisions the pages call."""

from django.db import transaction
from django.http import Http404
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.response import Response

from api.base import AppView, TextField, graph_errors, lazy_sentence, unknown
from api.resources.delegated_admin_relationships import (
    BASE,
    EXTENSION,
    NO_EXTENSION,
    RELATIONSHIP_ID,
    AdminRelationshipDetailView,
    AutoExtendField,
    DelegatedAdminRelationshipSerializer,
    UnifiedRoleSerializer,
    _relationship_of,
    _roles,
    relationship_detail,
)
from api.resources.templates import StrictSerializer
from tenancy import selectors, services
from tenancy.choices import BulkJobKind
from tenancy.entra_roles import GLOBAL_ADMINISTRATOR, sorted_roles
from tenancy.models import AdminRelationship, BulkJob
from tenancy.rules import Action

# The kinds of bulk job on admin relationships, as the API names them.
RELATIONSHIP_JOB_KINDS = {
    "autoExtendOn": BulkJobKind.AUTO_EXTEND_ON,
    "autoExtendOff": BulkJobKind.AUTO_EXTEND_OFF,
    "removeGlobalAdministrator": BulkJobKind.REMOVE_GLOBAL_ADMIN,
    "upgrade": BulkJobKind.UPGRADE,
}
MAX_RELATIONSHIP_IDS = 5_000
# The ways a bulk job on relationships chooses them; exactly one.
CHOOSERS = ("relationshipIds", "expiring", "templateId")
# Graph's properties a PATCH can't change here (Graph: only while the request is created).
FIXED = ("displayName", "duration", "customer")


def _choices_sentence(values) -> str:
    # Translators: %(values)s lists the API's values, as they are.
    return lazy_sentence(gettext_noop("Use one of: %(values)s."), values=", ".join(values))


# --- Shapes ----------------------------------------------------------------------------------


ExpiryCountsSerializer = inline_serializer(
    "DelegatedAdminRelationshipExpiryCounts",
    fields={
        "value": inline_serializer(
            "DelegatedAdminRelationshipExpiryWindow",
            fields={
                "window": TextField(
                    help_text=f"The list's `expiring` value: {', '.join(selectors.WINDOW_CODES)}."
                ),
                "displayName": TextField(help_text="The Expiring page's tile."),
                "count": serializers.IntegerField(),
                "link": TextField(help_text="The relationships of the window."),
            },
            many=True,
        )
    },
)


class RemainingRolesSerializer(serializers.Serializer):
    """The roles a relationship keeps (none: the service says Global Administrator is its only
    role)."""

    unifiedRoles = serializers.ListField(child=UnifiedRoleSerializer(), max_length=100)


class RelationshipUpdateSerializer(StrictSerializer):
    autoExtendDuration = AutoExtendField(
        required=False,
        help_text=f"{EXTENSION}: extend by itself (not while Global Administrator is among the "
        f"roles); {NO_EXTENSION}: end on its date.",
    )
    accessDetails = RemainingRolesSerializer(
        required=False,
        help_text="The relationship's roles without Global Administrator, to remove it; no "
        "other change of roles is possible without a new request.",
    )

    def to_internal_value(self, data):
        if isinstance(data, dict):
            for key in FIXED:
                if key in data:
                    raise serializers.ValidationError(
                        {
                            key: _(
                                # Translators: autoExtendDuration and accessDetails are the
                                # API's field names, as they are.
                                "Only autoExtendDuration, and accessDetails to remove Global "
                                "Administrator, can be changed on an admin relationship here."
                            )
                        }
                    )
        return super().to_internal_value(data)

    def validate(self, attrs):
        if not attrs:
            raise serializers.ValidationError(
                {
                    "autoExtendDuration": _(
                        # Translators: autoExtendDuration and accessDetails are the API's field
                        # names, as they are.
                        "Give autoExtendDuration, or accessDetails without Global Administrator."
                    )
                }
            )
        return attrs


class RoleChangeSerializer(serializers.Serializer):
    roleDefinitionId = TextField()
    displayName = TextField()


class DurationChangeSerializer(serializers.Serializer):
    before = TextField(help_text="ISO 8601 days.")
    after = TextField()


class AutoExtendChangeSerializer(serializers.Serializer):
    before = TextField(help_text=f"{EXTENSION} or {NO_EXTENSION}.")
    after = TextField()


class UpgradeRequestSerializer(DelegatedAdminRelationshipSerializer):
    """The upgrade request made, and what it changes (only that)."""

    status = serializers.ChoiceField(
        choices=["approvalPending"], help_text="Sent to the customer, waiting for approval."
    )
    rolesAdded = RoleChangeSerializer(many=True)
    rolesRemoved = RoleChangeSerializer(many=True)
    durationChange = DurationChangeSerializer(
        required=False, help_text="When the duration changes."
    )
    autoExtendDurationChange = AutoExtendChangeSerializer(
        required=False, help_text="When auto-extend changes."
    )


class RelationshipJobCreateSerializer(StrictSerializer):
    kind = serializers.ChoiceField(
        choices=list(RELATIONSHIP_JOB_KINDS),
        help_text="autoExtendOn, autoExtendOff, removeGlobalAdministrator (from each "
        "relationship and its security groups' assignments), or upgrade (a request to the "
        "customer for the template's latest version). A relationship the step can't be taken "
        "on is a skipped result with the reason.",
        error_messages={"invalid_choice": _choices_sentence(RELATIONSHIP_JOB_KINDS)},
    )
    relationshipIds = serializers.ListField(
        child=serializers.UUIDField(),
        required=False,
        allow_empty=False,
        min_length=1,
        max_length=MAX_RELATIONSHIP_IDS,
        help_text="Your admin relationships' ids. One of relationshipIds, expiring or templateId.",
    )
    expiring = serializers.ChoiceField(
        choices=selectors.WINDOW_CODES,
        required=False,
        help_text="Every relationship of one window of the Expiring page (as the list's "
        "`expiring`).",
        error_messages={"invalid_choice": _choices_sentence(selectors.WINDOW_CODES)},
    )
    templateId = serializers.UUIDField(
        required=False,
        help_text="upgrade only: every relationship in force made from an older version of "
        "this template, with no upgrade waiting.",
    )

    def validate(self, attrs):
        chosen = [field for field in CHOOSERS if field in attrs]
        if len(chosen) != 1:
            raise serializers.ValidationError(
                {
                    (chosen[1] if chosen else CHOOSERS[0]): _(
                        # Translators: relationshipIds, expiring and templateId are the API's
                        # field names, as they are.
                        "Choose the admin relationships with one of relationshipIds, expiring "
                        "or (to upgrade) templateId."
                    )
                }
            )
        if "templateId" in attrs and attrs["kind"] != "upgrade":
            raise serializers.ValidationError(
                {
                    "templateId": _(
                        # Translators: templateId and upgrade are the API's names, as they are.
                        "templateId chooses the relationships of an upgrade job only."
                    )
                }
            )
        return attrs


# --- Reading and answering -------------------------------------------------------------------


def _iso_days(days: int) -> str:
    return f"P{days}D"


def _role_list(role_ids) -> list[dict]:
    return [{"roleDefinitionId": r.id, "displayName": str(r.name)} for r in sorted_roles(role_ids)]


def upgrade_body(old: AdminRelationship, new: AdminRelationship, now) -> dict:
    body = relationship_detail(new, now)
    body["rolesAdded"] = _role_list(r for r in new.roles if r not in old.roles)
    body["rolesRemoved"] = _role_list(r for r in old.roles if r not in new.roles)
    change = services.difference(old, new)
    if change.duration_days:
        before, after = change.duration_days
        body["durationChange"] = {"before": _iso_days(before), "after": _iso_days(after)}
    if change.auto_extend:
        before, after = change.auto_extend
        body["autoExtendDurationChange"] = {
            "before": EXTENSION if before else NO_EXTENSION,
            "after": EXTENSION if after else NO_EXTENSION,
        }
    return body


def relationship_job_requested(data) -> bool:
    """Whether a `POST /v1/bulkJobs` body asks for a job on admin relationships."""
    kind = data.get("kind") if isinstance(data, dict) else None
    return isinstance(kind, str) and kind in RELATIONSHIP_JOB_KINDS


def _chosen(partner, data: dict):
    """(the relationships, the job's selection as stored, the field that chose them)."""
    if "relationshipIds" in data:
        ids = list(dict.fromkeys(data["relationshipIds"]))
        relationships = AdminRelationship.objects.filter(partner=partner, pk__in=ids)
        found = set(relationships.values_list("pk", flat=True))
        if missing := next((pk for pk in ids if pk not in found), None):
            raise unknown(
                "relationshipIds",
                _("Not one of your admin relationships: %(id)s.") % {"id": missing},
            )
        return relationships, {"picked": len(ids)}, "relationshipIds"
    if "expiring" in data:
        window = data["expiring"]
        return selectors.expiring(partner, window), {"expiring": window}, "expiring"
    try:
        template = selectors.template_of(partner, data["templateId"])
    except Http404:
        raise unknown("templateId", _("Choose one of your organization's templates.")) from None
    return services.upgradable(partner, template), {"upgradable": str(template.pk)}, "templateId"


def relationship_job_start(request, partner) -> BulkJob:
    """Start the job on admin relationships a `POST /v1/bulkJobs` body asks for."""
    body = RelationshipJobCreateSerializer(data=request.data)
    body.is_valid(raise_exception=True)
    data = body.validated_data
    relationships, selection, _field = _chosen(partner, data)
    try:
        return services.bulk_relationships_start(
            membership=request.membership,
            kind=RELATIONSHIP_JOB_KINDS[data["kind"]],
            relationships=relationships,
            selection=selection,
        )
    except services.ServiceError:
        # Nothing chosen (a window or a template with no relationship in it today) is the
        # service's refusal, code `empty`: a 409, as the data decides it, not the request.
        raise


# --- Endpoints -------------------------------------------------------------------------------


class ExpiryCountsView(AppView):
    action = Action.VIEW_ADMIN_RELATIONSHIPS

    @extend_schema(
        operation_id="delegated_admin_relationships_expiry_counts",
        summary="How many admin relationships end, or ended, in each window",
        description="The Expiring page's tiles, counted in one query: relationships with a fixed "
        "end (not auto-extending) ending within 30, 7 or 1 days, or ended in the last 30 or 365 "
        "days. Each `link` lists the window's relationships (the list with `expiring`).",
        responses={200: ExpiryCountsSerializer, **graph_errors(403)},
    )
    def get(self, request):
        counts = selectors.expiry_counts(self.partner, timezone.now())
        return Response(
            {
                "value": [
                    {
                        "window": code,
                        "displayName": str(label),
                        "count": counts[code],
                        "link": f"{BASE}?expiring={code}",
                    }
                    for code, label, *_rest in selectors.WINDOWS
                ]
            }
        )


class AdminRelationshipView(AdminRelationshipDetailView):
    """One relationship: its GET, and the changes Graph's PATCH makes on an active one."""

    method_actions = {"PATCH": Action.MANAGE_ADMIN_RELATIONSHIPS}

    @extend_schema(
        operation_id="delegated_admin_relationship_update",
        summary="Change auto-extend, or remove Global Administrator, on an active relationship",
        description=f'`{{"autoExtendDuration": "{EXTENSION}"}}` makes it extend by '
        f"{EXTENSION[1:-1]} days each time it would end (not while it holds Global "
        f'Administrator), `"{NO_EXTENSION}"` makes it end on its date. `accessDetails` with its '
        "roles less Global Administrator removes that role from it and from every security "
        "group's assignment (the customer's Global administrators are told); that is the only "
        "change of roles possible without a new request (400 otherwise). Both at once are done "
        "together or not at all; a value it already has changes nothing. Audited as the app; "
        "refused (409) with the page's sentence when the relationship isn't active or the rule "
        "forbids it.",
        parameters=[RELATIONSHIP_ID],
        request=RelationshipUpdateSerializer,
        responses={200: DelegatedAdminRelationshipSerializer, **graph_errors(400, 403, 404, 409)},
    )
    def patch(self, request, relationship_id):
        relationship = _relationship_of(self.partner, relationship_id)
        body = RelationshipUpdateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        remove_global_admin = False
        if "accessDetails" in data:
            wanted, held = set(_roles(data["accessDetails"])), set(relationship.roles)
            if wanted != held:
                if GLOBAL_ADMINISTRATOR not in held or wanted != held - {GLOBAL_ADMINISTRATOR}:
                    raise serializers.ValidationError(
                        {
                            "accessDetails": _(
                                "An admin relationship's roles can't change without a new "
                                "request, except that Global Administrator can be removed from "
                                "an active one: send its roles without it."
                            )
                        }
                    )
                remove_global_admin = True
        extend = None
        if "autoExtendDuration" in data:
            wanted_extend = data["autoExtendDuration"] == EXTENSION
            if wanted_extend != relationship.auto_extend:
                extend = wanted_extend
        with transaction.atomic():  # both, or neither
            if remove_global_admin:
                services.admin_relationship_remove_global_admin(
                    relationship=relationship, removed_by=request.user
                )
            if extend is not None:
                services.admin_relationship_auto_extend(
                    relationship=relationship, on=extend, changed_by=request.user
                )
        relationship = _relationship_of(self.partner, relationship_id)
        return Response(relationship_detail(relationship, timezone.now()))


class AdminRelationshipUpgradeView(AppView):
    action = Action.MANAGE_ADMIN_RELATIONSHIPS

    @extend_schema(
        operation_id="delegated_admin_relationship_upgrade",
        summary="Upgrade a relationship to its template's latest version",
        description="As **Upgrade** on the relationship's page, audited as the app: a request "
        "for the latest version's roles, duration and auto-extend, locked for approval and sent "
        "to the customer's Global administrators. Approved, it replaces this relationship (which "
        "is terminated then) and the version's security group mappings apply; declined or "
        "lapsed, this one stays as it is. The answer is the new request "
        "(`replacesRelationshipId`: this one) with what it changes. Refused (409) when the "
        "relationship isn't active, was made from the latest version, or an upgrade is already "
        "waiting.",
        parameters=[RELATIONSHIP_ID],
        request=None,
        responses={201: UpgradeRequestSerializer, **graph_errors(403, 404, 409)},
    )
    def post(self, request, relationship_id):
        relationship = _relationship_of(self.partner, relationship_id)
        new = services.admin_relationship_upgrade(
            relationship=relationship, requested_by=request.user
        )
        new = _relationship_of(self.partner, new.pk)
        response = Response(
            upgrade_body(relationship, new, timezone.now()), status=status.HTTP_201_CREATED
        )
        response["Location"] = request.build_absolute_uri(
            reverse("api:admin-relationship", args=[new.pk])
        )
        return response
