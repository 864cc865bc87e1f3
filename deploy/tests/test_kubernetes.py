"""deploy/k8s: the kustomize base and the production overlay, rendered with `kubectl kustomize` (or,
where no kubectl is installed, with deploy/tests/kustomize.py, checked equal to kubectl's output
wherever both exist) and validated offline against the Kubernetes 1.37 schemas with
`kubernetes-validate --strict`; then the rules of the house (probes, resources, securityContext,
secrets by reference, grace periods, alerts on metrics that exist)."""

import re
import shutil
from pathlib import Path

import pytest
import yaml

from deploy.tests import kustomize
from deploy.tests.tools import PROJECT_ROOT, run, tool

pytestmark = pytest.mark.deploy

K8S = PROJECT_ROOT / "deploy" / "k8s"
SECRET_NAMES = {
    "SECRET_KEY",
    "JWT_SIGNING_KEY",
    "MIGRATEIQ_FIELD_ENCRYPTION_KEYS",
    "DATABASE_URL",
    "REDIS_URL",
    "MIGRATEIQ_METRICS_TOKEN",
}


def kubectl_kustomize(kustomization: Path) -> list[dict]:
    result = run(shutil.which("kubectl"), "kustomize", str(kustomization))
    assert result.returncode == 0, result.stderr
    return [doc for doc in yaml.safe_load_all(result.stdout) if doc]


def render(kustomization: Path) -> list[dict]:
    if shutil.which("kubectl"):
        return kubectl_kustomize(kustomization)
    return kustomize.build(kustomization)


@pytest.mark.parametrize("kustomization", ["base", "overlays/production"])
def test_the_built_in_renderer_gives_what_kubectl_kustomize_gives(kustomization):
    """Where kubectl exists, the fallback renderer must agree with it object for object; where it
    does not, the fallback is what renders (and it refuses fields it does not implement)."""
    ours = {(doc["kind"], doc["metadata"]["name"]): doc for doc in kustomize.build(K8S / kustomization)}
    if shutil.which("kubectl"):
        theirs = {
            (doc["kind"], doc["metadata"]["name"]): doc for doc in kubectl_kustomize(K8S / kustomization)
        }
        assert ours == theirs
    else:
        assert ("Deployment", "migrateiq-web") in ours


def test_the_built_in_renderer_refuses_a_field_it_does_not_implement(tmp_path):
    (tmp_path / "kustomization.yaml").write_text("resources: []\ncommonAnnotations: {a: b}\n")
    with pytest.raises(ValueError, match="commonAnnotations"):
        kustomize.build(tmp_path)


@pytest.fixture(scope="module", params=["base", "overlays/production"])
def rendered(request, tmp_path_factory):
    documents = render(K8S / request.param)
    path = tmp_path_factory.mktemp("k8s") / "rendered.yaml"
    path.write_text(yaml.safe_dump_all(documents))
    return request.param, documents, path


def objects(documents, kind) -> dict[str, dict]:
    return {doc["metadata"]["name"]: doc for doc in documents if doc["kind"] == kind}


def pod_specs(documents):
    for doc in documents:
        if doc["kind"] in ("Deployment", "Job"):
            yield doc["metadata"]["name"], doc["spec"]["template"]["spec"]


def test_the_rendered_manifests_pass_strict_schema_validation(rendered):
    _, _, path = rendered
    result = run(tool("kubernetes-validate"), "--strict", "--kubernetes-version", "1.37.0", str(path))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "failed" not in result.stdout.lower() and "error" not in result.stdout.lower(), result.stdout


def test_every_object_of_a_production_deployment_is_there(rendered):
    _, documents, _ = rendered
    kinds = {(doc["kind"], doc["metadata"]["name"]) for doc in documents}
    for expected in [
        ("Deployment", "migrateiq-web"),
        ("Deployment", "migrateiq-worker"),
        ("Deployment", "migrateiq-beat"),
        ("Job", "migrateiq-migrate"),
        ("Service", "migrateiq-web"),
        ("Ingress", "migrateiq"),
        ("ConfigMap", "migrateiq-config"),
        ("HorizontalPodAutoscaler", "migrateiq-worker"),
        ("PodDisruptionBudget", "migrateiq-web"),
        ("PodDisruptionBudget", "migrateiq-worker"),
        ("NetworkPolicy", "migrateiq"),
        ("ServiceMonitor", "migrateiq"),
        ("PrometheusRule", "migrateiq"),
    ]:
        assert expected in kinds


