"""What every resource of the Partner Center API shares: the app's view (`AppView`), the shapes
its answers have in common (`attributes`, `links`, errors), paging sizes and small helpers."""

import functools
import re
import threading
from datetime import UTC

from django.utils.functional import lazy
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema_field
from rest_framework import serializers
from rest_framework.exceptions import ErrorDetail
from rest_framework.views import APIView

from tenancy import rules, selectors
from tenancy.models import Tenant
from tenancy.paging import InvalidCursor, keyset_page
from tenancy.rules import Action

MAX_SIZE = 500
WHOLE_NUMBER = re.compile(r"[0-9]{1,6}")
DEFAULT_SIZE = 40
CONTINUATION_HEADER = "MS-ContinuationToken"
NUL = "\x00"


def null_characters() -> str:
    """Why a NUL is refused, in Django's and DRF's own sentence (their text fields refuse it)."""
    return _("Null characters are not allowed.")


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
    """Every endpoint: an app's key, and the app's roles must allow `action`; a query
    parameter the operation doesn't document is a 400 (a misspelt one must not pass for
    absent), and so is a NUL in any (PostgreSQL refuses it in text; no parameter takes it)."""

    action: Action
    # Where a method needs another action than `action` (a GET reads, a POST writes).
    method_actions: dict[str, Action] = {}
    # Parameters the view refuses itself, with a sentence of its own.
    explained_parameters: frozenset[str] = frozenset()

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        rules.require(request.membership, self.method_actions.get(request.method, self.action))
        if not hasattr(self, request.method.lower()):
            return  # DRF answers 405
        for name, values in request.query_params.lists():
            if NUL in name or any(NUL in value for value in values):
                raise serializers.ValidationError({name.replace(NUL, "")[:100]: null_characters()})
        known = documented_query(request.resolver_match.route, request.method)
        for name in request.query_params:
            if name not in known and name not in self.explained_parameters:
                raise serializers.ValidationError(
                    {
                        name[:100]: _("This operation takes no such parameter: use %(names)s.")
                        % {"names": ", ".join(sorted(known)) or "—"}
                    }
                )

    @property
    def partner(self) -> Tenant:
        return self.request.membership.tenant


# `seekOperation=Next` rides on Partner Center's `links.next` URIs (the token is the header).
ALWAYS_ACCEPTED = frozenset({"seekOperation"})


@functools.cache
def documented_query(route: str, method: str) -> frozenset[str]:
    """The query parameters the OpenAPI document gives the operation at `route` (a URL pattern
    as Django names it), read from the document once per process."""
    document = openapi_document()
    path = "/" + re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", route)
    operation = document["paths"].get(path, {}).get(method.lower(), {})
    return ALWAYS_ACCEPTED | {
        p["name"] for p in operation.get("parameters", []) if p.get("in") == "query"
    }


_DOCUMENT_LOCK = threading.Lock()


@functools.cache
def _openapi_document() -> dict:
    from drf_spectacular.generators import SchemaGenerator

    return SchemaGenerator().get_schema(request=None, public=True)


def openapi_document() -> dict:
    """The OpenAPI document /v1/openapi.json serves, made once per process (it doesn't change
    at run time): what the reference page renders and the operations' parameters are read from.
    Made by one thread at a time: drf-spectacular's generator is not safe to run in two at once
    (its extensions load their classes on first use), and a server's first parallel API calls
    would each start it."""
    with _DOCUMENT_LOCK:
        return _openapi_document()


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


def query_data(serializer_class, request, **kwargs) -> dict:
    """The request's query parameters, validated by `serializer_class` (a 400 naming the first
    at fault). Read as plain values, not as a form: an empty `status=` is a value to check, never
    a parameter left out."""
    params = serializer_class(data=request.query_params.dict(), **kwargs)
    params.is_valid(raise_exception=True)
    return params.validated_data


def unknown(field: str, message: str) -> serializers.ValidationError:
    """A field naming nothing of the partner's: answered 404 with `field` (api.errors)."""
    return serializers.ValidationError({field: ErrorDetail(message, code="unknown")})


# Made once: a serializer's fields are made anew for each request (DRF copies them), and each
# lazy_sentence is a class of its own.
SIZE_PROBLEM = lazy_sentence(gettext_noop("Use a size from 1 to %(max)s."), max=MAX_SIZE)


class SizeField(serializers.IntegerField):
    """A page's `size`: 1 to MAX_SIZE, written in ASCII digits (`²` or `1.0` is no size)."""

    def __init__(self, **kwargs):
        problem = SIZE_PROBLEM
        kwargs.setdefault("required", False)
        kwargs.setdefault("default", DEFAULT_SIZE)
        super().__init__(
            min_value=1,
            max_value=MAX_SIZE,
            error_messages=dict.fromkeys(("invalid", "min_value", "max_value"), problem),
            **kwargs,
        )

    def to_internal_value(self, data):
        if not isinstance(data, int) and not WHOLE_NUMBER.fullmatch(str(data)):
            self.fail("invalid")
        return super().to_internal_value(data)


class PageQuerySerializer(serializers.Serializer):
    size = SizeField()


class TextField(serializers.CharField):
    """A string of a request's body: a number or a boolean is no string (DRF's CharField would
    take 0 for "0")."""

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


# A name: one line with something in it (what the services check), as the schema's pattern.
NAME_PATTERN = (
    r"^[^\x00-\x1f\x7f-\x9f\u2028\u2029]*[^\s\x00-\x1f\x7f-\x9f\u2028\u2029]"
    r"[^\x00-\x1f\x7f-\x9f\u2028\u2029]*$"
)


@extend_schema_field({"type": "string", "minLength": 1, "pattern": NAME_PATTERN})
class NameField(TextField):
    """A display name: its validators give the page's sentences; its schema, their pattern."""
