"""The OpenAPI document's error answers, completed where every operation shares them: drf-
spectacular's postprocessing hook (SPECTACULAR_SETTINGS["POSTPROCESSING_HOOKS"]).

Every operation can answer 401 (no key, or a revoked one) and 429 (the app's rate); one with a
path parameter 404 (nothing of yours has that id); one that takes parameters or a body 400. Each
in the shape of the API its path belongs to (api.errors): Graph's under /v1/tenantRelationships/,
Partner Center's elsewhere.
"""

from drf_spectacular.extensions import OpenApiSerializerExtension

from api.request_ids import GRAPH_PREFIX

SHAPES = {"graph": "#/components/schemas/GraphError", "partner": "#/components/schemas/Error"}
DESCRIPTIONS = {
    "400": "A parameter or the body is not what the operation takes (`field` or `target` says "
    "which).",
    "401": "No key, or a key that is revoked or unknown.",
    "403": "The app's roles don't allow this.",
    "404": "Nothing of yours has this id (another partner's objects are a 404 too).",
    "409": "A rule refuses it; the description says which, in the page's words.",
    "429": "The app's rate is spent: wait for `Retry-After` seconds.",
}


# Graph's answers whose properties `$select` may leave out: only `id` is always there.
SELECTABLE = ("DelegatedAdminRelationship", "AccessAssignment", "AccessAssignmentDetail")


# Bodies whose fields exclude each other: exactly one of the choosers is given (and templateId
# only to upgrade).
def _only(field: str, others: list[str], **more) -> dict:
    return {
        "required": [field],
        "not": {"anyOf": [{"required": [other]} for other in others]},
        **more,
    }


EXACTLY_ONE = {
    "RelationshipJobCreateRequest": [
        _only("relationshipIds", ["expiring", "templateId"]),
        _only("expiring", ["relationshipIds", "templateId"]),
        _only(
            "templateId",
            ["relationshipIds", "expiring"],
            properties={"kind": {"enum": ["upgrade"]}},
        ),
    ],
}


def complete_errors(result, generator, request, public):
    schemas = result.get("components", {}).get("schemas", {})
    for name in SELECTABLE:
        if name in schemas:
            schemas[name]["required"] = ["id"]
    for name, choices in EXACTLY_ONE.items():
        if name in schemas:
            schemas[name]["oneOf"] = choices
    for path, methods in result.get("paths", {}).items():
        shape = SHAPES["graph" if path.startswith(GRAPH_PREFIX) else "partner"]
        for operation in methods.values():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            wanted = {"401", "429"}
            parameters = operation.get("parameters", [])
            if any(p.get("in") == "path" for p in parameters):
                wanted.add("404")
            if parameters or "requestBody" in operation:
                wanted.add("400")
            _body_required(operation, schemas)
            responses = operation["responses"]
            for status in sorted(wanted):
                responses.setdefault(
                    status,
                    {
                        "content": {"application/json": {"schema": {"$ref": shape}}},
                        "description": "",
                    },
                )
            for status, response in responses.items():
                if status in DESCRIPTIONS and not response.get("description"):
                    response["description"] = DESCRIPTIONS[status]
    return result


class StrictBodies(OpenApiSerializerExtension):
    """A body that refuses keys it doesn't know (api.resources.templates.StrictSerializer)
    says so: `additionalProperties: false`."""

    target_class = "api.resources.templates.StrictSerializer"
    match_subclasses = True

    def map_serializer(self, auto_schema, direction):
        schema = auto_schema._map_basic_serializer(self.target, direction)
        if direction == "request":
            schema["additionalProperties"] = False
        return schema


def _needs_something(schema: dict, schemas: dict) -> bool:
    """Whether a body schema refuses an empty body: it requires a field (each variant does)."""
    if "$ref" in schema:
        schema = schemas.get(schema["$ref"].rsplit("/", 1)[-1], {})
    if schema.get("required"):
        return True
    variants = schema.get("oneOf") or schema.get("anyOf")
    return bool(variants) and all(_needs_something(v, schemas) for v in variants)


def _body_required(operation: dict, schemas: dict) -> None:
    """A body the operation can't do without is marked required (a request without one is a
    400)."""
    body = operation.get("requestBody")
    if not body:
        return
    content = body.get("content", {}).get("application/json", {})
    if _needs_something(content.get("schema", {}), schemas):
        body["required"] = True
