"""Background sync runs (services/runs.py): start, queue after commit, one at a time, attempts,
cancel, resume, the stale-run reaper and the inline runner. The real worker is in
test_celery_worker.py."""

import time
from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone

from demo_extension import tasks
from demo_extension.models import SyncedRecord, SyncLog, SyncLogEvent, SyncStatus
from sync_engine import queue as runs

SYNC_URL = "/api/demo-extension/connectors/{}/sync_data/"


@pytest.fixture
def published(monkeypatch):
    """The sync log ids published to the broker (nothing reaches a real broker)."""
    sent = []

    def send_task(name, args=(), **options):
        assert name == runs.RUN_SYNC_TASK
        sent.append(args[0])

    monkeypatch.setattr(runs.celery_app, "send_task", send_task)
    return sent


@pytest.fixture
def connector(make_connector):
    return make_connector()


def make_log(connector, **fields):
    return SyncLog.objects.create(tenant=connector.tenant, connector=connector, **fields)


def stale(seconds_ago: float):
    return timezone.now() - timedelta(seconds=seconds_ago)


# --- start_sync -------------------------------------------------------------------------------


def test_start_sync_creates_a_pending_log_and_publishes_it_after_commit(
    connector, editor_user, published, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        sync_log = runs.start_sync(connector, triggered_by="api", user=editor_user, full_refresh=True)
        assert published == []

    # published once, after the commit (other commit-time callbacks: the stats cache, the activity hook)
    assert callbacks and published == [sync_log.pk]
    sync_log.refresh_from_db()
    assert sync_log.status == SyncStatus.PENDING
    assert (sync_log.triggered_by, sync_log.triggered_by_user, sync_log.full_refresh) == (
        "api",
        editor_user,
        True,
    )
    assert sync_log.tenant_id == connector.tenant_id


def test_a_trigger_inside_a_rolled_back_transaction_publishes_nothing(
    connector, published, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        with pytest.raises(RuntimeError), transaction.atomic():
            runs.start_sync(connector)
            raise RuntimeError("the request failed after the trigger")

    assert published == []
    assert not SyncLog.objects.filter(connector=connector).exists()


@pytest.mark.parametrize("active_status", [SyncStatus.PENDING, SyncStatus.RUNNING])
def test_a_second_trigger_raises_sync_already_running_with_the_active_log(
    connector, published, active_status
):
    active = make_log(connector, status=active_status)

    with pytest.raises(runs.SyncAlreadyRunning) as raised:
        runs.start_sync(connector)

    assert raised.value.active_log_id == active.pk
    assert SyncLog.objects.filter(connector=connector).count() == 1


def test_a_finished_sync_does_not_block_the_next_one(connector, published):
    make_log(connector, status=SyncStatus.FAILED)
    make_log(connector, status=SyncStatus.SUCCESS)

    assert runs.start_sync(connector).status == SyncStatus.PENDING


def test_the_run_task_acknowledges_late_and_is_requeued_when_its_worker_dies():
    assert tasks.run_sync_log.acks_late is True
    assert tasks.run_sync_log.reject_on_worker_lost is True


# --- execute_sync_log (the task's body) -------------------------------------------------------


def test_a_delivery_past_the_attempt_limit_fails_the_log_without_syncing(connector, settings):
    settings.MIGRATEIQ_SYNC_MAX_ATTEMPTS = 3
    sync_log = make_log(connector, status=SyncStatus.PENDING, attempts=3)

    runs.execute_sync_log(sync_log.pk)

    sync_log.refresh_from_db()
    assert sync_log.status == SyncStatus.FAILED
    assert sync_log.attempts == 4
    assert "Gave up after 3 attempts" in sync_log.error_message
    assert sync_log.finished_at is not None
    assert SyncLogEvent.objects.filter(sync_log=sync_log, level="error").exists()
    connector.refresh_from_db()
    assert connector.last_sync_status == SyncStatus.FAILED


def test_a_rate_limited_connector_s_sync_is_not_declared_stuck_while_it_waits_its_interval(
    make_connector, monkeypatch
):
    # 1 request every 20 s; the endpoint is refused by the egress guard, so the sync ends at once.
    connector = make_connector(max_requests_per_second=0.05)
    sync_log = make_log(connector, status=SyncStatus.PENDING)
    seen = []

    class RecordingHeartbeat(runs.SyncHeartbeat):
        def __init__(self, sync_log_id, **options):
            super().__init__(sync_log_id, **options)
            seen.append(self.stuck_after)

    monkeypatch.setattr(runs, "SyncHeartbeat", RecordingHeartbeat)
    runs.execute_sync_log(sync_log.pk)

    assert seen == [runs.longest_page_seconds(0.05)]
    assert seen[0] > runs.longest_page_seconds()


@pytest.mark.parametrize("status", [SyncStatus.CANCELLED, SyncStatus.SUCCESS, SyncStatus.RUNNING])
def test_a_delivery_of_a_log_that_is_not_pending_does_nothing(connector, status):
    sync_log = make_log(connector, status=status, attempts=1)

    assert runs.execute_sync_log(sync_log.pk) is None

    sync_log.refresh_from_db()
    assert (sync_log.status, sync_log.attempts) == (status, 1)


def test_a_delivery_of_a_deleted_log_does_nothing(db):
    assert runs.execute_sync_log(987654) is None


def test_the_inline_runner_runs_an_api_triggered_sync_when_the_request_commits(
    settings, sample_upstream, make_connector, editor_client, django_capture_on_commit_callbacks
):
    settings.MIGRATEIQ_SYNC_RUNNER = "inline"
    upstream = sample_upstream(records=30, page_size=10, style="page")
    connector = make_connector(upstream=upstream)

    with django_capture_on_commit_callbacks(execute=True):
        response = editor_client.post(SYNC_URL.format(connector.pk) + "?wait=0")

    sync_log = SyncLog.objects.get(pk=response.json()["id"])
    assert sync_log.status == SyncStatus.SUCCESS
    assert sync_log.attempts == 1
    assert SyncedRecord.objects.filter(connector=connector).count() == 30
    connector.refresh_from_db()
    assert sync_log.started_at < connector.next_sync_at <= sync_log.started_at + timedelta(days=1)
    assert connector.next_sync_at > sync_log.started_at + timedelta(hours=23)


@pytest.mark.django_db(transaction=True)
def test_with_transactional_db_the_inline_runner_answers_with_the_finished_log(
    settings, sample_upstream, make_connector, editor_client
):
    settings.MIGRATEIQ_SYNC_RUNNER = "inline"
    upstream = sample_upstream(records=15, page_size=10, style="page")
    connector = make_connector(upstream=upstream)

    response = editor_client.post(SYNC_URL.format(connector.pk))

    assert response.status_code == 200, response.content
    assert response.json()["status"] == SyncStatus.SUCCESS


# --- heartbeat --------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_the_heartbeat_thread_keeps_a_sync_inside_a_long_page_fresh_then_lets_a_stuck_one_go_stale(
    connector,
):
    sync_log = make_log(connector, status=SyncStatus.RUNNING, heartbeat_at=stale(600), pages_fetched=2)

    def heartbeat():
        return SyncLog.objects.get(pk=sync_log.pk).heartbeat_at

    with runs.SyncHeartbeat(sync_log.pk, interval=0.05, stuck_after=0.6):
        time.sleep(0.3)
        assert heartbeat() > stale(1)
        time.sleep(0.7)  # no page progress for longer than a page can take: the engine is stuck
        last = heartbeat()
        time.sleep(0.3)
        assert heartbeat() == last


def test_a_page_may_take_every_http_attempt_with_its_longest_wait(settings):
    settings.MIGRATEIQ_HTTP_MAX_ATTEMPTS = 5
    settings.MIGRATEIQ_HTTP_CONNECT_TIMEOUT = 5
    settings.MIGRATEIQ_HTTP_TIMEOUT = 30
    settings.MIGRATEIQ_HTTP_RETRY_AFTER_CAP = 60

    assert runs.longest_page_seconds() == 5 * 95 + 60


def test_a_page_under_a_slow_request_rate_may_also_wait_its_interval_at_each_attempt(settings):
    settings.MIGRATEIQ_HTTP_MAX_ATTEMPTS = 5
    settings.MIGRATEIQ_HTTP_CONNECT_TIMEOUT = 5
    settings.MIGRATEIQ_HTTP_TIMEOUT = 30
    settings.MIGRATEIQ_HTTP_RETRY_AFTER_CAP = 60

    # One request every 100 s (10 % more: the budget's margin) before each of the 5 attempts.
    assert runs.longest_page_seconds(0.01) == pytest.approx(5 * (95 + 110) + 60)


# --- wait_for ---------------------------------------------------------------------------------


def test_wait_for_returns_a_finished_log_at_once(connector):
    sync_log = make_log(connector, status=SyncStatus.SUCCESS)

    assert runs.wait_for(sync_log, 5).status == SyncStatus.SUCCESS


def test_wait_for_gives_up_after_the_given_time(connector):
    sync_log = make_log(connector, status=SyncStatus.PENDING)
    started = timezone.now()

    assert runs.wait_for(sync_log, 0.3).status == SyncStatus.PENDING
    assert timedelta(seconds=0.25) < timezone.now() - started < timedelta(seconds=2)


# --- cancel_sync ------------------------------------------------------------------------------


def test_cancelling_a_pending_sync_cancels_it_at_once_and_frees_the_connector(connector, published):
    sync_log = runs.start_sync(connector)

    cancelled = runs.cancel_sync(sync_log)

    assert cancelled.status == SyncStatus.CANCELLED
    assert cancelled.finished_at is not None
    assert runs.execute_sync_log(sync_log.pk) is None
    assert runs.start_sync(connector).status == SyncStatus.PENDING


def test_cancelling_a_running_sync_asks_the_engine_to_stop(connector):
    sync_log = make_log(connector, status=SyncStatus.RUNNING)

    cancelled = runs.cancel_sync(sync_log)

    assert cancelled.status == SyncStatus.RUNNING
    assert cancelled.cancel_requested is True


@pytest.mark.parametrize("status", [SyncStatus.SUCCESS, SyncStatus.FAILED, SyncStatus.CANCELLED])
def test_cancelling_a_finished_sync_is_refused(connector, status):
    sync_log = make_log(connector, status=status)

    with pytest.raises(ValueError, match="already finished"):
        runs.cancel_sync(sync_log)


# --- resume_sync ------------------------------------------------------------------------------


@pytest.mark.parametrize("status", [SyncStatus.FAILED, SyncStatus.CANCELLED])
def test_resuming_a_failed_sync_queues_it_again_with_a_fresh_attempt_budget(
    connector, published, editor_user, status, django_capture_on_commit_callbacks
):
    sync_log = make_log(
        connector,
        status=status,
        attempts=3,
        checkpoint={"page": 4},
        error_message="Upstream answered 503",
        finished_at=timezone.now(),
        cancel_requested=status == SyncStatus.CANCELLED,
    )

    with django_capture_on_commit_callbacks(execute=True):
        resumed = runs.resume_sync(sync_log, user=editor_user)

    assert published == [sync_log.pk]
    assert resumed.status == SyncStatus.PENDING
    assert (resumed.attempts, resumed.error_message, resumed.finished_at) == (0, "", None)
    assert resumed.cancel_requested is False
    assert resumed.checkpoint == {"page": 4}


def test_the_inline_runner_resumes_a_failed_sync_from_its_checkpoint(
    settings, sample_upstream, make_connector, django_capture_on_commit_callbacks
):
    settings.MIGRATEIQ_SYNC_RUNNER = "inline"
    settings.MIGRATEIQ_HTTP_MAX_ATTEMPTS = 1
    upstream = sample_upstream(records=50, page_size=10, style="page", fail_after_pages=2)
    connector = make_connector(upstream=upstream)
    with django_capture_on_commit_callbacks(execute=True):
        sync_log = runs.start_sync(connector)
    sync_log.refresh_from_db()
    assert sync_log.status == SyncStatus.FAILED
    assert sync_log.checkpoint
    upstream.heal()
    upstream.clear_requests()

    with django_capture_on_commit_callbacks(execute=True):
        runs.resume_sync(sync_log)

    sync_log.refresh_from_db()
    assert sync_log.status == SyncStatus.SUCCESS
    assert SyncedRecord.objects.filter(connector=connector).count() == 50
    assert min(int(r["query"].get("page", 1)) for r in upstream.requests) == 3


@pytest.mark.parametrize(
    ("fields", "reason"),
    [
        ({"status": SyncStatus.SUCCESS, "checkpoint": {"page": 2}}, "Only a failed or cancelled sync"),
        ({"status": SyncStatus.RUNNING, "checkpoint": {"page": 2}}, "Only a failed or cancelled sync"),
        ({"status": SyncStatus.FAILED, "checkpoint": None}, "no checkpoint"),
    ],
)
def test_a_sync_that_cannot_be_resumed_is_refused_with_the_reason(connector, fields, reason):
    sync_log = make_log(connector, **fields)

    with pytest.raises(ValueError, match=reason):
        runs.resume_sync(sync_log)


def test_an_older_sync_cannot_be_resumed_once_a_newer_one_exists(connector):
    old = make_log(connector, status=SyncStatus.FAILED, checkpoint={"page": 2})
    SyncLog.objects.filter(pk=old.pk).update(created_at=stale(60))
    make_log(connector, status=SyncStatus.SUCCESS)

    with pytest.raises(ValueError, match="newer sync"):
        runs.resume_sync(old)


def test_resuming_while_another_sync_is_active_raises_sync_already_running(connector):
    failed = make_log(connector, status=SyncStatus.FAILED, checkpoint={"page": 2})
    SyncLog.objects.filter(pk=failed.pk).update(created_at=stale(60))
    failed.refresh_from_db()
    # An active sync created by hand before the failed one (newer logs refuse the resume first).
    active = make_log(connector, status=SyncStatus.RUNNING)
    SyncLog.objects.filter(pk=active.pk).update(created_at=stale(120))

    with pytest.raises(runs.SyncAlreadyRunning) as raised:
        runs.resume_sync(failed)

    assert raised.value.active_log_id == active.pk
    failed.refresh_from_db()
    assert failed.status == SyncStatus.FAILED


# --- reap_stale_syncs -------------------------------------------------------------------------


def test_the_reaper_requeues_a_running_sync_whose_heartbeat_is_stale(
    connector, settings, published, django_capture_on_commit_callbacks
):
    settings.MIGRATEIQ_SYNC_STALE_AFTER_SECONDS = 60
    settings.MIGRATEIQ_SYNC_MAX_ATTEMPTS = 3
    sync_log = make_log(
        connector, status=SyncStatus.RUNNING, attempts=1, heartbeat_at=stale(61), checkpoint={"page": 3}
    )

    with django_capture_on_commit_callbacks(execute=True):
        outcome = runs.reap_stale_syncs()

    assert outcome["requeued"] == [sync_log.pk]
    assert published == [sync_log.pk]
    sync_log.refresh_from_db()
    assert sync_log.status == SyncStatus.PENDING
    assert sync_log.checkpoint == {"page": 3}
    assert SyncLogEvent.objects.filter(sync_log=sync_log, level="warning").exists()


def test_the_reaper_leaves_a_sync_with_a_fresh_heartbeat_alone(connector, settings, published):
    settings.MIGRATEIQ_SYNC_STALE_AFTER_SECONDS = 60
    sync_log = make_log(connector, status=SyncStatus.RUNNING, attempts=1, heartbeat_at=stale(30))

    assert not any(runs.reap_stale_syncs().values())
    sync_log.refresh_from_db()
    assert sync_log.status == SyncStatus.RUNNING


def test_the_reaper_fails_a_stale_sync_that_has_no_attempts_left(connector, settings, published):
    settings.MIGRATEIQ_SYNC_STALE_AFTER_SECONDS = 60
    settings.MIGRATEIQ_SYNC_MAX_ATTEMPTS = 3
    sync_log = make_log(connector, status=SyncStatus.RUNNING, attempts=3, heartbeat_at=stale(600))

    assert runs.reap_stale_syncs()["failed"] == [sync_log.pk]

    sync_log.refresh_from_db()
    assert sync_log.status == SyncStatus.FAILED
    assert "Gave up after 3 attempts" in sync_log.error_message
    assert published == []
    # The connector is free again.
    assert runs.start_sync(connector).status == SyncStatus.PENDING


def test_the_reaper_cancels_a_stale_sync_whose_cancellation_was_requested(connector, settings):
    settings.MIGRATEIQ_SYNC_STALE_AFTER_SECONDS = 60
    sync_log = make_log(
        connector, status=SyncStatus.RUNNING, attempts=1, heartbeat_at=stale(120), cancel_requested=True
    )

    assert runs.reap_stale_syncs()["cancelled"] == [sync_log.pk]
    sync_log.refresh_from_db()
    assert sync_log.status == SyncStatus.CANCELLED


def test_the_reaper_requeues_a_pending_sync_whose_message_was_lost(
    connector, settings, published, django_capture_on_commit_callbacks
):
    settings.MIGRATEIQ_SYNC_REQUEUE_PENDING_AFTER_SECONDS = 300
    lost = make_log(connector, status=SyncStatus.PENDING, heartbeat_at=stale(301))
    other = connector.__class__.objects.create(
        tenant=connector.tenant, name="other", api_endpoint="http://127.0.0.1:9/u"
    )
    recent = make_log(other, status=SyncStatus.PENDING, heartbeat_at=stale(10))

    with django_capture_on_commit_callbacks(execute=True):
        outcome = runs.reap_stale_syncs()

    assert outcome["pending_requeued"] == [lost.pk]
    assert published == [lost.pk]
    lost.refresh_from_db()
    assert lost.status == SyncStatus.PENDING
    assert lost.heartbeat_at > stale(5)
    assert recent.pk not in published
