"""Background syncs on real Celery workers: a real Redis broker, real worker subprocesses, a real
local upstream, the test's own database (shared with the workers), and the embedded mode's
filesystem broker.

Each test gets its own queue on a Redis key prefix unique to the test run, so parallel runs on one
Redis never interfere; workers are killed (SIGKILL of their process group) at teardown.
"""

import os
import threading
import time
import uuid
from datetime import timedelta

import pytest
import redis
from django.db import connection
from django.utils import timezone
from rest_framework.test import APIClient

from conftest import token_for
from demo_extension.models import SyncedRecord, SyncLog, SyncStatus
from demo_extension.services import schedule
from demo_extension.services.sync import DataSyncService
from demo_extension.tests.worker_faults import WORKER_KILLER_PREFIX
from demo_extension.tests.worker_process import BASE_DIR, WorkerProcess, publishing_to, worker_environment
from migrateiq.embedded_broker import SCHEME, transport_options
from sync_engine import queue as runs

pytestmark = [
    pytest.mark.celery_worker,
    pytest.mark.xdist_group("celery"),
    pytest.mark.django_db(transaction=True),
    pytest.mark.timeout(90),
]

REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
RUN_PREFIX = f"migrateiq-test-{uuid.uuid4().hex[:10]}:"
SYNC_URL = "/api/demo-extension/connectors/{}/sync_data/"


def wait_until(predicate, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"Timed out after {timeout}s waiting for {what}")


def wait_for_status(sync_log, statuses, timeout: float = 30) -> SyncLog:
    statuses = {statuses} if isinstance(statuses, str) else set(statuses)

    def reached():
        sync_log.refresh_from_db()
        return sync_log.status in statuses

    wait_until(reached, timeout, f"sync log {sync_log.pk} to reach {statuses} (it is {sync_log.status})")
    return sync_log


def kill_after_pages(worker, sync_log, pages: int, timeout: float = 30) -> None:
    """Kill ``worker`` (SIGKILL) once ``sync_log`` runs with ``pages`` committed pages; the log is
    read again after."""

    def committed():
        sync_log.refresh_from_db()
        return sync_log.status == SyncStatus.RUNNING and sync_log.pages_fetched >= pages

    wait_until(committed, timeout, f"{pages} committed pages")
    worker.kill()
    sync_log.refresh_from_db()


def requeued_by_the_reaper(sync_log) -> None:
    """Wait until the reaper sees the killed run's stale heartbeat and queues it again."""
    wait_until(
        lambda: runs.reap_stale_syncs()["requeued"] == [sync_log.pk], 10, "the reaper to requeue the sync"
    )


def records_of(connector) -> list[tuple]:
    return list(
        SyncedRecord.objects.filter(connector=connector)
        .order_by("external_id")
        .values_list("external_id", "data", "checksum")
    )


@pytest.fixture
def broker():
    """A Redis queue for this test; the test process publishes to it."""
    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2).ping()
    except redis.ConnectionError as exc:
        pytest.fail(f"These tests need Redis at {REDIS_URL} (TEST_REDIS_URL): {exc}")
    queue = f"syncs-{uuid.uuid4().hex[:8]}"
    options = {"visibility_timeout": 3600, "global_keyprefix": RUN_PREFIX}
    with publishing_to(broker_url=REDIS_URL, queue=queue, transport_options=options):
        yield {"url": REDIS_URL, "queue": queue, "key_prefix": RUN_PREFIX}
    client = redis.Redis.from_url(REDIS_URL)
    keys = list(client.scan_iter(f"{RUN_PREFIX}*"))
    if keys:
        client.delete(*keys)
    client.close()


@pytest.fixture
def start_worker(tmp_path, broker):
    """A factory: ``start_worker(allow=[netloc, ...], include=(...), **env) -> WorkerProcess`` (ready)."""
    started: list[WorkerProcess] = []

    def _start(
        *, allow=(), include=(), broker_config=None, concurrency=1, command=None, beat=False, **extra_env
    ) -> WorkerProcess:
        config = broker_config or broker
        env = worker_environment(
            var_dir=tmp_path / "var",
            broker_url=config["url"],
            queue=config["queue"],
            key_prefix=config.get("key_prefix", ""),
            MIGRATEIQ_EGRESS_ALLOWLIST=",".join(allow),
            **extra_env,
        )
        log_path = tmp_path / f"worker-{len(started)}.log"
        worker = WorkerProcess(
            env, log_path, include=include, concurrency=concurrency, command=command, beat=beat
        )
        started.append(worker)
        return worker.start()

    yield _start
    for worker in started:
        worker.kill()


