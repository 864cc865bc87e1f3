"""Writing synced records: canonical JSON, checksums and one bulk upsert per page.

A page costs a few statements whatever its size: one to read the stored checksums of the page's
external ids, and ``INSERT … ON CONFLICT DO UPDATE`` for the new and changed rows (PostgreSQL: one
statement taking the whole page as binary-bound arrays through ``unnest``; SQLite: multi-row
``VALUES`` statements of at most eleven prepared sizes, see ``_sqlite_chunks``). On a connector's
first load the read is skipped; PostgreSQL then writes the page with a binary ``COPY`` (no conflict
handling, a fifth less server time than the upsert) and falls back to the upsert for a page that
repeats an id already stored. Unchanged rows are not written at all, so a re-sync of unchanged data
writes no record rows.

Records are stored as the same canonical JSON text their checksum is computed from, so nothing is
serialized twice. Values PostgreSQL's ``jsonb`` rejects (NaN and Infinity, ``\\u0000``, unpaired
surrogates) are refused on every database alike with :class:`UnstorableRecord`: the sync
quarantines such records instead of failing the page. Floats written with a positive exponent,
which ``jsonb`` would give back as integers, are written in plain digits on every database alike.
"""

from __future__ import annotations

import datetime
import decimal
import functools
import hashlib
import json
import math
import sqlite3
import uuid
from contextlib import contextmanager
from dataclasses import dataclass
from itertools import chain

import orjson
import psycopg
from django.db import DatabaseError, connection, transaction
from psycopg.adapt import Dumper
from psycopg.errors import UniqueViolation
from psycopg.pq import Format

from core.formats import plain_large_floats
from sync_engine.changes import allocate as allocate_change_sequences
from sync_engine.models import SyncedRecord
from sync_engine.transform import contains_non_finite


class UnstorableRecord(ValueError):
    """A record that cannot be stored as JSON on every supported database."""


def _json_default(value):
    # What DjangoJSONEncoder does for the types a transformation may produce.
    if isinstance(value, datetime.datetime | datetime.date | datetime.time):
        return value.isoformat()
    if isinstance(value, decimal.Decimal | uuid.UUID):
        return str(value)
    raise TypeError(f"a value of type {type(value).__name__}")


def _make_encoder():
    """Sorted-key compact ASCII JSON, NaN refused. The C encoder is built once (``json.dumps`` builds
    one per call); records come from JSON, so the circular-reference check is skipped."""
    c_make_encoder = getattr(json.encoder, "c_make_encoder", None)
    if c_make_encoder is None:  # pragma: no cover - CPython always has it
        return json.JSONEncoder(
            sort_keys=True, separators=(",", ":"), allow_nan=False, ensure_ascii=True, default=_json_default
        ).encode
    encoder = c_make_encoder(
        None, _json_default, json.encoder.encode_basestring_ascii, None, ":", ",", True, False, False
    )

    def encode(value) -> str:
        return "".join(encoder(value, 0))

    return encode


_encode = _make_encoder()


_ORJSON_OPTIONS = (
    orjson.OPT_SORT_KEYS
    | orjson.OPT_PASSTHROUGH_DATETIME
    | orjson.OPT_PASSTHROUGH_SUBCLASS
    | orjson.OPT_PASSTHROUGH_DATACLASS
)


def encode_record(data, *, finite: bool = False) -> tuple[str, str]:
    """``(canonical JSON text, checksum)`` of one record: what is stored and what decides
    created / updated / unchanged.

    The text is orjson's (sorted keys, compact, UTF-8) whenever orjson can write the record, and
    the standard encoder's (ASCII) for what it cannot (integers beyond 64 bits, non-string keys,
    other types): a function of the record alone, so the same record always gets the same checksum.
    Floats either writes with a positive exponent (``1e+16``) are written in plain digits with a
    fraction (``10000000000000000.0``, see ``core.formats.plain_large_floats``).
    ``finite=True`` promises that the record holds no NaN or Infinity (it comes from a page orjson
    parsed and from the transformation, which never makes one): the scan for them is skipped.

    Raises :class:`UnstorableRecord` naming the problem for NaN / Infinity, NUL characters,
    unpaired surrogates and non-JSON values.
    """
    try:
        out = orjson.dumps(data, default=_json_default, option=_ORJSON_OPTIONS)
    except (TypeError, orjson.JSONEncodeError):
        text = _standard_text(data)
        return text, checksum(text)
    if not finite and b"null" in out and contains_non_finite(data):
        # orjson writes NaN and Infinity as null
        raise UnstorableRecord("The record contains NaN or Infinity, which JSON cannot store.")
    if b"\\" in out and b"\\u0000" in out and _contains(data, _has_nul):
        raise UnstorableRecord(
            "The record contains a NUL character (\\u0000), which PostgreSQL cannot store."
        )
    if b"+" in out and b"e+" in out:
        out = plain_large_floats(out)
    return out.decode(), hashlib.blake2b(out, digest_size=16).hexdigest()


