"""Pagination of upstream REST APIs: the styles, auto-detection, stop rules and loop guards.

A :class:`Paginator` turns a JSON-serializable *state* (the next request to make) into a request,
and a fetched page into the next state, or ``None`` when the sync is done. The state after each
page is what a sync checkpoints, so a resumed sync continues with exactly the next page.

Styles (``connector.pagination["type"]``; every path uses the syntax of :mod:`.paths`):

* ``none``: one request.
* ``page``: ``page_param`` (default ``page``) from ``start_page`` (default 1), ``size_param`` +
  ``page_size`` when given; ``total_pages_path`` / ``total_path`` override the detected totals.
* ``offset``: ``offset_param`` / ``limit_param`` (default ``offset`` / ``limit``), ``limit``,
  ``start_offset``; the next offset advances by the records actually received, so an API that caps
  the page size loses nothing.
* ``cursor``: with ``cursor_from: "body"`` (the default) the token at ``cursor_path`` (when unset,
  searched in the body, then in the response headers APIs are known to use, Azure DevOps'
  ``x-ms-continuationtoken``) or in the response header ``cursor_header`` is sent back as
  ``cursor_param``; with ``cursor_from: "last_record"`` the value at
  ``cursor_field`` (default ``id``) of the page's last record is (Stripe's ``starting_after``); with
  ``cursor_from: "search_after"`` a hit's ``sort`` values, a JSON list, go back into the POSTed
  search's body as ``search_after``, ``page_size`` hits a page (Elasticsearch / OpenSearch past
  ``index.max_result_window``; :func:`check_search_after_request` names what the search needs): those
  of the last hit before the page's final sort values, so the next page answers the hits of those
  values again (dropped: :meth:`Paginator.keep_new`) with any of equal values the page had no room
  for, which a sort not unique per document would otherwise skip without a word.
  ``cursor_url``: an API that continues a listing at another endpoint (Dropbox's
  ``list_folder/continue``) gets the cursor there, alone (the cursor holds the listing's arguments).
  ``cursor_request_header``: the cursor goes back as that request header instead of a parameter
  (Heroku's ``Next-Range`` response header, sent back as the ``Range`` request header).
* ``next_url``: the URL at ``next_url_path`` (detected when unset), absolute or relative (see
  :func:`resolve_next_url`: a query string alone keeps the request's other parameters).
* ``link_header``: RFC 8288 ``Link: <…>; rel="next"``.
* ``auto``: detected from the first response (see :func:`detect_pagination`).

``has_more_path`` (page, offset, cursor, next_url) names a boolean that is true while more pages
exist; without it the usual flags are read (``has_more``, ``hasMore``, ``more``, ``hasNextPage``,
…, and ``done`` / ``isLast`` / ``last`` inverted), at the top level or in a meta object, else in a
response header that says ``true`` or ``false`` (``X-Has-More``, Gusto's ``X-Has-Next-Page``;
Clockify's ``Last-Page``, inverted).

Stop rules: an empty page; a "no more" flag; ``total_pages`` (body or ``X-WP-TotalPages`` /
``X-Total-Pages``) or a total count (body or ``X-Total-Count`` / ``X-WP-Total``) when the response
has one; otherwise a page shorter than an earlier page (never the requested size alone, which an
API may silently cap). A paginator that stops while the upstream says there is more is never
silent: :meth:`Paginator.shortfall` names the signal, and the sync does not end ``SUCCESS``.
Neither is an auto-detected single answer of exactly a page size without any paging signal
(:func:`full_page_without_signal`), nor a configured cursor's first page that names no cursor while
a response header looks like one or the page is full (``CursorPagination._first_page_without_cursor``).
Guards: a repeated next URL or cursor raises :class:`PaginationLoop` instead of looping forever;
the engine also compares page contents and enforces ``max_pages``.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

from core.redaction import MIN_STORED_SECRET_LENGTH, safe_url
from demo_extension.services.extract import (
    ENVELOPE_KEYS,
    graphql_connection,
    graphql_items_page,
    list_beside_its_next_page,
    mediawiki_continuation,
    meta_then_records,
    records_beside_paging,
    several_paged_lists,
)
from demo_extension.services.path_secrets import hide as hide_path_secrets
from sync_engine.errors import SyncProblem
from sync_engine.paths import format_path, get_path, has_path, path_parts, validate_path
from sync_engine.schema import json_type_name

PAGINATION_TYPES = ("auto", "none", "page", "offset", "cursor", "next_url", "link_header")
CURSOR_SOURCES = ("body", "last_record", "search_after")
#: ``cursor_from`` of Elasticsearch / OpenSearch's ``search_after``: the last hit's ``sort`` values (a
#: JSON list) sent back in the POSTed search's body.
SEARCH_AFTER = "search_after"
# The keys a search_after cursor does not use: it reads the last hit, not a token, never a flag.
_NOT_WITH_SEARCH_AFTER = (
    "cursor_path",
    "cursor_header",
    "cursor_url",
    "has_more_path",
    "cursor_request_header",
)

_STRING_KEYS = {
    "page_param",
    "size_param",
    "offset_param",
    "limit_param",
    "cursor_param",
    "cursor_url",
    "cursor_header",
    "cursor_request_header",
}
_PATH_KEYS = {
    "cursor_path",
    "next_url_path",
    "total_pages_path",
    "total_path",
    "has_more_path",
    "cursor_field",
}
_POSITIVE_INT_KEYS = {"page_size", "limit"}
_NON_NEGATIVE_INT_KEYS = {"start_page", "start_offset"}
_BOOL_KEYS = {"stop_on_short_page"}
_SIZE_KEYS = {"size_param", "page_size"}
_ALLOWED_KEYS = {
    "auto": _SIZE_KEYS,
    "none": set(),
    "page": {
        "page_param",
        "start_page",
        "total_pages_path",
        "total_path",
        "stop_on_short_page",
        "has_more_path",
    }
    | _SIZE_KEYS,
    "offset": {
        "offset_param",
        "limit_param",
        "limit",
        "start_offset",
        "total_path",
        "stop_on_short_page",
        "has_more_path",
    },
    "cursor": {
        "cursor_param",
        "cursor_path",
        "cursor_from",
        "cursor_field",
        "has_more_path",
        "cursor_url",
        "cursor_header",
        "cursor_request_header",
    }
    | _SIZE_KEYS,
    "next_url": {"next_url_path", "has_more_path"} | _SIZE_KEYS,
    "link_header": set(_SIZE_KEYS),
}
#: What each key means (the API schema and the README document them from here).
PAGINATION_KEY_HELP = {
    "page_param": "Query parameter of the page number (default 'page').",
    "start_page": "The first page number (default 1).",
    "size_param": "Query parameter of the page size; needs page_size.",
    "page_size": "The page size: asked for with size_param; without it, the size the API pages by (a "
    "shorter page is the last one).",
    "offset_param": "Query parameter of the offset (default 'offset'; e.g. 'startAt', 'skip').",
    "limit_param": "Query parameter of the limit (default 'limit'; e.g. 'maxResults', 'take').",
    "limit": "The limit to send with limit_param.",
    "start_offset": "The first offset (default 0).",
    "total_pages_path": "Path of the page count (default: total_pages, totalPages, ..., X-WP-TotalPages).",
    "total_path": "Path of the record count (default: total, totalSize, count, ..., X-Total-Count).",
    "stop_on_short_page": "Stop at a page shorter than an earlier one when no total is known (default true).",
    "has_more_path": "Path of a boolean that is true while more pages exist (default: has_more, more, ...).",
    "cursor_param": "Query parameter the cursor is sent back as (e.g. 'after', 'pageToken'); "
    "with POST, a dotted name is a path in the body.",
    "cursor_path": "Path of the next cursor in the body (when unset: searched in the body, then in the "
    "response headers APIs are known to use, such as x-ms-continuationtoken).",
    "cursor_from": "'body' (the token at cursor_path), 'last_record' (cursor_field of the last record) or "
    "'search_after' (Elasticsearch / OpenSearch: a hit's sort values, a list, sent as search_after in "
    "the POSTed body, page_size hits a page, at least 2; request_body needs a sort. A page is continued "
    "after its last hit before its final sort values: the hits of those values come again, once each).",
    "cursor_field": "With cursor_from 'last_record': the record field sent as the cursor (default 'id'); "
    "with 'search_after': the hit's field of sort values (default 'sort').",
    "next_url_path": "Path of the next page's URL in the body, absolute or relative (detected when unset).",
    "cursor_url": "Where the requests with a cursor go when not to the endpoint, a path or URL on its host "
    "(Dropbox's /2/files/list_folder/continue): they carry the cursor alone, as its body with POST.",
    "cursor_header": "The response header that carries the next cursor instead of the body (Azure DevOps' "
    "x-ms-continuationtoken, sent back as continuationToken); no header: the last page.",
    "cursor_request_header": "The request header the cursor is sent back in instead of cursor_param "
    "(Heroku: the Next-Range response header's value sent as the Range request header).",
}
#: The keys each type accepts, and the keys that hold integers / booleans (for the API schema).
PAGINATION_KEYS = {kind: frozenset(keys) for kind, keys in _ALLOWED_KEYS.items()}
INTEGER_KEYS = frozenset(_POSITIVE_INT_KEYS | _NON_NEGATIVE_INT_KEYS)
BOOLEAN_KEYS = frozenset(_BOOL_KEYS)
#: Written by :func:`detect_pagination` (why it chose the style); accepted and dropped on input.
DETECTED_BECAUSE = "detected_because"
MAX_PAGE_SIZE = 100_000

# Where APIs put their pagination metadata, besides the top level.
_META_KEYS = (
    "meta",
    "pagination",
    "paging",
    "page_info",
    "pageInfo",
    "links",
    "_links",
    "_pagination",  # Front: _pagination.next
    "response_metadata",
    "page",
    "additional_data",  # Pipedrive: additional_data.pagination (v1), additional_data.next_cursor (v2)
    "result_info",  # Cloudflare API v4: result_info {page, per_page, count, total_count, total_pages, cursor}
    "info",  # Zoho CRM: info {per_page, count, page, more_records, next_page_token}
    "d",  # OData v2 (SAP Gateway, SuccessFactors): d {results, __next, __count}
    # Gong: records {totalRecords, currentPageSize, currentPageNumber, cursor} beside the list named
    # after the resource (users, calls); only ever read as a meta object when it is one (Airtable's
    # records are a list).
    "records",
    # Elasticsearch / OpenSearch: hits {total: {value, relation}, hits: [...]} (Algolia's hits is a list)
    "hits",
    "_metadata",  # SendGrid v3: _metadata {self, next, prev, count}
    "list_info",  # Dropbox Sign: list_info {num_pages, num_results, page, page_size}
    "page_context",  # Zoho Books: page_context {page, per_page, has_more_page}
    "navigation",  # RingCentral: navigation {firstPage, nextPage, previousPage: {uri}}
    "payload",  # Amazon Selling Partner API: payload {Orders, NextToken}
    # Salesloft: metadata.paging {per_page, current_page, next_page}; Personio: metadata {total_elements,
    # current_page, total_pages}
    "metadata",
    # The object that holds the records when it holds their paging too: Qualtrics' result {elements,
    # nextPage}, CKAN's result {count, results}; Crossref's message {items, total-results,
    # items-per-page}
    "result",
    "message",
    # Attributes of an answer converted from XML: Last.fm's recenttracks {"track": [...], "@attr":
    # {"page", "perPage", "totalPages", "total"}}, its numbers as strings
    "@attr",
    # Answers wrapped whole in "response": the Guardian's {"response": {"status", "total", "currentPage",
    # "pages", "results"}}
    "response",
    # Travis CI API v3: {"@pagination": {"limit", "offset", "count", "is_last", "next": {"@href"}}, "builds"}
    "@pagination",
    # Jotform: resultSet {offset, limit, orderby, count}, count the answer's own
    "resultSet",
)
_NEXT_URL_KEYS = (
    "next",
    "next_url",
    "nextUrl",
    "next_page_url",
    "nextPageUrl",
    "next_link",
    "nextLink",
    "@odata.nextLink",  # OData v4: Microsoft Graph, Dynamics 365, SharePoint
    "odata.nextLink",  # OData v3
    "nextRecordsUrl",  # Salesforce query (a path relative to the instance)
    "next_page_uri",  # Twilio 2010 API (a path relative to the host)
    "next_page",  # Zendesk offset pagination (an absolute URL; a number elsewhere is ignored)
    "after_url",  # Zendesk incremental exports (cursor-based)
    "__next",  # OData v2: d.__next (server-driven paging, SuccessFactors' $skiptoken)
    "nextUri",  # DocuSign eSignature: a path relative to the API's base path (/restapi/v2.1)
    "nextPage",  # Zuora v1 lists (an absolute URL; its Object Query's nextPage is a cursor, below)
    "next_page_link",  # Aircall: meta.next_page_link (its meta.current_page is no parameter's name)
    "next_href",  # SoundCloud with linked_partitioning=true: {"collection", "next_href"}
    "next_collection_link",  # AWeber: {"entries", "next_collection_link", "total_size"}
    "next_uri",  # Coinbase v2: pagination.next_uri, a path with its query ("/v2/accounts?starting_after=")
)
# Cursors at fixed places that widely used APIs document, with the parameter each expects back.
# They are read before next URLs: HubSpot's paging.next.link drops the request's own parameters.
_KNOWN_CURSORS = (
    (("paging", "next", "after"), "after", "HubSpot-style paging.next.after"),
    (("response_metadata", "next_cursor"), "cursor", "Slack-style response_metadata.next_cursor"),
    (("meta", "next_token"), "pagination_token", "X (Twitter) API v2-style meta.next_token"),
    (("pages", "next", "starting_after"), "starting_after", "Intercom-style pages.next.starting_after"),
    # https://developer.gocardless.com/api-reference/#api-usage-cursor-pagination: the last ID of the page
    (("meta", "cursors", "after"), "after", "GoCardless-style meta.cursors.after"),
    # Kubernetes' list chunks (https://kubernetes.io/docs/reference/using-api/api-concepts/#retrieving-
    # large-results-sets-in-chunks): {"kind": "PodList", "metadata": {"continue", "remainingItemCount"},
    # "items"} with ?limit=, no continue on the last chunk
    (("metadata", "continue"), "continue", "Kubernetes-style metadata.continue"),
    # Qdrant's scroll (https://api.qdrant.tech/api-reference/points/scroll-points): {"result": {"points",
    # "next_page_offset"}, "status", "time"}, the next page's first point id sent back as "offset" (in the
    # POSTed body, a number as a number), null on the last page
    (("result", "next_page_offset"), "offset", "Qdrant-style result.next_page_offset"),
)
_CURSOR_KEYS = {
    # body key -> the query parameter it is usually sent back as
    "next_cursor": "cursor",
    "nextCursor": "cursor",
    "next_page_token": "page_token",
    "nextPageToken": "pageToken",  # Google APIs
    "next_token": "next_token",
    "nextToken": "nextToken",
    "cursor": "cursor",
    "after": "after",
    "endCursor": "after",
    # Kit (ConvertKit) v4: pagination {has_next_page, end_cursor}, sent back as "after"
    # (https://developers.kit.com/api-reference/pagination); has_next_page: false ends it
    "end_cursor": "after",
    "after_cursor": "page[after]",
    "continuation": "continuation",
    "scroll_id": "scroll_id",
    "next_offset": "offset",  # Chargebee: an opaque token sent back as "offset"
    "next_marker": "marker",  # Box's marker-based pagination (usemarker=true); OpenStack's marker
    "lastKey": "lastKey",  # Smartsheet's token pages (paginationType=token)
    # Zuora's Object Query (https://developer.zuora.com/docs/guides/pagination): a cursor sent back as
    # "cursor" (its v1 lists' nextPage is a URL, read as one)
    "nextPage": "cursor",
    # Amazon Selling Partner API (payload.NextToken, sent back as NextToken) and AWS JSON APIs
    "NextToken": "NextToken",
    # SmartRecruiters (https://developers.smartrecruiters.com/docs/pagination): sent back as pageId
    "nextPageId": "pageId",
    # Solr's cursorMark (Europe PMC's search): the next mark, sent back as cursorMark; the list has ended
    # where an answer echoes the mark it was asked with
    "nextCursorMark": "cursorMark",
    # Bitbucket Data Center's paged APIs: {"values", "start", "limit", "isLastPage", "nextPageStart"}, the
    # next page's start (absent on the last), sent back as start: exact where offsets sent ahead go past
    # the last page
    "nextPageStart": "start",
    # Pinterest v5 (https://developers.pinterest.com/docs/getting-started/pagination/): {"items",
    # "bookmark"}, sent back as bookmark, null on the last page
    "bookmark": "bookmark",
}
# Cursors an API wants back under their own name, told by the key beside them (a top-level token
# and that key): (token path, key beside it, the parameter).
_CURSORS_SENT_UNDER_THEIR_NAME = (
    ("nextPageToken", "isLast", "nextPageToken"),  # Jira Cloud's /search/jql
    ("next_page_token", "total_records", "next_page_token"),  # Zoom
    # Marketo: https://experienceleague.adobe.com/en/docs/marketo-developer/marketo/rest/paging-tokens
    ("nextPageToken", "moreResult", "nextPageToken"),
    # Cloudinary's Admin API: {"resources", "next_cursor"}, sent back as next_cursor (it ignores
    # "cursor": https://cloudinary.com/documentation/admin_api#pagination)
    ("next_cursor", "resources", "next_cursor"),
    # Wrike's /tasks with pageSize: {"kind", "nextPageToken", "responseSize", "data"}, sent back as
    # nextPageToken (https://help.wrike.com/hc/en-us/community/posts/211881385)
    ("nextPageToken", "responseSize", "nextPageToken"),
    # Google Places (legacy) searches: {"html_attributions", "results", "next_page_token", "status"},
    # sent back as pagetoken (valid a short while after it is issued: the connector needs a request budget)
    ("next_page_token", "html_attributions", "pagetoken"),
)
# Cursors APIs send in a response header, with the query parameter each expects back:
# https://learn.microsoft.com/en-us/rest/api/azure/devops/ ("REST responses that do not contain all items
# include an HTTP header x-ms-continuationtoken ... provided on a subsequent call as a continuationToken
# parameter"; its body's "count" is the page's).
_HEADER_CURSORS = (("x-ms-continuationtoken", "continuationToken", "Azure DevOps-style"),)
_TOTAL_PAGES_KEYS = (
    "total_pages",
    "totalPages",
    "last_page",
    "lastPage",
    "page_count",
    "pageCount",
    "num_pages",
    "number_of_pages",  # Campaign Monitor: NumberOfPages beside PageNumber
)
_TOTAL_PAGES_HEADERS = ("x-wp-totalpages", "x-total-pages")
_TOTAL_KEYS = (
    "total",
    "total_count",
    "totalCount",
    "total_results",
    "totalResults",
    "total_items",
    "totalItems",
    "total_records",
    "totalRecords",  # Gong: records.totalRecords
    "totalSize",  # Salesforce
    "totalElements",  # Spring Data, HAL (Help Scout's page.totalElements)
    "__count",  # OData v2 with $inlinecount=allpages: d.__count, a string
    "totalSetSize",  # DocuSign eSignature, a string
    "num_results",  # Dropbox Sign: list_info.num_results
    "total_elements",  # Personio: metadata.total_elements
    "totalFound",  # SmartRecruiters
    "total_size",  # AWeber collections: {"entries", "start", "total_size", "next_collection_link"}
    "totalRows",  # NocoDB: pageInfo {totalRows, pageSize}
    "totalEntries",  # Segment's Public API: data.pagination {current, next, totalEntries}
    "total_entries",  # Harvest, Apollo.io: pagination {page, per_page, total_entries, total_pages}
    "rowCount",  # Google Analytics Data API runReport: {"rows", "rowCount"}, every row of the report
    "numFound",  # Solr and Open Library's search: {"numFound", "start", "docs"}
    "total_number_of_records",  # Campaign Monitor: TotalNumberOfRecords beside NumberOfPages
    "count",  # at the top level only (see _total_count): in a meta object it counts the page
)
# Storyblok answers its totals in "Total" and "Per-Page" headers (https://www.storyblok.com/docs/api/
# management/getting-started/pagination: divide total by per_page for the last page).
_TOTAL_HEADERS = ("x-total-count", "x-total", "x-wp-total", "total")
_PER_PAGE_HEADERS = ("x-per-page", "per-page")
# Headers that announce at most how many records exist, not how many: never a total a run must reach,
# but a single answer holding fewer is no proof of the whole list. Copper's search endpoints: "X-PW-TOTAL
# ... represents an upper bound of the total number of records" (developer.copper.com, Responses).
_TOTAL_UPPER_BOUND_HEADERS = (("X-PW-TOTAL", "Copper"),)
# A cursor list's page number and page count (Eventbrite's pagination object): read together only.
_PAGE_NUMBER_AND_COUNT = (("page_number", "page_count"), ("pageNumber", "pageCount"))
_CURRENT_PAGE_KEYS = ("page", "current_page", "currentPage", "page_number", "pageNumber")
# A current page the API names so in its answer but asks for as "page" (Laravel's paginator,
# Salesloft's metadata.paging.current_page, BigCommerce's meta.pagination.current_page).
_CURRENT_PAGE_READ_ONLY = frozenset({"current_page", "currentPage"})
# Companies House's start_index (from 0); a start index the first answer gives as 1 counts from 1
# (the Guardian's startIndex beside its currentPage) and is no offset to send back.
_OFFSET_KEYS = ("offset", "skip", "startAt", "start", "start_index")
_LIMIT_KEYS = (
    "limit",
    "take",
    "maxResults",
    "max_results",
    "per_page",
    "pageSize",
    "page_size",
    "items_per_page",  # Crossref's items-per-page, Sage Accounting's $itemsPerPage
)
# Booleans that say whether another page exists (true: more) ...
_MORE_FLAGS = (
    "has_more",
    "hasMore",
    "more",
    "has_next",
    "hasNext",
    "has_next_page",
    "hasNextPage",
    "moreDataAvailable",
    "more_items_in_collection",  # Pipedrive v1
    "moreResult",  # Marketo: its last answer names a nextPageToken too (for what happens later)
    "has_more_items",  # Eventbrite: pagination.has_more_items beside a continuation on its last page
    "more_records",  # Zoho CRM: info.more_records
    "has_more_page",  # Zoho Books: page_context.has_more_page
    # ArcGIS REST query: true while more features match than the answer holds (missing on the last page)
    "exceededTransferLimit",
)
# ... and the ones that say the opposite (true: this is the last page).
# Zendesk's incremental exports: ``end_of_stream: true`` on the last page (its cursor stays).
# ClickUp's ``last_page: true`` (a boolean there; Laravel's ``last_page`` is a page number, never read
# as a flag).
_DONE_FLAGS = ("done", "is_last", "isLast", "isLastPage", "last", "last_page", "end_of_stream")
# A "more" flag on the last record of a bare list, set only when more records match than the answer
# holds: Gerrit's queries (changes, accounts, groups: https://gerrit-review.googlesource.com/
# Documentation/rest-api-changes.html#list-changes, "the last change object has a _more_changes: true").
_LAST_RECORD_MORE_FLAGS = ("_more_changes", "_more_accounts", "_more_groups")
_LAST_RECORD = "the last record's "
# The same in response headers, read only when they say "true" or "false" (an API's Last-Page may be a
# page number): Fieldwire's X-Has-More, Gusto's X-Has-Next-Page, Clockify's Last-Page ("true" on the
# last page).
_MORE_HEADERS = ("X-Has-More", "X-Has-Next-Page")
_DONE_HEADERS = ("Last-Page",)
# How many recent next URLs / cursors the loop guard remembers (memory stays constant).
_RECENT = 64
# Empty pages followed in a row while the upstream names a next page or cursor. An empty page is not
# the end when a next link follows it (Microsoft Graph: "even if the current response contains an
# empty result"); past this many the run stops, and never as SUCCESS.
MAX_EMPTY_PAGES_FOLLOWED = 10


class PaginationError(SyncProblem):
    """The upstream's pagination cannot be followed safely (the message is safe to show)."""


