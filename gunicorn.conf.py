"""Gunicorn configuration of the MigrateIQ web process: ``gunicorn migrateiq.wsgi -c gunicorn.conf.py``.

Prometheus metrics with several workers: set ``PROMETHEUS_MULTIPROC_DIR`` to an empty directory
writable by the web and worker processes of this host, in the environment of *every* process
(gunicorn, and the Celery workers that should appear in the same ``/metrics``), and empty it before
they start (e.g. in the container entrypoint or a systemd ``ExecStartPre``). Each process writes its
values there; ``/metrics`` adds them up. Do not empty it from here: Celery workers sharing the
directory would lose their counts. See docs/observability.md.
"""

import os

from migrateiq.env import env_int, env_str

bind = env_str("GUNICORN_BIND", "0.0.0.0:8000")
workers = env_int("WEB_CONCURRENCY", 3)
timeout = env_int("GUNICORN_TIMEOUT", 60)
# Access lines come from MigrateIQ's request middleware (with request id, tenant and route);
# gunicorn's own would repeat them without that context.
accesslog = None
errorlog = "-"


def on_starting(server):
    path = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if path:
        os.makedirs(path, exist_ok=True)


def child_exit(server, worker):
    """A worker exited: drop its live gauges from the shared metrics (counters keep their totals)."""
    from core.metrics import mark_process_dead

    mark_process_dead(worker.pid)
