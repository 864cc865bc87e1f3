"""The streaming export: NDJSON and CSV bodies, escaping and formula neutralisation, ``since`` /
``fields`` / ``include_deleted``, bad parameters, and memory that does not grow with the export."""

import csv
import io
import json
import tracemalloc

import psycopg
import pytest
from django.utils import timezone

from conftest import hang_up
from demo_extension.tests.sync_support import store
from sync_engine.models import ConnectorSchema
from sync_engine.schema import connector_schema
from sync_engine.schema_backfill import rebuild_schema

pytestmark = pytest.mark.django_db

CONNECTORS = "/api/demo-extension/connectors/"
# the machine's PostgreSQL, which the destinations tests load into: a loader of the CSV exports
PG_SERVER = "postgresql://postgres@127.0.0.1:5432/postgres"


def body(response) -> bytes:
    assert response.status_code == 200, response.content
    assert response.streaming
    return b"".join(response.streaming_content)


def export(client, connector, **params):
    return client.get(f"{CONNECTORS}{connector.pk}/export/", params)


def test_ndjson_is_one_stored_record_a_line_with_a_file_name(viewer_client, make_connector):
    connector = make_connector(name="Customer DB / EU")
    records = [{"id": i, "name": f"n{i}", "tags": ["a", i]} for i in range(1, 6)]
    store(connector, records)

    response = export(viewer_client, connector)

    assert response["Content-Type"] == "application/x-ndjson"
    assert response["Content-Disposition"] == (
        f'attachment; filename="customer-db-eu-{connector.pk}-records.ndjson"'
    )
    assert response["X-Accel-Buffering"] == "no"  # streamed through a buffering proxy as it comes
    lines = body(response).decode().splitlines()
    assert [json.loads(line) for line in lines] == records


@pytest.mark.parametrize("params", [{}, {"fields": "id,note"}, {"include_deleted": "true"}])
def test_an_ndjson_line_holds_no_raw_unicode_line_break_a_reader_would_split_it_at(
    viewer_client, make_connector, params
):
    # before: U+2028, U+2029 and U+0085 went out raw (valid JSON), and a reader splitting lines on
    # every Unicode line break (Python's str.splitlines) cut such a record into pieces of invalid JSON
    connector = make_connector()
    records = [{"id": 1, "note": "a\u2028b\u2029c\u0085d"}, {"id": 2, "note": "plain"}]
    store(connector, records)

    text = body(export(viewer_client, connector, **params)).decode()

    lines = text.splitlines()
    assert len(lines) == 2
    assert [json.loads(line)["note"] for line in lines] == [record["note"] for record in records]


def test_a_name_with_accents_and_other_scripts_keeps_its_letters_in_the_file_name(
    viewer_client, make_connector
):
    # Before: "caf-n-code-t-st-4-records.csv", and no filename* for browsers that take UTF-8.
    connector = make_connector(name="Café / Ünïcode: tëst 数据")
    store(connector, [{"id": 1}])

    response = export(viewer_client, connector, format="csv")

    assert response["Content-Disposition"] == (
        f'attachment; filename="cafe-unicode-test-{connector.pk}-records.csv"; '
        f"filename*=UTF-8''cafe-unicode-test-%E6%95%B0%E6%8D%AE-{connector.pk}-records.csv"
    )


def test_csv_columns_come_from_the_schema_with_dotted_paths_and_json_for_lists(viewer_client, make_connector):
    connector = make_connector()
    store(
        connector,
        [
            {"id": 1, "address": {"city": "Oslo", "zip": "0150"}, "tags": ["x", "y"], "ok": True, "n": 1.5},
            {"id": 2, "address": {"city": "Rome"}, "tags": [], "ok": False, "n": None},
        ],
    )

    response = export(viewer_client, connector, format="csv")

    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].endswith(f'-{connector.pk}-records.csv"')
    text = body(response).decode()
    assert text.startswith("address.city,address.zip,id,n,ok,tags\r\n")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[1:] == [
        ["Oslo", "0150", "1", "1.5", "true", '["x","y"]'],
        ["Rome", "", "2", "", "false", "[]"],
    ]


