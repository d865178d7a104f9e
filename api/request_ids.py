"""Request ids on every answer under /v1/, as each API names them.

Partner Center's clients send `MS-RequestId` and `MS-CorrelationId` and get them back (a fresh
GUID for one they did not send). Graph's clients send `client-request-id` and get it back beside
the server's own `request-id`; Graph's error bodies carry both in `innerError`. A value that is
not a plain token (letters, digits, hyphens; at most 100) is not echoed: a fresh id stands in.
"""

import re
import uuid

GRAPH_PREFIX = "/v1/tenantRelationships/"
API_PREFIX = "/v1/"
TOKEN = re.compile(r"[A-Za-z0-9-]{1,100}")


def _given(request, header: str) -> str:
    value = request.headers.get(header, "")
    return value if TOKEN.fullmatch(value) else str(uuid.uuid4())


def ids_of(request) -> dict[str, str]:
    """The ids of `request` (one under /v1/), made once and kept on it."""
    request = getattr(request, "_request", request)  # DRF's request wraps Django's
    ids = getattr(request, "api_ids", None)
    if ids is None:
        if request.path.startswith(GRAPH_PREFIX):
            ids = {"request-id": str(uuid.uuid4())}
            if "client-request-id" in request.headers:
                ids["client-request-id"] = _given(request, "client-request-id")
        else:
            ids = {
                "MS-RequestId": _given(request, "MS-RequestId"),
                "MS-CorrelationId": _given(request, "MS-CorrelationId"),
            }
        request.api_ids = ids
    return ids


class RequestIdsMiddleware:
    """Puts the request's ids on every answer under /v1/ (errors included)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if request.path.startswith(API_PREFIX):
            for header, value in ids_of(request).items():
                response[header] = value
        return response
