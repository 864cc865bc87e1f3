"""An eighteenth round of vendors' list endpoints (see ``vendors``), and Meilisearch's ``maxTotalHits``:
a search serves and counts no more hits than that cap (1,000 by default), so a search of more matches
ends as a complete one does; the sync ends ``PARTIAL`` naming the cap and the index's documents
endpoint, whose exact ``total`` is not capped. Left on ``auto`` a sync gets every record or ends
``PARTIAL`` (or ``FAILED``) naming what to configure; with the explicit configuration the README
documents for each, it gets every record."""

import pytest

from demo_extension.models import SyncedRecord, SyncStatus
from demo_extension.tests import sync_support
from demo_extension.tests.sync_support import run_sync, stores_exactly
from demo_extension.tests.vendors import (
    EIGHTEENTH_VENDORS,
    EIGHTEENTH_VENDORS_ON_AUTO,
    MeilisearchDocuments,
    MeilisearchSearch,
)

fast_retries = sync_support.fast_retries

(
    test_auto_pagination_syncs_every_record_of_each_vendor_without_a_request_past_the_last_page,
    test_the_documented_explicit_pagination_syncs_every_record_of_each_vendor,
) = sync_support.vendor_round_tests(EIGHTEENTH_VENDORS_ON_AUTO, EIGHTEENTH_VENDORS)


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
