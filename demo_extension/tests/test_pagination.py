"""Pagination settings, Link headers, totals and detection, as units (the HTTP side is in
test_sync_pagination)."""

import random

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st

from demo_extension.services.extract import graphql_paged_lists, several_paged_lists
from demo_extension.services.pagination import (
    MAX_EMPTY_PAGES_FOLLOWED,
    FetchedPage,
    PaginationError,
    PaginationLoop,
    check_search_after_request,
    cursor_like_header,
    detect_pagination,
    find_total,
    find_total_pages,
    make_paginator,
    next_link,
    resolve_next_url,
    strip_params,
    validate_pagination_config,
)

ENDPOINT = "https://api.example.com/v1/users"


def page(body, count, headers=None, url=ENDPOINT):
    return FetchedPage(url, httpx.Headers(headers or {}), body, count)


# -- validation ----------------------------------------------------------------------------------


def test_an_empty_pagination_setting_means_auto():
    assert validate_pagination_config(None) == {"type": "auto"}
    assert validate_pagination_config({}) == {"type": "auto"}


def test_a_valid_setting_is_returned_normalized():
    cfg = {"type": "page", "page_param": " p ", "size_param": "n", "page_size": 50, "start_page": 0}
    assert validate_pagination_config(cfg) == {
        "type": "page",
        "page_param": "p",
        "size_param": "n",
        "page_size": 50,
        "start_page": 0,
    }


@pytest.mark.parametrize(
    ("cfg", "problem"),
    [
        ("page", "must be an object"),
        ({"type": "pages"}, "pagination.type 'pages' is not one of"),
        ({"type": "cursor", "page_param": "p"}, "page_param not used by type 'cursor'"),
        ({"type": "none", "page_size": 10}, "accepts: no other keys"),
        ({"type": "page", "page_size": 0}, "page_size must be an integer from 1"),
        ({"type": "page", "page_size": True}, "page_size must be an integer"),
        ({"type": "offset", "limit": 10**9}, "limit must be an integer from 1 to 100000"),
        ({"type": "page", "start_page": -1}, "start_page must be an integer of 0 or more"),
        ({"type": "cursor", "cursor_path": ""}, "cursor_path must be a non-empty string"),
        ({"type": "page", "stop_on_short_page": "yes"}, "stop_on_short_page must be true or false"),
        ({"type": "page", "size_param": "per_page"}, "size_param needs pagination.page_size"),
    ],
)
def test_an_invalid_setting_raises_a_value_error_naming_the_problem(cfg, problem):
    with pytest.raises(ValueError) as raised:
        validate_pagination_config(cfg)
    assert problem in str(raised.value)


def test_every_invalid_value_is_named_at_once_not_one_per_attempt():
    with pytest.raises(ValueError) as raised:
        validate_pagination_config({"type": "page", "start_page": -3, "page_size": "fifty", "page_param": ""})

    message = str(raised.value)
    assert "pagination.start_page must be an integer of 0 or more." in message
    assert "pagination.page_size must be an integer from 1 to 100000." in message
    assert "pagination.page_param must be a non-empty string." in message


@pytest.mark.django_db
def test_a_connector_s_invalid_pagination_values_are_all_in_the_api_s_answer(admin_client):
    response = admin_client.post(
        "/api/demo-extension/connectors/",
        {
            "name": "paged",
            "api_endpoint": "https://api.example.com/users",
            "pagination": {"type": "page", "start_page": -3, "page_size": "fifty"},
        },
        format="json",
    )

    assert response.status_code == 400
    (message,) = response.json()["errors"]["pagination"]
    assert "start_page" in message and "page_size" in message


# -- Link headers, totals ----------------------------------------------------------------------------


def test_the_next_link_is_read_from_an_rfc_8288_header_among_others():
    headers = httpx.Headers(
        {"Link": '<https://api.example.com/v1/users?page=1>; rel="first", <?page=3>; rel="next prefetch"'}
    )
    assert (
        next_link(headers, "https://api.example.com/v1/users?page=2")
        == "https://api.example.com/v1/users?page=3"
    )


def test_a_link_header_without_next_means_the_last_page():
    headers = httpx.Headers({"Link": '<https://api.example.com/v1/users?page=1>; rel="first"'})
    assert next_link(headers, ENDPOINT) is None
    assert next_link(httpx.Headers({}), ENDPOINT) is None


def test_totals_are_found_at_the_top_in_meta_objects_and_in_headers():
    assert find_total_pages({"data": [], "total_pages": 7}) == 7
    assert find_total_pages({"meta": {"pageCount": "4"}}) == 4
    assert find_total({"pagination": {"total_count": 120}}, httpx.Headers({})) == 120
    assert find_total([], httpx.Headers({"X-Total-Count": "33"})) == 33
    assert find_total({"stats": {"n": 5}}, None, "stats.n") == 5
    assert find_total({"total": True}, None) is None


def test_credential_parameters_are_stripped_from_urls():
    url = "https://api.example.com/v1/users?page=2&api_key=secret&sort=id"
    assert strip_params(url, {"api_key"}) == "https://api.example.com/v1/users?page=2&sort=id"


# -- stop rules ------------------------------------------------------------------------------------


def test_page_numbers_stop_at_total_pages():
    paginator = make_paginator({"type": "page"}, ENDPOINT)
    assert paginator.request().params == {"page": "1"}
    assert paginator.advance(page({"total_pages": 2}, 10)) is True
    assert paginator.request().params == {"page": "2"}
    assert paginator.advance(page({"total_pages": 2}, 10)) is False


