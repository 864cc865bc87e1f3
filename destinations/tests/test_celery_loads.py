"""Loads on a real Celery worker: a sync that ends on the worker queues the load of its attached
destination, and the worker loads it into a throwaway PostgreSQL database (real Redis broker, real
worker process, real local upstream)."""

import pytest

from demo_extension.tests import test_celery_worker as workers
from destinations.models import DestinationLoad, LoadStatus
from destinations.services import attachments
from destinations.tests.conftest import query
from sync_engine.models import SyncedRecord, SyncLog, SyncStatus

pytestmark = [
    pytest.mark.celery_worker,
    pytest.mark.xdist_group("celery"),
    pytest.mark.django_db(transaction=True),
    pytest.mark.timeout(90),
]

SYNC_URL = "/api/demo-extension/connectors/{}/sync_data/"

# the worker fixtures of the sync engine's tests: a Redis queue of this test, worker processes on it
broker = workers.broker
start_worker = workers.start_worker


def test_a_sync_ending_on_a_worker_queues_the_load_and_the_worker_loads_the_destination(
    start_worker, sample_upstream, make_connector, make_destination, pg_database, editor_client
):
    upstream = sample_upstream(records=120, page_size=40, style="page")
    connector = make_connector(upstream=upstream, name="Users")
    destination = make_destination(target_schema="warehouse")
    attachments.attach(destination, connector.pk, "users")
    start_worker(allow=[upstream.netloc, "127.0.0.1:5432"])

    response = editor_client.post(SYNC_URL.format(connector.pk) + "?wait=0")

    assert response.status_code == 202, response.content
    workers.wait_for_status(SyncLog.objects.get(pk=response.json()["id"]), SyncStatus.SUCCESS)

    def load_finished():
        found = DestinationLoad.objects.filter(destination=destination).first()
        return (
            found if found is not None and found.status in (LoadStatus.SUCCESS, LoadStatus.FAILED) else None
        )

    load = workers.wait_until(load_finished, 30, "the load queued by the sync to finish on the worker")
    assert load.status == LoadStatus.SUCCESS, load.error_message
    assert load.triggered_by == DestinationLoad.Trigger.SYNC
    assert (load.from_seq, load.to_seq, load.rows_upserted) == (0, 120, 120)

    stored = dict(SyncedRecord.objects.filter(connector=connector).values_list("external_id", "data"))
    loaded = query(pg_database, "SELECT _migrateiq_record_id, id, email FROM warehouse.users ORDER BY id")
    assert len(loaded) == 120
    assert [(str(row[1]), row[2]) for row in loaded] == sorted(
        ((key, data["email"]) for key, data in stored.items()), key=lambda pair: int(pair[0])
    )
    assert all(record_id == str(id_) for record_id, id_, _ in loaded)
