"""ConnectorStatsService and GET /connectors/stats/: the seed's six figures, per tenant, in two queries."""

from datetime import timedelta

import pytest
from django.utils import timezone

from demo_extension.models import SyncLog, SyncStatus
from demo_extension.services import ConnectorStatsService
from demo_extension.services.stats import load_stats
from destinations.models import Destination, DestinationLoad, LoadStatus
from tenancy.context import NoActiveTenant, tenant_context

STATS_URL = "/api/demo-extension/connectors/stats/"
SEED_KEYS = {
    "total_connectors",
    "active_connectors",
    "total_records_synced",
    "last_24h_syncs",
    "success_rate",
    "avg_sync_duration",
}

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def log(connector, status, *, duration=None, age=timedelta(0)):
    entry = SyncLog.objects.create(
        tenant=connector.tenant,
        connector=connector,
        status=status,
        duration_seconds=duration,
        finished_at=None if status in (SyncStatus.PENDING, SyncStatus.RUNNING) else timezone.now(),
    )
    if age:
        SyncLog.objects.filter(pk=entry.pk).update(created_at=timezone.now() - age)
    return entry


@pytest.fixture
def acme_activity(make_connector, tenant_a):
    crm = make_connector(tenant=tenant_a, name="CRM", records_count=7000)
    billing = make_connector(tenant=tenant_a, name="Billing", records_count=3000)
    make_connector(tenant=tenant_a, name="Paused", is_active=False, records_count=0)
    log(crm, SyncStatus.SUCCESS, duration=2.0)
    log(crm, SyncStatus.SUCCESS, duration=3.0, age=timedelta(days=2))
    log(crm, SyncStatus.PARTIAL, duration=4.0, age=timedelta(hours=3))
    log(billing, SyncStatus.FAILED, duration=0.5)
    log(billing, SyncStatus.CANCELLED, duration=1.0, age=timedelta(days=5))
    log(billing, SyncStatus.RUNNING)
    return {"crm": crm, "billing": billing}


@pytest.fixture
def globex_activity(make_connector, tenant_b):
    other = make_connector(tenant=tenant_b, name="Globex CRM", records_count=99)
    log(other, SyncStatus.FAILED, duration=10.0)
    log(other, SyncStatus.FAILED, duration=20.0)


def test_stats_have_exactly_the_seeds_keys(tenant_a):
    assert set(ConnectorStatsService.get_stats(tenant=tenant_a)) == SEED_KEYS


def test_stats_of_a_tenant_without_connectors_are_zero(tenant_a):
    assert ConnectorStatsService.get_stats(tenant=tenant_a) == {
        "total_connectors": 0,
        "active_connectors": 0,
        "total_records_synced": 0,
        "last_24h_syncs": 0,
        "success_rate": 0.0,
        "avg_sync_duration": 0.0,
    }


def test_stats_count_the_tenants_connectors_runs_and_records(tenant_a, acme_activity, globex_activity):
    stats = ConnectorStatsService.get_stats(tenant=tenant_a)

    assert stats == {
        "total_connectors": 3,
        "active_connectors": 2,
        "total_records_synced": 10000,
        # created in the last 24 hours: success, partial, failed, running
        "last_24h_syncs": 4,
        # SUCCESS, SUCCESS succeeded; PARTIAL (did not get everything) and FAILED did not;
        # CANCELLED and RUNNING are left out
        "success_rate": 50.0,
        # SUCCESS runs only: 2, 3 (not the partial 4, the failed 0.5, the cancelled 1)
        "avg_sync_duration": 2.5,
    }
    assert isinstance(stats["success_rate"], float)
    assert isinstance(stats["avg_sync_duration"], float)


def test_success_rate_has_one_decimal(tenant_a, make_connector):
    connector = make_connector(tenant=tenant_a)
    for status in (SyncStatus.SUCCESS, SyncStatus.SUCCESS, SyncStatus.FAILED):
        log(connector, status, duration=1.0)

    assert ConnectorStatsService.get_stats(tenant=tenant_a)["success_rate"] == 66.7


