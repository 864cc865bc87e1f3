"""A seventeenth round of vendors' list endpoints (see ``vendors``): survey, social, chat, CI, hosting,
payments and search APIs whose envelopes the earlier rounds had not met (Pinterest's ``bookmark``,
Matrix's ``chunk`` and ``end`` token sent back as ``from``, Bitrise's ``paging.next`` slug sent back as
``next``, Linode's ``{"data", "page", "pages", "results"}``, Typesense's ``found`` beside ``out_of``,
Keap's next URL that is there on its last page too, Mattermost's bare list of 60 counted from page 0,
PocketBase's ``-1`` totals with ``skipTotal``, Snipe-IT's errors answered with HTTP 200, Matrix's
``retry_after_ms`` and Mastodon's ISO 8601 rate-limit reset, Recharge's cursor that takes no filter
beside it, Zulip's ``found_newest``, Podio's ``filtered`` beside its app's ``total``, BambooHR's
directory of two lists, Insightly's ``skip`` / ``top``, Telegram's flood limit in
``parameters.retry_after``). Left on ``auto`` a sync gets every record or ends ``PARTIAL`` (or
``FAILED``) naming what to configure; with the explicit configuration the README documents for each,
it gets every record."""

import pytest

from demo_extension.models import SyncedRecord, SyncStatus
from demo_extension.tests import sync_support
from demo_extension.tests.sync_support import RunEnds, events, run_sync, stores_exactly
from demo_extension.tests.vendors import (
    SEVENTEENTH_VENDORS,
    SEVENTEENTH_VENDORS_NOT_ON_AUTO,
    SEVENTEENTH_VENDORS_ON_AUTO,
    SEVENTEENTH_VENDORS_PAST_THE_END,
    BambooHrDirectory,
    BitriseApps,
    FreshserviceTickets,
    KeapContacts,
    LinodeInstances,
    MastodonAccountStatuses,
    MatrixRoomMessages,
    MattermostUsers,
    PinterestPins,
    PocketBaseRecords,
    PodioFilteredItems,
    RechargeCustomers,
    RocketChatUsers,
    SnipeItHardware,
    TelegramGetUpdates,
    TypesenseSearch,
    ZulipMessages,
)

fast_retries = sync_support.fast_retries

(
    test_auto_pagination_syncs_every_record_of_each_vendor_without_a_request_past_the_last_page,
    test_the_documented_explicit_pagination_syncs_every_record_of_each_vendor,
) = sync_support.vendor_round_tests(SEVENTEENTH_VENDORS_ON_AUTO, SEVENTEENTH_VENDORS, partial_last_page=False)


@pytest.mark.parametrize("vendor_class", SEVENTEENTH_VENDORS_PAST_THE_END, ids=lambda cls: cls.name)
def test_a_vendor_whose_end_only_a_short_page_tells_is_synced_whole_on_auto(
    vendor_server, make_connector, vendor_class
):
    vendor = vendor_server(vendor_class)
    connector = make_connector(**vendor.connector_fields())

    log = run_sync(connector)

    assert log.status == SyncStatus.SUCCESS, log.error_message
    assert stores_exactly(connector, vendor)
    assert 0 <= len(vendor.requests) - vendor.expected_pages() <= vendor.requests_past_the_end


@pytest.mark.parametrize(
    ("vendor_class", "parameter", "detected"),
    [
        # {"items", "bookmark"}: no cursor known, "none" detected, SUCCESS with the first 5 of 23
        (PinterestPins, "bookmark", "token at 'bookmark'"),
        # {"chunk", "start", "end"}: SUCCESS with the first 5 of 23
        (MatrixRoomMessages, "from", "Matrix-style end"),
        # paging {"total_item_count", "page_item_limit", "next": "<slug>"}: PARTIAL with the first page
        (BitriseApps, "next", "Bitrise-style paging.next"),
    ],
    ids=["pinterest", "matrix", "bitrise"],
)
def test_a_vendor_s_own_next_token_is_sent_back_under_its_own_parameter(
    vendor_server, make_connector, vendor_class, parameter, detected
):
    vendor = vendor_server(vendor_class)
    connector = make_connector(**vendor.connector_fields())

    log = run_sync(connector)

    assert log.status == SyncStatus.SUCCESS, log.error_message
    assert stores_exactly(connector, vendor)
    assert [parameter in request["query"] for request in vendor.requests] == [False, True, True, True, True]
    assert any(detected in line for line in events(log)), events(log)


