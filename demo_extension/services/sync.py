"""The sync engine: fetch every page of a connector's API, transform, quarantine, upsert, checkpoint.

One code path for every caller (API action, Celery task, ``manage.py sync_connector``)::

    log = DataSyncService(connector).sync_data()          # creates and runs a log
    log = DataSyncService(connector).sync_data(sync_log=pending_or_failed_log)

A sync streams page by page. Each page's upserts, its quarantined records and the checkpoint (the
next request, the incremental high-water mark, the counters) commit in one transaction, so a sync
that dies midway resumes from its last committed page and ends with the same data as a clean run.
Between pages it refreshes the heartbeat and honours cancellation. Nothing but the pagination state
and a few recent page fingerprints is kept from one page to the next, so memory does not grow with
the number of records. Outside a caller's transaction the page commits run on a second connection
while the next page is fetched and transformed (see :class:`_BackgroundCommitter`).

Modules of the engine: :mod:`.pagination` (styles, detection, stop rules, loop guards,
``validate_pagination_config``), :mod:`.extract` (JSON bodies, ``records_path``), :mod:`.auth`,
:mod:`.incremental` (``validate_incremental_config``), :mod:`.upsert` (checksums, bulk upserts),
:mod:`.prefetch` (page requests sent ahead where the pagination allows; pages still taken in order).

Upstream, data and configuration problems never escape as exceptions: the log ends ``FAILED`` with a
message that is safe to show (no credentials). An error report answered with HTTP 200 is such a
problem (``extract.check_upstream_error``), never records. A run whose pagination stops while the
upstream says there is more (``Paginator.shortfall``) ends ``PARTIAL`` (or ``FAILED`` with nothing
stored) with a message naming the signal, and keeps the old incremental cursor.
"""

from __future__ import annotations

import contextvars
import gc
import hashlib
import logging
import queue
import threading
import time
from collections import deque
from collections.abc import Callable
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field
from datetime import timedelta
from functools import partial

from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.db import DatabaseError, IntegrityError, connection, transaction
from django.db.models import Q
from django.utils import timezone

from core.http import OutboundClient, total_deadline
from core.http_errors import OutboundError
from core.metrics import observe_sync_finished
from core.redaction import redact, safe_url
from core.request_context import reset_log_context, set_log_context
from demo_extension import selectors
from demo_extension.models import (
    ACTIVE_SYNC_STATUSES,
    CustomDataConnector,
    SyncedRecord,
    SyncLog,
    SyncLogEvent,
    SyncRecordError,
    SyncStatus,
)
from demo_extension.services import changes
from demo_extension.services.auth import base_query_params, build_request_auth
from demo_extension.services.budget import request_budget
from demo_extension.services.credentials import endpoint_origin
from demo_extension.services.errors import SyncAlreadyRunning, SyncOwnershipLost
from demo_extension.services.events import record_event
from demo_extension.services.extract import (
    ResponseFormatError,
    check_upstream_error,
    detect_records_path,
    extract_records,
    get_path,
    parse_json_body,
    parse_json_document,
    path_parts,
    validate_error_detection,
)
from demo_extension.services.incremental import IncrementalConfig, later_cursor, validate_incremental_config
from demo_extension.services.pagination import (
    FetchedPage,
    PageRequest,
    PaginationError,
    PaginationLoop,
    detect_pagination,
    make_paginator,
    validate_pagination_config,
)
from demo_extension.services.prefetch import PageFetcher, RetryRelay, request_concurrency
from demo_extension.services.schema import SchemaAccumulator, save_schema
from demo_extension.services.transform import DataTransformationService, TransformationError
from demo_extension.services.upsert import (
    UnstorableRecord,
    connector_has_records,
    deferred_page_flushes,
    encode_record,
    jsonb_safe,
    source_checksum,
    source_hasher,
    stored_checksums,
    upsert_page,
)
from destinations.services.loads import load_after_sync
from tenancy.models import Tenant

logger = logging.getLogger(__name__)

__all__ = [
    "ConnectionResult",
    "DataSyncService",
    "validate_incremental_config",
    "validate_pagination_config",
]

CHECKPOINT_VERSION = 1
MAX_EXTERNAL_ID_LENGTH = 255
# Retry lines written to a run's log; more would drown the useful ones.
MAX_RETRY_EVENTS = 20
# Recent page fingerprints remembered to spot an upstream serving the same page again.
RECENT_PAGES = 32
# Evidence needed before the error threshold may fail a sync early (it is always checked at the end).
EARLY_THRESHOLD_MIN_FAILURES = 1000
# Pages handed to the background committer and perhaps not committed yet: one being committed and
# one waiting in its queue (its size is 1).
PAGES_IN_FLIGHT = 2


@dataclass
class ConnectionResult:
    connected: bool
    response_time_ms: float | None
    message: str
    endpoint: str
    status_code: int | None


class SyncProblem(Exception):
    """A configuration or data problem that ends a sync FAILED with this (safe) message."""


class _Cancelled(Exception):
    pass


def run_time_budget(connector) -> float:
    """A run's time budget in seconds: ``MIGRATEIQ_SYNC_MAX_SECONDS``, or the connector's
    ``max_sync_seconds`` when that is lower (an editor can shorten a run, never lengthen it)."""
    budget = float(settings.MIGRATEIQ_SYNC_MAX_SECONDS)
    if connector.max_sync_seconds:
        budget = min(budget, float(connector.max_sync_seconds))
    return budget


def run_page_cap(connector) -> int:
    """Pages per run: the connector's ``max_pages``, capped by ``MIGRATEIQ_SYNC_MAX_PAGES``."""
    cap = settings.MIGRATEIQ_SYNC_MAX_PAGES
    return min(connector.max_pages, cap) if connector.max_pages else cap


