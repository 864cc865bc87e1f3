"""Canonical JSON, checksums and the per-page bulk upsert, on SQLite and PostgreSQL alike."""

import datetime
import decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from demo_extension.models import SyncedRecord, SyncLog
from sync_engine.records import (
    UnstorableRecord,
    canonical_json,
    checksum,
    encode_record,
    jsonb_safe,
    upsert_page,
)


def rows_of(records: dict, source: str = "") -> dict:
    return {key: (*encode_record(value), source) for key, value in records.items()}


@pytest.fixture
def sync_log(make_connector):
    connector = make_connector()
    return SyncLog.objects.create(tenant=connector.tenant, connector=connector, status="RUNNING")


def upsert(sync_log, records: dict, source: str = "", **options):
    return upsert_page(
        tenant_id=sync_log.tenant_id,
        connector_id=sync_log.connector_id,
        sync_log_id=sync_log.pk,
        rows=rows_of(records, source),
        now=timezone.now(),
        **options,
    )


def test_canonical_json_is_compact_sorted_and_independent_of_key_order():
    assert canonical_json({"b": 1, "a": {"y": [1, 2], "x": None}}) == '{"a":{"x":null,"y":[1,2]},"b":1}'
    assert checksum(canonical_json({"a": 1, "b": 2})) == checksum(canonical_json({"b": 2, "a": 1}))
    assert len(checksum("{}")) == 32


def test_canonical_json_stores_dates_and_decimals_as_strings():
    value = {"d": datetime.date(2024, 5, 1), "n": decimal.Decimal("1.50")}
    assert canonical_json(value) == '{"d":"2024-05-01","n":"1.50"}'


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ({"v": float("nan")}, "NaN or Infinity"),
        ({"v": float("-inf")}, "NaN or Infinity"),
        ({"v": "a\x00b"}, "NUL character"),
        ({"k\x00": 1}, "NUL character"),
        ({"v": "\ud800"}, "unpaired UTF-16 surrogate"),
        ({"v": object()}, "which JSON cannot store"),
    ],
)
def test_values_a_database_cannot_store_are_refused(value, problem):
    with pytest.raises(UnstorableRecord, match=problem):
        canonical_json(value)


def test_escaped_lookalikes_of_unstorable_values_are_fine():
    assert canonical_json({"v": "\\u0000 and \\ud800"}) == '{"v":"\\\\u0000 and \\\\ud800"}'


def test_jsonb_safe_copies_keep_what_they_can():
    assert jsonb_safe({"a": float("nan"), "b": ["x\x00", "\ud800"], 3: decimal.Decimal("2")}) == {
        "a": "nan",
        "b": ["x\ufffd", "?"],
        "3": "2",
    }


def stored(sync_log):
    return SyncedRecord.objects.filter(connector_id=sync_log.connector_id)


def test_floats_written_with_an_exponent_are_stored_in_plain_digits_and_read_back_as_floats(sync_log):
    # before: stored as 1e+16, which PostgreSQL's jsonb gives back as 10000000000000000 (and 1e+300
    # as 1 and 300 zeros): integers in every export, the records, the change feed, the schema a full
    # refresh rebuilt ("number → integer") and destination columns widened for them
    record = {"f": 1e16, "g": [-1.5e20, 1e300], "small": 1e-7, "n": 2**70, "s": "1e+16", "k1e+5": 1}
    text = canonical_json(record)
    assert text.startswith('{"f":10000000000000000.0,"g":[-150000000000000000000.0,1000000000')
    assert text.endswith('000.0],"k1e+5":1,"n":1180591620717411303424,"s":"1e+16","small":1e-07}')
    assert canonical_json({"f": 1e16}) == '{"f":10000000000000000.0}'  # orjson's text, without a big int

    upsert(sync_log, {"1": record})

    data = stored(sync_log).get().data
    assert data == record
    assert [type(value) for value in (data["f"], *data["g"], data["small"])] == [float] * 4


