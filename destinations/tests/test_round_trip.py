"""Values from an upstream API to a destination table and back: a sync from a real HTTP server on
127.0.0.1, a load into a throwaway PostgreSQL database, and each column read back with psycopg as
a warehouse user would, compared with what the upstream served."""

import datetime
import decimal
import json
import math

import psycopg
import pytest
from psycopg import sql

from demo_extension.tests.sync_support import (  # noqa: F401 - fixtures
    fault_server,
    fault_server_process,
    page_numbered_connector,
    run_sync,
    serve_pages,
)
from destinations.models import LoadStatus
from destinations.services import attachments, loads
from destinations.tests.conftest import query
from sync_engine.paths import get_path

pytestmark = pytest.mark.django_db

# Each value a type of column holds, and values that make other types of the same field.
HARD = {
    "id": 1,
    "emoji": "\U0001f468\u200d\U0001f469\u200d\U0001f467 \U0001f44d\U0001f3fd",
    "combining": "e\u0301",
    "precomposed": "\u00e9",
    "rtl": "\u05e9\u05dc\u05d5\u05dd \u202eabc",
    "separators": "a\u2028b\u2029c\u0085d",
    "controls": '\u0001x\u001f\u007f\r\n\r\t\\"',
    "long": "ab\u00e9" * 50000,
    "empty": "",
    "null": None,
    "beyond_2_53": 9007199254740993,
    "int64_max": 2**63 - 1,
    "int64_min": -(2**63),
    "beyond_2_63": 2**63,
    "below_minus_2_63": -(2**63) - 1,
    "float_17_digits": 0.30000000000000004,
    "float_1e300": 1e300,
    "float_1e16": 1e16,
    "float_tiny": 5e-324,
    "float_whole": 100.0,
    "decimal_text": "12345678901234567890.123456789",
    "yes": True,
    "no": False,
    "nested": {"a": {"b": [1, {"c": None}, "x"]}},
    "list": [[], {}, 1.5, 2**64],
    "a.b": "dot",
    "a/b": "slash",
    "a b": "space",
    "\u043a\u043b\u044e\u0447": "cyrillic",
    "Name": "upper",
    "name": "lower",
    "at_offset": "2024-03-10T02:30:00+05:30",
    "at_micros": "2024-03-10T02:30:00.123456Z",
    "at_nanos": "2024-03-10T02:30:00.123456789Z",
    "day": "2024-02-29",
    "shifting": {"z": 2**64, "a": [1, "x"]},  # text beside it in record 2: a text column
}
SECOND_RECORD = {"id": 2, "empty": None, "null": "", "shifting": "text"}


def expected_cell(value, pg_type: str):
    """What a column of ``pg_type`` reads back as for the JSON ``value`` (README: "A destination
    column's type comes from the inferred schema")."""
    if value is None:
        return None
    if pg_type == "text" and type(value) is not str:  # JSON text, compact, keys sorted (as in CSV)
        return json.dumps(value, sort_keys=True, separators=(",", ":"))
    if pg_type in ("numeric", "double precision") and type(value) is float:
        return decimal.Decimal(repr(value)) if pg_type == "numeric" else value
    if pg_type == "timestamp with time zone":
        return datetime.datetime.fromisoformat(value).astimezone(datetime.UTC)
    if pg_type == "date":
        return datetime.date.fromisoformat(value)
    return value


