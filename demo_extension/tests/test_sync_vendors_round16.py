"""A sixteenth round of vendors' list endpoints (see ``vendors``): healthcare (FHIR), developer tools,
CRM, research, media and open-data APIs whose envelopes the earlier rounds had not met (a FHIR
Bundle's ``entry`` and its ``link`` list of ``{"relation", "url"}``, records two objects down in
Europe PMC's ``resultList.result`` with a Solr ``cursorMark``, the Guardian's answer wrapped whole in
``response``, Travis CI's ``@pagination.next.@href``, SugarCRM's ``next_offset`` of -1, Bitbucket Data
Center's ``nextPageStart``, Companies House's ``start_index``, mongoose-paginate's ``docs`` and
``nextPage`` (the SpaceX API's, its page in the POSTed ``options``), SonarQube's ``paging.pageIndex``
asked for as ``p``, OMDb's ``{"Response": "False", "Error"}`` and Google Maps Platform's status codes
answered with HTTP 200, a Google Places ``next_page_token`` valid only a while after it is issued).
Left on ``auto`` a sync gets every record or ends ``FAILED`` (or ``PARTIAL``) naming what to
configure; with the explicit configuration the README documents for each, it gets every record."""

import pytest

from demo_extension.models import SyncedRecord, SyncStatus
from demo_extension.tests import sync_support
from demo_extension.tests.sync_support import RunEnds, events, fault_url, run_sync, stored_ids, stores_exactly
from demo_extension.tests.vendors import (
    SIXTEENTH_VENDORS,
    SIXTEENTH_VENDORS_NOT_ON_AUTO,
    SIXTEENTH_VENDORS_ON_AUTO,
    BitbucketDataCenterRepos,
    BubbleDataApi,
    CompaniesHouseSearch,
    EuropePmcSearch,
    FhirPatientSearch,
    GooglePlacesTextSearch,
    GuardianContentSearch,
    LaunchDarklyMembers,
    OmdbSearch,
    SonarQubeIssues,
    SpaceXLaunchesQuery,
    SugarCrmContacts,
    TravisCiBuilds,
)

fast_retries = sync_support.fast_retries
fault_server = sync_support.fault_server
fault_server_process = sync_support.fault_server_process


(
    test_auto_pagination_syncs_every_record_of_each_vendor_without_a_request_past_the_last_page,
    test_the_documented_explicit_pagination_syncs_every_record_of_each_vendor,
) = sync_support.vendor_round_tests(SIXTEENTH_VENDORS_ON_AUTO, SIXTEENTH_VENDORS, partial_last_page=False)


def test_a_fhir_bundle_s_entries_are_the_records_and_its_next_link_relation_is_followed(
    vendor_server, make_connector
):
    vendor = vendor_server(FhirPatientSearch)
    connector = make_connector(**vendor.connector_fields(), max_concurrent_requests=1)

    log = run_sync(connector)

    # {"resourceType": "Bundle", "link": [{"relation": "next", "url"}], "entry": [...]}: the Bundle was
    # stored as one record, SUCCESS
    assert log.status == SyncStatus.SUCCESS, log.error_message
    assert stores_exactly(connector, vendor)
    assert [request["path"] for request in vendor.requests] == ["/fhir/R4/Patient"] + ["/fhir/R4"] * 4
    assert [request["query"].get("_getpagesoffset") for request in vendor.requests[1:]] == [
        "5",
        "10",
        "15",
        "20",
    ]


def test_europe_pmc_s_results_two_objects_down_are_paged_by_its_cursor_mark_to_the_echoed_one(
    vendor_server, make_connector
):
    vendor = vendor_server(EuropePmcSearch)
    connector = make_connector(**vendor.connector_fields())

    log = run_sync(connector)

    # {"hitCount", "nextCursorMark", "resultList": {"result": [...]}}: stored as one record, SUCCESS
    assert log.status == SyncStatus.SUCCESS, log.error_message
    assert stores_exactly(connector, vendor)
    marks = [request["query"].get("cursorMark", "*") for request in vendor.requests]
    assert marks[0] == "*" and len(set(marks)) == 6  # the sixth answer echoes its mark: the end


def test_the_guardian_s_paging_inside_its_response_object_pages_the_whole_list(vendor_server, make_connector):
    vendor = vendor_server(GuardianContentSearch)
    connector = make_connector(**vendor.connector_fields())

    log = run_sync(connector)

    # {"response": {"status": "ok", "currentPage", "pages", "results": [...]}}: SUCCESS with page 1 only
    assert log.status == SyncStatus.SUCCESS, log.error_message
    assert stores_exactly(connector, vendor)
    assert sorted(request["query"].get("page", "1") for request in vendor.requests) == [
        "1",
        "2",
        "3",
        "4",
        "5",
    ]


