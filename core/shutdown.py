"""This process is stopping: a process-wide flag that long-running work checks at safe points.

Whoever learns that the process is going away calls :func:`request` with the reason, in words a
log line can show ("the worker is shutting down (Ctrl-C)"): a Celery pool process on the SIGINT of a
terminal's Ctrl-C (``migrateiq/celery.py``), a gunicorn worker on its quick shutdown
(``gunicorn.conf.py``). The work then ends early *and cleanly* instead of being killed halfway:

* a sync stops at its next page boundary with its committed pages and checkpoint, resumable
  (``sync_engine.engine``), and an upstream request is not retried (``core.http``);
* a request that waits for a run (``?wait=``) answers with the run as it is now
  (``sync_engine.queue.wait_for``).

The flag stays set (:func:`reset` is for tests): a process that was asked to stop starts no new work.
"""

import threading

_stopping = threading.Event()
_reason = ""


def request(reason: str) -> None:
    """Ask this process's long-running work to stop at its next safe point. Safe in a signal
    handler (it only sets a flag); the first reason given is kept."""
    global _reason
    if not _stopping.is_set():
        _reason = reason
        _stopping.set()


def requested() -> str:
    """Why this process is stopping ("" while it is not)."""
    return _reason if _stopping.is_set() else ""


def reset() -> None:
    """Tests only: the process is no longer stopping."""
    global _reason
    _stopping.clear()
    _reason = ""


def wait(seconds: float) -> bool:
    """Sleep up to ``seconds``; True, early, as soon as the process is asked to stop."""
    return _stopping.wait(seconds)
