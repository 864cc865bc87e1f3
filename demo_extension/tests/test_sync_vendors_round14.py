"""A fourteenth round of vendors' list endpoints (see ``vendors``): CRM, analytics, ads, commerce,
content and marketing APIs whose envelopes the earlier rounds had not met (offsets and page numbers in
a POSTed body, totals named rowCount or numFound, next_uri paths, records and paging wrapped together
in ``data``). Left on ``auto`` a sync gets every record or ends ``PARTIAL`` / ``FAILED`` naming what to
configure; with the explicit configuration the README documents for each, it gets every record."""

import pytest

from demo_extension.models import SyncedRecord, SyncStatus
from demo_extension.tests import sync_support
from demo_extension.tests.sync_support import (
    RunEnds,
    events,
    run_sync,
    stored_records,
    stores_exactly,
)
from demo_extension.tests.vendors import (
    FOURTEENTH_VENDORS,
    FOURTEENTH_VENDORS_ON_AUTO,
    ApolloPeopleSearch,
    AttioRecordsQuery,
    BinanceAggTrades,
    CoinbaseAccounts,
    DataverseAccounts,
    DirectusItems,
    GoogleAdsSearch,
    GoogleAnalyticsRunReport,
    OpenLibrarySearch,
    PublicVendor,
    SegmentSources,
)

(
    test_auto_pagination_syncs_every_record_of_each_vendor_without_a_request_past_the_last_page,
    test_the_documented_explicit_pagination_syncs_every_record_of_each_vendor,
) = sync_support.vendor_round_tests(FOURTEENTH_VENDORS_ON_AUTO, FOURTEENTH_VENDORS)
PARTIAL, FAILED = SyncStatus.PARTIAL, SyncStatus.FAILED


def test_a_google_analytics_report_on_auto_pages_by_offsets_in_the_posted_body_up_to_its_row_count(
    vendor_server, make_connector
):
    vendor = vendor_server(GoogleAnalyticsRunReport)
    connector = make_connector(**vendor.connector_fields(), max_concurrent_requests=1)

    log = run_sync(connector)

    # {"rows": [5 rows], "rowCount": 23, ...}: rowCount counts the report, not the answer
    assert log.status == SyncStatus.SUCCESS, log.error_message
    assert log.records_created == 23
    assert [request["body"].get("offset", 0) for request in vendor.requests] == [0, 5, 10, 15, 20]
    assert all(request["body"]["metrics"] == vendor.body["metrics"] for request in vendor.requests)


def test_open_library_s_search_on_auto_pages_by_its_offset_parameter_not_solr_s_start(
    vendor_server, make_connector
):
    vendor = vendor_server(OpenLibrarySearch)
    connector = make_connector(**vendor.connector_fields(), max_concurrent_requests=1)

    log = run_sync(connector)

    # {"numFound": 23, "start": 0, "offset": null, "docs": [...]}: "start" is no parameter it takes
    assert log.status == SyncStatus.SUCCESS, log.error_message
    assert [request["query"].get("offset", "0") for request in vendor.requests] == [
        "0",
        "5",
        "10",
        "15",
        "20",
    ]
    assert not any("start" in request["query"] for request in vendor.requests)


def test_segment_s_sources_and_paging_wrapped_in_data_are_records_and_a_cursor(vendor_server, make_connector):
    vendor = vendor_server(SegmentSources)
    connector = make_connector(**vendor.connector_fields(), max_concurrent_requests=1)

    log = run_sync(connector)

    # {"data": {"sources": [...], "pagination": {"current", "next", "totalEntries"}}}: not one record
    assert log.status == SyncStatus.SUCCESS, log.error_message
    assert sorted(stored_records(connector)) == sorted(record["id"] for record in vendor.all_records())
    cursors = [request["query"].get("pagination.cursor") for request in vendor.requests]
    assert cursors[0] is None and len(set(cursors[1:])) == 4


