"""The connectors module's metrics: the running and pending runs, counted in the database at each
``/metrics`` scrape (``sync_engine/metrics.py``, registered by the engine's ``AppConfig.ready()``)."""

import pytest
from django.test import Client
from prometheus_client.parser import text_string_to_metric_families

from core import metrics
from demo_extension.models import CustomDataConnector, SyncLog, SyncStatus
from sync_engine.metrics import SyncRunsCollector

TOKEN = "metrics-token-for-tests-9f2c"


@pytest.fixture
def scrape(settings):
    """GET /metrics with the right token; returns the body as text."""
    settings.MIGRATEIQ_METRICS_TOKEN = TOKEN

    def _scrape() -> str:
        response = Client().get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
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


def test_the_module_registers_its_sync_runs_collector():
    assert isinstance(metrics.registered_collectors()["sync_engine.sync_runs"], SyncRunsCollector)


def test_the_scrape_has_the_running_and_pending_gauges(scrape, db):
    names = {family.name for family in text_string_to_metric_families(scrape())}
    assert {"migrateiq_syncs_running", "migrateiq_syncs_pending"} <= names


def test_running_and_pending_syncs_are_counted_in_the_database_at_scrape_time(scrape, tenant_a, tenant_b):
    first = CustomDataConnector.objects.create(tenant=tenant_a, name="A", api_endpoint="http://127.0.0.1:9/a")
    second = CustomDataConnector.objects.create(
        tenant=tenant_b, name="B", api_endpoint="http://127.0.0.1:9/b"
    )
    third = CustomDataConnector.objects.create(tenant=tenant_b, name="C", api_endpoint="http://127.0.0.1:9/c")
    SyncLog.objects.create(tenant=tenant_a, connector=first, status=SyncStatus.RUNNING)
    SyncLog.objects.create(tenant=tenant_b, connector=second, status=SyncStatus.RUNNING)
    SyncLog.objects.create(tenant=tenant_b, connector=third, status=SyncStatus.PENDING)
    SyncLog.objects.create(tenant=tenant_b, connector=third, status=SyncStatus.SUCCESS)

    text = scrape()

    assert sample(text, "migrateiq_syncs_running") == 2
    assert sample(text, "migrateiq_syncs_pending") == 1
    SyncLog.objects.unscoped("test: every tenant").filter(status=SyncStatus.RUNNING).update(
        status=SyncStatus.SUCCESS
    )
    assert sample(scrape(), "migrateiq_syncs_running") == 0
