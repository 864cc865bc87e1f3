"""A thirteenth round of vendors' list endpoints (see ``vendors``): open-data, content, payment and
mailing-list APIs whose envelopes the earlier rounds had not met. Left on ``auto`` a sync gets every
record or ends ``PARTIAL`` / ``FAILED`` naming what to configure; with the explicit configuration the
README documents for each, it gets every record; an error answered with HTTP 200 fails the run."""

import pytest

from demo_extension.models import SyncedRecord, SyncStatus
from demo_extension.tests import sync_support
from demo_extension.tests.sync_support import (
    RunEnds,
    events,
    fault_url,
    run_sync,
    serve_pages,
    stored_records,
    stores_exactly,
)
from demo_extension.tests.vendors import (
    THIRTEENTH_VENDORS,
    THIRTEENTH_VENDORS_ON_AUTO,
    ArcGISFeatureQuery,
    BlueskyListRecords,
    CircleCIPipelines,
    MediaWikiAllPages,
    NocoDBBases,
    RazorpayPayments,
    SocrataSoda,
    WorldBank,
)

fault_server = sync_support.fault_server
fault_server_process = sync_support.fault_server_process


(
    test_auto_pagination_syncs_every_record_of_each_vendor_without_a_request_past_the_last_page,
    test_the_documented_explicit_pagination_syncs_every_record_of_each_vendor,
) = sync_support.vendor_round_tests(THIRTEENTH_VENDORS_ON_AUTO, THIRTEENTH_VENDORS)


test_an_error_answered_with_http_200_fails_the_sync_with_its_message = sync_support.vendor_runs_end_test(
    [
        # [{"message": [{"id": "120", "key": "Invalid value", "value": ...}]}]
        RunEnds(
            WorldBank,
            SyncStatus.FAILED,
            ("The provided parameter value is not valid",),
            stored=0,
            attributes={"invalid_parameter": True},
        ),
    ]
)


def test_a_world_bank_page_is_read_as_its_records_not_as_its_metadata_and_a_list(
    vendor_server, make_connector
):
    vendor = vendor_server(WorldBank)
    connector = make_connector(**vendor.connector_fields(), pagination={"type": "none"})

    log = run_sync(connector)

    # one page of five countries: the [meta, records] pair is no list of two records
    assert log.records_created == 5, log.error_message
    assert sorted(stored_records(connector)) == ["C01", "C02", "C03", "C04", "C05"]


def test_arcgis_features_on_auto_are_paged_by_result_offset_while_the_transfer_limit_is_exceeded(
    vendor_server, make_connector
):
    vendor = vendor_server(ArcGISFeatureQuery)
    connector = make_connector(**vendor.connector_fields())

    log = run_sync(connector)

    # it ended PARTIAL with the first five features, naming exceededTransferLimit
    assert log.status == SyncStatus.SUCCESS, log.error_message
    assert sorted(stored_records(connector), key=int) == [str(number) for number in range(1, 24)]
    offsets = sorted(int(request["query"].get("resultOffset", 0)) for request in vendor.requests)
    assert offsets[:5] == [0, 5, 10, 15, 20]
    assert len(offsets) - 5 <= 3  # offsets sent ahead: only the flag's absence on the last page tells the end


@pytest.mark.parametrize(
    ("failure", "said", "kept"),
    [("error_on_page", "Error performing query operation", 10), ("api_key", "Invalid token.", 0)],
    ids=["midway", "invalid-token"],
)
def test_an_arcgis_error_answered_with_http_200_fails_the_sync_with_its_message(
    vendor_server, make_connector, failure, said, kept
):
    vendor = vendor_server(ArcGISFeatureQuery)
    fields = vendor.connector_fields()
    if failure == "error_on_page":
        vendor.error_on_page = 3  # {"error": {"code": 500, "message": ..., "details": ["Timeout"]}}
    else:
        fields["api_key"] = "AAPK-revoked"  # {"error": {"code": 498, "message": "Invalid token."}}
    connector = make_connector(
        **fields, records_path=vendor.records_path, pagination=vendor.pagination(vendor.page_size)
    )

    log = run_sync(connector)

    assert log.status == SyncStatus.FAILED
    assert "HTTP 200 with an error" in log.error_message and said in log.error_message, log.error_message
    assert SyncedRecord.objects.filter(connector=connector).count() == kept


test_a_vendor_whose_answers_cannot_prove_the_whole_list_ends_naming_what_to_configure = (
    sync_support.vendor_runs_end_test(
        [
            # {"entity": "collection", "count": 10, "items": [...]}: count is the page's, no total
            RunEnds(RazorpayPayments, SyncStatus.PARTIAL, ("holds exactly 10 records",), stored=10),
            # CircleCI takes next_page_token back as page-token only; a guessed name is page 1 again
            RunEnds(
                CircleCIPipelines,
                SyncStatus.FAILED,
                ("The cursor read at 'next_page_token' was sent back as 'page_token'",),
                stored=5,
            ),
        ]
    )
)


def test_a_socrata_bare_array_as_long_as_its_limit_ends_partial_on_auto(vendor_server, make_connector):
    vendor = vendor_server(SocrataSoda)
    pagination = {"type": "auto", "size_param": "$limit", "page_size": 5}
    connector = make_connector(**vendor.connector_fields(), pagination=pagination)

    log = run_sync(connector)

    assert log.status == SyncStatus.PARTIAL
    assert "as many as a page holds (pagination.page_size 5)" in log.error_message, log.error_message


