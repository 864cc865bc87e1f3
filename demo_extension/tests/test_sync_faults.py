"""Upstream faults end a sync FAILED with a message that says what happened, or are retried away."""

import time

import pytest

from demo_extension.models import SyncLogEvent, SyncStatus
from demo_extension.services.sync import DataSyncService
from demo_extension.tests import sync_support
from demo_extension.tests.sync_support import events, fault_url, run_sync, stored_ids
from sync_engine import queue as runs

fault_server = sync_support.fault_server
fault_server_process = sync_support.fault_server_process
fast_retries = sync_support.fast_retries


def test_server_errors_followed_by_success_are_retried_and_logged(
    fast_retries, sample_upstream, make_connector
):
    # Four pages: the requests sent together at the start are all needed, so both failures are
    # retried for pages the sync uses (a request past the end would be discarded, unlogged).
    upstream = sample_upstream(records=40, page_size=10, style="page", fail_first=2, fail_status=503)
    connector = make_connector(upstream=upstream, pagination={"type": "page"})

    log = run_sync(connector)

    assert log.status == SyncStatus.SUCCESS, log.error_message
    assert stored_ids(connector) == list(range(1, 41))
    retries = log.events.filter(level=SyncLogEvent.Level.WARNING).values_list("message", flat=True)
    assert len(retries) == 2
    assert all("503" in message and "retrying" in message for message in retries)
    # Retried away: counted as retries, not the run's warnings (its data is as configured).
    assert log.retries == 2 and log.warnings == []


def test_rate_limiting_with_retry_after_is_honoured(fast_retries, sample_upstream, make_connector, settings):
    settings.MIGRATEIQ_HTTP_RETRY_AFTER_CAP = 1  # Retry-After: 1 is within it: waited, then retried
    upstream = sample_upstream(
        records=10, page_size=10, style="page", fail_first=1, fail_status=429, retry_after=1
    )
    connector = make_connector(upstream=upstream)

    log = run_sync(connector)

    assert log.status == SyncStatus.SUCCESS, log.error_message
    assert len(upstream.requests) >= 2
    retries = [message for message in events(log) if "429" in message and "retrying in" in message]
    # the log says the 429 paused the connector's other requests too, not just this one
    assert retries and all(
        "s; every request of this connector waits as long" in message for message in retries
    ), retries


def test_a_retry_after_past_the_cap_fails_the_run_at_once_and_its_resume_continues_from_the_checkpoint(
    settings, sample_upstream, make_connector, django_capture_on_commit_callbacks
):
    settings.MIGRATEIQ_SYNC_RUNNER = "inline"
    settings.MIGRATEIQ_HTTP_RETRY_AFTER_CAP = 3
    upstream = sample_upstream(
        records=50, page_size=10, style="page", fail_after_pages=2, fail_status=429, retry_after=3600
    )
    # One request in flight, so that exactly pages 1-3 are asked (requests sent ahead when the run
    # fails: the next test).
    connector = make_connector(upstream=upstream, max_concurrent_requests=1)
    started = time.monotonic()
    with django_capture_on_commit_callbacks(execute=True):
        sync_log = runs.start_sync(connector)
    elapsed = time.monotonic() - started

    sync_log.refresh_from_db()
    assert sync_log.status == SyncStatus.FAILED
    assert sync_log.error_message.startswith("Fetching page 3 failed: HTTP 429 from ")
    assert (
        "it asks to wait 3600 s, longer than MIGRATEIQ_HTTP_RETRY_AFTER_CAP (3 s), so it was not retried "
        "after 1 attempt. Try again once that wait is over"
    ) in sync_log.error_message
    assert elapsed < 1.5  # neither the hour nor the cap was waited
    assert [r["query"].get("page") for r in upstream.requests] == [None, "2", "3"]  # page 3 asked once
    assert stored_ids(connector) == list(range(1, 21)) and sync_log.checkpoint
    upstream.heal()
    upstream.clear_requests()

    with django_capture_on_commit_callbacks(execute=True):
        runs.resume_sync(sync_log)

    sync_log.refresh_from_db()
    assert sync_log.status == SyncStatus.SUCCESS, sync_log.error_message
    assert stored_ids(connector) == list(range(1, 51))
    assert min(int(r["query"]["page"]) for r in upstream.requests) == 3


