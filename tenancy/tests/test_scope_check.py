"""Every query of a tenant-owned model is scoped to a tenant or says why not (``tenancy.scoping``).

The check is on for the whole suite (``tenancy.testing``): an unscoped query raises
``UnscopedTenantQuery`` when it reaches the database, and a test in which one was raised fails even
when the code under test caught it. These tests prove what counts as scoped, that
``.unscoped(reason)`` is the one way out, and that ``off`` checks nothing.
"""

import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.db.models import Count, Exists, OuterRef, Q
from django.utils import timezone

from sync_engine.models import SyncedRecord, SyncLog, SyncRecordError
from sync_engine.runs import connector_model
from tenancy import scoping
from tenancy.context import tenant_context
from tenancy.models import Invitation, Tenant
from tenancy.scoping import UnscopedTenantQuery
from tenancy.testing import raises_unscoped_query

BASE_DIR = Path(django_settings.BASE_DIR)


@pytest.fixture
def connector(tenant_a):
    return connector_model().objects.create(tenant=tenant_a, name="Scoped", api_endpoint="https://a.test/x")


@pytest.fixture
def other_connector(tenant_b):
    return connector_model().objects.create(tenant=tenant_b, name="Other", api_endpoint="https://b.test/x")


@pytest.fixture
def run(connector):
    return SyncLog.objects.create(tenant=connector.tenant, connector=connector, status="SUCCESS")


def _record(connector, run, external_id="1"):
    now = timezone.now()
    return SyncedRecord.objects.create(
        tenant=connector.tenant,
        connector=connector,
        external_id=external_id,
        data={"id": external_id},
        checksum="c",
        first_synced_at=now,
        last_synced_at=now,
        last_sync_log=run,
    )


# --- unscoped: refused --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "evaluate",
    [
        pytest.param(lambda model: list(model.objects.all()), id="all"),
        pytest.param(lambda model: model.objects.count(), id="count"),
        pytest.param(lambda model: model.objects.exists(), id="exists"),
        pytest.param(lambda model: model.objects.filter(name="Scoped").first(), id="filter-name"),
        pytest.param(lambda model: model.objects.update(is_active=False), id="update"),
        pytest.param(lambda model: model.objects.filter(is_active=False).delete(), id="delete"),
        pytest.param(lambda model: model.objects.get(name="Scoped"), id="get-by-name"),
        pytest.param(lambda model: model.objects.last(), id="last"),
        pytest.param(lambda model: list(model.objects.values_list("name", flat=True)), id="values_list"),
        pytest.param(lambda model: list(model.objects.values("name")), id="values"),
        pytest.param(lambda model: model.objects.aggregate(n=Count("id")), id="aggregate"),
        pytest.param(lambda model: list(model.objects.iterator()), id="iterator"),
        pytest.param(lambda model: model.objects.in_bulk(), id="in_bulk"),
        pytest.param(lambda model: model.objects.all()[0], id="index"),
        pytest.param(lambda model: bool(model.objects.all()), id="bool"),
        pytest.param(lambda model: model.objects.explain(), id="explain"),
        pytest.param(lambda model: model.objects.get_or_create(name="Scoped"), id="get_or_create"),
    ],
)
def test_an_unscoped_query_of_a_tenant_owned_model_raises(connector, evaluate):
    with raises_unscoped_query() as excinfo:
        evaluate(connector_model())

    message = str(excinfo.value)
    assert connector_model()._meta.label in message
    assert "filter it by tenant" in message and ".unscoped(reason)" in message


def test_a_fast_delete_is_checked_too(run):
    # nothing cascades from a quarantined record: Django deletes with one statement, no fetch first
    with raises_unscoped_query() as excinfo:
        SyncRecordError.objects.filter(error="x").delete()

    assert "sync_engine.SyncRecordError (delete)" in str(excinfo.value)


