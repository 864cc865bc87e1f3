"""A strict Content-Security-Policy on the pages (no inline script) and private files for the
embedded default: ``var/`` 0700, the SQLite database 0600 (findings 13 and 14)."""

import os
import stat
import subprocess
import sys

import pytest
from django.conf import settings

from core.csp import DOCS_POLICY

BASE_DIR = settings.BASE_DIR


def directives(policy: str) -> dict[str, list[str]]:
    parsed = {}
    for part in policy.split(";"):
        name, *values = part.split()
        parsed[name] = values
    return parsed


@pytest.mark.parametrize("path", ["/", "/connectors/3", "/admin/login/", "/api/auth/me/", "/healthz"])
def test_pages_and_answers_forbid_inline_and_foreign_scripts(client, db, path):
    policy = directives(client.get(path)["Content-Security-Policy"])

    assert policy["script-src"] == ["'self'"]
    assert policy["object-src"] == ["'none'"]
    assert policy["frame-ancestors"] == ["'none'"]
    assert policy["base-uri"] == ["'none'"]
    assert "'unsafe-inline'" not in policy.get("style-src", [])


@pytest.mark.parametrize("path", ["/api/docs/", "/api/redoc/"])
def test_the_docs_pages_have_no_inline_script_under_their_policy(client, db, path):
    response = client.get(path)

    assert response.status_code == 200
    assert response["Content-Security-Policy"] == DOCS_POLICY
    assert directives(DOCS_POLICY)["script-src"] == ["'self'"]
    html = response.content.decode()
    assert "<script>" not in html and "<script >" not in html
    assert "https://" not in html  # nothing from other origins (fonts, CDNs)


def test_the_swagger_initialisation_script_is_served_as_a_file(client, db):
    page = client.get("/api/docs/").content.decode()

    assert 'src="/api/docs/?script="' in page
    script = client.get("/api/docs/?script=")
    assert script.status_code == 200
    assert script["Content-Type"].startswith("application/javascript")
    assert "SwaggerUIBundle" in script.content.decode()


def _modes_after_start(var_dir, umask: int = 0o022) -> tuple[int, int]:
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(var_dir.parent),
        "PYTHONDONTWRITEBYTECODE": "1",
        "MIGRATEIQ_VAR_DIR": str(var_dir),
    }
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            f"import os; os.umask({umask}); os.execv({sys.executable!r}, "
            f"[{sys.executable!r}, 'manage.py', 'migrate', '-v0'])",
        ],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    database = var_dir / "migrateiq.sqlite3"
    return stat.S_IMODE(var_dir.stat().st_mode), stat.S_IMODE(database.stat().st_mode)


@pytest.mark.slow
def test_the_embedded_default_creates_a_private_var_dir_and_database(tmp_path):
    var_dir = tmp_path / "var"

    assert _modes_after_start(var_dir) == (0o700, 0o600)
    assert stat.S_IMODE((var_dir / "secrets").stat().st_mode) == 0o700
    for sidecar in ("migrateiq.sqlite3-wal", "migrateiq.sqlite3-shm"):
        if (var_dir / sidecar).exists():
            assert stat.S_IMODE((var_dir / sidecar).stat().st_mode) & 0o077 == 0


@pytest.mark.slow
def test_an_existing_world_readable_install_is_tightened(tmp_path):
    var_dir = tmp_path / "var"
    var_dir.mkdir(mode=0o755)
    var_dir.chmod(0o755)
    database = var_dir / "migrateiq.sqlite3"
    database.touch()
    database.chmod(0o644)

    assert _modes_after_start(var_dir) == (0o700, 0o600)
