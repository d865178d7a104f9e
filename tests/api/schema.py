"""Check an API response against the OpenAPI document drf-spectacular serves."""

import jsonschema
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from api.base import openapi_document


def document() -> dict:
    return openapi_document()


def assert_matches(path: str, method: str, response) -> None:
    """The response's body is what the document says `method path` answers with its status."""
    doc = document()
    assert str(response.status_code) in doc["paths"][path][method]["responses"]
    pointer = "/".join(
        [
            "paths",
            path.replace("~", "~0").replace("/", "~1"),
            method,
            "responses",
            str(response.status_code),
            "content",
            "application~1json",
            "schema",
        ]
    )
    registry = Registry().with_resource(
        "urn:doc", Resource.from_contents(doc, default_specification=DRAFT202012)
    )
    validator = jsonschema.Draft202012Validator({"$ref": f"urn:doc#/{pointer}"}, registry=registry)
    validator.validate(response.json())


def graph_error(response) -> dict:
    """A Graph-path error as {"code", "description", "field"?}: its `error.code`, `message` and
    `target`, after checking the rest of Graph's shape (innerError's date and request id)."""
    error = response.json()["error"]
    assert set(error) <= {"code", "message", "target", "details", "innerError"}
    assert error["details"] == []
    assert error["innerError"]["request-id"] == response["request-id"]
    assert error["innerError"]["date"].endswith("Z")
    shaped = {"code": error["code"], "description": error["message"]}
    if "target" in error:
        shaped["field"] = error["target"]
    return shaped
