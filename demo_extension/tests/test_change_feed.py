"""The change feed: change sequences set by real syncs, the feed's order and cursor, tombstones of a
complete full refresh (and only of a complete one), the inferred schema a sync keeps."""

import pytest

from demo_extension.models import SyncedRecord, SyncStatus
from demo_extension.services.sync import DataSyncService
from sync_engine.schema import MAX_FIELDS, SchemaAccumulator

pytestmark = pytest.mark.django_db

CONNECTORS = "/api/demo-extension/connectors/"


@pytest.fixture
def synced(tenant_ctx, sample_upstream, make_connector):
    """A connector of a 30-record upstream (pages of 10), synced once."""
    upstream = sample_upstream(records=30, page_size=10, incremental_param=None)
    connector = make_connector(upstream=upstream)
    log = DataSyncService(connector).sync_data()
    assert log.status == SyncStatus.SUCCESS
    return connector, upstream


def seqs(connector) -> dict[str, int]:
    return dict(SyncedRecord.objects.filter(connector=connector).values_list("external_id", "change_seq"))


def feed(client, connector, after=0, limit=500):
    response = client.get(f"{CONNECTORS}{connector.pk}/changes/", {"after": after, "limit": limit})
    assert response.status_code == 200, response.content
    return response.json()


def test_created_and_updated_records_get_higher_sequences_and_unchanged_ones_keep_theirs(synced):
    connector, upstream = synced
    before = seqs(connector)
    assert len(set(before.values())) == 30 and min(before.values()) > 0

    upstream.update(version=1)  # every 10th record changes
    log = DataSyncService(connector).sync_data()
    assert (log.records_updated, log.records_unchanged) == (3, 27)

    after = seqs(connector)
    changed = {external_id for external_id in after if after[external_id] != before[external_id]}
    assert changed == {"10", "20", "30"}
    assert min(after[external_id] for external_id in changed) > max(before.values())


def test_the_feed_lists_changes_in_sequence_order_and_continues_from_its_cursor(synced, viewer_client):
    connector, upstream = synced
    seen, after = [], 0
    while True:
        page = feed(viewer_client, connector, after=after, limit=7)
        seen.extend(page["changes"])
        after = page["next_after"]
        if not page["has_more"]:
            break
    assert [change["seq"] for change in seen] == sorted(change["seq"] for change in seen)
    assert sorted(int(change["external_id"]) for change in seen) == list(range(1, 31))
    assert {change["op"] for change in seen} == {"upsert"}
    assert seen[0]["data"]["id"] == int(seen[0]["external_id"])

    assert feed(viewer_client, connector, after=after)["changes"] == []
    upstream.update(version=1)
    DataSyncService(connector).sync_data()
    page = feed(viewer_client, connector, after=after)
    assert [change["external_id"] for change in page["changes"]] == ["10", "20", "30"]
    assert page["next_after"] == page["changes"][-1]["seq"] and not page["has_more"]


def test_bad_feed_parameters_are_a_400(synced, viewer_client):
    connector, _ = synced
    for params in ({"after": "-1"}, {"after": "x"}, {"limit": "0"}, {"limit": "100000"}):
        response = viewer_client.get(f"{CONNECTORS}{connector.pk}/changes/", params)
        assert response.status_code == 400, params


def test_a_complete_full_refresh_tombstones_what_the_upstream_no_longer_returns(synced, viewer_client):
    connector, upstream = synced
    last = feed(viewer_client, connector, limit=500)["next_after"]
    upstream.update(records=25)

    log = DataSyncService(connector).sync_data(full_refresh=True)

    assert log.status == SyncStatus.SUCCESS
    deleted = SyncedRecord.objects.filter(connector=connector, deleted_at__isnull=False)
    assert sorted(deleted.values_list("external_id", flat=True)) == ["26", "27", "28", "29", "30"]
    page = feed(viewer_client, connector, after=last)
    assert [(c["external_id"], c["op"], c["data"]) for c in page["changes"]] == [
        (str(n), "delete", None) for n in range(26, 31)
    ]
    connector.refresh_from_db()
    assert connector.records_count == 25
    listed = viewer_client.get(f"{CONNECTORS}{connector.pk}/records/", {"page_size": 100}).json()
    assert listed["count"] == 25
    everything = viewer_client.get(
        f"{CONNECTORS}{connector.pk}/records/", {"page_size": 100, "include_deleted": "true"}
    ).json()
    assert everything["count"] == 30
    assert "marked deleted" in " ".join(log.events.values_list("message", flat=True))
    assert log.records_deleted == 5
    assert log.events.last().message.endswith("5 deleted, 3 pages.")


