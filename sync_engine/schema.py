"""The inferred schema of a connector: the fields of its live stored records, with JSON types.

The sync observes each record it writes (never a scan of the stored ones) and commits the merged
schema with the page whenever it changed. Merging only ever adds: a field that only records now
deleted (or changed since) had would stay, so a complete full refresh that deleted or changed
records rebuilds the schema from the live records at its end (``schema_backfill``), once per run.

For strings it also keeps which formats *every* value so far parsed as (``timestamp``, ``date``,
``integer``, ``decimal``): a format is dropped by the first value that does not parse, and a field
with no format left costs no parsing any more, so after the first pages a record costs a walk of its
keys.

In memory the schema is a tree of :class:`FieldNode`; stored and served as a flat list of fields
sorted by path (``to_fields``), which is also the export's column order. Each field also keeps its
``position``: the order in which the connector's records first showed it (an upstream's own field
order, which the stored records lose: their keys are sorted), for the web UI's records table.
Object fields whose every value was an object (or null) are *expanded*: their children are the
columns. Anything else (lists, a field that is sometimes an object and sometimes not) is one column
holding JSON.

Hostile shapes are bounded: at most :data:`MAX_FIELDS` fields and :data:`MAX_DEPTH` levels, names of
at most :data:`MAX_NAME_LENGTH` characters; deeper, further or longer-named fields are left out and
the schema says ``truncated``.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from itertools import chain
from operator import itemgetter

from django.db import transaction
from django.utils import timezone

from sync_engine.models import ConnectorSchema, SyncLog, SyncStatus

MAX_FIELDS = 1000
MAX_DEPTH = 8
#: The longest field name (one key) the schema keeps, in characters: the longest the export's
#: ``fields`` takes. A longer key is left out as a field past :data:`MAX_FIELDS` is (the schema says
#: ``truncated``; the records, the change feed and the NDJSON export keep it). Names had no bound but
#: a record's size: an upstream's 40 records with keys of 200,000 characters made the schema a 16 MB
#: answer to any viewer (at 1,000 fields, hundreds of MB, read and written by every sync), and each
#: new one a line of its run's schema changes.
MAX_NAME_LENGTH = 1000
FORMATS = ("timestamp", "date", "integer", "decimal")
INT64 = 2**63

# Each check takes a page's values of a field and their distinct *shapes* (each value with every
# ASCII digit written as 0) joined by newlines (no value holds one: it is checked first), and answers
# whether every value is in the format, in one regular-expression call over the shapes (the patterns
# treat every digit alike, so a shape matches exactly when its values do; a page of timestamps has a
# handful of shapes, not a thousand lines); timestamps and dates are then parsed one by one (C code)
# to refuse impossible dates.
_TIMESTAMP_LINES = re.compile(
    r"(?:\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}(?::?\d{2})?)?)?\n)+"
)
_DATE_LINES = re.compile(r"(?:\d{4}-\d{2}-\d{2}\n)+")
_INTEGER_LINES = re.compile(r"(?:-?\d{1,18}\n)+")
_DECIMAL_LINES = re.compile(r"(?:-?\d{1,30}(?:\.\d{1,30})?\n)+")


_ZEROS = bytes.maketrans(b"123456789", b"000000000")


def shapes_of(joined: str) -> str | None:
    """The distinct shapes of the values in ``joined`` (each followed by a newline), one a line and
    each followed by one; None when a value is empty (no format has empty values). UTF-8 keeps
    multi-byte characters clear of the ASCII digits, so only digits change."""
    lines = set(joined.encode().translate(_ZEROS).split(b"\n"))
    lines.discard(b"")  # after the last newline
    if joined.startswith("\n") or "\n\n" in joined:
        return None
    return b"\n".join(lines).decode() + "\n"


def _all_timestamps(values: list[str], joined: str) -> bool:
    if not _TIMESTAMP_LINES.fullmatch(joined):
        return False
    try:
        for _ in map(datetime.fromisoformat, values):  # the shape is checked: only the calendar is left
            pass
    except ValueError:
        return False
    return True


def _all_dates(values: list[str], joined: str) -> bool:
    if not _DATE_LINES.fullmatch(joined):
        return False
    try:
        for _ in map(date.fromisoformat, values):
            pass
    except ValueError:
        return False
    return True


_CHECKS = {
    # a date is a timestamp too (midnight): a field of dates and date-times is a timestamp field
    "timestamp": _all_timestamps,
    "date": _all_dates,
    "integer": lambda values, joined: bool(_INTEGER_LINES.fullmatch(joined)),
    "decimal": lambda values, joined: bool(_DECIMAL_LINES.fullmatch(joined)),
}


_TYPE_NAMES = {bool: "boolean", float: "number", type(None): "null", dict: "object", list: "array"}


class _Absent:
    """The value of a key an object of a page does not have (never a JSON value)."""


_ABSENT = _Absent()


def json_type(value) -> str:
    """The schema's name for a JSON value's type (integers beyond 64 bits are ``big_integer``)."""
    cls = type(value)
    if cls is str:
        return "string"
    if cls is bool:
        return "boolean"
    if cls is int:
        return "integer" if -INT64 <= value < INT64 else "big_integer"
    if cls is float:
        return "number"
    if value is None:
        return "null"
    if cls is dict:
        return "object"
    if cls is list:
        return "array"
    return "string"  # values a transformation produced (dates, decimals) are stored as strings


def json_type_name(value) -> str:
    """A JSON value's type as messages and the preview name it (``integer`` of any size, ``array``,
    ``object``...): :func:`json_type` without the columns' big-integer distinction."""
    kind = json_type(value)
    return "integer" if kind == "big_integer" else kind