def test_requests_sent_ahead_and_waiting_out_a_pause_are_given_up_when_the_run_fails(
    settings, sample_upstream, make_connector, django_capture_on_commit_callbacks
):
    """Four requests in flight behind a rate limit (requests sent ahead wait in the budget for their
    turn): the 429 past the cap fails the run at once, and the requests that were waiting, now for
    the connector's pause (the cap), stop waiting when the run ends and are never sent."""
    settings.MIGRATEIQ_SYNC_RUNNER = "inline"
    settings.MIGRATEIQ_HTTP_RETRY_AFTER_CAP = 3
    upstream = sample_upstream(
        records=200, page_size=10, style="page", fail_after_pages=2, fail_status=429, retry_after=3600
    )
    connector = make_connector(upstream=upstream, max_concurrent_requests=4, max_requests_per_second=8)
    started = time.monotonic()
    with django_capture_on_commit_callbacks(execute=True):
        sync_log = runs.start_sync(connector)
    elapsed = time.monotonic() - started
    sent_by_the_run = len(upstream.requests)
    time.sleep(3.5)  # past the pause: a request still waiting would be sent now

    sync_log.refresh_from_db()
    assert sync_log.status == SyncStatus.FAILED
    assert "longer than MIGRATEIQ_HTTP_RETRY_AFTER_CAP (3 s)" in sync_log.error_message
    assert elapsed < 2.0  # the run's end did not wait out the pause for requests sent ahead
    assert len(upstream.requests) == sent_by_the_run
    pages = [r["query"].get("page") for r in upstream.requests]
    assert len(pages) == len(set(pages))  # no page asked twice
    assert stored_ids(connector) == list(range(1, 21))


def test_the_retry_lines_of_a_failing_page_name_that_page_as_its_error_does(
    fast_retries, sample_upstream, make_connector
):
    # A re-sync builds a page while it requests the next one, so page 3 is requested while page 2
    # is not counted yet: its retry lines must still say page 3.
    upstream = sample_upstream(records=50, page_size=10, style="page")
    connector = make_connector(upstream=upstream, pagination={"type": "page"})
    assert run_sync(connector).status == SyncStatus.SUCCESS
    upstream.update(fail_after_pages=2)

    log = run_sync(connector)

    assert log.status == SyncStatus.FAILED and "Fetching page 3 failed" in log.error_message
    retries = list(log.events.filter(message__contains="retrying in").values_list("message", flat=True))
    assert len(retries) == 2
    assert all(message.startswith("Page 3: HTTP 500") and "page=3" in message for message in retries), retries


def test_a_sync_the_egress_guard_refuses_names_the_url_and_no_attempts(
    sample_upstream, make_connector, settings
):
    upstream = sample_upstream(records=10, page_size=10, style="page")
    connector = make_connector(upstream=upstream)
    settings.MIGRATEIQ_EGRESS_ALLOWLIST = []  # the upstream on 127.0.0.1 is no longer allowed

    log = run_sync(connector)

    assert log.status == SyncStatus.FAILED
    assert log.error_message.startswith("Fetching page 1 failed: Requests to 127.0.0.1 are not allowed")
    # Nothing was sent, so no attempt to count; the URL closes the message.
    assert "attempt" not in log.error_message, log.error_message
    assert log.error_message.endswith(f"(http://127.0.0.1:{upstream.port}/users)"), log.error_message
    assert upstream.requests == []