def test_coinbase_s_next_uri_path_is_followed_on_auto(vendor_server, make_connector):
    vendor = vendor_server(CoinbaseAccounts)
    connector = make_connector(**vendor.connector_fields(), max_concurrent_requests=1)

    log = run_sync(connector)

    assert log.status == SyncStatus.SUCCESS, log.error_message
    assert log.records_created == 23
    assert [bool(request["query"].get("starting_after")) for request in vendor.requests] == [False] + [
        True
    ] * 4


test_a_vendor_whose_answers_cannot_prove_the_whole_list_ends_naming_what_to_configure = (
    sync_support.vendor_runs_end_test(
        [
            RunEnds(ApolloPeopleSearch, FAILED, ("breadcrumbs, people", "records_path"), stored=0),
            # {"data": [...]} and nothing else: Directus unless meta=filter_count is asked for, Attio always
            RunEnds(DirectusItems, PARTIAL, ("exactly 100 records",), stored=100, records=101),
            RunEnds(AttioRecordsQuery, PARTIAL, ("exactly 500 records",), stored=500, records=501),
            # a bare array of 500 trades, no total nor cursor
            RunEnds(BinanceAggTrades, PARTIAL, ("exactly 500 records",), stored=500),
        ]
    )
)


def test_a_directus_collection_with_its_filter_count_is_read_whole(vendor_server, make_connector):
    vendor = vendor_server(DirectusItems, records=123)
    connector = make_connector(
        **vendor.explicit_fields(), records_path="data", pagination=vendor.pagination(100)
    )

    log = run_sync(connector)

    assert log.status == SyncStatus.SUCCESS, log.error_message
    assert log.records_created == 123
    assert stores_exactly(connector, vendor)


def test_attio_offsets_go_in_the_posted_query_with_its_sorts(vendor_server, make_connector):
    vendor = vendor_server(AttioRecordsQuery)
    connector = make_connector(
        **vendor.connector_fields(),
        records_path="data",
        pagination=vendor.pagination(10),
        max_concurrent_requests=1,
    )

    log = run_sync(connector)

    assert log.status == SyncStatus.SUCCESS, log.error_message
    assert [(request["body"]["offset"], request["body"]["limit"]) for request in vendor.requests] == [
        (0, 10),
        (10, 10),
        (20, 10),
    ]
    assert all(request["body"]["sorts"] for request in vendor.requests)


def test_a_page_size_google_ads_refuses_fails_the_sync_with_its_error(vendor_server, make_connector):
    vendor = vendor_server(GoogleAdsSearch)
    connector = make_connector(
        **vendor.connector_fields(),
        pagination={
            "type": "cursor",
            "cursor_path": "nextPageToken",
            "cursor_param": "pageToken",
            "size_param": "pageSize",
            "page_size": 1000,
        },
    )

    log = run_sync(connector)

    # HTTP 400 {"error": {"status": "INVALID_ARGUMENT", "details": [{... PAGE_SIZE_NOT_SUPPORTED}]}}
    assert log.status == SyncStatus.FAILED
    assert "400" in log.error_message and "invalid argument" in log.error_message.lower(), log.error_message
    assert not SyncedRecord.objects.filter(connector=connector).exists()


def test_a_dataverse_429_waits_for_its_retry_after_and_asks_the_page_again(
    vendor_server, make_connector, settings
):
    settings.MIGRATEIQ_HTTP_RETRY_AFTER_CAP = 3
    vendor = vendor_server(DataverseAccounts)
    vendor.rate_limited_on_page = 2  # 429, Retry-After: 1, {"error": {"code": "0x80072322", ...}}
    connector = make_connector(**vendor.connector_fields(), max_concurrent_requests=1)

    log = run_sync(connector)

    assert log.status == SyncStatus.SUCCESS, log.error_message
    assert log.records_created == 23
    assert [request["status"] for request in vendor.requests] == [200, 429, 200, 200, 200, 200]
    assert vendor.requests[1]["query"] == vendor.requests[2]["query"]


