"""More vendors' list endpoints (see ``vendors``): left on ``auto`` a sync gets every record and asks
for no page past the last; each documented way such an API ends short or fails (an error answered
with HTTP 200, a rate limit, a page size over its cap) ends the run ``PARTIAL`` or ``FAILED``, naming
the cause, never ``SUCCESS``."""

import json

import pytest

from demo_extension.models import SyncedRecord, SyncStatus
from demo_extension.tests import sync_support
from demo_extension.tests.sync_support import RunEnds, events, run_sync, stored_records
from demo_extension.tests.vendors import (
    ELEVENTH_VENDORS_ON_AUTO,
    TENTH_VENDORS_ON_AUTO,
    TWELFTH_VENDORS_ON_AUTO,
    Aircall,
    AmazonSellingPartnerOrders,
    Basecamp,
    Clockify,
    Coda,
    ConstantContact,
    CopperPeopleSearch,
    DatadogLogs,
    DigitalOcean,
    GoCardless,
    Heroku,
    HetznerCloud,
    MixpanelExport,
    OpsgenieAlerts,
    PersonioEmployees,
    Postmark,
    RingCentralCallLog,
    Salesloft,
    SmartRecruitersCandidates,
    SnowflakeStatement,
    SquarespaceOrders,
    TeamworkTasks,
    Vercel,
    Vultr,
    WooCommerce,
    Wrike,
    ZohoBooks,
    ZuoraObjectQuery,
    ZuoraSubscriptionsByAccount,
)

fast_retries = sync_support.fast_retries


def _canonical(records) -> list[str]:
    return sorted(json.dumps(record, sort_keys=True) for record in records)


@pytest.mark.parametrize(
    "vendor_class",
    TENTH_VENDORS_ON_AUTO + ELEVENTH_VENDORS_ON_AUTO + TWELFTH_VENDORS_ON_AUTO,
    ids=lambda cls: cls.name,
)
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
    # Heroku answers each part but the last with 206 Partial Content; a list whose end only a flag on
    # its last page tells may have pages asked for ahead past it (discarded)
    assert {request["status"] for request in vendor.requests} <= {200, 206}
    assert 0 <= len(vendor.requests) - vendor.expected_pages() <= vendor.requests_past_the_end
    assert log.pages_fetched == vendor.expected_pages()
    assert any("Detected pagination" in line and "because" in line for line in events(log))

    vendor.requests.clear()
    again = run_sync(connector)

    assert again.status == SyncStatus.SUCCESS, again.error_message
    assert (again.records_unchanged, again.records_created, again.records_updated) == (vendor.records, 0, 0)
    assert len(vendor.requests) == vendor.expected_pages()
    assert SyncedRecord.objects.filter(connector=connector).count() == vendor.records


test_an_error_answered_with_http_200_fails_the_sync_with_its_reason = sync_support.vendor_runs_end_test(
    [
        # {"success": false, "processId", "reasons": [{"code": 50000040, ...}]}
        RunEnds(
            ZuoraSubscriptionsByAccount,
            SyncStatus.FAILED,
            ("HTTP 200 with an error (success: false): Cannot find entity by key",),
            stored=0,
            attributes={"unknown_account": True},
        ),
        # midway: pages 1 and 2 kept
        RunEnds(
            ZuoraSubscriptionsByAccount,
            SyncStatus.FAILED,
            ("HTTP 200 with an error (success: false): An unexpected error occurred",),
            stored=10,
            attributes={"failing_page": 3},
        ),
    ]
)

test_a_vendor_whose_answers_cannot_prove_the_whole_list_is_never_success = sync_support.vendor_runs_end_test(
    [
        # a proxy that forwards only the headers it knows drops Heroku's Next-Range
        RunEnds(
            Heroku,
            SyncStatus.PARTIAL,
            ("HTTP 206 Partial Content (5 records)", '"cursor_request_header"'),
            stored=5,
            attributes={"drops_next_range": True},
        ),
        RunEnds(
            Clockify,
            SyncStatus.PARTIAL,
            ("The upstream says more records exist (the Last-Page header: false)",),
            stored=5,
        ),
        RunEnds(
            Vercel,
            SyncStatus.PARTIAL,
            (
                "The answer names a next page at 'pagination.next'",
                '"cursor_path": "pagination.next"',
                "'until'",
            ),
            stored=5,
        ),
        RunEnds(
            CopperPeopleSearch,
            SyncStatus.PARTIAL,
            (
                "X-PW-TOTAL header announces up to 23 records and the single answer holds 5",
                '"page_param": "page_number"',
            ),
            stored=5,
        ),
        # a Wrike list asked for without pageSize: its 1000 tasks
        RunEnds(
            Wrike,
            SyncStatus.PARTIAL,
            ("exactly 1000 records",),
            stored=1000,
            records=1003,
            attributes={"unpaged_cap": 1000},
            fields={"query_params": {}},
        ),
    ]
)


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


