"""Synced records follow their tenant, connector and sync log through deletes (kept by the ORM)."""

import pytest

from demo_extension.models import SyncedRecord, SyncLog
from demo_extension.services import DataSyncService
from tenancy.models import Tenant

pytestmark = pytest.mark.django_db


@pytest.fixture
def synced(sample_upstream, make_connector):
    connector = make_connector(upstream=sample_upstream(records=15, page_size=5, style="page"))
    log = DataSyncService(connector).sync_data()
    assert SyncedRecord.objects.filter(connector=connector, last_sync_log=log).count() == 15
    return connector, log


def test_deleting_a_sync_log_keeps_its_records_and_clears_their_link(synced):
    connector, log = synced
    log.delete()
    assert SyncedRecord.objects.filter(connector=connector).count() == 15
    assert not SyncedRecord.objects.filter(connector=connector, last_sync_log__isnull=False).exists()


def test_deleting_a_tenant_removes_its_connectors_logs_and_records(synced):
    connector, _ = synced
    Tenant.objects.filter(pk=connector.tenant_id).delete()
    assert not SyncedRecord.objects.filter(tenant_id=connector.tenant_id).exists()
    assert not SyncLog.objects.filter(tenant_id=connector.tenant_id).exists()


def test_record_data_is_stored_without_a_per_row_json_check_and_reads_back(synced):
    """The engine writes canonical JSON only; SQLite's JSON_VALID check would parse every row again."""
    from django.db import connection

    connector, _ = synced
    table = SyncedRecord._meta.db_table
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = %s", [table])
            assert "JSON_VALID" not in cursor.fetchone()[0].upper()
        else:
            cursor.execute(
                "SELECT data_type FROM information_schema.columns "
                "WHERE table_name = %s AND column_name = 'data'",
                [table],
            )
            assert cursor.fetchone()[0] == "jsonb"
    record = SyncedRecord.objects.filter(connector=connector).order_by("external_id").first()
    assert record.data["id"] == int(record.external_id)
    assert SyncedRecord.objects.filter(connector=connector, data__id=int(record.external_id)).count() == 1
