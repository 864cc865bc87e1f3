"""A re-sync recognises records that did not change upstream by their source checksum (a keyed hash
of the raw record and the connector's rules) and skips them before transforming them, with the
same data and the same counts as transforming everything."""

import time

import pytest

from demo_extension.models import SyncedRecord, SyncStatus
from demo_extension.tests import sync_support
from demo_extension.tests.sync_support import fault_url, run_sync, stored_records
from sync_engine import committers as sync_module
from sync_engine.transform import DataTransformationService

fault_server = sync_support.fault_server
fault_server_process = sync_support.fault_server_process

RULES = {
    "field_mappings": {"username": "login", "address.city": "city", "company.name": "company_name"},
    "type_conversions": {"created_at": "datetime", "score": "decimal"},
}


@pytest.fixture
def transformed(monkeypatch):
    """The raw records the transformation was applied to, in order."""
    seen = []
    transform_record = DataTransformationService.transform_record

    def counting(self, raw):
        seen.append(raw)
        return transform_record(self, raw)

    monkeypatch.setattr(DataTransformationService, "transform_record", counting)
    return seen


def counts(log) -> tuple[int, int, int, int]:
    return log.records_created, log.records_updated, log.records_unchanged, log.records_failed


def write_times(connector) -> dict:
    """``{external_id: last_synced_at}``: a record row the sync wrote gets a new time."""
    return dict(SyncedRecord.objects.filter(connector=connector).values_list("external_id", "last_synced_at"))


def expected_records(upstream, ids) -> dict:
    transform = DataTransformationService(RULES).transform_record
    return {str(i): transform(upstream.record(i)) for i in ids}


def serve_pages(server, pages: list[list[dict]]) -> str:
    """Serve ``pages`` as next-link pages at /items, /items?p=2, ... (replacing what was served)."""
    server.clear()
    url = fault_url(server)
    for number, records in enumerate(pages, start=1):
        following = f"{url}?p={number + 1}" if number < len(pages) else None
        query = {"p": str(number)} if number > 1 else ""
        server.expect_request("/items", query_string=query).respond_with_json(
            {"results": records, "next": following}
        )
    return url


def every_record():
    """The stored records (each test syncs one connector)."""
    return SyncedRecord.objects.unscoped("test: the test's one connector")


def test_a_resync_of_unchanged_data_transforms_and_writes_nothing(
    sample_upstream, make_connector, transformed
):
    upstream = sample_upstream(records=60, page_size=20, style="page")
    connector = make_connector(upstream=upstream, pagination={"type": "page"}, transformation_rules=RULES)
    first = run_sync(connector)
    assert counts(first) == (60, 0, 0, 0)
    assert len(transformed) >= 60
    assert "" not in set(every_record().values_list("source_checksum", flat=True))
    transformed.clear()
    written = write_times(connector)

    again = run_sync(connector)

    assert again.status == SyncStatus.SUCCESS, again.error_message
    assert counts(again) == (0, 0, 60, 0)
    # At most one record, from choosing between keys and content hashes on the first page.
    assert len(transformed) <= 1
    assert write_times(connector) == written
    assert stored_records(connector) == expected_records(upstream, range(1, 61))


def test_changed_records_alone_are_transformed_and_updated(sample_upstream, make_connector, transformed):
    upstream = sample_upstream(records=60, page_size=20, style="page")
    connector = make_connector(upstream=upstream, pagination={"type": "page"}, transformation_rules=RULES)
    run_sync(connector)
    upstream.update(version=2)
    changed = upstream.mutated_ids()
    assert 0 < len(changed) < 60
    transformed.clear()

    again = run_sync(connector)

    assert counts(again) == (0, len(changed), 60 - len(changed), 0)
    assert {raw["id"] for raw in transformed} - {1} == set(changed) - {1}
    assert stored_records(connector) == expected_records(upstream, range(1, 61))


