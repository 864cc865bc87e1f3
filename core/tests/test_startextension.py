"""``manage.py startextension``: a generated module works with no edit outside its folder.

The proof runs the platform's route-walk tests (isolation, role matrix, page caps, the published
schema, the layer check) and the new module's own tests in a fresh process, with the module enabled
only through ``MIGRATEIQ_EXTENSIONS`` and found on ``PYTHONPATH`` in a temporary directory.
"""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command

from core.management.commands.startextension import find_ruff

BASE_DIR = Path(settings.BASE_DIR).resolve()

#: The platform's tests that walk every route and model of the installed modules.
PLATFORM_TESTS = [
    "core/tests/test_layers.py",
    "core/tests/test_api_contract.py",
    "tenancy/tests/test_isolation.py",
    "tenancy/tests/test_role_matrix.py",
    "core/tests/test_security_config.py::test_every_list_caps_the_page_size_at_500",
    "core/tests/test_security_config.py::test_every_api_route_is_in_the_published_schema_and_nothing_else",
    "core/tests/test_security_config.py::test_the_openapi_schema_is_served",
]


def module_env(directory: Path, modules: str) -> dict[str, str]:
    """The environment of a fresh process that has ``modules`` enabled, ``directory`` importable."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_", "MIGRATEIQ_EXTENSIONS"))}
    env["PYTHONPATH"] = os.pathsep.join([str(directory), str(BASE_DIR)])
    env["MIGRATEIQ_EXTENSIONS"] = modules
    return env


def run(args: list[str], env: dict[str, str], timeout: float) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, *args], cwd=BASE_DIR, env=env, capture_output=True, text=True, timeout=timeout
    )


@pytest.mark.slow
def test_a_generated_module_passes_the_platform_tests_and_its_own(tmp_path):
    call_command("startextension", "inventory", "--source", directory=str(tmp_path))
    env = module_env(tmp_path, "demo_extension,inventory")

    migrations = run(["manage.py", "makemigrations", "--check", "--dry-run", "inventory"], env, 60)
    assert migrations.returncode == 0, migrations.stdout + migrations.stderr
    tests = run(
        ["-m", "pytest", "-q", "-p", "no:cacheprovider", *PLATFORM_TESTS, str(tmp_path / "inventory")],
        env,
        240,
    )

    assert tests.returncode == 0, tests.stdout[-6000:] + tests.stderr[-3000:]
    summary = tests.stdout.strip().splitlines()[-1]
    assert " passed" in summary and "failed" not in summary and "error" not in summary, summary
    # The platform's tests walked the new module's routes, and its own tests ran.
    collected = run(["-m", "pytest", "--collect-only", "-q", *PLATFORM_TESTS, str(tmp_path)], env, 60)
    assert "api/inventory/items/{pk}/" in collected.stdout
    assert "test_a_sync_reads_the_tenants_inventory_items_and_nothing_else" in collected.stdout


def test_the_module_has_every_layer_and_no_source_unless_asked(tmp_path):
    call_command("startextension", "shelf_stock", directory=str(tmp_path))
    files = {
        p.relative_to(tmp_path / "shelf_stock").as_posix() for p in (tmp_path / "shelf_stock").rglob("*.py")
    }

    assert files == {
        "__init__.py",
        "admin.py",
        "apps.py",
        "migrations/__init__.py",
        "migrations/0001_initial.py",
        "models.py",
        "selectors.py",
        "serializers.py",
        "services.py",
        "tasks.py",
        "urls.py",
        "views.py",
        "tests/__init__.py",
        "tests/conftest.py",
        "tests/platform_fixtures.py",
        "tests/test_api.py",
        "tests/test_tasks.py",
    }
    apps_py = (tmp_path / "shelf_stock" / "apps.py").read_text()
    assert (
        'api_prefix = "shelf-stock"' in apps_py
        and "class ShelfStockConfig(extensions.ModuleConfig)" in apps_py
    )
    assert "def ready" not in apps_py


def test_the_generated_code_passes_the_projects_lint(tmp_path):
    # A project of its own whose ruff settings are the repository's, the module's folder and the
    # platform's packages both first-party: as if it were generated in the repository.
    config = (BASE_DIR / "pyproject.toml").read_text()
    (tmp_path / "pyproject.toml").write_text(
        config.replace("[tool.ruff]\n", f'[tool.ruff]\nsrc = [".", "{BASE_DIR}"]\n')
    )
    call_command("startextension", "inventory", "--source", directory=str(tmp_path))
    ruff = find_ruff()

    lint = subprocess.run([ruff, "check", "inventory"], cwd=tmp_path, capture_output=True, text=True)
    style = subprocess.run(
        [ruff, "format", "--check", "inventory"], cwd=tmp_path, capture_output=True, text=True
    )

    assert lint.returncode == 0, lint.stdout
    assert style.returncode == 0, style.stdout


@pytest.mark.parametrize(
    ("name", "why"),
    [
        ("Inventory", "not a module name"),
        ("2fast", "not a module name"),
        ("class", "not a module name"),
        ("docs", "is the platform's"),
        ("core", "importable package"),
        ("json", "importable package"),
    ],
)
def test_a_name_that_cannot_be_a_module_is_refused(tmp_path, name, why):
    with pytest.raises(CommandError, match=why):
        call_command("startextension", name, directory=str(tmp_path))
    assert not any(tmp_path.iterdir())


def test_an_existing_folder_is_not_overwritten(tmp_path):
    (tmp_path / "inventory").mkdir()
    with pytest.raises(CommandError, match="exists already"):
        call_command("startextension", "inventory", directory=str(tmp_path))
    assert not any((tmp_path / "inventory").iterdir())
