"""The per-tenant statistics cache: served from the cache, invalidated by every change that matters.

Every test runs twice: with the local-memory cache (embedded default) and with Redis through
django-redis (production), on ``TEST_REDIS_URL`` under a key prefix of its own.
"""

import os
import uuid
from datetime import timedelta

import pytest
from django.core.cache import cache
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from core.cache import _version_key, tenant_cache_key
from demo_extension.models import CustomDataConnector, SyncLog, SyncStatus
from demo_extension.selectors import CACHE_NAMESPACE, cached_tenant_stats, invalidate_tenant_stats
from demo_extension.services.sync import DataSyncService
from destinations.models import Destination, DestinationLoad, LoadStatus
from destinations.services import attachments, loads

STATS_URL = "/api/demo-extension/connectors/stats/"
STALE_AFTER_SYNC = (
    "stale statistics after a sync: the sync engine must call "
    "demo_extension.selectors.invalidate_tenant_stats(connector.tenant_id) when it creates a run "
    "(DataSyncService._create_log) and when a run ends (DataSyncService._finish)"
)
CONNECTORS_URL = "/api/demo-extension/connectors/"
TEST_REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")

pytestmark = pytest.mark.django_db


@pytest.fixture(params=["locmem", "redis"], autouse=True)
def cache_backend(request, settings):
    run = uuid.uuid4().hex[:12]
    if request.param == "redis":
        settings.CACHES = {
            "default": {
                "BACKEND": "django_redis.cache.RedisCache",
                "LOCATION": TEST_REDIS_URL,
                "KEY_PREFIX": f"migrateiq-test-cache-{run}",
                "OPTIONS": {"CLIENT_CLASS": "django_redis.client.DefaultClient"},
            }
        }
        cache.set("reachable", "yes", 30)
        assert cache.get("reachable") == "yes", f"Redis at {TEST_REDIS_URL} is needed for these tests"
    else:
        settings.CACHES = {
            "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": run}
        }
    yield request.param
    if request.param == "redis":
        cache.delete_pattern("*")  # this run's prefix only, never the whole database
    else:
        cache.clear()


def _stats_queries(captured) -> list[str]:
    return [q["sql"] for q in captured.captured_queries if "demo_extension_" in q["sql"]]


# --- the selector ---------------------------------------------------------------------------------


def test_stats_are_computed_once_then_served_from_the_cache(
    tenant_a, make_connector, django_assert_num_queries
):
    make_connector(tenant_a)
    first = cached_tenant_stats(tenant_a)

    with django_assert_num_queries(0):
        second = cached_tenant_stats(tenant_a)

    assert second == first
    assert first["total_connectors"] == 1


def test_a_change_is_visible_as_soon_as_it_is_invalidated(tenant_a, make_connector):
    make_connector(tenant_a)
    assert cached_tenant_stats(tenant_a)["total_connectors"] == 1

    make_connector(tenant_a)
    # the cache really serves the reads: without invalidation the old figure stays
    assert cached_tenant_stats(tenant_a)["total_connectors"] == 1
    invalidate_tenant_stats(tenant_a.pk)

    assert cached_tenant_stats(tenant_a)["total_connectors"] == 2


def test_invalidation_is_per_tenant(tenant_a, tenant_b, make_connector, django_assert_num_queries):
    make_connector(tenant_a)
    make_connector(tenant_a)
    make_connector(tenant_b)
    assert cached_tenant_stats(tenant_a)["total_connectors"] == 2
    assert cached_tenant_stats(tenant_b)["total_connectors"] == 1

    invalidate_tenant_stats(tenant_a.pk)

    with django_assert_num_queries(0):
        assert cached_tenant_stats(tenant_b)["total_connectors"] == 1
    with CaptureQueriesContext(connection) as captured:
        assert cached_tenant_stats(tenant_a)["total_connectors"] == 2
    assert _stats_queries(captured)


