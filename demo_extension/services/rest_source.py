"""The REST source: a connector's HTTP API, read page by page for the sync engine.

``RestSource.pages()`` is the request half of a sync, written as a generator in the style of dlt's
``RESTClient.paginate()``: build the next request (pagination, auth, base and incremental
parameters), fetch it (pages are requested ahead where the style allows, see :mod:`.prefetch`),
refuse an error report answered with HTTP 200, extract the records, advance the paginator (its stop
rules and loop guards), and yield a :class:`~sync_engine.sources.Page` with the position to resume
after it. The engine does everything after that. Modules: :mod:`.pagination` (styles, detection,
``AutoPaginator``), :mod:`.extract` (JSON bodies, ``records_path``, HTTP-200 errors), :mod:`.auth`,
:mod:`.incremental`, :mod:`.budget`.
"""

from __future__ import annotations

import hashlib
import json
import re
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field

from django.utils import timezone

from core.http import OutboundClient, total_deadline
from core.http_errors import OutboundError, UpstreamError
from core.redaction import redact, safe_url, scrub_stored_secrets, stored_secret_forms
from core.upstream_errors import requested_backoff
from demo_extension.services.auth import base_query_params, build_request_auth
from demo_extension.services.budget import paced_note, paused_refusal, request_budget, waiting_for_pause
from demo_extension.services.credentials import endpoint_origin
from demo_extension.services.extract import (
    PageNumbers,
    ResponseFormatError,
    check_upstream_error,
    describe_rounded,
    detect_records_path,
    extract_records,
    parse_json_document,
    partial_errors,
    refuse_one_object_that_pages,
    refuse_records_beside_other_lists,
    refuse_several_paged_lists,
    says_nothing_more,
    validate_error_detection,
)
from demo_extension.services.incremental import (
    IncrementalConfig,
    merged,
    validate_incremental_config,
    with_since,
)
from demo_extension.services.pagination import (
    FetchedPage,
    PageRequest,
    PaginationError,
    check_search_after_request,
    find_cursor,
    find_more_flag,
    make_paginator,
    paginator_for,
    validate_pagination_config,
)
from demo_extension.services.prefetch import PageFetcher, RetryRelay, request_concurrency
from sync_engine.engine import over_budget_message
from sync_engine.errors import SyncProblem
from sync_engine.sources import Page, RunContext, SourcePlan, register_source

#: The ``source_type`` of connectors read by this source (the model's default).
REST_SOURCE_TYPE = "rest"
# Styles whose requests name a position in the list (page numbers, offsets, links that carry one):
# see ``Page.positional``. A cursor names the record to continue after, wherever it has moved.
POSITIONAL_STYLES = frozenset({"page", "offset", "next_url", "link_header"})


@dataclass
class ConnectionResult:
    connected: bool
    response_time_ms: float | None
    message: str
    endpoint: str
    status_code: int | None
    # False when nothing was sent (the connector's requests are paused): not a verdict on the API.
    tested: bool = True
    # Seconds until the connector's requests go out again, when the API asked to slow down (this
    # test's 429 or Retry-After, or an earlier one): when to try again. None: not paused.
    retry_after: float | None = None


@dataclass
class ReadPage:
    """What one response of the API said: its records, and where the pagination goes from there."""

    records: list
    plain: bool  # parsed as plain JSON (see extract.parse_json_document)
    page: FetchedPage  # the page as the paginator saw it (for shortfall checks)
    more: bool  # the paginator has a next request
    detected: bool  # this response decided the auto-detected pagination
    stop_error: Exception | None = None  # a pagination problem found after the records were read
    partial: str | None = None  # the errors the upstream answered beside these records
    backoff: tuple[str, float] | None = None  # a wait the answer asks for before the next request
    # Decimals a float rounds: how many, and up to three (field, text, value) of its records'.
    rounded: tuple[int, list[tuple[str, str, float]]] = (0, [])