class FieldNode:
    __slots__ = ("children", "formats", "pending", "position", "types")

    def __init__(self, position: int = 0):
        self.position = position  # first seen after every field with a smaller one
        self.types: set[str] = set()
        self.formats: set[str] | None = None  # None: no string seen yet
        self.children: dict[str, FieldNode] = {}
        self.pending: list[str] | None = None  # strings of this page not checked yet


class SchemaAccumulator:
    """Merge records into a connector's schema; ``changed`` says whether anything was learnt."""

    def __init__(self, fields: list | None = None, truncated: bool = False, long_names: bool = False):
        self.root = FieldNode()
        self.count = 0
        self.truncated = truncated
        # A field was left out for its name's length (MAX_NAME_LENGTH): it is no column of the CSV
        # export nor of destination tables, which the run that first met one warns about.
        self.long_names = long_names
        self.changed = False
        self._touched: list[FieldNode] = []  # nodes with new children or pending strings
        # A schema stored before positions were kept reads as first seen in path order, until the
        # first page observed gives its fields the order that page shows them in (_adopt_order).
        self.order_unknown = bool(fields) and any("position" not in entry for entry in fields or ())
        self.next_position = max((entry.get("position", 0) for entry in fields or []), default=0) + 1
        for entry in fields or []:
            node = self.root
            for part in entry["path"]:
                child = node.children.get(part)
                if child is None:
                    child = node.children[part] = FieldNode(self._take_position())
                    self.count += 1
                node = child
            if "position" in entry:
                node.position = entry["position"]
            node.types.update(entry["types"])
            if "string" in node.types:
                node.formats = set(entry.get("formats", ()))

    def _take_position(self) -> int:
        self.next_position += 1
        return self.next_position - 1

    @classmethod
    def for_connector(cls, connector_id: int) -> SchemaAccumulator:
        return cls.of_document(stored_schema_document(connector_id))

    @classmethod
    def of_document(cls, document: dict) -> SchemaAccumulator:
        return cls(
            document.get("fields"), document.get("truncated", False), document.get("long_names", False)
        )

    def observe(self, record: dict) -> None:
        """Merge one record. String formats are checked in :meth:`flush` (once per page), which
        :meth:`to_document` and :attr:`changed` readers must call first; ``observe_page`` does both."""
        self._observe_objects([record], self.root, 1)

    def observe_many(self, records: list[dict]) -> None:
        """Merge a page's records (objects only) at once, field by field (see ``_observe_objects``);
        the same result as observing them one by one."""
        if records:
            if self.order_unknown:
                self.adopt_order(records)
            self._observe_objects(records, self.root, 1)

    def observe_page(self, records) -> None:
        self.observe_many(list(records))
        self.flush()

    def adopt_order(self, records: list[dict]) -> None:
        """Number the known fields of a schema stored without positions in the order ``records``
        show them, the fields they lack after those (in path order), once (``order_unknown``)."""
        self.order_unknown = False
        renumbered: set[int] = set()

        def visit(objects: list[dict], node: FieldNode) -> None:
            for key in dict.fromkeys(chain.from_iterable(objects)):
                child = node.children.get(key)
                if child is None:
                    continue
                child.position = self._take_position()
                renumbered.add(id(child))
                nested = [value for item in objects if type(value := item.get(key)) is dict]
                if nested:
                    visit(nested, child)

        def rest(node: FieldNode) -> None:
            for key in sorted(node.children):
                child = node.children[key]
                if id(child) not in renumbered:
                    child.position = self._take_position()
                rest(child)

        visit([record for record in records if type(record) is dict], self.root)
        rest(self.root)
        self.changed = True

    def _observe_objects(self, objects: list[dict], node: FieldNode, depth: int) -> None:
        """Merge the objects found at one place of a page's records into ``node``, column by column.

        The keys (in the order first seen) and the classes of each key's values are collected by C
        loops (``dict.fromkeys`` over the chained keys, ``set(map(type, ...))``), so a page costs a
        few calls per field instead of Python work per value: a record-by-record walk was about 30 %
        of a first sync's CPU. Nested objects are merged the same way, one call per object field.
        """
        children = node.children
        for key in dict.fromkeys(chain.from_iterable(objects)):
            child = children.get(key)
            if child is None:
                if self.count >= MAX_FIELDS or type(key) is not str or len(key) > MAX_NAME_LENGTH:
                    if not self.truncated:
                        self.truncated = self.changed = True
                    if type(key) is str and len(key) > MAX_NAME_LENGTH and not self.long_names:
                        self.long_names = self.changed = True
                    continue
                child = children[key] = FieldNode(self._take_position())
                self._touched.append(child)
                self.count += 1
                self.changed = True
            try:  # every object has the key (the usual case): one C loop
                values = list(map(itemgetter(key), objects))
                classes = set(map(type, values))
                absent = False
            except KeyError:
                values = [item.get(key, _ABSENT) for item in objects]
                classes = set(map(type, values))
                absent = _Absent in classes
                if absent:
                    classes.discard(_Absent)
            sole = not absent and len(classes) == 1
            types = child.types
            for cls in classes:
                if cls is str:
                    if "string" not in types:
                        types.add("string")
                        self.changed = True
                    if child.formats is None or child.formats:
                        if child.pending is None:
                            child.pending = []
                            self._touched.append(child)
                        child.pending.extend(values if sole else [v for v in values if type(v) is str])
                    continue
                if cls is int:
                    ints = values if sole else [v for v in values if type(v) is int]
                    names = []
                    if -INT64 <= min(ints) and max(ints) < INT64:
                        names.append("integer")
                    else:
                        if any(-INT64 <= v < INT64 for v in ints):
                            names.append("integer")
                        names.append("big_integer")
                elif cls is dict:
                    names = ["object"]
                else:
                    # values a transformation produced (dates, decimals) are stored as strings
                    names = [_TYPE_NAMES.get(cls, "string")]
                for name in names:
                    if name not in types:
                        types.add(name)
                        self.changed = True
                if cls is dict:
                    if depth < MAX_DEPTH:
                        self._observe_objects(
                            values if sole else [v for v in values if type(v) is dict], child, depth + 1
                        )
                    elif not self.truncated:
                        self.truncated = self.changed = True

    def flush(self) -> None:
        """Check the strings observed since the last flush against the formats still possible."""
        touched, self._touched = self._touched, []
        for node in touched:
            values = node.pending
            node.pending = None
            if not values:
                continue
            formats = set(FORMATS) if node.formats is None else node.formats
            if formats:
                joined = "\n".join(values) + "\n"
                if joined.count("\n") != len(values):  # a value holds a newline: no format
                    kept = set()
                else:
                    # The first value alone first: free text fails at once, without its shapes.
                    first = values[:1]
                    kept = {name for name in formats if _CHECKS[name](first, first[0] + "\n")}
                    shapes = shapes_of(joined) if kept else None
                    if shapes is None:  # an empty value: no format
                        kept = set()
                    else:
                        kept = {name for name in kept if _CHECKS[name](values, shapes)}
            else:
                kept = formats
            if node.formats is None or kept != node.formats:
                node.formats = kept
                self.changed = True

    def to_document(self) -> dict:
        self.flush()
        document = {"fields": to_fields(self.root), "truncated": self.truncated}
        if self.long_names:
            document["long_names"] = True
        return document


