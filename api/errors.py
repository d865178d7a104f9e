"""Every API error in one shape: {"code", "description", "field"?}. The descriptions are the
sentences the pages show (the same services and rules raise them)."""

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler

from tenancy.services import ServiceError

CODES = {
    status.HTTP_400_BAD_REQUEST: "invalid",
    status.HTTP_401_UNAUTHORIZED: "unauthorized",
    status.HTTP_403_FORBIDDEN: "forbidden",
    status.HTTP_404_NOT_FOUND: "not_found",
    status.HTTP_405_METHOD_NOT_ALLOWED: "method_not_allowed",
    status.HTTP_409_CONFLICT: "refused",
    status.HTTP_429_TOO_MANY_REQUESTS: "throttled",
}


def error(status_code: int, description: str, *, code: str = "", field: str = "") -> Response:
    body = {"code": code or CODES.get(status_code, "error"), "description": description}
    if field:
        body["field"] = field
    return Response(body, status=status_code)


def _first(detail) -> tuple[str, str]:
    """(field, message) of the first problem in a DRF error detail."""
    if isinstance(detail, dict):
        field, problems = next(iter(detail.items()))
        _, message = _first(problems)
        return ("" if field == "non_field_errors" else str(field)), message
    if isinstance(detail, list) and detail:
        return _first(detail[0])
    return "", str(detail)


def handle(exc, context):
    if isinstance(exc, ServiceError):
        return error(status.HTTP_409_CONFLICT, exc.message, code=exc.code or "refused")
    if isinstance(exc, Http404):
        exc = exceptions.NotFound("No such object, or it belongs to another partner.")
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied(str(exc) or "Your app's roles don't allow this.")
    response = exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        field, message = _first(exc.detail)
        shaped = error(response.status_code, message, field=field)
    else:
        shaped = error(response.status_code, str(exc.detail))
    for header in ("Retry-After", "WWW-Authenticate", "Allow"):
        if header in response:
            shaped[header] = response[header]
    return shaped
