"""The built wheel starts (`make wheel-check`, part of `make test`).

Builds the project's wheel the ordinary way (`pip wheel --no-deps`) from a copy of the tree, so
no build directory is left in it and no stale file from an earlier build gets in; unpacks it in a
temporary directory outside the tree; then, in a fresh Python that sees only that directory and
the virtualenv's site-packages (not the tree, not the editable install: no `.pth` file is read),
sets Django up with the test settings, imports every installed app, the URLconf and every view
it routes to, the WSGI application with its middleware, and every migration, and runs the system
checks. It fails if a module came from the tree, if a file inside one of the wheel's packages in
the tree is missing from the wheel (data an app reads from its package, such as
tenancy/data/csp_markets.csv), or if the wheel carries the tests or the benchmarks.

jinja2/ (the templates), static/ and locale/ are the project's own directories beside
manage.py, found through BASE_DIR, not package data: the wheel carries the code, a deployment
carries those beside it.

Run it: .venv/bin/python -m tests.wheel_check [the tree; default: this one]
"""

import shutil
import subprocess
import sys
import sysconfig
import tempfile
import zipfile
from pathlib import Path

SOURCE = Path(__file__).resolve().parent.parent
NOT_PACKAGES = ("tests", "bench")
# What a copy of the tree for the build leaves out: the virtualenv, git, what builds and runs
# leave behind.
IGNORED = shutil.ignore_patterns(
    ".venv",
    ".git",
    "build",
    "dist",
    "*.egg-info",
    "__pycache__",
    "*.pyc",
    ".ruff_cache",
    "staticfiles",
    "db.sqlite3*",
    "test-results",
    ".env",
)

# Runs in the fresh Python; argv: the unpacked wheel, the virtualenv's site-packages, the tree.
IN_THE_WHEEL = """
import os, sys
from importlib import import_module
from pathlib import Path

wheel, site_packages, source = (Path(arg).resolve() for arg in sys.argv[1:4])
sys.path[:0] = [str(wheel)]
sys.path.append(str(site_packages))
os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings.test"

import django

django.setup()

from django.conf import settings
from django.core.checks import ERROR, run_checks
from django.core.wsgi import get_wsgi_application
from django.db.migrations.loader import MigrationLoader
from django.urls import URLPattern, URLResolver, get_resolver

for app in settings.INSTALLED_APPS:
    import_module(app)


def views(patterns):
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            yield from views(pattern.url_patterns)
        elif isinstance(pattern, URLPattern):
            yield pattern.callback


import_module(settings.ROOT_URLCONF)
routed = list(views(get_resolver().url_patterns))
import_module(settings.WSGI_APPLICATION.rpartition(".")[0])
get_wsgi_application()
MigrationLoader(None, ignore_no_migrations=True)
errors = [message for message in run_checks() if message.level >= ERROR]
assert not errors, "system checks: " + "; ".join(map(str, errors))


def from_tree(path: str) -> bool:
    # The virtualenv may sit inside the tree: what comes from its site-packages is not ours.
    resolved = Path(path).resolve()
    return resolved.is_relative_to(source) and not resolved.is_relative_to(site_packages)


strays = sorted(
    name
    for name, module in list(sys.modules.items())
    if (path := getattr(module, "__file__", None)) and from_tree(path)
)
assert not strays, f"imported from the tree, not the wheel: {strays[:20]}"
print(
    f"{len(settings.INSTALLED_APPS)} apps, {settings.ROOT_URLCONF} with {len(routed)} views, "
    f"the WSGI application and the migrations import from the wheel"
)
"""


def build_wheel(source: Path, work: Path) -> Path:
    tree = work / "tree"
    shutil.copytree(source, tree, ignore=IGNORED)
    out = work / "dist"
    subprocess.run(  # noqa: S603 (our own interpreter and arguments)
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "-w", str(out), str(tree)],
        check=True,
        cwd=work,
    )
    [wheel] = out.glob("*.whl")
    return wheel


def unpack(wheel: Path, into: Path, source: Path) -> list[str]:
    """Unpack the wheel; return what it is missing from the tree, or carries that it shouldn't."""
    with zipfile.ZipFile(wheel) as archive:
        archive.extractall(into)
        names = set(archive.namelist())
    packages = sorted(path.name for path in into.iterdir() if (path / "__init__.py").is_file())
    problems = [f"the wheel carries {name}/" for name in packages if name in NOT_PACKAGES]
    for package in packages:
        for path in sorted((source / package).rglob("*")):
            if not path.is_file() or "__pycache__" in path.parts or path.suffix == ".pyc":
                continue
            name = path.relative_to(source).as_posix()
            if name not in names:
                problems.append(f"{name} is in the tree but not in the wheel")
    return problems


def main(source: Path = SOURCE) -> int:
    with tempfile.TemporaryDirectory(prefix="wheel-check-") as temporary:
        work = Path(temporary)
        wheel = build_wheel(source, work)
        installed = work / "installed"
        problems = unpack(wheel, installed, source)
        started = subprocess.run(  # noqa: S603 (our own interpreter and arguments)
            [
                sys.executable,
                "-I",  # no PYTHON* variables, no current directory on the path
                "-S",  # no site: the editable install's .pth file would reach into the tree
                "-c",
                IN_THE_WHEEL,
                str(installed),
                sysconfig.get_path("purelib"),
                str(source),
            ],
            cwd=work,
            capture_output=True,
            text=True,
        )
        print(started.stdout, end="")
        if started.returncode:
            problems.append(f"{wheel.name} does not start:\n{started.stderr.strip()}")
        for problem in problems:
            print(f"wheel check: {problem}", file=sys.stderr)
        if not problems:
            print(f"wheel check: {wheel.name} starts")
        return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(*(Path(arg).resolve() for arg in sys.argv[1:])))
