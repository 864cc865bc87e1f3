"""A record's key is the value at ``primary_key`` of the record as the transformation rules store
it: rules that change what feeds that field re-key every record, as a new ``primary_key`` does.

Before: only the ``primary_key`` text was compared. A field mapping ``legacy_id -> id`` added (or
the mapping that fed ``id`` removed, or a type conversion of ``id`` added) made the next sync store
every record again under its new key beside the old copy, and the run said SUCCESS; a failed run
resumed after such a change stored its remaining pages under keys other than its first pages'.

The upstream is a real HTTP server on 127.0.0.1: ``/items`` serves 30 records, 10 a page (``?page=``),
each with an ``id`` (1-30), a ``legacy_id`` (``L1``...) and a ``code`` (``"001"``...), under ``data``
and, wrapped in ``{"item": record}`` (no ``id`` at the top), under ``wrapped``; page 2 answers 503
while the test keeps it down.
"""

from __future__ import annotations

import pytest
from werkzeug import Response

from demo_extension.models import SyncedRecord, SyncStatus
from demo_extension.tests import sync_support
from demo_extension.tests.sync_support import events, json_body, run_sync
from sync_engine.dry_run import rekeying_warning

fast_retries = sync_support.fast_retries
fault_server = sync_support.fault_server
fault_server_process = sync_support.fault_server_process

CONNECTORS = "/api/demo-extension/connectors/"
LOGS = "/api/demo-extension/sync-logs/"
NUMBERS = range(1, 31)


class KeyedUpstream:
    def __init__(self, server):
        self.down = False
        self.name = "n"
        self.pages: list[str] = []
        server.expect_request("/items").respond_with_handler(self._answer)

    def _answer(self, request):
        page = int(request.args.get("page", "1"))
        self.pages.append(str(page))
        if page == 2 and self.down:
            return Response('{"error": "down"}', status=503, content_type="application/json")
        records = [
            {"id": number, "legacy_id": f"L{number}", "code": f"{number:03d}", "name": f"{self.name}{number}"}
            for number in NUMBERS
        ]
        chunk = records[(page - 1) * 10 : page * 10]
        body = {"data": chunk, "wrapped": [{"item": record} for record in chunk], "total_pages": 3}
        return Response(json_body(body), content_type="application/json")


@pytest.fixture
def upstream(fault_server):
    return KeyedUpstream(fault_server)


@pytest.fixture
def connector(fast_retries, fault_server, upstream, make_connector):
    connector = sync_support.paged_connector(make_connector, fault_server, primary_key="id")
    sync_support.set_request_concurrency(connector, 1)
    return connector


def live_keys(connector) -> list[str]:
    live = SyncedRecord.objects.filter(connector=connector, deleted_at__isnull=True)
    return sorted(live.values_list("external_id", flat=True))


def keys_of(rules: dict) -> list[str]:
    """The keys the upstream's records get under ``rules`` (primary_key ``id``)."""
    mapped = rules.get("field_mappings", {})
    if mapped.get("legacy_id") == "id":
        return sorted(f"L{number}" for number in NUMBERS)
    if mapped.get("code") == "id":
        key = (lambda n: str(n)) if rules.get("type_conversions", {}).get("id") == "int" else "{:03d}".format
        return sorted(key(number) for number in NUMBERS)
    return sorted(str(number) for number in NUMBERS)


# Rules before and after a change of what computes the key (primary_key "id" throughout).
KEY_CHANGES = {
    "a mapping now feeds the key": ({}, {"field_mappings": {"legacy_id": "id"}}),
    "the mapping that fed the key removed": ({"field_mappings": {"legacy_id": "id"}}, {}),
    "the key's mapping reads another field": (
        {"field_mappings": {"legacy_id": "id"}},
        {"field_mappings": {"code": "id"}},
    ),
    "a type conversion of the key added": (
        {"field_mappings": {"code": "id"}},
        {"field_mappings": {"code": "id"}, "type_conversions": {"id": "int"}},
    ),
}


@pytest.mark.parametrize("what", sorted(KEY_CHANGES))
def test_a_sync_after_the_rules_changed_what_computes_the_key_re_keys_as_a_full_refresh(connector, what):
    # before: the sync stored the 30 records again under their new keys beside the 30 old ones
    # (60 live records) and ended SUCCESS without a word
    before, after = KEY_CHANGES[what]
    connector.transformation_rules = before
    connector.save()
    first = run_sync(connector)
    assert first.status == SyncStatus.SUCCESS, first.error_message
    assert live_keys(connector) == keys_of(before)
    connector.transformation_rules = after
    connector.save()
    assert rekeying_warning(connector).startswith(
        "The transformation rules change what the primary key is computed from"
    )

    again = run_sync(connector)

    assert again.status == SyncStatus.SUCCESS, again.error_message
    assert again.full_refresh
    assert live_keys(connector) == keys_of(after)
    assert again.records_deleted == 30
    (line,) = [event for event in events(again) if "what the primary key is computed from" in event]
    assert line.startswith(
        "The transformation rules changed what the primary key is computed from since the records were "
        "stored (from 'id' ("
    )
    assert "as a full refresh" in line


