"""Webhooks under `/v1/webhooks`, in Partner Center's shapes, on the services the Webhooks pages
call: the partner's registration (`POST` shows its signing secret, that once; `GET`, `PUT`,
`DELETE`), the event names it may ask for, and validation events (the page's Send test event)
with their delivery read back.

Also what an event's payload points at: `GET /v1/auditrecords` (its AuditUri: the partner's audit
lines of a day, as the Activity page lists them) and the two resources no other endpoint showed
one at a time (a relationship request, an access assignment), so that every ResourceUri and
AuditUri answers a GET with the partner's app key."""

from datetime import UTC, date, datetime, time, timedelta
from http import HTTPStatus

from django.db.models import Prefetch
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.plumbing import build_array_type, build_basic_type
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import exceptions, serializers, status
from rest_framework.response import Response

from api.base import (
    CONTINUATION_HEADER,
    AppView,
    AttributesSerializer,
    LinksSerializer,
    TextField,
    continued_page,
    errors,
    graph_errors,
    iso,
    query_data,
)
from api.resources.delegated_admin_relationships import (
    RELATIONSHIP_ID,
    AccessAssignmentSerializer,
    _assignment,
    _relationship_of,
)
from api.resources.relationship_requests import (
    RelationshipRequestItemSerializer,
    _relationship_request,
)
from api.resources.templates import (
    PAGE_PARAMETERS,
    PageQuerySerializer,
    collection,
)
from tenancy import services
from tenancy.audit_text import audit_detail
from tenancy.models import (
    SUBSCRIBABLE_EVENTS,
    AccessAssignment,
    AuditEvent,
    DeliveryAttempt,
    DeliveryStatus,
    Invitation,
    Tenant,
    WebhookDelivery,
    WebhookEventName,
    WebhookSubscription,
)
from tenancy.models.webhooks import URL_MAX_LENGTH
from tenancy.rules import Action

EVENT_NAMES = [name.value for name in SUBSCRIBABLE_EVENTS]
# The services' field names, as the registration's requests name them.
REGISTRATION_FIELDS = {"url": "WebhookUrl", "events": "WebhookEvents"}
# A delivery's status, as Partner Center words a validation event's.
VALIDATION_STATUS = {
    DeliveryStatus.PENDING: "pending",
    DeliveryStatus.DELIVERED: "succeeded",
    DeliveryStatus.FAILED: "failed",
}


def registration_of(partner: Tenant) -> WebhookSubscription:
    """The partner's registration: its active webhook (the newest, when the pages added
    several). None is a 404 that says how to make one."""
    subscription = (
        WebhookSubscription.objects.filter(partner=partner, is_active=True)
        .order_by("-created_at")
        .first()
    )
    if subscription is None:
        raise exceptions.NotFound(
            _("You have no webhook registration: POST one to /v1/webhooks/registration.")
        )
    return subscription


# --- Shapes ----------------------------------------------------------------------------------


class WebhookRegistrationSerializer(serializers.Serializer):
    SubscriberId = serializers.UUIDField(help_text="Your organization's tenant id.")
    WebhookUrl = TextField()
    WebhookEvents = serializers.ListField(child=serializers.ChoiceField(choices=EVENT_NAMES))


class NewWebhookRegistrationSerializer(WebhookRegistrationSerializer):
    SigningSecret = TextField(
        help_text="Standard Webhooks' whsec_<base64>: every delivery is signed with it. Shown in "
        "this answer only: keep it now."
    )


class WebhookRegistrationWriteSerializer(serializers.Serializer):
    """Blank values and unknown event names are the service's to refuse, in the page's words."""

    WebhookUrl = serializers.RegexField(
        r"^https?://[^\x00-\x20/?#]+[^\x00-\x20]*$",
        max_length=URL_MAX_LENGTH,
        help_text="An address on the internet that accepts POST requests. One the address "
        "filter refuses (private, loopback, link-local or reserved, or a name that doesn't "
        "resolve) is refused with 409.",
        error_messages={
            "required": gettext_lazy("Enter the URL to send events to."),
            "blank": gettext_lazy("Enter the URL to send events to."),
            "invalid": gettext_lazy("Use an http:// or https:// URL."),
        },
    )
    WebhookEvents = serializers.ListField(
        child=serializers.ChoiceField(
            choices=EVENT_NAMES,
            # Translators: {input} is the name sent, as it is.
            error_messages={"invalid_choice": gettext_lazy("Unknown event: {input}.")},
        ),
        allow_empty=False,
        min_length=1,
        max_length=len(EVENT_NAMES),
        help_text="Names from GET /v1/webhooks/eventTypes.",
        error_messages={
            "required": gettext_lazy("Select at least one event."),
            "empty": gettext_lazy("Select at least one event."),
            "min_length": gettext_lazy("Select at least one event."),
        },
    )


