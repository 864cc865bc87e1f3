"""Left on ``auto``, a sync gets every record of the list endpoints of well-known vendors (fakes that
follow each vendor's documentation, see ``vendors``), re-syncs them unchanged, and never asks for a
page past the last one."""

import json

import pytest

from demo_extension.models import SyncedRecord, SyncStatus
from demo_extension.services.pagination import MAX_EMPTY_PAGES_FOLLOWED
from demo_extension.services.sync import DataSyncService
from demo_extension.tests import sync_support
from demo_extension.tests.sync_support import RunEnds, events, run_sync, stored_records
from demo_extension.tests.vendors import (
    FIFTH_VENDORS_ON_AUTO,
    FOURTH_VENDORS_ON_AUTO,
    MORE_VENDORS,
    NINTH_VENDORS_ON_AUTO,
    SEVENTH_VENDORS_ON_AUTO,
    SIXTH_VENDORS_ON_AUTO,
    THIRD_VENDORS_ON_AUTO,
    VENDORS,
    Asana,
    Ashby,
    Auth0Users,
    AzureDevOps,
    BigCommerce,
    Box,
    Chargebee,
    ClickUp,
    Close,
    Cloudflare,
    CloudflareKV,
    Cloudinary,
    ConfluenceV1,
    Contentful,
    DiscordMessages,
    DocuSignEnvelopes,
    Dropbox,
    DropboxSign,
    Elasticsearch,
    Eventbrite,
    FacebookGraph,
    Front,
    GitHub,
    GitHubGraphQL,
    GitLab,
    Gong,
    GoogleSheetsValues,
    GreenhouseHarvest,
    GreenhouseHarvestV3,
    HelpScout,
    HubSpot,
    HubSpotSearch,
    Intercom,
    IntercomSearch,
    Jira,
    JiraSearchJql,
    JsonApiOmittedNext,
    Klaviyo,
    Lever,
    LinearGraphQL,
    Magento,
    Mailchimp,
    Mailgun,
    Marketo,
    MicrosoftGraph,
    MicrosoftGraphDelta,
    Mollie,
    MondayItemsPage,
    NetSuite,
    NotionDatabaseQuery,
    ODataV2,
    Okta,
    PaddleBilling,
    PagerDuty,
    PayPal,
    Pipedrive,
    PipedriveV2,
    PlaidTransactionsSync,
    PostgREST,
    QuickBooksOnline,
    Reddit,
    Salesforce,
    SendGridLists,
    Sentry,
    ServiceNow,
    Shopify,
    ShopifyAdminGraphQL,
    SmartsheetWorkspaces,
    Spotify,
    Square,
    StackExchange,
    Strapi,
    Stripe,
    Ticketmaster,
    Todoist,
    Trello,
    Twilio,
    Twitch,
    Typeform,
    WebflowV2,
    WordPress,
    XApiV2,
    Xero,
    YelpBusinessSearch,
    YouTube,
    Zendesk,
    ZohoCrm,
    ZohoCrmV2,
    Zoom,
)
from sync_engine.checkpoint import Checkpoint

fast_retries = sync_support.fast_retries


def _failed_storing_nothing(connector):
    """A sync of ``connector`` that must fail before storing any record (an error answer)."""
    log = run_sync(connector)
    assert log.status == SyncStatus.FAILED
    assert not SyncedRecord.objects.filter(connector=connector).exists()
    return log


def _canonical(records) -> list[str]:
    return sorted(json.dumps(record, sort_keys=True) for record in records)


def _assert_no_request_past_the_last_page(vendor, log, page_size=None, *, allowed=None):
    """Every request answered 200 and none went past the last page, but those a sync sends ahead
    where only a flag on the last page tells the end (discarded, and the log says so); ``allowed``
    overrides how many (a re-sync of an unchanged list: none)."""
    statuses = [request["status"] for request in vendor.requests]
    past = len(statuses) - vendor.expected_pages(page_size)
    assert statuses == [200] * len(statuses)
    assert 0 <= past <= (vendor.requests_past_the_end if allowed is None else allowed), vendor.requests
    if past:
        assert any(f"{past} page request(s) sent ahead were not needed" in line for line in events(log))