class PaginationLoop(PaginationError):
    """The upstream sent the sync back to a page it already fetched."""


def _checked_value(key: str, value):
    """One key's value of a pagination config, normalized; ``ValueError`` names what is wrong."""
    if key in _STRING_KEYS or key in _PATH_KEYS:
        if not isinstance(value, str) or not value.strip():
            raise ValueError(f"pagination.{key} must be a non-empty string.")
        if key in _PATH_KEYS:
            validate_path(value.strip(), what=f"pagination.{key}")
        return value.strip()
    if key in _POSITIVE_INT_KEYS:
        if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_PAGE_SIZE:
            raise ValueError(f"pagination.{key} must be an integer from 1 to {MAX_PAGE_SIZE}.")
        return value
    if key in _NON_NEGATIVE_INT_KEYS:
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise ValueError(f"pagination.{key} must be an integer of 0 or more.")
        return value
    if key in _BOOL_KEYS:
        if not isinstance(value, bool):
            raise ValueError(f"pagination.{key} must be true or false.")
        return value
    if key == "cursor_from" and value not in CURSOR_SOURCES:
        raise ValueError(f"pagination.cursor_from must be one of: {', '.join(CURSOR_SOURCES)}.")
    return value


def validate_pagination_config(cfg) -> dict:
    """Check a connector's ``pagination`` and return it normalized (``None`` / ``{}`` mean auto).

    Raises ``ValueError`` naming the problem: an unknown type, a key the type does not use, a
    value of the wrong type. ``detected_because`` (what detection writes) is accepted and dropped.
    """
    if cfg in (None, {}):
        return {"type": "auto"}
    if not isinstance(cfg, dict):
        raise ValueError('pagination must be an object such as {"type": "auto"}.')
    cfg = {key: value for key, value in cfg.items() if key != DETECTED_BECAUSE}
    kind = cfg.get("type", "auto")
    if kind not in PAGINATION_TYPES:
        raise ValueError(f"pagination.type {kind!r} is not one of: {', '.join(PAGINATION_TYPES)}.")
    unknown = sorted(set(cfg) - {"type"} - _ALLOWED_KEYS[kind])
    if unknown:
        allowed = ", ".join(sorted(_ALLOWED_KEYS[kind])) or "no other keys"
        raise ValueError(
            f"pagination key(s) {', '.join(unknown)} not used by type {kind!r} (it accepts: {allowed})."
        )
    clean = {"type": kind}
    problems = []  # every key's, so that a form shows them all at once, not one per save
    for key, value in cfg.items():
        if key == "type":
            continue
        try:
            clean[key] = _checked_value(key, value)
        except ValueError as exc:
            problems.append(str(exc))
    if problems:
        raise ValueError(" ".join(problems))
    if "size_param" in clean and "page_size" not in clean:
        raise ValueError("pagination.size_param needs pagination.page_size (the size to ask for).")
    if clean.get("cursor_from") == SEARCH_AFTER:
        _check_search_after_keys(clean)
    elif clean.get("cursor_from") == "last_record":
        if "cursor_path" in clean:
            raise ValueError(
                "pagination.cursor_path reads the token from the response body; with cursor_from "
                '"last_record" name the record field with cursor_field instead.'
            )
        if "cursor_param" not in clean:
            raise ValueError(
                'pagination.cursor_from "last_record" needs cursor_param (e.g. "starting_after").'
            )
    elif "cursor_field" in clean:
        raise ValueError(
            'pagination.cursor_field is only used with cursor_from "last_record" or "search_after".'
        )
    if "cursor_request_header" in clean:
        _check_cursor_request_header(clean)
    if "cursor_header" in clean and ("cursor_path" in clean or clean.get("cursor_from") == "last_record"):
        raise ValueError(
            "pagination.cursor_header reads the cursor from a response header: leave out cursor_path and "
            'cursor_from "last_record".'
        )
    return clean


# Request headers a cursor may not replace: credentials, and what the HTTP client itself sets.
_NOT_CURSOR_REQUEST_HEADERS = frozenset(
    {"authorization", "proxy-authorization", "cookie", "host", "content-length", "transfer-encoding"}
)
_HEADER_NAME = re.compile(r"^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$")


def _check_cursor_request_header(clean: dict) -> None:
    """The keys of a cursor sent back as a request header (``ValueError`` naming what is wrong)."""
    name = clean["cursor_request_header"]
    if not _HEADER_NAME.match(name):
        raise ValueError(f"pagination.cursor_request_header {name!r} is not an HTTP header name.")
    if name.lower() in _NOT_CURSOR_REQUEST_HEADERS:
        raise ValueError(
            f"pagination.cursor_request_header may not be {name!r} (credentials and the request's own "
            "framing headers are not pagination)."
        )
    unused = [key for key in ("cursor_param", "cursor_url") if key in clean]
    if unused:
        raise ValueError(
            f"pagination.cursor_request_header sends the cursor as a request header: leave out "
            f"{', '.join(unused)}."
        )


def _check_search_after_keys(clean: dict) -> None:
    """The keys of a ``cursor_from: "search_after"`` config (``ValueError`` naming what is wrong)."""
    unused = [key for key in _NOT_WITH_SEARCH_AFTER if key in clean]
    if unused:
        raise ValueError(
            f'pagination.cursor_from "search_after" reads the hits\' sort values: leave out '
            f"{', '.join(unused)}."
        )
    if "page_size" not in clean:
        raise ValueError(
            'pagination.cursor_from "search_after" needs page_size: the hits a page asks for (sent as '
            '"size"); a page with fewer is the last one.'
        )
    if clean["page_size"] < 2:
        raise ValueError(
            'pagination.cursor_from "search_after" needs a page_size of at least 2: a page is continued '
            "after its last hit but one, so that the next page answers the last one again with any hit "
            "of the same sort values."
        )


def check_search_after_request(config: dict, method: str | None, body) -> None:
    """Whether a connector's request can carry its ``search_after`` pagination (``config``, validated);
    ``ValueError`` naming what is wrong, so that it is refused before any request. Nothing to check for
    any other pagination.

    Elasticsearch and OpenSearch continue a search after the last hit's ``sort`` values
    (https://www.elastic.co/guide/en/elasticsearch/reference/current/paginate-search-results.html): the
    search is POSTed with a JSON body that sorts (a hit of a search without a sort has no sort values),
    ``from`` is 0 ("[from] parameter must be set to 0 when [search_after] is used"), and the size and
    ``search_after`` are the paginator's. A point in time (``pit``) is opened by a request of its own
    and its id may change with every answer, which MigrateIQ does not follow."""
    if config.get("type") != "cursor" or config.get("cursor_from") != SEARCH_AFTER:
        return
    if (method or "GET").upper() != "POST":
        raise ValueError(
            "pagination.cursor_from \"search_after\" sends a hit's sort values in the search's JSON "
            'body: set request_method to POST and the search (with its "sort") as request_body.'
        )
    body = body if isinstance(body, dict) else {}
    if body.get("sort") in (None, "", [], {}):
        raise ValueError(
            'pagination.cursor_from "search_after" needs a "sort" in request_body: a search continues after '
            "a hit's sort values, which an unsorted search does not have. End the sort with a field "
            'that is unique per document (the tiebreaker), e.g. "sort": [{"updated_at": "asc"}, '
            '{"id": "asc"}]: hits of equal sort values are read again at each page\'s end, and a page of '
            "only equal values cannot be continued past."
        )
    param = config.get("cursor_param", SEARCH_AFTER)
    if get_path(body, param.split(".")) is not None:
        raise ValueError(
            f"request_body sets {param!r}, which the search_after pagination sends itself (the previous "
            "page's last sort values): leave it out."
        )
    if body.get("from") not in (None, 0):
        raise ValueError(
            'request_body sets "from", which search_after refuses ("[from] parameter must be set to 0 when '
            '[search_after] is used"): leave it out.'
        )
    size_param, size = config.get("size_param", "size"), config["page_size"]
    if get_path(body, size_param.split(".")) not in (None, size):
        raise ValueError(
            f"request_body sets {size_param!r} to another value than pagination.page_size ({size}), which "
            "the search_after pagination sends: leave it out or make them equal."
        )
    if "pit" in body:
        raise ValueError(
            'request_body has a point in time ("pit"), which a request of its own opens and whose id an '
            "answer may replace; MigrateIQ does not follow it. Search the index without it, the sort "
            "ending with a field unique per document."
        )


@dataclass
class PageRequest:
    """One request of a sync: ``params`` are the pagination parameters; ``followed`` URLs came from
    the upstream (next links) and already carry their query, so only credentials are added."""

    url: str
    # Text, but for search_after's sort values: a list, sent into the POSTed body as it is.
    params: dict[str, str | list] = field(default_factory=dict)
    followed: bool = False
    # A continuation (``cursor_url``): the pagination parameters are the whole request, without the
    # connector's query parameters or POST body (they belong to the listing the cursor continues).
    continuation: bool = False
    # Request headers of the pagination (``cursor_request_header``: Heroku's Range), over the
    # connector's own.
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class FetchedPage:
    """What a paginator needs to know about a fetched page."""

    url: str  # the final URL of the response (after redirects)
    headers: object  # the response headers (case-insensitive mapping)
    body: object  # the decoded JSON body
    count: int  # records on the page, but those an earlier page read (Paginator.keep_new)
    last_record: object = None  # the page's last record as answered (for "last record id" cursors)
    records: list | tuple = ()  # all of them, as answered (search_after reads the hits' sort values)
    status: int = 200  # the HTTP status (206 Partial Content: the answer is part of the list)