class ValidationEventSerializer(serializers.Serializer):
    correlationId = serializers.UUIDField(
        help_text="The test event's id: its EventId, and its webhook-id header."
    )


class ValidationEventStatusSerializer(serializers.Serializer):
    correlationId = serializers.UUIDField()
    partnerId = serializers.UUIDField()
    status = serializers.ChoiceField(choices=sorted(set(VALIDATION_STATUS.values())))
    callbackUrl = TextField()
    responseCode = serializers.IntegerField(
        required=False, help_text="The receiver's HTTP status, at the latest attempt."
    )
    responseMessage = TextField(
        required=False,
        help_text="The status's reason phrase, or why the latest attempt got no answer.",
    )
    dateTimeUtc = serializers.DateTimeField(help_text="The latest attempt, else the event.")


def registration_body(subscription: WebhookSubscription) -> dict:
    return {
        "SubscriberId": str(subscription.partner_id),
        "WebhookUrl": subscription.url,
        "WebhookEvents": list(subscription.events),
    }


def _registration_fields(invalid: services.WebhookInvalid) -> Exception:
    """The service's problems by field, as a 400 naming the registration's field; an address
    of the right form that the address filter refuses is a refusal (409)."""
    if set(invalid.problems) == {"url"}:
        return services.ServiceError(invalid.problems["url"], code="address")
    return serializers.ValidationError(
        {
            REGISTRATION_FIELDS.get(field, field): message
            for field, message in invalid.problems.items()
        }
    )


def _written(request) -> dict:
    body = WebhookRegistrationWriteSerializer(data=request.data)
    body.is_valid(raise_exception=True)
    return {
        "url": body.validated_data["WebhookUrl"],
        "events": body.validated_data["WebhookEvents"],
    }


# --- The registration --------------------------------------------------------------------------


class WebhookRegistrationView(AppView):
    action = Action.MANAGE_WEBHOOKS

    @extend_schema(
        operation_id="webhook_registration_get",
        summary="Your webhook registration",
        description="Its URL and events (never its signing secret). With several webhooks "
        "added on the Webhooks page, the newest active one.",
        responses={200: WebhookRegistrationSerializer, **errors(403, 404)},
    )
    def get(self, request):
        return Response(registration_body(registration_of(self.partner)))

    @extend_schema(
        operation_id="webhook_registration_create",
        summary="Register a webhook",
        description="As **Add webhook**, audited as the app: the URL (public addresses only) "
        "and the events to send it. The answer carries `SigningSecret`, this once. One "
        "registration per partner: while you have one, 409 (code `registered`).",
        request=WebhookRegistrationWriteSerializer,
        responses={201: NewWebhookRegistrationSerializer, **errors(400, 403, 409)},
    )
    def post(self, request):
        fields = _written(request)
        try:
            subscription = services.webhook_subscription_create(
                membership=request.membership, sole=True, **fields
            )
        except services.WebhookInvalid as invalid:
            raise _registration_fields(invalid) from None
        response = Response(
            {**registration_body(subscription), "SigningSecret": subscription.secret},
            status=status.HTTP_201_CREATED,
        )
        response["Cache-Control"] = "no-store"
        return response

    @extend_schema(
        operation_id="webhook_registration_update",
        summary="Change your webhook registration",
        description="Replaces its URL and events, audited as the app; its signing secret stays "
        "the same.",
        request=WebhookRegistrationWriteSerializer,
        responses={200: WebhookRegistrationSerializer, **errors(400, 403, 404, 409)},
    )
    def put(self, request):
        subscription = registration_of(self.partner)
        fields = _written(request)
        try:
            subscription = services.webhook_subscription_update(
                membership=request.membership, subscription=subscription, **fields
            )
        except services.WebhookInvalid as invalid:
            raise _registration_fields(invalid) from None
        return Response(registration_body(subscription))

    @extend_schema(
        operation_id="webhook_registration_delete",
        summary="Delete your webhook registration",
        description="As **Deactivate**, audited as the app: no more events are sent to it. It "
        "stays in Partner Center's Webhooks with its delivery log.",
        responses={204: None, **errors(403, 404, 409)},
    )
    def delete(self, request):
        services.webhook_subscription_deactivate(
            membership=request.membership, subscription=registration_of(self.partner)
        )
        return Response(status=status.HTTP_204_NO_CONTENT)