@pytest.mark.parametrize(
    "vendor_class",
    VENDORS
    + MORE_VENDORS
    + THIRD_VENDORS_ON_AUTO
    + FOURTH_VENDORS_ON_AUTO
    + FIFTH_VENDORS_ON_AUTO
    + SIXTH_VENDORS_ON_AUTO
    + SEVENTH_VENDORS_ON_AUTO
    + NINTH_VENDORS_ON_AUTO,
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
    assert log.records_processed == vendor.records
    assert log.records_created == vendor.records
    assert _canonical(stored_records(connector).values()) == _canonical(vendor.all_records())
    _assert_no_request_past_the_last_page(vendor, log)
    assert log.pages_fetched == vendor.expected_pages()
    assert any("Detected pagination" in line and "because" in line for line in events(log))

    vendor.requests.clear()
    again = run_sync(connector)

    assert again.status == SyncStatus.SUCCESS, again.error_message
    assert (again.records_unchanged, again.records_created, again.records_updated) == (vendor.records, 0, 0)
    _assert_no_request_past_the_last_page(vendor, again, allowed=0)  # no guess past the last run's pages
    assert SyncedRecord.objects.filter(connector=connector).count() == vendor.records


def test_zendesk_cursor_pagination_stops_on_has_more_false_although_a_next_link_is_there(
    vendor_server, make_connector
):
    vendor = vendor_server(Zendesk)
    connector = make_connector(
        **vendor.connector_fields(), pagination={"type": "auto", "size_param": "page[size]", "page_size": 5}
    )

    log = run_sync(connector)

    assert log.status == SyncStatus.SUCCESS, log.error_message
    assert log.records_created == 23
    assert len(vendor.requests) == 5  # 5 + 5 + 5 + 5 + 3, nothing after has_more: false
    assert all("page[size]" in request["query"] for request in vendor.requests)
    assert any("meta.has_more says this is the last page" in line for line in events(log))


def test_wordpress_without_link_headers_pages_by_x_wp_totalpages_and_stops_there(
    vendor_server, make_connector
):
    vendor = vendor_server(WordPress)
    vendor.send_link = False
    connector = make_connector(**vendor.connector_fields())

    log = run_sync(connector)

    assert log.status == SyncStatus.SUCCESS, log.error_message
    assert log.detected_pagination == "page"
    assert log.records_created == 13
    # X-WP-TotalPages announces the end: pages 2 and 3 may be fetched together, none past page 3.
    assert sorted(request["query"].get("page", "1") for request in vendor.requests) == ["1", "2", "3"]
    assert all(request["status"] == 200 for request in vendor.requests)


README_EXAMPLES = [
    (WordPress, {"type": "page", "size_param": "per_page", "page_size": 4}),
    (Jira, {"type": "offset", "offset_param": "startAt", "limit_param": "maxResults", "limit": 4}),
    (
        HubSpot,
        {
            "type": "cursor",
            "cursor_path": "paging.next.after",
            "cursor_param": "after",
            "size_param": "limit",
            "page_size": 4,
        },
    ),
    (Stripe, Stripe.pagination(4)),
    (MicrosoftGraph, {"type": "next_url", "next_url_path": "@odata\\.nextLink"}),
    (Salesforce, {"type": "next_url", "next_url_path": "nextRecordsUrl"}),
    (GitHub, {"type": "link_header", "size_param": "per_page", "page_size": 4}),
    (Shopify, {"type": "link_header", "size_param": "limit", "page_size": 4}),
    (Sentry, {"type": "link_header"}),
    (ConfluenceV1, {"type": "next_url", "next_url_path": "_links.next"}),
    (Asana, {"type": "next_url", "next_url_path": "next_page"}),
    (
        Twilio,
        {"type": "next_url", "next_url_path": "next_page_uri", "size_param": "PageSize", "page_size": 4},
    ),
    (
        Intercom,
        {
            "type": "cursor",
            "cursor_path": "pages.next.starting_after",
            "cursor_param": "starting_after",
            "size_param": "per_page",
            "page_size": 4,
        },
    ),
    (
        Zoom,
        {
            "type": "cursor",
            "cursor_path": "next_page_token",
            "cursor_param": "next_page_token",
            "size_param": "page_size",
            "page_size": 4,
        },
    ),
    (
        PipedriveV2,
        {
            "type": "cursor",
            "cursor_path": "additional_data.next_cursor",
            "cursor_param": "cursor",
            "size_param": "limit",
            "page_size": 4,
        },
    ),
    (
        Pipedrive,
        {
            "type": "offset",
            "offset_param": "start",
            "limit_param": "limit",
            "limit": 4,
            "has_more_path": "additional_data.pagination.more_items_in_collection",
        },
    ),
    (PagerDuty, {"type": "offset", "limit": 4, "has_more_path": "more"}),
    (Mailchimp, {"type": "offset", "offset_param": "offset", "limit_param": "count", "limit": 4}),
    (Contentful, {"type": "offset", "offset_param": "skip", "limit_param": "limit", "limit": 4}),
    (
        JiraSearchJql,
        {
            "type": "cursor",
            "cursor_path": "nextPageToken",
            "cursor_param": "nextPageToken",
            "size_param": "maxResults",
            "page_size": 4,
        },
    ),
    (YelpBusinessSearch, {"type": "offset", "limit": 4}),
    (
        DocuSignEnvelopes,
        {"type": "offset", "offset_param": "start_position", "limit_param": "count", "limit": 4},
    ),
    (DocuSignEnvelopes, {"type": "next_url", "next_url_path": "nextUri"}),
    (BigCommerce, {"type": "page", "size_param": "limit", "page_size": 4}),
    (
        SendGridLists,
        {"type": "next_url", "next_url_path": "_metadata.next", "size_param": "page_size", "page_size": 4},
    ),
    (DropboxSign, {"type": "page", "size_param": "page_size", "page_size": 4}),
    (
        Cloudinary,
        {
            "type": "cursor",
            "cursor_path": "next_cursor",
            "cursor_param": "next_cursor",
            "size_param": "max_results",
            "page_size": 4,
        },
    ),
]


@pytest.mark.parametrize(
    ("vendor_class", "pagination"), README_EXAMPLES, ids=lambda v: getattr(v, "name", "")
)
def test_the_readme_s_explicit_pagination_examples_sync_their_vendor_completely(
    vendor_server, make_connector, vendor_class, pagination
):
    vendor = vendor_server(vendor_class)
    connector = make_connector(**vendor.connector_fields(), pagination=pagination)

    log = run_sync(connector)

    assert log.status == SyncStatus.SUCCESS, log.error_message
    assert log.records_created == vendor.records
    assert _canonical(stored_records(connector).values()) == _canonical(vendor.all_records())
    page_size = pagination.get("page_size") or pagination.get("limit")
    _assert_no_request_past_the_last_page(vendor, log, page_size)
    if page_size:  # every page asked for the configured size, not the vendor's default
        assert [request.get("size_asked") for request in vendor.requests] == [str(page_size)] * len(
            vendor.requests
        )


def test_a_detected_cursor_that_disappears_on_a_full_last_page_is_the_end(vendor_server, make_connector):
    """X omits next_token on its last page, which is full when the count is a multiple of the page
    size: only a cursor_path the user configured turns that into a shortfall, not a detected one."""
    vendor = vendor_server(XApiV2, records=18)
    connector = make_connector(**vendor.connector_fields())

    log = run_sync(connector)

    assert log.status == SyncStatus.SUCCESS, log.error_message
    assert log.records_created == 18
    assert len(vendor.requests) == 3


@pytest.mark.parametrize(
    "pagination",
    [{"type": "auto"}, {"type": "next_url", "next_url_path": "@odata\\.nextLink"}],
    ids=["auto", "readme"],
)
def test_an_empty_graph_delta_page_with_a_next_link_is_followed_to_the_last_page(
    vendor_server, make_connector, pagination
):
    vendor = vendor_server(MicrosoftGraphDelta)  # pages of 3, 0, 3 and 2 users
    connector = make_connector(**vendor.connector_fields(), pagination=pagination)

    log = run_sync(connector)

    assert log.status == SyncStatus.SUCCESS, log.error_message
    assert (log.records_processed, log.records_created, log.pages_fetched) == (8, 8, 4)
    assert _canonical(stored_records(connector).values()) == _canonical(vendor.all_records())
    assert [request["status"] for request in vendor.requests] == [200] * 4


def test_empty_pages_that_keep_naming_a_next_page_stop_the_run_partial_never_success(
    vendor_server, make_connector
):
    # 2 records, then more empty pages (each with a new next link) than a run follows.
    vendor = vendor_server(MicrosoftGraphDelta, layout=(2,) + (0,) * (MAX_EMPTY_PAGES_FOLLOWED + 5) + (3,))
    connector = make_connector(**vendor.connector_fields())

    log = run_sync(connector)

    assert log.status == SyncStatus.PARTIAL
    assert f"{MAX_EMPTY_PAGES_FOLLOWED + 1} empty pages in a row" in log.error_message
    assert log.records_created == 2
    assert len(vendor.requests) == MAX_EMPTY_PAGES_FOLLOWED + 2


def test_a_primary_key_no_record_has_is_a_warning_that_names_the_field_that_looks_like_it(
    vendor_server, make_connector
):
    # Salesforce records carry "Id"; the connector's default primary key is "id".
    vendor = vendor_server(Salesforce)
    connector = make_connector(**vendor.connector_fields())
    assert connector.primary_key == "id"

    log = run_sync(connector)

    assert log.status == SyncStatus.SUCCESS, log.error_message
    warnings = [event.message for event in log.events.filter(level="warning")]
    assert len(warnings) == 1
    assert "No record of the first page has the primary key 'id'" in warnings[0]
    assert "stored as a new record beside the old one" in warnings[0]
    assert "set the connector's primary_key to 'Id'" in warnings[0]

    # Following the advice re-keys the records: the ones keyed by content are marked deleted.
    connector.primary_key = "Id"
    connector.save(update_fields=["primary_key"])
    keyed = run_sync(connector)
    assert keyed.status == SyncStatus.SUCCESS and keyed.full_refresh
    warnings = [event.message for event in keyed.events.filter(level="warning")]
    assert len(warnings) == 1 and "The primary key changed from 'id' to 'Id'" in warnings[0]
    live = SyncedRecord.objects.filter(connector=connector, deleted_at__isnull=True)
    assert sorted(live.values_list("external_id", flat=True)) == sorted(r["Id"] for r in vendor.all_records())
    deleted = SyncedRecord.objects.filter(connector=connector, deleted_at__isnull=False)
    assert deleted.count() == vendor.records


def test_keying_by_content_on_purpose_gives_no_warning(vendor_server, make_connector):
    vendor = vendor_server(Salesforce)
    connector = make_connector(**vendor.connector_fields(), primary_key="")
    log = run_sync(connector)
    assert log.status == SyncStatus.SUCCESS
    assert not log.events.filter(level="warning").exists()


HUBSPOT_SEARCH = {
    "type": "cursor",
    "cursor_path": "paging.next.after",
    "cursor_param": "after",
    "size_param": "limit",
    "page_size": 10,
}


def test_a_notion_database_query_is_posted_with_its_filter_and_the_cursor_in_the_body(
    vendor_server, make_connector
):
    vendor = vendor_server(NotionDatabaseQuery)
    body = {"filter": {"property": "n", "number": {"less_than_or_equal_to": 21}}}
    connector = make_connector(
        **vendor.connector_fields(), request_method="POST", request_body=body, primary_key="id"
    )

    log = run_sync(connector)  # pagination on auto

    assert log.status == SyncStatus.SUCCESS, log.error_message
    assert (log.records_created, log.pages_fetched) == (21, 3)
    bodies = [request["body"] for request in vendor.requests]
    assert bodies[0] == body
    assert [sorted(b) for b in bodies[1:]] == [["filter", "start_cursor"]] * 2  # sent back as start_cursor
    assert all(request["status"] == 200 for request in vendor.requests)


def test_a_hubspot_search_gets_its_page_size_as_a_number_and_after_in_the_body(vendor_server, make_connector):
    vendor = vendor_server(HubSpotSearch)
    connector = make_connector(
        **vendor.connector_fields(),
        request_method="POST",
        request_body={"filterGroups": [], "properties": ["email"]},
        pagination=HUBSPOT_SEARCH,
    )

    log = run_sync(connector)

    assert log.status == SyncStatus.SUCCESS, log.error_message
    assert log.records_created == 25
    bodies = [request["body"] for request in vendor.requests]
    assert bodies == [
        {"filterGroups": [], "properties": ["email"], "limit": 10},
        {"filterGroups": [], "properties": ["email"], "limit": 10, "after": "10"},
        {"filterGroups": [], "properties": ["email"], "limit": 10, "after": "20"},
    ]


INTERCOM_SEARCH = {
    "type": "cursor",
    "cursor_path": "pages.next.starting_after",
    "cursor_param": "pagination.starting_after",
    "size_param": "pagination.per_page",
    "page_size": 10,
}


def test_a_dotted_pagination_parameter_goes_into_the_post_body_s_object(vendor_server, make_connector):
    vendor = vendor_server(IntercomSearch)
    query = {"operator": "AND", "value": [{"field": "role", "operator": "=", "value": "user"}]}
    connector = make_connector(
        **vendor.connector_fields(),
        request_method="POST",
        request_body={"query": query, "pagination": {"per_page": 50}},
        pagination=INTERCOM_SEARCH,
    )

    log = run_sync(connector)

    assert log.status == SyncStatus.SUCCESS, log.error_message
    assert log.records_created == 23
    assert _canonical(stored_records(connector).values()) == _canonical(vendor.all_records())
    bodies = [request["body"] for request in vendor.requests]
    assert bodies[0] == {"query": query, "pagination": {"per_page": 10}}
    assert len(bodies) == 3 and all(set(body) == {"query", "pagination"} for body in bodies)
    cursors = [body["pagination"]["starting_after"] for body in bodies[1:]]
    assert all(isinstance(cursor, str) and cursor for cursor in cursors) and len(set(cursors)) == 2


def test_an_intercom_search_cursor_sent_at_the_top_of_the_body_fails_instead_of_repeating_page_one(
    vendor_server, make_connector
):
    vendor = vendor_server(IntercomSearch)
    connector = make_connector(
        **vendor.connector_fields(),
        request_method="POST",
        request_body={"query": {"field": "role", "operator": "=", "value": "user"}},
        pagination={**INTERCOM_SEARCH, "cursor_param": "starting_after", "size_param": "per_page"},
    )

    log = run_sync(connector)

    assert log.status != SyncStatus.SUCCESS
    assert SyncedRecord.objects.filter(connector=connector).count() <= 10


def test_the_connection_test_and_the_preview_post_as_the_sync_does(
    vendor_server, make_connector, editor_client
):
    vendor = vendor_server(NotionDatabaseQuery)
    connector = make_connector(**vendor.connector_fields(), request_method="POST")

    assert DataSyncService(connector).test_connection() is True
    preview = editor_client.post(f"/api/demo-extension/connectors/{connector.pk}/preview/", {}, format="json")
    assert preview.json()["records_in_pages"] == 20, preview.content
    assert all("body" in request for request in vendor.requests)


def test_a_run_stopped_midway_is_not_resumed_with_another_request_body(vendor_server, make_connector):
    from demo_extension.services.rest_source import RestSource
    from sync_engine.checkpoint import Checkpoint

    vendor = vendor_server(HubSpotSearch)
    connector = make_connector(
        **vendor.connector_fields(),
        request_method="POST",
        request_body={"filterGroups": []},
        pagination=HUBSPOT_SEARCH,
        max_requests_per_sync=1,
    )
    stopped = run_sync(connector)
    assert stopped.status == SyncStatus.FAILED and stopped.checkpoint
    position = Checkpoint.source_part(stopped.checkpoint)
    assert RestSource(connector).refuse_checkpoint(position) == ""

    connector.request_body = {
        "filterGroups": [{"filters": [{"propertyName": "email", "operator": "HAS_PROPERTY"}]}]
    }
    assert "request_body changed" in RestSource(connector).refuse_checkpoint(position)


def test_an_incremental_search_sends_its_start_in_the_post_body_filter(vendor_server, make_connector):
    vendor = vendor_server(NotionDatabaseQuery)
    since_filter = {
        "filter": {"timestamp": "last_edited_time", "last_edited_time": {"on_or_after": "{since}"}}
    }
    connector = make_connector(
        **vendor.connector_fields(),
        request_method="POST",
        request_body={"sorts": [{"timestamp": "last_edited_time", "direction": "ascending"}]},
        incremental={"cursor_field": "last_edited_time", "body_filter": since_filter},
    )

    first = run_sync(connector)  # nothing to start from: no filter
    assert first.status == SyncStatus.SUCCESS and first.records_created == 23
    assert "filter" not in vendor.requests[0]["body"]
    vendor.requests.clear()

    again = run_sync(connector)

    assert again.status == SyncStatus.SUCCESS, again.error_message
    assert again.records_processed == 1  # the record edited at the cursor (on_or_after)
    assert vendor.requests[0]["body"] == {
        "sorts": [{"timestamp": "last_edited_time", "direction": "ascending"}],
        "filter": {
            "timestamp": "last_edited_time",
            "last_edited_time": {"on_or_after": "2026-01-23T08:00:00.000Z"},
        },
    }
    assert any("sending the body filter with 2026-01-23T08:00:00.000Z" in line for line in events(again))


@pytest.mark.parametrize("pagination", [{"type": "auto"}, {"type": "link_header"}], ids=["auto", "readme"])
def test_a_sentry_next_link_marked_results_false_is_the_last_page(vendor_server, make_connector, pagination):
    # 20 issues in pages of 10: the last page is full, and its next link (always there) says
    # results="false"; following it would answer empty pages, each naming the next.
    vendor = vendor_server(Sentry, records=20)
    connector = make_connector(**vendor.connector_fields(), pagination=pagination)

    log = run_sync(connector)

    assert log.status == SyncStatus.SUCCESS, log.error_message
    assert (log.records_created, log.pages_fetched) == (20, 2)
    assert [request["query"].get("cursor") for request in vendor.requests] == [None, "0:10:0"]


@pytest.mark.parametrize("records_path", [None, "data"], ids=["detected", "configured"])
def test_an_empty_pipedrive_list_answered_with_data_null_stores_nothing(
    vendor_server, make_connector, records_path
):
    vendor = vendor_server(Pipedrive, records=0)  # {"success": true, "data": null, "additional_data": ...}
    connector = make_connector(**vendor.connector_fields(), records_path=records_path)

    log = run_sync(connector)

    assert log.status == SyncStatus.SUCCESS, log.error_message
    assert (log.records_processed, log.records_created) == (0, 0)
    assert not SyncedRecord.objects.filter(connector=connector).exists()
    assert len(vendor.requests) == 1


def test_a_pipedrive_error_answered_with_http_200_fails_the_sync(vendor_server, make_connector):
    vendor = vendor_server(Pipedrive)
    vendor.errors_with_http_200 = True  # {"success": false, "error", "error_info", "data": null, ...}
    connector = make_connector(**vendor.connector_fields())

    log = _failed_storing_nothing(connector)

    assert "HTTP 200 with an error" in log.error_message and "Scope and URL mismatch" in log.error_message


@pytest.mark.parametrize("vendor_class", [Twilio, Mailchimp], ids=lambda cls: cls.name)
def test_a_list_named_after_its_resource_is_found_beside_the_page_metadata(
    vendor_server, make_connector, vendor_class
):
    # Twilio: "messages" beside eight paging keys; Mailchimp: "members" beside a "_links" list.
    vendor = vendor_server(vendor_class)
    connector = make_connector(**vendor.connector_fields())

    log = run_sync(connector)

    assert log.status == SyncStatus.SUCCESS, log.error_message
    assert log.records_created == vendor.records
    assert _canonical(stored_records(connector).values()) == _canonical(vendor.all_records())


def test_a_configured_next_url_path_that_holds_no_url_fails_instead_of_ending_at_page_one(
    vendor_server, make_connector
):
    # Pipedrive's pagination object has no URL (and no total): stopping there would look complete.
    vendor = vendor_server(Pipedrive)
    connector = make_connector(
        **vendor.connector_fields(),
        pagination={"type": "next_url", "next_url_path": "additional_data.pagination"},
    )

    log = run_sync(connector)

    assert log.status == SyncStatus.FAILED
    assert "pagination.next_url_path 'additional_data.pagination' holds a JSON object, not a URL" in (
        log.error_message
    )
    assert len(vendor.requests) == 1
    # The first page's records are stored; the run still fails, as it cannot reach the others.
    first_page = sorted(int(key) for key in stored_records(connector))
    assert first_page == list(range(1, len(first_page) + 1))
    assert 0 < len(first_page) < vendor.records
    assert log.pages_fetched == 1
    assert log.records_processed == len(first_page)


def test_pagerduty_asked_for_its_total_gets_no_request_past_the_last_page(vendor_server, make_connector):
    # Without total=true only "more": false on the last page tells the end, after the requests sent
    # ahead went out; with it the total does, before them.
    vendor = vendor_server(PagerDuty)
    fields = vendor.connector_fields()
    connector = make_connector(**fields, query_params={"total": "true"})

    log = run_sync(connector)

    assert log.status == SyncStatus.SUCCESS, log.error_message
    assert log.records_created == 23
    assert sorted(request["query"].get("offset", "0") for request in vendor.requests) == ["0", "10", "20"]


# -- a third round of vendors --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("vendor_class", "message"),
    [
        (Chargebee, "Sorry, authentication failed. Invalid api key"),
        (Front, "Invalid token"),
        (PaddleBilling, "You aren't permitted to perform this request."),
        (GitLab, "401 Unauthorized"),
        (Square, "This request could not be authorized."),
        (ClickUp, "Token invalid"),
        (Klaviyo, "Missing or invalid private key."),
        (ODataV2, "[LGN0011]Invalid username or password."),  # OData's {"error": {"message": {"value"}}}
        (Cloudflare, "Authentication error"),
        (FacebookGraph, "Invalid OAuth access token - Cannot parse access token"),
        (GreenhouseHarvest, "Invalid Basic Auth credentials"),
        (Lever, "Invalid API key (UnauthorizedError)"),
        (Gong, "Unauthorized"),  # {"requestId", "errors": ["Unauthorized"]}
        (YouTube, "API key not valid. Please pass a valid API key."),
        (Twitch, "Invalid OAuth token"),
        (Todoist, "Unauthorized"),
        (Trello, "invalid key"),  # plain text
    ],
    ids=lambda v: getattr(v, "name", ""),
)
def test_a_vendor_s_documented_error_body_fails_the_sync_with_its_message(
    vendor_server, make_connector, vendor_class, message
):
    vendor = vendor_server(vendor_class)
    connector = make_connector(**{**vendor.connector_fields(), "api_key": "a-revoked-key"})

    log = _failed_storing_nothing(connector)

    assert message in log.error_message, log.error_message


def test_chargebee_s_next_offset_is_sent_back_as_offset_and_each_entry_is_one_record(
    vendor_server, make_connector
):
    vendor = vendor_server(Chargebee)
    connector = make_connector(**vendor.connector_fields())  # pagination on auto, primary_key customer.id

    log = run_sync(connector)

    assert log.status == SyncStatus.SUCCESS, log.error_message
    assert (log.records_created, log.pages_fetched) == (23, 3)
    stored = stored_records(connector)
    assert sorted(stored) == sorted(record["customer"]["id"] for record in vendor.all_records())
    assert all(set(record) == {"customer", "card"} for record in stored.values())
    offsets = [request["query"].get("offset") for request in vendor.requests]
    assert offsets[0] is None and all(offset.startswith('["') for offset in offsets[1:])


def test_paddle_follows_meta_pagination_next_and_stops_on_has_more_false_beside_it(
    vendor_server, make_connector
):
    vendor = vendor_server(PaddleBilling)
    connector = make_connector(**vendor.connector_fields())

    log = run_sync(connector)

    assert log.status == SyncStatus.SUCCESS, log.error_message
    assert log.records_created == 23
    assert [bool(request["query"].get("after")) for request in vendor.requests] == [False, True, True]
    assert any("meta.pagination.has_more says this is the last page" in line for line in events(log))


test_a_vendor_whose_answers_cannot_prove_the_whole_list_is_never_success = sync_support.vendor_runs_end_test(
    [
        RunEnds(ClickUp, SyncStatus.PARTIAL, ("last_page: false",), stored=10),
        # one token page of 7, no lastKey, as long as its maxItems
        RunEnds(
            SmartsheetWorkspaces,
            SyncStatus.PARTIAL,
            ("holds exactly 7 records", "maxItems=7"),
            stored=7,
            records=7,
            fields={"query_params": {"paginationType": "token", "maxItems": "7"}},
        ),
        # page 2 answers 400: result_info.count (5) is not the list's size
        RunEnds(
            CloudflareKV,
            SyncStatus.FAILED,
            ("HTTP 400", "Invalid cursor"),
            stored=5,
            attributes={"cursor_refused": True},
        ),
        # Lever's next token pinned as a next URL: page 1 kept, to be resumed once the pagination is set
        RunEnds(
            Lever,
            SyncStatus.FAILED,
            ("HTTP 404", "Resource not found", "The previous page says more records exist (hasNext: true)"),
            stored=5,
            fields={"pagination": {"type": "next_url", "next_url_path": "next"}},
        ),
        RunEnds(
            PlaidTransactionsSync,
            SyncStatus.FAILED,
            ("HTTP 400", "Underlying transaction data changed"),
            stored=10,
            attributes={"mutation_on_page": 3},
            fields={"records_path": "added"},
        ),
    ]
)


def test_clickup_with_page_numbers_from_zero_syncs_every_task_and_stops_on_last_page_true(
    vendor_server, make_connector
):
    vendor = vendor_server(ClickUp)
    connector = make_connector(**vendor.connector_fields(), pagination={"type": "page", "start_page": 0})

    _synced_completely(vendor, connector)
    assert sorted(request["query"]["page"] for request in vendor.requests)[:3] == ["0", "1", "2"]
    assert len(vendor.requests) <= 3 + 3  # pages sent ahead past last_page: true are discarded


@pytest.mark.parametrize(
    ("fields", "line_items"),
    [({}, False), ({"query_params": {"page": "1"}}, True), ({"pagination": {"type": "page"}}, True)],
    ids=["auto", "auto-paged", "readme"],
)
def test_xero_invoices_sync_whole_unpaged_or_paged(vendor_server, make_connector, fields, line_items):
    vendor = vendor_server(Xero)
    connector = make_connector(**{**vendor.connector_fields(), **fields})

    log = run_sync(connector)

    assert log.status == SyncStatus.SUCCESS, log.error_message
    assert log.records_created == 23
    assert all(("LineItems" in record) == line_items for record in stored_records(connector).values())


