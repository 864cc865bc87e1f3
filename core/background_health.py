"""Whether the background work runs: the beat, the workers and the broker between them.

Queued and scheduled syncs, destination loads, webhook deliveries and the reapers all run on Celery
workers, published by the web process or by the beat. When the workers, the beat or the broker stop,
nothing fails: runs stay ``PENDING``, schedules come due and nothing happens. So the beat schedules a
tick (``core.tasks.record_background_tick``, every ``MIGRATEIQ_BACKGROUND_TICK_SECONDS``) that a worker
records here (:func:`record_tick`): a tick that ran proves the beat published, the broker carried and a
worker executed. :func:`background_status` reads it for ``GET /api/status/``, the web UI's banner and
``/metrics`` (``migrateiq_background_last_tick_timestamp_seconds``).

No tick for ``MIGRATEIQ_BACKGROUND_STALE_SECONDS`` is ``stopped``, except in a server that started less
than that long ago: ``starting`` (a deployment, ``make run`` again while its worker starts; the last
tick may be hours old), then ``stopped`` too.
"""

from __future__ import annotations

import socket
import time
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.utils import timezone

from core.models import BackgroundTick

TICK = "beat"
RUNNING, STARTING, STOPPED = "running", "starting", "stopped"
#: The states, as choices (the API's ``BackgroundStateEnum``).
STATES = [(RUNNING, RUNNING), (STARTING, STARTING), (STOPPED, STOPPED)]

#: What waits while nothing runs in the background (said in the ``stopped`` message).
WAITING_WORK = "queued and scheduled syncs, destination loads and webhook deliveries wait"

_process_started = time.monotonic()


def record_tick(now: datetime | None = None) -> None:
    """Record that the background work ran now (on this worker's host)."""
    BackgroundTick.objects.update_or_create(
        name=TICK, defaults={"last_at": now or timezone.now(), "hostname": socket.gethostname()[:255]}
    )


def last_tick_at() -> datetime | None:
    return BackgroundTick.objects.filter(name=TICK).values_list("last_at", flat=True).first()


def background_status(now: datetime | None = None, *, process_age: float | None = None) -> dict:
    """``{"state", "last_tick_at", "seconds_since_last_tick", "stale_after_seconds", "message"}``.

    ``process_age``: how long this server has run, in seconds (default: since this module was imported).
    """
    now = now or timezone.now()
    stale_after = settings.MIGRATEIQ_BACKGROUND_STALE_SECONDS
    age = time.monotonic() - _process_started if process_age is None else process_age
    last = last_tick_at()
    since = max(0.0, (now - last).total_seconds()) if last is not None else None
    if since is not None and since <= stale_after:
        state = RUNNING
        message = f"Background work runs: a worker last reported {_duration(since)} ago."
    elif age <= stale_after:
        # A server that just started (make run again, a deployment) usually started its workers
        # with it: their first tick is due within the limit, whatever the last one before it.
        state = STARTING
        before = "yet" if since is None else f"since this server started (last {_duration(since)} ago)"
        message = (
            f"No background worker has reported {before}: this server started {_duration(age)} ago, "
            f"a report is expected within {_duration(stale_after)}."
        )
    else:
        state = STOPPED
        if last is None or since is None:
            stopped = f"No background worker has reported since this server started {_duration(age)} ago"
        else:
            stopped = (
                f"Nothing has run in the background for {_duration(since)} (last at {_clock(last, now)})"
            )
        message = (
            f"{stopped}: {WAITING_WORK} until a Celery worker and the beat scheduler run and reach the "
            "broker (README, Production)."
        )
    return {
        "state": state,
        "last_tick_at": last,
        "seconds_since_last_tick": None if since is None else round(since, 1),
        "stale_after_seconds": stale_after,
        "message": message,
    }


def _duration(seconds: float) -> str:
    seconds = int(seconds)
    if seconds < 120:
        return f"{seconds} s"
    if seconds < 2 * 3600:
        return f"{seconds // 60} min"
    if seconds < 2 * 86400:
        return f"{seconds // 3600} h"
    return f"{seconds // 86400} days"


def _clock(moment: datetime, now: datetime) -> str:
    moment = moment.astimezone(UTC)
    if now - moment < timedelta(hours=20):
        return f"{moment:%H:%M} UTC"
    return f"{moment:%Y-%m-%d %H:%M} UTC"
