"""The Celery app: the modules' background tasks (found in each app's ``tasks.py``) and their
schedules (each module's ``beat_schedule``, see ``core/extensions.py``).

Production (``CELERY_BROKER_URL=redis://...``), one process each, workers scaled as needed::

    gunicorn migrateiq.wsgi                                   # web
    celery -A migrateiq worker --loglevel INFO                # N of these
    celery -A migrateiq beat --loglevel INFO --schedule var/celerybeat-schedule   # exactly one

Embedded default (no broker configured): a filesystem transport under ``var/celery`` and one
worker with the beat embedded, as ``make run`` starts it (``scripts/worker.sh``)::

    celery -A migrateiq worker -B --schedule var/celerybeat-schedule --concurrency 2
"""

import os
import signal

from celery import Celery
from celery.signals import task_prerun, worker_process_init, worker_ready

from core import shutdown

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "migrateiq.settings")

app = Celery("migrateiq")
app.config_from_object("migrateiq.celery_config")
app.autodiscover_tasks()


@app.on_after_finalize.connect
def add_module_schedules(sender, **kwargs):
    """Every installed module's beat entries (``core.extensions.beat_schedule``).

    Finalizing comes after Django's set-up in every process: the worker and the beat load Django
    (Celery's Django fix-up) before they finalize the app, the web process before it sends a task.
    """
    from core.extensions import beat_schedule
    from migrateiq import celery_config

    # The platform's own entries are named to beat_schedule, which refuses a module's of the same name.
    sender.conf.beat_schedule = {
        **sender.conf.beat_schedule,
        **beat_schedule(platform=celery_config.beat_schedule),
    }


@worker_ready.connect
def stop_on_hangup(**kwargs):
    """SIGHUP (a closed terminal, a supervisor's reload) stops the worker like SIGTERM.

    Celery's own SIGHUP handler re-executes the worker in place: under Compose, Kubernetes or
    systemd that hides a stop request from the supervisor, which is the one that restarts processes.
    Installed when the worker is ready, after Celery has installed its handlers.
    """
    signal.signal(signal.SIGHUP, signal.getsignal(signal.SIGTERM))


_pool_process = False


@worker_process_init.connect
def mark_pool_process(**kwargs):
    global _pool_process
    _pool_process = True


@task_prerun.connect
def stop_syncs_on_ctrl_c(**kwargs):
    """Ctrl-C in the worker's terminal (``make run``, or ``celery worker`` run by hand) stops the
    sync a pool process runs at its next page boundary, resumable (``core.shutdown``).

    A terminal's SIGINT reaches every process of its process group, pool processes included, which
    ignore it (billiard sets that once a pool process has started, hence here, before each task);
    the main process then waits for their tasks (a warm shutdown): without this a sync would run to
    its end first. An orchestrator's SIGTERM reaches the main process only, and its soft shutdown
    hands a running sync back to the queue instead (README, "Graceful shutdown"). Only in pool
    processes: an eager task runs in its caller's process, whose SIGINT is not ours to take.
    """
    if _pool_process:
        signal.signal(signal.SIGINT, _stop_syncs)


def _stop_syncs(signum, frame) -> None:
    shutdown.request("the worker is stopping (Ctrl-C)")
