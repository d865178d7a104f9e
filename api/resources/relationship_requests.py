"""Reseller relationship requests: the app's general-purpose link (`GET
/v1/customers/relationshiprequests`, the same one until it is used up), a new request for one
customer (`POST` there, as New relationship), one tier or two; the partner's requests a page at a
time, and revoking one."""

from urllib.parse import urlencode

from django.conf import settings
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, gettext_noop
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import exceptions, serializers
from rest_framework.response import Response

from api.base import (
    CONTINUATION_HEADER,
    AppView,
    AttributesSerializer,
    LinksSerializer,
    SizeField,
    TextField,
    continued_page,
    errors,
    iso,
    lazy_sentence,
    query_data,
)
from tenancy import rules, services
from tenancy.models import Invitation, InvitationStatus, Partnership, Tenant
from tenancy.rules import Action

INDIRECT_RESELLER_ID = "indirectResellerId"
INDIRECT_PROVIDER_ID = "indirectCloudSolutionProviderId"


class RelationshipRequestSerializer(serializers.Serializer):
    url = serializers.URLField()
    attributes = AttributesSerializer()


class RelationshipRequestCreatedSerializer(RelationshipRequestSerializer):
    id = serializers.UUIDField(help_text="The request's id, as in `GET /v1/relationshiprequests`.")


class QuerySerializer(serializers.Serializer):
    """What both the link (`GET`'s parameters) and a new request (`POST`'s body) take."""

    ID_PROBLEM = gettext_lazy(
        "Use a tenant id: a GUID such as 00000000-0000-4000-8000-000000000000."
    )

    delegatedAdmin = serializers.BooleanField(
        required=False,
        default=True,
        help_text="Include delegated administration permissions (default true).",
    )
    language = serializers.ChoiceField(
        choices=settings.LANGUAGES,
        required=False,
        help_text="The email's language, as New relationship's Email language (default: the "
        "request's Accept-Language, else English).",
    )
    indirectResellerId = serializers.UUIDField(
        required=False,
        error_messages={"invalid": ID_PROBLEM},
        help_text="Indirect providers only: the tenant id of an indirect reseller you partner "
        "with. The request is the reseller's two-tier request, naming you.",
    )
    indirectCloudSolutionProviderId = serializers.UUIDField(
        required=False,
        error_messages={"invalid": ID_PROBLEM},
        help_text="Indirect resellers (required for them): the tenant id of the indirect "
        "provider you partner with that the customer will buy through.",
    )


class RelationshipRequestInSerializer(QuerySerializer):
    """A request for one customer: the link's terms, and whom it is for."""

    label = TextField(
        required=False,
        default="",
        allow_blank=True,
        max_length=100,
        help_text="Who the request is for (optional).",
    )
    recipient = serializers.EmailField(
        required=False, default="", allow_blank=True, help_text="The customer's email (optional)."
    )


# A request that names someone is made by POST; on the link they would be silently shared.
ADDRESSED_ONLY = ("label", "recipient")


class RequestListQuerySerializer(serializers.Serializer):
    DATE_PROBLEM = gettext_lazy("Use an ISO 8601 date or time: 2026-01-31 or 2026-01-31T12:00:00Z.")
    size = SizeField()
    status = serializers.ChoiceField(
        choices=InvitationStatus.values,
        required=False,
        error_messages={
            "invalid_choice": lazy_sentence(
                # Translators: %(statuses)s lists the API's status values, as they are.
                gettext_noop("Use one of: %(statuses)s."),
                statuses=", ".join(s.value for s in InvitationStatus),
            )
        },
    )
    createdAfter = serializers.DateTimeField(
        required=False, error_messages={"invalid": DATE_PROBLEM}
    )
    createdBefore = serializers.DateTimeField(
        required=False, error_messages={"invalid": DATE_PROBLEM}
    )


class AnsweredBySerializer(serializers.Serializer):
    tenantId = serializers.UUIDField()
    companyName = TextField()
    domain = TextField()


class RelationshipRequestItemSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    label = TextField(allow_blank=True)
    status = serializers.ChoiceField(choices=[*InvitationStatus.values])
    delegatedAdmin = serializers.BooleanField(
        help_text="Whether it includes delegated administration permissions."
    )
    createdDateTime = serializers.DateTimeField()
    expiresDateTime = serializers.DateTimeField()
    answeredDateTime = serializers.DateTimeField(required=False)
    answeredBy = AnsweredBySerializer(
        required=False, help_text="The organization that accepted or declined it."
    )
    attributes = AttributesSerializer()


class RelationshipRequestCollectionSerializer(serializers.Serializer):
    items = RelationshipRequestItemSerializer(many=True)
    links = LinksSerializer()
    attributes = AttributesSerializer()


