"""Load runs: start, execute, reap and record loads of a connector's changes into a destination.

A load is a :class:`~destinations.models.DestinationLoad` row with a status machine
(``PENDING → RUNNING → SUCCESS | FAILED``), counters, a heartbeat and its log lines. The database
allows one pending or running load per destination and connector (a partial unique index). The
checkpoint itself lives in the destination, committed with each batch's rows (see
``services/postgres.py``): a load that died is simply run again and continues from there.

Life of a load::

    start_load ─► PENDING ─(task: claims it, started_at = its mark)─► RUNNING ─► SUCCESS | FAILED
                     ▲                                                 │
                     └── reap_stale_loads: heartbeat stale, ───────────┘ (no attempts left → FAILED)
                         attempts left (continues from the destination's checkpoint)

The heartbeat is written with each committed batch. A process that no longer owns its load (it
was reaped and claimed again: another ``started_at``) writes nothing more to the load's row and
stops after the batch it is committing, which the checkpoint keeps consistent either way.

Callers: the API (``POST /api/destinations/{id}/load/``), the Celery tasks ``run_destination_load``
and ``reap_stale_loads`` (the beat, every minute), ``manage.py load_destination`` and
:func:`load_after_sync`, the one call a finished sync makes.
"""

from __future__ import annotations

import logging
import time
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from core import activity, background
from core.cache import invalidate_tenant
from core.metrics import observe_destination_load
from destinations import hooks
from destinations.models import (
    ACTIVE_LOAD_STATUSES,
    DestinationAttachment,
    DestinationLoad,
    LoadStatus,
)
from destinations.services.base import DestinationError, LoadReport
from destinations.services.naming import FIELD_SEPARATOR, MAX_BYTES, SYSTEM_COLUMNS, NamedColumn
from destinations.services.registry import driver_for
from destinations.sources import change_source
from migrateiq.celery import app as celery_app
from sync_engine.runs import lock_tenant_work

logger = logging.getLogger(__name__)

RUN_LOAD_TASK = "destinations.tasks.run_destination_load"
MAX_EVENTS = 200
#: The key that marks the reaper's "queued again" events; they count a load's attempts (and are
#: kept beyond ``MAX_EVENTS`` for that reason).
REQUEUED = "requeued"
#: The per-tenant cache namespace (``core.cache``) of figures computed from loads, e.g. the load
#: counts in the connectors' statistics: stale once a load is queued or ends.
LOADS_CACHE_NAMESPACE = "destinations-loads"


class LoadAlreadyRunning(Exception):
    def __init__(self, active_load_id):
        super().__init__("A load of this connector into this destination is already in progress.")
        self.active_load_id = active_load_id


class LoadTakenOver(Exception):
    """The load was reaped and claimed by another process: this one stops writing to it."""


def invalidate_load_stats(tenant_id: int) -> None:
    """Forget the tenant's cached figures computed from loads."""
    invalidate_tenant(LOADS_CACHE_NAMESPACE, tenant_id)


def start_load(
    attachment: DestinationAttachment,
    *,
    triggered_by=DestinationLoad.Trigger.API,
    queue: bool = True,
    user=None,
    full_reload: bool = False,
) -> DestinationLoad:
    """Create a PENDING load and (``queue``) run it in the background once the transaction commits.
    ``full_reload``: the load resets the table's checkpoint and loads every record from the start
    (see ``PostgresDestination.load``).
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
                full_reload=full_reload,
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
    invalidate_load_stats(attachment.tenant_id)
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
            "full_reload": full_reload,
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
    background.dispatch(RUN_LOAD_TASK, load_id, run_here=execute_load, on_queue_error=_queue_unavailable)


def _queue_unavailable(load_id: int) -> None:
    """The broker refused the load's message: the load ends FAILED (a new one can be started)."""
    ended = DestinationLoad.objects.filter(pk=load_id, status=LoadStatus.PENDING).update(
        status=LoadStatus.FAILED,
        error_message="The task queue is unavailable.",
        finished_at=timezone.now(),
    )
    if ended:
        _load_ended(load_id)


def _stale_before(now=None):
    return (now or timezone.now()) - timedelta(seconds=settings.MIGRATEIQ_SYNC_STALE_AFTER_SECONDS)


def _fail_stale(attachment) -> None:
    stale = DestinationLoad.objects.filter(
        destination_id=attachment.destination_id,
        connector_id=attachment.connector_id,
        status=LoadStatus.RUNNING,
        heartbeat_at__lt=_stale_before(),
    )
    for load_id in stale.values_list("pk", flat=True):
        ended = stale.filter(pk=load_id).update(
            status=LoadStatus.FAILED,
            finished_at=timezone.now(),
            error_message="The load stopped responding; the next load continues from the destination's "
            "checkpoint.",
        )
        if ended:
            _load_ended(load_id)


