"""Faults for the Celery worker tests, loaded only by their worker subprocess (``celery worker
--include demo_extension.tests.worker_faults``); MigrateIQ's own processes never import it.

A connector whose name starts with :data:`WORKER_KILLER_PREFIX` makes the worker process that
syncs it exit at once, every time: a poison message that late acknowledgement would otherwise
redeliver forever.
"""

import os

from sync_engine import queue

WORKER_KILLER_PREFIX = "worker-killer"

_run_sync = queue.run_sync


def _run_sync_or_die(connector, *args, **kwargs):
    if connector.name.startswith(WORKER_KILLER_PREFIX):
        os._exit(1)
    return _run_sync(connector, *args, **kwargs)


queue.run_sync = _run_sync_or_die
