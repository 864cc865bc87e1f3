"""The field profile of a connector: for each field of its inferred schema, how often the connector's
live stored records have it, hold null in it, an empty string, and how many distinct values.

The schema (``schema.py``) says which types a field ever held; a data engineer looking at a new
source also wants to know which fields are nearly always there and which are mostly null. The
profile reads the most recently changed live records (newest first by change sequence, the index
the change feed reads; at most ``sample`` of them), streamed from the database in chunks with
``.iterator()``, and counts in Python over the parsed JSON, so SQLite and PostgreSQL answer alike.
Memory is one chunk of records plus, per field, at most :data:`DISTINCT_CAP` + a chunk of distinct
values (strings kept as their hashes; a field past the cap keeps none), whatever the number of
records.

Counting goes column by column over each chunk, as the schema accumulator observes a page: a
field's values in a chunk are one list, counted by C loops (``list.count``, ``set``), and the
object values of a field are the records of its children. Shares are of the sampled records: a
nested field ``a.b`` is absent from a record whose ``a`` is missing, null or not an object.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from itertools import islice, repeat
from types import NoneType

import orjson
from django.db.models import TextField
from django.db.models.functions import Cast

from sync_engine.models import SyncedRecord
from sync_engine.schema import connector_schema

DEFAULT_SAMPLE = 10_000
MAX_SAMPLE = 50_000
#: Distinct values are counted exactly up to this many; past it the profile says "more than".
DISTINCT_CAP = 1000
#: Records read from the database at a time.
CHUNK = 2000

_SCALARS = (str, int, float, bool)


@dataclass
class _FieldCounts:
    path: tuple[str, ...]
    strings: bool  # whether the schema lists the string type (empty strings are counted)
    present: int = 0
    null: int = 0
    empty: int = 0
    # False when the schema says the field held objects or arrays: their values are not counted
    counts_distinct: bool = True
    # distinct non-null scalar values, by class (True is not 1), strings as their hashes; emptied
    # (and no longer filled) once there are more than DISTINCT_CAP
    distinct: dict[type, set] = field(default_factory=dict)
    over_cap: bool = False
    children: dict[str, _FieldCounts] = field(default_factory=dict)

    def add_distinct(self, cls: type, values) -> None:
        seen = self.distinct.setdefault(cls, set())
        seen.update(map(hash, values) if cls is str else values)
        if sum(map(len, self.distinct.values())) > DISTINCT_CAP:
            self.over_cap = True
            self.distinct = {}


@dataclass(frozen=True)
class FieldProfile:
    path: tuple[str, ...]
    present: int
    null: int
    empty: int | None  # None: the field never held a string
    distinct: int | None  # None: the field held objects or arrays (their values are not counted)
    distinct_over_cap: bool  # more distinct values than DISTINCT_CAP (``distinct`` is then the cap)


@dataclass(frozen=True)
class Profile:
    connector_id: int
    sample: int  # the most records asked for
    sampled: int  # records read (the connector's live records, at most ``sample``)
    total: int  # the connector's live records
    fields: list[FieldProfile]
    distinct_cap: int
    truncated: bool  # the schema left fields out (its limits)
    schema_updated_at: object


def profile_connector(connector_id: int, sample: int = DEFAULT_SAMPLE) -> Profile:
    """Profile the fields of the connector's schema over its ``sample`` most recently changed live
    records (see the module docstring). The caller scopes the connector to the tenant."""
    if not 1 <= sample <= MAX_SAMPLE:
        raise ValueError(f"sample must be from 1 to {MAX_SAMPLE}.")
    schema = connector_schema(connector_id)
    root = _FieldCounts(path=(), strings=False)
    order: list[_FieldCounts] = []
    for entry in schema["fields"]:
        node = root
        for part in entry["path"]:
            child = node.children.get(part)
            if child is None:
                child = node.children[part] = _FieldCounts(path=(*node.path, part), strings=False)
            node = child
        node.strings = "string" in entry["types"]
        node.counts_distinct = not {"object", "array"} & set(entry["types"])
        order.append(node)

    live = SyncedRecord.objects.filter(connector_id=connector_id, deleted_at__isnull=True)
    total = live.count()
    texts = (
        live.order_by("-change_seq", "-id")
        .values_list(Cast("data", TextField()), flat=True)[:sample]
        .iterator(chunk_size=CHUNK)
    )
    sampled = 0
    while chunk := list(map(orjson.loads, islice(texts, CHUNK))):
        if set(map(type, chunk)) != {dict}:  # a stored record is an object; anything else has no field
            chunk = [record if type(record) is dict else {} for record in chunk]
        sampled += len(chunk)
        _count(chunk, root)

    return Profile(
        connector_id=connector_id,
        sample=sample,
        sampled=sampled,
        total=total,
        fields=[_result(node) for node in order],
        distinct_cap=DISTINCT_CAP,
        truncated=schema["truncated"],
        schema_updated_at=schema["updated_at"],
    )


def _count(objects: list[dict], node: _FieldCounts) -> None:
    """Count the fields under ``node`` in ``objects`` (the values of ``node`` that are objects).

    Each field is a few C loops over the chunk (``map`` of ``dict.__contains__`` and ``dict.get``,
    ``list.count``): a comprehension calling ``get`` per record was most of the profile's time.
    """
    size = len(objects)
    for key, child in node.children.items():
        present = sum(map(dict.__contains__, objects, repeat(key, size)))
        values = list(map(dict.get, objects, repeat(key, size)))  # None: null or absent
        nones = values.count(None)
        child.present += present
        child.null += nones - (size - present)
        if child.strings:
            child.empty += values.count("")
        classes = set(map(type, values))
        classes.discard(NoneType)
        if child.counts_distinct and not child.over_cap:
            sole = len(classes) == 1 and not nones
            for cls in classes:
                if cls in _SCALARS:
                    child.add_distinct(cls, values if sole else [v for v in values if type(v) is cls])
        if child.children and dict in classes:
            _count([v for v in values if type(v) is dict], child)


def _result(node: _FieldCounts) -> FieldProfile:
    if not node.counts_distinct:
        distinct = None
    elif node.over_cap:
        distinct = DISTINCT_CAP
    else:
        distinct = sum(map(len, node.distinct.values()))
    return FieldProfile(
        path=node.path,
        present=node.present,
        null=node.null,
        empty=node.empty if node.strings else None,
        distinct=distinct,
        distinct_over_cap=node.over_cap,
    )