# -- the eleventh round ----------------------------------------------------------------------------


def test_heroku_s_next_range_goes_back_as_the_range_request_header(vendor_server, make_connector):
    vendor = vendor_server(Heroku)
    connector = make_connector(**vendor.connector_fields())

    log = run_sync(connector)

    assert log.status == SyncStatus.SUCCESS, log.error_message
    assert [request["status"] for request in vendor.requests] == [206, 206, 206, 206, 200]
    ids = [record["id"] for record in vendor.all_records()]
    assert vendor.ranges == [None] + [f"id ]{ids[end - 1]}..; max=5" for end in (5, 10, 15, 20)]
    assert any("Next-Range header names the next range" in line for line in events(log))


def test_heroku_s_page_size_set_in_the_range_request_header_is_kept_by_next_range(
    vendor_server, make_connector
):
    vendor = vendor_server(Heroku)
    fields = vendor.connector_fields()
    fields["request_headers"] = {**fields["request_headers"], "Range": "id ..; max=10"}
    pagination = {"type": "cursor", "cursor_header": "Next-Range", "cursor_request_header": "Range"}
    connector = make_connector(**fields, pagination=pagination)

    log = run_sync(connector)

    assert log.status == SyncStatus.SUCCESS, log.error_message
    assert log.records_created == 23 and log.pages_fetched == 3
    assert vendor.ranges[0] == "id ..; max=10" and all(
        asked.endswith("max=10") for asked in vendor.ranges[1:]
    )


def test_a_heroku_429_is_waited_for_and_the_same_range_asked_again(
    vendor_server, make_connector, fast_retries
):
    vendor = vendor_server(Heroku)
    vendor.rate_limited_on_page = 3  # {"id": "rate_limit", ...}, RateLimit-Remaining: 0
    connector = make_connector(**vendor.connector_fields(), max_concurrent_requests=1)

    log = run_sync(connector)

    assert log.status == SyncStatus.SUCCESS, log.error_message
    assert log.records_created == 23
    assert [request["status"] for request in vendor.requests] == [206, 206, 429, 206, 206, 200]
    assert vendor.ranges[2] == vendor.ranges[3] is not None


@pytest.mark.parametrize(
    ("header", "said"),
    [("Authorization", "may not be 'Authorization'"), ("Range:", "is not an HTTP header name")],
    ids=["credentials", "not-a-name"],
)
def test_a_cursor_may_not_go_back_in_a_credential_or_malformed_request_header(
    vendor_server, make_connector, header, said
):
    vendor = vendor_server(Heroku)
    pagination = {"type": "cursor", "cursor_header": "Next-Range", "cursor_request_header": header}
    connector = make_connector(**vendor.connector_fields(), pagination=pagination)

    log = run_sync(connector)

    assert log.status == SyncStatus.FAILED
    assert said in log.error_message and not vendor.requests


def test_clockify_s_last_page_header_true_ends_its_page_numbers_without_asking_past_it(
    vendor_server, make_connector
):
    vendor = vendor_server(Clockify, records=25)  # five full pages: only Last-Page tells the end
    connector = make_connector(
        **vendor.connector_fields(), pagination=Clockify.pagination(5), max_concurrent_requests=1
    )

    log = run_sync(connector)

    assert log.status == SyncStatus.SUCCESS, log.error_message
    assert log.records_created == 25
    assert [request["query"]["page"] for request in vendor.requests] == ["1", "2", "3", "4", "5"]
    assert any("the Last-Page header says this is the last page" in line for line in events(log))


def test_postmark_on_auto_fails_with_its_reason_that_count_and_offset_are_required(
    vendor_server, make_connector
):
    vendor = vendor_server(Postmark)
    connector = make_connector(**vendor.connector_fields())

    log = run_sync(connector)

    assert log.status == SyncStatus.FAILED
    assert "HTTP 422" in log.error_message
    assert "The 'count' and 'offset' query parameters are required." in log.error_message


def test_postmark_s_documented_offset_and_count_sync_every_message(vendor_server, make_connector):
    vendor = vendor_server(Postmark)
    connector = make_connector(**vendor.connector_fields(), pagination=Postmark.pagination(5))

    log = run_sync(connector)

    assert log.status == SyncStatus.SUCCESS, log.error_message
    assert log.records_created == 23
    assert _canonical(stored_records(connector).values()) == _canonical(vendor.all_records())
    assert all(request["query"]["count"] == "5" for request in vendor.requests)


