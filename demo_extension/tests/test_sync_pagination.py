"""The sync follows every pagination style of a real upstream, detects it, stops right and never loops."""

import pytest
from werkzeug import Response

from demo_extension.models import SyncLogEvent, SyncStatus
from demo_extension.services.prefetch import DEFAULT_CONCURRENCY
from demo_extension.tests import sync_support
from demo_extension.tests.sync_support import (
    events,
    fault_url,
    json_body,
    queried,
    run_sync,
    stored_ids,
    stored_records,
)

fault_server = sync_support.fault_server
fault_server_process = sync_support.fault_server_process

STYLE_CONFIGS = {
    "none": {"type": "none"},
    "page": {"type": "page", "page_param": "page", "size_param": "per_page", "page_size": 20},
    "offset": {"type": "offset", "offset_param": "offset", "limit_param": "limit", "limit": 20},
    "cursor": {"type": "cursor", "cursor_path": "next_cursor", "cursor_param": "cursor"},
    "next_url": {"type": "next_url", "next_url_path": "next"},
    "link_header": {"type": "link_header"},
}


@pytest.mark.parametrize("style", sorted(STYLE_CONFIGS))
def test_each_configured_pagination_style_syncs_every_record_exactly_once(
    sample_upstream, make_connector, style
):
    upstream = sample_upstream(records=95, page_size=20, style=style)
    connector = make_connector(upstream=upstream, pagination=STYLE_CONFIGS[style])

    log = run_sync(connector)

    assert log.status == SyncStatus.SUCCESS, log.error_message
    assert stored_ids(connector) == list(range(1, 96))
    assert log.records_processed == 95
    assert log.records_created == 95
    assert log.detected_pagination == style
    assert stored_records(connector)["7"] == upstream.record(7)
    expected_pages = 1 if style == "none" else 5
    assert log.pages_fetched == expected_pages


@pytest.mark.parametrize("style", ["page", "offset", "cursor", "next_url", "link_header", "none"])
def test_auto_pagination_detects_the_style_from_the_first_response_and_shows_it(
    sample_upstream, make_connector, style
):
    # 61: an unpaged answer of exactly 60 (Mattermost's default page) is no proof of the whole list
    upstream = sample_upstream(records=61, page_size=25, style=style)
    connector = make_connector(upstream=upstream, pagination={"type": "auto"})

    log = run_sync(connector)

    assert log.status == SyncStatus.SUCCESS, log.error_message
    assert stored_ids(connector) == list(range(1, 62))
    assert log.detected_pagination == style
    assert any(message.startswith("Detected pagination") for message in events(log))


def test_page_pagination_stops_at_total_pages_without_asking_for_an_empty_page(
    sample_upstream, make_connector
):
    upstream = sample_upstream(records=100, page_size=25, style="page")
    connector = make_connector(upstream=upstream, pagination={"type": "page"})

    log = run_sync(connector)

    assert log.status == SyncStatus.SUCCESS
    # Pages after the first may be requested at once (they arrive in any order): each once.
    assert sorted(queried(upstream, "page"), key=int) == ["1", "2", "3", "4"]


def test_offset_pagination_stops_at_the_reported_count(sample_upstream, make_connector):
    upstream = sample_upstream(records=100, page_size=25, style="offset")
    connector = make_connector(upstream=upstream, pagination={"type": "offset", "limit": 25})

    run_sync(connector)

    assert sorted(queried(upstream, "offset"), key=int) == ["0", "25", "50", "75"]


def test_an_api_that_caps_the_page_size_loses_no_records(fault_server, make_connector):
    """Asked for 100, the API gives 10 a page and no totals: the first page is not taken as the last."""
    records = [{"id": i} for i in range(1, 36)]

    def handler(request):
        start = int(request.args.get("offset", 0))
        return Response(json_body(records[start : start + 10]), content_type="application/json")

    fault_server.expect_request("/items").respond_with_handler(handler)
    connector = make_connector(
        api_endpoint=fault_url(fault_server),
        auth_type="none",
        pagination={"type": "offset", "limit": 100},
    )

    log = run_sync(connector)

    assert log.status == SyncStatus.SUCCESS, log.error_message
    assert stored_ids(connector) == list(range(1, 36))