@pytest.mark.parametrize("safe", ["true", "false"])
def test_an_empty_string_is_a_quoted_empty_cell_and_null_an_empty_one_for_a_loader(
    viewer_client, make_connector, safe
):
    # before: both were an empty cell, which PostgreSQL's COPY ... CSV (and other loaders) read as
    # NULL: the empty strings came out null
    connector = make_connector()
    store(connector, [{"id": 1, "v": "", "w": None}, {"id": 2, "v": None, "w": "x"}, {"id": 3, "w": ""}])

    text = body(export(viewer_client, connector, format="csv", spreadsheet_safe=safe)).decode()

    assert text == 'id,v,w\r\n1,"",\r\n2,,x\r\n3,,""\r\n'
    with psycopg.connect(PG_SERVER, autocommit=True) as conn:
        conn.execute("CREATE TEMPORARY TABLE loaded (id int, v text, w text)")
        with conn.cursor().copy("COPY loaded FROM STDIN (FORMAT csv, HEADER true)") as copy:
            copy.write(text)
        loaded = conn.execute("SELECT id, v, w FROM loaded ORDER BY id").fetchall()
    assert loaded == [(1, "", None), (2, None, "x"), (3, None, "")]


def test_a_csv_of_a_connector_with_nothing_stored_is_a_header_row(viewer_client, make_connector):
    # it was a body with no header, which a loader does not read as a CSV
    connector = make_connector(primary_key="order_id")

    text = body(export(viewer_client, connector, format="csv")).decode()

    assert text == "order_id\r\n"
    assert list(csv.reader(io.StringIO(text))) == [["order_id"]]


def test_csv_quotes_per_rfc_4180_and_neutralises_formulas(viewer_client, make_connector):
    connector = make_connector()
    hostile = ['=HYPERLINK("http://evil")', "+1+1", "-2+3", "@SUM(A1)", "\tx", "\rx"]
    records = [{"id": i, "v": value} for i, value in enumerate(hostile, start=1)]
    records.append({"id": 99, "v": 'comma, "quote"\nnewline'})
    records.append({"id": 100, "v": -5})  # a number is not a formula
    store(connector, records)

    text = body(export(viewer_client, connector, format="csv")).decode()

    assert '"comma, ""quote""\nnewline"' in text
    rows = list(csv.reader(io.StringIO(text, newline="")))
    values = {row[0]: row[1] for row in rows[1:]}
    for i, value in enumerate(hostile, start=1):
        assert values[str(i)] == "'" + value
    assert values["99"] == 'comma, "quote"\nnewline'
    assert values["100"] == "-5"


def test_a_formula_after_leading_blanks_or_in_full_width_is_neutralised_too(viewer_client, make_connector):
    connector = make_connector()
    hostile = [
        " =1+1",
        "  +cmd|' /C calc'!A0",
        "\u00a0-2+3",
        "\u3000@SUM(A1)",
        "\n=1+1",
        "\u200b=1+1",
        "\ufeff=1+1",
        '\uff1dHYPERLINK("http://evil.test")',
        "\uff0b1+1",
        "\uff0d2+3",
        "\uff20SUM(A1)",
        " \uff1d1+1",
    ]
    store(connector, [{"id": i, "v": value} for i, value in enumerate(hostile, start=1)])

    text = body(export(viewer_client, connector, format="csv")).decode()

    values = {row[0]: row[1] for row in list(csv.reader(io.StringIO(text, newline="")))[1:]}
    assert [values[str(i)] for i in range(1, len(hostile) + 1)] == ["'" + value for value in hostile]