def loaded_rows(database, schema, table) -> tuple[dict, list[dict]]:
    """The table's column types and its rows as ``{column: value}``, as psycopg reads them."""
    with psycopg.connect(f"postgresql://postgres@127.0.0.1:5432/{database}") as conn:
        types = dict(
            conn.execute(
                "SELECT column_name, data_type FROM information_schema.columns "
                "WHERE table_schema = %s AND table_name = %s",
                [schema, table],
            ).fetchall()
        )
        cursor = conn.execute(sql.SQL("SELECT * FROM {}").format(sql.Identifier(schema, table)))
        names = [column.name for column in cursor.description]
        return types, [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def test_a_load_of_a_synced_upstream_gives_back_every_value_in_its_columns_type(
    fault_server,  # noqa: F811 - the imported fixture
    make_connector,
    make_destination,
    pg_allowed,
    pg_database,
):
    serve_pages(fault_server, {"1": [HARD, SECOND_RECORD]})
    connector = page_numbered_connector(make_connector, fault_server)
    assert run_sync(connector).records_created == 2
    attachment = attachments.attach(make_destination(), connector.pk, table_name="hard")

    load = run_load(attachment)

    assert load.status == LoadStatus.SUCCESS, load.error_message
    attachment.refresh_from_db()
    types, rows = loaded_rows(pg_database, "analytics", "hard")
    by_id = {row["_migrateiq_record_id"]: row for row in rows}
    for record in (HARD, SECOND_RECORD):
        row = by_id[str(record["id"])]
        for key, column in attachment.columns.items():
            value = get_path(record, tuple(key.split("\x1f")))
            assert row[column] == expected_cell(value, types[column]), (key, column, types[column])
    assert types["at_nanos"] == "text"  # timestamptz would round it: the column keeps the text
    # before: '{"a": [1, "x"], "z": 18446744073709551616}' (spaces, beside integers beyond 64 bits),
    # and on PostgreSQL an object's keys came in jsonb's order
    assert by_id["1"]["shifting"] == '{"a":[1,"x"],"z":18446744073709551616}'
    assert by_id["1"]["float_17_digits"] == 0.30000000000000004
    # a column of the inferred schema's floats is double precision: 1e300 and 5e-324 stay floats
    assert types["float_1e300"] == "double precision" and by_id["1"]["float_1e300"] == 1e300
    assert not math.isnan(by_id["1"]["float_tiny"]) and by_id["1"]["float_tiny"] == 5e-324


FIRST = {
    "id": 1,
    "score": 0.30000000000000004,
    "price": 1.0,
    "ratio": 1e-7,
    "seen_at": "2024-03-10T02:30:00+05:30",
    "meta": {"b": [1, 2], "aa": 1},
    "big": 1.5e-7,
}
# Values that widen each column of FIRST's table: an integer beside floats (numeric), text beside
# floats, timestamps and objects (text), an integer beyond 64 bits beside floats (numeric).
SECOND = {
    "id": 2,
    "score": 2,
    "price": "n/a",
    "ratio": "n/a",
    "seen_at": "later",
    "meta": "none",
    "big": 2**64,
}


@pytest.fixture
def upstream_connector(fault_server, make_connector, pg_allowed):  # noqa: F811 - the imported fixture
    """A connector of the fault server's page-numbered ``/items``, its destination server allowed."""
    return page_numbered_connector(make_connector, fault_server)


def run_load(attachment):
    return loads.execute_load(loads.start_load(attachment, queue=False).pk)


def load_before_and_after(server, connector, attachment, before: list, after: list):
    """Sync and load ``before`` as the upstream's records, then ``after``; the second load."""
    for records in (before, after):
        serve_pages(server, {"1": records})
        run_sync(connector)
        load = run_load(attachment)
    return load


def test_a_column_widened_after_rows_were_loaded_holds_their_values_as_a_first_load_writes_them(
    fault_server,  # noqa: F811 - the imported fixture
    upstream_connector,
    make_destination,
    pg_database,
):
    # before: PostgreSQL's cast rewrote the rows loaded before: score 0.30000000000000004 became 0.3
    # (double precision to numeric keeps 15 digits), price 1.0 became "1" and ratio "1e-07" (the load
    # writes 1.0 and 1e-7), seen_at "2024-03-09 21:00:00+00" (its offset gone), and meta, an object
    # until then, stayed in meta__aa / meta__b with the new column meta null
    connector = upstream_connector
    attachment = attachments.attach(make_destination(), connector.pk, table_name="widened")

    load = load_before_and_after(fault_server, connector, attachment, [FIRST], [FIRST, SECOND])

    assert load.status == LoadStatus.SUCCESS, load.error_message
    rows = query(
        pg_database,
        "SELECT _migrateiq_record_id, score, price, ratio, seen_at, meta, meta__aa, meta__b, big "
        "FROM analytics.widened ORDER BY 1",
    )
    assert rows == [
        (
            "1",
            decimal.Decimal("0.30000000000000004"),
            "1.0",
            "1e-7",
            "2024-03-10T02:30:00+05:30",
            '{"aa":1,"b":[1,2]}',
            None,
            None,
            decimal.Decimal("1.5e-7"),
        ),
        ("2", decimal.Decimal(2), "n/a", "n/a", "later", "none", None, None, decimal.Decimal(2**64)),
    ]
    messages = [event["message"] for event in load.events]
    assert any(message.startswith("Loading every record again from the start") for message in messages)
    # the same as a table loaded from scratch with both records
    fresh = attachments.attach(make_destination(target_schema="fresh"), connector.pk, table_name="widened")
    assert run_load(fresh).status == LoadStatus.SUCCESS
    fresh_rows = (
        "SELECT score, price, ratio, seen_at, meta, big FROM fresh.widened ORDER BY _migrateiq_record_id"
    )
    assert query(pg_database, fresh_rows) == [row[1:6] + row[8:] for row in rows]


KEPT = {"id": 1, "count": 5, "flag": True, "day": "2024-01-01"}


def test_a_widening_that_keeps_the_loaded_values_loads_nothing_again(
    fault_server,  # noqa: F811 - the imported fixture
    upstream_connector,
    make_destination,
    pg_database,
):
    attachment = attachments.attach(make_destination(), upstream_connector.pk, table_name="kept")
    widening = {"id": 2, "count": 2**64, "flag": "?"}

    load = load_before_and_after(fault_server, upstream_connector, attachment, [KEPT], [KEPT, widening])

    assert load.status == LoadStatus.SUCCESS and load.columns_widened == 2
    assert not any("again from the start" in event["message"] for event in load.events)
    assert load.rows_upserted == 1
    assert query(pg_database, "SELECT count, flag, day::text FROM analytics.kept ORDER BY 1") == [
        (decimal.Decimal(5), "true", "2024-01-01"),
        (decimal.Decimal(2**64), "?", None),
    ]
