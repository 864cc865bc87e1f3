"""An eighteenth round of vendors' list endpoints (see ``vendors``): Buildkite's Link header and its
``RateLimit-Reset`` in seconds, Grafana's ``totalCount`` beside ``perpage``, Miro's offset collection
and cursor list (each with ``links.next``), Statuspage's bare list of 100 sent with ``Authorization:
OAuth``, Sanity's GROQ query API (no pagination outside the query: a slice cuts it), Amplitude's cohorts
and its export (a ZIP archive, no JSON), Meilisearch's documents, Weaviate's objects (its
``totalResults`` counts the answer, not the collection), Qdrant's scroll (the next page's first point
id, a number, sent back in the POSTed body), Adyen's ``_links.next.href``; and Meilisearch's
``maxTotalHits``: a search serves and counts no more hits than that cap (1,000 by default), so a search
of more matches ends as a complete one does, and the sync ends ``PARTIAL`` naming the cap and the
index's documents endpoint, whose exact ``total`` is not capped. Left on ``auto`` a sync gets every
record or ends ``PARTIAL`` (or ``FAILED``) naming what to configure; with the explicit configuration the
README documents for each, it gets every record."""

import pytest

from demo_extension.models import SyncedRecord, SyncStatus
from demo_extension.tests import sync_support
from demo_extension.tests.sync_support import RunEnds, run_sync, stores_exactly
from demo_extension.tests.vendors import (
    EIGHTEENTH_VENDORS,
    EIGHTEENTH_VENDORS_ON_AUTO,
    AmplitudeExport,
    BuildkiteBuilds,
    ContentstackEntries,
    DatoCmsItems,
    HasuraGraphql,
    MeilisearchDocuments,
    MeilisearchSearch,
    QdrantScroll,
    SanityQuery,
    StatuspageIncidents,
    WeaviateObjects,
)

fast_retries = sync_support.fast_retries
PARTIAL, FAILED = SyncStatus.PARTIAL, SyncStatus.FAILED

(
    test_auto_pagination_syncs_every_record_of_each_vendor_without_a_request_past_the_last_page,
    test_the_documented_explicit_pagination_syncs_every_record_of_each_vendor,
) = sync_support.vendor_round_tests(EIGHTEENTH_VENDORS_ON_AUTO, EIGHTEENTH_VENDORS)


test_a_vendor_whose_answers_cannot_prove_the_whole_list_ends_naming_what_to_configure = (
    sync_support.vendor_runs_end_test(
        [
            # 100 incidents, no total, link or flag: SUCCESS with 100 of 233
            RunEnds(StatuspageIncidents, PARTIAL, ("exactly 100 records", '"type": "page"'), stored=100),
            # {"objects": [25], "totalResults": 25}: taken for the whole collection, SUCCESS with 25 of 63
            RunEnds(
                WeaviateObjects,
                PARTIAL,
                ("totalResults", '"cursor_param": "after"'),
                stored=25,
                records=63,
                page_size=25,  # Weaviate's default limit
            ),
            # DatoCMS {"data", "meta": {"total_count"}} and Contentstack {"entries", "count"}: "offset"
            # ignored, the first page again, the run fails naming 'skip' but not DatoCMS' page[offset]
            RunEnds(DatoCmsItems, FAILED, ("same records as an earlier page", "'page[offset]'"), stored=5),
            RunEnds(ContentstackEntries, FAILED, ("same records as an earlier page", "'skip'"), stored=5),
        ]
    )
)


@pytest.mark.parametrize("explicit", [False, True], ids=["auto", "page-hitsPerPage"])
def test_a_meilisearch_search_past_max_total_hits_ends_partial_naming_the_documents_endpoint(
    vendor_server, make_connector, explicit
):
    vendor = vendor_server(MeilisearchSearch, records=1203)
    vendor.page_size = 20  # Meilisearch's default limit
    fields = vendor.connector_fields()
    if explicit:
        fields.update(records_path="hits", pagination=vendor.pagination(100))
    connector = make_connector(**fields)

    log = run_sync(connector)

    # estimatedTotalHits (or totalHits) 1000, then an empty page (or the last of totalPages 10): SUCCESS
    # with 1000 of 1203
    assert log.status == SyncStatus.PARTIAL
    assert "maxTotalHits" in log.error_message
    assert f"{vendor.base}/indexes/movies/documents" in log.error_message
    assert SyncedRecord.objects.filter(connector=connector).count() == 1000


def test_a_meilisearch_search_below_the_cap_is_whole(vendor_server, make_connector):
    vendor = vendor_server(MeilisearchSearch, records=999)
    vendor.page_size = 20
    connector = make_connector(
        **vendor.connector_fields(), records_path="hits", pagination=vendor.pagination(100)
    )

    log = run_sync(connector)

    assert log.status == SyncStatus.SUCCESS, log.error_message
    assert stores_exactly(connector, vendor)


