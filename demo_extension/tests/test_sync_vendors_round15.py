"""A fifteenth round of vendors' list endpoints (see ``vendors``): research, music, messaging, no-code,
e-commerce, infrastructure and accounting APIs whose envelopes the earlier rounds had not met (records
wrapped in ``message`` or in the body's only key, totals spelled ``Total``, ``TotalNumberOfRecords``,
``$total``, ``total-results`` or ``release-count``, a count of the records remaining, errors and rate
limits answered with HTTP 200 in a ``{"status", "message", "result"}`` envelope). Left on ``auto`` a
sync gets every record or ends ``FAILED`` naming what to configure; with the explicit configuration
the README documents for each, it gets every record."""

import pytest

from demo_extension.models import SyncedRecord, SyncStatus
from demo_extension.tests import sync_support
from demo_extension.tests.sync_support import (
    RunEnds,
    run_sync,
    stored_records,
    stores_exactly,
)
from demo_extension.tests.vendors import (
    FIFTEENTH_VENDORS,
    FIFTEENTH_VENDORS_ON_AUTO,
    BubbleDataApi,
    CampaignMonitorActiveSubscribers,
    CrossrefWorks,
    EtherscanTxList,
    KontentDeliveryItems,
    KubernetesPods,
    LastFmRecentTracks,
    MailjetContacts,
    MusicBrainzBrowseReleases,
    SageAccountingContacts,
    SemanticScholarPaperSearch,
    TelnyxPhoneNumbers,
)

fast_retries = sync_support.fast_retries


(
    test_auto_pagination_syncs_every_record_of_each_vendor_without_a_request_past_the_last_page,
    test_the_documented_explicit_pagination_syncs_every_record_of_each_vendor,
) = sync_support.vendor_round_tests(FIFTEENTH_VENDORS_ON_AUTO, FIFTEENTH_VENDORS, partial_last_page=False)


def test_crossref_s_works_inside_its_message_envelope_are_records_paged_by_offset_up_to_total_results(
    vendor_server, make_connector
):
    vendor = vendor_server(CrossrefWorks)
    connector = make_connector(**vendor.connector_fields(), max_concurrent_requests=1)

    log = run_sync(connector)

    # {"status": "ok", "message-type": "work-list", "message": {"items": [...], "total-results": 23}}:
    # it was stored as one record, SUCCESS
    assert log.status == SyncStatus.SUCCESS, log.error_message
    assert sorted(stored_records(connector)) == sorted(record["DOI"] for record in vendor.all_records())
    assert [request["query"].get("offset", "0") for request in vendor.requests] == [
        "0",
        "5",
        "10",
        "15",
        "20",
    ]


def test_crossref_s_deep_paging_cursor_on_every_page_ends_at_its_first_empty_page(
    vendor_server, make_connector
):
    vendor = vendor_server(CrossrefWorks)
    connector = make_connector(
        **vendor.explicit_fields(), records_path="message.items", pagination=vendor.pagination(10)
    )

    log = run_sync(connector)

    # message.next-cursor is in the last answer too: the list ends where a page holds no items
    assert log.status == SyncStatus.SUCCESS, log.error_message
    assert stores_exactly(connector, vendor)
    assert [request["query"]["cursor"] == "*" for request in vendor.requests] == [True, False, False, False]
    assert [request["query"]["rows"] for request in vendor.requests] == ["10"] * 4


def test_last_fm_s_tracks_wrapped_in_its_only_key_are_paged_by_the_string_counts_of_its_attr(
    vendor_server, make_connector
):
    vendor = vendor_server(LastFmRecentTracks)
    connector = make_connector(**vendor.connector_fields(), max_concurrent_requests=1)

    log = run_sync(connector)

    # {"recenttracks": {"track": [...], "@attr": {"page": "1", "totalPages": "5", ...}}}: it was one record
    assert log.status == SyncStatus.SUCCESS, log.error_message
    assert SyncedRecord.objects.filter(connector=connector).count() == 23
    assert [request["query"].get("page", "1") for request in vendor.requests] == ["1", "2", "3", "4", "5"]


