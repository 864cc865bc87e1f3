"""The sync engine: read a connector's source page by page; transform, quarantine, upsert, checkpoint.

One code path for every caller (API action, Celery task, ``manage.py sync_connector``)::

    run = run_sync(connector)                    # creates and runs a run (a SyncLog)
    run = run_sync(connector, run=pending_run)   # runs a queued one, or resumes a failed one

The engine knows no API: the connector's :class:`~sync_engine.sources.Source` yields pages (see
``sync_engine/sources.py``). Each page's upserts, its quarantined records and the checkpoint (the
source's position, the incremental high-water mark, the counters) commit in one transaction, so a
run that dies midway resumes from its last committed page and ends with the same data as a clean
run. Between pages it refreshes the heartbeat and honours cancellation, the run's time budget and
its page cap. Nothing but the source's position and a few recent page fingerprints is kept from one
page to the next, so memory does not grow with the number of records. Outside a caller's transaction
the page commits run on a second connection while the next page is read and built
(``committers.BackgroundCommitter``).

Problems never escape as exceptions: the run ends ``FAILED`` with a message that is safe to show (no
credentials). A run whose source stops while it says there is more (``Page.incomplete``) ends
``PARTIAL`` (or ``FAILED`` with nothing stored) and keeps the old incremental cursor; one that
quarantined records its rules decide ends with the cursor it read from, so that the next sync reads
them again (:meth:`_Run._held_cursor`). Every end goes through :func:`sync_engine.runs.finish_run`.
"""

from __future__ import annotations

import gc
import hashlib
import logging
import time
from collections import deque
from collections.abc import Callable
from contextlib import closing, contextmanager
from datetime import timedelta
from functools import partial

from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.db import DatabaseError
from django.utils import timezone

from core import shutdown
from core.budget import RequestBudgetExhausted
from core.database_errors import DATABASE_ERRORS, describe_database_error
from core.http import abandoned_when
from core.http_errors import EgressDenied, OutboundError
from core.redaction import redact, safe_url
from core.request_context import reset_log_context, set_log_context
from sync_engine.builds import builds_for
from sync_engine.cancellation import CancelWatch
from sync_engine.changes import delete_unseen, last_sequence, rewritten_count, seen_count
from sync_engine.checkpoint import Checkpoint
from sync_engine.committers import Counters, PageWriter, committer_for
from sync_engine.cursors import epoch_unit
from sync_engine.errors import Cancelled, Interrupted, RepeatedPage, SyncOwnershipLost, SyncProblem
from sync_engine.events import FURTHER_RETRIES, record_event, retry_line
from sync_engine.keys import describe_key, key_changed, key_mode_refusal, key_source_of
from sync_engine.lookups import ThreadedLookups
from sync_engine.models import SchemaPolicy, SyncLog, SyncLogEvent, SyncRecordError, SyncStatus
from sync_engine.page_builder import (
    PageBuilder,
    Rules,
    content_key_warning,
    float_keys_warning,
    overwritten_fields_warnings,
    repeated_keys_shortfall,
    repeated_keys_warning,
    unmatched_mappings_warnings,
    unmatched_stored_mappings_warnings,
)
from sync_engine.records import (
    connector_has_records,
    deferred_page_flushes,
    live_record_count,
    stored_checksums,
)
from sync_engine.runs import (
    KEEP_CURSOR,
    claim_run,
    create_run,
    earlier_key,
    earlier_key_modes,
    finish_run,
    pages_of_last_run,
)
from sync_engine.schema import (
    MAX_SCHEMA_CHANGES,
    SchemaAccumulator,
    describe_schema_changes,
    frozen_schema_refusal,
    full_schema_warning,
    is_full,
    long_names_warning,
    schema_changes,
    stored_schema_document,
)
from sync_engine.schema_backfill import rebuild_schema_at_run_end
from sync_engine.sources import RunContext, Source, source_for

logger = logging.getLogger(__name__)

# Retry lines written to a run's log; more would drown the useful ones.
MAX_RETRY_EVENTS = 20
# Recent page fingerprints remembered to spot a source serving the same page again.
RECENT_PAGES = 32
# Evidence needed before the error threshold may fail a sync early (it is always checked at the end).
EARLY_THRESHOLD_MIN_FAILURES = 1000


def run_time_budget(connector) -> float:
    """A run's time budget in seconds: ``MIGRATEIQ_SYNC_MAX_SECONDS``, or the connector's
    ``max_sync_seconds`` when that is lower (an editor can shorten a run, never lengthen it). The API
    refuses a larger ``max_sync_seconds``; one stored before the limit was lowered is capped here."""
    budget = float(settings.MIGRATEIQ_SYNC_MAX_SECONDS)
    if connector.max_sync_seconds:
        budget = min(budget, float(connector.max_sync_seconds))
    return budget


def run_page_cap(connector) -> int:
    """Pages per run: the connector's ``max_pages``, capped by ``MIGRATEIQ_SYNC_MAX_PAGES``."""
    cap = settings.MIGRATEIQ_SYNC_MAX_PAGES
    return min(connector.max_pages, cap) if connector.max_pages else cap


def over_budget_message(budget: float, pages: int) -> str:
    return (
        f"Stopped after this run's time budget of {budget:g} s (MIGRATEIQ_SYNC_MAX_SECONDS, or the "
        f"connector's max_sync_seconds), after page {pages}; committed pages are kept: resume the sync "
        "to continue from its checkpoint."
    )


REPEATED_PAGE_NOT_RESUMED = (
    "The pages committed before it are kept, but the run cannot be resumed: the earlier page it "
    "repeats may itself have been the wrong one. Start a new sync, which reads every page again."
)


def checkpoint_refusal(connector, checkpoint) -> str:
    """Why a run's stored checkpoint may not be resumed with the connector as it is now, or "".
    The API's resume, the worker and the reaper's requeue (through the engine) ask the same."""
    if not isinstance(checkpoint, dict):
        return ""
    return _refusal(
        connector,
        source_for(connector),
        Checkpoint.source_part(checkpoint),
        checkpoint.get("primary_key"),
        checkpoint.get("key_source"),
        key_source_of(connector),
    )