def test_xero_without_its_pagination_object_pages_until_a_short_page_with_the_readme_settings(
    vendor_server, make_connector
):
    vendor = vendor_server(Xero)
    vendor.paged_metadata = False  # the older answers: only a short or empty page tells the end
    connector = make_connector(**vendor.connector_fields(), pagination={"type": "page"})

    log = run_sync(connector)

    assert log.status == SyncStatus.SUCCESS, log.error_message
    assert (log.records_created, log.pages_fetched) == (23, 3)


def _older_xero(vendor_server, records=150):
    vendor = vendor_server(Xero, records=records)
    vendor.paged_metadata = False  # nothing in the answer says whether another page exists
    vendor.page_size = 100  # Xero's documented page size
    return vendor


def test_an_auto_detected_single_answer_of_exactly_a_page_size_ends_partial_naming_the_count(
    vendor_server, make_connector
):
    vendor = _older_xero(vendor_server)
    connector = make_connector(**vendor.connector_fields(), query_params={"page": "1"})

    log = run_sync(connector)

    assert log.status == SyncStatus.PARTIAL
    assert log.records_created == 100
    assert "The single answer holds exactly 100 records, a page size APIs commonly serve" in log.error_message
    assert '{"type": "page"}' in log.error_message and '{"type": "none"}' in log.error_message
    assert len(vendor.requests) == 1

    connector.pagination = {"type": "page"}  # what the message says: every invoice, SUCCESS
    connector.save()
    log = run_sync(connector, full_refresh=True)
    assert log.status == SyncStatus.SUCCESS, log.error_message
    assert log.records_processed == 150


def test_a_single_answer_of_the_size_the_request_asked_for_ends_partial(vendor_server, make_connector):
    vendor = _older_xero(vendor_server)
    connector = make_connector(**vendor.connector_fields(), query_params={"page": "1", "pageSize": "20"})

    log = run_sync(connector)

    assert log.status == SyncStatus.PARTIAL
    assert "exactly 20 records, as many as a page holds (the request's pageSize=20)" in log.error_message


@pytest.mark.parametrize(
    ("records", "pagination"),
    [(23, {}), (99, {}), (100, {"type": "none"})],
    ids=["small-list", "not-a-page-size", "none-on-purpose"],
)
def test_a_single_answer_that_is_not_a_full_page_or_is_none_on_purpose_ends_success(
    vendor_server, make_connector, records, pagination
):
    vendor = _older_xero(vendor_server, records=records)
    connector = make_connector(**vendor.connector_fields(), query_params={"page": "1"}, pagination=pagination)

    log = run_sync(connector)

    assert log.status == SyncStatus.SUCCESS, log.error_message
    assert log.records_created == min(records, 100)


def test_a_square_search_posts_its_cursor_in_the_body_and_an_empty_result_stores_nothing(
    vendor_server, make_connector
):
    vendor = vendor_server(Square)
    connector = make_connector(**vendor.connector_fields())

    log = run_sync(connector)

    assert log.status == SyncStatus.SUCCESS, log.error_message
    assert (log.records_created, log.pages_fetched) == (23, 3)
    bodies = [request["body"] for request in vendor.requests]
    assert "cursor" not in bodies[0] and all(body["cursor"] and body["limit"] == 10 for body in bodies[1:])

    empty = vendor_server(Square, records=0)  # answers {}
    nothing = make_connector(**empty.connector_fields())
    log = run_sync(nothing)
    assert log.status == SyncStatus.SUCCESS, log.error_message
    assert (log.records_processed, log.records_created) == (0, 0)
    assert not SyncedRecord.objects.filter(connector=nothing).exists()


def test_gitlab_keyset_links_sync_every_record_without_guessing_pages_past_a_missed_step(
    vendor_server, make_connector
):
    vendor = vendor_server(GitLab)
    keyset = {"pagination": "keyset", "order_by": "id", "sort": "asc", "per_page": "5"}
    connector = make_connector(**vendor.connector_fields(), query_params=keyset)

    log = run_sync(connector)

    assert log.status == SyncStatus.SUCCESS, log.error_message
    assert (log.records_created, log.pages_fetched) == (23, 5)
    # id_after moves by uneven steps: one guess of the step at most (concurrency - 1 requests).
    assert len(vendor.requests) <= 5 + 3, [request["query"] for request in vendor.requests]


def test_gitlab_com_without_totals_past_10000_records_still_follows_its_link_header(
    vendor_server, make_connector
):
    vendor = vendor_server(GitLab)
    vendor.counted = False  # no X-Total, X-Total-Pages or rel="last"
    connector = make_connector(**vendor.connector_fields())

    log = run_sync(connector)

    assert log.status == SyncStatus.SUCCESS, log.error_message
    assert log.records_created == 23


GITHUB_GRAPHQL_README = {
    "type": "cursor",
    "cursor_path": "data.repository.issues.pageInfo.endCursor",
    "cursor_param": "variables.cursor",
    "has_more_path": "data.repository.issues.pageInfo.hasNextPage",
}


@pytest.mark.parametrize(
    ("fields"),
    [{}, {"pagination": GITHUB_GRAPHQL_README, "records_path": "data.repository.issues.nodes"}],
    ids=["auto", "readme"],
)
def test_a_github_graphql_connection_is_paged_by_its_end_cursor_in_the_query_s_variable(
    vendor_server, make_connector, fields
):
    vendor = vendor_server(GitHubGraphQL)
    connector = make_connector(**{**vendor.connector_fields(), **fields})

    _synced_completely(vendor, connector)
    variables = [request["body"]["variables"] for request in vendor.requests]
    assert variables[0] == {"owner": "octocat", "name": "hello-world"}
    assert [sorted(v) for v in variables[1:]] == [["cursor", "name", "owner"]] * 2
    assert all(request["body"]["query"] == vendor.query for request in vendor.requests)


def test_a_github_graphql_repository_that_does_not_resolve_fails_with_its_message(
    vendor_server, make_connector
):
    vendor = vendor_server(GitHubGraphQL)
    vendor.not_found = True  # {"data": {"repository": null}, "errors": [{"type": "NOT_FOUND", ...}]}
    connector = make_connector(**vendor.connector_fields())

    log = _failed_storing_nothing(connector)

    assert "Could not resolve to a Repository" in log.error_message
    assert not DataSyncService(connector).check_connection().connected


def test_a_partial_graphql_answer_is_stored_but_the_run_ends_partial_with_the_upstream_s_error(
    vendor_server, make_connector
):
    vendor = vendor_server(GitHubGraphQL)
    vendor.partial_on_page = 2  # a node's author is null, with a FORBIDDEN error beside the data
    connector = make_connector(**vendor.connector_fields())

    log = run_sync(connector)

    assert log.status == SyncStatus.PARTIAL
    assert "Page 2 was answered with errors beside its records" in log.error_message
    assert "Resource not accessible by integration" in log.error_message
    assert log.records_created == 23
    assert connector.__class__.objects.get(pk=connector.pk).incremental_cursor in (None, "")


def test_a_graphql_query_without_an_after_variable_fails_instead_of_storing_page_one_alone(
    vendor_server, make_connector
):
    vendor = vendor_server(GitHubGraphQL)
    fields = vendor.connector_fields()
    fields["request_body"] = {**fields["request_body"], "query": vendor.query.replace("$cursor", "null")}
    connector = make_connector(**fields)

    log = run_sync(connector)

    assert log.status == SyncStatus.FAILED
    assert "passes no variable as its 'after' argument" in log.error_message
    assert len(vendor.requests) == 1
    # The first page's records are kept (loudly FAILED, never a quiet SUCCESS with them alone).
    assert log.pages_fetched == 1 and 0 < log.records_processed < vendor.records


# -- rate limits answered with HTTP 200 -----------------------------------------------------------


def _synced_completely(vendor, connector, pages=3):
    """Sync ``connector`` against a ``vendor`` fake serving 23 records on ``pages`` pages: the run
    succeeds and stores exactly the vendor's records. Returns the run."""
    log = run_sync(connector)

    assert log.status == SyncStatus.SUCCESS, log.error_message
    assert (log.records_created, log.pages_fetched) == (23, pages)
    assert _canonical(stored_records(connector).values()) == _canonical(vendor.all_records())
    return log


def _synced_with_page_two_asked_again(vendor, connector) -> str:
    """Sync ``connector`` against a GraphQL ``vendor`` whose page 2 reported a rate limit once: the
    run succeeds with the 23 records of 3 pages, page 2 asked twice and nothing else again. Returns
    the run's line about the rate limit."""
    log = _synced_completely(vendor, connector)
    cursors = [request["body"]["variables"].get("cursor") for request in vendor.requests]
    assert len(cursors) == 4 and cursors[1] == cursors[2]  # page 2 twice, nothing else again
    return next(line for line in events(log) if "reports a rate limit" in line)


@pytest.mark.parametrize("status", [200, 403])
def test_a_github_graphql_rate_limit_pauses_the_connector_and_the_same_page_is_asked_again(
    vendor_server, make_connector, settings, status
):
    settings.MIGRATEIQ_HTTP_RETRY_AFTER_CAP = 2  # X-RateLimit-Reset is at most a second away
    vendor = vendor_server(GitHubGraphQL)
    vendor.rate_limited_on_page, vendor.rate_limit_status = 2, status
    connector = make_connector(**vendor.connector_fields())

    retry = _synced_with_page_two_asked_again(vendor, connector)
    assert f"HTTP {status}" in retry and "API rate limit exceeded for user ID 583231." in retry
    assert "every request of this connector waits as long (its request budget is paused)" in retry


def test_a_shopify_graphql_throttle_waits_for_the_query_s_cost_and_asks_the_page_again(
    vendor_server, make_connector, fast_retries
):
    vendor = vendor_server(ShopifyAdminGraphQL)
    vendor.throttled_on_page, vendor.throttled_times = 3, 2  # (12 - 10) / 100 = 0.02 s each
    connector = make_connector(**vendor.connector_fields())

    log = _synced_completely(vendor, connector)
    assert len(vendor.requests) == 5
    retries = [line for line in events(log) if "reports a rate limit (the API says: 'Throttled')" in line]
    assert len(retries) == 2 and "retrying in 0.02 s" in retries[0]  # not "0.0 s"


def test_a_graphql_throttle_longer_than_the_retry_cap_fails_the_run_naming_the_wait(
    vendor_server, make_connector, fast_retries
):
    vendor = vendor_server(ShopifyAdminGraphQL)
    vendor.throttled_on_page, vendor.throttled_times = 2, 10**6
    vendor.available_when_throttled = 0.0
    vendor.query_cost, vendor.restore_rate = 1000, 50.0  # 20 s until the bucket holds the query
    connector = make_connector(**vendor.connector_fields())

    log = run_sync(connector)

    assert log.status == SyncStatus.FAILED
    assert "reports a rate limit (the API says: 'Throttled')" in log.error_message
    assert "it asks to wait 20 s, longer than MIGRATEIQ_HTTP_RETRY_AFTER_CAP (0.05 s)" in log.error_message
    assert len(vendor.requests) == 2  # page 2 once: not retried too early, again and again
    assert log.records_created == 10  # page 1 is kept; the run can be resumed


def test_graphql_errors_that_are_no_rate_limit_still_fail_without_a_retry(
    vendor_server, make_connector, fast_retries
):
    vendor = vendor_server(GitHubGraphQL)
    vendor.not_found = True
    connector = make_connector(**vendor.connector_fields())

    log = run_sync(connector)

    assert log.status == SyncStatus.FAILED
    assert "Could not resolve to a Repository" in log.error_message
    assert len(vendor.requests) == 1


# -- lists whose end only a flag on the last page tells -------------------------------------------


@pytest.mark.parametrize("vendor_class", [PagerDuty, Pipedrive], ids=lambda cls: cls.name)
def test_a_sequential_sync_of_a_flag_only_list_sends_no_request_past_its_last_page(
    vendor_server, make_connector, vendor_class
):
    vendor = vendor_server(vendor_class)
    connector = make_connector(**vendor.connector_fields(), max_concurrent_requests=1)

    for _ in range(2):
        vendor.requests.clear()
        log = run_sync(connector)
        assert log.status == SyncStatus.SUCCESS, log.error_message
        assert len(vendor.requests) == vendor.expected_pages()  # "more": false ends it, nothing after


@pytest.mark.parametrize("vendor_class", [PagerDuty, Pipedrive], ids=lambda cls: cls.name)
def test_the_log_counts_exactly_the_requests_past_a_flag_only_lists_end_that_reached_it(
    vendor_server, make_connector, vendor_class
):
    """Behind a rate limit, requests sent ahead wait for their turn in the request budget: those
    still waiting when the last page ends the run give up unsent, and the log's count of requests
    that were not needed is the number the upstream received past its last page."""
    vendor = vendor_server(vendor_class)
    connector = make_connector(
        **vendor.connector_fields(), max_concurrent_requests=4, max_requests_per_second=25
    )

    log = run_sync(connector)

    assert log.status == SyncStatus.SUCCESS, log.error_message
    past = len(vendor.requests) - vendor.expected_pages()
    assert 0 <= past <= 3
    counted = [line for line in events(log) if "sent ahead were not needed" in line]
    if past:
        assert counted and counted[0].startswith(f"{past} page request(s)"), counted
    else:
        assert not counted, counted


@pytest.mark.parametrize("vendor_class", [PagerDuty, Pipedrive], ids=lambda cls: cls.name)
def test_overlapped_fetches_of_a_flag_only_list_stay_in_the_in_flight_window_and_a_re_sync_sends_none_past(
    vendor_server, make_connector, vendor_class
):
    vendor = vendor_server(vendor_class)
    connector = make_connector(**vendor.connector_fields(), max_concurrent_requests=4)

    first = run_sync(connector)  # nothing tells the end before the last page: at most 3 guesses past it
    assert first.status == SyncStatus.SUCCESS, first.error_message
    assert 0 <= len(vendor.requests) - vendor.expected_pages() <= 3

    vendor.requests.clear()
    again = run_sync(connector)  # as many pages as the last run read: none is guessed past them
    assert again.status == SyncStatus.SUCCESS, again.error_message
    assert len(vendor.requests) == vendor.expected_pages(), vendor.requests
    assert not any("sent ahead were not needed" in line for line in events(again))

    vendor.records += 2 * vendor.page_size  # the list grew: the pages after the last run's are read
    vendor.requests.clear()
    grown = run_sync(connector)
    assert grown.status == SyncStatus.SUCCESS, grown.error_message
    assert grown.records_created == 2 * vendor.page_size
    assert 0 <= len(vendor.requests) - vendor.expected_pages() <= 3


TYPEFORM_README = {
    "type": "cursor",
    "cursor_from": "last_record",
    "cursor_field": "token",
    "cursor_param": "before",
    "size_param": "page_size",
    "page_size": 10,
}


def test_typeform_responses_page_by_the_last_response_s_token_sent_as_before(vendor_server, make_connector):
    vendor = vendor_server(Typeform)
    connector = make_connector(**vendor.connector_fields(), pagination=TYPEFORM_README)

    log = run_sync(connector)

    assert log.status == SyncStatus.SUCCESS, log.error_message
    assert log.records_created == 23
    assert _canonical(stored_records(connector).values()) == _canonical(vendor.all_records())
    assert len(vendor.requests) == 4  # 10 + 10 + 3, and the empty page after them


