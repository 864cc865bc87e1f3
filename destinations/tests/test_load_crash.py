"""A load killed with SIGKILL mid-way (a real subprocess) and run again ends with the same table as
a clean load: the checkpoint commits with the rows, so nothing is lost or applied twice."""

import os
import signal
import subprocess
import sys
import time

import psycopg
import pytest

from demo_extension.tests.worker_process import BASE_DIR, worker_environment
from destinations.models import DestinationLoad, LoadStatus
from destinations.services import attachments, loads
from destinations.tests.conftest import query, store

pytestmark = [pytest.mark.celery_worker, pytest.mark.django_db(transaction=True)]

RECORDS = 20_000
BATCH = 20


def checkpoint(conn, schema: str) -> int:
    try:
        found = conn.execute(f'SELECT high_water FROM "{schema}"._migrateiq_state').fetchall()  # noqa: S608
    except psycopg.errors.UndefinedTable:  # the load has not created it yet
        return 0
    return found[0][0] if found else 0


COLUMNS = "_migrateiq_record_id, _migrateiq_change_seq, _migrateiq_synced_at, id, name, score, address__city"


@pytest.fixture
def users(make_connector):
    connector = make_connector(name="Users")
    for start in range(0, RECORDS, 5_000):
        store(
            connector,
            [
                {"id": i, "name": f"user {i}", "score": i / 7, "address": {"city": f"c{i % 13}"}}
                for i in range(start, start + 5_000)
            ],
        )
    return connector


def kill_mid_load(destination, connector, pg_database, tmp_path) -> int:
    """Run ``manage.py load_destination`` in a subprocess and SIGKILL it mid-way; the checkpoint then."""
    env = worker_environment(
        var_dir=tmp_path,
        broker_url=None,
        queue="unused",
        MIGRATEIQ_DESTINATION_BATCH_SIZE=BATCH,
        MIGRATEIQ_EGRESS_ALLOWLIST="127.0.0.1:5432",
    )
    process = subprocess.Popen(
        [sys.executable, "manage.py", "load_destination", str(destination.pk), str(connector.pk)],
        cwd=BASE_DIR,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    schema = destination.target_schema
    url = f"postgresql://postgres@127.0.0.1:5432/{pg_database}"
    with psycopg.connect(url, autocommit=True) as conn:
        try:
            deadline = time.monotonic() + 60
            while checkpoint(conn, schema) < 10 * BATCH and time.monotonic() < deadline:
                time.sleep(0.002)
        finally:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        at_kill = checkpoint(conn, schema)
    assert 0 < at_kill < RECORDS, "the load was not caught mid-way"
    assert DestinationLoad.objects.get(destination=destination).status == LoadStatus.RUNNING  # left behind
    return at_kill


def same_tables(pg_database, schema: str, reference: str) -> None:
    rows = query(pg_database, f"SELECT {COLUMNS} FROM {schema}.users ORDER BY 1")  # noqa: S608
    expected = query(pg_database, f"SELECT {COLUMNS} FROM {reference}.users ORDER BY 1")  # noqa: S608
    assert len(rows) == RECORDS
    assert rows == expected


def test_a_load_killed_mid_way_resumes_to_the_same_table_as_a_clean_load(
    pg_allowed, make_destination, users, pg_database, tmp_path, settings
):
    crashed = make_destination(name="crashed", target_schema="crashed")
    clean = make_destination(name="clean", target_schema="clean")
    crashed_attachment = attachments.attach(crashed, users.pk)
    clean_attachment = attachments.attach(clean, users.pk)

    at_kill = kill_mid_load(crashed, users, pg_database, tmp_path)

    settings.MIGRATEIQ_SYNC_STALE_AFTER_SECONDS = 0  # its heartbeat is old enough: take over
    resumed = loads.execute_load(loads.start_load(crashed_attachment, queue=False).pk)
    reference = loads.execute_load(loads.start_load(clean_attachment, queue=False).pk)

    assert resumed.status == LoadStatus.SUCCESS, resumed.error_message
    assert resumed.from_seq >= at_kill  # continued from the checkpoint, not from the start
    assert resumed.rows_upserted == RECORDS - resumed.from_seq
    assert DestinationLoad.objects.filter(destination=crashed, status=LoadStatus.FAILED).count() == 1
    assert reference.status == LoadStatus.SUCCESS
    same_tables(pg_database, "crashed", "clean")


def test_a_killed_load_is_queued_again_by_the_reaper_and_finishes_as_the_same_load(
    pg_allowed, make_destination, users, pg_database, tmp_path, settings, django_capture_on_commit_callbacks
):
    settings.MIGRATEIQ_SYNC_RUNNER = "inline"
    settings.MIGRATEIQ_DESTINATION_BATCH_SIZE = 2_000
    crashed = make_destination(name="crashed", target_schema="crashed")
    clean = make_destination(name="clean", target_schema="clean")
    attachments.attach(crashed, users.pk)
    clean_attachment = attachments.attach(clean, users.pk)

    at_kill = kill_mid_load(crashed, users, pg_database, tmp_path)

    settings.MIGRATEIQ_SYNC_STALE_AFTER_SECONDS = 0
    with django_capture_on_commit_callbacks(execute=True):
        outcome = loads.reap_stale_loads()
    load = DestinationLoad.objects.get(destination=crashed)
    reference = loads.execute_load(loads.start_load(clean_attachment, queue=False).pk)

    assert outcome["requeued"] == [load.pk]
    assert load.status == LoadStatus.SUCCESS, load.error_message
    assert load.from_seq == 0 and load.to_seq == RECORDS
    # The killed process counted its batches until it died (a batch committed in the destination
    # just before the kill may be uncounted), the requeued run the rest.
    assert RECORDS - BATCH <= load.rows_upserted <= RECORDS
    assert f"Continuing after sequence {at_kill} (the destination's checkpoint)." in [
        event["message"] for event in load.events
    ]
    assert reference.status == LoadStatus.SUCCESS
    same_tables(pg_database, "crashed", "clean")
