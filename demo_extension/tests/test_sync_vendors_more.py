"""More vendors' list endpoints (see ``vendors``): left on ``auto`` a sync gets every record and asks
for no page past the last; each documented way such an API ends short or fails (an error answered
with HTTP 200, a rate limit, a page size over its cap) ends the run ``PARTIAL`` or ``FAILED``, naming
the cause, never ``SUCCESS``."""

import json

import pytest

from demo_extension.models import SyncedRecord, SyncStatus
from demo_extension.tests import sync_support
from demo_extension.tests.sync_support import events, run_sync, stored_records
from demo_extension.tests.vendors import (
    TENTH_VENDORS_ON_AUTO,
    Coda,
    DigitalOcean,
    GoCardless,
    HetznerCloud,
    Vultr,
    WooCommerce,
    ZuoraObjectQuery,
    ZuoraSubscriptionsByAccount,
)

fast_retries = sync_support.fast_retries


def _canonical(records) -> list[str]:
    return sorted(json.dumps(record, sort_keys=True) for record in records)


@pytest.mark.parametrize("vendor_class", TENTH_VENDORS_ON_AUTO, ids=lambda cls: cls.name)
def test_auto_pagination_syncs_every_record_of_each_vendor_without_a_request_past_the_last_page(
    vendor_server, make_connector, vendor_class
):
    vendor = vendor_server(vendor_class)
    assert vendor.records % 2 == 1 and vendor.records % vendor.page_size  # the last page is partial
    connector = make_connector(**vendor.connector_fields())

    log = run_sync(connector)

    assert log.status == SyncStatus.SUCCESS, log.error_message
    assert (log.records_processed, log.records_created) == (vendor.records, vendor.records)
    assert _canonical(stored_records(connector).values()) == _canonical(vendor.all_records())
    assert [request["status"] for request in vendor.requests] == [200] * vendor.expected_pages()
    assert log.pages_fetched == vendor.expected_pages()
    assert any("Detected pagination" in line and "because" in line for line in events(log))

    vendor.requests.clear()
    again = run_sync(connector)

    assert again.status == SyncStatus.SUCCESS, again.error_message
    assert (again.records_unchanged, again.records_created, again.records_updated) == (vendor.records, 0, 0)
    assert len(vendor.requests) == vendor.expected_pages()
    assert SyncedRecord.objects.filter(connector=connector).count() == vendor.records


def test_a_zuora_v1_error_answered_with_http_200_fails_the_sync_with_its_reason(
    vendor_server, make_connector
):
    vendor = vendor_server(ZuoraSubscriptionsByAccount)
    vendor.unknown_account = True  # {"success": false, "processId", "reasons": [{"code": 50000040, ...}]}
    connector = make_connector(**vendor.connector_fields())

    log = run_sync(connector)

    assert log.status == SyncStatus.FAILED
    assert "HTTP 200 with an error (success: false): Cannot find entity by key" in log.error_message
    assert not SyncedRecord.objects.filter(connector=connector).exists()


def test_a_zuora_v1_page_answered_with_http_200_and_success_false_midway_is_never_success(
    vendor_server, make_connector
):
    vendor = vendor_server(ZuoraSubscriptionsByAccount)
    vendor.failing_page = 3
    connector = make_connector(**vendor.connector_fields())

    log = run_sync(connector)

    assert log.status == SyncStatus.FAILED
    assert "HTTP 200 with an error (success: false): An unexpected error occurred" in log.error_message
    assert SyncedRecord.objects.filter(connector=connector).count() == 10  # pages 1 and 2


