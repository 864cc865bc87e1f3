"""The sync parses pages through orjson with exactly the standard library's results, and writes
canonical JSON through orjson: a text that reads back as the same record, does not depend on key
order, and falls back to the standard encoder only for what orjson cannot write."""

import datetime
import decimal
import json
import random

import orjson
import pytest

from demo_extension.models import SyncedRecord, SyncStatus
from demo_extension.services import extract
from demo_extension.tests import sync_support
from demo_extension.tests.sync_support import fault_url, run_sync, stored_records
from sync_engine import records as upsert
from sync_engine.records import UnstorableRecord, canonical_json, checksum

fault_server = sync_support.fault_server
fault_server_process = sync_support.fault_server_process


def standard_text(value) -> str:
    """The standard library's encoder with the canonical options (ASCII)."""
    return json.dumps(
        value,
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=True,
        allow_nan=False,
        default=upsert._json_default,
    )


def reads_back_exactly(text: str, value) -> bool:
    """``text`` parses to ``value``, floats and integers kept apart (1 is not 1.0)."""
    expected = json.loads(standard_text(value))  # dates and decimals as the text stores them
    return repr(json.loads(text)) == repr(_sorted(expected))


def _sorted(value):
    if isinstance(value, dict):
        return {key: _sorted(value[key]) for key in sorted(value)}
    if isinstance(value, list):
        return [_sorted(item) for item in value]
    return value


@pytest.mark.parametrize(
    "value",
    [
        {"small": 1e-5, "smaller": 1.5e-9, "tiny": 0.00012, "neg": -2.5e-7},
        {"big": 1e16, "huge": 1.5e300, "zero": -0.0, "plain": 118.61},
        {"int64": 2**63 - 1, "uint64": 2**64 - 1, "negative": -(2**63)},
        {"accents": "café", "cjk": "数据", "emoji": "\U0001f600", "del": "a\x7fb"},
        {"controls": "a\x01b\nc\td\x1f", "quote": 'say "hi" \\ /'},
        {"when": datetime.datetime(2024, 5, 1, 12, 30, tzinfo=datetime.UTC), "n": decimal.Decimal("1.50")},
        {"b": [1, {"z": None, "a": True}], "a": {"y": [], "x": {}}},
        {"e-mail": "one-e-two", "digits": "9e-3 is not a number here", "n": 3},
    ],
)
def test_canonical_json_is_orjsons_sorted_text_and_reads_back_as_the_record(value):
    text, digest = upsert.encode_record(value)

    orjsons = orjson.dumps(value, default=upsert._json_default, option=orjson.OPT_SORT_KEYS).decode()
    # floats with a positive exponent in plain digits (PostgreSQL's jsonb reads 1e+16 as an integer)
    assert text == orjsons.replace("1e+16", "10000000000000000.0").replace("1.5e+300", f"15{'0' * 299}.0")
    assert reads_back_exactly(text, value)
    assert digest == checksum(text)
    assert canonical_json(dict(reversed(list(value.items())))) == text


@pytest.mark.parametrize(
    "value",
    [
        {"beyond": 2**70, "negative": -(2**63) - 1, "n": 1.5},
        {1: "integer key", 30: "another", 4: "keys a transformation never makes"},
    ],
)
def test_what_orjson_cannot_write_gets_the_standard_encoders_text(value):
    text, digest = upsert.encode_record(value)

    assert text == standard_text(value)
    assert digest == checksum(text)