def test_page_numbers_continue_past_a_capped_first_page_and_stop_at_a_shorter_one():
    paginator = make_paginator({"type": "page", "size_param": "size", "page_size": 100}, ENDPOINT)
    assert paginator.request().params == {"page": "1", "size": "100"}
    assert paginator.advance(page([], 25)) is True  # 25 < 100 asked: the API caps, not the end
    assert paginator.advance(page([], 25)) is True
    assert paginator.advance(page([], 7)) is False


def test_offsets_advance_by_the_records_received_and_stop_at_the_total():
    paginator = make_paginator({"type": "offset", "limit": 50, "start_offset": 1}, ENDPOINT)
    assert paginator.request().params == {"offset": "1", "limit": "50"}
    assert paginator.advance(page({"total": 45}, 30)) is True
    assert paginator.request().params == {"offset": "31", "limit": "50"}
    assert paginator.advance(page({"total": 45}, 15)) is False


def test_an_empty_page_stops_page_numbers_and_offsets():
    for cfg in ({"type": "page"}, {"type": "offset"}):
        paginator = make_paginator(cfg, ENDPOINT)
        assert (
            paginator.advance(page({"next_cursor": "x", "next": ENDPOINT + "?p=2", "total": 99}, 0)) is False
        )


def test_an_empty_page_naming_a_new_next_page_or_cursor_is_followed():
    # Microsoft Graph's delta queries: an empty page with an @odata.nextLink is not the end.
    for cfg in ({"type": "cursor"}, {"type": "next_url"}):
        paginator = make_paginator(cfg, ENDPOINT)
        assert paginator.advance(page({"next_cursor": "x", "next": ENDPOINT + "?p=2"}, 0)) is True
        assert paginator.advance(page({"next_cursor": "y", "next": ENDPOINT + "?p=3"}, 5)) is True
        assert "empty_pages" not in paginator.state  # a page with records ends the empty run


def test_an_empty_page_naming_a_next_page_already_followed_is_the_end_not_a_loop():
    paginator = make_paginator({"type": "cursor"}, ENDPOINT)
    assert paginator.advance(page({"next_cursor": "a"}, 5)) is True
    assert paginator.advance(page({"next_cursor": "a"}, 0)) is False
    assert paginator.shortfall(page({"next_cursor": "a"}, 0)) is None
    following = make_paginator({"type": "next_url"}, ENDPOINT)
    assert following.advance(page({"next": ENDPOINT + "?p=2"}, 5)) is True
    assert following.advance(page({"next": ENDPOINT}, 0, url=ENDPOINT + "?p=2")) is False


def test_an_empty_page_with_a_has_more_false_flag_or_end_of_stream_is_the_end():
    paginator = make_paginator({"type": "cursor"}, ENDPOINT)
    assert paginator.advance(page({"next_cursor": "a", "has_more": False}, 0)) is False
    # Zendesk's incremental exports keep their cursor on the last page
    zendesk = make_paginator({"type": "next_url", "next_url_path": "after_url"}, ENDPOINT)
    assert zendesk.advance(page({"after_url": ENDPOINT + "?cursor=b", "end_of_stream": True}, 3)) is False


def test_too_many_empty_pages_in_a_row_stop_with_a_shortfall():
    paginator = make_paginator({"type": "cursor"}, ENDPOINT)
    for number in range(MAX_EMPTY_PAGES_FOLLOWED):
        assert paginator.advance(page({"next_cursor": f"c{number}"}, 0)) is True
    last = page({"next_cursor": "again-new"}, 0)
    assert paginator.advance(last) is False
    assert "empty pages in a row" in paginator.shortfall(last)


def test_a_cursor_seen_before_is_a_loop():
    paginator = make_paginator({"type": "cursor", "cursor_path": "meta.next"}, ENDPOINT)
    assert paginator.advance(page({"meta": {"next": "a"}}, 5)) is True
    assert paginator.advance(page({"meta": {"next": "b"}}, 5)) is True
    with pytest.raises(PaginationLoop):
        paginator.advance(page({"meta": {"next": "a"}}, 5))


def test_a_next_url_back_to_the_current_page_is_a_loop():
    paginator = make_paginator({"type": "next_url"}, ENDPOINT)
    with pytest.raises(PaginationLoop):
        paginator.advance(page({"next": ENDPOINT}, 5))


def test_a_paginator_resumes_from_a_checkpointed_state():
    paginator = make_paginator({"type": "cursor"}, ENDPOINT, state={"cursor": "tok-9"})
    assert paginator.request().params == {"cursor": "tok-9"}


# -- detection -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "headers", "expected"),
    [
        ([{"id": 1}], {"Link": f'<{ENDPOINT}?page=2>; rel="next"'}, {"type": "link_header"}),
        ({"results": [{}], "next": f"{ENDPOINT}?page=2"}, {}, {"type": "next_url", "next_url_path": "next"}),
        ({"data": [{}], "links": {"next": {"href": "/v1/users?page=2"}}}, {}, {"type": "next_url"}),
        ({"items": [{}], "next_cursor": "abc"}, {}, {"type": "cursor", "cursor_param": "cursor"}),
        ({"items": [{}], "nextPageToken": "abc"}, {}, {"type": "cursor", "cursor_param": "pageToken"}),
        ({"data": [{}], "page": 1, "total_pages": 3}, {}, {"type": "page", "start_page": 1}),
        ({"data": [{}], "count": 10}, {}, {"type": "offset"}),
        ({"data": [{}], "next": None, "total": 1}, {}, {"type": "none"}),
        ([{"id": 1}], {}, {"type": "none"}),
    ],
)
def test_auto_detection_picks_the_style_the_first_response_shows(body, headers, expected):
    detected = detect_pagination(page(body, 1, headers), {"type": "auto"})
    assert {key: detected.get(key) for key in expected} == expected