def test_the_error_says_where_the_query_ran_and_shows_its_where_clause_without_values(connector):
    with raises_unscoped_query() as excinfo:
        connector_model().objects.filter(name="a secret-looking value").exists()

    message = str(excinfo.value)
    assert f"Evaluated at {__file__}:" in message
    assert '."name" = %s' in message
    assert "secret-looking" not in message


def test_the_manager_still_has_no_delete_of_every_row(db):
    assert not hasattr(connector_model().objects, "delete")


@pytest.mark.parametrize(
    "queryset",
    [
        pytest.param(lambda c: connector_model().objects.exclude(tenant=c.tenant), id="exclude-tenant"),
        pytest.param(lambda c: connector_model().objects.filter(Q(tenant=c.tenant) | Q(name="x")), id="or"),
        pytest.param(lambda c: connector_model().objects.filter(tenant__isnull=False), id="tenant-isnull"),
        pytest.param(lambda c: connector_model().objects.filter(tenant__is_active=True), id="tenant-field"),
        pytest.param(lambda c: connector_model().objects.filter(pk__gt=0), id="pk-range"),
        pytest.param(lambda c: SyncLog.objects.filter(connector__name=c.name), id="relation-field"),
        pytest.param(lambda c: SyncLog.objects.filter(triggered_by_user__isnull=True), id="fk-isnull"),
        pytest.param(
            lambda c: SyncLog.objects.filter(connector__in=connector_model().objects.filter(is_active=True)),
            id="unscoped-subquery",
        ),
        pytest.param(
            lambda c: (
                connector_model().objects.filter(tenant=c.tenant).union(connector_model().objects.all())
            ),
            id="union-with-unscoped",
        ),
    ],
)
def test_conditions_that_do_not_name_a_tenant_are_not_a_scope(connector, queryset):
    with raises_unscoped_query():
        list(queryset(connector))


# --- scoped: allowed ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "queryset",
    [
        pytest.param(lambda c, r: connector_model().objects.for_tenant(c.tenant), id="for_tenant"),
        pytest.param(lambda c, r: connector_model().objects.filter(tenant=c.tenant), id="tenant"),
        pytest.param(lambda c, r: connector_model().objects.filter(tenant_id=c.tenant_id), id="tenant_id"),
        pytest.param(lambda c, r: connector_model().objects.filter(tenant__slug="acme"), id="tenant-slug"),
        pytest.param(lambda c, r: connector_model().objects.filter(tenant__in=[c.tenant]), id="tenant-in"),
        pytest.param(lambda c, r: connector_model().objects.filter(pk=c.pk), id="pk"),
        pytest.param(lambda c, r: connector_model().objects.filter(pk__in=[c.pk]), id="pk-in"),
        pytest.param(lambda c, r: connector_model().objects.filter(name="x", pk=c.pk), id="pk-and-name"),
        pytest.param(lambda c, r: SyncLog.objects.filter(connector=c), id="fk"),
        pytest.param(lambda c, r: SyncLog.objects.filter(connector_id=c.pk), id="fk-id"),
        pytest.param(lambda c, r: SyncLog.objects.filter(connector__in=[c]), id="fk-in"),
        pytest.param(lambda c, r: SyncLog.objects.filter(connector__pk=c.pk), id="fk-pk"),
        pytest.param(lambda c, r: SyncLog.objects.filter(connector__tenant=c.tenant), id="relation-tenant"),
        pytest.param(lambda c, r: SyncRecordError.objects.filter(sync_log_id=r.pk), id="fk-to-run"),
        pytest.param(lambda c, r: c.sync_logs.all(), id="related-manager"),
        pytest.param(lambda c, r: c.sync_logs.filter(status="SUCCESS"), id="related-manager-filter"),
        pytest.param(
            lambda c, r: SyncLog.objects.filter(Q(connector=c) | Q(pk=r.pk)), id="or-of-scoped-branches"
        ),
        pytest.param(
            lambda c, r: SyncLog.objects.filter(
                connector__in=connector_model().objects.filter(tenant=c.tenant).values("pk")
            ),
            id="scoped-subquery",
        ),
        pytest.param(
            lambda c, r: (
                connector_model()
                .objects.filter(tenant=c.tenant)
                .annotate(ran=Exists(SyncLog.objects.filter(connector=OuterRef("pk"))))
            ),
            id="correlated-subquery",
        ),
        pytest.param(
            lambda c, r: (
                connector_model()
                .objects.filter(tenant=c.tenant)
                .order_by()
                .union(connector_model().objects.filter(pk=c.pk).order_by())
            ),
            id="union-of-scoped",
        ),
        pytest.param(lambda c, r: connector_model().objects.none(), id="none"),
        pytest.param(lambda c, r: connector_model().objects.filter(pk__in=[]), id="empty-in"),
        pytest.param(
            lambda c, r: connector_model().objects.filter(tenant=c.tenant).select_related("created_by"),
            id="select_related",
        ),
    ],
)
def test_queries_scoped_by_tenant_key_or_relation_pass(connector, run, queryset):
    list(queryset(connector, run))


