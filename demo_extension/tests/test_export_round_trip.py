"""Values from an upstream API back out of every way records leave MigrateIQ, read with a data
engineer's standard tools: NDJSON with ``json``, CSV with the ``csv`` module and ``psql``'s
``\\copy … CSV`` into a table of a database of the test's own, the change feed paged to its end, and
the records list. The upstream is a real HTTP server on 127.0.0.1 serving the JSON text below."""

import csv
import io
import json
import math
import secrets
import subprocess

import psycopg
import pytest
from django.db import connection

from demo_extension.tests.sync_support import (  # noqa: F401 - fixtures
    fault_server,
    fault_server_process,
    fault_url,
    run_sync,
)
from sync_engine.paths import get_path, path_parts

pytestmark = pytest.mark.django_db

CONNECTORS = "/api/demo-extension/connectors/"
PG_SERVER = "postgresql://postgres@127.0.0.1:5432/"
LONG = "ab\u00e9" * 70000  # beyond the csv module's default field limit (131,072 characters)

# JSON text as the upstream writes it (numbers as written, which json.dumps would not keep).
PAGE_1 = (
    '[{"id": 1, "emoji": "\U0001f468\u200d\U0001f469\u200d\U0001f467\U0001f44d\U0001f3fd",'
    ' "combining": "e\\u0301", "precomposed": "\\u00e9", "rtl": "\u05e9\u05dc\u05d5\u05dd \\u202eabc",'
    ' "separators": "a\\u2028b\\u2029c\\u0085d", "controls": "\\u0001x\\u001f\\u007f\\r\\n\\r\\t\\\\\\"",'
    f' "long": "{LONG}", "empty": "", "nothing": null, "quoted": "a,\\"b\\"\\n", "backslash_n": "\\\\N",'
    ' "beyond_2_53": 9007199254740993, "int64_max": 9223372036854775807,'
    ' "int64_min": -9223372036854775808, "beyond_2_63": 9223372036854775808,'
    ' "below_minus_2_63": -9223372036854775809, "huge": 123456789012345678901234567890,'
    ' "f17": 0.30000000000000004, "f1e300": 1e300, "negative_zero": -0.0, "fmax": 1.7976931348623157e308,'
    ' "tiny": 5e-324, "whole": 100.0, "f1e16": 1e16, "small": 1e-7, "decimal_text": "0.10",'
    ' "yes": true, "no": false, "nested": {"a": {"b": [1, {"c": null}, "x"]}, "e": {}}, "list": [],'
    ' "a.b": "dot", "a/b": "slash", "a b": "space", "\\u043a\\u043b\\u044e\\u0447": "cyrillic",'
    ' "/lead": "lead", "~t": "tilde", "Name": "upper", "name": "lower",'
    ' "at_offset": "2024-03-10T02:30:00+05:30", "at_nanos": "2024-03-10T02:30:00.123456789Z",'
    ' "shifting": 5, "formula": "=SUM(A1)"},'
    ' {"id": 2, "combining": "\\u00e9", "precomposed": "e\\u0301", "empty": null, "nothing": "",'
    ' "beyond_2_53": 9007199254740992, "nested": {"a": null, "e": {"k": 1}}, "shifting": "5",'
    ' "Name": null, "at_offset": "2024-03-09T21:00:00Z"}]'
)
PAGE_2 = (
    '[{"id": 3, "shifting": {"x": [true]}, "list": [[], {}, 2.5], "empty": "null", "nothing": "NULL",'
    ' "nested": {"a": {"b": "s"}}},'
    ' {"id": 4, "shifting": 5.0, "empty": "\\"\\""}, {"id": 5}]'
)
UPSTREAM = {str(record["id"]): record for record in json.loads(PAGE_1) + json.loads(PAGE_2)}


def same(a, b) -> bool:
    """Equal JSON values of the same types (``1`` is not ``1.0``, ``-0.0`` is not ``0.0``)."""
    if type(a) is not type(b):
        return False
    if type(a) is float:
        return a == b and math.copysign(1, a) == math.copysign(1, b)
    if type(a) is dict:
        return a.keys() == b.keys() and all(same(a[key], b[key]) for key in a)
    if type(a) is list:
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    return a == b


def served(record: dict) -> dict:
    """What the records hold of ``record``: on PostgreSQL, whose jsonb has no negative zero, -0.0 is
    0.0 (README: "Records keep the upstream's values")."""
    if connection.vendor == "postgresql" and "negative_zero" in record:
        return {**record, "negative_zero": 0.0}
    return record


