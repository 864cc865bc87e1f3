"""Decimals with more significant digits than a 64-bit float holds: records hold JSON numbers as
floats, so ``0.1000000000000000055511151231257827`` is stored as ``0.1``. The sync and the preview
say so, naming the fields, instead of storing a nearby number quietly; a number a float holds as
written (a microsecond epoch, ``118.61``) and digits inside strings are not mentioned."""

import json

import pytest
from werkzeug import Response

from demo_extension.models import SyncLogEvent, SyncStatus
from demo_extension.services import extract
from demo_extension.services.preview import preview_connector
from demo_extension.tests import sync_support
from demo_extension.tests.sync_support import events, fault_url, run_sync, stored_records

fault_server = sync_support.fault_server
fault_server_process = sync_support.fault_server_process

PAGE = (
    '[{"id": 1, "amount": 0.1000000000000000055511151231257827, "ts": 1700000000.123456, '
    '"lines": [{"price": 12345678901234567.89}, {"price": 2.5}]}, '
    '{"id": 2, "amount": 118.61, "note": "0.1000000000000000055511151231257827", '
    '"big": 123456789012345678901234567890, "snowflake": 112233445566778899}]'
)


def test_a_page_counts_exactly_the_decimals_a_float_rounds():
    rounded = extract.PageNumbers()
    body, plain = extract._loads_document(PAGE.encode(), rounded)

    assert repr(body) == repr(json.loads(PAGE))  # the same objects as the standard parser's
    assert not plain
    assert rounded.count == 2
    assert rounded.examples(body) == [
        ("amount", "0.1000000000000000055511151231257827", 0.1),
        ("lines[].price", "12345678901234567.89", 1.2345678901234568e16),
    ]


@pytest.mark.parametrize(
    "text",
    [
        "1700000000.123456",  # 16 significant digits a float holds
        "0.30000000000000004",  # 0.1 + 0.2 as Python writes it: exactly a float
        "0.10000000000000001",  # 0.1 as C's %.17g (and PHP before 7.1) write it: that float exactly
        "-2.2204460492503131e-16",  # the same, with an exponent
        "1.50000000000000000000",  # trailing zeros
        "12345678901234567890",  # an integer: kept exact
        "1e400",  # infinity: refused elsewhere, not "rounded"
    ],
)
def test_numbers_a_float_holds_as_written_are_not_counted(text):
    rounded = extract.PageNumbers()
    extract._loads_document(f'[{{"id": 1, "v": {text}, "padding": "0000000000000000000"}}]'.encode(), rounded)
    assert rounded.count == 0


def test_a_page_without_a_long_run_of_digits_is_read_by_orjson():
    rounded = extract.PageNumbers()
    body, plain = extract._loads_document(b'[{"id": 1, "v": 0.1234567890123, "t": "1.2.3.4"}]', rounded)
    assert plain and body == [{"id": 1, "v": 0.1234567890123, "t": "1.2.3.4"}]


def test_the_sync_warns_with_the_fields_and_stores_the_rest_exactly(fault_server, make_connector):
    fault_server.expect_request("/items").respond_with_data(PAGE, content_type="application/json")
    connector = make_connector(api_endpoint=fault_url(fault_server), auth_type="none")

    log = run_sync(connector)

    assert log.status == SyncStatus.SUCCESS, log.error_message
    warnings = list(log.events.filter(level=SyncLogEvent.Level.WARNING).values_list("message", flat=True))
    assert warnings == [
        "Page 1: 2 number(s) had more significant digits than a 64-bit float holds and are stored rounded "
        "(amount: 0.1000000000000000055511151231257827 stored as 0.1; lines[].price: 12345678901234567.89 "
        "stored as 1.2345678901234568e+16). To keep them exact, ask the API for these fields as strings."
    ]
    assert len(log.warnings) == 1  # what the run's summary counts ("SUCCESS · 1 warning")
    records = stored_records(connector)
    assert records["1"]["ts"] == 1700000000.123456
    assert records["2"]["note"] == "0.1000000000000000055511151231257827"
    assert records["2"]["big"] == 123456789012345678901234567890
    assert records["2"]["snowflake"] == 112233445566778899


def test_every_page_is_counted_and_the_run_says_the_total(fault_server, make_connector):
    def handler(request):
        page = int(request.args.get("page", "1"))
        records = [
            {"id": page * 10 + n, "rate": f"0.{page}000000000000000055511151231257827"} for n in range(2)
        ]
        body = json.dumps(records).replace('"0.', "0.").replace('7"', "7")  # the rates as numbers
        return Response(body if page <= 3 else "[]", content_type="application/json")

    fault_server.expect_request("/items").respond_with_handler(handler)
    connector = make_connector(
        api_endpoint=fault_url(fault_server),
        auth_type="none",
        pagination={"type": "page", "page_param": "page"},
    )

    log = run_sync(connector)

    assert log.status == SyncStatus.SUCCESS, log.error_message
    assert stored_records(connector)["10"]["rate"] == 0.1
    lines = [line for line in events(log) if "64-bit float" in line]
    assert lines[0].startswith("Page 1: 2 number(s) had more significant digits")
    assert lines[-1] == "In all, 6 number(s) on 3 pages were stored rounded to a 64-bit float (fields: rate)."
    assert len(lines) == 2


def test_the_preview_warns_before_anything_is_stored(fault_server, make_connector):
    fault_server.expect_request("/items").respond_with_data(PAGE, content_type="application/json")
    connector = make_connector(api_endpoint=fault_url(fault_server), auth_type="none")

    warnings = preview_connector(connector).warnings

    assert [w for w in warnings if "64-bit float" in w] == [
        "Page 1: 2 number(s) had more significant digits than a 64-bit float holds and are stored rounded "
        "(amount: 0.1000000000000000055511151231257827 stored as 0.1; lines[].price: 12345678901234567.89 "
        "stored as 1.2345678901234568e+16). To keep them exact, ask the API for these fields as strings."
    ]