class PageReader:
    """Reads the responses of a connector's API in order: records path, HTTP-200 errors, records,
    the paginator's next request (and, on ``auto``, the detection). Shared by the sync's source and
    the preview, so both read an API the same way."""

    def __init__(self, paginator, records_path: str | None, error_detection: dict):
        self.paginator = paginator
        self.records_path = records_path
        self.error_detection = error_detection

    def request(self) -> PageRequest:
        return self.paginator.request()

    def extract(self, response, numbers: PageNumbers | None = None) -> tuple[list, bool, object]:
        """``(records, plain, body)`` of one response: the records path found (or configured), an
        error report answered with HTTP 200 refused before anything of the body is used. Decimals a
        float rounds are counted in ``numbers``."""
        if response.status_code == 204:
            # No Content: an empty list (Zoho CRM answers a module without records so), not a JSON error
            body, plain = {}, True
        else:
            body, plain = parse_json_document(response, numbers)
        if self.records_path != "" and says_nothing_more(body):
            # Marketo's "nothing new": {"success": true, "moreResult": false} without "result"
            check_upstream_error(body, "", self.error_detection)
            return [], plain, body
        if self.records_path is None:  # detected on the first page: one paged list, not several
            refuse_several_paged_lists(body, response.url)
        path = self.records_path if self.records_path is not None else detect_records_path(body)
        check_upstream_error(body, path, self.error_detection)
        if self.records_path is None:  # a guess that another list beside it makes unsafe is refused
            refuse_records_beside_other_lists(body, path, response.url)
        if path == "":  # the body would be one record: refused when it is a list page
            refuse_one_object_that_pages(
                body,
                response.url,
                configured=self.records_path is not None,
                more_path=self.paginator.config.get("has_more_path"),
            )
        self.records_path = path
        return extract_records(body, path, url=response.url), plain, body

    def read(self, response) -> ReadPage:
        """The page's records and the paginator's verdict. A pagination problem found after the
        records were read (a loop, a next link to another host, a cursor that is an object) is
        ``stop_error``: the records are the upstream's answer to a request MigrateIQ made, so the
        sync stores them before the run fails, and the preview shows them with the problem."""
        numbers = PageNumbers()
        answered, plain, body = self.extract(response, numbers)
        path = self.records_path
        paginator = self.paginator
        records = paginator.keep_new(answered)  # a search_after page's hits the page before read
        # A body that is itself the record (records_path "") holds no pagination data: its own
        # fields ("done": false on a task) are not flags about pages.
        page = FetchedPage(
            response.url,
            response.headers,
            {} if path == "" and type(body) is dict else body,
            len(records),
            answered[-1] if answered else None,
            answered,
            response.status_code,
        )
        detected = paginator.current is None
        stop_error = None
        try:
            more = paginator.advance(page)
        except PaginationError as exc:
            more, stop_error = False, exc
        partial = partial_errors(body, path, self.error_detection)
        return ReadPage(
            records,
            plain,
            page,
            more,
            detected,
            stop_error,
            partial,
            requested_backoff(body),
            (numbers.count, numbers.examples(records)) if numbers.count else (0, []),
        )