def test_a_full_refresh_that_gets_no_records_deletes_none_and_fails(synced, viewer_client):
    # before: an API answering an error as a success with an empty list (an expired key) made the
    # full refresh mark all 30 records deleted, SUCCESS, and the destinations deleted their rows
    connector, upstream = synced
    upstream.update(records=0)

    log = DataSyncService(connector).sync_data(full_refresh=True)

    assert log.status == SyncStatus.FAILED
    assert log.error_message == (
        "The full refresh read every page and got no records, while 30 are stored: none was marked "
        "deleted. An empty answer is more often an error the API answered as a success (an expired key, "
        "a wrong endpoint or filter) than an emptied source: check the connector (Test connection, the "
        "preview). If the source really is empty now, delete the connector to remove its records."
    )
    assert log.records_deleted == 0
    assert not SyncedRecord.objects.filter(connector=connector, deleted_at__isnull=False).exists()
    connector.refresh_from_db()
    assert connector.records_count == 30


def test_a_deleted_record_that_comes_back_is_alive_with_a_new_sequence(synced):
    connector, upstream = synced
    upstream.update(records=25)
    DataSyncService(connector).sync_data(full_refresh=True)
    tombstone = SyncedRecord.objects.get(connector=connector, external_id="30")

    upstream.update(records=30)
    DataSyncService(connector).sync_data()

    back = SyncedRecord.objects.get(connector=connector, external_id="30")
    assert back.deleted_at is None and back.change_seq > tombstone.change_seq
    assert back.data["id"] == 30


def test_a_failed_full_refresh_deletes_nothing(synced):
    connector, upstream = synced
    upstream.update(records=25, fail_after_pages=1)
    log = DataSyncService(connector).sync_data(full_refresh=True)
    assert log.status == SyncStatus.FAILED
    assert not SyncedRecord.objects.filter(connector=connector, deleted_at__isnull=False).exists()


def test_a_full_refresh_stopped_by_max_pages_deletes_nothing(synced):
    connector, upstream = synced
    upstream.update(records=25)
    connector.max_pages = 1
    connector.save()
    log = DataSyncService(connector).sync_data(full_refresh=True)
    assert log.status == SyncStatus.PARTIAL  # stopped short on purpose, and did not see everything
    assert not SyncedRecord.objects.filter(connector=connector, deleted_at__isnull=False).exists()


def test_a_partial_full_refresh_deletes_nothing(synced, settings):
    connector, upstream = synced
    settings.MIGRATEIQ_SYNC_ERROR_THRESHOLD = 1.0
    connector.transformation_rules = {"type_conversions": {"phone": "int"}}  # every record fails
    connector.save()
    upstream.update(records=25)
    log = DataSyncService(connector).sync_data(full_refresh=True)
    assert log.status == SyncStatus.PARTIAL
    assert not SyncedRecord.objects.filter(connector=connector, deleted_at__isnull=False).exists()


def test_a_cancelled_full_refresh_deletes_nothing(synced):
    connector, upstream = synced
    upstream.update(records=25)

    def cancel_after_first_page(log):
        type(log).objects.filter(pk=log.pk).update(cancel_requested=True)

    log = DataSyncService(connector).sync_data(full_refresh=True, progress=cancel_after_first_page)
    assert log.status == SyncStatus.CANCELLED
    assert not SyncedRecord.objects.filter(connector=connector, deleted_at__isnull=False).exists()


def test_a_sync_keeps_the_inferred_schema_with_types_and_string_formats(synced, viewer_client):
    connector, _ = synced
    response = viewer_client.get(f"{CONNECTORS}{connector.pk}/schema/")
    assert response.status_code == 200
    fields = {field["path"]: field for field in response.json()["fields"]}
    assert fields["id"]["types"] == ["integer"]
    assert fields["created_at"]["types"] == ["string"]
    assert "timestamp" in fields["created_at"]["formats"]
    assert fields["name"]["formats"] == []
    assert fields["address"]["types"] == ["object"] and not fields["address"]["column"]
    assert fields["address.city"]["column"]
    paths = [field["path"] for field in response.json()["fields"]]
    assert paths == sorted(paths, key=lambda p: p.split("."))


def test_the_schema_accumulator_drops_formats_adds_types_and_is_bounded():
    schema = SchemaAccumulator()
    schema.observe(
        {"when": "2024-01-02T03:04:05Z", "n": 1, "d": "2024-01-02", "nested": {"a": [1]}, "s": "7"}
    )
    schema.observe({"when": "2024-01-03", "n": 2.5, "d": "2024-02-30", "nested": {"a": None}, "s": "soon"})
    fields = {".".join(entry["path"]): entry for entry in schema.to_document()["fields"]}
    assert fields["when"]["formats"] == ["timestamp"]  # a date is a timestamp (midnight), not vice versa
    assert fields["s"]["formats"] == []
    assert fields["n"]["types"] == ["integer", "number"]
    assert fields["d"]["formats"] == []  # February 30th is not a date
    assert fields["nested.a"]["types"] == ["array", "null"]

    schema = SchemaAccumulator()
    schema.observe({f"f{i}": i for i in range(MAX_FIELDS + 5)})
    document = schema.to_document()
    assert len(document["fields"]) == MAX_FIELDS and document["truncated"]

    again = SchemaAccumulator(document["fields"], document["truncated"])
    again.observe({"f1": 3})
    assert not again.changed  # nothing new: no write