def canonical_json(data) -> str:
    """The canonical JSON text of ``data`` (see :func:`encode_record`)."""
    return encode_record(data)[0]


def _standard_text(data) -> str:
    try:
        text = _encode(data)
    except ValueError:
        raise UnstorableRecord("The record contains NaN or Infinity, which JSON cannot store.") from None
    except TypeError as exc:
        raise UnstorableRecord(f"The record contains {exc}, which JSON cannot store.") from None
    except RecursionError:
        raise UnstorableRecord("The record is nested too deeply to store.") from None
    text = _refuse_nul_and_surrogates(text, data)
    if "e+" in text:
        text = plain_large_floats(text.encode()).decode()
    return text


def _refuse_nul_and_surrogates(text: str, data) -> str:
    # Rare paths: the escapes show up in the ASCII text; confirm on the object itself.
    if "\\u0000" in text and _contains(data, _has_nul):
        raise UnstorableRecord(
            "The record contains a NUL character (\\u0000), which PostgreSQL cannot store."
        )
    if "\\ud" in text and _contains(data, _has_lone_surrogate):
        raise UnstorableRecord("The record contains an unpaired UTF-16 surrogate, which cannot be stored.")
    return text


def checksum(text: str) -> str:
    """A 32-character hex digest of canonical JSON text."""
    return hashlib.blake2b(text.encode(), digest_size=16).hexdigest()


# Bump when the transformation's output for a given input changes (a converter's result, the rule
# semantics): every stored source checksum then stops matching and the next re-sync transforms
# every record again.
SOURCE_CHECKSUM_VERSION = 1


def source_hasher(rules, primary_key: str):
    """The hasher of a connector's source checksums, keyed with a digest of everything besides the
    raw record that decides the stored record (the transformation rules, the primary key, the rule
    engine's version). :func:`source_checksum` copies it for each record.

    BLAKE2b: SHA-256 was measured too (docs/benchmarks.md): 30 % faster where the CPU hashes it in
    hardware, 45 % slower where it does not, and a change would make every connector's next re-sync
    transform all its records once."""
    material = canonical_json(
        {"version": SOURCE_CHECKSUM_VERSION, "rules": rules or {}, "primary_key": primary_key or ""}
    )
    return hashlib.blake2b(digest_size=16, key=hashlib.blake2b(material.encode(), digest_size=32).digest())


def source_checksum(raw, hasher) -> str:
    """A keyed 32-character digest of a raw record as orjson writes it (key order included), or
    ``""`` when it cannot be written. Only for records of a plain page (see
    ``extract.parse_json_document``): NaN, which orjson would write as ``null``, cannot be in one.

    Two raw records with the same source checksum under the same key are the same record, so they
    transform into the same stored record: a re-sync that finds the stored source checksum equal
    skips the record before transforming it. A different digest proves nothing (keys may just be
    in another order): the record then goes through the transformation and the usual checksum.
    """
    try:
        text = orjson.dumps(raw)
    except (TypeError, orjson.JSONEncodeError):
        return ""
    return _keyed_digest(hasher, text)


def _keyed_digest(hasher, text: bytes) -> str:
    digest = hasher.copy()
    digest.update(text)
    return digest.hexdigest()


