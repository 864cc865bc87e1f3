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
_MODEL = re.compile(r"^[A-Z][A-Za-z0-9]{0,39}$")
_IMPORT = re.compile(r"^from \S+ import (?:\(([^)]*)\)|([^\n]+))", re.MULTILINE)

_READY_WITH_SOURCE = """
    def ready(self):
        # The source registers itself with the sync engine (source_type "{name}").
        from {name} import source  # noqa: F401
"""


def template_values(name: str, model: str = "") -> dict[str, str]:
    """The placeholders of the templates for the module ``name`` whose model is the class ``model``
    (default: ``<Name>Item``, listed at ``items/``)."""
    camel = "".join(part.capitalize() for part in name.split("_"))
    if model:
        snake = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", model).lower()
        plural = plural_of(snake)
    else:
        model, snake, plural = f"{camel}Item", f"{name}_item", "items"
    return {
        "name": name,
        "prefix": name.replace("_", "-"),
        "title": name.replace("_", " ").capitalize(),
        "Camel": camel,
        "Model": model,
        "model": snake,
        "words": snake.replace("_", " "),
        "words_plural": plural_of(snake).replace("_", " "),
        "models": plural_of(snake),
        "plural": plural.replace("_", "-"),
        "CONST": plural.upper(),
    }


def plural_of(word: str) -> str:
    """English's regular plural (note: notes, category: categories, box: boxes, status: statuses)."""
    if re.search(r"[^aeiou]y$", word):
        return word[:-1] + "ies"
    if re.search(r"(s|x|z|ch|sh)$", word):
        return word + "es"
    return word + "s"


def names_the_templates_import() -> set[str]:
    """The names the module's files import (``Role``, ``Page``, ``Q``...): a model of that name
    would shadow one of them."""
    names: set[str] = set()
    for template in TEMPLATE_DIR.rglob("*.py-tpl"):
        for match in _IMPORT.finditer(template.read_text()):
            for part in (match.group(1) or match.group(2)).split("#")[0].split(","):
                names.add(part.split(" as ")[-1].strip())
    return names - {""}


def check_model(model: str) -> None:
    if not _MODEL.match(model):
        raise CommandError(
            f"{model!r} is not a model class name: a letter in capitals first, then letters and digits "
            "(CamelCase), at most 40 characters, e.g. Note or StockItem."
        )
    if model in names_the_templates_import():
        raise CommandError(f"{model!r} is a name the module's files import already; choose another name.")


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


def render(name: str, target: Path, *, source: bool, model: str = "") -> list[Path]:
    """Write the module ``name`` into ``target`` (which must not exist); the files written."""
    values = template_values(name, model)
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
        parser.add_argument(
            "--model",
            default="",
            help="the model's class name, e.g. Note: listed at /api/NAME/notes/ "
            "(default: NameItem, at items/)",
        )

    def handle(self, *args, name, source, directory, model, **options):
        check_name(name)
        if model:
            check_model(model)
        target = Path(directory).resolve() / name
        if target.exists():
            raise CommandError(f"{target} exists already.")
        written = render(name, target, source=source, model=model)
        formatted = format_module(target)
        self.stdout.write(
            f"Created the module {name} in {target} ({len(written)} files"
            f"{', formatted with ruff' if formatted else ''})."
        )
        # The variable replaces the list: name every module installed now, or audit and webhooks
        # (installed by default) would silently go.
        enabled = ",".join([*settings.MIGRATEIQ_EXTENSIONS, name])
        self.stdout.write(
            f"Enable it: MIGRATEIQ_EXTENSIONS={enabled}; "
            f"API: /api/{name.replace('_', '-')}/{template_values(name, model)['plural']}/\n"
            # Every command and test run needs the variable: the line to paste says so.
            f"Test it: MIGRATEIQ_EXTENSIONS={enabled} python -m pytest {name}/tests"
        )
