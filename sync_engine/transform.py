"""Record transformation: the connector's ``transformation_rules`` applied to every synced record.

Rules (all optional)::

    {
        "field_mappings": {"customer_id": "id", "address.city": "city"},   # source path -> target field
        "type_conversions": {"id": "int", "created_date": "datetime"},      # target field -> type
        "defaults": {"country": "NL"},                                      # target field -> value
        "required": ["id"],                                                 # target fields
        "include_unmapped": true,                                           # keep fields with no mapping
    }

* ``field_mappings`` read **source → target**, as in the seed (``'customer_id': 'id'`` renames the
  upstream's ``customer_id`` to ``id``). A source may be a path into nested objects
  (``address.city``, ``tags.-1``, ``/@odata.etag``: the syntax of :mod:`.paths`); a key that
  literally contains the unescaped text wins over the path. A missing source
  leaves the target unset (``defaults`` and ``required`` then decide). The source's top-level key is
  dropped from the output when it is renamed; a nested object read by a dotted path stays.
* ``type_conversions``, ``defaults`` and ``required`` name fields of the *output* record (after the
  mappings), so the seed's ``{'id': 'int'}`` converts the renamed ``customer_id``.
* Types: ``int``, ``float``, ``str``, ``bool``, ``decimal``, ``date``, ``datetime``. The result stays
  JSON: a decimal becomes its exact string, a date ``YYYY-MM-DD``, a datetime an ISO 8601 string in
  UTC (naive values are taken as UTC). ``date`` and ``datetime`` accept ISO 8601 strings and Unix
  timestamps (seconds, or milliseconds when larger than 10^11). ``null`` stays ``null``.
* ``defaults`` fill fields that are missing or ``null``; ``required`` fields must then be present and
  not ``null``. A rule set is saved with at most ``MAX_DEFAULTS_JSON_BYTES`` of defaults: each is
  written into every record that lacks its field.

The sync calls :meth:`DataTransformationService.transform_record` for every record, so the rules are
compiled once in ``__init__`` (path tuples, converter functions) and a record costs a dict copy and a
handful of lookups.
"""

from __future__ import annotations

import copy
import json
import math
import operator
from collections.abc import Callable
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from core.choices import meant_choice
from sync_engine.paths import list_index, path_parts, validate_path

#: The rule keys and what each holds: ``_normalise`` checks them and the API's schema of
#: ``transformation_rules`` is built from this table (``demo_extension.serializers``).
RULE_KEY_HELP = {
    "field_mappings": "Source path -> target field (a record's field renamed or moved).",
    "type_conversions": "Target field -> type (one of the supported conversions).",
    "defaults": "Target field -> value used when the record has none.",
    "required": "Target fields a record must have (else it is quarantined).",
    "include_unmapped": "Keep the fields no mapping names (default true).",
}
RULE_KEYS = tuple(RULE_KEY_HELP)
MAX_RULE_ENTRIES = 500
#: The most the ``defaults`` of one rule set may hold, as compact UTF-8 JSON (checked when rules are
#: saved, :meth:`DataTransformationService.validate_rules`). A default is written into every record
#: that lacks its field, so its size is multiplied by every record of every sync (copied, hashed,
#: stored, listed, exported, previewed): a 700 KB list under one field made a 500-record sync
#: take a minute and 240 MB, a records page of 200 weigh 96 MB and a preview hold its thread 15 s.
MAX_DEFAULTS_JSON_BYTES = 16 * 1024
MAX_FIELD_LENGTH = 255
_VALUE_PREVIEW = 60


class TransformationError(ValueError):
    """A record (or a rule set) that cannot be transformed; the message names field, value and type."""

    def __init__(self, message: str, *, field: str | None = None, value: Any = None, target_type=None):
        super().__init__(message)
        self.field = field
        self.value = value
        self.target_type = target_type


def _preview(value: Any) -> str:
    try:
        text = json.dumps(value, ensure_ascii=False, default=str)
    except (TypeError, ValueError):
        text = repr(value)
    if len(text) > _VALUE_PREVIEW:
        text = text[: _VALUE_PREVIEW - 1] + "…"
    return text


class _Unconvertible(Exception):
    """Raised by a converter; turned into a TransformationError that names the field."""


