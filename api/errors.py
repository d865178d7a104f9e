"""Every answer under /v1/ that is an error, in JSON, in the shape of the API it belongs to:

- Partner Center's paths: `{"code", "description", "field"?}` (`field` names the one field at
  fault, when one is);
- Microsoft Graph's paths (`/v1/tenantRelationships/…`): Graph's
  `{"error": {"code", "message", "target"?, "details": [], "innerError": {"date", "request-id",
  "client-request-id"?}}}`, which the Graph SDK reads into its ODataError.

The descriptions are the sentences the pages show (the same services and rules raise them).
Unknown paths and malformed ids (`NotFoundView`), methods not allowed, throttling and server
errors (`server_error`) come in the same shapes.
"""

import sys

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.db import InterfaceError, OperationalError
from django.http import Http404, JsonResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop, ngettext
from django.views import defaults
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import APIView, exception_handler

from api.request_ids import GRAPH_PREFIX, ids_of
from tenancy.services import ServiceError

CODES = {
    status.HTTP_400_BAD_REQUEST: "invalid",
    status.HTTP_401_UNAUTHORIZED: "unauthorized",
    status.HTTP_403_FORBIDDEN: "forbidden",
    status.HTTP_404_NOT_FOUND: "not_found",
    status.HTTP_405_METHOD_NOT_ALLOWED: "method_not_allowed",
    status.HTTP_406_NOT_ACCEPTABLE: "not_acceptable",
    status.HTTP_409_CONFLICT: "refused",
    status.HTTP_415_UNSUPPORTED_MEDIA_TYPE: "unsupported_media_type",
    status.HTTP_429_TOO_MANY_REQUESTS: "throttled",
    status.HTTP_500_INTERNAL_SERVER_ERROR: "server_error",
    status.HTTP_503_SERVICE_UNAVAILABLE: "unavailable",
}
# Graph's codes for the same answers (its documented error codes).
GRAPH_CODES = {
    status.HTTP_400_BAD_REQUEST: "invalidRequest",
    status.HTTP_401_UNAUTHORIZED: "unauthenticated",
    status.HTTP_403_FORBIDDEN: "accessDenied",
    status.HTTP_404_NOT_FOUND: "itemNotFound",
    status.HTTP_405_METHOD_NOT_ALLOWED: "notSupported",
    status.HTTP_406_NOT_ACCEPTABLE: "notSupported",
    status.HTTP_409_CONFLICT: "conflict",
    status.HTTP_415_UNSUPPORTED_MEDIA_TYPE: "invalidRequest",
    status.HTTP_429_TOO_MANY_REQUESTS: "activityLimitReached",
    status.HTTP_500_INTERNAL_SERVER_ERROR: "generalException",
    status.HTTP_503_SERVICE_UNAVAILABLE: "serviceNotAvailable",
}

# DRF's own descriptions, in the project's catalogs too: with the same msgids, the project's
# translation is the one DRF's gettext finds (and DRF ships no Hindi). The framework's answers,
# then the problems the fields of the API's requests can have.
FRAMEWORK_DESCRIPTIONS = (
    gettext_noop("Authentication credentials were not provided."),
    gettext_noop("Incorrect authentication credentials."),
    gettext_noop("You do not have permission to perform this action."),
    gettext_noop("Not found."),
    gettext_noop('Method "{method}" not allowed.'),
    gettext_noop("Could not satisfy the request Accept header."),
    gettext_noop('Unsupported media type "{media_type}" in request.'),
    gettext_noop("Malformed request."),
    gettext_noop("Invalid input."),
    gettext_noop("A server error occurred."),
    gettext_noop("This field is required."),
    gettext_noop("This field may not be null."),
    gettext_noop("This field may not be blank."),
    gettext_noop("Not a valid string."),
    gettext_noop("Ensure this field has no more than {max_length} characters."),
    gettext_noop("Ensure this field has at least {min_length} characters."),
    gettext_noop("Surrogate characters are not allowed: U+{code_point:X}."),
    gettext_noop("Enter a valid email address."),
    gettext_noop("Must be a valid UUID."),
    gettext_noop("Must be a valid boolean."),
    gettext_noop('"{input}" is not a valid choice.'),
    gettext_noop("Date has wrong format. Use one of these formats instead: {format}."),
    gettext_noop("Expected a date but got a datetime."),
    gettext_noop("Invalid data. Expected a dictionary, but got {datatype}."),
    gettext_noop('Expected a list of items but got type "{input_type}".'),
    gettext_noop("This list may not be empty."),
    gettext_noop("Ensure this field has no more than {max_length} elements."),
)