@pytest.mark.parametrize(
    ("vendor_class", "parameter", "values"),
    [
        (CampaignMonitorActiveSubscribers, "page", ["1", "2", "3"]),  # PageNumber, NumberOfPages
        (SageAccountingContacts, "page", ["1", "2", "3", "4", "5"]),  # $page, $total
        (MailjetContacts, "Offset", ["0", "5", "10", "15", "20"]),  # Total (and Count, the page's)
    ],
    ids=["campaign-monitor", "sage-accounting", "mailjet"],
)
def test_totals_and_pages_spelled_in_other_cases_or_with_a_dollar_page_the_whole_list(
    vendor_server, make_connector, vendor_class, parameter, values
):
    vendor = vendor_server(vendor_class)
    connector = make_connector(**vendor.connector_fields(), max_concurrent_requests=1)

    log = run_sync(connector)

    # each ended SUCCESS with its first page alone
    assert log.status == SyncStatus.SUCCESS, log.error_message
    assert stores_exactly(connector, vendor)
    assert [request["query"].get(parameter, values[0]) for request in vendor.requests] == values


def test_musicbrainz_s_entity_count_and_offset_page_by_the_releases_each_answer_holds(
    vendor_server, make_connector
):
    vendor = vendor_server(MusicBrainzBrowseReleases)
    connector = make_connector(**vendor.connector_fields(), max_concurrent_requests=1)

    log = run_sync(connector)

    # {"release-count": 23, "release-offset": 0, "releases": [3 of them]}: a page holds at most 60
    # tracks, fewer releases than its limit; it ended SUCCESS with 3 records
    assert log.status == SyncStatus.SUCCESS, log.error_message
    assert stores_exactly(connector, vendor)
    offsets = [int(request["query"].get("offset", "0")) for request in vendor.requests]
    assert offsets == [0, 3, 6, 9, 12, 15, 18, 21]


def test_musicbrainz_s_503_past_its_rate_is_waited_for_and_asked_again(
    vendor_server, make_connector, settings
):
    settings.MIGRATEIQ_HTTP_RETRY_AFTER_CAP = 3
    vendor = vendor_server(MusicBrainzBrowseReleases)
    vendor.rate_limited_on_page = 1  # 503, Retry-After: 1
    connector = make_connector(
        **vendor.connector_fields(), records_path="releases", pagination=vendor.pagination(5)
    )

    log = run_sync(connector)

    assert log.status == SyncStatus.SUCCESS, log.error_message
    assert stores_exactly(connector, vendor)
    assert [request["status"] for request in vendor.requests][:2] == [503, 200]


def test_bubble_s_cursor_and_remaining_page_the_whole_list(vendor_server, make_connector):
    vendor = vendor_server(BubbleDataApi)
    connector = make_connector(**vendor.connector_fields(), max_concurrent_requests=1)

    log = run_sync(connector)

    # {"response": {"cursor": 0, "results": [...], "count": 5, "remaining": 18}}: SUCCESS with 5 before
    assert log.status == SyncStatus.SUCCESS, log.error_message
    assert stores_exactly(connector, vendor)
    assert [request["query"].get("cursor", "0") for request in vendor.requests] == [
        "0",
        "5",
        "10",
        "15",
        "20",
    ]


test_an_error_answered_with_http_200_fails_the_sync_with_its_message = sync_support.vendor_runs_end_test(
    [
        # HTTP 200 {"status": "0", "message": "NOTOK", "result": "Invalid API Key"}: it was stored as a
        # record, SUCCESS
        RunEnds(
            EtherscanTxList,
            SyncStatus.FAILED,
            ("NOTOK", "Invalid API Key"),
            stored=0,
            fields={"api_key": "not-the-key"},
        ),
    ]
)


def test_an_etherscan_rate_limit_answered_with_http_200_waits_and_asks_again(
    vendor_server, make_connector, settings
):
    settings.MIGRATEIQ_HTTP_RETRY_AFTER_CAP = 3
    vendor = vendor_server(EtherscanTxList)
    vendor.rate_limited = 1  # {"status": "0", "message": "NOTOK", "result": "Max rate limit reached"}
    connector = make_connector(**vendor.connector_fields())

    log = run_sync(connector)

    assert log.status == SyncStatus.SUCCESS, log.error_message
    assert stores_exactly(connector, vendor)
    assert len(vendor.requests) == 2


