"""The inferred schema describes the connector's live records: a complete full refresh that deleted
or changed records rebuilds it at its end, so a field no live record has leaves the schema, the CSV
export's columns and the fields ``?fields=`` accepts; an ordinary sync only adds to it and does not
read the stored records again. ``updated_at`` says when the schema last changed."""

import csv
import io
from contextlib import contextmanager

import pytest
from django.db import connection

from demo_extension.models import SyncStatus
from demo_extension.services.sync import DataSyncService
from sync_engine.models import SyncedRecord
from sync_engine.sources import Page, SourcePlan, register_source, unregister_source

pytestmark = pytest.mark.django_db

CONNECTORS = "/api/demo-extension/connectors/"

ORDERS = [{"order_id": 1, "total": 10}, {"order_id": 2, "total": 12}]
ENVELOPE = {"order_id": "envelope", "meta": {"has_more": True, "next_cursor": "c2"}, "result": {"orders": []}}


class MemorySource:
    """One page of ``records`` (set by the test), read whole by every sync."""

    records: list = []

    def __init__(self, connector):
        self.connector = connector

    def check(self):
        return None

    def prepare(self) -> SourcePlan:
        return SourcePlan()

    def refuse_checkpoint(self, position: dict) -> str:
        return ""

    def pages(self, run, resume):
        yield Page(records=list(type(self).records), position={}, plain=True, label="memory", more=False)


@pytest.fixture
def memory(make_connector):
    register_source("memory-schema")(MemorySource)
    MemorySource.records = [*ORDERS, ENVELOPE]
    connector = make_connector(source_type="memory-schema", primary_key="order_id")
    assert sync(connector).status == SyncStatus.SUCCESS
    yield connector
    unregister_source("memory-schema")


def sync(connector, **options):
    return DataSyncService(connector).sync_data(**options)


def schema(client, connector) -> dict:
    response = client.get(f"{CONNECTORS}{connector.pk}/schema/")
    assert response.status_code == 200, response.content
    return response.json()


def paths(client, connector) -> list[str]:
    return [field["path"] for field in schema(client, connector)["fields"]]


def csv_header(client, connector) -> list[str]:
    response = client.get(f"{CONNECTORS}{connector.pk}/export/", {"format": "csv"})
    assert response.status_code == 200, response.content
    text = b"".join(response.streaming_content).decode()
    return next(csv.reader(io.StringIO(text)))


@contextmanager
def record_reads():
    """The keyset reads of the stored records' data (``changes.iter_data_pages``) made meanwhile."""
    seen: list[str] = []

    def spy(execute, sql, params, many, context):
        if "(change_seq, id) >" in sql:
            seen.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(spy):
        yield seen


def messages(run) -> str:
    return " ".join(run.events.values_list("message", flat=True))


def test_a_full_refresh_that_deletes_the_only_record_with_a_field_removes_it_everywhere(
    memory, viewer_client
):
    connector = memory
    assert "meta.has_more" in paths(viewer_client, connector)
    before = schema(viewer_client, connector)["updated_at"]
    MemorySource.records = list(ORDERS)  # the envelope is no longer returned: it is tombstoned

    with record_reads() as reads:
        run = sync(connector, full_refresh=True)

    assert run.status == SyncStatus.SUCCESS
    assert len(reads) == 1  # the live records, read once at the run's end
    assert SyncedRecord.objects.get(connector=connector, external_id="envelope").deleted_at is not None
    assert paths(viewer_client, connector) == ["order_id", "total"]
    assert csv_header(viewer_client, connector) == ["order_id", "total"]
    stale = viewer_client.get(f"{CONNECTORS}{connector.pk}/export/", {"fields": "meta.has_more,order_id"})
    assert stale.status_code == 400, stale.content
    assert "meta.has_more" in stale.json()["detail"]
    assert schema(viewer_client, connector)["updated_at"] > before
    assert "5 field(s) no live record has left it (meta, meta.has_more, meta.next_cursor, result" in messages(
        run
    )


