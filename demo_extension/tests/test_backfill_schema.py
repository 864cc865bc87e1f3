"""``manage.py backfill_schema``: a connector's inferred schema rebuilt from its stored records, in
keyset pages, equal to the one syncs build as they write."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from demo_extension.models import ConnectorSchema, SyncedRecord, SyncLog, SyncStatus
from demo_extension.services.sync import DataSyncService
from demo_extension.tests.sync_support import store
from sync_engine.schema import connector_schema
from sync_engine.schema_backfill import SyncInProgress, rebuild_schema

pytestmark = pytest.mark.django_db


def backfill(*args) -> str:
    out = StringIO()
    call_command("backfill_schema", *args, stdout=out)
    return out.getvalue()


def fields_of(connector) -> list[dict]:
    return connector_schema(connector.pk)["fields"]


def without_positions(fields: list[dict]) -> list[dict]:
    """The fields without the order first seen, which a schema rebuilt from nothing learns from the
    stored records' sorted keys, not from the upstream's (test_schema_field_order.py)."""
    return [{key: value for key, value in entry.items() if key != "position"} for entry in fields]


def forget_schema(connector) -> None:
    """What a connector whose records were stored before the schema existed looks like."""
    ConnectorSchema.objects.filter(connector_id=connector.pk).delete()
    assert fields_of(connector) == []


def test_a_rebuilt_schema_equals_the_one_the_sync_built(sample_upstream, make_connector):
    upstream = sample_upstream(records=45, page_size=10, style="page")
    connector = make_connector(upstream=upstream)
    assert DataSyncService(connector).sync_data().status == SyncStatus.SUCCESS
    built_by_the_sync = fields_of(connector)
    assert len(built_by_the_sync) > 10
    forget_schema(connector)

    output = backfill("--connector", str(connector.pk))

    assert without_positions(fields_of(connector)) == without_positions(built_by_the_sync)
    fields = len(built_by_the_sync)
    assert f"Connector {connector.pk} ({connector.name}): {fields} fields from 45 records." in output


def test_the_records_are_read_in_keyset_pages_of_the_batch_size(make_connector):
    connector = make_connector()
    store(connector, [{"id": i, "name": f"n{i}", "joined": "2024-01-02"} for i in range(20)])
    forget_schema(connector)

    with CaptureQueriesContext(connection) as captured:
        rebuilt = rebuild_schema(connector.pk, batch=7)

    reads = [q["sql"] for q in captured.captured_queries if "FROM" in q["sql"] and "syncedrecord" in q["sql"]]
    assert len(reads) == 3  # 7 + 7 + 6: one query a page, never the whole table at once
    assert all("LIMIT" in sql for sql in reads)
    assert (rebuilt.records, rebuilt.fields, rebuilt.truncated) == (20, 3, False)
    assert without_positions(fields_of(connector)) == [
        {"path": ["id"], "types": ["integer"]},
        {"path": ["joined"], "types": ["string"], "formats": ["timestamp", "date"]},
        {"path": ["name"], "types": ["string"], "formats": []},
    ]
    # in the stored keys' order: alphabetical on SQLite, shorter keys first on PostgreSQL's jsonb
    assert sorted(entry["position"] for entry in fields_of(connector)) == [1, 2, 3]


def test_formats_and_types_hold_for_every_record_not_just_one_page(make_connector):
    connector = make_connector()
    store(connector, [{"id": i, "when": "2024-01-02T03:04:05Z", "n": 1} for i in range(10)])
    store(connector, [{"id": 99, "when": "not a date", "n": 1.5, "extra": {"deep": True}}])
    forget_schema(connector)

    rebuild_schema(connector.pk, batch=4)

    by_path = {".".join(entry["path"]): entry for entry in fields_of(connector)}
    assert by_path["when"]["formats"] == []
    assert by_path["n"]["types"] == ["integer", "number"]
    assert by_path["extra.deep"]["types"] == ["boolean"]


def test_a_stale_schema_is_replaced_not_merged(make_connector):
    connector = make_connector()
    store(connector, [{"id": 1, "gone": "x"}])
    SyncedRecord.objects.filter(connector=connector).update(data={"id": 1, "kept": 2})

    backfill("--connector", str(connector.pk))

    assert [entry["path"] for entry in fields_of(connector)] == [["id"], ["kept"]]


def test_without_options_every_connector_is_rebuilt_and_missing_picks_the_empty_ones(make_connector):
    empty = make_connector(name="Empty schema")
    store(empty, [{"id": 1, "a": 1}])
    forget_schema(empty)
    complete = make_connector(name="Complete schema")
    store(complete, [{"id": 1, "b": "x"}])
    make_connector(name="No records")

    missing = backfill("--missing")

    assert f"Connector {empty.pk} (Empty schema): 2 fields from 1 records." in missing
    assert "Complete schema" not in missing and "No records" not in missing
    assert [entry["path"] for entry in fields_of(empty)] == [["a"], ["id"]]
    everything = backfill()
    assert "Empty schema" in everything and "Complete schema" in everything
    assert "No records): 0 fields from 0 records." in everything
    assert backfill("--missing") == "No connector to rebuild.\n"


def test_a_connector_with_a_sync_in_progress_is_skipped_and_the_command_says_so(make_connector):
    busy = make_connector(name="Busy")
    store(busy, [{"id": 1, "a": 1}])
    forget_schema(busy)
    SyncLog.objects.create(tenant=busy.tenant, connector=busy, status=SyncStatus.RUNNING)
    idle = make_connector(name="Idle")
    store(idle, [{"id": 1}])

    with pytest.raises(SyncInProgress):
        rebuild_schema(busy.pk)
    out = StringIO()
    with pytest.raises(CommandError, match=rf"skipped because a sync is in progress: {busy.pk}\."):
        call_command("backfill_schema", stdout=out)

    assert f"Skipped: Connector {busy.pk} has a sync in progress" in out.getvalue()
    assert f"Connector {idle.pk} (Idle): 1 fields" in out.getvalue()
    assert fields_of(busy) == []


def test_an_unknown_connector_or_one_of_another_tenant_is_an_error(make_connector, tenant_b):
    theirs = make_connector(tenant=tenant_b)

    with pytest.raises(CommandError, match="No connector with id 987654"):
        backfill("--connector", "987654")
    with pytest.raises(CommandError, match=rf"No connector with id {theirs.pk} in tenant 'acme'"):
        backfill("--connector", str(theirs.pk), "--tenant", "acme")