# -- the families real vendors document ---------------------------------------------------------


def _records(n, key="id"):
    return [{key: str(i)} for i in range(n)]


@pytest.mark.parametrize(
    ("body", "headers", "expected"),
    [
        # HubSpot: the cursor wins over paging.next.link, which drops the request's own parameters
        (
            {"results": _records(2), "paging": {"next": {"after": "NTI1", "link": "?after=NTI1"}}},
            {},
            {"type": "cursor", "cursor_path": "paging.next.after", "cursor_param": "after"},
        ),
        (
            {"ok": True, "channels": _records(2), "response_metadata": {"next_cursor": "dGVhbQ=="}},
            {},
            {"type": "cursor", "cursor_path": "response_metadata.next_cursor", "cursor_param": "cursor"},
        ),
        (
            {"data": _records(2), "meta": {"result_count": 2, "next_token": "7140w"}},
            {},
            {"type": "cursor", "cursor_path": "meta.next_token", "cursor_param": "pagination_token"},
        ),
        (
            {"records": _records(2), "offset": "itrX/recY"},
            {},
            {"type": "cursor", "cursor_path": "offset", "cursor_param": "offset"},
        ),
        (
            {"files": _records(2), "nextPageToken": "tok"},
            {},
            {"type": "cursor", "cursor_path": "nextPageToken", "cursor_param": "pageToken"},
        ),
        (
            {"object": "list", "data": _records(2), "has_more": True, "url": "/v1/customers"},
            {},
            {"type": "cursor", "cursor_from": "last_record", "cursor_param": "starting_after"},
        ),
        (
            {
                "totalSize": 5,
                "done": False,
                "nextRecordsUrl": "/services/data/v62.0/query/01g-2",
                "records": [],
            },
            {},
            {"type": "next_url", "next_url_path": "nextRecordsUrl"},
        ),
        (
            {"value": _records(2), "@odata.nextLink": "https://api.example.com/v1/users?$skiptoken=x"},
            {},
            {"type": "next_url", "next_url_path": "@odata\\.nextLink"},
        ),
        (
            {"users": _records(2), "next_page": "https://api.example.com/v1/users?page=2", "count": 9},
            {},
            {"type": "next_url", "next_url_path": "next_page"},
        ),
        (
            {"data": _records(2), "links": {"next": "/articles?page[number]=2&page[size]=2"}},
            {},
            {"type": "next_url", "next_url_path": "links.next"},
        ),
        (
            {"startAt": 0, "maxResults": 2, "total": 9, "issues": _records(2)},
            {},
            {"type": "offset", "offset_param": "startAt"},
        ),
        (
            {"items": _records(2), "skip": 0, "take": 2, "total": 9},
            {},
            {"type": "offset", "offset_param": "skip"},
        ),
        (
            {"data": _records(2), "offset": 0, "limit": 2, "count": 9},
            {},
            {"type": "offset", "offset_param": "offset"},
        ),
        (
            {"data": _records(2), "page": 1, "per_page": 2, "total_pages": 5},
            {},
            {"type": "page", "page_param": "page", "start_page": 1},
        ),
        (_records(2), {"X-WP-Total": "9", "X-WP-TotalPages": "5"}, {"type": "page", "page_param": "page"}),
        (_records(2), {"X-Total-Pages": "5"}, {"type": "page"}),
        (
            {"products": _records(2)},
            {"Link": f'<{ENDPOINT}?limit=2&page_info=eyJsYXN0>; rel="next"'},
            {"type": "link_header"},
        ),
        ({"records": _records(2), "done": False}, {}, {"type": "none"}),
        (
            {"issues": _records(2), "nextPageToken": "CAEaAggD", "isLast": False},
            {},
            {"type": "cursor", "cursor_path": "nextPageToken", "cursor_param": "nextPageToken"},
        ),
        (
            {
                "content": _records(2),
                "pageable": {},
                "number": 0,
                "totalPages": 3,
                "totalElements": 5,
                "last": False,
            },
            {},
            {"type": "page", "page_param": "page", "start_page": 0},
        ),
        (  # https://docs.stripe.com/api/pagination/search
            {
                "object": "search_result",
                "url": "/v1/customers/search",
                "has_more": True,
                "data": _records(2),
                "next_page": "WzE3MTk1MjA5NDIsImN1c19RN0ZPd3BCbnRZd2N5SSJd",
            },
            {},
            {"type": "cursor", "cursor_path": "next_page", "cursor_param": "page"},
        ),
        (  # https://developers.notion.com/reference/intro#pagination
            {
                "object": "list",
                "results": _records(2),
                "next_cursor": "fe2cc560-036c-44cd-90e8-294d5a74cebc",
                "has_more": True,
                "type": "user",
                "user": {},
            },
            {},
            {"type": "cursor", "cursor_path": "next_cursor", "cursor_param": "start_cursor"},
        ),
        (  # https://developer.zendesk.com/api-reference/ticketing/ticket-management/incremental_exports/
            {
                "users": _records(2),
                "after_url": f"{ENDPOINT}?cursor=MTU3NjYxMzUzOS4wfHw0Njd8",
                "after_cursor": "MTU3NjYxMzUzOS4wfHw0Njd8",
                "before_url": None,
                "before_cursor": None,
                "end_of_stream": False,
            },
            {},
            {"type": "next_url", "next_url_path": "after_url"},
        ),
        (  # Slack keeps its nested cursor; a top-level next_cursor elsewhere is still "cursor"
            {"data": _records(2), "next_cursor": "abc"},
            {},
            {"type": "cursor", "cursor_path": "next_cursor", "cursor_param": "cursor"},
        ),
        (  # https://cloudinary.com/documentation/admin_api#pagination: sent back as next_cursor
            {"resources": _records(2), "next_cursor": "8edbc61040178db60b0973ca9494bf3a"},
            {},
            {"type": "cursor", "cursor_path": "next_cursor", "cursor_param": "next_cursor"},
        ),
        (  # SendGrid v3: _metadata {self, next, count}
            {
                "result": _records(2),
                "_metadata": {"self": ENDPOINT, "next": f"{ENDPOINT}?page_token=x", "count": 9},
            },
            {},
            {"type": "next_url", "next_url_path": "_metadata.next"},
        ),
        (  # Dropbox Sign: list_info {num_pages, num_results, page, page_size}
            {
                "signature_requests": _records(2),
                "list_info": {"num_pages": 5, "num_results": 9, "page": 1, "page_size": 2},
            },
            {},
            {"type": "page", "page_param": "page", "start_page": 1},
        ),
        (  # DocuSign: string counts and a nextUri
            {
                "resultSetSize": "2",
                "startPosition": "0",
                "endPosition": "1",
                "totalSetSize": "9",
                "nextUri": "/accounts/1/envelopes?start_position=2&count=2",
                "previousUri": "",
                "envelopes": _records(2),
            },
            {},
            {"type": "next_url", "next_url_path": "nextUri"},
        ),
        (  # BigCommerce v3: meta.pagination.links.next, a query string
            {
                "data": _records(2),
                "meta": {
                    "pagination": {
                        "total": 9,
                        "count": 2,
                        "per_page": 2,
                        "current_page": 1,
                        "total_pages": 5,
                        "links": {"current": "?page=1&limit=2", "next": "?page=2&limit=2"},
                    }
                },
            },
            {},
            {"type": "next_url", "next_url_path": "meta.pagination.links.next"},
        ),
    ],
)
def test_auto_detection_knows_the_envelopes_of_widely_used_apis(body, headers, expected):
    records = body if isinstance(body, list) else next(v for v in body.values() if isinstance(v, list))
    detected = detect_pagination(
        FetchedPage(ENDPOINT, httpx.Headers(headers), body, len(records), records[-1] if records else None),
        {"type": "auto"},
    )
    assert {key: detected.get(key) for key in expected} == expected
    assert detected["detected_because"]
    assert make_paginator(validate_pagination_config(detected), ENDPOINT).style == expected["type"]