def test_canonical_json_reads_back_and_ignores_key_order_on_random_records():
    rng = random.Random(20261128)

    def scalar():
        kind = rng.randrange(7)
        if kind == 0:
            return rng.uniform(-1, 1) * 10 ** rng.randint(-12, 20)
        if kind == 1:
            return rng.randint(-(2**70), 2**70) if rng.random() < 0.2 else rng.randint(-1000, 10**9)
        if kind == 2:
            return "".join(rng.choice('abcé-e0.9\x7f"\\ /数') for _ in range(rng.randrange(12)))
        if kind == 3:
            return rng.choice([True, False, None])
        if kind == 4:
            return [scalar() for _ in range(rng.randrange(3))]
        if kind == 5:
            return {f"k{rng.randrange(50)}": scalar() for _ in range(rng.randrange(3))}
        return round(rng.uniform(-1e6, 1e6), rng.randrange(8))

    for _ in range(3000):
        record = {f"f{rng.randrange(30)}": scalar() for _ in range(rng.randrange(1, 12))}
        text = canonical_json(record)
        assert reads_back_exactly(text, record), record
        shuffled = list(record.items())
        rng.shuffle(shuffled)
        assert canonical_json(dict(shuffled)) == text


def test_the_finite_promise_only_skips_the_nan_scan():
    assert upsert.encode_record({"v": [1.5, None]}, finite=True) == upsert.encode_record({"v": [1.5, None]})
    with pytest.raises(UnstorableRecord, match="NaN or Infinity"):
        upsert.encode_record({"v": [None, float("nan")]})
    with pytest.raises(UnstorableRecord, match="NUL character"):
        upsert.encode_record({"v": "a\x00"}, finite=True)


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ({"v": [1.0, {"w": float("nan")}]}, "NaN or Infinity"),
        ({"v": None, "w": float("inf")}, "NaN or Infinity"),
        ({"v": ["ok", "a\x00b"]}, "NUL character"),
        ({"v": {"k": "\udfff"}}, "unpaired UTF-16 surrogate"),
        ({"v": {"deep": object()}}, "which JSON cannot store"),
    ],
)
def test_nested_values_a_database_cannot_store_are_still_refused(value, problem):
    with pytest.raises(UnstorableRecord, match=problem):
        canonical_json(value)


@pytest.mark.parametrize(
    "body",
    [
        b'{"data": [{"id": 1, "v": 1.5, "s": "caf\\u00e9"}], "total": 1}',
        b'[{"id": 12345678901234567890123, "v": -9223372036854775809}]',
        b'[{"id": 1, "v": 18446744073709551615, "w": -9223372036854775808}]',
        b'[{"id": 1, "v": NaN, "w": -Infinity}]',
        b'[{"id": 1, "v": "\\ud800"}]',
        b'[{"id": 1, "v": 1e400}]',
        b'{"a": 1, "a": 2}',
        '[{"id": 1, "v": "x"}]'.encode("utf-16"),
    ],
)
def test_pages_parse_to_exactly_what_the_standard_parser_returns(body):
    parsed, _ = extract._loads_document(body)
    expected = json.loads(body)
    assert repr(parsed) == repr(expected)


def test_integers_beyond_64_bits_are_synced_exactly(fault_server, make_connector):
    raw = (
        '[{"id": 1, "big": 123456789012345678901234567890, "low": -9223372036854775809}, '
        '{"id": 2, "big": 18446744073709551615, "small": 1e-7}, {"id": 3, "v": "plain"}]'
    )
    fault_server.expect_request("/items").respond_with_data(raw, content_type="application/json")
    connector = make_connector(api_endpoint=fault_url(fault_server), auth_type="none")

    log = run_sync(connector)

    assert log.status == SyncStatus.SUCCESS, log.error_message
    records = stored_records(connector)
    assert records["1"]["big"] == 123456789012345678901234567890
    assert records["1"]["low"] == -9223372036854775809
    assert records["2"]["big"] == 18446744073709551615
    assert records["2"]["small"] == 1e-7
    stored = dict(SyncedRecord.objects.filter(connector=connector).values_list("external_id", "checksum"))
    for record in json.loads(raw):
        assert stored[str(record["id"])] == checksum(canonical_json(record))

    again = run_sync(connector)

    assert again.status == SyncStatus.SUCCESS, again.error_message
    assert (again.records_created, again.records_updated, again.records_unchanged) == (0, 0, 3)
