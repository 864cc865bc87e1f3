"""Audit events append-only in the database itself, not only through the ORM.

Triggers refuse every UPDATE of an ``audit_auditevent`` row and every DELETE but two:

* the retention purge: a transaction that first writes a row to ``audit_purge`` stating its bound
  (``expires_before``) may delete the events older than that bound, and no others; the purge
  removes its row before it commits (``audit.models.purge_permitted``; PostgreSQL refuses to commit
  one, SQLite has no deferred trigger to say so);
* deleting a tenant: an AFTER DELETE trigger of ``tenancy_tenant`` deletes its events, which the
  trigger allows once their tenant row is gone (the ORM's cascade would delete them first, while
  the tenant still exists: ``AuditEvent.tenant`` is ``DO_NOTHING`` and the database cascades).

On PostgreSQL a TRUNCATE of the trail is refused too, except under a purge of every event
(``manage.py flush``, which the module overrides). SQLite drops a table's triggers when the schema
editor rebuilds the table: on SQLite every ``migrate`` drops them first and creates the missing ones
after (``audit/sqlite_triggers.py``), so later migrations may alter ``audit_auditevent`` and
``tenancy_tenant`` (on a new database, where this migration runs in the same ``migrate``, between
its ``drop_before_rebuild`` and ``restore_after_rebuild`` operations).
"""

import django.db.models.deletion
from django.db import migrations, models

REFUSED_UPDATE = "audit events are append-only: they cannot be updated"
REFUSED_DELETE = (
    "audit events are append-only: they cannot be deleted "
    "(only the retention purge, audit.services.expire_events, or deleting their tenant removes them)"
)
REFUSED_TRUNCATE = "audit events are append-only: the trail cannot be truncated"
REFUSED_MARKER = "an audit_purge row must be deleted by the purge that wrote it, before it commits"

SQLITE = [
    (
        'CREATE TABLE "audit_purge" ("id" integer NOT NULL PRIMARY KEY AUTOINCREMENT,'
        ' "expires_before" datetime NOT NULL)'
    ),
    f"""CREATE TRIGGER "audit_event_no_update" BEFORE UPDATE ON "audit_auditevent"
    BEGIN SELECT RAISE(ABORT, '{REFUSED_UPDATE}'); END""",
    f"""CREATE TRIGGER "audit_event_no_delete" BEFORE DELETE ON "audit_auditevent"
    WHEN NOT EXISTS (SELECT 1 FROM "audit_purge" WHERE OLD."at" < "expires_before")
    AND EXISTS (SELECT 1 FROM "tenancy_tenant" WHERE "id" = OLD."tenant_id")
    BEGIN SELECT RAISE(ABORT, '{REFUSED_DELETE}'); END""",
    """CREATE TRIGGER "audit_tenant_deleted" AFTER DELETE ON "tenancy_tenant"
    BEGIN DELETE FROM "audit_auditevent" WHERE "tenant_id" = OLD."id"; END""",
]
SQLITE_REVERSE = [
    'DROP TRIGGER IF EXISTS "audit_tenant_deleted"',
    'DROP TRIGGER IF EXISTS "audit_event_no_delete"',
    'DROP TRIGGER IF EXISTS "audit_event_no_update"',
    'DROP TABLE IF EXISTS "audit_purge"',
]