def test_typeform_on_auto_pages_by_the_last_response_s_token_a_thousand_at_a_time(
    vendor_server, make_connector
):
    # page_count reads like page numbers, but Typeform takes no page parameter: ?page=2 would be the
    # newest responses again.
    vendor = vendor_server(Typeform, records=1053)  # 25 a page by default
    connector = make_connector(**vendor.connector_fields())

    log = run_sync(connector)

    assert log.status == SyncStatus.SUCCESS, log.error_message
    assert log.records_created == 1053
    assert _canonical(stored_records(connector).values()) == _canonical(vendor.all_records())
    newest_first = list(reversed(vendor.all_records()))
    assert [request["query"] for request in vendor.requests] == [
        {},
        {"before": newest_first[24]["token"], "page_size": "1000"},
        {"before": newest_first[1024]["token"], "page_size": "1000"},
        {"before": newest_first[-1]["token"], "page_size": "1000"},
    ]
    assert any(
        "Detected pagination: cursor (the last record's 'token', sent as 'before')" in line
        for line in events(log)
    )


class _TypeformFailingOnItsThirdRequest(Typeform):
    def respond(self, path, query, headers):
        if len(self.requests) == 2:
            return 400, {}, {"code": "VALIDATION_ERROR", "description": "invalid token in before"}
        return super().respond(path, query, headers)


@pytest.mark.parametrize(
    "pagination", [TYPEFORM_README, {"type": "auto", "size_param": "page_size", "page_size": 10}]
)
def test_typeform_s_shrinking_counts_are_no_end_a_4xx_after_them_fails_the_run(
    vendor_server, make_connector, pagination
):
    # total_items and page_count count what is left before the token: after two pages of ten of 23
    # responses, the second page announces 13 responses on 2 pages. That end is not reached.
    vendor = vendor_server(_TypeformFailingOnItsThirdRequest)
    connector = make_connector(**vendor.connector_fields(), pagination=pagination)

    log = run_sync(connector)

    assert log.status == SyncStatus.FAILED
    assert "HTTP 400" in log.error_message and "invalid token in before" in log.error_message
    assert len(vendor.requests) == 3 and "before" in vendor.requests[1]["query"]


# -- Okta, ServiceNow, monday.com, Linear --------------------------------------------------------


def test_an_okta_429_pauses_the_connector_until_its_x_rate_limit_reset_and_asks_the_page_again(
    vendor_server, make_connector, settings
):
    settings.MIGRATEIQ_HTTP_RETRY_AFTER_CAP = 2  # X-Rate-Limit-Reset is at most a second away
    vendor = vendor_server(Okta)
    vendor.rate_limited_on_page = 2
    connector = make_connector(**vendor.connector_fields())

    log = _synced_completely(vendor, connector)
    assert [request["status"] for request in vendor.requests] == [200, 429, 200, 200]
    assert vendor.requests[1]["query"] == vendor.requests[2]["query"]  # page 2 again, with its cursor
    retry = next(line for line in events(log) if "HTTP 429" in line)
    assert "API call exceeded rate limit due to too many requests. (E0000047)" in retry
    assert "every request of this connector waits as long (its request budget is paused)" in retry


def test_an_okta_token_it_refuses_fails_the_sync_with_okta_s_error_summary(vendor_server, make_connector):
    vendor = vendor_server(Okta)
    connector = make_connector(**{**vendor.connector_fields(), "api_key": "SSWS 00revoked-token"})

    log = _failed_storing_nothing(connector)

    assert "HTTP 401" in log.error_message and "Invalid token provided (E0000011)" in log.error_message


@pytest.mark.parametrize(
    "pagination",
    [
        {"type": "auto", "size_param": "sysparm_limit", "page_size": 5},
        {"type": "offset", "offset_param": "sysparm_offset", "limit_param": "sysparm_limit", "limit": 5},
    ],
    ids=["auto", "offset"],
)
def test_servicenow_pages_keep_the_query_and_never_go_past_the_announced_end(
    vendor_server, make_connector, pagination
):
    vendor = vendor_server(ServiceNow)
    connector = make_connector(
        **vendor.connector_fields(),
        query_params={"sysparm_query": "active=true^ORDERBYnumber"},
        pagination=pagination,
    )

    log = run_sync(connector)

    assert log.status == SyncStatus.SUCCESS, log.error_message
    assert (log.records_created, log.pages_fetched) == (23, 5)
    assert _canonical(stored_records(connector).values()) == _canonical(vendor.all_records())
    offsets = sorted(int(request["query"].get("sysparm_offset", "0")) for request in vendor.requests)
    assert offsets == [0, 5, 10, 15, 20]  # rel="last" / X-Total-Count announce the end: none past it
    assert all(
        request["query"]["sysparm_query"] == "active=true^ORDERBYnumber" for request in vendor.requests
    )
    assert all(request["query"]["sysparm_limit"] == "5" for request in vendor.requests)


def test_a_servicenow_error_answer_fails_the_sync_with_its_message(vendor_server, make_connector):
    vendor = vendor_server(ServiceNow)
    connector = make_connector(**{**vendor.connector_fields(), "api_key": "wrong-password"})

    log = _failed_storing_nothing(connector)

    assert "HTTP 401" in log.error_message and "User Not Authenticated" in log.error_message


MONDAY_CURSOR = {
    "pagination": {
        "type": "cursor",
        "cursor_path": "data.boards.0.items_page.cursor",
        "cursor_param": "variables.cursor",
    },
    "records_path": "data.boards.0.items_page.items",
}


@pytest.mark.parametrize("fields", [{}, MONDAY_CURSOR], ids=["auto", "cursor"])
def test_monday_items_page_is_paged_by_its_cursor_sent_as_the_query_s_variable(
    vendor_server, make_connector, fields
):
    vendor = vendor_server(MondayItemsPage)
    connector = make_connector(**{**vendor.connector_fields(), **fields})

    log = _synced_completely(vendor, connector)
    cursors = [request["body"]["variables"].get("cursor") for request in vendor.requests]
    assert cursors[0] is None and all(cursors[1:]) and len(set(cursors[1:])) == 2 and len(cursors) == 3
    if not fields:
        assert any(
            "Detected pagination" in line and "data.boards.0.items_page" in line and "$cursor" in line
            for line in events(log)
        )


def test_monday_s_own_first_query_without_a_cursor_variable_fails_instead_of_storing_its_envelope(
    vendor_server, make_connector
):
    # The docs' first query: items_page { cursor items { id name } }, then next_items_page(cursor: ...)
    # by hand. The same query sent again cannot reach page 2; nor is the answer's envelope a record.
    vendor = vendor_server(MondayItemsPage)
    fields = vendor.connector_fields()
    query = "query { boards(ids: [1234567890]) { items_page(limit: 10) { cursor items { id name } } } }"
    connector = make_connector(**{**fields, "request_body": {"query": query}})

    log = run_sync(connector)

    assert log.status == SyncStatus.FAILED
    assert "passes no variable as its 'cursor' argument" in log.error_message
    assert len(vendor.requests) == 1
    stored = stored_records(connector)
    assert len(stored) == 10 and all(set(record) == {"id", "name"} for record in stored.values())


def _two_boards_synced(vendor_server, make_connector, **fields):
    """A sync of a monday.com query naming two boards (each answers its own items page)."""
    vendor = vendor_server(MondayItemsPage)
    vendor.boards = 2
    query = MondayItemsPage.query.replace("ids: [1234567890]", "ids: [1234567890, 1234567891]")
    connector = make_connector(
        **{**vendor.connector_fields(), "request_body": {"query": query, "variables": {}}, **fields}
    )
    log = run_sync(connector)
    assert log.status == SyncStatus.FAILED and len(vendor.requests) == 1
    return log, stored_records(connector)


def test_a_monday_query_of_two_boards_on_auto_fails_naming_both_items_pages_and_stores_nothing(
    vendor_server, make_connector
):
    # Two items pages in one answer: detecting one would sync it and leave the other board unread
    # (before: the whole answer was stored as ONE record, SUCCESS).
    log, stored = _two_boards_synced(vendor_server, make_connector)

    assert "holds 2 paged lists (data.boards.0.items_page, data.boards.1.items_page)" in log.error_message
    assert "boards(ids: [<id>])" in log.error_message
    assert stored == {}


def test_a_monday_query_of_two_boards_with_an_explicit_records_path_fails_instead_of_ending_at_page_one(
    vendor_server, make_connector
):
    # The records path chooses board 0, but which cursor pages it cannot be detected: the first page
    # is stored and the run fails (before: SUCCESS with 10 of its 23 items).
    log, stored = _two_boards_synced(
        vendor_server, make_connector, records_path="data.boards.0.items_page.items"
    )

    assert "holds 2 paged lists" in log.error_message and "set the pagination explicitly" in log.error_message
    assert len(stored) == 10


@pytest.mark.parametrize(("status", "retry_after"), [(200, False), (429, True)], ids=["200", "429"])
def test_monday_s_complexity_budget_exhausted_pauses_the_connector_and_asks_the_page_again(
    vendor_server, make_connector, settings, status, retry_after
):
    settings.MIGRATEIQ_HTTP_RETRY_AFTER_CAP = 2
    vendor = vendor_server(MondayItemsPage)
    vendor.exhausted_on_page, vendor.exhausted_status, vendor.send_retry_after = 2, status, retry_after
    connector = make_connector(**vendor.connector_fields())

    retry = _synced_with_page_two_asked_again(vendor, connector)
    assert f"HTTP {status}" in retry and "'Complexity budget exhausted'" in retry
    assert "retrying in 1.0 s" in retry


def test_a_monday_budget_wait_longer_than_the_cap_fails_the_run_naming_it(
    vendor_server, make_connector, fast_retries
):
    vendor = vendor_server(MondayItemsPage)
    vendor.exhausted_on_page, vendor.exhausted_times, vendor.retry_in_seconds = 2, 10**6, 30
    connector = make_connector(**vendor.connector_fields())

    _failed_on_page_two_past_the_cap(
        vendor, connector, "reports a rate limit (the API says: 'Complexity budget exhausted')", 30, 10
    )


def _failed_on_page_two_past_the_cap(vendor, connector, said: str, seconds: int, records: int) -> None:
    """Sync ``connector``: page 2 reports a rate limit whose wait is past the cap; the run fails
    naming it, with page 1's ``records`` kept for a resume."""
    log = run_sync(connector)

    assert log.status == SyncStatus.FAILED
    assert said in log.error_message, log.error_message
    assert f"it asks to wait {seconds} s, longer than MIGRATEIQ_HTTP_RETRY_AFTER_CAP" in log.error_message
    assert len(vendor.requests) == 2 and log.records_created == records  # page 1 kept, to be resumed


def test_a_linear_connection_on_auto_is_paged_by_its_end_cursor(vendor_server, make_connector):
    vendor = vendor_server(LinearGraphQL)
    connector = make_connector(**vendor.connector_fields())

    _synced_completely(vendor, connector)
    assert [request["status"] for request in vendor.requests] == [200] * 3


@pytest.mark.parametrize("window", ["Requests", "Complexity"])
def test_a_linear_rate_limit_answered_with_http_400_pauses_the_connector_until_its_window_resets(
    vendor_server, make_connector, settings, window
):
    settings.MIGRATEIQ_HTTP_RETRY_AFTER_CAP = 3  # the window resets a second later (epoch milliseconds)
    vendor = vendor_server(LinearGraphQL)
    vendor.rate_limited_on_page, vendor.rate_limited_window = 2, window
    connector = make_connector(**vendor.connector_fields())

    retry = _synced_with_page_two_asked_again(vendor, connector)
    assert [request["status"] for request in vendor.requests] == [200, 400, 200, 200]
    assert "HTTP 400" in retry and "Rate limit exceeded. Only 2500 requests are allowed" in retry
    assert "retrying in 0." in retry or "retrying in 1.0 s" in retry  # the reset, not epoch ms as seconds


# -- Marketo, Ashby, Dropbox, Eventbrite, NetSuite, Webflow --------------------------------------


def test_marketo_s_next_page_token_goes_back_as_next_page_token_until_more_result_is_false(
    vendor_server, make_connector
):
    vendor = vendor_server(Marketo)
    connector = make_connector(**vendor.connector_fields())

    log = _synced_completely(vendor, connector)
    tokens = [request["query"]["nextPageToken"] for request in vendor.requests]
    assert tokens[0] == vendor.since_token and len(set(tokens)) == 3  # each answer's token, once
    assert all(set(request["query"]) == {"nextPageToken", "activityTypeIds"} for request in vendor.requests)
    # The last answer names a token too (for later changes): moreResult: false ends the run there.
    assert any("Last page: moreResult says this is the last page" in line for line in events(log))


@pytest.mark.parametrize(("code", "said"), [("606", "Max rate limit '100' exceeded"), ("615", "Concurrent")])
def test_a_marketo_rate_limit_answered_with_http_200_pauses_the_connector_and_asks_the_page_again(
    vendor_server, make_connector, settings, code, said
):
    settings.MIGRATEIQ_HTTP_RETRY_AFTER_CAP = 2
    vendor = vendor_server(Marketo)
    vendor.rate_limited_on_page, vendor.rate_limit_code, vendor.window_seconds = 2, code, 1
    connector = make_connector(**vendor.connector_fields())

    log = _synced_completely(vendor, connector)
    tokens = [request["query"]["nextPageToken"] for request in vendor.requests]
    assert len(tokens) == 4 and tokens[1] == tokens[2]  # page 2 twice, nothing else again
    retry = next(line for line in events(log) if "reports a rate limit" in line)
    assert "HTTP 200" in retry and said in retry and f"({code})" in retry
    assert "its request budget is paused" in retry
    if code == "606":
        assert "retrying in 1.0 s" in retry  # the window its message names


def test_a_marketo_606_window_longer_than_the_cap_fails_the_run_naming_the_wait(
    vendor_server, make_connector, fast_retries
):
    vendor = vendor_server(Marketo)
    vendor.rate_limited_on_page, vendor.rate_limited_times = 2, 10**6  # 100 calls in 20 s, spent
    connector = make_connector(**vendor.connector_fields())

    log = run_sync(connector)

    assert log.status == SyncStatus.FAILED
    assert "Max rate limit '100' exceeded with in '20' secs (606)" in log.error_message
    assert "it asks to wait 20 s, longer than MIGRATEIQ_HTTP_RETRY_AFTER_CAP" in log.error_message
    assert len(vendor.requests) == 2 and log.records_created == 10  # page 1 kept, to be resumed


def test_a_marketo_token_it_refuses_with_http_200_fails_the_sync_and_stores_nothing(
    vendor_server, make_connector
):
    vendor = vendor_server(Marketo)
    connector = make_connector(**{**vendor.connector_fields(), "api_key": "expired-access-token"})

    log = _failed_storing_nothing(connector)

    assert "HTTP 200 with an error" in log.error_message and "Access token invalid" in log.error_message


def test_ashby_pages_by_the_cursor_in_the_posted_body_until_more_data_available_is_false(
    vendor_server, make_connector
):
    vendor = vendor_server(Ashby)
    connector = make_connector(**vendor.connector_fields())

    _synced_completely(vendor, connector)
    bodies = [request["body"] for request in vendor.requests]
    assert bodies[0] == {} and [sorted(body) for body in bodies[1:]] == [["cursor"]] * 2


