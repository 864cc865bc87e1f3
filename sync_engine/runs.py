"""A run's life in the database: created, claimed, owned while it works, finished in one place.

A run is a :class:`~sync_engine.models.SyncLog` row. The database allows one ``PENDING`` or
``RUNNING`` run per connector (a partial unique index), so "one sync at a time" holds across web
processes and workers. Every write of a run's state is a conditional ``filter(...).update(...)``:

* :func:`create_run`: a new ``PENDING`` or ``RUNNING`` run (``SyncAlreadyRunning`` if one is active);
* :func:`claim_run`: ``PENDING`` / ``FAILED`` / stale ``RUNNING`` → ``RUNNING`` for this worker;
* :func:`owned`: the run, as long as the claim that started it still holds (a reaped run that
  comes back to life writes nothing);
* :func:`finish_run`: **the one place a run ends**, whoever ends it (the engine, a cancel while
  pending, attempts exhausted, the reaper): status, times, message, the connector's last-sync fields
  and record count, the log lines, then the ``run_finished`` hook after commit.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Case, DateTimeField, F, Q, Value, When
from django.utils import timezone

from sync_engine import hooks
from sync_engine.errors import SyncAlreadyRunning
from sync_engine.events import record_event, run_warnings, summary_prefix
from sync_engine.keys import key_changed
from sync_engine.models import ACTIVE_SYNC_STATUSES, SyncedRecord, SyncLog, SyncLogEvent, SyncStatus
from tenancy.models import Tenant

logger = logging.getLogger(__name__)

#: The rule of ``allow_empty`` (the API's 400 and the command's error say it too).
#: ``finish_run(cursor=...)`` default: the connector's incremental cursor is not set to a given value.
KEEP_CURSOR = object()
ALLOW_EMPTY_RULE = "allow_empty applies to a full refresh only: send full_refresh=true with it."


def connector_model():
    return SyncLog._meta.get_field("connector").related_model


def active_run_id(connector_id: int) -> int | None:
    return (
        SyncLog.objects.filter(connector_id=connector_id, status__in=ACTIVE_SYNC_STATUSES)
        .values_list("pk", flat=True)
        .first()
    )


def pages_of_last_run(connector_id: int, *, exclude: int | None = None) -> int | None:
    """Pages read by the connector's most recent run that ended with records (SUCCESS or PARTIAL)."""
    runs = SyncLog.objects.filter(
        connector_id=connector_id, status__in=(SyncStatus.SUCCESS, SyncStatus.PARTIAL)
    )
    if exclude is not None:
        runs = runs.exclude(pk=exclude)
    return runs.order_by("-created_at").values_list("pages_fetched", flat=True).first()


def earlier_key(
    connector_id: int, primary_key: str, source: dict | None, *, exclude: int | None = None
) -> tuple[str, dict | None] | None:
    """A key other than ``primary_key`` computed from ``source`` (``keys.key_source``: what the
    transformation rules compute it from) that some of the connector's stored records may still be
    keyed by, as ``(primary_key, source)``; None: none. That is the key of its most recent SUCCESS
    run (one that re-keyed, as a full refresh, marked the records under the key before it deleted),
    or of a run after it that committed pages (one that failed, was cancelled or ended PARTIAL did
    not: the next re-keys again); with no SUCCESS run, of any run that committed pages (a first sync
    that failed midway). Runs whose checkpoint predates keeping the key (or its source) say nothing
    of it."""
    runs = _runs_that_keyed_stored_records(connector_id, exclude)
    keys = (
        runs.filter(checkpoint__primary_key__isnull=False)
        .order_by("-created_at", "-pk")
        .values_list("checkpoint__primary_key", "checkpoint__key_source")
    )
    for then, then_source in keys.iterator(chunk_size=200):
        if key_changed(then, then_source, primary_key, source):
            return then, then_source if isinstance(then_source, dict) else None
    return None


def earlier_key_modes(connector_id: int, *, exclude: int | None = None) -> set[str]:
    """How the connector's stored records may be keyed ("primary_key", "content_hash"): the key
    modes of the runs :func:`earlier_key` reads (its most recent SUCCESS run and those after it that
    committed pages; with none, any that committed pages)."""
    runs = _runs_that_keyed_stored_records(connector_id, exclude)
    modes = runs.filter(checkpoint__key_mode__isnull=False).values_list("checkpoint__key_mode", flat=True)
    return {mode for mode in modes.order_by().distinct() if mode in ("primary_key", "content_hash")}


def _runs_that_keyed_stored_records(connector_id: int, exclude: int | None):
    """The connector's most recent SUCCESS run and the runs after it that committed pages (with no
    SUCCESS run: every run that committed pages)."""
    runs = SyncLog.objects.filter(connector_id=connector_id, checkpoint__isnull=False)
    if exclude is not None:
        runs = runs.exclude(pk=exclude)
    last_success = (
        runs.filter(status=SyncStatus.SUCCESS)
        .order_by("-created_at", "-pk")
        .values_list("created_at", flat=True)
        .first()
    )
    return runs.filter(created_at__gte=last_success) if last_success is not None else runs


