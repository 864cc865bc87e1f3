"""Per-request / per-task context (request id, tenant, user, connector, sync) for log lines.

Context variables work for threads and for Celery tasks alike; the middleware and the sync service
bind values, the logging filter reads them.
"""

import contextlib
import contextvars
from types import MappingProxyType

_EMPTY: MappingProxyType[str, object] = MappingProxyType({})
_context: contextvars.ContextVar = contextvars.ContextVar("migrateiq_log_context", default=_EMPTY)


def get_log_context() -> dict:
    return _context.get()


@contextlib.contextmanager
def bind_log_context(**values):
    """Add ``values`` to the log context for the duration of the block."""
    merged = {**_context.get(), **{k: v for k, v in values.items() if v is not None}}
    token = _context.set(merged)
    try:
        yield
    finally:
        _context.reset(token)


def set_log_context(**values) -> contextvars.Token:
    merged = {**_context.get(), **{k: v for k, v in values.items() if v is not None}}
    return _context.set(merged)


def reset_log_context(token: contextvars.Token) -> None:
    _context.reset(token)
