"""The change feed: change sequences set by real syncs, the feed's order and cursor, tombstones of a
complete full refresh (and only of a complete one), the inferred schema a sync keeps."""

import pytest

from demo_extension.models import SyncedRecord, SyncLog, SyncStatus
from demo_extension.services.sync import DataSyncService
from demo_extension.tests import sync_support
from demo_extension.tests.sync_support import fault_url
from sync_engine import queue as runs
from sync_engine.schema import MAX_FIELDS, SchemaAccumulator

pytestmark = pytest.mark.django_db

fault_server = sync_support.fault_server
fault_server_process = sync_support.fault_server_process
fast_retries = sync_support.fast_retries

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


def test_a_feed_page_stops_before_its_data_passes_what_a_page_may_hold(
    settings, make_connector, viewer_client
):
    # Changes of 400 KB each: a page of 500 at the 1 MiB record cap was built whole in the web process.
    settings.MIGRATEIQ_API_MAX_PAGE_BYTES = 1024 * 1024
    connector = make_connector()
    sync_support.store(connector, [{"id": index, "text": "x" * 400_000} for index in range(1, 6)])

    pages, after = [], 0
    while True:
        page = feed(viewer_client, connector, after=after)
        pages.append([change["external_id"] for change in page["changes"]])
        after = page["next_after"]
        if not page["has_more"]:
            break

    assert pages == [["1", "2"], ["3", "4"], ["5"]]


def test_a_feed_page_holds_one_change_larger_than_a_page_may_hold(settings, make_connector, viewer_client):
    settings.MIGRATEIQ_API_MAX_PAGE_BYTES = 1024 * 1024
    connector = make_connector()
    sync_support.store(connector, [{"id": 1, "text": "x" * 1_200_000}, {"id": 2}])

    first = feed(viewer_client, connector)
    second = feed(viewer_client, connector, after=first["next_after"])

    assert [change["external_id"] for change in first["changes"]] == ["1"] and first["has_more"]
    assert [change["external_id"] for change in second["changes"]] == ["2"] and not second["has_more"]


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


def test_a_full_refresh_that_deletes_nothing_says_so_in_its_summary(synced):
    connector, _upstream = synced

    log = DataSyncService(connector).sync_data(full_refresh=True)

    assert log.status == SyncStatus.SUCCESS and log.records_deleted == 0
    assert log.events.last().message.endswith("30 unchanged, 0 quarantined, 0 deleted, 3 pages.")
    again = DataSyncService(connector).sync_data()  # an ordinary run deletes nothing: no count
    assert again.events.last().message.endswith("30 unchanged, 0 quarantined, 3 pages.")


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
        "preview). If the source really is empty now, start a full refresh that allows it (the sync API's "
        "full_refresh=true&allow_empty=true, manage.py sync_connector --full-refresh --allow-empty, or "
        "the run page's action): it marks every stored record deleted."
    )
    assert log.records_deleted == 0
    assert not SyncedRecord.objects.filter(connector=connector, deleted_at__isnull=False).exists()
    connector.refresh_from_db()
    assert connector.records_count == 30
    detail = viewer_client.get(f"/api/demo-extension/sync-logs/{log.pk}/").json()
    assert detail["refused_as_empty"] is True  # what the run page offers its empty full refresh on
    assert detail["cannot_resume_reason"].startswith(
        "This full refresh read every page and got no records, so a resume has nothing left to fetch."
    ), detail


