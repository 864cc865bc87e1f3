"""The PostgreSQL destination: typed tables, additive evolution, upserts from a COPYed staging table.

A load reads the connector's changes after the destination's high-water mark in batches. Each batch
is one transaction in the destination that

1. locks the checkpoint row (``<schema>._migrateiq_state``, one per table) and re-reads it;
2. creates the table or adds / widens columns (DDL is transactional in PostgreSQL);
3. ``COPY``s the live records into a temporary staging table and ``INSERT … ON CONFLICT`` them into
   the table by ``_migrateiq_record_id`` (the connector's primary key);
4. deletes the tombstoned rows, or sets their ``_deleted_at`` (the destination's choice);
5. moves the checkpoint to the batch's last change sequence.

So the rows and the checkpoint commit together: a load killed at any point leaves the table and the
checkpoint of the last committed batch, and the next load continues from there (no row lost, none
applied twice).

Column types come from the connector's inferred schema: integers ``bigint`` (beyond 64 bits or
mixed with decimals ``numeric``), decimals ``double precision``, booleans, strings that were all
ISO timestamps ``timestamptz`` / dates ``date``, other strings ``text``, lists and objects of mixed
shape ``jsonb``. A column only ever widens (``bigint`` → ``numeric`` → ``text``, ``date`` →
``timestamptz`` → ``text``), with an event, so a load never fails on a type and never loses a
value. Each value is also checked against its column before the COPY; one that does not fit (a
record written outside a sync, unknown to the schema) widens the column the same way.

Connections go through the egress guard: the host is resolved and checked once
(``core.egress.resolve_checked``) and psycopg connects to the checked address (``hostaddr``), so a
DNS answer cannot change between the check and the connection. DSN options that read local files or
name other hosts (``service``, ``passfile``, ``sslkey``, ``hostaddr``, several hosts, sockets) are
refused.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass

import orjson
import psycopg
from django.conf import settings
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict

from core.egress import ResolveTimeout, resolve_checked
from core.formats import is_date, is_timestamp, loads_exact
from core.http_errors import EgressDenied
from core.redaction import redact
from destinations.services.base import ConnectionCheck, DestinationError, LoadReport
from destinations.services.naming import (
    CHANGE_SEQ,
    DELETED_AT,
    RECORD_ID,
    SYNCED_AT,
    assign_columns,
    field_key,
    identifier,
)

STATE_TABLE = "_migrateiq_state"
STAGE_TABLE = "_migrateiq_stage"
ALLOWED_DSN_KEYS = frozenset(
    {"host", "port", "dbname", "user", "password", "sslmode", "connect_timeout", "application_name"}
)
INT64 = 2**63

# information_schema's data_type → the names used here
_KNOWN_TYPES = {
    "bigint": "bigint",
    "numeric": "numeric",
    "double precision": "double precision",
    "boolean": "boolean",
    "timestamp with time zone": "timestamptz",
    "date": "date",
    "text": "text",
    "jsonb": "jsonb",
}
_NUMBERS = ("bigint", "numeric", "double precision")
_TIMES = ("date", "timestamptz")


def column_type(entry: dict) -> str:
    """The PostgreSQL type of a schema field (see the module docstring)."""
    types = set(entry["types"]) - {"null"}
    if not types:
        return "text"
    if types == {"integer"}:
        return "bigint"
    if types == {"number"}:
        return "double precision"
    if types <= {"integer", "big_integer", "number"}:
        return "numeric"
    if types == {"boolean"}:
        return "boolean"
    if types == {"string"}:
        formats = entry.get("formats") or ()
        if "date" in formats:
            return "date"
        if "timestamp" in formats:
            return "timestamptz"
        return "text"
    if types <= {"array", "object"}:
        return "jsonb"
    return "text"


def widened(current: str, wanted: str) -> str:
    """The narrowest type that holds the values of both types."""
    if current == wanted:
        return current
    if current in _NUMBERS and wanted in _NUMBERS:
        return "numeric"
    if current in _TIMES and wanted in _TIMES:
        return "timestamptz"
    return "text"


def value_type(value) -> str:
    """The type a lone value would get (a value the schema did not know)."""
    cls = type(value)
    if cls is bool:
        return "boolean"
    if cls is int:
        return "bigint" if -INT64 <= value < INT64 else "numeric"
    if cls is float:
        return "double precision"
    if cls is dict or cls is list:
        return "jsonb"
    return "text"


class _Misfit(Exception):
    pass


def _json_text(value) -> str:
    try:
        return orjson.dumps(value).decode()
    except TypeError:  # integers beyond 64 bits
        return json.dumps(value)


def _as_text(value) -> str:
    return value if type(value) is str else _json_text(value)


def _as_bigint(value) -> str:
    if type(value) is int and -INT64 <= value < INT64:
        return str(value)
    raise _Misfit


def _as_numeric(value) -> str:
    cls = type(value)
    if cls is int:
        return str(value)
    if cls is float:
        return repr(value)
    raise _Misfit


def _as_double(value) -> str:
    cls = type(value)
    if cls is float:
        return repr(value)
    if cls is int and -INT64 <= value < INT64:
        return str(value)
    raise _Misfit


def _as_boolean(value) -> str:
    if type(value) is bool:
        return "true" if value else "false"
    raise _Misfit


def _as_timestamp(value) -> str:
    if type(value) is str and (is_timestamp(value) or is_date(value)):
        return value
    raise _Misfit


def _as_date(value) -> str:
    if type(value) is str and is_date(value):
        return value
    raise _Misfit


#: The COPY text of a (non-null) JSON value for a column of each type; raises ``_Misfit`` when the
#: value does not fit (the column is then widened).
CONVERTERS = {
    "text": _as_text,
    "jsonb": _json_text,
    "bigint": _as_bigint,
    "numeric": _as_numeric,
    "double precision": _as_double,
    "boolean": _as_boolean,
    "timestamptz": _as_timestamp,
    "date": _as_date,
}


def to_text(value, pg_type: str) -> str | None:
    """The COPY text of a JSON value for a column of ``pg_type`` (None for null)."""
    if value is None:
        return None
    return CONVERTERS.get(pg_type, _as_text)(value)


def _value_at(data, parts):
    for part in parts:
        if type(data) is not dict:
            return None
        data = data.get(part)
        if data is None:
            return None
    return data


# -- connecting --------------------------------------------------------------------------------


def connection_params(destination) -> dict:
    """The libpq parameters of a destination; raises :class:`DestinationError` for unusable ones."""
    if destination.dsn:
        try:
            params = conninfo_to_dict(destination.dsn)
        except psycopg.ProgrammingError:
            raise DestinationError("The DSN cannot be parsed.") from None
        extra = set(params) - ALLOWED_DSN_KEYS
        if extra:
            raise DestinationError(f"The DSN may not set {', '.join(sorted(extra))}.")
    else:
        params = {
            "host": destination.host,
            "port": destination.port,
            "dbname": destination.database,
            "user": destination.username,
            "password": destination.password,
        }
    params.setdefault("sslmode", destination.sslmode)
    host = str(params.get("host") or "")
    if not host or host.startswith("/") or "," in host:
        raise DestinationError("The destination needs one network host name or address (no sockets).")
    try:
        params["port"] = int(params.get("port") or 5432)
    except ValueError:
        raise DestinationError("The port is not a number.") from None
    if not params.get("dbname"):
        raise DestinationError("The destination needs a database name.")
    return params


def connect(destination) -> psycopg.Connection:
    params = connection_params(destination)
    timeout = float(settings.MIGRATEIQ_DESTINATION_CONNECT_TIMEOUT)
    host, port = params["host"], params["port"]
    try:
        infos = resolve_checked(host, port, timeout=timeout)
    except EgressDenied:
        raise DestinationError(
            f"Connecting to {host}:{port} is not allowed (private, loopback or metadata addresses "
            "need MIGRATEIQ_EGRESS_ALLOWLIST)."
        ) from None
    except ResolveTimeout:
        raise DestinationError(f"The host name {host} did not resolve in time.") from None
    except (OSError, UnicodeError):
        raise DestinationError(f"The host name {host} could not be resolved.") from None
    address = str(infos[0][4][0]).split("%", 1)[0]
    params.update(
        hostaddr=address,
        connect_timeout=max(1, int(timeout)),
        application_name="migrateiq",
        options="-c TimeZone=UTC",
    )
    try:
        # autocommit: each ``conn.transaction()`` block is then a real transaction (a batch and its
        # checkpoint), not a savepoint inside one long implicit transaction
        return psycopg.connect(**params, autocommit=True)
    except psycopg.Error as exc:
        raise DestinationError(f"Could not connect: {_message(exc, params)}") from None


def _message(exc: BaseException, params: dict | None = None) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    password = (params or {}).get("password")
    if password:
        text = text.replace(str(password), "***")
    return redact(text)


# -- the driver --------------------------------------------------------------------------------


@dataclass
class _Table:
    schema: str
    name: str
    columns: dict  # column name -> type (as named in _KNOWN_TYPES' values, or the raw data_type)

    @property
    def ident(self):
        return sql.Identifier(self.schema, self.name)


class PostgresDestination:
    """The ``postgresql`` destination type (see the module docstring)."""

    type = "postgresql"

    def check_connection(self, destination) -> ConnectionCheck:
        started = time.perf_counter()
        try:
            with connect(destination) as conn:
                version = conn.execute("SHOW server_version").fetchone()[0]
        except DestinationError as exc:
            return ConnectionCheck(False, str(exc), _elapsed_ms(started))
        except psycopg.Error as exc:
            return ConnectionCheck(False, _message(exc), _elapsed_ms(started))
        return ConnectionCheck(True, f"Connected (PostgreSQL {version})", _elapsed_ms(started))

    def load(self, destination, attachment, source, report: LoadReport, *, batch_size: int) -> None:
        """Load the connector's changes after the destination's checkpoint, batch by batch."""
        schema_name = destination.target_schema
        table_name = identifier(attachment.table_name, ())
        try:
            with connect(destination) as conn:
                self._prepare(conn, schema_name, table_name)
                high_water = self._checkpoint(conn, schema_name, table_name)
                report.started(high_water)
                while True:
                    changes = source.changes_after(attachment.connector_id, high_water, batch_size)
                    if not changes:
                        break
                    fields = source.column_fields(attachment.connector_id)
                    high_water = self._batch(
                        conn, destination, attachment, schema_name, table_name, changes, fields, report
                    )
        except psycopg.Error as exc:
            raise DestinationError(f"The destination refused the load: {_message(exc)}") from None

    # -- steps --------------------------------------------------------------------------------

    def _prepare(self, conn, schema_name: str, table_name: str) -> None:
        with conn.transaction():
            conn.execute(sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(sql.Identifier(schema_name)))
            conn.execute(
                sql.SQL(
                    "CREATE TABLE IF NOT EXISTS {} (table_name text PRIMARY KEY, high_water bigint NOT NULL, "
                    "loaded_at timestamptz NOT NULL DEFAULT now())"
                ).format(sql.Identifier(schema_name, STATE_TABLE))
            )
            conn.execute(
                sql.SQL(
                    "INSERT INTO {} (table_name, high_water) VALUES (%s, 0) ON CONFLICT DO NOTHING"
                ).format(sql.Identifier(schema_name, STATE_TABLE)),
                [table_name],
            )

    def _checkpoint(self, conn, schema_name: str, table_name: str, *, lock: bool = False) -> int:
        query = sql.SQL(
            "SELECT high_water FROM {} WHERE table_name = %s FOR UPDATE"
            if lock
            else "SELECT high_water FROM {} WHERE table_name = %s"
        )
        row = conn.execute(query.format(sql.Identifier(schema_name, STATE_TABLE)), [table_name]).fetchone()
        return row[0]

    def _batch(self, conn, destination, attachment, schema_name, table_name, changes, fields, report) -> int:
        expected = changes[0].seq
        with conn.transaction():
            high_water = self._checkpoint(conn, schema_name, table_name, lock=True)
            if high_water >= expected:
                # Another load moved the checkpoint meanwhile: re-read from it (nothing applied twice).
                return high_water
            alive, gone = [], []
            for change in changes:
                if change.deleted_at is None:
                    alive.append((change, loads_exact(change.data_json)))
                else:
                    gone.append(change)
            if assign_columns([entry["path"] for entry in fields], attachment.columns):
                report.columns_named(attachment.columns)
            plan = [
                (attachment.columns[field_key(entry["path"])], tuple(entry["path"]), column_type(entry))
                for entry in fields
            ]
            table = self._ensure_table(conn, schema_name, table_name, plan, report)
            rows = self._rows(conn, table, alive, plan, report)
            upserted = self._upsert(conn, table, [column for column, _, _ in plan], rows) if rows else 0
            deleted = self._delete(conn, table, gone, destination.deleted_rows) if gone else 0
            last = changes[-1].seq
            conn.execute(
                sql.SQL("UPDATE {} SET high_water = %s, loaded_at = now() WHERE table_name = %s").format(
                    sql.Identifier(schema_name, STATE_TABLE)
                ),
                [last, table_name],
            )
        report.batch_committed(last, upserted, deleted)
        return last

    def _existing_columns(self, conn, schema_name, table_name) -> dict:
        rows = conn.execute(
            "SELECT column_name, data_type FROM information_schema.columns "
            "WHERE table_schema = %s AND table_name = %s",
            [schema_name, table_name],
        ).fetchall()
        return {name: _KNOWN_TYPES.get(data_type, data_type) for name, data_type in rows}

    def _ensure_table(self, conn, schema_name, table_name, plan, report) -> _Table:
        table = _Table(schema_name, table_name, self._existing_columns(conn, schema_name, table_name))
        if not table.columns:
            conn.execute(
                sql.SQL(
                    "CREATE TABLE {} ({} text PRIMARY KEY, {} bigint NOT NULL, {} timestamptz, "
                    "{} timestamptz)"
                ).format(
                    table.ident,
                    sql.Identifier(RECORD_ID),
                    sql.Identifier(CHANGE_SEQ),
                    sql.Identifier(SYNCED_AT),
                    sql.Identifier(DELETED_AT),
                )
            )
            table.columns = {
                RECORD_ID: "text",
                CHANGE_SEQ: "bigint",
                SYNCED_AT: "timestamptz",
                DELETED_AT: "timestamptz",
            }
            report.event(f"Created table {schema_name}.{table_name}.")
        for column, _parts, wanted in plan:
            self._fit_column(conn, table, column, wanted, report)
        return table

    def _fit_column(self, conn, table: _Table, column: str, wanted: str, report) -> None:
        current = table.columns.get(column)
        if current is None:
            conn.execute(
                sql.SQL("ALTER TABLE {} ADD COLUMN {} " + wanted).format(table.ident, sql.Identifier(column))
            )
            table.columns[column] = wanted
            report.column_added(column, wanted)
            return
        target = widened(current, wanted)
        if target == current:
            return
        conn.execute(
            sql.SQL("ALTER TABLE {} ALTER COLUMN {} TYPE " + target + " USING {}::" + target).format(
                table.ident, sql.Identifier(column), sql.Identifier(column)
            )
        )
        table.columns[column] = target
        report.column_widened(column, current, target)

    def _rows(self, conn, table: _Table, alive, plan, report) -> list:
        """The COPY rows of the live records; values that do not fit their column widen it first."""
        while True:
            specs = [
                (
                    column,
                    parts[0] if len(parts) == 1 else None,
                    parts,
                    CONVERTERS.get(table.columns[column], _as_text),
                )
                for column, parts, _ in plan
            ]
            misfits: dict[str, str] = {}
            rows = []
            for change, data in alive:
                row = [change.external_id, change.seq, change.last_synced_at]
                append = row.append
                for column, key, parts, convert in specs:
                    value = data.get(key) if key is not None else _value_at(data, parts)
                    if value is None:
                        append(None)
                        continue
                    try:
                        append(convert(value))
                    except _Misfit:
                        pg_type = table.columns[column]
                        misfits[column] = widened(misfits.get(column, pg_type), value_type(value))
                        append(None)
                rows.append(row)
            if not misfits:
                return rows
            for column, wanted in misfits.items():
                self._fit_column(conn, table, column, widened(table.columns[column], wanted), report)

    def _upsert(self, conn, table: _Table, plan_columns: list[str], rows) -> int:
        """COPY the rows into a staging table, then upsert every column of the table from it: a
        column the batch does not fill (``_deleted_at``, a field the records no longer have) is
        reset to NULL, so a row is always the record's latest state."""
        filled = [RECORD_ID, CHANGE_SEQ, SYNCED_AT, *plan_columns]
        conn.execute(
            sql.SQL("CREATE TEMPORARY TABLE {} (LIKE {}) ON COMMIT DROP").format(
                sql.Identifier(STAGE_TABLE), table.ident
            )
        )
        copy_columns = sql.SQL(", ").join(sql.Identifier(name) for name in filled)
        with conn.cursor().copy(
            sql.SQL("COPY {} ({}) FROM STDIN").format(sql.Identifier(STAGE_TABLE), copy_columns)
        ) as copy:
            for row in rows:
                copy.write_row(row)
        every = [RECORD_ID, *(name for name in table.columns if name != RECORD_ID)]
        names = sql.SQL(", ").join(sql.Identifier(name) for name in every)
        updates = sql.SQL(", ").join(
            sql.SQL("{} = EXCLUDED.{}").format(sql.Identifier(name), sql.Identifier(name))
            for name in every[1:]
        )
        cursor = conn.execute(
            sql.SQL("INSERT INTO {} ({}) SELECT {} FROM {} ON CONFLICT ({}) DO UPDATE SET {}").format(
                table.ident, names, names, sql.Identifier(STAGE_TABLE), sql.Identifier(RECORD_ID), updates
            )
        )
        count = cursor.rowcount
        conn.execute(sql.SQL("DROP TABLE {}").format(sql.Identifier(STAGE_TABLE)))
        return count

    def _delete(self, conn, table: _Table, gone, mode: str) -> int:
        ids = [change.external_id for change in gone]
        if mode == "soft":
            cursor = conn.execute(
                sql.SQL(
                    "UPDATE {} AS t SET {} = u.deleted_at, {} = u.seq FROM unnest(%s::text[], "
                    "%s::timestamptz[], %s::bigint[]) AS u(id, deleted_at, seq) WHERE t.{} = u.id"
                ).format(
                    table.ident,
                    sql.Identifier(DELETED_AT),
                    sql.Identifier(CHANGE_SEQ),
                    sql.Identifier(RECORD_ID),
                ),
                [ids, [change.deleted_at for change in gone], [change.seq for change in gone]],
            )
        else:
            cursor = conn.execute(
                sql.SQL("DELETE FROM {} WHERE {} = ANY(%s::text[])").format(
                    table.ident, sql.Identifier(RECORD_ID)
                ),
                [ids],
            )
        return cursor.rowcount


def _elapsed_ms(started: float) -> float:
    return round((time.perf_counter() - started) * 1000, 1)