@pytest.mark.parametrize(
    ("vendor_class", "pagination", "said"),
    [
        (Postmark, Postmark.pagination(5), "count + offset may not exceed 15"),
        (Aircall, None, "Lists are limited to 10000 items"),
    ],
    ids=["postmark", "aircall"],
)
def test_a_list_deeper_than_the_vendor_pages_fails_naming_the_cap_and_what_was_received(
    vendor_server, make_connector, vendor_class, pagination, said
):
    vendor = vendor_server(vendor_class)
    vendor.deepest = 15  # Postmark's count + offset and Aircall's 10,000, scaled down
    fields = vendor.connector_fields() | ({"pagination": pagination} if pagination else {})
    connector = make_connector(**fields, max_concurrent_requests=1)

    log = run_sync(connector)

    assert log.status == SyncStatus.FAILED
    assert "The upstream announced 23 records and the sync received 15" in log.error_message
    assert said in log.error_message
    assert SyncedRecord.objects.filter(connector=connector).count() == 15


@pytest.mark.parametrize("vendor_class", [Aircall, Vercel, DatadogLogs], ids=lambda cls: cls.name)
def test_a_429_waits_for_the_window_s_reset_and_asks_the_page_again(
    vendor_server, make_connector, settings, vendor_class
):
    # Retries without that wait (a quick backoff) would all fall inside the closed window.
    settings.MIGRATEIQ_HTTP_BACKOFF_BASE = 0.001
    settings.MIGRATEIQ_HTTP_MAX_ATTEMPTS = 3
    settings.MIGRATEIQ_HTTP_RETRY_AFTER_CAP = 5
    vendor = vendor_server(vendor_class)
    vendor.rate_limited_on_page = 2  # refused until the reset its headers name, 2-3 s ahead
    fields = vendor.connector_fields()
    if vendor_class is Vercel:
        fields["pagination"] = Vercel.pagination(5)
    connector = make_connector(**fields, max_concurrent_requests=1)

    log = run_sync(connector)

    assert log.status == SyncStatus.SUCCESS, log.error_message
    assert log.records_created == 23
    assert [request["status"] for request in vendor.requests] == [200, 429, 200, 200, 200, 200]
    assert vendor.requests[1]["query"] == vendor.requests[2]["query"]


@pytest.mark.parametrize(
    "vendor_class", [AmazonSellingPartnerOrders, RingCentralCallLog], ids=lambda c: c.name
)
def test_a_429_without_a_reset_is_retried_and_the_sync_completes(
    vendor_server, make_connector, settings, vendor_class
):
    settings.MIGRATEIQ_HTTP_BACKOFF_BASE = 0.001
    settings.MIGRATEIQ_HTTP_RETRY_AFTER_CAP = 2  # RingCentral's Retry-After: 1
    vendor = vendor_server(vendor_class)
    vendor.rate_limited_on_page = 3  # Amazon's QuotaExceeded; RingCentral's CMN-301 with Retry-After
    connector = make_connector(**vendor.connector_fields(), max_concurrent_requests=1)

    log = run_sync(connector)

    assert log.status == SyncStatus.SUCCESS, log.error_message
    assert log.records_created == 23
    assert [request["status"] for request in vendor.requests] == [200, 200, 429, 200, 200, 200]
    assert vendor.requests[2]["query"] == vendor.requests[3]["query"]


def test_vercel_s_documented_until_pagination_syncs_every_deployment(vendor_server, make_connector):
    vendor = vendor_server(Vercel)
    connector = make_connector(**vendor.connector_fields(), pagination=Vercel.pagination(5))

    log = run_sync(connector)

    assert log.status == SyncStatus.SUCCESS, log.error_message
    assert log.records_created == 23 and log.pages_fetched == 5
    created = [record["created"] for record in vendor.all_records()]
    assert [request["query"].get("until") for request in vendor.requests] == [
        None,
        *(str(created[end - 1]) for end in (5, 10, 15, 20)),
    ]