def test_a_last_record_cursor_sends_the_id_of_the_page_s_last_record():
    config = validate_pagination_config(
        {
            "type": "cursor",
            "cursor_from": "last_record",
            "cursor_param": "starting_after",
            "has_more_path": "has_more",
        }
    )
    paginator = make_paginator(config, ENDPOINT)
    body = {"data": [{"id": "cus_1"}, {"id": "cus_2"}], "has_more": True}
    assert paginator.advance(FetchedPage(ENDPOINT, httpx.Headers(), body, 2, {"id": "cus_2"})) is True
    assert paginator.request().params == {"starting_after": "cus_2"}
    last = {"data": [{"id": "cus_3"}], "has_more": False}
    assert paginator.advance(FetchedPage(ENDPOINT, httpx.Headers(), last, 1, {"id": "cus_3"})) is False


def test_a_nested_last_record_cursor_field_uses_the_path_syntax():
    config = validate_pagination_config(
        {"type": "cursor", "cursor_from": "last_record", "cursor_field": "meta.-1", "cursor_param": "after"}
    )
    paginator = make_paginator(config, ENDPOINT)
    assert paginator.advance(FetchedPage(ENDPOINT, httpx.Headers(), {}, 1, {"meta": ["x", "k9"]})) is True
    assert paginator.request().params == {"after": "k9"}


@pytest.mark.parametrize(
    ("cfg", "problem"),
    [
        ({"type": "cursor", "cursor_from": "record"}, "cursor_from must be one of: body, last_record"),
        ({"type": "cursor", "cursor_from": "last_record"}, "needs cursor_param"),
        (
            {"type": "cursor", "cursor_from": "last_record", "cursor_param": "a", "cursor_path": "x"},
            "name the record field with cursor_field",
        ),
        ({"type": "cursor", "cursor_field": "id"}, 'only used with cursor_from "last_record"'),
        ({"type": "page", "has_more_path": "meta..more"}, "empty segment"),
        ({"type": "link_header", "has_more_path": "more"}, "has_more_path not used by type 'link_header'"),
    ],
)
def test_the_new_pagination_keys_are_validated(cfg, problem):
    with pytest.raises(ValueError, match=problem.replace("(", r"\(")):
        validate_pagination_config(cfg)


