"""The GitHub Actions workflow and Dependabot configuration, validated offline against their JSON
schemas (check-jsonschema ships them), plus the rules: pinned actions, every job the project needs."""

import re

import pytest
import yaml

from deploy.tests.tools import PROJECT_ROOT, run, tool

pytestmark = pytest.mark.deploy

WORKFLOW = PROJECT_ROOT / ".github/workflows/ci.yml"
DEPENDABOT = PROJECT_ROOT / ".github/dependabot.yml"
PINNED = re.compile(r"^[\w.-]+/[\w.-]+(/[\w./-]+)?@(v\d+\.\d+\.\d+|[0-9a-f]{40})$")


def test_the_workflow_matches_the_github_workflow_schema():
    result = run(tool("check-jsonschema"), "--builtin-schema", "vendor.github-workflows", str(WORKFLOW))
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_dependabot_configuration_matches_its_schema_and_covers_pip_npm_and_actions():
    result = run(tool("check-jsonschema"), "--builtin-schema", "vendor.dependabot", str(DEPENDABOT))
    assert result.returncode == 0, result.stdout + result.stderr
    updates = yaml.safe_load(DEPENDABOT.read_text())["updates"]
    ecosystems = {(update["package-ecosystem"], update["directory"]) for update in updates}
    assert {("pip", "/"), ("npm", "/frontend"), ("github-actions", "/")} <= ecosystems


def test_every_action_is_pinned_to_an_exact_version_or_commit():
    uses = re.findall(r"uses:\s*(\S+)", WORKFLOW.read_text())
    assert uses
    for action in uses:
        assert PINNED.match(action), f"{action} is not pinned to an exact tag (vX.Y.Z) or a full commit SHA"


def test_the_workflow_lints_tests_both_databases_the_ui_the_deployment_and_builds_the_image():
    jobs = yaml.safe_load(WORKFLOW.read_text())["jobs"]
    steps = {name: "\n".join(str(step.get("run", "")) for step in job["steps"]) for name, job in jobs.items()}
    for command in ("ruff check", "ruff format --check", "mypy", "bandit"):
        assert command in steps["lint"], command
    assert "makemigrations --check" in steps["lint"]
    assert "pytest" in steps["test-sqlite"] and "redis" in jobs["test-sqlite"]["services"]
    assert {"postgres", "redis"} <= set(jobs["test-postgres"]["services"])
    assert "DATABASE_URL" in steps["test-postgres"]
    assert "npm run typecheck" in steps["ui"] and "npm test" in steps["ui"] and "npm run e2e" in steps["ui"]
    assert "deploy/tests/test_kubernetes.py" in steps["deploy-checks"]
    assert any("docker/build-push-action" in str(step.get("uses", "")) for step in jobs["image"]["steps"])
    for name, job in jobs.items():
        assert job.get("timeout-minutes", 0) <= 30, name