@register_source(REST_SOURCE_TYPE)
class RestSource:
    """Reads a connector's REST API (see the module docstring)."""

    def __init__(self, connector):
        self.connector = connector

    # -- configuration --------------------------------------------------------------------------

    def prepare(self) -> SourcePlan:
        self.pagination = pagination_config(self.connector)
        self.error_detection = error_detection_config(self.connector)
        self.incremental = incremental_config(self.connector)
        incremental = self.incremental
        if incremental is None:
            return SourcePlan()
        return SourcePlan(
            cursor_field=incremental.cursor_field,
            initial_cursor=incremental.initial_value,
            since_text=incremental.describe,
        )

    def refuse_checkpoint(self, position: dict) -> str:
        """Why a checkpoint's position may not be resumed with the connector as it is now, or "".

        The position holds the next request (a next-page URL, a cursor) made for the endpoint and the
        pagination of its time: resumed after either changed, it would send today's credentials to
        yesterday's host or mix two configurations in one run.
        """
        connector = self.connector
        pagination = position.get("pagination") if isinstance(position.get("pagination"), dict) else {}
        state = pagination.get("state") if isinstance(pagination.get("state"), dict) else {}
        origin = endpoint_origin(connector.api_endpoint)
        saved_origin = position.get("origin")
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
        saved = position.get("configured_pagination")
        if saved is None:
            # Older checkpoints kept only the pagination in use; auto-detected ones cannot be compared.
            saved = pagination.get("config") if current and current.get("type") != "auto" else current
        if saved != current:
            return (
                "The connector's pagination changed since this run's checkpoint was made; it cannot be "
                "resumed. Start a new sync instead."
            )
        saved_request = position.get("request")
        if saved_request is not None and saved_request != RequestShape.of(connector).fingerprint():
            return (
                "The connector's request_method or request_body changed since this run's checkpoint was "
                "made (its pages answer another query); it cannot be resumed. Start a new sync instead."
            )
        changed = changed_selection(position, connector)
        if changed:
            return (
                f"The connector's {' and '.join(changed)} changed since this run's checkpoint was made: "
                "the pages after it would answer another request than the pages already stored (records "
                "in only one of the two lists, or moved between their pages, would be read by neither); "
                "it cannot be resumed. Start a new sync instead."
            )
        saved_incremental = position.get("incremental")
        if saved_incremental is not None and saved_incremental != incremental_fingerprint(connector):
            # The pages after the checkpoint would be those of another filter: with page numbers or
            # offsets, a narrower one skips the records that moved up into pages already read.
            return (
                "The connector's incremental setting (its param, body_filter, lookback or cursor_field) "
                "changed since this run's checkpoint was made (its pages answer another filter); it "
                "cannot be resumed. Start a new sync instead."
            )
        return ""

    # -- connection test ------------------------------------------------------------------------

    def check(self) -> ConnectionResult:
        """Fetch the first page as a sync would and say whether records could be read from it.

        One attempt, no retries: a person is waiting for the answer.
        """
        connector = self.connector
        endpoint = safe_url(connector.api_endpoint)
        started = time.perf_counter()
        response = None
        budget = None  # an OAuth2 token request may fail before the budget is made
        try:
            config = pagination_config(connector)
            auth = build_request_auth(connector)
            paginator = paginator_for(
                config, connector.api_endpoint, request_body=RequestShape.of(connector).post_body
            )
            budget = request_budget(connector, per_sync=False)
            refusal = paused_refusal(budget, "tested")
            if refusal:  # a person is waiting: say so now rather than wait out the pause
                return ConnectionResult(
                    False, None, refusal, endpoint, None, tested=False, retry_after=_paused_for(budget)
                )
            with OutboundClient(max_attempts=1, budget=budget) as client:
                response = RequestShape.of(connector).send(
                    auth, client, paginator.request(), base_query_params(connector), paginator
                )
            PageReader(paginator, connector.records_path, error_detection_config(connector)).extract(response)
        except OutboundError as exc:
            return ConnectionResult(
                False,
                _elapsed_ms(started),
                redact(str(exc)),
                endpoint,
                exc.status_code,
                retry_after=_paused_for(budget),
            )
        except (ResponseFormatError, SyncProblem) as exc:
            status_code = response.status_code if response is not None else None
            return ConnectionResult(False, _elapsed_ms(started), redact(str(exc)), endpoint, status_code)
        return ConnectionResult(
            True, round(response.elapsed_ms, 1), "Connection successful", endpoint, response.status_code
        )

    # -- pages ----------------------------------------------------------------------------------

    def pages(self, run: RunContext, resume: dict | None) -> Iterator[Page]:
        connector = self.connector
        endpoint = connector.api_endpoint
        auth = build_request_auth(connector)
        configured = self.pagination
        if resume is not None:
            saved = resume["pagination"]
            paginator = make_paginator(
                saved["config"],
                endpoint,
                saved["state"],
                auth.credential_params,
                path_secrets=auth.path_secrets,
                secret_values=auth.secret_values,
            )
            # A checkpoint written before paginators counted what they saw: the committed records.
            paginator.state.setdefault("seen", run.records_done())
            records_path = resume.get("records_path")
        else:
            paginator = paginator_for(
                configured,
                endpoint,
                None,
                auth.credential_params,
                RequestShape.of(connector).post_body,
                path_secrets=auth.path_secrets,
                secret_values=auth.secret_values,
            )
            records_path = connector.records_path
        base_params = base_query_params(connector)
        shape = configured_shape = RequestShape.of(connector)
        if self.incremental is not None and run.since is not None:
            try:
                start = self.incremental.start(run.since)
            except ValueError as exc:
                raise SyncProblem(str(exc)) from None
            if self.incremental.param:
                base_params[self.incremental.param] = _param_text(start)
            else:  # a search endpoint: the start goes into the POST body
                shape = RequestShape(
                    shape.method, merged(shape.body, with_since(self.incremental.body_filter, start))
                )
        reader = PageReader(paginator, records_path, self.error_detection)
        origin = endpoint_origin(endpoint)
        budget_text = f"this run's time budget ({run.budget_seconds:g} s)"

        # Page, offset and numbered-link pages are requested ahead while the engine works on the
        # current one (see prefetch.py); the pages are still taken, checked and yielded in order.
        def send(request: PageRequest):
            return shape.send(auth, client, request, base_params, paginator)

        budget = request_budget(connector, per_sync=True)
        started = time.monotonic()
        pause_said_until = 0.0  # time.monotonic() end of the last pause the log told of
        pause_counted_until = 0.0  # ... and of the pauses added to the run's rate limit wait

        def say_pause(seconds: float) -> None:
            # Once a pause (several requests wait out the same one): what the run waits for, until when.
            nonlocal pause_said_until, pause_counted_until
            now = time.monotonic()
            ends = now + seconds
            if ends > max(now, pause_counted_until):  # overlapping pauses count once
                run.on_rate_limit_wait(ends - max(now, pause_counted_until))
                pause_counted_until = ends
            if ends > pause_said_until + 1.0:
                pause_said_until = ends
                run.emit(waiting_for_pause(seconds, timezone.now()))

        # Its own pauses (a 429 one of its requests got): asked before every request sent ahead.
        relay = RetryRelay(run.on_retry, paused=budget.paused_here, on_pause=say_pause)
        budget.on_pause = relay.pause_waited
        pages_this_run = 0
        stopped_cleanly = False
        # The first page answered with errors beside its records; kept in the checkpoint, so a
        # resumed run still ends PARTIAL for it.
        partial = resume.get("partial") if resume is not None else None
        first_room = _first_page_room(run, resume, auth)
        # Pages expected by the connector's last run: no request is guessed past them while no end
        # is announced (a list whose end only a "more": false on its last page tells).
        expected_pages = run.pages_last_run if resume is None else None
        echoed = _echoed_credentials()
        rounded = _rounded_numbers()
        last_page: FetchedPage | None = None  # the last page read, for what it said about the next
        with (
            total_deadline(run.budget_seconds, budget_text),
            OutboundClient(on_retry=relay, budget=budget) as client,
        ):
            fetcher = PageFetcher(
                send, request_concurrency(connector), relay, request_limit=budget.max_requests, line=budget
            )
            try:
                while True:
                    request = reader.request()
                    room = run.max_pages - pages_this_run - 1
                    if not pages_this_run and first_room is not None:
                        room = min(room, first_room)
                    blind_room = None
                    if expected_pages is not None and pages_this_run < expected_pages:
                        blind_room = expected_pages - 1 - pages_this_run
                    try:
                        response = fetcher.fetch(request, paginator.current, room, blind_room=blind_room)
                    except OutboundError as exc:
                        if time.monotonic() >= run.ends_at - 0.05:  # the run's budget ended the request
                            raise SyncProblem(
                                over_budget_message(run.budget_seconds, run.pages_done())
                            ) from None
                        if not (pages_this_run > 0 and _past_the_announced_end(exc, paginator)):
                            refused = _next_page_refused(exc, paginator, last_page)
                            if refused:  # the same failure, saying what the last page promised
                                raise UpstreamError(
                                    refused, url=exc.url, status_code=exc.status_code, attempts=exc.attempts
                                ) from None
                            raise
                        run.emit(
                            f"Page {run.pages_done() + 1} answered HTTP {exc.status_code}, past the last "
                            "page the upstream announced; every announced record is stored."
                        )
                        stopped_cleanly = True
                        return
                    read = reader.read(response)
                    last_page = read.page
                    held = scrub_stored_secrets(
                        read.records, response.content, stored_secret_forms(auth.secret_values())
                    )
                    if held:
                        echoed.add(run, held)
                    rounded_count, examples = read.rounded
                    if rounded_count:
                        fields = (field or "the record" for field, _, _ in examples)
                        rounded.add(run, rounded_count, examples, fields)
                    more, loop_error = read.more, read.stop_error
                    current = paginator.current  # None: detection itself failed (read.stop_error)
                    if read.detected and current is not None:
                        because = paginator.detected_because
                        run.emit(
                            f"Detected pagination: {paginator.describe()}"
                            + (f", because {because}." if because else ".")
                        )
                    for note in paginator.take_notes():
                        run.emit(note)
                    paginator.note_announcements(read.page)
                    if read.partial and partial is None:
                        partial = (
                            f"Page {run.pages_done() + 1} was answered with errors beside its records (the "
                            f"upstream says: {read.partial!r}); its records were stored, but some may be "
                            "missing or incomplete. Fix what the error names (a field or permission of the "
                            "query) and sync again."
                        )
                        run.emit(partial)
                    incomplete = None
                    if not more and loop_error is None:
                        incomplete = paginator.shortfall(read.page)
                        if paginator.stopped_because and incomplete is None:
                            run.emit(f"Last page: {paginator.stopped_because}.")
                        incomplete = " ".join(filter(None, (incomplete, partial))) or None
                    if read.backoff is not None and more:  # core.http paused the budget as it arrived
                        said, seconds = read.backoff
                        run.emit(
                            f"Page {run.pages_done() + 1} asks to wait {seconds:g} s before the next request "
                            f"({said}); every request of this connector waits as long."
                        )
                    pages_this_run += 1
                    if more and pages_this_run < run.max_pages:
                        # The answer names the next request (a cursor, a next link): it goes out now,
                        # while the engine stores this page; still one request after the other.
                        fetcher.send_ahead(reader.request())
                    yield Page(
                        records=read.records,
                        position={
                            "origin": origin,
                            "configured_pagination": configured,
                            "pagination": {"config": paginator.config, "state": dict(paginator.state)},
                            "records_path": reader.records_path,
                            "request": configured_shape.fingerprint(),
                            "incremental": incremental_fingerprint(self.connector),
                            "selection": selection_fingerprints(self.connector),
                            "partial": partial,
                        },
                        plain=read.plain,
                        content=response.content,
                        label=safe_url(response.url, auth.credential_params),
                        incomplete=incomplete,
                        more=more,
                        run_fields={
                            "detected_pagination": current.style if current is not None else "",
                            "records_total": current.whole_run_total() if current is not None else None,
                        },
                        error=loop_error,
                        repeat_hint=paginator.repeat_hint,
                        positional=current is not None and current.style in POSITIONAL_STYLES,
                    )
                    del read, response
                    if not more:
                        stopped_cleanly = True
                        return
            except GeneratorExit:  # the engine stopped reading (last page, max_pages, a cancel)
                stopped_cleanly = not run.abandoning
                raise
            finally:
                fetcher.close(wait=not run.abandoning)
                echoed.summarize(run)
                rounded.summarize(run)
                grown = current.grown_total_note() if stopped_cleanly and current is not None else None
                if grown:
                    run.emit(grown, "warning")
                paced = paced_note(budget, time.monotonic() - started)
                if paced:
                    run.emit(paced)
                if stopped_cleanly and fetcher.discarded:
                    run.emit(
                        f"{fetcher.discarded} page request(s) sent ahead were not needed (past the last "
                        "page) and were discarded."
                    )


