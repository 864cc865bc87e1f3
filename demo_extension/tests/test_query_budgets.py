"""Query budgets of the connectors API: the number of queries never grows with the objects shown.

Each endpoint is read with 1 object and again with 50 (one page). The count must be the same, and
within a fixed budget: a serializer that follows a foreign key without ``select_related`` (an N+1)
fails here first.
"""

from datetime import timedelta

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from demo_extension.models import (
    CustomDataConnector,
    SyncedRecord,
    SyncLog,
    SyncLogEvent,
    SyncRecordError,
    SyncStatus,
)
from destinations.models import Destination, DestinationLoad, LoadStatus

BASE = "/api/demo-extension"
MANY = 50

pytestmark = pytest.mark.django_db


class Graph:
    """One tenant's connectors, sync runs, log lines, records and quarantined records, grown on demand."""

    def __init__(self, tenant, user):
        self.tenant = tenant
        self.user = user
        self.connector = self._connectors(1)[0]
        self.sync_log = self._logs(self.connector, 1)[0]
        # one of everything, so that "1 object" is never an empty list
        self.grow("records", 1)
        self.grow("sync-log-events", 1)
        self.grow("sync-log-errors", 1)

    def _connectors(self, count: int) -> list[CustomDataConnector]:
        start = CustomDataConnector.objects.filter(tenant=self.tenant).count()
        return CustomDataConnector.objects.bulk_create(
            CustomDataConnector(
                tenant=self.tenant,
                name=f"Connector {start + i:03d}",
                api_endpoint=f"http://127.0.0.1:9/c{start + i}",
                api_key="budget-key-1234" if i % 2 else "",
                created_by=self.user,
                records_count=i,
            )
            for i in range(count)
        )

    def _logs(self, connector, count: int) -> list[SyncLog]:
        now = timezone.now()
        return SyncLog.objects.bulk_create(
            SyncLog(
                tenant=self.tenant,
                connector=connector,
                status=SyncStatus.PARTIAL,
                triggered_by_user=self.user,
                started_at=now - timedelta(seconds=30),
                finished_at=now,
                duration_seconds=30.0,
                records_processed=10,
                records_failed=1,
            )
            for _ in range(count)
        )

    def grow(self, endpoint: str, count: int) -> None:
        """Add ``count`` objects of the kind ``endpoint`` shows."""
        now = timezone.now()
        if endpoint in ("connector-list", "stats", "stats-history"):
            for connector in self._connectors(count):
                self._logs(connector, 1)
        if endpoint in ("sync-history", "connector-detail", "stats"):
            self._logs(self.connector, count)
        if endpoint == "stats":
            destination = Destination.objects.create(
                tenant=self.tenant, name=f"Warehouse {timezone.now().timestamp()}", host="db.example.com"
            )
            DestinationLoad.objects.bulk_create(
                DestinationLoad(
                    tenant=self.tenant,
                    destination=destination,
                    connector=self.connector,
                    status=LoadStatus.SUCCESS,
                    rows_upserted=10,
                )
                for _ in range(count)
            )
        if endpoint == "sync-log-list":
            for connector in self._connectors(count):
                self._logs(connector, 1)
        if endpoint in ("records", "connector-detail"):
            offset = SyncedRecord.objects.filter(connector=self.connector).count()
            SyncedRecord.objects.bulk_create(
                SyncedRecord(
                    tenant=self.tenant,
                    connector=self.connector,
                    external_id=f"r{offset + i:05d}",
                    data={"id": offset + i, "name": f"user {offset + i}"},
                    checksum="0" * 64,
                    first_synced_at=now,
                    last_synced_at=now,
                    last_sync_log=self.sync_log,
                )
                for i in range(count)
            )
        if endpoint in ("sync-log-events", "sync-log-detail"):
            SyncLogEvent.objects.bulk_create(
                SyncLogEvent(sync_log=self.sync_log, message=f"page {i} fetched") for i in range(count)
            )
        if endpoint in ("sync-log-errors", "sync-log-detail"):
            SyncRecordError.objects.bulk_create(
                SyncRecordError(
                    tenant=self.tenant,
                    sync_log=self.sync_log,
                    connector=self.connector,
                    external_id=f"bad{i}",
                    raw_payload={"id": i},
                    error="missing field",
                    page=1,
                )
                for i in range(count)
            )

    def url(self, endpoint: str) -> str:
        return {
            "connector-list": f"{BASE}/connectors/",
            "connector-detail": f"{BASE}/connectors/{self.connector.pk}/",
            "stats": f"{BASE}/connectors/stats/",
            "stats-history": f"{BASE}/connectors/stats/history/",
            "sync-history": f"{BASE}/connectors/{self.connector.pk}/sync_history/",
            "records": f"{BASE}/connectors/{self.connector.pk}/records/",
            "sync-log-list": f"{BASE}/sync-logs/",
            "sync-log-detail": f"{BASE}/sync-logs/{self.sync_log.pk}/",
            "sync-log-events": f"{BASE}/sync-logs/{self.sync_log.pk}/events/",
            "sync-log-errors": f"{BASE}/sync-logs/{self.sync_log.pk}/errors/",
        }[endpoint]


