"""Overlapping page fetches (``services/prefetch.py``): same data as one request at a time, pages
committed in order, faults and stop rules unchanged, cancellation with requests in flight, and
the styles whose next request needs the previous answer kept sequential."""

import json
import random
import threading
import time

import pytest
from werkzeug import Response

from core.http import OutboundClient
from demo_extension.models import SyncedRecord, SyncLog, SyncStatus
from demo_extension.sample_upstream import SampleUpstream
from demo_extension.services.pagination import make_paginator
from demo_extension.services.prefetch import DEFAULT_CONCURRENCY, PageFetcher, RetryRelay, request_concurrency
from demo_extension.tests import sync_support
from demo_extension.tests.conftest import allow_egress_to
from demo_extension.tests.sync_support import (
    fault_url,
    json_body,
    queried,
    run_sync,
    set_request_concurrency,
    stored_ids,
    stored_records,
)

fault_server = sync_support.fault_server
fault_server_process = sync_support.fault_server_process
fast_retries = sync_support.fast_retries

PAGINATION = {
    "page": {"type": "page"},
    "offset": {"type": "offset", "limit": 20},
    "link_header": {"type": "link_header", "size_param": "per_page", "page_size": 20},
}


class ObservedUpstream(SampleUpstream):
    """The sample upstream, counting the requests it serves at once and the order it answers
    them; ``delay`` seconds before each answer, ``delays`` by page number, ``fail_once`` page
    numbers answer 500 the first time, ``empty_after`` serves empty pages past that page (while
    still announcing every record)."""

    def __init__(self, *args, delay=0.0, delays=None, fail_once=(), fail_always=(), empty_after=None, **kw):
        super().__init__(*args, **kw)
        self.delay = delay
        self.delays = dict(delays or {})
        self.fail_once = set(fail_once)
        self.fail_always = set(fail_always)
        self.empty_after = empty_after
        self.gate = threading.Lock()
        self.in_flight = 0
        self.max_in_flight = 0
        self.answered: list[int] = []

    def page_of(self, query) -> int:
        size = int(query.get("per_page") or query.get("limit") or self.page_size)
        if "offset" in query:
            return int(query["offset"]) // size + 1
        return int(query.get("page", 1))

    def respond_collection(self, query):
        page = self.page_of(query) if "cursor" not in query else 0
        with self.gate:
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            time.sleep(self.delays.get(page, self.delay))
            with self.gate:
                failing = page in self.fail_always or page in self.fail_once
                self.fail_once.discard(page)
            if failing:
                return 500, {}, b'{"error": "page fault"}'
            status, headers, body = super().respond_collection(query)
            if self.empty_after is not None and page > self.empty_after:
                document = json.loads(body)
                document[self.records_key] = []
                body = json.dumps(document).encode()
            return status, headers, body
        finally:
            with self.gate:
                self.in_flight -= 1
                self.answered.append(page)


@pytest.fixture
def observed_upstream(settings):
    started = []

    def start(**options):
        server = ObservedUpstream(**options).start()
        started.append(server)
        allow_egress_to(settings, server.netloc)
        return server

    yield start
    for server in started:
        server.stop()


def sync_with(connector, requests: int, **options) -> SyncLog:
    set_request_concurrency(connector, requests)
    return run_sync(connector, **options)


def counters(log) -> tuple:
    return (
        log.status,
        log.records_processed,
        log.records_created,
        log.records_updated,
        log.records_unchanged,
        log.records_failed,
        log.pages_fetched,
    )


def test_the_default_concurrency_is_four_and_the_connector_budget_is_read_when_it_has_one(make_connector):
    connector = make_connector()
    assert request_concurrency(connector) == DEFAULT_CONCURRENCY == 4
    connector.max_concurrent_requests = 9
    assert request_concurrency(connector) == 9
    connector.max_concurrent_requests = 100
    assert request_concurrency(connector) == 16


