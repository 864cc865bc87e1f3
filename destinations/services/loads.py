"""Load runs: start, execute and record loads of a connector's changes into a destination.

A load is a :class:`~destinations.models.DestinationLoad` row with a status machine
(``PENDING → RUNNING → SUCCESS | FAILED``), counters, a heartbeat and its log lines. The database
allows one pending or running load per destination and connector (a partial unique index). The
checkpoint itself lives in the destination, committed with each batch's rows (see
``services/postgres.py``): a load that died is simply run again and continues from there.

Callers: the API (``POST /api/destinations/{id}/load/``), the Celery task ``run_destination_load``,
``manage.py load_destination`` and :func:`load_after_sync`, the one call a finished sync makes.
"""

from __future__ import annotations

import logging
import time
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from core import activity
from core.metrics import observe_destination_load
from destinations.models import (
    ACTIVE_LOAD_STATUSES,
    DestinationAttachment,
    DestinationLoad,
    LoadStatus,
)
from destinations.services.base import DestinationError, LoadReport
from destinations.services.registry import driver_for
from destinations.sources import change_source
from migrateiq.celery import app as celery_app

logger = logging.getLogger(__name__)

RUN_LOAD_TASK = "destinations.tasks.run_destination_load"
MAX_EVENTS = 200


class LoadAlreadyRunning(Exception):
    def __init__(self, active_load_id):
        super().__init__("A load of this connector into this destination is already in progress.")
        self.active_load_id = active_load_id


def start_load(
    attachment: DestinationAttachment,
    *,
    triggered_by=DestinationLoad.Trigger.API,
    queue: bool = True,
    user=None,
) -> DestinationLoad:
    """Create a PENDING load and (``queue``) run it in the background once the transaction commits.
    A load left RUNNING by a process that died (no heartbeat for
    ``MIGRATEIQ_SYNC_STALE_AFTER_SECONDS``) is marked FAILED first; raises
    :class:`LoadAlreadyRunning` when a live one exists. ``user``: who started it (``None``: a sync
    or a command), for the activity hook."""
    _fail_stale(attachment)
    try:
        with transaction.atomic():
            load = DestinationLoad.objects.create(
                tenant_id=attachment.tenant_id,
                destination_id=attachment.destination_id,
                connector_id=attachment.connector_id,
                triggered_by=triggered_by,
            )
    except IntegrityError:
        active = (
            DestinationLoad.objects.filter(
                destination_id=attachment.destination_id,
                connector_id=attachment.connector_id,
                status__in=ACTIVE_LOAD_STATUSES,
            )
            .values_list("pk", flat=True)
            .first()
        )
        raise LoadAlreadyRunning(active) from None
    activity.record(
        "load.started",
        tenant=load.tenant_id,
        actor=user,
        target_type="destination_load",
        target_id=load.pk,
        detail={
            "destination_id": load.destination_id,
            "connector_id": load.connector_id,
            "triggered_by": triggered_by,
        },
    )
    if queue:
        transaction.on_commit(lambda: _dispatch(load.pk))
    return load


def load_after_finished_run(run) -> None:
    """``run_finished`` handler: a sync that stored data (``SUCCESS`` or ``PARTIAL``) queues the
    connector's loads. A problem queueing them never changes the sync's result."""
    if run.status not in ("SUCCESS", "PARTIAL"):
        return
    try:
        load_after_sync(run.connector_id)
    except Exception:
        logger.exception(
            "Could not queue the destination loads after a sync of connector %s", run.connector_id
        )


def load_after_sync(connector_id: int) -> list[DestinationLoad]:
    """Queue a load into every active destination the connector is attached to (after a sync that
    stored data). A destination already loading it is skipped: that load reads the new changes too
    or the next one will."""
    loads = []
    attachments = DestinationAttachment.objects.filter(
        connector_id=connector_id, destination__is_active=True
    ).select_related("destination")
    for attachment in attachments:
        try:
            loads.append(start_load(attachment, triggered_by=DestinationLoad.Trigger.SYNC))
        except LoadAlreadyRunning:
            continue
    return loads


def _dispatch(load_id: int) -> None:
    if settings.MIGRATEIQ_SYNC_RUNNER == "inline" or settings.CELERY_TASK_ALWAYS_EAGER:
        execute_load(load_id)
        return
    try:
        celery_app.send_task(RUN_LOAD_TASK, args=[load_id])
    except Exception:
        logger.exception("Could not queue destination load %s", load_id)
        DestinationLoad.objects.filter(pk=load_id, status=LoadStatus.PENDING).update(
            status=LoadStatus.FAILED,
            error_message="The task queue is unavailable.",
            finished_at=timezone.now(),
        )