def test_the_log_line_says_where_the_key_was_read_from_and_where_it_is_now(connector):
    first = run_sync(connector)
    assert first.status == SyncStatus.SUCCESS
    connector.transformation_rules = {"field_mappings": {"code": "id"}, "type_conversions": {"id": "int"}}
    connector.save()

    again = run_sync(connector)

    assert (
        "(from 'id' (read from 'id' as it is) to 'id' (read from 'code', converted to int)): this run "
        "stores every record under the new key as a full refresh" in " ".join(events(again))
    )


def test_rules_that_leave_the_key_alone_update_the_records_in_place(connector):
    assert run_sync(connector).status == SyncStatus.SUCCESS
    connector.transformation_rules = {"field_mappings": {"name": "full_name"}, "defaults": {"src": "api"}}
    connector.save()
    assert rekeying_warning(connector) == ""

    again = run_sync(connector)

    assert again.status == SyncStatus.SUCCESS, again.error_message
    assert not again.full_refresh
    assert (again.records_updated, again.records_deleted) == (30, 0)
    assert live_keys(connector) == keys_of({})


def test_a_sync_after_a_failed_first_run_under_other_key_rules_keeps_none_of_its_records(connector, upstream):
    upstream.down = True
    failed = run_sync(connector)
    assert (failed.status, failed.pages_fetched) == (SyncStatus.FAILED, 1)
    upstream.down = False
    connector.transformation_rules = {"field_mappings": {"legacy_id": "id"}}
    connector.save()

    fresh = run_sync(connector)

    assert fresh.status == SyncStatus.SUCCESS, fresh.error_message
    assert live_keys(connector) == keys_of({"field_mappings": {"legacy_id": "id"}})
    assert fresh.records_deleted == 10


@pytest.fixture
def failed_run(connector, upstream):
    """A run that stored page 1 (keys 1-10) and failed on page 2."""
    upstream.down = True
    failed = run_sync(connector)
    assert (failed.status, failed.pages_fetched) == (SyncStatus.FAILED, 1), failed.error_message
    upstream.down = False
    upstream.pages.clear()
    return failed


def test_the_api_refuses_to_resume_a_run_whose_key_rules_changed(
    connector, failed_run, upstream, editor_client
):
    # before: the resume stored pages 2-3 under "L11".."L30" beside "1".."10" and ended SUCCESS
    saved = editor_client.patch(
        f"{CONNECTORS}{connector.pk}/",
        {"transformation_rules": {"field_mappings": {"legacy_id": "id"}}},
        format="json",
    )
    assert saved.status_code == 200, saved.content

    response = editor_client.post(f"{LOGS}{failed_run.pk}/resume/?wait=0")

    assert response.status_code == 409, response.content
    message = response.json()["detail"]
    assert message.startswith(
        "The connector's transformation rules changed what its primary key is computed from since this "
        "run's checkpoint was made (from 'id' (read from 'id' as it is) to 'id' (read from 'legacy_id'))"
    )
    assert "Start a new sync instead" in message
    assert upstream.pages == []


def test_a_run_resumed_without_the_api_after_its_key_rules_changed_fails_and_sends_nothing(
    connector, failed_run, upstream
):
    connector.transformation_rules = {"field_mappings": {"legacy_id": "id"}}
    connector.save()

    resumed = run_sync(connector, sync_log=failed_run)

    assert resumed.status == SyncStatus.FAILED
    assert "changed what its primary key is computed from" in resumed.error_message
    assert upstream.pages == []
    assert live_keys(connector) == sorted(str(number) for number in range(1, 11))

    fresh = run_sync(connector)  # a new sync re-keys the 10 records of the failed run

    assert fresh.status == SyncStatus.SUCCESS, fresh.error_message
    assert live_keys(connector) == keys_of({"field_mappings": {"legacy_id": "id"}})


def test_a_run_resumed_after_rules_that_change_values_only_says_its_pages_mix_two_rule_sets(
    connector, failed_run, upstream
):
    # before: the run ended SUCCESS without a word, its first page stored with the old rules
    connector.transformation_rules = {"field_mappings": {"name": "full_name"}}
    connector.save()

    resumed = run_sync(connector, sync_log=failed_run)

    assert resumed.status == SyncStatus.SUCCESS, resumed.error_message
    assert upstream.pages == ["2", "3"]
    (warning,) = [w for w in resumed.warnings if "transformation rules changed" in w]
    assert warning.startswith(
        "The transformation rules changed since this run's checkpoint was made: the 10 record(s) of the "
        "1 page(s) committed before it were stored with the earlier rules, the pages after it with the "
        "new ones; the next sync reads them again and stores them with the new rules"
    )
    stored = dict(SyncedRecord.objects.filter(connector=connector).values_list("external_id", "data"))
    assert "name" in stored["1"] and "full_name" in stored["11"]

    again = run_sync(connector)  # as the warning says: every record now has the new rules

    assert again.status == SyncStatus.SUCCESS
    assert again.records_updated == 10
    stored = dict(SyncedRecord.objects.filter(connector=connector).values_list("external_id", "data"))
    assert all("full_name" in data and "name" not in data for data in stored.values())


