"""Sync runs are claimed atomically, checkpoint every page, resume where they failed, honour
cancellation, report progress and keep a short log."""

from datetime import timedelta

import pytest
from django.utils import timezone

from core import shutdown
from demo_extension.models import SyncLog, SyncStatus, TriggeredBy
from demo_extension.services.sync import DataSyncService
from demo_extension.tests import sync_support
from demo_extension.tests.sync_support import (
    events,
    queried,
    run_sync,
    set_request_concurrency,
    stored_records,
)
from sync_engine import queue as runs
from sync_engine.errors import SyncAlreadyRunning

fast_retries = sync_support.fast_retries

RESUMABLE_STYLES = {
    "page": ({"type": "page", "page_param": "page"}, "page"),
    "offset": ({"type": "offset", "limit": 10}, "offset"),
    "cursor": ({"type": "cursor"}, "cursor"),
    "next_url": ({"type": "next_url"}, "page"),
}


def clean_run_records(make_connector, upstream):
    """What a sync without any failure stores for ``upstream``'s data."""
    clean = make_connector(upstream=upstream, name="Clean run")
    assert run_sync(clean).status == SyncStatus.SUCCESS
    return stored_records(clean)


@pytest.mark.parametrize("style", sorted(RESUMABLE_STYLES))
def test_a_failed_sync_resumes_after_its_last_committed_page_and_ends_with_the_clean_result(
    fast_retries, sample_upstream, make_connector, style
):
    pagination, position_param = RESUMABLE_STYLES[style]
    upstream = sample_upstream(records=75, page_size=10, style=style, fail_after_pages=3)
    connector = make_connector(upstream=upstream, pagination=pagination)

    failed = run_sync(connector)
    assert failed.status == SyncStatus.FAILED
    assert failed.pages_fetched == 3
    assert failed.checkpoint is not None
    upstream.heal()
    upstream.clear_requests()

    resumed = DataSyncService(connector).sync_data(sync_log=failed)

    assert resumed.pk == failed.pk
    assert resumed.status == SyncStatus.SUCCESS, resumed.error_message
    assert resumed.pages_fetched == 8
    assert resumed.records_processed == 75
    assert resumed.records_created == 75
    first_request = upstream.requests[0]["query"]
    assert first_request.get(position_param) not in (None, "", "0", "1")
    assert len(upstream.requests) == 5
    upstream.clear_requests()
    assert stored_records(connector) == clean_run_records(make_connector, upstream)
    assert any("Resuming after page 3" in message for message in events(resumed))


def test_pages_before_the_failure_are_not_fetched_again(fast_retries, sample_upstream, make_connector):
    upstream = sample_upstream(records=100, page_size=10, style="page", fail_after_pages=6)
    connector = make_connector(upstream=upstream, pagination={"type": "page"})
    failed = run_sync(connector)
    upstream.heal()
    upstream.clear_requests()

    DataSyncService(connector).sync_data(sync_log=failed)

    assert sorted(queried(upstream, "page"), key=int) == ["7", "8", "9", "10"]


def test_a_resumed_incremental_sync_sends_the_cursor_of_its_first_attempt(
    fast_retries, sample_upstream, make_connector
):
    upstream = sample_upstream(records=50, page_size=10, style="page", fail_after_pages=2)
    connector = make_connector(
        upstream=upstream,
        pagination={"type": "page"},
        incremental={"cursor_field": "created_at", "param": "updated_since", "initial_value": "2023-01-01"},
    )
    failed = run_sync(connector)
    upstream.heal()
    upstream.clear_requests()

    resumed = DataSyncService(connector).sync_data(sync_log=failed)

    assert resumed.status == SyncStatus.SUCCESS
    assert set(queried(upstream, "updated_since")) == {"2023-01-01"}


def test_a_stale_running_sync_is_taken_over_and_resumed(fast_retries, sample_upstream, make_connector):
    upstream = sample_upstream(records=40, page_size=10, style="page", fail_after_pages=2)
    connector = make_connector(upstream=upstream, pagination={"type": "page"})
    log = run_sync(connector)
    long_ago = timezone.now() - timedelta(hours=1)
    SyncLog.objects.filter(pk=log.pk).update(status=SyncStatus.RUNNING, heartbeat_at=long_ago)
    upstream.heal()
    upstream.clear_requests()

    resumed = DataSyncService(connector).sync_data(sync_log=log)

    assert resumed.status == SyncStatus.SUCCESS
    assert sorted(queried(upstream, "page")) == ["3", "4"]  # sent together: the checkpoint knows 4 pages