def test_new_rules_transform_every_record_again_and_refresh_the_source_checksums(
    sample_upstream, make_connector, transformed
):
    upstream = sample_upstream(records=30, page_size=10, style="page")
    connector = make_connector(upstream=upstream, pagination={"type": "page"}, transformation_rules=RULES)
    run_sync(connector)
    before = dict(every_record().values_list("external_id", "source_checksum"))

    # Same output, other rules: nothing changes, but every record is transformed once more.
    connector.transformation_rules = {**RULES, "required": ["id"]}
    connector.save()
    transformed.clear()
    same = run_sync(connector)

    assert counts(same) == (0, 0, 30, 0)
    assert len(transformed) >= 30
    after = dict(every_record().values_list("external_id", "source_checksum"))
    assert after.keys() == before.keys()
    assert all(after[key] and after[key] != before[key] for key in after)
    transformed.clear()

    third = run_sync(connector)

    assert counts(third) == (0, 0, 30, 0)
    assert len(transformed) <= 1

    # Rules that change the output: every record is updated.
    connector.transformation_rules = {**RULES, "defaults": {"source": "crm"}}
    connector.save()
    fourth = run_sync(connector)

    assert counts(fourth) == (0, 30, 0, 0)
    assert {data["source"] for data in stored_records(connector).values()} == {"crm"}


def test_records_stored_before_source_checksums_existed_get_one_on_the_next_resync(
    sample_upstream, make_connector, transformed
):
    upstream = sample_upstream(records=30, page_size=10, style="page")
    connector = make_connector(upstream=upstream, pagination={"type": "page"}, transformation_rules=RULES)
    run_sync(connector)
    every_record().update(source_checksum="")  # what the migration leaves on existing rows
    transformed.clear()

    upgraded = run_sync(connector)

    assert counts(upgraded) == (0, 0, 30, 0)
    assert len(transformed) >= 30
    assert "" not in set(every_record().values_list("source_checksum", flat=True))
    transformed.clear()
    assert counts(run_sync(connector)) == (0, 0, 30, 0)
    assert len(transformed) <= 1


def test_the_same_record_with_its_keys_in_another_order_is_unchanged(fault_server, make_connector):
    url = serve_pages(fault_server, [[{"id": 1, "a": 1, "b": {"x": 1, "y": 2}}, {"id": 2, "a": 2}]])
    connector = make_connector(api_endpoint=url, auth_type="none", pagination={"type": "next_url"})
    run_sync(connector)
    first_sources = dict(every_record().values_list("external_id", "source_checksum"))
    serve_pages(fault_server, [[{"b": {"y": 2, "x": 1}, "a": 1, "id": 1}, {"id": 2, "a": 2}]])

    again = run_sync(connector)

    assert counts(again) == (0, 0, 2, 0)
    assert stored_records(connector) == {
        "1": {"id": 1, "a": 1, "b": {"x": 1, "y": 2}},
        "2": {"id": 2, "a": 2},
    }
    sources = dict(every_record().values_list("external_id", "source_checksum"))
    assert sources["1"] != first_sources["1"]
    assert sources["2"] == first_sources["2"]


@pytest.mark.parametrize(
    ("page", "expected_value", "expected_counts"),
    [
        # the first copy matches the stored record and is skipped; the last one wins
        ([{"id": 1, "v": "b"}, {"id": 1, "v": "a"}], "a", (0, 1, 1, 0)),
        # the first copy is transformed, the last matches the stored record: nothing is written
        ([{"id": 1, "v": "c"}, {"id": 1, "v": "b"}], "b", (0, 0, 2, 0)),
        ([{"id": 1, "v": "b"}, {"id": 1, "v": "b"}], "b", (0, 0, 2, 0)),
    ],
)
def test_a_record_repeated_within_a_page_keeps_its_last_copy(
    fault_server, make_connector, page, expected_value, expected_counts
):
    url = serve_pages(fault_server, [[{"id": 1, "v": "b"}, {"id": 2}]])
    connector = make_connector(api_endpoint=url, auth_type="none", pagination={"type": "next_url"})
    run_sync(connector)
    serve_pages(fault_server, [[*page, {"id": 2}]])
    written = write_times(connector)

    again = run_sync(connector)

    assert again.status == SyncStatus.SUCCESS, again.error_message
    assert stored_records(connector)["1"] == {"id": 1, "v": expected_value}
    created, updated, unchanged, failed = expected_counts
    assert counts(again) == (created, updated, unchanged + 1, failed)
    assert (write_times(connector)["1"] != written["1"]) == bool(updated)
    assert write_times(connector)["2"] == written["2"]


def test_pages_that_are_not_plain_json_are_synced_without_source_checksums(fault_server, make_connector):
    body = '[{"id": 1, "big": 123456789012345678901234567890}, {"id": 2, "v": 1}]'
    fault_server.expect_request("/items").respond_with_data(body, content_type="application/json")
    connector = make_connector(api_endpoint=fault_url(fault_server), auth_type="none")
    run_sync(connector)

    again = run_sync(connector)

    assert counts(again) == (0, 0, 2, 0)
    assert set(every_record().values_list("source_checksum", flat=True)) == {""}
    assert stored_records(connector)["1"]["big"] == 123456789012345678901234567890


