"""The database itself keeps the trail append-only (migration 0002): raw SQL and every path that
skips the ORM's guards fail, the retention purge deletes exactly the events past its bound, and
deleting a tenant deletes its events."""

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.db import IntegrityError, connection, models, transaction
from django.utils import timezone

from audit import services
from audit.models import AuditEvent, purge_permitted
from core import activity
from tenancy.models import Tenant


def every_event():
    return AuditEvent.objects.unscoped("test: every tenant's events")


@pytest.fixture
def old_and_new(tenant_a, tenant_b):
    """An event of tenant A ten days old, one of A from now, one of B ten days old."""
    now = timezone.now()

    def event(tenant, days_old, target_id):
        return services.store_activity(
            activity.Activity(
                action="connector.changed",
                tenant_id=tenant.pk,
                at=now - timedelta(days=days_old),
                target_type="connector",
                target_id=target_id,
            )
        )

    return event(tenant_a, 10, "old"), event(tenant_a, 0, "new"), event(tenant_b, 10, "b-old")


def refused(sql, params=(), match="append-only"):
    with pytest.raises(IntegrityError, match=match), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, params)


def test_a_raw_sql_update_of_an_event_is_refused_by_the_database(old_and_new):
    old, _, _ = old_and_new
    rewrite = 'UPDATE "audit_auditevent" SET "action" = %s WHERE "id" = %s'
    refused(rewrite, ["rewritten", old.pk], "cannot be updated")
    refused('UPDATE "audit_auditevent" SET "at" = "at"')  # even one that changes nothing
    assert not every_event().filter(action="rewritten").exists()


def test_a_raw_sql_delete_of_an_event_is_refused_by_the_database(old_and_new):
    old, _, _ = old_and_new
    refused('DELETE FROM "audit_auditevent" WHERE "id" = %s', [old.pk], "cannot be deleted")
    refused('DELETE FROM "audit_auditevent"')
    assert every_event().count() == 3


def test_orm_paths_around_the_querysets_guards_are_refused_too(old_and_new):
    old, _, _ = old_and_new
    with pytest.raises(IntegrityError, match="append-only"), transaction.atomic():
        models.QuerySet.update(every_event(), action="rewritten")
    with pytest.raises(IntegrityError, match="append-only"), transaction.atomic():
        models.QuerySet.delete(every_event().filter(pk=old.pk))
    with pytest.raises(IntegrityError, match="append-only"), transaction.atomic():
        every_event().filter(pk=old.pk)._raw_delete(connection.alias)
    assert every_event().count() == 3


def test_a_purge_deletes_only_events_older_than_the_bound_it_states(old_and_new):
    old, new, b_old = old_and_new
    with purge_permitted(timezone.now() - timedelta(days=5)):
        refused('DELETE FROM "audit_auditevent" WHERE "id" = %s', [new.pk], "cannot be deleted")
        with connection.cursor() as cursor:
            cursor.execute('DELETE FROM "audit_auditevent" WHERE "id" IN (%s, %s)', [old.pk, b_old.pk])
        refused('UPDATE "audit_auditevent" SET "action" = %s', ["rewritten"], "cannot be updated")

    assert list(every_event().values_list("pk", flat=True)) == [new.pk]


def test_the_purges_permission_ends_with_it(old_and_new):
    old, _, _ = old_and_new
    with purge_permitted(timezone.now()):
        pass
    refused('DELETE FROM "audit_auditevent" WHERE "id" = %s', [old.pk], "cannot be deleted")
    with connection.cursor() as cursor:
        cursor.execute('SELECT COUNT(*) FROM "audit_purge"')
        assert cursor.fetchone() == (0,)


def test_a_failure_inside_a_purge_rolls_its_permission_back(old_and_new):
    old, _, _ = old_and_new
    with pytest.raises(RuntimeError), purge_permitted(timezone.now()):
        raise RuntimeError("the purge failed")
    refused('DELETE FROM "audit_auditevent" WHERE "id" = %s', [old.pk], "cannot be deleted")


def test_the_retention_job_deletes_exactly_the_events_past_retention(old_and_new, settings):
    _, new, _ = old_and_new
    settings.MIGRATEIQ_AUDIT_RETENTION_DAYS = 5
    assert services.expire_events() == 2
    assert list(every_event().values_list("pk", flat=True)) == [new.pk]


def test_deleting_a_tenant_deletes_its_events_and_no_other_tenants(old_and_new, tenant_a, tenant_b):
    _, _, b_old = old_and_new
    tenant_a.delete()
    assert list(every_event().values_list("pk", flat=True)) == [b_old.pk]
    Tenant.objects.filter(pk=tenant_b.pk).delete()
    assert not every_event().exists()