def test_every_evaluation_of_a_scoped_query_passes(connector, run):
    scoped = SyncLog.objects.filter(connector=connector)

    assert scoped.count() == 1
    assert scoped.exists()
    assert scoped.get(pk=run.pk) == run
    assert scoped.first() == run and scoped.last() == run
    assert list(scoped.values_list("pk", flat=True)) == [run.pk]
    assert scoped.aggregate(n=Count("id")) == {"n": 1}
    assert list(scoped.iterator()) == [run]
    assert SyncLog.objects.in_bulk([run.pk]) == {run.pk: run}
    assert SyncLog.objects.get(pk=run.pk) == run
    assert scoped.update(status="FAILED") == 1
    run.refresh_from_db()  # by primary key
    assert run.status == "FAILED"


def test_prefetching_and_following_relations_are_scoped(connector, other_connector, run):
    _record(connector, run)
    connectors = list(
        connector_model()
        .objects.filter(pk__in=[connector.pk, other_connector.pk])
        .prefetch_related("sync_logs")
    )
    # the prefetch filters the runs by connector__in: a relation to tenant-owned rows
    assert {c.pk: list(c.sync_logs.all()) for c in connectors} == {
        connector.pk: [run],
        other_connector.pk: [],
    }

    record = SyncedRecord.objects.select_related("connector").get(connector=connector, external_id="1")
    assert record.connector == connector
    assert record.last_sync_log == run  # a forward relation: Django's base manager, by primary key


def test_deleting_a_tenant_owned_object_cascades_through_scoped_queries(connector, run):
    _record(connector, run)
    SyncRecordError.objects.create(
        tenant=connector.tenant, sync_log=run, connector=connector, raw_payload={}, error="x"
    )

    connector_model().objects.filter(pk=connector.pk).delete()  # the collector filters by foreign key
    run_pk = run.pk

    assert not SyncLog.objects.filter(pk=run_pk).exists()
    assert not SyncedRecord.objects.filter(connector_id=connector.pk).exists()


def test_deleting_a_tenant_deletes_its_rows_without_an_unscoped_query(tenant_a, connector, run):
    tenant_a.delete()

    assert not connector_model().objects.filter(pk=connector.pk).exists()
    assert not SyncLog.objects.filter(pk=run.pk).exists()


def test_full_clean_checks_unique_constraints_with_scoped_queries(connector):
    duplicate = connector_model()(
        tenant=connector.tenant, name=connector.name, api_endpoint="https://a.test/y"
    )

    with pytest.raises(Exception, match="already exists"):
        duplicate.full_clean()


# --- unscoped(reason) ---------------------------------------------------------------------------


