"""Log lines of a sync run (``SyncLogEvent``), written by the engine and the background runs alike."""

from core.redaction import redact
from sync_engine.models import SyncLogEvent

MAX_EVENT_LENGTH = 4000


def record_event(sync_log_id: int, message: str, level: str = SyncLogEvent.Level.INFO) -> None:
    """Append a line to a run's log; credentials are redacted and long messages cut."""
    SyncLogEvent.objects.create(
        sync_log_id=sync_log_id, level=level, message=redact(message)[:MAX_EVENT_LENGTH]
    )
