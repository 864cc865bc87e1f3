"""Quiet pages (``committers.PageWriter``): a re-sync page with nothing to write but the counters and
the checkpoint is committed with the page after it, or once ``QUIET_COMMIT_INTERVAL`` has passed;
counts, the checkpoint and resume stay exact."""

import pytest
from django.db import connection

from demo_extension.models import SyncStatus
from demo_extension.tests import sync_support
from demo_extension.tests.sync_support import queried, run_sync, stored_records
from demo_extension.tests.test_sync_overlap import observed_upstream  # noqa: F401 - a fixture
from sync_engine import committers

fast_retries = sync_support.fast_retries


@pytest.fixture(
    params=[
        pytest.param("inline", marks=pytest.mark.django_db),
        pytest.param("background", marks=pytest.mark.django_db(transaction=True)),
    ]
)
def resynced(request, observed_upstream, make_connector):  # noqa: F811
    """A connector synced once; "background": outside a test transaction, so pages are committed by
    the committer's thread (``BackgroundCommitter``), as in production."""
    upstream = observed_upstream(records=600, page_size=20, style="page")
    connector = make_connector(upstream=upstream, pagination={"type": "page"})
    # what committers.committer_for decides by: a caller's transaction keeps the commits inline
    assert connection.in_atomic_block == (request.param == "inline")
    first = run_sync(connector)
    assert first.status == SyncStatus.SUCCESS, first.error_message
    upstream.clear_requests()
    return upstream, connector


def test_a_resync_of_unchanged_pages_commits_far_fewer_times_than_it_has_pages(resynced):
    upstream, connector = resynced
    commits = []

    log = run_sync(connector, progress=lambda run: commits.append(run.pages_fetched))

    assert log.status == SyncStatus.SUCCESS, log.error_message
    assert (log.pages_fetched, log.records_processed, log.records_unchanged) == (30, 600, 600)
    assert (log.records_created, log.records_updated) == (0, 0)
    # 30 quiet pages in well under QUIET_COMMIT_INTERVAL: the last page commits them all.
    assert commits[-1] == 30
    assert len(commits) < 10
    assert len(stored_records(connector)) == 600


def test_quiet_pages_still_commit_once_the_interval_has_passed(resynced, monkeypatch):
    upstream, connector = resynced
    monkeypatch.setattr(committers, "QUIET_COMMIT_INTERVAL", 0.0)
    commits = []

    log = run_sync(connector, progress=lambda run: commits.append(run.pages_fetched))

    assert log.status == SyncStatus.SUCCESS, log.error_message
    assert commits == list(range(1, 31))
    assert log.records_unchanged == 600


def test_a_page_with_a_change_commits_the_quiet_pages_held_before_it(resynced):
    upstream, connector = resynced
    upstream.update(version=1, mutate_every=205)  # records 205 and 410: pages 11 and 21
    commits = []

    log = run_sync(connector, progress=lambda run: commits.append((run.pages_fetched, run.records_updated)))

    assert log.status == SyncStatus.SUCCESS, log.error_message
    assert (log.records_updated, log.records_unchanged) == (2, 598)
    # pages 1-10 held, committed with page 11; pages 12-20 with page 21
    assert commits[:2] == [(11, 1), (21, 2)]
    assert commits[-1] == (30, 2)


def test_a_resync_that_fails_keeps_the_quiet_pages_before_the_failure_and_resumes_after_them(
    resynced, fast_retries
):
    upstream, connector = resynced
    upstream.fail_always = {18}

    failed = run_sync(connector)

    assert failed.status == SyncStatus.FAILED
    # The 17 quiet pages before the failure were committed with their checkpoint when the run stopped.
    assert (failed.pages_fetched, failed.records_processed, failed.records_unchanged) == (17, 340, 340)
    upstream.fail_always = set()
    upstream.clear_requests()

    resumed = run_sync(connector, sync_log=failed)

    assert resumed.status == SyncStatus.SUCCESS, resumed.error_message
    assert (resumed.pages_fetched, resumed.records_unchanged) == (30, 600)
    assert min(int(page) for page in queried(upstream, "page")) == 18
