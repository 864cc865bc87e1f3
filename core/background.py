"""Background work: "run it now or queue it", the same way for every app and module.

::

    from core.background import run_after_commit

    run_after_commit("mymodule.tasks.rebuild", widget.pk, run_here=rebuild_widget,
                     on_queue_error=lambda widget_id: ...)

When the current transaction commits (at once outside one), either ``run_here(*args)`` runs in this
process (``MIGRATEIQ_SYNC_RUNNER="inline"`` or ``CELERY_TASK_ALWAYS_EAGER``: tests, one-off scripts)
or the Celery task named ``task_name`` is published with ``args`` (services name tasks, they never
import the task module). Nothing is published for a transaction that rolls back. When the broker
cannot take the message, the error is logged and ``on_queue_error(*args)`` decides what follows
(leave it for a reaper, mark the work failed); the caller's request never fails for it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from django.conf import settings
from django.db import transaction

logger = logging.getLogger(__name__)


def runs_in_process() -> bool:
    """Whether queued work runs in the calling process (the inline runner or eager Celery)."""
    return settings.MIGRATEIQ_SYNC_RUNNER == "inline" or bool(settings.CELERY_TASK_ALWAYS_EAGER)


def run_after_commit(
    task_name: str,
    *args,
    run_here: Callable[..., object],
    on_queue_error: Callable[..., object] | None = None,
) -> None:
    """Run ``run_here(*args)`` here or publish ``task_name(*args)``, once the transaction commits."""
    transaction.on_commit(
        lambda: dispatch(task_name, *args, run_here=run_here, on_queue_error=on_queue_error)
    )


def dispatch(task_name: str, *args, run_here, on_queue_error=None) -> None:
    """:func:`run_after_commit` without waiting for a commit."""
    if runs_in_process():
        run_here(*args)
        return
    from migrateiq.celery import app as celery_app

    try:
        celery_app.send_task(task_name, args=list(args))
    except Exception:
        logger.exception("Could not queue %s%r", task_name, args)
        if on_queue_error is not None:
            on_queue_error(*args)
