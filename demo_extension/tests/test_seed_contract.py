"""The seed document's snippets, curl commands and tests, run as written.

Adapted only where this machine differs from the seed's: a tenant is chosen first (shell sessions do
the same, see ``tenancy.context``), requests carry a tenant's token, and the upstreams are local
sample APIs (jsonplaceholder-like ``/users``) instead of internet hosts.
"""

import pytest
from django.contrib.auth import get_user_model
from django.test import TestCase, override_settings
from rest_framework.test import APITestCase

from demo_extension.models import CustomDataConnector, SyncLog
from demo_extension.sample_upstream import SampleUpstream
from demo_extension.services import ConnectorStatsService, DataSyncService, DataTransformationService
from tenancy.context import tenant_context
from tenancy.models import Membership, Role, Tenant
from tenancy.services import tokens_for

FAST_HASHING = ["django.contrib.auth.hashers.MD5PasswordHasher"]


# --- "External API Integration" -------------------------------------------------------------------


@pytest.mark.django_db
def test_the_external_api_integration_snippet(tenant_ctx, sample_upstream, settings):
    settings.PASSWORD_HASHERS = FAST_HASHING
    upstream = sample_upstream(records=10, style="none", api_key="your-api-key")

    # Example: Connect to any REST API
    connector = CustomDataConnector.objects.create(
        name="Customer API",
        api_endpoint=upstream.url,  # the seed: "https://api.example.com/customers"
        api_key="your-api-key",
        sync_frequency="DAILY",
    )

    # Test connection
    service = DataSyncService(connector)
    is_connected = service.test_connection()  # Returns True/False

    # Sync data
    sync_log = service.sync_data()  # Returns detailed sync results

    assert is_connected is True
    assert isinstance(sync_log, SyncLog)
    assert sync_log.status == "SUCCESS"
    assert sync_log.records_processed == 10
    assert sync_log.duration_seconds is not None
    assert connector.tenant == tenant_ctx


# --- "Real-time Monitoring" -----------------------------------------------------------------------


@pytest.mark.django_db
def test_the_real_time_monitoring_snippet(tenant_ctx, make_connector):
    make_connector(records_count=10000)

    # Get comprehensive statistics
    stats = ConnectorStatsService.get_stats()

    assert set(stats) == {
        "total_connectors",
        "active_connectors",
        "total_records_synced",
        "last_24h_syncs",
        "success_rate",
        "avg_sync_duration",
    }
    assert stats["total_connectors"] == 1
    assert stats["total_records_synced"] == 10000
    assert isinstance(stats["success_rate"], float)
    assert isinstance(stats["avg_sync_duration"], float)


# --- "Data Transformation" ------------------------------------------------------------------------


def test_the_data_transformation_snippet():
    raw_data = {"customer_id": "17", "customer_name": "Ada Lovelace", "created_date": 1716766200}

    # Apply custom transformation rules
    transformation_rules = {
        "field_mappings": {"customer_id": "id", "customer_name": "name"},
        "type_conversions": {"id": "int", "created_date": "datetime"},
    }

    transformer = DataTransformationService(transformation_rules)
    transformed_data = transformer.transform_record(raw_data)

    assert transformed_data == {"id": 17, "name": "Ada Lovelace", "created_date": "2024-05-26T23:30:00+00:00"}


# --- "Unit Tests Included" (the seed's tests.py) -------------------------------------------------


