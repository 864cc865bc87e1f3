"""Throttles on the expensive connector actions: test_connection and sync_data (and resume, which
starts a sync). Each has its own per-user budget; the 429 carries Retry-After; a forged
X-Forwarded-For changes nothing, and one user's flood does not consume another's budget."""

import pytest
from django.conf import settings

from tenancy.models import Role
from tenancy.tests import seed


@pytest.fixture(autouse=True)
def _closed_local_port_allowed(settings):
    """Seeded connectors point at 127.0.0.1:9 (nothing listens there); the egress allowlist lets the
    API accept that URL, and any call to it fails at once without leaving the machine."""
    settings.MIGRATEIQ_EGRESS_ALLOWLIST = ["127.0.0.1:9"]
    settings.MIGRATEIQ_HTTP_MAX_ATTEMPTS = 1  # no retry back-off against the closed port


def budget(scope: str) -> int:
    return int(settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"][scope].split("/")[0])


@pytest.fixture
def graph(tenant_a):
    return seed.seed_tenant(tenant_a, "acmemark")


def flood(client, url, times):
    return [client.post(url, HTTP_X_FORWARDED_FOR=f"198.51.100.{i % 250}").status_code for i in range(times)]


def test_test_connection_is_throttled_per_user_with_retry_after(editor_client, graph):
    url = f"/api/demo-extension/connectors/{graph.connector.pk}/test_connection/"
    limit = budget("test_connection")

    statuses = flood(editor_client, url, limit)
    throttled = editor_client.post(url, HTTP_X_FORWARDED_FOR="192.0.2.77")

    assert 429 not in statuses and all(code < 500 for code in statuses)
    assert throttled.status_code == 429
    assert int(throttled["Retry-After"]) >= 1
    assert "throttled" in throttled.json()["detail"].lower()


def test_sync_data_is_throttled_per_user_with_retry_after(editor_client, graph):
    url = f"/api/demo-extension/connectors/{graph.connector.pk}/sync_data/?wait=0"
    limit = budget("sync_data")

    statuses = flood(editor_client, url, limit)
    throttled = editor_client.post(url)

    assert 429 not in statuses  # the first starts a run; the others are 409 (a run is in progress)
    assert set(statuses) <= {200, 202, 409}
    assert throttled.status_code == 429
    assert int(throttled["Retry-After"]) >= 1


def test_resume_shares_the_sync_budget(editor_client, graph):
    sync_url = f"/api/demo-extension/connectors/{graph.connector.pk}/sync_data/?wait=0"
    flood(editor_client, sync_url, budget("sync_data"))

    response = editor_client.post(f"/api/demo-extension/sync-logs/{graph.failed_log.pk}/resume/?wait=0")

    assert response.status_code == 429


def test_one_users_flood_does_not_throttle_another_user(editor_client, make_member, client_for, graph):
    url = f"/api/demo-extension/connectors/{graph.connector.pk}/test_connection/"
    flood(editor_client, url, budget("test_connection") + 1)
    colleague = client_for(make_member(graph.tenant, Role.EDITOR, email="colleague@acme.test"), graph.tenant)

    assert colleague.post(url).status_code == 200


def test_a_throttled_sync_is_not_started(editor_client, graph):
    from demo_extension.models import CustomDataConnector, SyncLog

    flood(
        editor_client,
        f"/api/demo-extension/connectors/{graph.connector.pk}/sync_data/?wait=0",
        budget("sync_data"),
    )
    idle = CustomDataConnector.objects.create(
        tenant=graph.tenant, name="idle", api_endpoint="http://127.0.0.1:9/"
    )

    response = editor_client.post(f"/api/demo-extension/connectors/{idle.pk}/sync_data/?wait=0")

    assert response.status_code == 429
    assert not SyncLog.objects.filter(connector=idle).exists()
