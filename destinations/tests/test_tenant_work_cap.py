"""A tenant's loads take worker processes as its syncs do, so they share its cap
(``MIGRATEIQ_TENANT_MAX_CONCURRENT_SYNCS``): a load or a sync over it waits, queued again, and
another tenant's goes ahead."""

from datetime import timedelta

import pytest
from django.utils import timezone

from destinations.models import DestinationLoad, LoadStatus
from destinations.services import attachments, loads
from sync_engine import queue
from sync_engine.models import SyncLog, SyncStatus

pytestmark = pytest.mark.django_db

WAITING = (
    "Waiting: this tenant already has 1 sync(s) or load(s) running (MIGRATEIQ_TENANT_MAX_CONCURRENT_SYNCS)."
)


@pytest.fixture
def capped(settings):
    settings.MIGRATEIQ_TENANT_MAX_CONCURRENT_SYNCS = 1
    settings.MIGRATEIQ_SYNC_DEFER_SECONDS = 0.5


def _sync_log(connector, status):
    now = timezone.now()
    fields = {"tenant_id": connector.tenant_id, "connector": connector, "status": status, "heartbeat_at": now}
    return SyncLog.objects.create(**fields, started_at=now if status == SyncStatus.RUNNING else None)


def _running_load(attachment):
    now = timezone.now()
    return DestinationLoad.objects.create(
        tenant_id=attachment.tenant_id,
        destination_id=attachment.destination_id,
        connector_id=attachment.connector_id,
        status=LoadStatus.RUNNING,
        started_at=now,
        heartbeat_at=now,
    )


def test_a_load_waits_while_its_tenant_has_its_cap_of_syncs_running_and_another_tenants_goes_ahead(
    capped, attached, make_destination, make_connector, tenant_b
):
    """Before: loads counted against no cap: an editor's loads into slow (or silent) destinations
    held every worker process while the other tenants' syncs and loads waited."""
    _destination, connector, attachment = attached
    _sync_log(make_connector(name="Busy"), SyncStatus.RUNNING)
    other = attachments.attach(make_destination(tenant=tenant_b), make_connector(tenant_b, name="Theirs").pk)

    waiting = loads.execute_load(loads.start_load(attachment, queue=False).pk)
    theirs = loads.execute_load(loads.start_load(other, queue=False).pk)

    assert waiting.status == LoadStatus.PENDING
    assert [event["message"] for event in waiting.events] == [WAITING]
    assert theirs.status == LoadStatus.SUCCESS, theirs.error_message


def test_a_load_waits_while_its_tenant_has_its_cap_of_loads_running(capped, attached, make_destination):
    _destination, connector, attachment = attached
    _running_load(attachments.attach(make_destination(name="Busy"), connector.pk))

    waiting = loads.execute_load(loads.start_load(attachment, queue=False).pk)

    assert waiting.status == LoadStatus.PENDING


def test_a_sync_waits_while_its_tenant_has_its_cap_of_loads_running(capped, attached, make_connector):
    _destination, connector, attachment = attached
    _running_load(attachment)
    run = _sync_log(make_connector(name="Next"), SyncStatus.PENDING)

    queue.execute_sync_log(run.pk)

    run.refresh_from_db()
    assert run.status == SyncStatus.PENDING
    assert any("already has 1 sync(s) running" in m for m in run.events.values_list("message", flat=True))


def test_a_stale_load_does_not_hold_its_tenants_slot(capped, attached, sample_upstream, make_connector):
    _destination, connector, attachment = attached
    DestinationLoad.objects.filter(pk=_running_load(attachment).pk).update(
        heartbeat_at=timezone.now() - timedelta(hours=1)
    )
    upstream = sample_upstream(records=3, page_size=3, style="page")
    run = _sync_log(make_connector(name="Next", upstream=upstream), SyncStatus.PENDING)

    queue.execute_sync_log(run.pk)

    assert SyncLog.objects.get(pk=run.pk).status == SyncStatus.SUCCESS


def test_an_operators_command_loads_at_once_whatever_the_cap(capped, attached, make_connector):
    _destination, connector, attachment = attached
    _sync_log(make_connector(name="Busy"), SyncStatus.RUNNING)

    load = loads.execute_load(loads.start_load(attachment, queue=False).pk, on_a_worker=False)

    assert load.status == LoadStatus.SUCCESS, load.error_message
