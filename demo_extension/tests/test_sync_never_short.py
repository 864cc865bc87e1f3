"""A sync never ends SUCCESS while the upstream says there is more, and honours every stop signal.

Each rule has a test that fails without it: the upstream's "more" flags, an announced total larger
than what was fetched, a configured cursor or next-URL path absent from a full page; and the stop
signals: a "no more" flag beside a next cursor, a 4xx past the announced end.
"""

import pytest
from werkzeug import Response

from demo_extension.models import SyncStatus
from demo_extension.tests import sync_support
from demo_extension.tests.sync_support import events, fault_url, json_body, run_sync, stored_ids

fault_server = sync_support.fault_server
fault_server_process = sync_support.fault_server_process


def _connector(make_connector, server, **fields):
    return make_connector(api_endpoint=fault_url(server), auth_type="none", **fields)


def test_has_more_true_with_no_way_to_the_next_page_ends_partial_naming_the_flag(
    fault_server, make_connector
):
    fault_server.expect_request("/items").respond_with_json(
        {"items": [{"sku": "a"}, {"sku": "b"}, {"sku": "c"}], "has_more": True}
    )
    connector = _connector(make_connector, fault_server, primary_key="sku")

    log = run_sync(connector)

    assert log.status == SyncStatus.PARTIAL
    assert "has_more: true" in log.error_message
    assert "Configure the connector's pagination" in log.error_message
    assert log.records_created == 3  # what was fetched is kept
    assert len(fault_server.log) == 1


def test_salesforce_done_false_without_a_next_records_url_is_not_success(fault_server, make_connector):
    fault_server.expect_request("/items").respond_with_json(
        {"done": False, "records": [{"Id": "001A"}, {"Id": "001B"}]}
    )
    connector = _connector(make_connector, fault_server, primary_key="Id")

    log = run_sync(connector)

    assert log.status == SyncStatus.PARTIAL
    assert "done: false" in log.error_message


def test_an_empty_page_that_says_has_more_fails_the_sync(fault_server, make_connector):
    fault_server.expect_request("/items").respond_with_json({"data": [], "has_more": True})
    connector = _connector(make_connector, fault_server)

    log = run_sync(connector)

    assert log.status == SyncStatus.FAILED
    assert "has_more: true" in log.error_message


def test_a_total_larger_than_what_was_fetched_ends_partial(fault_server, make_connector):
    fault_server.expect_request("/items").respond_with_json({"data": [{"id": 1}, {"id": 2}], "total": 10})
    connector = _connector(make_connector, fault_server, pagination={"type": "none"})

    log = run_sync(connector)

    assert log.status == SyncStatus.PARTIAL
    assert "announces 10 records but the sync received 2" in log.error_message


def test_an_offset_sync_whose_upstream_runs_dry_before_its_announced_total_ends_partial(
    fault_server, make_connector
):
    def handler(request):
        start = int(request.args.get("offset", 0))
        rows = [{"id": i} for i in range(1, 6)][start : start + 2]
        return Response(json_body({"data": rows, "total": 9}), content_type="application/json")

    fault_server.expect_request("/items").respond_with_handler(handler)
    connector = _connector(make_connector, fault_server, pagination={"type": "offset", "limit": 2})

    log = run_sync(connector)

    assert log.status == SyncStatus.PARTIAL
    assert "announces 9 records but the sync received 5" in log.error_message
    assert stored_ids(connector) == [1, 2, 3, 4, 5]


def test_a_configured_cursor_path_absent_from_a_full_page_ends_partial(fault_server, make_connector):
    # The API renamed meta.next to meta.next_cursor: the configured path no longer exists.
    fault_server.expect_request("/items").respond_with_json(
        {"data": [{"id": 1}, {"id": 2}, {"id": 3}], "meta": {"next_cursor": "p2"}}
    )
    pagination = {"type": "cursor", "cursor_path": "meta.next", "size_param": "limit", "page_size": 3}
    connector = _connector(make_connector, fault_server, pagination=pagination)

    log = run_sync(connector)

    assert log.status == SyncStatus.PARTIAL
    assert "pagination.cursor_path 'meta.next' is absent from a full page" in log.error_message


