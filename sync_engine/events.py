"""Log lines of a sync run (``SyncLogEvent``), written by the engine and the background runs alike."""

from core.redaction import redact
from sync_engine.models import SyncLogEvent

MAX_EVENT_LENGTH = 4000


def record_event(sync_log_id: int, message: str, level: str = SyncLogEvent.Level.INFO, at=None) -> None:
    """Append a line to a run's log; credentials are redacted and long messages cut. ``at``: when
    it happened, for a line written later (a retry of a page fetched ahead); default now."""
    event = SyncLogEvent.objects.create(
        sync_log_id=sync_log_id, level=level, message=redact(message)[:MAX_EVENT_LENGTH]
    )
    if at is not None:  # ``at`` is auto_now_add: set after the insert (rare: retries only)
        SyncLogEvent.objects.filter(pk=event.pk).update(at=at)