def to_fields(root: FieldNode) -> list[dict]:
    """The flat list of fields, sorted by path."""
    out: list[dict] = []

    def visit(node: FieldNode, path: tuple):
        for key in sorted(node.children):
            child = node.children[key]
            entry: dict[str, object] = {"path": [*path, key], "types": sorted(child.types)}
            if "string" in child.types:
                entry["formats"] = [f for f in FORMATS if f in (child.formats or ())]
            entry["position"] = child.position
            out.append(entry)
            visit(child, (*path, key))

    visit(root, ())
    return out


def keep_positions(fields: list[dict], before: list[dict]) -> list[dict]:
    """``fields`` (a schema rebuilt from the stored records, whose keys are sorted) with the
    positions the fields had in ``before`` (the schema the syncs learnt, in the upstream's order);
    the fields new to it come after those, in the order the rebuild saw them."""
    known = {tuple(entry["path"]): entry["position"] for entry in before if "position" in entry}
    after = max(known.values(), default=0)
    kept = []
    for entry in sorted(fields, key=itemgetter("position")):
        position = known.get(tuple(entry["path"]))
        if position is None:
            after += 1
            position = after
        kept.append({**entry, "position": position})
    order = {tuple(entry["path"]): index for index, entry in enumerate(fields)}
    return sorted(kept, key=lambda entry: order[tuple(entry["path"])])