def test_persistent_server_errors_fail_with_status_url_and_attempts(
    fast_retries, sample_upstream, make_connector
):
    upstream = sample_upstream(records=50, page_size=10, style="page", fail_after_pages=2)
    connector = make_connector(upstream=upstream, pagination={"type": "page"})

    log = run_sync(connector)

    assert log.status == SyncStatus.FAILED
    assert "page 3" in log.error_message
    assert "500" in log.error_message
    assert f"127.0.0.1:{upstream.port}/users" in log.error_message
    assert "3 attempts" in log.error_message
    # The retries that led to the error are the error's story, not warnings beside it.
    assert log.retries == 2 and log.warnings == []
    assert log.events.filter(level=SyncLogEvent.Level.WARNING, message__contains="retrying in").count() == 2
    assert stored_ids(connector) == list(range(1, 21))
    assert log.pages_fetched == 2
    assert log.finished_at is not None and log.duration_seconds is not None
    connector.refresh_from_db()
    assert connector.last_sync_status == SyncStatus.FAILED


def test_an_unreachable_upstream_fails_the_sync_clearly(fast_retries, sample_upstream, make_connector):
    upstream = sample_upstream(records=5)
    upstream.stop()
    connector = make_connector(upstream=upstream)

    log = run_sync(connector)

    assert log.status == SyncStatus.FAILED
    assert "page 1" in log.error_message
    assert str(upstream.port) in log.error_message


def test_a_stalled_upstream_times_out(settings, fast_retries, sample_upstream, make_connector):
    settings.MIGRATEIQ_HTTP_TIMEOUT = 0.3
    settings.MIGRATEIQ_HTTP_MAX_ATTEMPTS = 1
    upstream = sample_upstream(records=5, slow_ms=1500)
    connector = make_connector(upstream=upstream)

    log = run_sync(connector)

    assert log.status == SyncStatus.FAILED
    assert "page 1" in log.error_message
    assert "tim" in log.error_message.lower()


def test_an_oversize_body_fails_the_sync_at_the_cap(settings, sample_upstream, make_connector):
    settings.MIGRATEIQ_HTTP_MAX_RESPONSE_BYTES = 2_000
    upstream = sample_upstream(records=100, page_size=100, style="page")
    connector = make_connector(upstream=upstream)

    log = run_sync(connector)

    assert log.status == SyncStatus.FAILED
    assert "page 1" in log.error_message
    assert stored_ids(connector) == []


def test_truncated_json_fails_the_sync_naming_what_came_back(fault_server, make_connector):
    fault_server.expect_request("/items").respond_with_data(
        '{"data": [{"id": 1}, {"id": 2', content_type="application/json"
    )
    connector = make_connector(api_endpoint=fault_url(fault_server), auth_type="none")

    log = run_sync(connector)

    assert log.status == SyncStatus.FAILED
    assert "invalid or truncated JSON" in log.error_message
    assert "application/json" in log.error_message
    assert '{"data": [{"id": 1}' in log.error_message


def test_an_html_error_page_with_status_200_fails_the_sync_naming_it(fault_server, make_connector):
    fault_server.expect_request("/items").respond_with_data(
        "<!DOCTYPE html>\n<html><head><title>Maintenance</title></head><body>Back soon</body></html>",
        content_type="text/html; charset=utf-8",
    )
    connector = make_connector(api_endpoint=fault_url(fault_server), auth_type="none")

    log = run_sync(connector)

    assert log.status == SyncStatus.FAILED
    assert "HTML" in log.error_message
    assert "text/html" in log.error_message
    assert "<!DOCTYPE html> <html><head><title>Maintenance" in log.error_message


def test_an_empty_body_fails_the_sync(fault_server, make_connector):
    fault_server.expect_request("/items").respond_with_data("", content_type="application/json")
    connector = make_connector(api_endpoint=fault_url(fault_server), auth_type="none")

    log = run_sync(connector)

    assert log.status == SyncStatus.FAILED
    assert "empty" in log.error_message


def test_a_json_string_where_records_should_be_fails_the_sync(fault_server, make_connector):
    fault_server.expect_request("/items").respond_with_json("service temporarily unavailable")
    connector = make_connector(api_endpoint=fault_url(fault_server), auth_type="none")

    log = run_sync(connector)

    assert log.status == SyncStatus.FAILED
    assert "got a JSON string" in log.error_message