def test_dataverse_s_page_size_goes_in_its_prefer_header(vendor_server, make_connector):
    vendor = vendor_server(DataverseAccounts)
    connector = make_connector(
        **vendor.connector_fields(),
        request_headers={"Prefer": "odata.maxpagesize=10"},
        pagination=vendor.pagination(10),
    )

    log = run_sync(connector)

    assert log.status == SyncStatus.SUCCESS, log.error_message
    assert log.records_created == 23 and len(vendor.requests) == 3


def test_binance_s_inclusive_from_id_reads_every_trade_once_and_ends_on_its_own_record(
    vendor_server, make_connector
):
    vendor = vendor_server(BinanceAggTrades)
    fields = vendor.connector_fields()
    fields["query_params"] = {**fields["query_params"], "fromId": "0"}  # else the most recent trades
    connector = make_connector(**fields, pagination=vendor.pagination(300), max_concurrent_requests=1)

    log = run_sync(connector)

    # fromId is inclusive: each page starts with the last trade of the page before
    assert log.status == SyncStatus.SUCCESS, log.error_message
    assert (log.records_processed, log.records_created) == (1001, 1001)
    assert stores_exactly(connector, vendor)
    assert [request["query"].get("fromId") for request in vendor.requests] == [
        "0",
        "26428",
        "26727",
        "27026",
        "27129",
    ]
    assert any("read inclusively" in line for line in events(log))


@pytest.mark.parametrize("pagination", ["auto", "explicit"])
def test_a_google_analytics_report_without_rows_is_an_empty_page_not_a_record(
    vendor_server, make_connector, pagination
):
    vendor = vendor_server(GoogleAnalyticsRunReport, records=0)
    fields = vendor.connector_fields()
    if pagination == "explicit":
        fields.update(records_path="rows", pagination=vendor.pagination(5))
    connector = make_connector(**fields)

    log = run_sync(connector)

    # {"dimensionHeaders", "metricHeaders", "metadata", "kind": "analyticsData#runReport"}: no rows key
    assert log.status == SyncStatus.SUCCESS, log.error_message
    assert not SyncedRecord.objects.filter(connector=connector).exists()
    assert len(vendor.requests) == 1


class InclusiveTimestamps(PublicVendor):
    """An API listing events oldest first by ``ts`` (then ``id``) that continues from a timestamp
    inclusively (``fromTs``), as Binance's ``fromId`` does from an id. Event 0 is written upstream
    with the timestamp the first page ended on, right after that page was answered."""

    name = "inclusive-timestamps"
    path = "/events"
    records = 9
    page_size = 3
    max_page_size = 3
    written = False

    def record(self, number):
        return {"id": number, "ts": 10 * number}

    def respond(self, path, query, headers):
        rows = self.all_records() + ([{"id": 0, "ts": 30}] if self.written else [])
        rows.sort(key=lambda row: (row["ts"], row["id"]))
        since = int(query.get("fromTs", "0"))
        self.written = True
        return 200, {}, [row for row in rows if row["ts"] >= since][: self.size(query, "limit")]


def test_an_inclusive_cursor_skips_only_the_record_it_names_not_another_with_its_value(
    vendor_server, make_connector
):
    vendor = vendor_server(InclusiveTimestamps)
    pagination = {
        "type": "cursor",
        "cursor_from": "last_record",
        "cursor_field": "ts",
        "cursor_param": "fromTs",
        "size_param": "limit",
        "page_size": 3,
    }
    connector = make_connector(**vendor.connector_fields(), pagination=pagination, max_concurrent_requests=1)

    log = run_sync(connector)

    # the second page starts with event 0 (ts 30, written meanwhile), not with event 3 that the cursor
    # named: event 0 is stored, event 3 read again
    assert log.status == SyncStatus.SUCCESS, log.error_message
    stored = SyncedRecord.objects.filter(connector=connector).values_list("external_id", flat=True)
    assert sorted(stored, key=int) == [str(number) for number in range(10)]
    assert [request["query"].get("fromTs") for request in vendor.requests][:3] == [None, "30", "40"]