def test_a_configured_cursor_that_is_null_on_a_full_page_is_the_end(fault_server, make_connector):
    fault_server.expect_request("/items").respond_with_json(
        {"data": [{"id": 1}, {"id": 2}, {"id": 3}], "meta": {"next": None}}
    )
    pagination = {"type": "cursor", "cursor_path": "meta.next", "size_param": "limit", "page_size": 3}
    connector = _connector(make_connector, fault_server, pagination=pagination)

    log = run_sync(connector)

    assert log.status == SyncStatus.SUCCESS, log.error_message


def test_a_configured_cursor_whose_first_page_has_its_token_in_an_unknown_header_ends_partial_naming_it(
    fault_server, make_connector
):
    # A short page, but the answer carries a continuation token in a header MigrateIQ does not know.
    fault_server.expect_request("/items").respond_with_json(
        {"data": [{"id": 1}, {"id": 2}]}, headers={"X-Next-Page-Token": "p2"}
    )
    connector = _connector(
        make_connector, fault_server, pagination={"type": "cursor", "cursor_param": "pageToken"}
    )

    log = run_sync(connector)

    assert log.status == SyncStatus.PARTIAL
    assert "the response header X-Next-Page-Token looks like a cursor" in log.error_message
    assert "set pagination.cursor_header to 'x-next-page-token'" in log.error_message
    assert stored_ids(connector) == [1, 2]
    assert len(fault_server.log) == 1


def test_a_configured_cursor_whose_full_first_page_names_no_cursor_ends_partial(fault_server, make_connector):
    fault_server.expect_request("/items").respond_with_json({"data": [{"id": 1}, {"id": 2}, {"id": 3}]})
    pagination = {"type": "cursor", "cursor_param": "after", "size_param": "limit", "page_size": 3}
    connector = _connector(make_connector, fault_server, pagination=pagination)

    log = run_sync(connector)

    assert log.status == SyncStatus.PARTIAL
    assert "The first page holds 3 records, as many as a page holds (pagination.page_size 3" in (
        log.error_message
    )
    assert "pagination cursor (token at 'auto', sent as 'after') found no next cursor" in log.error_message
    assert stored_ids(connector) == [1, 2, 3]


@pytest.mark.parametrize(
    "says",
    [{"next_cursor": None}, {"has_more": False}, {"total": 3}, {"meta": {"next_cursor": ""}}],
    ids=["null-cursor", "has-more-false", "total-reached", "empty-cursor"],
)
def test_a_configured_cursor_whose_full_first_page_says_it_is_the_last_ends_success(
    fault_server, make_connector, says
):
    fault_server.expect_request("/items").respond_with_json(
        {"data": [{"id": 1}, {"id": 2}, {"id": 3}], **says}
    )
    pagination = {"type": "cursor", "cursor_param": "after", "size_param": "limit", "page_size": 3}
    connector = _connector(make_connector, fault_server, pagination=pagination)

    log = run_sync(connector)

    assert log.status == SyncStatus.SUCCESS, log.error_message
    assert stored_ids(connector) == [1, 2, 3]


@pytest.mark.parametrize("headers", [{}, {"Link": '<http://127.0.0.1:9/items?cursor=x>; rel="prev"'}])
def test_a_configured_cursor_whose_only_page_is_short_without_a_paging_signal_ends_success(
    fault_server, make_connector, headers
):
    fault_server.expect_request("/items").respond_with_json({"data": [{"id": 1}, {"id": 2}]}, headers=headers)
    pagination = {"type": "cursor", "cursor_param": "after", "size_param": "limit", "page_size": 3}
    connector = _connector(make_connector, fault_server, pagination=pagination)

    log = run_sync(connector)

    assert log.status == SyncStatus.SUCCESS, log.error_message
    assert not log.events.filter(level="warning").exists()


