"""The platform never imports a module (STYLE.md point 12), and a module no other module.

Every ``.py`` file of the platform packages (their tests and migrations included) is parsed and every
``import`` / ``from ... import`` statement is checked, wherever it stands: at the top, inside a
function, under ``if TYPE_CHECKING:``. A *module* is any installed app of this project whose package
is not in ``PLATFORM_PACKAGES`` (the connectors module ``demo_extension`` today), so a new app is a
module until it is added to the list. Imports by string (``importlib.import_module("...")``, Celery
task names, ``apps.get_model("app.Model")``) are not imports here: that is how the platform reaches
what a module declared (``core/extensions.py``).

A module plugs into the platform from its own folder instead (``ModuleConfig`` in its ``apps.py``).
"""

import ast
from pathlib import Path

import pytest
from django.apps import apps
from django.conf import settings

BASE_DIR = Path(settings.BASE_DIR).resolve()

#: The platform: packages that may import each other but never a module. Add a platform app here
#: (the sync engine, ``sync_engine``, goes here when it moves out of the connectors module).
PLATFORM_PACKAGES = ["core", "tenancy", "accounts", "migrateiq", "sync_engine", "destinations"]

#: Files of the platform that still import a module, each with why and what removes it. The test
#: fails when one of them stops doing so (then delete its line), so the list only shrinks.
KNOWN_EXCEPTIONS = {
    "destinations/tests/conftest.py": "the load tests make REST connectors and upstreams with the "
    "connectors module's fixtures (a toy source in the engine's tests could replace them)",
    "destinations/tests/test_postgres_loads.py": "a load after a real sync of a REST connector "
    "(DataSyncService)",
    "destinations/tests/test_round_trip.py": "hard values from a real upstream through a REST sync and a "
    "load, read back from the table (the connectors module's fault server and run_sync)",
    "destinations/tests/test_load_crash.py": "starts a worker with the connectors module's worker "
    "helpers (demo_extension.tests.worker_process)",
    "destinations/tests/test_celery_loads.py": "a REST sync ending on a real worker, with the connectors "
    "module's worker fixtures (demo_extension.tests.test_celery_worker)",
}


def module_packages() -> set[str]:
    """Top-level packages of the installed apps of this project that are not the platform's."""
    local = {
        config.name.split(".")[0]
        for config in apps.get_app_configs()
        if Path(config.path).resolve().is_relative_to(BASE_DIR)
        # a virtualenv inside the checkout (.venv) holds third-party apps, not the project's
        and "site-packages" not in Path(config.path).resolve().parts
    }
    return (local | set(settings.MIGRATEIQ_EXTENSIONS)) - set(PLATFORM_PACKAGES)


def _package_of(path: Path, root: Path) -> list[str]:
    """The dotted package ``path`` belongs to (``core/tests/test_x.py`` -> ``["core", "tests"]``)."""
    return list(path.relative_to(root).with_suffix("").parts[:-1])


def _under_type_checking(node: ast.AST, parents: dict) -> bool:
    while node in parents:
        node = parents[node]
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            return True
    return False


def imports_of(path: Path, root: Path = BASE_DIR):
    """``(line, imported module, under TYPE_CHECKING)`` for every import statement in ``path``,
    relative imports resolved against the file's package."""
    tree = ast.parse(path.read_text(), filename=str(path))
    parents = {child: parent for parent in ast.walk(tree) for child in ast.iter_child_nodes(parent)}
    package = _package_of(path, root)
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name, _under_type_checking(node, parents)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - (node.level - 1)] if node.level > 1 else package
                target = ".".join([*base, node.module] if node.module else base)
            else:
                target = node.module or ""
            if node.module:
                names = [target]
            else:  # ``from . import x``: x is a module of the package
                names = [f"{target}.{alias.name}" if target else alias.name for alias in node.names]
            for name in names:
                yield node.lineno, name, _under_type_checking(node, parents)


def imports_of_modules(files, modules: set[str], root: Path = BASE_DIR) -> dict[str, list[str]]:
    """``{"path": ["path:line imports x", ...]}`` of the imports of ``modules`` in ``files``."""
    found: dict[str, list[str]] = {}
    for path in files:
        relative = path.relative_to(root).as_posix()
        for line, name, _ in sorted(imports_of(path, root)):
            if name.split(".")[0] in modules:
                found.setdefault(relative, []).append(f"{relative}:{line} imports {name}")
    return found


def platform_files(root: Path = BASE_DIR, packages=PLATFORM_PACKAGES) -> list[Path]:
    return sorted(path for package in packages for path in (root / package).rglob("*.py"))


def test_the_platform_packages_are_the_platform_apps_and_the_project():
    installed = {config.name for config in apps.get_app_configs()}
    for package in PLATFORM_PACKAGES:
        assert (BASE_DIR / package / "__init__.py").is_file(), f"{package} is not a package of this project"
        assert package in installed or package == "migrateiq", f"{package} is not an installed app"
    assert set(settings.MIGRATEIQ_EXTENSIONS) <= module_packages()