def _over_budget_message(budget: float, pages: int) -> str:
    return (
        f"Stopped after this run's time budget of {budget:g} s (MIGRATEIQ_SYNC_MAX_SECONDS, or the "
        f"connector's max_sync_seconds), after page {pages}; committed pages are kept: resume the sync "
        "to continue from its checkpoint."
    )


@dataclass
class _RunState:
    """What one run carries from page to page: counters, cursor, pagination, a few fingerprints."""

    processed: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    failed: int = 0
    pages: int = 0
    pages_this_run: int = 0
    high_water: object = None
    since: object = None
    records_path: str | None = None
    key_mode: str | None = None  # "primary_key" or "content_hash"
    recent_pages: deque = field(default_factory=lambda: deque(maxlen=RECENT_PAGES))
    retry_events: int = 0
    first_load: bool = False  # the connector had no records when this run started
    warnings: list = field(default_factory=list)
    # Why the run cannot know it got every record (the upstream says there is more): not SUCCESS.
    incomplete: str | None = None
    # The ids written by the last pages handed to the committer: not yet visible to a lookup.
    in_flight: deque = field(default_factory=lambda: deque(maxlen=PAGES_IN_FLIGHT))
    schema: SchemaAccumulator | None = None  # the connector's inferred schema, merged page by page
    full_refresh: bool = False
    complete: bool = False  # the last page was reached (not max_pages, not an error)


@dataclass(frozen=True)
class _Rules:
    """What turns a connector's raw records into stored ones, compiled once per run."""

    transform: Callable[[dict], dict] | None  # None: records are stored as they come
    source_hasher: object  # the keyed hasher of source checksums (rules + primary key)
    pk_parts: tuple[str, ...]
    # Where the key usually is in a raw record, to look records up before transforming them.
    key_guess: tuple[str, ...] | None

    @classmethod
    def of(cls, connector) -> _Rules:
        service = None
        if connector.transformation_rules:
            try:
                service = DataTransformationService(connector.transformation_rules)
            except (TransformationError, ValueError) as exc:
                raise SyncProblem(f"Invalid transformation rules: {exc}") from None
        pk_parts = path_parts(connector.primary_key or "")
        return cls(
            transform=service.transform_record if service is not None else None,
            source_hasher=source_hasher(connector.transformation_rules, connector.primary_key),
            pk_parts=pk_parts,
            key_guess=service.source_path(pk_parts) if service is not None else (pk_parts or None),
        )