def test_tenants_never_read_each_others_cached_stats(tenant_a, tenant_b, make_connector):
    make_connector(tenant_a)
    make_connector(tenant_a)
    assert cached_tenant_stats(tenant_a)["total_connectors"] == 2

    assert cached_tenant_stats(tenant_b)["total_connectors"] == 0


def test_an_invalidation_inside_a_transaction_is_repeated_when_it_commits(
    tenant_a, make_connector, django_capture_on_commit_callbacks
):
    """A reader on another connection between the change and the commit caches the old figures."""
    make_connector(tenant_a)
    stale = cached_tenant_stats(tenant_a)

    with django_capture_on_commit_callbacks(execute=True):
        with transaction.atomic():
            make_connector(tenant_a)
            invalidate_tenant_stats(tenant_a.pk)
            # what a concurrent request would store: the figures from before the commit
            cache.set(tenant_cache_key(CACHE_NAMESPACE, tenant_a.pk, "stats"), stale)

    assert cached_tenant_stats(tenant_a)["total_connectors"] == 2


def test_an_evicted_version_never_revives_invalidated_entries(tenant_a, make_connector):
    make_connector(tenant_a)
    assert cached_tenant_stats(tenant_a)["total_connectors"] == 1
    make_connector(tenant_a)
    invalidate_tenant_stats(tenant_a.pk)

    cache.delete(_version_key(CACHE_NAMESPACE, tenant_a.pk))  # as if the cache evicted it

    assert cached_tenant_stats(tenant_a)["total_connectors"] == 2


# --- the statistics endpoint ----------------------------------------------------------------------


def test_the_stats_endpoint_answers_repeated_reads_from_the_cache(admin_client, make_connector, tenant_a):
    make_connector(tenant_a)
    with CaptureQueriesContext(connection) as first:
        assert admin_client.get(STATS_URL).json()["total_connectors"] == 1
    with CaptureQueriesContext(connection) as second:
        assert admin_client.get(STATS_URL).json()["total_connectors"] == 1

    assert _stats_queries(first)
    assert _stats_queries(second) == []


def test_the_stats_endpoint_reflects_connector_changes_at_once(admin_client, settings):
    settings.MIGRATEIQ_EGRESS_ALLOWLIST = ["127.0.0.1:9"]
    assert admin_client.get(STATS_URL).json()["total_connectors"] == 0

    created = admin_client.post(
        CONNECTORS_URL,
        {"name": "Orders", "api_endpoint": "http://127.0.0.1:9/orders", "sync_frequency": "DAILY"},
        format="json",
    )
    assert created.status_code == 201, created.content
    stats = admin_client.get(STATS_URL).json()
    assert (stats["total_connectors"], stats["active_connectors"]) == (1, 1)

    pk = created.json()["id"]
    assert (
        admin_client.patch(f"{CONNECTORS_URL}{pk}/", {"is_active": False}, format="json").status_code == 200
    )
    stats = admin_client.get(STATS_URL).json()
    assert (stats["total_connectors"], stats["active_connectors"]) == (1, 0)

    assert admin_client.delete(f"{CONNECTORS_URL}{pk}/").status_code == 204
    stats = admin_client.get(STATS_URL).json()
    assert (stats["total_connectors"], stats["active_connectors"]) == (0, 0)


def test_the_stats_endpoint_reflects_a_finished_sync_at_once(admin_client, sample_upstream, make_connector):
    upstream = sample_upstream(records=30, page_size=10, style="page")
    connector = make_connector(upstream=upstream)
    before = admin_client.get(STATS_URL).json()
    assert (before["total_records_synced"], before["last_24h_syncs"], before["success_rate"]) == (0, 0, 0.0)

    log = DataSyncService(connector).sync_data()

    assert log.status == SyncStatus.SUCCESS, log.error_message
    after = admin_client.get(STATS_URL).json()
    assert after["total_records_synced"] == 30, STALE_AFTER_SYNC
    assert after["last_24h_syncs"] == 1
    assert after["success_rate"] == 100.0
    assert after["avg_sync_duration"] == round(SyncLog.objects.get(pk=log.pk).duration_seconds, 3)