@pytest.mark.parametrize(
    ("vendor_class", "size_param"),
    [
        # {"data", "page", "pages", "results"}: pages 6 and 7 were asked for, past the last
        (LinodeInstances, "page_size"),
        # {"found", "out_of", "page", "hits"}: pages 5 to 8 sent ahead, 3 past the last
        (TypesenseSearch, "per_page"),
    ],
    ids=["linode", "typesense"],
)
def test_a_page_count_or_total_beside_the_records_ends_the_pages_sent_ahead(
    vendor_server, make_connector, vendor_class, size_param
):
    vendor = vendor_server(vendor_class)
    connector = make_connector(**vendor.connector_fields(), max_concurrent_requests=4)

    log = run_sync(connector)

    assert log.status == SyncStatus.SUCCESS, log.error_message
    assert stores_exactly(connector, vendor)
    assert sorted(request["query"].get("page", "1") for request in vendor.requests) == [
        "1",
        "2",
        "3",
        "4",
        "5",
    ]


def test_keap_s_next_url_on_its_last_page_ends_at_the_count_it_announces(vendor_server, make_connector):
    vendor = vendor_server(KeapContacts)
    connector = make_connector(**vendor.connector_fields())

    log = run_sync(connector)

    # its next URL followed through 11 empty pages: PARTIAL ("answered 11 empty pages in a row") after
    # 16 requests, every record stored
    assert log.status == SyncStatus.SUCCESS, log.error_message
    assert stores_exactly(connector, vendor)
    assert [request["query"].get("offset", "0") for request in vendor.requests] == [
        "0",
        "5",
        "10",
        "15",
        "20",
    ]


test_a_vendor_whose_answers_cannot_prove_the_whole_list_ends_naming_what_to_configure = (
    sync_support.vendor_runs_end_test(
        [
            # 60 users, no total, link or flag: SUCCESS with 60 of 133
            RunEnds(
                MattermostUsers,
                SyncStatus.PARTIAL,
                ("exactly 60 records", '"type": "page"'),
                stored=60,
                records=133,
            ),
            # {"found_newest": false, "messages": [5 of 23]}: "none" detected, SUCCESS with 5 messages
            RunEnds(
                ZulipMessages,
                SyncStatus.PARTIAL,
                ("found_newest: false", '"cursor_param": "anchor"'),
                stored=5,
            ),
            # {"fields": [...], "employees": [...]}: stored whole as one record, SUCCESS
            RunEnds(
                BambooHrDirectory,
                SyncStatus.FAILED,
                ("fields (2 objects), employees (23 objects)", "records_path"),
                stored=0,
            ),
            RunEnds(
                TelegramGetUpdates, SyncStatus.PARTIAL, ("exactly 100 records",), stored=100, records=233
            ),
        ]
    )
)


def test_mattermost_s_pages_counted_from_zero_are_synced_whole_with_its_configuration(
    vendor_server, make_connector
):
    vendor = vendor_server(MattermostUsers, records=133)
    connector = make_connector(
        **vendor.connector_fields(),
        records_path="",
        pagination=vendor.pagination(60),
        max_concurrent_requests=1,
    )

    log = run_sync(connector)

    assert log.status == SyncStatus.SUCCESS, log.error_message
    assert stores_exactly(connector, vendor)
    assert [request["query"]["page"] for request in vendor.requests] == ["0", "1", "2"]


