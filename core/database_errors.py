"""What a database error may tell the people who read a run: its kind and the names it involves.

The database's own text is not safe to show. PostgreSQL quotes the values of the row it refused
(``DETAIL: Key (email)=(alice@example.com) already exists.``, ``Failing row contains (…)``), the
input it could not read (``invalid input syntax for type integer: "…"``), JSON around a bad
character (``CONTEXT: JSON data, line 1: …``) and, for a lost connection, the server's host, port
and user name. A run's message and log are read by every member of the tenant and sent by webhooks;
the full text stays in the server log for the operator.

:func:`describe_database_error` builds the message from the error's structured parts only: the
condition (PostgreSQL's SQLSTATE and its name, SQLite's result code), and the constraint, table and
column it names, which are the schema's identifiers, never a value.
"""

import re

import psycopg
from django.db import DatabaseError

#: What a database error can be: Django's, or the driver's own where code uses a psycopg cursor
#: directly (the sync engine's binary COPY and server-side binding on PostgreSQL).
DATABASE_ERRORS = (DatabaseError, psycopg.Error)

# SQLite's constraint messages hold only names ("UNIQUE constraint failed: t.a, t.b",
# "index 'name'", a CHECK's name or expression): kept when they look exactly like that.
_SQLITE_CONSTRAINT = re.compile(
    r"(?:UNIQUE|NOT NULL|CHECK|FOREIGN KEY|PRIMARY KEY) constraint failed(?:: [^\n]{1,200})?"
)
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_$.]{0,62}")


def _words(name: str) -> str:
    """``UniqueViolation`` -> ``unique violation``."""
    return re.sub(r"(?<!^)(?=[A-Z])", " ", name).lower()


def _quoted(name) -> str | None:
    """A schema name as shown, or None when it is not a plain identifier."""
    return f'"{name}"' if isinstance(name, str) and _IDENTIFIER.fullmatch(name) else None


def _postgresql(error) -> str:
    sqlstate = getattr(error, "sqlstate", None)
    kind = _words(type(error).__name__)
    if not sqlstate:
        # No SQLSTATE: the connection failed or was lost; its text names the server.
        return f"{kind} (the connection to the database failed or was lost)"
    diag = getattr(error, "diag", None)
    parts = []
    names = (("constraint", "constraint_name"), ("table", "table_name"), ("column", "column_name"))
    for label, attribute in names:
        name = _quoted(getattr(diag, attribute, None))
        if name:
            parts.append(f"{label} {name}")
    named = f" on {', '.join(parts)}" if parts else ""
    return f"{kind} (SQLSTATE {sqlstate}){named}"


def _sqlite(error) -> str:
    kind = _words(type(error).__name__)
    code = getattr(error, "sqlite_errorname", "") or ""
    text = str(error)
    described = f"{kind} ({code})" if code else kind
    if _SQLITE_CONSTRAINT.fullmatch(text):
        return f"{described}: {text}"
    return described


def describe_database_error(exc: BaseException) -> str:
    """A message about ``exc`` (a Django ``DatabaseError``, or a driver's) that quotes no value: the
    kind of error and the constraint, table or column it names, when the driver says which."""
    error = exc.__cause__ if exc.__cause__ is not None else exc
    module = type(error).__module__.split(".")[0]
    if module == "psycopg" or hasattr(error, "sqlstate"):
        return _postgresql(error)
    if module in ("sqlite3", "_sqlite3") or hasattr(error, "sqlite_errorname"):
        return _sqlite(error)
    return _words(type(exc).__name__)