@pytest.mark.parametrize(
    ("vendor_class", "signal", "message"),
    [
        # {"success": false, "errorInfo": {"code", "message", "requestId"}}
        (Ashby, "success: false", "missing the candidatesRead permission"),
        # {"success": false, "errors": [{"code", "message"}], "messages": [], "result": null}
        (Cloudflare, "errors", "Unauthorized to access requested resource"),
    ],
    ids=lambda v: getattr(v, "name", ""),
)
def test_an_error_envelope_answered_with_http_200_fails_the_sync_instead_of_becoming_a_record_or_nothing(
    vendor_server, make_connector, vendor_class, signal, message
):
    vendor = vendor_server(vendor_class)
    vendor.error_with_http_200 = True
    connector = make_connector(**vendor.connector_fields())

    log = _failed_storing_nothing(connector)

    assert f"HTTP 200 with an error ({signal})" in log.error_message
    assert message in log.error_message
    assert not DataSyncService(connector).check_connection().connected


DROPBOX_CONTINUE = {
    "type": "cursor",
    "cursor_path": "cursor",
    "cursor_param": "cursor",
    "has_more_path": "has_more",
    "cursor_url": "/2/files/list_folder/continue",
}


def test_dropbox_on_auto_fails_naming_has_more_when_its_cursor_is_refused_by_list_folder(
    vendor_server, make_connector
):
    vendor = vendor_server(Dropbox)
    connector = make_connector(**vendor.connector_fields())

    log = run_sync(connector)

    assert log.status == SyncStatus.FAILED
    assert "request body: unknown field" in log.error_message and "cursor" in log.error_message
    assert "The previous page says more records exist (has_more: true)" in log.error_message
    assert '"cursor_url"' in log.error_message and "list_folder/continue" in log.error_message
    assert log.records_created == 10 and len(vendor.requests) == 2  # page 1 kept, never SUCCESS


def test_dropbox_continues_its_listing_at_list_folder_continue_with_the_cursor_alone(
    vendor_server, make_connector
):
    vendor = vendor_server(Dropbox)
    connector = make_connector(**vendor.connector_fields(), pagination=DROPBOX_CONTINUE)

    log = _synced_completely(vendor, connector)
    assert [request["path"] for request in vendor.requests] == [vendor.path] + [vendor.continue_path] * 2
    assert vendor.requests[0]["body"] == {"path": "/Reports", "recursive": False}
    assert [sorted(request["body"]) for request in vendor.requests[1:]] == [["cursor"]] * 2
    assert all(request["status"] == 200 for request in vendor.requests)  # nothing past has_more: false
    assert any("Last page: has_more says this is the last page" in line for line in events(log))

    vendor.requests.clear()
    again = run_sync(connector)
    assert again.status == SyncStatus.SUCCESS, again.error_message
    assert (again.records_unchanged, len(vendor.requests)) == (23, 3)


def test_a_cursor_url_on_another_host_is_refused_before_credentials_go_there(vendor_server, make_connector):
    vendor = vendor_server(Dropbox)
    pagination = {**DROPBOX_CONTINUE, "cursor_url": "https://elsewhere.example/2/files/list_folder/continue"}
    connector = make_connector(**vendor.connector_fields(), pagination=pagination)

    log = run_sync(connector)

    assert log.status == SyncStatus.FAILED
    assert "is not on the connector's host" in log.error_message
    assert len(vendor.requests) == 1


EVENTBRITE_CURSOR = {
    "type": "cursor",
    "cursor_path": "pagination.continuation",
    "cursor_param": "continuation",
    "has_more_path": "pagination.has_more_items",
}


@pytest.mark.parametrize("fields", [{}, {"pagination": EVENTBRITE_CURSOR}], ids=["auto", "cursor"])
def test_eventbrite_stops_on_has_more_items_false_although_its_last_page_has_a_continuation(
    vendor_server, make_connector, fields
):
    vendor = vendor_server(Eventbrite)
    connector = make_connector(**{**vendor.connector_fields(), **fields})

    log = _synced_completely(vendor, connector)
    continuations = [request["query"].get("continuation") for request in vendor.requests]
    assert continuations[0] is None and len(continuations) == 3 and all(continuations[1:])
    assert any("pagination.has_more_items says this is the last page" in line for line in events(log))


@pytest.mark.parametrize(
    "fields",
    [
        {},
        {"pagination": {k: v for k, v in EVENTBRITE_CURSOR.items() if k != "has_more_path"}},
    ],
    ids=["auto", "cursor"],
)
def test_eventbrite_without_has_more_items_stops_at_page_count_instead_of_asking_past_it(
    vendor_server, make_connector, fields
):
    # The v3 page's keys only: page N of N still carries a continuation.
    vendor = vendor_server(Eventbrite, has_more_items=False)
    connector = make_connector(**{**vendor.connector_fields(), **fields})

    log = _synced_completely(vendor, connector)
    continuations = [request["query"].get("continuation") for request in vendor.requests]
    assert continuations[0] is None and len(continuations) == 3 and all(continuations[1:])
    assert "Last page: pagination.page_number (3) reached pagination.page_count (3)." in events(log), events(
        log
    )


@pytest.mark.parametrize(
    "pagination",
    [{"type": "auto"}, {"type": "offset", "limit": 10}, {"type": "offset", "limit": 5}],
    ids=["auto", "offset", "offset-5"],
)
def test_netsuite_collections_page_by_offset_and_stop_at_total_results(
    vendor_server, make_connector, pagination
):
    vendor = vendor_server(NetSuite)
    connector = make_connector(**vendor.connector_fields(), pagination=pagination)

    log = run_sync(connector)

    assert log.status == SyncStatus.SUCCESS, log.error_message
    assert log.records_created == 23
    assert _canonical(stored_records(connector).values()) == _canonical(vendor.all_records())
    limit = pagination.get("limit", vendor.page_size)
    offsets = sorted(int(request["query"].get("offset", "0")) for request in vendor.requests)
    assert offsets == list(range(0, 23, limit))  # multiples of the limit, none past totalResults
    assert all(request["status"] == 200 for request in vendor.requests)


def test_a_netsuite_error_fails_the_sync_with_its_error_detail(vendor_server, make_connector):
    vendor = vendor_server(NetSuite)
    connector = make_connector(**{**vendor.connector_fields(), "api_key": "revoked"})

    log = _failed_storing_nothing(connector)

    assert "HTTP 401" in log.error_message and "Unauthorized" in log.error_message


@pytest.mark.parametrize(
    ("vendor_class", "message"),
    [
        (WebflowV2, "Too many requests"),
        (Spotify, "API rate limit exceeded"),
        (GreenhouseHarvest, "Too many requests"),
        (Gong, "Too many requests"),
    ],
    ids=lambda v: getattr(v, "name", ""),
)
def test_a_429_pauses_the_connector_for_its_retry_after_and_asks_the_page_again(
    vendor_server, make_connector, settings, vendor_class, message
):
    settings.MIGRATEIQ_HTTP_RETRY_AFTER_CAP = 2
    vendor = vendor_server(vendor_class)
    vendor.rate_limited_on_page = 2
    connector = make_connector(**vendor.connector_fields(), max_concurrent_requests=1)

    log = _synced_completely(vendor, connector, pages=vendor.expected_pages())
    assert [request["status"] for request in vendor.requests] == [200, 429] + [200] * (
        vendor.expected_pages() - 1
    )
    assert vendor.requests[1]["query"] == vendor.requests[2]["query"]
    retry = next(line for line in events(log) if "HTTP 429" in line)
    assert message in retry and "retrying in 1.0 s" in retry


# -- OData v2, Help Scout, Mailgun, Stack Exchange, Cloudflare, Zoho CRM, Spotify, Facebook, Close,
# Recurly, and Marketo's "nothing new" -----------------------------------------------------------


@pytest.mark.parametrize("inlinecount", [True, False], ids=["with-count", "without-count"])
def test_odata_v2_records_under_d_results_are_paged_by_d_next_s_skiptoken(
    vendor_server, make_connector, inlinecount
):
    vendor = vendor_server(ODataV2)
    fields = vendor.connector_fields()
    if not inlinecount:
        fields["query_params"] = {"$format": "json"}
    connector = make_connector(**fields)

    log = _synced_completely(vendor, connector, pages=5)
    assert log.detected_pagination == "next_url"
    assert [bool(request["query"].get("$skiptoken")) for request in vendor.requests] == [False] + [True] * 4
    assert all("__metadata" in record for record in stored_records(connector).values())  # never the envelope


def test_mailgun_events_follow_paging_next_until_a_page_without_items(vendor_server, make_connector):
    vendor = vendor_server(Mailgun)
    connector = make_connector(**vendor.connector_fields())

    log = _synced_completely(vendor, connector, pages=6)
    assert log.detected_pagination == "next_url"
    # 5 pages of events, then the empty page whose paging.next is itself: the end, nothing after it
    assert len(vendor.requests) == vendor.expected_pages() == 6
    assert all(request["status"] == 200 for request in vendor.requests)


STACK_EXCHANGE_PAGES = {"type": "page", "size_param": "pagesize", "page_size": 10}


def test_stack_exchange_on_auto_says_has_more_is_unfollowed_instead_of_ending_success(
    vendor_server, make_connector
):
    vendor = vendor_server(StackExchange)
    connector = make_connector(**vendor.connector_fields())

    log = run_sync(connector)

    assert log.status != SyncStatus.SUCCESS
    assert "The upstream says more records exist (has_more: true)" in (log.error_message or "")


def test_stack_exchange_s_backoff_holds_the_next_request_for_its_seconds(vendor_server, make_connector):
    vendor = vendor_server(StackExchange)
    vendor.backoff_on_page = 1  # a request within the next second is a throttle violation
    connector = make_connector(
        **vendor.connector_fields(), pagination=STACK_EXCHANGE_PAGES, max_concurrent_requests=1
    )

    log = _synced_completely(vendor, connector)
    assert [request["query"]["page"] for request in vendor.requests] == ["1", "2", "3"]
    assert all(request["query"]["pagesize"] == "10" for request in vendor.requests)
    assert any("Page 1 asks to wait 1 s before the next request (backoff: 1" in line for line in events(log))


@pytest.mark.parametrize(("seconds", "times"), [(1, 1), (86400, 10**6)], ids=["retried", "daily-quota"])
def test_a_stack_exchange_throttle_violation_answered_with_http_400_waits_the_seconds_it_names(
    vendor_server, make_connector, settings, seconds, times
):
    settings.MIGRATEIQ_HTTP_RETRY_AFTER_CAP = 2
    vendor = vendor_server(StackExchange)
    vendor.throttled_on_page, vendor.throttled_times, vendor.throttle_seconds = 2, times, seconds
    connector = make_connector(
        **vendor.connector_fields(), pagination=STACK_EXCHANGE_PAGES, max_concurrent_requests=1
    )

    if seconds == 1:
        log = _synced_completely(vendor, connector)
        assert [request["query"]["page"] for request in vendor.requests] == ["1", "2", "2", "3"]
        retry = next(line for line in events(log) if "reports a rate limit" in line)
        assert "HTTP 400" in retry and "(throttle_violation)" in retry and "retrying in 1.0 s" in retry
    else:  # the day's quota is spent: no retry, the wait named, page 1 kept to resume
        log = run_sync(connector)
        assert log.status == SyncStatus.FAILED
        assert "more requests available in 86400 seconds (throttle_violation)" in log.error_message
        assert "it asks to wait 86400 s, longer than MIGRATEIQ_HTTP_RETRY_AFTER_CAP" in log.error_message
        assert (len(vendor.requests), log.records_created) == (2, 10)


@pytest.mark.parametrize(
    ("vendor_class", "fields"),
    [
        (HelpScout, {}),  # {"_embedded": {"conversations": []}, ...}: never its HAL envelope as a record
        (ZohoCrm, {}),  # HTTP 204 No Content
        (ZohoCrmV2, {}),
        (Marketo, {}),  # "nothing new": {"success": true, "nextPageToken", "moreResult": false}
        (Marketo, {"records_path": "result"}),
    ],
    ids=["helpscout", "zoho-crm", "zoho-crm-v2", "marketo", "marketo-result"],
)
def test_an_empty_list_as_the_vendor_answers_it_stores_nothing_and_succeeds(
    vendor_server, make_connector, vendor_class, fields
):
    vendor = vendor_server(vendor_class, records=0)
    connector = make_connector(**vendor.connector_fields(), **fields)

    log = run_sync(connector)

    assert log.status == SyncStatus.SUCCESS, log.error_message
    assert (log.records_processed, len(vendor.requests)) == (0, 1)
    assert not SyncedRecord.objects.filter(connector=connector).exists()


def test_zoho_crm_v3_pages_by_next_page_token_sent_as_page_token(vendor_server, make_connector):
    vendor = vendor_server(ZohoCrm)
    connector = make_connector(**vendor.connector_fields())

    log = _synced_completely(vendor, connector, pages=5)
    assert log.detected_pagination == "cursor"
    assert [sorted(request["query"]) for request in vendor.requests] == [["fields"]] + [
        ["fields", "page_token"]
    ] * 4


def test_close_on_auto_is_not_taken_for_stripe_and_says_has_more_is_unfollowed(vendor_server, make_connector):
    vendor = vendor_server(Close)
    connector = make_connector(**vendor.connector_fields())

    log = run_sync(connector)

    assert log.status != SyncStatus.SUCCESS
    assert "The upstream says more records exist (has_more: true)" in (log.error_message or "")
    assert all("starting_after" not in request["query"] for request in vendor.requests)
    assert len(vendor.requests) == 1


def test_close_with_skip_and_limit_offsets_syncs_every_lead(vendor_server, make_connector):
    vendor = vendor_server(Close)
    pagination = {"type": "offset", "offset_param": "_skip", "limit_param": "_limit", "limit": 5}
    connector = make_connector(**vendor.connector_fields(), pagination=pagination, max_concurrent_requests=1)

    _synced_completely(vendor, connector, pages=5)
    assert [request["query"]["_skip"] for request in vendor.requests] == ["0", "5", "10", "15", "20"]


def test_a_marketo_answer_without_result_that_says_more_still_fails_instead_of_ending_success(
    vendor_server, make_connector
):
    vendor = vendor_server(Marketo, records=0)
    vendor.more_result_when_empty = True  # no "result", yet "moreResult": true
    connector = make_connector(**vendor.connector_fields(), records_path="result")

    log = run_sync(connector)

    assert log.status == SyncStatus.FAILED
    assert "records_path 'result' was not found" in log.error_message


@pytest.mark.parametrize("announce_total", [True, False], ids=["meta-total", "no-total"])
def test_a_pinned_json_api_next_link_ends_like_auto_on_a_last_page_that_omits_it(
    vendor_server, make_connector, editor_client, announce_total
):
    # JSON:API omits links.next on the last page; here the last page is full (75 = 3 x 25).
    vendor = vendor_server(JsonApiOmittedNext)
    vendor.announce_total = announce_total
    connector = make_connector(**vendor.connector_fields())
    auto = run_sync(connector)
    assert auto.status == SyncStatus.SUCCESS, auto.error_message
    url = f"/api/demo-extension/connectors/{connector.pk}/"

    preview = editor_client.post(f"{url}preview/", {}, format="json").json()
    pinned = editor_client.patch(url, {"pagination": preview["pagination"]["config"]}, format="json")
    assert pinned.status_code == 200, pinned.content
    connector.refresh_from_db()
    assert connector.pagination == {"type": "next_url", "next_url_path": "links.next"}

    log = run_sync(connector, full_refresh=True)

    assert log.status == SyncStatus.SUCCESS, log.error_message
    assert log.records_processed == 75 and log.pages_fetched == 3
    assert SyncedRecord.objects.filter(connector=connector, deleted_at__isnull=True).count() == 75


