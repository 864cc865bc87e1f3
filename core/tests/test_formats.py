"""core.formats: exact JSON numbers whatever their size, ISO timestamps and dates."""

import json

import pytest

from core.formats import is_date, is_timestamp, loads_exact


@pytest.mark.parametrize(
    "text",
    [
        '{"id": 18446744073709551616}',  # 2**64: beyond what orjson keeps as an integer
        '{"a": {"b": [1, -123456789012345678901234567890]}}',
        '{"x": 1e300}',
        '{"x": 1.5E+19, "y": "plain"}',
        "[9223372036854775808, 1]",
        '{"id": 9223372036854775807, "n": 12.5, "s": "1e5 in a string", "t": "1234567890123456789012"}',
    ],
)
def test_loads_exact_keeps_every_number_as_the_standard_parser_reads_it(text):
    assert loads_exact(text) == json.loads(text)
    assert type(loads_exact(text)) is type(json.loads(text))


def test_loads_exact_of_ordinary_records_is_orjsons_answer():
    text = '{"id": 42, "score": 1.43, "tags": ["a"], "geo": {"lat": "11"}, "ok": true, "none": null}'
    assert loads_exact(text) == {
        "id": 42,
        "score": 1.43,
        "tags": ["a"],
        "geo": {"lat": "11"},
        "ok": True,
        "none": None,
    }


def test_big_integers_stay_exact_integers():
    value = loads_exact('{"big": 123456789012345678901234567890}')["big"]
    assert value == 123456789012345678901234567890 and type(value) is int


def test_timestamps_and_dates_are_checked_for_shape_and_calendar():
    assert is_timestamp("2024-02-29T10:00:00Z") and is_timestamp("2024-01-02 03:04:05.123+02:00")
    assert not is_timestamp("2023-02-29T10:00:00Z") and not is_timestamp("2024-01-02")
    assert is_date("2024-01-02") and not is_date("2024-02-30") and not is_date("2024-01-02T00:00")