class WebhookEventTypesView(AppView):
    action = Action.MANAGE_WEBHOOKS

    @extend_schema(
        operation_id="webhook_event_types_list",
        summary="The events a registration may ask for",
        responses={
            200: build_array_type(build_basic_type(OpenApiTypes.STR)),
            **errors(403),
        },
    )
    def get(self, request):
        return Response(EVENT_NAMES)


# --- Validation events -------------------------------------------------------------------------


CORRELATION_ID = OpenApiParameter("correlation_id", OpenApiTypes.UUID, OpenApiParameter.PATH)


class ValidationEventsView(AppView):
    action = Action.MANAGE_WEBHOOKS

    @extend_schema(
        operation_id="webhook_validation_event_send",
        summary="Send your registration a test event",
        description=f"As **Send test event**: a `{WebhookEventName.TEST.value}` event to the "
        "registration's URL, signed and retried as every event. Read how it went with the "
        "answer's `correlationId`.",
        request=None,
        responses={200: ValidationEventSerializer, **errors(403, 404, 409)},
    )
    def post(self, request):
        delivery = services.webhook_send_test(
            membership=request.membership, subscription=registration_of(self.partner)
        )
        return Response({"correlationId": str(delivery.event_id)})


class ValidationEventView(AppView):
    action = Action.MANAGE_WEBHOOKS

    @extend_schema(
        operation_id="webhook_validation_event_get",
        summary="How a test event's delivery went",
        description="`pending` until the receiver answers 2xx (`succeeded`) or the retries are "
        "spent (`failed`).",
        parameters=[CORRELATION_ID],
        responses={200: ValidationEventStatusSerializer, **errors(403, 404)},
    )
    def get(self, request, correlation_id):
        delivery = get_object_or_404(
            WebhookDelivery.objects.select_related("event", "subscription").prefetch_related(
                Prefetch(
                    "attempt_log",
                    queryset=DeliveryAttempt.objects.order_by("-at", "-id")[:1],
                    to_attr="latest_attempts",
                )
            ),
            partner=self.partner,
            event_id=correlation_id,
            event__name=WebhookEventName.TEST,
        )
        body = {
            "correlationId": str(delivery.event_id),
            "partnerId": str(delivery.partner_id),
            "status": VALIDATION_STATUS[delivery.status],
            "callbackUrl": delivery.subscription.url,
            "dateTimeUtc": iso(delivery.event.created_at),
        }
        if delivery.latest_attempts:
            attempt = delivery.latest_attempts[0]
            body["dateTimeUtc"] = iso(attempt.at)
            if attempt.response_status is not None:
                body["responseCode"] = attempt.response_status
            message = attempt.error or _phrase(attempt.response_status)
            if message:
                body["responseMessage"] = message
        return Response(body)


def _phrase(code: int | None) -> str:
    """'No Content' for 204: HTTP's own words, as the receiver's answer had them."""
    try:
        return HTTPStatus(code).phrase if code is not None else ""
    except ValueError:
        return ""


# --- Audit records: where an event's AuditUri points ------------------------------------------


class AuditRecordSerializer(serializers.Serializer):
    id = TextField()
    partnerId = serializers.UUIDField()
    customerId = serializers.UUIDField(required=False)
    customerName = TextField(required=False)
    userPrincipalName = TextField(
        allow_blank=True,
        help_text="Who did it (an app's principal, for an app); blank: the portal.",
    )
    operationType = TextField(help_text="The audit action's code: invitation.accepted.")
    operationDescription = TextField(
        help_text="As the Activity page words it, in the request's language."
    )
    operationDate = serializers.DateTimeField()
    attributes = AttributesSerializer()


class AuditRecordCollectionSerializer(serializers.Serializer):
    totalCount = serializers.IntegerField()
    items = AuditRecordSerializer(many=True)
    links = LinksSerializer()
    attributes = AttributesSerializer()


class AuditRecordQuerySerializer(PageQuerySerializer):
    # As the Activity page's period: the portal's first day, and a last day far enough from the
    # calendar's end that the day after it can still be computed.
    FIRST_DAY = date(2000, 1, 1)
    LAST_DAY = date(9998, 12, 31)
    DEFAULT_DAYS = 30

    startDate = serializers.DateField(
        required=False,
        help_text="The first day (UTC), YYYY-MM-DD; default: 30 days before endDate.",
    )
    endDate = serializers.DateField(
        required=False, help_text="The last day (UTC), YYYY-MM-DD; default: today."
    )

    def validate(self, data):
        # Days outside the portal's calendar hold no lines: they are read as its ends. A start
        # after the end is a period of no days: nothing.
        start, end = data.get("startDate"), data.get("endDate")
        if end is None:
            end = max(timezone.now().astimezone(UTC).date(), start or self.FIRST_DAY)
        if start is None:
            start = max(end - timedelta(days=self.DEFAULT_DAYS - 1), self.FIRST_DAY)
        start = min(max(start, self.FIRST_DAY), self.LAST_DAY)
        end = min(max(end, self.FIRST_DAY), self.LAST_DAY)
        return {**data, "startDate": start, "endDate": end}


