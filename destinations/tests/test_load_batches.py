"""How a load turns a batch of changes into rows: column-wise conversion that agrees with the
per-value rules, COPY text escaping, a record met twice in a load, and the first load's COPY straight
into the table with its fall-back to upserts."""

from dataclasses import replace

import pytest
from django.utils import timezone

from destinations.models import LoadStatus
from destinations.services import attachments, loads
from destinations.services import postgres as pg
from destinations.sources import change_source
from destinations.tests.conftest import query, store
from sync_engine.models import SyncedRecord

pytestmark = pytest.mark.django_db

SAMPLES = [
    [1, 2, None, -(2**63), 2**63 - 1],
    [1, 2**63],
    [1.5, 2, None],
    [True, False, None],
    [True, 1],
    ["2024-01-02T03:04:05Z", "2024-01-02", None, "2024-01-02 03:04:05.123456+02:00"],
    ["2024-02-30"],
    ["2024-01-02", "2024-01-02\n"],
    ["2024-01-02", "2024-13-01"],
    ["x", 1, 2.5, True, {"a": [1, "b"]}, [1, 2], None],
    [{"a": 1}, [2], "s"],
    [None, None],
    [],
    ["٢٠٢٤-٠١-٠٢"],  # digits, but not ASCII ones
    [2**70, 1.25],
]


@pytest.mark.parametrize("pg_type", sorted(pg.COLUMN_CONVERTERS))
@pytest.mark.parametrize("values", SAMPLES, ids=[str(index) for index in range(len(SAMPLES))])
def test_a_column_converts_exactly_as_its_values_do_one_by_one(pg_type, values):
    """The column-wise fast path never accepts a value the per-value rule refuses (or the reverse),
    and writes the same text (escaped for COPY)."""
    try:
        expected = pg.copy_texts([pg.to_text(value, pg_type) for value in values])
    except pg._Misfit:
        expected = None

    try:
        got = pg.COLUMN_CONVERTERS[pg_type](values)
    except pg._Misfit:
        got = None

    assert got == expected


def test_copy_texts_escape_only_what_copy_would_misread():
    texts = ["plain", None, "", "tab\there", "new\nline", "cr\rhere", "back\\slash", "\\N", "ünï ✓"]

    assert pg.copy_texts(texts) == [
        "plain",
        pg.NULL,
        "",
        "tab\\there",
        "new\\nline",
        "cr\\rhere",
        "back\\\\slash",
        "\\\\N",
        "ünï ✓",
    ]
    assert pg.copy_texts(["a", None, "b"]) == ["a", pg.NULL, "b"]


def test_field_values_read_each_nested_level_once_and_absent_values_as_none():
    records = [{"a": {"b": {"c": 1}, "d": 2}}, {"a": "not an object"}, {}, {"a": {"b": None}}]

    assert pg.field_values(records, [("a", "b", "c"), ("a", "d"), ("e",)]) == {
        ("a", "b", "c"): [1, None, None, None],
        ("a", "d"): [2, None, None, None],
        ("e",): [None, None, None, None],
    }


@pytest.fixture
def attached(pg_allowed, make_destination, make_connector):
    destination = make_destination()
    connector = make_connector(name="Users")
    return destination, connector, attachments.attach(destination, connector.pk)


def run_load(attachment):
    return loads.execute_load(loads.start_load(attachment, queue=False).pk)


def test_text_that_copy_would_misread_arrives_unchanged(attached, pg_database):
    destination, connector, attachment = attached
    hostile = ["tab\there", "line\nbreak\r\n", "back\\slash", "\\N", "", "\\.", "ünï ✓ 𝄞"]
    store(
        connector,
        [
            {"id": f"k{index}\t\\", "text": text, "nested": {"list": [text]}}
            for index, text in enumerate(hostile)
        ],
    )

    assert run_load(attachment).status == LoadStatus.SUCCESS

    found = query(
        pg_database, "SELECT _migrateiq_record_id, text, nested__list FROM analytics.users ORDER BY id"
    )
    assert found == [(f"k{index}\t\\", text, [text]) for index, text in enumerate(hostile)]


