"""Explicit extension points of the sync engine (in the shape of Wagtail's ``wagtail/hooks.py``).

A module subscribes in its ``AppConfig.ready()``::

    from sync_engine import hooks

    hooks.register("run_finished", my_handler)      # my_handler(run) after the run's end commits

Hooks of the engine:

* ``run_started(run)``: a run was created (queued or started at once).
* ``run_finished(run)``: a run ended, by any path (the engine, a cancel while pending, attempts
  exhausted, the reaper); called after the transaction that ended it commits, with the finished
  ``SyncLog`` (status ``SUCCESS``, ``PARTIAL``, ``FAILED`` or ``CANCELLED``).

Handlers run in registration order. A handler that raises is logged and skipped: a subscriber's
failure never changes a run's result or stops the other handlers. Tests register temporarily with
:func:`registered`.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from django.db import transaction

logger = logging.getLogger(__name__)

HOOKS = ("run_started", "run_finished")
_handlers: dict[str, list[Callable]] = defaultdict(list)


def register(hook: str, handler: Callable) -> Callable:
    """Call ``handler`` on ``hook``; returns it (usable as a decorator with ``functools.partial``)."""
    if hook not in HOOKS:
        raise ValueError(f"Unknown hook {hook!r}; the engine's hooks are {', '.join(HOOKS)}.")
    if handler not in _handlers[hook]:
        _handlers[hook].append(handler)
    return handler


def unregister(hook: str, handler: Callable) -> None:
    if handler in _handlers[hook]:
        _handlers[hook].remove(handler)


def handlers(hook: str) -> list[Callable]:
    return list(_handlers[hook])


@contextmanager
def registered(hook: str, handler: Callable) -> Iterator[Callable]:
    """Register ``handler`` for the duration of a ``with`` block (tests)."""
    register(hook, handler)
    try:
        yield handler
    finally:
        unregister(hook, handler)


def run_now(hook: str, *args) -> None:
    for handler in handlers(hook):
        try:
            handler(*args)
        except Exception:
            logger.exception("The %s handler %r failed", hook, handler)


def run_after_commit(hook: str, *args) -> None:
    """Call the handlers once the current transaction commits (at once outside one)."""
    transaction.on_commit(lambda: run_now(hook, *args))