class DataSyncService:
    """Sync one connector's upstream API into ``SyncedRecord`` (see the module docstring)."""

    def __init__(self, connector: CustomDataConnector):
        self.connector = connector
        # Where a running sync's log lines go (the page committer while pages are in flight).
        self._emit: Callable[..., None] = lambda message, level=SyncLogEvent.Level.INFO: None

    # -- connection test ------------------------------------------------------------------------

    def check_connection(self) -> ConnectionResult:
        """Fetch the first page as a sync would and say whether records could be read from it.

        One attempt, no retries: a person is waiting for the answer.
        """
        connector = self.connector
        endpoint = safe_url(connector.api_endpoint)
        started = time.perf_counter()
        response = None
        try:
            config = _pagination_config(connector)
            auth = build_request_auth(connector)
            paginator = None if config["type"] == "auto" else make_paginator(config, connector.api_endpoint)
            request_params = dict(paginator.request().params) if paginator else {}
            params = {**base_query_params(connector), **request_params, **auth.params}
            with OutboundClient(max_attempts=1, budget=request_budget(connector, per_sync=False)) as client:
                response = auth.get(client, connector.api_endpoint, params=params)
            body = parse_json_body(response)
            records_path = connector.records_path
            if records_path is None:
                records_path = detect_records_path(body)
            check_upstream_error(body, records_path, _error_detection(connector))
            extract_records(body, records_path, url=response.url)
        except OutboundError as exc:
            return ConnectionResult(False, _elapsed_ms(started), redact(str(exc)), endpoint, exc.status_code)
        except (ResponseFormatError, SyncProblem) as exc:
            status_code = response.status_code if response is not None else None
            return ConnectionResult(False, _elapsed_ms(started), redact(str(exc)), endpoint, status_code)
        return ConnectionResult(
            True, round(response.elapsed_ms, 1), "Connection successful", endpoint, response.status_code
        )

    def test_connection(self) -> bool:
        return self.check_connection().connected

    # -- sync -----------------------------------------------------------------------------------

    def sync_data(
        self,
        *,
        sync_log: SyncLog | None = None,
        triggered_by: str = "manual",
        full_refresh: bool = False,
        progress: Callable[[SyncLog], None] | None = None,
        tenant_cap: int = 0,
    ) -> SyncLog:
        """Run a sync and return its log (finished: SUCCESS, PARTIAL, FAILED or CANCELLED).

        Without ``sync_log`` a new RUNNING log is created; raises :class:`SyncAlreadyRunning` when
        the connector already has an active one. With a PENDING log it runs it; with a FAILED (or
        stale RUNNING) log it resumes from its checkpoint. A log another worker already claimed (or
        that has finished) is returned as it is. ``tenant_cap`` (workers: fair queuing): when the
        tenant already has that many live runs, the log is returned unclaimed, still PENDING.
        """
        connector = self.connector
        now = timezone.now()
        if sync_log is None:
            sync_log = self._create_log(triggered_by, full_refresh, now)
        elif not self._claim(sync_log, now, tenant_cap):
            sync_log.refresh_from_db()
            return sync_log
        started = time.monotonic()
        previous_duration = (sync_log.duration_seconds or 0.0) if sync_log.checkpoint else 0.0
        state = _RunState()
        log_context = set_log_context(connector=connector.pk, sync=sync_log.pk)
        try:
            with deferred_page_flushes(), _collector_skips_older_objects():
                status = self._run(sync_log, state, full_refresh or sync_log.full_refresh, progress)
            message = state.incomplete or ""
        except SyncOwnershipLost:
            reset_log_context(log_context)
            logger.warning(
                "Sync %s of connector %s was taken over by another run; stopping", sync_log.pk, connector.pk
            )
            sync_log.refresh_from_db()
            return sync_log
        except _Cancelled:
            status, message = SyncStatus.CANCELLED, "Cancelled at a page boundary; committed pages are kept."
        except OutboundError as exc:
            status, message = SyncStatus.FAILED, self._upstream_message(exc, state)
        except (ResponseFormatError, PaginationError, SyncProblem, ValueError) as exc:
            status, message = SyncStatus.FAILED, redact(str(exc))
        except DatabaseError as exc:
            logger.exception("Sync %s of connector %s hit a database error", sync_log.pk, connector.pk)
            status, message = SyncStatus.FAILED, f"Database error while storing a page: {exc}"
        except SoftTimeLimitExceeded:
            # The worker's limit (tasks.py) backs up the run budget when one page overran it.
            status, message = SyncStatus.FAILED, _over_budget_message(run_time_budget(connector), state.pages)
        except Exception as exc:  # a bug must not leave the run RUNNING forever
            logger.exception("Sync %s of connector %s crashed", sync_log.pk, connector.pk)
            status, message = SyncStatus.FAILED, f"Internal error ({type(exc).__name__}); see the server log."
        try:
            self._finish(
                sync_log, state, status, redact(message), previous_duration + time.monotonic() - started
            )
        finally:
            reset_log_context(log_context)
        return sync_log

    def _create_log(self, triggered_by: str, full_refresh: bool, now) -> SyncLog:
        connector = self.connector
        try:
            with transaction.atomic():
                log = SyncLog.objects.create(
                    tenant_id=connector.tenant_id,
                    connector=connector,
                    status=SyncStatus.RUNNING,
                    triggered_by=triggered_by,
                    full_refresh=full_refresh,
                    started_at=now,
                    heartbeat_at=now,
                )
        except IntegrityError:
            raise self._already_running() from None
        selectors.invalidate_tenant_stats(connector.tenant_id)
        return log

    def _already_running(self) -> Exception:
        return SyncAlreadyRunning(self._active_log_id())

    def _active_log_id(self):
        return (
            SyncLog.objects.filter(connector_id=self.connector.pk, status__in=ACTIVE_SYNC_STATUSES)
            .values_list("pk", flat=True)
            .first()
        )

    def _claim(self, sync_log: SyncLog, now, tenant_cap: int = 0) -> bool:
        """Atomically make ``sync_log`` RUNNING if it may run; False when someone else has it (or,
        with ``tenant_cap``, when the tenant already has that many live runs)."""
        stale = now - timedelta(seconds=settings.MIGRATEIQ_SYNC_STALE_AFTER_SECONDS)
        claimable = (
            Q(status__in=[SyncStatus.PENDING, SyncStatus.FAILED])
            | Q(status=SyncStatus.RUNNING, heartbeat_at__lt=stale)
            | Q(status=SyncStatus.RUNNING, heartbeat_at__isnull=True, started_at__lt=stale)
        )
        try:
            with transaction.atomic():
                if tenant_cap > 0 and self._tenant_at_cap(sync_log, tenant_cap, stale):
                    return False
                claimed = (
                    SyncLog.objects.filter(claimable, pk=sync_log.pk)
                    .exclude(connector_id__isnull=True)
                    .update(
                        status=SyncStatus.RUNNING,
                        started_at=now,
                        heartbeat_at=now,
                        finished_at=None,
                        error_message="",
                    )
                )
        except IntegrityError:
            raise self._already_running() from None
        if claimed:
            sync_log.refresh_from_db()
        return bool(claimed)

    @staticmethod
    def _tenant_at_cap(sync_log: SyncLog, cap: int, stale) -> bool:
        """Whether the log's tenant has ``cap`` live runs besides this one. Called in the claim's
        transaction after locking the tenant's row (PostgreSQL; SQLite's write transactions are
        serial already), so two workers cannot both take the tenant's last slot."""
        list(Tenant.objects.select_for_update().filter(pk=sync_log.tenant_id).values_list("pk"))
        live = (
            SyncLog.objects.filter(
                tenant_id=sync_log.tenant_id, status=SyncStatus.RUNNING, heartbeat_at__gte=stale
            )
            .exclude(pk=sync_log.pk)
            .count()
        )
        return live >= cap

    # -- the run --------------------------------------------------------------------------------

    def _run(self, log: SyncLog, state: _RunState, full_refresh: bool, progress) -> str:
        connector = self.connector
        pagination = _pagination_config(connector)
        configured_pagination = pagination
        incremental = _incremental_config(connector)
        auth = build_request_auth(connector)
        max_pages = run_page_cap(connector)
        budget = run_time_budget(connector)
        ends_at = time.monotonic() + budget
        rules = _Rules.of(connector)
        error_detection = _error_detection(connector)
        state.schema = SchemaAccumulator.for_connector(connector.pk)
        state.full_refresh = full_refresh

        checkpoint = log.checkpoint if isinstance(log.checkpoint, dict) else None
        if checkpoint and checkpoint.get("version") == CHECKPOINT_VERSION:
            refusal = checkpoint_refusal(connector, checkpoint)
            if refusal:
                raise SyncProblem(refusal)
            self._restore(log, state, checkpoint)
            pagination = checkpoint["pagination"]["config"]
            paginator = make_paginator(
                pagination, connector.api_endpoint, checkpoint["pagination"]["state"], auth.credential_params
            )
            # A checkpoint written before paginators counted what they saw: the committed records.
            paginator.state.setdefault("seen", state.processed)
            self._event(log, f"Resuming after page {state.pages} ({state.processed} records committed).")
        else:
            checkpoint = None
            state.first_load = not connector_has_records(connector.pk)
            if incremental:
                stored = None if full_refresh else connector.incremental_cursor
                state.since = stored if stored is not None else incremental.initial_value
            state.records_path = connector.records_path
            paginator = (
                None
                if pagination["type"] == "auto"
                else make_paginator(pagination, connector.api_endpoint, None, auth.credential_params)
            )
            self._event(
                log,
                "Sync started"
                + (" (full refresh)" if full_refresh else "")
                + (
                    f"; sending {incremental.param}={state.since}"
                    if incremental and state.since is not None
                    else ""
                )
                + ".",
            )
            if paginator is not None and not log.detected_pagination:
                log.detected_pagination = paginator.style

        base_params = base_query_params(connector)
        if incremental and state.since is not None:
            base_params[incremental.param] = _param_text(state.since)
        cursor_parts = path_parts(incremental.cursor_field) if incremental else None
        committer = _committer_for(self, log, state, progress)
        self._emit = committer.event
        budget_text = f"this run's time budget ({budget:g} s)"

        # Page, offset and numbered-link pages are requested ahead while this thread works on the
        # current one (see prefetch.py); the pages are still taken, checked and committed in order.
        def send(request: PageRequest):
            params = {**auth.params} if request.followed else {**base_params, **request.params, **auth.params}
            return auth.get(client, request.url, params=params)

        relay = RetryRelay(lambda message: self._on_retry(log, state, message))
        fetcher = PageFetcher(send, request_concurrency(connector), relay, abandon_on=(_Cancelled,))
        try:
            with (
                total_deadline(budget, budget_text),
                OutboundClient(on_retry=relay, budget=request_budget(connector, per_sync=True)) as client,
                fetcher,
            ):
                while True:
                    committer.check()
                    if time.monotonic() >= ends_at:
                        raise SyncProblem(_over_budget_message(budget, state.pages))
                    if state.pages_this_run >= max_pages:
                        state.warnings.append(
                            f"Stopped at max_pages ({max_pages}); the next sync continues with new data "
                            "only if the API is incremental."
                        )
                        break
                    request = (
                        paginator.request()
                        if paginator is not None
                        else _first_auto_request(connector.api_endpoint, pagination)
                    )
                    # The first page of a run goes alone: it announces the totals (and sets OAuth).
                    room = max_pages - state.pages_this_run - 1 if state.pages_this_run else 0
                    try:
                        response = fetcher.fetch(request, paginator, room)
                    except OutboundError as exc:
                        if time.monotonic() >= ends_at - 0.05:  # the run's budget ended the request
                            raise SyncProblem(_over_budget_message(budget, state.pages)) from None
                        if not _past_the_announced_end(exc, paginator, state):
                            raise
                        self._emit(
                            f"Page {state.pages + 1} answered HTTP {exc.status_code}, past the last page the "
                            "upstream announced; every announced record is stored."
                        )
                        break
                    body, plain = parse_json_document(response)
                    records_path = state.records_path
                    if records_path is None:
                        records_path = detect_records_path(body)
                    # Before anything of the page is used: an error report is never stored as records.
                    check_upstream_error(body, records_path, error_detection)
                    state.records_path = records_path
                    records = extract_records(body, state.records_path, url=response.url)
                    # A body that is itself the record (records_path "") holds no pagination data: its
                    # own fields ("done": false on a task) are not flags about pages.
                    page = FetchedPage(
                        response.url,
                        response.headers,
                        {} if records_path == "" and type(body) is dict else body,
                        len(records),
                        records[-1] if records else None,
                    )
                    if paginator is None:
                        pagination = detect_pagination(page, pagination)
                        paginator = make_paginator(
                            pagination, connector.api_endpoint, None, auth.credential_params
                        )
                        if pagination["type"] == "page" and "start_page" in pagination:
                            paginator.state["page"] = pagination["start_page"]
                        log.detected_pagination = paginator.style
                        because = pagination.get("detected_because")
                        self._emit(
                            f"Detected pagination: {paginator.describe()}"
                            + (f", because {because}." if because else ".")
                        )
                    loop_error = None
                    try:
                        more = paginator.advance(page)
                    except PaginationLoop as exc:
                        more, loop_error = False, exc
                    paginator.note_announcements(page)
                    if not more and loop_error is None:
                        state.incomplete = paginator.shortfall(page)
                        if paginator.stopped_because and state.incomplete is None:
                            self._emit(f"Last page: {paginator.stopped_because}.")
                    del body, page

                    work, fingerprint = self._process_records(
                        records, rules, state, cursor_parts, plain=plain
                    )
                    del records
                    if fingerprint is None:
                        fingerprint = hashlib.blake2b(response.content, digest_size=16).digest()
                    if fingerprint in state.recent_pages:
                        shown = safe_url(response.url, auth.credential_params)
                        raise PaginationLoop(
                            f"Page {state.pages + 1} ({shown}) holds the same records as "
                            "an earlier page: the upstream seems to ignore the pagination parameters. "
                            "Stopping instead of looping; check the connector's pagination settings."
                        )
                    state.recent_pages.append(fingerprint)
                    del response

                    state.pages += 1
                    state.pages_this_run += 1
                    state.failed += len(work.failures)
                    work.number = state.pages
                    work.fields = {
                        "records_processed": state.processed,
                        "records_failed": state.failed,
                        "pages_fetched": state.pages,
                        "cursor_value": state.high_water,
                        "detected_pagination": log.detected_pagination or paginator.style,
                        "checkpoint": {
                            "version": CHECKPOINT_VERSION,
                            "origin": endpoint_origin(connector.api_endpoint),
                            "configured_pagination": configured_pagination,
                            "pagination": {"config": pagination, "state": dict(paginator.state)},
                            "records_path": state.records_path,
                            "key_mode": state.key_mode,
                            "since": state.since,
                            "high_water": state.high_water,
                        },
                    }
                    committer.submit(work)
                    state.in_flight.append(frozenset(work.rows))
                    del work
                    if loop_error is not None:
                        raise loop_error
                    if not more:
                        state.complete = True
                        break
                    self._check_threshold(state, final=False)
            if fetcher.discarded:
                self._emit(
                    f"{fetcher.discarded} page request(s) sent ahead were not needed (past the last page) "
                    "and were discarded."
                )
        finally:
            committer.close()
            self._emit = partial(self._event, log)
        committer.check(final=True)
        return self._final_status(state)

    def _process_records(self, records, rules: _Rules, state: _RunState, cursor_parts, *, plain: bool):
        """Transform, validate and serialize one page: its work for the committer (rows, failures,
        duplicates, records skipped unchanged, the stored checksums already read) and the page
        fingerprint.

        On a plain page (see ``extract.parse_json_document``) every record gets a source checksum.
        When the connector had records already, the stored source checksums of the page's keys are
        read first (keys guessed from the raw records, see ``DataTransformationService.source_path``;
        keys of pages still being committed are left out): a record whose stored source checksum
        equals its own is unchanged, and is neither transformed nor written.
        """
        connector = self.connector
        transform = rules.transform
        rows: dict[str, tuple[str, str, str]] = {}
        failures: list[tuple[object, str]] = []
        marks: list[str] = []
        pk_parts = rules.pk_parts
        single_pk = pk_parts[0] if len(pk_parts) == 1 else None
        if state.key_mode is None and records:
            state.key_mode = self._choose_key_mode(records, transform, pk_parts)
        by_hash = state.key_mode == "content_hash"
        hasher = rules.source_hasher
        sources = (
            [source_checksum(raw, hasher) if type(raw) is dict else "" for raw in records] if plain else None
        )
        stored: dict[str, tuple[str, str]] = {}
        wanted: set = set()
        guesses: list = []
        if sources is not None and not by_hash and not state.first_load and rules.key_guess is not None:
            guesses = [_key_guess(raw, rules.key_guess) for raw in records]
            wanted = set(guesses)
            wanted.discard(None)
            for written in state.in_flight:
                wanted -= written
            if wanted:
                stored = stored_checksums(connector.pk, list(wanted))
        skipped: set[str] = set()
        schema = state.schema
        high_water = state.high_water
        duplicates = 0
        for index, raw in enumerate(records):
            if type(raw) is not dict:
                failures.append((raw, f"The record is not a JSON object (got {_json_type(raw)})."))
                continue
            if cursor_parts is not None:
                value = get_path(raw, cursor_parts)
                if value is not None and (high_water is None or later_cursor(value, high_water)):
                    high_water = value
            source = sources[index] if sources is not None else ""
            if stored:
                guess = guesses[index]
                previous = stored.get(guess) if guess is not None else None
                if source and previous is not None and previous[1] == source:
                    # The stored record was made from this very raw record by the same rules.
                    if guess in rows:
                        del rows[guess]
                        duplicates += 1
                    elif guess in skipped:
                        duplicates += 1
                    skipped.add(guess)
                    marks.append(source)
                    continue
            try:
                data = transform(raw) if transform is not None else raw
                if type(data) is not dict:
                    raise TransformationError("The transformation did not return an object.")
                text, digest = encode_record(data, finite=plain)
            except (TransformationError, UnstorableRecord) as exc:
                failures.append((raw, str(exc)))
                continue
            except Exception as exc:  # a transformation bug quarantines the record, not the sync
                failures.append((raw, f"Transformation failed: {type(exc).__name__}: {exc}"))
                continue
            if by_hash:
                external_id = digest
            else:
                key_value = data.get(single_pk) if single_pk is not None else get_path(data, pk_parts)
                if key_value is None or key_value == "" or isinstance(key_value, dict | list | bool):
                    failures.append((raw, _missing_key_message(connector.primary_key, key_value)))
                    continue
                external_id = key_value if type(key_value) is str else str(key_value)
                if len(external_id) > MAX_EXTERNAL_ID_LENGTH:
                    failures.append(
                        (raw, f"The primary key is longer than {MAX_EXTERNAL_ID_LENGTH} characters.")
                    )
                    continue
            if external_id in rows:
                duplicates += 1
            elif external_id in skipped:
                duplicates += 1
                skipped.discard(external_id)
            rows[external_id] = (text, digest, source)
            marks.append(source or digest)
            schema.observe(data)
        state.high_water = high_water
        state.processed += len(records)
        fingerprint = hashlib.blake2b("".join(marks).encode(), digest_size=16).digest() if marks else None
        # What the lookup found (or did not) for the rows' ids holds at this page's commit: no other
        # page writes those ids before it (ids of pages in flight were not looked up).
        known = {external_id: stored.get(external_id) for external_id in rows if external_id in wanted}
        work = _PageWork(
            rows=rows, failures=failures, duplicates=duplicates, skipped=len(skipped), known=known
        )
        schema.flush()  # the page's strings against the formats still possible, in a few C calls
        if schema.changed:
            work.schema = schema.to_document()
            schema.changed = False
        if state.full_refresh:
            work.seen = [*rows, *skipped]
        return work, fingerprint

    def _choose_key_mode(self, records, transform, pk_parts) -> str:
        """Upsert by primary key, unless it is empty or no record of the first page has it (an API
        without ids): then by a hash of the content."""
        if not pk_parts:
            return "content_hash"
        for raw in records[:50]:
            if type(raw) is not dict:
                continue
            try:
                data = transform(raw) if transform is not None else raw
            except Exception:  # noqa: S112 - a bad record is quarantined later
                continue
            if isinstance(data, dict) and get_path(data, pk_parts) not in (None, ""):
                return "primary_key"
        if not any(type(raw) is dict for raw in records[:50]):
            return "primary_key"
        return "content_hash"

    def _commit_page(self, log: SyncLog, state: _RunState, work: _PageWork) -> dict:
        """Commit one page: its records, its quarantine and the checkpoint, in one transaction.
        Returns the log fields written."""
        connector = self.connector
        now = timezone.now()
        with transaction.atomic():
            counts = upsert_page(
                tenant_id=connector.tenant_id,
                connector_id=connector.pk,
                sync_log_id=log.pk,
                rows=work.rows,
                now=now,
                first_load=state.first_load,
                known=work.known,
            )
            if work.schema is not None:
                save_schema(connector.pk, work.schema)
            if work.seen:
                changes.mark_seen(connector.pk, log.pk, work.seen)
            if work.failures:
                SyncRecordError.objects.bulk_create(
                    [
                        SyncRecordError(
                            tenant_id=connector.tenant_id,
                            sync_log_id=log.pk,
                            connector_id=connector.pk,
                            external_id=_external_id_of(raw, connector.primary_key),
                            raw_payload=jsonb_safe(raw),
                            error=redact(error)[:2000],
                            page=work.number,
                        )
                        for raw, error in work.failures
                    ]
                )
            # Only the committer touches these counters (a record repeated within a page is
            # written once and counted unchanged).
            state.created += counts.created
            state.updated += counts.updated
            state.unchanged += counts.unchanged + work.duplicates + work.skipped
            fields = {
                **work.fields,
                "records_created": state.created,
                "records_updated": state.updated,
                "records_unchanged": state.unchanged,
                "heartbeat_at": now,
            }
            # Only the run that claimed the log may write it: a run reaped as stale that comes back
            # to life must not commit alongside the run that took over (the page rolls back).
            if not _owned(log).update(**fields):
                raise SyncOwnershipLost(f"Sync log {log.pk} was taken over by another run.")
        return fields

    def _cancel_requested(self, log: SyncLog) -> bool:
        return SyncLog.objects.filter(pk=log.pk, cancel_requested=True).exists()

    def _restore(self, log: SyncLog, state: _RunState, checkpoint: dict) -> None:
        state.processed = log.records_processed
        state.created = log.records_created
        state.updated = log.records_updated
        state.unchanged = log.records_unchanged
        state.failed = log.records_failed
        state.pages = log.pages_fetched
        state.records_path = checkpoint.get("records_path")
        state.key_mode = checkpoint.get("key_mode")
        state.since = checkpoint.get("since")
        state.high_water = checkpoint.get("high_water")

    def _check_cancel(self, log: SyncLog) -> None:
        if self._cancel_requested(log):
            log.cancel_requested = True
            raise _Cancelled

    def _check_threshold(self, state: _RunState, *, final: bool) -> None:
        threshold = float(settings.MIGRATEIQ_SYNC_ERROR_THRESHOLD)
        if not state.processed or state.failed <= threshold * state.processed:
            return
        if not final and state.failed < EARLY_THRESHOLD_MIN_FAILURES:
            return
        raise SyncProblem(
            f"{state.failed} of {state.processed} records ({state.failed / state.processed:.1%}) failed "
            f"transformation or validation, above the {threshold:.0%} error threshold; they are in the "
            "sync's quarantine."
        )

    def _final_status(self, state: _RunState) -> str:
        self._check_threshold(state, final=True)
        if state.incomplete:
            # Never SUCCESS while the upstream says there is more: PARTIAL keeps what was stored.
            return SyncStatus.PARTIAL if state.processed > state.failed else SyncStatus.FAILED
        return SyncStatus.PARTIAL if state.failed else SyncStatus.SUCCESS

    # -- the end ----------------------------------------------------------------------------------

    def _finish(self, log: SyncLog, state: _RunState, status: str, message: str, duration: float) -> None:
        connector = self.connector
        now = timezone.now()
        if status == SyncStatus.SUCCESS and state.full_refresh and state.complete:
            # Only a run that fetched every page may conclude a record is gone upstream.
            deleted = changes.delete_unseen(connector.pk, log.pk, now)
            if deleted:
                self._event(
                    log,
                    f"Full refresh: {deleted} record(s) the upstream no longer returns were marked deleted.",
                )
        for warning in state.warnings:
            self._event(log, warning, SyncLogEvent.Level.WARNING)
        if message:
            level = SyncLogEvent.Level.WARNING if status == SyncStatus.CANCELLED else SyncLogEvent.Level.ERROR
            self._event(log, message, level)
        fields = {
            "status": status,
            "finished_at": now,
            "duration_seconds": round(duration, 3),
            "error_message": message if status != SyncStatus.CANCELLED else "",
            "heartbeat_at": now,
        }
        if not _owned(log).update(**fields):
            logger.warning("Sync %s was taken over by another run; not recording %s", log.pk, status)
            log.refresh_from_db()
            return
        log.refresh_from_db()
        observe_sync_finished(status, log.duration_seconds, log.records_processed, log.records_failed)
        connector_fields = {
            "last_sync_at": now,
            "last_sync_status": status,
            "records_count": SyncedRecord.objects.filter(
                connector_id=connector.pk, deleted_at__isnull=True
            ).count(),
        }
        # An incomplete run keeps the old cursor: the next sync asks again for what this one missed.
        if (
            status in (SyncStatus.SUCCESS, SyncStatus.PARTIAL)
            and connector.incremental
            and not state.incomplete
        ):
            high_water = log.cursor_value
            if high_water is not None:
                connector_fields["incremental_cursor"] = high_water
        CustomDataConnector.objects.filter(pk=connector.pk).update(**connector_fields)
        for name, value in connector_fields.items():
            setattr(connector, name, value)
        selectors.invalidate_tenant_stats(connector.tenant_id)
        if status in (SyncStatus.SUCCESS, SyncStatus.PARTIAL):
            run_finished(connector)
        self._event(
            log,
            f"Sync {status.lower()} in {log.duration_seconds:.2f} s: {log.records_processed} processed, "
            f"{log.records_created} created, {log.records_updated} updated, "
            f"{log.records_unchanged} unchanged, {log.records_failed} quarantined, "
            f"{log.pages_fetched} pages.",
        )

    # -- log lines --------------------------------------------------------------------------------

    def _event(self, log: SyncLog, message: str, level: str = SyncLogEvent.Level.INFO) -> None:
        record_event(log.pk, message, level)

    def _page_committed(self, log: SyncLog, fields: dict, progress) -> None:
        """After a page commit, in the calling thread: the in-memory log, progress, a log line on a
        few milestones."""
        for name, value in fields.items():
            setattr(log, name, value)
        if progress is not None:
            progress(log)

    def _on_retry(self, log: SyncLog, state: _RunState, message: str) -> None:
        state.retry_events += 1
        if state.retry_events <= MAX_RETRY_EVENTS:
            self._emit(f"Page {state.pages + 1}: {message}", SyncLogEvent.Level.WARNING)
        elif state.retry_events == MAX_RETRY_EVENTS + 1:
            self._emit("Further retries are not logged.", SyncLogEvent.Level.WARNING)

    def _upstream_message(self, exc: OutboundError, state: _RunState) -> str:
        message = str(exc)
        if exc.url and safe_url(exc.url) not in message:
            message += f" ({safe_url(exc.url)})"
        if exc.attempts and "attempt" not in message:
            message += f" after {exc.attempts} attempt(s)"
        return f"Fetching page {state.pages + 1} failed: {message}"


