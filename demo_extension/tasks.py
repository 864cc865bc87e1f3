"""Thin Celery tasks: each one calls a service in ``demo_extension.services.runs``.

``run_sync_log`` acknowledges late and is rejected (requeued) when its worker dies, so a killed
worker does not lose the sync; the attempt counter kept in the database bounds a message that
kills its worker every time.
"""

from celery import shared_task

from demo_extension.services import runs


@shared_task(name="demo_extension.tasks.run_sync_log", acks_late=True, reject_on_worker_lost=True)
def run_sync_log(sync_log_id: int) -> None:
    runs.execute_sync_log(sync_log_id)


@shared_task(name="demo_extension.tasks.dispatch_due_syncs", ignore_result=True)
def dispatch_due_syncs() -> int:
    return len(runs.dispatch_due_syncs())


@shared_task(name="demo_extension.tasks.reap_stale_syncs", ignore_result=True)
def reap_stale_syncs() -> None:
    runs.reap_stale_syncs()
