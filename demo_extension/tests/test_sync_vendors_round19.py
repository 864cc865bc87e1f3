"""A nineteenth round of vendors' list endpoints (see ``vendors``): Render's bare list of ``{"cursor",
"service"}`` pairs paged by the last item's cursor, Fivetran's ``data.next_cursor`` beside its
``items``, EasyPost's ``has_more`` beside shipments paged back by ``before_id``, ShipStation's
``links.next.href`` beside ``pages``, Lob's ``count`` of the answer's own addresses beside its
``next_url``, and Gusto's ``X-Has-Next-Page`` response header beside events paged by
``starting_after_uuid``. Left on ``auto`` a sync gets every record or ends ``PARTIAL`` naming what to
configure; with the explicit configuration the README documents for each, it gets every record."""

import json
import re

from demo_extension.models import SyncStatus
from demo_extension.tests import sync_support
from demo_extension.tests.sync_support import RunEnds, events, run_sync, stored_records, stores_exactly
from demo_extension.tests.vendors import (
    NINETEENTH_VENDORS,
    NINETEENTH_VENDORS_ON_AUTO,
    EasyPostShipments,
    FivetranGroups,
    GustoEvents,
    LobAddresses,
    RenderServices,
)

(
    test_auto_pagination_syncs_every_record_of_each_vendor_without_a_request_past_the_last_page,
    test_the_documented_explicit_pagination_syncs_every_record_of_each_vendor,
) = sync_support.vendor_round_tests(NINETEENTH_VENDORS_ON_AUTO, NINETEENTH_VENDORS)

test_a_vendor_whose_answers_cannot_prove_the_whole_list_ends_naming_what_to_configure = (
    sync_support.vendor_runs_end_test(
        [
            # {"shipments": [20], "has_more": true}: no cursor the answer names, PARTIAL with 20 of 23
            RunEnds(
                EasyPostShipments, SyncStatus.PARTIAL, ("has_more", "'before_id'", "'after_id'"), stored=20
            ),
        ]
    )
)


def test_fivetran_s_next_cursor_beside_its_items_pages_the_whole_list_on_auto(vendor_server, make_connector):
    vendor = vendor_server(FivetranGroups)
    connector = make_connector(**vendor.connector_fields())

    log = run_sync(connector)

    # {"code": "Success", "data": {"items": [5], "next_cursor"}}: "none" detected, SUCCESS with 5 of 23
    assert log.status == SyncStatus.SUCCESS, log.error_message
    assert stores_exactly(connector, vendor)
    assert ["cursor" in request["query"] for request in vendor.requests] == [False, True, True, True, True]
    assert any("data.next_cursor" in line for line in events(log)), events(log)


def test_render_s_cursor_pairs_are_paged_by_the_last_item_s_cursor_on_auto(vendor_server, make_connector):
    vendor = vendor_server(RenderServices, records=45)
    connector = make_connector(**vendor.connector_fields(), primary_key="service.id")

    log = run_sync(connector)

    # a bare list of 20 {"cursor", "service"} pairs, no total, link or flag: SUCCESS with 20 of 45
    assert log.status == SyncStatus.SUCCESS, log.error_message
    assert stores_exactly(connector, vendor)
    assert sorted(stored_records(connector)) == sorted(
        record["service"]["id"] for record in vendor.all_records()
    )
    records = vendor.all_records()
    # the end is an empty answer: Render names no total, link or flag
    assert [request["query"].get("cursor") for request in vendor.requests] == [
        None,
        records[19]["cursor"],
        records[39]["cursor"],
        records[44]["cursor"],
    ]
    assert any("Render-style" in line for line in events(log)), events(log)


def test_gusto_s_x_has_next_page_header_pages_events_by_the_last_uuid_on_auto(vendor_server, make_connector):
    vendor = vendor_server(GustoEvents)
    connector = make_connector(**vendor.connector_fields())

    log = run_sync(connector)

    # a bare list of 25 events, X-Has-Next-Page: true unread: SUCCESS with 25 of 63
    assert log.status == SyncStatus.SUCCESS, log.error_message
    assert stores_exactly(connector, vendor)
    records = vendor.all_records()
    assert [request["query"].get("starting_after_uuid") for request in vendor.requests] == [
        None,
        records[24]["uuid"],
        records[49]["uuid"],
    ]


def test_gusto_s_x_has_next_page_false_ends_a_full_last_page_without_another_request(
    vendor_server, make_connector
):
    vendor = vendor_server(GustoEvents, records=50)
    connector = make_connector(**vendor.connector_fields(), records_path="", pagination=vendor.pagination(25))

    log = run_sync(connector)

    # X-Has-Next-Page: false unread: a third request, after the 50th event, answered with an empty list
    assert log.status == SyncStatus.SUCCESS, log.error_message
    assert stores_exactly(connector, vendor)
    assert len(vendor.requests) == 2


def test_lob_s_count_of_its_own_answer_is_no_total_and_its_total_count_is(vendor_server, make_connector):
    vendor = vendor_server(LobAddresses)
    fields = vendor.connector_fields()
    connector = make_connector(**{**fields, "query_params": {"include[]": "total_count"}})

    log = run_sync(connector)

    # {"data": [10], "count": 10, "total_count": 23, "next_url"}: every address, by next_url
    assert log.status == SyncStatus.SUCCESS, log.error_message
    assert stores_exactly(connector, vendor)
    assert [request["query"].get("include[]") for request in vendor.requests] == ["total_count"] * 3


def test_the_configuration_an_easypost_partial_run_names_fetches_the_rest(vendor_server, make_connector):
    vendor = vendor_server(EasyPostShipments)
    connector = make_connector(**vendor.connector_fields())

    log = run_sync(connector)

    # the message used to name only {"type": "cursor", "cursor_path": ..., "cursor_param": ...}: no
    # cursor path exists in EasyPost's answer, the next page is asked for with the last id as before_id
    assert log.status == SyncStatus.PARTIAL
    assert len(stored_records(connector)) == 20
    named = json.loads(re.search(r'\{"type": "cursor"[^}]*\}', log.error_message).group(0))
    assert named == {
        "type": "cursor",
        "cursor_from": "last_record",
        "cursor_field": "id",
        "cursor_param": "<the API's parameter>",
        "has_more_path": "has_more",
    }

    connector.pagination = {**named, "cursor_param": "before_id"}
    connector.save(update_fields=["pagination"])
    vendor.requests.clear()
    again = run_sync(connector)

    assert again.status == SyncStatus.SUCCESS, again.error_message
    assert stores_exactly(connector, vendor)
    assert [request["query"].get("before_id") for request in vendor.requests] == [
        None,
        vendor.all_records()[19]["id"],
    ]
