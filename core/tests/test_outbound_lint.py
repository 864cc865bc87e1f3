"""Outbound HTTP goes through core.http only: a module that imports httpx (or requests) fails lint."""

import shutil
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
RUFF = shutil.which("ruff") or str(Path(sys.executable).with_name("ruff"))


def _lint(path: Path) -> str:
    result = subprocess.run(  # noqa: S603 - our own linter on our own file
        [RUFF, "check", "--select", "TID251", "--no-cache", "--output-format", "concise", str(path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    return result.stdout


@pytest.mark.parametrize("statement", ["import httpx", "from httpx import Client", "import requests"])
def test_a_module_calling_an_http_library_directly_fails_lint(statement):
    # A unique name: two test workers may run this at once (tmp_path names repeat across workers).
    probe = ROOT / "demo_extension" / "services" / f"_lint_probe_{uuid.uuid4().hex}.py"
    probe.write_text(f"{statement}\n")
    try:
        assert "TID251" in _lint(probe)
    finally:
        probe.unlink()


def test_the_outbound_client_itself_may_use_httpx():
    assert "TID251" not in _lint(ROOT / "core" / "http.py")
