"""Background runs: start, wait for, cancel and resume a sync; execute a queued one; the reaper.

A run is a :class:`~sync_engine.models.SyncLog` row (see :mod:`sync_engine.runs`). The Celery task
(``sync_engine.tasks.run_sync_log``) only carries the run id and calls :func:`execute_sync_log`; the
sync itself is :func:`sync_engine.engine.run_sync`. Every end of a run, here too, goes through
:func:`sync_engine.runs.finish_run`.

Life of a run::

    start_sync ─► PENDING ─(task: attempts += 1, engine claims)─► RUNNING ─► SUCCESS | PARTIAL | FAILED
                    │  ▲                                            │  │
      cancel_sync ──┘  └── reaper: heartbeat stale, attempts left ──┘  └─ cancel_sync: cancel_requested,
      (CANCELLED at once;   (resumes from the checkpoint; no attempts        the engine stops at the next
       the task skips it)     left → FAILED)                                 page boundary → CANCELLED
    resume_sync: FAILED | CANCELLED with a checkpoint ─► PENDING (queued again, fresh attempt budget)

How a queued run gets executed (``settings.MIGRATEIQ_SYNC_RUNNER``):

* ``"celery"`` (default): the task is published when the transaction commits
  (``transaction.on_commit``); a worker runs it. No message is ever published for a rolled-back
  trigger.
* ``"inline"``: the sync runs synchronously in the ``on_commit`` callback, in the calling
  process. Meant for tests of the API and for one-off scripts. ``CELERY_TASK_ALWAYS_EAGER=1``
  has the same effect.

**In tests**, to make an API-triggered sync run to completion within the request::

    @pytest.fixture
    def inline_syncs(settings):
        settings.MIGRATEIQ_SYNC_RUNNER = "inline"

    def test_sync_data_returns_the_finished_log(inline_syncs, editor_client, connector,
                                                 django_capture_on_commit_callbacks):
        with django_capture_on_commit_callbacks(execute=True):
            response = editor_client.post(f"/api/demo-extension/connectors/{connector.pk}/sync_data/")

pytest-django's ``db`` fixture wraps each test in a transaction that never commits, so
``on_commit`` callbacks run only inside ``django_capture_on_commit_callbacks(execute=True)``
(they run when the ``with`` block exits: a view that calls :func:`wait_for` inside the request
sees the log still ``PENDING``, so assert on the database after the block), or with the
``transactional_db`` fixture, where they run at each real commit (and ``wait_for`` then sees the
finished log). The real worker path is covered by ``demo_extension/tests/test_celery_worker.py``.
"""

import logging
import threading
import time
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, connections, transaction
from django.db.models import Exists, F, OuterRef, Q
from django.utils import timezone

from core import activity, background, shutdown
from core.budget import RATE_MARGIN
from migrateiq.celery import app as celery_app
from sync_engine import hooks
from sync_engine.checkpoint import Checkpoint
from sync_engine.engine import checkpoint_refusal, run_sync
from sync_engine.errors import (  # noqa: F401  (part of this module's API)
    CheckpointMismatch,
    SyncAlreadyRunning,
)
from sync_engine.events import demote_cancel_line, record_event
from sync_engine.models import SyncLog, SyncLogEvent, SyncStatus, TriggeredBy
from sync_engine.runs import active_run_id, connector_model, create_run, finish_run

logger = logging.getLogger(__name__)

RUN_SYNC_TASK = "sync_engine.tasks.run_sync_log"
POLL_INTERVAL_SECONDS = 0.2


# --- Starting, waiting, cancelling, resuming --------------------------------------------------


#: Who queued a run, in the run's first log line: the words of the web UI's Trigger column, not codes.
QUEUED_BY = {
    TriggeredBy.UI: "from the web UI",
    TriggeredBy.API: "through the API",
    TriggeredBy.SCHEDULE: "by the schedule",
    TriggeredBy.MANUAL: "from the command line",
}


