"""Incremental syncs at their edges: ties at the cursor, lookback, cursors in several formats, records
that move while a sync pages, records without a cursor, page caps, resumes and cancels.

The upstream is a real HTTP server: ``/items?updated_since=S&page=N&per_page=K`` serves the records
whose ``updated_at`` is later than S (exclusive, compared as instants, as most APIs do), sorted by
``updated_at``, a page at a time; a test changes its records between syncs, or while a sync pages.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from demo_extension.models import SyncStatus
from demo_extension.tests import sync_support
from demo_extension.tests.sync_support import run_sync, stored_records
from sync_engine.cursors import later_cursor, shifted_back

fast_retries = sync_support.fast_retries
fault_server = sync_support.fault_server
fault_server_process = sync_support.fault_server_process

BASE = datetime(2024, 3, 1, 10, 0, 0, tzinfo=UTC)


def at(seconds: float, *, offset_hours: int = 0, fraction: bool = False) -> str:
    """The ISO 8601 text of BASE + ``seconds``, written at ``offset_hours`` (``Z`` for 0)."""
    moment = (BASE + timedelta(seconds=seconds)).astimezone(timezone(timedelta(hours=offset_hours)))
    text = moment.strftime("%Y-%m-%dT%H:%M:%S")
    if fraction:
        text += f".{moment.microsecond:06d}"[:4]
    return text + ("Z" if not offset_hours else moment.isoformat()[-6:])


def instant(text: str) -> datetime:
    return datetime.fromisoformat(text)


class ItemsUpstream:
    """The paged, filtered ``/items`` list of the module's docstring; ``after_page[n]`` runs once
    just after page n was served (a change upstream while a sync reads on)."""

    def __init__(self, server, *, order: str = "asc"):
        self.records: list[dict] = []
        self.order = order
        self.asked: list[tuple[str | None, str | None]] = []  # (updated_since, page) of each request
        self.after_page: dict[int, object] = {}
        server.expect_request("/items").respond_with_handler(self._answer)

    def put(self, record_id: int, updated_at, **fields) -> None:
        self.records = [record for record in self.records if record["id"] != record_id]
        self.records.append({"id": record_id, "updated_at": updated_at, **fields})

    def _answer(self, request):
        from werkzeug.wrappers import Response

        since = request.args.get("updated_since")
        page = int(request.args.get("page", "1"))
        size = int(request.args.get("per_page", "100"))
        self.asked.append((since, str(page)))
        kept = [
            record
            for record in self.records
            if since is None or not isinstance(record.get("updated_at"), str) or _later(record, since)
        ]
        kept.sort(key=_sort_key, reverse=self.order == "desc")
        body = sync_support.json_body(kept[(page - 1) * size : page * size])
        change = self.after_page.pop(page, None)
        if change is not None:
            change()
        return Response(body, content_type="application/json")


def _later(record, since: str) -> bool:
    return instant(record["updated_at"]) > instant(since)


def _sort_key(record):
    value = record.get("updated_at")
    return (instant(value), record["id"]) if isinstance(value, str) else (BASE, record["id"])


@pytest.fixture
def items(fault_server):
    return ItemsUpstream(fault_server)


def items_connector(make_connector, server, *, page_size: int = 10, **incremental):
    return make_connector(
        api_endpoint=sync_support.fault_url(server),
        auth_type="none",
        pagination={"type": "page", "size_param": "per_page", "page_size": page_size},
        incremental={"cursor_field": "updated_at", "param": "updated_since", **incremental},
    )


def sent_since(upstream: ItemsUpstream) -> set:
    return {since for since, _page in upstream.asked}


# --- ties at the cursor: lookback -----------------------------------------------------------------


@pytest.mark.parametrize(("lookback", "read_again"), [(None, False), (60, True)])
def test_a_record_written_in_the_second_of_the_cursor_after_a_sync_is_read_only_with_a_lookback(
    fault_server, items, make_connector, lookback, read_again
):
    # An exclusive updated_since of one-second resolution: record 3, written in the second of the
    # stored cursor after the first sync read it, is never sent again without a lookback.
    for number in (1, 2):
        items.put(number, at(number * 5))
    extra = {"lookback": lookback} if lookback is not None else {}
    connector = items_connector(make_connector, fault_server, **extra)
    assert run_sync(connector).status == SyncStatus.SUCCESS
    items.put(3, at(10))  # the same second as record 2, the stored cursor
    items.asked.clear()

    log = run_sync(connector)

    assert log.status == SyncStatus.SUCCESS
    assert ("3" in stored_records(connector)) is read_again
    if read_again:
        assert sent_since(items) == {at(10 - 60)}  # the cursor minus 60 s, written as the cursor is
        assert (log.records_created, log.records_unchanged) == (1, 2)  # read again, not written again
        connector.refresh_from_db()
        assert connector.incremental_cursor == at(10)
        assert any(
            f"sending updated_since={at(-50)} (the cursor {at(10)} minus the lookback of 60)" in e
            for e in sync_support.events(log)
        )
    else:
        assert sent_since(items) == {at(10)}


def test_a_lookback_moves_a_numeric_cursor_back_by_units(fault_server, make_connector):
    from demo_extension.tests.test_sync_incremental import SinceUpstream, numbered

    upstream = SinceUpstream(fault_server)
    upstream.records = numbered(1, 20)
    connector = make_connector(
        api_endpoint=sync_support.fault_url(fault_server),
        auth_type="none",
        incremental={"cursor_field": "seq", "param": "since", "lookback": 5},
    )
    run_sync(connector)

    again = run_sync(connector)

    assert upstream.asked == [None, "15"]
    assert (again.status, again.records_processed, again.records_unchanged) == (SyncStatus.SUCCESS, 5, 5)


def test_the_first_sync_sends_initial_value_as_it_is_whatever_the_lookback(
    fault_server, items, make_connector
):
    # before: the lookback moved initial_value back too, so the first sync asked for records after
    # at(-60) and stored record 1, written before the start the user set
    items.put(1, at(-30))
    items.put(2, at(30))
    connector = items_connector(make_connector, fault_server, initial_value=at(0), lookback=60)

    first = run_sync(connector)

    assert sent_since(items) == {at(0)}
    assert sorted(stored_records(connector)) == ["2"]
    assert any(f"sending updated_since={at(0)}." in line for line in sync_support.events(first))


def test_a_lookback_never_reaches_before_initial_value(fault_server, items, make_connector):
    # The stored cursor is 30 s after initial_value: a lookback of 60 s sends initial_value, not
    # 30 s before it (a cursor held at initial_value, or one just after it, is sent the same way).
    items.put(1, at(-30))
    items.put(2, at(30))
    connector = items_connector(make_connector, fault_server, initial_value=at(0), lookback=60)
    run_sync(connector)
    items.asked.clear()

    again = run_sync(connector)

    assert sent_since(items) == {at(0)}
    assert sorted(stored_records(connector)) == ["2"]
    assert any(
        f"sending updated_since={at(0)} (the cursor {at(30)} minus the lookback of 60, not before "
        f"initial_value {at(0)})" in line
        for line in sync_support.events(again)
    ), sync_support.events(again)
    items.put(3, at(200))
    run_sync(connector)
    items.asked.clear()
    run_sync(connector)
    assert sent_since(items) == {at(140)}  # well past initial_value, the lookback applies in full


@pytest.mark.parametrize(
    ("cursor", "lookback", "sent"),
    [
        ("2024-03-01T10:00:05Z", 60, "2024-03-01T09:59:05Z"),
        ("2024-03-01T10:00:05+02:00", 10, "2024-03-01T09:59:55+02:00"),
        ("2024-03-01T00:00:05.250-05:00", 10, "2024-02-29T23:59:55.250-05:00"),
        ("2024-03-01T10:00:05.123456789Z", 0.5, "2024-03-01T10:00:04.623456000Z"),
        ("2024-03-01 10:00:05", 5, "2024-03-01 10:00:00"),
        ("2024-03-01T10:00Z", 30, "2024-03-01T09:59Z"),  # minutes: cut, never later
        ("2024-03-01", 1, "2024-02-29"),
        (1709287205, 300, 1709286905),
        (1709287205000, 300_000, 1709286905000),
        ("1709287205", 300, "1709286905"),
        (12.5, 2, 10.5),
    ],
)
def test_a_lookback_keeps_the_cursors_format(cursor, lookback, sent):
    assert shifted_back(cursor, lookback) == sent


def test_a_lookback_on_a_cursor_that_is_neither_a_number_nor_a_timestamp_fails_the_sync(
    fault_server, items, make_connector
):
    items.put(1, "not a time")
    connector = items_connector(make_connector, fault_server, lookback=60)
    connector.incremental_cursor = "abc"
    connector.save()

    log = run_sync(connector)

    assert log.status == SyncStatus.FAILED
    assert "incremental.lookback is set, but the stored cursor 'abc' is neither a number" in log.error_message
    assert items.asked == []


# --- cursors in several formats ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("later", "earlier"),
    [
        # as text each pair sorts the other way: a text maximum is an earlier instant (a re-read)
        ("2024-03-01T11:00:00Z", "2024-03-01T12:00:00+02:00"),
        ("2024-03-01T10:00:00.5Z", "2024-03-01T10:00:00Z"),
        ("2024-03-01T10:00:01Z", "2024-03-01T10:00:00.999+00:00"),
        ("2024-03-01T08:30:00-02:00", "2024-03-01T10:00:00Z"),
        ("1000", "999"),
        ("10.5", "9.75"),
    ],
)
def test_cursor_values_compare_as_instants_and_numbers_whatever_their_format(later, earlier):
    assert later_cursor(later, earlier)
    assert not later_cursor(earlier, later)


def test_text_order_of_mixed_formats_only_ever_picks_an_earlier_cursor():
    # Why the text order was never a silent loss: its maximum is one of the values read, so never
    # later than the latest of them; the next sync read again what lay between.
    values = [
        at(0, offset_hours=2),
        at(3600),
        at(1800.5, fraction=True),
        at(1800),
        at(5400, offset_hours=-5),
        at(-3600, offset_hours=9),
    ]
    by_text = max(values)
    latest = max(values, key=instant)
    assert instant(by_text) <= instant(latest)
    assert instant(by_text) < instant(latest)  # the old order re-read; the instants' order does not
    best = values[0]
    for value in values[1:]:
        if later_cursor(value, best):
            best = value
    assert best == latest


def test_records_whose_timestamps_mix_offsets_leave_the_latest_instant_as_the_cursor(
    fault_server, items, make_connector
):
    # before: the cursor was the greatest text, 12:00:00+02:00 (10:00 UTC), not 11:00:00Z; the next
    # sync read record 2 again, every time
    items.put(1, at(0, offset_hours=2))  # 12:00:00+02:00, 10:00 UTC
    items.put(2, at(3600))  # 11:00Z, the latest
    items.put(3, at(1800, fraction=True))
    connector = items_connector(make_connector, fault_server)

    run_sync(connector)
    again = run_sync(connector)

    connector.refresh_from_db()
    assert connector.incremental_cursor == at(3600)
    assert again.records_processed == 0


class EpochUpstream:
    """``/events?updated_since=S``: the records whose ``updated`` is later than S, S in epoch seconds
    (exclusive). Its records carry epoch seconds, but some (another service's) milliseconds: the
    upstream reads each as the instant it is."""

    def __init__(self, server):
        self.records: list[dict] = []
        self.asked: list[str | None] = []
        server.expect_request("/events").respond_with_handler(self._answer)

    @staticmethod
    def seconds(value) -> float:
        return float(value) / 1000 if float(value) > 10**11 else float(value)

    def _answer(self, request):
        from werkzeug.wrappers import Response

        since = request.args.get("updated_since")
        self.asked.append(since)
        kept = [r for r in self.records if since is None or self.seconds(r["updated"]) > float(since)]
        return Response(sync_support.json_body(kept), content_type="application/json")


T = 1_709_287_200  # 2024-03-01T10:00:00Z in epoch seconds


@pytest.fixture
def epochs(fault_server):
    return EpochUpstream(fault_server)


def epoch_connector(make_connector, server):
    return make_connector(
        api_endpoint=sync_support.fault_url(server, "/events"),
        auth_type="none",
        incremental={"cursor_field": "updated", "param": "updated_since"},
    )


def test_a_cursor_field_mixing_epoch_seconds_and_milliseconds_does_not_move_the_cursor(
    fault_server, epochs, make_connector
):
    # before: record 4's milliseconds compared as a number beat every second, the cursor became
    # 1709287202000 (the year 56134 read as seconds) and the next sync, sent it, got nothing: record
    # 5, written after the first sync, was never read, and both syncs said SUCCESS
    epochs.records = [{"id": n, "updated": T + n} for n in (1, 2, 3)] + [{"id": 4, "updated": (T + 2) * 1000}]
    connector = epoch_connector(make_connector, fault_server)

    first = run_sync(connector)

    assert first.status == SyncStatus.SUCCESS
    connector.refresh_from_db()
    assert connector.incremental_cursor is None
    assert any(
        "incremental.cursor_field 'updated' holds epoch timestamps in different units (such as "
        f"{T + 1} in seconds and {(T + 2) * 1000} in milliseconds)" in warning
        for warning in first.warnings
    ), first.warnings
    epochs.records.append({"id": 5, "updated": T + 10})
    second = run_sync(connector)
    assert second.status == SyncStatus.SUCCESS
    assert "5" in stored_records(connector)
    assert (second.records_created, second.records_unchanged) == (1, 4)


def test_milliseconds_after_a_cursor_in_seconds_keep_the_cursor_where_the_run_read_from(
    fault_server, epochs, make_connector
):
    epochs.records = [{"id": n, "updated": T + n} for n in (1, 2, 3)]
    connector = epoch_connector(make_connector, fault_server)
    run_sync(connector)
    connector.refresh_from_db()
    assert connector.incremental_cursor == T + 3
    epochs.records.append({"id": 4, "updated": (T + 4) * 1000})

    mixed = run_sync(connector)

    assert mixed.status == SyncStatus.SUCCESS
    assert "4" in stored_records(connector)
    connector.refresh_from_db()
    assert connector.incremental_cursor == T + 3  # not 1709287204000
    assert any("and the cursor this run read from" in warning for warning in mixed.warnings), mixed.warnings
    epochs.records.append({"id": 5, "updated": T + 10})
    assert "5" not in stored_records(connector)
    assert run_sync(connector).records_created == 1
    assert "5" in stored_records(connector)


def test_an_epoch_number_dated_in_the_future_does_not_become_the_cursor(fault_server, epochs, make_connector):
    # before: numbers were not judged, so the placeholder 9999999999 (the year 2286 in epoch seconds)
    # became the cursor and every later sync asked for records after it: record 4 was never read
    epochs.records = [{"id": n, "updated": T + n} for n in (1, 2)] + [{"id": 3, "updated": 9_999_999_999}]
    connector = epoch_connector(make_connector, fault_server)

    first = run_sync(connector)

    connector.refresh_from_db()
    assert connector.incremental_cursor == T + 2
    assert any(
        "1 record(s) had an incremental cursor dated after tomorrow (such as '9999999999')" in warning
        for warning in first.warnings
    ), first.warnings
    epochs.records.append({"id": 4, "updated": T + 50})
    assert run_sync(connector).status == SyncStatus.SUCCESS
    assert "4" in stored_records(connector)


def test_epoch_units_are_told_by_magnitude_and_other_numbers_are_not_judged():
    from sync_engine.cursors import epoch_unit

    assert [epoch_unit(value) for value in (T, float(T) + 0.5, str(T))] == ["seconds"] * 3
    assert [epoch_unit(value) for value in (T * 1000, str(T * 1000))] == ["milliseconds"] * 2
    assert epoch_unit(T * 10**6) == "microseconds"
    assert epoch_unit(T * 10**9) == "nanoseconds"
    assert [epoch_unit(value) for value in (1, 20, 12.5, 10**11, "abc", at(5), True, None)] == [None] * 8


# --- records without a cursor ---------------------------------------------------------------------


def test_records_without_a_usable_cursor_value_are_stored_and_do_not_become_the_cursor(
    fault_server, items, make_connector
):
    # before: true, {"at": ...} and "" compared as text with the timestamps ("True" > "2024-…"), so
    # the cursor became true, sent as updated_since=True
    items.put(1, at(5))
    items.put(2, at(10))
    items.put(3, True)
    items.put(4, None)
    items.put(5, {"at": at(99)})
    items.records.append({"id": 6})
    connector = items_connector(make_connector, fault_server)

    log = run_sync(connector)

    assert log.status == SyncStatus.SUCCESS
    assert sorted(stored_records(connector), key=int) == ["1", "2", "3", "4", "5", "6"]
    connector.refresh_from_db()
    assert connector.incremental_cursor == at(10)
    assert any(
        "4 record(s) had no number or text at incremental.cursor_field 'updated_at' (such as True): they "
        "are stored, but the incremental cursor does not track them" in warning
        for warning in log.warnings
    ), log.warnings


def test_a_record_dated_in_the_future_does_not_become_the_cursor(fault_server, items, make_connector):
    # before: the cursor became 9999-12-31T00:00:00Z, and every later sync asked for records after it,
    # so record 3, written after the first sync, was never read
    items.put(1, at(5))
    items.put(2, "9999-12-31T00:00:00Z")
    connector = items_connector(make_connector, fault_server)

    first = run_sync(connector)

    connector.refresh_from_db()
    assert connector.incremental_cursor == at(5)
    assert any(
        "1 record(s) had an incremental cursor dated after tomorrow (such as '9999-12-31T00:00:00Z')" in w
        for w in first.warnings
    ), first.warnings
    items.put(3, at(50))
    second = run_sync(connector)
    assert second.status == SyncStatus.SUCCESS
    assert "3" in stored_records(connector)
    assert (second.records_created, second.records_unchanged) == (1, 1)  # record 2 read again, unchanged


def test_a_cursor_field_no_record_has_warns_and_never_moves_the_cursor(fault_server, items, make_connector):
    items.put(1, at(5))
    connector = make_connector(
        api_endpoint=sync_support.fault_url(fault_server),
        auth_type="none",
        incremental={"cursor_field": "updatedAt", "param": "updated_since"},
    )

    log = run_sync(connector)

    assert log.status == SyncStatus.SUCCESS
    connector.refresh_from_db()
    assert connector.incremental_cursor is None
    assert any("If no record has it, the path is probably wrong" in warning for warning in log.warnings)


# --- page caps ----------------------------------------------------------------------------------------


def test_a_run_stopped_at_max_pages_of_a_newest_first_list_keeps_the_cursor(fault_server, make_connector):
    # before: the cursor moved to the newest record of page 1; the next sync asked for records after
    # it, and records 1-20 (pages 2 and 3) were never read
    upstream = ItemsUpstream(fault_server, order="desc")
    for number in range(1, 31):
        upstream.put(number, at(number))
    connector = items_connector(make_connector, fault_server)
    connector.max_pages = 1
    connector.save()

    capped = run_sync(connector)

    assert capped.status == SyncStatus.PARTIAL
    connector.refresh_from_db()
    assert connector.incremental_cursor is None
    assert any(
        "does not serve records in ascending order of 'updated_at'" in warning for warning in capped.warnings
    ), capped.warnings
    connector.max_pages = 0
    connector.save()
    full = run_sync(connector)
    assert full.status == SyncStatus.SUCCESS
    assert len(stored_records(connector)) == 30
    connector.refresh_from_db()
    assert connector.incremental_cursor == at(30)


def test_a_run_stopped_at_max_pages_of_an_oldest_first_list_continues_from_its_cursor(
    fault_server, items, make_connector
):
    for number in range(1, 31):
        items.put(number, at(number))
    connector = items_connector(make_connector, fault_server)
    connector.max_pages = 1
    connector.save()

    runs = [run_sync(connector) for _ in range(4)]

    # the third's full page may have a next one; the fourth finds nothing after it
    assert [run.status for run in runs] == [SyncStatus.PARTIAL] * 3 + [SyncStatus.SUCCESS]
    assert len(stored_records(connector)) == 30
    assert [since for since, page in items.asked if page == "1"] == [None, at(10), at(20), at(30)]


# --- records that move while a sync pages -----------------------------------------------------------


def test_a_record_updated_to_the_front_of_a_newest_first_list_while_a_sync_pages_is_read_by_the_next(
    fault_server, make_connector
):
    # Newest first: record 5, on page 3, is updated once page 1 was served and moves to the front,
    # which this run has read; it is not read by this run, and the next incremental sync gets it.
    upstream = ItemsUpstream(fault_server, order="desc")
    for number in range(1, 31):
        upstream.put(number, at(number), v=1)
    connector = items_connector(make_connector, fault_server)
    sync_support.set_request_concurrency(connector, 1)  # pages in order, none asked ahead
    upstream.after_page[1] = lambda: upstream.put(5, at(100), v=2)

    first = run_sync(connector)

    assert first.status == SyncStatus.SUCCESS
    assert "5" not in stored_records(connector)  # read neither where it was nor where it went
    connector.refresh_from_db()
    assert instant(connector.incremental_cursor) < instant(at(100))
    second = run_sync(connector)
    assert second.status == SyncStatus.SUCCESS
    assert stored_records(connector)["5"]["v"] == 2
    assert len(stored_records(connector)) == 30


def test_a_record_updated_to_the_end_of_an_oldest_first_list_while_a_sync_pages_skips_none(
    fault_server, items, make_connector
):
    # Oldest first, page numbers: record 5 (page 1) is updated once page 1 was served and moves to
    # the end; every record behind it moves one place forward, so record 11 becomes page 1's last and
    # page 2 starts at record 12. The run must not end SUCCESS with a cursor past record 11.
    for number in range(1, 31):
        items.put(number, at(number), v=1)
    connector = items_connector(make_connector, fault_server)
    run_sync(connector)
    for number in range(1, 31):
        items.put(number, at(100 + number), v=2)
    sync_support.set_request_concurrency(connector, 1)
    items.after_page[1] = lambda: items.put(5, at(200), v=3)

    moved = run_sync(connector)

    assert stored_records(connector)["11"]["v"] == 1  # not read by this run
    assert moved.status == SyncStatus.PARTIAL
    connector.refresh_from_db()
    assert connector.incremental_cursor == at(30)  # where it read from
    again = run_sync(connector)
    assert again.status == SyncStatus.SUCCESS
    assert {record["v"] for key, record in stored_records(connector).items() if key != "5"} == {2}


def page_two_down(server, upstream: ItemsUpstream) -> dict:
    """Make ``server`` answer page 2 with a 503 while the returned ``state["down"]`` is true."""
    from werkzeug.wrappers import Response

    state = {"down": True}

    def answer(request):
        if request.args.get("page") == "2" and state["down"]:
            return Response('{"error": "down"}', status=503, content_type="application/json")
        return upstream._answer(request)

    server.clear()
    server.expect_request("/items").respond_with_handler(answer)
    return state


# --- full refresh, resume, cancel -------------------------------------------------------------------


def test_a_resumed_run_ends_with_the_latest_cursor_of_every_page_it_committed(
    fast_retries, fault_server, make_connector
):
    # A newest-first list: the latest cursor is on page 1, which the attempt that failed committed.
    upstream = ItemsUpstream(fault_server, order="desc")
    for number in range(1, 31):
        upstream.put(number, at(number))
    connector = items_connector(make_connector, fault_server)
    state = page_two_down(fault_server, upstream)
    failed = run_sync(connector)
    assert (failed.status, failed.pages_fetched) == (SyncStatus.FAILED, 1)
    connector.refresh_from_db()
    assert connector.incremental_cursor is None
    state["down"] = False

    resumed = run_sync(connector, sync_log=failed)

    assert resumed.status == SyncStatus.SUCCESS
    assert resumed.cursor_value == at(30)  # page 1's, committed by the first attempt
    assert len(stored_records(connector)) == 30
    # Page numbers read on both sides of a resume may have skipped a record that slid between them
    # (test_sync_resume_positional.py): the connector keeps the cursor the run read from, and the
    # next sync, reading the window again, moves it.
    connector.refresh_from_db()
    assert connector.incremental_cursor is None
    assert run_sync(connector).status == SyncStatus.SUCCESS
    connector.refresh_from_db()
    assert connector.incremental_cursor == at(30)


def test_a_failed_run_is_not_resumed_once_its_incremental_setting_changed(
    fast_retries, fault_server, make_connector
):
    # before: attempt 1 read page 1 of the records after at(-1200) (the cursor minus the lookback);
    # the resume, with the lookback removed, read page 2 of the records after at(0), a list 15
    # records shorter: records 16-25 moved up into page 1, were read by neither attempt, and the
    # cursor went past them
    upstream = ItemsUpstream(fault_server)
    for number in range(1, 41):
        upstream.put(number, at(number * 60 - 900))
    connector = items_connector(make_connector, fault_server, lookback=1200)
    connector.incremental_cursor = at(0)
    connector.save()
    state = page_two_down(fault_server, upstream)
    sync_support.set_request_concurrency(connector, 1)
    failed = run_sync(connector)
    assert (failed.status, failed.pages_fetched) == (SyncStatus.FAILED, 1)
    state["down"] = False
    connector.incremental = {"cursor_field": "updated_at", "param": "updated_since"}
    connector.save()

    resumed = run_sync(connector, sync_log=failed)

    assert resumed.status == SyncStatus.FAILED
    assert "incremental setting (its param, body_filter, lookback or cursor_field) changed" in (
        resumed.error_message
    )
    connector.refresh_from_db()
    assert connector.incremental_cursor == at(0)
    fresh = run_sync(connector)
    assert fresh.status == SyncStatus.SUCCESS
    # records 11-15 lie before at(0), the stored cursor: only the first attempt's lookback reached them
    assert sorted(int(key) for key in stored_records(connector)) == [*range(1, 11), *range(16, 41)]


def test_a_cancelled_run_keeps_the_cursor(fault_server, items, make_connector):
    from sync_engine.models import SyncLog

    for number in range(1, 31):
        items.put(number, at(number))
    connector = items_connector(make_connector, fault_server)
    run_sync(connector)
    for number in range(31, 61):
        items.put(number, at(number))

    def cancel_after_first_page(sync_log):
        if sync_log.pages_fetched == 1:
            SyncLog.objects.filter(pk=sync_log.pk).update(cancel_requested=True)

    sync_support.set_request_concurrency(connector, 1)
    cancelled = run_sync(connector, progress=cancel_after_first_page)

    assert cancelled.status == SyncStatus.CANCELLED
    connector.refresh_from_db()
    assert connector.incremental_cursor == at(30)
    after = run_sync(connector)
    assert after.status == SyncStatus.SUCCESS
    assert len(stored_records(connector)) == 60
