"""A connector's schedule (next_sync_at) follows its frequency from the moment it is saved."""

from datetime import timedelta

import pytest
from django.utils import timezone

from demo_extension.models import CustomDataConnector

pytestmark = pytest.mark.django_db


def _create(client, upstream, **extra):
    body = {"name": "Scheduled", "api_endpoint": upstream.url, "sync_frequency": "HOURLY", **extra}
    response = client.post("/api/demo-extension/connectors/", body, format="json")
    assert response.status_code == 201, response.content
    return response.json()


def test_a_new_hourly_connector_is_scheduled_an_hour_from_now(admin_client, sample_upstream):
    before = timezone.now()
    body = _create(admin_client, sample_upstream())
    stored = CustomDataConnector.objects.get(pk=body["id"]).next_sync_at
    assert before + timedelta(hours=1) <= stored <= timezone.now() + timedelta(hours=1)
    assert body["next_sync_at"] is not None


def test_a_manual_connector_is_never_scheduled(admin_client, sample_upstream):
    body = _create(admin_client, sample_upstream(), sync_frequency="MANUAL")
    assert body["next_sync_at"] is None
    assert CustomDataConnector.objects.get(pk=body["id"]).next_sync_at is None


def test_deactivating_a_connector_clears_its_schedule(admin_client, sample_upstream):
    body = _create(admin_client, sample_upstream())
    response = admin_client.patch(
        f"/api/demo-extension/connectors/{body['id']}/", {"is_active": False}, format="json"
    )
    assert response.status_code == 200
    assert response.json()["next_sync_at"] is None
    assert CustomDataConnector.objects.get(pk=body["id"]).next_sync_at is None