@pytest.mark.parametrize("style", sorted(PAGINATION))
def test_an_overlapped_sync_stores_the_same_records_and_counts_as_a_sequential_one(
    style, observed_upstream, make_connector
):
    upstream = observed_upstream(records=230, page_size=20, style=style, delay=0.03)
    sequential = make_connector(upstream=upstream, pagination=PAGINATION[style])
    overlapped = make_connector(upstream=upstream, pagination=PAGINATION[style])

    first = sync_with(sequential, 1)
    assert upstream.max_in_flight == 1
    upstream.clear_requests()
    upstream.max_in_flight = 0
    second = sync_with(overlapped, 4)

    assert first.status == SyncStatus.SUCCESS, first.error_message
    assert counters(second) == counters(first)
    assert stored_records(overlapped) == stored_records(sequential)
    assert len(stored_records(overlapped)) == 230
    assert 1 < upstream.max_in_flight <= 4
    # The totals are announced (total_pages, a count, rel="last"): no request past the last page.
    assert len(upstream.requests) == 12


def test_with_faults_on_random_pages_an_overlapped_sync_ends_like_a_sequential_one(
    observed_upstream, make_connector, fast_retries
):
    failing = set(random.Random(16).sample(range(2, 26), 6))
    results = []
    for requests in (1, 4):
        # 10 ms a request, as a network takes: without it a loaded machine could answer each request
        # before the next was sent, and the overlapped run would not overlap (max_in_flight 1).
        upstream = observed_upstream(records=500, page_size=20, style="page", fail_once=failing, delay=0.01)
        connector = make_connector(upstream=upstream, pagination={"type": "page"})
        results.append((sync_with(connector, requests), connector, upstream))

    (first, sequential, _), (second, overlapped, upstream) = results
    assert first.status == SyncStatus.SUCCESS, first.error_message
    assert counters(second) == counters(first)
    assert stored_records(overlapped) == stored_records(sequential)
    assert len(stored_records(overlapped)) == 500
    assert upstream.max_in_flight > 1
    assert upstream.fail_once == set()  # every faulty page failed once and was retried


def test_a_page_that_keeps_failing_fails_an_overlapped_sync_as_it_fails_a_sequential_one(
    observed_upstream, make_connector, fast_retries
):
    upstream = observed_upstream(records=400, page_size=20, style="page", fail_always={7})
    sequential = make_connector(upstream=upstream, pagination={"type": "page"})
    overlapped = make_connector(upstream=upstream, pagination={"type": "page"})

    first = sync_with(sequential, 1)
    second = sync_with(overlapped, 4)

    assert first.status == SyncStatus.FAILED
    assert first.error_message.startswith("Fetching page 7 failed: HTTP 500")
    assert first.error_message.endswith("after 3 attempts")
    assert second.error_message == first.error_message
    assert counters(second) == counters(first)
    assert stored_ids(overlapped) == stored_ids(sequential) == list(range(1, 121))
    assert second.checkpoint["pagination"]["state"]["page"] == 7  # resumes at the failed page


def test_pages_arriving_out_of_order_are_committed_in_page_order(observed_upstream, make_connector):
    upstream = observed_upstream(records=200, page_size=20, style="page", delay=0.01, delays={2: 0.5, 3: 0.2})
    connector = make_connector(upstream=upstream, pagination={"type": "page"})
    commits = []

    def progress(log):
        commits.append(
            (log.pages_fetched, log.checkpoint["pagination"]["state"]["page"], log.records_processed)
        )

    log = sync_with(connector, 4, progress=progress)

    assert log.status == SyncStatus.SUCCESS, log.error_message
    # The upstream answered later pages before page 2 ...
    assert upstream.answered.index(4) < upstream.answered.index(3) < upstream.answered.index(2)
    # ... and every commit still holds a contiguous prefix of pages, checkpointed at the next one.
    assert commits == [(n, n + 1, 20 * n) for n in range(1, 11)]
    by_commit = list(
        SyncedRecord.objects.filter(connector=connector).order_by("pk").values_list("external_id", flat=True)
    )
    assert [int(external_id) for external_id in by_commit] == list(range(1, 201))