class _PageFindings:
    """Something found on some pages of a run (records holding an echoed credential, decimals a
    float rounded): a warning with the first page that has it, ``first(count, details)``, and the
    whole run's total at its end when more pages had it, ``total(count, pages, names)`` (``names``:
    every page's, in the order first seen)."""

    def __init__(self, first: Callable[[int, object], str], total: Callable[[int, int, list[str]], str]):
        self.first = first
        self.total = total
        self.count = 0
        self.pages = 0
        self.names: dict[str, None] = {}

    def add(self, run: RunContext, count: int, details: object = None, names: Iterable[str] = ()) -> None:
        if not self.pages:
            run.emit(f"Page {run.pages_done() + 1}: {self.first(count, details)}", "warning")
        self.count += count
        self.pages += 1
        self.names.update(dict.fromkeys(names))

    def summarize(self, run: RunContext) -> None:
        if self.pages > 1:
            run.emit(self.total(self.count, self.pages, list(self.names)), "warning")


def _echoed_credentials() -> _PageFindings:
    """Records that held one of the connector's credentials (an API that echoes the request back:
    an echo, debug or "whoami" endpoint): stored with ``[REDACTED]`` in its place."""
    return _PageFindings(
        lambda count, _: (
            f"{count} record(s) held one of the connector's credentials (the API sent back what it was "
            "sent); each is stored with [REDACTED] in its place."
        ),
        lambda count, pages, _: (
            f"In all, {count} record(s) on {pages} pages held one of the connector's credentials; each "
            "is stored with [REDACTED] in its place."
        ),
    )