class ChangingSource:
    """The registered change source; after the first batch is read, ``change()`` runs (a sync
    writing meanwhile), so the records it changes come again later in the same load."""

    def __init__(self, change):
        self.inner, self.change, self.calls = change_source(), change, 0

    def changes_after(self, connector_id, after, limit):
        found = self.inner.changes_after(connector_id, after, limit)
        self.calls += 1
        if self.calls == 1:
            self.change()
        return found

    def column_fields(self, connector_id):
        return self.inner.column_fields(connector_id)

    def last_sequence(self, connector_id):
        return self.inner.last_sequence(connector_id)


def test_a_first_load_copies_into_the_table_and_upserts_a_record_that_changed_during_the_load(
    attached, pg_database, settings, monkeypatch
):
    destination, connector, attachment = attached
    settings.MIGRATEIQ_DESTINATION_BATCH_SIZE = 10
    store(connector, [{"id": i, "name": f"v1 {i}"} for i in range(30)])
    source = ChangingSource(
        lambda: store(connector, [{"id": 3, "name": "v2 3"}, {"id": 25, "name": "v2 25"}])
    )
    monkeypatch.setattr(loads, "change_source", lambda: source)

    load = run_load(attachment)

    assert load.status == LoadStatus.SUCCESS, load.error_message
    # 3 was loaded in the first batch and comes again at the end: a conflict, upserted from then on
    assert load.rows_upserted == 31 and load.to_seq == 32
    found = query(pg_database, "SELECT id, name, _migrateiq_change_seq FROM analytics.users ORDER BY id")
    assert len(found) == 30
    assert found[3] == (3, "v2 3", 31) and found[25] == (25, "v2 25", 32)
    assert found[4] == (4, "v1 4", 5)


def test_a_record_met_twice_in_one_batch_is_loaded_in_its_latest_state(attached, pg_database, monkeypatch):
    destination, connector, attachment = attached
    store(connector, [{"id": 1, "name": "one"}, {"id": 2, "name": "two"}, {"id": 3, "name": "three"}])
    inner = change_source()

    class Doubled(ChangingSource):
        def changes_after(self, connector_id, after, limit):
            found = inner.changes_after(connector_id, after, limit)
            if not found:
                return found
            # as if read in two pages, a sync changing 1 and deleting 3 in between
            one, two, three = found
            newer_one = replace(one, seq=4, data_json='{"id": 1, "name": "new"}')
            gone_three = replace(three, seq=5, deleted_at=timezone.now())
            return [one, two, three, newer_one, gone_three]

    monkeypatch.setattr(loads, "change_source", lambda: Doubled(lambda: None))

    load = run_load(attachment)

    assert load.status == LoadStatus.SUCCESS, load.error_message
    assert (load.rows_upserted, load.rows_deleted, load.to_seq) == (2, 0, 5)  # 3 was never in the table
    assert query(pg_database, "SELECT id, name FROM analytics.users ORDER BY id") == [(1, "new"), (2, "two")]


def test_an_incremental_load_upserts_without_trying_the_first_loads_copy(attached, pg_database):
    destination, connector, attachment = attached
    store(connector, [{"id": 1, "name": "a"}, {"id": 2, "name": "b"}])
    run_load(attachment)
    store(connector, [{"id": 2, "name": "b2"}, {"id": 3, "name": "c"}])
    SyncedRecord.objects.filter(connector=connector, external_id="1").update(
        deleted_at=timezone.now(), change_seq=99
    )

    load = run_load(attachment)

    assert (load.rows_upserted, load.rows_deleted) == (2, 1)
    assert query(pg_database, "SELECT id, name FROM analytics.users ORDER BY id") == [(2, "b2"), (3, "c")]
