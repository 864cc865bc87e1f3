"""The engine's Prometheus figures.

* finished runs by status, their duration and records: a ``run_finished`` hook (:func:`observe_finished_run`);
* running and pending runs: not kept in memory at all but counted in the database at scrape time
  (:class:`SyncRunsCollector`, registered in ``apps.py``), so they are right whichever process (web or
  worker, on any host) runs the syncs.
"""

from django.db.models import Count, Q
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from core.metrics import observe_sync_finished
from sync_engine.models import SyncLog, SyncStatus


def observe_finished_run(run) -> None:
    """``run_finished`` handler: count the run in ``/metrics``."""
    observe_sync_finished(run.status, run.duration_seconds, run.records_processed, run.records_failed)


class SyncRunsCollector(Collector):
    """``migrateiq_syncs_running`` / ``migrateiq_syncs_pending``, counted in the database per scrape.

    One query per scrape (not per process), right across web and worker processes.
    """

    def collect(self):
        counts = SyncLog.objects.unscoped("a metric of every tenant's runs").aggregate(
            running=Count("id", filter=Q(status=SyncStatus.RUNNING)),
            pending=Count("id", filter=Q(status=SyncStatus.PENDING)),
        )
        yield GaugeMetricFamily(
            "migrateiq_syncs_running", "Sync runs in progress now.", value=counts["running"]
        )
        yield GaugeMetricFamily(
            "migrateiq_syncs_pending", "Sync runs queued and not started yet.", value=counts["pending"]
        )

    def describe(self):
        # Registering must not query the database.
        return []
