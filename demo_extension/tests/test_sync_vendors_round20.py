"""A twentieth round of vendors' list endpoints (see ``vendors``): Gerrit's change query, a bare array
behind its ``)]}'`` line whose only sign of more changes is ``_more_changes: true`` on the last one,
paged by ``S`` and ``n``; Kandji's device list, a bare array of at most 300 devices paged by ``limit``
and ``offset``; FreshBooks' clients wrapped in ``response.result`` beside ``page`` and ``pages``; and
Jotform's forms, ``content`` beside a ``resultSet`` whose ``count`` is the answer's own. Left on
``auto`` a sync gets every record or ends ``PARTIAL`` naming what to configure; with the explicit
configuration each documents, it gets every record."""

import json
import re

import pytest

from demo_extension.models import SyncStatus
from demo_extension.tests import sync_support
from demo_extension.tests.sync_support import RunEnds, run_sync, stored_records, stores_exactly
from demo_extension.tests.vendors import (
    DiscourseLatestTopics,
    FreshBooksClients,
    GerritChanges,
    JotformUserForms,
    KandjiDevices,
)

(
    test_auto_pagination_syncs_every_record_of_each_vendor_without_a_request_past_the_last_page,
    test_the_documented_explicit_pagination_syncs_every_record_of_each_vendor,
) = sync_support.vendor_round_tests(
    [KandjiDevices, FreshBooksClients],
    [KandjiDevices, FreshBooksClients, JotformUserForms, DiscourseLatestTopics],
)

test_a_vendor_whose_answers_cannot_prove_the_whole_list_ends_naming_what_to_configure = (
    sync_support.vendor_runs_end_test(
        [
            # a bare array of 300 devices, no total, link or flag: SUCCESS with 300 of 345
            RunEnds(
                KandjiDevices,
                SyncStatus.PARTIAL,
                ("exactly 300 records", '{"type": "offset"}'),
                stored=300,
                records=345,
            ),
            # )]}' then 10 changes, the last with "_more_changes": true: FAILED (not JSON), and read
            # without the prefix SUCCESS with 10 of 23
            # the side-loaded users beside topic_list.topics: SUCCESS with the 2 users of 45 topics
            RunEnds(
                DiscourseLatestTopics,
                SyncStatus.FAILED,
                ("a list of objects at 'users'", "topic_list.topics", "Set records_path"),
                stored=0,
            ),
            RunEnds(
                GerritChanges,
                SyncStatus.PARTIAL,
                ("the last record's _more_changes: true", '"offset_param": "S", "limit_param": "n"'),
                stored=10,
            ),
        ]
    )
)


def _changes_as_served(vendor, page_size: int) -> dict:
    """``{id: change}`` of every change as pages of ``page_size`` serve them (the last of a page but
    the last flagged ``_more_changes``)."""
    served = [
        change for start in range(0, vendor.records, page_size) for change in vendor.served(start, page_size)
    ]
    return {change["id"]: change for change in served}


def test_gerrit_s_change_query_syncs_every_change_with_the_offsets_its_partial_run_names(
    vendor_server, make_connector
):
    vendor = vendor_server(GerritChanges)
    connector = make_connector(**vendor.connector_fields(), max_concurrent_requests=1)  # none sent ahead
    named = json.loads(re.search(r'\{"type": "offset"[^}]*\}', run_sync(connector).error_message).group(0))
    assert named == {"type": "offset", "offset_param": "S", "limit_param": "n", "limit": 10}

    connector.pagination = {**named, "limit": 4}
    connector.save(update_fields=["pagination"])
    vendor.requests.clear()
    log = run_sync(connector)

    assert log.status == SyncStatus.SUCCESS, log.error_message
    assert stored_records(connector) == _changes_as_served(vendor, 4)
    pages = [
        (request["query"]["S"], request["size_asked"], request["page_size"]) for request in vendor.requests
    ]
    assert pages == [(str(start), "4", 4) for start in range(0, 24, 4)]  # the sixth page holds 3: the last


def test_gerrit_s_offsets_end_at_an_empty_answer_after_a_full_last_page(vendor_server, make_connector):
    vendor = vendor_server(GerritChanges, records=20)
    connector = make_connector(
        **vendor.connector_fields(), pagination=vendor.pagination(5), max_concurrent_requests=1
    )

    log = run_sync(connector)

    # four full pages, the fourth without _more_changes; the next offset answers an empty array
    assert log.status == SyncStatus.SUCCESS, log.error_message
    assert stored_records(connector) == _changes_as_served(vendor, 5)
    assert [request["query"]["S"] for request in vendor.requests] == ["0", "5", "10", "15", "20"]


def test_kandji_s_device_list_of_more_than_300_syncs_whole_with_limit_and_offset(
    vendor_server, make_connector
):
    vendor = vendor_server(KandjiDevices, records=345)
    connector = make_connector(**vendor.connector_fields(), pagination=vendor.pagination(300))

    log = run_sync(connector)

    assert log.status == SyncStatus.SUCCESS, log.error_message
    assert stores_exactly(connector, vendor)
    assert sorted(int(request["query"]["offset"]) for request in vendor.requests)[:2] == [0, 300]


@pytest.mark.parametrize(
    ("vendor_class", "detected", "first_pages"),
    [
        # {"response": {"result": {"clients": [5], "page", "pages"}}}: stored as one record, SUCCESS
        (FreshBooksClients, "page", ["1", "2", "3", "4", "5"]),
        # {"content": [20], "resultSet": {"offset": 0, "limit": 20, "count": 20}}: SUCCESS with 20 of 45
        (JotformUserForms, "offset", ["0", "20", "40"]),
    ],
    ids=lambda value: getattr(value, "name", None),
)
def test_a_list_wrapped_beside_its_paging_is_detected_and_paged_whole_on_auto(
    vendor_server, make_connector, vendor_class, detected, first_pages
):
    vendor = vendor_server(vendor_class)
    connector = make_connector(**vendor.connector_fields())

    log = run_sync(connector)

    assert log.status == SyncStatus.SUCCESS, log.error_message
    assert log.detected_pagination == detected
    assert stores_exactly(connector, vendor)
    asked = sorted(
        (request["query"].get(detected, "1" if detected == "page" else "0") for request in vendor.requests),
        key=int,
    )
    # the last page is short; offsets sent ahead of it (Jotform names no total) are discarded
    assert asked[: len(first_pages)] == first_pages
    assert len(asked) - len(first_pages) <= vendor.requests_past_the_end
    assert {request["status"] for request in vendor.requests} == {200}


def test_discourse_s_topics_end_partial_naming_the_pages_its_more_topics_url_asks_for_then_sync_whole(
    vendor_server, make_connector
):
    """With ``records_path`` set and the pagination on auto, Discourse's ``more_topics_url`` (an address
    of the HTML page, a name auto-detection does not follow) was SUCCESS with the first 30 of 45."""
    vendor = vendor_server(DiscourseLatestTopics)
    connector = make_connector(**vendor.connector_fields(), records_path="topic_list.topics")

    log = run_sync(connector)

    assert log.status == SyncStatus.PARTIAL, log.error_message
    assert "'topic_list.more_topics_url'" in log.error_message, log.error_message
    assert len(stored_records(connector)) == 30
    named = json.loads(re.search(r'\{"type": "page"[^}]*\}', log.error_message).group(0))
    assert named == {"type": "page", "page_param": "page", "start_page": 0}

    connector.pagination = named
    connector.save(update_fields=["pagination"])
    log = run_sync(connector)

    assert log.status == SyncStatus.SUCCESS, log.error_message
    assert stores_exactly(connector, vendor)
