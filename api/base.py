"""What every resource of the Partner Center API shares: the app's view (`AppView`), the shapes
its answers have in common (`attributes`, `links`, errors), paging sizes and small helpers."""

from datetime import UTC

from django.utils.functional import lazy
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter
from rest_framework import serializers
from rest_framework.views import APIView

from tenancy import rules, selectors
from tenancy.models import Tenant
from tenancy.paging import InvalidCursor, keyset_page
from tenancy.rules import Action

MAX_SIZE = 500
DEFAULT_SIZE = 40
CONTINUATION_HEADER = "MS-ContinuationToken"


def lazy_sentence(message: str, **values) -> str:
    """`message` (marked with gettext_noop) translated when it is shown, in the request's
    language, its %(placeholders)s filled with `values`: for sentences made at import time."""
    return lazy(lambda: _(message) % values, str)()


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
    # Where a method needs another action than `action` (a GET reads, a POST writes).
    method_actions: dict[str, Action] = {}

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        rules.require(request.membership, self.method_actions.get(request.method, self.action))

    @property
    def partner(self) -> Tenant:
        return self.request.membership.tenant


# --- Shapes ----------------------------------------------------------------------------------


class AttributesSerializer(serializers.Serializer):
    objectType = serializers.CharField()


class LinkSerializer(serializers.Serializer):
    uri = serializers.CharField()
    method = serializers.CharField()
    headers = serializers.ListField(child=serializers.DictField())


class LinksSerializer(serializers.Serializer):
    self = LinkSerializer()
    next = LinkSerializer(required=False)


class ErrorSerializer(serializers.Serializer):
    code = serializers.CharField()
    description = serializers.CharField()
    field = serializers.CharField(
        required=False, help_text="The request's field at fault, when one is."
    )


class GraphInnerErrorSerializer(serializers.Serializer):
    date = serializers.DateTimeField()
    request_id = serializers.CharField()
    client_request_id = serializers.CharField(required=False)

    def get_fields(self):
        fields = super().get_fields()
        # Graph's names have hyphens, which no Python attribute has.
        fields["request-id"] = fields.pop("request_id")
        fields["client-request-id"] = fields.pop("client_request_id")
        return fields


class GraphErrorDetailSerializer(serializers.Serializer):
    code = serializers.CharField()
    message = serializers.CharField()
    target = serializers.CharField(
        required=False, help_text="The request's field at fault, when one is."
    )
    details = serializers.ListField(child=serializers.DictField())
    innerError = GraphInnerErrorSerializer()


class GraphErrorSerializer(serializers.Serializer):
    error = GraphErrorDetailSerializer()


# Every operation can answer these: no key or a revoked one, and the app's rate passed.
ALWAYS = (401, 429)


def errors(*codes: int) -> dict:
    """The error answers a Partner Center operation documents (401 and 429 always), in
    Partner Center's shape of `api.errors`."""
    return dict.fromkeys(sorted({*codes, *ALWAYS}), ErrorSerializer)


def graph_errors(*codes: int) -> dict:
    """The same for an operation on Graph's paths, in Graph's error shape."""
    return dict.fromkeys(sorted({*codes, *ALWAYS}), GraphErrorSerializer)


def api_page(queryset, *, order: list[str], cursor: str | None, size: int, parameter: str):
    """A keyset page for the API: a token it did not give is a 400 naming `parameter`."""
    try:
        return keyset_page(queryset, order=order, cursor=cursor, size=size, strict=True)
    except InvalidCursor:
        raise serializers.ValidationError(
            {
                parameter: _(
                    "This continuation token is not one this API gave. Start again without it."
                )
            }
        ) from None


def iso(moment) -> str:
    """A time as Partner Center and Graph write it: ISO 8601 in UTC, with a Z."""
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


customer_of = selectors.customer_of


CUSTOMER_ID = OpenApiParameter("customer_id", OpenApiTypes.UUID, OpenApiParameter.PATH)


def continuation_token(request) -> str | None:
    """Partner Center's continuation token: the `MS-ContinuationToken` header (or the
    `continuationToken` parameter)."""
    return request.headers.get(CONTINUATION_HEADER) or request.query_params.get("continuationToken")


def continued_page(queryset, request, *, order: list[str], size: int):
    """The page of a Partner Center collection the request's continuation token asks for (a
    token this API did not give: a 400)."""
    return api_page(
        queryset,
        order=order,
        cursor=continuation_token(request),
        size=size,
        parameter=CONTINUATION_HEADER,
    )