def test_clients_reach_the_web_pods_only_through_the_buffering_ingress(rendered):
    _, documents, _ = rendered
    service = objects(documents, "Service")["migrateiq-web"]
    assert service["spec"].get("type", "ClusterIP") == "ClusterIP"  # no node port, no load balancer
    annotations = objects(documents, "Ingress")["migrateiq"]["metadata"]["annotations"]
    assert annotations["nginx.ingress.kubernetes.io/proxy-request-buffering"] == "on"
    assert annotations["nginx.ingress.kubernetes.io/proxy-buffering"] == "on"
    assert int(annotations["nginx.ingress.kubernetes.io/proxy-read-timeout"]) > 60
    (policy,) = objects(documents, "NetworkPolicy").values()
    sources = [
        peer["namespaceSelector"]["matchLabels"]
        for rule in policy["spec"]["ingress"]
        for peer in rule["from"]
    ]
    assert sources == [
        {"kubernetes.io/metadata.name": "ingress-nginx"},
        {"kubernetes.io/metadata.name": "monitoring"},
    ]


def test_the_beat_is_a_single_replica_that_is_recreated_never_rolled(rendered):
    _, documents, _ = rendered
    beat = objects(documents, "Deployment")["migrateiq-beat"]
    assert beat["spec"]["replicas"] == 1
    assert beat["spec"]["strategy"] == {"type": "Recreate"}
    hpa = objects(documents, "HorizontalPodAutoscaler")["migrateiq-worker"]
    assert hpa["spec"]["scaleTargetRef"]["name"] == "migrateiq-worker"


def test_no_secret_is_written_in_the_manifests_only_referenced(rendered):
    _, documents, _ = rendered
    assert not objects(documents, "Secret")
    config = objects(documents, "ConfigMap")["migrateiq-config"]["data"]
    assert SECRET_NAMES.isdisjoint(config)
    for name, spec in pod_specs(documents):
        for container in spec["containers"]:
            refs = [source.get("secretRef", {}).get("name") for source in container.get("envFrom", [])]
            assert "migrateiq-secrets" in refs, (name, container["name"])
            for variable in container.get("env", []):
                assert variable["name"] not in SECRET_NAMES or "valueFrom" in variable


def test_web_probes_liveness_on_healthz_and_readiness_on_readyz(rendered):
    _, documents, _ = rendered
    (web,) = objects(documents, "Deployment")["migrateiq-web"]["spec"]["template"]["spec"]["containers"]
    assert web["livenessProbe"]["httpGet"]["path"] == "/healthz"
    assert web["readinessProbe"]["httpGet"]["path"] == "/readyz"
    # The kubelet's probes carry the pod's IP as Host: Django must allow it.
    env = {variable["name"]: variable for variable in web["env"]}
    assert env["POD_IP"]["valueFrom"]["fieldRef"]["fieldPath"] == "status.podIP"
    assert "$(POD_IP)" in env["ALLOWED_HOSTS"]["value"]


def test_every_container_has_resources_and_a_locked_down_security_context(rendered):
    _, documents, _ = rendered
    for name, spec in pod_specs(documents):
        assert spec["securityContext"]["runAsNonRoot"] is True, name
        assert spec["securityContext"]["seccompProfile"]["type"] == "RuntimeDefault", name
        assert spec["automountServiceAccountToken"] is False, name
        volumes = {volume["name"]: volume for volume in spec["volumes"]}
        for container in spec["containers"]:
            where = (name, container["name"])
            resources = container["resources"]
            assert {"cpu", "memory"} <= set(resources["requests"]) and {"cpu", "memory"} <= set(
                resources["limits"]
            ), where
            context = container["securityContext"]
            assert context["readOnlyRootFilesystem"] is True, where
            assert context["allowPrivilegeEscalation"] is False, where
            assert context["capabilities"]["drop"] == ["ALL"], where
            # A read-only root: the places the processes write are emptyDir volumes.
            mounts = {mount["mountPath"]: mount["name"] for mount in container["volumeMounts"]}
            assert "emptyDir" in volumes[mounts["/tmp"]], where
            assert "emptyDir" in volumes[mounts["/run/migrateiq/metrics"]], where


def test_grace_periods_cover_the_processes_shutdown_times(rendered):
    _, documents, _ = rendered
    deployments = objects(documents, "Deployment")
    config = objects(documents, "ConfigMap")["migrateiq-config"]["data"]
    soft_shutdown = float(config["CELERY_WORKER_SOFT_SHUTDOWN_TIMEOUT"])
    worker_pod = deployments["migrateiq-worker"]["spec"]["template"]["spec"]
    worker_grace = worker_pod["terminationGracePeriodSeconds"]
    # Warm shutdown (up to 10 s idle) + the soft shutdown of a running sync, with room to spare.
    assert worker_grace >= soft_shutdown + 10
    web_grace = deployments["migrateiq-web"]["spec"]["template"]["spec"]["terminationGracePeriodSeconds"]
    assert web_grace > float(config["GUNICORN_GRACEFUL_TIMEOUT"])
    assert deployments["migrateiq-beat"]["spec"]["template"]["spec"]["terminationGracePeriodSeconds"] >= 10