def run_finished(connector) -> None:
    """What follows a sync that stored data: load the connector's changes into its destinations.

    The one coupling of the engine to the destinations app, kept here so that it can move onto a
    ``run_finished`` hook as it is. Loads are queued (they run in the background); a problem queueing
    them never changes the sync's result.
    """
    try:
        load_after_sync(connector.pk)
    except Exception:
        logger.exception("Could not queue the destination loads after a sync of connector %s", connector.pk)


# -- page commits -----------------------------------------------------------------------------------


@dataclass
class _PageWork:
    """One page ready to commit: its rows, its quarantine, and the log fields of its checkpoint."""

    rows: dict
    failures: list
    duplicates: int
    skipped: int  # unchanged records recognised by their source checksum (not in rows)
    known: dict  # stored (checksum, source checksum) already read for ids of rows; None: not stored
    number: int = 0
    fields: dict = field(default_factory=dict)
    schema: dict | None = None  # the connector's schema, when this page taught it something
    seen: list = field(default_factory=list)  # a full refresh's ids of the page (written or not)


def _is_milestone(page_number: int) -> bool:
    return page_number in (10, 100) or page_number % 1000 == 0


class _InlineCommitter:
    """Commits each page in the sync's own thread and connection, before the next page is fetched."""

    def __init__(self, service: DataSyncService, log: SyncLog, state: _RunState, progress):
        self.service = service
        self.log = log
        self.state = state
        self.progress = progress

    def event(self, message: str, level: str = SyncLogEvent.Level.INFO) -> None:
        self.service._event(self.log, message, level)

    def submit(self, work: _PageWork) -> None:
        fields = self.service._commit_page(self.log, self.state, work)
        self.service._page_committed(self.log, fields, self.progress)
        if _is_milestone(work.number):
            self.event(f"{work.number} pages, {fields['records_processed']} records so far.")

    def check(self, *, final: bool = False) -> None:
        """Raise ``_Cancelled`` at a page boundary when a cancel was requested."""
        if not final:
            self.service._check_cancel(self.log)

    def close(self) -> None:
        pass