def csv_cell(value) -> str:
    """The CSV cell of a JSON value as the README describes it (the empty string's quotes aside)."""
    if value is None or type(value) is str:
        return value or ""
    if type(value) in (bool, int, float):
        return json.dumps(value).replace("e-0", "e-")  # 1e-07 → 1e-7, as orjson writes it
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


@pytest.fixture
def synced(fault_server, make_connector):  # noqa: F811 - the imported fixture
    fault_server.expect_request("/items", query_string={"page": "1"}).respond_with_data(
        PAGE_1, content_type="application/json"
    )
    fault_server.expect_request("/items", query_string={"page": "2"}).respond_with_data(
        PAGE_2, content_type="application/json"
    )
    fault_server.expect_request("/items").respond_with_data("[]", content_type="application/json")
    connector = make_connector(
        api_endpoint=fault_url(fault_server), auth_type="none", pagination={"type": "page"}
    )
    log = run_sync(connector)
    assert (log.status, log.records_created) == ("SUCCESS", 5)
    return connector


def download(client, connector, **params) -> bytes:
    response = client.get(f"{CONNECTORS}{connector.pk}/export/", params)
    assert response.status_code == 200, response.content
    return b"".join(response.streaming_content)


def test_ndjson_read_with_json_gives_back_every_record_as_served(viewer_client, synced):
    lines = download(viewer_client, synced).decode().splitlines()  # every Unicode line break

    exported = {str(record["id"]): record for record in map(json.loads, lines)}

    assert len(lines) == 5
    assert all(same(exported[key], served(record)) for key, record in UPSTREAM.items())


def test_the_change_feed_paged_to_its_end_and_the_records_list_give_back_every_record(viewer_client, synced):
    after, changes = 0, []
    while True:
        page = viewer_client.get(f"{CONNECTORS}{synced.pk}/changes/", {"after": after, "limit": 2}).json()
        changes += page["changes"]
        after = page["next_after"]
        if not page["has_more"]:
            break
    listed = viewer_client.get(f"{CONNECTORS}{synced.pk}/records/", {"page_size": 100}).json()["results"]

    assert sorted(change["external_id"] for change in changes) == sorted(UPSTREAM)
    for name, got in (("feed", changes), ("list", listed)):
        data = {item["external_id"]: item["data"] for item in got}
        assert all(same(data[key], served(record)) for key, record in UPSTREAM.items()), name


def test_csv_read_with_the_csv_module_has_each_field_in_its_column(viewer_client, synced):
    text = download(viewer_client, synced, format="csv", spreadsheet_safe="false").decode()
    csv.field_size_limit(len(LONG) + 1)  # the default (131,072) refuses the long cell
    try:
        rows = list(csv.reader(io.StringIO(text, newline="")))
    finally:
        csv.field_size_limit(131072)

    header = rows[0]
    assert len(set(header)) == len(header)  # Name and name, a.b (a key) and nested.a.b
    for row in rows[1:]:
        record = served(UPSTREAM[row[header.index("id")]])
        assert [csv_cell(get_path(record, path_parts(name))) for name in header] == row


def test_csv_loaded_with_psql_copy_keeps_empty_strings_apart_from_null(viewer_client, synced, tmp_path):
    path = tmp_path / "records.csv"
    path.write_bytes(download(viewer_client, synced, format="csv", spreadsheet_safe="false"))
    header = next(csv.reader(io.StringIO(path.read_text().split("\r\n", 1)[0])))
    database = f"migrateiq_copy_test_{secrets.token_hex(6)}"
    with psycopg.connect(PG_SERVER + "postgres", autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{database}"')
    try:
        with psycopg.connect(PG_SERVER + database, autocommit=True) as conn:
            columns = ", ".join(f'"{name}" text' for name in header)
            conn.execute(f"CREATE TABLE loaded ({columns})")  # noqa: S608 - the export's own header
        subprocess.run(
            ["psql", "-h", "127.0.0.1", "-U", "postgres", "-d", database, "-v", "ON_ERROR_STOP=1", "-c",
             f"\\copy loaded FROM '{path}' WITH (FORMAT csv, HEADER true)"],
            check=True, capture_output=True,
        )  # fmt: skip
        with psycopg.connect(PG_SERVER + database) as conn:
            loaded = conn.execute("SELECT * FROM loaded").fetchall()
    finally:
        with psycopg.connect(PG_SERVER + "postgres", autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')

    assert len(loaded) == 5
    for row in loaded:
        record = served(UPSTREAM[row[header.index("id")]])
        values = [get_path(record, path_parts(name)) for name in header]
        # null and a missing field are NULL; an empty string stays one
        assert list(row) == [None if value is None else csv_cell(value) for value in values]