@pytest.mark.parametrize(
    ("vendor_class", "parameter"),
    [
        # {"@pagination": {"is_last", "next": {"@href"}}, "builds": [...]}: SUCCESS with the first page only
        (TravisCiBuilds, "offset"),
        # next_offset -1 on the last page: offset=-1 was asked for, answered as the first page again,
        # and the run FAILED with every record stored
        (SugarCrmContacts, "offset"),
        # nextPageStart: offsets were sent ahead by 'start', 8 requests, 3 past the last page (only
        # isLastPage told the end)
        (BitbucketDataCenterRepos, "start"),
    ],
    ids=["travis-ci", "sugarcrm", "bitbucket-data-center"],
)
def test_a_vendor_s_own_next_position_pages_the_whole_list_and_no_further(
    vendor_server, make_connector, vendor_class, parameter
):
    vendor = vendor_server(vendor_class)
    connector = make_connector(**vendor.connector_fields())

    log = run_sync(connector)

    assert log.status == SyncStatus.SUCCESS, log.error_message
    assert stores_exactly(connector, vendor)
    assert [request["query"].get(parameter, "0") for request in vendor.requests] == [
        "0",
        "5",
        "10",
        "15",
        "20",
    ]


@pytest.mark.parametrize("records_path", ["", "Search"], ids=["auto", "explicit"])
def test_an_omdb_error_answered_with_http_200_fails_the_sync_with_its_cause(
    vendor_server, make_connector, records_path
):
    vendor = vendor_server(OmdbSearch)
    fields = {**vendor.connector_fields(), "query_params": {"s": "a"}}  # too broad a search
    connector = make_connector(**fields, records_path=records_path, pagination=vendor.pagination(10))

    log = run_sync(connector)

    # {"Response": "False", "Error": "Too many results."}, HTTP 200: stored as a record, SUCCESS (auto)
    assert log.status == SyncStatus.FAILED
    assert "Response: False" in log.error_message and "Too many results." in log.error_message
    assert not SyncedRecord.objects.filter(connector=connector).exists()


@pytest.mark.parametrize("vendor_class", SIXTEENTH_VENDORS_NOT_ON_AUTO, ids=lambda cls: cls.name)
def test_a_vendor_auto_cannot_page_ends_failed_or_partial_naming_what_to_configure(
    vendor_server, make_connector, vendor_class
):
    vendor = vendor_server(vendor_class)
    connector = make_connector(**vendor.connector_fields())

    log = run_sync(connector)

    assert log.status in (SyncStatus.FAILED, SyncStatus.PARTIAL)
    named = ("pagination", "records_path", "max_requests_per_second")
    assert any(setting in log.error_message for setting in named), log.error_message
    assert SyncedRecord.objects.filter(connector=connector).count() < vendor.records


def test_a_launchdarkly_429_is_waited_for_and_asked_again(vendor_server, make_connector, settings):
    settings.MIGRATEIQ_HTTP_RETRY_AFTER_CAP = 3
    vendor = vendor_server(LaunchDarklyMembers)
    vendor.rate_limited_on_page = 2  # 429, Retry-After: 1, X-Ratelimit-Reset in epoch milliseconds
    connector = make_connector(**vendor.connector_fields(), max_concurrent_requests=1)

    log = run_sync(connector)

    assert log.status == SyncStatus.SUCCESS, log.error_message
    assert stores_exactly(connector, vendor)
    assert [request["status"] for request in vendor.requests] == [200, 429, 200, 200, 200, 200]


def test_bubble_s_count_beside_its_remaining_is_the_page_s_not_the_list_s(vendor_server, make_connector):
    vendor = vendor_server(BubbleDataApi)
    connector = make_connector(**vendor.connector_fields())

    log = run_sync(connector)

    # once the response object was read as paging metadata (the Guardian's), its count (the page's
    # five) was taken for the total: SUCCESS with the first page alone
    assert log.status == SyncStatus.SUCCESS, log.error_message
    assert stores_exactly(connector, vendor)
    assert any("remaining" in line or "Detected" in line for line in events(log))


def test_a_google_places_token_asked_for_too_soon_fails_the_sync_naming_the_request_budget(
    vendor_server, make_connector
):
    vendor = vendor_server(GooglePlacesTextSearch)
    connector = make_connector(
        **vendor.connector_fields(), records_path="results", pagination=vendor.pagination(20)
    )

    log = run_sync(connector)

    # HTTP 200 {"results": [], "status": "INVALID_REQUEST"} for the token used at once: an empty last
    # page, SUCCESS with 20 of 23
    assert log.status == SyncStatus.FAILED
    assert "INVALID_REQUEST" in log.error_message and "max_requests_per_second" in log.error_message
    assert [request["query"].get("pagetoken") is None for request in vendor.requests] == [True, False]


