"""Whether a text is an ISO 8601 timestamp or date that every supported database parses.

Shared by the connectors' schema inference (which marks string fields whose every value is one)
and the destinations (which type such columns ``timestamptz`` / ``date`` and check each value
before loading it). The regular expressions keep to the forms PostgreSQL accepts; ``fromisoformat``
then rejects impossible dates (February 30th).
"""

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


_LONG_INTEGER = re.compile(r"\d{19}")


def loads_exact(text: str):
    """Parse JSON text; integers beyond 64 bits stay exact (orjson would make them floats).

    orjson parses everything else; texts holding a run of 19 digits or more (rare) go through the
    standard parser, which keeps big integers as Python ints.
    """
    if _LONG_INTEGER.search(text):
        return json.loads(text)
    return orjson.loads(text)