def test_a_run_resumed_with_the_same_rules_has_no_such_warning(connector, failed_run):
    resumed = run_sync(connector, sync_log=failed_run)

    assert resumed.status == SyncStatus.SUCCESS, resumed.error_message
    assert [w for w in resumed.warnings if "transformation rules changed" in w] == []


# records_path changes that make the first page key its records otherwise than the stored ones.
KEY_MODE_CHANGES = {
    "records keyed by id, now by content": ("data", "wrapped", "No record of the first page has"),
    "records keyed by content, now by id": ("wrapped", "data", "The first page's records have"),
}


@pytest.mark.parametrize("what", sorted(KEY_MODE_CHANGES))
def test_a_sync_that_would_key_records_otherwise_than_the_stored_ones_stores_nothing(connector, what):
    # before: the sync stored the 30 records again beside the 30 stored (60 live records) and ended
    # SUCCESS, with a warning at most
    before, after, says = KEY_MODE_CHANGES[what]
    connector.records_path = before
    connector.save()
    assert run_sync(connector).status == SyncStatus.SUCCESS
    stored = live_keys(connector)
    connector.records_path = after
    connector.save()

    refused = run_sync(connector)

    assert refused.status == SyncStatus.FAILED
    assert refused.error_message.startswith(says)
    assert "this sync would store every record a second time beside its stored copy" in refused.error_message
    assert "then start a full refresh" in refused.error_message
    assert live_keys(connector) == stored

    refresh = run_sync(connector, full_refresh=True)  # what the message says to do

    assert refresh.status == SyncStatus.SUCCESS, refresh.error_message
    assert (refresh.records_created, refresh.records_deleted) == (30, 30)
    assert len(live_keys(connector)) == 30
    assert run_sync(connector).status == SyncStatus.SUCCESS  # and plain syncs go on from there
    assert len(live_keys(connector)) == 30


def test_an_incremental_run_resumed_after_its_rules_changed_asks_for_a_full_refresh(
    fast_retries, sample_upstream, make_connector
):
    # its next syncs read only what is after the cursor: the first page's records would keep the
    # earlier rules until a full refresh
    upstream = sample_upstream(records=30, page_size=10, style="page", fail_after_pages=1)
    connector = make_connector(
        upstream=upstream,
        pagination={"type": "page"},
        incremental={"cursor_field": "created_at", "param": "updated_since"},
    )
    failed = run_sync(connector)
    assert (failed.status, failed.pages_fetched) == (SyncStatus.FAILED, 1)
    upstream.heal()
    connector.transformation_rules = {"field_mappings": {"name": "full_name"}}
    connector.save()

    resumed = run_sync(connector, sync_log=failed)

    assert resumed.status == SyncStatus.SUCCESS, resumed.error_message
    (warning,) = [w for w in resumed.warnings if "transformation rules changed" in w]
    assert warning.endswith(
        "the pages after it with the new ones; the next syncs read only records after the incremental "
        "cursor, so they keep the earlier rules: start a full refresh to store every record with the "
        "new ones."
    )


def test_the_preview_says_a_sync_would_fail_on_records_keyed_otherwise(connector, editor_client):
    assert run_sync(connector).status == SyncStatus.SUCCESS

    response = editor_client.post(
        f"{CONNECTORS}{connector.pk}/preview/", {"records_path": "wrapped"}, format="json"
    )

    assert response.status_code == 200, response.content
    warnings = response.json()["warnings"]
    assert any(
        warning.startswith("The next sync would fail: No record of the first page has the primary key 'id'")
        for warning in warnings
    ), warnings
    same = editor_client.post(f"{CONNECTORS}{connector.pk}/preview/", {}, format="json").json()["warnings"]
    assert not any("The next sync would fail" in warning for warning in same)


def test_a_new_sync_after_a_failed_run_and_a_records_path_change_does_not_store_its_records_twice(
    connector, failed_run
):
    # the failed first run stored page 1 keyed by id; records_path now reaches records without one
    connector.records_path = "wrapped"
    connector.save()

    refused = run_sync(connector)

    assert refused.status == SyncStatus.FAILED
    assert refused.error_message.startswith("No record of the first page has the primary key 'id'")
    assert live_keys(connector) == sorted(str(number) for number in range(1, 11))