def _strict_int(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _int_or_none(value):
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().isdecimal():
        try:  # "²" is a digit, no decimal; past 4,300 digits int() refuses the text
            return int(value.strip())
        except ValueError:
            return None
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return None


def _find(body, keys, configured_path: str | None = None, *, loose: bool = False):
    """(path, value) of the first key of ``keys`` with a value, at the top level or in a meta
    object; with ``configured_path`` only that path. Paths come back in the dotted syntax.

    ``loose``: when no key is there as spelled, a key spelled otherwise counts too (see
    :func:`_loose_key`: Campaign Monitor's ``TotalNumberOfRecords``, Mailjet's ``Total``, Sage
    Accounting's ``$total``, Crossref's ``total-results``), but for ``count``, whose place decides
    what it counts."""
    if configured_path:
        return configured_path, get_path(body, path_parts(configured_path))
    if not isinstance(body, dict):
        return None, None
    for key in keys:
        value = body.get(key)
        if value not in (None, ""):
            return format_path((key,)), value
    for prefix, inner in _meta_objects(body):
        for key in keys:
            value = inner.get(key)
            if value not in (None, ""):
                return format_path((*prefix, key)), value
    if loose:
        wanted = {_loose_key(key) for key in keys} - {"count"}  # OData's __count too
        for prefix, obj in [((), body), *_meta_objects(body)]:
            found = {}
            for key, value in obj.items():
                loose_key = _loose_key(key)
                if loose_key in wanted and value not in (None, "") and loose_key not in found:
                    found[loose_key] = (key, value)
            for key in keys:
                if _loose_key(key) in found:
                    spelled, value = found[_loose_key(key)]
                    return format_path((*prefix, spelled)), value
    return None, None


def _loose_key(key) -> str:
    """A metadata key as APIs spell it in other cases and styles: lower-case, without a leading ``$``
    or ``@`` (Sage Accounting's ``$total``, JSON converted from XML attributes), dashes or
    underscores (``TotalNumberOfRecords``, ``total-results`` and ``total_number_of_records`` alike)."""
    if not isinstance(key, str):
        return ""
    return key.lstrip("$@").replace("-", "").replace("_", "").lower()


def _meta_objects(body: dict):
    """``(prefix, object)`` of the objects that may hold pagination metadata: the meta objects of
    the body (``meta``, ``paging``, ...), then the ones nested in those (Pipedrive's
    ``additional_data.pagination``)."""
    first = [((meta,), body[meta]) for meta in _META_KEYS if isinstance(body.get(meta), dict)]
    yield from first
    for prefix, outer in first:
        for meta in _META_KEYS:
            if isinstance(outer.get(meta), dict):
                yield (*prefix, meta), outer[meta]
    wrapper = "data" if "data" in body else next(iter(body)) if len(body) == 1 else None
    data = body.get(wrapper) if wrapper not in (None, *_META_KEYS) else None  # a meta key's: above
    if isinstance(data, dict) and records_beside_paging(data) is not None:
        # The records and their paging wrapped together in "data" (Segment's Public API: {"data":
        # {"sources": [...], "pagination": {"current", "next", "totalEntries"}}}) or in the body's only
        # key (Last.fm: {"recenttracks": {"track": [...], "@attr": {"page", "totalPages", ...}}})
        for meta in _META_KEYS:
            if isinstance(data.get(meta), dict):
                yield (wrapper, meta), data[meta]


def _header_int(headers, names) -> int | None:
    if headers is None:
        return None
    for name in names:
        value = _int_or_none(headers.get(name))
        if value is not None:
            return value
    return None


def find_total_pages(body, configured_path=None, headers=None) -> int | None:
    """The number of pages the upstream announces: in the body, else ``X-WP-TotalPages`` /
    ``X-Total-Pages``."""
    pages = _int_or_none(_find(body, _TOTAL_PAGES_KEYS, configured_path, loose=True)[1])
    if pages is not None and pages < 0:
        # not counted: PocketBase answers totalPages (and totalItems) -1 when asked to skipTotal
        pages = None
    if pages is None and not configured_path and isinstance(body, dict):
        # "pages" beside "page" in a meta object (Discogs' pagination {"page", "pages", "per_page",
        # "items", "urls"}); never at the top level, where it is a record's own (a book's pages)
        pages = next(
            (
                _int_or_none(obj["pages"])
                for _, obj in _meta_objects(body)
                if _strict_int(obj.get("pages")) and _strict_int(obj.get("page"))
            ),
            None,
        )
    if pages is None and not configured_path and _linode_page_envelope(body):
        pages = body["pages"]
    if pages is None and not configured_path:
        pages = _header_int(headers, _TOTAL_PAGES_HEADERS)
    return pages


def _linode_page_envelope(body) -> bool:
    """Linode's (Akamai's) API v4 lists (https://techdocs.akamai.com/linode-api/reference/pagination):
    ``{"data": [...], "page", "pages", "results"}``, the page count and the total at the top level
    beside the records, where a ``pages`` alone may be a record's own."""
    return (
        isinstance(body, dict)
        and isinstance(body.get("data"), list)
        and all(_strict_int(body.get(key)) for key in ("page", "pages", "results"))
    )


def _typesense_found(body) -> int | None:
    """Typesense's search (https://typesense.org/docs/latest/api/search.html): ``{"found", "out_of",
    "page", "hits": [...]}``, ``found`` the hits of the whole search (``out_of`` the collection's
    documents)."""
    if (
        isinstance(body, dict)
        and isinstance(body.get("hits"), list)
        and _strict_int(body.get("found"))
        and _strict_int(body.get("out_of"))
    ):
        return body["found"]
    return None


def find_total(body, headers, configured_path=None) -> int | None:
    """The number of records the upstream announces: in the body, else ``X-Total-Count`` /
    ``X-Total`` / ``X-WP-Total`` / ``Content-Range``. A ``count`` counts only at the top level (Django
    REST framework's ``{"count", "next", "results"}``): in a meta object it is the page's own count
    (Zoho's ``info.count``, Cloudflare's ``result_info.count``, Calendly's ``pagination.count``), and
    read as the list's total it would call a run complete after its first page. A lower bound (see
    :func:`find_total_bound`) is returned as it is: fewer records than it are a shortfall too."""
    return find_total_bound(body, headers, configured_path)[0]


def find_total_bound(body, headers, configured_path=None, page_count=None) -> tuple[int | None, bool]:
    """``(total, exact)``: the records the upstream announces (:func:`find_total`) and whether that is
    the exact count. A total object ``{"value": 10000, "relation": "gte"}`` (Elasticsearch and
    OpenSearch's ``hits.total``, exact only up to ``track_total_hits``) is a lower bound: reaching it
    is no end. With ``page_count`` (the page's records), a top-level ``count`` equal to it is the
    page's own count, not a total (Mollie's and Azure DevOps' ``{"count": <objects on this page>,
    ...}``; Django REST framework's ``count`` equals a page's records only when that page is the
    whole list)."""
    path, value = _find(body, _TOTAL_KEYS, configured_path, loose=True)
    if (
        not configured_path
        and path is not None
        and path != "count"
        and path_parts(path)[-1] == "count"
        and not _counts_its_results(body, path)
        and not _counts_beyond_its_page_size(body, path)
    ):
        path, value = _find(body, tuple(key for key in _TOTAL_KEYS if key != "count"), loose=True)
    if not configured_path and path == "totalResults" and _weaviate_page_count(body):
        path, value = None, None
    if not configured_path and path == "total" and _strict_int(body.get("filtered")):
        # Podio's filtered items: {"total": <every item of the app>, "filtered": <the filter's>, "items"}
        path, value = "filtered", body["filtered"]
    exact = True
    if isinstance(value, dict) and value.get("relation") in ("eq", "gte"):
        exact, value = value["relation"] == "eq", value.get("value")
    total = _int_or_none(value)
    if total is not None and total < 0:
        total = None  # not counted (PocketBase's totalItems -1 with skipTotal), no total of none
    if total is None and not configured_path:
        total = _remaining_total(body)
    if total is None and not configured_path:
        total = _typesense_found(body)
    if total is not None and page_count is not None and path == "count" and total == page_count:
        total = None
    if (
        total is not None
        and page_count is not None
        and _counts_its_results(body, path)
        and total == page_count
    ):
        total = None
    if total is None and not configured_path:
        exact = True
        total = _header_int(headers, _TOTAL_HEADERS)
        if total is None:
            total = content_range_total(headers)
    return total, exact


def _weaviate_page_count(body) -> bool:
    """Whether ``body`` is a Weaviate objects list (``{"objects": [...], "totalResults"}``), whose
    ``totalResults`` is the number of objects in the answer, not the collection's, whatever its OpenAPI
    spec says (https://github.com/weaviate/weaviate/issues/13097: ``TotalResults: int64(len(list))``)."""
    return (
        isinstance(body, dict)
        and isinstance(body.get("objects"), list)
        and _int_or_none(body.get("totalResults")) == len(body["objects"])
    )


def _counts_its_results(body, path: str | None) -> bool:
    """Whether ``path`` is a ``count`` beside a ``results`` list one level down: Django REST framework's
    ``{"count", "results"}`` wrapped in an envelope (CKAN's ``{"success", "result": {"count",
    "results"}}``), the whole list's count as at the top level. Other nested counts are the page's, and
    so is one beside the count of the records after the page (Bubble's ``{"response": {"cursor",
    "results", "count", "remaining"}}``)."""
    if not path or path == "count":
        return False
    parts = path_parts(path)
    holder = get_path(body, parts[:-1]) if len(parts) == 2 else None
    return (
        parts[-1] == "count"
        and isinstance(holder, dict)
        and isinstance(holder.get("results"), list)
        and "remaining" not in holder
    )


def _counts_beyond_its_page_size(body, path: str) -> bool:
    """Whether a nested ``count`` is larger than the page size beside it (OpenAlex's ``meta {"count":
    8695857, "page": 1, "per_page": 25}``): more than a page holds, so the list's total, not the
    page's own count (Zoho's ``info.count`` is at most its ``per_page``). Not beside a more flag:
    Teamwork's ``meta.page {"pageSize": 50, "count": 51, "hasMore": true}`` counts one past the pages
    read while there are more."""
    parts = path_parts(path)
    holder = get_path(body, parts[:-1])
    count = holder.get(parts[-1]) if isinstance(holder, dict) else None
    if not _strict_int(count) or any(
        isinstance(holder.get(flag), bool) for flag in _MORE_FLAGS + _DONE_FLAGS
    ):
        return False
    return any(_strict_int(holder.get(key)) and 0 < holder[key] < count for key in _LIMIT_KEYS)


# RFC 9110 Content-Range of a list answer, in items (never bytes): "0-24/3573", "*/3573" past the
# end, "0-24/*" when the total is not counted (PostgREST: Prefer: count=exact asks for it).
_CONTENT_RANGE = re.compile(r"^\s*(?:items\s+)?(?:(\d+)-(\d+)|\*)/(\d+|\*)\s*$", re.IGNORECASE)


def _content_range_match(headers) -> re.Match | None:
    value = headers.get("content-range") if headers is not None else None
    return _CONTENT_RANGE.match(value) if isinstance(value, str) else None


def content_range(headers) -> tuple[int, int, int | None] | None:
    """``(first, last, total)`` of a ``Content-Range`` response header that gives a range (``total``
    None for ``*``), or None."""
    match = _content_range_match(headers)
    if match is None or match.group(1) is None:
        return None
    first, last = _int_or_none(match.group(1)), _int_or_none(match.group(2))
    if first is None or last is None:
        return None
    return first, last, _int_or_none(match.group(3))


def content_range_total(headers) -> int | None:
    """The total of a ``Content-Range`` header (``0-24/3573``, ``*/3573``), or None (``*``, absent)."""
    match = _content_range_match(headers)
    return _int_or_none(match.group(3)) if match is not None else None


def find_more_flag(body, configured_path=None, headers=None) -> tuple[str | None, bool | None]:
    """``(path, more)``: whether the body says another page exists (True), says this is the last
    (False), or says nothing (None). ``done: true`` and ``isLast: true`` read as "no more". Without
    a flag in the body, a response header of :data:`_MORE_HEADERS` / :data:`_DONE_HEADERS` that says
    ``true`` or ``false`` (``path`` is then "the <name> header")."""
    if configured_path:
        value = get_path(body, path_parts(configured_path))
        return configured_path, value if isinstance(value, bool) else None
    if isinstance(body, dict):
        places = [((), body), *_meta_objects(body)]
        for prefix, obj in places:
            for key in _MORE_FLAGS:
                if isinstance(obj.get(key), bool):
                    return format_path((*prefix, key)), obj[key]
            for key in _DONE_FLAGS:
                if isinstance(obj.get(key), bool):
                    return format_path((*prefix, key)), not obj[key]
    if isinstance(body, list) and body and isinstance(body[-1], dict):
        for key in _LAST_RECORD_MORE_FLAGS:
            if body[-1].get(key) is True:
                return _LAST_RECORD + key, True
    return _header_flag(headers)


def _header_flag(headers) -> tuple[str | None, bool | None]:
    if headers is None:
        return None, None
    for names, more_when in ((_MORE_HEADERS, "true"), (_DONE_HEADERS, "false")):
        for name in names:
            value = headers.get(name)
            if isinstance(value, str) and value.strip().lower() in ("true", "false"):
                return f"the {name} header", value.strip().lower() == more_when
    return None, None


_LINK_PART = re.compile(r"<([^>]*)>((?:\s*;\s*[^;,]+)*)")
_LINK_PARAM = re.compile(r"""\s*;\s*([^=\s]+)\s*=\s*(?:"([^"]*)"|([^\s;,"]+))""")


def next_link(headers, base_url: str) -> str | None:
    """The ``rel="next"`` target of an RFC 8288 ``Link`` header, resolved against ``base_url``.

    A next link marked ``results="false"`` is no next page: Sentry always names a next page, and
    marks the one past the last page so (https://docs.sentry.io/api/pagination/)."""
    return rel_link(headers, base_url, "next", skip_empty=True)


def rel_link(headers, base_url: str, relation: str, *, skip_empty: bool = False) -> str | None:
    """The target of an RFC 8288 ``Link`` header with ``rel`` ``relation``, resolved against
    ``base_url``; with ``skip_empty``, not one whose ``results`` parameter is ``false``."""
    value = headers.get("link") if headers is not None else None
    if not value:
        return None
    for match in _LINK_PART.finditer(value):
        target, params = match.group(1), match.group(2)
        found = {}
        for param in _LINK_PARAM.finditer(params):
            text = param.group(2) if param.group(2) is not None else param.group(3) or ""
            found.setdefault(param.group(1).lower(), text.lower())
        if relation in found.get("rel", "").split():
            if skip_empty and found.get("results") == "false":
                return None
            return urljoin(base_url, target.strip())
    return None


# A link object's relation and target: ``rel`` / ``href`` (PayPal's HATEOAS, Spring HATEOAS' older
# ``links``) or ``relation`` / ``url`` (a FHIR Bundle's ``link``).
_LINK_RELATION_AND_TARGET = (("rel", "href"), ("relation", "url"))


def rel_next_href(value) -> str | None:
    """The target of the ``next`` object of a list of link objects (PayPal's HATEOAS ``links:
    [{"href", "rel", "method"}]``, a FHIR Bundle's ``link: [{"relation", "url"}]``), or None."""
    if not isinstance(value, list):
        return None
    for link in value:
        if not isinstance(link, dict):
            continue
        for relation, target in _LINK_RELATION_AND_TARGET:
            if (
                isinstance(link.get(relation), str)
                and link[relation].lower() == "next"
                and isinstance(link.get(target), str)
                and link[target].strip()
            ):
                return link[target]
    return None


def _is_link_list(value) -> bool:
    """A list of link objects (each with its ``rel`` or ``relation``; a last page may have none, or a
    link without a target): one without a ``next`` is the last page, not a misconfigured path."""
    return isinstance(value, list) and all(
        isinstance(link, dict) and any(relation in link for relation, _ in _LINK_RELATION_AND_TARGET)
        for link in value
    )


def find_next_url(body, configured_path=None):
    """(path, url) of a next-page URL in the body (a string, or an object with ``href`` / ``link``,
    or a list of link objects: the one whose ``rel`` is ``next``)."""
    if configured_path:
        value = get_path(body, path_parts(configured_path))
        if _is_link_list(value):
            value = rel_next_href(value)
        if isinstance(value, dict):
            value = next((value[key] for key in _LINK_OBJECT_KEYS if isinstance(value.get(key), str)), None)
        return configured_path, value if isinstance(value, str) and value.strip() else None
    if not isinstance(body, dict):
        return None, None
    for key in _LINK_LISTS:
        href = rel_next_href(body.get(key))
        if href is not None and _looks_like_url(href):
            return key, href
    candidates = [((key,), body.get(key)) for key in _NEXT_URL_KEYS]
    # In a meta object, and one level further in (Paddle's meta.pagination.next), and in the links
    # object of those (BigCommerce's meta.pagination.links.next).
    for prefix, inner in _meta_objects(body):
        candidates += [((*prefix, key), inner.get(key)) for key in _NEXT_URL_KEYS]
        pages = inner.get("pages")
        if prefix == ("links",) and isinstance(pages, dict):
            # DigitalOcean: links.pages {first, prev, next, last}, absolute URLs
            candidates += [(("links", "pages", key), pages.get(key)) for key in _NEXT_URL_KEYS]
        for links_key in ("links", "_links"):
            links = inner.get(links_key)
            if isinstance(links, dict) and len(prefix) > 1:
                candidates += [((*prefix, links_key, key), links.get(key)) for key in _NEXT_URL_KEYS]
    for parts, value in candidates:
        if isinstance(value, dict):
            for inner_key in _LINK_OBJECT_KEYS:
                if isinstance(value.get(inner_key), str):
                    parts, value = (*parts, inner_key), value[inner_key]
                    break
        if isinstance(value, str) and _looks_like_url(value):
            return format_path(parts), value
    return None, None


# Lists of link objects at the top level of a body: ``links`` (PayPal, SparkPost), a FHIR Bundle's ``link``.
_LINK_LISTS = ("links", "link")
# Where a next-page object keeps its URL: HAL / JSON:API ``href``, HubSpot ``link``, Asana's absolute
# ``uri`` (its ``path`` is relative to the API's base path, not to the host, so it is not used).
# Travis CI's ``@href``.
_LINK_OBJECT_KEYS = ("href", "link", "uri", "@href")


def _names_a_next_link(obj: dict) -> bool:
    """Whether a links object names a next page under one of the usual keys (set, not null)."""
    for key in _NEXT_URL_KEYS:
        value = obj.get(key)
        if isinstance(value, dict):
            value = next(
                (value[inner] for inner in _LINK_OBJECT_KEYS if isinstance(value.get(inner), str)), None
            )
        if isinstance(value, str) and value.strip():
            return True
    return False


def links_base(body) -> str | None:
    """The absolute URL that a body's relative links are relative to, when the body names one:
    Confluence's ``_links.base`` (the site with its context path, ``https://x.atlassian.net/wiki``)."""
    links = body.get("_links") if isinstance(body, dict) else None
    base = links.get("base") if isinstance(links, dict) else None
    if isinstance(base, str) and base.startswith(("http://", "https://")):
        return base
    return None


def resolve_next_url(target: str, page_url: str, body) -> str:
    """``target`` (a next-page URL from the body) as an absolute URL. A path is relative to the
    response's URL, unless the body names the base of its links (Confluence's ``_links.base``):
    a path under the base's own path (Confluence v2: ``/wiki/api/v2/...``) is relative to its host,
    any other path (Confluence v1: ``/rest/api/...``) to the base itself.

    A path that is the end of the page's own path without its beginning is relative to the API's
    base path, that beginning: DocuSign's ``nextUri`` ``/accounts/{id}/envelopes?start_position=100``
    answering ``/restapi/v2.1/accounts/{id}/envelopes`` (resolved against the host it would be a
    404). A link that is only a query string (BigCommerce's ``"?page=2&limit=50"``, "appended to the
    resource") keeps the page's other query parameters, the request's filters among them: resolved
    as a URL it would replace them all and page through another list."""
    target = target.strip()
    base = links_base(body)
    if base and target.startswith("/") and not target.startswith("//"):
        base_path = urlsplit(base).path.rstrip("/")
        if base_path and not (target == base_path or target.startswith(base_path + "/")):
            return urljoin(base, base_path + target)
    page = urlsplit(page_url)
    if target.startswith("?"):
        own = parse_qsl(target[1:], keep_blank_values=True)
        named = {name for name, _ in own}
        kept = [
            (name, value)
            for name, value in parse_qsl(page.query, keep_blank_values=True)
            if name not in named
        ]
        return urlunsplit((page.scheme, page.netloc, page.path, urlencode(kept + own), ""))
    if target.startswith("/") and not target.startswith("//"):
        target_path = urlsplit(target).path.rstrip("/")
        page_path = page.path.rstrip("/")
        if target_path and page_path != target_path and page_path.endswith(target_path):
            return urljoin(page_url, page_path[: -len(target_path)] + target)
    return urljoin(page_url, target)


def _looks_like_url(value: str) -> bool:
    value = value.strip()
    return value.startswith(("http://", "https://", "/", "?"))


def find_cursor(body, configured_path=None):
    """(path, token) of a next-page cursor in the body."""
    if configured_path:
        value = get_path(body, path_parts(configured_path))
        return configured_path, None if _negative_position(value) else value
    known = _known_cursor(body)
    if known is not None:
        return format_path(known[0]), get_path(body, known[0])
    path, value = _find(body, tuple(_CURSOR_KEYS))
    if isinstance(value, str) and _looks_like_url(value):
        return None, None
    if _negative_position(value):
        return path, None
    if isinstance(value, (str, int)) and not isinstance(value, bool):
        return path, value
    token = _airtable_offset(body)
    if token is not None:
        return "offset", token
    return None, None


def _negative_position(value) -> bool:
    """Whether a cursor is a negative number: no position to continue from, the end of the list
    (SugarCRM's ``next_offset`` is -1 on the last page; sent back, it would be read as a first page)."""
    return isinstance(value, int) and not isinstance(value, bool) and value < 0


# Response header names that look like a continuation token (a cursor no configuration reads yet);
# ``Link`` has its own style.
_CURSOR_LIKE_HEADER = re.compile(
    r"continuation|cursor|next[-_]?page|page[-_]?token|next[-_]?range", re.IGNORECASE
)


def cursor_like_header(headers) -> str | None:
    """The name (as sent) of the first response header whose name looks like a continuation token's
    and whose value is not empty, or None. GitLab's ``X-Next-Page`` is empty on its last page."""
    if headers is None:
        return None
    raw = getattr(headers, "raw", None)  # httpx keeps the names as sent there
    items = (
        [(name.decode("latin-1"), value.decode("latin-1")) for name, value in raw]
        if raw is not None
        else list(headers.items())
    )
    for name, value in items:
        if name.lower() != "link" and _CURSOR_LIKE_HEADER.search(name) and value.strip():
            return name
    return None


def header_cursor(headers) -> tuple[str, str, str] | None:
    """``(header, parameter, because)`` of the first response header of :data:`_HEADER_CURSORS` that
    holds a cursor, or None."""
    for header, param, because in _HEADER_CURSORS:
        value = headers.get(header) if headers is not None else None
        if isinstance(value, str) and value.strip():
            return header, param, because
    return None


def _known_cursor(body):
    for parts, param, because in _KNOWN_CURSORS:
        value = get_path(body, parts)
        if isinstance(value, (str, int)) and not isinstance(value, bool) and value != "":
            return parts, param, because
    for key in ENVELOPE_KEYS:
        # The records and their next page's token wrapped together in an envelope key's object: Fivetran's
        # {"code": "Success", "data": {"items": [...], "next_cursor"}}, next_cursor sent back as "cursor"
        # (https://fivetran.com/docs/rest-api/pagination). Read as no pagination, the first page of 100
        # was called the whole list.
        inner = body.get(key) if isinstance(body, dict) else None
        if not isinstance(inner, dict) or list_beside_its_next_page(inner) is None:
            continue
        for name in _TOKENS_BESIDE_RECORDS:
            token = inner.get(name)
            if isinstance(token, str) and token.strip() and not _looks_like_url(token):
                return (key, name), _CURSOR_KEYS[name], f"{key}.{name} (beside the records)"
    data = body.get("data") if isinstance(body, dict) else None
    if (
        isinstance(data, dict)
        and isinstance(data.get("children"), list)
        and isinstance(data.get("after"), str)
        and data["after"]
    ):
        # Reddit's Listing (https://www.reddit.com/dev/api/#listings): {"kind": "Listing", "data":
        # {"after": "t3_x", "children": [...]}}, the fullname sent back as "after" until it is null
        return ("data", "after"), "after", "Reddit-style Listing data.after"
    meta = body.get("meta") if isinstance(body, dict) else None
    links = meta.get("links") if isinstance(meta, dict) else None
    token = links.get("next") if isinstance(links, dict) else None
    if isinstance(token, str) and token.strip() and not _looks_like_url(token):
        # Vultr (https://www.vultr.com/api/#section/Introduction/Meta-and-Pagination): {"<resource>",
        # "meta": {"total", "links": {"next", "prev"}}}, next a cursor sent back as "cursor", "" at the end
        return ("meta", "links", "next"), "cursor", "Vultr-style meta.links.next"
    if isinstance(body, dict) and isinstance(body.get("chunk"), list) and "start" in body:
        # Matrix's /messages (https://spec.matrix.org/latest/client-server-api/#get_matrixclientv3roomsroomidmessages):
        # {"chunk", "start", "end"}, end sent back as "from"; no end when no further events are there
        end = body.get("end")
        if isinstance(end, str) and end:
            return ("end",), "from", "Matrix-style end (beside chunk)"
    paging = body.get("paging") if isinstance(body, dict) else None
    if isinstance(paging, dict) and "page_item_limit" in paging:
        # Bitrise (https://docs.bitrise.io/en/bitrise-ci/api/pagination-of-api-calls.html): paging
        # {"total_item_count", "page_item_limit", "next"}, next (the next page's first slug, only while
        # one is left) sent back as "next"
        token = paging.get("next")
        if isinstance(token, str) and token:
            return ("paging", "next"), "next", "Bitrise-style paging.next"
    pagination = data.get("pagination") if isinstance(data, dict) else None
    token = pagination.get("next") if isinstance(pagination, dict) and "current" in pagination else None
    if isinstance(token, str) and token.strip() and not _looks_like_url(token):
        # Segment's Public API (https://docs.segmentapis.com/tag/Pagination): {"data": {"<resource>":
        # [...], "pagination": {"current", "next", "totalEntries"}}}, next sent back as the query
        # parameter "pagination.cursor" (its page size goes as "pagination.count"), null at the end
        return ("data", "pagination", "next"), "pagination.cursor", "Segment-style data.pagination.next"
    if not isinstance(body, dict) or not isinstance(
        body.get("results" if "results" in body else "data"), list
    ):
        return None
    token = body.get("next")
    if isinstance(body.get("hasNext"), bool) and isinstance(token, str) and token.strip():
        if not _looks_like_url(token):
            # https://hire.lever.co/developer/documentation#pagination: {"data", "hasNext", "next"},
            # the next token (not a URL) is sent back as "offset"
            return ("next",), "offset", "Lever-style next (beside hasNext)"
    pagination = body.get("pagination")
    if (
        isinstance(body.get("data"), list)
        and isinstance(pagination, dict)
        and set(pagination) == {"cursor"}
        and isinstance(pagination["cursor"], str)
        and pagination["cursor"]
    ):
        # Twitch Helix (https://dev.twitch.tv/docs/api/guide/#pagination): {"data", "pagination":
        # {"cursor"}}, the cursor sent back as "after" (an API that pages otherwise repeats page 1,
        # which the run refuses as a loop, naming the parameter)
        return ("pagination", "cursor"), "after", "Twitch-style pagination.cursor"
    token = body.get("next_page")
    if (
        body.get("object") == "search_result"
        and isinstance(token, str)
        and token
        and not _looks_like_url(token)
    ):
        # https://docs.stripe.com/api/pagination/search: next_page is sent back as "page"
        return ("next_page",), "page", "Stripe search-style next_page"
    token = body.get("next_cursor")
    if (
        body.get("object") == "list"
        and isinstance(body.get("results"), list)
        and isinstance(token, str)
        and token
    ):
        # https://developers.notion.com/reference/intro#pagination: next_cursor is sent as start_cursor
        return ("next_cursor",), "start_cursor", "Notion-style next_cursor"
    return None


# The next page's tokens read in the object that holds the records (their parameter: _CURSOR_KEYS).
_TOKENS_BESIDE_RECORDS = ("next_cursor", "nextCursor", "next_page_token", "nextPageToken")


def _airtable_offset(body):
    """A top-level ``offset`` that is an opaque token, not a number (Airtable's list records)."""
    value = body.get("offset") if isinstance(body, dict) else None
    if isinstance(value, str) and value.strip() and _int_or_none(value) is None:
        return value
    return None


def _origin(url: str) -> tuple:
    parts = urlsplit(url)
    return (parts.scheme.lower(), (parts.hostname or "").lower(), parts.port)


def strip_params(url: str, names, values=()) -> str:
    """``url`` without the query parameters in ``names``, nor those whose value is one of ``values``
    (credentials never go to a checkpoint). An upstream may write the credential a request carried
    into its next links under another name (Meta's Graph API adds ``access_token`` to ``paging.next``;
    an API may write the key of a header as a parameter); the request that follows such a link
    carries the connector's own credentials again."""
    values = {value for value in values if value and len(value) >= MIN_STORED_SECRET_LENGTH}
    if not names and not values:
        return url
    parts = urlsplit(url)
    if not parts.query:
        return url
    query = [
        (k, v)
        for k, v in parse_qsl(parts.query, keep_blank_values=True)
        if k not in names and v not in values and v.strip() not in values
    ]
    return urlunsplit((parts.scheme, parts.netloc, parts.path, urlencode(query), parts.fragment))


class Paginator:
    """Base of the styles. ``state`` is the next request, JSON-serializable for the checkpoint.

    Subclasses implement :meth:`_advance`; :meth:`advance` adds what every style shares: the
    records seen, the totals announced, and the "no more pages" flags as a stop signal.
    """

    style = "none"

    def __init__(
        self,
        config: dict,
        endpoint: str,
        state: dict | None = None,
        secret_params=(),
        *,
        path_secrets=None,
        secret_values: Callable[[], Iterable[str]] | None = None,
    ):
        self.config = config
        self.endpoint = endpoint
        self.secret_params = frozenset(secret_params)
        # The credentials' values as requests carry them (``RequestAuth.secret_values``: asked when a
        # link is read, an OAuth2 token is fetched with the first request): never kept in a link.
        self.secret_values = secret_values
        # The values of the endpoint path's {secret:NAME} placeholders (services.path_secrets): a link
        # the upstream writes with one in its path is kept (state, checkpoint) with the placeholder.
        self.path_secrets: dict[str, str] = dict(path_secrets or {})
        self.state = dict(state) if state is not None else self.initial_state()
        self.warnings: list[str] = []
        # Paths the user wrote (not detected): their absence on a full page is a shortfall.
        self.configured = DETECTED_BECAUSE not in config
        self.stopped_because: str | None = None
        self._previous_max = 0  # the longest page before the last one (is the last one full?)

    @property
    def current(self) -> Paginator:
        """The paginator that makes the requests (``AutoPaginator``: the detected one, or None)."""
        return self

    def initial_state(self) -> dict:
        return {}

    def keep_new(self, records: list) -> list:
        """The records of a page that the page before did not read: all of them, but for a
        ``search_after`` that asks for some hits again (:meth:`CursorPagination.keep_new`)."""
        return records

    def size_params(self) -> dict[str, str]:
        if "size_param" in self.config:
            return {self.config["size_param"]: str(self.config["page_size"])}
        return {}

    def request(self) -> PageRequest:
        return PageRequest(self.endpoint, self.size_params())

    def advance(self, page: FetchedPage) -> bool:
        """Move ``state`` past ``page``; False when the sync has everything."""
        previous_max = self.state.get("max_len", 0)
        self.stopped_because = None  # a style may say why it stops (search_after's short page)
        more = self._advance(page)
        self.state["seen"] = self.state.get("seen", 0) + page.count
        self.state["pages"] = self.state.get("pages", 0) + 1
        self.state["max_len"] = max(previous_max, page.count)
        self._previous_max = previous_max
        if more:
            path, flag = find_more_flag(page.body, self.config.get("has_more_path"), page.headers)
            if flag is False:
                # The body says this is the last page: no request past it, even if a next link
                # or cursor is there too (Zendesk keeps links.next on its last page).
                self.stopped_because = f"{path} says this is the last page"
                return False
            last = self._last_page_announced(page)
            if last:
                self.stopped_because = last
                return False
        return more

    def _advance(self, page: FetchedPage) -> bool:
        return False

    def take_notes(self) -> list[str]:
        """Lines for the run log about how the pages are read (where a cursor was found), each
        returned once."""
        return []

    def _last_page_announced(self, page: FetchedPage) -> str | None:
        """Why ``page`` is the last one by what its body says beside the style's own signal (after a
        more-flag, which comes first), or None."""
        return None

    def _follow_empty(self, page: FetchedPage, repeated: bool) -> bool:
        """Whether to follow the next page or cursor an answer names (``repeated``: one already
        followed). A page with records: yes. An empty one: yes when the target is new, up to
        MAX_EMPTY_PAGES_FOLLOWED in a row; an empty page naming a target already followed is the end
        (nothing new is there)."""
        if page.count:
            self.state.pop("empty_pages", None)
            return True
        if repeated:
            return False
        empty = self.state.get("empty_pages", 0) + 1
        self.state["empty_pages"] = empty
        return empty <= MAX_EMPTY_PAGES_FOLLOWED

    def shortfall(self, page: FetchedPage) -> str | None:
        """Why stopping after ``page`` (the last one :meth:`advance` saw, which returned False) would
        leave records behind, or None. The message names the signal and what to configure."""
        config = self.config
        path, flag = find_more_flag(page.body, config.get("has_more_path"), page.headers)
        if flag is True:
            return (
                f"The upstream says more records exist ({path}: {_flag_text(page, path)}) but "
                f"pagination {self.describe()} found no next page. {self._more_flag_hint(page, path)}"
            )
        total, exact = find_total_bound(page.body, page.headers, config.get("total_path"))
        seen = self.state.get("seen", 0)
        if isinstance(page.body, dict) and page.body.get("incomplete_results") is True:
            # GitHub's search: the query timed out upstream, so its results are a part of the matches.
            return (
                "The upstream marks its results incomplete (incomplete_results: true: GitHub's search "
                "stops a query that takes too long); the sync got what it returned. Narrow the query, or "
                "sync again later."
            )
        capped = capped_search_shortfall(page, seen, self.endpoint)
        if capped is not None:
            return capped
        if total is not None and total > seen and self._total_is_whole_run():
            hint = self._hint()
            if self.style in ("cursor", "next_url", "link_header") and self.state.get("pages", 0) > 1:
                # The pagination was followed page after page: the style is right, the total is not
                # met (an estimate, a capped search, or a list that changed during the run).
                hint = (
                    f"The pagination was followed for {self.state['pages']} pages and the last names no "
                    "next one: the total may be an estimate or cap (YouTube's search.list "
                    "pageInfo.totalResults is an approximation, and a search answers a few hundred "
                    "results at most), or records were added or removed during the run; sync again to "
                    "tell. The sync cannot show it is complete."
                )
            return (
                f"The upstream announces {'' if exact else 'at least '}{total} records but the sync received "
                f"{seen} when pagination {self.describe()} found no next page. {hint}"
            )
        if self.style == "none":
            bound = _upper_bound_shortfall(page, seen)
            if bound is not None:
                return bound
        if self.state.get("empty_pages", 0) > MAX_EMPTY_PAGES_FOLLOWED:
            return (
                f"The upstream answered {MAX_EMPTY_PAGES_FOLLOWED + 1} empty pages in a row, each naming a "
                f"next page (pagination {self.describe()}); the sync stopped there, so it cannot know it "
                "got every record. Check the connector's pagination, or ask the API's vendor why it "
                "answers empty pages."
            )
        missing = self._missing_configured_path(page)
        if missing and self._page_was_full(page) and not (total is not None and seen >= total):
            return (
                f"The configured pagination.{missing} {config[missing]!r} is absent from a full page "
                f"({page.count} records), so the next page cannot be requested. Check the path "
                "(the syntax allows 'a\\.b' and '/a.b' for keys with dots) or set the pagination type."
            )
        return self._empty_announced_page_shortfall(page) or self._fallen_total_shortfall()

    def _empty_announced_page_shortfall(self, page: FetchedPage) -> str | None:
        """An empty last page among the pages the upstream announced (a page count says that page
        holds records; it is no record total to compare the count received with). Not for a cursor:
        its page count may be for another page size than the run asks for (Typeform's ``page_count``
        is of its default 25 a page, the run reads 1000)."""
        announced = self.state.get("announced_pages")
        number = self.state.get("pages", 0)
        if (
            page.count
            or not isinstance(announced, int)
            or announced < max(number, 2)
            or self.style == "cursor"
        ):
            return None
        if not self._total_is_whole_run():  # a start page of the user's: its pages are not counted
            return None
        return (
            f"Page {number} of the {announced} pages the upstream announces is empty: the list is shorter "
            "than announced (records removed during the run, or an upstream that stopped serving pages "
            "early), so the sync cannot show it got every record. Sync again."
        )

    def _fallen_total_shortfall(self) -> str | None:
        """An exact total that fell during the run: records were removed while the list was read.
        Page numbers, offsets and the links that carry them are positions, so the pages after a
        removed record shift back: a record not read yet moves onto a page already read and is
        skipped, while the count received still matches the last total. A total that only grew is
        no shortfall (:meth:`grown_total_note`): a record added shifts the pages after it forward,
        so a record is read twice, none of those listed at the start skipped. (A cursor names the
        record it continues after; its totals may shrink as it moves on, as Typeform's do.)"""
        seen = self._totals_seen()
        if seen is None or seen[1] >= seen[0] or self.style == "cursor":
            return None
        first, lowest, _ = seen
        return (
            f"The upstream's total fell from {first} to {lowest} records during the run: records were "
            f"removed while pagination {self.describe()} read the list, so the pages after them shifted "
            "and a record may have been skipped. Sync again (a full refresh also marks the records that "
            "are gone); the sync cannot show it is complete."
        )

    def _totals_seen(self) -> tuple[int, int, int] | None:
        """The run's first, lowest and highest exact totals (:meth:`note_announcements`), or None
        before the first."""
        first = self.state.get("first_total")
        if first is None:
            return None
        return first, self.state.get("lowest_total", first), self.state.get("highest_total", first)

    def grown_total_note(self) -> str | None:
        """A warning when the exact total only grew during the run (records added while it read):
        the records listed at its start are all read, those added may be stored by the next sync."""
        seen = self._totals_seen()
        if seen is None or seen[1] < seen[0] or seen[2] <= seen[0]:
            return None
        first, _, highest = seen
        return (
            f"The upstream's total grew from {first} to {highest} records during the run: records were "
            "added while the sync read the list; those it did not read are stored by the next sync."
        )

    def announced_end_reached(self) -> bool:
        """Whether every record the upstream announced (a total, or a page count) was received."""
        total = self.state.get("announced_total")
        if total is not None and self.state.get("seen", 0) >= total:
            return True
        pages = self.state.get("announced_pages")
        return pages is not None and self.state.get("pages", 0) >= pages

    def note_announcements(self, page: FetchedPage) -> None:
        """Remember the totals ``page`` announces (for :meth:`announced_end_reached`): the largest of
        the run, because an API may count only what is left past the cursor (Typeform's
        ``total_items`` and ``page_count`` shrink as ``before`` moves on), and a count that shrinks
        is no end reached early: a 4xx after it fails the run instead of ending it ``SUCCESS``."""
        config = self.config
        total, exact = find_total_bound(page.body, page.headers, config.get("total_path"), page.count)
        if not exact:
            # A lower bound ("at least 10000") is no end reached: a 4xx past it fails the run.
            if total is not None:
                self.state["announced_at_least"] = max(total, self.state.get("announced_at_least") or 0)
            total = None
        if total is not None:
            # The first exact total of the run and the lowest and highest since: the list changed
            # while it was read (see _fallen_total_shortfall and grown_total_note).
            self.state.setdefault("first_total", total)
            if total < self.state.get("lowest_total", total + 1):
                self.state["lowest_total"] = total
            if total > self.state.get("highest_total", -1):
                self.state["highest_total"] = total
        for key, announced in (
            ("announced_total", total),
            ("announced_pages", find_total_pages(page.body, config.get("total_pages_path"), page.headers)),
        ):
            earlier = self.state.get(key)
            if announced is not None and isinstance(earlier, int):
                announced = max(announced, earlier)
            self.state[key] = announced

    def whole_run_total(self) -> int | None:
        """The records the upstream announced for the whole run (for progress), or None."""
        total = self.state.get("announced_total")
        if (
            not isinstance(total, int)
            or isinstance(total, bool)
            or total < 0
            or not self._total_is_whole_run()
        ):
            return None
        return total

    def _total_is_whole_run(self) -> bool:
        # A start offset / page of the user's skips records on purpose.
        return not self.config.get("start_offset") and self.config.get("start_page", 1) in (0, 1)

    def _missing_configured_path(self, page: FetchedPage) -> str | None:
        return None

    def _page_was_full(self, page: FetchedPage) -> bool:
        if "page_size" in self.config:
            return page.count >= self.config["page_size"]
        return self._previous_max > 0 and page.count >= self._previous_max

    def _hint(self) -> str:
        return (
            "Configure the connector's pagination (type and the parameter the API expects, e.g. "
            '{"type": "cursor", "cursor_path": ..., "cursor_param": ...}); the sync is not complete.'
        )

    def _more_flag_hint(self, page: FetchedPage, path: str | None) -> str:
        """What to configure when ``path``, a more-flag of ``page``, says more records exist and this
        pagination found no next page."""
        return self._hint()

    def describe(self) -> str:
        return self.style

    def repeat_hint(self) -> str:
        """What to set when a page repeats an earlier one (the upstream ignored how it was asked
        for), or ""."""
        return ""


def _upper_bound_shortfall(page: FetchedPage, seen: int) -> str | None:
    """Why a single answer is not the whole list when a header of :data:`_TOTAL_UPPER_BOUND_HEADERS`
    announces more records than it holds, or None."""
    for name, vendor in _TOTAL_UPPER_BOUND_HEADERS:
        bound = _header_int(page.headers, (name,))
        if bound is not None and bound > seen:
            return (
                f"The response's {name} header announces up to {bound} records and the single answer "
                f"holds {seen}, which says nothing else about further pages, so the sync cannot show it is "
                f"complete. Set the connector's pagination to the API's page parameters ({vendor}'s search: "
                '{"type": "page", "page_param": "page_number", "size_param": "page_size", "page_size": 200}, '
                "sent in the POSTed body)."
            )
    return None


#: Meilisearch's default ``maxTotalHits`` (an index's ``pagination`` setting): a search answers, and
#: counts, no more hits than that (https://www.meilisearch.com/docs/learn/front_end/pagination).
MEILISEARCH_DEFAULT_MAX_TOTAL_HITS = 1000


def _meilisearch_search_count(body) -> tuple[str, int] | None:
    """``(key, count)`` of a Meilisearch search answer (``{"hits", "processingTimeMs",
    "estimatedTotalHits"}`` by offset / limit, ``{"hits", "processingTimeMs", "totalHits", "totalPages"}``
    by page / hitsPerPage), or None for any other answer."""
    if not (
        isinstance(body, dict)
        and isinstance(body.get("hits"), list)
        and _strict_int(body.get("processingTimeMs"))
    ):
        return None
    for key in ("totalHits", "estimatedTotalHits"):
        if _strict_int(body.get(key)):
            return key, body[key]
    return None


def capped_search_shortfall(page: FetchedPage, seen: int, endpoint: str) -> str | None:
    """Why a Meilisearch search read to its end may still not hold every match, or None.

    Meilisearch serves at most the index's ``maxTotalHits`` hits of a search (1,000 unless its settings
    raise it) and caps its counts there too (``estimatedTotalHits``, and ``totalHits`` / ``totalPages``
    which are otherwise exhaustive), so a search of more matches ends with an empty page, or its last
    announced page, exactly as a complete one does. Below the default cap the count is every match; at
    or above it nothing in the answer tells a capped count from a whole one. The index's documents
    (``/indexes/{uid}/documents``) page by offset / limit under an exact ``total`` with no such cap."""
    found = _meilisearch_search_count(page.body)
    if found is None or found[1] < MEILISEARCH_DEFAULT_MAX_TOTAL_HITS:
        return None
    key, count = found
    parts = urlsplit(endpoint)
    base, _, _ = parts.path.rstrip("/").rpartition("/search")
    documents = urlunsplit((parts.scheme, parts.netloc, f"{base}/documents", "", "")) if base else None
    where = (
        f"GET {documents} with pagination " + '{"type": "offset", "limit": 1000} and records_path "results"'
        if documents
        else "the index's documents, GET /indexes/{uid}/documents (offset / limit)"
    )
    return (
        f"The Meilisearch search counts {count} hits ({key}) and the sync received {seen}: a search serves "
        f"and counts at most the index's maxTotalHits hits ({MEILISEARCH_DEFAULT_MAX_TOTAL_HITS} unless its "
        "pagination settings raise it), so a longer list ends here as if it were whole and the sync cannot "
        f"show it got every match. To sync every document, point the connector at {where}: its total is "
        "exact and not capped (a search's filter goes to it as the filter parameter)."
    )


def _flag_text(page: FetchedPage, path) -> str:
    if path and path.startswith("the ") and path.endswith(" header"):
        return str(page.headers.get(path[4:-7], "?"))
    if path and path.startswith(_LAST_RECORD):
        return "true"  # read only when true (find_more_flag)
    value = get_path(page.body, path_parts(path)) if path else None
    return "true" if value is True else "false" if value is False else "?"


class NoPagination(Paginator):
    style = "none"

    def request(self) -> PageRequest:
        return PageRequest(self.endpoint, {})

    def _more_flag_hint(self, page: FetchedPage, path: str | None) -> str:
        """A more-flag beside records with ids and no cursor nor next link: the API pages by the last
        record's id, sent back under a parameter the answer does not name (EasyPost's ``before_id`` /
        ``after_id``, https://docs.easypost.com/docs/pagination; Stripe's ``starting_after``), or by
        offsets (Close's ``_skip``). Both configurations are named, with the flag and the id field."""
        if path is not None and path.startswith(_LAST_RECORD):
            # Gerrit: the query's n (a page size) and S (records to skip), every page but the last
            # ending with the flag.
            gerrit = {"type": "offset", "offset_param": "S", "limit_param": "n", "limit": max(page.count, 1)}
            return (
                f"The flag marks the last record of a page that holds {page.count}: an API that pages so "
                f"(Gerrit's queries, by the records to skip, 'S', and a page size, 'n') is read whole with "
                f"the pagination {json.dumps(gerrit)}. The sync is not complete."
            )
        id_field = _records_id_field(page.records)
        if id_field is None or find_cursor(page.body)[1] not in (None, ""):
            return self._hint()
        flag = {} if path is None or path.startswith("the ") else {"has_more_path": path}
        by_last_id = {
            "type": "cursor",
            "cursor_from": "last_record",
            "cursor_field": id_field,
            "cursor_param": "<the API's parameter>",
            **flag,
        }
        by_offsets = {"type": "offset", "offset_param": "...", "limit_param": "...", **flag}
        return (
            f"The answer names no cursor or next page, and its records carry {id_field!r}: an API that "
            f"pages by the last record's {id_field}, sent back under a parameter of its own (EasyPost's "
            "'before_id' for older records or 'after_id' for newer ones, Stripe's 'starting_after'), is "
            f"read whole with the pagination {json.dumps(by_last_id)}; one paged by offsets (Close's "
            f"'_skip' and '_limit') with {json.dumps(by_offsets)}. The sync is not complete."
        )


def _records_id_field(records) -> str | None:
    """The field every record of a page has a distinct id under (``id``, ``uuid``, ``_id``), or None."""
    if not records or not all(isinstance(record, dict) for record in records):
        return None
    for name in ("id", "uuid", "_id"):
        values = [record.get(name) for record in records]
        ids = all(isinstance(value, str | int) and not isinstance(value, bool) for value in values)
        if ids and "" not in values and len(set(values)) == len(values):
            return name
    return None


class _CountingPaginator(Paginator):
    """Shared stop rules of ``page`` and ``offset``: empty page, totals, then a short page."""

    def _should_stop(self, page: FetchedPage, seen_after: int, pages_after: int) -> bool:
        config = self.config
        if page.count == 0:
            return True
        total_pages = find_total_pages(page.body, config.get("total_pages_path"), page.headers)
        if total_pages is not None and self.style == "page":
            return pages_after >= total_pages
        total, exact = find_total_bound(page.body, page.headers, config.get("total_path"))
        if total == page.count and page_sizes_held(page, config.get("page_size"))[0]:
            # A top-level count equal to a full page may be the page's own (Azure DevOps' $top / $skip
            # lists): no end. On a page that is not full it is the list's total (Django REST
            # framework's one page, whose next page number answers 404).
            total, exact = find_total_bound(page.body, page.headers, config.get("total_path"), page.count)
        if total is not None and (exact or seen_after < total):
            # A lower bound reached (Elasticsearch's "gte") is no end: an empty or short page is.
            return seen_after >= total
        if find_more_flag(page.body, config.get("has_more_path"), page.headers)[1] is True:
            return False
        if not self.configured and _names_no_next_page(page.body):
            # Detected offsets or pages whose answer also names its next page, empty on the last
            # (Kontent.ai's pagination {"skip", "limit", "count", "next_page": ""}): no request past it.
            return True
        if config.get("stop_on_short_page", True):
            # Shorter than an earlier page: the last one. The first page never counts as short,
            # because an API may cap the size it was asked for (and one empty page is cheap).
            return page.count < self.state.get("max_len", 0)
        return False


class PageNumberPagination(_CountingPaginator):
    style = "page"

    def initial_state(self) -> dict:
        return {"page": self.config.get("start_page", 1), "seen": 0, "max_len": 0}

    def request(self) -> PageRequest:
        params = {self.config.get("page_param", "page"): str(self.state["page"])}
        params.update(self.size_params())
        return PageRequest(self.endpoint, params)

    def _advance(self, page: FetchedPage) -> bool:
        state = self.state
        seen = state.get("seen", 0) + page.count
        pages_done = state["page"] - self.config.get("start_page", 1) + 1
        stop = self._should_stop(page, seen, pages_done)
        state["page"] += 1
        return not stop

    def describe(self) -> str:
        return f"page (parameter {self.config.get('page_param', 'page')!r})"

    def repeat_hint(self) -> str:
        param = self.config.get("page_param", "page")
        example = {"type": "page", "page_param": "<the API's parameter>"}
        return (
            f"The page number was sent as {param!r}"
            + (" (detected)" if not self.configured else "")
            + "; an API that takes it under another name (Strapi's 'pagination[page]', Magento's "
            f"'searchCriteria[currentPage]') answers the same page again: set the connector's pagination to "
            f"{json.dumps(example)}. An API that answers a page past its last with the last page again "
            "(Magento) repeats it when its total counts more records than it serves."
        )


class OffsetPagination(_CountingPaginator):
    style = "offset"

    def initial_state(self) -> dict:
        return {"offset": self.config.get("start_offset", 0), "max_len": 0}

    def request(self) -> PageRequest:
        config = self.config
        params = {config.get("offset_param", "offset"): str(self.state["offset"])}
        if "limit" in config:
            params[config.get("limit_param", "limit")] = str(config["limit"])
        return PageRequest(self.endpoint, params)

    def _advance(self, page: FetchedPage) -> bool:
        state = self.state
        offset = state["offset"] + page.count
        seen = offset - self.config.get("start_offset", 0)
        stop = self._should_stop(page, seen, 0)
        state["offset"] = offset
        return not stop

    def repeat_hint(self) -> str:
        param = self.config.get("offset_param", "offset")
        example = {
            "type": "offset",
            "offset_param": "<the API's parameter>",
            "limit_param": "<its size parameter>",
        }
        return (
            f"The offset was sent as {param!r}"
            + (" (detected)" if not self.configured else "")
            + "; an API that takes it under another name ('from', 'skip', 'startAt', 'start', DatoCMS' "
            "'page[offset]' with 'page[limit]') answers the same records again: set the connector's "
            f"pagination to {json.dumps(example)}, or use page numbers if the API pages so."
        )

    def describe(self) -> str:
        config = self.config
        if "limit" not in config:
            return f"offset (parameter {config.get('offset_param', 'offset')!r})"
        return (
            f"offset (parameters {config.get('offset_param', 'offset')!r}"
            f"/{config.get('limit_param', 'limit')!r})"
        )


class CursorPagination(Paginator):
    style = "cursor"

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._recent: deque = deque(maxlen=_RECENT)
        self._token_path: str | None = None  # where the last page's cursor was read
        # The known response header the automatic search found the cursor in (see _token), and the
        # run log's line saying so (taken once by take_notes).
        self._token_header: str | None = None
        self._notes: list[str] = []
        self._no_token = False  # the last page read named no cursor

    def _last_page_announced(self, page: FetchedPage) -> str | None:
        """The last page by its own numbers: ``page_number`` (or ``pageNumber``) at least
        ``page_count`` (``pageCount``), both integers, in the object that holds the cursor or at the
        body's top level (Eventbrite's ``pagination`` without ``has_more_items``, whose last page still
        has a continuation). Only when the page number is this run's count of pages, so a number that
        means something else (or a resumed run's older checkpoint) never ends a run early; a count
        without a number (Typeform's ``page_count``, the pages left before its ``before`` token) is
        not read."""
        body = page.body
        if not isinstance(body, dict):
            return None
        places: list[tuple[tuple, object]] = []
        if self._token_path and self.config.get("cursor_from") != "last_record":
            parent = tuple(path_parts(self._token_path))[:-1]
            if parent:
                places.append((parent, get_path(body, parent)))
        places.append(((), body))
        pages_read = self.state.get("pages", 0)  # this page included (advance counted it)
        for prefix, holder in places:
            if not isinstance(holder, dict):
                continue
            for number_key, count_key in _PAGE_NUMBER_AND_COUNT:
                number, count = holder.get(number_key), holder.get(count_key)
                if not (_strict_int(number) and _strict_int(count)):
                    continue
                if number != pages_read or number < count:
                    return None
                return (
                    f"{format_path((*prefix, number_key))} ({number}) reached "
                    f"{format_path((*prefix, count_key))} ({count})"
                )
        return None

    def initial_state(self) -> dict:
        return {"cursor": None}

    @property
    def search_after(self) -> bool:
        """Elasticsearch / OpenSearch's ``search_after``: the cursor is the last hit's sort values."""
        return self.config.get("cursor_from") == SEARCH_AFTER

    @property
    def _sort_field(self) -> str:
        """Where a hit holds its sort values (``search_after``)."""
        return self.config.get("cursor_field", "sort")

    def _cursor_param(self) -> str:
        # A cursor found in a known response header goes back as that API's parameter unless one is
        # configured; kept in the state, so a resumed run sends it the same way.
        default = SEARCH_AFTER if self.search_after else "cursor"
        return self.config.get("cursor_param") or self.state.get("cursor_param") or default

    def size_params(self) -> dict[str, str]:
        if self.search_after:  # the size is the short page's measure: always sent
            return {self.config.get("size_param", "size"): str(self.config["page_size"])}
        return super().size_params()

    def request(self) -> PageRequest:
        params = self.size_params()
        if self.search_after and self.state.get("cursor") is not None:
            # The sort values go into the JSON body as the list they are (check_search_after_request
            # keeps this pagination to POSTed searches).
            params[self._cursor_param()] = self.state["cursor"]
            return PageRequest(self.endpoint, params)
        if self.state.get("cursor") is not None and "cursor_request_header" in self.config:
            return PageRequest(
                self.endpoint,
                params,
                headers={self.config["cursor_request_header"]: str(self.state["cursor"])},
            )
        if self.state.get("cursor") is not None:
            cursor = {self._cursor_param(): str(self.state["cursor"])}
            if "cursor_url" in self.config:
                return PageRequest(self.continuation_url(), cursor, continuation=True)
            params.update(cursor)
        return PageRequest(self.endpoint, params)

    def continuation_url(self) -> str:
        """``cursor_url`` resolved against the endpoint; on the endpoint's origin only (the
        connector's credentials go there)."""
        url = urljoin(self.endpoint, self.config["cursor_url"])
        if _origin(url) != _origin(self.endpoint):
            raise PaginationError(
                f"pagination.cursor_url {safe_url(url)} is not on the connector's host; MigrateIQ sends "
                "its credentials only there. Give a path, such as '/2/files/list_folder/continue'."
            )
        return url

    def _token(self, page: FetchedPage) -> tuple[str | None, object, bool]:
        """``(where, token, in_body)``: where the page's cursor was looked for or found, the cursor
        (None when there is none), and whether ``where`` is a path in the body."""
        header = self.config.get("cursor_header")
        if header:
            value = page.headers.get(header) if page.headers is not None else None
            return f"the {header} header", value.strip() if isinstance(value, str) else None, False
        if self.config.get("cursor_from") == "last_record":
            field_path = self.config.get("cursor_field", "id")
            token = get_path(page.last_record, path_parts(field_path))
            return f"{field_path} of the last record", token, False
        path, token = find_cursor(page.body, self.config.get("cursor_path"))
        if token in (None, "", False) and not self.config.get("cursor_path"):
            # The automatic search reads the headers that detection knows carry a cursor too (Azure
            # DevOps' x-ms-continuationtoken beside a body without one): a cursor chosen by hand
            # must not stop where "auto" goes on.
            found = header_cursor(page.headers)
            if found is not None:
                header, param, because = found
                if header != self._token_header:
                    self._token_header = header
                    sent = self.config.get("cursor_param") or param
                    self._notes.append(
                        f"Cursor found in the response header {header} ({because}), sent back as {sent!r}."
                    )
                if "cursor_param" not in self.config:
                    self.state["cursor_param"] = param
                return f"the {header} header", page.headers.get(header).strip(), False
        return path, token, True

    def take_notes(self) -> list[str]:
        notes, self._notes = self._notes, []
        return notes

    def _advance(self, page: FetchedPage) -> bool:
        if self.search_after:
            return self._advance_after_sort_values(page)
        path, token, in_body = self._token(page)
        self._token_path = path if in_body else None
        if self.state.get("inclusive") and page.records and not page.count:
            token = None  # an inclusive cursor answered with its own record alone: the list ended there
        self._no_token = token in (None, "", False)
        if self._no_token:
            return False
        if isinstance(token, list):
            # Elasticsearch / OpenSearch's search_after (the last hit's "sort" values, a JSON array) has
            # a configuration of its own, which checks the search it continues.
            raise PaginationError(
                f"The cursor at {path!r} is a JSON list ({_short(json.dumps(token))}), not a string or "
                "number: a cursor is sent back as one value. For Elasticsearch / OpenSearch's "
                "search_after (the last hit's sort values, sent back as a list in the POSTed search) set "
                'the connector\'s pagination to {"type": "cursor", "cursor_from": "search_after", '
                '"page_size": <hits a page>}, with a "sort" in request_body whose last field is unique '
                "per document."
            )
        if isinstance(token, dict):
            raise PaginationError(f"The cursor at {path!r} is not a string or number.")
        # A number goes back into a POSTed JSON body as the number it was (Qdrant's point ids: "1035"
        # is no id); kept in the state with the cursor, so a resumed run sends it the same way.
        number = isinstance(token, int) and not isinstance(token, bool)
        token = str(token)
        current = self.state.get("cursor")
        if not self._follow_empty(page, token == current or token in self._recent):
            return False
        if token == current or token in self._recent:
            raise PaginationLoop(
                f"The upstream returned the cursor {_short(token)!r} again; stopping instead of "
                "fetching the same pages in a loop."
            )
        if current is not None:
            self._recent.append(current)
        self.state["cursor"] = token
        if number:
            self.state["cursor_number"] = True
        else:
            self.state.pop("cursor_number", None)
        if self.config.get("cursor_from") == "last_record":
            # which record it was: another with the same value may start the next page (a cursor field
            # that is not unique, a record written meanwhile), and is no repeat of this one
            self.state["cursor_record"] = _hit_identity(page.last_record)
        return True

    def _advance_after_sort_values(self, page: FetchedPage) -> bool:
        """``search_after``: a page of fewer hits than the size asked for is the last (Elasticsearch
        answers as many as asked while more match). After a full page the next request continues
        after the sort values of its last hit before the hits of its final values, and names those
        hits (``overlap``): the next page answers them again, dropped by :meth:`keep_new`, with any
        hits of the same values this page had no room for. A sort that is not unique per document
        (a date alone) then skips nothing at a page's end; a full page of one sort value cannot be
        continued past, and fails the run. A hit without sort values cannot be continued after: the
        run fails naming it rather than end there. The same values to continue after twice would ask
        for the same page again: a loop."""
        size = self.config["page_size"]
        hits = page.records
        if not page.count:  # no hit, or only those the page before asked for again: the list ended
            self._no_token = True
            return False
        self._no_token = False
        last = self._hit_sort_values(hits, len(hits) - 1)
        if len(hits) < size:
            self.state["cursor"] = last
            self.state.pop("overlap", None)
            self.stopped_because = f"the page holds {len(hits)} hits, fewer than the {size} asked for"
            return False
        key = json.dumps(last, sort_keys=True)
        field_path = path_parts(self._sort_field)
        start = len(hits) - 1
        while start and json.dumps(get_path(hits[start - 1], field_path), sort_keys=True) == key:
            start -= 1
        if not start:
            raise PaginationError(
                f"All {len(hits)} hits of page {self.state.get('pages', 0) + 1} have the same sort values "
                f"{_short(key)} in {self._sort_field!r}: the sort is not unique per document, and "
                "search_after cannot continue past hits of equal values that fill a page (the next page "
                'would start after all of them, skipping those it had no room for). End the "sort" of '
                'request_body with a field unique per document (e.g. {"id": "asc"}), or raise '
                "pagination.page_size, and sync again."
            )
        after = self._hit_sort_values(hits, start - 1)
        # The same values to continue after as an earlier page would ask for the same hits again.
        after_key = json.dumps(after, sort_keys=True)
        current = self.state.get("cursor")
        current_key = json.dumps(current, sort_keys=True) if current is not None else None
        if after_key in (current_key, *self._recent):
            raise PaginationLoop(
                f"This page would be continued after the sort values {_short(after_key)}, as an earlier "
                "page was: the search answered the same hits again (it ignores search_after, or its sort "
                "is not the one the hits are in); stopping instead of fetching them in a loop. End the "
                'sort with a field unique per document (e.g. {"id": "asc"}).'
            )
        if current_key is not None:
            self._recent.append(current_key)
        self.state["cursor"] = after
        self.state["overlap"] = {"sort": last, "hits": [_hit_identity(hit) for hit in hits[start:]]}
        return True

    def _hit_sort_values(self, hits, index: int) -> list:
        """The sort values of ``hits[index]``, a list of JSON scalars; else the run fails naming the hit."""
        values = get_path(hits[index], path_parts(self._sort_field))
        if (
            isinstance(values, list)
            and values
            and all(value is None or isinstance(value, (str, int, float, bool)) for value in values)
        ):
            return values
        hit = hits[index]
        named = f" {hit['_id']!r}" if isinstance(hit, dict) and isinstance(hit.get("_id"), str) else ""
        found = "none" if values is None else f"a JSON {json_type_name(values)}"
        which = "The last hit" if index == len(hits) - 1 else f"Hit {index + 1}"
        raise PaginationError(
            f"{which}{named} of page {self.state.get('pages', 0) + 1} has no sort values at "
            f"{self._sort_field!r} ({found}, not a list of values), so the search cannot be continued "
            'after it and the sync cannot show it got every hit. Check the "sort" of request_body (a '
            "search with a sort answers each hit's sort values) and pagination.cursor_field."
        )

    def keep_new(self, records: list) -> list:
        """``search_after``: the page without the hits the page before asked for again (``overlap``:
        those of its final sort values, found by index and id with the same values). A hit of them
        that is gone or whose values changed is simply not there."""
        if self.config.get("cursor_from") == "last_record":
            return self._without_the_cursor_s_record(records)
        overlap = self.state.get("overlap") if self.search_after else None
        if not overlap or not records:
            return records
        asked = set(overlap["hits"])
        values = json.dumps(overlap["sort"], sort_keys=True)
        field_path = path_parts(self._sort_field)
        kept = []
        for index, hit in enumerate(records):
            if not asked:
                kept.extend(records[index:])
                break
            identity = _hit_identity(hit)
            if identity in asked and json.dumps(get_path(hit, field_path), sort_keys=True) == values:
                asked.discard(identity)
            else:
                kept.append(hit)
        return kept

    def _without_the_cursor_s_record(self, records: list) -> list:
        """A last record's cursor that the API reads inclusively (Binance's ``fromId``: "trade id to
        fetch from INCLUSIVE") answers the record it names first again: the page without it, when its
        first record is that record as it was (its value alone may be another record's too). An API
        that continues after the record (Stripe's ``starting_after``) never answers it again."""
        cursor = self.state.get("cursor")
        if cursor is None or not records or not isinstance(records[0], dict):
            return records
        first = get_path(records[0], path_parts(self.config.get("cursor_field", "id")))
        if isinstance(first, (dict, list, bool)) or first is None or str(first) != cursor:
            return records
        named = self.state.get("cursor_record")
        if named is not None and _hit_identity(records[0]) != named:
            return records  # the same value, another record (or the same one changed): kept
        if not self.state.get("inclusive"):
            self.state["inclusive"] = True
            self._notes.append(
                f"The upstream answers the record its cursor names ({self.config.get('cursor_param')}="
                f"{_short(cursor)}) first again: the cursor is read inclusively, so each page's first "
                "record, read on the page before, is skipped."
            )
        return records[1:]

    def _missing_configured_path(self, page: FetchedPage) -> str | None:
        path = self.config.get("cursor_path")
        if self.configured and path and not has_path(page.body, path_parts(path)):
            return "cursor_path"
        return None

    def shortfall(self, page: FetchedPage) -> str | None:
        found = super().shortfall(page)
        if found is None and self.configured and self._no_token and self.state.get("pages") == 1:
            found = self._first_page_without_cursor(page)
        return found

    def _first_page_without_cursor(self, page: FetchedPage) -> str | None:
        """Why a configured cursor that the first page named nowhere may not be the end, or None.

        The end when the page says so: empty, a has-more flag false, a total it holds, a cursor key
        that is there and null; or a page shorter than the size the connector asks for or the API
        pages by. Not when a response header looks like a continuation token (a cursor the
        configuration does not read), nor when the page is full: the list may go on (Azure DevOps
        without its x-ms-continuationtoken read; an API that renamed its cursor). Only the first page
        is judged so: after a cursor was followed, a page without one is the usual last page."""
        if (
            page.count == 0
            or find_more_flag(page.body, self.config.get("has_more_path"), page.headers)[1] is False
        ):
            return None
        total, exact = find_total_bound(page.body, page.headers, None, page.count)
        if total is not None and exact and page.count >= total:
            return None
        said = f"Pagination {self.describe()} found no next cursor on the first page ({page.count} records)"
        header = cursor_like_header(page.headers)
        if header is not None:
            return (
                f"{said}, but the response header {header} looks like a cursor: set pagination.cursor_header "
                f"to {header.lower()!r} (and cursor_param to the parameter the API takes it back as). The "
                "sync is not complete."
            )
        if self._cursor_named_empty(page.body):
            return None
        sizes, _ = page_sizes_held(page, self.config.get("page_size"))
        if not sizes:
            return None
        return (
            f"The first page holds {page.count} records, as many as a page holds ({', '.join(sizes)}), and "
            f"pagination {self.describe()} found no next cursor on it, so the sync cannot tell whether "
            "records were left behind. If the API names its next cursor elsewhere, set "
            "pagination.cursor_path (a path in the body) or pagination.cursor_header (a response header); "
            f"if the list holds exactly {page.count} records, a larger page size shows it."
        )

    def _cursor_named_empty(self, body) -> bool:
        """Whether the body holds the cursor's key, null or empty: the API's own "no next page"."""
        if self.config.get("cursor_header") or self.config.get("cursor_from") in (
            "last_record",
            SEARCH_AFTER,
        ):
            return False
        path = self.config.get("cursor_path")
        if path:
            return has_path(body, path_parts(path))
        if not isinstance(body, dict):
            return False
        if any(has_path(body, parts) for parts, _, _ in _KNOWN_CURSORS):
            return True
        return any(key in obj for _, obj in [((), body), *_meta_objects(body)] for key in _CURSOR_KEYS)

    def repeat_hint(self) -> str:
        config = self.config
        if self.search_after and self.state.get("cursor") is not None:
            return (
                f"A hit's sort values were sent as {self._cursor_param()!r} in the POSTed search; a "
                "search that answers the same hits again ignores it (a proxy that drops it, another "
                "search API): Elasticsearch and OpenSearch take it in the body of a _search with its sort."
            )
        if (
            "cursor_url" in config
            or "cursor_request_header" in config
            or config.get("cursor_from") in ("last_record", SEARCH_AFTER)
            or self.state.get("cursor") is None
        ):
            return ""
        path = config.get("cursor_path") or self._token_path
        param = self._cursor_param()
        example = {"type": "cursor", "cursor_path": path, "cursor_param": "<the API's parameter>"}
        header = config.get("cursor_header") or (None if self._token_path else self._token_header)
        if header:
            path = f"the {header} header"
            example = {"type": "cursor", "cursor_header": header, "cursor_param": "<the API's parameter>"}
        return (
            f"The cursor read at {path!r} was sent back as {param!r}"
            + (" (detected)" if not self.configured else "")
            + "; an API that takes it under another name (Twitch's 'after', Lever's 'offset') answers "
            f"the first page again: set the connector's pagination to {json.dumps(example)}."
        )

    def describe(self) -> str:
        param = self._cursor_param()
        if "cursor_url" in self.config:
            path, where = self.config.get("cursor_path", "auto"), self.config["cursor_url"]
            return f"cursor (token at {path!r}, sent as {param!r} to {where!r})"
        if self.config.get("cursor_from") == "last_record":
            return f"cursor (the last record's {self.config.get('cursor_field', 'id')!r}, sent as {param!r})"
        if self.search_after:
            return (
                f"search_after (the {self.config.get('cursor_field', 'sort')!r} of the last hit before the "
                f"page's final sort values, sent as {param!r} with {self.config['page_size']} hits a page)"
            )
        if self.config.get("cursor_request_header"):
            return (
                f"cursor (token in the {self.config.get('cursor_header', 'auto')!r} header, sent back as the "
                f"{self.config['cursor_request_header']!r} request header)"
            )
        if self.config.get("cursor_header"):
            return f"cursor (token in the {self.config['cursor_header']!r} header, sent as {param!r})"
        return f"cursor (token at {self.config.get('cursor_path', 'auto')!r}, sent as {param!r})"


class _FollowingPaginator(Paginator):
    """Shared by ``next_url`` and ``link_header``: follow URLs the upstream gives, same origin only."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._recent: deque = deque(maxlen=_RECENT)

    def initial_state(self) -> dict:
        return {"url": None}

    def request(self) -> PageRequest:
        url = self.state.get("url")
        if url is None:
            return PageRequest(self.endpoint, self.size_params())
        return PageRequest(url, {}, followed=True)

    def _next(self, page: FetchedPage) -> str | None:
        raise NotImplementedError

    def _last_page_announced(self, page: FetchedPage) -> str | None:
        # Keap's REST v1 names a next URL on its last page too (and on every empty page after it),
        # beside the list's count: a short or empty page that brings the records read to the exact
        # total announced is the end. A total alone is no end (a last page may be full, or the total a
        # page's own), so the page must also be shorter than an earlier one.
        total, exact = find_total_bound(page.body, page.headers, None, page.count)
        if total is None or not exact or total <= 0:
            return None
        seen = self.state.get("seen", 0)
        if seen >= total and (page.count == 0 or page.count < self._previous_max):
            return f"the {total} records the upstream's total announces are all read"
        return None

    def _advance(self, page: FetchedPage) -> bool:
        target = self._next(page)
        if not target:
            return False
        target = resolve_next_url(target, page.url, page.body)
        if _origin(target) != _origin(self.endpoint):
            if page.count == 0:
                return False  # an empty page's link elsewhere: the end, as before links were followed
            raise PaginationError(
                f"The next page link points to another host ({safe_url(target)}); MigrateIQ only "
                "follows links on the connector's own host, where its credentials may go."
            )
        values = tuple(self.secret_values()) if self.secret_values is not None else ()
        target = hide_path_secrets(strip_params(target, self.secret_params, values), self.path_secrets)
        current = hide_path_secrets(strip_params(page.url, self.secret_params, values), self.path_secrets)
        if not self._follow_empty(page, target == current or target in self._recent):
            return False
        if target == current or target in self._recent:
            raise PaginationLoop(
                f"The upstream's next link points back to a page already fetched ({safe_url(target)}); "
                "stopping instead of looping."
            )
        self._recent.append(current)
        self.state["url"] = target
        return True


class NextUrlPagination(_FollowingPaginator):
    style = "next_url"

    def _next(self, page: FetchedPage) -> str | None:
        path, url = find_next_url(page.body, self.config.get("next_url_path"))
        if url is None and self.configured and path:
            value = get_path(page.body, path_parts(path))
            if value not in (None, "", False) and not _is_link_list(value):
                # An object or a number there is no end of the pages, and no next page either.
                raise PaginationError(
                    f"The configured pagination.next_url_path {path!r} holds a JSON "
                    f"{json_type_name(value)}, not a URL, so the next page cannot be requested. Point it at "
                    "the URL (an object's 'href', 'link' or 'uri' is read), or use cursor pagination for a "
                    "token."
                )
        return url

    def _missing_configured_path(self, page: FetchedPage) -> str | None:
        """``"next_url_path"`` when the configured path is absent in a way that may be a wrong path.

        Once a link at the path was followed in this run (the path is right), its object there
        without the link is the last page: JSON:API's last ``links`` holds ``self``, ``first`` and
        ``prev`` and no ``next`` (https://jsonapi.org/format/#fetching-pagination: "Keys MUST either
        be omitted or have a null value to indicate that a particular link is unavailable"), HAL's
        ``_links`` likewise. Still suspicious: the object itself absent too (another shape of
        answer), a next link under another key beside it, or no link followed yet (the path may
        never have been right): a full page then ends ``PARTIAL``."""
        path = self.config.get("next_url_path")
        if not self.configured or not path:
            return None
        parts = path_parts(path)
        if has_path(page.body, parts):
            return None
        parent = get_path(page.body, parts[:-1]) if len(parts) > 1 else page.body
        if self.state.get("url") is not None and isinstance(parent, dict) and not _names_a_next_link(parent):
            return None
        return "next_url_path"

    def describe(self) -> str:
        return f"next_url (link at {self.config.get('next_url_path', 'auto')!r})"


class LinkHeaderPagination(_FollowingPaginator):
    style = "link_header"

    def _next(self, page: FetchedPage) -> str | None:
        return next_link(page.headers, page.url)

    def describe(self) -> str:
        return 'link_header (Link: rel="next")'


PAGINATORS = {
    cls.style: cls
    for cls in (NoPagination, PageNumberPagination, OffsetPagination, CursorPagination)
    + (NextUrlPagination, LinkHeaderPagination)
}


def make_paginator(
    config: dict, endpoint: str, state: dict | None = None, secret_params=(), **secrets
) -> Paginator:
    """The paginator of a validated, non-``auto`` config, at ``state`` (a checkpoint) or the start.
    ``secret_params`` (query parameter names), ``path_secrets`` (placeholder name to value) and
    ``secret_values`` (a callable: the credentials' values) are the credentials a followed link may
    carry: never kept in ``state``."""
    return PAGINATORS[config["type"]](config, endpoint, state, secret_params, **secrets)


class AutoPaginator:
    """``{"type": "auto"}``: the first page is requested without pagination parameters (but the page
    size, if configured); its answer says which style the API uses (:func:`detect_pagination`), and
    from then on this is that style's paginator. Callers never branch on "not detected yet"."""

    style = "auto"

    def __init__(
        self,
        config: dict,
        endpoint: str,
        secret_params=(),
        request_body: dict | None = None,
        *,
        path_secrets=None,
        secret_values: Callable[[], Iterable[str]] | None = None,
    ):
        self.auto_config = config
        self.endpoint = endpoint
        self.secret_params = frozenset(secret_params)
        self.secret_values = secret_values
        self.path_secrets: dict[str, str] = dict(path_secrets or {})
        self.request_body = request_body  # a POST's JSON body (a GraphQL query names its variables)
        self.inner: Paginator | None = None
        self.detected_because: str | None = None

    @property
    def current(self) -> Paginator | None:
        return self.inner

    @property
    def config(self) -> dict:
        return self.inner.config if self.inner is not None else self.auto_config

    @property
    def state(self) -> dict:
        return self.inner.state if self.inner is not None else {}

    @property
    def stopped_because(self) -> str | None:
        return self.inner.stopped_because if self.inner is not None else None

    def request(self) -> PageRequest:
        if self.inner is not None:
            return self.inner.request()
        config = self.auto_config
        if "size_param" in config:
            return PageRequest(self.endpoint, {config["size_param"]: str(config["page_size"])})
        return PageRequest(self.endpoint, {})

    def advance(self, page: FetchedPage) -> bool:
        if self.inner is None:
            detected = detect_pagination(page, self.auto_config, self.request_body)
            self.inner = make_paginator(
                detected,
                self.endpoint,
                None,
                self.secret_params,
                path_secrets=self.path_secrets,
                secret_values=self.secret_values,
            )
            if detected["type"] == "page" and "start_page" in detected:
                self.inner.state["page"] = detected["start_page"]
            self.detected_because = detected.get(DETECTED_BECAUSE)
        return self.inner.advance(page)

    def shortfall(self, page: FetchedPage) -> str | None:
        if self.inner is None:
            return None
        found = self.inner.shortfall(page)
        if found is None and self.inner.style == "none":
            found = (
                partial_content_shortfall(page)
                or unfollowed_continuation(page)
                or unfollowed_next_value(page)
                or unfollowed_more_address(page)
                or unread_message_history(page)
                or full_page_without_signal(page, self.auto_config, self.request_body)
            )
        return found

    def announced_end_reached(self) -> bool:
        return self.inner is not None and self.inner.announced_end_reached()

    def take_notes(self) -> list[str]:
        return self.inner.take_notes() if self.inner is not None else []

    def keep_new(self, records: list) -> list:
        return self.inner.keep_new(records) if self.inner is not None else records

    def note_announcements(self, page: FetchedPage) -> None:
        if self.inner is not None:
            self.inner.note_announcements(page)

    def describe(self) -> str:
        return self.inner.describe() if self.inner is not None else "auto"

    def repeat_hint(self) -> str:
        return self.inner.repeat_hint() if self.inner is not None else ""


#: Page sizes APIs serve by default (Xero 100, Salesforce 2000, ...): a single answer of exactly one
#: of these, with nothing that says whether more exist, is most likely a first page. 60: Mattermost;
#: 300: Kandji's device list, a bare array of at most 300 with or without a limit.
TYPICAL_PAGE_SIZES = frozenset({50, 60, 100, 200, 250, 300, 500, 1000, 2000, 5000, 10000})
#: Smaller default page sizes (Razorpay 10, CircleCI 20, Storyblok and Vimeo 25): read so only when the
#: answer counts its own page (a top-level ``count`` equal to its records, Razorpay's ``{"entity":
#: "collection", "count": 10, "items"}``), which a paged collection's envelope does; a bare list of 20
#: records says nothing of pages.
SMALL_TYPICAL_PAGE_SIZES = frozenset({10, 20, 25})
# Query parameters that ask for a page size (the endpoint's own ``?limit=100``, query_params).
_SIZE_QUERY_PARAMS = frozenset(
    key.lower()
    for key in (*_LIMIT_KEYS, "size", "count", "top", "$top", "page[size]", "page[limit]", "rows", "maxItems")
)


# A page size a query statement sent as a parameter asks for: QuickBooks Online's ``select * from
# Customer STARTPOSITION 1 MAXRESULTS 500``, SQL's ``LIMIT 500``.
_STATEMENT_LIMIT = re.compile(r"\b(MAXRESULTS|LIMIT)\s+(\d{1,9})\b", re.IGNORECASE)


# A GROQ slice (Sanity's query language): ``[0...100]`` excludes its end, ``[0..99]`` includes it.
_GROQ_SLICE = re.compile(r"\[\s*(\d{1,9})\s*(\.\.\.?)\s*(\d{1,9})\s*\]")


def groq_slice_held(page: FetchedPage, request_body=None) -> str | None:
    """The description of a GROQ slice in what the request sent (a query parameter, a top-level text of
    the POSTed body) that selects exactly as many results as ``page`` holds, or None. Sanity's query API
    answers every match of a query without one, and ``[0...100]`` of them with it: a page of results the
    query cut, whatever comes after it."""
    sent = [(f"the request's {name}", value) for name, value in parse_qsl(urlsplit(page.url).query)]
    if isinstance(request_body, dict):
        sent += [
            (f"the POSTed {key}", value) for key, value in request_body.items() if isinstance(value, str)
        ]
    for where, text in sent:
        for cut in _GROQ_SLICE.finditer(text):
            first, dots, end = cut.groups()
            if int(end) - int(first) + (dots == "..") == page.count:
                return f"the slice {cut.group(0)} of {where}"
    return None


# A GraphQL field's ``limit`` (Hasura) argument, a number or a variable.
_GRAPHQL_LIMIT = re.compile(r"(?<![$\w])limit\s*:\s*(\d{1,9}|\$\w+)")


def graphql_limit_held(page: FetchedPage, request_body=None) -> str | None:
    """The description of a ``limit`` argument in the POSTed GraphQL query (a number, or a variable of
    the body's ``variables``) that asks for exactly as many rows as ``page`` holds, or None. Hasura
    answers every row of a table without one (https://hasura.io/docs/2.0/queries/postgres/pagination/),
    and ``limit`` of them with it, with nothing in the answer that says more are left."""
    if not isinstance(request_body, dict) or not isinstance(request_body.get("query"), str):
        return None
    variables = request_body.get("variables")
    for found in _GRAPHQL_LIMIT.finditer(request_body["query"]):
        value = found.group(1)
        if value.startswith("$"):
            value = variables.get(value[1:]) if isinstance(variables, dict) else None
        if _int_or_none(value) == page.count:
            return f"the GraphQL query's {found.group(0)}" + (
                f" ({value})" if found.group(1).startswith("$") else ""
            )
    return None


def page_sizes_held(
    page: FetchedPage, page_size: int | None, request_body=None
) -> tuple[list[str], str | None]:
    """``(sizes, statement)``: the page sizes ``page`` holds exactly as many records as (the
    connector's ``page_size``, a size parameter in the request's query such as ``limit=100``, the
    ``LIMIT`` / ``MAXRESULTS`` of a query statement sent as a parameter, a GROQ slice sent as a
    parameter or in the POSTed body, a ``limit`` in the body), each described, and the statement's
    description when one of them is a statement's."""
    count = page.count
    asked = []
    if page_size == count:
        asked.append(f"pagination.page_size {count}")
    statement = None
    for name, value in parse_qsl(urlsplit(page.url).query):
        if name.lower() in _SIZE_QUERY_PARAMS and _int_or_none(value) == count:
            asked.append(f"the request's {name}={value}")
        limit_clause = _STATEMENT_LIMIT.search(value)
        if limit_clause and int(limit_clause.group(2)) == count:
            statement = f"The query statement ({name}={value!r})"
            asked.append(f"the {limit_clause.group(1)} {count} of the request's {name} statement")
    for held in (groq_slice_held(page, request_body), graphql_limit_held(page, request_body)):
        if held:
            asked.append(held)
    limit_path, limit = _find(page.body, _LIMIT_KEYS)
    if limit_path and _int_or_none(limit) == count:
        asked.append(f"the response's {limit_path}: {count}")
    return list(dict.fromkeys(asked)), statement


def _counts_its_page(body, count: int) -> bool:
    """Whether ``body`` has a top-level ``count`` equal to ``count``, the records it holds (or Weaviate's
    ``totalResults`` beside its ``objects``, see :func:`_weaviate_page_count`)."""
    return isinstance(body, dict) and (
        _int_or_none(body.get("count")) == count
        or (_weaviate_page_count(body) and len(body["objects"]) == count)
    )


def _names_no_next_page(body) -> bool:
    """Whether ``body`` says there is no next page by a next-link key that is there and null or empty
    (Django REST framework's ``{"count", "next": null, "previous", "results"}``)."""
    if not isinstance(body, dict):
        return False
    for obj in (body, *(inner for _, inner in _meta_objects(body))):
        if any(key in obj and obj[key] in (None, "") for key in _NEXT_URL_KEYS):
            return True
    return False


def partial_content_shortfall(page: FetchedPage) -> str | None:
    """Why a single answer of HTTP 206 Partial Content (RFC 9110: "the server is successfully
    fulfilling a range request ... by transferring one or more parts") is not the whole list, or None.
    Heroku answers a truncated list so, naming the next part in its Next-Range header."""
    if page.status != 206:
        return None
    return (
        f"The answer is HTTP 206 Partial Content ({page.count} records): the upstream says it holds a "
        "part of the list, and it names no next part MigrateIQ can follow, so the sync is not complete. If "
        "the API names the next part in a response header, set the connector's pagination to "
        '{"type": "cursor", "cursor_header": "<that header>", "cursor_request_header": "<the request header '
        'it goes back in>"} (Heroku: Next-Range, sent back as Range).'
    )


def unfollowed_continuation(page: FetchedPage) -> str | None:
    """Why a single answer with a MediaWiki ``continue`` object of several keys (a query of several
    modules, each continued by its own key) is not the whole list, or None: auto-detection follows one
    key, and sending one without the others would skip or repeat results."""
    keys = mediawiki_continuation(page.body)
    if not keys:
        return None
    return (
        f"The answer's continue object names {len(keys)} continuation keys ({', '.join(keys)}): the upstream "
        f"says more results exist, and the sync holds the first answer only ({page.count} records). Query "
        'one list module per connector and set its key as the cursor, e.g. {"type": "cursor", '
        f'"cursor_path": "continue.{keys[0]}", "cursor_param": "{keys[0]}"}}.'
    )


def unread_message_history(page: FetchedPage) -> str | None:
    """Why a single Zulip answer (https://zulip.com/api/get-messages: ``{"result": "success",
    "anchor", "found_oldest", "found_newest", "messages"}``) is not the whole history, or None: read
    forwards (``num_after`` asked for, no ``num_before``) it has more while ``found_newest`` is false,
    read backwards while ``found_oldest`` is false. Its next anchor is a message's id, which
    auto-detection does not send back."""
    body = page.body
    if not (
        isinstance(body, dict)
        and isinstance(body.get("messages"), list)
        and isinstance(body.get("found_newest"), bool)
        and isinstance(body.get("found_oldest"), bool)
    ):
        return None
    query = dict(parse_qsl(urlsplit(page.url).query))
    after, before = _int_or_none(query.get("num_after")) or 0, _int_or_none(query.get("num_before")) or 0
    if after > 0 and before == 0 and not body["found_newest"]:
        flag = "found_newest"
    elif before > 0 and after == 0 and not body["found_oldest"]:
        flag = "found_oldest"
    else:
        return None
    return (
        f"The answer says more messages exist ({flag}: false), and the sync holds the first answer only "
        f"({page.count} records): the next page is asked for by the last message's id as its anchor, which "
        'auto-detection does not send back. Read forwards from "anchor": "oldest" with "num_before": 0, '
        '"num_after" and "include_anchor": "false" in query_params, and set the pagination to {"type": '
        '"cursor", "cursor_from": "last_record", "cursor_field": "id", "cursor_param": "anchor"}.'
    )


# Where a "next" that is no URL is looked for: the top level and the meta objects.
_NEXT_VALUE_KEYS = ("next",)


def unfollowed_next_value(page: FetchedPage) -> str | None:
    """Why a single answer that names a next page by a value auto-detection cannot send back is not the
    whole list, or None: a ``next`` (top level or in a meta object) that is a number or a text but no
    URL, such as Vercel's ``pagination.next``, a timestamp to send back as ``until``. The parameter it
    goes back as is the API's own; guessing it would ask for the first page again."""
    body = page.body
    if not isinstance(body, dict) or not page.count:
        return None
    for prefix, obj in [((), body), *_meta_objects(body)]:
        for key in _NEXT_VALUE_KEYS:
            value = obj.get(key)
            if isinstance(value, bool) or not isinstance(value, (int, str)):
                continue
            if isinstance(value, str) and (not value.strip() or _looks_like_url(value)):
                continue
            path = format_path((*prefix, key))
            example = {"type": "cursor", "cursor_path": path, "cursor_param": "<the API's parameter>"}
            return (
                f"The answer names a next page at {path!r} ({_short(str(value))}), which is no URL, and "
                "not the parameter it goes back as, so auto-detection cannot follow it: the sync holds the "
                f"first page only ({page.count} records). Set the connector's pagination to "
                f"{json.dumps(example)} (Vercel's lists take pagination.next back as 'until')."
            )
    return None


# Keys that name a further page by an address of their own wording, beside the records: Discourse's
# topic lists, ``{"topic_list": {"topics": [...], "more_topics_url": "/latest?page=1"}}``. Auto-detection
# follows the next links it knows (``_NEXT_KEYS``); an answer that names one of these has more.
_MORE_ADDRESS = re.compile(r"(?:more|next)_\w*?(?:url|uri|link|href|path)", re.IGNORECASE)


def unfollowed_more_address(page: FetchedPage) -> str | None:
    """Why a single answer that names the address of more records in words auto-detection does not
    follow (``topic_list.more_topics_url``, at the top level or in an object of the body) is not the
    whole list, or None. The address may answer another format (Discourse's names the HTML page):
    the pagination it implies is for the user to set."""
    body = page.body
    if not isinstance(body, dict) or not page.count:
        return None
    places = [((), body)] + [((key,), value) for key, value in body.items() if isinstance(value, dict)]
    for prefix, obj in places:
        for key, value in obj.items():
            if not (isinstance(key, str) and _MORE_ADDRESS.fullmatch(key)):
                continue
            if not isinstance(value, str) or not value.strip():
                continue
            path = format_path((*prefix, key))
            numbered = [
                (name, int(number))
                for name, number in parse_qsl(urlsplit(value.strip()).query)
                if number.isdecimal() and len(number) < 10
            ]
            if len(numbered) == 1:
                name, number = numbered[0]
                example = {"type": "page", "page_param": name, "start_page": max(0, number - 1)}
                how = f"{json.dumps(example)} (its address asks for {name}={number} next)"
            else:
                how = "the style that address pages by (page, offset or cursor)"
            return (
                f"The answer names more records at {path!r} ({_short(value.strip())}), an address "
                "auto-detection does not follow, so the sync holds the first page only "
                f"({page.count} records). Set the connector's pagination to {how}."
            )
    return None


def full_page_without_signal(page: FetchedPage, auto_config: dict, request_body=None) -> str | None:
    """Why an auto-detected single page may not be the whole list, or None.

    The first answer named no next link, cursor, page count, total or "more" flag (else a style was
    detected), but it holds exactly as many records as a page holds: the size the request asked for
    (the auto ``page_size``, a size parameter in the request's query such as ``limit=100``, a
    ``limit`` in the body) or a size APIs serve by default (:data:`TYPICAL_PAGE_SIZES`). An older API
    answers so (Xero without its ``pagination`` object: 100 invoices a page), and ending ``SUCCESS``
    then would be silently short. A flag that says "no more" or a total the page holds, a GraphQL
    ``pageInfo`` and any other count keep the run ``SUCCESS``; ``{"type": "none"}`` set on purpose
    never warns.
    """
    count = page.count
    if (
        count <= 0
        or find_more_flag(page.body, None, page.headers)[1] is not None
        # a top-level count equal to the page's records is the page's own (Razorpay's {"entity":
        # "collection", "count": 10, "items"}), no total the page holds
        or find_total_bound(page.body, page.headers, page_count=count)[0] is not None
        or _names_no_next_page(page.body)
    ):
        return None
    connection = graphql_connection(page.body)
    if connection is not None and isinstance(get_path(page.body, (*connection, "pageInfo")), dict):
        return None
    if graphql_items_page(page.body) is not None:  # its cursor is null: no item is left
        return None
    asked, statement = page_sizes_held(page, auto_config.get("page_size"), request_body)
    if asked:
        why = f"as many as a page holds ({', '.join(asked)})"
    elif count in TYPICAL_PAGE_SIZES:
        why = "a page size APIs commonly serve by default"
    elif count in SMALL_TYPICAL_PAGE_SIZES and _counts_its_page(page.body, count):
        why = f"a page size APIs commonly serve by default, and the answer counts its page (count: {count})"
    else:
        return None
    if statement is None and isinstance(page.body, dict) and isinstance(page.body.get("QueryResponse"), dict):
        statement = "A QuickBooks Online query (100 entities when it names no MAXRESULTS)"
    said = (
        f"The single answer holds exactly {count} records, {why}, and says nothing about further pages "
        "(no next link, cursor, page count, total or has-more flag), so the sync cannot tell whether "
        "records were left behind. "
    )
    if _weaviate_page_count(page.body):
        example = {
            "type": "cursor",
            "cursor_from": "last_record",
            "cursor_field": "id",
            "cursor_param": "after",
            "size_param": "limit",
            "page_size": 100,
        }
        return said + (
            "Weaviate's totalResults counts the objects of this answer, not the collection's. Page by the "
            "last object's id, with the collection's name as \"class\" in query_params: set the pagination "
            f"to {json.dumps(example)}."
        )
    if graphql_limit_held(page, request_body):
        example = {
            "type": "offset",
            "offset_param": "variables.offset",
            "limit_param": "variables.limit",
            "limit": page.count,
        }
        return said + (
            "The GraphQL query limits its rows, which MigrateIQ does not rewrite: give the field offset: "
            "$offset and limit: $limit (declared as query ($offset: Int, $limit: Int)) and set the "
            f"pagination to {json.dumps(example)}, or remove the limit; if this is the whole list, set "
            '{"type": "none"}.'
        )
    if groq_slice_held(page, request_body):
        # Sanity's guide pages by the last _id read, not by slices that move (each one sorts and skips
        # every match before it): https://www.sanity.io/docs/developer-guides/paginating-with-groq
        example = {
            "type": "cursor",
            "cursor_from": "last_record",
            "cursor_field": "_id",
            "cursor_param": "params.lastId",
            "page_size": page.count,
        }
        return said + (
            "The GROQ query cuts its results with a slice, which MigrateIQ does not rewrite: remove the "
            "slice (a query without one answers every match), or page by the last _id read: POST "
            '{"query": "*[<filter> && _id > $lastId] | order(_id) [0...N]", "params": {"lastId": ""}} '
            f"with the pagination {json.dumps(example)}; if this is the whole list, set "
            '{"type": "none"}.'
        )
    if statement is not None:
        # QuickBooks Online pages inside its query (STARTPOSITION n MAXRESULTS m), which no pagination
        # style rewrites.
        return said + (
            f"{statement} pages by its own clauses (STARTPOSITION, OFFSET), which MigrateIQ does not "
            "rewrite: raise its limit (QuickBooks Online: MAXRESULTS 1000 at most) or narrow it with a "
            "WHERE clause so that one answer holds every record; if this is the whole list, set "
            '{"type": "none"}.'
        )
    return said + (
        "If the API pages, set the connector's pagination (e.g. "
        '{"type": "page"} for ?page=N, with "page_size" for a page size it asks for; {"type": "offset"} '
        'for ?offset=); if this is the whole list, set {"type": "none"}.'
    )


def paginator_for(
    config: dict,
    endpoint: str,
    state: dict | None = None,
    secret_params=(),
    request_body: dict | None = None,
    *,
    path_secrets=None,
    secret_values: Callable[[], Iterable[str]] | None = None,
):
    """The paginator of a validated config: :class:`AutoPaginator` for ``auto`` (at the start).
    ``request_body``: the JSON body a POST connector sends (detection reads a GraphQL query's
    variables from it)."""
    if config["type"] == "auto":
        return AutoPaginator(
            config,
            endpoint,
            secret_params,
            request_body,
            path_secrets=path_secrets,
            secret_values=secret_values,
        )
    return make_paginator(
        config, endpoint, state, secret_params, path_secrets=path_secrets, secret_values=secret_values
    )


def detect_pagination(page: FetchedPage, auto_config: dict, request_body: dict | None = None) -> dict:
    """The pagination style of an API, from the response to a request without pagination parameters.

    The readings the response itself proves come first: a ``Link: rel="next"`` header (not one
    marked ``results="false"``); a cursor at a place a well-known API documents (HubSpot
    ``paging.next.after``, Slack ``response_metadata.next_cursor``, X ``meta.next_token``, Intercom
    ``pages.next.starting_after``); a next URL in the body (``next``, ``links.next``,
    ``@odata.nextLink``, ``nextRecordsUrl``, ``next_page_uri``, ``next_page`` or its ``uri``, ...); a
    cursor token (``next_cursor``, ``nextPageToken``, Zoom's ``next_page_token``, Airtable's
    ``offset``, ...). Metadata is read at the top level, in a meta object and one level further in
    (Pipedrive's ``additional_data.pagination``). Then the weaker ones: a
    ``has_more`` flag with records that have an ``id`` (Stripe's ``starting_after``); an offset in
    the body (``offset``, ``skip``, ``startAt``) with a total, a limit or a flag; page numbers
    (``total_pages``, a current ``page``, ``X-WP-TotalPages`` / ``X-Total-Pages``; not Typeform's
    ``page_count``, whose responses page by their ``token`` sent as ``before``); a total larger
    than the page (an offset). Else a single page: when that page says there is more, the sync
    reports it instead of ending ``SUCCESS``.

    A GraphQL answer (a connection under ``data`` with its ``pageInfo``) is a cursor: its
    ``pageInfo.endCursor`` is sent as the variable the POSTed query passes as the connection's
    ``after`` argument (``variables.cursor`` for ``issues(first: 50, after: $cursor)``), and
    ``pageInfo.hasNextPage`` says when to stop (see :func:`graphql_cursor_config`).

    The returned config carries ``detected_because``: a sentence saying which signal decided.
    """
    size = {k: auto_config[k] for k in _SIZE_KEYS if k in auto_config}
    body, headers = page.body, page.headers
    if next_link(headers, page.url):
        return {"type": "link_header", **size, DETECTED_BECAUSE: 'the Link header has a rel="next" target'}
    found = header_cursor(headers)
    if found is not None:
        header, param, because = found
        return {
            "type": "cursor",
            "cursor_header": header,
            "cursor_param": param,
            **size,
            DETECTED_BECAUSE: f"the response has an {because} {header} header, sent back as {param!r}",
        }
    next_range = headers.get("next-range") if headers is not None else None
    if isinstance(next_range, str) and next_range.strip():
        # Heroku's Platform API (and APIs built to its HTTP API design guide): a truncated list is a
        # 206 with Next-Range, to repeat the request with as its Range header; the last part has none.
        return {
            "type": "cursor",
            "cursor_header": "Next-Range",
            "cursor_request_header": "Range",
            DETECTED_BECAUSE: "the response's Next-Range header names the next range, sent back as the Range "
            "request header (Heroku-style)",
        }
    graphql = graphql_cursor_config(body, request_body, size)
    if graphql is not None:
        return graphql
    search = _search_hits_config(body, size)
    if search is not None:
        return search
    if meta_then_records(body):
        # The World Bank API: [{"page", "pages", "per_page", "total"}, [records]], pages asked for as
        # ?page=N (https://datahelpdesk.worldbank.org/knowledgebase/articles/898581)
        return {
            "type": "page",
            "total_pages_path": "0.pages",
            **size,
            DETECTED_BECAUSE: "the body is an array of a paging object (page, pages) and the records, "
            "counting pages at '0.pages'",
        }
    continuation = mediawiki_continuation(body)
    if continuation is not None and len(continuation) == 1:
        # MediaWiki: {"continue": {"apcontinue": ..., "continue": "-||"}}; the module's key goes back
        # as a parameter of its own name (https://www.mediawiki.org/wiki/API:Continue)
        key = continuation[0]
        return {
            "type": "cursor",
            "cursor_path": format_path(("continue", key)),
            "cursor_param": key,
            **size,
            DETECTED_BECAUSE: f"the body has a MediaWiki continue object, whose {key!r} goes back as {key!r}",
        }
    known = _known_cursor(body)
    if known is not None:
        parts, param, because = known
        path = format_path(parts)
        return {
            "type": "cursor",
            "cursor_path": path,
            "cursor_param": param,
            **size,
            DETECTED_BECAUSE: f"the body has a {because} token, sent back as {param!r}",
        }
    path, _ = find_next_url(body)
    if path:
        return {
            "type": "next_url",
            "next_url_path": path,
            **size,
            DETECTED_BECAUSE: f"the body has a next-page URL at {path!r}",
        }
    remaining = _remaining_after(body)
    if remaining is not None:
        position_path, _position, _remaining = remaining
        param = path_parts(position_path)[-1]
        because = (
            f"the body has its position at {position_path!r} (sent back as {param!r}) and counts the "
            "records after the page"
        )
        return _offset_config(param, size, because)
    entity = _entity_count_and_offset(body)
    if entity is not None:
        count_key, offset_key = entity
        because = (
            f"the body has an offset at {offset_key!r} (sent back as 'offset') and a total at {count_key!r}"
        )
        return {**_offset_config("offset", size, because), "total_path": format_path((count_key,))}
    mongoose = _mongoose_paginate_config(body, request_body, size)
    if mongoose is not None:
        return mongoose
    path, _ = find_cursor(body)
    if path:
        param = "offset" if path == "offset" else _CURSOR_KEYS.get(path_parts(path)[-1], "cursor")
        param = next(
            (own for at, beside, own in _CURSORS_SENT_UNDER_THEIR_NAME if path == at and beside in body),
            param,
        )
        return {
            "type": "cursor",
            "cursor_path": path,
            "cursor_param": param,
            **size,
            DETECTED_BECAUSE: f"the body has a cursor token at {path!r}, sent back as {param!r}",
        }
    # Cursors an API takes from its last record, told by the shape of its answer
    for last_record_cursor in (_typeform_responses_config, _cursor_pairs_config, _uuid_after_config):
        found = last_record_cursor(page, size)
        if found is not None:
            return found
    criteria = body.get("search_criteria") if isinstance(body, dict) else None
    current_page = _int_or_none(criteria.get("current_page")) if isinstance(criteria, dict) else None
    if current_page is not None:
        # Magento 2 / Adobe Commerce: {"items", "search_criteria": {"page_size", "current_page"},
        # "total_count"}, paged by searchCriteria[currentPage] (a page past the last is the last again)
        return {
            "type": "page",
            "page_param": "searchCriteria[currentPage]",
            "start_page": current_page,
            **size,
            DETECTED_BECAUSE: "the body's search_criteria.current_page counts pages, sent back as "
            "'searchCriteria[currentPage]' (Magento-style)",
        }
    arcgis = _arcgis_query_config(body, size)
    if arcgis is not None:
        return arcgis
    sonarqube = _sonarqube_paging_config(body, size)
    if sonarqube is not None:
        return sonarqube
    flag_path, flag = find_more_flag(body)
    offset_path, offset = _find(body, _OFFSET_KEYS, loose=True)
    offset = _int_or_none(offset)
    current_path, current = _find(body, _CURRENT_PAGE_KEYS, loose=True)
    current = _int_or_none(current)
    if (
        current is None
        and isinstance(body, dict)
        and "pageable" in body
        and _int_or_none(body.get("number")) is not None
    ):
        # Spring Data's Page: zero-based "number", sent back as "page".
        current_path, current = "page", _int_or_none(body.get("number"))
    if (
        flag_path is not None
        and path_parts(flag_path)[-1] in _MORE_FLAGS  # "has_more", not "done": Salesforce is not Stripe
        # Stripe's list object (https://docs.stripe.com/api/pagination): {"object": "list", "url",
        # "has_more", "data"}. Another API's has_more beside records with an id pages otherwise (Close's
        # _skip), and ignores a starting_after it does not take (page 1 again).
        and isinstance(body, dict)
        and body.get("object") == "list"
        and offset is None
        and current is None
        and isinstance(page.last_record, dict)
        and isinstance(page.last_record.get("id"), (str, int))
    ):
        return {
            "type": "cursor",
            "cursor_from": "last_record",
            "cursor_field": "id",
            "cursor_param": "starting_after",
            **size,
            DETECTED_BECAUSE: (
                f"the body has the flag {flag_path!r} and no cursor or page number, and the records have "
                "an 'id': the last record's id is sent as 'starting_after' (Stripe-style)"
            ),
        }
    total = find_total(body, headers)
    total_pages = find_total_pages(body, None, headers)
    ckan = _ckan_action_config(body, total, page.count, size)
    if ckan is not None:
        return ckan
    limit_path, _limit = _find(body, _LIMIT_KEYS, loose=True)
    if offset is not None and path_parts(offset_path)[-1].lower().replace("_", "") == "startindex" and offset:
        offset = None
    if offset is not None and (total is not None or flag_path is not None or limit_path is not None):
        param = path_parts(offset_path)[-1]
        holder = get_path(body, path_parts(offset_path)[:-1])
        if param != "offset" and isinstance(holder, dict) and "offset" in holder and holder["offset"] is None:
            # Open Library's search answers Solr's "start", which it does not take, beside its own
            # "offset" parameter echoed (null when the request sent none)
            param = "offset"
        return _offset_config(
            param, size, f"the body has an offset at {offset_path!r} (sent back as {param!r})"
        )
    if total_pages is not None or current is not None:
        param = path_parts(current_path)[-1] if current_path else "page"
        if param not in _CURRENT_PAGE_KEYS or param in _CURRENT_PAGE_READ_ONLY:
            param = "page"
        holder = get_path(body, path_parts(current_path)[:-1]) if current_path else None
        if current_path == "meta.pagination.page" and isinstance(holder, dict) and "pageSize" in holder:
            # Strapi: meta.pagination {page, pageSize, pageCount, total}, asked for as pagination[page]
            # (https://docs.strapi.io/dev-docs/api/rest/sort-pagination); it ignores a bare "page"
            param = "pagination[page]"
        if current_path in ("meta.page_number", "meta.pageNumber") and isinstance(body.get("data"), list):
            # A JSON:API document paged by number (Telnyx v2: {"data", "meta": {"page_number",
            # "page_size", "total_pages", "total_results"}}), asked for as page[number], the JSON:API
            # family name (https://jsonapi.org/format/#fetching-pagination); a bare page_number is ignored
            param = "page[number]"
        where = (
            f"the body's {current_path!r}"
            if current_path
            else "the response's total pages"
            + ("" if _find(body, _TOTAL_PAGES_KEYS, loose=True)[0] else " header")
        )
        config = {"type": "page", "page_param": param, **size, DETECTED_BECAUSE: f"{where} counts pages"}
        if current is not None:
            config["start_page"] = current
        return config
    if total is not None and total > page.count:
        per_page = _header_int(headers, _PER_PAGE_HEADERS)
        if per_page is not None and find_total_bound(body, None)[0] is None:
            # Storyblok, Gusto: the total and the page size in response headers, pages asked for as
            # ?page=N (an offset would be ignored: page 1 again)
            return {
                "type": "page",
                **size,
                DETECTED_BECAUSE: f"the response headers announce {total} records, {per_page} a page",
            }
        because = f"the response announces {total} records and this page holds {page.count}"
        total_path, _ = _find(body, _TOTAL_KEYS, loose=True)
        # An API that spells its total "Total" spells its parameters so (Mailjet: Limit and Offset).
        capitalized = total_path is not None and path_parts(total_path)[-1][:1].isupper()
        return _offset_config("Offset" if capitalized else "offset", size, because)
    ranged = content_range(headers)
    if total is None and ranged is not None and ranged[0] == 0 and ranged[1] + 1 == page.count:
        # PostgREST (Supabase) answers every list with its range, "0-999/*" without a count, and caps
        # it at db-max-rows silently: the rows past it are asked for by offset, to an empty or short page.
        because = f"the response's Content-Range names the items it holds ({headers.get('content-range')})"
        return _offset_config("offset", size, because)
    return {"type": "none", DETECTED_BECAUSE: "the first response shows no next page, cursor or page count"}


# Where a page says where it starts, beside a count of the records after it.
_POSITION_KEYS = ("cursor", "offset", "start", "skip")


def _remaining_after(body) -> tuple[str, int, int] | None:
    """``(position path, position, remaining)`` of a page that says where it starts and how many
    records follow it, or None: Bubble's Data API, ``{"response": {"cursor": 0, "results": [...],
    "count": 100, "remaining": 23}}``, its ``cursor`` the position (an offset, sent back as
    ``cursor``). The list's total is then the position, the page and what remains."""
    if not isinstance(body, dict):
        return None
    places = [((), body), *((prefix, obj) for prefix, obj in _meta_objects(body))]
    response = body.get("response")
    if isinstance(response, dict):
        places.insert(1, (("response",), response))
    for prefix, obj in places:
        remaining = obj.get("remaining")
        if not _strict_int(remaining) or remaining < 0:
            continue
        for key in _POSITION_KEYS:
            position = obj.get(key)
            if _strict_int(position) and position >= 0:
                return format_path((*prefix, key)), position, remaining
    return None


def _remaining_total(body) -> int | None:
    """The total a page that counts the records after it announces (:func:`_remaining_after`): its
    position, its own count and what remains; None without those."""
    found = _remaining_after(body)
    if found is None:
        return None
    position_path, position, remaining = found
    holder = get_path(body, path_parts(position_path)[:-1]) if "." in position_path else body
    count = holder.get("count") if isinstance(holder, dict) else None
    if not _strict_int(count):
        lone = records_beside_paging(holder) if isinstance(holder, dict) else None
        lists = (
            [value for value in holder.values() if isinstance(value, list)]
            if isinstance(holder, dict)
            else []
        )
        if lone is None and len(lists) != 1:
            return None
        count = len(holder[lone]) if lone is not None else len(lists[0])
    return position + count + remaining


def _entity_count_and_offset(body) -> tuple[str, str] | None:
    """``(count key, offset key)`` of a body that names its total and its offset after the entity
    listed (MusicBrainz's browse requests: ``{"release-count": 23, "release-offset": 0, "releases":
    [...]}``, paged by ``offset``), or None."""
    if not isinstance(body, dict):
        return None
    for key, value in body.items():
        if not (isinstance(key, str) and key.endswith("-offset") and _strict_int(value)):
            continue
        count_key = key[: -len("-offset")] + "-count"
        if _strict_int(body.get(count_key)):
            return count_key, key
    return None


def _ckan_action_config(body, total: int | None, count: int, size: dict) -> dict | None:
    """The offsets of a CKAN Action API list (``package_search``: ``{"help": ".../api/3/action/
    help_show?name=package_search", "success": true, "result": {"count", "results"}}``), or None for
    any other answer: ``start`` and ``rows`` (https://docs.ckan.org/en/latest/api/, package_search);
    CKAN ignores ``offset`` and ``limit``, so the generic guess would ask for the first page again."""
    if not (
        isinstance(body, dict)
        and isinstance(body.get("help"), str)
        and "/api/3/action/help_show" in body["help"]
        and body.get("success") is True
        and total is not None
        and total > count
    ):
        return None
    because = "the body is a CKAN Action API answer whose result counts more records than it holds"
    return _named_offsets_config("start", "rows", size, because)


def _named_offsets_config(offset_param: str, limit_param: str, size: dict, because: str) -> dict:
    """Offsets an API takes under names of its own, auto's page size sent as their limit."""
    config = {
        "type": "offset",
        "offset_param": offset_param,
        "limit_param": limit_param,
        DETECTED_BECAUSE: f"{because}, paged by {offset_param!r} and {limit_param!r}",
    }
    if "page_size" in size:
        config["limit"] = size["page_size"]
    return config


def _search_hits_config(body, size: dict) -> dict | None:
    """The offsets of an Elasticsearch / OpenSearch ``_search`` answer (``{"took", "_shards", "hits":
    {"total", "hits": [...]}}``), or None for any other answer: ``from`` and ``size``, as URL parameters
    or in a POSTed body (https://www.elastic.co/guide/en/elasticsearch/reference/current/paginate-search-
    results.html). Its ``hits.total`` may be a lower bound (``"relation": "gte"``, see
    :func:`find_total_bound`), and ``from + size`` past ``index.max_result_window`` (10,000) is
    refused: deeper lists need ``search_after``."""
    hits = body.get("hits") if isinstance(body, dict) else None
    if not (
        isinstance(hits, dict)
        and isinstance(hits.get("hits"), list)
        and isinstance(body.get("_shards"), dict)
    ):
        return None
    because = "the body is an Elasticsearch / OpenSearch search answer (hits.hits beside _shards)"
    return _named_offsets_config("from", "size", size, because)


# Typeform's largest page of responses (its default is 25).
TYPEFORM_MAX_PAGE_SIZE = 1000


def _typeform_responses_config(page: FetchedPage, size: dict) -> dict | None:
    """The cursor of Typeform's Responses API, or None for any other answer.

    Its ``{"total_items", "page_count", "items": [...]}`` reads like page numbers, but the API takes
    no page parameter (``?page=2`` is the newest responses again): it pages with ``before``, the
    ``token`` of the last (oldest) response received, and ``page_size`` up to 1000
    (https://www.typeform.com/developers/responses/reference/retrieve-responses/). Recognised by
    that shape with records that carry a string ``token``.
    """
    body = page.body
    if not (
        isinstance(body, dict)
        and isinstance(body.get("items"), list)
        and {"total_items", "page_count"} <= set(body)
        and isinstance(page.last_record, dict)
        and isinstance(page.last_record.get("token"), str)
    ):
        return None
    if "size_param" not in size:
        size = {"size_param": "page_size", "page_size": size.get("page_size", TYPEFORM_MAX_PAGE_SIZE)}
    return {
        "type": "cursor",
        "cursor_from": "last_record",
        "cursor_field": "token",
        "cursor_param": "before",
        **size,
        DETECTED_BECAUSE: (
            "the body has Typeform's items, total_items and page_count, and the responses carry a "
            "'token': the last response's token is sent as 'before' (Typeform takes no page number)"
        ),
    }


def _cursor_pairs_config(page: FetchedPage, size: dict) -> dict | None:
    """The cursor of a list whose every item pairs a resource with its cursor, or None.

    Render's API answers ``[{"cursor": "cfQ74cE2sDI=", "service": {...}}, ...]`` and takes the last
    item's cursor back as ``cursor`` for the items after it; its answers carry no total, link or flag,
    so read as a single page a list of more than its default 20 would end ``SUCCESS`` with the first 20
    (https://api-docs.render.com/reference/pagination). Recognised by that shape: a JSON list of objects
    of two keys each, a string ``cursor`` and one object.
    """
    body = page.body
    if not isinstance(body, list) or not body:
        return None
    for item in body:
        if not isinstance(item, dict) or len(item) != 2 or not isinstance(item.get("cursor"), str):
            return None
        if not item["cursor"] or not any(
            isinstance(value, dict) for key, value in item.items() if key != "cursor"
        ):
            return None
    return {
        "type": "cursor",
        "cursor_from": "last_record",
        "cursor_field": "cursor",
        "cursor_param": "cursor",
        **size,
        DETECTED_BECAUSE: (
            "the body is a list of items that each pair an object with its 'cursor': the last item's "
            "cursor is sent as 'cursor' (Render-style)"
        ),
    }


def _uuid_after_config(page: FetchedPage, size: dict) -> dict | None:
    """Gusto's cursor pagination, or None for any other answer: a JSON list of records with a ``uuid``,
    its ``X-Has-Next-Page`` response header ``true`` or ``false``, the next page asked for with the last
    record's uuid as ``starting_after_uuid``
    (https://docs.gusto.com/app-integrations/docs/pagination, "Cursor based pagination")."""
    flag = page.headers.get("x-has-next-page") if page.headers is not None else None
    if not (
        isinstance(page.body, list)
        and isinstance(flag, str)
        and flag.strip().lower() in ("true", "false")
        and isinstance(page.last_record, dict)
        and isinstance(page.last_record.get("uuid"), str)
    ):
        return None
    return {
        "type": "cursor",
        "cursor_from": "last_record",
        "cursor_field": "uuid",
        "cursor_param": "starting_after_uuid",
        **size,
        DETECTED_BECAUSE: (
            "the response has an X-Has-Next-Page header and the records have a 'uuid': the last record's "
            "uuid is sent as 'starting_after_uuid' (Gusto-style)"
        ),
    }


def graphql_cursor_config(body, request_body: dict | None, size: dict) -> dict | None:
    """The cursor pagination of a GraphQL connection (Relay's ``pageInfo {endCursor hasNextPage}``),
    or None when ``body`` holds none. The cursor goes back as the query's own variable: the one it
    passes as the connection's ``after`` argument (``issues(first: 50, after: $cursor)`` ->
    ``variables.cursor``). A query that takes no such variable cannot be paginated: that is a clear
    error when the connection has a next page, never a silent first page. Nor is an answer holding
    several paged lists (two boards, aliased connections): which one to follow cannot be detected,
    and following one would leave the others unread."""
    several = several_paged_lists(body)
    if several is not None:
        raise PaginationError(f"{several} Or set the pagination explicitly.")
    connection = graphql_connection(body)
    page_info = get_path(body, (*connection, "pageInfo")) if connection is not None else None
    if not isinstance(page_info, dict) or not ({"endCursor", "hasNextPage"} & set(page_info)):
        return _items_page_cursor_config(body, request_body, size)
    base = format_path(connection)
    variable = graphql_after_variable(request_body, connection[-1])
    if variable is None:
        if page_info.get("hasNextPage") is not True:
            return {"type": "none", DETECTED_BECAUSE: f"the GraphQL connection at {base!r} has no next page"}
        raise PaginationError(
            f"The GraphQL connection at {base!r} has a next page, but the query passes no variable as its "
            "'after' argument, so the next page cannot be asked for. Declare one and use it (e.g. "
            "query($cursor: String) { ... issues(first: 100, after: $cursor) { nodes { ... } pageInfo { "
            'endCursor hasNextPage } } }) and POST the query as request_body {"query": ..., '
            '"variables": {...}}.'
        )
    param = f"variables.{variable}"
    return {
        "type": "cursor",
        "cursor_path": f"{base}.pageInfo.endCursor",
        "cursor_param": param,
        "has_more_path": f"{base}.pageInfo.hasNextPage",
        **size,
        DETECTED_BECAUSE: (
            f"the body has a GraphQL connection at {base!r}: its pageInfo.endCursor is sent as the query's "
            f"${variable} ({param!r}) while pageInfo.hasNextPage is true"
        ),
    }


def _items_page_cursor_config(body, request_body: dict | None, size: dict) -> dict | None:
    """The cursor pagination of a monday.com items page (``items_page { cursor items }``), or None
    when ``body`` holds none. Its ``cursor`` goes back as the variable the query passes as the
    field's own ``cursor`` argument (``items_page(limit: 500, cursor: $cursor)``), until it is null.
    A query that passes none (the docs' first query, which a second query, ``next_items_page``,
    continues) fails with that advice when a next page exists: sending it again would repeat page 1."""
    items_page = graphql_items_page(body)
    if items_page is None:
        return None
    base = format_path(items_page)
    if get_path(body, (*items_page, "cursor")) is None:
        return {
            "type": "none",
            DETECTED_BECAUSE: f"the items page at {base!r} has no cursor: no item is left",
        }
    variable = graphql_argument_variable(request_body, items_page[-1], "cursor")
    if variable is None:
        raise PaginationError(
            f"The items page at {base!r} has a next page (its cursor is set), but the query passes no "
            "variable as its 'cursor' argument, so the next page cannot be asked for. Declare one and "
            "use it (e.g. query($cursor: String) { boards(ids: [<board id>]) { items_page(limit: 500, "
            'cursor: $cursor) { cursor items { id name } } } }) and POST it as request_body {"query": '
            '..., "variables": {}}.'
        )
    param = f"variables.{variable}"
    return {
        "type": "cursor",
        "cursor_path": f"{base}.cursor",
        "cursor_param": param,
        **size,
        DETECTED_BECAUSE: (
            f"the body has a monday.com items page at {base!r}: its cursor is sent as the query's "
            f"${variable} ({param!r}) until it is null"
        ),
    }


def graphql_after_variable(request_body, field: str) -> str | None:
    """The variable a GraphQL query in ``request_body`` passes as ``field``'s ``after`` argument
    (``field`` may be an alias: ``open: issues(after: $cursor)``), else the query's only ``after``
    variable; None when there is none (or no query)."""
    return graphql_argument_variable(request_body, field, "after")


def graphql_argument_variable(request_body, field: str, argument: str) -> str | None:
    """The variable a GraphQL query in ``request_body`` passes as ``field``'s ``argument``, else
    the query's only variable passed as such an argument; None when there is none (or no query)."""
    query = request_body.get("query") if isinstance(request_body, dict) else None
    if not isinstance(query, str):
        return None
    passed = re.compile(rf"\b{re.escape(argument)}\s*:\s*\$(\w+)")
    match = re.search(rf"\b{re.escape(field)}\s*(?::\s*\w+\s*)?\(([^)]*)\)", query)
    if match is not None:
        inner = passed.search(match.group(1))
        if inner is not None:
            return inner.group(1)
    variables = set(passed.findall(query))
    return variables.pop() if len(variables) == 1 else None


def _mongoose_paginate_config(body, request_body, size: dict) -> dict | None:
    """A page of mongoose-paginate-v2, behind many Node.js APIs (``{"docs": [...], "totalDocs",
    "limit", "page", "totalPages", "hasNextPage", "nextPage", ...}``): asked for by ``page`` (its
    ``nextPage`` is a page number, no cursor), or by ``options.page`` in a POSTed body that carries
    its ``options`` object (the SpaceX API's ``{"query", "options"}``), the size as ``limit`` beside
    it; None for any other answer."""
    if not (
        isinstance(body, dict)
        and isinstance(body.get("docs"), list)
        and _strict_int(body.get("totalDocs"))
        and _strict_int(body.get("page"))
        and "hasNextPage" in body
    ):
        return None
    in_options = isinstance(request_body, dict) and isinstance(request_body.get("options"), dict)
    prefix = "options." if in_options else ""
    config = {
        "type": "page",
        "page_param": f"{prefix}page",
        "total_pages_path": "totalPages",
        DETECTED_BECAUSE: f"the body is a mongoose-paginate page (docs, totalDocs, page, hasNextPage), "
        f"asked for as {prefix + 'page'!r}",
    }
    if "page_size" in size:
        config.update(page_size=size["page_size"], size_param=size.get("size_param", f"{prefix}limit"))
    return config


def _sonarqube_paging_config(body, size: dict) -> dict | None:
    """SonarQube's (and SonarCloud's) Web API search answers: ``{"paging": {"pageIndex", "pageSize",
    "total"}, ...}``, asked for by ``p`` (from 1) and ``ps``
    (https://docs.sonarsource.com/sonarqube-server/latest/extension-guide/web-api/); None for any other
    answer. Sent as ``page`` or an offset, both are ignored: page 1 again."""
    paging = body.get("paging") if isinstance(body, dict) else None
    if not (
        isinstance(paging, dict)
        and all(_strict_int(paging.get(key)) for key in ("pageIndex", "pageSize", "total"))
    ):
        return None
    config = {
        "type": "page",
        "page_param": "p",
        "start_page": paging["pageIndex"],
        "total_path": "paging.total",
        DETECTED_BECAUSE: "the body's paging {pageIndex, pageSize, total} is SonarQube's, asked for as 'p'",
    }
    if "page_size" in size:
        config.update(page_size=size["page_size"], size_param=size.get("size_param", "ps"))
    return config


def _arcgis_query_config(body, size: dict) -> dict | None:
    """An ArcGIS REST feature query's answer that holds fewer features than match (``{"objectIdFieldName",
    "geometryType", "fields", "features": [...], "exceededTransferLimit": true}``): paged by
    ``resultOffset`` (and ``resultRecordCount`` for a page size) until the flag is gone
    (https://developers.arcgis.com/rest/services-reference/enterprise/query-feature-service-layer/);
    None for any other answer. A layer that cannot page answers ``resultOffset`` with an error, which
    fails the run."""
    if not (
        isinstance(body, dict)
        and body.get("exceededTransferLimit") is True
        and isinstance(body.get("features"), list)
        and any(key in body for key in ("objectIdFieldName", "geometryType", "fields"))
    ):
        return None
    config = _offset_config(
        "resultOffset",
        {**size, "size_param": size.get("size_param", "resultRecordCount")},
        "the body is an ArcGIS feature query's whose exceededTransferLimit is true: paged by "
        "'resultOffset' while it is",
    )
    return {**config, "has_more_path": "exceededTransferLimit"}


def _offset_config(param: str, size: dict, because: str) -> dict:
    config = {"type": "offset", "offset_param": param, DETECTED_BECAUSE: because}
    if "page_size" in size:  # auto's page size is sent as the limit
        config["limit"] = size["page_size"]
        config["limit_param"] = size.get("size_param", "limit")
    return config


def _hit_identity(hit) -> str:
    """What tells a search hit from another: its index and id, else its whole JSON (a hash)."""
    if isinstance(hit, dict) and isinstance(hit.get("_id"), str):
        return json.dumps([hit.get("_index"), hit["_id"]])
    text = json.dumps(hit, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def _short(token: str) -> str:
    return token if len(token) <= 40 else token[:37] + "..."
