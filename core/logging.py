"""Log formatters: JSON lines in production, readable lines in development.

Every record carries the request / task context (request id, tenant, user, connector, sync) and
is passed through :func:`core.redaction.redact` so credentials never reach a log pipeline.
"""

import json
import logging
from datetime import UTC, datetime

from core.redaction import redact
from core.request_context import get_log_context

_CONTEXT_KEYS = ("request_id", "tenant", "user", "connector", "sync")


class RequestContextFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        context = get_log_context()
        for key in _CONTEXT_KEYS:
            if not hasattr(record, key):
                setattr(record, key, context.get(key))
        return True


class JsonFormatter(logging.Formatter):
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
                payload[key] = value
        if record.exc_info:
            payload["exc"] = redact(self.formatException(record.exc_info))
        return json.dumps(payload, default=str)


class TextFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        ctx = " ".join(
            f"{key}={getattr(record, key)}" for key in _CONTEXT_KEYS if getattr(record, key, None) is not None
        )
        line = f"{datetime.fromtimestamp(record.created):%H:%M:%S} {record.levelname:<7} {record.name}: "
        line += redact(record.getMessage())
        if ctx:
            line += f" [{ctx}]"
        if record.exc_info:
            line += "\n" + redact(self.formatException(record.exc_info))
        return line