def create_run(
    connector,
    *,
    status=SyncStatus.PENDING,
    triggered_by="api",
    user=None,
    full_refresh=False,
    allow_empty=False,
) -> SyncLog:
    """A new run of ``connector``; raises :class:`SyncAlreadyRunning` when one is active.

    ``allow_empty`` (a full refresh only, else ``ValueError``): when the run reads every page and
    gets no record, it marks every stored record deleted rather than failing."""
    if allow_empty and not full_refresh:
        raise ValueError(ALLOW_EMPTY_RULE)
    now = timezone.now()
    try:
        with transaction.atomic():
            run = SyncLog.objects.create(
                tenant_id=connector.tenant_id,
                connector=connector,
                status=status,
                triggered_by=triggered_by,
                triggered_by_user=user if getattr(user, "is_authenticated", False) else None,
                full_refresh=full_refresh,
                allow_empty=allow_empty,
                started_at=now if status == SyncStatus.RUNNING else None,
                heartbeat_at=now,
            )
    except IntegrityError:
        raise SyncAlreadyRunning(active_run_id(connector.pk)) from None
    hooks.run_now("run_started", run)
    return run


def claim_run(run: SyncLog, *, tenant_cap: int = 0) -> bool:
    """Atomically make ``run`` RUNNING for the caller if it may run; False when someone else has it
    (or, with ``tenant_cap``, when its tenant already has that many live runs)."""
    now = timezone.now()
    stale = now - timedelta(seconds=settings.MIGRATEIQ_SYNC_STALE_AFTER_SECONDS)
    claimable = (
        Q(status__in=[SyncStatus.PENDING, SyncStatus.FAILED])
        | Q(status=SyncStatus.RUNNING, heartbeat_at__lt=stale)
        | Q(status=SyncStatus.RUNNING, heartbeat_at__isnull=True, started_at__lt=stale)
    )
    try:
        with transaction.atomic():
            if tenant_cap > 0 and _tenant_at_cap(run, tenant_cap, stale):
                return False
            # A run that goes on from its checkpoint keeps its first start (its duration adds up its
            # attempts) and says when this attempt began; another starts afresh.
            goes_on = Q(checkpoint__isnull=False, started_at__isnull=False)
            claimed = (
                SyncLog.objects.filter(claimable, pk=run.pk)
                .exclude(connector_id__isnull=True)
                .update(
                    status=SyncStatus.RUNNING,
                    started_at=Case(
                        When(goes_on, then=F("started_at")), default=Value(now), output_field=DateTimeField()
                    ),
                    resumed_at=Case(
                        When(goes_on, then=Value(now)), default=Value(None), output_field=DateTimeField()
                    ),
                    heartbeat_at=now,
                    finished_at=None,
                    error_message="",
                )
            )
    except IntegrityError:
        raise SyncAlreadyRunning(active_run_id(run.connector_id)) from None
    if claimed:
        run.refresh_from_db()
    return bool(claimed)


#: Other work a tenant has on the worker processes, counted with its live runs against its cap
#: (``MIGRATEIQ_TENANT_MAX_CONCURRENT_SYNCS``): ``counter(tenant_id, stale) -> int``, registered by
#: the platform app that runs it (destinations: its live loads) with :func:`count_tenant_work`.
_work_counters: list[Callable[[int, datetime], int]] = []


def count_tenant_work(counter: Callable[[int, datetime], int]) -> None:
    """Count ``counter``'s live work of a tenant (heartbeat at or after ``stale``) against its cap."""
    if counter not in _work_counters:
        _work_counters.append(counter)


def lock_tenant_work(tenant_id: int, stale, *, exclude_run: int | None = None) -> int:
    """The tenant's live runs (but ``exclude_run``) and other registered work on the workers. Call
    it in the claim's transaction: it locks the tenant's row first (PostgreSQL; SQLite's write
    transactions are serial already), so two workers cannot both take the tenant's last slot."""
    list(Tenant.objects.select_for_update().filter(pk=tenant_id).values_list("pk"))
    live = SyncLog.objects.filter(tenant_id=tenant_id, status=SyncStatus.RUNNING, heartbeat_at__gte=stale)
    if exclude_run is not None:
        live = live.exclude(pk=exclude_run)
    return live.count() + sum(counter(tenant_id, stale) for counter in _work_counters)


def _tenant_at_cap(run: SyncLog, cap: int, stale) -> bool:
    """Whether the run's tenant has ``cap`` live runs (or loads) besides this one."""
    return lock_tenant_work(run.tenant_id, stale, exclude_run=run.pk) >= cap


def _claim_holds(run: SyncLog) -> Q:
    """RUNNING since the start (or resume) ``run`` claimed."""
    return Q(status=SyncStatus.RUNNING, started_at=run.started_at, resumed_at=run.resumed_at)