def _rounded_numbers() -> _PageFindings:
    """Decimals with more digits than a float holds (see ``extract.PageNumbers``)."""
    return _PageFindings(
        describe_rounded,
        lambda count, pages, fields: (
            f"In all, {count} number(s) on {pages} pages were stored rounded to a 64-bit float (fields: "
            f"{', '.join(fields)})."
        ),
    )


def _first_page_room(run: RunContext, resume: dict | None, auth) -> int | None:
    """How many requests may go out with the first page of a run (None: as many as predicted).

    Page numbers and offsets after the first are known before its answer, so they are sent with it
    (one round trip less). Until that answer announces the totals, a run shorter than the
    concurrency sends requests past its end (discarded); the pages the connector's last run read
    bound that guess (an incremental run of one page sends one request). A resumed run's checkpoint
    holds the totals already; an OAuth2 token is fetched by the first request, alone.
    """
    if auth.token_pending:
        return 0
    if resume is not None or run.pages_last_run is None:
        return None
    return max(run.pages_last_run - 1, 0)


_DECIMAL_INTEGER = re.compile(r"0|-?[1-9][0-9]{0,17}")


@dataclass(frozen=True)
class RequestShape:
    """How a connector's page requests go out: GET with the pagination parameters in the query
    string, or POST (search and query endpoints: Notion's database query, HubSpot's search) with the
    connector's ``request_body`` as JSON and the pagination parameters added to it. The connector's
    ``query_params`` and query-string credentials stay in the query string either way."""

    method: str = "GET"
    body: dict = field(default_factory=dict)

    @classmethod
    def of(cls, connector) -> RequestShape:
        method = (getattr(connector, "request_method", "") or "GET").upper()
        return cls(method, dict(getattr(connector, "request_body", None) or {}))

    @property
    def post_body(self) -> dict | None:
        """The JSON body of a POST connector (None for GET)."""
        return self.body if self.method == "POST" else None

    def fingerprint(self) -> str:
        """What a checkpoint keeps of the request, to refuse resuming it with another query."""
        return _fingerprint({"method": self.method, "body": self.body})

    def send(self, auth, client, request: PageRequest, base_params: dict, paginator=None):
        if self.method != "POST":
            return auth.get(
                client,
                request.url,
                params=request_params(request, base_params, auth),
                headers=request.headers,
            )
        # The query string as a GET's without the pagination parameters, which go into the body (a
        # followed next link carries its own query; the body stays the configured one).
        query = request_params(
            PageRequest(request.url, {}, request.followed or request.continuation), base_params, auth
        )
        if request.followed:
            body = self.body
        else:
            own = {} if request.continuation else self.body  # a continuation's body is its cursor
            body = merged(own, body_params(request.params, paginator))
        return auth.request(client, "POST", request.url, params=query, json=body, headers=request.headers)