def test_prometheus_scrapes_web_and_worker_pods_with_the_token_from_the_secret(rendered):
    _, documents, _ = rendered
    monitor = objects(documents, "ServiceMonitor")["migrateiq"]
    ports = {endpoint["port"] for endpoint in monitor["spec"]["endpoints"]}
    assert ports == {"http", "metrics"}
    for endpoint in monitor["spec"]["endpoints"]:
        assert endpoint["path"] == "/metrics"
        assert endpoint["authorization"]["credentials"] == {
            "name": "migrateiq-secrets",
            "key": "MIGRATEIQ_METRICS_TOKEN",
        }
    services = objects(documents, "Service")
    assert {port["name"] for port in services["migrateiq-web"]["spec"]["ports"]} == {"http"}
    assert {port["name"] for port in services["migrateiq-worker-metrics"]["spec"]["ports"]} == {"metrics"}


def test_the_production_overlay_sets_its_image_namespace_and_sizes():
    documents = render(K8S / "overlays/production")
    for name, spec in pod_specs(documents):
        for container in spec["containers"]:
            assert container["image"] == "ghcr.io/migrateiq/migrateiq:0.1.0", name
    namespaces = {doc["metadata"].get("namespace") for doc in documents if doc["kind"] != "Namespace"}
    assert namespaces == {"migrateiq"}
    assert objects(documents, "Deployment")["migrateiq-web"]["spec"]["replicas"] == 3
    assert objects(documents, "HorizontalPodAutoscaler")["migrateiq-worker"]["spec"]["maxReplicas"] == 20


# --- Alerts ----------------------------------------------------------------------------------


def exported_metric_names() -> set[str]:
    """Every series name MigrateIQ exposes, from core.metrics itself and the scrape-time collectors
    the installed modules register there (not from a list in a test)."""
    import inspect

    from prometheus_client.metrics import MetricWrapperBase

    from core import metrics

    names = set()
    for value in vars(metrics).values():
        if isinstance(value, MetricWrapperBase):
            base = value._name
            suffixes = {"counter": ["_total"], "histogram": ["_bucket", "_count", "_sum"]}
            names.update(base + suffix for suffix in suffixes.get(value._type, [""]))
    sources = {metrics.__file__} | {
        inspect.getsourcefile(type(collector)) for collector in metrics.registered_collectors().values()
    }
    for source in sources:
        names.update(re.findall(r'GaugeMetricFamily\(\s*"(migrateiq_\w+)"', Path(source).read_text()))
    return names


def test_the_alerts_cover_sync_failures_stale_runs_queue_depth_and_5xx():
    groups = yaml.safe_load((K8S / "base/alerts.rules.yaml").read_text())["groups"]
    expressions = {rule["alert"]: rule["expr"] for group in groups for rule in group["rules"]}
    assert 'migrateiq_syncs_total{status="failed"}' in expressions["MigrateIQSyncFailureRateHigh"]
    assert "migrateiq_syncs_pending" in expressions["MigrateIQSyncsStuckPending"]
    assert "migrateiq_syncs_running" in expressions["MigrateIQRunningSyncsStale"]
    assert "migrateiq_celery_queue_messages" in expressions["MigrateIQQueueBacklog"]
    assert 'status=~"5.."' in expressions["MigrateIQHTTP5xxRateHigh"]
    assert "migrateiq_background_last_tick_timestamp_seconds" in expressions["MigrateIQBackgroundStopped"]


def test_every_metric_an_alert_uses_is_one_migrateiq_exports():
    exported = exported_metric_names()
    assert "migrateiq_celery_queue_messages" in exported and "migrateiq_syncs_total" in exported
    groups = yaml.safe_load((K8S / "base/alerts.rules.yaml").read_text())["groups"]
    for group in groups:
        for rule in group["rules"]:
            used = set(re.findall(r"\bmigrateiq_\w+", rule["expr"]))
            assert used <= exported, (rule["alert"], used - exported)


def test_the_prometheus_rule_carries_exactly_the_rules_file():
    rules = yaml.safe_load((K8S / "base/alerts.rules.yaml").read_text())
    rule_object = yaml.safe_load((K8S / "base/prometheusrule.yaml").read_text())
    assert rule_object["spec"] == rules
