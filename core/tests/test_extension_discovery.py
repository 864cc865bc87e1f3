"""A module installed as a distribution is found through its ``migrateiq.extensions`` entry point,
with no setting: listed modules come first, discovery can be turned off, bad entry points are refused.

The distribution is fake but real to ``importlib.metadata``: a ``*.dist-info`` directory with an
``entry_points.txt`` on ``sys.path``, beside the module's package.
"""

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from core import extensions

BASE_DIR = Path(settings.BASE_DIR).resolve()


def fake_distribution(root: Path, entry_points: dict[str, str], name: str = "migrateiq-fake") -> Path:
    """``root`` holding the dist-info of ``name`` that offers ``entry_points`` (name -> package)."""
    dist_info = root / f"{name.replace('-', '_')}-1.0.dist-info"
    dist_info.mkdir(parents=True)
    (dist_info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: 1.0\n")
    lines = "".join(f"{key} = {value}\n" for key, value in entry_points.items())
    (dist_info / "entry_points.txt").write_text(f"[{extensions.ENTRY_POINT_GROUP}]\n{lines}")
    return root


def fake_module(root: Path, package: str, prefix: str) -> None:
    """A minimal module ``package`` with an API under ``/api/<prefix>/``."""
    (root / package).mkdir()
    (root / package / "__init__.py").write_text("")
    (root / package / "apps.py").write_text(
        textwrap.dedent(f"""
        from core import extensions


        class FakeConfig(extensions.ModuleConfig):
            name = "{package}"
            api_prefix = "{prefix}"
        """)
    )
    (root / package / "urls.py").write_text(
        textwrap.dedent("""
        from django.http import JsonResponse
        from django.urls import path

        urlpatterns = [path("ping/", lambda request: JsonResponse({"pong": True}), name="ping")]
        """)
    )


def test_an_entry_point_offers_its_module(tmp_path, monkeypatch):
    monkeypatch.syspath_prepend(
        str(fake_distribution(tmp_path, {"stock": "stockmod", "audit_x": "auditmod"}))
    )

    assert extensions.discovered_extensions() == ["auditmod", "stockmod"]  # by entry-point name


def test_listed_modules_come_first_and_a_module_is_installed_once(tmp_path, monkeypatch):
    monkeypatch.syspath_prepend(
        str(fake_distribution(tmp_path, {"stock": "stockmod", "demo": "demo_extension"}))
    )

    assert extensions.enabled_extensions(["demo_extension", "other"], discover=True) == [
        "demo_extension",
        "other",
        "stockmod",
    ]
    assert extensions.enabled_extensions(["demo_extension"], discover=False) == ["demo_extension"]


@pytest.mark.parametrize("value", ["stockmod.apps:StockConfig", "stock-mod", "stockmod.sub"])
def test_an_entry_point_that_does_not_name_a_package_is_refused(tmp_path, monkeypatch, value):
    monkeypatch.syspath_prepend(str(fake_distribution(tmp_path, {"stock": value})))

    with pytest.raises(ImproperlyConfigured, match="must name a module's top-level package"):
        extensions.discovered_extensions()


def _installed(root: Path, **env) -> dict:
    """What a fresh process with ``root`` on its path installs and serves."""
    script = textwrap.dedent("""
        import json, django
        django.setup()
        from django.conf import settings
        from django.test import Client
        from core.extensions import installed_modules
        response = Client().get("/api/stock/ping/")
        print(json.dumps({
            "extensions": settings.MIGRATEIQ_EXTENSIONS,
            "modules": [m.name for m in installed_modules()],
            "ping": response.status_code,
        }))
    """)
    environment = {k: v for k, v in os.environ.items() if not k.startswith("MIGRATEIQ_EXTENSION")}
    environment.update(
        PYTHONPATH=os.pathsep.join([str(root), str(BASE_DIR)]),
        DJANGO_SETTINGS_MODULE="migrateiq.settings",
        ALLOWED_HOSTS="testserver",
        **env,
    )
    result = subprocess.run(
        [sys.executable, "-c", script],
        cwd=BASE_DIR,
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


@pytest.mark.slow
def test_a_pip_installed_module_is_installed_and_served_without_a_setting(tmp_path):
    fake_module(tmp_path, "stockmod", "stock")
    fake_distribution(tmp_path, {"stock": "stockmod"})

    installed = _installed(tmp_path)

    assert installed == {
        "extensions": ["demo_extension", "audit", "webhooks", "stockmod"],
        "modules": ["demo_extension", "audit", "webhooks", "stockmod"],
        "ping": 200,
    }


@pytest.mark.slow
def test_discovery_can_be_turned_off(tmp_path):
    fake_module(tmp_path, "stockmod", "stock")
    fake_distribution(tmp_path, {"stock": "stockmod"})

    installed = _installed(tmp_path, MIGRATEIQ_EXTENSION_DISCOVERY="0")

    assert installed["extensions"] == ["demo_extension", "audit", "webhooks"] and installed["ping"] == 404


@pytest.mark.slow
def test_a_listed_module_keeps_its_place_when_it_is_also_discovered(tmp_path):
    fake_module(tmp_path, "stockmod", "stock")
    fake_distribution(tmp_path, {"stock": "stockmod"})

    installed = _installed(tmp_path, MIGRATEIQ_EXTENSIONS="stockmod,demo_extension")

    assert installed["extensions"] == ["stockmod", "demo_extension"] and installed["ping"] == 200