def test_an_etherscan_account_without_transactions_is_an_empty_list(vendor_server, make_connector):
    vendor = vendor_server(EtherscanTxList, records=0)
    connector = make_connector(**vendor.connector_fields())

    log = run_sync(connector)

    # {"status": "0", "message": "No transactions found", "result": []}: no error, no record
    assert log.status == SyncStatus.SUCCESS, log.error_message
    assert not SyncedRecord.objects.filter(connector=connector).exists()


def test_kontent_s_empty_next_page_ends_a_list_read_by_its_skip(vendor_server, make_connector):
    vendor = vendor_server(KontentDeliveryItems)
    connector = make_connector(
        **vendor.connector_fields(), pagination={"type": "auto", "size_param": "limit", "page_size": 10}
    )

    log = run_sync(connector)

    # {"pagination": {"skip": 20, "limit": 10, "count": 3, "next_page": ""}} on the last page
    assert log.status == SyncStatus.SUCCESS, log.error_message
    assert stores_exactly(connector, vendor)
    assert [request["query"].get("skip", "0") for request in vendor.requests] == ["0", "10", "20"]


def test_a_kubernetes_list_whose_continue_token_expired_fails_the_sync_with_its_status(
    vendor_server, make_connector
):
    vendor = vendor_server(KubernetesPods)
    vendor.expire_after = 2  # then 410 Gone, {"kind": "Status", "reason": "Expired", ...}
    connector = make_connector(
        **vendor.connector_fields(), records_path="items", pagination=vendor.pagination(5)
    )

    log = run_sync(connector)

    assert log.status == SyncStatus.FAILED
    assert "410" in log.error_message and "continue parameter is too old" in log.error_message
    assert [request["status"] for request in vendor.requests] == [200, 200, 410]


def test_telnyx_s_page_number_in_its_json_api_meta_is_asked_for_as_page_number_in_brackets(
    vendor_server, make_connector
):
    vendor = vendor_server(TelnyxPhoneNumbers)
    connector = make_connector(**vendor.connector_fields(), max_concurrent_requests=1)

    log = run_sync(connector)

    # {"data", "meta": {"page_number", "total_pages"}}: page_number=2 was page 1 again, FAILED
    assert log.status == SyncStatus.SUCCESS, log.error_message
    assert stores_exactly(connector, vendor)
    assert [request["query"].get("page[number]", "1") for request in vendor.requests] == [
        "1",
        "2",
        "3",
        "4",
        "5",
    ]


def test_a_kubernetes_list_asked_for_in_chunks_on_auto_follows_its_continue_token(
    vendor_server, make_connector
):
    vendor = vendor_server(KubernetesPods)
    connector = make_connector(
        **vendor.connector_fields(), pagination={"type": "auto", "size_param": "limit", "page_size": 10}
    )

    log = run_sync(connector)

    # metadata {"continue", "remainingItemCount": 13}: PARTIAL with the first 10 before
    assert log.status == SyncStatus.SUCCESS, log.error_message
    assert stores_exactly(connector, vendor)
    assert [bool(request["query"].get("continue")) for request in vendor.requests] == [False, True, True]


def test_a_semantic_scholar_429_without_retry_after_is_backed_off_and_asked_again(
    vendor_server, make_connector, fast_retries
):
    vendor = vendor_server(SemanticScholarPaperSearch)
    vendor.rate_limited_on_page = 2  # 429 {"message": "Too Many Requests. ...", "code": "429"}, no header
    connector = make_connector(**vendor.connector_fields(), max_concurrent_requests=1)

    log = run_sync(connector)

    assert log.status == SyncStatus.SUCCESS, log.error_message
    assert stores_exactly(connector, vendor)
    assert [request["status"] for request in vendor.requests] == [200, 429, 200, 200, 200, 200]