def test_detected_because_is_accepted_and_dropped_when_a_detected_config_is_saved():
    assert validate_pagination_config({"type": "link_header", "detected_because": "x"}) == {
        "type": "link_header"
    }


def test_a_configured_has_more_path_stops_and_flags_a_shortfall():
    config = validate_pagination_config({"type": "page", "has_more_path": "/meta/more?"})
    paginator = make_paginator(config, ENDPOINT)
    assert paginator.advance(page({"meta": {"more?": True}}, 5)) is True
    assert paginator.advance(page({"meta": {"more?": False}}, 5)) is False
    assert paginator.shortfall(page({"meta": {"more?": False}}, 5)) is None


def test_header_totals_count_for_the_page_style():
    assert find_total_pages([], None, httpx.Headers({"X-WP-TotalPages": "4"})) == 4
    assert find_total([], httpx.Headers({"X-WP-Total": "37"})) == 37


def test_github_search_s_incomplete_results_is_named_as_the_reason():
    # https://docs.github.com/en/rest/search/search#timeouts-and-incomplete-results
    paginator = make_paginator({"type": "link_header"}, ENDPOINT)
    last = page({"total_count": 40, "incomplete_results": True, "items": []}, 25)
    assert paginator.advance(last) is False
    reason = paginator.shortfall(last)
    assert "incomplete_results: true" in reason and "pagination" not in reason


_RELAY = {"nodes": [{"id": "1"}], "pageInfo": {"endCursor": "c1", "hasNextPage": True}}


@pytest.mark.parametrize(
    ("data", "paged"),
    [
        ({"repository": {"issues": _RELAY}}, ["data.repository.issues"]),
        # aliased repositories, or two connections of one object: a connector can follow one
        ({"a": {"issues": _RELAY}, "b": {"issues": _RELAY}}, ["data.a.issues", "data.b.issues"]),
        (
            {"repository": {"issues": _RELAY, "pullRequests": _RELAY}},
            ["data.repository.issues", "data.repository.pullRequests"],
        ),
        # monday.com: one board, two boards (each its items page), the last page (cursor null)
        ({"boards": [{"items_page": {"cursor": "x", "items": []}}]}, ["data.boards.0.items_page"]),
        (
            {
                "boards": [
                    {"items_page": {"cursor": "x", "items": []}},
                    {"items_page": {"cursor": None, "items": []}},
                ]
            },
            ["data.boards.0.items_page", "data.boards.1.items_page"],
        ),
        # connections inside a connection's records are part of its records, not other lists
        ({"issues": {"nodes": [{"labels": _RELAY}, {"labels": _RELAY}], "pageInfo": {}}}, ["data.issues"]),
        ({"teams": {"nodes": [{"members": _RELAY}, {"members": _RELAY}]}}, []),
        ({"viewer": {"login": "octocat"}}, []),
    ],
)
def test_the_paged_lists_of_a_graphql_answer_are_found_in_objects_and_lists_but_not_inside_records(
    data, paged
):
    assert graphql_paged_lists({"data": data}) == paged
    problem = several_paged_lists({"data": data})
    if len(paged) > 1:
        assert f"holds {len(paged)} paged lists ({', '.join(paged)})" in problem
    else:
        assert problem is None


def test_a_cursor_list_stops_at_the_page_number_that_reaches_its_page_count_and_only_then():
    config = validate_pagination_config({"type": "cursor", "cursor_path": "next", "cursor_param": "cursor"})
    paginator = make_paginator(config, ENDPOINT)
    # top level, beside the cursor: pages 1 and 2 of 3 go on, page 3 of 3 is the last despite its cursor
    for number in (1, 2):
        assert paginator.advance(page({"next": f"c{number}", "page_number": number, "page_count": 3}, 5))
    assert not paginator.advance(page({"next": "c3", "page_number": 3, "page_count": 3}, 5))
    assert paginator.stopped_because == "page_number (3) reached page_count (3)"

    # numbers that are not integers, or a page number that is not the run's count of pages, say nothing
    for body in (
        {"next": "d1", "page_number": "1", "page_count": "1"},
        {"next": "d2", "page_number": True, "page_count": 1},
        {"next": "d3", "page_number": 1, "page_count": 1},  # the run's third page, numbered 1
        {"next": "d4", "pageCount": 1},  # a count alone (Typeform's pages left before `before`)
    ):
        other = make_paginator(config, ENDPOINT, {"cursor": None, "pages": 2})
        assert other.advance(page(body, 5)), body


def test_a_cursor_lists_page_count_is_read_in_the_object_that_holds_its_cursor():
    config = validate_pagination_config(
        {"type": "cursor", "cursor_path": "paging.next", "cursor_param": "continuation"}
    )
    paginator = make_paginator(config, ENDPOINT)
    body = {"paging": {"next": "c1", "pageNumber": 1, "pageCount": 1}, "items": []}

    assert not paginator.advance(page(body, 5))
    assert paginator.stopped_because == "paging.pageNumber (1) reached paging.pageCount (1)"