def test_a_partial_run_is_no_success_and_a_failed_runs_retries_do_not_lengthen_the_average(
    tenant_a, make_connector
):
    connector = make_connector(tenant=tenant_a)
    for status, duration in [
        *((SyncStatus.SUCCESS, 0.2) for _ in range(6)),
        (SyncStatus.PARTIAL, 0.3),  # fetched 50 of 500 records
        (SyncStatus.FAILED, 6.3),  # five attempts at a host that does not resolve
        (SyncStatus.FAILED, 6.3),
    ]:
        log(connector, status, duration=duration)

    stats = ConnectorStatsService.get_stats(tenant=tenant_a)

    assert stats["success_rate"] == 66.7  # 6 of 9, not 7 of 9
    assert stats["avg_sync_duration"] == 0.2


def test_average_duration_is_rounded_to_milliseconds(tenant_a, make_connector):
    connector = make_connector(tenant=tenant_a)
    for duration in (1.0, 1.0, 2.0):
        log(connector, SyncStatus.SUCCESS, duration=duration)

    assert ConnectorStatsService.get_stats(tenant=tenant_a)["avg_sync_duration"] == 1.333


def test_an_average_of_a_few_milliseconds_is_not_zero(tenant_a, make_connector):
    connector = make_connector(tenant=tenant_a)
    for duration in (0.003, 0.005):
        log(connector, SyncStatus.SUCCESS, duration=duration)

    assert ConnectorStatsService.get_stats(tenant=tenant_a)["avg_sync_duration"] == 0.004  # not 0.0


def test_without_a_tenant_stats_use_the_active_one(tenant_a, acme_activity, globex_activity):
    with tenant_context(tenant_a):
        stats = ConnectorStatsService.get_stats()

    assert stats["total_connectors"] == 3


def test_without_any_tenant_stats_are_refused_never_of_every_tenant(
    tenant_a, acme_activity, globex_activity, django_assert_num_queries
):
    with django_assert_num_queries(0), pytest.raises(NoActiveTenant, match="No tenant is active"):
        ConnectorStatsService.get_stats()


def test_without_a_tenant_stats_use_the_active_one_even_when_it_has_nothing(
    tenant_a, tenant_b, globex_activity
):
    with tenant_context(tenant_a):
        stats = ConnectorStatsService.get_stats()

    assert stats == {
        "total_connectors": 0,
        "active_connectors": 0,
        "total_records_synced": 0,
        "last_24h_syncs": 0,
        "success_rate": 0.0,
        "avg_sync_duration": 0.0,
    }


def test_stats_take_two_aggregate_queries(tenant_a, acme_activity, django_assert_num_queries):
    with django_assert_num_queries(2):
        ConnectorStatsService.get_stats(tenant=tenant_a)


def test_the_stats_endpoint_reports_the_requests_tenant(viewer_client, acme_activity, globex_activity):
    response = viewer_client.get(STATS_URL)

    assert response.status_code == 200
    assert response.json()["total_connectors"] == 3
    assert response.json()["success_rate"] == 50.0
    assert response.json()["partial_rate"] == 25.0


def test_the_stats_endpoint_says_how_many_completed_runs_its_rates_are_of(viewer_client, acme_activity):
    # two SUCCESS, one PARTIAL, one FAILED; the CANCELLED and the RUNNING runs are not rated
    assert viewer_client.get(STATS_URL).json()["completed_syncs"] == 4


def test_with_only_a_run_under_way_and_a_cancelled_one_no_run_is_rated(
    viewer_client, make_connector, tenant_a
):
    connector = make_connector(tenant=tenant_a)
    log(connector, SyncStatus.CANCELLED, duration=1.0)
    log(connector, SyncStatus.RUNNING)

    stats = viewer_client.get(STATS_URL).json()

    assert stats["completed_syncs"] == 0
    assert stats["success_rate"] == 0.0  # no rate: the dashboard shows "—", not 0 %