def body_params(params: dict, paginator=None) -> dict:
    """The pagination parameters as JSON body values: page numbers, offsets and sizes as numbers
    (``{"page_size": 100}``, as JSON APIs expect), a cursor token as the text or number it was. A dotted name
    is a path into the body: ``pagination.starting_after`` is ``{"pagination": {"starting_after":
    …}}`` (Intercom's search), merged with the request body's own ``pagination`` object."""
    current = getattr(paginator, "current", None)
    config = getattr(current, "config", None) or {}
    cursor_param = config.get("cursor_param") if config.get("type") == "cursor" else None
    # A cursor that was a JSON number goes back as one (CursorPagination records it): Qdrant's point ids.
    cursor_number = bool((getattr(current, "state", None) or {}).get("cursor_number"))
    body: dict = {}
    for name, value in params.items():
        numeric = name != cursor_param or cursor_number
        if numeric and isinstance(value, str) and _DECIMAL_INTEGER.fullmatch(value):
            value = int(value)
        *parents, leaf = name.split(".")
        target = body
        for part in parents:
            if not isinstance(target.get(part), dict):
                target[part] = {}
            target = target[part]
        target[leaf] = value
    return body


def request_params(request: PageRequest, base_params: dict, auth) -> dict:
    """The query parameters of a page request: a followed URL (a next link) carries its own and gets
    only the credentials; otherwise the connector's base parameters, the paginator's, the credentials."""
    if request.followed:
        return {**auth.params}
    if request.continuation:  # the cursor continues the listing its first request asked for
        return {**request.params, **auth.params}
    return {**base_params, **request.params, **auth.params}