def _stale_before():
    return timezone.now() - timedelta(seconds=settings.MIGRATEIQ_SYNC_STALE_AFTER_SECONDS)


def _fail_stale(attachment) -> None:
    DestinationLoad.objects.filter(
        destination_id=attachment.destination_id,
        connector_id=attachment.connector_id,
        status=LoadStatus.RUNNING,
        heartbeat_at__lt=_stale_before(),
    ).update(
        status=LoadStatus.FAILED,
        finished_at=timezone.now(),
        error_message="The load stopped responding; the next load continues from the destination's "
        "checkpoint.",
    )


class _RunReport(LoadReport):
    """Writes a running load's progress to its row (after each committed batch)."""

    def __init__(self, load: DestinationLoad, attachment: DestinationAttachment):
        self.load = load
        self.attachment = attachment
        self.events: list[dict] = list(load.events or [])

    def event(self, message: str, level: str = "info") -> None:
        if len(self.events) < MAX_EVENTS:
            self.events.append({"at": timezone.now().isoformat(), "level": level, "message": message})

    def started(self, high_water: int) -> None:
        self.load.from_seq = high_water
        self.event(f"Loading changes after sequence {high_water}.")
        self._save(from_seq=high_water)

    def columns_named(self, columns: dict) -> None:
        # Saved before the destination commits: the names are then always known here.
        DestinationAttachment.objects.filter(pk=self.attachment.pk).update(columns=columns)

    def column_added(self, column: str, pg_type: str) -> None:
        self.load.columns_added += 1
        self.event(f"Added column {column} ({pg_type}).")

    def column_widened(self, column: str, old: str, new: str) -> None:
        self.load.columns_widened += 1
        self.event(f"Widened column {column} from {old} to {new}: a value did not fit.", "warning")

    def batch_committed(self, high_water: int, upserted: int, deleted: int) -> None:
        load = self.load
        load.batches += 1
        load.rows_upserted += upserted
        load.rows_deleted += deleted
        load.to_seq = high_water
        self._save(
            batches=load.batches,
            rows_upserted=load.rows_upserted,
            rows_deleted=load.rows_deleted,
            columns_added=load.columns_added,
            columns_widened=load.columns_widened,
            to_seq=high_water,
        )
        DestinationAttachment.objects.filter(pk=self.attachment.pk).update(
            high_water=high_water, last_load_at=timezone.now()
        )

    def _save(self, **fields) -> None:
        DestinationLoad.objects.filter(pk=self.load.pk).update(
            heartbeat_at=timezone.now(), events=self.events, **fields
        )


def execute_load(load_id: int) -> DestinationLoad | None:
    """Run a PENDING load to its end (the task, the command and inline runs call this)."""
    now = timezone.now()
    claimed = DestinationLoad.objects.filter(
        Q(status=LoadStatus.PENDING) | Q(status=LoadStatus.RUNNING, heartbeat_at__lt=_stale_before()),
        pk=load_id,
    ).update(status=LoadStatus.RUNNING, started_at=now, heartbeat_at=now)
    load = DestinationLoad.objects.filter(pk=load_id).select_related("destination").first()
    if load is None or not claimed:
        return load
    started = time.monotonic()
    status, message = LoadStatus.SUCCESS, ""
    attachment = DestinationAttachment.objects.filter(
        destination_id=load.destination_id, connector_id=load.connector_id
    ).first()
    report = _RunReport(load, attachment) if attachment else None
    try:
        if attachment is None:
            raise DestinationError("The connector is no longer attached to this destination.")
        driver_for(load.destination.type).load(
            load.destination,
            attachment,
            change_source(),
            report,
            batch_size=settings.MIGRATEIQ_DESTINATION_BATCH_SIZE,
        )
    except DestinationError as exc:
        status, message = LoadStatus.FAILED, str(exc)
    except Exception as exc:  # a bug must not leave the load RUNNING
        logger.exception("Destination load %s crashed", load_id)
        status, message = LoadStatus.FAILED, f"Internal error ({type(exc).__name__}); see the server log."
    duration = round(time.monotonic() - started, 3)
    if report is not None:
        if message:
            report.event(message, "error")
        report.event(
            f"Load {status.lower()} in {duration:.2f} s: {load.rows_upserted} rows upserted, "
            f"{load.rows_deleted} deleted, {load.batches} batches."
        )
    DestinationLoad.objects.filter(pk=load_id).update(
        status=status,
        finished_at=timezone.now(),
        duration_seconds=duration,
        error_message=message,
        events=report.events if report else [],
    )
    load.refresh_from_db()
    observe_destination_load(load.destination_id, status, load.rows_upserted + load.rows_deleted)
    return load
