"""MigrateIQ's version: one source, the ``version`` of ``pyproject.toml``.

Installed (``pip install .`` in the image, ``pip install -e .`` in a checkout) the package metadata
carries it. A checkout that was never installed reads ``pyproject.toml`` itself, so the number is
never a second copy that could drift. ``CHANGELOG.md``'s newest heading names the same version (a
test checks it); ``python manage.py version`` and ``GET /api/version/`` report it.
"""

import tomllib
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

_PYPROJECT = Path(__file__).resolve().parent.parent / "pyproject.toml"


def _read_version() -> str:
    # A checkout's pyproject.toml wins over installed metadata, which an editable install only
    # refreshes on the next `pip install -e .`.
    if _PYPROJECT.is_file():
        with _PYPROJECT.open("rb") as handle:
            return str(tomllib.load(handle)["project"]["version"])
    try:
        return version("migrateiq")
    except PackageNotFoundError:  # pragma: no cover - neither installed nor a checkout
        return "0+unknown"


__version__ = _read_version()
