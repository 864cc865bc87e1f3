"""A run that lost its sync log to another run (it was reaped as stale) stops writing at once."""

from datetime import timedelta

import pytest

from demo_extension.models import SyncedRecord, SyncLog, SyncStatus
from demo_extension.services import DataSyncService

pytestmark = pytest.mark.django_db


def test_a_run_whose_log_was_taken_over_commits_no_further_page_and_records_no_status(
    sample_upstream, make_connector
):
    upstream = sample_upstream(records=100, page_size=10, style="page")
    connector = make_connector(upstream=upstream, pagination={"type": "page", "page_size": 10})
    log = SyncLog.objects.create(tenant=connector.tenant, connector=connector)

    def take_over_after_second_page(running_log):
        if running_log.pages_fetched == 2:
            # what the reaper plus a second worker do: the log is claimed again, with a new start
            SyncLog.objects.filter(pk=running_log.pk).update(
                started_at=running_log.started_at + timedelta(seconds=1)
            )

    result = DataSyncService(connector).sync_data(sync_log=log, progress=take_over_after_second_page)

    assert result.status == SyncStatus.RUNNING  # the other run's status, untouched
    assert result.finished_at is None
    assert result.pages_fetched == 2
    assert SyncedRecord.objects.filter(connector=connector).count() == 20


def test_a_run_that_keeps_its_log_finishes_it(sample_upstream, make_connector):
    upstream = sample_upstream(records=30, page_size=10, style="page")
    connector = make_connector(upstream=upstream, pagination={"type": "page", "page_size": 10})
    log = SyncLog.objects.create(tenant=connector.tenant, connector=connector)

    result = DataSyncService(connector).sync_data(sync_log=log)

    assert result.status == SyncStatus.SUCCESS
    assert SyncedRecord.objects.filter(connector=connector).count() == 30
