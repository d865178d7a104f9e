"""The README's list of error codes is the code's: each status's code in each shape is named in
its Errors paragraph."""

from pathlib import Path

from django.conf import settings

from api.errors import CODES, GRAPH_CODES


def errors_paragraph() -> str:
    readme = (Path(settings.BASE_DIR) / "README.md").read_text()
    start = readme.index("**Errors** are JSON everywhere under `/v1/`")
    return readme[start : readme.index("\n\n", start)]


def test_every_code_the_api_answers_with_is_in_the_readme():
    paragraph = errors_paragraph()
    for status, code in [*CODES.items(), *GRAPH_CODES.items()]:
        assert f"`{code}`" in paragraph, (status, code)
        assert str(status) in paragraph, status