@pytest.mark.parametrize("explicit", [False, True], ids=["auto", "explicit"])
def test_the_meilisearch_documents_endpoint_the_hint_names_syncs_the_whole_index(
    vendor_server, make_connector, explicit
):
    vendor = vendor_server(MeilisearchDocuments, records=1203)
    fields = vendor.connector_fields()
    if explicit:
        fields.update(records_path="results", pagination=vendor.pagination(1000))
    connector = make_connector(**fields)

    log = run_sync(connector)

    assert log.status == SyncStatus.SUCCESS, log.error_message
    assert stores_exactly(connector, vendor)


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_a_sanity_groq_slice_the_answer_fills_on_auto_ends_partial_naming_the_last_id_cursor(
    vendor_server, make_connector, method
):
    vendor = vendor_server(SanityQuery)
    fields = vendor.connector_fields()
    if method == "POST":
        fields = {**vendor.explicit_fields(), "request_body": {"query": vendor.groq}}
    connector = make_connector(**fields)

    log = run_sync(connector)

    # {"ms", "query", "result": [10 movies]}, "none" detected: SUCCESS with 10 of 23
    assert log.status == SyncStatus.PARTIAL
    assert (
        "the slice [0...10]" in log.error_message and '"cursor_param": "params.lastId"' in log.error_message
    )
    assert SyncedRecord.objects.filter(connector=connector).count() == 10


def test_a_sanity_groq_query_without_a_slice_is_synced_whole_in_one_answer(vendor_server, make_connector):
    vendor = vendor_server(SanityQuery)
    connector = make_connector(
        **{**vendor.connector_fields(), "query_params": {"query": '*[_type == "movie"]'}}
    )

    log = run_sync(connector)

    assert log.status == SyncStatus.SUCCESS, log.error_message
    assert stores_exactly(connector, vendor)


def test_a_buildkite_429_is_waited_for_as_its_ratelimit_reset_seconds_say(
    vendor_server, make_connector, settings
):
    settings.MIGRATEIQ_HTTP_BACKOFF_BASE = 0.01  # a guess at the wait is over long before the window
    settings.MIGRATEIQ_HTTP_MAX_ATTEMPTS = 3
    settings.MIGRATEIQ_HTTP_RETRY_AFTER_CAP = 5
    vendor = vendor_server(BuildkiteBuilds)
    vendor.rate_limited_on_page = 2  # 429, RateLimit-Remaining: 0, RateLimit-Reset: 2, for 1.5 s
    connector = make_connector(**vendor.connector_fields(), max_concurrent_requests=1)

    log = run_sync(connector)

    assert log.status == SyncStatus.SUCCESS, log.error_message
    assert stores_exactly(connector, vendor)
    assert [request["status"] for request in vendor.requests] == [200, 429, 200, 200, 200, 200]


def test_amplitude_s_export_archive_fails_the_sync_saying_it_is_no_json(vendor_server, make_connector):
    vendor = vendor_server(AmplitudeExport)
    connector = make_connector(**vendor.connector_fields())

    log = run_sync(connector)

    assert log.status == SyncStatus.FAILED
    assert "not JSON: application/zip" in log.error_message
    assert not SyncedRecord.objects.filter(connector=connector).exists()


def test_weaviate_s_offsets_are_not_ended_by_its_count_of_the_first_page(vendor_server, make_connector):
    vendor = vendor_server(WeaviateObjects)
    connector = make_connector(
        **vendor.connector_fields(), records_path="objects", pagination={"type": "offset", "limit": 5}
    )

    log = run_sync(connector)

    # totalResults 5 reached after the first page: SUCCESS with 5 of 23
    assert log.status == SyncStatus.SUCCESS, log.error_message
    assert stores_exactly(connector, vendor)


def test_qdrant_s_scroll_sends_the_next_point_id_back_as_a_number_in_the_body(vendor_server, make_connector):
    vendor = vendor_server(QdrantScroll)
    connector = make_connector(**vendor.connector_fields())

    log = run_sync(connector)

    # {"result": {"points", "next_page_offset"}, ...} stored as one record, SUCCESS; with the explicit
    # cursor, "1042" in the body: a 400 from Qdrant
    assert log.status == SyncStatus.SUCCESS, log.error_message
    assert stores_exactly(connector, vendor)
    assert [request["body"].get("offset") for request in vendor.requests] == [None, 1042, 1077, 1112, 1147]


@pytest.mark.parametrize("limit", ["variables", "literal"])
def test_a_hasura_graphql_limit_the_answer_fills_on_auto_ends_partial_naming_the_offset_variables(
    vendor_server, make_connector, limit
):
    vendor = vendor_server(HasuraGraphql)
    fields = vendor.connector_fields()
    if limit == "literal":
        fields["request_body"] = {"query": "{ users(order_by: {id: asc}, limit: 10) { id name } }"}
    connector = make_connector(**fields)

    log = run_sync(connector)

    # {"data": {"users": [10 rows]}} stored as one record: SUCCESS
    assert log.status == SyncStatus.PARTIAL
    assert "limit: " in log.error_message and '"offset_param": "variables.offset"' in log.error_message
    assert SyncedRecord.objects.filter(connector=connector).count() == 10


def test_a_graphql_answer_of_one_list_field_stores_its_rows(vendor_server, make_connector):
    vendor = vendor_server(HasuraGraphql)
    query = "{ users(order_by: {id: asc}) { id name } }"
    connector = make_connector(**{**vendor.connector_fields(), "request_body": {"query": query}})

    log = run_sync(connector)

    # {"data": {"users": [23 rows]}} stored as one record
    assert log.status == SyncStatus.SUCCESS, log.error_message
    assert stores_exactly(connector, vendor)


def test_an_empty_qdrant_collection_stores_no_record(vendor_server, make_connector):
    vendor = vendor_server(QdrantScroll, records=0)
    connector = make_connector(**vendor.connector_fields())

    log = run_sync(connector)

    # {"result": {"points": [], "next_page_offset": null}, "status": "ok", "time"} stored as one record
    assert log.status == SyncStatus.SUCCESS, log.error_message
    assert not SyncedRecord.objects.filter(connector=connector).exists()
