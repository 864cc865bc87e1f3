"""Thin Celery tasks of the sync engine: each one calls a service in :mod:`sync_engine.queue`.

``run_sync_log`` acknowledges late and is rejected (requeued) when its worker dies, so a killed
worker does not lose the sync; the attempt counter kept in the database bounds a message that
kills its worker every time.
"""

from celery import shared_task
from django.conf import settings

from sync_engine import queue

#: The run budget (MIGRATEIQ_SYNC_MAX_SECONDS) is checked between pages and bounds every upstream
#: request; these limits back it up for anything else that overruns (a page that takes too long to
#: transform or store): the soft limit ends the run FAILED and resumable, the hard one kills the
#: pool process (the message is redelivered; the attempt counter bounds it).
SOFT_TIME_LIMIT = settings.MIGRATEIQ_SYNC_MAX_SECONDS + settings.MIGRATEIQ_SYNC_TIME_LIMIT_GRACE_SECONDS
HARD_TIME_LIMIT = SOFT_TIME_LIMIT + 60

RUN_OPTIONS = {
    "acks_late": True,
    "reject_on_worker_lost": True,
    "soft_time_limit": SOFT_TIME_LIMIT,
    "time_limit": HARD_TIME_LIMIT,
}


@shared_task(name="sync_engine.tasks.run_sync_log", **RUN_OPTIONS)
def run_sync_log(sync_log_id: int) -> None:
    queue.execute_sync_log(sync_log_id)


@shared_task(name="sync_engine.tasks.reap_stale_syncs", ignore_result=True)
def reap_stale_syncs() -> None:
    queue.reap_stale_syncs()
