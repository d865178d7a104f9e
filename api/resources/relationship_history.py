"""What was done to an admin relationship, as Graph lists it: its requests (`…/{id}/requests`:
lockForApproval and terminate, the partner's; approve and reject, the customer's) and its
operations (`…/{id}/operations`: changes of an active relationship and of its access
assignments). Both are the relationship's audit lines, each done at once (succeeded); `POST
…/requests` does a request through the pages' services and answers with its line."""

import json

from django.db.models import QuerySet
from django.http import Http404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.response import Response

from api import odata
from api.base import MAX_SIZE, AppView, TextField, graph_errors, iso
from api.resources.delegated_admin_relationships import (
    RELATIONSHIP_ID,
    DelegatedAdminRelationshipRequestSerializer,
    _relationship_of,
)
from tenancy import services
from tenancy.choices import AuditAction
from tenancy.models import AdminRelationship, AuditEvent
from tenancy.rules import Action


class DelegatedAdminRelationshipRequestResultSerializer(serializers.Serializer):
    id = TextField(help_text="Read it back at `…/{id}/requests/{requestId}`.")
    action = serializers.ChoiceField(
        choices=["lockForApproval", "approve", "reject", "terminate"],
        help_text="approve and reject are the customer's answers.",
    )
    status = serializers.ChoiceField(choices=["succeeded"])
    createdDateTime = serializers.DateTimeField()
    lastModifiedDateTime = serializers.DateTimeField()


DelegatedAdminRelationshipRequestCollection = inline_serializer(
    "DelegatedAdminRelationshipRequestCollection",
    fields={
        "@odata.context": TextField(),
        "value": DelegatedAdminRelationshipRequestResultSerializer(many=True),
    },
)


class DelegatedAdminRelationshipOperationSerializer(serializers.Serializer):
    id = TextField()
    operationType = serializers.ChoiceField(
        choices=["delegatedAdminRelationshipUpdate", "delegatedAdminAccessAssignmentUpdate"]
    )
    status = serializers.ChoiceField(choices=["succeeded"])
    data = TextField(help_text="What changed, as JSON.")
    createdDateTime = serializers.DateTimeField()
    lastModifiedDateTime = serializers.DateTimeField()


DelegatedAdminRelationshipOperationCollection = inline_serializer(
    "DelegatedAdminRelationshipOperationCollection",
    fields={
        "@odata.context": TextField(),
        "value": DelegatedAdminRelationshipOperationSerializer(many=True),
    },
)

# The audit lines that are Graph's requests on a relationship (each done at once: succeeded),
# and those that are its operations (changes of an active relationship or its assignments).
REQUEST_ACTIONS = {
    AuditAction.ADMIN_FINALIZED: "lockForApproval",
    AuditAction.ADMIN_APPROVED: "approve",
    AuditAction.ADMIN_DECLINED: "reject",
    AuditAction.ADMIN_TERMINATED: "terminate",
}
OPERATION_ACTIONS = {
    AuditAction.ADMIN_AUTO_EXTEND_CHANGED: "delegatedAdminRelationshipUpdate",
    AuditAction.ADMIN_ROLE_REMOVED: "delegatedAdminRelationshipUpdate",
    AuditAction.ASSIGNMENT_CREATED: "delegatedAdminAccessAssignmentUpdate",
    AuditAction.ASSIGNMENT_UPDATED: "delegatedAdminAccessAssignmentUpdate",
    AuditAction.ASSIGNMENT_REMOVED: "delegatedAdminAccessAssignmentUpdate",
}


def relationship_lines(relationship: AdminRelationship, actions) -> QuerySet:
    """The relationship's audit lines of `actions`, oldest first."""
    return AuditEvent.objects.filter(
        partner=relationship.partner_id,
        action__in=list(actions),
        details__relationship=str(relationship.pk),
    ).order_by("at", "id")


def _request(event: AuditEvent) -> dict:
    return {
        "id": str(event.pk),
        "action": REQUEST_ACTIONS[event.action],
        "status": "succeeded",
        "createdDateTime": iso(event.at),
        "lastModifiedDateTime": iso(event.at),
    }


def _operation(event: AuditEvent) -> dict:
    data = {key: value for key, value in event.details.items() if key not in ("name",)}
    return {
        "id": str(event.pk),
        "operationType": OPERATION_ACTIONS[event.action],
        "status": "succeeded",
        "data": json.dumps(data, sort_keys=True),
        "createdDateTime": iso(event.at),
        "lastModifiedDateTime": iso(event.at),
    }


