"""``manage.py sync_connector`` runs the sync service in the foreground and prints the counts."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from demo_extension.models import SyncedRecord, SyncLog, SyncStatus, TriggeredBy
from demo_extension.tests import sync_support
from demo_extension.tests.sync_support import queried

fast_retries = sync_support.fast_retries


def sync_connector(*args):
    out, err = StringIO(), StringIO()
    call_command("sync_connector", *map(str, args), stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_the_command_syncs_a_connector_and_prints_the_final_counts(sample_upstream, make_connector):
    upstream = sample_upstream(records=35, page_size=10, style="page")
    connector = make_connector(upstream=upstream)

    out, err = sync_connector(connector.pk)

    log = SyncLog.objects.get(connector=connector)
    assert log.status == SyncStatus.SUCCESS
    assert log.triggered_by == TriggeredBy.MANUAL
    assert f"Sync {log.pk} of connector {connector.pk}" in out
    assert "SUCCESS" in out
    assert "processed 35, created 35, updated 0, unchanged 0, quarantined 0, pages 4" in out
    assert "35" in err  # the progress bar's last state


def test_the_command_can_hide_the_progress_bar(sample_upstream, make_connector):
    connector = make_connector(upstream=sample_upstream(records=5))

    out, err = sync_connector(connector.pk, "--no-progress")

    assert "processed 5" in out
    assert err == ""


def test_a_full_refresh_from_the_command_ignores_the_incremental_cursor(sample_upstream, make_connector):
    upstream = sample_upstream(records=20, page_size=10, style="page")
    connector = make_connector(
        upstream=upstream,
        incremental={"cursor_field": "created_at", "param": "updated_since"},
        incremental_cursor="2030-01-01T00:00:00Z",
    )

    out, _ = sync_connector(connector.pk, "--full-refresh", "--no-progress")

    assert "processed 20" in out
    assert queried(upstream, "updated_since") == [None, None]
    assert SyncLog.objects.get(connector=connector).full_refresh is True


def test_an_unknown_connector_id_is_a_clear_error(db):
    with pytest.raises(CommandError, match="No connector with id 424242"):
        sync_connector(424242)


def test_a_connector_of_another_tenant_is_not_found_with_tenant(sample_upstream, make_connector, tenant_b):
    connector = make_connector(upstream=sample_upstream(records=5))

    with pytest.raises(CommandError, match=f"No connector with id {connector.pk} in tenant 'globex'"):
        sync_connector(connector.pk, "--tenant", tenant_b.slug)

    out, _ = sync_connector(connector.pk, "--tenant", connector.tenant.slug, "--no-progress")
    assert "SUCCESS" in out


def test_a_failed_sync_exits_with_an_error_naming_the_reason(fast_retries, sample_upstream, make_connector):
    upstream = sample_upstream(records=30, page_size=10, style="page", fail_after_pages=1)
    connector = make_connector(upstream=upstream, pagination={"type": "page"})

    with pytest.raises(CommandError, match="failed: Fetching page 2 failed: .*500"):
        sync_connector(connector.pk, "--no-progress")


def test_a_sync_already_running_is_reported(sample_upstream, make_connector):
    connector = make_connector(upstream=sample_upstream(records=5))
    active = SyncLog.objects.create(tenant=connector.tenant, connector=connector, status=SyncStatus.RUNNING)

    with pytest.raises(CommandError, match=f"already in progress \\(sync log {active.pk}\\)"):
        sync_connector(connector.pk, "--no-progress")


def test_allow_empty_lets_a_full_refresh_of_an_emptied_source_mark_every_record_deleted(
    sample_upstream, make_connector
):
    upstream = sample_upstream(records=12, page_size=10, style="page", incremental_param=None)
    connector = make_connector(upstream=upstream)
    sync_connector(connector.pk, "--no-progress")
    upstream.update(records=0)

    with pytest.raises(CommandError, match="none was marked deleted.*--full-refresh --allow-empty"):
        sync_connector(connector.pk, "--full-refresh", "--no-progress")
    out, _ = sync_connector(connector.pk, "--full-refresh", "--allow-empty", "--no-progress")

    log = SyncLog.objects.filter(connector=connector).latest("created_at")
    assert (log.status, log.allow_empty, log.records_deleted) == (SyncStatus.SUCCESS, True, 12)
    assert SyncedRecord.objects.filter(connector=connector, deleted_at__isnull=True).count() == 0
    assert "SUCCESS" in out and ", deleted 12" in out


def test_allow_empty_without_a_full_refresh_is_refused_and_syncs_nothing(sample_upstream, make_connector):
    connector = make_connector(upstream=sample_upstream(records=5))

    with pytest.raises(CommandError, match="--allow-empty applies to a full refresh only: add --full-"):
        sync_connector(connector.pk, "--allow-empty")

    assert not SyncLog.objects.filter(connector=connector).exists()