@pytest.mark.parametrize(
    ("vendor_class", "spoil", "said"),
    [
        (
            ZohoBooks,
            {"api_key": "Zoho-oauthtoken expired"},
            "You are not authorized to perform this operation",
        ),
        (ZohoBooks, {"query_params": {"organization_id": "1"}}, "This user is not associated with the"),
        (AmazonSellingPartnerOrders, {"query_params": {"MarketplaceIds": "ATVPDKIKX0DER"}}, "InvalidInput"),
        (DatadogLogs, {"api_key": "0" * 32}, "Forbidden"),
        (ConstantContact, {"api_key": "expired"}, "Unauthorized"),
        (Clockify, {"api_key": "x" * 48}, "Api key does not exist"),
        (MixpanelExport, {"query_params": {"to_date": "2025-01-31"}}, "'from_date' is a required parameter"),
        (CopperPeopleSearch, {"api_key": "expired"}, "Invalid User or Token"),
        (SmartRecruitersCandidates, {"api_key": "DCRA1-expired"}, "Invalid or missing X-SmartToken"),
        (PersonioEmployees, {"api_key": "papi-expired"}, "The access token is invalid"),
        (OpsgenieAlerts, {"api_key": "GenieKey x"}, "Key format is not valid!"),
        (Wrike, {"api_key": "expired"}, "Access token is unknown or invalid"),
        (SquarespaceOrders, {"query_params": {}}, "modifiedAfter and modifiedBefore must both be specified"),
    ],
    ids=[
        "zoho-books-token",
        "zoho-books-organization",
        "amazon",
        "datadog",
        "constant-contact",
        "clockify",
        "mixpanel",
        "copper",
        "smartrecruiters",
        "personio",
        "opsgenie",
        "wrike",
        "squarespace",
    ],
)
def test_a_vendor_s_error_answer_fails_the_sync_with_its_message_storing_nothing(
    vendor_server, make_connector, vendor_class, spoil, said
):
    vendor = vendor_server(vendor_class)
    connector = make_connector(**(vendor.connector_fields() | spoil))

    log = run_sync(connector)

    assert log.status == SyncStatus.FAILED
    assert said in log.error_message, log.error_message
    assert not SyncedRecord.objects.filter(connector=connector).exists()


def test_an_amazon_selling_partner_list_of_one_page_is_read_as_its_orders_not_one_record(
    vendor_server, make_connector
):
    vendor = vendor_server(AmazonSellingPartnerOrders, records=3)  # no NextToken: the last page alone
    connector = make_connector(**vendor.connector_fields())

    log = run_sync(connector)

    assert log.status == SyncStatus.SUCCESS, log.error_message
    assert log.records_created == 3
    assert _canonical(stored_records(connector).values()) == _canonical(vendor.all_records())


# -- the twelfth round -----------------------------------------------------------------------------


def test_a_mixpanel_export_of_json_lines_stores_one_record_a_line(vendor_server, make_connector):
    vendor = vendor_server(MixpanelExport)
    connector = make_connector(**vendor.connector_fields())

    log = run_sync(connector)

    assert log.status == SyncStatus.SUCCESS, log.error_message
    assert log.records_created == 23 and log.pages_fetched == 1
    assert _canonical(stored_records(connector).values()) == _canonical(vendor.all_records())


def test_a_json_lines_body_with_a_line_cut_short_fails_naming_the_line_and_stores_nothing(
    vendor_server, make_connector
):
    vendor = vendor_server(MixpanelExport)
    vendor.broken_line = 7
    connector = make_connector(**vendor.connector_fields())

    log = run_sync(connector)

    assert log.status == SyncStatus.FAILED
    assert "JSON Lines (one JSON object a line) whose line 7 is not a JSON object" in log.error_message
    assert not SyncedRecord.objects.filter(connector=connector).exists()


def test_a_mixpanel_export_cut_at_its_limit_is_never_success(vendor_server, make_connector):
    vendor = vendor_server(MixpanelExport)
    fields = vendor.connector_fields()
    fields["query_params"] = {**fields["query_params"], "limit": "10"}
    connector = make_connector(**fields)

    log = run_sync(connector)

    assert log.status == SyncStatus.PARTIAL
    assert log.records_created == 10
    assert "exactly 10 records" in log.error_message and "limit=10" in log.error_message


