"""Committing pages: one transaction a page (records, quarantine, schema, checkpoint), in order.

:class:`PageWriter` writes one page. The committers decide *where* that runs: in the run's own
thread (:class:`InlineCommitter`) or in a second thread on its own database connection
(:class:`BackgroundCommitter`) while the run fetches and builds the next page. Both depend on the
writer, an event sink and a cancel check, not on the run's service.
"""

from __future__ import annotations

import contextvars
import queue
import sys
import threading
import time
from collections.abc import Callable
from contextlib import nullcontext
from dataclasses import dataclass

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from core.redaction import redact
from sync_engine import changes
from sync_engine.errors import Cancelled, SyncOwnershipLost
from sync_engine.models import SyncLog, SyncLogEvent, SyncRecordError
from sync_engine.page_builder import PAGES_IN_FLIGHT, PageWork, external_id_of
from sync_engine.records import deferred_page_flushes, jsonb_safe, upsert_page
from sync_engine.runs import owned
from sync_engine.schema import save_schema


@dataclass
class Counters:
    """A run's counters; ``created`` / ``updated`` / ``unchanged`` are written by the committer only."""

    processed: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    failed: int = 0
    pages: int = 0

    @classmethod
    def of(cls, run: SyncLog) -> Counters:
        return cls(
            processed=run.records_processed,
            created=run.records_created,
            updated=run.records_updated,
            unchanged=run.records_unchanged,
            failed=run.records_failed,
            pages=run.pages_fetched,
        )


#: A page with nothing to write but the run's counters and checkpoint is committed with the next
#: page, unless this many seconds passed since the last commit.
QUIET_COMMIT_INTERVAL = 0.5


class PageWriter:
    """Commits one page: its records, its quarantine, schema and the checkpoint, in one transaction.

    A *quiet* page (every record unchanged, nothing quarantined, no schema news: most pages of a
    re-sync) is held and committed with the page after it, or on its own once
    :data:`QUIET_COMMIT_INTERVAL` passed since the last commit, or by :meth:`flush`; the last page
    of a run never waits. The checkpoint still marks a contiguous prefix of committed pages, only a
    less recent one (a resumed run fetches those unchanged pages again), and a re-sync no longer
    runs a transaction for every page (on SQLite each one also took the GIL back from the run's
    thread several times).
    """

    def __init__(self, run: SyncLog, connector, counters: Counters, *, first_load: bool, primary_key: str):
        self.run = run
        self.connector_id = connector.pk
        self.tenant_id = connector.tenant_id
        self.counters = counters
        self.first_load = first_load
        self.primary_key = primary_key
        self._held: PageWork | None = None
        self._last_commit = time.monotonic()

    def commit(self, work: PageWork) -> dict | None:
        """Write ``work`` (with a quiet page held before it); returns the run fields written, or
        None when ``work`` is quiet and held. Raises :class:`SyncOwnershipLost` (the page rolls
        back) when another run took this one over."""
        held, self._held = self._held, None
        if held is not None:  # its unchanged records count with this page (its fields are older)
            work.duplicates += held.duplicates
            work.skipped += held.skipped
        if work.quiet and not work.last and time.monotonic() - self._last_commit < QUIET_COMMIT_INTERVAL:
            self._held = work
            return None
        fields = self._write(work)
        self._last_commit = time.monotonic()
        return fields

    def flush(self) -> dict | None:
        """Commit a held quiet page, if any (when the run stops before its last page)."""
        held, self._held = self._held, None
        if held is None:
            return None
        return self._write(held)

    def _write(self, work: PageWork) -> dict:
        counters = self.counters
        now = timezone.now()
        with transaction.atomic():
            counts = upsert_page(
                tenant_id=self.tenant_id,
                connector_id=self.connector_id,
                sync_log_id=self.run.pk,
                rows=work.rows,
                now=now,
                first_load=self.first_load,
                known=work.known,
            )
            if work.schema is not None:
                save_schema(self.connector_id, work.schema)
            if work.seen:
                changes.mark_seen(self.connector_id, self.run.pk, work.seen)
            if work.failures:
                SyncRecordError.objects.bulk_create(
                    [
                        SyncRecordError(
                            tenant_id=self.tenant_id,
                            sync_log_id=self.run.pk,
                            connector_id=self.connector_id,
                            external_id=external_id_of(raw, self.primary_key),
                            raw_payload=jsonb_safe(raw),
                            error=redact(error)[:2000],
                            page=work.number,
                        )
                        for raw, error in work.failures
                    ]
                )
            # A record repeated within a page is written once and counted unchanged.
            counters.created += counts.created
            counters.updated += counts.updated
            counters.unchanged += counts.unchanged + work.duplicates + work.skipped
            fields = {
                **work.fields,
                "records_created": counters.created,
                "records_updated": counters.updated,
                "records_unchanged": counters.unchanged,
                "heartbeat_at": now,
            }
            # Only the run that claimed the log may write it: a run reaped as stale that comes back
            # to life must not commit alongside the run that took over (the page rolls back).
            if not owned(self.run).update(**fields):
                raise SyncOwnershipLost(f"Sync log {self.run.pk} was taken over by another run.")
        return fields


