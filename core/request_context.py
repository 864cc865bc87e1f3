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


# The client's address is kept apart from the log context: it is for records that need it (the
# activity hook's audit trail), not for every log line.
_client_address: contextvars.ContextVar = contextvars.ContextVar("migrateiq_client_address", default="")


def get_client_address() -> str:
    """The address of the client of the current request ("" outside one), as the throttles see it
    (``REST_FRAMEWORK["NUM_PROXIES"]`` trusted proxies)."""
    return _client_address.get()


def set_client_address(address: str) -> contextvars.Token:
    return _client_address.set(address or "")


def reset_client_address(token: contextvars.Token) -> None:
    _client_address.reset(token)
