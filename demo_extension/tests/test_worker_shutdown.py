"""A worker asked to stop (SIGTERM, as an orchestrator does) in the middle of a sync: it exits within
its grace period (the soft shutdown of CELERY_WORKER_SOFT_SHUTDOWN_TIMEOUT, then the task goes back
to the queue), the pages it committed stay, and the run resumes from its checkpoint on another
worker, ending with the data of a clean run and no page before the checkpoint fetched again."""

import os
import signal
import time

import pytest

from demo_extension.models import SyncedRecord, SyncLog, SyncStatus
from demo_extension.services.sync import DataSyncService
from demo_extension.tests.test_celery_worker import (  # noqa: F401 - fixtures used by name
    SYNC_URL,
    broker,
    records_of,
    start_worker,
    wait_for_status,
    wait_until,
)
from sync_engine import queue as runs

pytestmark = [
    pytest.mark.celery_worker,
    pytest.mark.xdist_group("celery"),
    pytest.mark.django_db(transaction=True),
    pytest.mark.timeout(120),
]

SOFT_SHUTDOWN_SECONDS = 3


def test_a_worker_stopped_mid_sync_exits_in_time_and_the_run_resumes_from_its_checkpoint(
    start_worker,  # noqa: F811
    sample_upstream,
    make_connector,
    editor_client,
    settings,
):
    settings.MIGRATEIQ_SYNC_STALE_AFTER_SECONDS = 1
    upstream = sample_upstream(records=200, page_size=20, style="page", slow_ms=1000)
    # One request at a time, so that the worker is stopped while the sync is still going.
    connector = make_connector(upstream=upstream, name="stopped mid-sync", max_concurrent_requests=1)
    # As docker/entrypoint.sh and scripts/worker.sh start a worker.
    worker = start_worker(
        allow=[upstream.netloc],
        CELERY_WORKER_SOFT_SHUTDOWN_TIMEOUT=SOFT_SHUTDOWN_SECONDS,
        REMAP_SIGTERM="SIGQUIT",
    )

    response = editor_client.post(SYNC_URL.format(connector.pk) + "?wait=0")
    sync_log = SyncLog.objects.get(pk=response.json()["id"])

    def three_pages_committed():
        sync_log.refresh_from_db()
        return sync_log.status == SyncStatus.RUNNING and sync_log.pages_fetched >= 3

    wait_until(three_pages_committed, 30, "three committed pages")
    # The orchestrator signals the worker's main process only (PID 1 of its container).
    started = time.monotonic()
    os.kill(worker.process.pid, signal.SIGTERM)
    worker.process.wait(timeout=60)
    seconds = time.monotonic() - started

    # Soft shutdown, then the cold one: well inside the 30 s grace period of deploy/k8s and Compose.
    assert seconds < SOFT_SHUTDOWN_SECONDS + 10, f"the worker took {seconds:.1f}s"
    sync_log.refresh_from_db()
    committed_pages = sync_log.pages_fetched
    assert sync_log.status != SyncStatus.SUCCESS  # it was really stopped mid-sync
    assert 3 <= committed_pages < 10
    assert SyncedRecord.objects.filter(connector=connector).count() == committed_pages * 20

    # Resumable: the reaper hands the run to a new worker, which continues after the checkpoint.
    upstream.clear_requests()
    upstream.update(slow_ms=0)
    start_worker(allow=[upstream.netloc])

    def requeued_or_resumed():
        sync_log.refresh_from_db()
        if sync_log.status == SyncStatus.RUNNING and sync_log.heartbeat_at is not None:
            runs.reap_stale_syncs()
        return sync_log.status in (SyncStatus.PENDING, SyncStatus.SUCCESS) or sync_log.attempts >= 2

    wait_until(requeued_or_resumed, 30, "the run to be handed to the new worker")
    sync_log = wait_for_status(sync_log, SyncStatus.SUCCESS, timeout=45)
    pages_requested = sorted(int(request["query"].get("page", 1)) for request in upstream.requests)
    assert pages_requested and min(pages_requested) > committed_pages, pages_requested

    clean = make_connector(upstream=upstream, name="clean run")
    DataSyncService(clean).sync_data()
    assert records_of(connector) == records_of(clean)
    assert len(records_of(connector)) == 200