def start_sync(
    connector, *, triggered_by=TriggeredBy.API, user=None, full_refresh=False, allow_empty=False
) -> SyncLog:
    """Create a ``PENDING`` sync log for ``connector`` and queue it once the transaction commits.

    ``allow_empty`` (with ``full_refresh`` only): a complete refresh that gets no record marks every
    stored record deleted instead of failing; the log keeps it, so a resume of the run keeps it too.

    Raises :class:`SyncAlreadyRunning` (with the active log's id) when the connector already has a
    pending or running sync: the database's partial unique index decides, so concurrent triggers
    give exactly one run.
    """
    sync_log = create_run(
        connector,
        status=SyncStatus.PENDING,
        triggered_by=triggered_by,
        user=user,
        full_refresh=full_refresh,
        allow_empty=allow_empty,
    )
    kind = ", ".join(
        (["full refresh"] if full_refresh else []) + (["an empty answer allowed"] if allow_empty else [])
    )
    by = QUEUED_BY.get(triggered_by, f"({triggered_by})")
    _add_event(sync_log, f"Queued {by}" + (f" ({kind})." if kind else "."))
    detail = {"triggered_by": triggered_by, "full_refresh": full_refresh}
    _record_sync("sync.started", sync_log, user, **detail, **({"allow_empty": True} if allow_empty else {}))
    enqueue(sync_log.pk)
    return sync_log


def _record_sync(action: str, sync_log: SyncLog, user, **detail) -> None:
    activity.record(
        action,
        tenant=sync_log.tenant_id,
        actor=user,
        target_type="sync_log",
        target_id=sync_log.pk,
        detail={"connector_id": sync_log.connector_id, **detail},
    )


def wait_for(sync_log: SyncLog, seconds: float) -> SyncLog:
    """Poll the database until ``sync_log`` has finished or ``seconds`` have passed; return it refreshed.

    Call it outside the transaction that started the sync: the run is queued only at commit. A
    process that is stopping (``core.shutdown``: the web server's Ctrl-C) stops waiting at once, so
    that the answer (the run as it is) goes out before the server does.
    """
    deadline = time.monotonic() + max(0.0, float(seconds))
    sync_log.refresh_from_db()
    while not sync_log.is_finished:
        remaining = deadline - time.monotonic()
        if remaining <= 0 or shutdown.wait(min(POLL_INTERVAL_SECONDS, remaining)):
            break
        sync_log.refresh_from_db()
    return sync_log


def cancel_sync(sync_log: SyncLog, *, user=None) -> SyncLog:
    """Cancel a sync.

    A ``PENDING`` log is marked ``CANCELLED`` at once (it stays in the history; the queued task
    finds it cancelled and does nothing). A ``RUNNING`` log gets ``cancel_requested``: the engine
    stops within about a second (``sync_engine.cancellation``: a request in flight or waiting to be
    retried is abandoned), keeps what it committed and ends ``CANCELLED``. A finished log raises
    ``ValueError``.
    """
    now = timezone.now()
    # The run's log says who stopped it (the audit trail has it too, but not beside the run's lines).
    by = f" by {user.email}" if getattr(user, "email", "") else ""
    if finish_run(
        sync_log,
        SyncStatus.CANCELLED,
        f"Cancelled{by} before it started.",
        when=Q(status=SyncStatus.PENDING),
        level=SyncLogEvent.Level.INFO,
        error=f"Cancelled{by} before it started.",
    ):
        pass
    elif SyncLog.objects.filter(pk=sync_log.pk, status=SyncStatus.RUNNING).update(
        cancel_requested=True, updated_at=now
    ):
        _add_event(sync_log, f"Cancellation requested{by}; stopping now (requests in flight are abandoned).")
    else:
        sync_log.refresh_from_db()
        raise ValueError(f"This sync has already finished ({sync_log.status}).")
    sync_log.refresh_from_db()
    _record_sync("sync.cancelled", sync_log, user, status=sync_log.status)
    return sync_log