def test_a_configured_next_url_path_absent_from_a_full_page_ends_partial(fault_server, make_connector):
    url = fault_url(fault_server)
    fault_server.expect_request("/items", query_string="").respond_with_json(
        {"results": [{"id": 1}, {"id": 2}], "paging": {"next": f"{url}?p=2"}}
    )
    fault_server.expect_request("/items", query_string="p=2").respond_with_json(
        {"results": [{"id": 3}, {"id": 4}]}
    )
    connector = _connector(
        make_connector, fault_server, pagination={"type": "next_url", "next_url_path": "paging.next"}
    )

    log = run_sync(connector)

    assert log.status == SyncStatus.PARTIAL
    assert (
        "pagination.next_url_path 'paging.next' is absent from a full page (2 records)" in log.error_message
    )
    assert stored_ids(connector) == [1, 2, 3, 4]


def test_an_incomplete_incremental_sync_keeps_the_old_cursor(fault_server, make_connector):
    fault_server.expect_request("/items").respond_with_json(
        {"items": [{"sku": "a", "seq": 7}], "has_more": True}
    )
    connector = _connector(
        make_connector,
        fault_server,
        primary_key="sku",
        incremental={"cursor_field": "seq", "param": "since"},
        incremental_cursor=3,
    )

    log = run_sync(connector)

    connector.refresh_from_db()
    assert log.status == SyncStatus.PARTIAL
    assert connector.incremental_cursor == 3  # the next sync asks again from 3


def test_has_more_false_stops_even_when_the_body_still_has_a_cursor(fault_server, make_connector):
    fault_server.expect_request("/items").respond_with_json(
        {"data": [{"id": 1}, {"id": 2}], "next_cursor": "c2", "has_more": False}
    )
    connector = _connector(make_connector, fault_server)

    log = run_sync(connector)

    assert log.status == SyncStatus.SUCCESS, log.error_message
    assert len(fault_server.log) == 1
    assert any("has_more says this is the last page" in line for line in events(log))


def test_a_4xx_past_the_announced_end_is_not_a_failure_when_every_record_is_stored(
    fault_server, make_connector
):
    url = fault_url(fault_server)
    # A buggy upstream keeps a next link on its last page; the page it points to is a 404. (A last
    # page shorter than the one before it would end the run at the count, without the request.)
    fault_server.expect_request("/items", query_string="").respond_with_json(
        {"results": [{"id": 1}, {"id": 2}], "count": 4, "next": f"{url}?page=2"}
    )
    fault_server.expect_request("/items", query_string="page=2").respond_with_json(
        {"results": [{"id": 3}, {"id": 4}], "count": 4, "next": f"{url}?page=3"}
    )
    fault_server.expect_request("/items", query_string="page=3").respond_with_json(
        {"detail": "Invalid page."}, status=404
    )
    connector = _connector(make_connector, fault_server)

    log = run_sync(connector)

    assert log.status == SyncStatus.SUCCESS, log.error_message
    assert stored_ids(connector) == [1, 2, 3, 4]
    assert any("past the last page the upstream announced" in line for line in events(log))


def test_a_4xx_before_the_announced_end_still_fails_the_sync(fault_server, make_connector):
    url = fault_url(fault_server)
    fault_server.expect_request("/items", query_string="").respond_with_json(
        {"results": [{"id": 1}, {"id": 2}], "count": 5, "next": f"{url}?page=2"}
    )
    fault_server.expect_request("/items", query_string="page=2").respond_with_json(
        {"detail": "gone"}, status=404
    )
    connector = _connector(make_connector, fault_server)

    log = run_sync(connector)

    assert log.status == SyncStatus.FAILED
    assert "HTTP 404" in log.error_message