def audit_record(event: AuditEvent) -> dict:
    detail = audit_detail(event)
    action = event.get_action_display()
    body = {
        "id": str(event.pk),
        "partnerId": str(event.partner_id),
        "userPrincipalName": event.actor_label,
        "operationType": event.action,
        "operationDescription": f"{action} ({detail})" if detail else str(action),
        "operationDate": iso(event.at),
        "attributes": {"objectType": "AuditRecord"},
    }
    if customer := event.customer:
        body["customerId"] = str(customer.pk)
        body["customerName"] = customer.name
    return body


class AuditRecordListView(AppView):
    action = Action.VIEW_ACTIVITY

    @extend_schema(
        operation_id="audit_records_list",
        summary="Your activity log: what was done, by whom, a page at a time",
        description="The lines of the Activity page, newest first, from `startDate` to `endDate` "
        "(whole UTC days; by default the last 30). `links.next` carries the continuation token "
        f"(the `{CONTINUATION_HEADER}` header, or `continuationToken`). A webhook event's "
        "`AuditUri` is this, on the day of its change.",
        parameters=[AuditRecordQuerySerializer, *PAGE_PARAMETERS],
        responses={200: AuditRecordCollectionSerializer, **errors(400, 403)},
    )
    def get(self, request):
        data = query_data(AuditRecordQuerySerializer, request)
        start, end = data["startDate"], data["endDate"]
        # A range on the timestamp itself, so the (partner, at) index serves it.
        events = AuditEvent.objects.filter(
            partner=self.partner,
            at__gte=datetime.combine(start, time.min, UTC),
            at__lt=datetime.combine(end + timedelta(days=1), time.min, UTC),
        ).select_related("customer")
        page = continued_page(events, request, order=["-at", "-id"], size=data["size"])
        query = {"startDate": start.isoformat(), "endDate": end.isoformat()}
        if "size" in request.query_params:
            query["size"] = data["size"]
        return Response(
            {
                "totalCount": events.count(),
                **collection(
                    [audit_record(event) for event in page.object_list],
                    path="/v1/auditrecords",
                    query=query,
                    next_cursor=page.next_cursor,
                ),
            }
        )


# --- The other resources events point at -------------------------------------------------------


class RelationshipRequestView(AppView):
    """A declined request's ResourceUri."""

    action = Action.VIEW_REQUESTS

    @extend_schema(
        operation_id="relationship_request_get",
        summary="One of your reseller relationship requests",
        description="As listed by GET /v1/relationshiprequests: its status and, once answered, "
        "who answered and when.",
        parameters=[OpenApiParameter("request_id", OpenApiTypes.UUID, OpenApiParameter.PATH)],
        responses={200: RelationshipRequestItemSerializer, **errors(403, 404)},
    )
    def get(self, request, request_id):
        invitation = get_object_or_404(
            Invitation.objects.select_related("answered_tenant"),
            pk=request_id,
            partner=self.partner,
        )
        return Response(_relationship_request(invitation, timezone.now()))


class AccessAssignmentDetailSerializer(AccessAssignmentSerializer):
    status = serializers.ChoiceField(
        choices=["active", "error", "deleted"],
        help_text="deleted: removed (Graph's word); error: made from a template's mapping when "
        "the customer approved, and not possible then.",
    )


class AccessAssignmentView(AppView):
    """An access assignment event's ResourceUri (a removed one too)."""

    action = Action.VIEW_ADMIN_RELATIONSHIPS

    @extend_schema(
        operation_id="delegated_admin_access_assignment_get",
        summary="One access assignment of an admin relationship",
        parameters=[
            RELATIONSHIP_ID,
            OpenApiParameter("assignment_id", OpenApiTypes.UUID, OpenApiParameter.PATH),
        ],
        responses={200: AccessAssignmentDetailSerializer, **graph_errors(403, 404)},
    )
    def get(self, request, relationship_id, assignment_id):
        relationship = _relationship_of(self.partner, relationship_id)
        assignment = get_object_or_404(
            AccessAssignment, pk=assignment_id, relationship=relationship
        )
        body = _assignment(assignment)
        if assignment.removed_at is not None:
            body["status"] = "deleted"
            body["lastModifiedDateTime"] = iso(assignment.removed_at)
        return Response(body)