def test_text_that_only_contains_a_formula_sign_later_is_left_alone(viewer_client, make_connector):
    connector = make_connector()
    texts = ["a=b", " x-y", "e-mail", "\u00e9=1", "  -20.5", "\uff11+1"]
    store(connector, [{"id": i, "v": value} for i, value in enumerate(texts, start=1)])

    text = body(export(viewer_client, connector, format="csv")).decode()

    assert [row[1] for row in list(csv.reader(io.StringIO(text, newline="")))[1:]] == texts


def test_numbers_stored_as_text_stay_numbers_and_a_loader_can_ask_for_cells_as_stored(
    viewer_client, make_connector
):
    connector = make_connector()
    texts = ["-20.2170", "+3", "-.5", "1e-7", "-2.5E+3", "+1-555-089-0001", "=1+1"]
    store(connector, [{"id": i, "v": value} for i, value in enumerate(texts, start=1)])

    def values(**params):
        text = body(export(viewer_client, connector, format="csv", **params)).decode()
        return [row[1] for row in list(csv.reader(io.StringIO(text, newline="")))[1:]]

    # a plain decimal number is read as that number by a spreadsheet: nothing to guard
    assert values() == ["-20.2170", "+3", "-.5", "1e-7", "-2.5E+3", "'+1-555-089-0001", "'=1+1"]
    assert values(spreadsheet_safe="false") == texts
    assert export(viewer_client, connector, format="csv", spreadsheet_safe="maybe").status_code == 400


def test_the_raw_csv_is_saved_under_another_name_than_the_spreadsheet_safe_one(viewer_client, make_connector):
    connector = make_connector(name="Demo users API")
    store(connector, [{"id": 1, "phone": "+1-555-089-0001"}])

    def disposition(**params):
        response = export(viewer_client, connector, **params)
        hang_up(response)  # not read: closed, which gives its read slot back
        return response["Content-Disposition"]

    name = f"demo-users-api-{connector.pk}-records"
    assert disposition(format="csv") == f'attachment; filename="{name}.csv"'
    assert disposition(format="csv", spreadsheet_safe="false") == f'attachment; filename="{name}-raw.csv"'
    # NDJSON writes values as stored either way: one file, one name
    assert disposition(format="ndjson", spreadsheet_safe="false") == f'attachment; filename="{name}.ndjson"'


def test_since_and_fields_select_records_and_columns(viewer_client, make_connector):
    connector = make_connector()
    store(connector, [{"id": i, "name": f"n{i}", "address": {"city": f"c{i}"}} for i in range(1, 4)])
    feed = viewer_client.get(f"{CONNECTORS}{connector.pk}/changes/").json()
    cursor = feed["next_after"]
    store(connector, [{"id": 2, "name": "changed", "address": {"city": "new"}}, {"id": 4, "name": "n4"}])

    lines = body(export(viewer_client, connector, since=cursor, fields="id,address.city")).splitlines()
    assert [json.loads(line) for line in lines] == [
        {"id": 2, "address.city": "new"},
        {"id": 4, "address.city": None},
    ]
    text = body(export(viewer_client, connector, format="csv", since=cursor, fields="name,id")).decode()
    assert text == "name,id\r\nchanged,2\r\nn4,4\r\n"


def test_deleted_records_are_exported_only_when_asked(viewer_client, make_connector):
    connector = make_connector()
    store(connector, [{"id": 1}, {"id": 2}])
    connector.records.filter(external_id="2").update(deleted_at=timezone.now())

    assert [json.loads(line) for line in body(export(viewer_client, connector)).splitlines()] == [{"id": 1}]
    # before: the deleted record came out exactly like a live one
    when = connector.records.get(external_id="2").deleted_at.isoformat().replace("+00:00", "Z")
    lines = body(export(viewer_client, connector, include_deleted="true")).splitlines()
    assert [json.loads(line) for line in lines] == [
        {"_deleted_at": None, "id": 1},
        {"_deleted_at": when, "id": 2},
    ]
    projected = body(export(viewer_client, connector, include_deleted="true", fields="id")).splitlines()
    assert [json.loads(line) for line in projected] == [
        {"_deleted_at": None, "id": 1},
        {"_deleted_at": when, "id": 2},
    ]
    text = body(export(viewer_client, connector, include_deleted="true", format="csv")).decode()
    assert text == f"id,_deleted_at\r\n1,\r\n2,{when}\r\n"