def owned(run: SyncLog):
    """The run, as long as the claim that started it holds (RUNNING since the start it claimed)."""
    return SyncLog.objects.filter(_claim_holds(run), pk=run.pk)


def finish_run(
    run: SyncLog,
    status: str,
    message: str = "",
    *,
    when: Q | None = None,
    duration: float | None = None,
    level: str | None = None,
    advance_cursor: bool = False,
    summary: bool = False,
    warnings: tuple[str, ...] | list[str] = (),
    retries: int | None = None,
    rate_limit_wait: float = 0.0,
    connector=None,
    error: str | None = None,
    schema_changes: list[dict] | None = None,
    cursor=KEEP_CURSOR,
) -> bool:
    """End ``run`` with ``status`` (``SUCCESS``, ``PARTIAL``, ``FAILED`` or ``CANCELLED``).

    ``when`` is the condition under which the caller may end it (default: the caller's claim still
    holds, :func:`owned`); False (and nothing written) when it no longer does. In one transaction:

    * the run: status, ``finished_at``, ``duration``, ``error_message`` (``error``; else
      ``message``, except for a cancel), ``warnings`` (its warning-level log lines so far and
      ``warnings``; not ``message``, the line it ends with, nor its retry lines), ``retries`` its
      count of retried requests (all its attempts'; counted as they happen, see
      ``events.record_event``), ``rate_limit_wait`` added to its seconds waited for the API's rate
      limit, ``schema_changes`` if given;
    * its log lines: ``warnings``, ``message`` at ``level`` (default: error, warning for a cancel),
      with ``summary`` the counters line;
    * the connector: ``last_sync_at``, ``last_sync_status``, ``records_count`` and, with
      ``advance_cursor``, ``incremental_cursor`` from the run's committed ``cursor_value`` (the
      ``connector`` object passed, if any, is updated too); or ``cursor``, when given, whatever
      ``advance_cursor`` says (a run that quarantined records sets the cursor it read from).

    After the commit, the ``run_finished`` hook (statistics caches, metrics and destination loads
    subscribe to it).
    """
    now = timezone.now()
    condition = when if when is not None else _claim_holds(run)
    fields = {
        "status": status,
        "finished_at": now,
        "error_message": error if error is not None else message if status != SyncStatus.CANCELLED else "",
        "heartbeat_at": now,
        "updated_at": now,
    }
    if duration is not None:
        fields["duration_seconds"] = round(duration, 3)
    if status == SyncStatus.CANCELLED:
        fields["cancel_requested"] = True
    if schema_changes is not None:
        fields["schema_changes"] = schema_changes
    if retries is not None:
        fields["retries"] = retries
    if rate_limit_wait:
        fields["rate_limit_wait_seconds"] = F("rate_limit_wait_seconds") + round(rate_limit_wait, 3)
    with transaction.atomic():
        fields["warnings"] = run_warnings(run.pk, warnings)
        if not SyncLog.objects.filter(condition, pk=run.pk).update(**fields):
            if when is None:  # the caller's claim was lost: worth a line; a caller's own condition
                # not holding (the attempts check before every run) is the usual case, not news
                logger.warning("Sync %s was ended elsewhere; not recording %s", run.pk, status)
            run.refresh_from_db()
            return False
        for warning in warnings:
            record_event(run.pk, warning, SyncLogEvent.Level.WARNING)
        if message:
            if level is None:
                level = (
                    SyncLogEvent.Level.WARNING if status == SyncStatus.CANCELLED else SyncLogEvent.Level.ERROR
                )
            record_event(run.pk, message, level)
        run.refresh_from_db()
        connector_fields = {
            "last_sync_at": now,
            "last_sync_status": status,
            "records_count": SyncedRecord.objects.filter(
                connector_id=run.connector_id, deleted_at__isnull=True
            ).count(),
        }
        # The cursor of the committed records becomes the next sync's start (complete runs only).
        if cursor is not KEEP_CURSOR:
            connector_fields["incremental_cursor"] = cursor
        elif advance_cursor and run.cursor_value is not None:
            connector_fields["incremental_cursor"] = run.cursor_value
        connector_model().objects.filter(pk=run.connector_id).update(**connector_fields)
        if summary:
            record_event(
                run.pk,
                f"{summary_prefix(status)}{run.duration_seconds or 0:.2f} s: "
                f"{run.records_processed} processed, "
                f"{run.records_created} created, {run.records_updated} updated, "
                f"{run.records_unchanged} unchanged, {run.records_failed} quarantined, "
                # a full refresh says what it deleted, none included; another run deletes nothing
                + (f"{run.records_deleted} deleted, " if run.records_deleted or run.full_refresh else "")
                + f"{run.pages_fetched} pages.",
            )
    if connector is not None:  # the caller's connector object says what the database now says
        for name, value in connector_fields.items():
            setattr(connector, name, value)
    hooks.run_after_commit("run_finished", run)
    return True