def cancel_requested(run: SyncLog) -> bool:
    return SyncLog.objects.filter(pk=run.pk, cancel_requested=True).exists()


#: A slow run (a request budget of 1 a second, a slow API) still says how far it got this often.
PROGRESS_EVERY_SECONDS = 10.0


class _Progress:
    """When a committed page is worth a "N pages, M records so far." line: pages 10 and 100, every
    1,000th, and the first page committed :data:`PROGRESS_EVERY_SECONDS` after the last line (else a
    run paced to a page a second kept its log still until its tenth page)."""

    def __init__(self):
        self.last = time.monotonic()

    def due(self, page_number: int) -> bool:
        now = time.monotonic()
        if page_number in (10, 100) or page_number % 1000 == 0 or now - self.last >= PROGRESS_EVERY_SECONDS:
            self.last = now
            return True
        return False

    @staticmethod
    def line(work: PageWork) -> str:
        pages, records = work.number, work.fields["records_processed"]
        return (
            f"{pages} page{'' if pages == 1 else 's'}, {records} record{'' if records == 1 else 's'} so far."
        )


class InlineCommitter:
    """Commits each page in the run's own thread and connection, before the next page is fetched.

    ``on_committed(fields)`` runs in the run's thread after each commit (the in-memory run, progress).
    """

    background = False  # True: commits in a thread and on a connection of its own

    def __init__(self, writer: PageWriter, emit: Callable[..., None], on_committed: Callable[[dict], None]):
        self._failed = False
        self.writer = writer
        self.run = writer.run
        self.write_event = emit
        self.on_committed = on_committed
        self._progress = _Progress()

    def event(
        self, message: str, level: str = SyncLogEvent.Level.INFO, at=None, *, retried: bool = False
    ) -> None:
        self.write_event(message, level, at=at, retried=retried)

    def submit(self, work: PageWork) -> None:
        self._failed = True  # until the commit returns: a failed page leaves nothing to flush
        fields = self.writer.commit(work)
        self._failed = False
        if fields is not None:
            self.on_committed(fields)
        if self._progress.due(work.number):
            self.event(self._progress.line(work))

    def check(self, *, final: bool = False) -> None:
        """Raise :class:`Cancelled` at a page boundary when a cancel was requested."""
        if not final and cancel_requested(self.run):
            self.run.cancel_requested = True
            raise Cancelled

    def close(self) -> None:
        if not self._failed:
            fields = self.writer.flush()
            if fields is not None:
                self.on_committed(fields)

    def reading(self):
        """A context for the run's thread to read the database while pages may be committing."""
        return nullcontext()


class _SwitchInterval:
    """While any background committer runs, the interpreter's thread switch interval is at most
    1 ms (restored when the last one closes).

    Every statement the committer thread runs releases the GIL and must take it back from the run's
    thread, which holds it for up to the switch interval (5 ms by default) while it builds the next
    page: a page's commit runs about ten statements. Interleaved A/B runs of the benchmark
    (docs/benchmarks.md): SQLite first syncs 11-17 % faster with 1 ms, the other phases unchanged
    or faster.
    """

    INTERVAL = 0.001

    def __init__(self):
        self._lock = threading.Lock()
        self._users = 0
        self._saved = 0.0

    def enter(self) -> None:
        with self._lock:
            if self._users == 0:
                self._saved = sys.getswitchinterval()
                sys.setswitchinterval(min(self._saved, self.INTERVAL))
            self._users += 1

    def leave(self) -> None:
        with self._lock:
            self._users -= 1
            if self._users == 0:
                sys.setswitchinterval(self._saved)


_switch_interval = _SwitchInterval()