@pytest.mark.parametrize(
    ("vendor_class", "rate_limit", "statuses"),
    [
        (MixpanelExport, {"rate_limited": 1}, [429, 200]),
        (PersonioEmployees, {"rate_limited_on_page": 2}, [200, 429, 200, 200, 200, 200]),
        (OpsgenieAlerts, {"rate_limited_on_page": 3}, [200, 200, 429, 200, 200, 200]),
        (Basecamp, {"rate_limited_on_page": 2}, [200, 429, 200, 200, 200]),
    ],
    ids=["mixpanel", "personio", "opsgenie", "basecamp"],
)
def test_a_twelfth_round_429_is_waited_for_and_the_sync_completes(
    vendor_server, make_connector, settings, vendor_class, rate_limit, statuses
):
    settings.MIGRATEIQ_HTTP_BACKOFF_BASE = 0.001
    settings.MIGRATEIQ_HTTP_MAX_ATTEMPTS = 3
    settings.MIGRATEIQ_HTTP_RETRY_AFTER_CAP = 3  # Basecamp's Retry-After: 1
    vendor = vendor_server(vendor_class)
    for name, value in rate_limit.items():
        setattr(vendor, name, value)
    connector = make_connector(**vendor.connector_fields(), max_concurrent_requests=1)

    log = run_sync(connector)

    assert log.status == SyncStatus.SUCCESS, log.error_message
    assert log.records_created == 23
    answered = [request["status"] for request in vendor.requests]
    # Basecamp's geared pages: a page asked for ahead of its Link header may be past the last
    assert answered[: len(statuses)] == statuses
    extra = answered[len(statuses) :]
    assert extra == [200] * len(extra) and len(extra) <= vendor.requests_past_the_end


def test_snowflake_rows_of_values_fail_the_sync_instead_of_storing_partition_zero(
    vendor_server, make_connector
):
    vendor = vendor_server(SnowflakeStatement)
    connector = make_connector(**vendor.connector_fields())

    log = run_sync(connector)

    assert log.status == SyncStatus.FAILED
    assert (
        "are lists of values" in log.error_message
        and '["1", "customer 1", "2025-01-01"]' in log.error_message
    )
    assert not SyncedRecord.objects.filter(connector=connector).exists()
    assert len(vendor.requests) == 1


def test_copper_s_documented_page_number_in_the_posted_body_syncs_every_person(vendor_server, make_connector):
    vendor = vendor_server(CopperPeopleSearch)
    connector = make_connector(
        **vendor.connector_fields(), pagination=CopperPeopleSearch.pagination(5), max_concurrent_requests=1
    )

    log = run_sync(connector)

    assert log.status == SyncStatus.SUCCESS, log.error_message
    assert log.records_created == 23
    assert _canonical(stored_records(connector).values()) == _canonical(vendor.all_records())
    assert [request["body"]["page_number"] for request in vendor.requests] == [1, 2, 3, 4, 5]
    assert all(request["body"]["page_size"] == 5 for request in vendor.requests)


def test_salesloft_s_metadata_paging_current_page_is_asked_for_as_page(vendor_server, make_connector):
    vendor = vendor_server(Salesloft)
    connector = make_connector(**vendor.connector_fields(), max_concurrent_requests=1)

    log = run_sync(connector)

    assert log.status == SyncStatus.SUCCESS, log.error_message
    assert [request["query"].get("page") for request in vendor.requests] == [None, "2", "3", "4", "5"]
    assert not any("current_page" in request["query"] for request in vendor.requests)


def test_teamwork_on_auto_says_its_has_more_is_unfollowed_and_its_documented_pages_sync_everything(
    vendor_server, make_connector
):
    vendor = vendor_server(TeamworkTasks)
    auto = make_connector(**vendor.connector_fields())

    log = run_sync(auto)

    assert log.status == SyncStatus.PARTIAL
    assert "meta.page.hasMore: true" in log.error_message

    vendor.requests.clear()
    configured = make_connector(
        **vendor.connector_fields(), pagination=TeamworkTasks.pagination(5), max_concurrent_requests=1
    )

    log = run_sync(configured)

    assert log.status == SyncStatus.SUCCESS, log.error_message
    assert log.records_created == 23
    assert [request["query"]["page"] for request in vendor.requests] == ["1", "2", "3", "4", "5"]


def test_a_squarespace_cursor_is_sent_without_the_first_request_s_filters(vendor_server, make_connector):
    vendor = vendor_server(SquarespaceOrders)
    connector = make_connector(**vendor.connector_fields())

    log = run_sync(connector)

    assert log.status == SyncStatus.SUCCESS, log.error_message
    assert set(vendor.requests[0]["query"]) == {"modifiedAfter", "modifiedBefore"}
    assert all(set(request["query"]) == {"cursor"} for request in vendor.requests[1:])


def test_basecamp_s_geared_pages_are_followed_by_their_link_header_to_the_last(vendor_server, make_connector):
    vendor = vendor_server(Basecamp)  # pages of 3, 5, 8, 8 records: a shorter page is no end
    connector = make_connector(**vendor.connector_fields())

    for _ in range(2):
        vendor.requests.clear()
        log = run_sync(connector)

        assert log.status == SyncStatus.SUCCESS, log.error_message
        assert log.pages_fetched == 4
        assert _canonical(stored_records(connector).values()) == _canonical(vendor.all_records())
        assert 4 <= len(vendor.requests) <= 4 + vendor.requests_past_the_end
