"""The code stays readable as it grows: no module of the project over ~600 lines of code."""

from pathlib import Path

from django.conf import settings

LIMIT = 600
ROOTS = ["api", "admin_center", "bench", "config", "console", "partner_center", "tenancy", "tests"]


def lines_of_code(path: Path) -> int:
    """Lines that are neither blank nor only a comment."""
    return sum(
        1
        for line in path.read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.strip().startswith("#")
    )


def test_no_module_is_over_600_lines_of_code():
    base = Path(settings.BASE_DIR)
    sizes = {
        str(path.relative_to(base)): lines_of_code(path)
        for root in ROOTS
        for path in (base / root).rglob("*.py")
        if "migrations" not in path.parts
    }
    assert len(sizes) > 100, "the walk found too few modules"
    assert {path: size for path, size in sizes.items() if size > LIMIT} == {}