def test_cancelling_an_overlapped_sync_stops_at_once_with_requests_in_flight(
    observed_upstream, make_connector
):
    # Pages after the second take 3 s: still on their way when the cancelled sync returns, however
    # loaded the machine (with 1 s, a busy test run once saw them all answered by then).
    upstream = observed_upstream(records=400, page_size=20, style="page", delay=3.0, delays={1: 0, 2: 0})
    connector = make_connector(upstream=upstream, pagination={"type": "page"})
    seen = {}

    def cancel_after_second_page(sync_log):
        if sync_log.pages_fetched == 2:
            SyncLog.objects.filter(pk=sync_log.pk).update(cancel_requested=True)
            seen["cancelled_at"] = time.monotonic()

    log = sync_with(connector, 4, progress=cancel_after_second_page)
    returned = time.monotonic()
    in_flight_at_return = upstream.in_flight

    assert log.status == SyncStatus.CANCELLED
    assert log.pages_fetched == 2
    assert len(stored_records(connector)) == 40
    assert in_flight_at_return > 0  # pages requested ahead were still on their way ...
    assert returned - seen["cancelled_at"] < 0.6  # ... and the sync did not wait for them (3 s)
    # Requests a fetching thread had taken end on their own; the queued ones are never sent.
    time.sleep(1.2)
    sent = len(upstream.requests)
    assert sent <= 2 + 4
    time.sleep(0.7)
    assert len(upstream.requests) == sent


def test_a_run_stopped_by_an_empty_page_while_more_records_are_announced_ends_partial_as_before(
    observed_upstream, make_connector
):
    results = []
    for requests in (1, 4):
        upstream = observed_upstream(records=300, page_size=20, style="page", empty_after=6)
        connector = make_connector(upstream=upstream, pagination={"type": "page"})
        results.append((sync_with(connector, requests), connector))

    (first, sequential), (second, overlapped) = results
    assert first.status == SyncStatus.PARTIAL
    assert "announces 300 records but the sync received 120" in first.error_message
    assert counters(second) == counters(first)
    assert second.error_message == first.error_message
    assert stored_ids(overlapped) == stored_ids(sequential) == list(range(1, 121))


def test_without_a_total_at_most_concurrency_minus_one_requests_go_past_the_last_page(
    fault_server, make_connector
):
    records = [{"id": i} for i in range(1, 96)]

    def handler(request):
        page = int(request.args.get("page", 1))
        if page > 10:
            return Response(json_body({"error": "no such page"}), status=404, content_type="application/json")
        if page == 10:
            time.sleep(0.3)  # the requests sent ahead of the last page leave before it is answered
        return Response(json_body(records[(page - 1) * 10 : page * 10]), content_type="application/json")

    fault_server.expect_request("/items").respond_with_handler(handler)
    connector = make_connector(
        api_endpoint=fault_url(fault_server), auth_type="none", pagination={"type": "page"}
    )

    log = sync_with(connector, 4)

    assert log.status == SyncStatus.SUCCESS, log.error_message
    assert stored_ids(connector) == list(range(1, 96))
    pages = sorted(int(request.args.get("page", 1)) for request, _ in fault_server.log)
    assert pages[:10] == list(range(1, 11))
    # Pages past the end were requested (no total says where it is), answered 404 and discarded.
    assert 10 < len(pages) <= 10 + 3
    assert log.events.filter(message__contains="sent ahead were not needed").exists()