def test_a_records_path_missing_from_the_response_fails_the_sync_listing_the_keys(
    fault_server, make_connector
):
    fault_server.expect_request("/items").respond_with_json({"payload": [{"id": 1}], "meta": {}})
    connector = make_connector(
        api_endpoint=fault_url(fault_server), auth_type="none", records_path="data.users"
    )

    log = run_sync(connector)

    assert log.status == SyncStatus.FAILED
    assert "records_path 'data.users' was not found" in log.error_message
    assert "meta, payload" in log.error_message


def test_control_characters_and_credentials_in_a_body_are_not_echoed(fault_server, make_connector):
    fault_server.expect_request("/items").respond_with_data(
        "\x00\x1bERROR token=abcdef123456 at gateway", content_type="text/plain"
    )
    connector = make_connector(api_endpoint=fault_url(fault_server), auth_type="none")

    log = run_sync(connector)

    assert log.status == SyncStatus.FAILED
    assert "\x00" not in log.error_message and "\x1b" not in log.error_message
    assert "abcdef123456" not in log.error_message
    assert "not JSON" in log.error_message


def test_check_connection_reports_an_html_page_as_not_connected(fault_server, make_connector):
    fault_server.expect_request("/items").respond_with_data("<html>login</html>", content_type="text/html")
    connector = make_connector(api_endpoint=fault_url(fault_server), auth_type="none")

    result = DataSyncService(connector).check_connection()

    assert result.connected is False
    assert "HTML" in result.message


@pytest.mark.parametrize("pagination", [{"type": "bogus"}, {"type": "page", "cursor_path": "x"}, "page"])
def test_an_invalid_pagination_setting_fails_the_sync_naming_the_problem(
    sample_upstream, make_connector, pagination
):
    upstream = sample_upstream(records=5)
    connector = make_connector(upstream=upstream, pagination=pagination)

    log = run_sync(connector)

    assert log.status == SyncStatus.FAILED
    assert log.error_message.startswith("Invalid pagination configuration")
    assert upstream.requests == []


def test_check_connection_names_an_invalid_setting_without_calling_the_upstream(
    sample_upstream, make_connector
):
    upstream = sample_upstream(records=5)
    connector = make_connector(upstream=upstream, pagination={"type": "pages"})

    result = DataSyncService(connector).check_connection()

    assert result.connected is False
    assert result.status_code is None
    assert "pagination.type 'pages'" in result.message
    assert upstream.requests == []


def test_retried_requests_are_counted_as_their_log_lines_are_written_not_only_when_the_run_ends(
    fast_retries, sample_upstream, make_connector
):
    upstream = sample_upstream(records=40, page_size=10, style="page", fail_first=2, fail_status=503)
    connector = make_connector(upstream=upstream, pagination={"type": "page"})
    seen = []  # (stored count, retry lines in the log) after each committed page, as a poll sees them

    def watch(run):
        stored = type(run).objects.get(pk=run.pk)
        lines = stored.events.filter(message__contains="retrying in").count()
        seen.append((stored.status, stored.retries, lines))

    log = run_sync(connector, progress=watch)

    assert log.status == SyncStatus.SUCCESS, log.error_message
    running = [(count, lines) for status, count, lines in seen if status == SyncStatus.RUNNING]
    assert running and all(count == lines for count, lines in running), seen
    assert running[-1] == (2, 2), seen
    assert log.retries == 2


def test_a_run_records_how_long_its_requests_waited_for_the_api_s_rate_limit(
    fast_retries, sample_upstream, make_connector, settings
):
    settings.MIGRATEIQ_HTTP_RETRY_AFTER_CAP = 1  # Retry-After: 1 is within it: waited, then retried
    limited = sample_upstream(
        records=10, page_size=10, style="page", fail_first=1, fail_status=429, retry_after=1
    )
    log = run_sync(make_connector(upstream=limited))

    assert log.status == SyncStatus.SUCCESS, log.error_message
    log.refresh_from_db()
    assert 0.9 <= log.rate_limit_wait_seconds <= log.duration_seconds

    unlimited = run_sync(make_connector(upstream=sample_upstream(records=10, page_size=10, style="page")))
    unlimited.refresh_from_db()
    assert unlimited.rate_limit_wait_seconds == 0