def test_unscoped_with_a_reason_spans_tenants(connector, other_connector):
    everyone = connector_model().objects.unscoped("test: both tenants' connectors")

    assert everyone.count() == 2
    assert set(everyone.filter(is_active=True)) == {connector, other_connector}
    assert everyone.filter(is_active=True).update(is_active=True) == 2
    # the reason survives every clone: values, ordering, slicing
    assert list(everyone.order_by("name").values_list("name", flat=True)[:1]) == ["Other"]


@pytest.mark.parametrize("reason", ["", "   ", None, 42])
def test_unscoped_requires_a_reason(db, reason):
    with pytest.raises(ValueError, match="needs the reason"):
        connector_model().objects.unscoped(reason)


def test_an_unscoped_subquery_does_not_scope_the_outer_query(connector):
    every_active = connector_model().objects.unscoped("test").filter(is_active=True)

    with raises_unscoped_query():
        list(SyncLog.objects.filter(connector__in=every_active))


# --- the switch ---------------------------------------------------------------------------------


def test_with_the_check_off_nothing_is_refused(connector, settings):
    settings.MIGRATEIQ_TENANT_SCOPE_CHECK = "off"

    assert connector_model().objects.count() == 1
    assert connector_model().objects.filter(name="Scoped").update(is_active=False) == 1
    assert scoping.take_raised() == []


def test_the_suite_runs_with_the_check_on(settings):
    assert settings.MIGRATEIQ_TENANT_SCOPE_CHECK == "raise"


# --- a service or task with an unscoped query fails the suite -----------------------------------


def count_active_connectors():
    """A service that forgot its tenant."""
    return connector_model().objects.filter(is_active=True).count()


def count_active_connectors_safely():
    """The same, behind a catch-all (as a hook's handler or the engine's run loop would be)."""
    try:
        return count_active_connectors()
    except Exception:
        return 0


def test_a_service_with_an_unscoped_query_raises(connector):
    with pytest.raises(UnscopedTenantQuery, match="CustomDataConnector"):
        count_active_connectors()
    scoping.take_raised()


def test_a_swallowed_unscoped_query_is_still_reported_to_the_test_run(connector):
    assert count_active_connectors_safely() == 0

    raised = scoping.take_raised()  # what tenancy.testing fails the test with
    assert len(raised) == 1 and "Unscoped query of demo_extension.CustomDataConnector (count)" in raised[0]


SWALLOWING_TEST = """
from sync_engine.runs import connector_model


def test_swallows_an_unscoped_query(db):
    try:
        connector_model().objects.filter(is_active=True).count()
    except Exception:
        pass
"""


@pytest.mark.slow
def test_the_plugin_fails_an_extensions_test_that_swallowed_an_unscoped_query(tmp_path):
    """An extension tested outside the repository (``pytest -p tenancy.testing``) gets the check."""
    (tmp_path / "test_swallowing.py").write_text(SWALLOWING_TEST)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_", "MIGRATEIQ_TENANT_SCOPE"))}
    env["PYTHONPATH"] = str(BASE_DIR)
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "tenancy.testing"]
        + ["--ds", "migrateiq.settings", "--rootdir", str(tmp_path), str(tmp_path)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert result.returncode == 1, result.stdout + result.stderr
    assert "1 unscoped tenant query raised during the test" in result.stdout
    assert "Unscoped query of demo_extension.CustomDataConnector (count)" in result.stdout


# --- platform models: invitations and tenants ----------------------------------------------------


def test_invitations_are_checked_too(tenant_a):
    with tenant_context(tenant_a):
        Invitation.objects.create(
            email="x@acme.test", token_hash="0" * 64, expires_at=timezone.now() + timedelta(1)
        )

    assert Invitation.objects.for_tenant(tenant_a).count() == 1
    with raises_unscoped_query():
        Invitation.objects.filter(email="x@acme.test").exists()


def test_models_that_are_not_tenant_owned_are_not_checked(tenant_a, tenant_b):
    assert Tenant.objects.count() == 2