# -- Meta Graph API rate limits -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "status", "headers", "said", "wait"),
    [
        (17, 400, {}, "(#17) User request limit reached (17)", None),
        (4, 403, {}, "(#4) Application request limit reached (4)", None),
        (613, 400, {"Retry-After": "1"}, "exceeded the rate limit. (613)", "1.0 s"),
        (
            80004,
            400,
            {"X-Ad-Account-Usage": '{"acc_id_util_pct": 100, "reset_time_duration": 1}'},
            "too many calls to this ad-account",
            "1.0 s",
        ),
    ],
    ids=["user-17", "app-4-http-403", "613-retry-after", "buc-80004-ad-account-reset"],
)
def test_a_graph_rate_limit_answered_with_http_400_or_403_pauses_the_connector_and_asks_the_page_again(
    vendor_server, make_connector, settings, code, status, headers, said, wait
):
    settings.MIGRATEIQ_HTTP_RETRY_AFTER_CAP = 2
    vendor = vendor_server(FacebookGraph)
    vendor.rate_limited_on_page, vendor.rate_limit_code = 2, code
    vendor.rate_limit_status, vendor.rate_limit_headers = status, headers
    connector = make_connector(**vendor.connector_fields())

    log = _synced_completely(vendor, connector, pages=5)
    afters = [request["query"].get("after") for request in vendor.requests]
    assert len(afters) == 6 and afters[1] == afters[2] and afters[1]  # page 2 twice, nothing else again
    assert [request["status"] for request in vendor.requests].count(status) == 1
    retry = next(line for line in events(log) if "reports a rate limit" in line)
    assert f"HTTP {status}" in retry and said in retry, retry
    assert "its request budget is paused" in retry
    if wait:
        assert f"retrying in {wait}" in retry, retry


def test_a_graph_error_that_is_no_rate_limit_still_fails_the_run_with_its_message(
    vendor_server, make_connector
):
    vendor = vendor_server(FacebookGraph)
    vendor.rate_limited_on_page, vendor.rate_limit_code = 2, 100  # "Invalid parameter": no limit
    connector = make_connector(**vendor.connector_fields())

    log = run_sync(connector)

    assert log.status == SyncStatus.FAILED
    assert "HTTP 400" in log.error_message and "reports a rate limit" not in log.error_message
    assert len(vendor.requests) == 2 and log.records_created == 5


def test_a_graph_business_use_case_limit_longer_than_the_cap_fails_the_run_naming_meta_s_wait(
    vendor_server, make_connector, settings
):
    settings.MIGRATEIQ_HTTP_RETRY_AFTER_CAP = 2
    vendor = vendor_server(FacebookGraph)
    vendor.rate_limited_on_page, vendor.rate_limit_code = 2, 80004
    usage = {"act_1": [{"type": "ads_management", "call_count": 100, "estimated_time_to_regain_access": 3}]}
    vendor.rate_limit_headers = {"X-Business-Use-Case-Usage": json.dumps(usage)}  # minutes
    connector = make_connector(**vendor.connector_fields())

    _failed_on_page_two_past_the_cap(vendor, connector, "too many calls to this ad-account", 180, 5)


# -- Greenhouse Harvest, Lever, Gong, YouTube, QuickBooks Online, Twitch, Todoist, Trello ------------


def test_greenhouse_harvest_v3_cursor_links_are_followed_as_given_without_the_first_request_s_parameters(
    vendor_server, make_connector
):
    # "When you pass a cursor, it must be the only query parameter": per_page and filters go on the
    # first request only.
    vendor = vendor_server(GreenhouseHarvestV3)
    pagination = {"type": "auto", "size_param": "per_page", "page_size": 5}
    connector = make_connector(
        **vendor.connector_fields(), pagination=pagination, query_params={"status": "open"}
    )

    _synced_completely(vendor, connector, pages=5)
    queries = [request["query"] for request in vendor.requests]
    assert queries[0] == {"status": "open", "per_page": "5"}
    assert all(list(query) == ["cursor"] for query in queries[1:])


def test_lever_s_next_token_is_sent_back_as_offset_until_has_next_is_false(vendor_server, make_connector):
    vendor = vendor_server(Lever)
    connector = make_connector(**vendor.connector_fields())

    log = _synced_completely(vendor, connector, pages=5)
    assert log.detected_pagination == "cursor"
    offsets = [request["query"].get("offset") for request in vendor.requests]
    assert offsets[0] is None and all(offset and offset.startswith("0.") for offset in offsets[1:])
    assert [request["path"] for request in vendor.requests] == [vendor.path] * 5  # never taken for a URL


def test_gong_s_records_object_is_its_paging_metadata_and_records_cursor_is_followed(
    vendor_server, make_connector
):
    vendor = vendor_server(Gong)
    connector = make_connector(**vendor.connector_fields())

    log = _synced_completely(vendor, connector, pages=5)
    assert log.detected_pagination == "cursor"
    assert [bool(request["query"].get("cursor")) for request in vendor.requests] == [False] + [True] * 4
    assert all("totalRecords" not in record for record in stored_records(connector).values())


def test_gong_s_extensive_calls_get_records_cursor_back_in_the_posted_body_beside_its_filter(
    vendor_server, make_connector
):
    vendor = vendor_server(Gong)
    body = {"filter": {"fromDateTime": "2026-01-01T00:00:00Z"}, "contentSelector": {"context": "None"}}
    connector = make_connector(
        **{**vendor.connector_fields(), "api_endpoint": f"{vendor.base}/v2/calls/extensive"},
        request_method="POST",
        request_body=body,
    )

    _synced_completely(vendor, connector, pages=5)
    bodies = [request["body"] for request in vendor.requests]
    assert bodies[0] == body and all(sent == {**body, "cursor": sent["cursor"]} for sent in bodies[1:])


def test_a_gong_page_that_loses_its_cursor_before_total_records_ends_partial(vendor_server, make_connector):
    vendor = vendor_server(Gong)
    vendor.cursor_lost_on_page = 2
    connector = make_connector(**vendor.connector_fields())

    log = run_sync(connector)

    assert log.status == SyncStatus.PARTIAL
    assert "The upstream announces 23 records but the sync received 10" in log.error_message
    assert log.records_created == 10 and len(vendor.requests) == 2


def test_a_youtube_search_s_approximate_total_past_the_last_page_ends_partial_naming_it(
    vendor_server, make_connector
):
    # search.list's pageInfo.totalResults "is an approximation" (at most 1,000,000) and a search
    # serves a few hundred results at most: a run cannot prove it read every match.
    vendor = vendor_server(YouTube)
    vendor.approximate_total = 1_000_000
    connector = make_connector(**vendor.connector_fields())

    log = run_sync(connector)

    assert log.status == SyncStatus.PARTIAL
    assert "The upstream announces 1000000 records but the sync received 23" in log.error_message
    assert "The pagination was followed for 5 pages and the last names no next one" in log.error_message
    assert "Configure the connector's pagination" not in log.error_message  # it is right already
    assert log.records_created == 23


def test_a_spent_youtube_quota_fails_the_run_at_once_with_its_message_and_keeps_page_one(
    vendor_server, make_connector
):
    vendor = vendor_server(YouTube)
    vendor.quota_spent_on_page = 2  # HTTP 403 quotaExceeded: a daily quota, no retry helps
    connector = make_connector(**vendor.connector_fields())

    log = run_sync(connector)

    assert log.status == SyncStatus.FAILED
    assert "HTTP 403" in log.error_message and "you have exceeded your quota" in log.error_message
    assert "after 1 attempt" in log.error_message and vendor.api_key not in log.error_message
    assert (len(vendor.requests), log.records_created) == (2, 5)


def test_a_quickbooks_query_s_entities_are_the_records_never_its_query_response_envelope(
    vendor_server, make_connector
):
    vendor = vendor_server(QuickBooksOnline)
    connector = make_connector(**vendor.connector_fields(), primary_key="Id")

    log = run_sync(connector)

    assert log.status == SyncStatus.SUCCESS, log.error_message
    assert log.records_created == 23
    assert _canonical(stored_records(connector).values()) == _canonical(vendor.all_records())


@pytest.mark.parametrize("records_path", [None, "QueryResponse.Customer"], ids=["auto", "pinned"])
def test_a_quickbooks_query_that_matches_nothing_stores_nothing(vendor_server, make_connector, records_path):
    vendor = vendor_server(QuickBooksOnline, records=0)  # {"QueryResponse": {}, "time": ...}
    connector = make_connector(**vendor.connector_fields(), primary_key="Id", records_path=records_path)

    log = run_sync(connector)

    assert log.status == SyncStatus.SUCCESS, log.error_message
    assert log.records_processed == 0
    assert not SyncedRecord.objects.filter(connector=connector).exists()


@pytest.mark.parametrize(
    ("statement", "records", "said"),
    [
        ("select * from Customer MAXRESULTS 10", 23, "the MAXRESULTS 10 of the request's query statement"),
        (
            "select * from Customer",
            151,
            "A QuickBooks Online query (100 entities when it names no MAXRESULTS)",
        ),
    ],
    ids=["maxresults", "default-100"],
)
def test_a_quickbooks_answer_as_long_as_its_query_s_limit_ends_partial_saying_the_statement_pages(
    vendor_server, make_connector, statement, records, said
):
    vendor = vendor_server(QuickBooksOnline, records=records)
    fields = {**vendor.connector_fields(), "query_params": {"query": statement, "minorversion": "75"}}
    connector = make_connector(**fields, primary_key="Id")

    log = run_sync(connector)

    assert log.status == SyncStatus.PARTIAL
    assert said in log.error_message, log.error_message
    assert (
        "pages by its own clauses (STARTPOSITION, OFFSET), which MigrateIQ does not rewrite"
        in log.error_message
    )


def test_a_quickbooks_query_fault_fails_the_sync_with_its_message(vendor_server, make_connector):
    vendor = vendor_server(QuickBooksOnline)
    fields = {**vendor.connector_fields(), "query_params": {"query": "select * form Customer"}}
    connector = make_connector(**fields, primary_key="Id")

    log = _failed_storing_nothing(connector)

    assert "HTTP 400" in log.error_message and "Error parsing query" in log.error_message


def test_twitch_s_pagination_cursor_is_sent_back_as_after(vendor_server, make_connector):
    vendor = vendor_server(Twitch)
    connector = make_connector(**vendor.connector_fields())

    _synced_completely(vendor, connector, pages=5)
    assert [sorted(request["query"]) for request in vendor.requests] == [["broadcaster_id"]] + [
        ["after", "broadcaster_id"]
    ] * 4


@pytest.mark.parametrize(
    ("vendor_class", "pinned", "said", "to_set"),
    [
        # sent as "cursor": Twitch ignores it
        (
            Twitch,
            {"type": "cursor", "cursor_path": "pagination.cursor"},
            "The cursor read at 'pagination.cursor' was sent back as 'cursor'",
            "cursor_param",
        ),
        # sent as "page": Strapi reads pagination[page] only
        (Strapi, {"type": "page"}, "The page number was sent as 'page'", "page_param"),
    ],
    ids=["cursor", "page"],
)
def test_a_cursor_or_page_sent_under_a_name_the_api_ignores_fails_naming_the_parameter_to_set(
    vendor_server, make_connector, vendor_class, pinned, said, to_set
):
    vendor = vendor_server(vendor_class)
    connector = make_connector(**vendor.connector_fields(), pagination=pinned)

    log = run_sync(connector)

    assert log.status == SyncStatus.FAILED
    assert "holds the same records as an earlier page" in log.error_message
    assert said in log.error_message
    assert f'"{to_set}": "<the API\'s parameter>"' in log.error_message
    assert log.records_created == 5


def test_a_twitch_429_waits_for_its_ratelimit_reset_and_asks_the_page_again(
    vendor_server, make_connector, settings
):
    settings.MIGRATEIQ_HTTP_RETRY_AFTER_CAP = 3
    vendor = vendor_server(Twitch)
    vendor.rate_limited_on_page = 2  # Ratelimit-Remaining: 0, Ratelimit-Reset: now + 1 (epoch seconds)
    connector = make_connector(**vendor.connector_fields(), max_concurrent_requests=1)

    log = _synced_completely(vendor, connector, pages=5)
    assert [request["status"] for request in vendor.requests] == [200, 429, 200, 200, 200, 200]
    assert vendor.requests[1]["query"] == vendor.requests[2]["query"]
    retry = next(line for line in events(log) if "HTTP 429" in line)
    assert "Rate limit exceeded" in retry and "its request budget is paused" in retry


def test_a_trello_board_s_cards_are_one_answer_and_a_refused_token_fails_with_its_plain_text(
    vendor_server, make_connector
):
    vendor = vendor_server(Trello)
    connector = make_connector(**vendor.connector_fields())

    log = run_sync(connector)

    assert log.status == SyncStatus.SUCCESS, log.error_message
    assert log.records_created == 23 and len(vendor.requests) == 1
    assert _canonical(stored_records(connector).values()) == _canonical(vendor.all_records())

    vendor.token = "a-revoked-token-0000000000"
    again = run_sync(connector)

    assert again.status == SyncStatus.FAILED
    assert "HTTP 401" in again.error_message and "invalid token" in again.error_message
    assert vendor.token not in again.error_message


def test_google_sheets_rows_of_cells_fail_the_sync_saying_they_are_no_records(vendor_server, make_connector):
    vendor = vendor_server(GoogleSheetsValues)  # "values": [["Item", "Cost", "Stocked"], ["Item 1", ...]]
    connector = make_connector(**vendor.connector_fields())

    log = _failed_storing_nothing(connector)

    assert "The 24 records at records_path 'values'" in log.error_message
    assert 'are lists of values (the first: ["Item", "Cost", "Stocked"]), not objects' in log.error_message
    assert vendor.api_key not in log.error_message
    assert log.records_failed == 0  # nothing quarantined as if the transformation rules were wrong


def test_an_empty_google_sheets_range_is_an_empty_page_not_a_record(vendor_server, make_connector):
    vendor = vendor_server(GoogleSheetsValues, records=0)  # {"range", "majorDimension"}: no "values"
    connector = make_connector(**vendor.connector_fields())

    log = run_sync(connector)

    assert log.status == SyncStatus.SUCCESS, log.error_message
    assert log.records_processed == 0
    assert not SyncedRecord.objects.filter(connector=connector).exists()


ELASTICSEARCH_OFFSETS = {"type": "offset", "offset_param": "from", "limit_param": "size", "limit": 5}


@pytest.mark.parametrize("track_total_hits", [10_000, 10], ids=["exact-total", "lower-bound"])
def test_an_elasticsearch_search_on_auto_pages_by_from_and_size_past_a_lower_bound_total(
    vendor_server, make_connector, track_total_hits
):
    vendor = vendor_server(Elasticsearch)
    vendor.track_total_hits = track_total_hits  # 10: hits.total is {"value": 10, "relation": "gte"}
    connector = make_connector(**vendor.connector_fields(), primary_key="_id")

    _synced_completely(vendor, connector)
    offsets = sorted({int(request["query"].get("from", 0)) for request in vendor.requests})
    assert offsets[:3] == [0, 10, 20]
    assert all(request["status"] == 200 for request in vendor.requests)