def test_nocodb_s_whole_list_without_a_limit_is_complete_by_its_total_rows(vendor_server, make_connector):
    vendor = vendor_server(NocoDBBases)
    connector = make_connector(**vendor.connector_fields())

    log = run_sync(connector)

    # {"list": [23 bases], "pageInfo": {"totalRows": 23, "pageSize": 23}}
    assert log.status == SyncStatus.SUCCESS, log.error_message
    assert log.records_created == 23 and len(vendor.requests) == 1


def test_nocodb_s_capped_page_size_moves_the_offset_by_the_size_it_served(vendor_server, make_connector):
    vendor = vendor_server(NocoDBBases)
    connector = make_connector(
        **vendor.connector_fields(),
        records_path="list",
        pagination=vendor.pagination(100),  # capped at 5 by the deployment
        max_concurrent_requests=1,
    )

    log = run_sync(connector)

    assert log.status == SyncStatus.SUCCESS, log.error_message
    assert stores_exactly(connector, vendor)
    assert [request["query"]["offset"] for request in vendor.requests] == ["0", "5", "10", "15", "20"]


def test_a_mediawiki_error_answered_with_http_200_fails_the_sync_with_its_info(vendor_server, make_connector):
    vendor = vendor_server(MediaWikiAllPages)
    fields = vendor.connector_fields()
    fields["query_params"] = {**fields["query_params"], "continue": "stale"}
    connector = make_connector(**fields)

    log = run_sync(connector)

    # {"error": {"code": "badcontinue", "info": ...}, "servedby": "mw1"}
    assert log.status == SyncStatus.FAILED
    assert "Invalid continue param" in log.error_message, log.error_message
    assert not SyncedRecord.objects.filter(connector=connector).exists()


def test_a_mediawiki_list_whose_last_answer_is_full_ends_without_its_continue_object(
    vendor_server, make_connector
):
    vendor = vendor_server(MediaWikiAllPages, records=20)  # two full answers of 10
    connector = make_connector(**vendor.connector_fields())

    log = run_sync(connector)

    assert log.status == SyncStatus.SUCCESS, log.error_message
    assert log.records_created == 20 and len(vendor.requests) == 2


def test_a_bluesky_429_waits_for_its_ratelimit_reset_and_asks_the_page_again(
    vendor_server, make_connector, settings
):
    settings.MIGRATEIQ_HTTP_RETRY_AFTER_CAP = 3
    vendor = vendor_server(BlueskyListRecords)
    vendor.rate_limited_on_page = 2  # ratelimit-remaining: 0, ratelimit-reset: <epoch seconds>
    connector = make_connector(**vendor.connector_fields(), max_concurrent_requests=1)

    log = run_sync(connector)

    assert log.status == SyncStatus.SUCCESS, log.error_message
    assert log.records_created == 23
    assert [request["status"] for request in vendor.requests] == [200, 429, 200, 200, 200, 200]
    assert vendor.requests[1]["query"] == vendor.requests[2]["query"]


def test_a_configured_more_flag_beside_lists_no_rule_knows_fails_instead_of_storing_the_page_as_a_record(
    fault_server, make_connector
):
    # An ArcGIS-like layer whose records list has a name of its own beside its "fields": without a
    # records_path each page would be one record, and the configured flag says more pages follow.
    page = {"fields": [{"name": "OBJECTID"}], "parcels": [{"id": 1}, {"id": 2}], "moreParcels": True}
    serve_pages(fault_server, {"1": page})
    connector = make_connector(
        api_endpoint=fault_url(fault_server),
        auth_type="none",
        pagination={"type": "page", "has_more_path": "moreParcels"},
    )

    log = run_sync(connector)

    assert log.status == SyncStatus.FAILED
    assert "moreParcels: true" in log.error_message and "parcels" in log.error_message, log.error_message
    assert not SyncedRecord.objects.filter(connector=connector).exists()


def test_a_mediawiki_maxlag_answer_waits_its_retry_after_and_asks_the_same_page_again(
    vendor_server, make_connector, settings
):
    settings.MIGRATEIQ_HTTP_RETRY_AFTER_CAP = 3
    vendor = vendor_server(MediaWikiAllPages)
    vendor.lagged_answers = 2  # HTTP 200, Retry-After: 1, {"error": {"code": "maxlag", ...}}
    fields = vendor.connector_fields()
    fields["query_params"] = {**fields["query_params"], "maxlag": "5"}  # as the manual recommends for bots
    connector = make_connector(**fields, max_concurrent_requests=1)

    log = run_sync(connector)

    assert log.status == SyncStatus.SUCCESS, log.error_message
    assert log.records_created == 23 and SyncedRecord.objects.filter(connector=connector).count() == 23
    second, lagged, again = vendor.requests[1], vendor.requests[2], vendor.requests[3]
    assert second["query"] == lagged["query"] == again["query"]
    assert vendor.answered_at[3] - vendor.answered_at[2] >= 0.9  # Retry-After: 1 waited, not asked at once
    assert any("Waiting for db1001: 7 seconds lagged" in line for line in events(log)), events(log)


def test_a_mediawiki_lag_that_does_not_clear_fails_the_sync_naming_it_after_the_retries(
    vendor_server, make_connector, settings
):
    settings.MIGRATEIQ_HTTP_RETRY_AFTER_CAP = 3
    settings.MIGRATEIQ_HTTP_MAX_ATTEMPTS = 3
    vendor = vendor_server(MediaWikiAllPages)
    vendor.lagged_answers = 100
    fields = vendor.connector_fields()
    fields["query_params"] = {**fields["query_params"], "maxlag": "5"}
    connector = make_connector(**fields, max_concurrent_requests=1)

    log = run_sync(connector)

    assert log.status != SyncStatus.SUCCESS
    assert "seconds lagged" in log.error_message and "maxlag" in log.error_message, log.error_message
    assert SyncedRecord.objects.filter(connector=connector).count() == 10  # the first answer only