def test_a_full_refresh_allowed_to_get_no_records_marks_every_stored_record_deleted(
    synced, viewer_client, editor_client, settings, django_capture_on_commit_callbacks
):
    # the source really emptied: the API's explicit override concludes what the default refuses
    settings.MIGRATEIQ_SYNC_RUNNER = "inline"
    connector, upstream = synced
    last = feed(viewer_client, connector)["next_after"]
    upstream.update(records=0)

    with django_capture_on_commit_callbacks(execute=True):
        response = editor_client.post(
            f"{CONNECTORS}{connector.pk}/sync_data/?full_refresh=true&allow_empty=true&wait=0"
        )

    assert response.status_code == 202, response.content
    log = SyncLog.objects.get(pk=response.json()["id"])
    assert log.status == SyncStatus.SUCCESS, log.error_message
    assert (log.full_refresh, log.allow_empty, log.records_deleted) == (True, True, 30)
    assert SyncedRecord.objects.filter(connector=connector, deleted_at__isnull=True).count() == 0
    messages = list(log.events.values_list("message", flat=True))
    assert (
        "The full refresh got no records while 30 are stored: allowed explicitly (allow_empty), so every "
        "stored record is marked deleted."
    ) in messages
    assert "Full refresh: 30 record(s) the upstream no longer returns were marked deleted." in messages
    changes = feed(viewer_client, connector, after=last)["changes"]
    assert [change["op"] for change in changes] == ["delete"] * 30
    connector.refresh_from_db()
    assert connector.records_count == 0
    detail = viewer_client.get(f"/api/demo-extension/sync-logs/{log.pk}/").json()
    assert (detail["status"], detail["allow_empty"], detail["records_deleted"]) == ("SUCCESS", True, 30)
    assert detail["refused_as_empty"] is False
    # The schema keeps the fields of the records now deleted: their CSV keeps its columns.
    csv_head = viewer_client.get(
        f"{CONNECTORS}{connector.pk}/export/", {"format": "csv", "include_deleted": "true"}
    )
    header = b"".join(csv_head.streaming_content).decode().splitlines()[0]
    assert {"id", "name", "address.city"} <= set(header.split(",")) and header.endswith(",_deleted_at")
    # The records come back: nothing in the schema changed, so no run says so.
    upstream.update(records=30)
    back = DataSyncService(connector).sync_data(full_refresh=True)
    assert back.status == SyncStatus.SUCCESS and back.schema_changes == []


def test_a_full_refresh_allowed_to_be_empty_still_deletes_nothing_when_it_gets_records(synced):
    connector, upstream = synced
    upstream.update(records=25)

    log = DataSyncService(connector).sync_data(full_refresh=True, allow_empty=True)

    assert log.status == SyncStatus.SUCCESS
    assert log.records_deleted == 5  # the usual full refresh: only what the upstream no longer returns
    assert "allowed explicitly" not in " ".join(log.events.values_list("message", flat=True))


def test_allow_empty_without_a_full_refresh_is_refused_by_the_service(synced):
    connector, _ = synced

    with pytest.raises(ValueError, match="allow_empty applies to a full refresh only"):
        DataSyncService(connector).sync_data(allow_empty=True)

    assert not SyncLog.objects.filter(connector=connector, allow_empty=True).exists()


def test_a_resumed_full_refresh_keeps_allow_empty(
    fast_retries, fault_server, make_connector, settings, django_capture_on_commit_callbacks
):
    # the emptied source's second page fails: the run is resumed from its checkpoint, and concludes
    # as it was asked to when it started
    settings.MIGRATEIQ_SYNC_RUNNER = "inline"
    connector = make_connector(
        api_endpoint=fault_url(fault_server),
        auth_type="none",
        pagination={"type": "cursor", "cursor_param": "cursor", "cursor_path": "next_cursor"},
        records_path="data",
    )
    serve(fault_server, {"data": [{"id": 1}, {"id": 2}], "next_cursor": None})
    assert DataSyncService(connector).sync_data().status == SyncStatus.SUCCESS
    serve(fault_server, {"data": [], "next_cursor": "b"}, None)

    with django_capture_on_commit_callbacks(execute=True):
        log = runs.start_sync(connector, full_refresh=True, allow_empty=True)
    log.refresh_from_db()
    assert log.status == SyncStatus.FAILED and log.checkpoint, log.error_message
    assert not SyncedRecord.objects.filter(connector=connector, deleted_at__isnull=False).exists()
    serve(fault_server, {"data": [], "next_cursor": "b"}, {"data": [], "next_cursor": None})

    with django_capture_on_commit_callbacks(execute=True):
        runs.resume_sync(log)

    log.refresh_from_db()
    assert log.status == SyncStatus.SUCCESS, log.error_message
    assert (log.allow_empty, log.records_deleted) == (True, 2)
    assert SyncedRecord.objects.filter(connector=connector, deleted_at__isnull=True).count() == 0


def serve(server, *pages) -> None:
    """The first page answers ``pages[0]``; ``?cursor=b`` answers ``pages[1]`` (a 500 for None)."""
    server.clear()
    if len(pages) > 1:
        expected = server.expect_request("/items", query_string={"cursor": "b"})
        if pages[1] is None:
            expected.respond_with_data("down", status=500)
        else:
            expected.respond_with_json(pages[1])
    server.expect_request("/items").respond_with_json(pages[0])


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