def save_schema(connector_id: int, document: dict) -> None:
    """Store the connector's changed schema (inside the page's transaction); ``updated_at`` says
    when it last changed (``auto_now`` alone is not applied by ``update()``)."""
    with transaction.atomic():
        updated = ConnectorSchema.objects.filter(connector_id=connector_id).update(
            fields=document, updated_at=timezone.now()
        )
        if not updated:
            ConnectorSchema.objects.create(connector_id=connector_id, fields=document)


def stored_schema_document(connector_id: int) -> dict:
    """The connector's stored schema document (``{"fields": [...], "truncated": bool}``), {} if none."""
    stored = ConnectorSchema.objects.filter(connector_id=connector_id).values_list("fields", flat=True)
    for document in stored:
        return without_long_names(document or {})
    return {}


def without_long_names(document: dict) -> dict:
    """``document`` without the fields a name of which is longer than :data:`MAX_NAME_LENGTH`
    (``truncated`` and ``long_names`` set when one was left out): a schema stored before names were
    bounded held them; every reader (the schema's answer, CSV and destination columns) reads here."""
    fields = document.get("fields") or []
    kept = [
        entry
        for entry in fields
        if not any(type(part) is str and len(part) > MAX_NAME_LENGTH for part in entry.get("path", ()))
    ]
    if len(kept) == len(fields):
        return document
    return {**document, "fields": kept, "truncated": True, "long_names": True}


def is_full(document: dict) -> bool:
    """Whether the schema ``document`` reached :data:`MAX_FIELDS` and left fields out (a schema
    truncated only by :data:`MAX_DEPTH` keeps the deeper values: their object is a JSON column)."""
    return bool(document.get("truncated")) and len(document.get("fields") or []) >= MAX_FIELDS


