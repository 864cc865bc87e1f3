"""Records are found in the response, transformed, upserted by key or content, and bad ones are
quarantined instead of failing the sync."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from demo_extension.models import CustomDataConnector, SyncedRecord, SyncRecordError, SyncStatus
from demo_extension.tests import sync_support
from demo_extension.tests.sync_support import (
    events,
    fault_url,
    page_numbered_connector,
    run_sync,
    serve_pages,
    stored_ids,
    stored_records,
)

fault_server = sync_support.fault_server
fault_server_process = sync_support.fault_server_process

BENCH_RULES = {
    "field_mappings": {"name": "full_name", "address.city": "city", "created_at": "joined"},
    "type_conversions": {"joined": "datetime", "score": "str"},
}


def serve(server, body, path="/items"):
    server.expect_request(path).respond_with_json(body)
    return fault_url(server, path)


# -- finding records -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "records_path"),
    [
        ([{"id": 1}, {"id": 2}], None),
        ([{"id": 1}, {"id": 2}], ""),
        ({"data": [{"id": 1}, {"id": 2}], "total": 2}, None),
        ({"response": {"items": [{"id": 1}, {"id": 2}]}}, None),
        ({"payload": {"users": [{"id": 1}, {"id": 2}]}}, "payload.users"),
        ({"whatever": [{"id": 1}, {"id": 2}]}, None),
    ],
    ids=["bare-list", "empty-path", "data-envelope", "nested-envelope", "dotted-path", "lone-list"],
)
def test_records_are_found_by_records_path_or_by_detecting_the_envelope(
    fault_server, make_connector, body, records_path
):
    connector = make_connector(
        api_endpoint=serve(fault_server, body), auth_type="none", records_path=records_path
    )

    log = run_sync(connector)

    assert log.status == SyncStatus.SUCCESS, log.error_message
    assert stored_ids(connector) == [1, 2]


def test_a_single_object_response_is_one_record(fault_server, make_connector):
    connector = make_connector(
        api_endpoint=serve(fault_server, {"id": 7, "name": "Ada", "tags": ["x"]}), auth_type="none"
    )

    log = run_sync(connector)

    assert log.status == SyncStatus.SUCCESS
    assert stored_records(connector) == {"7": {"id": 7, "name": "Ada", "tags": ["x"]}}


# -- transformation and keys -----------------------------------------------------------------------


def test_records_are_stored_after_the_connectors_transformation(sample_upstream, make_connector):
    upstream = sample_upstream(records=20, page_size=10, style="page")
    connector = make_connector(upstream=upstream, transformation_rules=BENCH_RULES)

    log = run_sync(connector)

    assert log.status == SyncStatus.SUCCESS, log.error_message
    raw = upstream.record(3)
    data = stored_records(connector)["3"]
    assert data["full_name"] == raw["name"]
    assert data["city"] == raw["address"]["city"]
    assert data["joined"].startswith(raw["created_at"][:19])
    assert data["score"] == str(raw["score"])
    assert "name" not in data


def test_a_dotted_primary_key_reaches_into_the_transformed_record(fault_server, make_connector):
    body = [{"meta": {"uid": "a-1"}, "v": 1}, {"meta": {"uid": "a-2"}, "v": 2}]
    connector = make_connector(
        api_endpoint=serve(fault_server, body), auth_type="none", primary_key="meta.uid"
    )

    run_sync(connector)

    assert sorted(stored_records(connector)) == ["a-1", "a-2"]


def test_records_are_keyed_by_content_when_the_connector_has_no_primary_key(fault_server, make_connector):
    body = [{"name": "a"}, {"name": "b"}, {"name": "a"}]
    connector = make_connector(api_endpoint=serve(fault_server, body), auth_type="none", primary_key="")

    log = run_sync(connector)

    assert log.status == SyncStatus.SUCCESS
    assert sorted(data["name"] for data in stored_records(connector).values()) == ["a", "b"]
    assert log.records_processed == 3
    assert log.records_created == 2
    assert log.records_unchanged == 1


def test_records_are_keyed_by_content_when_the_api_has_no_ids(fault_server, make_connector):
    body = [{"event": "login", "at": 1}, {"event": "logout", "at": 2}]
    connector = make_connector(api_endpoint=serve(fault_server, body), auth_type="none")

    log = run_sync(connector)

    assert log.status == SyncStatus.SUCCESS
    assert log.records_created == 2
    assert all(len(external_id) == 32 for external_id in stored_records(connector))
    assert log.checkpoint["key_mode"] == "content_hash"


def test_a_rule_every_record_fails_is_said_as_such_not_as_records_without_their_key(
    fault_server, make_connector
):
    # Before: every record failing its transformation looked like a page without the primary key: a
    # first sync warned that records were keyed by content, a re-sync stopped with "No record of the
    # first page has the primary key 'id'..." instead of naming the conversion.
    body = [{"id": 1, "phone": "1-770-736-8031 x56442"}, {"id": 2, "phone": "010-692-6593 x09125"}]
    connector = make_connector(api_endpoint=serve(fault_server, body), auth_type="none")
    assert run_sync(connector).status == SyncStatus.SUCCESS
    failing = {"type_conversions": {"phone": "int"}}
    fresh = make_connector(
        api_endpoint=connector.api_endpoint, auth_type="none", transformation_rules=failing
    )
    CustomDataConnector.objects.filter(pk=connector.pk).update(transformation_rules=failing)
    connector.refresh_from_db()

    for log in (run_sync(connector), run_sync(fresh)):
        said = " ".join([log.error_message or "", *log.warnings, *events(log)])
        assert "No record of the first page has the primary key" not in said, said
        assert "keyed by a hash" not in said, said
        assert log.status == SyncStatus.FAILED, log.error_message
        assert "2 of 2 records" in log.error_message, log.error_message
        assert "(the first: " in log.error_message, log.error_message
        assert "phone" in log.error_message, log.error_message
        errors = SyncRecordError.objects.filter(sync_log=log)
        assert errors.count() == 2
        assert all("int" in error.error for error in errors), [error.error for error in errors]
    assert sorted(stored_records(connector)) == ["1", "2"]  # the stored records are kept as they were


# -- re-syncs ----------------------------------------------------------------------------------------


def test_a_resync_of_unchanged_data_writes_no_record_rows(sample_upstream, make_connector):
    upstream = sample_upstream(records=60, page_size=20, style="page")
    connector = make_connector(upstream=upstream, transformation_rules=BENCH_RULES)
    first = run_sync(connector)
    table = SyncedRecord._meta.db_table

    with CaptureQueriesContext(connection) as queries:
        second = run_sync(connector)

    assert second.status == SyncStatus.SUCCESS
    assert (second.records_created, second.records_updated, second.records_unchanged) == (0, 0, 60)
    writes = [
        q["sql"] for q in queries.captured_queries if table in q["sql"] and "INSERT" in q["sql"].upper()
    ]
    assert writes == []
    assert set(SyncedRecord.objects.filter(connector=connector).values_list("last_sync_log", flat=True)) == {
        first.pk
    }


def test_a_resync_updates_exactly_the_changed_records(sample_upstream, make_connector):
    upstream = sample_upstream(records=60, page_size=20, style="page")
    connector = make_connector(upstream=upstream)
    run_sync(connector)
    upstream.update(version=1)

    log = run_sync(connector)

    changed = upstream.mutated_ids()
    assert (log.records_created, log.records_updated, log.records_unchanged) == (
        0,
        len(changed),
        60 - len(changed),
    )
    assert stored_records(connector)[str(changed[0])] == upstream.record(changed[0])
    assert SyncedRecord.objects.filter(connector=connector).count() == 60
    updated = SyncedRecord.objects.get(connector=connector, external_id=str(changed[0]))
    assert updated.last_sync_log_id == log.pk
    assert updated.first_synced_at < updated.last_synced_at


def test_a_record_repeated_within_a_page_is_stored_once(fault_server, make_connector):
    body = [{"id": 1, "v": "old"}, {"id": 2}, {"id": 1, "v": "new"}]
    connector = make_connector(api_endpoint=serve(fault_server, body), auth_type="none")

    log = run_sync(connector)

    assert stored_records(connector)["1"] == {"id": 1, "v": "new"}
    assert log.records_processed == 3


def test_records_of_another_connector_are_untouched(fault_server, make_connector, tenant_b):
    url = serve(fault_server, [{"id": 1, "v": "mine"}])
    mine = make_connector(api_endpoint=url, auth_type="none")
    theirs = make_connector(tenant=tenant_b, api_endpoint=url, auth_type="none")
    run_sync(theirs)

    run_sync(mine)

    assert SyncedRecord.objects.unscoped("test: every tenant").filter(external_id="1").count() == 2
    assert SyncedRecord.objects.get(connector=theirs).tenant_id == tenant_b.pk
    assert SyncedRecord.objects.get(connector=mine).tenant_id == mine.tenant_id


# -- quarantine -------------------------------------------------------------------------------------


def quarantine(log) -> dict:
    return {error.external_id or repr(error.raw_payload): error for error in log.record_errors.all()}


def test_bad_records_are_quarantined_and_the_sync_ends_partial(fault_server, make_connector, settings):
    settings.MIGRATEIQ_SYNC_ERROR_THRESHOLD = 0.5
    body = [{"id": i, "joined": "2024-01-02T03:04:05Z"} for i in range(1, 11)]
    body[1] = {"name": "no id"}
    body[2] = "not an object"
    body[3] = {"id": 4, "joined": "last tuesday"}
    connector = make_connector(
        api_endpoint=serve(fault_server, body),
        auth_type="none",
        transformation_rules={"type_conversions": {"joined": "datetime"}},
    )

    log = run_sync(connector)

    assert log.status == SyncStatus.PARTIAL
    assert (log.records_processed, log.records_created, log.records_failed) == (10, 7, 3)
    errors = list(log.record_errors.order_by("id"))
    assert [e.raw_payload for e in errors] == [
        {"name": "no id"},
        "not an object",
        {"id": 4, "joined": "last tuesday"},
    ]
    assert "no primary key 'id'" in errors[0].error
    assert "not a JSON object" in errors[1].error
    assert "'joined'" in errors[2].error and "last tuesday" in errors[2].error
    assert errors[2].external_id == "4"
    assert all(
        e.page == 1 and e.tenant_id == connector.tenant_id and e.connector_id == connector.pk for e in errors
    )
    connector.refresh_from_db()
    assert connector.last_sync_status == SyncStatus.PARTIAL
    assert connector.records_count == 7


def test_values_postgresql_cannot_store_are_quarantined_the_same_on_every_database(
    fault_server, make_connector
):
    raw = (
        '[{"id": 1, "v": 1.5}, {"id": 2, "v": NaN}, {"id": 3, "v": Infinity}, '
        '{"id": 4, "v": "a\\u0000b"}, {"id": 5, "v": "\\ud800"}, {"id": 6, "v": "\\ud83d\\ude00"}, '
        '{"id": 7, "v": "back\\\\u0000slash"}]'
    )
    fault_server.expect_request("/items").respond_with_data(raw, content_type="application/json")
    connector = make_connector(api_endpoint=fault_url(fault_server), auth_type="none")

    log = run_sync(connector)

    assert stored_ids(connector) == [1, 6, 7]
    assert stored_records(connector)["6"]["v"] == "\U0001f600"
    assert stored_records(connector)["7"]["v"] == "back\\u0000slash"
    errors = {e.external_id: e for e in log.record_errors.all()}
    assert sorted(errors) == ["2", "3", "4", "5"]
    assert "NaN or Infinity" in errors["2"].error
    assert errors["2"].raw_payload == {"id": 2, "v": "nan"}
    assert "NUL" in errors["4"].error
    assert errors["4"].raw_payload == {"id": 4, "v": "a\ufffdb"}
    assert "surrogate" in errors["5"].error


def test_more_failures_than_the_threshold_fail_the_sync(fault_server, make_connector):
    body = [{"id": i} for i in range(1, 9)] + [{"no": "id"}, {"no": "id either"}]
    connector = make_connector(api_endpoint=serve(fault_server, body), auth_type="none")

    log = run_sync(connector)

    assert log.status == SyncStatus.FAILED
    assert "2 of 10 records (20.0%)" in log.error_message
    assert "10% error threshold" in log.error_message
    assert SyncRecordError.objects.filter(sync_log=log).count() == 2
    assert stored_ids(connector) == list(range(1, 9))


def test_failures_at_the_threshold_still_end_partial(fault_server, make_connector):
    body = [{"id": i} for i in range(1, 10)] + [{"no": "id"}]
    connector = make_connector(api_endpoint=serve(fault_server, body), auth_type="none")

    log = run_sync(connector)

    assert log.status == SyncStatus.PARTIAL
    assert log.records_failed == 1


def test_the_error_threshold_is_configurable(fault_server, make_connector, settings):
    settings.MIGRATEIQ_SYNC_ERROR_THRESHOLD = 0.0
    body = [{"id": i} for i in range(1, 100)] + [{"no": "id"}]
    connector = make_connector(api_endpoint=serve(fault_server, body), auth_type="none")

    log = run_sync(connector)

    assert log.status == SyncStatus.FAILED
    assert "1 of 100 records" in log.error_message


@pytest.mark.parametrize("new_key", ["username", "no.such.field"])
def test_changing_the_primary_key_re_keys_the_records_instead_of_storing_them_twice(
    sample_upstream, make_connector, new_key
):
    upstream = sample_upstream(records=60, page_size=20, style="page")
    connector = make_connector(upstream=upstream)
    run_sync(connector)
    connector.primary_key = new_key
    connector.save(update_fields=["primary_key"])

    log = run_sync(connector)

    assert log.status == SyncStatus.SUCCESS, log.error_message
    assert log.full_refresh is True
    assert any(f"The primary key changed from 'id' to {new_key!r}" in line for line in events(log))
    live = SyncedRecord.objects.filter(connector=connector, deleted_at__isnull=True)
    assert live.count() == 60  # not 120: the records keyed by 'id' are marked deleted
    assert SyncedRecord.objects.filter(connector=connector, deleted_at__isnull=False).count() == 60
    assert CustomDataConnector.objects.get(pk=connector.pk).records_count == 60
    if new_key == "username":
        assert set(live.values_list("external_id", flat=True)) == {
            upstream.record(n)["username"] for n in range(1, 61)
        }

    again = run_sync(connector)  # the key is the same as the last run's: an ordinary re-sync
    assert again.full_refresh is False and again.records_unchanged == 60


def test_a_re_keying_run_that_fails_midway_leaves_the_re_keying_to_the_next_run(
    sample_upstream, make_connector
):
    upstream = sample_upstream(records=60, page_size=20, style="page")
    connector = make_connector(upstream=upstream)
    run_sync(connector)
    connector.primary_key = "username"
    connector.save(update_fields=["primary_key"])
    upstream.fail_after_pages = 1  # page 2 on fails

    failed = run_sync(connector)
    assert failed.status == SyncStatus.FAILED and failed.full_refresh

    upstream.heal()
    log = run_sync(connector)  # a new run, not a resume: it still re-keys

    assert log.status == SyncStatus.SUCCESS and log.full_refresh
    assert SyncedRecord.objects.filter(connector=connector, deleted_at__isnull=True).count() == 60


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("runner_thread", [False, True], ids=["inline", "background"])
def test_a_slow_run_says_how_far_it_got_between_its_milestones(
    monkeypatch, settings, fault_server, make_connector, runner_thread
):
    # A run paced to a page every few seconds said nothing until its tenth page; here every page is
    # "slow" (no time needs to pass since the last progress line).
    from sync_engine import committers

    monkeypatch.setattr(committers, "PROGRESS_EVERY_SECONDS", 0.0)
    serve_pages(fault_server, {"1": [{"id": 1}, {"id": 2}], "2": [{"id": 3}, {"id": 4}], "3": [{"id": 5}]})
    connector = page_numbered_connector(make_connector, fault_server)
    if not runner_thread:
        settings.MIGRATEIQ_SYNC_BACKGROUND_COMMITS = False

    log = run_sync(connector)

    assert log.status == SyncStatus.SUCCESS, log.error_message
    progress = [line for line in events(log) if line.endswith("records so far.")]
    assert progress[:3] == [
        "1 page, 2 records so far.",  # one page, not "1 pages"
        "2 pages, 4 records so far.",
        "3 pages, 5 records so far.",
    ]