class _BackgroundCommitter(_InlineCommitter):
    """Commits pages in a second thread, on its own database connection, while the sync fetches
    and transforms the next page: the database's work overlaps the sync's (PostgreSQL runs it in
    another process; SQLite releases the GIL while it writes).

    Pages commit strictly in order, one queued at a time (memory stays constant). Log lines go
    through the same queue, so the sync's own thread does not touch the database meanwhile. A
    failed commit stops the sync at its next page boundary; a cancel seen after a commit drops the
    pages queued behind it. Progress callbacks still run in the sync's thread; on SQLite, which has
    one writer at a time and writes a page without holding the GIL, never while the committer is
    working (a callback may write to the database too).
    """

    def __init__(self, *args):
        super().__init__(*args)
        self._busy = threading.Lock() if connection.vendor == "sqlite" else nullcontext()
        # One page waiting while one commits: PAGES_IN_FLIGHT (the sync never looks their keys up early).
        self._queue: queue.Queue = queue.Queue(maxsize=PAGES_IN_FLIGHT - 1)
        self._committed: queue.SimpleQueue = queue.SimpleQueue()
        self._error: BaseException | None = None
        self._cancelled = threading.Event()
        self._dropped = False
        # the committer's log lines carry the same request / connector / sync context as the sync's
        context = contextvars.copy_context()
        self._thread = threading.Thread(
            target=context.run, args=(self._work,), name=f"sync-{self.log.pk}-commits", daemon=True
        )
        self._thread.start()

    def event(self, message: str, level: str = SyncLogEvent.Level.INFO) -> None:
        self._put(("event", message, level))

    def submit(self, work: _PageWork) -> None:
        self._put(("page", work))
        self._report_committed()

    def check(self, *, final: bool = False) -> None:
        self._report_committed()
        if self._error is not None:
            raise self._error
        if self._cancelled.is_set() and (self._dropped or not final):
            self.log.cancel_requested = True
            raise _Cancelled

    def close(self) -> None:
        if self._thread.is_alive():
            self._queue.put(None)
            self._thread.join()
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
            if self.progress is None:
                self.service._page_committed(self.log, fields, None)
                continue
            with self._busy:
                self.service._page_committed(self.log, fields, self.progress)

    def _handle(self, item) -> None:
        if item[0] == "event":
            self.service._event(self.log, item[1], item[2])
            return
        work = item[1]
        fields = self.service._commit_page(self.log, self.state, work)
        self._committed.put(fields)
        if _is_milestone(work.number):
            self.service._event(
                self.log, f"{work.number} pages, {fields['records_processed']} records so far."
            )
        if self.service._cancel_requested(self.log):
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
        except BaseException as exc:  # handed to the sync's thread at its next page boundary
            self._error = exc
            while self._queue.get() is not None:
                pass
        finally:
            connection.close()