def test_an_elasticsearch_lower_bound_total_reached_is_no_end_and_the_result_window_fails_naming_it(
    vendor_server, make_connector
):
    vendor = vendor_server(Elasticsearch)
    # hits.total {"value": 10, "relation": "gte"}; from + size past 15 is refused with HTTP 400
    vendor.track_total_hits, vendor.max_result_window = 10, 15
    connector = make_connector(
        **vendor.connector_fields(),
        pagination=ELASTICSEARCH_OFFSETS,
        records_path="hits.hits",
        primary_key="_id",
    )

    log = run_sync(connector)

    assert log.status == SyncStatus.FAILED
    assert log.records_created == 15 and log.records_total is None
    assert "HTTP 400" in log.error_message
    assert "Result window is too large, from + size must be less than or equal to: [15]" in log.error_message
    assert "search_phase_execution_exception" not in log.error_message
    assert "The upstream announced at least 10 records (a lower bound) and the sync received 15" in (
        log.error_message
    )
    assert "index.max_result_window" in log.error_message
    assert '{"type": "cursor", "cursor_from": "search_after", "page_size": ...}' in log.error_message


@pytest.mark.parametrize("counted", [True, False], ids=["count-exact", "no-count"])
def test_a_postgrest_table_capped_by_db_max_rows_is_paged_by_offset_on_auto(
    vendor_server, make_connector, counted
):
    vendor = vendor_server(PostgREST)  # db-max-rows 10: every answer holds 10 rows at most
    fields = vendor.connector_fields()
    if counted:
        fields["request_headers"] = {**fields["request_headers"], "Prefer": "count=exact"}
    connector = make_connector(**fields)

    log = _synced_completely(vendor, connector)
    assert log.records_total == (23 if counted else None)
    offsets = sorted(int(request["query"].get("offset", 0)) for request in vendor.requests)
    assert offsets[:3] == [0, 10, 20]


def test_a_page_s_own_count_is_no_total_a_4xx_for_the_next_page_fails_the_run(vendor_server, make_connector):
    vendor = vendor_server(Mollie)  # {"count": <payments on this page>, "_embedded", "_links"}
    connector = make_connector(**vendor.connector_fields())

    log = _synced_completely(vendor, connector, pages=5)
    assert log.records_total is None  # not 5, the first page's count

    vendor.refused_from_on_page = 2
    refused = run_sync(connector)

    assert refused.status == SyncStatus.FAILED
    assert "HTTP 400" in refused.error_message and "does not exist" in refused.error_message


AZURE_DEVOPS_CURSOR = {
    "type": "cursor",
    "cursor_header": "x-ms-continuationtoken",
    "cursor_param": "continuationToken",
}


@pytest.mark.parametrize("fields", [{}, {"pagination": AZURE_DEVOPS_CURSOR}], ids=["auto", "cursor_header"])
def test_an_azure_devops_continuation_token_in_a_response_header_is_sent_back_as_continuation_token(
    vendor_server, make_connector, fields
):
    vendor = vendor_server(AzureDevOps)  # {"count": <projects on this page>, "value": [...]}
    connector = make_connector(**vendor.connector_fields(), **fields)

    log = _synced_completely(vendor, connector, pages=5)
    assert log.records_total is None  # the body's count is the page's
    assert [sorted(request["query"]) for request in vendor.requests] == [["api-version"]] + [
        ["api-version", "continuationToken"]
    ] * 4


def test_a_cursor_configured_without_a_path_finds_azure_devops_continuation_token_in_its_response_header(
    vendor_server, make_connector
):
    vendor = vendor_server(AzureDevOps)  # {"count": <projects on this page>, "value": [...]}
    pagination = {"type": "cursor", "cursor_param": "continuationToken"}  # no cursor_path, no cursor_header
    connector = make_connector(**vendor.connector_fields(), pagination=pagination)

    log = _synced_completely(vendor, connector, pages=5)
    assert [request["query"].get("continuationToken") is not None for request in vendor.requests] == [
        False
    ] + [True] * 4
    found = [line for line in events(log) if "x-ms-continuationtoken" in line]
    assert len(found) == 1 and "response header" in found[0] and "'continuationToken'" in found[0]


SINGLE_SHORT_PAGE_CURSORS = [
    (AzureDevOps, {"type": "cursor", "cursor_param": "continuationToken"}),
    (AzureDevOps, {**AZURE_DEVOPS_CURSOR, "size_param": "$top", "page_size": 5}),
    *(
        (vendor_class, pagination)
        for vendor_class, pagination in README_EXAMPLES
        if pagination["type"] == "cursor"
    ),
    (Reddit, {"type": "cursor", "cursor_path": "data.after", "cursor_param": "after"}),
]


@pytest.mark.parametrize(
    ("vendor_class", "pagination"), SINGLE_SHORT_PAGE_CURSORS, ids=lambda v: getattr(v, "name", "")
)
def test_a_configured_cursor_whose_only_page_is_short_and_names_no_cursor_ends_success(
    vendor_server, make_connector, vendor_class, pagination
):
    vendor = vendor_server(vendor_class, records=3)
    fields = vendor.connector_fields()
    if vendor_class is Reddit:
        fields.update(records_path="data.children", primary_key="data.name")
    connector = make_connector(**fields, pagination=pagination)

    log = run_sync(connector)

    assert log.status == SyncStatus.SUCCESS, log.error_message
    assert (log.records_created, len(vendor.requests)) == (3, 1)
    assert not log.events.filter(level="warning").exists()


def test_a_full_first_azure_devops_page_without_a_continuation_token_is_not_called_complete(
    vendor_server, make_connector
):
    # Five projects, asked five at a time: the answer has no x-ms-continuationtoken, which is the end
    # only if no sixth project exists; the page cannot tell.
    vendor = vendor_server(AzureDevOps, records=5)
    pagination = {**AZURE_DEVOPS_CURSOR, "size_param": "$top", "page_size": 5}
    connector = make_connector(**vendor.connector_fields(), pagination=pagination)

    log = run_sync(connector)

    assert log.status == SyncStatus.PARTIAL
    assert log.records_created == 5
    assert "holds 5 records, as many as a page holds (pagination.page_size 5" in log.error_message
    assert "found no next cursor" in log.error_message


def test_a_cursor_header_beside_a_cursor_path_is_refused():
    from demo_extension.services.pagination import validate_pagination_config

    with pytest.raises(ValueError, match="cursor_header reads the cursor from a response header"):
        validate_pagination_config({**AZURE_DEVOPS_CURSOR, "cursor_path": "continuationToken"})


@pytest.mark.parametrize(
    "fields",
    [
        {},
        {
            "records_path": "data.children",
            "pagination": {"type": "cursor", "cursor_path": "data.after", "cursor_param": "after"},
        },
    ],
    ids=["auto", "readme"],
)
def test_a_reddit_listing_s_children_are_the_records_and_data_after_is_sent_back_as_after(
    vendor_server, make_connector, fields
):
    vendor = vendor_server(Reddit)  # {"kind": "Listing", "data": {"after", "children": [...]}}
    connector = make_connector(**vendor.connector_fields(), primary_key="data.name", **fields)

    _synced_completely(vendor, connector, pages=5)
    assert [request["query"].get("after") for request in vendor.requests] == [None] + [
        vendor.record(number)["data"]["name"] for number in (5, 10, 15, 20)
    ]


def test_paypal_s_hateoas_links_are_followed_by_their_rel_next_without_totals(vendor_server, make_connector):
    vendor = vendor_server(PayPal)  # no total_required: {"plans", "links": [{"rel": "next", ...}]}
    connector = make_connector(**vendor.connector_fields())

    log = _synced_completely(vendor, connector, pages=5)
    assert any("next-page URL at 'links'" in line for line in events(log))
    assert [request["query"].get("page") for request in vendor.requests] == [None, "2", "3", "4", "5"]


def test_box_marker_pages_send_next_marker_back_as_marker(vendor_server, make_connector):
    vendor = vendor_server(Box)
    connector = make_connector(**{**vendor.connector_fields(), "query_params": {"usemarker": "true"}})

    _synced_completely(vendor, connector, pages=5)
    assert all(request["query"]["usemarker"] == "true" for request in vendor.requests)
    assert [bool(request["query"].get("marker")) for request in vendor.requests] == [False] + [True] * 4


@pytest.mark.parametrize(
    ("vendor_class", "fields", "param"),
    [
        (Strapi, {}, "pagination[page]"),
        (Magento, {"query_params": {"searchCriteria[pageSize]": "5"}}, "searchCriteria[currentPage]"),
    ],
    ids=["strapi", "magento"],
)
def test_a_page_number_asked_for_under_the_api_s_own_name_on_auto(
    vendor_server, make_connector, vendor_class, fields, param
):
    vendor = vendor_server(vendor_class)
    connector = make_connector(**{**vendor.connector_fields(), **fields})

    _synced_completely(vendor, connector, pages=5)
    assert sorted(request["query"].get(param, "1") for request in vendor.requests) == [
        "1",
        "2",
        "3",
        "4",
        "5",
    ]


def test_magento_s_last_page_answered_again_past_an_overcounted_total_fails_saying_so(
    vendor_server, make_connector
):
    vendor = vendor_server(Magento)
    vendor.total_count_extra = 1  # total_count 24 for 23 items: page 6 is page 5 again
    connector = make_connector(
        **{**vendor.connector_fields(), "query_params": {"searchCriteria[pageSize]": "5"}}
    )

    log = run_sync(connector)

    assert log.status == SyncStatus.FAILED
    assert "holds the same records as an earlier page" in log.error_message
    assert "answers a page past its last with the last page again (Magento)" in log.error_message
    assert log.records_created == 23


@pytest.mark.parametrize(
    ("vendor_class", "fields", "records", "stored", "said"),
    [
        (
            Ticketmaster,
            {"pagination": {"type": "auto", "size_param": "size", "page_size": 200}},
            2401,
            1000,
            "The upstream announced 2401 records and the sync received 1000",
        ),
        (
            Box,
            {"pagination": {"type": "offset", "limit": 1000}},
            10_001,
            10_000,
            "The upstream announced 10001 records and",
        ),
        (
            Auth0Users,
            {
                "query_params": {"include_totals": "true"},
                "pagination": {"type": "page", "start_page": 0, "size_param": "per_page", "page_size": 100},
            },
            1234,
            1000,
            "The upstream announced 1234 records and the sync received 1000",
        ),
        (
            YelpBusinessSearch,
            {"pagination": {"type": "offset", "limit": 50}},
            2401,
            1000,
            "The upstream announced 2401 records and the sync received 1000",
        ),
    ],
    ids=["ticketmaster", "box", "auth0", "yelp"],
)
def test_a_list_deeper_than_the_api_pages_fails_naming_the_cap_and_what_to_do(
    vendor_server, make_connector, vendor_class, fields, records, stored, said
):
    # Ticketmaster: size * page < 1000 (HTTP 400 DIS1035); Box: an offset past 9,999 (HTTP 400);
    # Auth0: page * per_page + per_page past 1000 (HTTP 400); Yelp: offset + limit past 1000 (HTTP 400).
    vendor = vendor_server(vendor_class, records=records)
    connector = make_connector(**vendor.connector_fields(), **fields)

    log = run_sync(connector)

    assert log.status == SyncStatus.FAILED
    assert log.records_created == stored
    assert "HTTP 400" in log.error_message and said in log.error_message, log.error_message
    assert "APIs cap how deep a list pages" in log.error_message
    assert "narrow the query" in log.error_message


def test_jira_s_enhanced_jql_search_sends_next_page_token_back_until_is_last(vendor_server, make_connector):
    vendor = vendor_server(JiraSearchJql)  # {"issues", "nextPageToken", "isLast"}; no total, no startAt
    connector = make_connector(**vendor.connector_fields())

    log = _synced_completely(vendor, connector, pages=5)
    assert log.records_total is None
    assert [bool(request["query"].get("nextPageToken")) for request in vendor.requests] == [False] + [
        True
    ] * 4
    assert not any("startAt" in request["query"] for request in vendor.requests)
    assert any("'nextPageToken'" in line and "Detected pagination" in line for line in events(log))


AUTH0_PAGES = {"type": "page", "start_page": 0, "size_param": "per_page", "page_size": 50}


@pytest.mark.parametrize(
    ("fields", "status", "said"),
    [
        ({}, SyncStatus.PARTIAL, "The single answer holds exactly 50 records"),
        (
            {"query_params": {"include_totals": "true"}},
            SyncStatus.FAILED,
            "The offset was sent as 'start' (detected)",
        ),
    ],
    ids=["bare-array", "include-totals"],
)
def test_auth0_users_on_auto_are_never_called_complete_and_the_message_says_what_to_set(
    vendor_server, make_connector, fields, status, said
):
    # Auth0 pages by a zero-based "page" (and "per_page"), which no answer names: without "page" it
    # serves 50 users as a bare array; with include_totals its {"start", "limit", "length", "total"}.
    vendor = vendor_server(Auth0Users)  # 123 users
    connector = make_connector(**vendor.connector_fields(), **fields)

    log = run_sync(connector)

    assert log.status == status
    assert log.records_created == 50
    assert said in log.error_message, log.error_message


def test_auth0_users_page_from_zero_by_page_and_per_page_with_include_totals(vendor_server, make_connector):
    vendor = vendor_server(Auth0Users)  # 123 users
    connector = make_connector(
        **vendor.connector_fields(), query_params={"include_totals": "true"}, pagination=AUTH0_PAGES
    )

    log = run_sync(connector)

    assert log.status == SyncStatus.SUCCESS, log.error_message
    assert (log.records_created, log.records_total) == (123, 123)
    assert _canonical(stored_records(connector).values()) == _canonical(vendor.all_records())
    # A first sync sends up to 3 page numbers ahead of the first answer (README, "Overlapping page
    # fetches"): page 3 is discarded; a re-sync asks for the 3 pages alone.
    assert {int(request["query"]["page"]) for request in vendor.requests} <= {0, 1, 2, 3}
    vendor.requests.clear()
    assert run_sync(connector).status == SyncStatus.SUCCESS
    assert sorted(int(request["query"]["page"]) for request in vendor.requests) == [0, 1, 2]


def test_discord_messages_on_auto_end_partial_and_page_backwards_by_the_last_id_sent_as_before(
    vendor_server, make_connector
):
    vendor = vendor_server(DiscordMessages)  # 123 messages, newest first, 50 an answer, nothing else
    connector = make_connector(**vendor.connector_fields())

    log = run_sync(connector)

    assert log.status == SyncStatus.PARTIAL
    assert log.records_created == 50
    assert "holds exactly 50 records, a page size APIs commonly serve by default" in log.error_message

    vendor.requests.clear()
    connector.pagination = {
        "type": "cursor",
        "cursor_from": "last_record",
        "cursor_field": "id",
        "cursor_param": "before",
        "size_param": "limit",
        "page_size": 100,
    }
    connector.save(update_fields=["pagination"])
    log = run_sync(connector)

    assert log.status == SyncStatus.SUCCESS, log.error_message
    assert SyncedRecord.objects.filter(connector=connector, deleted_at__isnull=True).count() == 123
    # 100, then 23 and an empty answer (a short page is no proof of the end for a cursor).
    assert [request["query"].get("before") for request in vendor.requests] == [
        None,
        vendor.record(24)["id"],
        vendor.record(1)["id"],
    ]