def _cursor_stays(since) -> str:
    """How a warning says the incremental cursor does not move from ``since``."""
    return "is left unset" if since is None else f"stays at {since!r}"


def _refusal(connector, source: Source, position: dict, primary_key_then, key_source_then, key_source) -> str:
    """The source's refusal of the checkpoint's ``position`` (its endpoint, request, pagination,
    filter), and the engine's: a primary key changed since, or the transformation rules that compute
    it (the pages after it would store each record under another key than the pages before it,
    twice)."""
    refusals = [source.refuse_checkpoint(position)]
    primary_key = getattr(connector, "primary_key", "") or ""
    changed = None
    if isinstance(primary_key_then, str) and primary_key_then != primary_key:
        changed = ("primary_key changed", repr(primary_key_then), repr(primary_key), "another key")
    elif key_changed(primary_key_then, key_source_then, primary_key, key_source):
        changed = (
            "transformation rules changed what its primary key is computed from",
            describe_key(primary_key, key_source_then),
            describe_key(primary_key, key_source),
            "other keys",
        )
    if changed is not None:
        what, before, now, keys = changed
        refusals.append(
            f"The connector's {what} since this run's checkpoint was made (from {before} to {now}): "
            f"the pages after it would store their records under {keys} than the pages already stored; "
            "it cannot be resumed. Start a new sync instead: it stores every record under the new key "
            "and, once it has read every page, marks the records stored under the old one deleted."
        )
    return " ".join(refusal for refusal in refusals if refusal)


def run_sync(
    connector,
    *,
    run: SyncLog | None = None,
    triggered_by: str = "manual",
    full_refresh: bool = False,
    allow_empty: bool = False,
    progress: Callable[[SyncLog], None] | None = None,
    tenant_cap: int = 0,
) -> SyncLog:
    """Run a sync of ``connector`` and return its run (finished: SUCCESS, PARTIAL, FAILED, CANCELLED).

    Without ``run`` a new RUNNING run is created; raises ``SyncAlreadyRunning`` when the connector
    already has an active one. With a PENDING run it runs it; with a FAILED (or stale RUNNING) run it
    resumes from its checkpoint. A run another worker already claimed (or that has finished) is
    returned as it is. ``tenant_cap`` (workers: fair queuing): when the tenant already has that many
    live runs, the run is returned unclaimed, still PENDING. ``allow_empty`` (a new full refresh
    only; a given run keeps its own): see :meth:`_Run._empty_refresh_refusal`.
    """
    if run is None:
        run = create_run(
            connector,
            status=SyncStatus.RUNNING,
            triggered_by=triggered_by,
            full_refresh=full_refresh,
            allow_empty=allow_empty,
        )
    elif not claim_run(run, tenant_cap=tenant_cap):
        run.refresh_from_db()
        return run
    return _Run(connector, run, full_refresh or run.full_refresh, progress).execute()


