"""Incremental syncs send the stored high-water mark and store the new one when they complete."""

import pytest

from demo_extension.models import SyncStatus
from demo_extension.sample_upstream import created_at_of
from demo_extension.services.incremental import later_cursor, validate_incremental_config
from demo_extension.tests import sync_support
from demo_extension.tests.sync_support import queried, run_sync, stored_ids

fast_retries = sync_support.fast_retries
fault_server = sync_support.fault_server
fault_server_process = sync_support.fault_server_process

INCREMENTAL = {"cursor_field": "created_at", "param": "updated_since"}


def test_the_first_incremental_sync_fetches_everything_and_stores_the_highest_cursor(
    sample_upstream, make_connector
):
    upstream = sample_upstream(records=30, page_size=10, style="page")
    connector = make_connector(upstream=upstream, incremental=INCREMENTAL)

    log = run_sync(connector)

    assert log.status == SyncStatus.SUCCESS
    assert queried(upstream, "updated_since") == [None, None, None]
    connector.refresh_from_db()
    assert connector.incremental_cursor == created_at_of(30)
    assert log.cursor_value == created_at_of(30)


def test_the_next_sync_sends_the_stored_cursor_and_gets_only_newer_records(sample_upstream, make_connector):
    upstream = sample_upstream(records=30, page_size=10, style="page")
    connector = make_connector(upstream=upstream, incremental=INCREMENTAL)
    run_sync(connector)
    upstream.update(records=42)
    upstream.clear_requests()

    log = run_sync(connector)

    assert set(queried(upstream, "updated_since")) == {created_at_of(30)}
    assert (log.records_processed, log.records_created) == (12, 12)
    assert stored_ids(connector) == list(range(1, 43))
    connector.refresh_from_db()
    assert connector.incremental_cursor == created_at_of(42)


def test_an_incremental_sync_with_nothing_new_keeps_the_cursor(sample_upstream, make_connector):
    upstream = sample_upstream(records=10, page_size=10, style="page")
    connector = make_connector(upstream=upstream, incremental=INCREMENTAL)
    run_sync(connector)

    log = run_sync(connector)

    assert log.status == SyncStatus.SUCCESS
    assert log.records_processed == 0
    connector.refresh_from_db()
    assert connector.incremental_cursor == created_at_of(10)


def test_the_initial_value_is_sent_on_the_first_sync(sample_upstream, make_connector):
    upstream = sample_upstream(records=20, page_size=10, style="page")
    connector = make_connector(
        upstream=upstream, incremental={**INCREMENTAL, "initial_value": created_at_of(15)}
    )

    log = run_sync(connector)

    assert set(queried(upstream, "updated_since")) == {created_at_of(15)}
    assert stored_ids(connector) == [16, 17, 18, 19, 20]
    assert log.records_processed == 5


def test_a_full_refresh_ignores_the_stored_cursor(sample_upstream, make_connector):
    upstream = sample_upstream(records=20, page_size=10, style="page")
    connector = make_connector(upstream=upstream, incremental=INCREMENTAL)
    run_sync(connector)
    upstream.clear_requests()

    log = run_sync(connector, full_refresh=True)

    assert queried(upstream, "updated_since") == [None, None]
    assert (log.records_processed, log.records_unchanged) == (20, 20)
    connector.refresh_from_db()
    assert connector.incremental_cursor == created_at_of(20)


def test_a_failed_sync_does_not_move_the_cursor(fast_retries, sample_upstream, make_connector):
    upstream = sample_upstream(records=30, page_size=10, style="page", fail_after_pages=1)
    connector = make_connector(upstream=upstream, incremental=INCREMENTAL)

    log = run_sync(connector)

    assert log.status == SyncStatus.FAILED
    assert log.cursor_value == created_at_of(10)
    connector.refresh_from_db()
    assert connector.incremental_cursor is None


def test_the_cursor_field_may_be_a_nested_path_and_a_number(fault_server, make_connector):
    fault_server.expect_request("/items").respond_with_json(
        {
            "data": [
                {"id": 1, "meta": {"seq": 9}},
                {"id": 2, "meta": {"seq": 12}},
                {"id": 3, "meta": {"seq": 10}},
            ]
        }
    )
    connector = make_connector(
        api_endpoint=sync_support.fault_url(fault_server),
        auth_type="none",
        incremental={"cursor_field": "meta.seq", "param": "since"},
    )

    run_sync(connector)

    connector.refresh_from_db()
    assert connector.incremental_cursor == 12


@pytest.mark.parametrize(
    ("config", "problem"),
    [
        ("updated_at", "must be an object"),
        ({"param": "since"}, "incremental.cursor_field is required"),
        ({"cursor_field": "updated_at"}, "incremental needs param"),
        ({"cursor_field": "updated_at", "param": "since", "start": 1}, "key(s) start unknown"),
        ({"cursor_field": "a..b", "param": "since"}, "dotted path"),
        ({"cursor_field": "updated_at", "param": "since", "initial_value": [1]}, "string or a number"),
    ],
)
def test_invalid_incremental_settings_are_rejected_naming_the_problem(config, problem):
    with pytest.raises(ValueError, match=problem.replace("(", r"\(").replace(")", r"\)")):
        validate_incremental_config(config)


def test_valid_incremental_settings_are_returned_normalized():
    assert validate_incremental_config(None) == {}
    assert validate_incremental_config({}) == {}
    assert validate_incremental_config(
        {"cursor_field": " updated_at ", "param": "since", "initial_value": 0}
    ) == {
        "cursor_field": "updated_at",
        "param": "since",
        "initial_value": 0,
    }


def test_cursor_values_compare_as_numbers_or_as_text():
    assert later_cursor(10, 9)
    assert not later_cursor(9, 10.5)
    assert later_cursor("2024-02-01T00:00:00Z", "2024-01-31T23:59:59Z")
    assert later_cursor("b", 1)


@pytest.mark.django_db
def test_changing_the_cursor_field_drops_the_stored_cursor_with_a_warning(
    sample_upstream, make_connector, editor_client
):
    # before: the next sync sent the old field's highest value as the new field's start
    # (updated_since=<an updated_at value> for created_at), skipping records silently
    upstream = sample_upstream(records=30, page_size=10, style="page")
    connector = make_connector(upstream=upstream, incremental=INCREMENTAL)
    run_sync(connector)
    url = f"/api/demo-extension/connectors/{connector.pk}/"

    same = editor_client.patch(url, {"incremental": {**INCREMENTAL, "initial_value": 5}}, format="json")
    assert same.status_code == 200 and same.json()["warnings"] == []
    connector.refresh_from_db()
    assert connector.incremental_cursor == created_at_of(30)  # the same field: the cursor stays

    changed = editor_client.patch(
        url, {"incremental": {"cursor_field": "id", "param": "updated_since"}}, format="json"
    )

    assert changed.status_code == 200, changed.content
    assert changed.json()["warnings"] == [
        f"incremental.cursor_field is now 'id' (was 'created_at'): the stored cursor {created_at_of(30)!r}, "
        "a value of 'created_at', was dropped, so the next sync starts from the beginning (every record)."
    ]
    connector.refresh_from_db()
    assert connector.incremental_cursor is None
    upstream.clear_requests()
    log = run_sync(connector)
    assert log.status == SyncStatus.SUCCESS
    assert queried(upstream, "updated_since") == [None, None, None]
