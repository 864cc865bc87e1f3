"""Packaging and the security lint pick up a new module without an edit (docs/extensions.md).

The wheel's packages are what setuptools finds with ``[tool.setuptools.packages.find]`` of
``pyproject.toml``; bandit's target is the repository root (``.bandit``).
"""

import configparser
import tomllib
from pathlib import Path

from django.conf import settings
from setuptools import find_packages

BASE_DIR = Path(settings.BASE_DIR).resolve()
PYPROJECT = tomllib.loads((BASE_DIR / "pyproject.toml").read_text())["tool"]["setuptools"]


def packaged(root: Path) -> set[str]:
    find = PYPROJECT["packages"]["find"]
    assert find["namespaces"] is False  # folders without __init__.py (frontend, docs) are no packages
    return set(find_packages(where=str(root), include=find["include"], exclude=find["exclude"]))


def test_every_app_of_the_repository_is_packaged_and_the_deployment_checks_are_not():
    apps = {path.parent.name for path in BASE_DIR.glob("*/apps.py")}
    found = packaged(BASE_DIR)

    assert apps <= found and "migrateiq" in found
    assert {"core.migrations", "demo_extension.services"} <= found
    assert not {name for name in found if name.split(".")[0] in {"deploy", "bench", "frontend"}}


def test_a_new_module_folder_is_packaged_without_an_edit(tmp_path):
    for folder in ("inventory", "inventory/migrations", "deploy"):
        (tmp_path / folder).mkdir()
        (tmp_path / folder / "__init__.py").write_text("")
    (tmp_path / "inventory" / "apps.py").write_text("")
    (tmp_path / "frontend").mkdir()
    (tmp_path / "frontend" / "vite.config.py").write_text("")

    assert packaged(tmp_path) == {"inventory", "inventory.migrations"}


def test_the_startextension_templates_are_package_data():
    templates = BASE_DIR / "core" / "extension_template"
    shipped = {p for pattern in PYPROJECT["package-data"]["core"] for p in (BASE_DIR / "core").glob(pattern)}

    assert {p for p in templates.rglob("*") if p.is_file() and "__pycache__" not in p.parts} <= shipped


def test_the_security_lint_covers_the_whole_repository():
    config = configparser.ConfigParser()
    config.read(BASE_DIR / ".bandit")

    assert config["bandit"]["targets"] == "."
    excluded = config["bandit"]["exclude"].split(",")
    assert "*/tests/*" in excluded and "./frontend" in excluded and "./.venv" in excluded