def test_a_cursor_without_a_path_or_parameter_sends_a_known_header_s_cursor_back_as_its_api_expects():
    paginator = make_paginator({"type": "cursor"}, ENDPOINT)
    azure = page({"count": 2, "value": [1, 2]}, 2, {"x-ms-continuationtoken": "tok-2"})

    assert paginator.advance(azure) is True
    assert paginator.request().params == {"continuationToken": "tok-2"}
    assert paginator.take_notes() == [
        "Cursor found in the response header x-ms-continuationtoken (Azure DevOps-style), sent back as "
        "'continuationToken'."
    ]
    assert paginator.take_notes() == []  # said once
    resumed = make_paginator({"type": "cursor"}, ENDPOINT, dict(paginator.state))
    assert resumed.request().params == {"continuationToken": "tok-2"}


def test_a_cursor_found_in_the_body_is_read_there_before_a_known_header():
    paginator = make_paginator({"type": "cursor", "cursor_param": "cursor"}, ENDPOINT)
    both = page({"data": [1], "next_cursor": "body-2"}, 1, {"x-ms-continuationtoken": "header-2"})

    assert paginator.advance(both) is True
    assert paginator.request().params == {"cursor": "body-2"}
    assert paginator.take_notes() == []


@pytest.mark.parametrize(
    ("headers", "named"),
    [
        ({"X-Ms-Continuationtoken": "t"}, "X-Ms-Continuationtoken"),
        ({"X-Next-Cursor": "t"}, "X-Next-Cursor"),
        ({"Next-Page-Token": "t"}, "Next-Page-Token"),
        ({"X-NextPage": "2"}, "X-NextPage"),
        ({"X-Next-Page": ""}, None),  # GitLab's last page
        ({"Link": '<https://api.example.com/v1/users?cursor=x>; rel="next"'}, None),
        ({"X-Total-Count": "3", "Content-Type": "application/json"}, None),
    ],
)
def test_a_response_header_looks_like_a_cursor_by_its_name_when_it_has_a_value(headers, named):
    assert cursor_like_header(httpx.Headers(headers)) == named


@pytest.mark.parametrize(
    ("target", "page_url", "resolved"),
    [
        # BigCommerce: "?page=2&limit=50" is appended to the resource; the request's filter stays
        (
            "?page=3&limit=5",
            "https://api.example.com/v3/products?is_visible=true&page=2&limit=5",
            "https://api.example.com/v3/products?is_visible=true&page=3&limit=5",
        ),
        # DocuSign: a path relative to the API's base path (/restapi/v2.1)
        (
            "/accounts/7/envelopes?start_position=5&count=5",
            "https://demo.docusign.net/restapi/v2.1/accounts/7/envelopes?from_date=2025-01-01",
            "https://demo.docusign.net/restapi/v2.1/accounts/7/envelopes?start_position=5&count=5",
        ),
        # A path from the host's root stays one
        ("/v1/users?page=2", ENDPOINT, "https://api.example.com/v1/users?page=2"),
        ("/v2/people?page=2", ENDPOINT, "https://api.example.com/v2/people?page=2"),
        # Only a whole trailing segment counts: "/users" is no suffix of ".../superusers"
        (
            "/users?page=2",
            "https://api.example.com/v1/superusers",
            "https://api.example.com/users?page=2",
        ),
        ("https://api.example.com/v1/users?cursor=x", ENDPOINT, "https://api.example.com/v1/users?cursor=x"),
    ],
    ids=["query-string", "base-path", "root", "other-root", "no-partial-segment", "absolute"],
)
def test_a_relative_next_link_resolves_as_its_api_means_it(target, page_url, resolved):
    assert resolve_next_url(target, page_url, {}) == resolved


# -- search_after (Elasticsearch / OpenSearch) ----------------------------------------------------

SEARCH_AFTER = {"type": "cursor", "cursor_from": "search_after", "page_size": 2}
SORTED = {"query": {"match_all": {}}, "sort": [{"updated": "asc"}, {"id": "asc"}]}


def hits_page(*sorts):
    """A _search answer whose hits have the sort values ``sorts`` (None: a hit without them)."""
    hits = [{"_id": f"d{n}", **({"sort": sort} if sort is not None else {})} for n, sort in enumerate(sorts)]
    return answered(hits)


def answered(hits, paginator=None):
    """The page a reader hands the paginator: the hits as answered, counted without those the page
    before asked for again (``keep_new``)."""
    kept = paginator.keep_new(hits) if paginator is not None else hits
    return FetchedPage(
        ENDPOINT, httpx.Headers(), {"hits": {"hits": hits}}, len(kept), hits[-1] if hits else None, hits
    )


def hit(id_, *sort):
    return {"_index": "docs", "_id": id_, "sort": list(sort)}


@pytest.mark.parametrize(
    ("cfg", "problem"),
    [
        ({"type": "cursor", "cursor_from": "search_after"}, "needs page_size"),
        ({**SEARCH_AFTER, "page_size": 1}, "needs a page_size of at least 2"),
        ({**SEARCH_AFTER, "cursor_path": "x", "has_more_path": "y"}, "leave out cursor_path, has_more_path"),
        ({**SEARCH_AFTER, "cursor_header": "x-next"}, "leave out cursor_header"),
    ],
)
def test_a_search_after_config_is_validated(cfg, problem):
    with pytest.raises(ValueError, match=problem):
        validate_pagination_config(cfg)


