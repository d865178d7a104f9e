"""Who can do what, where, as the pages show it: `GET /v1/customers/{id}/access` (every agent's
roles in a customer and the way each holds them), `GET /v1/users/{id}/access` (one agent's, in
every customer), and `GET /v1/adminRelationshipTemplates/{id}/accessIfApproved` (who would hold
what once a customer approves). Each reads `tenancy.selectors.access_trace`, the rule that
decides what an agent may do in a customer, in a fixed number of queries."""

from django.utils.translation import gettext_noop
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.response import Response

from api.base import (
    CUSTOMER_ID,
    AppView,
    AttributesSerializer,
    TextField,
    customer_of,
    errors,
    iso,
    lazy_sentence,
)
from api.resources.delegated_admin_relationships import EXTENSION, NO_EXTENSION
from tenancy import selectors
from tenancy.entra_roles import sorted_roles
from tenancy.rules import Action, CustomerTask
from tenancy.rules.templates import NO_MEMBERS, ROLE_NOT_HELD
from tenancy.selectors import access_trace

TASK_CODES = [access_trace.task_code(task) for task in CustomerTask]

# --- Shapes ------------------------------------------------------------------------------------


class AccessAgentSerializer(serializers.Serializer):
    id = serializers.IntegerField(help_text="The user's id in your organization.")
    userPrincipalName = TextField()
    accountEnabled = serializers.BooleanField()


class AccessCustomerSerializer(serializers.Serializer):
    tenantId = serializers.UUIDField()
    displayName = TextField()


class AccessSecurityGroupSerializer(serializers.Serializer):
    accessContainerId = serializers.UUIDField(help_text="One of your security groups.")
    accessContainerType = serializers.ChoiceField(choices=["securityGroup"])
    displayName = TextField()


class AccessRelationshipSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    displayName = TextField()
    endDateTime = serializers.DateTimeField(
        help_text="When it ends; an auto-extending one's next end."
    )
    autoExtendDuration = serializers.ChoiceField(choices=[EXTENSION, NO_EXTENSION])


class AccessRoleSerializer(serializers.Serializer):
    roleDefinitionId = TextField(help_text="A Microsoft Entra role template id.")
    displayName = TextField()


class AccessRolesSerializer(serializers.Serializer):
    unifiedRoles = AccessRoleSerializer(many=True)


class AccessPathSerializer(serializers.Serializer):
    agent = AccessAgentSerializer()
    customer = AccessCustomerSerializer()
    accessContainer = AccessSecurityGroupSerializer()
    accessAssignmentId = serializers.UUIDField()
    delegatedAdminRelationship = AccessRelationshipSerializer()
    accessDetails = AccessRolesSerializer(
        help_text="The roles held this way: the assignment's that the relationship has."
    )
    allowedTasks = serializers.ListField(
        child=serializers.ChoiceField(choices=TASK_CODES),
        help_text="What these roles allow in the customer (the rules' table).",
    )
    attributes = AttributesSerializer()


class AccessPathCollectionSerializer(serializers.Serializer):
    totalCount = serializers.IntegerField()
    items = AccessPathSerializer(many=True)
    attributes = AttributesSerializer()


class AccessProspectivePathSerializer(serializers.Serializer):
    accessContainer = AccessSecurityGroupSerializer()
    accessDetails = AccessRolesSerializer()


class AccessIfApprovedAgentSerializer(serializers.Serializer):
    agent = AccessAgentSerializer()
    through = AccessProspectivePathSerializer(many=True)
    accessDetails = AccessRolesSerializer(help_text="Every role the agent would hold there.")
    alreadyHeld = AccessRolesSerializer(
        help_text="Those it holds there already (with `customerId`; else none)."
    )
    allowedTasks = serializers.ListField(child=serializers.ChoiceField(choices=TASK_CODES))
    attributes = AttributesSerializer()


class AccessNotMadeSerializer(serializers.Serializer):
    accessContainer = AccessSecurityGroupSerializer()
    code = serializers.ChoiceField(choices=[NO_MEMBERS, ROLE_NOT_HELD])
    description = TextField()


class AccessIfApprovedSerializer(serializers.Serializer):
    templateId = serializers.UUIDField()
    version = serializers.IntegerField()
    totalCount = serializers.IntegerField()
    items = AccessIfApprovedAgentSerializer(many=True)
    notMade = AccessNotMadeSerializer(
        many=True, help_text="Mappings that would not become an assignment, and why."
    )
    attributes = AttributesSerializer()


class AccessIfApprovedQuerySerializer(serializers.Serializer):
    customerId = serializers.UUIDField(
        required=False,
        error_messages={
            "invalid": lazy_sentence(gettext_noop("Use the customer's Microsoft ID (a GUID)."))
        },
    )


# --- Bodies ------------------------------------------------------------------------------------


def _roles(roles) -> dict:
    return {
        "unifiedRoles": [
            {"roleDefinitionId": role.id, "displayName": str(role.name)}
            for role in sorted_roles(roles)
        ]
    }