@pytest.mark.parametrize(
    ("vendor_class", "size_param", "said"),
    [
        (ZuoraObjectQuery, "pageSize", "(the API says: 'pageSize must be between 1 and 99')"),
        (WooCommerce, "per_page", "Invalid parameter(s): per_page (rest_invalid_param)"),
    ],
    ids=["zuora-object-query", "woocommerce"],
)
def test_a_page_size_over_the_api_s_cap_fails_with_the_api_s_reason(
    vendor_server, make_connector, vendor_class, size_param, said
):
    vendor = vendor_server(vendor_class)
    pagination = {"type": "auto", "size_param": size_param, "page_size": 200}
    connector = make_connector(**vendor.connector_fields(), pagination=pagination)

    log = run_sync(connector)

    assert log.status == SyncStatus.FAILED
    assert "HTTP 400" in log.error_message and said in log.error_message, log.error_message
    assert not SyncedRecord.objects.filter(connector=connector).exists()


@pytest.mark.parametrize("vendor_class", [DigitalOcean, Vultr], ids=lambda cls: cls.name)
def test_a_page_that_names_no_next_page_while_meta_total_counts_more_ends_partial(
    vendor_server, make_connector, vendor_class
):
    vendor = vendor_server(vendor_class)
    vendor.next_missing_on_page = 2
    connector = make_connector(**vendor.connector_fields())

    log = run_sync(connector)

    assert log.status == SyncStatus.PARTIAL, log.error_message
    assert log.records_created == 10
    assert "The upstream announces 23 records but the sync received 10" in log.error_message


@pytest.mark.parametrize("vendor_class", [HetznerCloud, DigitalOcean], ids=lambda cls: cls.name)
def test_a_429_waits_for_its_exhausted_window_s_epoch_reset_and_asks_the_page_again(
    vendor_server, make_connector, settings, vendor_class
):
    settings.MIGRATEIQ_HTTP_RETRY_AFTER_CAP = 3
    vendor = vendor_server(vendor_class)
    vendor.rate_limited_on_page = 2  # RateLimit-Remaining: 0, RateLimit-Reset: now + 1 (epoch seconds)
    connector = make_connector(**vendor.connector_fields(), max_concurrent_requests=1)

    log = run_sync(connector)

    assert log.status == SyncStatus.SUCCESS, log.error_message
    assert log.records_created == 23
    assert [request["status"] for request in vendor.requests] == [200, 429, 200, 200, 200, 200]
    assert vendor.requests[1]["query"] == vendor.requests[2]["query"]


def test_a_gocardless_429_waits_for_its_ratelimit_reset_given_as_an_http_date(
    vendor_server, make_connector, settings
):
    # Retries without that wait (a quick backoff) would all fall inside the closed window.
    settings.MIGRATEIQ_HTTP_BACKOFF_BASE = 0.001
    settings.MIGRATEIQ_HTTP_MAX_ATTEMPTS = 3
    settings.MIGRATEIQ_HTTP_RETRY_AFTER_CAP = 5
    vendor = vendor_server(GoCardless)
    vendor.rate_limited_on_page = 2  # RateLimit-Reset: <an HTTP date 2-3 s ahead>, no Retry-After
    connector = make_connector(**vendor.connector_fields(), max_concurrent_requests=1)

    log = run_sync(connector)

    assert log.status == SyncStatus.SUCCESS, log.error_message
    assert log.records_created == 23
    assert [request["status"] for request in vendor.requests] == [200, 429, 200, 200, 200, 200]
    assert vendor.requests[1]["query"] == vendor.requests[2]["query"] == {"after": "CU000000000005"}


def test_coda_pages_shorter_than_the_limit_are_no_end_while_a_next_page_token_follows(
    vendor_server, make_connector
):
    vendor = vendor_server(Coda)
    vendor.short_pages = True  # 2 rows a page, whatever the limit
    connector = make_connector(
        **vendor.connector_fields(), pagination={"type": "auto", "size_param": "limit", "page_size": 5}
    )

    log = run_sync(connector)

    assert log.status == SyncStatus.SUCCESS, log.error_message
    assert log.records_created == 23 and log.pages_fetched == 12
    assert [request["query"].get("limit") for request in vendor.requests] == ["5"] * 12
    assert _canonical(stored_records(connector).values()) == _canonical(vendor.all_records())
