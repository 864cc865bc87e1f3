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