def test_a_short_page_ends_page_number_pagination_when_the_api_reports_no_totals(
    fault_server, make_connector
):
    pages = {"1": [{"id": 1}, {"id": 2}], "2": [{"id": 3}, {"id": 4}], "3": [{"id": 5}]}
    for number, body in pages.items():
        fault_server.expect_request("/items", query_string={"page": number}).respond_with_json(body)
    connector = make_connector(
        api_endpoint=fault_url(fault_server),
        auth_type="none",
        pagination={"type": "page"},
    )

    log = run_sync(connector)

    assert log.status == SyncStatus.SUCCESS, log.error_message
    assert stored_ids(connector) == [1, 2, 3, 4, 5]
    assert log.pages_fetched == 3


def test_a_self_referencing_next_link_fails_the_sync_instead_of_looping(fault_server, make_connector):
    url = fault_url(fault_server)
    fault_server.expect_request("/items").respond_with_json({"results": [{"id": 1}], "next": url})
    connector = make_connector(api_endpoint=url, auth_type="none", pagination={"type": "next_url"})

    log = run_sync(connector)

    assert log.status == SyncStatus.FAILED
    assert "next link points back to a page already fetched" in log.error_message
    assert log.pages_fetched == 1
    assert stored_ids(connector) == [1]
    assert len(fault_server.log) == 1


def test_a_repeating_cursor_fails_the_sync_instead_of_looping(fault_server, make_connector):
    fault_server.expect_request("/items", query_string="").respond_with_json(
        {"items": [{"id": 1}], "next_cursor": "abc"}
    )
    fault_server.expect_request("/items", query_string={"cursor": "abc"}).respond_with_json(
        {"items": [{"id": 2}], "next_cursor": "abc"}
    )
    connector = make_connector(
        api_endpoint=fault_url(fault_server), auth_type="none", pagination={"type": "auto"}
    )

    log = run_sync(connector)

    assert log.status == SyncStatus.FAILED
    assert "cursor 'abc' again" in log.error_message
    assert stored_ids(connector) == [1, 2]
    assert len(fault_server.log) == 2


def test_an_api_that_ignores_the_page_parameter_is_stopped_at_the_first_repeated_page(
    fault_server, make_connector
):
    fault_server.expect_request("/items").respond_with_json([{"id": 1}, {"id": 2}])
    connector = make_connector(
        api_endpoint=fault_url(fault_server),
        auth_type="none",
        pagination={"type": "page"},
    )

    log = run_sync(connector)

    assert log.status == SyncStatus.FAILED
    assert "holds the same records as an earlier page" in log.error_message
    # Pages 1 and 2, and at most concurrency - 1 pages requested ahead (no total is announced).
    assert 2 <= len(fault_server.log) <= 2 + DEFAULT_CONCURRENCY - 1
    assert log.pages_fetched == 1


def test_a_next_link_to_another_host_is_refused_after_its_page_is_stored(fault_server, make_connector):
    fault_server.expect_request("/items").respond_with_json(
        {"results": [{"id": 1}, {"id": 2}], "next": "http://example.com/steal?page=2"}
    )
    connector = make_connector(
        api_endpoint=fault_url(fault_server),
        api_key="secret-key-1",
        pagination={"type": "next_url"},
    )

    log = run_sync(connector)

    assert log.status == SyncStatus.FAILED
    assert "points to another host" in log.error_message
    assert "secret-key-1" not in log.error_message
    # The page that named the link is the upstream's answer to MigrateIQ's own request: kept.
    assert stored_ids(connector) == [1, 2]
    assert log.pages_fetched == 1
    assert log.records_processed == 2