@pytest.mark.parametrize(
    ("method", "body", "problem"),
    [
        ("GET", {}, "set request_method to POST"),
        ("POST", {"query": {}}, 'needs a "sort" in request_body'),
        ("POST", {"sort": []}, 'needs a "sort" in request_body'),
        ("POST", {**SORTED, "search_after": [1, "a"]}, "request_body sets 'search_after'"),
        ("POST", {**SORTED, "from": 20}, 'request_body sets "from"'),
        ("POST", {**SORTED, "size": 50}, "another value than pagination.page_size"),
        ("POST", {**SORTED, "pit": {"id": "x", "keep_alive": "1m"}}, "point in time"),
    ],
)
def test_a_search_after_request_without_what_it_needs_is_refused(method, body, problem):
    with pytest.raises(ValueError, match=problem):
        check_search_after_request(validate_pagination_config(SEARCH_AFTER), method, body)


def test_a_sorted_posted_search_takes_search_after_and_other_paginations_are_not_checked():
    config = validate_pagination_config(SEARCH_AFTER)
    assert check_search_after_request(config, "post", {**SORTED, "size": 2, "from": 0}) is None
    assert check_search_after_request(validate_pagination_config({"type": "auto"}), "GET", {}) is None


def test_search_after_continues_after_the_hit_before_the_last_and_drops_the_last_when_asked_again():
    paginator = make_paginator(validate_pagination_config(SEARCH_AFTER), ENDPOINT)
    assert paginator.request().params == {"size": "2"}
    assert paginator.advance(answered([hit("a", 1, "a"), hit("b", 2, "b")], paginator)) is True
    checkpoint = dict(paginator.state)
    # the next page starts after the first hit: it answers "b" again, then what follows it
    assert paginator.request().params == {"size": "2", "search_after": [1, "a"]}
    second = [hit("b", 2, "b"), hit("c", 3, "c")]
    assert paginator.keep_new(second) == [hit("c", 3, "c")]
    assert paginator.advance(answered(second, paginator)) is True
    assert paginator.request().params == {"size": "2", "search_after": [2, "b"]}
    last = [hit("c", 3, "c")]
    assert paginator.keep_new(last) == [] and paginator.advance(answered(last, paginator)) is False
    assert paginator.state["seen"] == 3  # each hit once
    # The state is what a checkpoint keeps: a run resumed from it asks and drops the same.
    resumed = make_paginator(validate_pagination_config(SEARCH_AFTER), ENDPOINT, checkpoint)
    assert resumed.request().params == {"size": "2", "search_after": [1, "a"]}
    assert resumed.keep_new(second) == [hit("c", 3, "c")]


def test_a_short_page_is_the_last_and_names_the_hits_it_holds():
    paginator = make_paginator(validate_pagination_config(SEARCH_AFTER), ENDPOINT)
    assert paginator.advance(hits_page([1, "a"], [2, "b"])) is True
    assert paginator.advance(hits_page([3, "c"])) is False
    assert paginator.stopped_because == "the page holds 1 hits, fewer than the 2 asked for"


def test_hits_of_the_last_sort_values_are_all_asked_again_so_a_tie_past_the_page_is_read():
    config = validate_pagination_config({**SEARCH_AFTER, "page_size": 4})
    paginator = make_paginator(config, ENDPOINT)
    # a sort on a date alone: "c" and "d" share it with "e", which the page had no room for
    assert paginator.advance(answered([hit("a", 1), hit("b", 2), hit("c", 3), hit("d", 3)], paginator))
    assert paginator.request().params["search_after"] == [2]
    nxt = [hit("d", 3), hit("c", 3), hit("e", 3), hit("f", 4)]  # equal values in another order
    assert paginator.keep_new(nxt) == [hit("e", 3), hit("f", 4)]
    assert paginator.advance(answered(nxt, paginator)) is True
    assert paginator.request().params["search_after"] == [3]


def test_a_hit_asked_again_that_is_gone_or_moved_drops_nothing_and_a_hit_new_before_it_is_kept():
    paginator = make_paginator(validate_pagination_config(SEARCH_AFTER), ENDPOINT)
    assert paginator.advance(answered([hit("a", 1), hit("b", 3)], paginator))
    assert paginator.keep_new([hit("n", 2), hit("b", 3)]) == [hit("n", 2)]  # "n" added after the page
    assert paginator.keep_new([hit("c", 4), hit("d", 5)]) == [hit("c", 4), hit("d", 5)]  # "b" removed
    assert paginator.keep_new([hit("b", 9), hit("c", 10)]) == [hit("b", 9), hit("c", 10)]  # "b" moved


def test_a_full_page_of_one_sort_value_cannot_be_continued_past_and_fails_naming_it():
    paginator = make_paginator(validate_pagination_config(SEARCH_AFTER), ENDPOINT)
    with pytest.raises(PaginationError, match=r"All 2 hits of page 1 have the same sort values \[7\]"):
        paginator.advance(answered([hit("a", 7), hit("b", 7)], paginator))


def test_a_checkpoint_made_before_overlaps_continues_after_its_last_hit_dropping_nothing():
    resumed = make_paginator(validate_pagination_config(SEARCH_AFTER), ENDPOINT, {"cursor": [2, "b"]})
    assert resumed.request().params == {"size": "2", "search_after": [2, "b"]}
    assert resumed.keep_new([hit("c", 3, "c")]) == [hit("c", 3, "c")]
    with pytest.raises(PaginationLoop):  # its cursor is the page before's last hit: the loop guard holds
        resumed.advance(answered([hit("b", 2, "b"), hit("c", 3, "c")]))