class BackgroundCommitter(InlineCommitter):
    """Commits pages in a second thread, on its own database connection, while the run fetches
    and builds the next page: the database's work overlaps the run's (PostgreSQL runs it in another
    process; SQLite releases the GIL while it writes).

    Pages commit strictly in order, one queued at a time (memory stays constant). Log lines go
    through the same queue, so the run's own thread does not touch the database meanwhile. A failed
    commit stops the run at its next page boundary; a cancel seen after a commit drops the pages
    queued behind it. ``on_committed`` still runs in the run's thread; on SQLite, which has one
    writer at a time and writes a page without holding the GIL, never while the committer is working
    (a progress callback may write to the database too).
    """

    background = True

    def __init__(self, *args, serialize_callbacks: bool = False):
        super().__init__(*args)
        self._busy = threading.Lock() if connection.vendor == "sqlite" else nullcontext()
        self._serialize_callbacks = serialize_callbacks
        # One page waiting while one commits: PAGES_IN_FLIGHT (the run never looks their keys up early).
        self._queue: queue.Queue = queue.Queue(maxsize=PAGES_IN_FLIGHT - 1)
        self._committed: queue.SimpleQueue = queue.SimpleQueue()
        self._error: BaseException | None = None
        self._cancelled = threading.Event()
        self._dropped = False
        self._closed = False
        # the committer's log lines carry the same request / connector / sync context as the run's
        context = contextvars.copy_context()
        self._thread = threading.Thread(
            target=context.run, args=(self._work,), name=f"sync-{self.run.pk}-commits", daemon=True
        )
        _switch_interval.enter()
        self._thread.start()

    def event(
        self, message: str, level: str = SyncLogEvent.Level.INFO, at=None, *, retried: bool = False
    ) -> None:
        self._put(("event", message, level, at, retried))

    def reading(self):
        # SQLite: never while a page commits (an in-memory database shared between connections
        # locks a table its writer holds instead of letting a reader see the last commit).
        return self._busy

    def submit(self, work: PageWork) -> None:
        self._put(("page", work))
        self._report_committed()

    def check(self, *, final: bool = False) -> None:
        self._report_committed()
        if self._error is not None:
            raise self._error
        if self._cancelled.is_set() and (self._dropped or not final):
            self.run.cancel_requested = True
            raise Cancelled

    def close(self) -> None:
        if self._thread.is_alive():
            self._queue.put(None)
            self._thread.join()
        if not self._closed:
            self._closed = True
            _switch_interval.leave()
        self._report_committed()

    def _put(self, item) -> None:
        while self._thread.is_alive():
            try:
                self._queue.put(item, timeout=0.2)
                return
            except queue.Full:
                continue
        if self._error is not None:
            raise self._error

    def _report_committed(self) -> None:
        while True:
            try:
                fields = self._committed.get_nowait()
            except queue.Empty:
                return
            if not self._serialize_callbacks:
                self.on_committed(fields)
                continue
            with self._busy:
                self.on_committed(fields)

    def _handle(self, item) -> None:
        if item[0] == "event":
            self.write_event(item[1], item[2], at=item[3], retried=item[4])
            return
        work = item[1]
        fields = self.writer.commit(work)
        if self._progress.due(work.number):
            self.write_event(self._progress.line(work))
        if fields is None:  # a quiet page, held for the next commit
            return
        self._committed.put(fields)
        if cancel_requested(self.run):
            self._cancelled.set()

    def _work(self) -> None:
        try:
            with deferred_page_flushes():
                while (item := self._queue.get()) is not None:
                    if self._error is not None or self._cancelled.is_set():
                        self._dropped = self._dropped or item[0] == "page"
                        continue
                    with self._busy:
                        self._handle(item)
                if self._error is None and not self._cancelled.is_set():
                    with self._busy:
                        if (fields := self.writer.flush()) is not None:
                            self._committed.put(fields)
        except BaseException as exc:  # handed to the run's thread at its next page boundary
            self._error = exc
            while self._queue.get() is not None:
                pass
        finally:
            connection.close()


def committer_for(writer: PageWriter, emit, on_committed, *, has_progress: bool) -> InlineCommitter:
    # Inside an outer transaction (a caller's atomic block, the test suite) a second connection
    # would not see the caller's rows: commit inline there.
    if connection.in_atomic_block or not getattr(settings, "MIGRATEIQ_SYNC_BACKGROUND_COMMITS", True):
        return InlineCommitter(writer, emit, on_committed)
    return BackgroundCommitter(writer, emit, on_committed, serialize_callbacks=has_progress)
