"""gunicorn.conf.py: settings read from the environment (loaded as gunicorn loads it)."""

import runpy
from pathlib import Path

CONFIG = Path(__file__).resolve().parents[2] / "gunicorn.conf.py"


def test_no_control_socket_is_created_in_the_home_directory_unless_asked(monkeypatch, tmp_path):
    monkeypatch.delenv("GUNICORN_CONTROL_SOCKET", raising=False)
    assert runpy.run_path(str(CONFIG))["control_socket_disable"] is True

    monkeypatch.setenv("GUNICORN_CONTROL_SOCKET", str(tmp_path / "gunicorn.ctl"))
    settings = runpy.run_path(str(CONFIG))

    assert settings["control_socket_disable"] is False
    assert settings["control_socket"] == str(tmp_path / "gunicorn.ctl")
