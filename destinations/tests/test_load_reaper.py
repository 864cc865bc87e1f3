"""The reaper of destination loads: a load whose process died (its heartbeat went stale) is queued
again and continues from the destination's checkpoint while attempts remain, else ends FAILED; a
process that lost its load to the reaper stops writing to it."""

from datetime import timedelta

import pytest
from django.conf import settings
from django.utils import timezone

from destinations.models import DestinationLoad, LoadStatus
from destinations.services import attachments, loads
from destinations.sources import change_source
from destinations.tests.conftest import query, store
from migrateiq.celery import app as celery_app

pytestmark = pytest.mark.django_db

RECORDS = 60
BATCH = 10
COLUMNS = "_migrateiq_record_id, _migrateiq_change_seq, _migrateiq_synced_at, id, name, score, address__city"


class WorkerDied(BaseException):
    """What a killed worker looks like to the code after it: nothing runs, nothing is written.
    (A BaseException: the load's own ``except Exception`` does not see it.)"""


class DyingSource:
    """The registered change source, except that the process "dies" when the load asks for its
    batch number ``die_at`` (the batches before it are committed in the destination)."""

    def __init__(self, die_at: int):
        self.inner = change_source()
        self.die_at = die_at
        self.calls = 0

    def changes_after(self, connector_id, after, limit):
        self.calls += 1
        if self.calls == self.die_at:
            raise WorkerDied
        return self.inner.changes_after(connector_id, after, limit)

    def column_fields(self, connector_id):
        return self.inner.column_fields(connector_id)

    def last_sequence(self, connector_id):
        return self.inner.last_sequence(connector_id)


@pytest.fixture
def inline_batches(settings):
    settings.MIGRATEIQ_SYNC_RUNNER = "inline"
    settings.MIGRATEIQ_DESTINATION_BATCH_SIZE = BATCH
    settings.MIGRATEIQ_SYNC_MAX_ATTEMPTS = 3


@pytest.fixture
def users(pg_allowed, make_connector):
    connector = make_connector(name="Users")
    store(
        connector,
        [
            {"id": i, "name": f"user {i}", "score": i / 7, "address": {"city": f"c{i % 5}"}}
            for i in range(RECORDS)
        ],
    )
    return connector


def later():
    """A reaper's clock once every heartbeat written so far is stale."""
    return timezone.now() + timedelta(seconds=settings.MIGRATEIQ_SYNC_STALE_AFTER_SECONDS + 1)


def die_during(load, monkeypatch, *, batch: int) -> None:
    """Run ``load`` in this process until it "dies" asking for batch ``batch``."""
    monkeypatch.setattr(loads, "change_source", lambda: DyingSource(die_at=batch))
    with pytest.raises(WorkerDied):
        loads.execute_load(load.pk)
    monkeypatch.undo()


def test_a_stale_load_is_queued_again_and_ends_with_the_table_of_a_clean_load(
    inline_batches, users, make_destination, pg_database, monkeypatch, django_capture_on_commit_callbacks
):
    crashed = attachments.attach(make_destination(name="crashed", target_schema="crashed"), users.pk)
    clean = attachments.attach(make_destination(name="clean", target_schema="clean"), users.pk)
    load = loads.start_load(crashed, queue=False)
    die_during(load, monkeypatch, batch=4)  # three batches committed, then the worker is gone
    load.refresh_from_db()
    assert load.status == LoadStatus.RUNNING and load.rows_upserted == 3 * BATCH
    assert query(pg_database, "SELECT count(*) FROM crashed.users") == [(3 * BATCH,)]

    assert loads.reap_stale_loads() == {"requeued": [], "failed": [], "pending_requeued": []}  # not stale yet
    with django_capture_on_commit_callbacks(execute=True):
        outcome = loads.reap_stale_loads(now=later())

    assert outcome["requeued"] == [load.pk]
    load.refresh_from_db()
    assert load.status == LoadStatus.SUCCESS, load.error_message
    assert load.from_seq == 0  # the same load, continued: not a new one from the checkpoint
    assert load.rows_upserted == RECORDS  # 30 before the crash + 30 after: none twice
    assert load.to_seq == RECORDS
    messages = [event["message"] for event in load.events]
    assert any("queued again" in message and "attempt 2 of 3" in message for message in messages)
    assert f"Continuing after sequence {3 * BATCH} (the destination's checkpoint)." in messages
    assert DestinationLoad.objects.filter(destination=crashed.destination).count() == 1
    crashed.refresh_from_db()
    assert crashed.high_water == RECORDS

    reference = loads.execute_load(loads.start_load(clean, queue=False).pk)
    assert reference.status == LoadStatus.SUCCESS
    crashed_rows = query(pg_database, f"SELECT {COLUMNS} FROM crashed.users ORDER BY 1")  # noqa: S608
    clean_rows = query(pg_database, f"SELECT {COLUMNS} FROM clean.users ORDER BY 1")  # noqa: S608
    assert len(crashed_rows) == RECORDS
    assert crashed_rows == clean_rows


