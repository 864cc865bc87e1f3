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
ISO timestamps ``timestamptz`` / dates ``date`` (a timestamp ``timestamptz`` would round, finer than
microseconds, or refuse, an offset beyond ±15:59, makes the column ``text``), other strings ``text``,
lists and objects of mixed shape ``jsonb``. A column only ever widens (``bigint`` → ``numeric`` →
``text``, ``date`` → ``timestamptz`` → ``text``), with an event, so a load never fails on a type
and never loses a value: the rows loaded before hold what a first load would write, and a widening
whose cast would change that (``1.0`` cast to text is ``1``) loads every record again
(:data:`_CASTS_KEEPING_VALUES`). Each value is also checked against its column before the COPY; one that
does not fit (a record written outside a sync, unknown to the schema) widens the column the same
way.

Connections go through the egress guard: the host is resolved and checked once
(``core.egress.resolve_checked``) and psycopg connects to the checked address (``hostaddr``), so a
DNS answer cannot change between the check and the connection. DSN options that read local files or
name other hosts (``service``, ``passfile``, ``sslkey``, ``hostaddr``, several hosts, sockets) are
refused, and the password file libpq would read by default (``~/.pgpass``) is never read. A
server may not ask for the password in cleartext (``require_auth``); the password is bound to the
server it is sent to (``services.credentials``). A server that signs in and then answers nothing
(or stops reading a COPY) holds no worker: every wait for it ends after
``MIGRATEIQ_DESTINATION_ANSWER_TIMEOUT`` (:class:`_AnswerBoundConnection`).
"""

from __future__ import annotations

import gc
import ipaddress
import json
import os
import re
import socket
import ssl
import time
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime

import orjson
import psycopg
from django.conf import settings
from django.db import connection as django_connection
from django.db import connections as django_connections
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict

from core.egress import ResolveTimeout, resolve_checked
from core.formats import is_date, loads_exact, plain_large_floats
from core.http_errors import EgressDenied
from core.redaction import mask_secret, redact
from destinations.services.base import ConnectionCheck, DestinationError, LoadReport
from destinations.services.naming import (
    AS_IS,
    CHANGE_SEQ,
    DELETED_AT,
    FIELD_SEPARATOR,
    RECORD_ID,
    SNAKE_CASE,
    SYNCED_AT,
    assign_columns,
    column_name,
    field_key,
    identifier,
)

#: The authentication a destination's server may ask for: anything but the cleartext password and
#: the host's own Kerberos / SSPI identity (a tenant's server has no claim to the operator's tickets).
REQUIRE_AUTH = "!password,!gss,!sspi"
#: ``require_auth`` and ``sslcertmode`` came with libpq 16 (psycopg[binary] ships its own, newer).
MIN_LIBPQ_VERSION = 160000

STATE_TABLE = "_migrateiq_state"
STAGE_TABLE = "_migrateiq_stage"
KEEP_TABLE = "_migrateiq_keep"
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
#: Widenings whose ``ALTER COLUMN … TYPE … USING`` cast leaves every loaded value as the load writes
#: it in the new type (the connection's TimeZone, DateStyle and extra_float_digits make sure). Any
#: other one changes values already loaded: ``double precision`` cast to text is ``1`` for ``1.0``
#: (the load writes ``1.0``) and ``1e-07`` for ``1e-7``, a ``timestamptz`` loses the offset sent
#: (``2024-03-09 21:00:00+00`` for ``2024-03-10T02:30:00+05:30``), ``jsonb`` gets spaces and its own
#: key order, ``numeric`` written ``1e-7`` becomes ``0.0000001``: the rows loaded before are then
#: written again from their records (the load starts over).
_CASTS_KEEPING_VALUES = frozenset(
    {
        ("bigint", "numeric"),
        ("bigint", "text"),
        ("boolean", "text"),
        ("date", "timestamptz"),
        ("date", "text"),
        ("double precision", "numeric"),  # through text: exact (see _CAST_THROUGH_TEXT)
    }
)
#: ``double precision`` cast straight to ``numeric`` keeps 15 significant digits
#: (0.30000000000000004 becomes 0.3); its text, the shortest that reads back as the same float, is
#: exact.
_CAST_THROUGH_TEXT = frozenset({("double precision", "numeric")})


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


def _json_text(value, *, sort_keys: bool = False) -> str:
    try:
        return orjson.dumps(value, option=orjson.OPT_SORT_KEYS if sort_keys else None).decode()
    except TypeError:  # integers beyond 64 bits
        return json.dumps(value, sort_keys=sort_keys, separators=(",", ":"))


def _text_of(value) -> str:
    """A non-string value in a text column: its JSON text, an object's keys sorted as in the CSV
    export (the stored record's key order is the database's: sorted on SQLite, jsonb's on
    PostgreSQL)."""
    return _json_text(value, sort_keys=type(value) is dict or type(value) is list)


def _jsonb_text(value) -> str:
    # floats jsonb would give back as integers (1e+16) in plain digits: they stay floats
    text = _json_text(value)
    return plain_large_floats(text.encode()).decode() if "e+" in text else text


def _as_text(value) -> str:
    return value if type(value) is str else _text_of(value)


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
    # timestamps and dates that timestamptz holds as they are (see _TIMESTAMP_LINES)
    if type(value) is str and _all_iso([value], _TIMESTAMP_LINES, datetime.fromisoformat):
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
    "jsonb": _jsonb_text,
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


# -- a batch's columns as COPY text ------------------------------------------------------------
#
# A batch is converted column by column: each column's values are checked against its type in a
# few C-level passes (the set of their Python types, min / max of integers, one regular expression
# over the timestamps joined by newlines) and turned into COPY text with one list comprehension;
# the rows are then joined and sent as one COPY write. A per-value loop of Python calls cost about
# as much as the rest of the load together.

NULL = "\\N"  # COPY text format's NULL
_COPY_SPECIALS = ("\\", "\t", "\n", "\r")
_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})
# What ``timestamptz`` holds exactly: at most microseconds (digits beyond the sixth, unless zeros,
# would be rounded: ``.123456789`` stored as ``.123457``, ``23:59:59.9999995`` on 31 December as the
# next year) and offsets up to ±15:59 (PostgreSQL refuses larger ones, which the inferred schema's
# timestamps allow). Other timestamps do not fit, so their column is text and keeps them as sent.
_TIMESTAMP_LINES = re.compile(
    r"(?:\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,6}0{0,3})?)?"
    r"(?:Z|[+-](?:0\d|1[0-5])(?::?\d{2})?)?)?\n)+"
)
_DATE_LINES = re.compile(r"(?:\d{4}-\d{2}-\d{2}\n)+")


def copy_texts(texts: list) -> list[str]:
    """COPY text of a column of strings (None for null): escaped only when one of them needs it,
    which one scan of the joined column tells."""
    joined = "".join(filter(None, texts))
    if any(special in joined for special in _COPY_SPECIALS):
        return [NULL if text is None else text.translate(_COPY_ESCAPES) for text in texts]
    return [NULL if text is None else text for text in texts]


def _wanted(pg_type: str, values) -> str:
    """The type a column of ``pg_type`` must widen to so that every one of ``values`` fits."""
    convert = CONVERTERS.get(pg_type, _as_text)
    wanted = pg_type
    for value in values:
        if value is None:
            continue
        try:
            convert(value)
        except _Misfit:
            wanted = widened(wanted, value_type(value))
    return wanted


def _in_int64(present: list) -> bool:
    ints = [value for value in present if type(value) is int]
    return not ints or (min(ints) >= -INT64 and max(ints) < INT64)


def _text_column(values: list) -> list[str]:
    return copy_texts([v if type(v) is str else None if v is None else _text_of(v) for v in values])


def _jsonb_column(values: list) -> list[str]:
    return copy_texts([None if v is None else _jsonb_text(v) for v in values])


def _bigint_column(values: list) -> list[str]:
    present = [v for v in values if v is not None]
    if not set(map(type, present)) <= {int} or not _in_int64(present):
        raise _Misfit
    return [NULL if v is None else str(v) for v in values]


def _double_column(values: list) -> list[str]:
    present = [v for v in values if v is not None]
    if not set(map(type, present)) <= {float, int} or not _in_int64(present):
        raise _Misfit
    return [NULL if v is None else repr(v) for v in values]


def _numeric_column(values: list) -> list[str]:
    if not set(map(type, values)) <= {float, int, type(None)}:
        raise _Misfit
    return [NULL if v is None else repr(v) for v in values]


def _boolean_column(values: list) -> list[str]:
    if not set(map(type, values)) <= {bool, type(None)}:
        raise _Misfit
    return [NULL if v is None else "true" if v else "false" for v in values]


def _all_iso(present: list, lines: re.Pattern, parse) -> bool:
    if not present:
        return True
    if not set(map(type, present)) <= {str}:
        return False
    joined = "\n".join(present) + "\n"
    # a value holding a newline makes the count differ: it is no timestamp
    if joined.count("\n") != len(present) or not lines.fullmatch(joined):
        return False
    try:
        for _ in map(parse, present):  # the shape is checked: only the calendar is left
            pass
    except ValueError:
        return False
    return True


def _timestamp_column(values: list) -> list[str]:
    # timestamps and dates that timestamptz holds as they are; a date parses as its midnight
    if not _all_iso([v for v in values if v is not None], _TIMESTAMP_LINES, datetime.fromisoformat):
        raise _Misfit
    return [NULL if v is None else v for v in values]


def _date_column(values: list) -> list[str]:
    if not _all_iso([v for v in values if v is not None], _DATE_LINES, date.fromisoformat):
        raise _Misfit
    return [NULL if v is None else v for v in values]


#: A column's values → their COPY texts; raises ``_Misfit`` when one does not fit the type.
COLUMN_CONVERTERS = {
    "text": _text_column,
    "jsonb": _jsonb_column,
    "bigint": _bigint_column,
    "numeric": _numeric_column,
    "double precision": _double_column,
    "boolean": _boolean_column,
    "timestamptz": _timestamp_column,
    "date": _date_column,
}


def field_values(records: list[dict], paths) -> dict[tuple, list]:
    """``{path: [the value at path of each record (None: absent)]}``; each level of a nested path is
    read once for the batch, whatever the number of its fields."""
    columns: dict[tuple, list] = {}

    def values_at(path: tuple) -> list:
        found = columns.get(path)
        if found is None:
            if len(path) == 1:
                key = path[0]
                found = [record.get(key) for record in records]
            else:
                key = path[-1]
                found = [parent.get(key) if type(parent) is dict else None for parent in values_at(path[:-1])]
            columns[path] = found
        return found

    return {tuple(path): values_at(tuple(path)) for path in paths}


# -- connecting --------------------------------------------------------------------------------


HOST_RULE = (
    "The destination needs one network host: a host name (letters, digits, '-', '_' and '.'; a "
    "name in another script in its xn-- form) or an IP address (IPv6 without brackets), never a "
    "socket, a path, a list of hosts, '@' or spaces."
)
#: One label of a host name: letters, digits, '_' (container and service names use it) and '-'
#: (not at either end), at most 63 characters.
_HOST_LABEL = re.compile(r"[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?")


def host_problem(host: str) -> bool:
    """Whether ``host`` is anything but one network host name or IP address. libpq reads much else
    in a host: a directory (``/tmp``) or a name beginning with ``@`` as a local unix socket, a comma
    as a list of hosts; and a name resolvers read as a number (``127.1``, ``2130706433``) is an
    address spelt otherwise. So a host is an IP address as written or a name of DNS labels whose
    last one is not a number."""
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        pass
    else:
        return getattr(address, "scope_id", None) is not None  # fe80::1%eth0 names a local interface
    name = host.removesuffix(".")
    labels = name.split(".")
    if not name or len(name) > 253 or not all(_HOST_LABEL.fullmatch(label) for label in labels):
        return True
    try:
        socket.inet_aton(name)  # 0x7f.1, 0177.0.0.1: an address the resolver reads in its own way
    except OSError:
        return labels[-1].isdigit()  # 1.2.3.4.5: no top-level domain is a number
    return True


def connection_params(destination) -> dict:
    """The libpq parameters of a destination; raises :class:`DestinationError` for unusable ones."""
    params, problems = _params_and_problems(destination)
    if problems:
        raise DestinationError(" ".join(next(iter(problems.values()))))
    return params


def connection_settings(destination) -> dict:
    """The libpq parameters the destination's settings make, usable or not (see
    :func:`connection_params`)."""
    return _params_and_problems(destination)[0]


def connection_problems(destination) -> dict[str, list[str]]:
    """Every reason the destination's connection settings are unusable, by the field that holds
    the setting (``dsn`` for all of them when a DSN is set); ``{}`` when they are usable."""
    return _params_and_problems(destination)[1]


def _params_and_problems(destination) -> tuple[dict, dict[str, list[str]]]:
    problems: dict[str, list[str]] = {}

    def problem(field: str, message: str) -> None:
        problems.setdefault("dsn" if destination.dsn else field, []).append(message)

    if destination.dsn:
        try:
            params = conninfo_to_dict(destination.dsn)
        except psycopg.ProgrammingError:
            return {}, {"dsn": ["The DSN cannot be parsed."]}
        extra = set(params) - ALLOWED_DSN_KEYS
        if extra:
            problem("dsn", f"The DSN may not set {', '.join(sorted(extra))}.")
    else:
        params = {
            "host": destination.host,
            "port": destination.port,
            "dbname": destination.database,
            "user": destination.username,
            "password": destination.password,
        }
    params.setdefault("sslmode", destination.sslmode)
    if host_problem(str(params.get("host") or "")):
        problem("host", HOST_RULE)
    try:
        params["port"] = int(params.get("port") or 5432)
    except ValueError:
        problem("port", "The port is not a number.")
    if not params.get("dbname"):
        problem("database", "The destination needs a database name.")
    return params, problems


def checked_addresses(params: dict, *, unresolved_ok: bool = False) -> list:
    """The ``getaddrinfo`` entries of the destination's host when the egress guard allows every one;
    :class:`DestinationError` otherwise. ``unresolved_ok``: a name that does not resolve (yet) gives
    ``[]`` instead (a destination saved before its database's DNS name exists)."""
    timeout = float(settings.MIGRATEIQ_DESTINATION_CONNECT_TIMEOUT)
    host, port = params["host"], params["port"]
    try:
        return resolve_checked(host, port, timeout=timeout)
    except EgressDenied as exc:
        reason = exc.reason or "the address is not allowed"
        raise DestinationError(f"Connecting to {host}:{port} is not allowed: {reason}.") from None
    except ResolveTimeout:
        if unresolved_ok:
            return []
        raise DestinationError(f"The host name {host} did not resolve in time.") from None
    except (OSError, UnicodeError):
        if unresolved_ok:
            return []
        raise DestinationError(f"The host name {host} could not be resolved.") from None


class _AnswerBoundConnection(psycopg.Connection):
    """A connection whose every wait for the server (a statement's answer, a ``COPY``'s write, a
    transaction's end) lasts at most ``MIGRATEIQ_DESTINATION_ANSWER_TIMEOUT``: libpq has no such
    bound, so a tenant's server that let the load in and then answered nothing held the worker
    process for as long as it kept the connection open. Past it the connection is closed (its
    state is unknown) and :class:`DestinationError` says so."""

    def wait(self, gen, interval=None, timeout=None):
        limit = float(settings.MIGRATEIQ_DESTINATION_ANSWER_TIMEOUT)
        options = {} if interval is None else {"interval": interval}
        try:
            return super().wait(gen, timeout=min(timeout or limit, limit), **options)
        except psycopg.errors._WaitTimeout:  # psycopg's own, internal: "callers should convert it"
            self.pgconn.finish()  # no rollback to wait for: the server answers nothing
            raise DestinationError(
                f"The destination did not answer within {limit:g} s (MIGRATEIQ_DESTINATION_ANSWER_TIMEOUT); "
                "the next load goes on from the last committed batch."
            ) from None


def connect(destination) -> psycopg.Connection:
    """A connection to the destination (autocommit), the one way MigrateIQ connects to one: the
    connection test, loads and their schema reads all come here. Raises :class:`DestinationError`."""
    if psycopg.pq.version() < MIN_LIBPQ_VERSION:
        # without require_auth (and sslcertmode) a server could ask for the password in cleartext
        raise DestinationError(
            f"Destinations need libpq 16 or newer; this MigrateIQ server has libpq "
            f"{psycopg.pq.version() // 10000}: install psycopg[binary] (it ships its own)."
        )
    params = connection_params(destination)
    timeout = float(settings.MIGRATEIQ_DESTINATION_CONNECT_TIMEOUT)
    infos = checked_addresses(params)
    address = str(infos[0][4][0]).split("%", 1)[0]
    # libpq fills a missing password from the MigrateIQ host's PGPASSWORD, ~/.pgpass or PGPASSFILE:
    # never sign in to a tenant's server with the operator's own passwords
    params.setdefault("password", "")
    params.update(
        hostaddr=address,
        passfile=os.devnull,
        # a server may not ask for the password in cleartext (a server the tenant does not run, or
        # one in between, would read it); SCRAM, MD5 and no authentication at all are accepted
        require_auth=REQUIRE_AUTH,
        # ... nor present the host's client certificate (~/.postgresql/postgresql.crt, PGSSLCERT) to a
        # tenant's server that asks for one: one that trusts it would take it as the operator
        sslcertmode="disable",
        # ... nor encrypt with, or present, the host's Kerberos credentials
        gssencmode="disable",
        **_root_certificates(params.get("sslmode")),
        connect_timeout=max(1, int(timeout)),
        application_name="migrateiq",
        # A batch commits its rows and its checkpoint together; without waiting for the WAL flush a
        # crash of the destination can lose the latest commits, rows and checkpoint alike, and the
        # next load repeats them: consistent, and not one fsync wait per batch.
        # UTC, ISO dates and floats in their shortest exact digits: the text PostgreSQL casts a
        # loaded value to when a column widens (see _CASTS_KEEPING_VALUES) is the one the load writes.
        options="-c TimeZone=UTC -c DateStyle=ISO -c extra_float_digits=1 -c synchronous_commit=off",
    )
    try:
        # autocommit: each ``conn.transaction()`` block is then a real transaction (a batch and its
        # checkpoint), not a savepoint inside one long implicit transaction
        return _AnswerBoundConnection.connect(**params, autocommit=True)
    except psycopg.Error as exc:
        if f'"{REQUIRE_AUTH}"' in str(exc):  # the only way it fails: the server asked for cleartext
            raise DestinationError(
                "Could not connect: the server asked for the password in cleartext, which MigrateIQ "
                "never sends; have it use scram-sha-256 (or md5) password authentication."
            ) from None
        said = _message(exc, params)
        # psycopg's first line starts "connection failed: connection to server at ... failed: ...":
        # the prefix only repeats "Could not connect".
        said = said.removeprefix("connection failed: ")
        raise DestinationError(f"Could not connect: {said}") from None


def _root_certificates(sslmode) -> dict:
    """Where a verifying ``sslmode`` finds its certificate authorities: the operator's setting
    (``system`` or a PEM bundle), never libpq's default, the host's ``~/.postgresql/root.crt``.
    libpq takes ``system`` only with ``verify-full`` (a public CA vouches for names, not for one
    server); ``verify-ca`` gets the system store's bundle file instead."""
    if sslmode not in ("verify-ca", "verify-full"):
        return {}
    root = str(settings.MIGRATEIQ_DESTINATION_SSL_ROOT_CERT or "system")
    if root == "system" and sslmode == "verify-ca":
        paths = ssl.get_default_verify_paths()
        root = paths.cafile or paths.openssl_cafile
    return {"sslrootcert": root}


def _message(exc: BaseException, params: dict | None = None) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    password = (params or {}).get("password")
    if password:
        text = mask_secret(text, str(password), "***")
    return redact(text)


# -- the driver --------------------------------------------------------------------------------


@dataclass
class _Batch:
    """Changes read from the source: ``first`` / ``last`` their first and last sequence, the live
    ones with their parsed records, the tombstones."""

    changes: list
    first: int = 0
    last: int = 0
    alive: list = field(default_factory=list)
    records: list = field(default_factory=list)
    gone: list = field(default_factory=list)


def read_batch(source, connector_id: int, after: int, limit: int) -> _Batch:
    """The changes after ``after``, each record once (its latest state: a record that changed again
    while the source was read in pages can come twice), the live ones parsed."""
    changes = source.changes_after(connector_id, after, limit)
    if not changes:
        return _Batch(changes)
    latest = {change.external_id: index for index, change in enumerate(changes)}
    kept = changes
    if len(latest) < len(changes):
        kept = [change for index, change in enumerate(changes) if latest[change.external_id] == index]
    alive = [change for change in kept if change.deleted_at is None]
    with _gc_paused():
        records = [loads_exact(change.data_json) for change in alive]
    gone = [change for change in kept if change.deleted_at is not None]
    return _Batch(changes, changes[0].seq, changes[-1].seq, alive, records, gone)


class _ReadAhead:
    """Reads (and parses) the next batch on a thread while the current one is written, so the
    source's query and the JSON parsing overlap the destination's ``COPY`` and upsert.

    The change source reads through Django's database connections. Inside a transaction (a caller's
    ``atomic`` block, a test) another thread's connection would not see its uncommitted rows, so
    there everything stays on the calling thread.
    """

    def __init__(self, source, connector_id: int, batch_size: int):
        self.source, self.connector_id, self.batch_size = source, connector_id, batch_size
        self._executor: ThreadPoolExecutor | None = None
        self._pending: tuple[int, Future] | None = None

    def __enter__(self):
        if not django_connection.in_atomic_block:
            self._executor = ThreadPoolExecutor(1, thread_name_prefix="load-read-ahead")
        return self

    def __exit__(self, *exc_info):
        if self._executor is not None:
            self._discard()
            self._executor.submit(django_connections.close_all).result()  # the thread's own
            self._executor.shutdown()

    def start(self, after: int) -> None:
        """Begin reading the batch after ``after`` (when running on a thread)."""
        if self._executor is not None:
            self._discard()
            self._pending = (after, self._executor.submit(self._read, after))

    def take(self, after: int) -> _Batch:
        """The batch after ``after``: the one read ahead if it starts there, else read now."""
        if self._pending is not None and self._pending[0] == after:
            future = self._pending[1]
            self._pending = None
            return future.result()
        self._discard()
        return self._read(after)

    def _read(self, after: int) -> _Batch:
        return read_batch(self.source, self.connector_id, after, self.batch_size)

    def _discard(self) -> None:
        if self._pending is not None:
            future, self._pending = self._pending[1], None
            if not future.cancel():
                future.exception()  # waited for; its outcome is dropped


@dataclass
class _Inserts:
    """Whether a batch's rows can be COPYed straight into the table (``only``): while the table held
    no rows when the load started, a batch's records are new to it, unless a record changed again
    during the load and comes a second time. That one makes the COPY fail on the primary key; the
    batch is rolled back to a savepoint and upserted, and so is the rest of the load. (A COPY into
    the table costs about half of a COPY into a staging table and an ``INSERT … ON CONFLICT``.)"""

    only: bool


@dataclass
class _Table:
    schema: str
    name: str
    columns: dict  # column name -> type (as named in _KNOWN_TYPES' values, or the raw data_type)
    # columns widened in this batch by a cast that changes the values loaded before (see
    # _CASTS_KEEPING_VALUES): those rows must be written again from their records
    recast: list = field(default_factory=list)

    @property
    def ident(self):
        return sql.Identifier(self.schema, self.name)


#: What a ``CREATE … IF NOT EXISTS`` raises when another transaction created the object meanwhile
#: (see ``PostgresDestination._prepare``); each retry can lose to at most one more object.
_CREATED_MEANWHILE = (
    psycopg.errors.UniqueViolation,
    psycopg.errors.DuplicateSchema,
    psycopg.errors.DuplicateTable,
    psycopg.errors.DuplicateObject,
)
_PREPARE_ATTEMPTS = 4


class PostgresDestination:
    """The ``postgresql`` destination type (see the module docstring)."""

    type = "postgresql"

    def check_connection(self, destination) -> ConnectionCheck:
        started = time.perf_counter()
        try:
            with connect(destination) as conn:
                # Every server reports its version at sign-in: no query, whose answer a server could
                # hold back past the connect timeout (and the user's interactive slot with it).
                version = conn.info.parameter_status("server_version") or "version not reported"
        except DestinationError as exc:
            return ConnectionCheck(False, str(exc), _elapsed_ms(started))
        except psycopg.Error as exc:
            return ConnectionCheck(False, _message(exc), _elapsed_ms(started))
        # What was reached, not "Connected" again: the web UI heads the result with connected / not.
        return ConnectionCheck(True, f"Signed in to PostgreSQL {version}", _elapsed_ms(started))

    def load(
        self, destination, attachment, source, report: LoadReport, *, batch_size: int, full: bool = False
    ) -> None:
        """Load the connector's changes after the destination's checkpoint, batch by batch; the next
        batch is read while one is written (see :class:`_ReadAhead`).

        ``full`` (a reload), or a table or column of the attachment found missing (dropped outside
        MigrateIQ), starts from sequence 0: the checkpoint is reset and every record is loaded
        again (upserted; tombstones delete or soft-delete their rows). A reload that reaches the
        end of the feed then removes the rows of records the connector no longer has at all
        (:meth:`_remove_strays`), so the table holds exactly the records the connector has."""
        schema_name = destination.target_schema
        table_name = identifier(attachment.table_name, ())
        try:
            with (
                connect(destination) as conn,
                _ReadAhead(source, attachment.connector_id, batch_size) as reader,
            ):
                self._prepare(conn, schema_name, table_name)
                high_water, reloading = self._start(conn, schema_name, table_name, attachment, report, full)
                report.started(high_water)
                inserts = _Inserts(self._is_empty(conn, schema_name, table_name))
                batch = reader.take(high_water)
                while batch.changes:
                    reader.start(batch.last)
                    fields = source.column_fields(attachment.connector_id)
                    high_water, restarted = self._batch(
                        conn, destination, attachment, schema_name, table_name, batch, fields, report, inserts
                    )
                    if restarted:
                        reloading, inserts.only = True, False
                    batch = reader.take(high_water)
                if reloading:
                    self._remove_strays(
                        conn, destination, attachment, source, schema_name, table_name, report
                    )
                    report.reloading(False)
        except psycopg.Error as exc:
            raise DestinationError(f"The destination refused the load: {_message(exc)}") from None

    # -- steps --------------------------------------------------------------------------------

    def _start(self, conn, schema_name, table_name, attachment, report, full: bool) -> tuple[int, bool]:
        """The checkpoint to load from, and whether the load starts over from 0: asked to
        (``full``), or the table or one of the attachment's columns is gone although the checkpoint
        says rows were loaded (a ``DROP`` outside MigrateIQ: the rows must come again). A table
        without MigrateIQ's own columns cannot be loaded: a :class:`DestinationError` says so."""
        with conn.transaction():
            high_water = self._checkpoint(conn, schema_name, table_name, lock=True)
            existing = self._existing_columns(conn, schema_name, table_name)
            where = f"{schema_name}.{table_name}"
            reason = None
            if existing:
                lost = sorted(
                    column for column in (RECORD_ID, CHANGE_SEQ, SYNCED_AT) if column not in existing
                )
                if lost:
                    raise DestinationError(
                        f"The table {where} has no column {', '.join(lost)} (dropped outside MigrateIQ?): "
                        "MigrateIQ keeps its rows by those columns and cannot load it. Drop the table "
                        "(the next load creates it again and loads every record) or load into another "
                        "table_name."
                    )
            if full:
                reason = (
                    f"Reloading every record from the start (the checkpoint was at sequence {high_water})."
                )
            elif high_water and not existing:
                reason = (
                    f"The table {where} is missing (dropped outside MigrateIQ?): it is created again and "
                    "every record loaded from the start."
                )
            elif high_water:
                gone = [column for column in attachment.columns.values() if column not in existing]
                if gone:
                    shown = ", ".join(gone[:5]) + (f" and {len(gone) - 5} more" if len(gone) > 5 else "")
                    reason = (
                        f"The table {where} lacks the column{'s' if len(gone) > 1 else ''} {shown} "
                        "(dropped outside MigrateIQ?): added again, and every record loaded from the "
                        "start to fill them."
                    )
            if reason is None:
                if attachment.reload_pending:
                    report.event(
                        f"Going on with the reload an earlier load did not finish (from sequence "
                        f"{high_water}): at its end, rows of records the connector no longer has are "
                        "removed."
                    )
                return high_water, attachment.reload_pending
            report.reloading(True)  # first: removing strays at the end is never wrong, missing it is
            conn.execute(
                sql.SQL("UPDATE {} SET high_water = 0 WHERE table_name = %s").format(
                    sql.Identifier(schema_name, STATE_TABLE)
                ),
                [table_name],
            )
        report.event(reason, "info" if full else "warning")
        return 0, True

    def _remove_strays(self, conn, destination, attachment, source, schema_name, table_name, report) -> None:
        """The end of a reload: remove (or, with ``deleted_rows`` = soft, mark ``_deleted_at``) the
        rows whose record the connector no longer has at all, live or tombstoned (rows another
        connector loaded into the table, records removed from the store). The ids are read after
        the last batch: a record loaded is stored before it is loaded, so no live row goes."""
        if not self._existing_columns(conn, schema_name, table_name):
            return
        table = sql.Identifier(schema_name, table_name)
        with conn.transaction():
            self._checkpoint(conn, schema_name, table_name, lock=True)  # loads of the table take turns
            conn.execute(
                sql.SQL("CREATE TEMPORARY TABLE {} (id text) ON COMMIT DROP").format(
                    sql.Identifier(KEEP_TABLE)
                )
            )
            with conn.cursor().copy(
                sql.SQL("COPY {} (id) FROM STDIN").format(sql.Identifier(KEEP_TABLE))
            ) as copy:
                chunk: list[str] = []
                for external_id in source.record_ids(attachment.connector_id):
                    chunk.append(str(external_id))
                    if len(chunk) >= 5000:
                        copy.write("\n".join(copy_texts(chunk)) + "\n")
                        chunk = []
                if chunk:
                    copy.write("\n".join(copy_texts(chunk)) + "\n")
            conn.execute(sql.SQL("CREATE INDEX ON {} (id)").format(sql.Identifier(KEEP_TABLE)))
            unknown = sql.SQL("NOT EXISTS (SELECT FROM {} AS k WHERE k.id = t.{})").format(
                sql.Identifier(KEEP_TABLE), sql.Identifier(RECORD_ID)
            )
            if destination.deleted_rows == "soft":
                statement = sql.SQL("UPDATE {} AS t SET {} = now() WHERE {} IS NULL AND {}").format(
                    table, sql.Identifier(DELETED_AT), sql.Identifier(DELETED_AT), unknown
                )
            else:
                statement = sql.SQL("DELETE FROM {} AS t WHERE {}").format(table, unknown)
            removed = conn.execute(statement).rowcount
        if removed:
            verb = "Marked deleted" if destination.deleted_rows == "soft" else "Deleted"
            report.event(
                f"{verb} {removed} row{'s' if removed != 1 else ''} of {schema_name}.{table_name} whose "
                "records the connector no longer has."
            )
            report.rows_removed(removed)

    def _prepare(self, conn, schema_name: str, table_name: str) -> None:
        """Create the schema, the checkpoint table and the table's checkpoint row if missing.

        ``IF NOT EXISTS`` is not safe against a concurrent creator: it looks in the catalog before
        the other transaction commits, then waits on the catalog's unique index and fails on it
        (``pg_namespace_nspname_index``) once that one commits. Two loads into a schema that does
        not exist yet (two connectors attached, "Load now") do exactly that, as can another tool.
        A transaction that lost such a race is run again: it then finds what the other created.
        (A table's own DDL in :meth:`_batch` needs no such care: every load of a table first locks
        the table's checkpoint row, so they take turns.)"""
        for attempt in range(_PREPARE_ATTEMPTS):
            try:
                with conn.transaction():
                    self._create_missing(conn, schema_name, table_name)
                return
            except _CREATED_MEANWHILE:
                if attempt == _PREPARE_ATTEMPTS - 1:
                    raise

    def _create_missing(self, conn, schema_name: str, table_name: str) -> None:
        state = sql.Identifier(schema_name, STATE_TABLE)
        conn.execute(sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(sql.Identifier(schema_name)))
        conn.execute(
            sql.SQL(
                "CREATE TABLE IF NOT EXISTS {} (table_name text PRIMARY KEY, high_water bigint NOT NULL, "
                "loaded_at timestamptz NOT NULL DEFAULT now())"
            ).format(state)
        )
        conn.execute(
            sql.SQL("INSERT INTO {} (table_name, high_water) VALUES (%s, 0) ON CONFLICT DO NOTHING").format(
                state
            ),
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

    def _batch(
        self, conn, destination, attachment, schema_name, table_name, batch, fields, report, inserts
    ) -> int:
        alive, records, gone = batch.alive, batch.records, batch.gone
        with conn.transaction():
            high_water = self._checkpoint(conn, schema_name, table_name, lock=True)
            if high_water >= batch.first:
                # Another load moved the checkpoint meanwhile: re-read from it (nothing applied twice).
                return high_water, False
            known = set(attachment.columns)
            named = assign_columns(
                [entry["path"] for entry in fields], attachment.columns, attachment.column_names
            )
            if named:
                self._refuse_other_convention(conn, schema_name, table_name, attachment, named)
                report.columns_named(attachment.columns)
                for column in named:
                    if column.column != column.wanted:
                        report.column_renamed(column)
            plan = [
                (attachment.columns[field_key(entry["path"])], tuple(entry["path"]), column_type(entry))
                for entry in fields
            ]
            table = self._ensure_table(conn, schema_name, table_name, plan, report)
            text = self._copy_text(conn, table, alive, records, plan, report) if alive else ""
            # Rows loaded before that a widening changed, or that hold in other columns the fields
            # of an object that is one column from now on (its values were all objects so far):
            # every record is loaded again, in the new columns' terms.
            stale = [*table.recast, *_collapsed_objects(named, known)]
            restart = bool(stale) and not self._is_empty(conn, schema_name, table_name)
            upserted = 0
            if alive:
                upserted = self._upsert(conn, table, [column for column, _, _ in plan], text, inserts)
            deleted = self._delete(conn, table, gone, destination.deleted_rows) if gone else 0
            last = batch.last
            if restart:
                report.reloading(True)  # before the commit, as in _start
                last = 0
            conn.execute(
                sql.SQL("UPDATE {} SET high_water = %s, loaded_at = now() WHERE table_name = %s").format(
                    sql.Identifier(schema_name, STATE_TABLE)
                ),
                [last, table_name],
            )
        if restart:
            report.event(
                f"Loading every record again from the start: the rows loaded before hold other values "
                f"in {', '.join(stale)} than their records (a widened column's cast, or an object's "
                "fields now one column).",
                "warning",
            )
        report.batch_committed(last, upserted, deleted)
        return last, restart

    def _refuse_other_convention(self, conn, schema_name, table_name, attachment, named) -> None:
        """Names new to the attachment must not make a second column for a field the table already
        has by the other convention (an attachment made again for a table loaded before, or
        another tool's table): that would load the field into a column next to its old one."""
        existing = self._existing_columns(conn, schema_name, table_name)
        if not existing:
            return
        owned = set(attachment.columns.values())
        other = AS_IS if attachment.column_names == SNAKE_CASE else SNAKE_CASE
        found = []
        for column in named:
            theirs = column_name(column.parts, other).replace("\x00", "") or "_"
            if column.column not in existing and theirs in existing and theirs not in owned:
                found.append(f"{theirs} (here {column.column})")
        if found:
            shown = ", ".join(found[:3]) + (f" and {len(found) - 3} more" if len(found) > 3 else "")
            raise DestinationError(
                f"The table {schema_name}.{table_name} already has columns named {other}: {shown}; "
                f"this attachment names them {attachment.column_names}, which would add a second "
                f"column for each. Set the attachment's column_names to {other}, or load it into "
                "another table."
            )

    def _is_empty(self, conn, schema_name, table_name) -> bool:
        if not self._existing_columns(conn, schema_name, table_name):
            return True
        query = sql.SQL("SELECT NOT EXISTS (SELECT FROM {})").format(sql.Identifier(schema_name, table_name))
        return conn.execute(query).fetchone()[0]

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
        cast = "::text::" if (current, target) in _CAST_THROUGH_TEXT else "::"
        conn.execute(
            sql.SQL("ALTER TABLE {} ALTER COLUMN {} TYPE " + target + " USING {}" + cast + target).format(
                table.ident, sql.Identifier(column), sql.Identifier(column)
            )
        )
        table.columns[column] = target
        if (current, target) not in _CASTS_KEEPING_VALUES:
            table.recast.append(column)
        report.column_widened(column, current, target)

    def _copy_text(self, conn, table: _Table, alive, records, plan, report) -> str:
        """The COPY text of the live records (see "a batch's columns as COPY text"); a column whose
        values do not all fit its type is widened first (``ALTER TABLE``, in the batch's transaction)."""
        with _gc_paused():
            values = field_values([r if type(r) is dict else {} for r in records], [p for _, p, _ in plan])
            columns = [
                copy_texts([str(change.external_id) for change in alive]),
                [str(change.seq) for change in alive],
                copy_texts([None if c.last_synced_at is None else str(c.last_synced_at) for c in alive]),
            ]
            for column, parts, _ in plan:
                column_values = values[parts]
                while True:
                    pg_type = table.columns[column]
                    try:
                        columns.append(COLUMN_CONVERTERS.get(pg_type, _text_column)(column_values))
                        break
                    except _Misfit:
                        wanted = widened(pg_type, _wanted(pg_type, column_values))
                        # (text holds anything: a column always ends up fitting)
                        self._fit_column(conn, table, column, wanted if wanted != pg_type else "text", report)
            return "\n".join(map("\t".join, zip(*columns, strict=True))) + "\n"

    def _upsert(self, conn, table: _Table, plan_columns: list[str], text: str, inserts: _Inserts) -> int:
        """COPY the rows into a staging table, then upsert every column of the table from it: a
        column the batch does not fill (``_deleted_at``, a field the records no longer have) is
        reset to NULL, so a row is always the record's latest state. While ``inserts.only`` (see
        :class:`_Inserts`) the rows are COPYed into the table itself."""
        filled = [RECORD_ID, CHANGE_SEQ, SYNCED_AT, *plan_columns]
        copy_columns = sql.SQL(", ").join(sql.Identifier(name) for name in filled)
        if inserts.only:
            try:
                with conn.transaction(), conn.cursor() as cursor:  # a savepoint
                    with cursor.copy(
                        sql.SQL("COPY {} ({}) FROM STDIN").format(table.ident, copy_columns)
                    ) as copy:
                        copy.write(text)
                    return cursor.rowcount
            except psycopg.errors.UniqueViolation:
                inserts.only = False  # a record of the batch is in the table already: upserts from now on
        conn.execute(
            sql.SQL("CREATE TEMPORARY TABLE {} (LIKE {}) ON COMMIT DROP").format(
                sql.Identifier(STAGE_TABLE), table.ident
            )
        )
        with conn.cursor().copy(
            sql.SQL("COPY {} ({}) FROM STDIN").format(sql.Identifier(STAGE_TABLE), copy_columns)
        ) as copy:
            copy.write(text)
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


def _collapsed_objects(named, known) -> list[str]:
    """The columns just named (``named``) for a field whose children had columns (field keys in
    ``known``): an object field that also held other values, one column from now on."""
    return [
        column.column
        for column in named
        if any(key.startswith(field_key(column.parts) + FIELD_SEPARATOR) for key in known)
    ]


@contextmanager
def _gc_paused():
    """No cyclic garbage collection while a batch's records are parsed and converted: they are
    acyclic, and the collector would otherwise scan them again and again as they are created."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _elapsed_ms(started: float) -> float:
    return round((time.perf_counter() - started) * 1000, 1)