def test_a_cursor_that_is_an_object_fails_the_sync_after_the_pages_before_it_are_stored(
    fault_server, make_connector
):
    fault_server.expect_request("/items", query_string="").respond_with_json(
        {"items": [{"id": 1}], "next_cursor": "c2"}
    )
    fault_server.expect_request("/items", query_string={"cursor": "c2"}).respond_with_json(
        {"items": [{"id": 2}, {"id": 3}], "next_cursor": {"token": "c3"}}
    )
    connector = make_connector(
        api_endpoint=fault_url(fault_server),
        auth_type="none",
        pagination={"type": "cursor", "cursor_path": "next_cursor", "cursor_param": "cursor"},
    )

    log = run_sync(connector)

    assert log.status == SyncStatus.FAILED
    assert "The cursor at 'next_cursor' is not a string or number." in log.error_message
    assert stored_ids(connector) == [1, 2, 3]
    assert log.pages_fetched == 2
    assert len(fault_server.log) == 2


def test_max_pages_caps_one_run_as_a_partial_copy_with_a_warning(sample_upstream, make_connector):
    upstream = sample_upstream(records=100, page_size=10, style="page")
    connector = make_connector(upstream=upstream, pagination={"type": "page"}, max_pages=3)

    log = run_sync(connector)

    assert log.status == SyncStatus.PARTIAL  # the upstream had more: never SUCCESS
    assert "max_pages (3)" in log.error_message
    assert log.pages_fetched == 3
    assert stored_ids(connector) == list(range(1, 31))
    warnings = log.events.filter(level=SyncLogEvent.Level.WARNING).values_list("message", flat=True)
    assert any("max_pages (3)" in message for message in warnings)


def test_the_max_pages_setting_applies_when_the_connector_sets_none(
    settings, sample_upstream, make_connector
):
    settings.MIGRATEIQ_SYNC_MAX_PAGES = 2
    upstream = sample_upstream(records=100, page_size=10, style="cursor")
    connector = make_connector(upstream=upstream, pagination={"type": "cursor"})

    log = run_sync(connector)

    assert log.status == SyncStatus.PARTIAL
    assert log.pages_fetched == 2
    assert len(stored_ids(connector)) == 20


def test_auto_pagination_pages_by_offset_when_the_body_reports_a_total_and_an_offset(
    fault_server, make_connector
):
    records = [{"id": i} for i in range(1, 6)]

    def handler(request):
        start = int(request.args.get("offset", 0))
        body = {"data": records[start : start + 2], "total": 5, "offset": start}
        return Response(json_body(body), content_type="application/json")

    fault_server.expect_request("/items").respond_with_handler(handler)
    connector = make_connector(
        api_endpoint=fault_url(fault_server), auth_type="none", pagination={"type": "auto"}
    )

    log = run_sync(connector)

    assert log.status == SyncStatus.SUCCESS, log.error_message
    assert log.detected_pagination == "offset"
    assert stored_ids(connector) == [1, 2, 3, 4, 5]
    offsets = [request.args.get("offset") for request, _ in fault_server.log]
    # After the first page (which announces the total) the others may be fetched at once.
    assert offsets[0] is None and sorted(offsets[1:]) == ["2", "4"]


def test_max_pages_equal_to_the_number_of_pages_is_a_complete_copy(sample_upstream, make_connector):
    upstream = sample_upstream(records=30, page_size=10, style="page")
    connector = make_connector(upstream=upstream, pagination={"type": "page", "page_size": 10}, max_pages=3)

    log = run_sync(connector)

    assert log.status == SyncStatus.SUCCESS, log.error_message
    assert stored_ids(connector) == list(range(1, 31))


@pytest.mark.parametrize(("style", "total"), [("page", 95), ("offset", 95), ("cursor", None)])
def test_a_run_records_the_total_the_upstream_announces_for_progress(
    sample_upstream, make_connector, style, total
):
    upstream = sample_upstream(records=95, page_size=20, style=style)
    connector = make_connector(upstream=upstream, pagination=STYLE_CONFIGS[style])
    seen = []

    log = run_sync(connector, progress=lambda run: seen.append((run.records_processed, run.records_total)))

    assert log.records_total == total
    assert seen[0] == (20, total)  # known from the first committed page on