def resume_sync(sync_log: SyncLog, *, user=None) -> SyncLog:
    """Queue a ``FAILED`` or ``CANCELLED`` sync again; the engine resumes from its checkpoint.

    Raises ``ValueError`` (with the reason) when the log cannot be resumed,
    :class:`CheckpointMismatch` when its checkpoint was made for another endpoint origin or
    pagination than the connector's current ones, and :class:`SyncAlreadyRunning` when another sync
    of the connector is in progress.
    """
    sync_log.refresh_from_db()
    reason = resume_refusal(sync_log)
    if reason:
        raise ValueError(reason)
    connector = connector_model().objects.get(pk=sync_log.connector_id)
    mismatch = checkpoint_refusal(connector, sync_log.checkpoint)
    if mismatch:
        raise CheckpointMismatch(mismatch)
    try:
        with transaction.atomic():
            resumed = SyncLog.objects.filter(
                pk=sync_log.pk, status__in=(SyncStatus.FAILED, SyncStatus.CANCELLED)
            ).update(
                status=SyncStatus.PENDING,
                attempts=0,
                cancel_requested=False,
                finished_at=None,
                error_message="",
                heartbeat_at=timezone.now(),
                updated_at=timezone.now(),
            )
            if resumed and sync_log.status == SyncStatus.CANCELLED:
                demote_cancel_line(sync_log.pk)
    except IntegrityError:
        raise SyncAlreadyRunning(active_run_id(sync_log.connector_id)) from None
    if not resumed:
        sync_log.refresh_from_db()
        raise ValueError(f"This sync cannot be resumed: it is {sync_log.status}.")
    who = f" by {user.email}" if getattr(user, "email", None) else ""
    _add_event(sync_log, f"Resumed{who} from its checkpoint.")
    _record_sync("sync.resumed", sync_log, user)
    hooks.run_now("run_started", sync_log)
    enqueue(sync_log.pk)
    sync_log.refresh_from_db()
    return sync_log


def refused_as_empty(sync_log: SyncLog) -> bool:
    """Whether ``sync_log`` is a full refresh that read every page, got no record and failed instead
    of marking every stored record deleted (the engine's refusal; ``allow_empty`` would let it)."""
    return (
        sync_log.status == SyncStatus.FAILED
        and sync_log.full_refresh
        and not sync_log.allow_empty
        and not sync_log.records_processed
        and Checkpoint.is_finished(sync_log.checkpoint)
    )


def resume_refusal(sync_log: SyncLog, *, newer: bool | None = None) -> str:
    """Why ``sync_log`` cannot be resumed, or ``""`` when it can. ``newer``: whether a newer run of
    its connector exists, when the caller knows (``with_resume_facts``); else it is queried."""
    if sync_log.status not in (SyncStatus.FAILED, SyncStatus.CANCELLED):
        return f"Only a failed or cancelled sync can be resumed; this one is {sync_log.status}."
    if not sync_log.checkpoint:
        return "This sync has no checkpoint to resume from; start a new sync instead."
    if newer is None:
        newer = SyncLog.objects.filter(
            connector_id=sync_log.connector_id, created_at__gt=sync_log.created_at
        ).exists()
    if newer:
        return "A newer sync of this connector exists; start a new sync instead."
    if sync_log.status == SyncStatus.FAILED and Checkpoint.is_finished(sync_log.checkpoint):
        # It failed after its last page (the error threshold, an empty full refresh): a resume
        # would fetch nothing and end the same way.
        if refused_as_empty(sync_log):
            return (
                "This full refresh read every page and got no records, so a resume has nothing left to "
                "fetch. Check the connector (Test connection, the preview) and start a new sync; if the "
                "source really is empty, start a full refresh that allows it (allow_empty)."
            )
        return (
            "This sync stored every page before it failed, so a resume has nothing left to fetch and "
            "would fail the same way. If it failed on the error threshold, fix the connector's "
            "transformation rules (or the data upstream), then start a new sync."
        )
    return ""


