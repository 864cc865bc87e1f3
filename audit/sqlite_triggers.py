"""The append-only triggers of migration 0002 around every ``migrate`` on SQLite.

SQLite alters a column by rebuilding the table (Django's schema editor copies it into a new one):
the rebuilt table has lost its triggers, and renaming the copy fails while a trigger of another
table names it (``audit_tenant_deleted`` names ``audit_auditevent``). So a later migration of
``audit_auditevent`` would fail, and one of ``tenancy_tenant`` would silently leave the trail
without its tenant trigger. Before a ``migrate`` the triggers are dropped; after it, every missing
one is created again (a warning names those a migration's rebuild had dropped). On a new database,
migration 0002 creates them within that same ``migrate``: a later migration that rebuilds one of
these tables runs between ``RunPython(drop_before_rebuild)`` and ``RunPython(restore_after_rebuild)``.

PostgreSQL alters tables in place and keeps its triggers: nothing to do there.
"""

from __future__ import annotations

import importlib
import logging
import re

from django.db import connections
from django.db.migrations.recorder import MigrationRecorder

logger = logging.getLogger(__name__)

MIGRATION = ("audit", "0002_append_only_in_the_database")
_NAME = re.compile(r'CREATE TRIGGER "([^"]+)"')


def expected_triggers() -> dict[str, str]:
    """Trigger name -> the ``CREATE TRIGGER`` statement of migration 0002 (SQLite)."""
    migration = importlib.import_module(f"{MIGRATION[0]}.migrations.{MIGRATION[1]}")
    found = {}
    for statement in migration.SQLITE:
        match = _NAME.match(statement)
        if match:
            found[match.group(1)] = statement
    return found


def _applied(connection) -> bool:
    """Whether migration 0002 is applied (before it, or migrated back past it: no triggers)."""
    return MIGRATION in MigrationRecorder(connection).applied_migrations()


def _present(cursor) -> set[str]:
    cursor.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")
    return {row[0] for row in cursor.fetchall()}


def drop(using: str = "default") -> list[str]:
    """Drop the triggers before a ``migrate`` may rebuild their tables; return their names."""
    connection = connections[using]
    if connection.vendor != "sqlite" or not _applied(connection):
        return []
    with connection.cursor() as cursor:
        dropped = [name for name in expected_triggers() if name in _present(cursor)]
        for name in dropped:
            cursor.execute(f'DROP TRIGGER "{name}"')
    _dropped_before.setdefault(using, set()).update(dropped)
    return dropped


# The triggers drop_before_rebuild dropped, by database alias, for restore_after_rebuild.
_dropped_by_migration: dict[str, list[str]] = {}


def drop_before_rebuild(apps, schema_editor) -> None:
    """A migration operation (``RunPython``) before one that rebuilds ``audit_auditevent`` or
    ``tenancy_tenant``: drops the triggers still there (migration 0002 ran earlier in this
    ``migrate``: a new database); :func:`restore_after_rebuild` creates them again."""
    alias = schema_editor.connection.alias
    _dropped_by_migration[alias] = drop(alias)


def restore_after_rebuild(apps, schema_editor) -> None:
    """The operation after the rebuild: creates again the triggers :func:`drop_before_rebuild` dropped
    (those ``before_migrate`` dropped wait for ``after_migrate``, as other rebuilds may follow)."""
    names = _dropped_by_migration.pop(schema_editor.connection.alias, [])
    statements = expected_triggers()
    with schema_editor.connection.cursor() as cursor:
        for name in names:
            cursor.execute(statements[name])


# The triggers dropped by ``drop`` before this process's migrate, by database alias: created again
# without a warning (only a trigger missing that the migrate did not drop on purpose is news).
_dropped_before: dict[str, set[str]] = {}


def restore_missing(using: str = "default") -> list[str]:
    """Create the append-only triggers that a table rebuild dropped; return their names."""
    connection = connections[using]
    dropped = _dropped_before.pop(using, set())
    if connection.vendor != "sqlite" or not _applied(connection):
        return []
    expected = expected_triggers()
    with connection.cursor() as cursor:
        missing = [name for name in expected if name not in _present(cursor)]
        for name in missing:
            cursor.execute(expected[name])
    unexpected = [name for name in missing if name not in dropped]
    if unexpected:
        logger.warning(
            "Created again the audit trail's append-only trigger(s) %s, which were missing "
            "(SQLite drops a table's triggers when a migration rebuilds the table).",
            ", ".join(unexpected),
        )
    return missing


def before_migrate(sender, using="default", **kwargs) -> None:
    """``pre_migrate`` receiver (sent once per installed app: only the audit app's does the work)."""
    if getattr(sender, "label", None) == "audit":
        drop(using)


def after_migrate(sender, using="default", **kwargs) -> None:
    """``post_migrate`` receiver (sent once per installed app: only the audit app's does the work)."""
    if getattr(sender, "label", None) == "audit":
        restore_missing(using)