def pagination_config(connector) -> dict:
    """The connector's validated pagination, with the request it pages (a ``search_after`` needs a
    sorted POSTed search): refused before any request."""
    try:
        config = validate_pagination_config(connector.pagination)
        shape = RequestShape.of(connector)
        check_search_after_request(config, shape.method, shape.body)
    except ValueError as exc:
        raise SyncProblem(f"Invalid pagination configuration: {exc}") from None
    return config


def error_detection_config(connector) -> dict:
    try:
        return validate_error_detection(connector.error_detection)
    except ValueError as exc:
        raise SyncProblem(f"Invalid error_detection: {exc}") from None


def _fingerprint(value) -> str:
    text = json.dumps(value, sort_keys=True, separators=(",", ":"))
    return hashlib.blake2b(text.encode(), digest_size=12).hexdigest()


def selection_fingerprints(connector) -> dict[str, str]:
    """What a checkpoint keeps of the settings that choose which records a page request answers
    besides the pagination, method, body and incremental filter (kept apart): the endpoint URL (its
    path and query string, not only its origin), the connector's ``query_params`` and its
    ``request_headers`` (an account, region, API version or page size chosen by a header; names
    compared without case, as HTTP does). Credentials are not kept: a new key for the same upstream
    is the usual fix of a failed run, and the run resumes with it."""
    headers = {str(name).lower(): str(value) for name, value in (connector.request_headers or {}).items()}
    return {
        "api_endpoint": _fingerprint(connector.api_endpoint or ""),
        "query_params": _fingerprint(base_query_params(connector)),
        "request_headers": _fingerprint(headers),
    }


def changed_selection(position: dict, connector) -> list[str]:
    """The names of the settings that select a page's records and changed since ``position`` was
    checkpointed (see :func:`selection_fingerprints`; a checkpoint made before they were kept has
    none to compare), and ``records_path`` when one is configured other than the one the run read
    its pages at (a resumed run reads at the checkpoint's, so it would ignore the new one)."""
    saved = position.get("selection") if isinstance(position.get("selection"), dict) else {}
    current = selection_fingerprints(connector)
    changed = [name for name, value in current.items() if name in saved and saved[name] != value]
    saved_path = position.get("records_path")
    if connector.records_path is not None and saved_path is not None and connector.records_path != saved_path:
        changed.append("records_path")
    return changed


def incremental_fingerprint(connector) -> str:
    """What a checkpoint keeps of the connector's incremental setting (what decides the filter its
    pages answer; not ``initial_value``: the run's start is kept with the checkpoint), to refuse
    resuming it under another one. "" when the setting is invalid (the run fails on it anyway)."""
    try:
        config = validate_incremental_config(connector.incremental)
    except ValueError:
        return ""
    config.pop("initial_value", None)
    return _fingerprint(config)


