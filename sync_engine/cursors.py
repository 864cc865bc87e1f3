"""Incremental cursor values: which of two is later, which values can be one, and a lookback.

A cursor is the highest value of a record field (``updated_at``, ``meta.seq``) among the records a
run read; the next run sends it to the source as its start. The order must be the upstream's:

* numbers (and numeric strings, ``"999"`` < ``"1000"``) compare as numbers;
* ISO 8601 timestamps compare as instants, whatever their offset or precision:
  ``2024-01-01T12:00:00+02:00`` is earlier than ``2024-01-01T11:00:00Z``, and ``…:00.5Z`` later than
  ``…:00Z`` (as text both pairs sort the other way); a timestamp without an offset is read as UTC;
* anything else as text.

Booleans, objects and lists are no cursor values (:func:`is_cursor_value`): ``true``, ``{…}`` or
``[…]`` compared as text would sort after every timestamp and be sent as the next start.
"""

from __future__ import annotations

import math
import re
from datetime import UTC, datetime, timedelta, timezone

# The extended ISO 8601 layouts a lookback writes back: a date, then optionally a time (minutes, seconds,
# a fraction of any length) and an offset.
_TIMESTAMP = re.compile(
    r"(?P<date>\d{4}-\d{2}-\d{2})"
    r"(?:(?P<sep>[Tt ])(?P<hour>\d{2}):(?P<minute>\d{2})"
    r"(?::(?P<second>\d{2})(?:(?P<dot>[.,])(?P<fraction>\d+))?)?)?"
    r"(?P<offset>[Zz]|[+-]\d{2}(?::?\d{2})?)?"
)
_NUMBER = re.compile(r"-?\d+(?:\.\d+)?")


def is_cursor_value(value) -> bool:
    """Whether ``value`` may be a cursor: a finite number or a non-empty string (not a boolean, an
    object, a list or null)."""
    if isinstance(value, bool):
        return False
    if isinstance(value, int):
        return True
    if isinstance(value, float):
        return math.isfinite(value)
    return isinstance(value, str) and value != ""


#: Epoch timestamps by unit: the magnitudes of the instants from 2001-09-09 to 2286-11-20 in each.
EPOCH_UNITS = (
    ("seconds", 10**9, 10**10),
    ("milliseconds", 10**12, 10**13),
    ("microseconds", 10**15, 10**16),
    ("nanoseconds", 10**18, 10**19),
)


def epoch_unit(value) -> str | None:
    """The unit of ``value`` when it is an epoch timestamp of this century by its magnitude
    (``"seconds"``, ``"milliseconds"``, ``"microseconds"``, ``"nanoseconds"``; a number or a string
    of digits), else None: smaller numbers (a sequence, a version) are not judged. One field whose
    values have two units compares wrongly as numbers: any millisecond value is later than every
    second, by about 50 years read as seconds."""
    if type(value) is str:
        if not value.isdigit():
            return None
        value = int(value)
    elif type(value) is not int and type(value) is not float:
        return None
    for unit, low, high in EPOCH_UNITS:
        if low <= value < high:
            return unit
    return None


_EPOCH_SCALE = {"seconds": 1, "milliseconds": 10**3, "microseconds": 10**6, "nanoseconds": 10**9}


def epoch_seconds(value, unit: str) -> float:
    """The seconds since the epoch of ``value``, an epoch timestamp in ``unit`` (:func:`epoch_unit`)."""
    return float(value) / _EPOCH_SCALE[unit]


def dated_after(value, day: str) -> bool:
    """Whether ``value`` is a timestamp (or date) text whose date is later than ``day``
    (``YYYY-MM-DD``): a text comparison of the date part, whatever the offset."""
    return type(value) is str and value[:10] > day and value[4:5] == "-" and value[7:8] == "-"


def _timestamp(text: str):
    """``(instant, match)`` of an ISO 8601 timestamp, or None."""
    match = _TIMESTAMP.fullmatch(text)
    if match is None:
        return None
    parts = match.groupdict()
    try:
        year, month, day = (int(part) for part in parts["date"].split("-"))
        fraction = (parts["fraction"] or "")[:6].ljust(6, "0")
        moment = datetime(
            year,
            month,
            day,
            int(parts["hour"] or 0),
            int(parts["minute"] or 0),
            int(parts["second"] or 0),
            int(fraction),
            tzinfo=_offset(parts["offset"]),
        )
    except ValueError:  # a month 13, a day 32
        return None
    return moment, match