def test_a_running_sync_with_a_fresh_heartbeat_is_left_to_its_owner(sample_upstream, make_connector):
    upstream = sample_upstream(records=10)
    connector = make_connector(upstream=upstream)
    log = SyncLog.objects.create(
        tenant=connector.tenant, connector=connector, status=SyncStatus.RUNNING, heartbeat_at=timezone.now()
    )

    returned = DataSyncService(connector).sync_data(sync_log=log)

    assert returned.status == SyncStatus.RUNNING
    assert upstream.requests == []


def test_a_finished_sync_is_not_run_again(sample_upstream, make_connector):
    upstream = sample_upstream(records=10)
    connector = make_connector(upstream=upstream)
    log = run_sync(connector)
    upstream.clear_requests()

    returned = DataSyncService(connector).sync_data(sync_log=log)

    assert returned.status == SyncStatus.SUCCESS
    assert upstream.requests == []


def test_a_pending_log_is_claimed_and_run_with_its_own_settings(sample_upstream, make_connector, admin_user):
    upstream = sample_upstream(records=20, page_size=10, style="page")
    connector = make_connector(upstream=upstream)
    log = SyncLog.objects.create(
        tenant=connector.tenant,
        connector=connector,
        status=SyncStatus.PENDING,
        triggered_by=TriggeredBy.SCHEDULE,
        triggered_by_user=admin_user,
        attempts=1,
    )

    returned = DataSyncService(connector).sync_data(sync_log=log)

    assert returned.pk == log.pk
    assert returned.status == SyncStatus.SUCCESS
    assert returned.triggered_by == TriggeredBy.SCHEDULE
    assert returned.attempts == 1
    assert returned.started_at is not None and returned.finished_at >= returned.started_at


def test_starting_a_second_sync_while_one_is_active_raises_sync_already_running(
    sample_upstream, make_connector
):
    upstream = sample_upstream(records=10)
    connector = make_connector(upstream=upstream)
    active = SyncLog.objects.create(tenant=connector.tenant, connector=connector, status=SyncStatus.PENDING)

    with pytest.raises(SyncAlreadyRunning) as raised:
        DataSyncService(connector).sync_data()

    assert raised.value.active_log_id == active.pk
    assert upstream.requests == []
    assert SyncLog.objects.filter(connector=connector).count() == 1


def test_a_sync_without_a_log_creates_one_with_the_trigger_and_refresh_flag(sample_upstream, make_connector):
    upstream = sample_upstream(records=10)
    connector = make_connector(upstream=upstream)

    log = DataSyncService(connector).sync_data(triggered_by=TriggeredBy.API, full_refresh=True)

    assert log.triggered_by == TriggeredBy.API
    assert log.full_refresh is True
    assert log.tenant_id == connector.tenant_id
    assert SyncLog.objects.get(pk=log.pk).status == SyncStatus.SUCCESS


def test_cancelling_stops_the_sync_at_the_next_page_boundary_and_keeps_what_was_committed(
    sample_upstream, make_connector
):
    upstream = sample_upstream(records=100, page_size=10, style="page")
    connector = make_connector(upstream=upstream, pagination={"type": "page"})
    # One request at a time (test_sync_overlap covers cancelling with more in flight).
    set_request_concurrency(connector, 1)

    def cancel_after_second_page(sync_log):
        if sync_log.pages_fetched == 2:
            SyncLog.objects.filter(pk=sync_log.pk).update(cancel_requested=True)

    log = run_sync(connector, progress=cancel_after_second_page)

    assert log.status == SyncStatus.CANCELLED
    assert log.pages_fetched == 2
    assert len(stored_records(connector)) == 20
    requested = queried(upstream, "page")
    assert requested[:2] == ["1", "2"]
    # Pages 3 and 4 may have been requested ahead (two queued at most, one in flight) before the
    # cancel was seen; their answers are not stored.
    assert set(requested) <= {"1", "2", "3", "4"}
    assert log.error_message == ""
    connector.refresh_from_db()
    assert connector.last_sync_status == SyncStatus.CANCELLED


@pytest.fixture
def stopping_process():
    yield shutdown.request
    shutdown.reset()


def test_a_sync_in_a_stopping_process_ends_resumable_at_a_page_boundary_and_resumes_after_it(
    sample_upstream, make_connector, stopping_process, django_capture_on_commit_callbacks, settings
):
    upstream = sample_upstream(records=100, page_size=10, style="page")
    connector = make_connector(upstream=upstream, pagination={"type": "page"})
    set_request_concurrency(connector, 1)

    def ctrl_c_after_third_page(sync_log):
        if sync_log.pages_fetched == 3:
            stopping_process("the worker is stopping (Ctrl-C)")

    log = run_sync(connector, progress=ctrl_c_after_third_page)

    assert log.status == SyncStatus.CANCELLED
    assert log.pages_fetched == 3 and log.checkpoint
    assert len(stored_records(connector)) == 30
    assert (
        "Stopped at a page boundary: the worker is stopping (Ctrl-C). The 3 committed page(s) are kept; "
        "resume this sync to continue after page 3." in events(log)
    )
    assert runs.sync_log_can_resume(log)

    shutdown.reset()  # the next start of the service
    upstream.clear_requests()
    settings.MIGRATEIQ_SYNC_RUNNER = "inline"
    with django_capture_on_commit_callbacks(execute=True):
        runs.resume_sync(log)

    log.refresh_from_db()
    assert log.status == SyncStatus.SUCCESS
    assert len(stored_records(connector)) == 100
    assert min(int(page) for page in queried(upstream, "page")) == 4