def _owned(log: SyncLog):
    """The log, as long as this run still owns it (RUNNING since the start this run claimed)."""
    return SyncLog.objects.filter(pk=log.pk, status=SyncStatus.RUNNING, started_at=log.started_at)


def _committer_for(service, log, state, progress) -> _InlineCommitter:
    # Inside an outer transaction (a caller's atomic block, the test suite) a second connection
    # would not see the caller's rows: commit inline there.
    if connection.in_atomic_block or not getattr(settings, "MIGRATEIQ_SYNC_BACKGROUND_COMMITS", True):
        return _InlineCommitter(service, log, state, progress)
    return _BackgroundCommitter(service, log, state, progress)


# -- helpers ----------------------------------------------------------------------------------------


def checkpoint_refusal(connector, checkpoint: dict) -> str:
    """Why a run's checkpoint may not be resumed with the connector as it is now, or "".

    A checkpoint holds the next request (a next-page URL, a cursor) made for the endpoint and the
    pagination of its time: resumed after either changed, it would send today's credentials to
    yesterday's host or mix two configurations in one run.
    """
    if not isinstance(checkpoint, dict):
        return ""
    pagination = checkpoint.get("pagination") if isinstance(checkpoint.get("pagination"), dict) else {}
    state = pagination.get("state") if isinstance(pagination.get("state"), dict) else {}
    origin = endpoint_origin(connector.api_endpoint)
    saved_origin = checkpoint.get("origin")
    next_url = state.get("url")
    if (saved_origin is not None and saved_origin != origin) or (
        isinstance(next_url, str) and endpoint_origin(next_url) != origin
    ):
        return (
            "This run's checkpoint was made for another endpoint origin than the connector's current "
            "one; it cannot be resumed. Start a new sync instead."
        )
    try:
        current = validate_pagination_config(connector.pagination)
    except ValueError:
        current = None
    saved = checkpoint.get("configured_pagination")
    if saved is None:
        # Older checkpoints kept only the pagination in use; auto-detected ones cannot be compared.
        saved = pagination.get("config") if current and current.get("type") != "auto" else current
    if saved != current:
        return (
            "The connector's pagination changed since this run's checkpoint was made; it cannot be "
            "resumed. Start a new sync instead."
        )
    return ""