@pytest.mark.parametrize("style", ["cursor", "next_url"])
def test_cursor_and_next_url_pagination_stay_one_request_at_a_time(style, observed_upstream, make_connector):
    upstream = observed_upstream(records=200, page_size=20, style=style, delay=0.03)
    connector = make_connector(upstream=upstream, pagination={"type": style})

    log = sync_with(connector, 8)

    assert log.status == SyncStatus.SUCCESS, log.error_message
    assert len(stored_records(connector)) == 200
    assert upstream.max_in_flight == 1
    assert len(upstream.requests) == 10


def test_offsets_are_predicted_by_the_page_size_the_upstream_really_serves(observed_upstream, make_connector):
    # Asked for 25, the upstream caps pages at 10: the offsets sent ahead step by 10, not 25.
    upstream = observed_upstream(records=200, page_size=10, max_page_size=10, style="offset", delay=0.02)
    connector = make_connector(upstream=upstream, pagination={"type": "offset", "limit": 25})

    log = sync_with(connector, 4)

    assert log.status == SyncStatus.SUCCESS, log.error_message
    assert len(stored_records(connector)) == 200
    offsets = sorted(int(request["query"]["offset"]) for request in upstream.requests)
    assert offsets == list(range(0, 200, 10))  # every page once, none mispredicted
    assert upstream.max_in_flight > 1


def test_the_first_page_numbers_of_a_run_go_out_together(observed_upstream, make_connector):
    # Pages 1 to 3 answer in 0.3 s: page 4, asked within 0.2 s of page 1, finds them all in flight even
    # where a busy host is slow to start its requests.
    slow = {1: 0.3, 2: 0.3, 3: 0.3}
    upstream = observed_upstream(records=400, page_size=20, style="page", delay=0.01, delays=slow)
    connector = make_connector(upstream=upstream, pagination={"type": "page"})

    log = sync_with(connector, 4)

    assert log.status == SyncStatus.SUCCESS, log.error_message
    assert len(stored_records(connector)) == 400
    arrived = {int(request["query"]["page"]): request["at"] for request in upstream.requests}
    # Pages 2 to 4 did not wait for page 1's answer (0.3 s): one round trip less per run ...
    assert max(arrived[2], arrived[3], arrived[4]) - arrived[1] < 0.2
    assert upstream.max_in_flight == 4  # ... and never more requests at once than the budget's 4
    # Page 1 announced 20 pages: every request after it was needed.
    assert sorted(arrived) == list(range(1, 21))
    assert len(upstream.requests) == 20


def test_a_run_sends_its_first_requests_ahead_only_as_far_as_the_last_run_went(
    observed_upstream, make_connector
):
    upstream = observed_upstream(records=15, page_size=20, style="page", delay=0.05)
    connector = make_connector(upstream=upstream, pagination={"type": "page"})

    first = sync_with(connector, 4)
    sent_by_first = sorted(queried(upstream, "page"))
    upstream.clear_requests()
    second = sync_with(connector, 4)

    assert first.status == second.status == SyncStatus.SUCCESS
    assert stored_ids(connector) == list(range(1, 16))
    # The first run could not know the upstream has one page: pages 2 to 4 (concurrency - 1) went
    # out with page 1, were not needed, and the run says so.
    assert sent_by_first == ["1", "2", "3", "4"]
    assert first.events.filter(message__startswith="3 page request(s) sent ahead were not needed").exists()
    # The next run sends as many at first as the last one needed: one.
    assert queried(upstream, "page") == ["1"]
    assert not second.events.filter(message__contains="sent ahead were not needed").exists()


def test_no_request_is_sent_ahead_past_the_fetchers_request_limit(observed_upstream):
    upstream = observed_upstream(records=400, page_size=20, style="page", delay=0.05)
    paginator = make_paginator({"type": "page"}, upstream.url)

    with OutboundClient() as client:

        def send(request):
            return client.get(request.url, params=request.params)

        with PageFetcher(send, 8, RetryRelay(lambda message, at=None: None), request_limit=3) as fetcher:
            response = fetcher.fetch(paginator.request(), paginator, room=100)

    assert response.status_code == 200
    # Without the limit, pages 2 to 8 would have gone out with page 1 (max_requests_per_sync 3
    # would then have stopped whichever of them asked last, not necessarily the last pages).
    assert sorted(queried(upstream, "page")) == ["1", "2", "3"]
    assert fetcher.requested == 3


