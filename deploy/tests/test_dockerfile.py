"""The Dockerfile, checked offline: hadolint (its PyPI wheel ships the binary) and the rules of the
image (multi-stage, UI built with Node, Python 3.11 slim runtime, non-root, no build tools or
caches, collectstatic at build time, HEALTHCHECK on /healthz, no secrets), and .dockerignore."""

import re

import pytest

from deploy.tests.tools import PROJECT_ROOT, run, tool

pytestmark = pytest.mark.deploy

DOCKERFILE = PROJECT_ROOT / "Dockerfile"


def instructions(text: str) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) with continuation lines joined and comments dropped."""
    joined = re.sub(r"\\\n", " ", text)
    result = []
    for line in joined.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            keyword, _, rest = line.partition(" ")
            result.append((keyword.upper(), rest.strip()))
    return result


def stages() -> list[list[tuple[str, str]]]:
    found: list[list[tuple[str, str]]] = []
    for keyword, rest in instructions(DOCKERFILE.read_text()):
        if keyword == "FROM":
            found.append([])
        if found:
            found[-1].append((keyword, rest))
    return found


def test_hadolint_finds_nothing_in_the_dockerfile():
    result = run(tool("hadolint"), "--failure-threshold", "info", str(DOCKERFILE))
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_image_is_built_in_stages_the_ui_with_node_and_runs_on_python_311_slim():
    all_stages = stages()
    assert len(all_stages) >= 2
    bases = [stage[0][1] for stage in all_stages]
    assert any(base.startswith("node:20") for base in bases)
    assert bases[-1].startswith("python:3.11-slim")
    runtime = all_stages[-1]
    copies = [rest for keyword, rest in runtime if keyword == "COPY"]
    assert any("--from=ui" in rest and "frontend/dist" in rest for rest in copies)


def test_the_runtime_stage_runs_as_a_non_root_user_without_build_tools_or_caches():
    runtime = stages()[-1]
    users = [rest for keyword, rest in runtime if keyword == "USER"]
    assert users and users[-1].split(":")[0] not in ("root", "0")
    runs = " ".join(rest for keyword, rest in runtime if keyword == "RUN")
    for forbidden in ("apt-get install", "gcc", "build-essential", "npm ", "pip install"):
        assert forbidden not in runs, forbidden
    assert "collectstatic" in runs
    text = DOCKERFILE.read_text()
    assert "--no-cache-dir" in text and "PIP_NO_CACHE_DIR=1" in text


def test_the_image_checks_its_health_on_healthz_and_starts_through_the_entrypoint():
    runtime = dict(stages()[-1])
    assert "/app/docker/healthcheck.py" in runtime["HEALTHCHECK"]
    assert '"/healthz"' in (PROJECT_ROOT / "docker/healthcheck.py").read_text()
    assert runtime["ENTRYPOINT"] == '["/app/docker/entrypoint.sh"]'
    assert runtime["CMD"] == '["web"]'


def test_the_dockerfile_holds_no_secret():
    for keyword, rest in instructions(DOCKERFILE.read_text()):
        if keyword in ("ENV", "ARG", "LABEL"):
            assert not re.search(r"(SECRET|PASSWORD|TOKEN|_KEY)\w*=", rest, re.IGNORECASE), rest


def test_the_build_context_leaves_out_secrets_checkouts_and_dependencies():
    ignored = set((PROJECT_ROOT / ".dockerignore").read_text().split())
    assert {".git", ".venv", ".env", "frontend/node_modules", "var"} <= ignored


def test_the_runtime_stage_copies_every_package_and_file_the_processes_need():
    runtime = stages()[-1]
    sources = set()
    for keyword, rest in runtime:
        if keyword == "COPY" and "--from=" not in rest:
            *paths, _destination = rest.split()
            sources.update(path.rstrip("/") for path in paths)
    for path in sources:
        assert (PROJECT_ROOT / path).exists(), f"COPY {path}: no such file in the checkout"
    # Every top-level package the wheel ships (pyproject: include = ["*"], minus its excludes).
    pyproject = (PROJECT_ROOT / "pyproject.toml").read_text()
    excluded = set(re.findall(r'"(\w+)"', re.search(r"exclude = \[([^\]]*)\]", pyproject).group(1)))
    packages = {
        path.parent.name
        for path in PROJECT_ROOT.glob("*/__init__.py")
        if path.parent.name not in excluded and not path.parent.name.startswith(".")
    }
    assert {"core", "sync_engine", "demo_extension", "audit", "webhooks"} <= packages
    for package in sorted(packages):
        assert package in sources, f"the image lacks the package {package}"
    for needed in ("manage.py", "gunicorn.conf.py", "pyproject.toml", "templates", "docker"):
        assert needed in sources, needed
    ignored = set((PROJECT_ROOT / ".dockerignore").read_text().split())
    assert not sources & ignored, "a COPY source is excluded by .dockerignore"