def cannot_resume_reason(sync_log: SyncLog) -> str:
    """Everything :func:`resume_sync` would refuse ``sync_log`` for, as its message ("" when it
    would accept it, or when the run is still pending or running). Lists and details annotate
    ``has_newer_sync`` (see ``with_resume_facts``), so that a row costs no query."""
    if sync_log.status in (SyncStatus.PENDING, SyncStatus.RUNNING):
        return ""
    newer = getattr(sync_log, "has_newer_sync", None)
    # A checkpoint made for another endpoint origin or pagination is refused by resume_sync (409).
    return resume_refusal(sync_log, newer=newer) or checkpoint_refusal(
        sync_log.connector, sync_log.checkpoint
    )


def sync_log_can_resume(sync_log: SyncLog) -> bool:
    """Whether :func:`resume_sync` would accept ``sync_log`` (``cannot_resume_reason`` is empty)."""
    return sync_log.status in (SyncStatus.FAILED, SyncStatus.CANCELLED) and not cannot_resume_reason(sync_log)


def with_resume_facts(queryset):
    """``queryset`` of sync logs annotated with what :func:`sync_log_can_resume` needs."""
    newer = SyncLog.objects.filter(
        connector_id=OuterRef("connector_id"), created_at__gt=OuterRef("created_at")
    )
    return queryset.annotate(has_newer_sync=Exists(newer))


# --- Queueing and executing -------------------------------------------------------------------


def enqueue(sync_log_id: int) -> None:
    """Run the sync log in the background once the current transaction commits. When the broker is
    down the log stays PENDING and the reaper queues it again later."""
    background.run_after_commit(RUN_SYNC_TASK, sync_log_id, run_here=execute_sync_log)


def execute_sync_log(sync_log_id: int) -> SyncLog | None:
    """Run a queued sync log (the body of the Celery task).

    Every delivery of a still-``PENDING`` log counts one attempt in the database, so a message
    that kills its worker every time (it is redelivered because of late acknowledgement) ends
    ``FAILED`` after ``MIGRATEIQ_SYNC_MAX_ATTEMPTS``. A log that is no longer pending (cancelled,
    finished, or running elsewhere) is left alone: a duplicate delivery never runs a sync twice.
    """
    cap = 0 if _runs_in_process() else settings.MIGRATEIQ_TENANT_MAX_CONCURRENT_SYNCS
    counted = SyncLog.objects.filter(pk=sync_log_id, status=SyncStatus.PENDING).update(
        attempts=F("attempts") + 1, heartbeat_at=timezone.now()
    )
    if not counted:
        logger.info("Sync log %s is not pending any more; nothing to do", sync_log_id)
        return None
    max_attempts = settings.MIGRATEIQ_SYNC_MAX_ATTEMPTS
    now = timezone.now()
    message = f"Gave up after {max_attempts} attempts: the worker running this sync stopped each time."
    sync_log = SyncLog.objects.select_related("connector").get(pk=sync_log_id)
    if finish_run(
        sync_log, SyncStatus.FAILED, message, when=Q(status=SyncStatus.PENDING, attempts__gt=max_attempts)
    ):
        return sync_log
    for handler in _before_execute:
        handler(sync_log, now)
    stuck_after = longest_page_seconds(getattr(sync_log.connector, "max_requests_per_second", None))
    with SyncHeartbeat(sync_log_id, stuck_after=stuck_after):
        run_sync(sync_log.connector, run=sync_log, full_refresh=sync_log.full_refresh, tenant_cap=cap)
    if not SyncLog.objects.filter(pk=sync_log_id).exists():  # its connector was deleted meanwhile
        return None
    sync_log.refresh_from_db()
    if sync_log.status == SyncStatus.PENDING:
        _defer(sync_log, cap)
    return sync_log


def _runs_in_process() -> bool:
    return background.runs_in_process()