def test_a_full_refresh_whose_records_lost_a_field_removes_it(memory, viewer_client):
    connector = memory
    MemorySource.records = [{"order_id": 1, "total": 10, "coupon": "X"}, *ORDERS[1:], ENVELOPE]
    sync(connector)
    assert "coupon" in paths(viewer_client, connector)
    MemorySource.records = [*ORDERS, ENVELOPE]  # order 1 changed: no coupon any more; nothing deleted

    run = sync(connector, full_refresh=True)

    assert (run.status, run.records_updated) == (SyncStatus.SUCCESS, 1)
    assert "coupon" not in paths(viewer_client, connector)
    assert "meta.has_more" in paths(viewer_client, connector)  # the envelope is alive


def test_an_ordinary_sync_only_adds_to_the_schema_and_does_not_read_the_stored_records(memory, viewer_client):
    connector = memory
    before = schema(viewer_client, connector)["updated_at"]
    MemorySource.records = [*ORDERS, {"order_id": "envelope", "result": {"orders": []}}]  # lost "meta"

    with record_reads() as reads:
        run = sync(connector)

    assert (run.status, run.records_updated) == (SyncStatus.SUCCESS, 1)
    assert "meta.has_more" in paths(viewer_client, connector)  # kept until a full refresh rebuilds
    assert schema(viewer_client, connector)["updated_at"] == before  # nothing was learnt
    assert "inferred schema was rebuilt" not in messages(run)
    assert reads == []


def test_a_full_refresh_that_changed_nothing_does_not_rebuild(memory, viewer_client):
    connector = memory

    with record_reads() as reads:
        run = sync(connector, full_refresh=True)

    assert (run.status, run.records_unchanged) == (SyncStatus.SUCCESS, 3)
    assert reads == []


def test_updated_at_moves_when_a_sync_adds_a_field(memory, viewer_client):
    connector = memory
    before = schema(viewer_client, connector)["updated_at"]
    MemorySource.records = [*ORDERS, {"order_id": 3, "total": 1, "currency": "EUR"}, ENVELOPE]

    sync(connector)

    after = schema(viewer_client, connector)
    assert "currency" in [field["path"] for field in after["fields"]]
    assert after["updated_at"] > before


def test_a_sync_that_changes_nothing_moves_checked_at_and_leaves_updated_at(memory, viewer_client):
    connector = memory
    before = schema(viewer_client, connector)
    assert before["checked_at"] >= before["updated_at"]

    run = sync(connector)

    after = schema(viewer_client, connector)
    assert (run.status, run.records_unchanged) == (SyncStatus.SUCCESS, 3)
    assert after["updated_at"] == before["updated_at"]  # nothing was learnt
    assert after["checked_at"] > before["checked_at"]
    assert after["checked_at"].replace("Z", "+00:00") == run.finished_at.isoformat()


def test_a_failed_sync_does_not_confirm_the_schema(memory, viewer_client):
    connector = memory
    before = schema(viewer_client, connector)
    MemorySource.records = []  # a full refresh that reads no record fails rather than delete them all

    run = sync(connector, full_refresh=True)

    assert run.status == SyncStatus.FAILED
    assert schema(viewer_client, connector)["checked_at"] == before["checked_at"]


def test_a_connector_never_synced_has_no_checked_at(make_connector, viewer_client):
    body = schema(viewer_client, make_connector())
    assert (body["updated_at"], body["checked_at"]) == (None, None)


def test_the_openapi_schema_documents_checked_at(viewer_client):
    response = viewer_client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    properties = response.json()["components"]["schemas"]["ConnectorSchema"]["properties"]
    assert properties["checked_at"]["nullable"] is True
    assert "last confirmed" in properties["checked_at"]["description"]
    assert "last changed" in properties["updated_at"]["description"]