def dump_plain_records(records: list, hasher) -> tuple[bytes, list[str]] | None:
    """A plain page's records as one JSON array (orjson's text of each, which ``orjson.loads`` turns
    back into equal records) and their source checksums (``""`` for what is not an object), from
    one serialization of each record; None when a record cannot be written (the caller sends the
    records another way). How a page goes to the page builder process (``builds.ProcessBuilds``):
    cheaper than pickling the records, and the checksums need the same text anyway."""
    texts: list[bytes] = []
    sums: list[str] = []
    dumps = orjson.dumps
    try:
        for raw in records:
            text = dumps(raw)
            texts.append(text)
            sums.append(_keyed_digest(hasher, text) if type(raw) is dict else "")
    except (TypeError, orjson.JSONEncodeError):
        return None
    return b"[" + b",".join(texts) + b"]", sums


def _has_nul(text: str) -> bool:
    return "\x00" in text


def _has_lone_surrogate(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def writable_text(text: str) -> str:
    """``text`` with each unpaired UTF-16 surrogate (an upstream's ``\\ud800`` escape) replaced by
    ``?``, so that it can be written as UTF-8: how the quarantine and the preview show one."""
    return text.encode("utf-8", "replace").decode("utf-8") if _has_lone_surrogate(text) else text


def _contains(value, predicate) -> bool:
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            if predicate(item):
                return True
        elif isinstance(item, dict):
            for key, inner in item.items():
                if isinstance(key, str) and predicate(key):
                    return True
                stack.append(inner)
        elif isinstance(item, list | tuple):
            stack.extend(item)
    return False


def jsonb_safe(value, _depth: int = 0):
    """A copy of ``value`` that every database stores as JSON (for quarantined raw payloads):
    NaN / Infinity become strings, NUL becomes U+FFFD and an unpaired surrogate ``?``, other objects their
    ``str``."""
    if _depth > 200:
        return "<nested too deeply>"
    if isinstance(value, str):
        if "\x00" in value:
            value = value.replace("\x00", "\ufffd")
        return writable_text(value)
    if isinstance(value, bool) or value is None or isinstance(value, int):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else str(value)
    if isinstance(value, dict):
        return {jsonb_safe(str(k), _depth + 1): jsonb_safe(v, _depth + 1) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonb_safe(item, _depth + 1) for item in value]
    try:
        return jsonb_safe(_json_default(value), _depth + 1)
    except TypeError:
        return str(value)


@dataclass
class UpsertCounts:
    created: int = 0
    updated: int = 0
    unchanged: int = 0


_TABLE = SyncedRecord._meta.db_table
_COLUMNS = (
    "tenant_id",
    "connector_id",
    "external_id",
    "data",
    "checksum",
    "source_checksum",
    "first_synced_at",
    "last_synced_at",
    "last_sync_log_id",
    "change_seq",
)
# ``{r}``: how the statement names the stored row. A rewrite of unchanged data (an out-of-date source
# checksum) keeps the record's change sequence; a tombstone that comes back is alive again.
_ON_CONFLICT = (
    "ON CONFLICT (connector_id, external_id) DO UPDATE SET data = EXCLUDED.data, "
    "checksum = EXCLUDED.checksum, source_checksum = EXCLUDED.source_checksum, "
    "last_synced_at = EXCLUDED.last_synced_at, last_sync_log_id = EXCLUDED.last_sync_log_id, "
    "change_seq = CASE WHEN {r}.checksum <> EXCLUDED.checksum OR {r}.deleted_at IS NOT NULL "
    "THEN EXCLUDED.change_seq ELSE {r}.change_seq END, deleted_at = NULL"
)


def _quoted(name: str) -> str:
    return connection.ops.quote_name(name)


def _postgresql_cursor():
    """A server-side-binding cursor on Django's PostgreSQL connection (same transaction).

    Django's psycopg backend binds parameters client-side by default: it would render a page of
    JSON texts as escaped SQL literals, which costs more than the insert itself. Bound as binary
    array parameters (``%b``) they go to the server as they are, with no escaping.
    """
    connection.ensure_connection()
    return psycopg.Cursor(connection.connection)


class _JsonbTextDumper(Dumper):
    """Binary ``jsonb`` from JSON text that is valid already (the canonical text of a record): the
    format's version byte and the text, with no second encoding."""

    format = Format.BINARY
    oid = 3802  # jsonb

    def dump(self, obj: str) -> bytes:
        return b"\x01" + obj.encode()


# The COPY's column types, in _COLUMNS order (binary COPY applies no casts).
_COPY_TYPES = ("int8", "int8", "text", "jsonb", "text", "text", "timestamptz", "timestamptz", "int8", "int8")


def _copy_first_load(tenant_id, connector_id, sync_log_id, when, base, ids, data, sums, sources) -> bool:
    """Insert a first-load page on PostgreSQL with a binary ``COPY``; False (nothing written) when
    an id is stored already (a record repeated from an earlier page): the caller upserts instead.

    The COPY runs in a savepoint, so the failed attempt leaves the page's transaction usable.
    """
    table = _quoted(_TABLE)
    try:
        with transaction.atomic(), _postgresql_cursor() as cursor:
            cursor.adapters.register_dumper(str, _JsonbTextDumper)  # by oid: only the data column
            with cursor.copy(f"COPY {table} ({', '.join(_COLUMNS)}) FROM STDIN (FORMAT BINARY)") as copy:
                copy.set_types(_COPY_TYPES)
                write = copy.write_row
                n = base
                for row in zip(ids, data, sums, sources, strict=True):
                    n += 1
                    write((tenant_id, connector_id, *row, when, when, sync_log_id, n))
    except UniqueViolation:
        return False
    return True


def stored_checksums(connector_id: int, external_ids: list[str]) -> dict[str, tuple[str, str]]:
    """``{external_id: (checksum, source_checksum)}`` of the stored records among ``external_ids``
    (one query, whatever the number of ids)."""
    found: dict[str, tuple[str, str]] = {}
    if not external_ids:
        return found
    table = _quoted(_TABLE)
    if connection.vendor == "postgresql":
        with _postgresql_cursor() as cursor:
            # One index probe per unnested id (a LATERAL subquery with LIMIT 1 cannot be turned into
            # a hash join), not "= ANY(array)" nor a plain join: without fresh statistics on a table
            # just loaded the planner answers those with a scan of all the connector's rows, which
            # makes every page cost O(records synced so far).
            cursor.execute(
                f"SELECT u.id, r.checksum, r.source_checksum FROM unnest(%b::text[]) AS u(id) "  # noqa: S608
                f"CROSS JOIN LATERAL (SELECT s.checksum, s.source_checksum FROM {table} AS s "
                "WHERE s.connector_id = %b::bigint AND s.external_id = u.id LIMIT 1) AS r",
                [external_ids, connector_id],
            )
            found.update((external_id, (digest, source)) for external_id, digest, source in cursor)
        return found
    with connection.cursor() as cursor:
        # One statement whatever the page size: the ids go as one JSON array (one index probe each),
        # the answer comes back as one JSON array too. One row means one sqlite3_step, which runs
        # without the GIL: a lookup in its own thread (sync_engine/lookups.py) overlaps the run's
        # thread instead of taking the GIL back for every row.
        cursor.execute(
            "SELECT json_group_array(json_array(external_id, checksum, source_checksum)) "  # noqa: S608 - names from the model
            f"FROM {table} "
            "WHERE connector_id = %s AND external_id IN (SELECT value FROM json_each(%s))",
            [connector_id, orjson.dumps(external_ids).decode()],
        )
        ((rows,),) = cursor.fetchall()
        found.update((external_id, (digest, source)) for external_id, digest, source in orjson.loads(rows))
    return found


def upsert_page(
    *,
    tenant_id: int,
    connector_id: int,
    sync_log_id: int,
    rows: dict,
    now,
    first_load: bool = False,
    known: dict | None = None,
) -> UpsertCounts:
    """Upsert one page. ``rows`` maps external_id -> (canonical JSON text, checksum, source
    checksum or "").

    Reads the stored checksums in one query, writes new and changed rows in one statement and
    leaves unchanged rows alone (an unchanged row whose stored source checksum is out of date, after
    a change of rules or an upgrade, is rewritten with the same data and still counted unchanged).
    Call it inside the page's transaction. ``known``: stored checksums the caller read already for
    some of the ids (``None`` for an id not stored); only the other ids are read.

    ``first_load`` (the connector had no records when the sync started): the read is skipped and
    one ``INSERT … ON CONFLICT DO UPDATE … WHERE the checksum differs RETURNING`` both writes and
    counts (a record repeated on a later page is still updated or left alone).
    """
    counts = UpsertCounts()
    if not rows:
        return counts
    if first_load and (
        connection.vendor == "postgresql" or connection.features.can_return_rows_from_bulk_insert
    ):
        ids, data, sums, sources = [], [], [], []
        for external_id, (text, digest, source) in rows.items():
            ids.append(external_id)
            data.append(text)
            sums.append(digest)
            sources.append(source)
        counts.created, counts.updated = _write(
            tenant_id, connector_id, sync_log_id, now, ids, data, sums, sources, returning=True
        )
        counts.unchanged = len(rows) - counts.created - counts.updated
        return counts
    stored = dict(known or {})
    missing = [external_id for external_id in rows if external_id not in stored]
    if missing:
        stored.update(stored_checksums(connector_id, missing))
    write_ids, write_data, write_sums, write_sources = [], [], [], []
    for external_id, (text, digest, source) in rows.items():
        previous = stored.get(external_id)
        if previous is None:
            counts.created += 1
        elif previous[0] == digest:
            counts.unchanged += 1
            if not source or previous[1] == source:
                continue
        else:
            counts.updated += 1
        write_ids.append(external_id)
        write_data.append(text)
        write_sums.append(digest)
        write_sources.append(source)
    if write_ids:
        _write(tenant_id, connector_id, sync_log_id, now, write_ids, write_data, write_sums, write_sources)
    return counts


def _write(
    tenant_id, connector_id, sync_log_id, now, ids, data, sums, sources, *, returning=False
) -> tuple[int, int]:
    """Insert or update the rows; with ``returning``, only rows whose checksum differs are updated,
    and the result is (rows inserted, rows updated); without it, (0, 0)."""
    table = _quoted(_TABLE)
    columns = ", ".join(_COLUMNS)
    when = connection.ops.adapt_datetimefield_value(now)
    # The rows' change sequences: base + their position in the page (see services/changes.py).
    base = allocate_change_sequences(connector_id, len(ids))
    if (
        returning
        and connection.vendor == "postgresql"
        and _copy_first_load(tenant_id, connector_id, sync_log_id, when, base, ids, data, sums, sources)
    ):
        return len(ids), 0
    if connection.vendor == "postgresql":
        with _postgresql_cursor() as cursor:
            cursor.execute(
                f"INSERT INTO {table} AS r ({columns}) "  # noqa: S608 - names from the model
                "SELECT %s, %s, u.external_id, u.data::jsonb, u.checksum, u.source, %s, %s, %s, %s + u.n "
                "FROM unnest(%b::text[], %b::text[], %b::text[], %b::text[]) WITH ORDINALITY "
                f"AS u(external_id, data, checksum, source, n) {_ON_CONFLICT.format(r='r')} "
                # On a first load a conflict is a record repeated on a later page: written only when
                # its data differs, so that RETURNING counts updates exactly.
                + (
                    "WHERE r.checksum <> EXCLUDED.checksum RETURNING (r.xmax = 0)"
                    if returning
                    else "WHERE (r.checksum, r.source_checksum) <> "
                    "(EXCLUDED.checksum, EXCLUDED.source_checksum)"
                ),
                [tenant_id, connector_id, when, when, sync_log_id, base, ids, data, sums, sources],
            )
            if not returning:
                return 0, 0
            inserted = [row[0] for row in cursor.fetchall()]
            created = sum(1 for flag in inserted if flag)
            return created, len(inserted) - created
    # SQLite: the rows bound as parameters of multi-row ``INSERT … VALUES`` statements (see
    # _sqlite_chunks: a few prepared statements of fixed sizes, compiled once per connection).
    # With ``returning``: ids are AUTOINCREMENT, so the rows inserted are those whose id is above the
    # highest id before the statements, and their change count is inserted + updated rows. (Counted
    # by two queries, not by RETURNING: every returned row would be one more step of the statement,
    # each taking the GIL back from the sync thread.)
    constants = [tenant_id, connector_id, when, sync_log_id]
    written = 0
    with connection.cursor() as cursor:
        if returning:
            cursor.execute(f"SELECT coalesce(max(id), 0) FROM {table}")  # noqa: S608 - names from the model
            highest = cursor.fetchone()[0]
        start = 0
        for size in _sqlite_chunks(len(ids), _sqlite_largest_chunk()):
            end = start + size
            cursor.execute(
                _sqlite_insert(size, returning),
                [
                    *constants,
                    base + start,
                    *chain.from_iterable(
                        zip(ids[start:end], data[start:end], sums[start:end], sources[start:end], strict=True)
                    ),
                ],
            )
            written += cursor.rowcount
            start = end
        if not returning:
            return 0, 0
        cursor.execute(f"SELECT count(*) FROM {table} WHERE id > %s", [highest])  # noqa: S608 - names from the model
        created = cursor.fetchone()[0]
    return created, written - created


# The largest multi-row statement: 4 parameters a row plus 5 (SQLite 3.32+ allows 32,766).
_SQLITE_CHUNK = 1024


def _sqlite_largest_chunk() -> int:
    """The largest chunk the connection's SQLite binds: ``_SQLITE_CHUNK`` rows, or fewer where its
    limit of bound parameters is lower (999 before SQLite 3.32, which Django 5.2 still supports)."""
    connection.ensure_connection()
    limit = connection.connection.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER)
    chunk = _SQLITE_CHUNK
    while chunk > 1 and 4 * chunk + 5 > limit:
        chunk >>= 1
    return chunk


