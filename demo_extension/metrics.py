"""The connectors module's metrics read at scrape time (registered in ``apps.py``).

The running-syncs gauge is not kept in memory at all: it is counted in the database at scrape time,
so it is right whichever process (web or worker, on any host) runs the syncs.
"""

from django.db.models import Count, Q
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from demo_extension.models import SyncLog, SyncStatus


class SyncRunsCollector(Collector):
    """``migrateiq_syncs_running`` / ``migrateiq_syncs_pending``, counted in the database per scrape.

    One query per scrape (not per process), right across web and worker processes.
    """

    def collect(self):
        counts = SyncLog.objects.aggregate(
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
