"""Faults for the Celery worker tests, loaded only by their worker subprocess (``celery worker
--include demo_extension.tests.worker_faults``); MigrateIQ's own processes never import it.

A connector whose name starts with :data:`WORKER_KILLER_PREFIX` makes the worker process that
syncs it exit at once, every time: a poison message that late acknowledgement would otherwise
redeliver forever.
"""

import os

from demo_extension.services.sync import DataSyncService

WORKER_KILLER_PREFIX = "worker-killer"

_sync_data = DataSyncService.sync_data


def _sync_data_or_die(self, *args, **kwargs):
    if self.connector.name.startswith(WORKER_KILLER_PREFIX):
        os._exit(1)
    return _sync_data(self, *args, **kwargs)


DataSyncService.sync_data = _sync_data_or_die