POSTGRESQL = [
    'CREATE TABLE "audit_purge" ("id" bigserial PRIMARY KEY, "expires_before" timestamp with time zone NOT NULL)',
    f"""CREATE FUNCTION "audit_event_refuse_change"() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP = 'UPDATE' THEN
            RAISE EXCEPTION '{REFUSED_UPDATE}' USING ERRCODE = 'integrity_constraint_violation';
        END IF;
        IF TG_OP = 'TRUNCATE' THEN
            IF EXISTS (SELECT 1 FROM "audit_purge" WHERE "expires_before" = 'infinity') THEN
                RETURN NULL;
            END IF;
            RAISE EXCEPTION '{REFUSED_TRUNCATE}' USING ERRCODE = 'integrity_constraint_violation';
        END IF;
        IF EXISTS (SELECT 1 FROM "audit_purge" WHERE OLD."at" < "expires_before")
           OR NOT EXISTS (SELECT 1 FROM "tenancy_tenant" WHERE "id" = OLD."tenant_id") THEN
            RETURN OLD;
        END IF;
        RAISE EXCEPTION '{REFUSED_DELETE}' USING ERRCODE = 'integrity_constraint_violation';
    END $$""",
    """CREATE TRIGGER "audit_event_append_only" BEFORE UPDATE OR DELETE ON "audit_auditevent"
    FOR EACH ROW EXECUTE FUNCTION "audit_event_refuse_change"()""",
    """CREATE TRIGGER "audit_event_no_truncate" BEFORE TRUNCATE ON "audit_auditevent"
    FOR EACH STATEMENT EXECUTE FUNCTION "audit_event_refuse_change"()""",
    """CREATE FUNCTION "audit_tenant_deleted"() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        DELETE FROM "audit_auditevent" WHERE "tenant_id" = OLD."id";
        RETURN NULL;
    END $$""",
    """CREATE TRIGGER "audit_tenant_deleted" AFTER DELETE ON "tenancy_tenant"
    FOR EACH ROW EXECUTE FUNCTION "audit_tenant_deleted"()""",
    f"""CREATE FUNCTION "audit_purge_not_committed"() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF EXISTS (SELECT 1 FROM "audit_purge" WHERE "id" = NEW."id") THEN
            RAISE EXCEPTION '{REFUSED_MARKER}' USING ERRCODE = 'integrity_constraint_violation';
        END IF;
        RETURN NULL;
    END $$""",
    """CREATE CONSTRAINT TRIGGER "audit_purge_not_committed" AFTER INSERT ON "audit_purge"
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION "audit_purge_not_committed"()""",
]
POSTGRESQL_REVERSE = [
    'DROP TRIGGER IF EXISTS "audit_tenant_deleted" ON "tenancy_tenant"',
    'DROP FUNCTION IF EXISTS "audit_tenant_deleted"()',
    'DROP TABLE IF EXISTS "audit_purge"',  # its trigger with it
    'DROP FUNCTION IF EXISTS "audit_purge_not_committed"()',
    'DROP TRIGGER IF EXISTS "audit_event_no_truncate" ON "audit_auditevent"',
    'DROP TRIGGER IF EXISTS "audit_event_append_only" ON "audit_auditevent"',
    'DROP FUNCTION IF EXISTS "audit_event_refuse_change"()',
]

STATEMENTS = {"sqlite": (SQLITE, SQLITE_REVERSE), "postgresql": (POSTGRESQL, POSTGRESQL_REVERSE)}


def _run(schema_editor, reverse: bool) -> None:
    vendor = schema_editor.connection.vendor
    if vendor not in STATEMENTS:
        raise RuntimeError(f"The audit trail's append-only triggers are written for SQLite and PostgreSQL, not {vendor}.")
    for statement in STATEMENTS[vendor][reverse]:
        schema_editor.execute(statement, params=None)


def create_triggers(apps, schema_editor):
    _run(schema_editor, reverse=False)


def drop_triggers(apps, schema_editor):
    _run(schema_editor, reverse=True)


class Migration(migrations.Migration):
    dependencies = [
        ("audit", "0001_initial"),
        # The tenant trigger is on tenancy_tenant: created after every migration that rebuilds it.
        ("tenancy", "0004_ended_session_signed_out"),
    ]

    operations = [
        migrations.AlterField(
            model_name="auditevent",
            name="tenant",
            field=models.ForeignKey(
                editable=False,
                on_delete=django.db.models.deletion.DO_NOTHING,
                related_name="+",
                to="tenancy.tenant",
            ),
        ),
        migrations.RunPython(create_triggers, drop_triggers, elidable=False),
    ]