def test_google_places_on_auto_with_a_request_budget_pages_by_its_pagetoken(vendor_server, make_connector):
    vendor = vendor_server(GooglePlacesTextSearch)
    connector = make_connector(**vendor.explicit_fields())  # max_requests_per_second 2

    log = run_sync(connector)

    # next_page_token was sent back as page_token, which Places ignores: page 1 again, FAILED
    assert log.status == SyncStatus.SUCCESS, log.error_message
    assert stores_exactly(connector, vendor)
    assert [sorted(request["query"]) for request in vendor.requests] == [
        ["key", "query"],
        ["key", "pagetoken", "query"],
    ]


test_an_error_answered_with_http_200_fails_the_sync_with_its_message = sync_support.vendor_runs_end_test(
    [
        # {"results": [], "status": "REQUEST_DENIED", "error_message": ...}: an empty list, SUCCESS
        RunEnds(
            GooglePlacesTextSearch,
            SyncStatus.FAILED,
            ("REQUEST_DENIED", "The provided API key is invalid."),
            stored=0,
            fields={"api_key": "not-the-places-key"},
        ),
    ]
)


def test_companies_house_s_start_index_goes_back_as_its_offset(vendor_server, make_connector):
    vendor = vendor_server(CompaniesHouseSearch)
    connector = make_connector(**vendor.connector_fields())

    log = run_sync(connector)

    # {"items", "start_index": 0, "items_per_page", "total_results", "page_number"}: page_number=2 was
    # sent, ignored, and the run FAILED with the first page
    assert log.status == SyncStatus.SUCCESS, log.error_message
    assert stores_exactly(connector, vendor)
    assert sorted(int(request["query"].get("start_index", 0)) for request in vendor.requests) == [
        0,
        5,
        10,
        15,
        20,
    ]


def test_the_spacex_api_s_mongoose_pages_are_asked_for_in_the_posted_options(vendor_server, make_connector):
    vendor = vendor_server(SpaceXLaunchesQuery)
    connector = make_connector(**vendor.connector_fields())

    log = run_sync(connector)

    # {"docs", "totalDocs", "page", "totalPages", "hasNextPage", "nextPage": 2}: nextPage was sent back as
    # a 'cursor', ignored, and the run FAILED with the first page
    assert log.status == SyncStatus.SUCCESS, log.error_message
    assert stores_exactly(connector, vendor)
    assert sorted(request["body"]["options"].get("page", 1) for request in vendor.requests) == [1, 2, 3]
    assert all(request["body"]["query"] == {"upcoming": False} for request in vendor.requests)


def test_a_mongoose_paginate_list_read_with_get_is_asked_for_by_page(fault_server, make_connector):
    def page(number):
        first = (number - 1) * 10
        return {
            "docs": [{"id": index} for index in range(first + 1, min(first + 10, 23) + 1)],
            "totalDocs": 23,
            "limit": 10,
            "page": number,
            "totalPages": 3,
            "pagingCounter": first + 1,
            "hasPrevPage": number > 1,
            "hasNextPage": number < 3,
            "prevPage": number - 1 if number > 1 else None,
            "nextPage": number + 1 if number < 3 else None,
        }

    for number in (2, 3):
        fault_server.expect_request("/items", query_string={"page": str(number)}).respond_with_json(
            page(number)
        )
    fault_server.expect_request("/items").respond_with_json(page(1))
    connector = make_connector(api_endpoint=fault_url(fault_server), auth_type="none")

    log = run_sync(connector)

    # nextPage: 2 was sent back as cursor=2, page 1 came again: FAILED with ten records
    assert log.status == SyncStatus.SUCCESS, log.error_message
    assert stored_ids(connector) == list(range(1, 24))


def test_sonarqube_s_paging_object_is_asked_for_by_p_once_its_records_path_is_set(
    vendor_server, make_connector
):
    vendor = vendor_server(SonarQubeIssues)
    connector = make_connector(**vendor.connector_fields(), records_path="issues")

    log = run_sync(connector)

    # paging {pageIndex, pageSize, total}: its total taken for offsets, offset=5 ignored, FAILED
    assert log.status == SyncStatus.SUCCESS, log.error_message
    assert stores_exactly(connector, vendor)
    assert sorted(request["query"].get("p", "1") for request in vendor.requests) == ["1", "2", "3", "4", "5"]
