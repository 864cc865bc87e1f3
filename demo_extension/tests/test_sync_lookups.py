"""A re-sync reads each page's stored checksums in a thread of its own (``sync_engine.lookups``)
where pages are committed in the background, and in the run's thread inside a caller's transaction;
``records.stored_checksums`` answers with every stored id, whatever its characters."""

import threading

import pytest
from django.db import DatabaseError, connection, connections

from demo_extension.models import SyncedRecord, SyncStatus
from demo_extension.tests.sync_support import run_sync, store, stored_records
from demo_extension.tests.test_sync_overlap import observed_upstream  # noqa: F401 - a fixture
from sync_engine import engine
from sync_engine.records import stored_checksums


def _lookup_threads() -> list[threading.Thread]:
    return [thread for thread in threading.enumerate() if thread.name.startswith("sync-lookups")]


@pytest.fixture(
    params=[
        pytest.param("inline", marks=pytest.mark.django_db),
        pytest.param("background", marks=pytest.mark.django_db(transaction=True)),
    ]
)
def resynced(request, observed_upstream, make_connector):  # noqa: F811
    """A connector synced once; "background": outside a test transaction (``BackgroundCommitter``)."""
    upstream = observed_upstream(records=300, page_size=20, style="page")
    connector = make_connector(upstream=upstream, pagination={"type": "page"})
    # what committers.committer_for decides by: a caller's transaction keeps the commits inline
    assert connection.in_atomic_block == (request.param == "inline")
    first = run_sync(connector)
    assert first.status == SyncStatus.SUCCESS, first.error_message
    return request.param, upstream, connector


@pytest.fixture
def lookup_calls(monkeypatch):
    """The thread and the number of ids of every stored-checksum read of a run."""
    calls = []
    real = engine.stored_checksums

    def recording(connector_id, ids):
        calls.append((threading.current_thread().name, len(ids)))
        return real(connector_id, ids)

    monkeypatch.setattr(engine, "stored_checksums", recording)
    return calls


def test_a_resync_reads_stored_checksums_in_the_lookup_thread_when_pages_commit_in_the_background(
    resynced, lookup_calls
):
    mode, upstream, connector = resynced
    upstream.update(version=1, mutate_every=45)  # records 45, 90, ... 270: 6 changed

    log = run_sync(connector)

    assert log.status == SyncStatus.SUCCESS, log.error_message
    assert (log.records_updated, log.records_unchanged, log.records_created) == (6, 294, 0)
    assert [count for _, count in lookup_calls] == [20] * 15  # every page read once, every id
    threads = {name for name, _ in lookup_calls}
    if mode == "background":
        assert threads == {"sync-lookups_0"}
    else:  # inside the test's transaction another connection would not see the stored rows
        assert threads == {threading.current_thread().name}
    assert _lookup_threads() == []  # the thread ended with the run
    assert len(stored_records(connector)) == 300


def test_a_failed_read_in_the_lookup_thread_fails_the_run_and_keeps_the_pages_before_it(
    resynced, monkeypatch
):
    mode, upstream, connector = resynced
    upstream.update(version=1, mutate_every=1)  # every record changed: every page writes
    real = engine.stored_checksums
    calls = []

    def failing_on_the_fifth_page(connector_id, ids):
        calls.append(threading.current_thread().name)
        if len(calls) == 5:
            raise DatabaseError("disk I/O error")
        return real(connector_id, ids)

    monkeypatch.setattr(engine, "stored_checksums", failing_on_the_fifth_page)

    log = run_sync(connector)

    assert log.status == SyncStatus.FAILED
    # The database's own text stays in the server log (core.database_errors): the run names the kind.
    assert log.error_message.startswith("Database error while storing a page: database error"), (
        log.error_message
    )
    assert log.pages_fetched == 4  # the four pages read before the failure are committed
    assert log.records_updated == 80
    assert _lookup_threads() == []


@pytest.mark.django_db
def test_stored_checksums_answers_for_ids_with_any_characters(make_connector):
    connector = make_connector()
    ids = [
        "1",
        "007",
        'quote " inside',
        "it's",
        "back\\slash",
        "ünïcödé",
        "😀 emoji",
        " spaced ",
        "[1,2]",
        "null",
    ]
    store(connector, [{"id": external_id, "n": n} for n, external_id in enumerate(ids)])
    expected = {
        external_id: (checksum, source)
        for external_id, checksum, source in SyncedRecord.objects.filter(connector=connector).values_list(
            "external_id", "checksum", "source_checksum"
        )
    }

    found = stored_checksums(connector.pk, [*ids, "missing", "1 "])

    assert found == expected
    assert set(found) == set(ids)
    assert stored_checksums(connector.pk, ["missing"]) == {}


def test_the_lookup_thread_closes_its_own_database_connection(resynced, monkeypatch, caplog):
    mode, upstream, connector = resynced
    used = []  # the connection each read ran on
    real = engine.stored_checksums

    def recording(connector_id, ids):
        used.append(connections["default"])
        return real(connector_id, ids)

    monkeypatch.setattr(engine, "stored_checksums", recording)
    upstream.update(version=1, mutate_every=45)

    log = run_sync(connector)

    assert log.status == SyncStatus.SUCCESS, log.error_message
    assert used
    assert "could not close its database connection" not in caplog.text
    if mode == "background":
        lookup_connection = used[0]
        assert lookup_connection is not connections["default"]  # the thread's own
        in_memory = getattr(lookup_connection, "is_in_memory_db", lambda: False)()
        if not in_memory:  # Django keeps a shared in-memory SQLite database open on close()
            assert lookup_connection.connection is None