def test_the_stats_endpoint_reflects_a_failed_sync_at_once(admin_client, make_connector, settings):
    settings.MIGRATEIQ_HTTP_MAX_ATTEMPTS = 1
    connector = make_connector(api_endpoint="http://127.0.0.1:9/unreachable", auth_type="none")
    assert admin_client.get(STATS_URL).json()["last_24h_syncs"] == 0

    log = DataSyncService(connector).sync_data()

    assert log.status == SyncStatus.FAILED
    stats = admin_client.get(STATS_URL).json()
    assert stats["last_24h_syncs"] == 1, STALE_AFTER_SYNC
    assert stats["success_rate"] == 0.0
    assert CustomDataConnector.objects.get(pk=connector.pk).last_sync_status == SyncStatus.FAILED


def test_a_process_local_cache_keeps_stats_only_briefly(cache_backend, tenant_a, make_connector, monkeypatch):
    """Local memory cannot hear a Celery worker's invalidation, so it caps how long stats are kept."""
    import core.cache

    monkeypatch.setattr(core.cache, "PROCESS_LOCAL_MAX_TIMEOUT", 0)  # 0: not kept at all
    make_connector(tenant_a)
    cached_tenant_stats(tenant_a)

    with CaptureQueriesContext(connection) as captured:
        cached_tenant_stats(tenant_a)

    if cache_backend == "locmem":
        assert _stats_queries(captured), "local memory must not have kept the stats"
    else:
        assert _stats_queries(captured) == [], "Redis is shared by every process: stats stay cached"


# --- loads into destinations ---------------------------------------------------------------------


def test_a_queued_load_and_its_end_show_in_the_stats_at_once_and_are_cached_between(
    admin_client, tenant_a, make_connector, django_capture_on_commit_callbacks
):
    connector = make_connector(tenant_a)
    # 127.0.0.1:5432 is not allowed by the egress guard here: the load ends FAILED at connect time
    destination = Destination.objects.create(
        tenant=tenant_a, name="Warehouse", host="127.0.0.1", database="dw"
    )
    attachment = attachments.attach(destination, connector.pk)
    assert admin_client.get(STATS_URL).json()["total_loads"] == 0

    load = loads.start_load(attachment, queue=False)
    assert admin_client.get(STATS_URL).json()["total_loads"] == 1

    with CaptureQueriesContext(connection) as captured:
        admin_client.get(STATS_URL)
    assert not [q for q in captured.captured_queries if "destinations_destinationload" in q["sql"]]

    assert loads.execute_load(load.pk).status == LoadStatus.FAILED
    stats = admin_client.get(STATS_URL).json()
    assert (stats["total_loads"], stats["failed_loads"]) == (1, 1)


def test_a_load_the_reaper_gives_up_on_shows_as_failed_at_once(
    admin_client, tenant_a, make_connector, settings
):
    connector = make_connector(tenant_a)
    destination = Destination.objects.create(
        tenant=tenant_a, name="Warehouse", host="127.0.0.1", database="dw"
    )
    stale = timezone.now() - timedelta(days=1)
    load = DestinationLoad.objects.create(
        tenant=tenant_a,
        destination=destination,
        connector=connector,
        status=LoadStatus.RUNNING,
        heartbeat_at=stale,
        events=[{"at": stale.isoformat(), "level": "warning", "message": "queued again", "requeued": True}],
    )
    settings.MIGRATEIQ_SYNC_MAX_ATTEMPTS = 2
    assert admin_client.get(STATS_URL).json()["failed_loads"] == 0

    assert loads.reap_stale_loads()["failed"] == [load.pk]

    assert admin_client.get(STATS_URL).json()["failed_loads"] == 1


