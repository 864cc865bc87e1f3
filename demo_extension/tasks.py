"""Thin Celery tasks of the connectors module: the schedule dispatcher.

The sync runs themselves are the engine's tasks (``sync_engine.tasks``); the two names below are
kept so that messages queued (and beat schedules written) before the engine became a platform app
are still executed.
"""

from celery import shared_task

from demo_extension.services import schedule
from sync_engine import queue
from sync_engine.tasks import RUN_OPTIONS


@shared_task(name="demo_extension.tasks.dispatch_due_syncs", ignore_result=True)
def dispatch_due_syncs() -> int:
    return len(schedule.dispatch_due_syncs())


@shared_task(name="demo_extension.tasks.run_sync_log", **RUN_OPTIONS)
def run_sync_log(sync_log_id: int) -> None:
    """Earlier name of ``sync_engine.tasks.run_sync_log``."""
    queue.execute_sync_log(sync_log_id)


@shared_task(name="demo_extension.tasks.reap_stale_syncs", ignore_result=True)
def reap_stale_syncs() -> None:
    """Earlier name of ``sync_engine.tasks.reap_stale_syncs``."""
    queue.reap_stale_syncs()