def _load_ended(load_id: int) -> None:
    """Every end of a load: the ``load_finished`` hook once the end commits."""
    load = DestinationLoad.objects.filter(pk=load_id).select_related("destination").first()
    if load is not None:
        hooks.run_after_commit("load_finished", load)


def _event(message: str, level: str = "info", **marks) -> dict:
    return {"at": timezone.now().isoformat(), "level": level, "message": message, **marks}


def load_attempts(events) -> int:
    """How many times the load was started: once, plus once per "queued again" of the reaper."""
    return 1 + sum(1 for event in events or () if event.get(REQUEUED))


class _RunReport(LoadReport):
    """Writes a running load's progress to its row (after each committed batch), as long as this
    process owns the load (its ``started_at`` is the claim's)."""

    def __init__(self, load: DestinationLoad, attachment: DestinationAttachment, owner):
        self.load = load
        self.attachment = attachment
        self.owner = owner
        self.events: list[dict] = list(load.events or [])

    def event(self, message: str, level: str = "info") -> None:
        if len(self.events) < MAX_EVENTS:
            self.events.append(_event(message, level))

    def started(self, high_water: int) -> None:
        if self.load.from_seq is None:
            self.load.from_seq = high_water
            self.event(f"Loading changes after sequence {high_water}.")
        else:  # queued again by the reaper: the same load goes on from the destination's checkpoint
            self.event(f"Continuing after sequence {high_water} (the destination's checkpoint).")
        self._save(from_seq=self.load.from_seq)
        # The copy follows the destination's own checkpoint, e.g. after the destination lost its
        # latest commits in a crash (they are loaded again).
        DestinationAttachment.objects.filter(pk=self.attachment.pk).update(high_water=high_water)

    def reloading(self, pending: bool) -> None:
        DestinationAttachment.objects.filter(pk=self.attachment.pk).update(reload_pending=pending)
        self.attachment.reload_pending = pending

    def columns_named(self, columns: dict) -> None:
        # Saved before the destination commits: the names are then always known here. Only if the
        # naming convention is still the one they were made by (it may change until names exist).
        saved = DestinationAttachment.objects.filter(
            pk=self.attachment.pk, column_names=self.attachment.column_names
        ).update(columns=columns)
        if not saved:
            raise DestinationError(
                "The attachment's column naming changed while this load named its columns; load again."
            )

    def column_renamed(self, named: NamedColumn) -> None:
        field = ".".join(named.parts)
        if named.clashed:
            if named.taken_by is not None:
                owner = f"field {'.'.join(named.taken_by.split(FIELD_SEPARATOR))}"
            elif named.wanted in SYSTEM_COLUMNS:
                owner = "a PostgreSQL system column"
            else:
                owner = "a MigrateIQ column"
            self.event(
                f"Field {field} is column {named.column}: {named.wanted} is taken by {owner}.", "warning"
            )
        else:
            self.event(
                f"Field {field} is column {named.column}: {named.wanted} is longer than {MAX_BYTES} bytes."
            )

    def column_added(self, column: str, pg_type: str) -> None:
        self.load.columns_added += 1
        self.event(f"Added column {column} ({pg_type}).")

    def column_widened(self, column: str, old: str, new: str) -> None:
        self.load.columns_widened += 1
        self.event(f"Widened column {column} from {old} to {new}: a value did not fit.", "warning")

    def rows_removed(self, deleted: int) -> None:
        self.load.rows_deleted += deleted
        self._save(rows_deleted=self.load.rows_deleted)

    def batch_committed(self, high_water: int, upserted: int, deleted: int) -> None:
        # The batch is in the destination whoever owns the load now: its copy of the checkpoint
        # only ever moves forward.
        DestinationAttachment.objects.filter(pk=self.attachment.pk, high_water__lt=high_water).update(
            high_water=high_water, last_load_at=timezone.now()
        )
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

    def _save(self, **fields) -> None:
        owned = DestinationLoad.objects.filter(
            pk=self.load.pk, status=LoadStatus.RUNNING, started_at=self.owner
        ).update(heartbeat_at=timezone.now(), events=self.events, **fields)
        if not owned:
            raise LoadTakenOver(self.load.pk)