def test_search_after_ends_at_an_empty_page_with_nothing_to_report():
    paginator = make_paginator(validate_pagination_config(SEARCH_AFTER), ENDPOINT)
    assert paginator.advance(hits_page([1, "a"], [2, "b"])) is True
    empty = hits_page()
    assert paginator.advance(empty) is False and paginator.shortfall(empty) is None


@pytest.mark.parametrize(
    ("last", "found"),
    [
        (None, "(none, not a list"),
        ({"updated": 1}, "(a JSON object"),
        ([], "(a JSON array"),
        ([{"a": 1}], "(a JSON array"),
    ],
)
def test_a_last_hit_without_a_list_of_sort_values_fails_naming_it(last, found):
    paginator = make_paginator(validate_pagination_config(SEARCH_AFTER), ENDPOINT)
    with pytest.raises(PaginationError, match=r"The last hit 'd1' of page 1 has no sort values") as raised:
        paginator.advance(hits_page([1, "a"], last))
    assert found in str(raised.value)


def test_the_hit_a_full_page_continues_after_needs_sort_values_too():
    paginator = make_paginator(validate_pagination_config(SEARCH_AFTER), ENDPOINT)
    with pytest.raises(PaginationError, match=r"Hit 1 'd0' of page 1 has no sort values at 'sort' \(none"):
        paginator.advance(hits_page(None, [2, "b"]))


def test_the_same_sort_values_to_continue_after_twice_are_a_loop():
    paginator = make_paginator(validate_pagination_config(SEARCH_AFTER), ENDPOINT)
    assert paginator.advance(hits_page([1, "a"], [2, "b"])) is True
    assert paginator.advance(hits_page([3, "c"], [4, "d"])) is True
    with pytest.raises(PaginationLoop, match=r"continued after the sort values \[1, \"a\"\], as an earlier"):
        paginator.advance(hits_page([1, "a"], [2, "b"]))
    again = make_paginator(validate_pagination_config(SEARCH_AFTER), ENDPOINT)
    assert again.advance(hits_page([1, "a"], [2, "b"])) is True
    with pytest.raises(PaginationLoop):  # the first page answered again: search_after not taken
        again.advance(hits_page([1, "a"], [2, "b"]))


def test_a_short_page_that_continues_the_last_values_of_the_page_before_is_its_end():
    paginator = make_paginator(validate_pagination_config({**SEARCH_AFTER, "page_size": 4}), ENDPOINT)
    assert paginator.advance(answered([hit("a", 1), hit("b", 1), hit("c", 2), hit("d", 2)], paginator))
    last = [hit("c", 2), hit("d", 2), hit("e", 2)]  # its last values are the page before's: no loop
    assert paginator.advance(answered(last, paginator)) is False
    assert paginator.state["seen"] == 5 and paginator.shortfall(answered(last)) is None


def _search(hits: list[dict], after: list | None, size: int, rng: random.Random) -> list[dict]:
    """What Elasticsearch answers: the hits whose sort values come after ``after``, ``size`` of
    them, hits of equal values in an order that may change from one request to the next."""
    past = [one for one in hits if after is None or one["sort"] > after]
    groups: dict[int, list[dict]] = {}
    for one in past:
        groups.setdefault(one["sort"][0], []).append(one)
    answer = []
    for value in sorted(groups):
        tied = groups[value][:]
        rng.shuffle(tied)
        answer += tied
    return answer[:size]


@given(
    values=st.lists(st.integers(0, 12), max_size=60),
    size=st.integers(2, 9),
    seed=st.integers(0, 2**16),
)
def test_search_after_reads_every_hit_once_or_fails_whatever_the_ties_and_their_order(values, size, seed):
    """Any sort values (a date alone: ties), any page size, ties answered in another order by each
    request: every hit is read exactly once, or, where hits of one value fill a page, the run fails
    saying so. Nothing is skipped or read twice without a word."""
    rng = random.Random(seed)
    hits = [{"_index": "docs", "_id": f"h{n}", "sort": [value]} for n, value in enumerate(values)]
    paginator = make_paginator(validate_pagination_config({**SEARCH_AFTER, "page_size": size}), ENDPOINT)
    read: list[str] = []
    for _ in range(len(hits) + 2):
        request = paginator.request()
        answer = _search(hits, request.params.get("search_after"), size, rng)
        kept = paginator.keep_new(answer)
        read += [one["_id"] for one in kept]
        try:
            more = paginator.advance(answered(answer, paginator))
        except PaginationError as exc:
            counts = {value: values.count(value) for value in values}
            assert "have the same sort values" in str(exc) and max(counts.values()) >= size
            return
        if not more:
            break
    assert sorted(read) == sorted(one["_id"] for one in hits)  # each once
    assert paginator.state.get("seen", 0) == len(hits)


def test_search_after_names_its_own_field_and_parameter_when_configured():
    config = validate_pagination_config(
        {**SEARCH_AFTER, "cursor_field": "fields.sort_key", "cursor_param": "search_after"}
    )
    paginator = make_paginator(config, ENDPOINT)
    hits = [{"_id": "1", "fields": {"sort_key": ["k1"]}}, {"_id": "2", "fields": {"sort_key": ["k2"]}}]
    assert paginator.advance(answered(hits)) is True
    assert paginator.request().params["search_after"] == ["k1"]
    assert "search_after (the 'fields.sort_key' of the last hit before" in paginator.describe()