@pytest.mark.parametrize(
    "pagination", [{"type": "page"}, {"type": "page", "size_param": "page_size", "page_size": 50}]
)
def test_a_page_number_list_whose_count_is_all_of_its_first_page_ends_there_success(
    fault_server, make_connector, pagination
):
    # Django REST framework's PageNumberPagination: the whole list on page 1, a 404 for any other.
    def drf_page(request):
        if request.args.get("page", "1") != "1":
            return Response(json_body({"detail": "Invalid page."}), 404, content_type="application/json")
        body = {"count": 3, "next": None, "previous": None, "results": [{"id": 1}, {"id": 2}, {"id": 3}]}
        return Response(json_body(body), content_type="application/json")

    fault_server.expect_request("/items").respond_with_handler(drf_page)
    connector = _connector(make_connector, fault_server, pagination=pagination)

    log = run_sync(connector)

    assert log.status == SyncStatus.SUCCESS, log.error_message
    assert stored_ids(connector) == [1, 2, 3]


def test_an_offset_list_whose_count_is_each_full_page_own_is_read_to_its_end(fault_server, make_connector):
    # Azure DevOps' $top / $skip lists: {"count": <records on this page>, "value": [...]}.
    def skip_page(request):
        skip = int(request.args.get("$skip", "0"))
        rows = [{"id": number} for number in range(1, 6)][skip : skip + 2]
        return Response(json_body({"count": len(rows), "value": rows}), content_type="application/json")

    fault_server.expect_request("/items").respond_with_handler(skip_page)
    pagination = {"type": "offset", "offset_param": "$skip", "limit_param": "$top", "limit": 2}
    connector = _connector(make_connector, fault_server, pagination=pagination)

    log = run_sync(connector)

    assert log.status == SyncStatus.SUCCESS, log.error_message
    assert stored_ids(connector) == [1, 2, 3, 4, 5]


def test_a_single_object_response_whose_own_fields_look_like_flags_is_one_complete_record(
    fault_server, make_connector
):
    fault_server.expect_request("/items").respond_with_json({"id": 5, "title": "Write docs", "done": False})
    connector = _connector(make_connector, fault_server, records_path="")

    log = run_sync(connector)

    assert log.status == SyncStatus.SUCCESS, log.error_message
    assert stored_ids(connector) == [5]


ORDERS = [{"order_id": f"ORD-{i:04d}", "amount": f"{i * 1.37:.2f}"} for i in range(1, 238)]


def _orders_envelope(request):
    """237 orders, 40 a page, in an envelope one level deep, the cursor in ``meta``."""
    start = int(request.args.get("cursor") or 0)
    page = ORDERS[start : start + 40]
    more = start + 40 < len(ORDERS)
    body = {
        "result": {"orders": page},
        "meta": {"next_cursor": str(start + 40) if more else None, "has_more": more},
    }
    return Response(json_body(body), content_type="application/json")


def test_a_list_named_after_its_resource_inside_an_envelope_key_is_found_and_paged_on_auto(
    fault_server, make_connector
):
    fault_server.expect_request("/items").respond_with_handler(_orders_envelope)
    connector = _connector(make_connector, fault_server, primary_key="order_id")

    log = run_sync(connector)

    assert log.status == SyncStatus.SUCCESS, log.error_message
    assert log.records_created == 237 and log.pages_fetched == 6
    assert log.detected_pagination == "cursor"


@pytest.mark.parametrize(
    ("body", "signal", "lists"),
    [
        (
            {"payload": {"shop": {"orders": ORDERS[:3]}}, "meta": {"has_more": True, "next_cursor": "3"}},
            "(meta.has_more: True)",
            "payload.shop.orders",
        ),
        (  # HAL with two embedded lists: which one holds the records is unknown
            {
                "_embedded": {"orders": ORDERS[:3], "customers": [{"customer_id": 1}]},
                "_links": {"self": {"href": "/items?page=1"}, "next": {"href": "/items?page=2"}},
            },
            "(_links.next.href: '/items?page=2')",
            "_embedded.orders, _embedded.customers",
        ),
    ],
    ids=["meta", "hal"],
)
def test_one_object_that_says_more_pages_follow_fails_instead_of_storing_it_as_the_only_record(
    fault_server, make_connector, body, signal, lists
):
    fault_server.expect_request("/items").respond_with_json(body)
    connector = _connector(make_connector, fault_server, primary_key="order_id")

    log = run_sync(connector)

    assert log.status == SyncStatus.FAILED
    assert (
        f"is one object, not a list of records, yet it says more pages follow {signal}" in log.error_message
    )
    assert f"Lists of objects in it: {lists}" in log.error_message
    assert log.records_created == 0
    assert connector.records.count() == 0