@pytest.mark.parametrize("only_deleted_have_it", [False, True])
def test_records_with_a_deleted_at_field_of_their_own_keep_it_beside_the_marker(
    viewer_client, make_connector, only_deleted_have_it
):
    # before: {"_deleted_at":null,"_deleted_at":"2020-01-01",...}, which a JSON reader reads as the
    # record's own value (a live record read as deleted), and a CSV with two _deleted_at columns
    connector = make_connector()
    store(connector, [{"id": 1, "_deleted_at": "2020-01-01", "__deleted_at": None}, {"id": 2}])
    gone = "1" if only_deleted_have_it else "2"
    connector.records.filter(external_id=gone).update(deleted_at=timezone.now())
    rebuild_schema(connector.pk)  # what a full refresh does at its end: the live records' schema
    when = connector.records.get(external_id=gone).deleted_at.isoformat().replace("+00:00", "Z")
    marks = {"1": None, "2": None, gone: when}

    lines = body(export(viewer_client, connector, include_deleted="true")).splitlines()
    rows = list(
        csv.DictReader(
            io.StringIO(body(export(viewer_client, connector, include_deleted="true", format="csv")).decode())
        )
    )

    expected = [
        {"___deleted_at": marks["1"], "_deleted_at": "2020-01-01", "__deleted_at": None, "id": 1},
        {"___deleted_at": marks["2"], "id": 2},
    ]
    assert [json.loads(line) for line in lines] == expected
    assert [list(json.loads(line))[0] for line in lines] == ["___deleted_at", "___deleted_at"]
    assert rows == [
        {"__deleted_at": "", "_deleted_at": "2020-01-01", "id": "1", "___deleted_at": marks["1"] or ""},
        {"__deleted_at": "", "_deleted_at": "", "id": "2", "___deleted_at": marks["2"] or ""},
    ]


def test_a_deleted_at_field_of_records_stored_before_the_schema_existed_keeps_its_name_too(
    viewer_client, make_connector
):
    connector = make_connector()
    store(connector, [{"id": 1, "_deleted_at": "2020-01-01"}])
    ConnectorSchema.objects.filter(connector_id=connector.pk).delete()

    lines = body(export(viewer_client, connector, include_deleted="true")).splitlines()

    assert [json.loads(line) for line in lines] == [
        {"__deleted_at": None, "_deleted_at": "2020-01-01", "id": 1}
    ]


def test_a_csv_with_deleted_records_has_the_fields_only_deleted_records_had(viewer_client, make_connector):
    connector = make_connector()
    store(connector, [{"id": 1, "name": "kept"}, {"id": 2, "name": "gone", "legacy": {"code": "L-7"}}])
    connector.records.filter(external_id="2").update(deleted_at=timezone.now())
    rebuild_schema(connector.pk)  # what a full refresh does at its end: the live records' schema
    assert [entry["path"] for entry in connector_schema(connector.pk)["fields"]] == [["id"], ["name"]]
    when = connector.records.get(external_id="2").deleted_at.isoformat().replace("+00:00", "Z")

    text = body(export(viewer_client, connector, include_deleted="true", format="csv")).decode()

    # before: "id,name,_deleted_at", the deleted record's legacy.code left out of the file
    assert text == f"id,legacy.code,name,_deleted_at\r\n1,,kept,\r\n2,L-7,gone,{when}\r\n"
    assert body(export(viewer_client, connector, format="csv")).decode() == "id,name\r\n1,kept\r\n"
    # a field only the deleted record has is one to ask for with include_deleted, not a typo
    asked = export(viewer_client, connector, include_deleted="true", format="csv", fields="id,legacy.code")
    assert body(asked).decode() == f"id,legacy.code,_deleted_at\r\n1,,\r\n2,L-7,{when}\r\n"
    refused = export(viewer_client, connector, format="csv", fields="id,legacy.code")
    assert refused.status_code == 400 and "No stored record has 'legacy.code'" in refused.json()["detail"]


