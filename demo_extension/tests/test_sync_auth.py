"""The sync authenticates the way the connector says, sends its extra headers and parameters, and
never shows the key."""

import base64

import pytest

from demo_extension.models import SyncStatus
from demo_extension.services.auth import build_request_auth
from demo_extension.services.sync import DataSyncService
from demo_extension.tests.sync_support import run_sync, stored_ids

KEY = "s3cr3t-key-value"


@pytest.mark.parametrize("auth", ["bearer", "header", "query", "basic", "basic_key"])
def test_each_auth_style_reaches_an_upstream_that_checks_it(sample_upstream, make_connector, auth):
    upstream = sample_upstream(records=30, page_size=10, style="page", api_key=KEY, auth=auth)
    connector = make_connector(upstream=upstream)

    log = run_sync(connector)

    assert log.status == SyncStatus.SUCCESS, log.error_message
    assert stored_ids(connector) == list(range(1, 31))


def test_bearer_is_the_default_when_a_key_is_set(sample_upstream, make_connector):
    upstream = sample_upstream(records=5, style="page", api_key=KEY, auth="bearer")
    connector = make_connector(api_endpoint=upstream.url, api_key=KEY)

    assert run_sync(connector).status == SyncStatus.SUCCESS
    assert upstream.requests[0]["headers"]["Authorization"] == f"Bearer {KEY}"


def test_no_auth_sends_no_credentials_even_with_a_key(sample_upstream, make_connector):
    upstream = sample_upstream(records=5, style="none")
    connector = make_connector(api_endpoint=upstream.url, api_key=KEY, auth_type="none")

    assert run_sync(connector).status == SyncStatus.SUCCESS
    request = upstream.requests[0]
    assert "Authorization" not in request["headers"]
    assert KEY not in str(request)


def test_query_auth_key_stays_out_of_the_checkpoint_when_following_next_links(
    sample_upstream, make_connector
):
    upstream = sample_upstream(records=30, page_size=10, style="next_url", api_key=KEY, auth="query")
    connector = make_connector(upstream=upstream, pagination={"type": "next_url"})

    log = run_sync(connector)

    assert log.status == SyncStatus.SUCCESS, log.error_message
    assert all(request["query"]["api_key"] == KEY for request in upstream.requests)
    assert KEY not in str(log.checkpoint)


def test_a_wrong_key_fails_the_sync_with_the_status_and_without_the_key(sample_upstream, make_connector):
    upstream = sample_upstream(records=5, style="page", api_key="the-right-key", auth="query")
    connector = make_connector(upstream=upstream, api_key=KEY)

    log = run_sync(connector)

    assert log.status == SyncStatus.FAILED
    assert "401" in log.error_message
    assert str(upstream.port) in log.error_message
    assert KEY not in log.error_message
    assert all(KEY not in message for message in log.events.values_list("message", flat=True))


def test_request_headers_and_query_params_go_with_every_page(sample_upstream, make_connector):
    upstream = sample_upstream(records=20, page_size=10, style="page", api_key=KEY, auth="header")
    connector = make_connector(
        upstream=upstream,
        pagination={"type": "page"},
        request_headers={"X-Tenant-Region": "eu", "Accept": "application/json"},
        query_params={"status": "active", "limit_fields": 3},
    )

    run_sync(connector)

    pages = sorted(request["query"]["page"] for request in upstream.requests)
    # Pages 1 and 2; a first run cannot know there is no page 3: pages 3 and 4 may go with page 1.
    assert pages[:2] == ["1", "2"]
    assert len(pages) <= 4
    for request in upstream.requests:
        assert request["headers"]["X-Tenant-Region"] == "eu"
        assert request["headers"]["X-API-Key"] == KEY
        assert request["query"]["status"] == "active"
        assert request["query"]["limit_fields"] == "3"


def test_basic_auth_sends_the_username_and_the_key_as_password(make_connector):
    connector = make_connector(auth_type="basic", auth_username="svc", api_key=KEY)

    auth = build_request_auth(connector)

    assert auth.basic == ("svc", KEY)
    assert auth.headers == {}
    assert auth.params == {}


def test_the_auth_style_wins_over_a_request_header_of_the_same_name(make_connector):
    connector = make_connector(api_key=KEY, request_headers={"Authorization": "Token other"})

    assert build_request_auth(connector).headers["Authorization"] == f"Bearer {KEY}"


def test_check_connection_reports_success_with_timing_and_status(sample_upstream, make_connector):
    upstream = sample_upstream(records=5, style="page", api_key=KEY, auth="header")
    connector = make_connector(upstream=upstream)

    result = DataSyncService(connector).check_connection()

    assert result.connected is True
    assert result.message == "Connection successful"
    assert result.status_code == 200
    assert result.response_time_ms is not None and result.response_time_ms >= 0
    assert result.endpoint == upstream.url
    assert DataSyncService(connector).test_connection() is True


def test_check_connection_explains_a_rejected_key_without_showing_it(sample_upstream, make_connector):
    upstream = sample_upstream(records=5, style="page", api_key="the-right-key", auth="bearer")
    connector = make_connector(api_endpoint=upstream.url, api_key=KEY)

    result = DataSyncService(connector).check_connection()

    assert result.connected is False
    assert result.status_code == 401
    assert "401" in result.message
    assert KEY not in result.message
    assert DataSyncService(connector).test_connection() is False


def test_basic_credentials_are_encoded_as_the_upstream_expects(sample_upstream, make_connector):
    upstream = sample_upstream(records=3, style="none", api_key=KEY, auth="basic", username="svc")
    connector = make_connector(upstream=upstream)

    run_sync(connector)

    expected = "Basic " + base64.b64encode(f"svc:{KEY}".encode()).decode()
    assert upstream.requests[0]["headers"]["Authorization"] == expected
