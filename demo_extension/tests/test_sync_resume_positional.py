"""A run resumed over pages asked for by position (page numbers, offsets) reads its pages in two
attempts, minutes or days apart. A record deleted (or added) upstream in between, on a page the
first attempt read, moves every later record a place: the one that slides onto a page already read
is read by neither attempt. Such a run must not conclude from what it did not read: a full refresh
marks nothing deleted (it ends PARTIAL, saying so), and an incremental run keeps the cursor it read
from, so that the next sync reads the window again.

The upstream is a real HTTP server on 127.0.0.1: ``/items?page=N`` serves its records ten a page
(sorted by id, each with an ``updated_at``), under ``data``, with ``total_pages``; page 2 answers
503 while ``down`` is set.
"""

from __future__ import annotations

import pytest
from werkzeug import Response

from demo_extension.models import SyncedRecord, SyncStatus
from demo_extension.tests import sync_support
from demo_extension.tests.sync_support import json_body, run_sync, stored_records

fast_retries = sync_support.fast_retries
fault_server = sync_support.fault_server
fault_server_process = sync_support.fault_server_process


def stamp(number: int) -> str:
    return f"2024-03-01T10:{number // 60:02d}:{number % 60:02d}Z"


class ShrinkingUpstream:
    def __init__(self, server):
        self.down = False
        self.ids = list(range(1, 31))
        self.since_asked: list[str | None] = []
        server.expect_request("/items").respond_with_handler(self._answer)

    def _answer(self, request):
        page = int(request.args.get("page", "1"))
        if page == 2 and self.down:
            return Response('{"error": "down"}', status=503, content_type="application/json")
        since = request.args.get("updated_since")
        self.since_asked.append(since)
        ids = [number for number in self.ids if since is None or stamp(number) > since]
        chunk = ids[(page - 1) * 10 : page * 10]
        body = {
            "data": [{"id": n, "updated_at": stamp(n)} for n in chunk],
            "total_pages": (len(ids) + 9) // 10,
        }
        return Response(json_body(body), content_type="application/json")


@pytest.fixture
def upstream(fault_server):
    return ShrinkingUpstream(fault_server)


def connector_of(make_connector, server, **fields):
    connector = sync_support.paged_connector(make_connector, server, **fields)
    sync_support.set_request_concurrency(connector, 1)
    return connector


def live_ids(connector) -> list[int]:
    live = SyncedRecord.objects.filter(connector=connector, deleted_at__isnull=True)
    return sorted(int(key) for key in live.values_list("external_id", flat=True))


def test_a_resumed_full_refresh_of_numbered_pages_marks_nothing_deleted(
    fast_retries, fault_server, upstream, make_connector
):
    # before: records 1-3 were deleted upstream between the attempts; records 11-13 slid onto
    # page 1, read by neither attempt, and the resumed refresh ended SUCCESS marking them deleted
    # (live upstream) while 1-3 (gone) stayed live
    connector = connector_of(make_connector, fault_server)
    assert run_sync(connector).status == SyncStatus.SUCCESS
    upstream.down = True
    failed = run_sync(connector, full_refresh=True)
    assert (failed.status, failed.pages_fetched) == (SyncStatus.FAILED, 1)
    upstream.down = False
    upstream.ids = [number for number in upstream.ids if number > 3]

    resumed = run_sync(connector, sync_log=failed)

    assert resumed.status == SyncStatus.PARTIAL
    assert resumed.records_deleted == 0
    assert live_ids(connector) == list(range(1, 31))  # nothing live upstream marked deleted
    assert "This full refresh was resumed" in resumed.error_message
    assert "None is marked deleted" in resumed.error_message
    again = run_sync(connector, full_refresh=True)
    assert again.status == SyncStatus.SUCCESS
    assert live_ids(connector) == list(range(4, 31))


def test_a_full_refresh_read_in_one_attempt_still_marks_deleted_records(
    fault_server, upstream, make_connector
):
    connector = connector_of(make_connector, fault_server)
    run_sync(connector)
    upstream.ids = [number for number in upstream.ids if number > 3]

    refresh = run_sync(connector, full_refresh=True)

    assert (refresh.status, refresh.records_deleted) == (SyncStatus.SUCCESS, 3)


def test_a_resumed_incremental_run_of_numbered_pages_keeps_the_cursor_it_read_from(
    fast_retries, fault_server, upstream, make_connector
):
    # before: records 11-13 slid onto page 1 between the attempts, were read by neither, and the
    # cursor moved to record 30's: no later sync asked for them again
    connector = connector_of(
        make_connector, fault_server, incremental={"cursor_field": "updated_at", "param": "updated_since"}
    )
    upstream.down = True
    failed = run_sync(connector)
    assert (failed.status, failed.pages_fetched) == (SyncStatus.FAILED, 1)
    upstream.down = False
    upstream.ids = [number for number in upstream.ids if number > 3]

    resumed = run_sync(connector, sync_log=failed)

    assert resumed.status == SyncStatus.SUCCESS
    assert sorted(int(key) for key in stored_records(connector)) == [*range(1, 11), *range(14, 31)]
    connector.refresh_from_db()
    assert connector.incremental_cursor is None  # where the run read from
    assert any(
        "was resumed, and its pages are asked for by position" in warning for warning in resumed.warnings
    ), resumed.warnings
    assert run_sync(connector).status == SyncStatus.SUCCESS
    assert sorted(int(key) for key in stored_records(connector)) == list(range(1, 31))
    connector.refresh_from_db()
    assert connector.incremental_cursor == stamp(30)
