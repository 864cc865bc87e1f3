"""Explicit extension points (in the shape of Wagtail's ``wagtail/hooks.py``): named hooks that
platform apps define and fire, and that modules subscribe to from their ``AppConfig.ready()``::

    from core import hooks

    hooks.register("run_finished", my_handler)      # my_handler(run) after the run's end commits

The hooks an app fires are defined once, with what their handlers receive (:func:`define`); the
current ones are listed in ``docs/extensions.md`` ("Hooks"). Handlers run in registration order,
after the transaction that caused the event commits (at once outside one). A handler that raises is
logged and counted (``migrateiq_hook_failures_total{hook}``) and skipped: a subscriber's failure
never changes what fired the hook or stops the other handlers. Tests register temporarily with
:func:`registered`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from django.db import transaction

from core.metrics import hook_failures_total

logger = logging.getLogger(__name__)

_defined: dict[str, str] = {}
_handlers: dict[str, list[Callable]] = {}


def define(hook: str, description: str) -> None:
    """Declare ``hook`` (done by the app that fires it, at import); ``description`` says what its
    handlers receive."""
    _defined.setdefault(hook, description)
    _handlers.setdefault(hook, [])


def defined() -> dict[str, str]:
    return dict(_defined)


def register(hook: str, handler: Callable) -> Callable:
    """Call ``handler`` on ``hook``; returns it."""
    if hook not in _defined:
        raise ValueError(f"Unknown hook {hook!r}; the hooks are {', '.join(sorted(_defined)) or 'none'}.")
    if handler not in _handlers[hook]:
        _handlers[hook].append(handler)
    return handler


def unregister(hook: str, handler: Callable) -> None:
    if handler in _handlers.get(hook, []):
        _handlers[hook].remove(handler)


def handlers(hook: str) -> list[Callable]:
    return list(_handlers.get(hook, []))


@contextmanager
def registered(hook: str, handler: Callable) -> Iterator[Callable]:
    """Register ``handler`` for the duration of a ``with`` block (tests)."""
    register(hook, handler)
    try:
        yield handler
    finally:
        unregister(hook, handler)


def run_now(hook: str, *args) -> None:
    """Call ``hook``'s handlers now, each isolated from the others' failures."""
    for handler in handlers(hook):
        try:
            handler(*args)
        except Exception:
            hook_failures_total.labels(hook=hook).inc()
            logger.exception("The %s handler %r failed", hook, handler)


def run_after_commit(hook: str, *args) -> None:
    """Call ``hook``'s handlers once the current transaction commits (at once outside one)."""
    transaction.on_commit(lambda: run_now(hook, *args))
