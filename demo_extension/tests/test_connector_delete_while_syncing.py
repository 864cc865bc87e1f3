"""Deleting a connector while its sync writes: PostgreSQL checks foreign keys at commit, so a row the
sync committed after the delete collected the connector's rows made the whole delete fail (a 500)."""

import threading

import pytest
from django.db import connection, connections
from django.db.models.signals import post_delete
from django.utils import timezone

from demo_extension.models import CustomDataConnector, SyncedRecord, SyncLog, SyncStatus
from sync_engine.models import SyncLogEvent

URL = "/api/demo-extension/connectors/"


def _a_page_committed_elsewhere(connector_id: int, tenant_id: int, external_id: str) -> None:
    """What a running sync's page commit does, from its own connection (another thread)."""

    def commit():
        try:
            now = timezone.now()
            SyncedRecord.objects.create(
                tenant_id=tenant_id,
                connector_id=connector_id,
                external_id=external_id,
                data={"id": external_id},
                checksum="0",
                first_synced_at=now,
                last_synced_at=now,
            )
        finally:
            connections.close_all()

    thread = threading.Thread(target=commit)
    thread.start()
    thread.join(10)


@pytest.mark.postgresql_only  # SQLite runs one write transaction at a time: no interleaving (conftest.py)
@pytest.mark.django_db(transaction=True)
def test_a_connector_deleted_while_its_sync_commits_a_page_is_deleted_with_that_page(
    admin_client, make_connector
):
    connector = make_connector()
    running = SyncLog.objects.create(tenant=connector.tenant, connector=connector, status=SyncStatus.RUNNING)
    committed = []

    def page_committed_meanwhile(sender, instance, **kwargs):
        # The delete has collected the connector's records and deleted its runs; the connector's
        # own row goes next. The sync commits a page now (once), before the delete commits.
        if not committed:
            committed.append(True)
            _a_page_committed_elsewhere(connector.pk, connector.tenant_id, "written-meanwhile")

    post_delete.connect(page_committed_meanwhile, sender=SyncLog)
    try:
        response = admin_client.delete(f"{URL}{connector.pk}/")
    finally:
        post_delete.disconnect(page_committed_meanwhile, sender=SyncLog)

    assert committed
    assert response.status_code == 204, response.content
    assert not CustomDataConnector.objects.unscoped("test: every tenant").filter(pk=connector.pk).exists()
    assert not SyncedRecord.objects.filter(connector_id=connector.pk).exists()
    assert not SyncLog.objects.filter(pk=running.pk).exists()


@pytest.mark.postgresql_only
@pytest.mark.django_db(transaction=True)
def test_a_connector_whose_sync_keeps_writing_is_a_409_and_stays_whole(admin_client, make_connector):
    connector = make_connector()
    running = SyncLog.objects.create(tenant=connector.tenant, connector=connector, status=SyncStatus.RUNNING)
    SyncLogEvent.objects.create(sync_log=running, message="page 1")
    written = []

    def page_committed_meanwhile(sender, instance, **kwargs):  # at every attempt: it never stops
        written.append(f"written-{len(written)}")
        _a_page_committed_elsewhere(connector.pk, connector.tenant_id, written[-1])

    post_delete.connect(page_committed_meanwhile, sender=SyncLog)
    try:
        response = admin_client.delete(f"{URL}{connector.pk}/")
    finally:
        post_delete.disconnect(page_committed_meanwhile, sender=SyncLog)

    assert response.status_code == 409, response.content
    assert "delete the connector again in a few seconds" in response.json()["detail"]
    assert len(written) == 4  # tried four times
    assert CustomDataConnector.objects.unscoped("test: every tenant").filter(pk=connector.pk).exists()
    running.refresh_from_db()
    assert running.cancel_requested  # asked to stop
    assert SyncLogEvent.objects.filter(sync_log=running, message="page 1").exists()
    assert SyncedRecord.objects.filter(connector_id=connector.pk).count() == 4
    assert connection.vendor == "postgresql"