def _agent(membership_id, username, active) -> dict:
    return {"id": membership_id, "userPrincipalName": username, "accountEnabled": active}


def _group(group) -> dict:
    return {
        "accessContainerId": str(group.pk),
        "accessContainerType": "securityGroup",
        "displayName": group.name,
    }


def _tasks(roles) -> list[str]:
    return [access_trace.task_code(task) for task in access_trace.tasks_allowed(roles)]


def _path(path: access_trace.AccessPath) -> dict:
    relationship = path.relationship
    return {
        "agent": _agent(path.membership_id, path.username, path.user_active),
        "customer": {"tenantId": str(path.customer.pk), "displayName": path.customer.name},
        "accessContainer": _group(path.group),
        "accessAssignmentId": str(path.assignment_id),
        "delegatedAdminRelationship": {
            "id": str(relationship.pk),
            "displayName": relationship.name,
            "endDateTime": iso(path.ends_at),
            "autoExtendDuration": EXTENSION if relationship.auto_extend else NO_EXTENSION,
        },
        "accessDetails": _roles(path.roles),
        "allowedTasks": _tasks(path.roles),
        "attributes": {"objectType": "AccessPath"},
    }


def _collection(paths) -> dict:
    items = [_path(path) for path in paths]
    return {"totalCount": len(items), "items": items, "attributes": {"objectType": "Collection"}}


# --- Endpoints ---------------------------------------------------------------------------------


class CustomerAccessView(AppView):
    action = Action.VIEW_CUSTOMERS

    @extend_schema(
        operation_id="customer_access_list",
        summary="Who has access in a customer, and through what",
        description="Every one of your agents holding Microsoft Entra roles in the customer, one "
        "item per way in: the security group, its access assignment, the admin relationship in "
        "force and its end, the roles held that way, and what they allow. By user name. As the "
        "customer page's **Who has access**.",
        parameters=[CUSTOMER_ID],
        responses={200: AccessPathCollectionSerializer, **errors(403, 404)},
    )
    def get(self, request, customer_id):
        customer = customer_of(self.partner, customer_id)
        return Response(
            _collection(access_trace.access_paths(partner=self.partner, customer=customer))
        )


class UserAccessView(AppView):
    action = Action.VIEW_CUSTOMERS

    @extend_schema(
        operation_id="user_access_list",
        summary="One agent's access in every customer, and through what",
        description="Every customer where the user holds Microsoft Entra roles, one item per "
        "way in, customers by name. An app given Global admin or Admin agent sees any of your "
        "users'; another's is a 403. Another organization's user is a 404.",
        parameters=[OpenApiParameter("membership_id", OpenApiTypes.INT, OpenApiParameter.PATH)],
        responses={200: AccessPathCollectionSerializer, **errors(403, 404)},
    )
    def get(self, request, membership_id):
        agent = access_trace.agent_access_of(request.membership, membership_id)
        return Response(
            _collection(access_trace.access_paths(partner=self.partner, membership=agent))
        )


class TemplateIfApprovedView(AppView):
    action = Action.VIEW_ADMIN_RELATIONSHIPS

    @extend_schema(
        operation_id="admin_relationship_template_access_if_approved",
        summary="Who would hold what once a customer approves",
        description="For the template's latest version: each agent who would hold roles in a "
        "customer that approves a relationship made from it, through which security groups, "
        "and what the roles would allow; and each mapping that would not become an assignment, "
        "with why. With `customerId`, the roles the agents already hold in that customer count "
        "too (`alreadyHeld`).",
        parameters=[
            OpenApiParameter("template_id", OpenApiTypes.UUID, OpenApiParameter.PATH),
            OpenApiParameter("customerId", OpenApiTypes.UUID, required=False),
        ],
        responses={200: AccessIfApprovedSerializer, **errors(400, 403, 404)},
    )
    def get(self, request, template_id):
        query = AccessIfApprovedQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        template = selectors.template_of(self.partner, template_id)
        customer_id = query.validated_data.get("customerId")
        customer = customer_of(self.partner, customer_id) if customer_id else None
        prospect = access_trace.if_approved(
            template.latest, partner=self.partner, customer=customer
        )
        items = [
            {
                "agent": _agent(agent.membership_id, agent.username, agent.user_active),
                "through": [
                    {"accessContainer": _group(path.group), "accessDetails": _roles(path.roles)}
                    for path in agent.paths
                ],
                "accessDetails": _roles(agent.roles),
                "alreadyHeld": _roles(agent.already),
                "allowedTasks": _tasks(agent.roles),
                "attributes": {"objectType": "AccessIfApproved"},
            }
            for agent in prospect.agents
        ]
        return Response(
            {
                "templateId": str(template.pk),
                "version": template.latest.number,
                "totalCount": len(items),
                "items": items,
                "notMade": [
                    {
                        "accessContainer": _group(mapping.group),
                        "code": mapping.failure,
                        "description": mapping.reason,
                    }
                    for mapping in prospect.failed
                ],
                "attributes": {"objectType": "Collection"},
            }
        )
