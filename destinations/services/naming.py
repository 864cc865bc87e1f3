"""PostgreSQL names: the ones users give (a destination's schema, an attachment's table) and the
columns taken from upstream data.

Names are always sent quoted (``psycopg.sql.Identifier``), so no name can inject SQL and names that
differ only in case stay different columns. A name a user gives must moreover be a lower-case
identifier (:func:`given_name_problem`): the name typed is the name created, and the one to query
without quotes (``Users`` would be created as ``"Users"``, which ``SELECT * FROM users`` misses).

A column's name is the field's path (``a.b`` → ``a__b``) as it is. PostgreSQL silently truncates
identifiers to 63 bytes, which would merge long names that share a prefix: a name longer than that
is shortened deterministically to its first bytes (on a character boundary), ``_`` and 8 hex
digits of a hash of the whole name. A clash with a name already given (or a reserved metadata
column) takes the next hash suffix. Names are given once and stored with the attachment, so a
column keeps its name.
"""

from __future__ import annotations

import hashlib
import re

MAX_BYTES = 63
RECORD_ID = "_migrateiq_record_id"
SYNCED_AT = "_migrateiq_synced_at"
CHANGE_SEQ = "_migrateiq_change_seq"
DELETED_AT = "_deleted_at"
RESERVED = frozenset({RECORD_ID, SYNCED_AT, CHANGE_SEQ, DELETED_AT})
#: What a user-given name may be: a lower-case letter or ``_``, then lower-case letters, digits or ``_``.
GIVEN_NAME = re.compile(r"[a-z_][a-z0-9_]*")
GIVEN_NAME_RULE = (
    f"a lower-case identifier: a letter (a-z) or _, then letters, digits or _, at most {MAX_BYTES} characters"
)
#: Prefixes a user-given name may not have: PostgreSQL's own schemas, MigrateIQ's own tables in the
#: target schema (its checkpoint table ``_migrateiq_state``).
RESERVED_PREFIXES = {"schema": ("pg_",), "table": ("_migrateiq_",)}


def given_name_problem(name: str, what: str, kind: str) -> str | None:
    """Why ``name`` cannot be the ``kind`` (``schema`` or ``table``) a user names, as the message of
    its field ``what``; None when it can."""
    if not GIVEN_NAME.fullmatch(name) or len(name) > MAX_BYTES:
        return f"{what} must be {GIVEN_NAME_RULE} (e.g. customer_orders); got {name!r}."
    reserved = next((prefix for prefix in RESERVED_PREFIXES[kind] if name.startswith(prefix)), None)
    if reserved:
        return f"{what} may not start with {reserved}: such {kind} names are reserved."
    return None


def _prefix(name: str, max_bytes: int) -> str:
    encoded = name.encode()[:max_bytes]
    return encoded.decode("utf-8", "ignore")


def _shortened(name: str, salt: int) -> str:
    digest = hashlib.blake2b(f"{salt}:{name}".encode(), digest_size=4).hexdigest()
    return f"{_prefix(name, MAX_BYTES - 9)}_{digest}"


def identifier(name: str, taken) -> str:
    """A name for ``name`` that fits PostgreSQL and is not in ``taken`` (exact comparison)."""
    name = name.replace("\x00", "") or "_"
    candidate = name if len(name.encode()) <= MAX_BYTES else _shortened(name, 0)
    salt = 0
    while candidate in taken or candidate in RESERVED:
        salt += 1
        candidate = _shortened(name, salt)
    return candidate


def field_key(parts) -> str:
    """The key of a field path in an attachment's column map."""
    return "\x1f".join(parts)


def assign_columns(paths, columns: dict) -> bool:
    """Give every field path without one a column name (``a.b`` → ``a__b``), in the order given;
    ``columns`` (``{field key: name}``) is extended in place. Returns whether it changed."""
    taken = set(columns.values())
    changed = False
    for parts in paths:
        key = field_key(parts)
        if key in columns:
            continue
        name = identifier("__".join(parts), taken)
        columns[key] = name
        taken.add(name)
        changed = True
    return changed
