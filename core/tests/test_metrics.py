"""The /metrics endpoint: token protection, HTTP / sync / upstream metrics, labels, multiprocess mode."""

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.test import Client
from django.urls import resolve
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.parser import text_string_to_metric_families

from core import metrics

TOKEN = "metrics-token-for-tests-9f2c"
PROJECT_ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def metrics_token(settings):
    settings.MIGRATEIQ_METRICS_TOKEN = TOKEN
    return TOKEN


@pytest.fixture
def scrape(metrics_token):
    """GET /metrics with the right token; returns the body as text."""

    def _scrape() -> str:
        response = Client().get("/metrics", HTTP_AUTHORIZATION=f"Bearer {metrics_token}")
        assert response.status_code == 200
        return response.content.decode()

    return _scrape


def sample(text: str, name: str, **labels) -> float:
    """The value of sample ``name`` with exactly ``labels`` in a scrape; 0.0 when absent."""
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            if s.name == name and s.labels == labels:
                return s.value
    return 0.0


def test_metrics_are_not_served_when_no_token_is_configured_and_the_404_says_how_to_turn_them_on(
    settings, db
):
    # finding 11: under make run /metrics was the web UI's HTML 404, and a first-time user concluded
    # there were no metrics
    settings.MIGRATEIQ_METRICS_TOKEN = ""
    for headers in ({}, {"HTTP_AUTHORIZATION": "Bearer anything"}):
        response = Client().get("/metrics", **headers)

        assert response.status_code == 404
        assert response["Content-Type"] == "text/plain; charset=utf-8"
        assert response.content.decode() == (
            "Metrics are disabled: set MIGRATEIQ_METRICS_TOKEN to serve them here, "
            "to requests with 'Authorization: Bearer <that token>'.\n"
        )


@pytest.mark.parametrize(
    "authorization",
    [None, "Bearer wrong-token", f"Basic {TOKEN}", f"Bearer {TOKEN}x", "Bearer", f"bearer{TOKEN}"],
)
def test_metrics_refuse_a_missing_or_wrong_token(metrics_token, db, authorization):
    headers = {"HTTP_AUTHORIZATION": authorization} if authorization is not None else {}
    response = Client().get("/metrics", **headers)
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert b"migrateiq_" not in response.content


def test_metrics_answer_in_the_prometheus_text_format_with_the_right_token(scrape, db):
    response = Client().get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain; version=")
    names = {family.name for family in text_string_to_metric_families(response.content.decode())}
    assert {
        "migrateiq_http_requests",
        "migrateiq_http_request_duration_seconds",
        "migrateiq_syncs",
        "migrateiq_sync_duration_seconds",
        "migrateiq_records_synced",
        "migrateiq_sync_records_failed",
        "migrateiq_upstream_requests",
        "migrateiq_upstream_request_duration_seconds",
    } <= names


