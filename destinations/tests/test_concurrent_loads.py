"""Loads that run at the same time into one PostgreSQL destination: the schema, the checkpoint table
and the tables they create or change are created once, and every load succeeds with all its rows."""

import threading
import time

import psycopg
import pytest
from django.db import connection

from destinations.models import DestinationLoad, LoadStatus
from destinations.services import attachments, loads
from destinations.tests.conftest import query, store
from tenancy.testing import at_once

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.shared_database]


@pytest.fixture(autouse=True)
def _no_tenant_cap(settings):
    # two loads of one tenant at once, as a tenant allowed more than one (test_tenant_work_cap.py)
    settings.MIGRATEIQ_TENANT_MAX_CONCURRENT_SYNCS = 0


def run_at_once(load_ids: list[int]) -> list[DestinationLoad]:
    """Execute the loads on threads released together; their rows once they have all ended."""
    at_once(loads.execute_load, load_ids)
    return list(DestinationLoad.objects.filter(pk__in=load_ids).order_by("pk"))


def test_loads_of_two_connectors_into_a_new_schema_at_once_both_succeed(
    pg_allowed, make_destination, make_connector, pg_database
):
    for round_ in range(3):  # each round a schema that does not exist yet
        destination = make_destination(target_schema=f"raw{round_}")
        started = []
        for name in ("users", "orders", "events"):
            connector = make_connector(name=f"{name} {round_}")
            store(connector, [{"id": i, "name": f"{name} {i}", f"{name}_only": i} for i in range(50)])
            attachment = attachments.attach(destination, connector.pk, name)
            started.append(loads.start_load(attachment, queue=False).pk)

        ended = run_at_once(started)

        assert [(load.status, load.error_message) for load in ended] == [(LoadStatus.SUCCESS, "")] * 3
        for name in ("users", "orders", "events"):
            schema = f"raw{round_}"
            assert query(pg_database, f"SELECT count(*), count({name}_only) FROM {schema}.{name}") == [  # noqa: S608
                (50, 50)
            ]


def test_two_loads_of_one_table_at_once_add_its_columns_once(
    pg_allowed, make_destination, make_connector, pg_database
):
    # Two destinations on the same database and schema, the same connector in the same table: the
    # loads take turns on the table's checkpoint row, so its DDL never runs twice.
    connector = make_connector(name="Users")
    store(connector, [{"id": i, "name": f"user {i}", "score": i / 3} for i in range(200)])
    first = attachments.attach(make_destination(target_schema="shared"), connector.pk, "users")
    second = attachments.attach(make_destination(target_schema="shared"), connector.pk, "users")

    ended = run_at_once([loads.start_load(first, queue=False).pk, loads.start_load(second, queue=False).pk])

    assert [(load.status, load.error_message) for load in ended] == [(LoadStatus.SUCCESS, "")] * 2
    assert query(pg_database, "SELECT count(*), count(DISTINCT id), count(score) FROM shared.users") == [
        (200, 200, 200)
    ]


def test_a_schema_another_session_creates_meanwhile_does_not_fail_the_load(
    pg_allowed, make_destination, make_connector, pg_database
):
    destination = make_destination(target_schema="landing")
    connector = make_connector(name="Users")
    store(connector, [{"id": 1, "name": "Ann"}])
    load = loads.start_load(attachments.attach(destination, connector.pk, "users"), queue=False)

    with psycopg.connect(f"postgresql://postgres@127.0.0.1:5432/{pg_database}") as other:
        other.execute("CREATE SCHEMA landing")  # not committed yet: the load's CREATE SCHEMA waits for it
        ended = run_in_background(load.pk)
        wait_until_blocked(other)
        other.commit()
    ended.join(timeout=60)

    load.refresh_from_db()
    assert (load.status, load.error_message) == (LoadStatus.SUCCESS, "")
    assert query(pg_database, "SELECT id, name FROM landing.users") == [(1, "Ann")]


def run_in_background(load_id: int) -> threading.Thread:
    def execute() -> None:
        try:
            loads.execute_load(load_id)
        finally:
            connection.close()

    thread = threading.Thread(target=execute)
    thread.start()
    return thread


def wait_until_blocked(holder: psycopg.Connection) -> None:
    """Wait until another session waits for a lock ``holder``'s transaction holds."""
    pid = holder.info.backend_pid
    with psycopg.connect("postgresql://postgres@127.0.0.1:5432/postgres", autocommit=True) as watcher:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            waiting = watcher.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE %s = ANY(pg_blocking_pids(pid))", [pid]
            ).fetchone()[0]
            if waiting:
                return
            time.sleep(0.02)
    raise AssertionError("the load never waited for the other session's schema")