def execute_load(load_id: int, *, on_a_worker: bool = True) -> DestinationLoad | None:
    """Run a PENDING load to its end (the task, the command and inline runs call this).

    A load that is not pending (finished, or running elsewhere) is left alone, so a duplicate
    delivery never runs a load twice. A load the reaper queued again continues from the
    destination's checkpoint, its counters going on from where the stopped attempt left them.
    On a worker (``on_a_worker``: the task) a load whose tenant already has
    ``MIGRATEIQ_TENANT_MAX_CONCURRENT_SYNCS`` syncs and loads running waits, queued again, and is
    returned ``PENDING``; an operator's command runs it at once.
    """
    owner = timezone.now()
    capped = on_a_worker and not background.runs_in_process()
    cap = settings.MIGRATEIQ_TENANT_MAX_CONCURRENT_SYNCS if capped else 0
    claimed = _claim(load_id, owner, cap)
    load = DestinationLoad.objects.filter(pk=load_id).select_related("destination").first()
    if load is None or not claimed:
        return load
    started = time.monotonic()
    status, message = LoadStatus.SUCCESS, ""
    attachment = DestinationAttachment.objects.filter(
        destination_id=load.destination_id, connector_id=load.connector_id
    ).first()
    report = _RunReport(load, attachment, owner) if attachment else None
    try:
        if attachment is None:
            raise DestinationError("The connector is no longer attached to this destination.")
        driver_for(load.destination.type).load(
            load.destination,
            attachment,
            change_source(),
            report,
            batch_size=settings.MIGRATEIQ_DESTINATION_BATCH_SIZE,
            full=load.full_reload,
        )
    except LoadTakenOver:
        logger.warning("Destination load %s was taken over by another process; this one stops", load_id)
        load.refresh_from_db()
        return load
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
    finished_at = timezone.now()
    with transaction.atomic():
        finished = DestinationLoad.objects.filter(
            pk=load_id, status=LoadStatus.RUNNING, started_at=owner
        ).update(
            status=status,
            finished_at=finished_at,
            duration_seconds=duration,
            error_message=message,
            events=report.events if report else [],
        )
        if finished and status == LoadStatus.SUCCESS and attachment is not None:
            # The destination is up to date as of this load's end, whether it brought rows or not:
            # the attachment's last_load_at is then its last_load's finished_at.
            DestinationAttachment.objects.filter(pk=attachment.pk).update(last_load_at=finished_at)
    load.refresh_from_db()
    if finished:
        invalidate_load_stats(load.tenant_id)
        observe_destination_load(load.destination_id, status, load.rows_upserted + load.rows_deleted)
        hooks.run_after_commit("load_finished", load)
    return load


def live_loads(tenant_id: int, stale) -> int:
    """The tenant's loads on the workers (``RUNNING`` with a heartbeat at or after ``stale``): they
    count against its cap with its syncs (``sync_engine.runs.count_tenant_work``)."""
    return DestinationLoad.objects.filter(
        tenant_id=tenant_id, status=LoadStatus.RUNNING, heartbeat_at__gte=stale
    ).count()


def _claim(load_id: int, owner, cap: int) -> bool:
    """Make the PENDING load RUNNING for ``owner``; with a ``cap``, only while its tenant has fewer
    syncs and loads running (else it waits, queued again: :func:`_defer`)."""
    pending = DestinationLoad.objects.filter(pk=load_id, status=LoadStatus.PENDING)
    if cap <= 0:
        return bool(pending.update(status=LoadStatus.RUNNING, started_at=owner, heartbeat_at=owner))
    with transaction.atomic():
        if _tenant_at_cap(load_id, cap):
            _defer(load_id, cap)
            return False
        return bool(pending.update(status=LoadStatus.RUNNING, started_at=owner, heartbeat_at=owner))


def _tenant_at_cap(load_id: int, cap: int) -> bool:
    """Whether the pending load's tenant has ``cap`` syncs and loads running (in the claim's
    transaction, under the lock of the tenant's row that syncs take too)."""
    tenant_id = (
        DestinationLoad.objects.filter(pk=load_id, status=LoadStatus.PENDING)
        .values_list("tenant_id", flat=True)
        .first()
    )
    return tenant_id is not None and lock_tenant_work(tenant_id, _stale_before()) >= cap