def _throttled(exc: exceptions.Throttled) -> str:
    """DRF's sentence, whole (DRF translates its two halves apart, the second after filling in
    the number: no catalog ever has it)."""
    if exc.wait is None:
        return _("Request was throttled.")
    return ngettext(
        "Request was throttled. Expected available in %(count)s second.",
        "Request was throttled. Expected available in %(count)s seconds.",
        exc.wait,
    ) % {"count": exc.wait}


def body(request, status_code: int, description: str, *, code: str = "", field: str = "") -> dict:
    """An error's body in the shape of the API `request` is on."""
    if request is not None and request.path.startswith(GRAPH_PREFIX):
        shaped = {"code": code or GRAPH_CODES.get(status_code, "generalException")}
        shaped["message"] = description
        if field:
            shaped["target"] = field
        inner = {"date": timezone.now().isoformat(timespec="seconds").replace("+00:00", "Z")}
        inner.update(ids_of(request))
        return {"error": {**shaped, "details": [], "innerError": inner}}
    shaped = {"code": code or CODES.get(status_code, "error"), "description": description}
    if field:
        shaped["field"] = field
    return shaped


def error(
    status_code: int, description: str, *, code: str = "", field: str = "", request=None
) -> Response:
    return Response(
        body(request, status_code, description, code=code, field=field), status=status_code
    )


# The code of a field's problem that is a reference to nothing of the partner's (a template, a
# customer, a security group): a 404 naming the field, as another partner's object is anywhere.
UNKNOWN = "unknown"


def _first(detail) -> tuple[str, str, str]:
    """(field, message, code) of the first problem in a DRF error detail."""
    if isinstance(detail, dict):
        field, problems = next(iter(detail.items()))
        _, message, code = _first(problems)
        return ("" if field == "non_field_errors" else str(field)), message, code
    if isinstance(detail, list) and detail:
        return _first(detail[0])
    return "", str(detail), getattr(detail, "code", "")


def handle(exc, context):
    request = context.get("request")
    if isinstance(exc, ServiceError):
        return error(
            status.HTTP_409_CONFLICT, exc.message, code=exc.code or "refused", request=request
        )
    if isinstance(exc, Http404):
        exc = exceptions.NotFound(_("No such object, or it belongs to another partner."))
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied(str(exc) or _("Your app's roles don't allow this."))
    response = exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        field, message, code = _first(exc.detail)
        status_code = 404 if code == UNKNOWN else response.status_code
        shaped = error(status_code, message, field=field, request=request)
    elif isinstance(exc, exceptions.Throttled):
        shaped = error(response.status_code, _throttled(exc), request=request)
    else:
        shaped = error(response.status_code, str(exc.detail), request=request)
    for header in ("Retry-After", "WWW-Authenticate", "Allow"):
        if header in response:
            shaped[header] = response[header]
    return shaped


class NotFoundView(APIView):
    """Every path under /v1/ that names no operation, or names one with a malformed id (the
    `<uuid:…>` routes do not match it): a 404 in the API's shape, to anyone."""

    authentication_classes = ()
    permission_classes = ()
    throttle_classes = ()

    def dispatch(self, request, *args, **kwargs):
        self.args, self.kwargs = args, kwargs
        self.request = self.initialize_request(request, *args, **kwargs)
        self.headers = self.default_response_headers
        response = error(
            status.HTTP_404_NOT_FOUND,
            _("There is no such operation, or the id in the path is not one."),
            request=request,
        )
        self.response = self.finalize_response(self.request, response, *args, **kwargs)
        return self.response


# How long a client should wait when the database is away (restarting, failing over): a restart
# of PostgreSQL takes a few seconds.
DATABASE_AWAY_RETRY_AFTER = 5


def server_error(request, *args, **kwargs):
    """handler500: under /v1/ the API's JSON; elsewhere Django's page (which says nothing was
    saved by the failed step). When the database is away (a restart, a failover: the connection
    failed or broke), the answer is 503 with Retry-After: the request can be sent again as it
    is, and a client that retries gets through once the database is back."""
    away = isinstance(sys.exc_info()[1], (OperationalError, InterfaceError))
    status_code = 503 if away else 500
    if request.path.startswith("/v1/"):
        message = (
            _("The service is unavailable for a moment. Try again in a few seconds.")
            if away
            else _("A server error occurred.")
        )
        response = JsonResponse(body(request, status_code, message), status=status_code)
    else:
        response = defaults.server_error(request, *args, **kwargs)
        response.status_code = status_code
    if away:
        response["Retry-After"] = str(DATABASE_AWAY_RETRY_AFTER)
    return response