def test_keys_that_hold_a_dot_are_their_own_csv_columns_and_fields(viewer_client, make_connector):
    # before: the column "dotted.key" was empty, and "a.b" (a key) and a.b (nested) both exported
    # the nested value under two identical headers
    connector = make_connector()
    store(connector, [{"id": 1, "dotted.key": "x", "a.b": "flat", "a": {"b": "nested"}}])

    text = body(export(viewer_client, connector, format="csv")).decode()

    assert text == "a.b,a\\.b,dotted\\.key,id\r\nnested,flat,x,1\r\n"
    typo = export(viewer_client, connector, fields="dotted.key")
    assert typo.status_code == 400
    assert typo.json()["detail"].endswith(
        "A key that holds a dot is written with a backslash before it: did you mean 'dotted\\.key'?"
    )
    lines = body(export(viewer_client, connector, fields="dotted\\.key")).splitlines()
    assert [json.loads(line) for line in lines] == [{"dotted\\.key": "x"}]


def test_an_empty_key_and_a_key_starting_with_a_slash_are_columns_of_their_own_values(
    viewer_client, make_connector
):
    # before: the column of the key "" (header "") held the whole record in every row, the one of
    # {"a": {"": ...}} (header "a.") the whole object "a", and the key "/users" (header "/users", read
    # as a JSON Pointer) the value of the key "users"
    connector = make_connector()
    store(
        connector,
        [
            {"id": 1, "": "empty key", "/users": 3, "users": "other", "a": {"": "inner", "b": 2}},
            {"id": 2, "users": "u2", "a": {"b": 4}},
        ],
    )

    text = body(export(viewer_client, connector, format="csv", spreadsheet_safe="false")).decode()

    rows = list(csv.reader(io.StringIO(text, newline="")))
    assert rows == [
        ["/", "\\/users", "/a/", "a.b", "id", "users"],
        ["empty key", "3", "inner", "2", "1", "other"],
        ["", "", "", "4", "2", "u2"],
    ]
    # the headers are what fields takes
    lines = body(export(viewer_client, connector, fields="/,/a/,\\/users")).splitlines()
    assert [json.loads(line) for line in lines] == [
        {"/": "empty key", "/a/": "inner", "\\/users": 3},
        {"/": None, "/a/": None, "\\/users": None},
    ]


@pytest.mark.parametrize(
    "params",
    [{"format": "xml"}, {"since": "-1"}, {"since": "abc"}, {"fields": ",,"}, {"include_deleted": "maybe"}],
)
def test_bad_export_parameters_are_a_400_with_a_message(viewer_client, make_connector, params):
    connector = make_connector()
    response = export(viewer_client, connector, **params)
    assert response.status_code == 400
    assert response["Content-Type"].startswith("application/json")
    assert response.json()


def _peak_while_exporting(client, connector) -> int:
    tracemalloc.start()
    try:
        response = export(client, connector)
        assert response.status_code == 200
        lines = 0
        for chunk in response.streaming_content:  # consumed and dropped, as a socket would
            lines += chunk.count(b"\n")
        return tracemalloc.get_traced_memory()[1], lines
    finally:
        tracemalloc.stop()