def _relationship_request(invitation: Invitation, now) -> dict:
    item = {
        "id": str(invitation.pk),
        "label": invitation.label,
        "status": invitation.display_status(now).value,
        "delegatedAdmin": invitation.include_admin,
        "createdDateTime": iso(invitation.created_at),
        "expiresDateTime": iso(invitation.expires_at),
        "attributes": {"objectType": "RelationshipRequest"},
    }
    if invitation.answered_at:
        item["answeredDateTime"] = iso(invitation.answered_at)
    if tenant := invitation.answered_tenant:
        item["answeredBy"] = {
            "tenantId": str(tenant.pk),
            "companyName": tenant.name,
            "domain": tenant.domain,
        }
    return item


# --- Endpoints -------------------------------------------------------------------------------


TWO_TIERS = (
    "Two tiers: an indirect provider names one of its indirect resellers "
    f"(`{INDIRECT_RESELLER_ID}`) and gets that reseller's two-tier request, naming the provider; "
    "an indirect reseller must name one of its indirect providers "
    f"(`{INDIRECT_PROVIDER_ID}`). Either link carries "
    "`invType=IndirectResellerRelationship`: accepting it makes the customer the provider's and "
    "the reseller's through it. Naming a partner you have no active partnership with is refused "
    "(409, code `partnership`); the parameters are for indirect providers and indirect resellers "
    "only (400 for anyone else)."
)


class RelationshipRequestView(AppView):
    action = Action.REQUEST_RELATIONSHIP
    # On GET, who the request is for: its own refusal says to POST.
    explained_parameters = frozenset({"label", "recipient"})

    @extend_schema(
        operation_id="relationship_request_link",
        summary="Your app's general-purpose relationship request link",
        description="Partner Center's request link, safe to call again: your app's open "
        "request with no one named, for these terms (`delegatedAdmin`, `language` and the two "
        "tiers' parameters). Every call answers the same link until a customer accepts or "
        f"declines it, it is revoked or it expires ({settings.INVITATION_VALID_DAYS} days); the "
        "next call then makes a new one (audited as the app). A retry, a crawler or a "
        "monitoring check therefore leaves no requests behind. `label` and `recipient` are "
        "refused here (400): they make a request for one customer, which `POST` makes. "
        + TWO_TIERS,
        parameters=[QuerySerializer],
        responses={200: RelationshipRequestSerializer, **errors(400, 401, 403, 409, 429)},
    )
    def get(self, request):
        for name in ADDRESSED_ONLY:
            if name in request.query_params:
                raise serializers.ValidationError(
                    {
                        name: _(
                            # Translators: %(parameter)s is the API's parameter name, as it is.
                            "%(parameter)s names whom a request is for: POST it to "
                            "/v1/customers/relationshiprequests to make a request for one "
                            "customer. GET answers your app's general-purpose link."
                        )
                        % {"parameter": name}
                    }
                )
        data = query_data(QuerySerializer, request)
        partner, provider = self._tiers(data)
        invitation = services.invitation_open_general(
            partner=partner,
            created_by=request.user,
            include_admin=data["delegatedAdmin"],
            indirect_provider=provider,
            acting_partner=self.partner,
            language=data.get("language"),
        )
        return Response(
            {"url": invitation.link(), "attributes": {"objectType": "RelationshipRequest"}}
        )

    @extend_schema(
        operation_id="relationship_request_create",
        summary="A new reseller relationship request",
        description="As New relationship in Partner Center: a new request on every call, for "
        "one customer (`label`, `recipient`), with its link valid for the request's lifetime, "
        "audited as the app. Answers 201 with the request's `id` (to follow it in "
        "`GET /v1/relationshiprequests`, or revoke it). " + TWO_TIERS,
        request=RelationshipRequestInSerializer,
        responses={201: RelationshipRequestCreatedSerializer, **errors(400, 401, 403, 409, 429)},
    )
    def post(self, request):
        body = RelationshipRequestInSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        partner, provider = self._tiers(data)
        invitation = services.invitation_create(
            partner=partner,
            created_by=request.user,
            include_admin=data["delegatedAdmin"],
            label=data["label"],
            recipient_email=data["recipient"],
            indirect_provider=provider,
            acting_partner=self.partner,
            language=data.get("language"),
        )
        return Response(
            {
                "id": str(invitation.pk),
                "url": invitation.link(),
                "attributes": {"objectType": "RelationshipRequest"},
            },
            status=201,
        )

    def _tiers(self, data) -> tuple[Tenant, Tenant | None]:
        """(the request's partner, its indirect provider): the caller and none, or the two
        tiers the parameters name."""
        caller = self.partner
        side = rules.partnership_side(caller)
        reseller_id, provider_id = data.get(INDIRECT_RESELLER_ID), data.get(INDIRECT_PROVIDER_ID)
        if reseller_id is not None and side != "provider":
            # Who may name it is a rule about the caller: a 403, like any other role's.
            raise exceptions.PermissionDenied(
                _(
                    # Translators: %(parameter)s is the API's parameter name, as it is.
                    "%(parameter)s is for indirect providers, requesting a relationship "
                    "for one of their indirect resellers."
                )
                % {"parameter": INDIRECT_RESELLER_ID}
            )
        if provider_id is not None and side != "reseller":
            # Who may name it is a rule about the caller: a 403, like any other role's.
            raise exceptions.PermissionDenied(
                _(
                    # Translators: %(parameter)s is the API's parameter name, as it is.
                    "%(parameter)s is for indirect resellers, naming the indirect provider "
                    "the customer will buy through."
                )
                % {"parameter": INDIRECT_PROVIDER_ID}
            )
        if reseller_id is not None:
            return self._partnered(caller, reseller_id, other="reseller"), caller
        if provider_id is not None:
            return caller, self._partnered(caller, provider_id, other="provider")
        return caller, None

    @staticmethod
    def _partnered(caller: Tenant, other_id, *, other: str) -> Tenant:
        """The partner on the other side of one of the caller's partnerships (of any status:
        the service refuses one that is not active, in its own words). An id the caller never
        partnered with is refused without saying whose it is."""
        side = "provider" if other == "reseller" else "reseller"
        found = Tenant.objects.filter(
            pk=other_id,
            pk__in=Partnership.objects.filter(**{side: caller}).values(f"{other}_id"),
        ).first()
        if found is None:
            if other == "reseller":
                message = _(
                    "Choose one of your indirect resellers: only a reseller you partner with "
                    "can be named."
                )
            else:
                message = _(
                    "Choose one of your indirect providers: only a provider you partner with "
                    "can be named."
                )
            raise services.ServiceError(message, code="partnership")
        return found