def _defer(sync_log: SyncLog, cap: int) -> None:
    """The tenant has ``cap`` runs on the workers already: queue this one again a little later.

    The delivery does not count as an attempt, and the fresh ``heartbeat_at`` keeps the reaper from
    queueing a duplicate. Waiting runs of all tenants go back to the end of one queue, so a tenant
    over its cap never holds a worker process, and the others' runs are not stuck behind it.
    """
    now = timezone.now()
    SyncLog.objects.filter(pk=sync_log.pk, status=SyncStatus.PENDING).update(
        attempts=F("attempts") - 1, heartbeat_at=now, updated_at=now
    )
    waiting = (
        f"Waiting: this tenant already has {cap} sync(s) running (MIGRATEIQ_TENANT_MAX_CONCURRENT_SYNCS)."
    )
    if not sync_log.events.filter(message=waiting).exists():
        _add_event(sync_log, waiting)
    try:
        celery_app.send_task(
            RUN_SYNC_TASK, args=[sync_log.pk], countdown=settings.MIGRATEIQ_SYNC_DEFER_SECONDS
        )
    except Exception:
        logger.exception("Could not queue sync log %s again; the reaper will retry", sync_log.pk)


def longest_page_seconds(max_requests_per_second: float | None = None) -> float:
    """An upper bound of the time one page may legitimately take: every HTTP attempt timing out
    and waiting the longest ``Retry-After`` (and, under a connector's request rate, its interval),
    plus a minute to transform and store the page."""
    per_attempt = (
        settings.MIGRATEIQ_HTTP_CONNECT_TIMEOUT
        + settings.MIGRATEIQ_HTTP_TIMEOUT
        + settings.MIGRATEIQ_HTTP_RETRY_AFTER_CAP
    )
    if max_requests_per_second:
        per_attempt += (1 + RATE_MARGIN) / max_requests_per_second
    return settings.MIGRATEIQ_HTTP_MAX_ATTEMPTS * per_attempt + 60


class SyncHeartbeat:
    """Keeps a running log's ``heartbeat_at`` fresh from a thread while the engine works.

    The engine heartbeats after each page, but one page may take minutes (timeouts, retries,
    ``Retry-After``), longer than ``MIGRATEIQ_SYNC_STALE_AFTER_SECONDS``: without this the reaper
    would requeue a sync that is still running. The thread dies with its worker, so a killed
    worker's log still goes stale; and it stops heartbeating when the engine has made no page
    progress for longer than a page can take (:func:`longest_page_seconds`), so a stuck sync goes
    stale too and never stays ``RUNNING`` forever.
    """

    def __init__(self, sync_log_id: int, *, interval: float | None = None, stuck_after: float | None = None):
        self.sync_log_id = sync_log_id
        self.interval = interval if interval is not None else settings.MIGRATEIQ_SYNC_HEARTBEAT_SECONDS
        self.stuck_after = stuck_after if stuck_after is not None else longest_page_seconds()
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"sync-heartbeat-{sync_log_id}", daemon=True)

    def __enter__(self):
        if self.interval > 0:
            self._thread.start()
        return self

    def __exit__(self, *exc_info):
        self._stopped.set()
        if self._thread.is_alive():
            self._thread.join(timeout=10)

    def _run(self) -> None:
        last_pages, last_progress = None, time.monotonic()
        try:
            while not self._stopped.wait(self.interval):
                pages = (
                    SyncLog.objects.filter(pk=self.sync_log_id, status=SyncStatus.RUNNING)
                    .values_list("pages_fetched", flat=True)
                    .first()
                )
                if pages is None:
                    continue
                if pages != last_pages:
                    last_pages, last_progress = pages, time.monotonic()
                elif time.monotonic() - last_progress > self.stuck_after:
                    continue
                SyncLog.objects.filter(pk=self.sync_log_id, status=SyncStatus.RUNNING).update(
                    heartbeat_at=timezone.now()
                )
        except Exception:
            logger.exception("The heartbeat of sync log %s stopped", self.sync_log_id)
        finally:
            connections.close_all()


# --- Reaper -----------------------------------------------------------------------------------


