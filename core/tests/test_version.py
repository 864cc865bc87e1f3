"""One version number: pyproject.toml's, reported by `manage.py version`, `/api/version/` and the schema."""

import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from django.test import Client

from migrateiq.version import __version__

PROJECT_ROOT = Path(__file__).resolve().parents[2]


def pyproject_version() -> str:
    return tomllib.loads((PROJECT_ROOT / "pyproject.toml").read_text())["project"]["version"]


def test_the_version_is_the_one_in_pyproject():
    assert __version__ == pyproject_version()


@pytest.mark.slow
def test_manage_py_version_prints_the_migrateiq_version_not_djangos(tmp_path):
    result = subprocess.run(
        [sys.executable, "manage.py", "version"],
        cwd=PROJECT_ROOT,
        env={"PATH": "/usr/bin:/bin", "MIGRATEIQ_VAR_DIR": str(tmp_path), "DEBUG": "1"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == pyproject_version()


def test_api_version_answers_anonymously_with_the_version(db):
    response = Client().get("/api/version/")
    assert response.status_code == 200
    assert response.json() == {"version": pyproject_version()}


def test_the_newest_changelog_entry_is_the_current_version():
    headings = re.findall(r"^## \[([^\]]+)\]", (PROJECT_ROOT / "CHANGELOG.md").read_text(), re.MULTILINE)
    # Keep a Changelog: changes not released yet are collected under "Unreleased" above the newest version.
    headings = [heading for heading in headings if heading != "Unreleased"]
    assert headings, "CHANGELOG.md has no '## [version]' heading"
    assert headings[0] == pyproject_version()


def test_the_openapi_schema_carries_the_version_and_the_version_route(db):
    schema = Client().get("/api/schema/?format=json").json()
    assert schema["info"]["version"] == pyproject_version()
    assert "/api/version/" in schema["paths"]