class RelationshipRequestListView(AppView):
    action = Action.VIEW_REQUESTS

    @extend_schema(
        operation_id="relationship_requests_list",
        summary="Your reseller relationship requests, a page at a time",
        description="Newest first, as on **Relationship requests**. `status`: "
        + ", ".join(s.value for s in InvitationStatus)
        + ". `createdAfter` (at or after) and `createdBefore` (before) take an ISO 8601 date "
        f"or time. `links.next` carries the continuation token (the `{CONTINUATION_HEADER}` "
        "header, or `continuationToken`); a page costs the same wherever it is.",
        parameters=[
            RequestListQuerySerializer,
            OpenApiParameter("continuationToken", str),
            OpenApiParameter(
                CONTINUATION_HEADER, str, location=OpenApiParameter.HEADER, required=False
            ),
        ],
        responses={200: RelationshipRequestCollectionSerializer, **errors(400, 403)},
    )
    def get(self, request):
        data = query_data(RequestListQuerySerializer, request)
        now = timezone.now()
        invitations = Invitation.objects.filter(partner=self.partner).select_related(
            "answered_tenant"
        )
        if "status" in data:
            invitations = invitations.with_status(InvitationStatus(data["status"]), now)
        if "createdAfter" in data:
            invitations = invitations.filter(created_at__gte=data["createdAfter"])
        if "createdBefore" in data:
            invitations = invitations.filter(created_at__lt=data["createdBefore"])
        page = continued_page(invitations, request, order=["-created_at", "-id"], size=data["size"])
        query = urlencode(
            {
                key: request.query_params[key]
                for key in ("size", "status", "createdAfter", "createdBefore")
                if key in request.query_params
            }
        )
        uri = "/v1/relationshiprequests" + (f"?{query}" if query else "")
        links = {"self": {"uri": uri, "method": "GET", "headers": []}}
        if page.next_cursor:
            links["next"] = {
                "uri": f"{uri}{'&' if query else '?'}seekOperation=Next",
                "method": "GET",
                "headers": [{"key": CONTINUATION_HEADER, "value": page.next_cursor}],
            }
        return Response(
            {
                "items": [_relationship_request(i, now) for i in page.object_list],
                "links": links,
                "attributes": {"objectType": "Collection"},
            }
        )


class RelationshipRequestRevokeView(AppView):
    action = Action.REVOKE_REQUEST

    @extend_schema(
        operation_id="relationship_request_revoke",
        summary="Revoke a relationship request",
        description="As **Revoke** on the request: its link stops working at once. Refused "
        "(409) once it was answered, revoked or has expired.",
        request=None,
        responses={200: RelationshipRequestItemSerializer, **errors(403, 404, 409)},
        parameters=[OpenApiParameter("request_id", OpenApiTypes.UUID, OpenApiParameter.PATH)],
    )
    def post(self, request, request_id):
        invitation = get_object_or_404(Invitation, pk=request_id, partner=self.partner)
        invitation = services.invitation_revoke(invitation=invitation, revoked_by=request.user)
        return Response(_relationship_request(invitation, timezone.now()))