def test_the_platform_imports_no_module():
    modules = module_packages()
    found = imports_of_modules(platform_files(), modules)
    unexpected = [line for path, lines in found.items() if path not in KNOWN_EXCEPTIONS for line in lines]
    stale = sorted(set(KNOWN_EXCEPTIONS) - set(found))

    assert not unexpected, (
        "the platform imports a module (declare what the module adds in its ModuleConfig instead, "
        "see core/extensions.py):\n" + "\n".join(unexpected)
    )
    assert not stale, f"KNOWN_EXCEPTIONS lists files that import no module any more, delete them: {stale}"


def module_code_files(module: str, root: Path = BASE_DIR) -> list[Path]:
    """A module's files but its tests (``tests/`` folders, ``test_*.py``, ``conftest.py``)."""
    return sorted(
        path
        for path in (root / module).rglob("*.py")
        if "tests" not in path.relative_to(root).parts[:-1]
        and not path.name.startswith("test_")
        and path.name != "conftest.py"
    )


#: What a module may import of another (docs/extensions.md): a module adding a kind of source creates
#: and deletes its connectors through the connectors module.
MODULE_SURFACE = ("demo_extension.services.connectors",)


def test_a_module_imports_no_other_module_outside_its_tests():
    """Modules are independent (docs/extensions.md): one that imports another stops working when that
    one is left out of ``MIGRATEIQ_EXTENSIONS``; they meet through the platform (hooks, the sources
    registry, the extension points). Their tests may use another module's fixtures."""
    modules = module_packages()
    unexpected = [
        line
        for module in sorted(modules)
        for lines in imports_of_modules(module_code_files(module), modules - {module}).values()
        for line in lines
        if line.split(" imports ")[1] not in MODULE_SURFACE
    ]

    assert not unexpected, "a module imports another module:\n" + "\n".join(unexpected)


def test_the_module_check_reads_a_modules_code_and_leaves_its_tests_alone(project):
    (project / "other").mkdir()
    (project / "other" / "__init__.py").write_text("")
    (project / "mod" / "services.py").write_text("from other.models import Thing\n")
    (project / "mod" / "tests").mkdir()
    (project / "mod" / "tests" / "helpers.py").write_text("from other import fixtures\n")
    (project / "mod" / "test_mod.py").write_text("import other\n")

    files = module_code_files("mod", project)
    found = imports_of_modules(files, {"other"}, project)

    assert [path.name for path in files] == ["__init__.py", "services.py"]
    assert found == {"mod/services.py": ["mod/services.py:1 imports other.models"]}


def test_tenancy_context_imports_no_other_tenancy_module_at_run_time():
    """``tenancy.models`` reads the active tenant from ``tenancy.context``; the other way round would
    be an import circle (the slug lookup lives in ``tenancy.services``)."""
    path = BASE_DIR / "tenancy" / "context.py"
    runtime = [
        f"tenancy/context.py:{line} imports {name}"
        for line, name, typing_only in imports_of(path)
        if name.split(".")[0] == "tenancy" and not typing_only
    ]
    assert not runtime


@pytest.fixture
def project(tmp_path):
    """A small project tree: a platform package ``plat`` and a module ``mod``."""
    for package in ("plat", "plat/tests", "mod"):
        (tmp_path / package).mkdir()
        (tmp_path / package / "__init__.py").write_text("")
    return tmp_path


def test_the_check_finds_every_kind_of_import_with_its_line(project):
    (project / "plat" / "tests" / "test_x.py").write_text(
        "import os\n"
        "import mod.models as m\n"
        "from mod import views\n"
        "\n"
        "def f():\n"
        "    from mod.services.sync import run\n"
        "    import importlib\n"
        "    importlib.import_module('mod.tasks')  # a string: out of scope\n"
        "\n"
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n"
        "    from mod.models import Thing\n"
        "from ... import mod\n"
        "from ...mod import models\n"
        "from ..other import x\n"
    )

    found = imports_of_modules(platform_files(project, ["plat"]), {"mod"}, project)

    lines = found["plat/tests/test_x.py"]
    assert [line.split(" imports ")[0] for line in lines] == [
        "plat/tests/test_x.py:2",
        "plat/tests/test_x.py:3",
        "plat/tests/test_x.py:6",
        "plat/tests/test_x.py:12",
        "plat/tests/test_x.py:13",
        "plat/tests/test_x.py:14",
    ]
    assert "plat/tests/test_x.py:6 imports mod.services.sync" in lines
    assert not any("os" in line.split(" imports ")[1] for line in lines)


def test_the_check_leaves_platform_imports_and_strings_alone(project):
    (project / "plat" / "a.py").write_text(
        "from plat import b\nfrom . import c\nfrom .tests import d\nTASK = 'mod.tasks.run'\n"
        "import importlib\nimportlib.import_module('mod.urls')\n"
    )

    assert imports_of_modules(platform_files(project, ["plat"]), {"mod"}, project) == {}
