"""Streaming export of a connector's records as NDJSON or CSV.

The generators read the records in keyset pages (``changes.iter_records``) and yield one chunk per
page, so memory stays constant at any size: nothing but a page of rows is held at a time. NDJSON
passes the database's JSON text through unless ``fields`` asks for a projection, with the raw
Unicode line breaks inside its strings escaped (U+0085, U+2028, U+2029: one record stays one line
for every reader).

CSV columns are dotted paths (``address.city``; a key that holds a dot written ``a\\.b``, as ``fields``
takes it): the requested ``fields``, or the leaf fields of the connector's inferred schema in its
stable (sorted) order (before anything is stored: the caller's
``columns_without_schema``, so that an empty export still has its header row). Lists, objects and
values of mixed shape are written as JSON text; null and absent values are an empty cell and an
empty string a quoted one (``""``), which loaders read as NULL and as an empty string. Quoting
follows RFC 4180 (``csv`` with CRLF line ends), and a text cell that a spreadsheet would run as a
formula gets a leading apostrophe: one starting with a tab or a carriage return, or whose first
character after any leading whitespace
(spaces, no-break and zero-width spaces, line breaks: some importers trim them) is ``=``, ``+``,
``-``, ``@`` (as OWASP lists them) or their full-width forms ``＝``, ``＋``, ``－``, ``＠`` (which some
spreadsheets read as the same). A plain decimal number (``-20.2170``, also after leading spaces) is
left as it is: a spreadsheet reads it as that number, not a formula. A CSV meant for a database
loader, not a spreadsheet, asks for the cells untouched (``spreadsheet_safe=False``): every cell as
stored, formulas included, so such a file must not be opened in a spreadsheet.

With ``include_deleted`` every record says whether a full refresh marked it deleted: ``_deleted_at``
(UTC, or null/empty for a live record) as the first key of an NDJSON line and the last CSV column,
the name the destinations' tables give it too. When the records have a top-level field of that
name, the marker takes one more leading underscore (``__deleted_at``) for as long as they have
that one too (:func:`deleted_marker`): a line with two keys of one name leaves a JSON reader one of
them, and a CSV two columns of one header.
"""

from __future__ import annotations

import csv
import io
import json
import re
from dataclasses import dataclass
from urllib.parse import quote

import orjson

from core.display_names import ascii_letters
from core.formats import loads_exact
from sync_engine.changes import deleted_record_data, has_top_level_key, iter_data_pages
from sync_engine.paths import format_path, get_path, path_parts
from sync_engine.schema import SchemaAccumulator, connector_schema, leaf_fields, to_fields