def test_deleting_a_destination_takes_its_loads_out_of_the_stats_at_once(
    admin_client, tenant_a, make_connector
):
    connector = make_connector(tenant_a)
    destination = Destination.objects.create(
        tenant=tenant_a, name="Warehouse", host="127.0.0.1", database="dw"
    )
    DestinationLoad.objects.create(
        tenant=tenant_a,
        destination=destination,
        connector=connector,
        status=LoadStatus.SUCCESS,
        rows_upserted=5,
    )
    assert admin_client.get(STATS_URL).json()["rows_loaded"] == 5

    assert admin_client.delete(f"/api/destinations/{destination.pk}/").status_code == 204

    assert admin_client.get(STATS_URL).json()["rows_loaded"] == 0


# --- background runs (services/runs.py) -----------------------------------------------------------


def _finished_log(connector, status=SyncStatus.SUCCESS, **fields):
    from django.utils import timezone

    now = timezone.now()
    return SyncLog.objects.create(
        tenant_id=connector.tenant_id,
        connector=connector,
        status=status,
        started_at=now,
        finished_at=now,
        duration_seconds=2.0,
        **fields,
    )


def test_the_stats_endpoint_counts_a_queued_sync_at_once(admin_client, make_connector):
    from sync_engine import queue as runs

    connector = make_connector()
    assert admin_client.get(STATS_URL).json()["last_24h_syncs"] == 0

    runs.start_sync(connector, triggered_by="api")

    assert admin_client.get(STATS_URL).json()["last_24h_syncs"] == 1


def test_the_stats_endpoint_reflects_a_resumed_sync_at_once(admin_client, make_connector):
    from sync_engine import queue as runs

    _finished_log(make_connector())
    failed = _finished_log(make_connector(), SyncStatus.FAILED, checkpoint={"page": 3})
    assert admin_client.get(STATS_URL).json()["success_rate"] == 50.0

    runs.resume_sync(failed)

    assert admin_client.get(STATS_URL).json()["success_rate"] == 100.0


def test_the_stats_endpoint_reflects_a_sync_given_up_after_its_attempts(
    admin_client, make_connector, settings, django_capture_on_commit_callbacks
):
    from sync_engine import queue as runs

    settings.MIGRATEIQ_SYNC_MAX_ATTEMPTS = 1
    _finished_log(make_connector())
    connector = make_connector()
    pending = SyncLog.objects.create(
        tenant_id=connector.tenant_id, connector=connector, status=SyncStatus.PENDING, attempts=1
    )
    assert admin_client.get(STATS_URL).json()["success_rate"] == 100.0

    with django_capture_on_commit_callbacks(execute=True):  # the run's end commits
        assert runs.execute_sync_log(pending.pk).status == SyncStatus.FAILED

    assert admin_client.get(STATS_URL).json()["success_rate"] == 50.0


def test_the_stats_endpoint_reflects_a_reaped_sync_at_once(
    admin_client, make_connector, settings, django_capture_on_commit_callbacks
):
    from datetime import timedelta

    from django.utils import timezone

    from sync_engine import queue as runs

    settings.MIGRATEIQ_SYNC_MAX_ATTEMPTS = 1
    _finished_log(make_connector())
    connector = make_connector()
    long_ago = timezone.now() - timedelta(hours=1)
    SyncLog.objects.create(
        tenant_id=connector.tenant_id,
        connector=connector,
        status=SyncStatus.RUNNING,
        attempts=1,
        started_at=long_ago,
        heartbeat_at=long_ago,
    )
    assert admin_client.get(STATS_URL).json()["success_rate"] == 100.0

    with django_capture_on_commit_callbacks(execute=True):  # the run's end commits
        assert len(runs.reap_stale_syncs()["failed"]) == 1

    assert admin_client.get(STATS_URL).json()["success_rate"] == 50.0
