"""``manage.py startextension NAME``: a new, working MigrateIQ module in its own folder.

The module (``NAME/``) is a tenant-scoped API of one model with an encrypted secret: models,
migration, services, selectors, serializers, views, URLs, a task, the admin and tests, plus the
fixtures through which the platform's isolation, role-matrix and page-cap tests cover it. With
``--source`` it also registers a kind of sync source. The files are rendered from
``core/extension_template/`` (``string.Template``). Enable the module with
``MIGRATEIQ_EXTENSIONS`` or an entry point (docs/extensions.md).
"""

import keyword
import re
import shutil
import subprocess
import sys
from importlib.util import find_spec
from pathlib import Path
from string import Template

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db.migrations.loader import MigrationLoader

from core.extensions import PLATFORM_API_PREFIXES

TEMPLATE_DIR = Path(__file__).resolve().parents[2] / "extension_template"
#: Rendered only with ``--source``.
SOURCE_FILES = {"source.py-tpl", "tests/test_source.py-tpl"}
_NAME = re.compile(r"^[a-z][a-z0-9_]{0,30}$")

_READY_WITH_SOURCE = """
    def ready(self):
        # The source registers itself with the sync engine (source_type "{name}").
        from {name} import source  # noqa: F401
"""


def template_values(name: str) -> dict[str, str]:
    """The placeholders of the templates for the module ``name``."""
    camel = "".join(part.capitalize() for part in name.split("_"))
    return {
        "name": name,
        "prefix": name.replace("_", "-"),
        "title": name.replace("_", " ").capitalize(),
        "Camel": camel,
        "Model": f"{camel}Item",
        "model": f"{name}_item",
        "words": f"{name.replace('_', ' ')} item",
        "plural": "items",
        "CONST": "ITEMS",
    }


def check_name(name: str) -> None:
    if not _NAME.match(name) or keyword.iskeyword(name) or name.endswith("_"):
        raise CommandError(
            f"{name!r} is not a module name: lowercase letters, digits and underscores, starting with "
            "a letter, at most 31 characters."
        )
    if name.replace("_", "-") in PLATFORM_API_PREFIXES:
        raise CommandError(f"/api/{name.replace('_', '-')}/ is the platform's; choose another name.")
    if find_spec(name) is not None:
        raise CommandError(f"{name!r} is the name of an importable package already; choose another name.")


def render(name: str, target: Path, *, source: bool) -> list[Path]:
    """Write the module ``name`` into ``target`` (which must not exist); the files written."""
    values = template_values(name)
    leaf = sorted(MigrationLoader(None, ignore_no_migrations=True).graph.leaf_nodes("tenancy"))
    values["tenancy_migration"] = leaf[-1][1]
    values["ready"] = _READY_WITH_SOURCE.format(name=name) if source else ""
    written = []
    for template in sorted(TEMPLATE_DIR.rglob("*.py-tpl")):
        relative = template.relative_to(TEMPLATE_DIR).as_posix()
        if relative in SOURCE_FILES and not source:
            continue
        text = Template(template.read_text()).substitute(values)
        path = target / relative.removesuffix("-tpl")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text.rstrip("\n") + "\n" if text.strip() else "")
        written.append(path)
    return written


def find_ruff() -> str | None:
    """The ruff of this environment (a dev dependency), if installed."""
    beside = Path(sys.executable).with_name("ruff")
    return str(beside) if beside.exists() else shutil.which("ruff")


def format_module(target: Path) -> bool:
    """Sort the imports and format the files like the rest of the project (Django's
    ``startproject`` does the same with black): where the module's own imports go depends on its
    name. Ruff reads the configuration that applies to ``target``; without ruff, nothing changes."""
    ruff = find_ruff()
    if ruff is None:
        return False
    for args in (["check", "--fix", "--select", "I", "--exit-zero", "--quiet"], ["format", "--quiet"]):
        subprocess.run([ruff, *args, str(target)], cwd=target.parent, check=True, timeout=60)  # noqa: S603
    return True


class Command(BaseCommand):
    help = "Create a MigrateIQ module (a tenant-scoped API with tests) in the folder NAME."

    def add_arguments(self, parser):
        parser.add_argument("name", help="Python package name of the module, e.g. inventory")
        parser.add_argument(
            "--source", action="store_true", help="also register a sync source (source_type NAME)"
        )
        parser.add_argument(
            "--directory", default=".", help="where to create the folder NAME (default: the current one)"
        )

    def handle(self, *args, name, source, directory, **options):
        check_name(name)
        target = Path(directory).resolve() / name
        if target.exists():
            raise CommandError(f"{target} exists already.")
        written = render(name, target, source=source)
        formatted = format_module(target)
        self.stdout.write(
            f"Created the module {name} in {target} ({len(written)} files"
            f"{', formatted with ruff' if formatted else ''})."
        )
        # The variable replaces the list: name every module installed now, or audit and webhooks
        # (installed by default) would silently go.
        enabled = ",".join([*settings.MIGRATEIQ_EXTENSIONS, name])
        self.stdout.write(
            f"Enable it: MIGRATEIQ_EXTENSIONS={enabled}; API: /api/{name.replace('_', '-')}/items/\n"
            # Every command and test run needs the variable: the line to paste says so.
            f"Test it: MIGRATEIQ_EXTENSIONS={enabled} python -m pytest {name}/tests"
        )