def _offset(text: str | None):
    if not text or text in ("Z", "z"):
        return UTC
    sign = -1 if text[0] == "-" else 1
    digits = text[1:].replace(":", "")
    minutes = int(digits[:2]) * 60 + int(digits[2:4] or 0)
    return timezone(sign * timedelta(minutes=minutes))


def _instant(text: str) -> datetime | None:
    """The instant an ISO 8601 timestamp names (UTC when it names no offset), or None."""
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _order(value):
    """``(kind, key)``: values of one kind compare by key; (0: number, 1: timestamp, 2: text)."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return 0, value
    text = str(value)
    if len(text) >= 10 and text[4] == "-":
        moment = _instant(text)
        if moment is not None:
            return 1, (moment, text)
    elif _NUMBER.fullmatch(text):
        return 0, float(text) if "." in text else int(text)
    return 2, text


def _same_layout(value: str, than: str) -> bool:
    """Whether two strings order as text as they do as timestamps or numbers: digits of one length,
    or timestamps of one length, separator and offset (``Z``, or the same ``±HH:MM``)."""
    if len(value) != len(than):
        return False
    if value.isdigit() and than.isdigit():
        return True
    if len(value) < 20 or value[10] != than[10]:
        return False
    if value[-1] in "Zz":
        return than[-1] in "Zz"
    return value[-6] in "+-" and value[-6:] == than[-6:]


def later_cursor(value, than) -> bool:
    """Whether cursor ``value`` is later than ``than`` (see the module's docstring for the order).
    Two values of different kinds (a number and a timestamp) compare as text."""
    kinds = (type(value), type(than))
    if kinds == (int, int) or kinds == (float, float):
        return value > than
    if kinds == (str, str) and _same_layout(value, than):
        return value > than  # the usual case, every value of a field alike: no parsing
    kind, key = _order(value)
    than_kind, than_key = _order(than)
    if kind != than_kind:
        return str(value) > str(than)
    return key > than_key


def shifted_back(value, lookback, *, floor=None):
    """``value`` moved ``lookback`` earlier: a number (or numeric string) by that many units, an ISO
    8601 timestamp by that many seconds, written in the same layout and offset (its fraction, or its
    seconds when it has none, cut: the result is never later than the exact one). ``ValueError`` for
    a value that is neither.

    ``floor`` (an incremental ``initial_value``): the start the user set, which a lookback never
    moves a value at or after it before; ``floor`` itself is returned then. A value of another kind
    (a number and a timestamp) is not compared with it."""
    shifted = _shifted_back(value, lookback)
    if (
        floor is not None
        and shifted != value
        and _order(floor)[0] == _order(value)[0]
        and not later_cursor(floor, value)
        and later_cursor(floor, shifted)
    ):
        return floor
    return shifted


def _shifted_back(value, lookback):
    if not lookback:
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        return _minus(value, lookback)
    if isinstance(value, str):
        if _NUMBER.fullmatch(value):
            return str(_minus(float(value) if "." in value else int(value), lookback))
        parsed = _timestamp(value)
        if parsed is not None:
            return _written_like(parsed[0] - timedelta(seconds=lookback), parsed[1])
    raise ValueError(
        f"incremental.lookback is set, but the stored cursor {value!r} is neither a number nor an "
        "ISO 8601 timestamp, so it cannot be moved back: remove the lookback or choose a cursor "
        "field that holds numbers or timestamps."
    )


def _minus(number, lookback):
    result = number - lookback
    return int(result) if isinstance(number, int) and float(result).is_integer() else result


def _written_like(moment: datetime, match: re.Match) -> str:
    parts = match.groupdict()
    text = moment.strftime("%Y-%m-%d")
    if parts["sep"] is not None:
        text += f"{parts['sep']}{moment.hour:02d}:{moment.minute:02d}"
        if parts["second"] is not None:
            text += f":{moment.second:02d}"
            if parts["fraction"] is not None:
                digits = len(parts["fraction"])
                text += parts["dot"] + f"{moment.microsecond:06d}"[:digits].ljust(digits, "0")
    return text + (parts["offset"] or "")