def test_the_export_streams_in_memory_that_does_not_grow_with_its_size(viewer_client, make_connector):
    small, large = make_connector(), make_connector()
    padding = "x" * 200
    store(small, [{"id": i, "pad": padding} for i in range(3_000)])
    for start in range(0, 30_000, 5_000):
        store(large, [{"id": i, "pad": padding} for i in range(start, start + 5_000)])

    small_peak, small_lines = _peak_while_exporting(viewer_client, small)
    large_peak, large_lines = _peak_while_exporting(viewer_client, large)

    assert (small_lines, large_lines) == (3_000, 30_000)
    # ten times the records (~7 MB of NDJSON) in about the same memory: a page at a time
    assert large_peak < small_peak * 1.5 + 256 * 1024, (small_peak, large_peak)
    assert large_peak < 3 * 1024 * 1024


def test_a_field_no_stored_record_has_is_a_400_instead_of_a_column_of_nulls(viewer_client, make_connector):
    connector = make_connector()
    store(connector, [{"id": 1, "address": {"city": "Lisbon"}, "tags": ["a", "b"]}])

    for typo in ("nope", "address.town", "id,emial"):
        response = export(viewer_client, connector, fields=typo)
        assert response.status_code == 400, (typo, response.content)
        assert "No stored record has" in response.json()["detail"]
    # Known paths, and an index into a list, are exported.
    lines = body(export(viewer_client, connector, fields="id,address.city,tags.1")).splitlines()
    assert [json.loads(line) for line in lines] == [{"id": 1, "address.city": "Lisbon", "tags.1": "b"}]


def test_a_search_exports_exactly_the_records_the_records_list_shows(viewer_client, make_connector):
    connector = make_connector()
    cities = ["Oslo", "Rome", "oslo", "Bergen", "OSLO-Nord", None]
    store(connector, [{"id": i, "address": {"city": city}} for i, city in enumerate(cities, start=1)])
    store(connector, [{"id": 99, "address": "no object"}, {"id": 100}])
    search = {"field": "address.city", "value": "oslo"}
    listed = viewer_client.get(f"{CONNECTORS}{connector.pk}/records/", {**search, "page_size": 100}).json()
    listed_ids = sorted(record["data"]["id"] for record in listed["results"])

    ndjson = [json.loads(line) for line in body(export(viewer_client, connector, **search)).splitlines()]
    csv_text = body(export(viewer_client, connector, format="csv", fields="id", **search)).decode()

    assert listed_ids == [1, 3, 5]
    assert sorted(record["id"] for record in ndjson) == listed_ids
    assert csv_text == "id\r\n1\r\n3\r\n5\r\n"


def test_a_searched_export_pages_through_every_match_in_change_order(
    viewer_client, make_connector, monkeypatch
):
    monkeypatch.setattr("sync_engine.changes.READ_BATCH", 7)
    connector = make_connector()
    store(connector, [{"id": i, "kind": "keep" if i % 3 else "drop"} for i in range(1, 41)])
    store(connector, [{"id": 3, "kind": "keep now"}])  # changed: exported after the others

    lines = body(export(viewer_client, connector, field="kind", value="KEEP")).splitlines()

    ids = [json.loads(line)["id"] for line in lines]
    assert ids == [i for i in range(1, 41) if i % 3] + [3]
    deleted = connector.records.filter(external_id="4")
    deleted.update(deleted_at=timezone.now())
    assert 4 not in [
        json.loads(line)["id"]
        for line in body(export(viewer_client, connector, field="kind", value="keep")).splitlines()
    ]
    assert 4 in [
        json.loads(line)["id"]
        for line in body(
            export(viewer_client, connector, field="kind", value="keep", include_deleted="true")
        ).splitlines()
    ]


@pytest.mark.parametrize(
    "params", [{"field": "address.city"}, {"value": "x"}, {"field": "a..b", "value": "x"}]
)
def test_a_search_needs_a_field_path_and_a_value(viewer_client, make_connector, params):
    connector = make_connector()
    store(connector, [{"id": 1}])
    response = export(viewer_client, connector, **params)
    assert response.status_code == 400
    assert response.json()["detail"]
