"""The API's reference page."""

from django.shortcuts import render
from drf_spectacular.generators import SchemaGenerator


def reference(request):
    """The OpenAPI document as a page: every operation with its parameters and answers, rendered
    here (no script, nothing from elsewhere), linked to the document itself."""
    document = SchemaGenerator().get_schema(request=None, public=True)
    operations = [
        {"method": method.upper(), "path": path, **operation}
        for path, methods in document["paths"].items()
        for method, operation in methods.items()
    ]
    return render(
        request,
        "api/reference.html",
        {"info": document["info"], "operations": operations},
    )