def test_one_object_without_paging_metadata_is_still_one_record_and_records_path_empty_keeps_it_so(
    fault_server, make_connector
):
    fault_server.expect_request("/items").respond_with_json({"id": 7, "name": "settings", "more": False})
    assert run_sync(_connector(make_connector, fault_server, primary_key="id")).status == SyncStatus.SUCCESS
    fault_server.clear()
    paging = {"id": 8, "name": "a resource that names a next one", "next": "/items/9"}
    fault_server.expect_request("/items").respond_with_json(paging)
    # detected: refused; configured as the record itself (records_path ""): stored as asked
    assert run_sync(_connector(make_connector, fault_server, primary_key="id")).status == SyncStatus.FAILED
    connector = _connector(
        make_connector, fault_server, primary_key="id", records_path="", pagination={"type": "none"}
    )
    log = run_sync(connector)
    assert log.status == SyncStatus.SUCCESS and log.records_created == 1


def test_records_path_empty_on_an_envelope_that_pages_fails_naming_the_list_and_the_page_count(
    sample_upstream, make_connector
):
    upstream = sample_upstream(records=500, page_size=50, style="page")  # {"data": [50], "total": 500}
    connector = make_connector(upstream=upstream, records_path="", primary_key="id")

    log = run_sync(connector)

    assert log.status == SyncStatus.FAILED
    assert 'records_path is ""' in log.error_message
    assert "data (50 objects)" in log.error_message
    assert "total_pages: 10 (this is page 1)" in log.error_message
    assert 'Set records_path to "data"' in log.error_message
    assert connector.records.count() == 0


def test_records_path_empty_on_an_envelope_whose_total_exceeds_its_list_fails_without_pagination(
    fault_server, make_connector
):
    body = {"results": ORDERS[:20], "meta": {"total_count": 237, "limit": 20}}
    fault_server.expect_request("/items").respond_with_json(body)
    connector = _connector(
        make_connector, fault_server, primary_key="order_id", records_path="", pagination={"type": "none"}
    )

    log = run_sync(connector)

    assert log.status == SyncStatus.FAILED
    assert "meta.total_count: 237 (the response holds 20)" in log.error_message
    assert 'Set records_path to "results"' in log.error_message


def test_a_single_object_with_a_total_beside_its_own_list_stays_one_record(fault_server, make_connector):
    invoice = {"id": 9, "total": 500, "currency": "EUR", "line_items": [{"sku": "a"}, {"sku": "b"}]}
    fault_server.expect_request("/items").respond_with_json(invoice)
    connector = _connector(make_connector, fault_server, primary_key="id", records_path="")

    log = run_sync(connector)

    assert log.status == SyncStatus.SUCCESS, log.error_message
    assert log.records_created == 1


def test_a_configured_next_link_renamed_beside_its_links_object_ends_partial(fault_server, make_connector):
    # The path was right on page 1; page 2's links name the next page under another key.
    url = fault_url(fault_server)
    fault_server.expect_request("/items", query_string="").respond_with_json(
        {"data": [{"id": 1}, {"id": 2}], "links": {"self": url, "next": f"{url}?p=2"}}
    )
    fault_server.expect_request("/items", query_string="p=2").respond_with_json(
        {"data": [{"id": 3}, {"id": 4}], "links": {"self": f"{url}?p=2", "next_url": f"{url}?p=3"}}
    )
    connector = _connector(
        make_connector, fault_server, pagination={"type": "next_url", "next_url_path": "links.next"}
    )

    log = run_sync(connector)

    assert log.status == SyncStatus.PARTIAL
    assert "pagination.next_url_path 'links.next' is absent from a full page (2 records)" in log.error_message