@override_settings(PASSWORD_HASHERS=FAST_HASHING)
class CustomDataConnectorTest(TestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.upstream = SampleUpstream(records=10, style="none", api_key="test-key").start()
        cls.addClassCleanup(cls.upstream.stop)

    def setUp(self):
        tenant = Tenant.objects.create(slug="seed", name="Seed")
        context = tenant_context(tenant)
        context.__enter__()
        self.addCleanup(context.__exit__, None, None, None)
        allowlist = override_settings(MIGRATEIQ_EGRESS_ALLOWLIST=[self.upstream.netloc])
        allowlist.enable()
        self.addCleanup(allowlist.disable)

    def test_create_connector(self):
        connector = CustomDataConnector.objects.create(
            name="Test Connector",
            api_endpoint="https://api.test.com",
            api_key="test-key",
        )
        self.assertEqual(connector.name, "Test Connector")

    def test_sync_service(self):
        connector = CustomDataConnector.objects.create(
            name="Test Connector",
            api_endpoint=self.upstream.url,  # the seed: "https://api.test.com"
            api_key="test-key",
        )
        service = DataSyncService(connector)
        result = service.test_connection()
        self.assertTrue(result)


# --- "API Tests" ---------------------------------------------------------------------------------


@override_settings(PASSWORD_HASHERS=FAST_HASHING, MIGRATEIQ_EGRESS_ALLOWLIST=["127.0.0.1:9"])
class ConnectorAPITest(APITestCase):
    def setUp(self):
        tenant = Tenant.objects.create(slug="seed", name="Seed")
        user = get_user_model().objects.create_user(email="dev@seed.test", password="correct-horse-9")
        Membership.objects.create(user=user, tenant=tenant, role=Role.EDITOR)
        self.client.credentials(HTTP_AUTHORIZATION=f"Bearer {tokens_for(user, tenant)['access']}")

    def test_create_connector_api(self):
        data = {
            "name": "Customer Database API",
            "api_endpoint": "http://127.0.0.1:9/users",
            "api_key": "demo-key",
            "sync_frequency": "DAILY",
        }
        response = self.client.post("/api/demo-extension/connectors/", data)
        self.assertEqual(response.status_code, 201)


# --- "Example API Usage": the curl workflow --------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_the_curl_workflow_create_test_sync_history(settings, sample_upstream, editor_client):
    """create → test_connection → sync_data (200 with the finished log, as in the seed) → history."""
    settings.PASSWORD_HASHERS = FAST_HASHING
    settings.MIGRATEIQ_SYNC_RUNNER = "inline"  # the sync runs when the trigger commits
    upstream = sample_upstream(records=10, style="none", api_key="demo-key")

    # Create a New Connector
    created = editor_client.post(
        "/api/demo-extension/connectors/",
        {
            "name": "Customer Database API",
            "api_endpoint": upstream.url,  # the seed: "https://jsonplaceholder.typicode.com/users"
            "api_key": "demo-key",
            "sync_frequency": "DAILY",
        },
        format="json",
    )
    assert created.status_code == 201, created.content
    connector_id = created.json()["id"]
    assert created.json()["has_api_key"] is True
    assert created.json()["api_key_last4"] == ""  # "demo-key" is too short for a hint (16 characters)
    assert "api_key" not in created.json()

    # Test Connection
    tested = editor_client.post(f"/api/demo-extension/connectors/{connector_id}/test_connection/")
    assert tested.status_code == 200
    body = tested.json()
    assert body["connected"] is True
    assert body["message"] == "Connection successful"
    assert body["endpoint"] == upstream.url
    assert isinstance(body["response_time_ms"], float)

    # Start Data Sync
    synced = editor_client.post(f"/api/demo-extension/connectors/{connector_id}/sync_data/")
    assert synced.status_code == 200, synced.content
    body = synced.json()
    assert body["status"] == "SUCCESS"
    assert body["records_processed"] == 10
    assert isinstance(body["duration_seconds"], float)
    assert {"id", "created_at"} <= set(body)

    # View sync history, and all sync logs
    history = editor_client.get(f"/api/demo-extension/connectors/{connector_id}/sync_history/").json()
    assert [log["id"] for log in history["results"]] == [body["id"]]
    logs = editor_client.get("/api/demo-extension/sync-logs/").json()
    assert [log["id"] for log in logs["results"]] == [body["id"]]

    # The connector now shows its last sync and its records
    connector = editor_client.get(f"/api/demo-extension/connectors/{connector_id}/").json()
    assert connector["last_sync_status"] == "SUCCESS"
    assert connector["records_count"] == 10
    records = editor_client.get(f"/api/demo-extension/connectors/{connector_id}/records/").json()
    assert records["count"] == 10
