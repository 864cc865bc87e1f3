"""A cancel stops a run within about a second, even while a request hangs, waits to be retried or
several requests are in flight: no further attempt is sent, the run ends CANCELLED, and its
committed pages are kept and resumable."""

import threading
import time

import pytest
from werkzeug import Response

from demo_extension.models import SyncedRecord, SyncLog, SyncStatus
from demo_extension.tests import sync_support
from demo_extension.tests.sync_support import json_body, paged_connector, run_sync, set_request_concurrency
from sync_engine import queue as runs

pytestmark = pytest.mark.django_db(transaction=True)


threaded_fault_server = sync_support.threaded_fault_server
threaded_fault_server_process = sync_support.threaded_fault_server_process

RECORDS = [{"id": i, "name": f"user {i}"} for i in range(1, 61)]


class StuckUpstream:
    """Pages of 20 records by ``?page=``; ``stuck`` pages answer after ``hang`` seconds (longer than
    the client's timeout), or at once with ``status`` and ``headers`` when one is given. Counts the
    requests of each page and tells when a stuck page was first asked for."""

    def __init__(self, stuck, *, hang=6.0, status=None, headers=None):
        self.stuck = set(stuck)
        self.hang = hang
        self.status = status
        self.headers = headers or {}
        self.asked: dict[int, int] = {}
        self.lock = threading.Lock()
        self.stuck_asked = threading.Event()

    def __call__(self, request):
        page = int(request.args.get("page", 1))
        with self.lock:
            self.asked[page] = self.asked.get(page, 0) + 1
        if page in self.stuck:
            self.stuck_asked.set()
            if self.status is not None:
                return Response(json_body({"error": "busy"}), status=self.status, headers=self.headers)
            time.sleep(self.hang)
        body = {"data": RECORDS[(page - 1) * 20 : page * 20], "total_pages": 3}
        return Response(json_body(body), content_type="application/json")


def cancel_when_asked(upstream: StuckUpstream, connector, after: float = 0.3) -> dict:
    """Cancel the connector's running sync ``after`` seconds once a stuck page was asked for, from
    another thread (as the API would); returns when it did, in ``time.monotonic()``."""
    done: dict = {}

    def cancel():
        assert upstream.stuck_asked.wait(30)
        time.sleep(after)
        running = SyncLog.objects.get(connector=connector, status=SyncStatus.RUNNING)
        runs.cancel_sync(running)
        done["at"] = time.monotonic()

    thread = threading.Thread(target=cancel)
    thread.start()
    done["thread"] = thread
    return done


@pytest.fixture
def slow_client(settings):
    # The user's case scaled down: an upstream slower than the timeout, retried five times.
    settings.MIGRATEIQ_HTTP_TIMEOUT = 3
    settings.MIGRATEIQ_HTTP_MAX_ATTEMPTS = 5
    settings.MIGRATEIQ_HTTP_BACKOFF_BASE = 0.001


def sync_until_cancelled(fault_server, make_connector, upstream, concurrency):
    fault_server.expect_request("/items").respond_with_handler(upstream)
    connector = paged_connector(make_connector, fault_server)
    set_request_concurrency(connector, concurrency)
    cancelled = cancel_when_asked(upstream, connector)
    log = run_sync(connector)
    ended = time.monotonic()
    cancelled["thread"].join()
    return connector, log, ended - cancelled["at"]


@pytest.mark.parametrize("concurrency", [1, 4], ids=["one-at-a-time", "requests-in-flight"])
def test_a_cancel_abandons_the_request_in_flight_and_sends_no_further_attempt(
    slow_client, threaded_fault_server, make_connector, concurrency
):
    upstream = StuckUpstream(stuck={2})

    connector, log, took = sync_until_cancelled(threaded_fault_server, make_connector, upstream, concurrency)

    assert log.status == SyncStatus.CANCELLED, log.error_message
    assert took < 2.0, f"the run ended {took:.1f} s after the cancel"
    assert upstream.asked[2] == 1  # never retried
    assert log.pages_fetched == 1
    assert SyncedRecord.objects.filter(connector=connector).count() == 20
    assert runs.cannot_resume_reason(log) == ""


def test_a_cancel_ends_a_wait_before_a_retry_at_once(
    settings, slow_client, threaded_fault_server, make_connector
):
    settings.MIGRATEIQ_HTTP_RETRY_AFTER_CAP = 60
    upstream = StuckUpstream(stuck={2}, status=503, headers={"Retry-After": "30"})

    connector, log, took = sync_until_cancelled(threaded_fault_server, make_connector, upstream, 1)

    assert log.status == SyncStatus.CANCELLED, log.error_message
    assert took < 2.0, f"the run ended {took:.1f} s after the cancel"
    assert upstream.asked[2] == 1
    assert log.pages_fetched == 1


def test_a_run_cancelled_with_a_request_in_flight_resumes_from_its_committed_pages(
    settings, slow_client, threaded_fault_server, make_connector
):
    settings.MIGRATEIQ_SYNC_RUNNER = "inline"
    upstream = StuckUpstream(stuck={2})
    connector, log, _ = sync_until_cancelled(threaded_fault_server, make_connector, upstream, 1)
    upstream.stuck.clear()

    log = runs.resume_sync(log)
    log = runs.wait_for(log, 30)

    assert log.status == SyncStatus.SUCCESS, log.error_message
    assert upstream.asked[1] == 1  # the committed page is not fetched again
    assert log.pages_fetched == 3 and log.records_processed == 60
    assert SyncedRecord.objects.filter(connector=connector).count() == 60
    # The cancel is in its history (an info line now), not a warning about the data it holds.
    assert log.warnings == []
    lines = list(log.events.values_list("level", "message"))
    assert ("info", "Cancelled; committed pages are kept.") in lines