class _TooCostly(_Unconvertible):
    """A number whose conversion would cost far more than a record is worth (``"1e800000"`` to int
    takes time quadratic in the exponent: 30 s for one value, hours for ``1e10000000``, holding the
    GIL and so the worker's heartbeat). The record is quarantined with this reason instead."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


#: The most digits a converted number may have, and the longest numeric text read. 4300 is Python's
#: own limit for int <-> str (``sys.get_int_max_str_digits``), which bounds the same quadratic cost.
MAX_NUMBER_DIGITS = 4300
MAX_NUMBER_TEXT = MAX_NUMBER_DIGITS + 100


def _decimal_within_bounds(text: str) -> Decimal:
    """``text`` as a Decimal, refusing (cheaply, before any expensive arithmetic) a text or an
    exponent so large that converting it would pin the worker."""
    if len(text) > MAX_NUMBER_TEXT:
        raise _TooCostly(f"the text is {len(text)} characters long (at most {MAX_NUMBER_TEXT} are read)")
    try:
        number = Decimal(text)
    except InvalidOperation:
        raise _Unconvertible from None
    if number.is_finite() and abs(number.adjusted()) >= MAX_NUMBER_DIGITS:
        raise _TooCostly(f"its exponent is beyond ±{MAX_NUMBER_DIGITS} digits")
    return number


# --- converters: value (never None) -> JSON-serialisable value -------------------------------


def _to_int(value):
    cls = type(value)
    if cls is int:
        return value
    if cls is bool:
        return int(value)
    if cls is float:
        if value.is_integer():
            return int(value)
        raise _Unconvertible
    if cls is str:
        text = value.strip()
        if len(text) > MAX_NUMBER_TEXT:
            raise _TooCostly(f"the text is {len(text)} characters long (at most {MAX_NUMBER_TEXT} are read)")
        try:
            return int(text)
        except ValueError:
            pass
        number = _decimal_within_bounds(text)
        if number.is_finite() and number == number.to_integral_value():
            return int(number)
    raise _Unconvertible


def _to_float(value):
    cls = type(value)
    if cls is float:
        result = value
    elif cls is int or cls is bool:
        result = float(value)
    elif cls is str:
        text = value.strip()
        if len(text) > MAX_NUMBER_TEXT:
            raise _TooCostly(f"the text is {len(text)} characters long (at most {MAX_NUMBER_TEXT} are read)")
        try:
            result = float(text)
        except ValueError:
            raise _Unconvertible from None
    else:
        raise _Unconvertible
    if not math.isfinite(result):  # NaN and Infinity are not JSON
        raise _Unconvertible
    return result


def _to_str(value):
    cls = type(value)
    if cls is str:
        return value
    if cls is bool:
        return "true" if value else "false"
    if cls is int or cls is float:
        return str(value)
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


_TRUE = frozenset({"true", "t", "yes", "y", "1", "on"})
_FALSE = frozenset({"false", "f", "no", "n", "0", "off"})


def _to_bool(value):
    cls = type(value)
    if cls is bool:
        return value
    if cls is int or cls is float:
        if value == 1:
            return True
        if value == 0:
            return False
        raise _Unconvertible
    if cls is str:
        text = value.strip().lower()
        if text in _TRUE:
            return True
        if text in _FALSE:
            return False
    raise _Unconvertible


def _to_decimal(value):
    cls = type(value)
    if cls is int:
        return str(value)
    if cls is float:
        if not math.isfinite(value):
            raise _Unconvertible
        return repr(value)
    if cls is str:
        number = _decimal_within_bounds(value.strip())
        if not number.is_finite():
            raise _Unconvertible
        return str(number)
    raise _Unconvertible


def _timestamp_to_datetime(number: float) -> datetime:
    if not math.isfinite(number):
        raise _Unconvertible
    if abs(number) > 1e11:  # milliseconds since the epoch
        number = number / 1000.0
    try:
        return datetime.fromtimestamp(number, tz=UTC)
    except (OverflowError, OSError, ValueError):
        raise _Unconvertible from None


def _parse_datetime(value) -> datetime:
    cls = type(value)
    if cls is str:
        text = value.strip()
        try:
            parsed = datetime.fromisoformat(text)
        except ValueError:
            try:
                return _timestamp_to_datetime(float(text))
            except ValueError:
                raise _Unconvertible from None
        if parsed.tzinfo is None:
            return parsed.replace(tzinfo=UTC)
        return parsed.astimezone(UTC)
    if cls is int or cls is float:
        return _timestamp_to_datetime(value)
    raise _Unconvertible


_fromisoformat = datetime.fromisoformat


def _to_datetime(value):
    if type(value) is str:
        # Fast path for the common case, an ISO 8601 string already in UTC.
        try:
            parsed = _fromisoformat(value)
        except ValueError:
            return _parse_datetime(value).isoformat()
        tz = parsed.tzinfo
        if tz is UTC:
            if len(value) == 20 and value[19] == "Z" and value[10] == "T":
                # Already canonical but for the suffix: skip the (slow) isoformat.
                return value[:19] + "+00:00"
            return parsed.isoformat()
        return (parsed.replace(tzinfo=UTC) if tz is None else parsed.astimezone(UTC)).isoformat()
    return _parse_datetime(value).isoformat()


def _to_date(value):
    if type(value) is str:
        text = value.strip()
        try:
            # The calendar day as the upstream wrote it (an offset does not move it to another day).
            return (date if len(text) <= 10 else datetime).fromisoformat(text).isoformat()[:10]
        except ValueError:
            pass
    return _parse_datetime(value).date().isoformat()


CONVERTERS: dict[str, Callable[[Any], Any]] = {
    "int": _to_int,
    "float": _to_float,
    "str": _to_str,
    "bool": _to_bool,
    "decimal": _to_decimal,
    "date": _to_date,
    "datetime": _to_datetime,
}
SUPPORTED_TYPES = tuple(CONVERTERS)
# What a conversion that failed would have accepted, where the type's name does not say it: the
# formats a date takes are a guess otherwise (03/11/2024 is refused, not read as a month or a day).
_ACCEPTED = {
    "date": "an ISO 8601 date or date and time (2024-03-11, 2024-03-11T10:30:00Z) or a Unix timestamp",
    "datetime": "an ISO 8601 date and time or date (2024-03-11T10:30:00Z, 2024-03-11) or a Unix timestamp",
}


# --- rule validation -----------------------------------------------------------------------------


def _check_field_name(name, where: str) -> str:
    if not isinstance(name, str) or not name.strip():
        raise TransformationError(f"{where}: field names must be non-empty strings, got {_preview(name)}.")
    if len(name) > MAX_FIELD_LENGTH:
        raise TransformationError(f"{where}: field name {_preview(name)} is longer than {MAX_FIELD_LENGTH}.")
    return name


def _check_object(rules: dict, key: str) -> dict:
    value = rules.get(key, {})
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise TransformationError(f"{key} must be an object, got {type(value).__name__}.")
    if len(value) > MAX_RULE_ENTRIES:
        raise TransformationError(f"{key} has more than {MAX_RULE_ENTRIES} entries.")
    return value


def _normalise(rules) -> dict:
    """Check a rule set and return it with every key present; raise TransformationError naming the problem."""
    if rules is None:
        rules = {}
    if not isinstance(rules, dict):
        raise TransformationError(f"transformation_rules must be an object, got {type(rules).__name__}.")
    unknown = sorted(set(rules) - set(RULE_KEYS))
    if unknown:
        raise TransformationError(
            f"Unknown transformation rule {', '.join(map(repr, unknown))}; allowed: {', '.join(RULE_KEYS)}."
        )

    mappings = _check_object(rules, "field_mappings")
    seen_targets: dict[str, str] = {}
    for source, target in mappings.items():
        _check_field_name(source, "field_mappings")
        try:
            validate_path(source, what="field_mappings: source path")
        except ValueError as exc:
            raise TransformationError(str(exc)) from None
        _check_field_name(target, f"field_mappings[{source!r}]")
        if target in seen_targets:
            raise TransformationError(
                f"field_mappings: {seen_targets[target]!r} and {source!r} both map to {target!r}."
            )
        seen_targets[target] = source

    conversions = _check_object(rules, "type_conversions")
    for field, type_name in conversions.items():
        _check_field_name(field, "type_conversions")
        if not isinstance(type_name, str) or type_name not in CONVERTERS:  # a dict is unhashable
            meant = meant_choice(type_name, list(SUPPORTED_TYPES)) if isinstance(type_name, str) else None
            raise TransformationError(
                f"type_conversions[{field!r}]: unknown type {_preview(type_name)}; "
                f"supported: {', '.join(SUPPORTED_TYPES)}." + (f" Did you mean {meant!r}?" if meant else "")
            )

    defaults = _check_object(rules, "defaults")
    for field, value in defaults.items():
        _check_field_name(field, "defaults")
        if contains_non_finite(value):
            raise TransformationError(f"defaults[{field!r}]: NaN and Infinity are not JSON values.")

    required = rules.get("required", [])
    if required is None:
        required = []
    if not isinstance(required, list):
        raise TransformationError(f"required must be a list of field names, got {type(required).__name__}.")
    if len(required) > MAX_RULE_ENTRIES:
        raise TransformationError(f"required has more than {MAX_RULE_ENTRIES} entries.")
    for field in required:
        _check_field_name(field, "required")

    include_unmapped = rules.get("include_unmapped", True)
    if not isinstance(include_unmapped, bool):
        raise TransformationError(
            f"include_unmapped must be true or false, got {_preview(include_unmapped)}."
        )

    return {
        "field_mappings": mappings,
        "type_conversions": conversions,
        "defaults": defaults,
        "required": required,
        "include_unmapped": include_unmapped,
    }


def contains_non_finite(value) -> bool:
    """True when ``value`` holds a NaN or Infinity float, at any depth (JSON has neither)."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, float):
            if not math.isfinite(item):
                return True
        elif isinstance(item, dict):
            stack.extend(item.values())
        elif isinstance(item, list | tuple):
            stack.extend(item)
    return False