def settle_pending_checks():
    """PostgreSQL will not TRUNCATE a table with checks deferred to the (test's) commit pending."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # runs the pending checks now
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")  # and defers the later ones again


def test_flush_empties_the_trail_with_every_other_table(old_and_new):
    settle_pending_checks()
    call_command("flush", interactive=False, verbosity=0)
    assert not every_event().exists()
    assert not Tenant.objects.exists()


def test_emptying_the_whole_trail_at_once_is_refused(old_and_new):
    settle_pending_checks()
    if connection.vendor == "postgresql":
        refused('TRUNCATE "audit_auditevent" CASCADE', match="cannot be truncated")
    else:
        # SQLite has no TRUNCATE; its fast path for a DELETE without WHERE is off where triggers are
        refused('DELETE FROM "audit_auditevent"', match="cannot be deleted")
    assert every_event().count() == 3


@pytest.mark.postgresql_only  # SQLite has no check deferred to the commit (conftest.py)
def test_postgresql_refuses_to_commit_a_purges_permission(old_and_new):
    with (
        pytest.raises(IntegrityError, match="audit_purge"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute('INSERT INTO "audit_purge" ("expires_before") VALUES (now())')
        cursor.execute('SET CONSTRAINTS "audit_purge_not_committed" IMMEDIATE')  # what COMMIT checks


@pytest.mark.django_db(transaction=True)
def test_committed_events_go_with_their_tenant_and_with_the_flush_between_tests(tenant_a, tenant_b):
    for tenant in (tenant_a, tenant_b):
        signed_in = activity.Activity(action="auth.signed_in", tenant_id=tenant.pk, at=timezone.now())
        services.store_activity(signed_in)
    tenant_a.delete()
    assert list(every_event().values_list("tenant_id", flat=True)) == [tenant_b.pk]
    # tenant B's event is left for the flush that ends this test (``audit/management/commands/flush.py``)


def test_the_migration_takes_its_triggers_back_and_puts_them_again(migrate_to, tenant_a):
    migrate_to([("audit", "0001_initial")])
    with connection.cursor() as cursor:
        cursor.execute(
            'INSERT INTO "audit_auditevent" ("tenant_id", "at", "actor_email", "action", "target_type",'
            ' "target_id", "fields", "detail", "ip", "request_id") VALUES (%s, %s, \'\', \'x\', \'\', \'\','
            " '[]', '{}', '', '')",
            [tenant_a.pk, timezone.now()],
        )
        cursor.execute('UPDATE "audit_auditevent" SET "action" = \'y\'')  # no trigger before 0002
    migrate_to()
    refused('UPDATE "audit_auditevent" SET "action" = \'z\'', match="cannot be updated")
    refused('DELETE FROM "audit_auditevent"', match="cannot be deleted")


def _triggers() -> set[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")
        return {row[0] for row in cursor.fetchall()}


def _rebuild(model, name: str, max_length: int) -> None:
    """Alter a column as a migration would: SQLite's schema editor rebuilds the whole table."""
    old = model._meta.get_field(name)
    new = old.clone()
    new.set_attributes_from_name(name)
    new.model = model
    new.max_length = max_length
    with connection.schema_editor() as editor:
        editor.alter_field(model, old, new)


TRIGGERS = {"audit_event_no_update", "audit_event_no_delete", "audit_tenant_deleted"}


@pytest.mark.sqlite_only
@pytest.mark.django_db(transaction=True)
def test_a_migration_that_rebuilds_the_trail_s_tables_on_sqlite_keeps_them_append_only(tenant_a, caplog):
    from django.core.management.sql import emit_post_migrate_signal, emit_pre_migrate_signal

    from audit.sqlite_triggers import expected_triggers

    assert set(expected_triggers()) == TRIGGERS
    action, name = AuditEvent._meta.get_field("action").max_length, Tenant._meta.get_field("name").max_length
    with pytest.raises(Exception, match="audit_tenant_deleted"):  # why: a rebuild fails on the triggers
        _rebuild(AuditEvent, "action", action + 1)
    # What ``migrate`` does around its migrations; here the migrations alter a column of each table.
    emit_pre_migrate_signal(verbosity=0, interactive=False, db="default")
    assert not TRIGGERS & _triggers()
    _rebuild(AuditEvent, "action", action + 1)
    _rebuild(Tenant, "name", name + 1)
    emit_post_migrate_signal(verbosity=0, interactive=False, db="default")
    try:
        assert TRIGGERS <= _triggers()
        assert "append-only trigger" not in caplog.text  # dropped on purpose, created again: no news
        event = services.store_activity(
            activity.Activity(action="connector.changed", tenant_id=tenant_a.pk, at=timezone.now())
        )
        refused('UPDATE "audit_auditevent" SET "action" = \'z\'', match="cannot be updated")
        refused('DELETE FROM "audit_auditevent"', match="cannot be deleted")
        tenant_a.delete()  # the tenant's trigger is back too: its events go with it
        assert not every_event().filter(pk=event.pk).exists()
    finally:
        emit_pre_migrate_signal(verbosity=0, interactive=False, db="default")
        _rebuild(AuditEvent, "action", action)
        _rebuild(Tenant, "name", name)
        emit_post_migrate_signal(verbosity=0, interactive=False, db="default")
    assert TRIGGERS <= _triggers()


@pytest.mark.sqlite_only
@pytest.mark.django_db(transaction=True)
def test_a_trigger_missing_before_a_migrate_is_created_again_and_named(tenant_a, caplog):
    with connection.cursor() as cursor:
        cursor.execute('DROP TRIGGER "audit_tenant_deleted"')  # as a rebuild outside migrate would
    call_command("migrate", verbosity=0)
    assert TRIGGERS <= _triggers()
    assert "append-only trigger(s) audit_tenant_deleted, which were missing" in caplog.text
    caplog.clear()
    call_command("migrate", verbosity=0)  # nothing missing: nothing said
    assert "append-only trigger" not in caplog.text
    event = services.store_activity(
        activity.Activity(action="connector.changed", tenant_id=tenant_a.pk, at=timezone.now())
    )
    tenant_a.delete()
    assert not every_event().filter(pk=event.pk).exists()