def full_schema_warning() -> str:
    """The run's warning when its records made the connector's schema full (:func:`is_full`)."""
    return (
        f"The inferred schema is full: it holds at most {MAX_FIELDS:,} fields, and the records have "
        "more. The fields it left out are not columns of the CSV export nor of destination tables "
        "(the NDJSON export, the records and the change feed hold every field): export NDJSON, or "
        "keep the fields wanted with the transformation rules (field_mappings with "
        "include_unmapped false)."
    )


def long_names_warning() -> str:
    """The run's warning when its records first had a field whose name the schema cannot keep."""
    return (
        f"A field name is longer than the {MAX_NAME_LENGTH:,} characters the inferred schema keeps: "
        "that field is left out of it, so it is not a column of the CSV export nor of destination "
        "tables (the NDJSON export, the records and the change feed hold it): export NDJSON, or "
        "rename the field with the transformation rules (field_mappings)."
    )


def unknown_top_level_field(connector_id: int, key: str) -> bool:
    """Whether the connector's schema says no stored record has the top-level ``key`` (False while
    the schema is empty or truncated: it cannot say)."""
    document = stored_schema_document(connector_id)
    fields = document.get("fields") or []
    if not fields or document.get("truncated"):
        return False
    return not any(entry["path"] == [key] for entry in fields)


def connector_schema(connector_id: int) -> dict:
    """The connector's schema document: ``{"fields": [...], "truncated": bool, "updated_at": …}``."""
    row = ConnectorSchema.objects.filter(connector_id=connector_id).values("fields", "updated_at").first()
    if row is None:
        return {"fields": [], "truncated": False, "updated_at": None}
    document = without_long_names(row["fields"] or {})
    return {
        "fields": document.get("fields", []),
        "truncated": document.get("truncated", False),
        "updated_at": row["updated_at"],
    }


def schema_checked_at(connector_id: int, updated_at: datetime | None) -> datetime | None:
    """When the connector's schema (last changed at ``updated_at``) was last confirmed: the end of
    its latest run that read the records to the end (``SUCCESS`` or ``PARTIAL``: every record it
    got was either compared with the schema or unchanged since it was), or ``updated_at`` when that
    is later (a run that failed after a page changed the schema). None while there is no schema. A
    sync that learns nothing leaves ``updated_at`` and moves this."""
    if updated_at is None:
        return None
    finished = (
        SyncLog.objects.filter(
            connector_id=connector_id,
            status__in=(SyncStatus.SUCCESS, SyncStatus.PARTIAL),
            finished_at__isnull=False,
        )
        .order_by("-created_at", "-id")
        .values_list("finished_at", flat=True)
        .first()
    )
    return max(updated_at, finished) if finished is not None else updated_at


def is_expanded(entry: dict, has_children: bool) -> bool:
    """An object field whose every value was an object (or null): its children are the columns."""
    types = set(entry["types"])
    return has_children and "object" in types and types <= {"object", "null"}


def leaf_fields(fields: list[dict]) -> list[dict]:
    """The fields that are columns (expanded objects left out), in the schema's order."""
    parents = {tuple(entry["path"][:-1]) for entry in fields}
    leaves = []
    skip_under: list[tuple] = []
    by_path = {tuple(entry["path"]): entry for entry in fields}
    for entry in fields:
        path = tuple(entry["path"])
        # a child of a field that is one JSON column is not a column of its own
        if any(path[: len(prefix)] == prefix for prefix in skip_under):
            continue
        parent = by_path.get(path[:-1])
        if parent is not None and not is_expanded(parent, True):
            continue
        if is_expanded(entry, path in parents):
            continue
        leaves.append(entry)
        if path in parents:
            skip_under.append(path)
    return leaves


#: At most this many schema changes are kept on a run (the log line says how many more).
MAX_SCHEMA_CHANGES = 50