class _Run:
    """One execution of a run, from its claim to :func:`finish_run`."""

    def __init__(self, connector, run: SyncLog, full_refresh: bool, progress):
        self.connector = connector
        self.run = run
        self.full_refresh = full_refresh
        self.progress = progress
        self.counters = Counters()
        self.warnings: list[str] = []
        self.incomplete: str | None = None  # why the run cannot know it got every record
        self.complete = False  # the source's last page was reached (not a cap, not an error)
        self.capped: str | None = None  # the page cap stopped the run while the source had more
        self.retry_events = 0  # this attempt's retried requests (the run's count had retries_before)
        # read from the row: the run object may predate an earlier attempt's count
        self.rate_limit_wait = 0.0  # seconds this attempt's requests waited for the API's rate limit
        self.retries_before = SyncLog.objects.filter(pk=run.pk).values_list("retries", flat=True).first() or 0
        # The number of the page being requested: pages are requested while earlier ones are still
        # being built, so the pages counted so far would name an earlier page in its retry lines.
        self.requesting_page: int | None = None
        # The source's incremental cursor field (None: not incremental) and the cursor the run reads
        # from (its first attempt's, kept by the checkpoint), once the run has started.
        self.cursor_field: str | None = None
        self.since = None
        # A committed page quarantined a record that fixed rules would store (see _held_cursor).
        self.holds_cursor = False
        # Committed records without a usable cursor value, the first odd one seen (see PageWork), and
        # whether a record's cursor was earlier than one read before it (the upstream's order).
        self.no_cursor, self.unordered = 0, False
        self.odd_cursor: object = None
        # Records whose timestamp cursor is dated after tomorrow, and the first such value.
        self.future = 0
        self.future_cursor: object = None
        # Records keyed by a float primary key (1.0), and the first such key (see float_keys_warning).
        self.float_keys = 0
        self.float_key: object = None
        # The epoch units of the committed records' cursor values (cursors.epoch_unit), each with its
        # first value: seconds and milliseconds in one field hold the cursor (_mixed_epoch_units).
        self.epoch_units: dict = {}
        # Pages asked for by position were committed on both sides of a resume (see _across_attempts).
        self.resumed_positional = False
        # The connector's schema fields when this run (or its resumption) began; None before.
        self.schema_before: list[dict] | None = None
        self.schema_was_full = False  # the schema left fields out already (schema.is_full)
        self.schema_had_long_names = False  # ... or a field for its name's length
        # Where the run's log lines go: the page committer while pages are in flight.
        self._emit: Callable[..., None] = partial(record_event, run.pk)

    def emit(self, message: str, level: str = SyncLogEvent.Level.INFO, at=None) -> None:
        self._emit(message, level, at=at)

    def execute(self) -> SyncLog:
        run, connector = self.run, self.connector
        started = time.monotonic()
        previous_duration = (run.duration_seconds or 0.0) if run.checkpoint else 0.0
        log_context = set_log_context(connector=connector.pk, sync=run.pk)
        advance_cursor = False
        not_resumable = False
        try:
            with deferred_page_flushes(), _collector_skips_older_objects():
                status, advance_cursor = self._run()
            message = self.incomplete or self.capped or ""
        except SyncOwnershipLost:
            reset_log_context(log_context)
            if not SyncLog.objects.filter(pk=run.pk).exists():
                # The connector was deleted meanwhile, its runs and records with it: nothing is left to
                # record, and nothing was written for it (the page's owner check found no run).
                logger.info("Sync %s stopped: connector %s was deleted while it ran", run.pk, connector.pk)
                return run
            logger.warning(
                "Sync %s of connector %s was taken over by another run; stopping", run.pk, connector.pk
            )
            run.refresh_from_db()
            return run
        except Cancelled:
            status, message = SyncStatus.CANCELLED, "Cancelled; committed pages are kept."
        except Interrupted as exc:
            status, message = SyncStatus.CANCELLED, self._interrupted_message(exc.reason)
        except OutboundError as exc:
            status, message = SyncStatus.FAILED, self._upstream_message(exc)
        except RepeatedPage as exc:
            status, message = SyncStatus.FAILED, redact(str(exc)) + " " + REPEATED_PAGE_NOT_RESUMED
            not_resumable = True
        except (SyncProblem, ValueError) as exc:
            status, message = SyncStatus.FAILED, redact(str(exc))
        except DATABASE_ERRORS as exc:
            logger.exception("Sync %s of connector %s hit a database error", run.pk, connector.pk)
            # The database's own text can quote the refused record's values or the server's address.
            status, message = (
                SyncStatus.FAILED,
                f"Database error while storing a page: {describe_database_error(exc)}; "
                "the server log has the database's full message.",
            )
        except SoftTimeLimitExceeded:
            # The worker's limit backs up the run budget when one page overran it.
            status, message = (
                SyncStatus.FAILED,
                over_budget_message(run_time_budget(connector), self.counters.pages),
            )
        except Exception as exc:  # a bug must not leave the run RUNNING forever
            logger.exception("Sync %s of connector %s crashed", run.pk, connector.pk)
            status, message = SyncStatus.FAILED, f"Internal error ({type(exc).__name__}); see the server log."
        stopping = shutdown.requested()
        if stopping and status == SyncStatus.FAILED:
            # The page in flight failed while the process stops (Ctrl-C stops the upstream of
            # `make run` too): the run was interrupted, not broken; it stays resumable.
            self.warnings.append(f"While stopping: {message}")
            status, message = SyncStatus.CANCELLED, self._interrupted_message(stopping)
        try:
            if status == SyncStatus.SUCCESS and self.full_refresh and self.complete:
                # Only a run that read every page may conclude a record is gone upstream.
                refusal = self._empty_refresh_refusal()
                if refusal:
                    status, message, advance_cursor = SyncStatus.FAILED, refusal, False
                else:
                    deleted = delete_unseen(connector.pk, run.pk, timezone.now())
                    if deleted:
                        SyncLog.objects.filter(pk=run.pk).update(records_deleted=deleted)
                        self.emit(
                            f"Full refresh: {deleted} record(s) the upstream no longer returns were marked "
                            "deleted."
                        )
                    if deleted or self.counters.updated:
                        self._rebuild_schema("Full refresh")
            if status in (SyncStatus.SUCCESS, SyncStatus.PARTIAL) and self._rewrote_everything():
                self._rebuild_schema("Every stored record was written again")
            if not_resumable:
                # the committed pages are kept; the checkpoint after them is not to be resumed
                SyncLog.objects.filter(pk=run.pk).update(checkpoint=None)
                run.checkpoint = None
            changes = self._schema_changes()
            cursor = KEEP_CURSOR
            advancing = advance_cursor and status in (SyncStatus.SUCCESS, SyncStatus.PARTIAL)
            if self.cursor_field is not None and self.holds_cursor:
                cursor = self._held_cursor(advancing=advancing)
            elif advancing and (self._mixed_epoch_units() or self.resumed_positional):
                # no value of the run is provably the latest, or the pages may have skipped records
                # (see _cursor_warnings): the next sync reads from where this one read
                cursor = self.since
            finish_run(
                run,
                status,
                redact(message),
                duration=previous_duration + time.monotonic() - started,
                warnings=self.warnings,
                retries=self.retries_before + self.retry_events,
                rate_limit_wait=self.rate_limit_wait,
                level=SyncLogEvent.Level.WARNING if status == SyncStatus.PARTIAL and self.capped else None,
                advance_cursor=advance_cursor and status in (SyncStatus.SUCCESS, SyncStatus.PARTIAL),
                summary=True,
                connector=connector,
                schema_changes=changes,
                cursor=cursor,
            )
        finally:
            reset_log_context(log_context)
        return run

    def _held_cursor(self, *, advancing: bool):
        """The incremental cursor after a run that quarantined records for what the connector's
        rules decide (``PageWork.holds_cursor``): the one the run read from (a full refresh's start,
        not the cursor stored before it). Such a record is stored by none of the run's pages, and a
        next sync starting after it would never see it again, fixed rules or not. So the next sync
        reads this run's records again (those stored unchanged are skipped by their source
        checksums) until they are stored; a warning says so when this keeps the cursor from moving.
        Records no rule stores (not an object, a value no database keeps) do not hold it."""
        since, reached = self.since, self.run.cursor_value
        moved = advancing and reached is not None and reached != since
        if moved or since != self.connector.incremental_cursor:
            stays = _cursor_stays(since)
            self.warnings.append(
                "Records were quarantined for what the connector's rules decide (a transformation "
                f"error, the primary key), so the incremental cursor {stays}"
                + (f" (instead of moving to {reached!r})" if moved else "")
                + ": the next sync reads them again and stores them once the rules (or the data "
                "upstream) are fixed; until then every sync reads again from there."
            )
        return since

    @staticmethod
    def _refuse_schema_change(frozen: list[dict], document: dict, number: int, label: str) -> None:
        refused = frozen_schema_refusal(frozen, document.get("fields") or [])
        if refused:
            raise SyncProblem(
                f"Page {number} ({label}) would change the schema, which this connector's schema_policy "
                f'"freeze" refuses: {refused}. Nothing from this page on was stored. Review the change, '
                'then set schema_policy to "evolve" and resume this run to store it.'
            )

    def _schema_changes(self) -> list[dict]:
        """How the pages this run committed changed the connector's schema (added fields and
        types: a line in its log, a warning for a field that took another type or lost a format);
        at most :data:`MAX_SCHEMA_CHANGES` of them. A warning too when they made it full."""
        if self.schema_before is None:
            return []
        try:
            document = stored_schema_document(self.connector.pk)
        except DatabaseError:
            logger.exception("Could not read the schema of connector %s", self.connector.pk)
            return []
        if is_full(document) and not self.schema_was_full:
            self.warnings.append(full_schema_warning())
        if document.get("long_names") and not self.schema_had_long_names:
            self.warnings.append(long_names_warning())
        if not self.schema_before:
            return []
        after = document.get("fields") or []
        changes = schema_changes(self.schema_before, after)
        news, warning = describe_schema_changes(changes)
        if news:
            self.emit(news)
        if warning:
            self.warnings.append(warning)
        return changes[:MAX_SCHEMA_CHANGES]

    def _empty_refresh_refusal(self) -> str:
        """Why a complete full refresh that got no record at all may not mark every stored record
        deleted (and every destination's rows with them): an empty answer is far more often an
        error answered as a success than a source emptied. "" when it may conclude: it got records,
        none is stored, or the run was started with ``allow_empty`` (said in its log)."""
        if self.counters.processed:
            return ""
        stored = live_record_count(self.connector.pk)
        if not stored:
            return ""
        if self.run.allow_empty:
            self.emit(
                f"The full refresh got no records while {stored:,} are stored: allowed explicitly "
                "(allow_empty), so every stored record is marked deleted."
            )
            return ""
        return (
            f"The full refresh read every page and got no records, while {stored:,} are stored: none was "
            "marked deleted. An empty answer is more often an error the API answered as a success (an "
            "expired key, a wrong endpoint or filter) than an emptied source: check the connector (Test "
            "connection, the preview). If the source really is empty now, start a full refresh that "
            "allows it (the sync API's full_refresh=true&allow_empty=true, manage.py sync_connector "
            "--full-refresh --allow-empty, or the run page's action): it marks every stored record deleted."
        )

    def _rewrote_everything(self) -> bool:
        """Whether this run (not a full refresh, which rebuilds on its own) read every page and
        updated every live record, all of them rewritten (new rules, a type conversion changed): the
        types and fields only the old versions had are then gone from the data, not from the
        schema, until it is rebuilt (a read of what was just written)."""
        counters = self.counters
        if self.full_refresh or not self.complete or not counters.updated:
            return False
        return counters.updated + counters.created >= live_record_count(self.connector.pk)

    def _rebuild_schema(self, why: str) -> None:
        """The inferred schema only grows as pages are written: after a complete full refresh that
        deleted or changed records, or a run that rewrote every record, it is rebuilt from the live
        records (one read of them, here at the run's end, before the hooks load destinations), so the
        fields and types only deleted or older records had leave it. A failure leaves the schema as
        it was and the run's result."""
        try:
            rebuilt = rebuild_schema_at_run_end(self.connector.pk)
        except DatabaseError:
            logger.exception("Could not rebuild the schema of connector %s", self.connector.pk)
            self.emit(
                "The inferred schema could not be rebuilt from the live records; it may list fields "
                "no live record has (manage.py backfill_schema rebuilds it).",
                SyncLogEvent.Level.WARNING,
            )
            return
        if rebuilt.removed:
            shown = ", ".join(rebuilt.removed[:10]) + (" …" if len(rebuilt.removed) > 10 else "")
            self.emit(
                f"{why}: the inferred schema was rebuilt from the {rebuilt.records} live record(s); "
                f"{len(rebuilt.removed)} field(s) no live record has left it ({shown})."
            )

    # -- the run --------------------------------------------------------------------------------

    def _run(self) -> tuple[str, bool]:
        run, connector = self.run, self.connector
        source: Source = source_for(connector)
        plan = source.prepare()
        self.cursor_field = plan.cursor_field
        max_pages = run_page_cap(connector)
        budget = run_time_budget(connector)
        ends_at = time.monotonic() + budget
        rules = Rules.of(connector)
        counters = self.counters

        checkpoint = Checkpoint.from_json(run.checkpoint)
        if checkpoint is not None:
            refusal = _refusal(
                connector,
                source,
                checkpoint.source,
                checkpoint.primary_key,
                checkpoint.key_source,
                rules.key_source,
            )
            if refusal:
                raise SyncProblem(refusal)
            self.counters = counters = Counters.of(run)
            if checkpoint.finished:
                # Every page is committed, its counters and quarantine included: nothing is fetched
                # again (that would count its records twice); the run only ends, as it would have.
                self.complete, self.incomplete = True, checkpoint.incomplete
                self.emit(
                    f"Every page was committed before this run stopped ({counters.pages} pages, "
                    f"{counters.processed} records); nothing is left to fetch."
                )
                self.since = checkpoint.since
                self._restore_cursor_state(checkpoint)
                self.incomplete = self.incomplete or self._across_attempts()
                self._cursor_warnings()
                return self._final_status(), plan.cursor_field is not None and not self.incomplete
            first_load = False
            since = checkpoint.since
            self._restore_cursor_state(checkpoint)
            resuming = True
            seq_start = checkpoint.seq_start
            resume: dict | None = checkpoint.source
            pages_last_run = None
            self.emit(f"Resuming after page {counters.pages} ({counters.processed} records committed).")
            if checkpoint.rules_digest is not None and checkpoint.rules_digest != rules.rules_digest:
                self.warnings.append(self._rules_changed_warning(plan.cursor_field is not None))
        else:
            checkpoint = Checkpoint()
            resuming = False
            seq_start = last_sequence(connector.pk)
            first_load = not connector_has_records(connector.pk)
            rekeying = "" if first_load or self.full_refresh else self._rekey(rules)
            since = None
            if plan.cursor_field is not None:
                stored = None if self.full_refresh else connector.incremental_cursor
                since = stored if stored is not None else plan.initial_cursor
            resume = None
            pages_last_run = pages_of_last_run(connector.pk, exclude=run.pk)
            note = plan.since_text(since) if plan.since_text is not None and since is not None else ""
            self.emit(
                "Sync started"
                + (" (full refresh)" if self.full_refresh else "")
                + (f"; {note}" if note else "")
                + "."
            )
            if rekeying:
                self.emit(rekeying, SyncLogEvent.Level.WARNING)
        self.since = since
        stored_schema = stored_schema_document(connector.pk)
        self.schema_before = stored_schema.get("fields") or []
        self.schema_was_full = is_full(stored_schema)
        self.schema_had_long_names = bool(stored_schema.get("long_names"))
        # A frozen schema (once the first sync learnt it): a page that would change it is not stored.
        policy = getattr(connector, "schema_policy", SchemaPolicy.EVOLVE)
        frozen = self.schema_before if policy == SchemaPolicy.FREEZE and self.schema_before else None
        builder = PageBuilder(
            rules,
            lookup=partial(stored_checksums, connector.pk),
            schema=SchemaAccumulator.of_document(stored_schema),
            cursor_field=plan.cursor_field,
            key_mode=checkpoint.key_mode,
            high_water=checkpoint.high_water,
            first_load=first_load,
            full_refresh=self.full_refresh,
            future_after=(timezone.now() + timedelta(days=1)).date().isoformat(),
            max_record_bytes=settings.MIGRATEIQ_SYNC_MAX_RECORD_BYTES,
        )
        # Forked before the committer's thread and the source's fetches start (see builds.py).
        builds = builds_for(builder)
        if builds.separate_process:
            # How the run is carried out, not what it did: for operators (the server log, and the
            # run's debug lines), not in the log a user reads.
            logger.info("Sync %s builds its pages in a second process", run.pk)
            self.emit("Pages are built in a second process, on another core.", SyncLogEvent.Level.DEBUG)
        writer = PageWriter(run, connector, counters, first_load=first_load, primary_key=rules.primary_key)
        committer = committer_for(
            writer,
            partial(record_event, run.pk),
            self._page_committed,
            has_progress=self.progress is not None,
        )
        self._emit = committer.event
        builder.lookup = _guarded(builder.lookup, committer.reading)
        # Re-syncs read stored checksums in a thread of their own where another connection sees the
        # committed pages (see lookups.py); a builder process reads in the run's thread.
        lookups = (
            ThreadedLookups(builder.lookup) if committer.background and not builds.separate_process else None
        )
        if lookups is not None:
            builder.start_lookup = lookups.start
        context = RunContext(
            run_id=run.pk,
            since=since,
            max_pages=max_pages,
            ends_at=ends_at,
            budget_seconds=budget,
            emit=self.emit,
            on_retry=self._on_retry,
            on_rate_limit_wait=self._on_rate_limit_wait,
            pages_done=lambda: counters.pages,
            records_done=lambda: counters.processed,
            pages_last_run=pages_last_run,
        )
        recent_pages: deque = deque(maxlen=RECENT_PAGES)
        repeats = 0  # records of a page that repeated the key of another record of that page
        lowest_total: int | None = None  # the lowest record total the pages of this run announced
        matched: set = set()  # mapping targets some transformed record of this run had
        transformed = 0
        pages_this_run = 0
        positional = False  # a page was asked for by its position (see Page.positional)
        key_checked = False  # whether the key mode was looked at (after the first page with records)
        # How the records stored before were keyed, for a run that keys records as they are stored
        # (not a first load, a full refresh or a resume): see keys.key_mode_refusal.
        keyed_before: set[str] = set()
        if not (first_load or resuming or self.full_refresh):
            keyed_before = earlier_key_modes(connector.pk, exclude=run.pk)
        # Pages submitted to the builds and not taken yet (at most builds.depth + 1), in order.
        pending: deque = deque()
        source_done = False  # no page is read after the last one, an error, or the source's end
        source_error: Exception | None = None  # raised once the pages read before it are committed
        try:
            # A cancel also abandons the run's requests (in flight, or waiting to be retried or for
            # the request budget): the run stops within about a second, not after its retries.
            with (
                CancelWatch(run.pk) as watch,
                abandoned_when(watch.cancelled, answers=True),
                closing(source.pages(context, resume)) as pages,
            ):
                try:
                    while True:
                        committer.check()
                        if watch.cancelled.is_set():
                            run.cancel_requested = True
                            raise Cancelled
                        if stopping := shutdown.requested():
                            raise Interrupted(stopping)
                        if time.monotonic() >= ends_at:
                            raise SyncProblem(over_budget_message(budget, counters.pages))
                        if not source_done and pages_this_run + len(pending) < max_pages:
                            self.requesting_page = counters.pages + len(pending) + 1
                            try:
                                page = next(pages, None)
                            except Exception as exc:
                                if watch.cancelled.is_set():  # the cancel abandoned its request
                                    run.cancel_requested = True
                                    raise Cancelled from None
                                # Raised below once the pages read before the failure are committed,
                                # as they would be if they had not been built ahead.
                                source_error, page = exc, None
                            if page is None:
                                # The source failed, or stopped without marking a last page
                                # (more=False): what it gave is stored, but a full refresh does not
                                # conclude anything is gone.
                                source_done = True
                            else:
                                builds.submit(page.records, plain=page.plain)
                                if not key_checked and builder.key_mode is not None and page.records:
                                    key_checked = True
                                    mode = builder.key_mode
                                    if keyed_before - {mode}:
                                        raise SyncProblem(key_mode_refusal(mode, rules.primary_key))
                                    self.warnings.extend(overwritten_fields_warnings(page.records, rules))
                                    if builder.key_mode == "content_hash":
                                        warning = content_key_warning(page.records, rules)
                                        if warning:
                                            self.warnings.append(warning)
                                pending.append(page)
                                source_done = not page.more or page.error is not None
                                if len(pending) <= builds.depth and not source_done:
                                    continue  # one more page to build while this one is
                            del page
                        if not pending:
                            if source_error is not None:
                                raise source_error
                            if source_done:
                                break
                            # More pages exist (the last one said so): a partial copy, never SUCCESS.
                            self.capped = (
                                f"Stopped at max_pages ({max_pages}) while the upstream has more pages: "
                                "this run copied part of the data. Raise max_pages (or "
                                "MIGRATEIQ_SYNC_MAX_PAGES) to copy everything; an incremental connector "
                                "continues from its cursor."
                            )
                            break
                        page = pending.popleft()
                        if not page.more and page.error is None:
                            self.incomplete = page.incomplete
                        records = page.records
                        work, fingerprint = builds.take()
                        if frozen is not None and work.schema is not None:
                            self._refuse_schema_change(frozen, work.schema, counters.pages + 1, page.label)
                        counters.processed += len(records)
                        if fingerprint is None:
                            fingerprint = hashlib.blake2b(page.content, digest_size=16).digest()
                        # An empty page repeats no records: empty pages in a row may look alike and
                        # name new pages in their headers (the paginator ends them or catches a loop).
                        if records and fingerprint in recent_pages:
                            hint = page.repeat_hint() if page.repeat_hint is not None else ""
                            raise RepeatedPage(
                                f"Page {counters.pages + 1} ({page.label}) holds the same records as "
                                "an earlier page: the upstream seems to ignore the pagination parameters. "
                                "Stopping instead of looping; check the connector's pagination settings."
                                + (f" {hint}" if hint else "")
                            )
                        recent_pages.append(fingerprint)
                        counters.pages += 1
                        pages_this_run += 1
                        counters.failed += len(work.failures)
                        self.holds_cursor = self.holds_cursor or work.holds_cursor
                        self.no_cursor += work.no_cursor
                        if self.odd_cursor is None:
                            self.odd_cursor = work.odd_cursor
                        self.unordered = self.unordered or work.unordered
                        self.future += work.future
                        for unit, value in work.epoch_units.items():
                            self.epoch_units.setdefault(unit, value)
                        if self.future_cursor is None:
                            self.future_cursor = work.future_cursor
                        self.float_keys += work.float_keys
                        if self.float_key is None:
                            self.float_key = work.float_key
                        positional = positional or page.positional
                        self.resumed_positional = self.resumed_positional or (resuming and page.positional)
                        repeats += work.duplicates
                        announced = page.run_fields.get("records_total")
                        if announced is not None and (lowest_total is None or announced < lowest_total):
                            lowest_total = announced
                        matched.update(work.matched)
                        transformed += work.transformed
                        work.number = counters.pages
                        work.last = not page.more or page.error is not None
                        work.fields = {
                            "records_processed": counters.processed,
                            "records_failed": counters.failed,
                            "pages_fetched": counters.pages,
                            "cursor_value": builder.high_water,
                            **page.run_fields,
                            "checkpoint": Checkpoint(
                                key_mode=builder.key_mode,
                                primary_key=rules.primary_key,
                                key_source=rules.key_source,
                                rules_digest=rules.rules_digest,
                                since=since,
                                high_water=builder.high_water,
                                source=page.position,
                                finished=not page.more and page.error is None,
                                incomplete=page.incomplete if not page.more else None,
                                holds_cursor=self.holds_cursor,
                                unordered=self.unordered,
                                no_cursor=self.no_cursor,
                                seq_start=seq_start,
                                epoch_units=self.epoch_units,
                                resumed_positional=self.resumed_positional,
                            ).to_json(),
                        }
                        committer.submit(work)
                        builds.handed_over(work)
                        del work, records
                        if page.error is not None:
                            raise page.error
                        if not page.more:
                            self.complete = True
                            break
                        del page
                        self._check_threshold(final=False)
                except (Cancelled, Interrupted):
                    context.abandoning = True
                    raise
        finally:
            builds.close()
            if lookups is not None:
                lookups.close()
            committer.close()
            self._emit = partial(record_event, run.pk)
        committer.check(final=True)
        self.warnings.extend(unmatched_mappings_warnings(rules, matched, transformed))
        if not transformed and counters.processed and rules.mappings:
            self.warnings.extend(
                unmatched_stored_mappings_warnings(
                    rules, stored_schema_document(connector.pk), live_record_count(connector.pk)
                )
            )
        if self.float_keys:
            self.warnings.append(float_keys_warning(self.float_keys, self.float_key, rules.primary_key))
        if builder.key_mode != "content_hash":  # identical records keyed by content are one record
            whole_run = first_load or (self.full_refresh and self.complete)
            # the stored records a complete full refresh read, each once (one count, used twice below)
            seen = seen_count(connector.pk, run.pk) if self.full_refresh and whole_run else None
            if first_load:  # nothing was stored before: every record not created repeated a key
                repeats = counters.processed - counters.failed - counters.created
            elif seen is not None:  # a complete full refresh marked each record it read once
                repeats = counters.processed - counters.failed - seen
            warning = repeated_keys_warning(repeats, rules.primary_key, whole_run=whole_run)
            if warning:
                self.warnings.append(warning)
            if whole_run and self.complete and self.incomplete is None:
                # the lowest total of the run: records added while it read (a total that grew)
                # shift pages forward, so a record read twice is no sign of one skipped then
                self.incomplete = repeated_keys_shortfall(
                    repeats,
                    counters.processed - counters.failed,
                    self.run.records_total if lowest_total is None else lowest_total,
                    rules.primary_key,
                )
            if seen is not None and positional and repeats and self.incomplete is None:
                self.incomplete = self._moved_list_deletes_nothing(repeats, seen)
        if positional and plan.cursor_field is not None and self.incomplete is None and seq_start is not None:
            self.incomplete = self._moved_records_shortfall(seq_start)
        if self.incomplete is None and self.complete:
            self.incomplete = self._across_attempts()
        status = self._final_status()
        self._cursor_warnings()
        # A run stopped at its page cap continues from its cursor only when the pages come in
        # ascending cursor order: otherwise the unread pages may hold records earlier than it.
        held_by_cap = bool(self.capped) and self.unordered
        return status, plan.cursor_field is not None and not self.incomplete and not held_by_cap

    def _moved_list_deletes_nothing(self, repeats: int, seen: int) -> str | None:
        """Why a complete full refresh of positional pages that read ``repeats`` records twice (and
        ``seen`` stored records) marks nothing deleted, or None when it did not miss any stored
        record. A record read twice shows the list moved while it was read: one that changed left
        its place for the end, every record after that place went up one, and the one that slid
        onto a page already read was read by neither page. It is alive upstream, and
        indistinguishable here from one that is gone."""
        unseen = live_record_count(self.connector.pk) - seen
        if unseen <= 0:
            return None
        return (
            f"{repeats} record(s) were read twice across this full refresh's pages, which are asked for "
            "by position (page numbers, offsets): the list moved while it was read, so the "
            f"{unseen} stored record(s) it did not read may have slid past a page rather than gone "
            "upstream. None is marked deleted; run the full refresh again (cursor pagination, or an "
            "upstream list that does not reorder while read, avoids this)."
        )

    def _moved_records_shortfall(self, seq_start: int) -> str | None:
        """Why an incremental run of positional pages cannot know it read every record, or None.

        It wrote a record twice (more writes than records written since ``seq_start``): the record
        changed between two of the run's pages and was read at two places. In a list sorted by what
        changed (``updated_at``, oldest first) it left its place for the end: every record after its
        old place moved up one place, and the one that slid onto a page already read was read by
        neither page. A record added before a page pushes the others down a place instead: one is
        read twice unchanged (not written twice), and none is skipped."""
        counters = self.counters
        written = counters.created + counters.updated
        if written < 2:
            return None
        distinct = rewritten_count(self.connector.pk, seq_start)
        if written <= distinct:
            return None
        return (
            f"{written - distinct} record(s) were read twice with different content (changed upstream "
            "while this run read its pages, or records sharing a primary key): the pages are asked for "
            "by position (page numbers, offsets), so the records after one that moved went up a "
            "place, and one of them may have been read by neither page. What was read is stored; the "
            "incremental cursor stays where this run read from (a full refresh deletes nothing), so the "
            "next sync reads them again. Cursor pagination (or an upstream list that does not reorder "
            "while read) avoids this."
        )

    def _cursor_warnings(self) -> None:
        """The warnings of an incremental run about its cursor: records it could not track, and a
        page cap it cannot continue from (see ``_run``)."""
        if self.cursor_field is None:
            return
        if self.no_cursor:
            odd = f" (such as {redact(repr(self.odd_cursor))[:80]})" if self.odd_cursor is not None else ""
            self.warnings.append(
                f"{self.no_cursor} record(s) had no number or text at incremental.cursor_field "
                f"{self.cursor_field!r}{odd}: they are stored, but the incremental cursor does not "
                "track them, and an upstream filtering by that field may not send them again when they "
                "change. If no record has it, the path is probably wrong (the cursor then never moves "
                "and every sync reads everything)."
            )
        if self.future:
            self.warnings.append(
                f"{self.future} record(s) had an incremental cursor dated after tomorrow (such as "
                f"{redact(str(self.future_cursor))[:40]!r}): they are stored, but the cursor does not move "
                "to it, since every later sync would then skip the records written until that date; "
                "they are read again by each sync (those unchanged are skipped)."
            )
        examples = self._mixed_epoch_units()
        if examples:
            stays = _cursor_stays(self.since)
            self.warnings.append(
                f"incremental.cursor_field {self.cursor_field!r} holds epoch timestamps in different units "
                f"(such as {', '.join(examples[:-1])} and {examples[-1]}): compared as numbers, a value in "
                "the finer unit is always the later one (milliseconds read as seconds lie some 50,000 years "
                "ahead), so the next sync would ask for records after it and skip every record written "
                f"until then. The incremental cursor {stays}: the next sync reads these records again "
                "(those unchanged are skipped). Have the upstream write one unit in this field, or choose "
                "another cursor field; the cursor moves again once a sync's values have one unit (a full "
                "refresh starts from initial_value)."
            )
        if self.resumed_positional and not self.full_refresh:
            stays = _cursor_stays(self.since)
            self.warnings.append(
                "This run was resumed, and its pages are asked for by position (page numbers, offsets): "
                "records deleted or added upstream between its attempts moved the others a place, and a "
                "record that slid onto a page read before the resume was read by neither attempt. The "
                f"incremental cursor {stays}, so the next sync reads this run's window again (records "
                "stored unchanged are skipped)."
            )
        if self.capped and self.unordered:
            self.warnings.append(
                f"The upstream does not serve records in ascending order of {self.cursor_field!r} (a "
                "record came after a later one), so this run, stopped at max_pages, does not move the "
                "incremental cursor: the pages it did not read may hold earlier records, which a next "
                "sync starting after the records read would skip. Raise max_pages, or have the "
                "upstream sort by the cursor field, ascending."
            )

    def _restore_cursor_state(self, checkpoint: Checkpoint) -> None:
        """What a resumed run takes over from its checkpoint about the cursor (besides ``since``)."""
        self.holds_cursor = checkpoint.holds_cursor
        self.no_cursor, self.unordered = checkpoint.no_cursor, checkpoint.unordered
        self.epoch_units = dict(checkpoint.epoch_units)
        self.resumed_positional = checkpoint.resumed_positional

    def _across_attempts(self) -> str | None:
        """Why a full refresh whose pages, asked for by position, were read on both sides of a
        resume concludes nothing is gone upstream, or None. Between its attempts (minutes, or days)
        a record deleted or added upstream on a page already read moved every later record a place,
        and the one that slid onto such a page was read by neither attempt: alive upstream, it
        cannot be told from one that is gone. (An incremental run keeps the cursor it read from
        instead, :meth:`_cursor_warnings`.)"""
        if not (self.full_refresh and self.resumed_positional):
            return None
        return (
            "This full refresh was resumed, and its pages are asked for by position (page numbers, "
            "offsets): records deleted or added upstream between its attempts moved the others a place, "
            "so the stored records it did not read may have slid onto a page read before the resume "
            "rather than gone upstream. None is marked deleted; run the full refresh again, in one go, "
            "to mark the records the upstream no longer returns."
        )

    def _mixed_epoch_units(self) -> list[str]:
        """A value of each epoch unit among the committed records' cursor values and the cursor the
        run read from (``"1709287201 in seconds"``), when there are two units or more (else []):
        which value is the latest cannot be told from the numbers, so the run does not move the
        cursor."""
        examples = [f"{value!r} in {unit}" for unit, value in self.epoch_units.items()]
        since_unit = epoch_unit(self.since) if self.since is not None else None
        if since_unit is not None and since_unit not in self.epoch_units:
            examples.append(f"the cursor this run read from, {self.since!r}, in {since_unit}")
        return examples if len(examples) > 1 else []

    def _rekey(self, rules: Rules) -> str:
        """A primary key changed since the records were stored (its ``primary_key``, or what the
        transformation rules compute it from) would store every record again beside its old copy:
        such a run becomes a full refresh, so the records stored under the old key are marked deleted
        once it has read every page. Returns the log line saying so, or ""."""
        previous = earlier_key(self.connector.pk, rules.primary_key, rules.key_source, exclude=self.run.pk)
        if previous is None:
            return ""
        self.full_refresh = True
        SyncLog.objects.filter(pk=self.run.pk).update(full_refresh=True)
        self.run.full_refresh = True
        then, then_source = previous
        if then != rules.primary_key:
            change = (
                f"The primary key changed from {then!r} to {rules.primary_key!r} since the records were "
                "stored"
            )
        else:
            change = (
                "The transformation rules changed what the primary key is computed from since the records "
                f"were stored (from {describe_key(then, then_source)} to "
                f"{describe_key(rules.primary_key, rules.key_source)})"
            )
        return (
            f"{change}: this run stores every record under the new key as a full refresh, and marks the "
            "records stored under the old key deleted once it has read every page."
        )

    def _rules_changed_warning(self, incremental: bool) -> str:
        """A run resumed after its transformation rules changed (not what computes the key: that is
        refused) stores the pages after its checkpoint with the new rules, and leaves the records of
        the pages before it as the earlier rules stored them, as between two syncs."""
        counters = self.counters
        after = (
            "the next sync reads them again and stores them with the new rules (a record's source "
            "checksum includes the rules)"
            if not incremental
            else "the next syncs read only records after the incremental cursor, so they keep the "
            "earlier rules: start a full refresh to store every record with the new ones"
        )
        return (
            "The transformation rules changed since this run's checkpoint was made: the "
            f"{counters.processed - counters.failed} record(s) of the {counters.pages} page(s) committed "
            f"before it were stored with the earlier rules, the pages after it with the new ones; {after}."
        )

    def _page_committed(self, fields: dict) -> None:
        """After a page commit, in the run's thread: the in-memory run, then progress."""
        for name, value in fields.items():
            setattr(self.run, name, value)
        if self.progress is not None:
            self.progress(self.run)

    def _check_threshold(self, *, final: bool) -> None:
        counters = self.counters
        threshold = float(settings.MIGRATEIQ_SYNC_ERROR_THRESHOLD)
        if not counters.processed or counters.failed <= threshold * counters.processed:
            return
        if not final and counters.failed < EARLY_THRESHOLD_MIN_FAILURES:
            return
        raise SyncProblem(
            f"{counters.failed} of {counters.processed} records ({counters.failed / counters.processed:.1%}) "
            f"failed transformation or validation, above the {threshold:.0%} error threshold; they are in "
            f"the sync's quarantine{self._first_quarantined()}. Fix the connector's transformation rules "
            "(or the data upstream), then start a new sync: a resume does not transform the quarantined "
            "records again."
        )

    def _first_quarantined(self) -> str:
        """``" (the first: <its error>)"`` of this run's quarantine, so that a failed run names what
        failed without a look at the quarantine; "" if none is stored (yet)."""
        first = (
            SyncRecordError.objects.filter(sync_log_id=self.run.pk)
            .order_by("id")
            .values_list("error", flat=True)
            .first()
        )
        if not first:
            return ""
        return f" (the first: {first if len(first) <= 300 else first[:299] + '…'})"

    def _final_status(self) -> str:
        self._check_threshold(final=True)
        counters = self.counters
        if self.incomplete or self.capped:
            # Never SUCCESS while the source says there is more: PARTIAL keeps what was stored.
            return SyncStatus.PARTIAL if counters.processed > counters.failed else SyncStatus.FAILED
        return SyncStatus.PARTIAL if counters.failed else SyncStatus.SUCCESS

    def _interrupted_message(self, reason: str) -> str:
        """The log line of a run stopped by its process's shutdown: why, and what is kept."""
        self.run.refresh_from_db(fields=["pages_fetched", "checkpoint"])
        pages = self.run.pages_fetched
        if not self.run.checkpoint:
            return f"Stopped before a page was stored: {reason}. Start the sync again."
        return (
            f"Stopped at a page boundary: {reason}. The {pages} committed page(s) are kept; "
            f"resume this sync to continue after page {pages}."
        )

    def _on_retry(self, message: str, at=None) -> None:
        # Counted with its line (or without one past the logged ones), in the log's order: the run's
        # count agrees with its log while it runs (see record_event).
        self.retry_events += 1
        if self.retry_events <= MAX_RETRY_EVENTS:
            page = self.requesting_page or self.counters.pages + 1
            line = retry_line(page, message)
        else:
            line = FURTHER_RETRIES if self.retry_events == MAX_RETRY_EVENTS + 1 else ""
        self._emit(line, SyncLogEvent.Level.WARNING, at=at if line != FURTHER_RETRIES else None, retried=True)

    def _on_rate_limit_wait(self, seconds: float) -> None:
        self.rate_limit_wait += max(seconds, 0.0)

    def _upstream_message(self, exc: OutboundError) -> str:
        if isinstance(exc, RequestBudgetExhausted):  # a limit the user set, not a failing upstream
            return f"Stopped before page {self.counters.pages + 1}: {exc}"
        message = str(exc)
        if exc.url and safe_url(exc.url) not in message:
            message += f" ({safe_url(exc.url)})"
        # A request the egress guard refused was never sent: no attempt to count.
        if exc.attempts and "attempt" not in message and not isinstance(exc, EgressDenied):
            message += f" after {exc.attempts} attempt{'' if exc.attempts == 1 else 's'}"
        return f"Fetching page {self.counters.pages + 1} failed: {message}"


def _guarded(lookup, reading):
    def guarded(ids):
        with reading():
            return lookup(ids)

    return guarded


@contextmanager
def _collector_skips_older_objects():
    """Keep the objects that exist when a sync starts (the application: ~100,000 of them) out of the
    cyclic garbage collector's passes while it runs (``gc.freeze``).

    A page creates thousands of container objects; they trigger collections, and every full one
    would walk the whole application again. Interleaved A/B, 100,000-record SQLite first syncs:
    2.50–2.73 s of CPU with it, 2.62–2.97 s without (about 5%). The objects come back under the
    collector when the sync ends (by then another thread may have frozen or unfrozen too: that only
    moves when they are scanned, never what is collected).
    """
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()