def test_with_oauth2_the_first_request_of_a_run_fetches_the_token_alone(fault_server, make_connector):
    tokens = []

    def token(request):
        time.sleep(0.05)  # requests sent meanwhile would each find no token and fetch their own
        tokens.append(f"tok-{len(tokens) + 1}")
        body = {"access_token": tokens[-1], "token_type": "Bearer", "expires_in": 3600}
        return Response(json_body(body), content_type="application/json")

    def items(request):
        if request.headers.get("Authorization", "").removeprefix("Bearer ") not in tokens:
            return Response(json_body({"error": "bad token"}), status=401, content_type="application/json")
        page = int(request.args.get("page", 1))
        records = [{"id": i} for i in range((page - 1) * 10 + 1, min(page * 10, 50) + 1)]
        return Response(json_body({"data": records, "total_pages": 5}), content_type="application/json")

    fault_server.expect_request("/oauth/token", method="POST").respond_with_handler(token)
    fault_server.expect_request("/items").respond_with_handler(items)
    connector = make_connector(
        api_endpoint=fault_url(fault_server),
        auth_type="oauth2",
        oauth_token_url=fault_url(fault_server, "/oauth/token"),
        oauth_client_id="client-0001",
        oauth_client_secret="secret-0001",
        pagination={"type": "page"},
    )

    log = sync_with(connector, 4)

    assert log.status == SyncStatus.SUCCESS, log.error_message
    assert stored_ids(connector) == list(range(1, 51))
    assert tokens == ["tok-1"]


@pytest.mark.parametrize(("style", "requests"), [("page", 1), ("cursor", 4), ("next_url", 4)])
def test_one_request_at_a_time_the_next_one_travels_while_the_sync_stores_the_last_page(
    style, requests, observed_upstream, make_connector
):
    upstream = observed_upstream(records=200, page_size=20, style=style, delay=0.02)
    connector = make_connector(upstream=upstream, pagination={"type": style})
    next_requested = []

    def progress(log):
        # Page n is committed: is request n + 1 on its way already? (Waits for it 0.5 s at most.)
        if log.pages_fetched == 10:
            return
        deadline = time.monotonic() + 0.5
        while len(upstream.requests) <= log.pages_fetched and time.monotonic() < deadline:
            time.sleep(0.005)
        next_requested.append(len(upstream.requests) > log.pages_fetched)

    log = sync_with(connector, requests, progress=progress)

    assert log.status == SyncStatus.SUCCESS, log.error_message
    assert len(stored_records(connector)) == 200
    # One request in flight at a time (the budget's 1, or a cursor's answer names the next) ...
    assert upstream.max_in_flight == 1
    assert len(upstream.requests) == 10
    # ... but each goes out as soon as the answer before it is read, not after the page is stored.
    assert next_requested == [True] * 9


def test_a_run_ends_after_the_answers_to_the_requests_it_sent_past_the_last_page(
    fault_server, make_connector
):
    records = [{"id": i} for i in range(1, 96)]
    answering = []

    def handler(request):
        page = int(request.args.get("page", 1))
        answering.append(page)
        try:
            if page > 10:
                time.sleep(0.4)  # slow answers to the requests sent ahead past the last page
                return Response(
                    json_body({"error": "no such page"}), status=404, content_type="application/json"
                )
            # Every page answers slower than the sync stores one, so the fetcher's window stays at its
            # four requests and the ones past page 10 go out before its answer. (Answered at once, pages
            # outran a sync slowed by a loaded machine: the window narrowed to one request ahead, none
            # was sent past page 10, and the test had nothing left to prove.)
            time.sleep(0.15)
            return Response(json_body(records[(page - 1) * 10 : page * 10]), content_type="application/json")
        finally:
            answering.remove(page)

    fault_server.expect_request("/items").respond_with_handler(handler)
    connector = make_connector(
        api_endpoint=fault_url(fault_server), auth_type="none", pagination={"type": "page"}
    )

    log = sync_with(connector, 4)

    assert log.status == SyncStatus.SUCCESS, log.error_message
    assert stored_ids(connector) == list(range(1, 96))
    assert max(int(request.args.get("page", 1)) for request, _ in fault_server.log) > 10
    assert answering == []  # nothing the run sent is still being answered when it returns