def schema_changes(before: list[dict], after: list[dict]) -> list[dict]:
    """How a connector's schema changed between two of its field lists, in path order: each
    ``{"path": "a.b", "change": ..., "before": [...], "after": [...]}`` where ``change`` is

    * ``added``: a new field (its types in ``after``); a new object's own fields are not listed;
    * ``removed``: a field no live record has any more (a full refresh rebuilt the schema);
    * ``types``: the field took a type it never had (``before``/``after``: its types);
    * ``formats``: a string field lost a format every value had (``timestamp``, ...): a value did
      not parse as it (``before``/``after``: its formats).

    Empty when ``before`` is (a first sync learns a schema, it does not change one)."""
    if not before:
        return []
    old = {tuple(entry["path"]): entry for entry in before}
    new = {tuple(entry["path"]): entry for entry in after}
    changes: list[dict] = []
    for path in sorted(old.keys() | new.keys()):
        was, now = old.get(path), new.get(path)
        name = ".".join(path)
        if was is None:
            if now is not None and (not path[:-1] or path[:-1] in old):
                changes.append({"path": name, "change": "added", "before": [], "after": now["types"]})
        elif now is None:
            if not path[:-1] or path[:-1] in new:
                changes.append({"path": name, "change": "removed", "before": was["types"], "after": []})
        elif set(now["types"]) - set(was["types"]):
            changes.append({"path": name, "change": "types", "before": was["types"], "after": now["types"]})
        elif set(was.get("formats", ())) - set(now.get("formats", ())):
            lost = {"before": was.get("formats", []), "after": now.get("formats", [])}
            changes.append({"path": name, "change": "formats", **lost})
    return changes


def is_breaking(change: dict) -> bool:
    """A change a consumer of the data may trip on: a field that took a new type other than null
    (a column of integers that now holds strings), or lost a format (no longer always a timestamp).
    New, removed and nullable fields are news, not breaks."""
    if change["change"] == "formats":
        return True
    return change["change"] == "types" and bool(set(change["after"]) - set(change["before"]) - {"null"})


def _breaking_text(change: dict) -> str:
    if change["change"] == "types":
        return f"{change['path']} ({', '.join(change['before'])} → {', '.join(change['after'])})"
    lost = sorted(set(change["before"]) - set(change["after"]))
    return f"{change['path']} (no longer always {', '.join(lost)})"


def _sorted_changes(changes: list[dict]) -> tuple[list[str], list[str], list[str]]:
    """The paths of the added fields, of those that may now be null, and the breaking changes as
    text (``age (integer → integer, string)``)."""
    added = [change["path"] for change in changes if change["change"] == "added"]
    nullable = [
        change["path"] for change in changes if change["change"] == "types" and not is_breaking(change)
    ]
    breaking = [_breaking_text(change) for change in changes if is_breaking(change)]
    return added, nullable, breaking


def frozen_schema_refusal(before: list[dict], after: list[dict]) -> str | None:
    """What a page that takes the schema from ``before`` to ``after`` would change that a frozen
    schema refuses (new fields, another type but null, a format lost), as a phrase; None if none."""
    added, _nullable, breaking = _sorted_changes(schema_changes(before, after))
    parts = [f"new field(s): {', '.join(added)}"] if added else []
    if breaking:
        parts.append(f"another type: {', '.join(breaking)}")
    return "; ".join(parts) or None


def describe_schema_changes(changes: list[dict], limit: int = 10) -> tuple[str, str]:
    """The run's log lines about ``changes``: (news: fields added or taking null, warnings: the
    breaking changes); each "" when there is none. Removed fields have their own line (the
    rebuild's)."""

    def listed(items: list[str]) -> str:
        return ", ".join(items[:limit]) + (f" and {len(items) - limit} more" if len(items) > limit else "")

    added, nullable, breaking = _sorted_changes(changes)
    news = []
    if added:
        news.append(f"{len(added)} new field(s): {listed(added)}")
    if nullable:
        news.append(f"{len(nullable)} field(s) now also null: {listed(nullable)}")
    news_line = f"Schema changed: {'; '.join(news)}." if news else ""
    warning_line = (
        f"Schema changed: {len(breaking)} field(s) took another type: {listed(breaking)}. "
        "Columns and readers that expected the old type may need a change."
        if breaking
        else ""
    )
    return news_line, warning_line