def incremental_config(connector) -> IncrementalConfig | None:
    try:
        return IncrementalConfig.from_connector(connector)
    except ValueError as exc:
        raise SyncProblem(f"Invalid incremental configuration: {exc}") from None


def _past_the_announced_end(exc: OutboundError, paginator) -> bool:
    """A 4xx on a page after every record the upstream announced is stored: the end, not a failure
    (WordPress answers 400 for a page past ``X-WP-TotalPages``)."""
    return (
        exc.status_code is not None
        and 400 <= exc.status_code < 500
        and exc.status_code not in (401, 403, 407, 429)
        and paginator.announced_end_reached()
    )


def _next_page_refused(exc: OutboundError, paginator, page: FetchedPage | None) -> str:
    """The message of a 4xx that answered the request for the next page after a page that said more
    records exist (``has_more: true``, or a total beyond the records received, or a lower-bound total),
    or "" for any other failure. The records are not all stored, and the request MigrateIQ made for them
    is what the upstream refused: the message says so, with the pagination it sent, rather than the 4xx
    alone (an API that continues a listing at another endpoint, as Dropbox's ``list_folder/continue``,
    refuses the cursor sent back to the first one; an API that caps how deep a list pages refuses the
    page past its cap)."""
    status = exc.status_code
    current = getattr(paginator, "current", None)
    if page is None or current is None or status is None or not 400 <= status < 500:
        return ""
    if status in (401, 403, 407, 429):
        return ""
    path, more = find_more_flag(page.body, current.config.get("has_more_path"), page.headers)
    said = f"says more records exist ({path}: true)"
    if more is not True and current.style == "cursor" and current.config.get("cursor_from", "body") == "body":
        # A next cursor the page named is a "more" too (Recharge's next_cursor: the request that sent it
        # back with the connector's filters beside it was refused, 422 "only limit may go with cursor").
        path, token = find_cursor(page.body, current.config.get("cursor_path"))
        if token not in (None, ""):
            more, said = True, f"names a next cursor ({path})"
    if more is True:
        hint = ""
        if current.style == "cursor" and "cursor_url" not in current.config:
            hint = (
                " If the API takes the cursor alone, without the connector's other query parameters "
                "(Recharge: only limit may go with cursor), or continues a listing at another endpoint with "
                'it (Dropbox\'s /2/files/list_folder/continue), set {"type": "cursor", "cursor_path": ..., '
                '"cursor_param": ..., "cursor_url": "<that path, or the endpoint\'s own>"}.'
            )
        return (
            f"{exc}. The previous page {said}, but the upstream refused the request for the next one "
            f"(pagination {current.describe()}), so the sync is not complete.{hint}"
        )
    state = current.state
    seen, total, at_least = (
        state.get("seen", 0),
        state.get("announced_total"),
        state.get("announced_at_least"),
    )
    if isinstance(total, int) and total > seen:
        announced = f"{total} records"
    elif isinstance(at_least, int):
        announced = f"at least {at_least} records (a lower bound)"
    else:
        return ""
    return (
        f"{exc}. The upstream announced {announced} and the sync received {seen}, but it refused the "
        f"request for the next page (pagination {current.describe()}), so the sync is not complete. APIs "
        "cap how deep a list pages (Elasticsearch's index.max_result_window: from + size up to 10,000; "
        "Ticketmaster's size * page below 1,000; Box's offset up to 9,999): narrow the query (one connector "
        "per filter or date range), or page the way the API offers for long lists (Box's usemarker=true; "
        'Elasticsearch / OpenSearch: {"type": "cursor", "cursor_from": "search_after", "page_size": ...} '
        'on a POSTed search with a "sort").'
    )


def _param_text(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _paused_for(budget) -> float | None:
    """Seconds the connector's requests stay paused by the API's rate limit (None: not paused, or
    the test failed before it had a budget)."""
    seconds = budget.paused_for() if budget is not None else 0.0
    return round(seconds, 1) if seconds > 0 else None


def _elapsed_ms(started: float) -> float:
    return round((time.perf_counter() - started) * 1000, 1)