def test_new_changed_and_unchanged_records_are_counted_and_only_new_and_changed_are_written(sync_log):
    upsert(sync_log, {"1": {"id": 1}, "2": {"id": 2}})
    table = SyncedRecord._meta.db_table

    counts = upsert(sync_log, {"1": {"id": 1}, "2": {"id": 2, "v": "new"}, "3": {"id": 3}})

    assert (counts.created, counts.updated, counts.unchanged) == (1, 1, 1)
    assert dict(stored(sync_log).values_list("external_id", "data")) == {
        "1": {"id": 1},
        "2": {"id": 2, "v": "new"},
        "3": {"id": 3},
    }
    record = stored(sync_log).get(external_id="3")
    assert record.tenant_id == sync_log.tenant_id
    assert record.checksum == checksum('{"id":3}')
    with CaptureQueriesContext(connection) as queries:
        counts = upsert(sync_log, {"1": {"id": 1}, "2": {"id": 2, "v": "new"}})
    assert (counts.created, counts.updated, counts.unchanged) == (0, 0, 2)
    assert not [q for q in queries.captured_queries if table in q["sql"] and "INSERT" in q["sql"].upper()]


def test_an_unchanged_record_with_an_outdated_source_checksum_is_rewritten_and_counted_unchanged(sync_log):
    upsert(sync_log, {"1": {"id": 1}, "2": {"id": 2}}, source="a" * 32)
    stored(sync_log).update(last_synced_at=timezone.now() - datetime.timedelta(days=1))
    written_before = set(stored(sync_log).values_list("last_synced_at", flat=True))

    counts = upsert(sync_log, {"1": {"id": 1}, "2": {"id": 2}}, source="b" * 32)

    assert (counts.created, counts.updated, counts.unchanged) == (0, 0, 2)
    assert set(stored(sync_log).values_list("source_checksum", flat=True)) == {"b" * 32}
    rewritten = set(stored(sync_log).values_list("last_synced_at", flat=True))
    assert rewritten.isdisjoint(written_before)

    # a row without a source checksum (not from a plain page) leaves the stored one alone
    counts = upsert(sync_log, {"1": {"id": 1}, "2": {"id": 2}})

    assert (counts.created, counts.updated, counts.unchanged) == (0, 0, 2)
    assert set(stored(sync_log).values_list("source_checksum", flat=True)) == {"b" * 32}
    assert set(stored(sync_log).values_list("last_synced_at", flat=True)) == rewritten


def test_the_first_load_path_counts_the_same(sync_log):
    counts = upsert(sync_log, {"1": {"id": 1}, "2": {"id": 2}}, first_load=True)
    assert (counts.created, counts.updated, counts.unchanged) == (2, 0, 0)

    counts = upsert(sync_log, {"2": {"id": 2}, "3": {"id": 3}, "1": {"id": 1, "v": 2}}, first_load=True)

    assert (counts.created, counts.updated, counts.unchanged) == (1, 1, 1)
    assert stored(sync_log).get(external_id="1").data == {"id": 1, "v": 2}


def test_a_page_larger_than_the_databases_parameter_limit_is_upserted(sync_log):
    records = {str(i): {"id": i} for i in range(5000)}
    upsert(sync_log, records)

    counts = upsert(sync_log, records)

    assert counts.unchanged == 5000
    assert stored(sync_log).count() == 5000


def test_an_empty_page_does_nothing(sync_log):
    with CaptureQueriesContext(connection) as queries:
        counts = upsert(sync_log, {})
    assert (counts.created, counts.updated, counts.unchanged) == (0, 0, 0)
    assert queries.captured_queries == []