@pytest.mark.parametrize(
    "pagination",
    [{"type": "auto"}, {"type": "page", "size_param": "limit", "page_size": 5}],
    ids=["auto", "readme"],
)
def test_bigcommerce_s_query_string_next_links_keep_the_request_s_filter(
    vendor_server, make_connector, pagination
):
    # meta.pagination.links.next is "?page=2&limit=5", "appended to the resource": the request's
    # is_visible=true must stay, or the run pages through every product instead of the visible ones.
    vendor = vendor_server(BigCommerce)
    connector = make_connector(
        **vendor.connector_fields(), query_params={"is_visible": "true"}, pagination=pagination
    )
    visible = [record for record in vendor.all_records() if record["is_visible"]]

    log = run_sync(connector)

    assert log.status == SyncStatus.SUCCESS, log.error_message
    assert (log.records_created, log.records_total) == (len(visible), len(visible)) == (16, 16)
    assert _canonical(stored_records(connector).values()) == _canonical(visible)
    assert all(request["query"].get("is_visible") == "true" for request in vendor.requests)
    assert sorted(request["query"].get("page", "1") for request in vendor.requests) == ["1", "2", "3", "4"]


@pytest.mark.parametrize(
    "fields", [{}, {"pagination": {"type": "next_url", "next_url_path": "nextUri"}}], ids=["auto", "readme"]
)
def test_docusign_s_next_uri_is_relative_to_the_api_s_base_path_and_its_totals_are_strings(
    vendor_server, make_connector, fields
):
    # nextUri "/accounts/{id}/envelopes?start_position=5&count=5&from_date=..." answers
    # "/restapi/v2.1/accounts/{id}/envelopes": against the host it is a 404.
    vendor = vendor_server(DocuSignEnvelopes)
    connector = make_connector(**vendor.connector_fields(), **fields)

    log = _synced_completely(vendor, connector, pages=5)
    assert log.records_total == 23  # totalSetSize "23"
    assert {request["path"] for request in vendor.requests} == {vendor.path}
    assert all(request["query"]["from_date"] == "2025-01-01" for request in vendor.requests)


@pytest.mark.parametrize("max_items", [None, "7"], ids=["default", "maxItems-7"])
def test_smartsheet_token_pages_send_last_key_back_and_a_short_page_is_no_end(
    vendor_server, make_connector, max_items
):
    # {"data", "lastKey"}: at most maxItems a page, "not guaranteed" that many (the fake's second
    # and later pages hold one fewer); no lastKey on the last page.
    vendor = vendor_server(SmartsheetWorkspaces)
    query = {"paginationType": "token", **({"maxItems": max_items} if max_items else {})}
    connector = make_connector(**vendor.connector_fields(), query_params=query)

    log = run_sync(connector)

    assert log.status == SyncStatus.SUCCESS, log.error_message
    assert log.records_created == 23
    assert _canonical(stored_records(connector).values()) == _canonical(vendor.all_records())
    keys = [request["query"].get("lastKey") for request in vendor.requests]
    assert keys[0] is None and all(keys[1:]) and len(keys) == (6 if max_items is None else 4)
    assert any("'lastKey'" in line and "Detected pagination" in line for line in events(log))


@pytest.mark.parametrize(
    ("pagination", "status"),
    [
        ({"type": "auto"}, SyncStatus.FAILED),
        ({"type": "page", "size_param": "pageSize", "page_size": 5}, SyncStatus.SUCCESS),
    ],
    ids=["auto", "readme"],
)
def test_smartsheet_s_older_pages_are_asked_for_as_page_not_as_the_page_number_it_answers(
    vendor_server, make_connector, pagination, status
):
    # {"pageNumber", "pageSize", "totalPages", "totalCount", "data"}, asked for with ?page=N: auto
    # sends back "pageNumber", which Smartsheet ignores, and the run fails naming it.
    vendor = vendor_server(SmartsheetWorkspaces)
    connector = make_connector(**vendor.connector_fields(), pagination=pagination)

    log = run_sync(connector)

    assert log.status == status
    if status == SyncStatus.SUCCESS:
        assert (log.records_created, log.records_total) == (23, 23)
    else:
        assert "The page number was sent as 'pageNumber' (detected)" in log.error_message


def test_a_list_cursor_not_configured_as_search_after_fails_at_once_naming_the_search_after_pagination(
    vendor_server, make_connector
):
    # The last hit's "sort" array read as a plain last-record cursor: a cursor of several values, sent
    # as one value it would be wrong. The run fails after its first page, naming the configuration.
    vendor = vendor_server(Elasticsearch)
    connector = make_connector(
        **vendor.connector_fields(),
        request_method="POST",
        request_body={"size": 5, "sort": [{"sku": "asc"}], "query": {"match_all": {}}},
        records_path="hits.hits",
        primary_key="_id",
        pagination={
            "type": "cursor",
            "cursor_from": "last_record",
            "cursor_field": "sort",
            "cursor_param": "search_after",
        },
    )

    log = run_sync(connector)

    assert log.status == SyncStatus.FAILED
    assert (log.records_created, len(vendor.requests)) == (5, 1)
    assert "The cursor at 'sort of the last record' is a JSON list ([5])" in log.error_message
    assert '{"type": "cursor", "cursor_from": "search_after", "page_size": <hits a page>}' in (
        log.error_message
    )


#: The README's search_after configuration: a hit's sort values sent back as search_after.
ELASTICSEARCH_SEARCH_AFTER = {"type": "cursor", "cursor_from": "search_after", "page_size": 5}
ELASTICSEARCH_SORTED_SEARCH = {"query": {"match_all": {}}, "sort": [{"sku": "asc"}, {"id": "asc"}]}


def _search_after_connector(vendor, make_connector, **fields):
    defaults = {
        "request_method": "POST",
        "request_body": ELASTICSEARCH_SORTED_SEARCH,
        "records_path": "hits.hits",
        "primary_key": "_id",
        "pagination": ELASTICSEARCH_SEARCH_AFTER,
    }
    return make_connector(**vendor.connector_fields(), **{**defaults, **fields})


def _search_afters(vendor) -> list:
    return [request["body"].get("search_after") for request in vendor.requests]


@pytest.mark.parametrize(
    ("records", "pages", "last_page"),
    [(23, 6, "the page holds 3 hits, fewer than the 5 asked for"), (21, 6, None)],
    ids=["short-last-page", "last-page-only-the-hit-asked-again"],
)
def test_an_elasticsearch_search_pages_by_search_after_until_a_page_holds_fewer_hits_than_asked(
    vendor_server, make_connector, records, pages, last_page
):
    vendor = vendor_server(Elasticsearch, records=records)
    connector = _search_after_connector(vendor, make_connector)

    log = run_sync(connector)

    assert log.status == SyncStatus.SUCCESS, log.error_message
    assert (log.records_created, log.records_total, log.pages_fetched) == (records, records, pages)
    assert _canonical(stored_records(connector).values()) == _canonical(vendor.all_records())
    # each page continues after its last hit but one: the next page answers that hit again first
    assert _search_afters(vendor) == [None, [4], [8], [12], [16], [20]]
    assert all(
        {key: value for key, value in request["body"].items() if key != "search_after"}
        == {**ELASTICSEARCH_SORTED_SEARCH, "size": 5}
        for request in vendor.requests
    )
    if last_page:
        assert f"Last page: {last_page}." in events(log)
    vendor.requests.clear()
    again = run_sync(connector)
    assert again.status == SyncStatus.SUCCESS and again.records_unchanged == records


def test_more_hits_than_the_result_window_are_read_whole_by_search_after_in_order(
    vendor_server, make_connector
):
    vendor = vendor_server(Elasticsearch, records=95)
    vendor.max_result_window = 30  # from + size past 30 is refused: from and size read 30 hits at most
    connector = _search_after_connector(
        vendor, make_connector, pagination={**ELASTICSEARCH_SEARCH_AFTER, "page_size": 20}
    )

    log = run_sync(connector)

    assert log.status == SyncStatus.SUCCESS, log.error_message
    assert (log.records_created, log.records_total, log.pages_fetched) == (95, 95, 5)
    assert _search_afters(vendor) == [None, [19], [38], [57], [76]]
    stored = SyncedRecord.objects.filter(connector=connector).order_by("pk")
    assert list(stored.values_list("external_id", flat=True)) == [f"p{n:04d}" for n in range(1, 96)]


def test_a_search_after_run_failed_midway_resumes_after_the_sort_values_of_its_checkpoint(
    vendor_server, make_connector, fast_retries
):
    vendor = vendor_server(Elasticsearch)
    vendor.refused_after = [8]  # the third page answers HTTP 503 on every attempt
    connector = _search_after_connector(vendor, make_connector)

    failed = run_sync(connector)

    assert failed.status == SyncStatus.FAILED
    assert failed.records_created == 9 and failed.checkpoint
    assert "HTTP 503" in failed.error_message
    state = Checkpoint.source_part(failed.checkpoint)["pagination"]["state"]
    assert state["cursor"] == [8]
    assert state["overlap"] == {"sort": [9], "hits": ['["products", "p0009"]']}

    vendor.refused_after = None
    vendor.requests.clear()
    resumed = DataSyncService(connector).sync_data(sync_log=failed)

    assert resumed.pk == failed.pk
    assert resumed.status == SyncStatus.SUCCESS, resumed.error_message
    assert resumed.records_created == 23 and resumed.records_updated == 0
    assert _search_afters(vendor) == [[8], [12], [16], [20]]  # hit 9, asked again first, dropped
    assert _canonical(stored_records(connector).values()) == _canonical(vendor.all_records())


@pytest.mark.parametrize(
    ("without", "said"),
    [(13, "The last hit 'p0013' of page 3"), (12, "Hit 4 'p0012' of page 3")],
    ids=["the-last-hit", "the-hit-continued-after"],
)
def test_a_hit_without_sort_values_fails_the_search_after_run_naming_it(
    vendor_server, make_connector, without, said
):
    vendor = vendor_server(Elasticsearch)
    vendor.hit_without_sort = without  # on page 3 (hits 9 to 13)
    connector = _search_after_connector(vendor, make_connector)

    log = run_sync(connector)

    assert log.status == SyncStatus.FAILED
    assert (log.records_created, len(vendor.requests)) == (13, 3)  # the page is stored, no next
    assert f"{said} has no sort values at 'sort' (none" in log.error_message


def test_a_sort_of_equal_values_reads_every_hit_by_asking_again_for_each_page_s_last_values(
    vendor_server, make_connector
):
    # a sort on a date alone ([1], [1], [1], [2], [2], [2], ...): search_after after a page's last
    # hit would skip the hits of its values the page had no room for, without any answer showing it
    vendor = vendor_server(Elasticsearch)
    vendor.sort_of = lambda number: 1 + (number - 1) // 3
    connector = _search_after_connector(vendor, make_connector)

    log = run_sync(connector)

    assert log.status == SyncStatus.SUCCESS, log.error_message
    assert (log.records_created, log.records_updated) == (23, 0)
    assert _canonical(stored_records(connector).values()) == _canonical(vendor.all_records())
    assert _search_afters(vendor)[:3] == [None, [1], [2]]  # page 1 ends [2], [2]: both asked again


@pytest.mark.parametrize("total", ["exact", "lower-bound"])
def test_equal_sort_values_across_a_pages_end_are_read_whatever_the_total_says(
    vendor_server, make_connector, total
):
    # hits 5 and 6 share their sort values and page 1 ends at hit 5: continued after hit 5, the
    # search skipped hit 6 (with an exact total the run was PARTIAL; with "at least 10" SUCCESS
    # without it). Continued after hit 4, the next page answers hits 5 and 6.
    vendor = vendor_server(Elasticsearch)
    vendor.sort_of = lambda number: number if number < 6 else number - 1  # … [4], [5], [5], [6] …
    if total == "lower-bound":
        vendor.track_total_hits = 10  # hits.total {"value": 10, "relation": "gte"}
    connector = _search_after_connector(vendor, make_connector)

    log = run_sync(connector)

    assert log.status == SyncStatus.SUCCESS, (log.status, log.error_message)
    assert (log.records_created, log.records_updated) == (23, 0)
    assert "p0006" in stored_records(connector)


def test_a_full_page_of_one_sort_value_fails_the_search_after_run_naming_it(vendor_server, make_connector):
    vendor = vendor_server(Elasticsearch)
    vendor.sort_of = lambda number: 4 if 4 <= number <= 10 else number  # page 2: hits 4-8, all [4]
    connector = _search_after_connector(vendor, make_connector)

    log = run_sync(connector)

    assert log.status == SyncStatus.FAILED
    assert log.records_created == 8 and len(vendor.requests) == 2  # page 2 is stored, no next
    assert "All 5 hits of page 2 have the same sort values [4] in 'sort'" in log.error_message
    assert 'End the "sort" of request_body with a field unique per document' in log.error_message


def test_a_search_that_ignores_search_after_fails_on_the_same_sort_values_instead_of_looping(
    vendor_server, make_connector
):
    vendor = vendor_server(Elasticsearch)
    vendor.ignores_search_after = True  # every answer is the first page
    connector = _search_after_connector(vendor, make_connector)

    log = run_sync(connector)

    assert log.status == SyncStatus.FAILED
    assert log.records_created == 5 and len(vendor.requests) == 2
    assert "This page would be continued after the sort values [4], as an earlier page was" in (
        log.error_message
    )
    assert "(it ignores search_after" in log.error_message


@pytest.mark.parametrize(
    ("fields", "said"),
    [
        ({"request_body": {"query": {"match_all": {}}}}, 'needs a "sort" in request_body'),
        ({"request_method": "GET", "request_body": {}}, "set request_method to POST"),
        ({"request_body": {**ELASTICSEARCH_SORTED_SEARCH, "from": 10}}, 'request_body sets "from"'),
    ],
    ids=["no-sort", "get", "from"],
)
def test_a_search_after_connector_that_cannot_page_fails_before_any_request(
    vendor_server, make_connector, fields, said
):
    vendor = vendor_server(Elasticsearch)
    connector = _search_after_connector(vendor, make_connector, **fields)

    log = run_sync(connector)

    assert log.status == SyncStatus.FAILED
    assert vendor.requests == [] and log.records_created == 0
    assert "Invalid pagination configuration" in log.error_message and said in log.error_message


def test_plaid_transactions_sync_needs_its_records_path_and_pages_by_next_cursor_in_the_posted_body(
    vendor_server, make_connector
):
    # {"accounts", "added", "modified", "removed", "next_cursor", "has_more"}: several lists, and the
    # last page still names a next_cursor (for later updates).
    vendor = vendor_server(PlaidTransactionsSync)
    connector = make_connector(**vendor.connector_fields())

    log = run_sync(connector)

    assert log.status == SyncStatus.FAILED
    assert log.records_created == 0
    assert "Lists of objects in it: accounts, added: set records_path" in log.error_message

    vendor.requests.clear()
    connector.records_path = "added"
    connector.save(update_fields=["records_path"])

    log = _synced_completely(vendor, connector, pages=5)
    bodies = [request["body"] for request in vendor.requests]
    assert [sorted(body) for body in bodies] == [["access_token"]] + [["access_token", "cursor"]] * 4
    assert any("has_more says this is the last page" in line for line in events(log))