# The budget of each endpoint, authentication included (user + membership: 2 queries).
BUDGETS = {
    "connector-list": 5,  # + the page's connectors' latest run statuses (one query)
    "connector-detail": 4,  # + its latest run statuses (one query), as the list
    "stats": 5,  # the seed's figures (two aggregates) and the load counts (one)
    "stats-history": 3,
    "sync-history": 5,
    "records": 6,  # + the page's rows' sizes (MIGRATEIQ_API_MAX_PAGE_BYTES, one query)
    "sync-log-list": 4,
    "sync-log-detail": 4,
    "sync-log-events": 5,
    "sync-log-errors": 6,  # + the page's rows' sizes, as records
}


def read(client, url) -> tuple[int, object, list[str]]:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200, response.content
    return len(captured.captured_queries), response.json(), [q["sql"] for q in captured.captured_queries]


def shown(body) -> int | None:
    """How many objects a response shows: the page's results, or a detail's nested list."""
    if isinstance(body, dict) and "results" in body:
        return len(body["results"])
    return None


@pytest.mark.parametrize("endpoint", list(BUDGETS))
def test_queries_do_not_grow_with_the_objects_shown(endpoint, viewer_client, viewer_user, tenant_a):
    graph = Graph(tenant_a, viewer_user)
    url = graph.url(endpoint)
    few, few_body, _ = read(viewer_client, url)
    cache.clear()  # every read here is a cold one: the stats cache must not hide queries
    graph.grow(endpoint, MANY - 1)
    many, many_body, many_sql = read(viewer_client, url)

    if shown(few_body) is not None:
        assert shown(many_body) > shown(few_body), "the second read must show more objects"
    assert many == few, f"{endpoint}: {few} queries with 1 object, {many} with {MANY}:\n" + "\n".join(
        many_sql
    )
    assert many <= BUDGETS[endpoint], f"{endpoint}: {many} queries:\n" + "\n".join(many_sql)


def test_the_sync_log_detail_shows_its_log_lines_in_one_query(
    viewer_client, viewer_user, tenant_a, django_assert_max_num_queries
):
    graph = Graph(tenant_a, viewer_user)
    graph.grow("sync-log-detail", MANY)

    with django_assert_max_num_queries(BUDGETS["sync-log-detail"]):
        body = viewer_client.get(graph.url("sync-log-detail")).json()

    assert len(body["events"]) == MANY + 1


def test_the_connector_list_shows_a_full_page_in_a_fixed_number_of_queries(
    viewer_client, viewer_user, tenant_a, django_assert_max_num_queries
):
    graph = Graph(tenant_a, viewer_user)
    graph.grow("connector-list", MANY - 1)

    with django_assert_max_num_queries(BUDGETS["connector-list"]):
        body = viewer_client.get(graph.url("connector-list")).json()

    assert body["count"] == MANY
    assert {row["created_by"] for row in body["results"]} == {viewer_user.email}


def test_a_full_page_of_running_connectors_names_each_run_in_the_same_queries(
    viewer_client, viewer_user, tenant_a, django_assert_max_num_queries
):
    graph = Graph(tenant_a, viewer_user)
    graph.grow("connector-list", MANY - 1)
    running = {}
    for connector in CustomDataConnector.objects.filter(tenant=tenant_a):
        log = SyncLog.objects.create(tenant=tenant_a, connector=connector, status=SyncStatus.RUNNING)
        running[connector.pk] = log.pk

    with django_assert_max_num_queries(BUDGETS["connector-list"]):
        body = viewer_client.get(graph.url("connector-list")).json()

    assert {row["id"]: row["running_sync_id"] for row in body["results"]} == running
