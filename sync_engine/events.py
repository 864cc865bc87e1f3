"""Log lines of a sync run (``SyncLogEvent``), written by the engine and the background runs alike."""

from django.db import transaction
from django.db.models import F, Q

from core.redaction import redact
from sync_engine.models import SyncLog, SyncLogEvent

MAX_EVENT_LENGTH = 4000
#: How many warnings a run keeps in ``SyncLog.warnings`` (its log keeps every line).
MAX_RUN_WARNINGS = 100
#: The line after a run's last logged retry line (``engine.MAX_RETRY_EVENTS``).
FURTHER_RETRIES = "Further retries are not logged."
# What every retry line of the HTTP client holds ("... (attempt 2 of 5); retrying in 0.5 s").
_RETRYING = "); retrying in "


def retry_line(page: int, message: str) -> str:
    """A retried request's line in the run's log: a warning in the log, never one of the run's
    ``warnings`` (``SyncLog.retries`` counts them)."""
    return f"Page {page}: {message}"


def is_retry_line(message: str) -> bool:
    """Whether a log line is one of :func:`retry_line`'s (or :data:`FURTHER_RETRIES`)."""
    return message == FURTHER_RETRIES or (message.startswith("Page ") and _RETRYING in message)


def _not_retry_lines(events):
    retry_lines = Q(message=FURTHER_RETRIES) | Q(message__startswith="Page ", message__contains=_RETRYING)
    return events.exclude(retry_lines)


def event_text(message: str) -> str:
    """A log line as it is stored: credentials redacted, long messages cut."""
    return redact(message)[:MAX_EVENT_LENGTH]


def run_warnings(sync_log_id: int, more: tuple[str, ...] | list[str] = ()) -> list[str]:
    """The run's warnings so far (its warning-level log lines but its retry lines, oldest first) and
    ``more``, at most :data:`MAX_RUN_WARNINGS` of them (then a last line says how many more the log
    holds)."""
    warning_lines = _not_retry_lines(
        SyncLogEvent.objects.filter(sync_log_id=sync_log_id, level=SyncLogEvent.Level.WARNING)
    )
    logged = list(
        warning_lines.order_by("at", "id").values_list("message", flat=True)[: MAX_RUN_WARNINGS + 1]
    )
    found = [*logged, *(event_text(message) for message in more)]
    if len(found) <= MAX_RUN_WARNINGS:
        return found
    total = warning_lines.count()
    hidden = total + len(more) - (MAX_RUN_WARNINGS - 1)
    return [*found[: MAX_RUN_WARNINGS - 1], f"… and {hidden} more warning(s) in the run's log."]


def record_event(
    sync_log_id: int, message: str, level: str = SyncLogEvent.Level.INFO, at=None, *, retried: bool = False
) -> None:
    """Append a line to a run's log; credentials are redacted and long messages cut. ``at``: when
    it happened, for a line written later (a retry of a page fetched ahead); default now.

    ``retried``: the line tells of a retried request (``message`` is "" for one past the logged
    ones): the run's ``retries`` count goes up in the same transaction, so that the count a person
    watching the run sees agrees with its log while it runs, not only once it ended."""
    with transaction.atomic():
        run = SyncLog.objects.filter(pk=sync_log_id)
        if not (run.update(retries=F("retries") + 1) if retried else run.exists()):
            return  # the run's connector was deleted while it ran: there is no log to add to
        if not message:
            return
        event = SyncLogEvent.objects.create(sync_log_id=sync_log_id, level=level, message=event_text(message))
        if at is not None:  # ``at`` is auto_now_add: set after the insert (rare: retries only)
            SyncLogEvent.objects.filter(pk=event.pk).update(at=at)


def summary_prefix(status: str) -> str:
    """How a run's last log line begins (``Sync cancelled in 1.20 s: ...``, :func:`runs.finish_run`)."""
    return f"Sync {status.lower()} in "


def demote_cancel_line(sync_log_id: int) -> None:
    """A cancelled run is resumed: the line it ended with ("Cancelled; committed pages are kept.",
    a stop at a page boundary) is what happened to it, not a warning about its data, and is kept as
    an info line from now on (else the resumed run ends "SUCCESS · 1 warning" for it). That line is
    the one just before the run's last "Sync cancelled in ..." summary (:func:`runs.finish_run`)."""
    summary = (
        SyncLogEvent.objects.filter(sync_log_id=sync_log_id, message__startswith=summary_prefix("CANCELLED"))
        .order_by("-id")
        .values_list("id", flat=True)
        .first()
    )
    if summary is None:
        return
    ending = SyncLogEvent.objects.filter(sync_log_id=sync_log_id, id__lt=summary).order_by("-id").first()
    if ending is not None and ending.level == SyncLogEvent.Level.WARNING:
        SyncLogEvent.objects.filter(pk=ending.pk).update(level=SyncLogEvent.Level.INFO)