# --- the service ---------------------------------------------------------------------------------

_MISSING = object()


def _tuple_getter(keys: list[str]) -> Callable[[dict], tuple]:
    """A function returning the values of ``keys`` as a tuple (KeyError when one is missing)."""
    if not keys:
        return lambda record: ()
    if len(keys) == 1:
        key = keys[0]
        return lambda record: (record[key],)
    return operator.itemgetter(*keys)


class DataTransformationService:
    """Applies one connector's transformation rules to raw records (see the module docstring)."""

    def __init__(self, rules=None):
        normalised = _normalise(rules)
        self.rules = rules or {}
        self.include_unmapped: bool = normalised["include_unmapped"]
        mappings = normalised["field_mappings"]
        # Sources parsed once with the connector's one path syntax (escaped dots, JSON Pointers).
        parsed = [(source, path_parts(source), target) for source, target in mappings.items()]
        # Top-level sources: read together with one C-level itemgetter when all are present.
        flat = [(parts[0], target) for _source, parts, target in parsed if len(parts) == 1]
        self._flat: tuple[tuple[str, str], ...] = tuple(flat)
        self._flat_targets: tuple[str, ...] = tuple(target for _, target in flat)
        self._flat_getter = _tuple_getter([source for source, _ in flat])
        # Dotted sources: (literal key, path parts, target); a part that is a number also indexes lists.
        # (A key that literally holds the source text wins over the path, as before escapes existed.)
        self._nested: tuple[tuple[str, tuple[tuple[str, int | None], ...], str], ...] = tuple(
            (source, tuple((part, list_index(part)) for part in parts), target)
            for source, parts, target in parsed
            if len(parts) > 1
        )
        # Renamed top-level keys leave the output; the targets are written afterwards.
        self._dropped: tuple[str, ...] = tuple(source for source, _ in flat)
        self._defaults: tuple[tuple[str, Any, bool], ...] = tuple(
            (field, value, isinstance(value, dict | list)) for field, value in normalised["defaults"].items()
        )
        self._conversions: tuple[tuple[str, str, Callable[[Any], Any]], ...] = tuple(
            (field, type_name, CONVERTERS[type_name])
            for field, type_name in normalised["type_conversions"].items()
        )
        self._required: tuple[str, ...] = tuple(normalised["required"])
        self._identity = not (
            self._flat or self._nested or self._defaults or self._conversions or self._required
        )

    def overwritten_fields(self, raw: dict) -> list[tuple[str, str]]:
        """``(source, target)`` of each field mapping that replaces a field ``raw`` has of its own:
        the target is a key of the record that no mapping renames away, and the source is there
        (``email -> name`` on a record with a ``name``; ``address.city -> address``, which drops
        the rest of ``address``). The record's own value of the target is then not stored."""
        if not self.include_unmapped or not isinstance(raw, dict):
            return []
        found = []
        for source, target in self._flat:
            if target in raw and target not in self._dropped and source in raw and source != target:
                found.append((source, target))
        for literal, path, target in self._nested:
            if target in raw and target not in self._dropped:
                value = raw.get(literal, _MISSING)
                if value is _MISSING:
                    value = raw
                    for part, _index in path:
                        value = value.get(part, _MISSING) if type(value) is dict else _MISSING
                        if value is _MISSING:
                            break
                if value is not _MISSING:
                    found.append((literal, target))
        return found

    def source_path(self, path: tuple[str, ...]) -> tuple[str, ...] | None:
        """Where in a raw record the value at ``path`` of its transformed record comes from, or None
        when no field of the raw record becomes it (a dropped or unkept field).

        A guess, for the sync to look a record up by its key before transforming it: a type
        conversion or a default of that field is not applied, so the guess may name another
        record, or none; the sync only trusts a lookup whose stored source checksum matches.
        """
        if not path:
            return None
        top, rest = path[0], path[1:]
        for source, target in self._flat:
            if target == top:
                return (source, *rest)
        for _literal, parts, target in self._nested:
            if target == top:
                return (*(part for part, _ in parts), *rest)
        if not self.include_unmapped or top in self._dropped:
            return None
        return path

    def key_derivation(self, path: tuple[str, ...]) -> dict:
        """What the rules make the value at ``path`` of a transformed record from (the primary key's
        path): the raw record's path it is read from (None: none becomes it), the type it is
        converted to and the default that fills it, each None when there is none. Two rule sets with
        the same derivation key every record alike (see ``sync_engine.keys``)."""
        top = path[0] if path else None
        source = self.source_path(path)
        return {
            "from": list(source) if source is not None else None,
            "type": next((name for field, name, _convert in self._conversions if field == top), None),
            "default": next((value for field, value, _copy in self._defaults if field == top), None),
        }

    def checked_mappings(self) -> tuple[tuple[str, str], ...]:
        """``(source, target)`` of each field mapping whose target no default fills: a transformed
        record that has the target got it from the source (the sync reports a mapping that no
        record of a run had, see ``PageBuilder``)."""
        defaulted = {name for name, _value, _copy in self._defaults}
        flat = [(source, target) for source, target in self._flat]
        nested = [(source, target) for source, _parts, target in self._nested]
        return tuple((source, target) for source, target in flat + nested if target not in defaulted)

    @classmethod
    def validate_rules(cls, rules):
        """Return ``rules`` unchanged when valid to save; raise TransformationError naming the problem.

        Besides what every rule set is checked for, the defaults must fit ``MAX_DEFAULTS_JSON_BYTES``
        (a rule set stored before that limit still runs: the check is the save's)."""
        defaults = _normalise(rules)["defaults"]
        size = len(json.dumps(defaults, ensure_ascii=False, separators=(",", ":")).encode())
        if size > MAX_DEFAULTS_JSON_BYTES:
            raise TransformationError(
                f"defaults hold {size:,} bytes of JSON, more than {MAX_DEFAULTS_JSON_BYTES:,}: each "
                "default is written into every record that lacks its field, so keep them to small values."
            )
        return rules

    def transform_record(self, raw: dict) -> dict:
        """Return the transformed copy of one record; raise TransformationError when it cannot be."""
        if not isinstance(raw, dict):
            raise TransformationError(f"A record must be a JSON object, got {_preview(raw)}.")
        if self._identity:
            return dict(raw) if self.include_unmapped else {}

        if self.include_unmapped:
            out = raw.copy()
            for key in self._dropped:
                out.pop(key, None)
        else:
            out = {}

        if self._flat:
            try:
                out.update(zip(self._flat_targets, self._flat_getter(raw), strict=True))
            except KeyError:  # some sources are missing from this record
                for source, target in self._flat:
                    value = raw.get(source, _MISSING)
                    if value is not _MISSING:
                        out[target] = value
        for literal, path, target in self._nested:
            value = raw.get(literal, _MISSING)
            if value is _MISSING:
                value = raw
                for part, index in path:
                    cls: type = type(value)
                    if cls is dict:
                        value = value.get(part, _MISSING)
                        if value is _MISSING:
                            break
                    elif cls is list and index is not None and -len(value) <= index < len(value):
                        value = value[index]
                    else:
                        value = _MISSING
                        break
            if value is not _MISSING:
                out[target] = value

        for field, default, mutable in self._defaults:
            if out.get(field) is None:
                out[field] = copy.deepcopy(default) if mutable else default

        for field, type_name, convert in self._conversions:
            value = out.get(field)
            if value is not None:
                try:
                    out[field] = convert(value)
                except _TooCostly as exc:
                    raise TransformationError(
                        f"Field {field!r}: refused to convert {_preview(value)} to {type_name}: "
                        f"{exc.reason}.",
                        field=field,
                        value=value,
                        target_type=type_name,
                    ) from None
                except _Unconvertible:
                    raise TransformationError(
                        f"Field {field!r}: cannot convert {_preview(value)} to {type_name}"
                        + (f": expected {_ACCEPTED[type_name]}." if type_name in _ACCEPTED else "."),
                        field=field,
                        value=value,
                        target_type=type_name,
                    ) from None

        for field in self._required:
            if out.get(field) is None:
                raise TransformationError(f"Required field {field!r} is missing or null.", field=field)
        return out