def _pagination_config(connector) -> dict:
    try:
        return validate_pagination_config(connector.pagination)
    except ValueError as exc:
        raise SyncProblem(f"Invalid pagination configuration: {exc}") from None


def _error_detection(connector) -> dict:
    try:
        return validate_error_detection(connector.error_detection)
    except ValueError as exc:
        raise SyncProblem(f"Invalid error_detection: {exc}") from None


def _incremental_config(connector) -> IncrementalConfig | None:
    try:
        return IncrementalConfig.from_connector(connector)
    except ValueError as exc:
        raise SyncProblem(f"Invalid incremental configuration: {exc}") from None


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


def _key_guess(raw: dict, parts: tuple[str, ...]) -> str | None:
    """The text of the string or number at ``parts`` of a raw record, or None."""
    if not parts:
        return None
    value = raw.get(parts[0]) if len(parts) == 1 else get_path(raw, parts)
    cls = type(value)
    if cls is str:
        return value or None
    if cls is int or cls is float:
        return str(value)
    return None


def _past_the_announced_end(exc: OutboundError, paginator, state: _RunState) -> bool:
    """A 4xx on a page after every record the upstream announced is stored: the end, not a failure
    (WordPress answers 400 for a page past ``X-WP-TotalPages``)."""
    return (
        paginator is not None
        and state.pages_this_run > 0
        and exc.status_code is not None
        and 400 <= exc.status_code < 500
        and exc.status_code not in (401, 403, 407, 429)
        and paginator.announced_end_reached()
    )


def _first_auto_request(endpoint: str, pagination: dict) -> PageRequest:
    if "size_param" in pagination:
        return PageRequest(endpoint, {pagination["size_param"]: str(pagination["page_size"])})
    return PageRequest(endpoint, {})


def _param_text(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _elapsed_ms(started: float) -> float:
    return round((time.perf_counter() - started) * 1000, 1)


def _json_type(value) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "list"
    return type(value).__name__


def _missing_key_message(primary_key: str, key) -> str:
    if key is None or key == "":
        return f"The record has no primary key {primary_key!r}."
    return f"The primary key {primary_key!r} must be a string or number, not a {_json_type(key)}."


def _external_id_of(raw, primary_key: str) -> str:
    """The raw record's key as text, for a quarantined record ("" when it has none)."""
    if not isinstance(raw, dict) or not primary_key:
        return ""
    return (_key_guess(raw, path_parts(primary_key)) or "")[:MAX_EXTERNAL_ID_LENGTH]