def test_a_sync_triggered_through_the_api_runs_on_a_worker_to_success(
    start_worker, sample_upstream, make_connector, editor_client
):
    upstream = sample_upstream(records=90, page_size=30, style="page")
    connector = make_connector(upstream=upstream)
    start_worker(allow=[upstream.netloc])

    response = editor_client.post(SYNC_URL.format(connector.pk) + "?wait=0")

    assert response.status_code == 202, response.content
    assert response.json()["status"] == SyncStatus.PENDING
    sync_log = wait_for_status(SyncLog.objects.get(pk=response.json()["id"]), SyncStatus.SUCCESS)
    assert sync_log.records_processed == 90
    assert sync_log.attempts == 1
    assert SyncedRecord.objects.filter(connector=connector).count() == 90
    connector.refresh_from_db()
    assert connector.next_sync_at > sync_log.started_at + timedelta(hours=23)


def test_a_full_refresh_allowed_to_be_empty_concludes_on_a_worker(
    start_worker, sample_upstream, make_connector, editor_client
):
    # allow_empty travels on the run to the worker: the emptied source's records are marked deleted
    upstream = sample_upstream(records=12, page_size=10, style="page", incremental_param=None)
    connector = make_connector(upstream=upstream)
    assert DataSyncService(connector).sync_data().status == SyncStatus.SUCCESS
    upstream.update(records=0)
    start_worker(allow=[upstream.netloc])

    query = "?full_refresh=true&allow_empty=true&wait=0"
    response = editor_client.post(SYNC_URL.format(connector.pk) + query)

    assert response.status_code == 202, response.content
    sync_log = wait_for_status(SyncLog.objects.get(pk=response.json()["id"]), SyncStatus.SUCCESS)
    assert (sync_log.allow_empty, sync_log.records_deleted) == (True, 12)
    assert not SyncedRecord.objects.filter(connector=connector, deleted_at__isnull=True).exists()


