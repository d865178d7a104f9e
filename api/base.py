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
    field = serializers.CharField(required=False)


def errors(*codes: int) -> dict:
    """The error answers an operation documents, all in the one shape of `api.errors`."""
    return dict.fromkeys(codes, ErrorSerializer)


def iso(moment) -> str:
    """A time as Partner Center and Graph write it: ISO 8601 in UTC, with a Z."""
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


customer_of = selectors.customer_of


CUSTOMER_ID = OpenApiParameter("customer_id", OpenApiTypes.UUID, OpenApiParameter.PATH)