@pytest.mark.parametrize("records_path", ["", "rows"], ids=["auto", "explicit"])
def test_a_snipe_it_error_answered_with_http_200_fails_the_sync_with_its_message(
    vendor_server, make_connector, records_path
):
    vendor = vendor_server(SnipeItHardware)
    connector = make_connector(
        **{**vendor.connector_fields(), "query_params": {"status_id": "7"}},
        records_path=records_path,
        pagination=vendor.pagination(5) if records_path else {"type": "auto"},
    )

    log = run_sync(connector)

    assert log.status == SyncStatus.FAILED
    assert "Status label not found" in log.error_message
    assert not SyncedRecord.objects.filter(connector=connector).exists()


def test_pocketbase_s_skipped_totals_are_not_taken_for_an_empty_list(vendor_server, make_connector):
    vendor = vendor_server(PocketBaseRecords)
    connector = make_connector(**{**vendor.connector_fields(), "query_params": {"skipTotal": "1"}})

    log = run_sync(connector)

    # totalItems and totalPages -1
    assert log.status == SyncStatus.SUCCESS, log.error_message
    assert stores_exactly(connector, vendor)


@pytest.mark.parametrize(
    "vendor_class",
    [
        # 429 {"errcode": "M_LIMIT_EXCEEDED", "retry_after_ms"}, the wait in the body alone
        MatrixRoomMessages,
        # 429, X-RateLimit-Remaining: 0 and X-RateLimit-Reset an ISO 8601 time
        MastodonAccountStatuses,
        # 429, X-RateLimit-Remaining: 0 and X-RateLimit-Reset in epoch milliseconds
        RocketChatUsers,
    ],
    ids=lambda cls: cls.name,
)
def test_a_rate_limit_window_is_waited_for_as_long_as_the_vendor_says(
    vendor_server, make_connector, settings, vendor_class
):
    settings.MIGRATEIQ_HTTP_BACKOFF_BASE = 0.01  # a guess at the wait is over long before the window
    settings.MIGRATEIQ_HTTP_MAX_ATTEMPTS = 3
    settings.MIGRATEIQ_HTTP_RETRY_AFTER_CAP = 5
    vendor = vendor_server(vendor_class)
    vendor.rate_limited_on_page = 2  # closes the window for 1.5 s
    connector = make_connector(**vendor.connector_fields(), max_concurrent_requests=1)

    log = run_sync(connector)

    assert log.status == SyncStatus.SUCCESS, log.error_message
    assert stores_exactly(connector, vendor)
    assert [request["status"] for request in vendor.requests] == [200, 429, 200, 200, 200, 200]


def test_a_freshservice_429_is_waited_for_and_asked_again(vendor_server, make_connector, settings):
    settings.MIGRATEIQ_HTTP_RETRY_AFTER_CAP = 3
    vendor = vendor_server(FreshserviceTickets)
    vendor.rate_limited_on_page = 2  # 429, Retry-After: 1
    connector = make_connector(**vendor.connector_fields(), max_concurrent_requests=1)

    log = run_sync(connector)

    assert log.status == SyncStatus.SUCCESS, log.error_message
    assert stores_exactly(connector, vendor)
    assert [request["status"] for request in vendor.requests][:3] == [200, 429, 200]


def test_a_recharge_cursor_refused_beside_a_filter_fails_naming_the_cursor_url(vendor_server, make_connector):
    vendor = vendor_server(RechargeCustomers)
    connector = make_connector(**{**vendor.connector_fields(), "query_params": {"status": "ACTIVE"}})

    log = run_sync(connector)

    # "HTTP 422 ... after 1 attempt", neither Recharge's {"errors": "..."} nor what to configure
    assert log.status == SyncStatus.FAILED
    assert "Only limit may be sent with cursor" in log.error_message
    assert "names a next cursor (next_cursor)" in log.error_message and '"cursor_url"' in log.error_message


