"""scripts/run.sh (``make run``) before it starts anything: the environment it gives the processes it
starts. A copy of the script runs in a scratch project whose ``.venv/bin/python`` records that
environment and answers that the port is taken, so the script stops right after its port check."""

import shutil
import subprocess
from pathlib import Path

import pytest

from deploy.tests.tools import PROJECT_ROOT

pytestmark = pytest.mark.deploy


def allowlist_run_sh_exports(tmp_path: Path, **env: str) -> str:
    (tmp_path / "scripts").mkdir()
    shutil.copy(PROJECT_ROOT / "scripts" / "run.sh", tmp_path / "scripts" / "run.sh")
    python = tmp_path / ".venv" / "bin" / "python"
    python.parent.mkdir(parents=True)
    recorded = tmp_path / "allowlist.txt"
    # Exit 0 for the port check: "the port is in use", so run.sh stops there.
    python.write_text(f'#!/bin/sh\nprintf %s "$MIGRATEIQ_EGRESS_ALLOWLIST" > "{recorded}"\nexit 0\n')
    python.chmod(0o755)
    result = subprocess.run(
        ["bash", str(tmp_path / "scripts" / "run.sh")],
        env={"PATH": "/usr/bin:/bin", **env},
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 1 and "is in use" in result.stderr, result.stderr
    return recorded.read_text()


def test_make_run_allows_the_demo_api_port_by_default(tmp_path):
    assert allowlist_run_sh_exports(tmp_path, DEMO_API_PORT="8101") == "127.0.0.1:8101"


def test_an_allowlist_given_to_make_run_adds_to_the_demo_api_port_rather_than_replacing_it(tmp_path):
    allowlist = allowlist_run_sh_exports(
        tmp_path, DEMO_API_PORT="8101", MIGRATEIQ_EGRESS_ALLOWLIST="127.0.0.1:9000,10.0.0.5"
    )
    assert allowlist == "127.0.0.1:8101,127.0.0.1:9000,10.0.0.5"
