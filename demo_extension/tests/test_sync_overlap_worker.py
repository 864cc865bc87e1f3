"""A sync with several page requests in flight, killed with SIGKILL on a real Celery worker,
resumes on a new worker from its checkpoint: pages requested ahead but never committed are
fetched again, pages before the checkpoint are not, and the data equals a clean run. On a worker the
first load's pages are built in a second process: it is killed with the worker."""

import pytest

from demo_extension.models import SyncedRecord, SyncLog, SyncStatus
from demo_extension.services.prefetch import request_concurrency
from demo_extension.services.sync import DataSyncService
from demo_extension.tests import test_celery_worker as celery_support
from demo_extension.tests.test_celery_worker import (
    SYNC_URL,
    kill_after_pages,
    records_of,
    requeued_by_the_reaper,
    wait_for_status,
)

broker = celery_support.broker
start_worker = celery_support.start_worker

pytestmark = [
    pytest.mark.celery_worker,
    pytest.mark.xdist_group("celery"),
    pytest.mark.django_db(transaction=True),
    pytest.mark.timeout(90),
]


def test_an_overlapped_sync_killed_mid_run_resumes_after_its_checkpoint_with_the_data_of_a_clean_run(
    start_worker, sample_upstream, make_connector, editor_client, settings
):
    settings.MIGRATEIQ_SYNC_STALE_AFTER_SECONDS = 1
    upstream = sample_upstream(records=600, page_size=20, style="page", slow_ms=400)
    connector = make_connector(upstream=upstream, name="overlapped, killed mid-sync")
    assert request_concurrency(connector) > 1  # what the worker reads from the same row
    worker = start_worker(allow=[upstream.netloc])

    response = editor_client.post(SYNC_URL.format(connector.pk) + "?wait=0")
    sync_log = SyncLog.objects.get(pk=response.json()["id"])

    kill_after_pages(worker, sync_log, 4, timeout=40)
    committed_pages = sync_log.pages_fetched
    assert sync_log.status == SyncStatus.RUNNING
    assert sync_log.checkpoint["pagination"]["state"]["page"] == committed_pages + 1
    assert SyncedRecord.objects.filter(connector=connector).count() == 20 * committed_pages
    requested_before = {int(request["query"].get("page", 1)) for request in upstream.requests}
    # Pages past the checkpoint were on their way when the worker died.
    assert max(requested_before) > committed_pages + 1, sorted(requested_before)

    requeued_by_the_reaper(sync_log)
    upstream.clear_requests()
    upstream.update(slow_ms=20)
    start_worker(allow=[upstream.netloc])

    sync_log = wait_for_status(sync_log, SyncStatus.SUCCESS, timeout=40)
    assert sync_log.attempts == 2
    assert sync_log.records_processed == 600
    # On a worker a first load's pages were built in a second process (sync_engine/builds.py); the
    # resumed run (no longer a first load) built them in its own thread.
    built_apart = sync_log.events.filter(message__startswith="Pages are built in a second process")
    assert built_apart.count() == 1
    pages_requested = sorted(int(request["query"].get("page", 1)) for request in upstream.requests)
    # No page before the checkpoint again; every page after it exactly once.
    assert pages_requested == list(range(committed_pages + 1, 31)), pages_requested

    clean = make_connector(upstream=upstream, name="clean run")
    DataSyncService(clean).sync_data()
    assert records_of(connector) == records_of(clean)
    assert len(records_of(connector)) == 600
