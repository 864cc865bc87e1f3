"""Log formatters: JSON lines in production, readable lines in development.

Every record carries the request / task context (request id, tenant, user, connector, sync) and
is passed through :func:`core.redaction.redact` so credentials never reach a log pipeline.

The same configuration (``settings.LOGGING``) applies in Celery workers:
:func:`keep_django_logging_in_celery` is connected to Celery's ``setup_logging`` signal in
``core.apps.CoreConfig.ready``, which tells Celery not to install its own handlers and formats.
Task lines carry ``task_id``, and the ``request_id`` of the request that queued the task (sent as a
message header), so a sync started through the API can be followed into the worker.
"""

import json
import logging
import logging.config
from datetime import UTC, datetime

from core.redaction import redact
from core.request_context import get_log_context, reset_log_context, set_log_context

_CONTEXT_KEYS = ("request_id", "task_id", "tenant", "user", "connector", "sync")
#: Celery message header carrying the request id of the request that queued a task.
REQUEST_ID_HEADER = "migrateiq_request_id"
# Attributes every LogRecord has; anything else on a record came from ``extra=``.
_STANDARD_ATTRIBUTES = frozenset(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {
    "message",
    "asctime",
    "taskName",
    *_CONTEXT_KEYS,
}
# django.request passes the request object itself; it is summarised by the context instead.
_SKIPPED_EXTRAS = frozenset({"request", "server_time"})
_JSON_SCALARS = (str, int, float, bool, type(None))


def _context_from_request(request) -> dict:
    """Context of a log record emitted with ``extra={"request": request}`` after the middleware ran.

    Django logs 4xx/5xx responses (``django.request``) once the middleware chain has returned, when
    the request's log context is already gone; the request object still knows it.
    """
    context = {"request_id": getattr(request, "request_id", None)}
    tenant = getattr(request, "tenant", None)
    membership = getattr(request, "membership", None)
    if tenant is not None:
        context["tenant"] = getattr(tenant, "slug", None)
    if membership is not None:
        context["user"] = getattr(membership, "user_id", None)
    return context


class RequestContextFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        context = get_log_context()
        request = getattr(record, "request", None)
        if request is not None and not context.get("request_id"):
            context = {**_context_from_request(request), **context}
        for key in _CONTEXT_KEYS:
            if getattr(record, key, None) is None:
                setattr(record, key, context.get(key))
        return True


class StalledWriteFilter(logging.Filter):
    """gunicorn's line for a download whose client stopped reading: the socket's stall bound
    (``core.interactive``, ``MIGRATEIQ_DOWNLOAD_STALL_SECONDS``) ends the write with a timeout, which
    gunicorn logs as "Socket error processing request." with a traceback (a timeout has no errno, so
    it is not among the broken connections it ignores). It is an expected end, said in one line."""

    def filter(self, record: logging.LogRecord) -> bool:
        exc = record.exc_info[1] if record.exc_info else None
        if isinstance(exc, TimeoutError) and record.msg == "Socket error processing request.":
            from django.conf import settings  # the worker's: loaded with the application

            record.msg = (
                "A client read nothing of an answer for %g s (MIGRATEIQ_DOWNLOAD_STALL_SECONDS): its "
                "connection was closed, its web thread is free again."
            )
            record.args = (settings.MIGRATEIQ_DOWNLOAD_STALL_SECONDS,)
            record.levelno, record.levelname = logging.WARNING, "WARNING"
            record.exc_info = record.exc_text = None
        return True


def _extras(record: logging.LogRecord) -> dict:
    extras = {}
    for key, value in vars(record).items():
        if key in _STANDARD_ATTRIBUTES or key in _SKIPPED_EXTRAS or key.startswith("_"):
            continue
        if isinstance(value, _JSON_SCALARS):
            extras[key] = redact(value) if isinstance(value, str) else value
    return extras


class JsonFormatter(logging.Formatter):
    """One JSON object per line: ts, level, logger, message, the context keys, ``extra=`` fields."""

    def format(self, record: logging.LogRecord) -> str:
        payload = {
            "ts": datetime.fromtimestamp(record.created, tz=UTC).isoformat(),
            "level": record.levelname,
            "logger": record.name,
            "message": redact(record.getMessage()),
        }
        for key in _CONTEXT_KEYS:
            value = getattr(record, key, None)
            if value is not None:
                payload[key] = redact(value) if isinstance(value, str) else value
        for key, value in _extras(record).items():
            payload.setdefault(key, value)
        if record.exc_info:
            payload["exc"] = redact(self.formatException(record.exc_info))
        if record.stack_info:
            payload["stack"] = redact(self.formatStack(record.stack_info))
        return json.dumps(payload, default=str)


class TextFormatter(logging.Formatter):
    """``12:00:01 INFO    logger: message [request_id=… tenant=… user=…]`` for a terminal."""

    def format(self, record: logging.LogRecord) -> str:
        ctx = " ".join(
            f"{key}={getattr(record, key)}" for key in _CONTEXT_KEYS if getattr(record, key, None) is not None
        )
        line = f"{datetime.fromtimestamp(record.created):%H:%M:%S} {record.levelname:<7} {record.name}: "
        line += redact(record.getMessage())
        if ctx:
            line += f" [{redact(ctx)}]"
        if record.exc_info:
            line += "\n" + redact(self.formatException(record.exc_info))
        if record.stack_info:
            line += "\n" + redact(self.formatStack(record.stack_info))
        return line


def keep_django_logging_in_celery(**kwargs) -> None:
    """Celery ``setup_logging`` receiver: keep the configuration Django applied from ``LOGGING``.

    Connecting any receiver makes Celery skip its own logging set-up, so worker and task lines go
    through the same handler, filter and formatter as the web process (JSON in production).
    """
    from django.conf import settings

    logging.config.dictConfig(settings.LOGGING)


def add_request_id_to_task_headers(headers=None, **kwargs) -> None:
    """Celery ``before_task_publish`` receiver: send the current request id along with the task."""
    request_id = get_log_context().get("request_id")
    if request_id and headers is not None:
        headers.setdefault(REQUEST_ID_HEADER, request_id)


_task_tokens: dict = {}


def bind_task_log_context(task_id=None, task=None, **kwargs) -> None:
    """Celery ``task_prerun`` receiver: the task's lines carry its id and the queuing request's id."""
    request = getattr(task, "request", None)
    request_id = getattr(request, REQUEST_ID_HEADER, None) or (getattr(request, "headers", None) or {}).get(
        REQUEST_ID_HEADER
    )
    _task_tokens[task_id] = set_log_context(task_id=task_id, request_id=request_id)


def reset_task_log_context(task_id=None, **kwargs) -> None:
    """Celery ``task_postrun`` receiver: nothing of a task's context leaks into the next task."""
    token = _task_tokens.pop(task_id, None)
    if token is not None:
        try:
            reset_log_context(token)
        except ValueError:  # set in another context (thread); nothing of ours to undo here
            pass