def test_a_pending_sync_cancelled_before_it_starts_fetches_nothing(sample_upstream, make_connector):
    upstream = sample_upstream(records=10)
    connector = make_connector(upstream=upstream)
    log = SyncLog.objects.create(
        tenant=connector.tenant, connector=connector, status=SyncStatus.PENDING, cancel_requested=True
    )

    returned = DataSyncService(connector).sync_data(sync_log=log)

    assert returned.status == SyncStatus.CANCELLED
    assert upstream.requests == []


def test_progress_is_reported_and_stored_once_per_page(sample_upstream, make_connector):
    upstream = sample_upstream(records=45, page_size=10, style="page")
    connector = make_connector(upstream=upstream, pagination={"type": "page"})
    seen = []

    def progress(sync_log):
        stored = SyncLog.objects.get(pk=sync_log.pk)
        seen.append(
            (sync_log.pages_fetched, sync_log.records_processed, stored.records_processed, stored.status)
        )

    run_sync(connector, progress=progress)

    assert seen == [
        (page, min(page * 10, 45), min(page * 10, 45), SyncStatus.RUNNING) for page in range(1, 6)
    ]


def test_the_checkpoint_holds_the_next_request_and_the_heartbeat_moves(sample_upstream, make_connector):
    upstream = sample_upstream(records=30, page_size=10, style="page")
    connector = make_connector(upstream=upstream, pagination={"type": "page"})
    heartbeats = []

    def progress(sync_log):
        stored = SyncLog.objects.get(pk=sync_log.pk)
        heartbeats.append(stored.heartbeat_at)
        assert stored.checkpoint["pagination"]["state"]["page"] == stored.pages_fetched + 1

    run_sync(connector, progress=progress)

    assert len(heartbeats) == 3
    assert heartbeats == sorted(heartbeats)


def test_a_long_sync_writes_a_handful_of_log_lines_not_one_per_page(sample_upstream, make_connector):
    upstream = sample_upstream(records=1500, page_size=10, style="page")
    connector = make_connector(upstream=upstream, pagination={"type": "page"})

    log = run_sync(connector)

    assert log.pages_fetched == 150
    lines = events(log)
    assert 3 <= len(lines) <= 6
    assert lines[0] == "Sync started."
    assert lines[-1].startswith("Sync success")
    assert "1500 processed" in lines[-1]


def test_a_finished_sync_updates_the_connector(sample_upstream, make_connector):
    upstream = sample_upstream(records=25, page_size=10, style="page")
    connector = make_connector(upstream=upstream)

    log = run_sync(connector)

    connector.refresh_from_db()
    assert connector.last_sync_status == SyncStatus.SUCCESS
    assert connector.last_sync_at == log.finished_at
    assert connector.records_count == 25
    assert log.duration_seconds > 0


def test_a_crash_inside_the_engine_still_finishes_the_log(sample_upstream, make_connector, monkeypatch):
    upstream = sample_upstream(records=10)
    connector = make_connector(upstream=upstream)

    def broken(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr("sync_engine.committers.upsert_page", broken)

    log = run_sync(connector)

    assert log.status == SyncStatus.FAILED
    assert log.error_message == "Internal error (RuntimeError); see the server log."


def test_a_connector_deleted_while_its_sync_runs_stops_the_sync_quietly_and_leaves_no_records(
    sample_upstream, make_connector
):
    # before: the engine stopped at its next page (no run to write to) and then raised
    # SyncLog.DoesNotExist to its caller (the worker's task failed with a traceback)
    from demo_extension.models import CustomDataConnector, SyncedRecord

    upstream = sample_upstream(records=50, page_size=10, style="page")
    connector = make_connector(upstream=upstream, pagination={"type": "page"})
    set_request_concurrency(connector, 1)
    pk = connector.pk

    def delete_after_two_pages(sync_log):
        if sync_log.pages_fetched == 2:
            CustomDataConnector.objects.filter(pk=pk).delete()

    run = run_sync(connector, progress=delete_after_two_pages)

    assert run.pk is not None
    assert not SyncLog.objects.filter(connector_id=pk).exists()
    assert not SyncedRecord.objects.filter(connector_id=pk).exists()