class AdminRelationshipRequestView(AppView):
    action = Action.MANAGE_ADMIN_RELATIONSHIPS
    method_actions = {"GET": Action.VIEW_ADMIN_RELATIONSHIPS}

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
            **graph_errors(400, 403, 404, 409),
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
            done = AuditAction.ADMIN_FINALIZED
        else:
            services.admin_relationship_terminate(
                relationship=relationship, terminated_by=request.user, by=self.partner
            )
            done = AuditAction.ADMIN_TERMINATED
        event = relationship_lines(relationship, [done]).last()
        return Response(_request(event), status=status.HTTP_201_CREATED)

    @extend_schema(
        operation_id="delegated_admin_relationship_requests_list",
        summary="The requests made on a relationship",
        description="Each request on the relationship, oldest first: `lockForApproval` and "
        "`terminate` (the partner's), `approve` and `reject` (the customer's). Each was done "
        "at once, so each has succeeded.",
        parameters=[RELATIONSHIP_ID],
        responses={200: DelegatedAdminRelationshipRequestCollection, **graph_errors(403, 404)},
    )
    def get(self, request, relationship_id):
        relationship = _relationship_of(self.partner, relationship_id)
        lines = relationship_lines(relationship, REQUEST_ACTIONS)[:MAX_SIZE]
        return Response(
            {
                "@odata.context": odata.context_link(
                    request, "tenantRelationships/delegatedAdminRelationships('…')/requests"
                ),
                "value": [_request(event) for event in lines],
            }
        )


class AdminRelationshipRequestDetailView(AppView):
    action = Action.VIEW_ADMIN_RELATIONSHIPS

    @extend_schema(
        operation_id="delegated_admin_relationship_request_get",
        summary="One request made on a relationship",
        parameters=[
            RELATIONSHIP_ID,
            OpenApiParameter("request_id", OpenApiTypes.INT, OpenApiParameter.PATH),
        ],
        responses={
            200: DelegatedAdminRelationshipRequestResultSerializer,
            **graph_errors(403, 404),
        },
    )
    def get(self, request, relationship_id, request_id):
        relationship = _relationship_of(self.partner, relationship_id)
        event = relationship_lines(relationship, REQUEST_ACTIONS).filter(pk=request_id).first()
        if event is None:
            raise Http404("No such request.")
        return Response(_request(event))


class AdminRelationshipOperationListView(AppView):
    action = Action.VIEW_ADMIN_RELATIONSHIPS

    @extend_schema(
        operation_id="delegated_admin_relationship_operations_list",
        summary="The changes made to an active relationship",
        description="Oldest first: `delegatedAdminRelationshipUpdate` (auto-extend turned on or "
        "off, Global Administrator removed) and `delegatedAdminAccessAssignmentUpdate` (a "
        "security group given, changed or removed roles); `data` says what changed.",
        parameters=[RELATIONSHIP_ID],
        responses={200: DelegatedAdminRelationshipOperationCollection, **graph_errors(403, 404)},
    )
    def get(self, request, relationship_id):
        relationship = _relationship_of(self.partner, relationship_id)
        lines = relationship_lines(relationship, OPERATION_ACTIONS)[:MAX_SIZE]
        return Response(
            {
                "@odata.context": odata.context_link(
                    request, "tenantRelationships/delegatedAdminRelationships('…')/operations"
                ),
                "value": [_operation(event) for event in lines],
            }
        )


class AdminRelationshipOperationDetailView(AppView):
    action = Action.VIEW_ADMIN_RELATIONSHIPS

    @extend_schema(
        operation_id="delegated_admin_relationship_operation_get",
        summary="One change made to an active relationship",
        parameters=[
            RELATIONSHIP_ID,
            OpenApiParameter("operation_id", OpenApiTypes.INT, OpenApiParameter.PATH),
        ],
        responses={200: DelegatedAdminRelationshipOperationSerializer, **graph_errors(403, 404)},
    )
    def get(self, request, relationship_id, operation_id):
        relationship = _relationship_of(self.partner, relationship_id)
        event = relationship_lines(relationship, OPERATION_ACTIONS).filter(pk=operation_id).first()
        if event is None:
            raise Http404("No such operation.")
        return Response(_operation(event))