def _defer(load_id: int, cap: int) -> None:
    """The tenant has ``cap`` syncs and loads on the workers already: queue the load again a little
    later, as a sync over the cap is (``sync_engine.queue``). Its fresh heartbeat keeps the reaper
    from queueing a duplicate; it waits at the end of the one queue, holding no worker process."""
    waiting = (
        f"Waiting: this tenant already has {cap} sync(s) or load(s) running "
        "(MIGRATEIQ_TENANT_MAX_CONCURRENT_SYNCS)."
    )
    pending = DestinationLoad.objects.filter(pk=load_id, status=LoadStatus.PENDING)
    events = pending.values_list("events", flat=True).first()
    if events is None:
        return
    if not any(event.get("message") == waiting for event in events):
        events = [*events, _event(waiting)]
    pending.update(heartbeat_at=timezone.now(), events=events)

    def send():
        try:
            celery_app.send_task(
                RUN_LOAD_TASK, args=[load_id], countdown=settings.MIGRATEIQ_SYNC_DEFER_SECONDS
            )
        except Exception:
            logger.exception("Could not queue destination load %s again; the reaper will retry", load_id)

    transaction.on_commit(send)


# -- Reaper ------------------------------------------------------------------------------------


def reap_stale_loads(*, now=None) -> dict:
    """Deal with loads whose process disappeared (the beat calls this every minute), as
    ``reap_stale_syncs`` does for syncs:

    * ``RUNNING`` with a heartbeat older than ``MIGRATEIQ_SYNC_STALE_AFTER_SECONDS``: queued again
      (``PENDING``) to continue from the destination's checkpoint while it has been started fewer
      than ``MIGRATEIQ_SYNC_MAX_ATTEMPTS`` times, else ``FAILED`` with a message (the next load
      continues from the checkpoint all the same).
    * ``PENDING`` not started ``MIGRATEIQ_SYNC_REQUEUE_PENDING_AFTER_SECONDS`` after it was queued
      (its message was lost): queued again.

    Each row is changed only if it is still as it was read (its heartbeat), so two reapers, or a
    load that comes back to life, never act twice. Returns the ids handled, by outcome.
    """
    now = now or timezone.now()
    max_attempts = settings.MIGRATEIQ_SYNC_MAX_ATTEMPTS
    outcome: dict[str, list[int]] = {"requeued": [], "failed": [], "pending_requeued": []}
    stale = DestinationLoad.objects.unscoped("the reaper looks for stale loads of every tenant").filter(
        status=LoadStatus.RUNNING, heartbeat_at__lt=_stale_before(now)
    )
    for load in stale.only("pk", "tenant_id", "destination_id", "heartbeat_at", "events"):
        still_stale = DestinationLoad.objects.filter(
            pk=load.pk, status=LoadStatus.RUNNING, heartbeat_at=load.heartbeat_at
        )
        attempts = load_attempts(load.events)
        events = list(load.events or [])
        if attempts < max_attempts:
            events.append(
                _event(
                    "The process running this load stopped responding; queued again to continue from "
                    f"the destination's checkpoint (attempt {attempts + 1} of {max_attempts}).",
                    "warning",
                    **{REQUEUED: True},
                )
            )
            with transaction.atomic():
                if still_stale.update(status=LoadStatus.PENDING, heartbeat_at=now, events=events):
                    transaction.on_commit(lambda load_id=load.pk: _dispatch(load_id))
                    outcome["requeued"].append(load.pk)
            continue
        message = (
            f"Gave up after {attempts} attempts: the process running this load stopped each time. "
            "The next load continues from the destination's checkpoint."
        )
        events.append(_event(message, "error"))
        if still_stale.update(
            status=LoadStatus.FAILED, finished_at=now, error_message=message, events=events
        ):
            invalidate_load_stats(load.tenant_id)
            observe_destination_load(load.destination_id, LoadStatus.FAILED, 0)
            _load_ended(load.pk)
            outcome["failed"].append(load.pk)

    lost_before = now - timedelta(seconds=settings.MIGRATEIQ_SYNC_REQUEUE_PENDING_AFTER_SECONDS)
    lost = (
        DestinationLoad.objects.unscoped("the reaper looks for lost loads of every tenant")
        .filter(status=LoadStatus.PENDING)
        .filter(Q(heartbeat_at__lt=lost_before) | Q(heartbeat_at__isnull=True, created_at__lt=lost_before))
    )
    for load in lost.only("pk", "heartbeat_at"):
        with transaction.atomic():
            if DestinationLoad.objects.filter(
                pk=load.pk, status=LoadStatus.PENDING, heartbeat_at=load.heartbeat_at
            ).update(heartbeat_at=now):
                transaction.on_commit(lambda load_id=load.pk: _dispatch(load_id))
                outcome["pending_requeued"].append(load.pk)
    if any(outcome.values()):
        logger.warning("Reaped destination loads: %s", outcome)
    return outcome