def test_pages_the_standard_parser_read_keep_source_checksums_when_orjson_writes_them_back(
    fault_server, make_connector, transformed
):
    # Long digit runs send a page to the standard parser (to keep integers beyond 64 bits exact and
    # tell decimals a float rounds); such a page that holds neither is as plain as any other, and a
    # re-sync still skips its unchanged records. Before: every such page was transformed again.
    records = [
        {"id": 112233445566778899 + n, "ts": f"1700000000.12345{n}", "pi": 3.14159265358979} for n in range(5)
    ]
    serve_pages(fault_server, [records])
    connector = make_connector(
        api_endpoint=fault_url(fault_server),
        auth_type="none",
        records_path="results",
        pagination={"type": "none"},
    )
    run_sync(connector)
    assert "" not in set(every_record().values_list("source_checksum", flat=True))
    transformed.clear()

    again = run_sync(connector)

    assert counts(again) == (0, 0, 5, 0)
    assert len(transformed) <= 1
    assert stored_records(connector)["112233445566778899"] == records[0]


def test_content_hash_keyed_connectors_store_source_checksums_but_compare_transformed_records(
    fault_server, make_connector, transformed
):
    url = serve_pages(fault_server, [[{"name": "a"}, {"name": "b"}]])
    connector = make_connector(
        api_endpoint=url,
        auth_type="none",
        pagination={"type": "next_url"},
        primary_key="",
        transformation_rules={"defaults": {"kind": "x"}},
    )
    run_sync(connector)
    transformed.clear()

    again = run_sync(connector)

    assert counts(again) == (0, 0, 2, 0)
    assert len(transformed) == 2
    assert len(stored_records(connector)) == 2


@pytest.mark.django_db(transaction=True)
def test_a_record_repeated_on_the_next_page_is_not_skipped_while_its_first_copy_commits(
    fault_server, make_connector, monkeypatch
):
    """Page 1 changes record 1; page 2 repeats it as it was before. Page 1 is still being committed
    in the background when page 2 is read, so the stored record 1 looks unchanged to page 2: the
    sync must not trust that, and must end with page 2's copy, as a clean run does."""
    old, new = {"id": 1, "v": "old"}, {"id": 1, "v": "new"}
    url = serve_pages(fault_server, [[old, {"id": 2}], [old, {"id": 3}]])
    connector = make_connector(api_endpoint=url, auth_type="none", pagination={"type": "next_url"})
    assert run_sync(connector).status == SyncStatus.SUCCESS
    serve_pages(fault_server, [[new, {"id": 2}], [old, {"id": 3}]])
    upsert_page = sync_module.upsert_page

    def slow_first_page(**kwargs):
        if kwargs["rows"].get("1", ("",))[0] == '{"id":1,"v":"new"}':
            time.sleep(0.5)  # page 2 is read and processed meanwhile
        return upsert_page(**kwargs)

    monkeypatch.setattr(sync_module, "upsert_page", slow_first_page)

    again = run_sync(connector)

    assert again.status == SyncStatus.SUCCESS, again.error_message
    assert stored_records(connector) == {"1": old, "2": {"id": 2}, "3": {"id": 3}}
    assert counts(again) == (0, 2, 2, 0)
    clean = make_connector(api_endpoint=url, auth_type="none", pagination={"type": "next_url"})
    run_sync(clean)
    assert stored_records(clean) == stored_records(connector)


def test_a_re_sync_quarantines_a_record_that_is_not_an_object_instead_of_crashing(
    fault_server, make_connector, settings
):
    """The unchanged-record lookup reads each raw record's key; a string among the records (not an
    object, so no key) is quarantined like on a first load, not an internal error."""
    settings.MIGRATEIQ_SYNC_ERROR_THRESHOLD = 0.5
    url = serve_pages(fault_server, [[{"id": 1}, {"id": 2}]])
    connector = make_connector(api_endpoint=url, auth_type="none", pagination={"type": "next_url"})
    assert run_sync(connector).status == SyncStatus.SUCCESS
    serve_pages(fault_server, [[{"id": 1}, "not a record", {"id": 2}]])

    again = run_sync(connector)

    assert again.status == SyncStatus.PARTIAL, again.error_message
    assert again.records_failed == 1 and again.records_unchanged == 2
    assert again.record_errors.get().error == "The record is not a JSON object (got string)."