def test_recharge_s_cursor_sent_alone_to_its_endpoint_syncs_every_filtered_record(
    vendor_server, make_connector
):
    vendor = vendor_server(RechargeCustomers)
    connector = make_connector(
        **{**vendor.connector_fields(), "query_params": {"status": "ACTIVE"}},
        records_path="customers",
        pagination={**vendor.pagination(5), "cursor_url": vendor.path},
    )

    log = run_sync(connector)

    assert log.status == SyncStatus.SUCCESS, log.error_message
    assert stores_exactly(connector, vendor)
    assert [sorted(request["query"]) for request in vendor.requests] == [["limit", "status"]] + [
        ["cursor"]
    ] * 4


def test_keap_s_next_url_after_a_full_last_page_ends_at_the_empty_page(vendor_server, make_connector):
    vendor = vendor_server(KeapContacts, records=25)
    connector = make_connector(**vendor.connector_fields())

    log = run_sync(connector)

    assert log.status == SyncStatus.SUCCESS, log.error_message
    assert stores_exactly(connector, vendor)
    assert [request["query"].get("offset", "0") for request in vendor.requests] == [
        "0",
        "5",
        "10",
        "15",
        "20",
        "25",
    ]


@pytest.mark.parametrize("vendor_class", SEVENTEENTH_VENDORS_NOT_ON_AUTO, ids=lambda cls: cls.name)
def test_a_vendor_auto_cannot_read_ends_failed_or_partial_naming_what_to_configure(
    vendor_server, make_connector, vendor_class
):
    vendor = vendor_server(vendor_class)
    connector = make_connector(**vendor.connector_fields())

    log = run_sync(connector)

    assert log.status in (SyncStatus.FAILED, SyncStatus.PARTIAL)
    assert any(setting in log.error_message for setting in ("pagination", "records_path")), log.error_message
    assert SyncedRecord.objects.filter(connector=connector).count() < vendor.records


def test_zulip_s_history_read_backwards_on_auto_ends_partial_naming_found_oldest(
    vendor_server, make_connector
):
    vendor = vendor_server(ZulipMessages)
    query = {"anchor": "123", "num_before": "5", "num_after": "0"}
    connector = make_connector(**{**vendor.connector_fields(), "query_params": query})

    log = run_sync(connector)

    assert log.status == SyncStatus.PARTIAL
    assert "found_oldest: false" in log.error_message


def test_podio_s_filtered_count_is_the_total_of_a_filtered_list(vendor_server, make_connector):
    vendor = vendor_server(PodioFilteredItems)
    connector = make_connector(**vendor.connector_fields(), max_concurrent_requests=4)

    log = run_sync(connector)

    # {"total": 61 (the app's items), "filtered": 23, "items"}: offsets sent ahead to 65, PARTIAL
    # "announces 61 records but the sync received 23"
    assert log.status == SyncStatus.SUCCESS, log.error_message
    assert stores_exactly(connector, vendor)
    assert sorted(request["body"].get("offset", 0) for request in vendor.requests) == [0, 5, 10, 15, 20]


def test_a_telegram_flood_limit_is_waited_for_as_its_retry_after_parameter_says(
    vendor_server, make_connector, settings
):
    settings.MIGRATEIQ_HTTP_BACKOFF_BASE = 0.01  # a guess at the wait is over long before the window
    settings.MIGRATEIQ_HTTP_MAX_ATTEMPTS = 3
    settings.MIGRATEIQ_HTTP_RETRY_AFTER_CAP = 5
    vendor = vendor_server(TelegramGetUpdates)
    vendor.rate_limited_on_page = 1  # 429 {"ok": false, "parameters": {"retry_after": 2}}, for 1.5 s
    connector = make_connector(
        **vendor.connector_fields(),
        records_path="result",
        pagination=vendor.pagination(5),
        max_concurrent_requests=1,
    )

    log = run_sync(connector)

    # three 429s in a few milliseconds: FAILED, nothing stored
    assert log.status == SyncStatus.SUCCESS, log.error_message
    assert stores_exactly(connector, vendor)
    assert [request["status"] for request in vendor.requests][:2] == [429, 200]
