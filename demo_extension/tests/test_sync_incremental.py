"""Incremental syncs send the stored high-water mark and store the new one when they complete."""

import pytest

from demo_extension.models import SyncStatus
from demo_extension.sample_upstream import created_at_of
from demo_extension.services.incremental import later_cursor, validate_incremental_config
from demo_extension.tests import sync_support
from demo_extension.tests.sync_support import queried, run_sync, stored_ids, stored_records

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


# --- quarantined records hold the cursor --------------------------------------------------------


class SinceUpstream:
    """Records ``{"id", "seq", "n"}`` served by ``/items?since=S`` as the records whose ``seq`` is
    greater than S (as most APIs' ``updated_since``), one page; ``records`` is changed by the test."""

    def __init__(self, server):
        self.records: list[dict] = []
        self.asked: list[str | None] = []
        server.expect_request("/items").respond_with_handler(self._answer)

    def _answer(self, request):
        from werkzeug.wrappers import Response

        since = request.args.get("since")
        self.asked.append(since)
        kept = [
            record
            for record in self.records
            if since is None or type(record) is not dict or record["seq"] > int(since)
        ]
        return Response(sync_support.json_body({"data": kept}), content_type="application/json")


def numbered(first: int, last: int, *, bad=()) -> list[dict]:
    """Records first..last, ``n`` a number, but a word for the ids in ``bad`` (an ``int`` conversion
    of ``n`` quarantines them)."""
    return [{"id": i, "seq": i, "n": f"number {i}" if i in bad else i} for i in range(first, last + 1)]


CONVERT_N = {"type_conversions": {"n": "int"}}
FIXED_RULES = {"type_conversions": {"n": "str"}}


@pytest.fixture
def since_upstream(fault_server):
    return SinceUpstream(fault_server)


def since_connector(make_connector, server, **fields):
    return make_connector(
        api_endpoint=sync_support.fault_url(server),
        auth_type="none",
        incremental={"cursor_field": "seq", "param": "since"},
        **fields,
    )


def test_quarantined_records_are_read_again_by_the_next_sync_once_the_rules_are_fixed(
    fault_server, since_upstream, make_connector
):
    # before: the run advanced the cursor past the quarantined record (to 20), so the next sync, with
    # the rules fixed, asked for since=20, got nothing and ended SUCCESS without record 4, ever
    since_upstream.records = numbered(1, 20, bad={4})
    connector = since_connector(make_connector, fault_server, transformation_rules=CONVERT_N)

    first = run_sync(connector)

    assert (first.status, first.records_failed, first.cursor_value) == (SyncStatus.PARTIAL, 1, 20)
    connector.refresh_from_db()
    assert connector.incremental_cursor is None
    assert any(
        "Records were quarantined for what the connector's rules decide (a transformation error, the "
        "primary key), so the incremental cursor is left unset (instead of moving to 20): the next sync "
        "reads them again" in warning
        for warning in first.warnings
    ), first.warnings
    connector.transformation_rules = FIXED_RULES
    connector.save()

    fixed = run_sync(connector)

    assert since_upstream.asked == [None, None]
    assert fixed.status == SyncStatus.SUCCESS
    assert stored_records(connector)["4"]["n"] == "number 4"
    assert len(stored_records(connector)) == 20
    connector.refresh_from_db()
    assert connector.incremental_cursor == 20
    assert not any("quarantined" in warning for warning in fixed.warnings)


def test_a_run_that_quarantines_keeps_the_cursor_it_read_from_until_they_are_stored(
    fault_server, since_upstream, make_connector
):
    since_upstream.records = numbered(1, 10)
    connector = since_connector(make_connector, fault_server, transformation_rules=CONVERT_N)
    assert run_sync(connector).status == SyncStatus.SUCCESS
    since_upstream.records = numbered(1, 30, bad={14})

    held = run_sync(connector)
    again = run_sync(connector)  # still failing: read again from the same place

    assert since_upstream.asked == [None, "10", "10"]
    assert (held.status, held.records_failed, again.records_failed) == (SyncStatus.PARTIAL, 1, 1)
    assert again.records_unchanged == 19  # the records stored already are skipped, not written again
    connector.refresh_from_db()
    assert connector.incremental_cursor == 10
    connector.transformation_rules = {"type_conversions": {"n": "str"}, "include_unmapped": True}
    connector.save()

    fixed = run_sync(connector)

    assert since_upstream.asked[-1] == "10"
    assert fixed.status == SyncStatus.SUCCESS
    assert stored_records(connector)["14"]["n"] == "number 14"
    connector.refresh_from_db()
    assert connector.incremental_cursor == 30


def test_a_full_refresh_that_quarantines_resets_the_cursor_to_where_it_read_from(
    fault_server, since_upstream, make_connector
):
    # The records a full refresh quarantined may lie before the cursor stored before it: keeping that
    # cursor would skip them as surely as advancing it.
    since_upstream.records = numbered(1, 20)
    connector = since_connector(make_connector, fault_server)
    run_sync(connector)
    connector.refresh_from_db()
    assert connector.incremental_cursor == 20
    since_upstream.records = numbered(1, 20, bad={3})
    connector.transformation_rules = CONVERT_N
    connector.save()

    refresh = run_sync(connector, full_refresh=True)

    assert (refresh.status, refresh.records_failed) == (SyncStatus.PARTIAL, 1)
    connector.refresh_from_db()
    assert connector.incremental_cursor is None
    connector.transformation_rules = FIXED_RULES
    connector.save()
    fixed = run_sync(connector)
    assert since_upstream.asked == [None, None, None]
    assert fixed.status == SyncStatus.SUCCESS
    assert stored_records(connector)["3"]["n"] == "number 3"


def test_records_no_rule_stores_do_not_hold_the_cursor(fault_server, since_upstream, make_connector):
    # not an object, a NUL in a string: no rule makes them storable, so holding the cursor would only
    # make every later sync read them again
    since_upstream.records = [*numbered(1, 30), {"id": 31, "seq": 31, "n": "a\u0000b"}, "not an object"]
    connector = since_connector(make_connector, fault_server)

    log = run_sync(connector)

    assert (log.status, log.records_failed) == (SyncStatus.PARTIAL, 2)
    connector.refresh_from_db()
    assert connector.incremental_cursor == 31
    assert not any("incremental cursor" in warning for warning in log.warnings)


def test_a_resumed_run_keeps_holding_the_cursor_for_a_record_quarantined_before_it_stopped(
    fast_retries, fault_server, make_connector
):
    from werkzeug.wrappers import Response

    pages = {"1": numbered(1, 20, bad={4}), "2": numbered(21, 40)}
    state = {"down": True}

    def answer(request):
        page = request.args.get("page", "1")
        if page == "2" and state["down"]:
            return Response('{"error": "down"}', status=503, content_type="application/json")
        return Response(sync_support.json_body(pages.get(page, [])), content_type="application/json")

    fault_server.expect_request("/items").respond_with_handler(answer)
    connector = since_connector(
        make_connector, fault_server, pagination={"type": "page"}, transformation_rules=CONVERT_N
    )
    failed = run_sync(connector)
    assert (failed.status, failed.records_failed, failed.pages_fetched) == (SyncStatus.FAILED, 1, 1)
    state["down"] = False

    resumed = run_sync(connector, sync_log=failed)

    assert (resumed.status, resumed.records_failed, resumed.cursor_value) == (SyncStatus.PARTIAL, 1, 40)
    connector.refresh_from_db()
    assert connector.incremental_cursor is None  # page 1's quarantined record holds it