def test_the_stats_endpoint_of_another_tenant_sees_only_its_own(
    outsider_client, acme_activity, globex_activity
):
    response = outsider_client.get(STATS_URL)

    assert response.json()["total_connectors"] == 1
    assert response.json()["total_records_synced"] == 99
    assert response.json()["success_rate"] == 0.0
    assert response.json()["avg_sync_duration"] == 0.0  # no run succeeded: failed runs are not averaged


def test_the_stats_endpoint_costs_a_fixed_number_of_queries(
    viewer_client, acme_activity, acme_loads, django_assert_max_num_queries
):
    with django_assert_max_num_queries(5):  # authentication (2) + stats (2) + loads (1)
        assert viewer_client.get(STATS_URL).status_code == 200


def test_anonymous_callers_get_no_stats(anon_client):
    assert anon_client.get(STATS_URL).status_code == 401


# --- loads into destinations ----------------------------------------------------------------------


def load(connector, destination, status, *, upserted=0, deleted=0):
    return DestinationLoad.objects.create(
        tenant=connector.tenant,
        destination=destination,
        connector=connector,
        status=status,
        rows_upserted=upserted,
        rows_deleted=deleted,
    )


@pytest.fixture
def acme_loads(acme_activity, tenant_a):
    warehouse = Destination.objects.create(tenant=tenant_a, name="Warehouse", host="db.example.com")
    lake = Destination.objects.create(tenant=tenant_a, name="Lake", host="lake.example.com")
    crm, billing = acme_activity["crm"], acme_activity["billing"]
    load(crm, warehouse, LoadStatus.SUCCESS, upserted=7000)
    load(crm, warehouse, LoadStatus.SUCCESS, upserted=12, deleted=3)
    load(crm, lake, LoadStatus.FAILED, upserted=500)  # its committed batches stay loaded
    load(billing, warehouse, LoadStatus.RUNNING, upserted=100)
    load(billing, lake, LoadStatus.PENDING)


@pytest.fixture
def globex_loads(tenant_b, make_connector):
    other = make_connector(tenant=tenant_b, name="Globex orders")
    destination = Destination.objects.create(tenant=tenant_b, name="Globex DB", host="globex.example.com")
    load(other, destination, LoadStatus.FAILED, upserted=9)
    load(other, destination, LoadStatus.FAILED)


def test_load_stats_count_the_tenants_loads_rows_and_failures(tenant_a, acme_loads, globex_loads):
    assert load_stats(tenant_a) == {
        "total_loads": 5,
        "rows_loaded": 7000 + 12 + 3 + 500 + 100,
        "failed_loads": 1,
    }


def test_load_stats_of_a_tenant_without_loads_are_zero(tenant_b, acme_loads):
    assert load_stats(tenant_b) == {"total_loads": 0, "rows_loaded": 0, "failed_loads": 0}


def test_load_stats_take_one_aggregate_query(tenant_a, acme_loads, django_assert_num_queries):
    with django_assert_num_queries(1):
        load_stats(tenant_a)


def test_the_seeds_stats_keep_exactly_their_six_keys_with_loads_present(tenant_a, acme_loads):
    assert set(ConnectorStatsService.get_stats(tenant=tenant_a)) == SEED_KEYS


def test_the_stats_endpoint_adds_the_tenants_load_counts(
    viewer_client, outsider_client, acme_loads, globex_loads
):
    mine = viewer_client.get(STATS_URL).json()
    theirs = outsider_client.get(STATS_URL).json()

    assert set(mine) == SEED_KEYS | {
        "partial_rate",
        "completed_syncs",
        "total_loads",
        "rows_loaded",
        "failed_loads",
    }
    assert (mine["total_loads"], mine["rows_loaded"], mine["failed_loads"]) == (5, 7615, 1)
    assert (theirs["total_loads"], theirs["rows_loaded"], theirs["failed_loads"]) == (2, 9, 2)
    assert mine["total_connectors"] == 3
