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
