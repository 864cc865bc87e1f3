"""Whether a text is an ISO 8601 timestamp or date that every supported database parses; JSON text
read back exactly (:func:`loads_exact`) and written so that PostgreSQL's ``jsonb`` gives its floats
back as floats (:func:`plain_large_floats`).

Shared by the connectors' schema inference (which marks string fields whose every value is one)
and the destinations (which type such columns ``timestamptz`` / ``date`` and check each value
before loading it). The regular expressions keep to the forms PostgreSQL accepts; ``fromisoformat``
then rejects impossible dates (February 30th).
"""

import decimal
import json
import re
from datetime import date, datetime

import orjson

_TIMESTAMP = re.compile(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}(:?\d{2})?)?\Z")
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}\Z")


def is_timestamp(text: str) -> bool:
    if not _TIMESTAMP.match(text):
        return False
    try:
        datetime.fromisoformat(text)
    except ValueError:
        return False
    return True


def is_date(text: str) -> bool:
    if not _DATE.match(text):
        return False
    try:
        date.fromisoformat(text)
    except ValueError:
        return False
    return True


_HUGE = 2.0**63


def loads_exact(text: str):
    """Parse JSON text; integers beyond 64 bits stay exact.

    orjson parses the text (fast) but turns integers beyond 64 bits into floats; when the result
    holds a float that large (rare: such integers, or huge decimals) the standard parser, which keeps
    big integers as Python ints, parses it again.
    """
    data = orjson.loads(text)
    stack = [data]
    while stack:
        item = stack.pop()
        cls = type(item)
        if cls is dict:
            stack.extend(item.values())
        elif cls is list:
            stack.extend(item)
        elif cls is float and (item >= _HUGE or item <= -_HUGE):
            return json.loads(text)
    return data


# A JSON string (skipped as it is) or a number written with a positive exponent (``1e+16``).
_STRING_OR_LARGE_FLOAT = re.compile(rb'"(?:[^"\\]|\\.)*"|(-?[0-9]+(?:\.[0-9]+)?e\+[0-9]+)')


def _plain_digits(match: re.Match) -> bytes:
    number = match.group(1)
    if number is None:
        return match.group(0)
    return format(decimal.Decimal(number.decode()), "f").encode() + b".0"


def plain_large_floats(text: bytes) -> bytes:
    """JSON ``text`` with the floats written with a positive exponent (orjson and ``json`` write
    those from 1e16 on) in plain decimal with a fraction: ``1e+16`` → ``10000000000000000.0``.

    PostgreSQL's ``jsonb`` keeps a number's digits but not its notation: ``1e+16`` is read back as
    ``10000000000000000``, an integer to every JSON reader, so a field of floats would come back as
    integers. With a fraction the number stays a float (the same digits: ``orjson.loads`` reads
    back the float written). Cheap to call only when ``b"e+" in text``."""
    return _STRING_OR_LARGE_FLOAT.sub(_plain_digits, text)
