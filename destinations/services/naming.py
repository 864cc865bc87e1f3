"""PostgreSQL names: the ones users give (a destination's schema, an attachment's table) and the
columns taken from upstream data.

Names are always sent quoted (``psycopg.sql.Identifier``), so no name can inject SQL and names that
differ only in case stay different columns. A name a user gives must moreover be a lower-case
identifier (:func:`given_name_problem`): the name typed is the name created, and the one to query
without quotes (``Users`` would be created as ``"Users"``, which ``SELECT * FROM users`` misses).

A column's name is made from the field's path by the attachment's convention
(:data:`COLUMN_NAMES`): ``snake_case`` (:func:`snake_case`: ``company.catchPhrase`` →
``company__catch_phrase``, a name to query without quotes) or ``as_is`` (``a.b`` → ``a__b``, the
keys as they are: ``"company__catchPhrase"``, to be quoted). PostgreSQL silently truncates
identifiers to 63 bytes, which would merge long names that share a prefix: a name longer than that
is shortened deterministically to its first bytes (on a character boundary), ``_`` and 8 hex
digits of a hash of the whole name. A clash with a name already given (or a reserved metadata
column, or a PostgreSQL system column such as ``xmin``) takes the next hash suffix: ``userId``
and ``user_id`` are both ``user_id`` in snake_case, and the field whose name is not already that
(``userId``) gets ``user_id_`` and 8 hex digits
(unless it was named in an earlier load, and kept its name); the load's log says so
(:func:`assign_columns` returns each name given and the one it wanted). Names are given once and
stored with the attachment, so a column keeps its name, and the convention cannot change once
names were given.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

MAX_BYTES = 63
RECORD_ID = "_migrateiq_record_id"
SYNCED_AT = "_migrateiq_synced_at"
CHANGE_SEQ = "_migrateiq_change_seq"
DELETED_AT = "_deleted_at"
RESERVED = frozenset({RECORD_ID, SYNCED_AT, CHANGE_SEQ, DELETED_AT})
#: PostgreSQL's system columns, which every table has: a column of that name cannot be added
#: ("column name "xmin" conflicts with a system column name"), so a field named so (GIS data's
#: ``xmin`` / ``ymin``) gets a hashed name instead, as for a clash.
SYSTEM_COLUMNS = frozenset({"tableoid", "xmin", "cmin", "xmax", "cmax", "ctid"})
#: The column naming conventions of an attachment (``DestinationAttachment.column_names``).
SNAKE_CASE = "snake_case"
AS_IS = "as_is"
COLUMN_NAMES = (SNAKE_CASE, AS_IS)
#: The separator of a field path's keys in its key in the column map (:func:`field_key`).
FIELD_SEPARATOR = "\x1f"
#: The separator of a nested field's path in its column name (``a.b`` → ``a__b``), as dlt's.
PATH_SEPARATOR = "__"
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
    while candidate in taken or candidate in RESERVED or candidate in SYSTEM_COLUMNS:
        salt += 1
        candidate = _shortened(name, salt)
    return candidate


_CAMEL_WORD = re.compile(r"([^_])([A-Z][a-z]+)")  # fooBar → foo_Bar, HTTPServer → HTTP_Server
_CAMEL_BREAK = re.compile(r"([a-z0-9])([A-Z])")  # fooB → foo_B, user2Id → user2_Id
_NOT_WORD = re.compile(r"[^A-Za-z0-9_]+")
_UNDERSCORES = re.compile(r"__+")


def _snake_part(part: str) -> str:
    part = _NOT_WORD.sub("_", part.strip())
    part = _CAMEL_BREAK.sub(r"\1_\2", _CAMEL_WORD.sub(r"\1_\2", part)).lower()
    part = _UNDERSCORES.sub("_", part)
    stripped = part.rstrip("_")
    # a trailing _ becomes x (as dlt does), so that it cannot run into the path separator
    return stripped + "x" * (len(part) - len(stripped)) or "x"


def snake_case(parts) -> str:
    """A field path's column name in the ``snake_case`` convention, dlt's ``snake_case`` naming:
    each key trimmed, every run of characters other than ASCII letters, digits and ``_`` made one
    ``_``, camelCase broken into words (``catchPhrase`` → ``catch_phrase``, ``HTTPServer`` →
    ``http_server``), lower-cased, repeated ``_`` made one and a trailing ``_`` made ``x``
    (``id_`` → ``idx``; an empty key or one of symbols only is ``x``); keys joined by ``__``; a name
    that starts with a digit is prefixed ``_``. Not length-limited (:func:`identifier` does that)."""
    name = PATH_SEPARATOR.join(_snake_part(part) for part in parts)
    return f"_{name}" if name[:1].isdigit() else name


def column_name(parts, convention: str) -> str:
    """The name ``convention`` wants for a field path (before length limits and clashes)."""
    return snake_case(parts) if convention == SNAKE_CASE else PATH_SEPARATOR.join(parts)


def field_key(parts) -> str:
    """The key of a field path in an attachment's column map."""
    return FIELD_SEPARATOR.join(parts)


@dataclass(frozen=True)
class NamedColumn:
    """A column name given to a field: ``column``, where ``wanted`` is the name its convention made
    (they differ when that one was too long, or taken: ``taken_by`` is then the field key that has
    it, or ``None`` for a MigrateIQ metadata column)."""

    parts: tuple
    column: str
    wanted: str
    taken_by: str | None = None

    @property
    def clashed(self) -> bool:
        return self.column != self.wanted and len(self.wanted.encode()) <= MAX_BYTES


def assign_columns(paths, columns: dict, convention: str = AS_IS) -> list[NamedColumn]:
    """Give every field path without one a column name by ``convention`` (:data:`COLUMN_NAMES`);
    ``columns`` (``{field key: name}``) is extended in place. The paths whose name the convention
    leaves as it is (``user_id``) are named first, then the others (``userId``), each in the order
    given, so a field already named like a column keeps that name in a clash among new fields.
    Returns the names given (empty when nothing changed)."""
    for key in [key for key, name in columns.items() if name in SYSTEM_COLUMNS]:
        # named before system columns were avoided: no table can have that column, name it again
        del columns[key]
    owners = {name: key for key, name in columns.items()}
    new = [parts for parts in paths if field_key(parts) not in columns]
    kept = [column_name(parts, convention) == column_name(parts, AS_IS) for parts in new]
    named = []
    for parts in [p for p, k in zip(new, kept, strict=True) if k] + [
        p for p, k in zip(new, kept, strict=True) if not k
    ]:
        key = field_key(parts)
        wanted = column_name(parts, convention).replace("\x00", "") or "_"
        name = identifier(wanted, owners.keys())
        columns[key] = name
        named.append(NamedColumn(tuple(parts), name, wanted, owners.get(wanted)))
        owners[name] = key
    return named
