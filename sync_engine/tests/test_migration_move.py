"""The engine's models moved from ``demo_extension`` to ``sync_engine`` without touching their tables:
runs, log lines, records, quarantine, change counters and schemas written before the move are all
there after it, through the engine's models."""

import pytest

BEFORE = [("demo_extension", "0011_record_changes_and_schema"), ("destinations", "0001_initial")]


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_synced_data_written_before_the_move_is_read_by_the_engine_after_it(migrate_to):
    old = migrate_to(BEFORE)
    tenant = old.get_model("tenancy", "Tenant").objects.create(slug="legacy", name="Legacy")
    connector = old.get_model("demo_extension", "CustomDataConnector").objects.create(
        tenant=tenant, name="Legacy", api_endpoint="https://api.example.com/x"
    )
    log = old.get_model("demo_extension", "SyncLog").objects.create(
        tenant=tenant,
        connector=connector,
        status="PARTIAL",
        records_processed=3,
        records_created=2,
        records_failed=1,
        checkpoint={"version": 1, "pagination": {"config": {"type": "page"}, "state": {"page": 2}}},
    )
    old.get_model("demo_extension", "SyncLogEvent").objects.create(sync_log=log, message="Sync started.")
    record = old.get_model("demo_extension", "SyncedRecord")
    for n in (1, 2):
        record.objects.create(
            tenant=tenant,
            connector=connector,
            external_id=str(n),
            data={"id": n, "name": f"user {n}"},
            checksum=f"c{n}",
            source_checksum=f"s{n}",
            first_synced_at="2026-01-01T00:00:00Z",
            last_synced_at="2026-01-01T00:00:00Z",
            last_sync_log=log,
            change_seq=n,
        )
    old.get_model("demo_extension", "SyncRecordError").objects.create(
        tenant=tenant, sync_log=log, connector=connector, raw_payload={"x": 1}, error="no key", page=1
    )
    old.get_model("demo_extension", "RecordChangeCounter").objects.create(connector=connector, last_seq=2)
    old.get_model("demo_extension", "ConnectorSchema").objects.create(
        connector=connector, fields={"id": {"types": ["integer"]}}
    )

    migrate_to()

    from sync_engine.models import (
        ConnectorSchema,
        RecordChangeCounter,
        SyncedRecord,
        SyncLog,
        SyncRecordError,
    )

    moved = SyncLog.objects.get(pk=log.pk)
    assert (moved.status, moved.records_processed, moved.connector_id) == ("PARTIAL", 3, connector.pk)
    assert moved.checkpoint["pagination"]["state"] == {"page": 2}
    assert [e.message for e in moved.events.all()] == ["Sync started."]
    records = SyncedRecord.objects.filter(connector_id=connector.pk).order_by("external_id")
    assert [(r.external_id, r.data["name"], r.change_seq) for r in records] == [
        ("1", "user 1", 1),
        ("2", "user 2", 2),
    ]
    assert SyncRecordError.objects.get(sync_log=moved).error == "no key"
    assert RecordChangeCounter.objects.get(connector_id=connector.pk).last_seq == 2
    assert ConnectorSchema.objects.get(connector_id=connector.pk).fields == {"id": {"types": ["integer"]}}
    # The move keeps the database's rules too: one active run per connector.
    from sync_engine.runs import connector_model

    assert connector_model().objects.get(pk=connector.pk).source_type == "rest"
    SyncLog.objects.create(tenant_id=tenant.pk, connector_id=connector.pk, status="RUNNING")
    from django.db import IntegrityError, transaction

    with pytest.raises(IntegrityError), transaction.atomic():
        SyncLog.objects.create(tenant_id=tenant.pk, connector_id=connector.pk, status="PENDING")