def test_ten_concurrent_triggers_start_one_run_and_get_nine_conflicts(
    start_worker, sample_upstream, make_connector, editor_user, tenant_a
):
    upstream = sample_upstream(records=40, page_size=20, style="page")
    connector = make_connector(upstream=upstream)
    token = token_for(editor_user, tenant_a)
    barrier = threading.Barrier(10)
    results = []

    def trigger():
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
        try:
            barrier.wait(timeout=10)
            response = client.post(SYNC_URL.format(connector.pk) + "?wait=0")
            results.append((response.status_code, response.json()))
        finally:
            connection.close()

    threads = [threading.Thread(target=trigger) for _ in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    codes = sorted(code for code, _ in results)
    assert codes == [202] + [409] * 9, results
    (started,) = [body for code, body in results if code == 202]
    conflicts = [body for code, body in results if code == 409]
    assert all(body["sync_log_id"] == started["id"] for body in conflicts), conflicts
    assert SyncLog.objects.filter(connector=connector).count() == 1

    start_worker(allow=[upstream.netloc])
    wait_for_status(SyncLog.objects.get(pk=started["id"]), SyncStatus.SUCCESS)


def test_a_sync_whose_worker_is_killed_resumes_from_its_checkpoint_on_a_new_worker(
    start_worker, sample_upstream, make_connector, editor_client, settings
):
    settings.MIGRATEIQ_SYNC_STALE_AFTER_SECONDS = 1
    upstream = sample_upstream(records=200, page_size=20, style="page", slow_ms=300)
    connector = make_connector(upstream=upstream, name="killed mid-sync")
    worker = start_worker(allow=[upstream.netloc])

    response = editor_client.post(SYNC_URL.format(connector.pk) + "?wait=0")
    sync_log = SyncLog.objects.get(pk=response.json()["id"])

    kill_after_pages(worker, sync_log, 3)
    assert sync_log.status == SyncStatus.RUNNING
    committed_pages = sync_log.pages_fetched
    committed_records = SyncedRecord.objects.filter(connector=connector).count()
    assert 0 < committed_records < 200

    # The reaper notices the stale heartbeat and queues the sync again; a new worker resumes it.
    requeued_by_the_reaper(sync_log)
    upstream.clear_requests()
    upstream.update(slow_ms=0)
    start_worker(allow=[upstream.netloc])

    sync_log = wait_for_status(sync_log, SyncStatus.SUCCESS)
    assert sync_log.attempts == 2
    pages_requested = sorted(int(request["query"].get("page", 1)) for request in upstream.requests)
    assert pages_requested and min(pages_requested) > committed_pages, pages_requested

    # The data equals a clean run of the same upstream.
    clean = make_connector(upstream=upstream, name="clean run")
    DataSyncService(clean).sync_data()
    assert records_of(connector) == records_of(clean)
    assert len(records_of(connector)) == 200


def test_an_incremental_sync_whose_worker_is_killed_keeps_the_cursor_and_resumes_from_the_same_start(
    start_worker, sample_upstream, make_connector, editor_client, settings
):
    # A run killed mid-way must not have moved the cursor, and its resumption must send the start
    # its first attempt sent: continuing page numbers from a later start would skip records.
    from demo_extension.sample_upstream import created_at_of

    settings.MIGRATEIQ_SYNC_STALE_AFTER_SECONDS = 1
    upstream = sample_upstream(records=100, page_size=20, style="page")
    connector = make_connector(
        upstream=upstream,
        name="incremental killed mid-sync",
        incremental={"cursor_field": "created_at", "param": "updated_since"},
    )
    assert DataSyncService(connector).sync_data().status == SyncStatus.SUCCESS
    upstream.update(records=300, slow_ms=300)
    upstream.clear_requests()
    worker = start_worker(allow=[upstream.netloc])

    response = editor_client.post(SYNC_URL.format(connector.pk) + "?wait=0")
    sync_log = SyncLog.objects.get(pk=response.json()["id"])

    kill_after_pages(worker, sync_log, 3)
    connector.refresh_from_db()
    assert connector.incremental_cursor == created_at_of(100)  # not the killed run's high-water mark
    requeued_by_the_reaper(sync_log)
    upstream.update(slow_ms=0)
    start_worker(allow=[upstream.netloc])

    sync_log = wait_for_status(sync_log, SyncStatus.SUCCESS)
    assert sync_log.attempts == 2
    assert {request["query"].get("updated_since") for request in upstream.requests} == {created_at_of(100)}
    assert SyncedRecord.objects.filter(connector=connector).count() == 300
    # Its page numbers were read on both sides of the restart, so a record that slid between them
    # may have been read by neither (test_sync_resume_positional.py): the cursor stays where the run
    # read from, and the next sync, reading that window again, moves it.
    connector.refresh_from_db()
    assert connector.incremental_cursor == created_at_of(100)
    assert DataSyncService(connector).sync_data().status == SyncStatus.SUCCESS
    connector.refresh_from_db()
    assert connector.incremental_cursor == created_at_of(300)


def test_a_sync_that_kills_its_worker_every_time_fails_after_the_attempt_limit(
    start_worker, sample_upstream, make_connector, settings
):
    upstream = sample_upstream(records=10, page_size=10, style="page")
    connector = make_connector(upstream=upstream, name=f"{WORKER_KILLER_PREFIX} poison")
    # Two pool processes: the redelivered message goes to the live one while the dead one is replaced.
    worker = start_worker(
        allow=[upstream.netloc],
        include=("demo_extension.tests.worker_faults",),
        concurrency=2,
        CELERY_WORKER_LOST_WAIT=1,
    )

    sync_log = runs.start_sync(connector)

    sync_log = wait_for_status(sync_log, SyncStatus.FAILED, timeout=45)
    assert sync_log.attempts == settings.MIGRATEIQ_SYNC_MAX_ATTEMPTS + 1
    assert f"after {settings.MIGRATEIQ_SYNC_MAX_ATTEMPTS} attempts" in sync_log.error_message
    assert worker.log().count("WorkerLostError") >= settings.MIGRATEIQ_SYNC_MAX_ATTEMPTS
    assert upstream.requests == []


def test_a_message_redelivered_while_its_sync_runs_does_not_run_the_sync_twice(
    start_worker, sample_upstream, make_connector
):
    # Redis hands an unacknowledged message to another worker once the visibility timeout has
    # passed (a starting worker restores such messages at once): here 1 s, while the sync would take
    # ~60 s (48 pages of 5 s, 4 requests in flight) until the second worker has had the message: on a
    # busy host a worker takes more than 12 s to start.
    upstream = sample_upstream(records=480, page_size=10, style="page", slow_ms=5000)
    connector = make_connector(upstream=upstream)
    start_worker(allow=[upstream.netloc], CELERY_VISIBILITY_TIMEOUT=1)
    sync_log = runs.start_sync(connector)

    def running():
        sync_log.refresh_from_db()
        return sync_log.status == SyncStatus.RUNNING and sync_log.pages_fetched >= 1

    wait_until(running, 30, "the sync to run")
    second = start_worker(allow=[upstream.netloc], CELERY_VISIBILITY_TIMEOUT=1)
    second.wait_for_log("succeeded", 45)
    sync_log.refresh_from_db()
    assert sync_log.status == SyncStatus.RUNNING  # the duplicate delivery left the running sync alone
    upstream.slow_ms = 0  # the rest of the sync at once

    sync_log = wait_for_status(sync_log, SyncStatus.SUCCESS)
    assert sync_log.attempts == 1
    pages = [int(request["query"].get("page", 1)) for request in upstream.requests]
    assert sorted(pages) == list(range(1, 49))
    assert SyncedRecord.objects.filter(connector=connector).count() == 480


def test_cancelling_a_running_sync_stops_it_at_a_page_boundary_and_keeps_committed_pages(
    start_worker, sample_upstream, make_connector, editor_client
):
    upstream = sample_upstream(records=200, page_size=20, style="page", slow_ms=250)
    connector = make_connector(upstream=upstream)
    start_worker(allow=[upstream.netloc])
    sync_log = SyncLog.objects.get(
        pk=editor_client.post(SYNC_URL.format(connector.pk) + "?wait=0").json()["id"]
    )

    def running_with_a_page():
        sync_log.refresh_from_db()
        return sync_log.status == SyncStatus.RUNNING and sync_log.pages_fetched >= 1

    wait_until(running_with_a_page, 30, "the first committed page")
    response = editor_client.post(f"/api/demo-extension/sync-logs/{sync_log.pk}/cancel/")

    assert response.status_code == 200, response.content
    sync_log = wait_for_status(sync_log, SyncStatus.CANCELLED, timeout=15)
    kept = SyncedRecord.objects.filter(connector=connector).count()
    assert 0 < kept < 200
    assert kept == sync_log.records_created


def test_cancelling_a_sync_whose_first_page_hangs_ends_it_within_seconds_and_frees_the_tenants_slot(
    start_worker, sample_upstream, make_connector, editor_client
):
    # The upstream answers after 40 s, past the 30 s timeout: without the cancel the run would try
    # page 1 five times, and the tenant's other sync would wait all along.
    hanging = sample_upstream(records=40, page_size=20, style="page", slow_ms=40_000)
    other = sample_upstream(records=20, page_size=20, style="page")
    stuck_connector = make_connector(upstream=hanging)
    waiting_connector = make_connector(upstream=other)
    start_worker(
        allow=[hanging.netloc, other.netloc],
        concurrency=2,
        MIGRATEIQ_TENANT_MAX_CONCURRENT_SYNCS=1,
        MIGRATEIQ_SYNC_DEFER_SECONDS=0.5,
        MIGRATEIQ_HTTP_TIMEOUT=30,
    )
    stuck = SyncLog.objects.get(
        pk=editor_client.post(SYNC_URL.format(stuck_connector.pk) + "?wait=0").json()["id"]
    )
    wait_until(lambda: hanging.requests, 30, "page 1 to be asked for")
    waiting = SyncLog.objects.get(
        pk=editor_client.post(SYNC_URL.format(waiting_connector.pk) + "?wait=0").json()["id"]
    )
    wait_until(lambda: waiting.events.filter(message__startswith="Waiting").exists(), 30, "the tenant cap")

    cancelled_at = time.monotonic()
    response = editor_client.post(f"/api/demo-extension/sync-logs/{stuck.pk}/cancel/")

    assert response.status_code == 200, response.content
    stuck = wait_for_status(stuck, (SyncStatus.CANCELLED, SyncStatus.FAILED), timeout=20)
    took = time.monotonic() - cancelled_at
    assert stuck.status == SyncStatus.CANCELLED, stuck.error_message
    assert took < 3, f"the run ended {took:.1f} s after the cancel"
    assert len(hanging.requests) == 1  # page 1 was not asked again
    assert wait_for_status(waiting, SyncStatus.SUCCESS, timeout=30).records_processed == 20


def test_cancelling_a_pending_sync_means_the_worker_never_runs_it(
    start_worker, sample_upstream, make_connector, editor_client
):
    upstream = sample_upstream(records=20, page_size=20, style="page")
    connector = make_connector(upstream=upstream)
    sync_log = SyncLog.objects.get(
        pk=editor_client.post(SYNC_URL.format(connector.pk) + "?wait=0").json()["id"]
    )

    response = editor_client.post(f"/api/demo-extension/sync-logs/{sync_log.pk}/cancel/")

    assert response.status_code == 200, response.content
    assert response.json()["status"] == SyncStatus.CANCELLED
    worker = start_worker(allow=[upstream.netloc])
    worker.wait_for_log("succeeded", 20)
    sync_log.refresh_from_db()
    assert sync_log.status == SyncStatus.CANCELLED
    assert sync_log.attempts == 0
    assert upstream.requests == []
    # The connector is free for the next sync.
    assert editor_client.post(SYNC_URL.format(connector.pk) + "?wait=0").status_code == 202


def test_the_schedule_dispatches_exactly_the_due_connectors_and_workers_run_them(
    start_worker, sample_upstream, make_connector
):
    upstream = sample_upstream(records=10, page_size=10, style="page")
    now = timezone.now()
    past = now - timedelta(minutes=5)
    due_hourly = make_connector(upstream=upstream, sync_frequency="HOURLY", next_sync_at=past)
    due_weekly = make_connector(upstream=upstream, sync_frequency="WEEKLY", next_sync_at=now)
    make_connector(upstream=upstream, sync_frequency="DAILY", next_sync_at=now + timedelta(seconds=1))
    make_connector(upstream=upstream, sync_frequency="MANUAL", next_sync_at=past)
    make_connector(upstream=upstream, sync_frequency="DAILY", next_sync_at=past, is_active=False)
    start_worker(allow=[upstream.netloc])

    started = schedule.dispatch_due_syncs(now=now)

    assert sorted(log.connector_id for log in started) == sorted([due_hourly.pk, due_weekly.pk])
    assert {log.triggered_by for log in started} == {"schedule"}
    for sync_log in started:
        wait_for_status(sync_log, SyncStatus.SUCCESS)
    assert SyncLog.objects.unscoped("test: every tenant").count() == 2


def test_embedded_mode_runs_an_api_triggered_sync_in_the_background_with_no_broker(
    tmp_path, start_worker, sample_upstream, make_connector, editor_client
):
    """The worker is ``scripts/worker.sh``, as ``make run`` starts it: embedded beat included."""
    upstream = sample_upstream(records=60, page_size=20, style="page")
    connector = make_connector(upstream=upstream)
    queue = f"syncs-{uuid.uuid4().hex[:8]}"
    options = transport_options(tmp_path / "var" / "celery")
    # The worker gets no CELERY_BROKER_URL: its settings choose the filesystem transport under var/.
    with publishing_to(broker_url=f"{SCHEME}://localhost//", queue=queue, transport_options=options):
        start_worker(
            allow=[upstream.netloc],
            broker_config={"url": None, "queue": queue},
            command=[str(BASE_DIR / "scripts" / "worker.sh")],
        )
        response = editor_client.post(SYNC_URL.format(connector.pk) + "?wait=0")
        assert response.status_code == 202, response.content
        sync_log = wait_for_status(SyncLog.objects.get(pk=response.json()["id"]), SyncStatus.SUCCESS)
    assert sync_log.records_processed == 60

    def beat_schedule_files():
        return list((tmp_path / "var").glob("celerybeat-schedule*"))

    assert wait_until(beat_schedule_files, 10, "the embedded beat's schedule file under var/")


def test_the_status_says_the_background_work_runs_while_a_worker_and_its_beat_do_and_stopped_after(
    start_worker, viewer_client, settings
):
    # The beat publishes the tick every second; the worker records it. Killed, the tick stops coming,
    # and after MIGRATEIQ_BACKGROUND_STALE_SECONDS the status (the web UI's banner) says so.
    settings.MIGRATEIQ_BACKGROUND_STALE_SECONDS = 3

    def background():
        return viewer_client.get("/api/status/").json()["background"]

    assert background()["state"] in ("starting", "stopped")
    worker = start_worker(beat=True, MIGRATEIQ_BACKGROUND_TICK_SECONDS=1)
    running = wait_until(lambda: background()["state"] == "running" and background(), 20, "the first tick")
    assert running["last_tick_at"] is not None and running["seconds_since_last_tick"] <= 3

    worker.kill()

    stopped = wait_until(
        lambda: background()["state"] == "stopped" and background(), 15, "the status to say stopped"
    )
    assert stopped["message"].startswith("Nothing has run in the background for ")
    assert "queued and scheduled syncs, destination loads and webhook deliveries wait" in stopped["message"]