def test_metrics_refuse_writes(metrics_token, db):
    response = Client().post("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
    assert response.status_code == 405


def test_http_requests_are_counted_by_method_route_template_and_status(scrape, db):
    before = scrape()
    Client().get("/healthz")
    Client().get("/healthz")
    after = scrape()
    labels = {"method": "GET", "route": "/healthz", "status": "200"}
    assert sample(after, "migrateiq_http_requests_total", **labels) - sample(
        before, "migrateiq_http_requests_total", **labels
    ) == pytest.approx(2)
    duration = {"method": "GET", "route": "/healthz"}
    assert sample(after, "migrateiq_http_request_duration_seconds_count", **duration) - sample(
        before, "migrateiq_http_request_duration_seconds_count", **duration
    ) == pytest.approx(2)


def test_http_metrics_use_the_route_template_never_the_path_tenant_or_user(scrape, admin_client, admin_user):
    response = admin_client.get(f"/api/tenancy/members/{admin_user.pk}/")
    assert response.status_code in (200, 404)
    # Outside /api/ every address is the web UI's (its own 404 page): an unmatched route is an API one.
    Client().get("/api/no/such/page/acme-secret-path")
    Client().get("/no/such/page/acme-secret-path")
    text = scrape()
    assert (
        sample(
            text,
            "migrateiq_http_requests_total",
            method="GET",
            route="/api/tenancy/members/<pk>/",
            status=str(response.status_code),
        )
        >= 1
    )
    assert sample(text, "migrateiq_http_requests_total", method="GET", route="<unmatched>", status="404") >= 1
    assert "acme" not in text
    assert admin_user.email not in text
    assert f"members/{admin_user.pk}/" not in text


def test_unusual_http_methods_share_one_label(scrape, db):
    before = scrape()
    Client().generic("PROPFIND", "/healthz")
    after = scrape()
    labels = {"method": "other", "route": "/healthz", "status": "405"}
    assert sample(after, "migrateiq_http_requests_total", **labels) - sample(
        before, "migrateiq_http_requests_total", **labels
    ) == pytest.approx(1)


def test_route_template_rewrites_router_patterns_to_path_style():
    assert metrics.route_template(resolve("/api/tenancy/members/12/")) == "/api/tenancy/members/<pk>/"
    assert metrics.route_template(resolve("/healthz")) == "/healthz"
    assert metrics.route_template(None) == "<unmatched>"


def test_finished_syncs_are_counted_by_status_with_duration_and_records(scrape, db):
    before = scrape()
    metrics.observe_sync_finished("SUCCESS", 12.5, records=40, failed=0)
    metrics.observe_sync_finished("PARTIAL", 3.0, records=10, failed=2)
    metrics.observe_sync_finished("FAILED", None, records=0, failed=0)
    after = scrape()

    def delta(name, **labels):
        return sample(after, name, **labels) - sample(before, name, **labels)

    assert delta("migrateiq_syncs_total", status="success") == pytest.approx(1)
    assert delta("migrateiq_syncs_total", status="partial") == pytest.approx(1)
    assert delta("migrateiq_syncs_total", status="failed") == pytest.approx(1)
    assert delta("migrateiq_sync_duration_seconds_count") == pytest.approx(2)
    assert delta("migrateiq_sync_duration_seconds_sum") == pytest.approx(15.5)
    assert delta("migrateiq_sync_duration_seconds_bucket", le="5.0") == pytest.approx(1)
    assert delta("migrateiq_records_synced_total") == pytest.approx(50)
    assert delta("migrateiq_sync_records_failed_total") == pytest.approx(2)


def test_an_unknown_sync_status_does_not_create_a_new_label_value(scrape, db):
    before = scrape()
    metrics.observe_sync_finished("https://api.example.com/?api_key=x", 1.0, records=1, failed=0)
    after = scrape()
    assert sample(after, "migrateiq_syncs_total", status="other") - sample(
        before, "migrateiq_syncs_total", status="other"
    ) == pytest.approx(1)
    assert "api.example.com" not in after


def test_upstream_requests_are_counted_by_status_code(scrape, db):
    before = scrape()
    metrics.observe_upstream_request(200, 0.2)
    metrics.observe_upstream_request(429, 0.01)
    metrics.observe_upstream_request(None, 5.0)
    after = scrape()

    def delta(name, **labels):
        return sample(after, name, **labels) - sample(before, name, **labels)

    assert delta("migrateiq_upstream_requests_total", code="200") == pytest.approx(1)
    assert delta("migrateiq_upstream_requests_total", code="429") == pytest.approx(1)
    assert delta("migrateiq_upstream_requests_total", code="error") == pytest.approx(1)
    assert delta("migrateiq_upstream_request_duration_seconds_count") == pytest.approx(3)
    assert delta("migrateiq_upstream_request_duration_seconds_sum") == pytest.approx(5.21)


def test_the_http_client_hook_points_at_the_upstream_metrics():
    from core import http

    assert http.request_observer is metrics.observe_upstream_request


class _RowsCollector:
    """A module's scrape-time gauge, as a module would register it."""

    def __init__(self):
        self.scrapes = 0

    def collect(self):
        self.scrapes += 1
        yield GaugeMetricFamily("migrateiq_test_module_rows", "Rows of a test module.", value=7)

    def describe(self):
        return []


@pytest.fixture
def module_collector():
    with metrics.collector_registered("tests.rows", _RowsCollector()) as collector:
        yield collector


def test_a_registered_collector_is_read_at_every_scrape(scrape, db, module_collector):
    assert sample(scrape(), "migrateiq_test_module_rows") == 7
    assert sample(scrape(), "migrateiq_test_module_rows") == 7
    assert module_collector.scrapes == 2


def test_the_test_helper_replaces_a_registered_collector_for_a_while_and_restores_it(scrape, db):
    first, second = _RowsCollector(), _RowsCollector()
    with metrics.collector_registered("tests.rows", first):
        with metrics.collector_registered("tests.rows", second):
            scrape()
            assert (first.scrapes, second.scrapes) == (0, 1)
        scrape()
        assert (first.scrapes, second.scrapes) == (1, 1)
    assert "tests.rows" not in metrics.registered_collectors()
    assert "migrateiq_test_module_rows" not in scrape()


def test_a_module_cannot_register_a_collector_under_a_name_taken_by_another(scrape, db):
    """Registering again replaced the collector: a module could take the platform's running and
    pending runs out of every scrape."""
    platform = metrics.registered_collectors()["sync_engine.sync_runs"]

    with pytest.raises(ImproperlyConfigured, match="'sync_engine.sync_runs' is registered already"):
        metrics.register_collector("sync_engine.sync_runs", _RowsCollector())

    assert metrics.registered_collectors()["sync_engine.sync_runs"] is platform
    assert "migrateiq_syncs_running" in scrape()


class _FailingCollector:
    def collect(self):
        raise RuntimeError("the module's table is gone")

    def describe(self):
        return []


def test_a_failing_module_collector_leaves_out_its_figures_not_the_whole_scrape(scrape, db, caplog):
    """One module's collector that raised made /metrics a 500: every figure, the background-stopped
    alert's included, was gone for as long as it kept failing."""
    metrics.observe_sync_finished("SUCCESS", 1.0, records=3, failed=0)
    with metrics.collector_registered("tests.broken", _FailingCollector()):
        text = scrape()

    assert sample(text, "migrateiq_syncs_total", status="success") >= 1
    assert "migrateiq_syncs_running" in text
    assert "'tests.broken' failed" in caplog.text


class _ImpostorCollector:
    """A module's gauge under the name of the platform's."""

    def collect(self):
        yield GaugeMetricFamily("migrateiq_syncs_running", "Not the platform's.", value=999)
        yield GaugeMetricFamily("migrateiq_test_module_rows", "Rows of a test module.", value=7)

    def describe(self):
        return []


def test_a_module_family_named_like_a_platform_metric_is_left_out(scrape, db, caplog):
    """Both went out: two HELP and TYPE lines of one name (the text format allows one) and two values
    of one series, the module's beside the platform's count."""
    with metrics.collector_registered("tests.impostor", _ImpostorCollector()):
        text = scrape()

    assert text.count("# TYPE migrateiq_syncs_running ") == 1
    assert [
        s.value
        for f in text_string_to_metric_families(text)
        for s in f.samples
        if s.name == "migrateiq_syncs_running"
    ] == [0]
    assert sample(text, "migrateiq_test_module_rows") == 7
    assert "gives 'migrateiq_syncs_running', a name taken already" in caplog.text


_CHILD = textwrap.dedent(
    """
    from core import metrics
    metrics.observe_sync_finished("SUCCESS", 2.0, records=5, failed=1)
    metrics.observe_upstream_request(200, 0.1)
    metrics.observe_http_request("GET", "/healthz", 200, 0.01)
    """
)


def test_multiprocess_mode_adds_up_the_values_of_every_worker_process(
    scrape, db, tmp_path, monkeypatch, module_collector
):
    """Two processes (think: two gunicorn workers, or a Celery worker) write to one directory."""
    env = {"PROMETHEUS_MULTIPROC_DIR": str(tmp_path), "PATH": "/usr/bin:/bin"}
    for _ in range(2):
        subprocess.run([sys.executable, "-c", _CHILD], cwd=PROJECT_ROOT, env=env, check=True, timeout=60)
    assert len(list(tmp_path.glob("*.db"))) >= 2

    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(tmp_path))
    text = scrape()

    assert sample(text, "migrateiq_syncs_total", status="success") == 2
    assert sample(text, "migrateiq_records_synced_total") == 10
    assert sample(text, "migrateiq_sync_records_failed_total") == 2
    assert sample(text, "migrateiq_sync_duration_seconds_count") == 2
    assert sample(text, "migrateiq_upstream_requests_total", code="200") == 2
    assert sample(text, "migrateiq_http_requests_total", method="GET", route="/healthz", status="200") == 2
    # The registered (database) gauges are still there in multiprocess mode.
    assert "migrateiq_test_module_rows 7.0" in text


def test_requests_through_the_http_client_feed_the_upstream_metrics(scrape, db, httpserver, settings):
    from core.http import OutboundClient

    settings.MIGRATEIQ_EGRESS_ALLOWLIST = [f"127.0.0.1:{httpserver.port}"]
    httpserver.expect_request("/users").respond_with_json([{"id": 1}])
    before = scrape()

    with OutboundClient(max_attempts=1) as client:
        client.request("GET", httpserver.url_for("/users"))

    after = scrape()
    assert sample(after, "migrateiq_upstream_requests_total", code="200") - sample(
        before, "migrateiq_upstream_requests_total", code="200"
    ) == pytest.approx(1)
    assert "127.0.0.1" not in after and "/users" not in after
