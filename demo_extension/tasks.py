"""Thin Celery tasks: each one calls a service in ``demo_extension.services.runs``.

``run_sync_log`` acknowledges late and is rejected (requeued) when its worker dies, so a killed
worker does not lose the sync; the attempt counter kept in the database bounds a message that
kills its worker every time.
"""

from celery import shared_task
from django.conf import settings

from demo_extension.services import runs

#: The run budget (MIGRATEIQ_SYNC_MAX_SECONDS) is checked between pages and bounds every upstream
#: request; these limits back it up for anything else that overruns (a page that takes too long to
#: transform or store): the soft limit ends the run FAILED and resumable, the hard one kills the
#: pool process (the message is redelivered; the attempt counter bounds it).
SOFT_TIME_LIMIT = settings.MIGRATEIQ_SYNC_MAX_SECONDS + settings.MIGRATEIQ_SYNC_TIME_LIMIT_GRACE_SECONDS
HARD_TIME_LIMIT = SOFT_TIME_LIMIT + 60


@shared_task(
    name="demo_extension.tasks.run_sync_log",
    acks_late=True,
    reject_on_worker_lost=True,
    soft_time_limit=SOFT_TIME_LIMIT,
    time_limit=HARD_TIME_LIMIT,
)
def run_sync_log(sync_log_id: int) -> None:
    runs.execute_sync_log(sync_log_id)


@shared_task(name="demo_extension.tasks.dispatch_due_syncs", ignore_result=True)
def dispatch_due_syncs() -> int:
    return len(runs.dispatch_due_syncs())


@shared_task(name="demo_extension.tasks.reap_stale_syncs", ignore_result=True)
def reap_stale_syncs() -> None:
    runs.reap_stale_syncs()