def reap_stale_syncs(*, now=None) -> dict:
    """Deal with runs whose worker disappeared (the beat calls this every minute).

    * ``RUNNING`` with a heartbeat older than ``MIGRATEIQ_SYNC_STALE_AFTER_SECONDS``: queued again
      to resume from its checkpoint while attempts remain, else ``FAILED`` for good; a stale run
      whose cancellation was requested ends ``CANCELLED``.
    * ``PENDING`` not started ``MIGRATEIQ_SYNC_REQUEUE_PENDING_AFTER_SECONDS`` after it was queued
      (its message was lost, e.g. the broker was down): queued again.

    Returns the ids handled, by outcome.
    """
    now = now or timezone.now()
    stale_before = now - timedelta(seconds=settings.MIGRATEIQ_SYNC_STALE_AFTER_SECONDS)
    outcome: dict[str, list[int]] = {"requeued": [], "failed": [], "cancelled": [], "pending_requeued": []}
    stale = (
        SyncLog.objects.unscoped("the reaper looks for stale runs of every tenant")
        .filter(status=SyncStatus.RUNNING)
        .filter(Q(heartbeat_at__lt=stale_before) | Q(heartbeat_at__isnull=True, updated_at__lt=stale_before))
    )
    for sync_log in stale.only(
        "pk", "tenant_id", "connector_id", "attempts", "cancel_requested", "heartbeat_at"
    ):
        still_stale = SyncLog.objects.filter(
            pk=sync_log.pk, status=SyncStatus.RUNNING, heartbeat_at=sync_log.heartbeat_at
        )
        if sync_log.cancel_requested:
            if finish_run(
                sync_log,
                SyncStatus.CANCELLED,
                "The worker stopped responding after a cancellation request; cancelled.",
                when=Q(status=SyncStatus.RUNNING, heartbeat_at=sync_log.heartbeat_at),
                level=SyncLogEvent.Level.INFO,
            ):
                outcome["cancelled"].append(sync_log.pk)
        elif sync_log.attempts < settings.MIGRATEIQ_SYNC_MAX_ATTEMPTS:
            with transaction.atomic():
                if still_stale.update(status=SyncStatus.PENDING, heartbeat_at=now, updated_at=now):
                    _add_event(
                        sync_log,
                        "The worker stopped responding; queued again to resume from the checkpoint.",
                        level=SyncLogEvent.Level.WARNING,
                    )
                    enqueue(sync_log.pk)
                    outcome["requeued"].append(sync_log.pk)
        else:
            message = f"Gave up after {sync_log.attempts} attempts: the worker running this sync stopped."
            if finish_run(
                sync_log,
                SyncStatus.FAILED,
                message,
                when=Q(status=SyncStatus.RUNNING, heartbeat_at=sync_log.heartbeat_at),
            ):
                outcome["failed"].append(sync_log.pk)

    lost_before = now - timedelta(seconds=settings.MIGRATEIQ_SYNC_REQUEUE_PENDING_AFTER_SECONDS)
    lost = (
        SyncLog.objects.unscoped("the reaper looks for lost runs of every tenant")
        .filter(status=SyncStatus.PENDING)
        .filter(Q(heartbeat_at__lt=lost_before) | Q(heartbeat_at__isnull=True, updated_at__lt=lost_before))
    )
    for sync_log in lost.only("pk", "heartbeat_at"):
        with transaction.atomic():
            if SyncLog.objects.filter(
                pk=sync_log.pk, status=SyncStatus.PENDING, heartbeat_at=sync_log.heartbeat_at
            ).update(heartbeat_at=now, updated_at=now):
                _add_event(sync_log, "Not started yet; queued again.", level=SyncLogEvent.Level.WARNING)
                enqueue(sync_log.pk)
                outcome["pending_requeued"].append(sync_log.pk)
    if any(outcome.values()):
        logger.warning("Reaped sync logs: %s", outcome)
    return outcome


# --- Helpers ----------------------------------------------------------------------------------


def _add_event(sync_log, message: str, level=SyncLogEvent.Level.INFO) -> None:
    record_event(sync_log.pk, message, level)


#: Called with (run, now) before a queued run executes (the connectors module re-plans its schedule).
_before_execute: list = []


def before_execute(handler) -> None:
    """Register ``handler(run, now)``, called before each queued run executes."""
    if handler not in _before_execute:
        _before_execute.append(handler)
