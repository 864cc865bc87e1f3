"""Connector schedules: when a connector syncs next, and dispatching the connectors that are due.

``next_sync_at`` is derived from ``sync_frequency``: ``MANUAL`` and inactive connectors have none.
It is set when a connector is created or changed (:func:`refresh_next_sync_at`), when the beat
dispatches a due connector (:func:`dispatch_due_syncs`, from *now*, so a beat that was down for a
day produces one catch-up sync rather than a burst) and when each sync starts (:func:`schedule_next_sync`).

A schedule may be anchored, in UTC: ``sync_time`` is the time of day of DAILY and WEEKLY syncs (of
HOURLY ones, only its minutes count) and ``sync_weekday`` (Monday = 0) the day of WEEKLY ones. An
anchored connector's next sync is the next such time strictly after now, whenever it was saved or
last ran; an unanchored one syncs one interval after its save or its last run.

An anchored schedule's slot belongs to the schedule: a sync started otherwise (by hand, the API, the
web UI) does not move it, and a slot that falls while such a sync is in progress stays due until it
ends, then runs once. "Daily at 02:00" runs at 02:00 (or just after a manual sync that overlapped
it) every day, whatever was synced by hand shortly before.
"""

import logging
from datetime import UTC, datetime, time, timedelta

from django.db import transaction
from django.utils import timezone

from demo_extension.models import CustomDataConnector, SyncFrequency
from sync_engine import queue
from sync_engine.errors import SyncAlreadyRunning
from sync_engine.models import SyncLog, TriggeredBy

logger = logging.getLogger(__name__)

INTERVALS = {
    SyncFrequency.HOURLY: timedelta(hours=1),
    SyncFrequency.DAILY: timedelta(days=1),
    SyncFrequency.WEEKLY: timedelta(weeks=1),
}


#: The schedule's anchor fields, and the frequencies each applies to.
ANCHOR_FREQUENCIES = {
    "sync_time": (SyncFrequency.HOURLY, SyncFrequency.DAILY, SyncFrequency.WEEKLY),
    "sync_weekday": (SyncFrequency.WEEKLY,),
}


def anchor_errors(frequency: str, sync_time: time | None, sync_weekday: int | None) -> dict[str, str]:
    """What is wrong with a schedule's anchor, by field (empty: nothing); the API and the admin
    refuse these. An anchor field outside the frequencies it applies to, and a weekly anchor with
    a time but no day (or a day but no time), are refused rather than ignored."""
    values = {"sync_time": sync_time, "sync_weekday": sync_weekday}
    errors = {}
    for name, frequencies in ANCHOR_FREQUENCIES.items():
        if values[name] is not None and frequency not in frequencies:
            applies = ", ".join(str(f) for f in frequencies)
            errors[name] = f"{name} applies to sync_frequency {applies} only, not {frequency}: send null."
    if frequency == SyncFrequency.WEEKLY and not errors and (sync_time is None) != (sync_weekday is None):
        missing = "sync_weekday" if sync_weekday is None else "sync_time"
        errors[missing] = (
            "A WEEKLY schedule's anchor needs both sync_time and sync_weekday (Monday = 0): "
            f"set {missing} too, or send both as null."
        )
    return errors


def next_anchored(frequency: str, sync_time: time, sync_weekday: int | None, after: datetime) -> datetime:
    """The first time strictly after ``after`` that matches the anchor, in UTC."""
    after = after.astimezone(UTC)
    if frequency == SyncFrequency.HOURLY:
        candidate = after.replace(minute=sync_time.minute, second=0, microsecond=0)
        step = timedelta(hours=1)
    else:
        candidate = after.replace(hour=sync_time.hour, minute=sync_time.minute, second=0, microsecond=0)
        step = timedelta(days=1)
        if frequency == SyncFrequency.WEEKLY and sync_weekday is not None:
            candidate += timedelta(days=(sync_weekday - after.weekday()) % 7)
            step = timedelta(weeks=1)
    if candidate <= after:
        candidate += step
    return candidate


def is_anchored(connector) -> bool:
    return connector.sync_time is not None and connector.sync_frequency in INTERVALS


def compute_next_sync_at(connector, *, after: datetime | None = None) -> datetime | None:
    """The next scheduled sync of ``connector`` after ``after`` (default: now): the anchor's next
    time strictly after it when the schedule has one, one interval after it otherwise.

    ``None`` for ``MANUAL`` or inactive connectors: they are never scheduled.
    """
    interval = INTERVALS.get(connector.sync_frequency)
    if interval is None or not connector.is_active:
        return None
    after = after or timezone.now()
    if is_anchored(connector):
        return next_anchored(connector.sync_frequency, connector.sync_time, connector.sync_weekday, after)
    return after + interval


def refresh_next_sync_at(connector, *, now: datetime | None = None) -> datetime | None:
    """Recompute and store ``next_sync_at`` after a connector was created or changed.

    Call it from the service that saves a connector. A connector that keeps a schedule keeps its
    pending due time when it has one no later than a full interval from now (editing the name
    does not postpone the next sync); a new schedule, a shorter interval or a re-activation
    starts one interval from now. An anchored schedule syncs at the anchor's next time (or keeps a
    due time already past, which the beat dispatches next).
    """
    now = now or timezone.now()
    proposed = compute_next_sync_at(connector, after=now)
    current = connector.next_sync_at
    keep_until = now if is_anchored(connector) else proposed
    if proposed is not None and current is not None and current <= keep_until:
        value = current
    else:
        value = proposed
    CustomDataConnector.objects.filter(pk=connector.pk).update(next_sync_at=value)
    connector.next_sync_at = value
    return value