def test_a_fast_upstream_gets_one_request_ahead_of_a_slower_sync(observed_upstream, make_connector):
    upstream = observed_upstream(records=600, page_size=20, style="page")
    connector = make_connector(upstream=upstream, pagination={"type": "page"})
    ahead = []

    def progress(log):
        time.sleep(0.01)  # the sync is slower than the upstream (a loopback API, a heavy transformation)
        if log.pages_fetched >= 10:
            ahead.append(len(upstream.answered) - log.pages_fetched)

    log = sync_with(connector, 4, progress=progress)

    assert log.status == SyncStatus.SUCCESS, log.error_message
    assert stored_ids(connector) == list(range(1, 601))
    # The first pages went out together (the window starts full on a first run); once the sync
    # found answers waiting for it, the window narrowed: at most two answered pages wait in memory
    # (the full window would keep 2 x 4 pages answered ahead of the sync).
    assert ahead and max(ahead[5:]) <= 2
    assert len(upstream.requests) == 30


def test_a_slow_upstream_widens_the_window_to_the_budget(observed_upstream, make_connector):
    small = observed_upstream(records=15, page_size=20, style="page")
    connector = make_connector(upstream=small, pagination={"type": "page"})
    assert sync_with(connector, 4).status == SyncStatus.SUCCESS
    # 200 ms a page: slower than the sync on a loaded machine too, so that it keeps waiting for answers
    large = observed_upstream(records=400, page_size=20, style="page", delay=0.2)
    connector.__class__.objects.filter(pk=connector.pk).update(api_endpoint=large.url)

    log = sync_with(connector, 4)

    assert log.status == SyncStatus.SUCCESS, log.error_message
    assert stored_ids(connector) == list(range(1, 401))
    # The last run had one page, so page 1 went alone (window 1); waiting for answers widened the
    # window until the budget's 4 requests were in flight at once.
    assert queried(large, "page")[:1] == ["1"]
    assert large.max_in_flight == 4
    assert len(large.requests) == 20


class _FlakyPage(ObservedUpstream):
    """Page 3 answers ``status`` (with ``headers``) to its first ``times`` requests."""

    def __init__(self, *args, status=503, headers=None, times=2, **kw):
        super().__init__(*args, **kw)
        self.fault = (status, dict(headers or {}))
        self.left = times
        self.page_arrivals: dict[int, list[float]] = {}

    def respond_collection(self, query):
        page = self.page_of(query)
        with self.gate:
            self.page_arrivals.setdefault(page, []).append(time.monotonic())
            failing = page == 3 and self.left > 0
            self.left -= failing
        if failing:
            status, headers = self.fault
            return status, headers, b'{"error": "slow down"}'
        return super().respond_collection(query)


def _sync_four_in_flight(settings, make_connector, upstream):
    """``(connector, log)`` of a sync of ``upstream`` (started and stopped here) with 4 requests in
    flight: page 3 goes out with page 1, in a fetching thread."""
    upstream.start()
    allow_egress_to(settings, upstream.netloc)
    try:
        connector = make_connector(upstream=upstream, pagination={"type": "page"})
        return connector, sync_with(connector, 4)
    finally:
        upstream.stop()