def test_a_configured_next_link_absent_from_the_last_links_object_is_the_end(fault_server, make_connector):
    url = fault_url(fault_server)
    fault_server.expect_request("/items", query_string="").respond_with_json(
        {"data": [{"id": 1}, {"id": 2}], "links": {"self": url, "next": f"{url}?p=2"}}
    )
    fault_server.expect_request("/items", query_string="p=2").respond_with_json(
        {"data": [{"id": 3}, {"id": 4}], "links": {"self": f"{url}?p=2", "prev": url}}
    )
    connector = _connector(
        make_connector, fault_server, pagination={"type": "next_url", "next_url_path": "links.next"}
    )

    log = run_sync(connector)

    assert log.status == SyncStatus.SUCCESS, log.error_message
    assert stored_ids(connector) == [1, 2, 3, 4]


@pytest.mark.parametrize(
    "last_links",
    [[], [{"rel": "self", "method": "GET"}], [{"rel": "prev", "href": "?p=1"}, {"rel": "self"}]],
    ids=["empty", "self-without-href", "some-without-href"],
)
def test_a_configured_link_list_without_a_next_link_on_its_last_page_is_the_end(
    fault_server, make_connector, last_links
):
    url = fault_url(fault_server)
    fault_server.expect_request("/items", query_string="").respond_with_json(
        {"items": [{"id": 1}], "links": [{"rel": "self", "href": url}, {"rel": "next", "href": f"{url}?p=2"}]}
    )
    fault_server.expect_request("/items", query_string="p=2").respond_with_json(
        {"items": [{"id": 2}], "links": last_links}
    )
    connector = _connector(
        make_connector, fault_server, pagination={"type": "next_url", "next_url_path": "links"}
    )

    log = run_sync(connector)

    assert log.status == SyncStatus.SUCCESS, log.error_message
    assert stored_ids(connector) == [1, 2]


def test_a_configured_total_path_at_a_lower_bound_without_a_number_is_no_total(fault_server, make_connector):
    # {"value": null, "relation": "gte"}: a lower bound that names no number bounds nothing.
    def search_page(request):
        offset = int(request.args.get("from", "0"))
        hits = [{"id": number} for number in range(1, 6)][offset : offset + 2]
        body = {"hits": {"total": {"value": None, "relation": "gte"}, "hits": hits}}
        return Response(json_body(body), content_type="application/json")

    fault_server.expect_request("/items").respond_with_handler(search_page)
    pagination = {
        "type": "offset",
        "offset_param": "from",
        "limit_param": "size",
        "limit": 2,
        "total_path": "hits.total",
    }
    connector = _connector(make_connector, fault_server, pagination=pagination, records_path="hits.hits")

    log = run_sync(connector)

    assert log.status == SyncStatus.SUCCESS, log.error_message
    assert stored_ids(connector) == [1, 2, 3, 4, 5]


@pytest.mark.parametrize(
    "headers",
    [{"Content-Range": "0-1/" + "9" * 5000}, {"X-Total-Count": "\u00b2"}],
    ids=["content-range-total-of-5000-digits", "superscript-total"],
)
def test_a_total_header_that_is_no_readable_number_is_no_total(fault_server, make_connector, headers):
    def page(request):  # what lies past the offset (an API of ranges is paged by it on auto)
        rows = [{"id": 1}, {"id": 2}][int(request.args.get("offset", "0")) :]
        return Response(json_body(rows), headers=headers, content_type="application/json")

    fault_server.expect_request("/items").respond_with_handler(page)
    connector = _connector(make_connector, fault_server)

    log = run_sync(connector)

    assert log.status == SyncStatus.SUCCESS, log.error_message
    assert stored_ids(connector) == [1, 2]
