"""Bounded runs: a run's time budget (MIGRATEIQ_SYNC_MAX_SECONDS, lowered per connector), the page
cap, the worker's time limits, and the per-tenant cap on concurrent runs (fair queuing)."""

import time
from datetime import timedelta

from django.utils import timezone

from demo_extension.models import SyncLog, SyncStatus
from demo_extension.services.sync import run_page_cap, run_time_budget
from demo_extension.tests.sync_support import run_sync, stored_ids
from sync_engine import queue as runs
from sync_engine.tasks import HARD_TIME_LIMIT, SOFT_TIME_LIMIT, run_sync_log


def test_a_run_over_its_time_budget_stops_failed_and_resumes_from_its_checkpoint(
    sample_upstream, make_connector, settings
):
    upstream = sample_upstream(records=100, page_size=10, style="page", slow_ms=400)
    connector = make_connector(upstream=upstream, pagination={"type": "page"}, max_sync_seconds=1)

    started = time.monotonic()
    log = run_sync(connector)
    elapsed = time.monotonic() - started

    assert elapsed < 3, f"the run took {elapsed:.1f} s"
    assert log.status == SyncStatus.FAILED
    assert "time budget of 1 s" in log.error_message
    assert "resume" in log.error_message
    assert 0 < log.pages_fetched < 10
    committed = stored_ids(connector)
    assert committed == list(range(1, len(committed) + 1))

    upstream.update(slow_ms=0)
    connector.max_sync_seconds = None
    connector.save()
    resumed = run_sync(connector, sync_log=log)  # what resume_sync queues

    assert resumed.status == SyncStatus.SUCCESS, resumed.error_message
    assert stored_ids(connector) == list(range(1, 101))


def test_the_run_budget_also_bounds_one_slow_request(sample_upstream, make_connector, settings):
    settings.MIGRATEIQ_SYNC_MAX_SECONDS = 1
    settings.MIGRATEIQ_HTTP_TIMEOUT = 30
    upstream = sample_upstream(records=10, page_size=10, style="page", slow_ms=5000)
    connector = make_connector(upstream=upstream)

    started = time.monotonic()
    log = run_sync(connector)

    assert time.monotonic() - started < 3
    assert log.status == SyncStatus.FAILED
    assert "time budget of 1 s" in log.error_message


def test_a_connector_can_lower_the_run_budget_but_never_raise_it(make_connector, settings):
    settings.MIGRATEIQ_SYNC_MAX_SECONDS = 600

    assert run_time_budget(make_connector(max_sync_seconds=60)) == 60
    assert run_time_budget(make_connector(max_sync_seconds=100_000)) == 600
    assert run_time_budget(make_connector()) == 600


def test_a_connectors_max_pages_is_capped_by_the_server(make_connector, settings):
    settings.MIGRATEIQ_SYNC_MAX_PAGES = 50

    assert run_page_cap(make_connector(max_pages=1_000_000)) == 50
    assert run_page_cap(make_connector(max_pages=5)) == 5
    assert run_page_cap(make_connector()) == 50


def test_the_sync_task_has_soft_and_hard_time_limits_past_the_run_budget(settings):
    assert run_sync_log.soft_time_limit == SOFT_TIME_LIMIT
    assert run_sync_log.time_limit == HARD_TIME_LIMIT
    assert settings.MIGRATEIQ_SYNC_MAX_SECONDS < SOFT_TIME_LIMIT < HARD_TIME_LIMIT


def _pending_log(connector):
    return SyncLog.objects.create(
        tenant_id=connector.tenant_id,
        connector=connector,
        status=SyncStatus.PENDING,
        heartbeat_at=timezone.now(),
    )


def _running_log(connector):
    now = timezone.now()
    return SyncLog.objects.create(
        tenant_id=connector.tenant_id,
        connector=connector,
        status=SyncStatus.RUNNING,
        started_at=now,
        heartbeat_at=now,
    )


def test_a_run_over_its_tenants_cap_waits_without_using_an_attempt(
    sample_upstream, make_connector, tenant_b, settings
):
    settings.MIGRATEIQ_TENANT_MAX_CONCURRENT_SYNCS = 1
    settings.MIGRATEIQ_SYNC_DEFER_SECONDS = 0.5
    upstream = sample_upstream(records=5, page_size=5, style="page")
    _running_log(make_connector(upstream=upstream))
    waiting = _pending_log(make_connector(upstream=upstream))
    other_tenant = _pending_log(make_connector(tenant_b, upstream=upstream))

    runs.execute_sync_log(waiting.pk)
    runs.execute_sync_log(other_tenant.pk)

    waiting.refresh_from_db()
    assert waiting.status == SyncStatus.PENDING
    assert waiting.attempts == 0
    assert any("already has 1 sync(s) running" in m for m in waiting.events.values_list("message", flat=True))
    other_tenant.refresh_from_db()
    assert other_tenant.status == SyncStatus.SUCCESS, other_tenant.error_message


def test_a_stale_run_does_not_hold_its_tenants_slot(sample_upstream, make_connector, settings):
    settings.MIGRATEIQ_TENANT_MAX_CONCURRENT_SYNCS = 1
    upstream = sample_upstream(records=5, page_size=5, style="page")
    dead = _running_log(make_connector(upstream=upstream))
    SyncLog.objects.filter(pk=dead.pk).update(heartbeat_at=timezone.now() - timedelta(hours=1))
    log = _pending_log(make_connector(upstream=upstream))

    runs.execute_sync_log(log.pk)

    log.refresh_from_db()
    assert log.status == SyncStatus.SUCCESS, log.error_message


def test_runs_in_process_ignore_the_tenant_cap(sample_upstream, make_connector, settings):
    settings.MIGRATEIQ_TENANT_MAX_CONCURRENT_SYNCS = 1
    settings.MIGRATEIQ_SYNC_RUNNER = "inline"
    upstream = sample_upstream(records=5, page_size=5, style="page")
    _running_log(make_connector(upstream=upstream))
    log = _pending_log(make_connector(upstream=upstream))

    runs.execute_sync_log(log.pk)

    log.refresh_from_db()
    assert log.status == SyncStatus.SUCCESS


def test_the_workers_soft_time_limit_ends_the_run_failed_with_the_budget_message(
    sample_upstream, make_connector
):
    """Celery raises SoftTimeLimitExceeded wherever the run is; here after the second page."""
    from celery.exceptions import SoftTimeLimitExceeded

    upstream = sample_upstream(records=50, page_size=10, style="page")
    connector = make_connector(upstream=upstream, pagination={"type": "page"})

    def limit_reached(sync_log):
        if sync_log.pages_fetched >= 2:
            raise SoftTimeLimitExceeded()

    log = run_sync(connector, progress=limit_reached)

    assert log.status == SyncStatus.FAILED
    assert "time budget" in log.error_message and "resume" in log.error_message
    assert "Internal error" not in log.error_message
    assert log.checkpoint