def test_a_load_whose_worker_dies_every_time_fails_once_its_attempts_are_used_up(
    inline_batches, users, make_destination, pg_database, monkeypatch, django_capture_on_commit_callbacks
):
    attachment = attachments.attach(make_destination(), users.pk)
    load = loads.start_load(attachment, queue=False)
    die_during(load, monkeypatch, batch=2)

    # Attempts 2 and 3: each requeue runs it again (inline), and it dies again one batch further.
    for attempt in (2, 3):
        monkeypatch.setattr(loads, "change_source", lambda: DyingSource(die_at=2))
        with pytest.raises(WorkerDied), django_capture_on_commit_callbacks(execute=True):
            assert loads.reap_stale_loads(now=later())["requeued"] == [load.pk]
        monkeypatch.undo()
        load.refresh_from_db()
        assert load.status == LoadStatus.RUNNING
        assert loads.load_attempts(load.events) == attempt
    with django_capture_on_commit_callbacks(execute=True):
        outcome = loads.reap_stale_loads(now=later())

    assert outcome == {"requeued": [], "failed": [load.pk], "pending_requeued": []}
    load.refresh_from_db()
    assert load.status == LoadStatus.FAILED
    assert load.finished_at is not None
    assert load.error_message == (
        "Gave up after 3 attempts: the process running this load stopped each time. "
        "The next load continues from the destination's checkpoint."
    )
    assert load.rows_upserted == 3 * BATCH  # one batch per attempt, each committed once
    assert load.events[-1]["level"] == "error"
    # The connector can be loaded again, from the destination's checkpoint.
    again = loads.execute_load(loads.start_load(attachment, queue=False).pk)
    assert again.status == LoadStatus.SUCCESS and again.from_seq == 3 * BATCH
    assert query(pg_database, "SELECT count(*) FROM analytics.users") == [(RECORDS,)]


def test_the_reaper_leaves_loads_with_a_fresh_heartbeat_and_finished_loads_alone(
    inline_batches, users, make_destination
):
    attachment = attachments.attach(make_destination(), users.pk)
    now = timezone.now()
    running = loads.start_load(attachment, queue=False)
    DestinationLoad.objects.filter(pk=running.pk).update(
        status=LoadStatus.RUNNING, started_at=now, heartbeat_at=now
    )
    finished = DestinationLoad.objects.create(
        tenant=attachment.tenant,
        destination=attachment.destination,
        connector=users,
        status=LoadStatus.FAILED,
        heartbeat_at=now - timedelta(days=1),
    )

    assert loads.reap_stale_loads() == {"requeued": [], "failed": [], "pending_requeued": []}
    assert DestinationLoad.objects.get(pk=running.pk).status == LoadStatus.RUNNING
    assert DestinationLoad.objects.get(pk=finished.pk).status == LoadStatus.FAILED


def test_a_pending_load_whose_message_was_lost_is_queued_again(
    inline_batches, users, make_destination, django_capture_on_commit_callbacks
):
    attachment = attachments.attach(make_destination(), users.pk)
    load = loads.start_load(attachment, queue=False)  # queued, but no task ever ran it
    lost = timezone.now() + timedelta(seconds=settings.MIGRATEIQ_SYNC_REQUEUE_PENDING_AFTER_SECONDS + 1)

    with django_capture_on_commit_callbacks(execute=True):
        outcome = loads.reap_stale_loads(now=lost)

    assert outcome["pending_requeued"] == [load.pk]
    load.refresh_from_db()
    assert load.status == LoadStatus.SUCCESS and load.rows_upserted == RECORDS
    assert loads.load_attempts(load.events) == 1


def test_a_process_that_lost_its_load_to_the_reaper_stops_writing_to_it(
    inline_batches, users, make_destination, pg_database, monkeypatch
):
    attachment = attachments.attach(make_destination(), users.pk)
    load = loads.start_load(attachment, queue=False)
    taken_over_at = timezone.now() + timedelta(minutes=5)

    class SlowSource(DyingSource):
        def changes_after(self, connector_id, after, limit):
            self.calls += 1
            if self.calls == 3:
                # Meanwhile its heartbeat went stale, the reaper queued it and another worker claimed it.
                DestinationLoad.objects.filter(pk=load.pk).update(
                    started_at=taken_over_at, heartbeat_at=taken_over_at
                )
            return self.inner.changes_after(connector_id, after, limit)

    monkeypatch.setattr(loads, "change_source", lambda: SlowSource(die_at=0))
    result = loads.execute_load(load.pk)

    assert result.status == LoadStatus.RUNNING  # not marked SUCCESS by the process that lost it
    assert result.started_at == taken_over_at
    assert result.rows_upserted == 2 * BATCH  # its third batch committed in the destination only
    assert result.finished_at is None
    # The destination holds exactly the batches committed (with their checkpoint), nothing twice.
    assert query(pg_database, "SELECT count(*), max(high_water) FROM analytics._migrateiq_state") == [
        (1, 3 * BATCH)
    ]
    assert query(pg_database, "SELECT count(*) FROM analytics.users") == [(3 * BATCH,)]


def test_the_beat_reaps_stale_loads_every_minute():
    celery_app.loader.import_default_modules()  # what a worker and the beat do at start-up

    entry = celery_app.conf.beat_schedule["reap-stale-loads"]
    assert entry["task"] == "destinations.tasks.reap_stale_loads"
    assert entry["schedule"] == 60.0
    assert entry["task"] in celery_app.tasks