def schedule_next_sync(
    connector_id: int, *, after: datetime | None = None, by_schedule: bool = True
) -> datetime | None:
    """Set the next scheduled sync of a connector one interval after ``after`` (a sync's start).

    Called when a run starts, so that a connector synced by hand at 10:00 with a daily schedule
    next syncs at 10:00 tomorrow, and the API shows the new time as soon as the run has finished.
    An anchored schedule's pending slot is the anchor's: a run the schedule did not start
    (``by_schedule=False``) leaves it as it is, even when that slot's time has just passed (the
    beat dispatches it next).
    """
    connector = CustomDataConnector.objects.filter(pk=connector_id).first()
    if connector is None:
        return None
    if not by_schedule and is_anchored(connector) and connector.is_active and connector.next_sync_at:
        return connector.next_sync_at
    value = compute_next_sync_at(connector, after=after or timezone.now())
    CustomDataConnector.objects.filter(pk=connector_id).update(next_sync_at=value)
    return value


def schedule_unscheduled_connectors(*, now: datetime | None = None) -> int:
    """Give active, scheduled connectors that have no ``next_sync_at`` one, an interval from now
    (or their anchor's next time).

    A safety net run by the beat before each dispatch: a connector created or re-activated by a
    code path that did not call :func:`refresh_next_sync_at` is still scheduled. Returns how many.
    """
    now = now or timezone.now()
    count = 0
    for frequency, interval in INTERVALS.items():
        count += (
            CustomDataConnector.objects.unscoped("the beat schedules the connectors of every tenant")
            .filter(is_active=True, sync_frequency=frequency, next_sync_at__isnull=True, sync_time=None)
            .update(next_sync_at=now + interval)
        )
    anchored = (
        CustomDataConnector.objects.unscoped("the beat schedules the connectors of every tenant")
        .filter(is_active=True, sync_frequency__in=list(INTERVALS), next_sync_at__isnull=True)
        .exclude(sync_time=None)
    )
    for connector in anchored:
        count += CustomDataConnector.objects.filter(pk=connector.pk, next_sync_at__isnull=True).update(
            next_sync_at=compute_next_sync_at(connector, after=now)
        )
    return count


def due_connectors(*, now: datetime | None = None):
    """Active, scheduled connectors whose ``next_sync_at`` has passed (all tenants), of active tenants:
    a deactivated tenant's connectors stay where they are (no upstream called with their credentials,
    nothing loaded or sent to its webhooks) until the tenant is activated again, which runs each once
    (one catch-up sync, as after a beat that was down)."""
    now = now or timezone.now()
    return (
        CustomDataConnector.objects.unscoped("the beat dispatches the due connectors of every tenant")
        .filter(is_active=True, tenant__is_active=True, next_sync_at__lte=now)
        .exclude(sync_frequency=SyncFrequency.MANUAL)
        .order_by("next_sync_at", "pk")
    )


def dispatch_due_syncs(*, now=None, limit: int = 500) -> list:
    """Start a scheduled sync of every due connector (the beat calls this every minute).

    Each connector is claimed by a conditional update of its ``next_sync_at`` (to one interval
    from *now*, or its anchor's next time after now, so missed runs give one catch-up sync) so
    that two beats never dispatch it twice.
    A connector whose previous sync is still in progress is skipped until its next due time, but
    for an anchored schedule's slot that a sync started by hand (or the API, the UI) overlaps: that
    slot stays due, and the beat starts it once the sync in progress has ended.
    Returns the started sync logs.
    """
    now = now or timezone.now()
    schedule_unscheduled_connectors(now=now)
    started = []
    for connector in list(due_connectors(now=now)[:limit]):
        with transaction.atomic():
            claimed = CustomDataConnector.objects.filter(
                pk=connector.pk, next_sync_at=connector.next_sync_at
            ).update(next_sync_at=compute_next_sync_at(connector, after=now))
            if not claimed:
                continue
            try:
                started.append(queue.start_sync(connector, triggered_by=TriggeredBy.SCHEDULE))
            except SyncAlreadyRunning as exc:
                if is_anchored(connector) and not _started_by_schedule(exc.active_log_id):
                    CustomDataConnector.objects.filter(pk=connector.pk).update(
                        next_sync_at=connector.next_sync_at
                    )
                    logger.info(
                        "Scheduled sync of connector %s waits for sync log %s, started by hand, to end",
                        connector.pk,
                        exc.active_log_id,
                    )
                    continue
                logger.info(
                    "Scheduled sync of connector %s skipped: sync log %s is in progress",
                    connector.pk,
                    exc.active_log_id,
                )
    return started


def _started_by_schedule(sync_log_id: int | None) -> bool:
    """Whether the run in progress is the schedule's own (None: it ended meanwhile)."""
    if sync_log_id is None:
        return False
    return SyncLog.objects.filter(pk=sync_log_id, triggered_by=TriggeredBy.SCHEDULE).exists()


def plan_next_sync(run, now) -> None:
    """Before a queued run executes: the connector's next scheduled sync counts from now (an
    anchored schedule's slot moves only for the schedule's own runs)."""
    schedule_next_sync(run.connector_id, after=now, by_schedule=run.triggered_by == TriggeredBy.SCHEDULE)