FORMATS = ("ndjson", "csv")
MAX_FIELDS = 500
MAX_FIELD_LENGTH = 1000
# A cell starting with one of these is a formula, whatever follows.
CONTROL_STARTS = ("\t", "\r")
# A cell whose first character after leading whitespace is one of these is a formula (unless it is
# a plain number): OWASP's four, and their full-width forms.
FORMULA_STARTS = ("=", "+", "-", "@", "\uff1d", "\uff0b", "\uff0d", "\uff20")
# Leading characters a spreadsheet's importer may trim before it decides: every Unicode whitespace
# (``\s``) and the zero-width ones (zero-width space, joiners, word joiner, BOM).
_LEADING_BLANKS = re.compile(r"\A[\s\u200b\u200c\u200d\u2060\ufeff]+")
# A signed decimal number in ASCII digits (optionally with an exponent): text a spreadsheet reads
# as a number.
_PLAIN_NUMBER = re.compile(r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
CONTENT_TYPES = {"ndjson": "application/x-ndjson", "csv": "text/csv; charset=utf-8"}
# Deleted records read into the columns' schema at a time (include_deleted CSV).
_SCHEMA_BATCH = 1000
#: The key (NDJSON) and column (CSV) that says when a record was marked deleted (include_deleted).
DELETED_AT = "_deleted_at"


class ExportParameterError(ValueError):
    """A query parameter of the export that cannot be honoured (a 400 naming it)."""


@dataclass(frozen=True)
class ExportOptions:
    format: str = "ndjson"
    since: int = 0
    fields: tuple[str, ...] = ()
    include_deleted: bool = False
    spreadsheet_safe: bool = True  # CSV: formula-like text cells get a leading apostrophe
    search: tuple[str, str] | None = None  # (field, text): the records list's search
    # CSV: the header while the schema lists no field (nothing stored yet), e.g. the record key: a
    # loader reads a valid empty file, not a blank line
    columns_without_schema: tuple[str, ...] = ()


def parse_fields(text: str | None) -> tuple[str, ...]:
    """``a,b.c`` → ``("a", "b.c")``; raises :class:`ExportParameterError` for an unusable list."""
    if text is None:
        return ()
    names = [name.strip() for name in text.split(",")]
    if not any(names):
        raise ExportParameterError("fields: name at least one field, e.g. fields=id,address.city.")
    if len(names) > MAX_FIELDS:
        raise ExportParameterError(f"fields: at most {MAX_FIELDS} fields.")
    for name in names:
        if not name or not path_parts(name):
            raise ExportParameterError("fields: an empty field name (check the commas).")
        if len(name) > MAX_FIELD_LENGTH:
            raise ExportParameterError(f"fields: a field name is longer than {MAX_FIELD_LENGTH} characters.")
    return tuple(dict.fromkeys(names))


def neutralise(text: str) -> str:
    """A text cell a spreadsheet will not evaluate as a formula (a plain number stays as it is)."""
    if text.startswith(CONTROL_STARTS):
        return "'" + text
    rest = _LEADING_BLANKS.sub("", text, count=1)
    if rest.startswith(FORMULA_STARTS) and not _PLAIN_NUMBER.fullmatch(rest):
        return "'" + text
    return text


def _as_is(text: str) -> str:
    return text


# What ``cell`` gives for an empty string, which ``_csv_chunks`` writes as a quoted empty cell
# (``""``), so that a loader tells it from null (an empty cell: PostgreSQL's ``COPY … CSV`` reads
# that as NULL and ``""`` as an empty string). The csv module quotes it for its comma; no record
# holds a NUL character (the sync refuses them), so nothing else is written as it is.
_EMPTY_TEXT = "\x00,"
_EMPTY_TEXT_WRITTEN = '"\x00,"'


def cell(value, guard=neutralise) -> str:
    """One CSV cell of a JSON value: text neutralised, numbers and booleans as JSON writes them,
    null and absent values empty, lists and objects as JSON text (an empty string: see
    ``_EMPTY_TEXT``)."""
    cls = type(value)
    if cls is str:
        return guard(value) if value else _EMPTY_TEXT
    if value is None:
        return ""
    if cls is bool:
        return "true" if value else "false"
    if cls is int or cls is float:
        return orjson.dumps(value).decode() if cls is float else str(value)
    try:
        text = orjson.dumps(value, option=orjson.OPT_SORT_KEYS).decode()
    except TypeError:  # integers beyond 64 bits
        text = json.dumps(value, sort_keys=True, separators=(",", ":"))
    return guard(text)


def exported_schema(connector_id: int, include_deleted: bool = False) -> dict:
    """The schema an export's columns and ``fields`` are checked against: the connector's, which
    describes its live records (a full refresh rebuilds it from them), and with ``include_deleted``
    also the fields only deleted records have, read from those records (their values are then
    columns of the CSV, not left out; a ``fields`` naming one is not refused)."""
    schema = connector_schema(connector_id)
    if not include_deleted:
        return schema
    seen = SchemaAccumulator(schema["fields"], schema["truncated"])
    page: list[dict] = []
    for data in deleted_record_data(connector_id):
        if type(data) is dict:
            page.append(data)
        if len(page) >= _SCHEMA_BATCH:
            seen.observe_page(page)
            page = []
    seen.observe_page(page)
    return {"fields": to_fields(seen.root), "truncated": seen.truncated}


def deleted_marker(connector_id: int) -> str:
    """The key (NDJSON) and column (CSV) of an ``include_deleted`` export that says when a record
    was marked deleted: ``_deleted_at``, with a leading underscore more while a stored record has a
    top-level field of that name (the live records' by their schema, the deleted ones' by a query;
    every record's by a query while the schema is truncated or empty: records stored before it
    existed)."""
    schema = connector_schema(connector_id)
    described = bool(schema["fields"]) and not schema["truncated"]
    live = {entry["path"][0] for entry in schema["fields"] if len(entry["path"]) == 1}
    name = DELETED_AT
    while (described and name in live) or has_top_level_key(connector_id, name, deleted_only=described):
        name = "_" + name
    return name


def csv_columns(
    connector_id: int,
    fields: tuple[str, ...],
    without_schema: tuple[str, ...] = (),
    *,
    include_deleted: bool = False,
) -> list[str]:
    """The CSV's columns: ``fields``, or the leaves of :func:`exported_schema`."""
    if fields:
        return list(fields)
    schema = exported_schema(connector_id, include_deleted)
    columns = [format_path(entry["path"]) for entry in leaf_fields(schema["fields"])]
    return columns or list(without_schema)


def file_name(connector, options: ExportOptions, *, ascii_only: bool = True) -> str:
    """A safe file name: ``<connector-slug>-<id>-records.<ext>``; a CSV that is not spreadsheet-safe
    is ``...-records-raw.csv``, so the two CSVs of a connector, whose cells differ, are not saved
    under one name (a browser would overwrite one or number them alike). ``ascii_only``: the slug
    keeps a-z and 0-9, accents taken off Latin letters (``Café`` → ``cafe``); else letters and digits
    of any script too (``数据``), for the header's UTF-8 ``filename*``."""
    name = ascii_letters(connector.name)
    unwanted = r"[^a-z0-9]+" if ascii_only else r"[\W_]+"
    slug = re.sub(unwanted, "-", name).strip("-")[:60] or "connector"
    raw = "-raw" if options.format == "csv" and not options.spreadsheet_safe else ""
    return f"{slug}-{connector.pk}-records{raw}.{options.format}"


def content_disposition(connector, options: ExportOptions) -> str:
    """The download's ``Content-Disposition``: an ASCII ``filename`` for every client and, when the
    name has letters of other scripts, RFC 6266's ``filename*`` in UTF-8 beside it."""
    plain = file_name(connector, options)
    full = file_name(connector, options, ascii_only=False)
    header = f'attachment; filename="{plain}"'
    if full != plain:
        header += f"; filename*=UTF-8''{quote(full, safe='')}"
    return header


def unknown_fields(schema: dict, fields: tuple[str, ...]) -> list[str]:
    """The ``fields`` no stored record of the connector has, by its ``schema`` (see
    :func:`exported_schema`): a path whose first segments lead to a field that only ever held
    objects (or null) and has no such child, or no top-level field of that name. Nothing is refused
    while the schema is empty or truncated, or below a field that held arrays or scalars (an index
    into a list is a path too)."""
    if not fields or not schema["fields"] or schema["truncated"]:
        return []
    known = {tuple(entry["path"]): set(entry["types"]) for entry in schema["fields"]}
    unknown = []
    for name in fields:
        parts = path_parts(name)
        if parts in known:
            continue
        prefix = next((parts[:end] for end in range(len(parts) - 1, 0, -1) if parts[:end] in known), ())
        if not prefix or known[prefix] <= {"object", "null"}:
            unknown.append(name)
    return unknown


def unknown_fields_problem(connector_id: int, fields: tuple[str, ...], include_deleted: bool = False) -> str:
    """Why ``fields`` cannot be exported (names no stored record has), "" when they can; a name that
    is a key holding a dot written unescaped is told its escaped form."""
    if not fields:
        return ""
    schema = exported_schema(connector_id, include_deleted)
    unknown = unknown_fields(schema, fields)
    if not unknown:
        return ""
    dotted = {
        ".".join(entry["path"]): format_path(entry["path"])
        for entry in schema["fields"]
        if any("." in part for part in entry["path"])
    }
    hints = [f"did you mean '{dotted[name]}'?" for name in unknown if name in dotted]
    return (
        f"No stored record has {', '.join(map(repr, unknown))} (the connector's schema lists its fields: "
        "GET .../schema/); a column of nulls would hide the typo."
        + (
            f" A key that holds a dot is written with a backslash before it: {' '.join(hints)}"
            if hints
            else ""
        )
    )


def stream_export(connector_id: int, options: ExportOptions):
    """The export's body as chunks of bytes (one chunk per page of records)."""
    marked = options.include_deleted
    pages = iter_data_pages(
        connector_id,
        after=options.since,
        include_deleted=options.include_deleted,
        search=options.search,
        deleted_at=marked,
    )
    marker = deleted_marker(connector_id) if marked else None
    if options.format == "csv":
        guard = neutralise if options.spreadsheet_safe else _as_is
        columns = csv_columns(
            connector_id, options.fields, options.columns_without_schema, include_deleted=marked
        )
        return _csv_chunks(pages, columns, guard, marker)
    if marker:
        return _ndjson_marked_chunks(pages, options.fields, marker)
    return _ndjson_chunks(pages, options.fields)


# Line breaks JSON may hold raw inside strings (U+0085, U+2028, U+2029, as UTF-8) that readers
# splitting on every Unicode line break (Python's ``str.splitlines``) cut a line at: written as
# escapes, which read back as the same strings. No other byte sequence of UTF-8 holds these.
_RAW_LINE_BREAKS = ((b"\xc2\x85", b"\\u0085"), (b"\xe2\x80\xa8", b"\\u2028"), (b"\xe2\x80\xa9", b"\\u2029"))


def _one_line_each(chunk: bytes) -> bytes:
    """``chunk`` (NDJSON lines) with the raw Unicode line breaks inside its strings escaped."""
    for raw, escaped in _RAW_LINE_BREAKS:
        if raw in chunk:
            chunk = chunk.replace(raw, escaped)
    return chunk


def _ndjson_chunks(pages, fields: tuple[str, ...]):
    if not fields:
        for texts in pages:
            # JSON text never holds a raw newline (JSON escapes it), so a record is one line
            texts.append("")
            yield _one_line_each("\n".join(texts).encode())
        return
    wanted = [(name, path_parts(name)) for name in fields]
    for texts in pages:
        lines = []
        for text in texts:
            data = loads_exact(text)
            lines.append(_dumps({name: get_path(data, parts) for name, parts in wanted}))
        lines.append(b"")
        yield _one_line_each(b"\n".join(lines))


def _ndjson_marked_chunks(pages, fields: tuple[str, ...], key: str = DELETED_AT):
    """NDJSON lines with ``key`` (``_deleted_at``) first (the record's JSON text spliced, not parsed)."""
    wanted = [(name, path_parts(name)) for name in fields]
    for items in pages:
        lines = []
        for text, deleted_at in items:
            marker = _dumps({key: deleted_at})
            if wanted:
                data = loads_exact(text)
                lines.append(
                    marker[:-1] + b"," + _dumps({name: get_path(data, parts) for name, parts in wanted})[1:]
                )
            elif text.strip() == "{}":
                lines.append(marker)
            else:  # a record is a JSON object: its text starts with "{"
                lines.append(marker[:-1] + b"," + text.lstrip()[1:].encode())
        lines.append(b"")
        yield _one_line_each(b"\n".join(lines))


def _dumps(value) -> bytes:
    try:
        return orjson.dumps(value)
    except TypeError:  # integers beyond 64 bits
        return json.dumps(value, separators=(",", ":")).encode()


def _csv_chunks(pages, columns: list[str], guard=neutralise, marker: str | None = None):
    """CSV rows of ``columns``; with a ``marker`` column (``_deleted_at``) last: ``include_deleted``."""
    marked = marker is not None
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([guard(name) for name in columns] + ([marker] if marked else []))
    paths = [path_parts(name) for name in columns]
    for items in pages:
        for item in items:
            text, deleted_at = item if marked else (item, None)
            data = loads_exact(text)
            row = [cell(get_path(data, parts), guard) for parts in paths]
            if marked:
                row.append(deleted_at or "")
            writer.writerow(row)
        chunk = buffer.getvalue()
        if _EMPTY_TEXT_WRITTEN in chunk:
            chunk = chunk.replace(_EMPTY_TEXT_WRITTEN, '""')
        yield chunk.encode()
        buffer.seek(0)
        buffer.truncate()
    rest = buffer.getvalue()  # the header of an export without records
    if rest:
        yield rest.encode()
