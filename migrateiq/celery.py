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
from celery.signals import worker_ready

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

    sender.conf.beat_schedule = {**sender.conf.beat_schedule, **beat_schedule()}


@worker_ready.connect
def stop_on_hangup(**kwargs):
    """SIGHUP (a closed terminal, a supervisor's reload) stops the worker like SIGTERM.

    Celery's own SIGHUP handler re-executes the worker in place: under Compose, Kubernetes or
    systemd that hides a stop request from the supervisor, which is the one that restarts processes.
    Installed when the worker is ready, after Celery has installed its handlers.
    """
    signal.signal(signal.SIGHUP, signal.getsignal(signal.SIGTERM))