def test_retries_of_a_page_fetched_ahead_are_logged_at_the_time_they_happened(
    settings, monkeypatch, make_connector
):
    settings.MIGRATEIQ_HTTP_BACKOFF_BASE = 1.0
    monkeypatch.setattr("core.http.random.uniform", lambda low, high: high)  # the full backoff: 1 s
    upstream = _FlakyPage(records=200, page_size=20, style="page", delays={1: 0.3}, times=1)
    _, log = _sync_four_in_flight(settings, make_connector, upstream)

    assert log.status == SyncStatus.SUCCESS, log.error_message
    (retry,) = log.events.filter(message__startswith="Page 3: HTTP 503")
    assert "attempt 1 of" in retry.message
    first, second = upstream.page_arrivals[3]
    # Logged when the upstream answered the first request, not when the sync took page 3 (after the
    # retry's 1 s wait).
    started = log.started_at.timestamp()
    assert abs((retry.at.timestamp() - started) - (first - upstream.page_arrivals[1][0])) < 0.5
    assert second - first >= 0.9


def test_a_429_to_a_page_fetched_ahead_is_retried_only_when_the_sync_needs_that_page(
    settings, make_connector
):
    upstream = _FlakyPage(
        records=200, page_size=20, style="page", status=429, headers={"Retry-After": "1"}, times=1
    )
    connector, log = _sync_four_in_flight(settings, make_connector, upstream)

    assert log.status == SyncStatus.SUCCESS, log.error_message
    assert stored_ids(connector) == list(range(1, 201))
    (rate_limited,) = upstream.page_arrivals[3][:1]
    # Nothing went out during the pause (but what was on its way with the 429), and page 3 was asked
    # for twice: its 429, then once more.
    arrivals = [at - rate_limited for times in upstream.page_arrivals.values() for at in times]
    assert not [at for at in arrivals if 0.1 < at < 0.9], sorted(arrivals)
    assert len(upstream.page_arrivals[3]) == 2
    (line,) = log.events.filter(message__startswith="Page 3: HTTP 429").values_list("message", flat=True)
    assert "this run now sends at most 2 requests at once (max_concurrent_requests: 4)" in line


def test_a_persistent_429_costs_the_attempts_of_one_page_not_of_every_request_in_flight(
    settings, make_connector
):
    settings.MIGRATEIQ_HTTP_RETRY_AFTER_CAP = 0.2
    settings.MIGRATEIQ_HTTP_MAX_ATTEMPTS = 3
    upstream = _FlakyPage(
        records=200, page_size=20, style="page", status=429, headers={"Retry-After": "0.2"}, times=10**6
    )
    upstream.page_arrivals = {}
    upstream.respond_collection = _every_page_rate_limited(upstream)
    upstream.start()
    allow_egress_to(settings, upstream.netloc)
    try:
        connector = make_connector(upstream=upstream, pagination={"type": "page"})
        log = sync_with(connector, 4)
        sent_by_the_sync = sum(len(arrivals) for arrivals in upstream.page_arrivals.values())
        time.sleep(0.5)  # nothing more arrives after the run
        sent = sum(len(arrivals) for arrivals in upstream.page_arrivals.values())
    finally:
        upstream.stop()

    assert log.status == SyncStatus.FAILED
    assert log.error_message.startswith("Fetching page 1 failed: HTTP 429")
    assert "after 3 attempts" in log.error_message
    # Page 1's 3 attempts, and the first attempt of the 3 pages sent with it (none retried).
    assert len(upstream.page_arrivals[1]) == 3
    assert sent == sent_by_the_sync <= 3 + 3, upstream.page_arrivals


def _every_page_rate_limited(upstream):
    def respond(query):
        with upstream.gate:
            upstream.page_arrivals.setdefault(upstream.page_of(query), []).append(time.monotonic())
        return 429, {"Retry-After": "0.2"}, b'{"error": "slow down"}'  # within the cap: retried

    return respond