def _sqlite_chunks(count: int, largest: int = _SQLITE_CHUNK) -> list[int]:
    """How ``count`` rows are split into statements: chunks of ``largest`` (a power of two), then
    the rest in powers of two (1000 rows: 512 + 256 + 128 + 64 + 32 + 8).

    Compiling a 1,000-row statement costs SQLite about 20 ms, as much as writing 4,000 rows: a page
    of any size must reuse prepared statements (the connection caches them by text), so only these
    eleven sizes exist."""
    sizes = [largest] * (count // largest)
    rest = count % largest
    bit = largest >> 1
    while rest:
        if rest & bit:
            sizes.append(bit)
            rest -= bit
        bit >>= 1
    return sizes


@functools.lru_cache(maxsize=32)
def _sqlite_insert(size: int, returning: bool) -> str:
    """``INSERT … VALUES`` of ``size`` rows: numbered parameters ?1-?4 are the page's constants
    (tenant, connector, time, run), ?5 the change sequence before the first row, then four a row
    (external id, data, checksum, source checksum). Binding text parameters costs the sync's thread
    less than the JSON array the rows were sent as before, and SQLite no longer parses each row's
    JSON four times (8.9 → 5.1 µs a row, docs/benchmarks.md)."""
    table = _quoted(_TABLE)
    rows = ",".join(
        f"(?1,?2,?{6 + 4 * k},?{7 + 4 * k},?{8 + 4 * k},?{9 + 4 * k},?3,?3,?4,?5+{k + 1})"
        for k in range(size)
    )
    return (
        f"INSERT INTO {table} ({', '.join(_COLUMNS)}) VALUES {rows} "  # noqa: S608 - names from the model
        f"{_ON_CONFLICT.format(r=table)}"
        + (f" WHERE {table}.checksum <> EXCLUDED.checksum" if returning else "")
    )


def connector_has_records(connector_id: int) -> bool:
    return SyncedRecord.objects.filter(connector_id=connector_id).exists()


def live_record_count(connector_id: int) -> int:
    """How many of the connector's records are live (not marked deleted)."""
    return SyncedRecord.objects.filter(connector_id=connector_id, deleted_at__isnull=True).count()


@contextmanager
def deferred_page_flushes():
    """On PostgreSQL, page commits inside the block do not wait for the WAL flush.

    Safe for the sync's page transactions: each holds a page's records *and* its checkpoint, so a
    crash can lose only the last few pages as a whole, and the resumed sync fetches them again.
    The sync's final status is written after the block, with a normal (flushing) commit.
    """
    if connection.vendor != "postgresql":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("SET synchronous_commit TO OFF")
    try:
        yield
    finally:
        try:
            with connection.cursor() as cursor:
                cursor.execute("RESET synchronous_commit")
        except DatabaseError:
            # An aborted transaction rolls the SET back with it.
            pass
