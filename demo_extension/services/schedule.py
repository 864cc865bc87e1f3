"""Connector schedules: when a connector syncs next, and dispatching the connectors that are due.

``next_sync_at`` is derived from ``sync_frequency``: ``MANUAL`` and inactive connectors have none.
It is set when a connector is created or changed (:func:`refresh_next_sync_at`), when the beat
dispatches a due connector (:func:`dispatch_due_syncs`, from *now*, so a beat that was down for a
day produces one catch-up sync rather than a burst) and when each sync starts (:func:`schedule_next_sync`).
"""

import logging
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from demo_extension.models import CustomDataConnector, SyncFrequency
from sync_engine import queue
from sync_engine.errors import SyncAlreadyRunning
from sync_engine.models import TriggeredBy

logger = logging.getLogger(__name__)

INTERVALS = {
    SyncFrequency.HOURLY: timedelta(hours=1),
    SyncFrequency.DAILY: timedelta(days=1),
    SyncFrequency.WEEKLY: timedelta(weeks=1),
}


def compute_next_sync_at(connector, *, after: datetime | None = None) -> datetime | None:
    """The next scheduled sync of ``connector`` one interval after ``after`` (default: now).

    ``None`` for ``MANUAL`` or inactive connectors: they are never scheduled.
    """
    interval = INTERVALS.get(connector.sync_frequency)
    if interval is None or not connector.is_active:
        return None
    return (after or timezone.now()) + interval


def refresh_next_sync_at(connector, *, now: datetime | None = None) -> datetime | None:
    """Recompute and store ``next_sync_at`` after a connector was created or changed.

    Call it from the service that saves a connector. A connector that keeps a schedule keeps its
    pending due time when it has one no later than a full interval from now (editing the name
    does not postpone the next sync); a new schedule, a shorter interval or a re-activation
    starts one interval from now.
    """
    now = now or timezone.now()
    proposed = compute_next_sync_at(connector, after=now)
    current = connector.next_sync_at
    if proposed is not None and current is not None and current <= proposed:
        value = current
    else:
        value = proposed
    CustomDataConnector.objects.filter(pk=connector.pk).update(next_sync_at=value)
    connector.next_sync_at = value
    return value


def schedule_next_sync(connector_id: int, *, after: datetime | None = None) -> datetime | None:
    """Set the next scheduled sync of a connector one interval after ``after`` (a sync's start).

    Called when a run starts (whatever triggered it), so that a connector synced by hand at 10:00
    with a daily schedule next syncs at 10:00 tomorrow, and the API shows the new time as soon
    as the run has finished.
    """
    connector = CustomDataConnector.objects.filter(pk=connector_id).first()
    if connector is None:
        return None
    value = compute_next_sync_at(connector, after=after or timezone.now())
    CustomDataConnector.objects.filter(pk=connector_id).update(next_sync_at=value)
    return value


def schedule_unscheduled_connectors(*, now: datetime | None = None) -> int:
    """Give active, scheduled connectors that have no ``next_sync_at`` one, an interval from now.

    A safety net run by the beat before each dispatch: a connector created or re-activated by a
    code path that did not call :func:`refresh_next_sync_at` is still scheduled. Returns how many.
    """
    now = now or timezone.now()
    count = 0
    for frequency, interval in INTERVALS.items():
        count += (
            CustomDataConnector.objects.unscoped("the beat schedules the connectors of every tenant")
            .filter(is_active=True, sync_frequency=frequency, next_sync_at__isnull=True)
            .update(next_sync_at=now + interval)
        )
    return count


def due_connectors(*, now: datetime | None = None):
    """Active, scheduled connectors whose ``next_sync_at`` has passed (all tenants)."""
    now = now or timezone.now()
    return (
        CustomDataConnector.objects.unscoped("the beat dispatches the due connectors of every tenant")
        .filter(is_active=True, next_sync_at__lte=now)
        .exclude(sync_frequency=SyncFrequency.MANUAL)
        .order_by("next_sync_at", "pk")
    )


def dispatch_due_syncs(*, now=None, limit: int = 500) -> list:
    """Start a scheduled sync of every due connector (the beat calls this every minute).

    Each connector is claimed by a conditional update of its ``next_sync_at`` (to one interval
    from *now*, so missed runs give one catch-up sync) so that two beats never dispatch it twice.
    A connector whose previous sync is still in progress is skipped until its next due time.
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
                logger.info(
                    "Scheduled sync of connector %s skipped: sync log %s is in progress",
                    connector.pk,
                    exc.active_log_id,
                )
    return started


def plan_next_sync(run, now) -> None:
    """Before a queued run executes: the connector's next scheduled sync counts from now."""
    schedule_next_sync(run.connector_id, after=now)
