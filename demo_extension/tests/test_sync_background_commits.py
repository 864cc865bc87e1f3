"""Outside a caller's transaction (a Celery task, the command line) pages commit on a second
connection while the next page is fetched: same data, same checkpoints, same failure handling."""

import threading

import pytest

from demo_extension.models import SyncLog, SyncLogEvent, SyncStatus
from demo_extension.services.sync import DataSyncService
from demo_extension.tests import sync_support
from demo_extension.tests.sync_support import events, queried, run_sync, stored_records
from sync_engine import committers as sync_module

fast_retries = sync_support.fast_retries

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def commit_threads(monkeypatch):
    """The names of the threads that committed pages."""
    names = []
    commit_page = sync_module.PageWriter.commit

    def recording(self, *args, **kwargs):
        names.append(threading.current_thread().name)
        return commit_page(self, *args, **kwargs)

    monkeypatch.setattr(sync_module.PageWriter, "commit", recording)
    return names


def test_pages_commit_in_a_background_thread_with_the_same_result(
    sample_upstream, make_connector, commit_threads
):
    upstream = sample_upstream(records=95, page_size=10, style="page")
    connector = make_connector(upstream=upstream, pagination={"type": "page"})
    seen = []

    log = run_sync(connector, progress=lambda sync_log: seen.append(sync_log.pages_fetched))

    assert log.status == SyncStatus.SUCCESS, log.error_message
    assert (log.records_processed, log.records_created, log.pages_fetched) == (95, 95, 10)
    assert stored_records(connector) == {str(i): upstream.record(i) for i in range(1, 96)}
    assert seen == list(range(1, 11))
    assert set(commit_threads) == {f"sync-{log.pk}-commits"}
    assert events(log)[0] == "Sync started."
    assert "10 pages, 95 records so far." in events(log)
    assert events(log)[-1].startswith("Sync success")

    again = run_sync(connector)

    assert (again.records_unchanged, again.records_created, again.records_updated) == (95, 0, 0)


def test_a_failure_midway_keeps_the_committed_pages_and_resumes_after_them(
    fast_retries, sample_upstream, make_connector
):
    upstream = sample_upstream(records=60, page_size=10, style="cursor", fail_after_pages=4)
    connector = make_connector(upstream=upstream, pagination={"type": "cursor"})

    failed = run_sync(connector)

    assert failed.status == SyncStatus.FAILED
    assert failed.pages_fetched == 4
    assert len(stored_records(connector)) == 40
    upstream.heal()
    upstream.clear_requests()

    resumed = DataSyncService(connector).sync_data(sync_log=failed)

    assert resumed.status == SyncStatus.SUCCESS
    assert len(upstream.requests) == 2
    assert stored_records(connector) == {str(i): upstream.record(i) for i in range(1, 61)}


def test_a_commit_that_fails_fails_the_sync_at_the_next_page_boundary(
    sample_upstream, make_connector, monkeypatch
):
    upstream = sample_upstream(records=50, page_size=10, style="page")
    connector = make_connector(upstream=upstream, pagination={"type": "page"})
    upsert_page = sync_module.upsert_page

    def failing_on_page_three(**kwargs):
        if "21" in kwargs["rows"]:
            raise RuntimeError("disk on fire")
        return upsert_page(**kwargs)

    monkeypatch.setattr(sync_module, "upsert_page", failing_on_page_three)

    log = run_sync(connector)

    assert log.status == SyncStatus.FAILED
    assert log.error_message == "Internal error (RuntimeError); see the server log."
    assert log.pages_fetched == 2
    assert sorted(map(int, stored_records(connector))) == list(range(1, 21))
    # Read-ahead is bounded: the failing page, one queued behind it, one in hand.
    assert len(upstream.requests) <= 5


def test_a_cancel_stops_the_sync_and_keeps_only_committed_pages(sample_upstream, make_connector):
    upstream = sample_upstream(records=200, page_size=10, style="page")
    connector = make_connector(upstream=upstream, pagination={"type": "page"})

    def cancel_at_page_three(sync_log):
        if sync_log.pages_fetched == 3:
            SyncLog.objects.filter(pk=sync_log.pk).update(cancel_requested=True)

    log = run_sync(connector, progress=cancel_at_page_three)

    assert log.status == SyncStatus.CANCELLED
    assert 3 <= log.pages_fetched <= 6
    assert len(stored_records(connector)) == log.pages_fetched * 10
    assert log.records_processed == log.pages_fetched * 10
    assert len(queried(upstream, "page")) < 20


def test_retries_are_logged_from_the_background_path(fast_retries, sample_upstream, make_connector):
    # Four pages: the requests sent together at the start are all needed, so the one that fails is
    # retried for a page the sync uses (a request past the end would be discarded, unlogged).
    upstream = sample_upstream(records=40, page_size=10, style="page", fail_first=1, fail_status=502)
    connector = make_connector(upstream=upstream, pagination={"type": "page"})

    log = run_sync(connector)

    assert log.status == SyncStatus.SUCCESS
    warnings = list(log.events.filter(level=SyncLogEvent.Level.WARNING).values_list("message", flat=True))
    assert len(warnings) == 1 and "502" in warnings[0]


def test_the_background_path_can_be_switched_off(settings, sample_upstream, make_connector, commit_threads):
    settings.MIGRATEIQ_SYNC_BACKGROUND_COMMITS = False
    connector = make_connector(upstream=sample_upstream(records=20, page_size=10, style="page"))

    run_sync(connector)

    assert set(commit_threads) == {threading.current_thread().name}