def test_a_first_load_writes_the_same_rows_as_the_upsert(make_connector, monkeypatch):
    """PostgreSQL writes a first load's pages with COPY; its rows equal the upsert's, and a page
    repeating a stored id falls back to the upsert in the same transaction."""
    from sync_engine import records as records_module

    attempts = []
    real_copy = records_module._copy_first_load
    monkeypatch.setattr(
        records_module, "_copy_first_load", lambda *a: attempts.append(real_copy(*a)) or attempts[-1]
    )
    page = {str(i): {"id": i, "name": f"n{i}", "nested": {"tags": ["a", "é", 'q"\\']}} for i in range(3)}
    logs = []
    for first_load in (True, False):
        connector = make_connector()
        log = SyncLog.objects.create(tenant=connector.tenant, connector=connector, status="RUNNING")
        logs.append(log)
        now = timezone.now()
        upsert_page(
            tenant_id=log.tenant_id,
            connector_id=log.connector_id,
            sync_log_id=log.pk,
            rows=rows_of(page, source="s" * 32),
            now=now,
            first_load=first_load,
        )
    fields = ["tenant_id", "external_id", "data", "checksum", "source_checksum", "change_seq", "deleted_at"]
    copied, upserted = [list(stored(log).order_by("external_id").values(*fields)) for log in logs]
    assert [{**row, "tenant_id": None} for row in copied] == [{**row, "tenant_id": None} for row in upserted]
    assert {row["tenant_id"] for row in copied} == {logs[0].tenant_id}
    assert [row["change_seq"] for row in copied] == [1, 2, 3]
    first = stored(logs[0]).get(external_id="0")
    assert first.last_sync_log_id == logs[0].pk
    assert first.first_synced_at == first.last_synced_at is not None

    # a later page of the same first load repeats id "2": written through the upsert instead
    counts = upsert(logs[0], {"2": {"id": 2, "v": 1}, "9": {"id": 9}}, first_load=True)

    assert (counts.created, counts.updated, counts.unchanged) == (1, 1, 0)
    assert stored(logs[0]).get(external_id="2").data == {"id": 2, "v": 1}
    assert stored(logs[0]).count() == 4
    if connection.vendor == "postgresql":
        assert attempts == [True, False]
    else:
        assert attempts == []


@pytest.mark.parametrize("first_load", [True, False])
def test_a_page_of_thousands_of_records_is_written_whole_with_its_change_sequences(sync_log, first_load):
    records = {str(i): {"id": i} for i in range(7000)}

    counts = upsert(sync_log, records, first_load=first_load)
    again = upsert(sync_log, {**records, "1": {"id": 1, "v": 2}}, first_load=first_load)

    assert (counts.created, counts.updated, counts.unchanged) == (7000, 0, 0)
    assert (again.created, again.updated, again.unchanged) == (0, 1, 6999)
    assert stored(sync_log).count() == 7000
    # every row has its own change sequence, in page order (the changed record got a new one)
    sequences = dict(stored(sync_log).values_list("external_id", "change_seq"))
    assert sorted(sequences[str(i)] for i in range(7000) if i != 1) == [i + 1 for i in range(7000) if i != 1]
    assert sequences["1"] > 7000


def test_sqlite_pages_of_any_size_are_written_by_a_few_prepared_statements():
    """Compiling a statement of hundreds of rows costs SQLite as much as writing thousands: the rows
    of any page are split into chunks of eleven sizes only, so the connection's prepared statements
    are reused whatever the page sizes (a re-sync writes pages of every size)."""
    from sync_engine.records import _SQLITE_CHUNK, _sqlite_chunks

    sizes_used = set()
    for count in range(0, 3 * _SQLITE_CHUNK + 7):
        chunks = _sqlite_chunks(count)
        assert sum(chunks) == count
        assert len(chunks) <= count // _SQLITE_CHUNK + 10
        sizes_used.update(chunks)
    assert sizes_used == {2**n for n in range(11)}


@pytest.mark.sqlite_only
def test_a_page_is_written_where_sqlite_binds_only_999_parameters(sync_log):
    """SQLite before 3.32 binds at most 999 parameters a statement (Django 5.2 supports 3.31): the
    chunks shrink to what the connection allows."""
    import sqlite3

    connection.ensure_connection()
    raw = connection.connection
    before = raw.setlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER, 999)
    try:
        counts = upsert(sync_log, {str(i): {"id": i} for i in range(3000)}, first_load=True)
        again = upsert(sync_log, {str(i): {"id": i, "v": 1} for i in range(2500)})
    finally:
        raw.setlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER, before)

    assert (counts.created, counts.updated) == (3000, 0)
    assert (again.created, again.updated, again.unchanged) == (0, 2500, 0)
    assert stored(sync_log).count() == 3000
