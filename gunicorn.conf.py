"""Gunicorn configuration of the MigrateIQ web process: ``gunicorn migrateiq.wsgi -c gunicorn.conf.py``.

Prometheus metrics with several workers: set ``PROMETHEUS_MULTIPROC_DIR`` to an empty directory
writable by the web and worker processes of this host, in the environment of *every* process
(gunicorn, and the Celery workers that should appear in the same ``/metrics``), and empty it before
they start (e.g. in the container entrypoint or a systemd ``ExecStartPre``). Each process writes its
values there; ``/metrics`` adds them up. Do not empty it from here: Celery workers sharing the
directory would lose their counts. See docs/observability.md.
"""

import os
import signal
import threading

from core import shutdown
from migrateiq.env import env_bool, env_float, env_int, env_str

bind = env_str("GUNICORN_BIND", "0.0.0.0:8000")
workers = env_int("WEB_CONCURRENCY", 3)
timeout = env_int("GUNICORN_TIMEOUT", 60)
# On SIGTERM, requests in flight get this long before their workers are killed: below the 10 s an
# orchestrator is promised (Compose stop_grace_period, Kubernetes terminationGracePeriodSeconds).
graceful_timeout = env_int("GUNICORN_GRACEFUL_TIMEOUT", 8)
# On SIGINT (`make run`'s Ctrl-C) or SIGQUIT, gunicorn's quick shutdown: requests in flight get this
# long, then the worker exits (see worker_int below).
_quick_shutdown_seconds = env_float("GUNICORN_QUICK_SHUTDOWN_TIMEOUT", 1.0)
# Access lines come from MigrateIQ's request middleware (with request id, tenant and route);
# gunicorn's own would repeat them without that context.
accesslog = None
errorlog = "-"
# gunicorn's own lines (start, worker boot/timeout) in the same format as the application's; the
# default mirrors settings.LOG_FORMAT (json in production, text in the embedded default / DEBUG).
_production = bool(env_str("DATABASE_URL")) and not env_bool("DEBUG", False)
_formatter = (
    "JsonFormatter" if env_str("LOG_FORMAT", "json" if _production else "text") == "json" else "TextFormatter"
)
logconfig_dict = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"migrateiq": {"()": f"core.logging.{_formatter}"}},
    # a download ended by its stall bound is one line, not "Socket error processing request." + traceback
    "filters": {"stalled_writes": {"()": "core.logging.StalledWriteFilter"}},
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "migrateiq",
            "filters": ["stalled_writes"],
            "stream": "ext://sys.stderr",
        }
    },
    "loggers": {"gunicorn.error": {"level": "INFO", "handlers": ["console"], "propagate": False}},
    "root": {"level": "INFO", "handlers": []},
}


def on_starting(server):
    path = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if path:
        os.makedirs(path, exist_ok=True)


def post_worker_init(worker):
    """The first SIGINT or SIGQUIT starts a worker's quick shutdown; a second one is ignored.

    Ctrl-C sends SIGINT to every process of the terminal's process group, so a worker gets the
    terminal's SIGINT and, at the same moment, the SIGQUIT its arbiter relays. gunicorn's handler
    taken a second time, inside the first (which holds the thread pool's shutdown lock), waits for
    that lock forever, until the arbiter kills the worker at ``graceful_timeout`` with "Worker was
    sent SIGKILL! Perhaps out of memory?".
    """
    quit_now = worker.handle_quit
    quitting = []

    def quit_once(signum, frame):
        if not quitting:
            quitting.append(signum)
            quit_now(signum, frame)

    signal.signal(signal.SIGINT, quit_once)
    signal.signal(signal.SIGQUIT, quit_once)

    # calls that hold a web thread (connection tests, previews, waits, exports) leave one free: a
    # thread of a process of several, else a process of the server's (counted in Redis)
    from core.interactive import set_web_threads

    set_web_threads(worker.cfg.threads, processes=worker.cfg.workers)


def worker_int(worker):
    """SIGINT / SIGQUIT in a worker (gunicorn's quick shutdown, e.g. Ctrl-C): it exits within
    GUNICORN_QUICK_SHUTDOWN_TIMEOUT (1 s), with status 0.

    gunicorn leaves the worker's loop at once, but the interpreter then waits for the request
    threads, and they first take every connection queued to them: a browser's connections that send
    nothing yet (its spare preconnected sockets) hold a thread for up to 5 s each, until the arbiter
    kills the worker at ``graceful_timeout`` and logs "Worker was sent SIGKILL! Perhaps out of
    memory?". So: connections not started yet are dropped, requests waiting for a run (``?wait=``)
    answer with the run as it is (``core.shutdown``), and whatever still runs after the timeout ends
    with the process.
    """
    shutdown.request("the web server is stopping")
    pool = getattr(worker, "tpool", None)  # gthread
    if pool is not None:
        pool.shutdown(wait=False, cancel_futures=True)
    deadline = threading.Timer(_quick_shutdown_seconds, os._exit, (0,))
    deadline.daemon = True
    deadline.start()


def child_exit(server, worker):
    """A worker exited: drop its live gauges from the shared metrics (counters keep their totals)."""
    from core.metrics import mark_process_dead

    mark_process_dead(worker.pid)


# gunicorn's control socket (the ``gunicornc`` tool) would otherwise be created under
# $XDG_RUNTIME_DIR or $HOME/.gunicorn/: off unless GUNICORN_CONTROL_SOCKET names where to put it.
control_socket_disable = not env_str("GUNICORN_CONTROL_SOCKET", "")
if not control_socket_disable:
    control_socket = env_str("GUNICORN_CONTROL_SOCKET")
