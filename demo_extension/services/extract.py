"""Reading records out of an upstream response: JSON parsing, ``records_path`` and envelope detection.

A response that is not what a sync expects (HTML with status 200, truncated JSON, a string where a
list should be) becomes a :class:`ResponseFormatError` whose message names what came back: the
content type, the size and the first characters, sanitized.
"""

import json
import re
from decimal import Decimal
from functools import partial
from math import isfinite

import orjson

from core.json_limits import JSONTooDeep, loads_bounded
from core.redaction import redacted_excerpt, safe_url
from sync_engine.errors import SyncProblem
from sync_engine.paths import format_path, get_path, has_path, path_parts, validate_path
from sync_engine.schema import json_type_name

__all__ = [
    "ENVELOPE_KEYS",
    "ERROR_DETECTION_KEYS",
    "ResponseFormatError",
    "UpstreamReportedError",
    "check_upstream_error",
    "describe_response",
    "detect_records_path",
    "extract_records",
    "get_path",
    "graphql_connection",
    "graphql_items_page",
    "graphql_paged_lists",
    "mediawiki_continuation",
    "meta_then_records",
    "partial_errors",
    "PageNumbers",
    "describe_rounded",
    "parse_json_body",
    "parse_json_document",
    "path_parts",
    "more_than_it_holds",
    "refuse_one_object_that_pages",
    "refuse_several_paged_lists",
    "says_nothing_more",
    "several_paged_lists",
    "records_beside_other_lists",
    "refuse_records_beside_other_lists",
    "validate_error_detection",
]

# Envelope keys that usually hold the record list, in order of preference.
ENVELOPE_KEYS = (
    "data",
    "items",
    "results",
    "records",
    "rows",
    "entries",
    "objects",
    "elements",
    "value",
    "values",
    "hits",
    "list",
    "content",
    "result",
    "response",
    # OData v2 (SAP Gateway, SuccessFactors): {"d": {"results": [...], "__next", "__count"}}
    "d",
    # QuickBooks Online's query: {"QueryResponse": {"Customer": [...], "startPosition", "maxResults"},
    # "time"}; a query that matches nothing answers {"QueryResponse": {}, "time"}
    "QueryResponse",
    # Amazon Selling Partner API: {"payload": {"Orders": [...], "NextToken"}}
    "payload",
    # GeoJSON FeatureCollection and ArcGIS REST query answers: {"features": [...], ...} beside the
    # layer's "fields" (a list of objects too, never the records)
    "features",
    # MediaWiki's Action API: {"continue": {...}, "query": {"allpages": [...]}}, the list named after
    # its module (read when the body has paging metadata, its continue object)
    "query",
)
_ENVELOPE_KEYS_LOWER = frozenset(key.lower() for key in ENVELOPE_KEYS)
# Objects whose envelope key (one level down) holds the records: the envelope keys, and Crossref's
# "message" ({"status": "ok", "message-type": "work-list", "message": {"items": [...], "total-results"}}),
# never a list of records itself (an error's messages are).
_ENVELOPE_OBJECTS = (*ENVELOPE_KEYS, "message")
_SNIPPET_CHARS = 60
# Lists of objects that are reports about the response, never its records (Mailchimp's ``_links``:
# hypermedia links beside every collection).
_NOT_RECORDS = frozenset({"errors", "warnings", "_links", "links", "link"})
# Keys of list pages' metadata. A body with one list of objects and only such keys besides it (and
# plain values) is an envelope, however many keys it has (Twilio's nine: ``messages`` beside
# ``next_page_uri``, ``page``, ``page_size``, ``start``, ``end``, ...).
_PAGING_KEYS = frozenset(
    {
        "next_page_uri",
        "next_page_url",
        "next_page",
        "next_page_token",
        "next_cursor",
        "page",
        "page_size",
        "per_page",
        "page_count",
        "total",
        "total_count",
        "total_items",
        "total_records",
        "has_more",
        "offset",
        "limit",
        "start",
        "startPosition",  # QuickBooks Online: QueryResponse {startPosition, maxResults, totalCount}
        "after",  # Reddit's Listing: data {after, before, dist, children}
        "before",
        "maxResults",
        "totalCount",
    }
)
# Keys that name the next page beside a list of records in an envelope's object, a cursor or an id
# (null on the last page).
_NEXT_PAGE_BESIDE = frozenset(
    {"next_page_offset", "next_cursor", "nextCursor", "next_page_token", "nextPageToken"}
)
# What an envelope carries besides its records: an envelope key that is null beside only these is an
# empty page (Pipedrive answers an empty list with ``"data": null``), not a record.
_ENVELOPE_COMPANIONS = frozenset(
    {"success", "ok", "additional_data", "meta", "pagination", "paging", "links", "_links", "related_objects"}
)
_CONTROL_CHARS = re.compile(r"[\x00-\x1f\x7f-\x9f]+")
# Every digit and decimal point as "0": a run of 17 zeros marks a number that may not be what a
# 64-bit float holds (16 significant digits and a point, or an integer of 17 digits or more). Such a
# page is read by the standard parser, which keeps integers beyond 64 bits exact (orjson turns them
# into floats) and tells each decimal that a float would round (see PageNumbers). Anything shorter
# is a float exactly as written (15 significant digits always are) or an integer orjson reads exactly.
_DIGITS_AS_ZEROS = bytes.maketrans(b"0123456789.", b"0" * 11)
_LONG_DIGIT_RUN = b"0" * 17
_ONLY_DIGITS_AS_ZEROS = bytes.maketrans(b"0123456789", b"0" * 10)
_HUGE_INTEGER_RUN = b"0" * 20
# Upstream pages: orjson's own nesting limit, which the standard parser's path enforces too (its
# RecursionError is a clear error). Deeper records than orjson can write are stored through the
# standard encoder, or quarantined when even that cannot (upsert.UnstorableRecord).
UPSTREAM_MAX_DEPTH = 1024


class ResponseFormatError(SyncProblem, ValueError):
    """The upstream answered, but not with records this sync can read."""


def _snippet(content: bytes) -> str:
    head = content[: _SNIPPET_CHARS * 4]
    text = _CONTROL_CHARS.sub(" ", " ".join(head.decode("utf-8", errors="replace").split()))
    return redacted_excerpt(text, _SNIPPET_CHARS, truncated=len(head) < len(content))


def describe_response(response) -> str:
    """``text/html, 1,234 bytes, starting '<!DOCTYPE html><html>…'`` (safe to show to a tenant)."""
    content_type = response.headers.get("content-type") or "no content type"
    content_type = _CONTROL_CHARS.sub("", content_type.split(";")[0].strip())[:80] or "no content type"
    size = len(response.content)
    if not size:
        return f"{content_type}, empty body"
    return f"{content_type}, {size:,} bytes, starting {_snippet(response.content)!r}"


def parse_json_body(response):
    """The decoded JSON body of ``response``; a clear :class:`ResponseFormatError` otherwise."""
    return parse_json_document(response)[0]


class PageNumbers:
    """What the standard parser saw in one page's numbers.

    ``count``: the decimals a 64-bit float cannot hold as written
    (``0.1000000000000000055511151231257827`` is read as ``0.1``, ``12345678901234567.89`` as
    ``1.2345678901234568e16``). Records hold JSON numbers as floats, so these are stored rounded: the
    run and the preview say so, naming the fields, instead of storing a nearby number quietly.
    ``plain``: the page holds no ``NaN`` or ``Infinity`` (written or overflowing, ``1e400``), which
    orjson would write as ``null`` (integers beyond 64 bits are found by :func:`_loads_document`).
    """

    EXAMPLES = 3

    def __init__(self):
        self.count = 0
        self.plain = True
        self._texts: dict[int, tuple[float, str]] = {}  # id of the float read -> (float, its text)

    def parse_float(self, text: str) -> float:
        value = float(text)
        # 15 significant digits always survive a float, and fewer than 17 characters hold no more
        # (integers are not floats); inf - inf is NaN: an overflow (1e400). A float written with
        # 17 digits (C's %.17g, PHP before 7.1: 0.1 as 0.10000000000000001) is that float exactly.
        if len(text) > 16:
            exact = Decimal(text)
            if exact != Decimal(repr(value)) and exact != Decimal(f"{value:.17g}") and isfinite(value):
                self.count += 1
                self._texts[id(value)] = (value, text)
        if value - value != 0.0:
            self.plain = False
        return value

    def parse_constant(self, text: str) -> float:
        self.plain = False
        return float(text)  # NaN, Infinity, -Infinity, as the standard parser reads them

    def examples(self, records: list) -> list[tuple[str, str, float]]:
        """Up to :attr:`EXAMPLES` ``(field, text, value)`` of the rounded numbers in ``records``, one a
        field (``lines[].amount`` for a list's items)."""
        found: dict[str, tuple[str, str, float]] = {}
        if not self.count:
            return []
        stack: list[tuple[object, str]] = [(record, "") for record in reversed(records)]
        while stack and len(found) < self.EXAMPLES:
            value, path = stack.pop()
            if type(value) is float:
                seen = self._texts.get(id(value))
                if seen is not None and seen[0] is value and path not in found:
                    found[path] = (path, seen[1], value)
            elif type(value) is dict:
                prefix = f"{path}." if path else ""
                stack.extend((item, prefix + str(key)) for key, item in reversed(list(value.items())))
            elif type(value) is list:
                stack.extend((item, f"{path}[]") for item in reversed(value))
        return list(found.values())


def describe_rounded(count: int, examples: list[tuple[str, str, float]]) -> str:
    """``2 number(s) had more significant digits … (amount: 0.10000000000000000555 stored as 0.1)…``."""
    shown = "; ".join(
        f"{field or 'the record'}: {text} stored as {value!r}" for field, text, value in examples
    )
    return (
        f"{count} number(s) had more significant digits than a 64-bit float holds and are stored "
        f"rounded ({shown}). To keep them exact, ask the API for these fields as strings."
    )


#: The line a JSON answer may start with against cross-site script inclusion, to be stripped before the
#: JSON (Gerrit: https://gerrit-review.googlesource.com/Documentation/rest-api.html#output; Gitiles).
XSSI_PREFIX = b")]}'"


def parse_json_document(response, numbers: PageNumbers | None = None) -> tuple[object, bool]:
    """``(body, plain)``: the decoded JSON body of ``response``, and whether it is plain JSON (no
    ``NaN`` or ``Infinity``, every integer within 64 bits, so orjson writes every value of it back
    exactly; see :class:`PageNumbers`, which also counts the decimals a float rounds). A body that
    starts with :data:`XSSI_PREFIX` is read without it. A clear :class:`ResponseFormatError` when it is
    not JSON."""
    content = response.content
    where = safe_url(response.url)
    if not content.strip():
        raise ResponseFormatError(
            f"Expected JSON from {where} but the response was empty ({describe_response(response)})."
        )
    try:
        return _loads_document(content, numbers)
    except (ValueError, UnicodeDecodeError) as exc:
        if content.startswith(XSSI_PREFIX):
            try:
                return _loads_document(content[len(XSSI_PREFIX) :], numbers)
            except (ValueError, UnicodeDecodeError):
                pass  # the whole body's error is the one reported
        head = content.lstrip()[:1]
        content_type = (response.headers.get("content-type") or "").lower()
        lines = _json_lines(content, numbers) if head == b"{" else None
        if isinstance(lines, tuple):
            return lines
        if head == b"<" or "html" in content_type or "xml" in content_type:
            what = "an HTML or XML page"
        elif lines is not None:
            what = lines
        elif head in (b"{", b"["):
            what = f"invalid or truncated JSON ({_json_problem(exc)})"
        else:
            what = "a response that is not JSON"
        raise ResponseFormatError(
            f"Expected JSON from {where} but got {what}: {describe_response(response)}."
        ) from None


def _json_lines(content: bytes, numbers: PageNumbers | None) -> tuple[list, bool] | str | None:
    """``(records, plain)`` of a JSON Lines body (one JSON object a line, NDJSON: Mixpanel's raw event
    export), read only after the body failed as one JSON document; a description of the line that is
    no JSON object when the first line is one; None when it is no JSON Lines at all (a single line, or
    a first line that is not a JSON object: a pretty-printed document cut short)."""
    records: list = []
    plain = True
    number = 0
    for number, line in enumerate(content.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            value, line_plain = _loads_document(line, numbers)
        except (ValueError, UnicodeDecodeError) as exc:
            value, line_plain, problem = None, False, _json_problem(exc)
        else:
            problem = f"a JSON {json_type_name(value)}"
        if type(value) is not dict:
            if not records:
                return None
            return f"JSON Lines (one JSON object a line) whose line {number} is not a JSON object ({problem})"
        records.append(value)
        plain = plain and line_plain
    return (records, plain) if len(records) > 1 else None


def _loads_document(content: bytes, numbers: PageNumbers | None = None) -> tuple[object, bool]:
    """``(json.loads(content), plain)``, through orjson when it gives the same objects.

    The standard parser decides every body orjson refuses (``NaN`` and ``Infinity``, unpaired
    surrogate escapes, UTF-16 bodies, invalid JSON: its errors are the ones reported) or may read
    differently (integers beyond 64 bits, which orjson turns into floats), and every body with a
    long run of digits. It reads the numbers through ``numbers``, which counts the decimals a float
    rounds (a body without such a run has none) and says whether the page is plain; without
    ``numbers`` such a page is not.
    """
    if type(content) is bytes and _LONG_DIGIT_RUN not in content.translate(_DIGITS_AS_ZEROS):
        try:
            # orjson refuses documents nested deeper than UPSTREAM_MAX_DEPTH itself (no walk needed)
            return orjson.loads(content), True
        except orjson.JSONDecodeError:
            pass  # the standard parser decides, and reports the error
    if numbers is None:
        return loads_bounded(content, limit=UPSTREAM_MAX_DEPTH), False
    loads = partial(json.loads, parse_float=numbers.parse_float, parse_constant=numbers.parse_constant)
    value = loads_bounded(content, loads=loads, limit=UPSTREAM_MAX_DEPTH)
    # An integer beyond 64 bits has 20 digits (or is a negative one of 19, which orjson refuses to
    # write, as every writer of a plain page expects); digits in strings count too: not plain, fine.
    if type(content) is not bytes or _HUGE_INTEGER_RUN in content.translate(_ONLY_DIGITS_AS_ZEROS):
        return value, False
    return value, numbers.plain


def _json_problem(exc: Exception) -> str:
    if isinstance(exc, JSONTooDeep):
        return str(exc)
    if isinstance(exc, json.JSONDecodeError):
        return f"{exc.msg} at character {exc.pos}"
    return type(exc).__name__


# How deep under ``data`` a GraphQL connection is looked for (``data.organization.team.members``).
_GRAPHQL_DEPTH = 6


def graphql_connection(body) -> tuple[str, ...] | None:
    """The path of the GraphQL connection a body answers (``("data", "repository", "issues")``), or
    None: the first object under ``data`` (in document order, objects only) with a ``pageInfo``
    object beside a ``nodes`` or ``edges`` list (Relay's cursor connections: GitHub, Shopify,
    Linear, GitLab), else the first with a ``nodes`` list and no ``pageInfo``."""
    data = body.get("data") if isinstance(body, dict) else None
    if not isinstance(data, dict):
        return None
    without_page_info = None
    level = [(("data",), data)]
    for _ in range(_GRAPHQL_DEPTH):
        following = []
        for parts, obj in level:
            if isinstance(obj.get("nodes"), list) or isinstance(obj.get("edges"), list):
                if isinstance(obj.get("pageInfo"), dict):
                    return parts
                if without_page_info is None and isinstance(obj.get("nodes"), list):
                    without_page_info = parts
            following += [((*parts, key), value) for key, value in obj.items() if isinstance(value, dict)]
        level = following
    return without_page_info


def graphql_items_page(body) -> tuple[str, ...] | None:
    """The path of a monday.com items page a GraphQL body answers (``("data", "boards", "0",
    "items_page")``), or None: the first object under ``data`` with an ``items`` list beside a
    ``cursor`` that is a string, or null on the last page (``boards(ids: 1) { items_page(limit: 500,
    cursor: $cursor) { cursor items { ... } } }``, or the root ``next_items_page``:
    https://developer.monday.com/api-reference/docs/querying-board-items). A list of one object
    (the one board a query names) is looked into; a list of several is no single items page."""
    data = body.get("data") if isinstance(body, dict) else None
    if not isinstance(data, dict):
        return None
    level: list[tuple[tuple[str, ...], dict]] = [(("data",), data)]
    for _ in range(_GRAPHQL_DEPTH):
        following = []
        for parts, obj in level:
            cursor = obj.get("cursor", False)
            if isinstance(obj.get("items"), list) and (cursor is None or isinstance(cursor, str)):
                return parts
            for key, value in obj.items():
                if isinstance(value, dict):
                    following.append(((*parts, key), value))
                elif isinstance(value, list) and len(value) == 1 and isinstance(value[0], dict):
                    following.append(((*parts, key, "0"), value[0]))  # the one board a query names
        level = following
    return None


# How many paged lists :func:`graphql_paged_lists` reports, and how many objects of a list it looks into.
_PAGED_LISTS_SHOWN = 5
_LIST_OBJECTS_LOOKED_INTO = 50


def graphql_paged_lists(body) -> list[str]:
    """The paths of the paged lists a GraphQL body answers: Relay connections (a ``nodes`` or
    ``edges`` list beside a ``pageInfo`` object) and monday.com items pages (an ``items`` list beside
    a ``cursor`` string, or null on the last page), looked for under ``data`` in objects and in lists
    of objects (``boards`` of several ids, aliased fields), never inside a connection's records.

    A connector syncs one paged list: a query answering several (two boards, two aliased
    repositories) would have its first one taken on auto and the others left unread."""
    data = body.get("data") if isinstance(body, dict) else None
    if not isinstance(data, dict):
        return []
    found: list[str] = []
    level: list[tuple[tuple[str, ...], dict]] = [(("data",), data)]
    for _ in range(_GRAPHQL_DEPTH):
        following = []
        for parts, obj in level:
            relay = isinstance(obj.get("pageInfo"), dict) and (
                isinstance(obj.get("nodes"), list) or isinstance(obj.get("edges"), list)
            )
            cursor = obj.get("cursor", False)
            if relay or (isinstance(obj.get("items"), list) and (cursor is None or isinstance(cursor, str))):
                found.append(format_path(parts))
                continue
            for key, value in obj.items():
                if not isinstance(key, str):
                    continue
                if isinstance(value, dict):
                    following.append(((*parts, key), value))
                elif isinstance(value, list) and key not in ("nodes", "edges"):
                    following += [
                        ((*parts, key, str(index)), item)
                        for index, item in enumerate(value[:_LIST_OBJECTS_LOOKED_INTO])
                        if isinstance(item, dict)
                    ]
        level = following
    return found


def several_paged_lists(body, url: str = "") -> str | None:
    """Why a GraphQL answer holding several paged lists cannot be detected (see
    :func:`graphql_paged_lists`), or None when it holds one or none."""
    found = graphql_paged_lists(body)
    if len(found) < 2:
        return None
    shown = ", ".join(found[:_PAGED_LISTS_SHOWN]) + (", ..." if len(found) > _PAGED_LISTS_SHOWN else "")
    where = f" from {safe_url(url)}" if url else ""
    return (
        f"The response{where} holds {len(found)} paged lists ({shown}), and a connector syncs one: "
        "detecting one would leave the others unread. Query one list per connector (for monday.com, "
        "one board: boards(ids: [<id>]))."
    )


def refuse_several_paged_lists(body, url: str = "") -> None:
    """Raise :class:`ResponseFormatError` for a GraphQL answer holding several paged lists, when
    the records path is to be detected (the first would be synced and the others left unread)."""
    problem = several_paged_lists(body, url)
    if problem is not None:
        raise ResponseFormatError(f"{problem} Or set records_path and the pagination explicitly.")


def records_beside_other_lists(body, path: str, url: str = "") -> str | None:
    """Why a detected records path cannot be trusted, or None: ``path`` is a lone list of objects at
    the top level (the last guess of :func:`detect_records_path`, no envelope key) while an object
    beside it holds lists of objects too. Discourse answers ``{"users": [...], "topic_list":
    {"topics": [...], "more_topics_url"}}``: the users are side-loaded for the topics, and syncing
    them stored 2 records of 45 with SUCCESS."""
    if not isinstance(body, dict) or not path or "." in path or path in ENVELOPE_KEYS:
        return None
    if not isinstance(body.get(path), list):
        return None
    others = [
        format_path((key, inner_key))
        for key, value in body.items()
        if key != path and isinstance(value, dict) and key not in _PAGING_PLACES and key not in _NOT_RECORDS
        for inner_key, inner in value.items()
        if isinstance(inner, list) and inner and all(isinstance(item, dict) for item in inner[:5])
    ]
    if not others:
        return None
    shown = ", ".join(others[:_PAGED_LISTS_SHOWN]) + (", ..." if len(others) > _PAGED_LISTS_SHOWN else "")
    where = f" from {safe_url(url)}" if url else ""
    return (
        f"The response{where} holds a list of objects at {path!r} and more inside the objects beside it "
        f"({shown}), so which list holds the records cannot be detected: one may be sent along with the "
        f"other (Discourse's users beside topic_list.topics). Set records_path to the list to sync "
        f"(e.g. {others[0]!r}) and the pagination explicitly."
    )


def refuse_records_beside_other_lists(body, path: str, url: str = "") -> None:
    """Raise :class:`ResponseFormatError` when the detected ``path`` cannot be trusted (see
    :func:`records_beside_other_lists`)."""
    problem = records_beside_other_lists(body, path, url)
    if problem is not None:
        raise ResponseFormatError(problem)


# Answers whose records list is left out when it is empty, by their ``kind``, with its key: Google's
# APIs served from protocol buffers write no empty list (proto3's JSON mapping); the Analytics Data
# API answers a report without rows (or a page past its last row) with its headers and metadata alone.
_LIST_OMITTED_WHEN_EMPTY = {
    "analyticsData#runReport": "rows",
    "analyticsData#runPivotReport": "rows",
    "analyticsData#runRealtimeReport": "rows",
}


def omits_its_empty_list(body) -> str | None:
    """The records key ``body`` leaves out when it has no records (see ``_LIST_OMITTED_WHEN_EMPTY``),
    or None."""
    kind = body.get("kind") if isinstance(body, dict) else None
    return _LIST_OMITTED_WHEN_EMPTY.get(kind) if isinstance(kind, str) else None


def detect_records_path(body) -> str:
    """The records path of a response when the connector did not set one.

    ``""`` when the body is the list (or a single object), else the first envelope key (top level,
    then one level down, e.g. ``data.items``) that holds a list; a GraphQL connection's ``nodes``
    (or ``edges``) under ``data``; a lone list of objects under any other key also counts.
    """
    if meta_then_records(body):
        return "1"
    if not isinstance(body, dict):
        return ""
    for key in ENVELOPE_KEYS:
        if isinstance(body.get(key), list):
            return key
    omitted = omits_its_empty_list(body)
    if omitted is not None:
        return omitted
    hal = _hal_collection(body)
    if hal is not None:
        return hal
    connection = graphql_connection(body)
    if connection is not None:
        inner = get_path(body, connection)
        return format_path((*connection, "nodes" if isinstance(inner.get("nodes"), list) else "edges"))
    items_page = graphql_items_page(body)
    if items_page is not None:
        return format_path((*items_page, "items"))
    for key in _ENVELOPE_OBJECTS:
        inner = body.get(key)
        if isinstance(inner, dict):
            for inner_key in ENVELOPE_KEYS:
                if isinstance(inner.get(inner_key), list):
                    return f"{key}.{inner_key}"
    graphql_list = graphql_list_field(body)
    if graphql_list is not None:
        return format_path(graphql_list)
    if len(body) == 1:
        # The body's only key wraps the records and their paging: Last.fm's {"recenttracks": {"track":
        # [...], "@attr": {"page", "perPage", "totalPages", "total"}}}
        ((key, inner),) = body.items()
        lone = records_beside_paging(inner) if isinstance(inner, dict) else None
        if lone is not None:
            return format_path((key, lone))
    nested = _records_in_nested_envelopes(body)
    if nested is not None:
        return nested
    # A list named after its resource one level down (``{"result": {"orders": [...]}, "meta":
    # {"next_cursor": ...}}``): the lone list of objects of an envelope key's object whose other
    # values are plain, when the body has paging metadata (else the object may be one record), or
    # when the object holds paging keys beside it and the body nothing else but plain values
    # (QuickBooks Online's ``{"QueryResponse": {"Customer": [...], "startPosition", "maxResults"},
    # "time"}``).
    signal = paging_signal(body) is not None
    for key in ENVELOPE_KEYS:
        inner = body.get(key)
        if isinstance(inner, dict):
            lone = _lone_list_of_objects(inner)
            if lone is not None and (
                signal
                or (_paging_metadata_beside(inner, lone) and _paging_metadata_beside(body, key, need=0))
            ):
                return f"{key}.{lone}"
            beside = list_beside_its_next_page(inner)
            if beside is not None and _paging_metadata_beside(body, key, need=0):
                return f"{key}.{beside}"
    if signal:
        # An object that holds nothing but an envelope key's list, beside the body's paging metadata:
        # Europe PMC's {"hitCount", "nextCursorMark", "resultList": {"result": [...]}}.
        for key, inner in body.items():
            if isinstance(inner, dict) and len(inner) == 1:
                ((inner_key, value),) = inner.items()
                if inner_key in ENVELOPE_KEYS and isinstance(value, list):
                    return format_path((key, inner_key))
    for key in ENVELOPE_KEYS:
        inner = body.get(key)
        if isinstance(inner, dict) and _paging_metadata_beside(body, key, need=0):
            lone = records_beside_paging(inner)
            if lone is not None:
                return f"{key}.{format_path((lone,))}"
    # Amazon's Selling Partner API wraps every operation's result in "payload", and a list operation's
    # is its one list of objects beside plain values ({"payload": {"Orders": [...], "CreatedBefore"}}):
    # on a last (or only) page, without the NextToken that is the signal above, it is still the list.
    # Only a body of nothing else: an order alone ({"payload": {...}}) holds objects beside any list.
    if set(body) == {"payload"} and isinstance(body["payload"], dict):
        lone = _lone_list_of_objects(body["payload"])
        if lone is not None:
            return f"payload.{lone}"
    # QuickBooks Online answers a query that matches nothing with an empty QueryResponse.
    if body.get("QueryResponse") == {} and _paging_metadata_beside(body, "QueryResponse", need=0):
        return "QueryResponse"
    lists_of_objects = [
        key
        for key, value in body.items()
        if isinstance(value, list)
        and value
        and key not in _NOT_RECORDS
        and all(isinstance(item, dict) for item in value[:5])
    ]
    if len(lists_of_objects) == 1 and (len(body) <= 8 or _paging_metadata_beside(body, lists_of_objects[0])):
        return lists_of_objects[0]
    nulls = [key for key in ENVELOPE_KEYS if key in body and body[key] is None]
    if nulls and set(body) - {nulls[0]} <= _ENVELOPE_COMPANIONS and set(body) & _ENVELOPE_COMPANIONS:
        return nulls[0]
    return ""


def _records_in_nested_envelopes(body: dict) -> str | None:
    """``response.result.clients``: the lone list of objects beside paging keys (``page``, ``per_page``,
    ``total``) of an object reached through envelope objects that are each the only key of the one
    above. FreshBooks answers ``{"response": {"result": {"clients": [...], "page", "pages",
    "per_page", "total"}}}``, which read as one record stored the whole page as a record."""
    path: list[str] = []
    inner: object = body
    while isinstance(inner, dict) and len(inner) == 1:
        ((key, value),) = inner.items()
        if key not in _ENVELOPE_OBJECTS or not isinstance(value, dict):
            break
        path.append(key)
        inner = value
    if len(path) < 2 or not isinstance(inner, dict):
        return None  # one envelope key: the checks above read it
    lists = [key for key, value in inner.items() if isinstance(value, list)]
    if len(lists) != 1 or not all(isinstance(item, dict) for item in inner[lists[0]][:5]):
        return None
    return format_path((*path, lists[0])) if _paging_metadata_beside(inner, lists[0]) else None


def graphql_list_field(body) -> tuple[str, str] | None:
    """``("data", field)`` of a GraphQL answer of one field that is a list of objects (Hasura's
    ``{"data": {"users": [...]}}``, https://spec.graphql.org/October2021/#sec-Data): its rows, not one
    record; None for any other body."""
    if not isinstance(body, dict) or not set(body) <= {"data", "extensions"}:
        return None
    data = body.get("data")
    if not isinstance(data, dict) or len(data) != 1:
        return None
    ((name, value),) = data.items()
    if (
        isinstance(name, str)
        and isinstance(value, list)
        and all(isinstance(item, dict) for item in value[:5])
    ):
        return "data", name
    return None


# Keys of the paging object of a ``[meta, records]`` answer (the World Bank's).
_PAIR_PAGING_KEYS = frozenset({"page", "pages", "per_page", "total"})


def meta_then_records(body) -> bool:
    """Whether ``body`` is a top-level array of two: an object of paging metadata (plain values, at
    least two of ``page``, ``pages``, ``per_page``, ``total``), then the records (a list, or null past
    the last page). The World Bank API answers so: ``[{"page": 1, "pages": 5, "per_page": "50",
    "total": 230, ...}, [...]]``. Read as one list, the metadata would be a record and the records a
    list inside the list."""
    return (
        isinstance(body, list)
        and len(body) == 2
        and isinstance(body[0], dict)
        and (body[1] is None or isinstance(body[1], list))
        and len(set(body[0]) & _PAIR_PAGING_KEYS) >= 2
        and all(not isinstance(value, (dict, list)) for value in body[0].values())
    )


def _hal_collection(body: dict) -> str | None:
    """``_embedded.<name>``: the one list of a HAL body's ``_embedded`` object (RFC draft-kelly-json-hal:
    a collection's resources are embedded under their relation's name; Help Scout's
    ``{"_embedded": {"conversations": [...]}, "_links": {"next": {"href"}}, "page": {...}}``), empty or
    of objects; None when ``_embedded`` holds no list or several (which one holds the records is unknown)."""
    embedded = body.get("_embedded")
    if not isinstance(embedded, dict):
        return None
    lists = [
        key
        for key, value in embedded.items()
        if isinstance(key, str)
        and isinstance(value, list)
        and all(isinstance(item, dict) for item in value[:5])
    ]
    return f"_embedded.{format_path((lists[0],))}" if len(lists) == 1 else None


def records_beside_paging(obj: dict) -> str | None:
    """The key of ``obj``'s only list of objects (empty too) when ``obj`` holds its paging as well: a
    paging object (``pagination``, ``meta``, ...) that names a next page, a more flag or paging keys,
    and nothing else but plain values. Segment's Public API wraps both in ``data``: ``{"data":
    {"sources": [...], "pagination": {"current", "next", "totalEntries"}}}``."""
    found, paging = None, False
    for key, value in obj.items():
        if isinstance(value, list) and all(isinstance(item, dict) for item in value[:5]):
            if found is not None or key in _NOT_RECORDS:
                return None
            found = key
        elif isinstance(value, dict) and key in _PAGING_PLACES:
            paging = paging or bool(set(value) & (_NEXT_KEYS | _MORE_FLAGS | _PAGING_KEYS))
        elif isinstance(value, dict | list):
            return None
    return found if paging else None


def list_beside_its_next_page(obj: dict) -> str | None:
    """The key of ``obj``'s only list (of objects, or empty) when every other value is plain and one of
    them names the next page, set or null (Qdrant's ``{"result": {"points": [...], "next_page_offset":
    1035}, "status": "ok", "time"}``, its points ``[]`` and the offset null for an empty collection)."""
    if not set(obj) & _NEXT_PAGE_BESIDE:
        return None
    lists = [key for key, value in obj.items() if isinstance(value, list)]
    if len(lists) != 1 or any(isinstance(value, dict) for value in obj.values()):
        return None
    items = obj[lists[0]]
    return lists[0] if all(isinstance(item, dict) for item in items[:5]) else None


def _lone_list_of_objects(obj: dict) -> str | None:
    """The key of ``obj``'s only non-empty list of objects when every other value is plain."""
    found = None
    for key, value in obj.items():
        if isinstance(value, list) and value and all(isinstance(item, dict) for item in value[:5]):
            if found is not None or key in _NOT_RECORDS:
                return None
            found = key
        elif isinstance(value, dict | list):
            return None
    return found


# Where list pages keep their paging metadata, besides the top level.
_PAGING_PLACES = (
    "meta", "pagination", "paging", "page_info", "pageInfo", "response_metadata", "links", "_links",
    "page",  # HAL / Spring: {"page": {"size", "totalElements", "totalPages", "number"}}
    "result_info",  # Cloudflare API v4
    "info",  # Zoho CRM: {"info": {"per_page", "count", "page", "more_records", "next_page_token"}}
    "d",  # OData v2: {"d": {"results", "__next", "__count"}}
    "page_context",  # Zoho Books: {"page_context": {"page", "per_page", "has_more_page"}}
    "payload",  # Amazon Selling Partner API: {"payload": {"Orders", "NextToken"}}
    "@attr",  # JSON converted from XML attributes: Last.fm's {"track": [...], "@attr": {"page", "total"}}
)  # fmt: skip
# Values that say another page follows: a flag that is true, or a cursor, token or link that is set.
_MORE_FLAGS = frozenset(
    {
        "has_more", "hasMore", "has_next", "hasNext", "has_next_page", "hasNextPage", "more",
        "moreDataAvailable", "more_items_in_collection", "moreResult", "has_more_items", "more_records",
        "has_more_page", "exceededTransferLimit",
    }
)  # fmt: skip
_NEXT_KEYS = frozenset(
    {
        "next_cursor", "nextCursor", "next_page_token", "nextPageToken", "next_page_url", "nextPageUrl",
        "next_page_uri", "next_url", "nextUrl", "next_link", "nextLink", "@odata.nextLink", "next",
        "__next", "next_marker", "NextToken", "next_page_link", "next_href", "next_collection_link",
        "next_uri", "nextCursorMark",
    }
)  # fmt: skip


def paging_signal(body) -> str | None:
    """Where ``body`` (an object) says that another page follows, as ``"path: value"``, or None:
    a flag such as ``has_more`` that is true, or a next cursor, token or link that is set, at the
    top level or in its paging metadata (``meta``, ``pagination``, ...)."""
    if not isinstance(body, dict):
        return None
    continuation = mediawiki_continuation(body)
    if continuation is not None:
        return f"continue: {json.dumps(body['continue'])}"[:120]
    places: list[tuple[str, dict]] = [("", body)]
    places += [(f"{name}.", body[name]) for name in _PAGING_PLACES if isinstance(body.get(name), dict)]
    for prefix, obj in places:
        for key, value in obj.items():
            shown = key
            if key in _NEXT_KEYS and isinstance(value, dict) and isinstance(value.get("href"), str):
                shown, value = f"{key}.href", value["href"]  # HAL / JSON:API links: {"next": {"href": ...}}
            if (key in _MORE_FLAGS and value is True) or (
                key in _NEXT_KEYS and isinstance(value, str) and value.strip()
            ):
                return f"{prefix}{shown}: {value!r}"[:120]
    return None


def mediawiki_continuation(body) -> list[str] | None:
    """The keys of a MediaWiki ``continue`` object (https://www.mediawiki.org/wiki/API:Continue:
    ``{"continue": {"apcontinue": "Page_6", "continue": "-||"}, "query": {...}}``) but its own
    ``continue``, or None when ``body`` has none: each is a parameter of the next request. Absent on
    the last answer."""
    value = body.get("continue") if isinstance(body, dict) else None
    if not (isinstance(value, dict) and "continue" in value and len(value) > 1):
        return None
    if not all(isinstance(item, str | int) and not isinstance(item, bool) for item in value.values()):
        return None
    return [key for key in value if key != "continue"]


def lists_of_objects(body, depth: int = 3) -> list[str]:
    """The paths of the lists of objects in ``body`` (objects only, ``depth`` levels), for advice."""
    found: list[str] = []
    level = [((), body)] if isinstance(body, dict) else []
    for _ in range(depth):
        following = []
        for parts, obj in level:
            for key, value in obj.items():
                if not isinstance(key, str):
                    continue
                if isinstance(value, list) and value and all(isinstance(item, dict) for item in value[:5]):
                    found.append(format_path((*parts, key)))
                elif isinstance(value, dict):
                    following.append(((*parts, key), value))
        level = following
    return found[:5]


# Counts of a whole list and of its pages, at the top level or in the paging metadata. A total
# counts only beside another paging key there (``page``, ``per_page``, ...): alone, ``total`` is a
# record's own field (an invoice's total beside its line items).
_TOTAL_KEYS = (
    "total", "total_count", "totalCount", "total_items", "totalItems", "total_records", "totalRecords",
    "total_results", "totalResults", "totalSize", "totalElements", "__count", "total_size", "totalRows",
)  # fmt: skip
_PAGE_COUNT_KEYS = (
    "total_pages",
    "totalPages",
    "page_count",
    "pageCount",
    "num_pages",
    "last_page",
    "lastPage",
)
_CURRENT_PAGE_KEYS = ("page", "current_page", "currentPage", "page_number", "pageNumber")
_PAGE_KEYS = _PAGING_KEYS | {
    "totalCount",
    "totalItems",
    "totalRecords",
    "totalPages",
    "pageSize",
    "currentPage",
}


def _count(value) -> int | None:
    return value if type(value) is int else None


def more_than_it_holds(body, lists: dict[str, int]) -> str | None:
    """Where an object holding ``lists`` (lists of objects: path → length) says the whole list is
    longer than what it holds, as ``"path: value (...)"``, or None: a page count beyond the current
    page (``total_pages: 10`` beside ``page: 1``), or a total beyond the longest list beside paging
    keys (``total: 500`` beside ``per_page: 50``)."""
    if not isinstance(body, dict) or not lists:
        return None
    held = max(lists.values())
    places: list[tuple[str, dict]] = [("", body)]
    places += [(f"{name}.", body[name]) for name in _PAGING_PLACES if isinstance(body.get(name), dict)]
    for prefix, obj in places:
        current = next(
            (_count(obj.get(key)) for key in _CURRENT_PAGE_KEYS if _count(obj.get(key)) is not None), 1
        )
        for key in _PAGE_COUNT_KEYS:
            pages = _count(obj.get(key))
            if pages is not None and pages > max(current or 1, 1):
                return f"{prefix}{key}: {pages} (this is page {current or 1})"
        paging_keys = len(set(obj) & _PAGE_KEYS)
        for key in _TOTAL_KEYS:
            total = _count(obj.get(key))
            if total is not None and total > held and (prefix or paging_keys >= 2):
                return f"{prefix}{key}: {total} (the response holds {held})"
    return None


def _lists_with_lengths(body) -> dict[str, int]:
    found = {}
    for path in lists_of_objects(body):
        value = get_path(body, path_parts(path))
        found[path] = len(value) if isinstance(value, list) else 0
    return found


def refuse_one_object_that_pages(
    body, url: str = "", *, configured: bool = False, more_path: str | None = None
) -> None:
    """A body taken as one record that says more pages follow (or more records than it holds) is a
    list page whose records were not found: storing it whole and stopping would end SUCCESS with one
    record of many. Raise :class:`ResponseFormatError` saying where the records may be.

    ``configured``: the connector's ``records_path`` is ``""`` (the response is the record). Such a
    body is refused only when it holds a list of objects too (an envelope); a record without one
    that names a next resource stays one record, as asked.

    ``more_path``: the connector's ``pagination.has_more_path``, a flag there that is true says more
    pages follow too (``exceededTransferLimit``, ``moreParcels``: a name no built-in rule knows)."""
    if type(body) is not dict:
        return
    lists = _lists_with_lengths(body)
    where = f" from {safe_url(url)}" if url else ""
    if not configured and len(body) >= 2 and all(_is_list_of_objects(value) for value in body.values()):
        # Nothing but lists of objects (BambooHR's directory: {"fields": [...], "employees": [...]}):
        # no record of its own, and which list holds the records is not to be guessed.
        shown = ", ".join(f"{path} ({count} objects)" for path, count in lists.items())
        raise ResponseFormatError(
            f"The response{where} holds nothing but {len(body)} lists of objects ({shown}): it is no single "
            "record, and which list holds the records cannot be told. Set records_path to the one holding "
            "the records."
        )
    signal = paging_signal(body) or more_than_it_holds(body, lists)
    if signal is None and more_path and get_path(body, path_parts(more_path)) is True:
        signal = f"{more_path}: true"
    if signal is None or (configured and not lists):
        return
    if configured:
        shown = ", ".join(
            f"{path} ({count} object{'s' if count != 1 else ''})" for path, count in lists.items()
        )
        first = next(iter(lists))
        advice = (
            f'Set records_path to "{first}"'
            if len(lists) == 1
            else f'Set records_path to the one holding the records (the first is "{first}")'
        )
        raise ResponseFormatError(
            f'records_path is "" (the response is the record), but the response{where} is an object '
            f"holding a list of objects ({shown}) and says there is more ({signal}): it would be stored "
            f"as a single record and the rest never read. {advice}, or leave records_path empty to "
            "detect it."
        )
    candidates = list(lists)
    hint = (
        f" Lists of objects in it: {', '.join(candidates)}: set records_path to the one holding the records."
        if candidates
        else " Set records_path to the list of records in it."
    )
    raise ResponseFormatError(
        f"The response{where} is one object, not a list of records, yet it says more pages follow "
        f"({signal}): it would be stored as a single record and the rest never read.{hint}"
    )


def _is_list_of_objects(value) -> bool:
    return isinstance(value, list) and bool(value) and all(isinstance(item, dict) for item in value[:5])


def says_nothing_more(body) -> bool:
    """Whether ``body`` is an envelope that answers "nothing (more) to read": it says it succeeded
    (``success: true``), a more-flag says no more records exist (``moreResult: false``), and it holds
    no list or object where records could be. Marketo answers so when nothing changed (Get Lead
    Changes, Get Lead Activities: ``{"requestId", "success": true, "nextPageToken", "moreResult":
    false}`` without ``result``): an empty last page, not a record and not a missing records path.
    So is a body that is only a success status (see :func:`_status_only_success`)."""
    if type(body) is not dict or any(isinstance(value, (dict, list)) for value in body.values()):
        return False
    if _status_only_success(body):
        return True
    if body.get("majorDimension") in ("ROWS", "COLUMNS") and set(body) <= {"range", "majorDimension"}:
        # Google Sheets' ValueRange of an empty range: "values" is left out when no cell has a value
        # (https://developers.google.com/sheets/api/reference/rest/v4/spreadsheets.values#ValueRange).
        return True
    if body.get("success") is not True:
        return False
    flags = [body[key] for key in _MORE_FLAGS if key in body]
    return bool(flags) and all(flag is False for flag in flags)


# What a bare status answer is made of: a status code or flag, a message, a request id, a time.
_STATUS_ONLY_KEYS = frozenset(
    {
        "code",
        "status",
        "statuscode",
        "status_code",
        "errcode",
        "error_code",
        "errorcode",
        "success",
        "ok",
        "msg",
        "message",
        "errmsg",
        "error_msg",
        "request_id",
        "requestid",
        "trace_id",
        "traceid",
        "log_id",
        "logid",
        "timestamp",
        "time",
    }
)
_STATUS_ONLY_MESSAGES = frozenset(key for key in _STATUS_ONLY_KEYS if "msg" in key or key == "message")
_STATUS_ONLY_CODES = frozenset(
    {"code", "status", "statuscode", "status_code", "errcode", "error_code", "errorcode"}
)


def _status_only_success(body: dict) -> bool:
    """Whether ``body`` (an object of plain values) is nothing but a success status: every key one of
    a status answer's (code, message, request id, time) and every status, flag and message saying
    success (``{"code": 0, "msg": "success"}``, WeChat's ``{"errcode": 0, "errmsg": "ok"}``,
    ``{"success": true, "message": "OK"}``). Feishu / DingTalk style APIs answer so when a list is
    empty; stored as a record, the envelope would become a row of the connector's data. A message
    that says something else (``"All systems operational"``) keeps the object a record."""
    keys = {key.lower(): value for key, value in body.items() if isinstance(key, str)}
    if not keys or len(keys) != len(body) or not set(keys) <= _STATUS_ONLY_KEYS:
        return False
    said = False
    for key, value in keys.items():
        if key in ("success", "ok"):
            if value is not True:
                return False
            said = True
        elif key in _STATUS_ONLY_CODES:
            if not _success_status(value):
                return False
            said = True
        elif key in _STATUS_ONLY_MESSAGES:
            if not (isinstance(value, str) and value.strip().lower().rstrip(".!") in _SUCCESS_STATUS_WORDS):
                return False
            said = True
    return said


def _success_status(value) -> bool:
    """A status code or word that says success: 0 or a 2xx number, ``"0"`` / ``"200"`` as text,
    ``"ok"`` / ``"success"`` (any case)."""
    if isinstance(value, bool):
        return False
    if isinstance(value, int):
        return value == 0 or 200 <= value < 300
    if isinstance(value, str):
        text = value.strip().lower()
        return text in ("0", "200") or text in _SUCCESS_STATUS_WORDS
    return False


def _paging_metadata_beside(body: dict, records_key: str, need: int = 2) -> bool:
    """Whether everything in ``body`` but its records is plain values, ``need`` of them paging keys."""
    others = {key: value for key, value in body.items() if key != records_key}
    plain = all(not isinstance(value, (dict, list)) for value in others.values())
    return plain and len(set(others) & _PAGING_KEYS) >= need


def extract_records(body, records_path: str, *, url: str = "") -> list:
    """The records of one page: the list at ``records_path`` (``""``: the body itself).

    A single object is one record, but an empty object ``{}`` is an empty page. Anything else (a
    string, a number, a missing path) is a :class:`ResponseFormatError` that says what was found
    instead.
    """
    if type(body) is dict and not body:
        return []  # an empty object: no records (Square's search answers {} when nothing matches)
    parts = path_parts(records_path) if records_path else ()
    value = get_path(body, parts) if records_path else body
    if isinstance(value, list):
        if value and all(isinstance(item, list) for item in value):
            _refuse_rows_of_values(value, records_path, url)
        return value
    if value is None and records_path and has_path(body, parts):
        return []  # an explicit null: no records (Pipedrive's empty lists), not a missing path
    if records_path and (
        value == {} or (value is None and len(parts) > 1 and get_path(body, parts[:-1]) == {})
    ):
        # An empty object where the records (or the object holding them) are: no records, never an
        # empty record. QuickBooks Online answers a query that matches nothing (or a page past the
        # end) with "QueryResponse": {}, without the entity's list.
        return []
    if isinstance(value, dict):
        return [value]
    if records_path and value is None and omits_its_empty_list(body) == records_path:
        return []
    where = f" from {safe_url(url)}" if url else ""
    if records_path and value is None:
        keys = ", ".join(sorted(body)[:10]) if isinstance(body, dict) else type(body).__name__
        raise ResponseFormatError(
            f"records_path {records_path!r} was not found in the response{where} (top-level keys: {keys})."
        )
    location = f"at records_path {records_path!r}" if records_path else "as the response"
    shown = redacted_excerpt(json.dumps(value), _SNIPPET_CHARS) if value is not None else "null"
    raise ResponseFormatError(
        f"Expected a list of records or one object {location}{where} but got a JSON "
        f"{json_type_name(value)}: {shown}."
    )


def _refuse_rows_of_values(rows: list, records_path: str, url: str) -> None:
    """A list whose every item is a list holds rows of values, not records: Google Sheets'
    ``values.get`` answers ``{"range", "majorDimension", "values": [["Item", "Cost"], ["Wheel",
    "20.5"]]}``, time series answer ``[[timestamp, value], ...]``. None of them is a record with named
    fields; each would be quarantined, and the run would blame the transformation rules."""
    location = f"at records_path {records_path!r}" if records_path else "of the response"
    where = f" from {safe_url(url)}" if url else ""
    shown = redacted_excerpt(json.dumps(rows[0]), _SNIPPET_CHARS)
    raise ResponseFormatError(
        f"The {len(rows)} records {location}{where} are lists of values (the first: {shown}), not "
        "objects with named fields, which is what a record is: an API that answers rows of cells "
        "(Google Sheets' values.get, whose first row is usually the header) or tuples cannot be stored "
        "record by record. Read the data from an endpoint that answers JSON objects."
    )


# -- errors answered with HTTP 200 -------------------------------------------------------------------

#: ``connector.error_detection``: ``auto`` (the built-in rules, default true), ``error_path`` (a value
#: there that is not null / false / empty marks an error; it is the message), ``success_path`` +
#: ``success_value`` (anything else there marks an error; ``success_value`` defaults to true).
ERROR_DETECTION_KEYS = ("auto", "error_path", "success_path", "success_value")
_MESSAGE_KEYS = (
    "message",
    "faultstring",
    "error_description",
    "description",
    "detail",
    "title",
    "error",
    "code",
    "type",
)
_MESSAGE_CHARS = 300
# Keys an error body carries besides its error: a body with only these is no record.
_ERROR_BODY_KEYS = {
    "ok",
    "success",
    "status",
    "code",
    "message",
    "error",
    "errors",
    "fault",
    "error_description",
    "detail",
    "request_id",
    "requestId",
    "trace_id",
    "meta",
    "warning",
    "response_metadata",
    "data",
    "extensions",
    # Pipedrive: {"success": false, "error", "error_info", "data": null, "additional_data": null}
    "error_info",
    "additional_data",
    # Ashby: {"success": false, "errorInfo": {"code", "message", "requestId"}}
    "errorInfo",
    # Cloudflare API v4: {"success": false, "errors": [{"code", "message"}], "messages": [], "result": null}
    "messages",
    "result",
    "result_info",
    # MediaWiki: {"error": {"code", "info", "docref"}, "servedby"} (HTTP 200, a MediaWiki-API-Error
    # header), with "warnings" beside it at times
    "servedby",
    "warnings",
}


_ERROR_BODY_KEYS_LOWER = frozenset(key.lower() for key in _ERROR_BODY_KEYS)
# A bare error report: a single object whose keys are all of these (compared lower-case), one of them
# a message, holding no list. GitHub's {"message": "API rate limit exceeded", "documentation_url"},
# a gateway's {"Error": "Token expired"}, RFC 9457 problem details {"type", "title", "status",
# "detail", "instance"}, Spring Boot's {"timestamp", "status", "error", "path"}.
_ERROR_REPORT_KEYS = _ERROR_BODY_KEYS_LOWER | {
    "msg",
    "details",
    "reason",
    "hint",
    "error_message",
    "errormessage",
    "error_code",
    "errorcode",
    "documentation_url",
    "statuscode",
    "status_code",
    "traceid",
    "timestamp",
    "path",
    "title",
    "type",
    "instance",
}
# The keys of a report that say what went wrong (one of them, set, makes a body of report keys an error).
_REPORT_MESSAGE_KEYS = (
    "error",
    "errors",
    "message",
    "msg",
    "detail",
    "details",
    "error_description",
    "error_message",
    "errormessage",
    "reason",
    "title",
)
# Where an envelope says how its request went as an HTTP status (``{"code": 401, "message":
# "Unauthorized", "data": []}``), compared lower-case. Only 400-599 counts: ``code`` is a business code
# in many APIs, 0 or 200 for success (Tencent Cloud, Feishu/Lark, DingTalk, Alibaba Cloud) and errors
# of their own numbering (Feishu's 99991663, Alibaba's 400000), which are not guessed.
# Keys only an error report sets.
_STRONG_REPORT_KEYS = (
    "error",
    "error_description",
    "error_message",
    "errormessage",
    "error_code",
    "errorcode",
    "documentation_url",
)
# A message with only these beside it is a report, not a record.
_MESSAGE_ONLY_KEYS = frozenset(
    {
        "message",
        "msg",
        "detail",
        "details",
        "reason",
        "hint",
        "code",
        "status",
        "statuscode",
        "status_code",
        "request_id",
        "requestid",
        "trace_id",
        "traceid",
        "timestamp",
    }
)
_STATUS_CODE_KEYS = ("code", "status", "statuscode", "status_code")
# JSend's status words and their variants, compared lower-case: {"status": "ERROR" | "fail" | "Failed"}.
_ERROR_STATUS_WORDS = frozenset({"error", "fail", "failed", "failure", "errored", "notok"})
_SUCCESS_STATUS_WORDS = frozenset({"ok", "success", "succeeded", "successful"})


class UpstreamReportedError(ResponseFormatError):
    """The upstream answered HTTP 200 with a body that says the request failed."""


def validate_error_detection(cfg) -> dict:
    """Check a connector's ``error_detection`` and return it normalized (``{}``: the built-in rules).

    Raises ``ValueError`` naming the problem.
    """
    if cfg in (None, {}):
        return {}
    if not isinstance(cfg, dict):
        raise ValueError('error_detection must be an object such as {"error_path": "error"}.')
    unknown = sorted(set(cfg) - set(ERROR_DETECTION_KEYS))
    if unknown:
        accepted = ", ".join(ERROR_DETECTION_KEYS)
        raise ValueError(f"error_detection key(s) {', '.join(unknown)} unknown (it accepts: {accepted}).")
    clean: dict = {}
    if "auto" in cfg:
        if not isinstance(cfg["auto"], bool):
            raise ValueError("error_detection.auto must be true or false.")
        clean["auto"] = cfg["auto"]
    for key in ("error_path", "success_path"):
        if key in cfg:
            value = cfg[key]
            if not isinstance(value, str) or not value.strip():
                raise ValueError(f"error_detection.{key} must be a non-empty path.")
            validate_path(value.strip(), what=f"error_detection.{key}")
            clean[key] = value.strip()
    if "success_value" in cfg:
        if "success_path" not in clean:
            raise ValueError("error_detection.success_value needs error_detection.success_path.")
        value = cfg["success_value"]
        if isinstance(value, (dict, list)) or value is None:
            raise ValueError("error_detection.success_value must be a string, number or boolean.")
        clean["success_value"] = value
    return clean


def check_upstream_error(body, records_path: str, config: dict | None = None) -> None:
    """Raise :class:`UpstreamReportedError` when ``body`` (an HTTP 200 answer) is an error report.

    The connector's ``error_path`` / ``success_path`` decide first. The built-in rules (unless
    ``auto`` is false): ``{"ok": false, ...}`` (Slack); ``{"errors": [...]}`` with no data
    (GraphQL, JSON:API); ``{"error": ...}``, an API gateway's ``{"fault": {"faultstring": ...}}``
    (Apigee), ``{"success": false}`` and JSend's ``{"status":
    "error" | "fail"}`` with no records and no other keys. Keys and status words are compared in
    any case, and an empty records key of any name may be beside them. An HTTP error status (400-599)
    under ``code`` / ``status`` / ``statusCode`` / ``status_code`` beside a message, with no records
    (``{"code": 401, "message": "Unauthorized", "data": []}``); a single object of error-report keys
    only (``{"message": ..., "documentation_url": ...}``, see :func:`_is_bare_report`). A body that
    also holds records is not an error: GraphQL and others answer partial data with ``errors`` (or
    an HTTP error status) beside it (see :func:`partial_errors`: such a run does not end ``SUCCESS``).
    """
    config = config or {}
    if config.get("auto", True) and _world_bank_style_error(body):
        _raise("message", body[0]["message"])
    if not isinstance(body, dict):
        return
    error_path = config.get("error_path")
    if error_path:
        value = get_path(body, path_parts(error_path))
        if value not in (None, False, "", [], {}):
            _raise(error_path, value)
    success_path = config.get("success_path")
    if success_path:
        expected = config.get("success_value", True)
        parts = path_parts(success_path)
        value = get_path(body, parts)
        if value != expected:
            own_message = next((body[key] for key in _MESSAGE_KEYS if body.get(key) not in (None, "")), None)
            found = redacted_excerpt(json.dumps(value), _SNIPPET_CHARS) if has_path(body, parts) else "absent"
            _raise(
                success_path,
                own_message
                if own_message is not None
                else f"{success_path} is {found}, not {json.dumps(expected)}",
            )
    if not config.get("auto", True):
        return
    if body.get("ok") is False:
        _raise("ok: false", body.get("error") or body)
    reasons = body.get("reasons")
    if body.get("success") is False and isinstance(reasons, list) and reasons:
        # Zuora's v1 API answers its errors with HTTP 200: {"success": false, "processId", "reasons":
        # [{"code", "message"}]} (https://developer.zuora.com/docs/guides/error-handling). Its reasons
        # are the only list there, so they would be taken for the records.
        if records_path in ("", "reasons") or not _has_records(body, records_path):
            _raise("success: false", reasons)
    if _has_records(body, records_path):
        return
    # Keys compared lower-case ({"Error": "Token expired"}); a key that differs only in case from
    # another is no error report's.
    view = {key.lower(): value for key, value in body.items() if isinstance(key, str)}
    if len(view) != len(body):
        return
    names = {key.lower(): key for key in body}
    # The records' own key, empty, beside an error report ({"status": "ERROR", "result": []}, with
    # whichever envelope key holds the records): an envelope answering nothing but its error.
    empty_records = {
        key for key, value in view.items() if key in _ENVELOPE_KEYS_LOWER and value in (None, [], {})
    }
    if records_path:
        head = path_parts(records_path)[0].lower()
        if head in view and not _has_records(body, records_path):
            empty_records.add(head)
    coded = _http_error_status(view, names)
    if coded is not None and (records_path or set(view) - empty_records <= _ERROR_REPORT_KEYS):
        # {"code": 401, "message": "Unauthorized", "data": []}: an HTTP error status in the envelope,
        # no records. When the body would be the record (records_path ""), only with report keys.
        _raise(coded[0], coded[1])
    keys = set(view) - empty_records
    google = _google_maps_status_error(view, keys)
    if google is not None:
        _raise(f"{names['status']}: {view['status']}", google)
    # JSend's {"status": "error" | "fail", "message": ...} and its variants in any case, beside the
    # records' own key (empty) or none, with only report keys and messages beside it.
    status = view.get("status")
    if (
        isinstance(status, str)
        and status.strip().lower() in _ERROR_STATUS_WORDS
        and keys <= _ERROR_BODY_KEYS_LOWER | _MESSAGE_ONLY_KEYS
    ):
        _raise(f"{names['status']}: {status}", _report_message(view, with_code=False) or body)
    # A status word in the message, its cause in the result's text, and nothing else (Etherscan's
    # {"status": "0", "message": "NOTOK", "result": "Invalid API Key"}, HTTP 200; its empty list is
    # {"status": "0", "message": "No transactions found", "result": []}, no error).
    message, cause = view.get("message"), view.get("result")
    if (
        isinstance(message, str)
        and _status_word(message) in _ERROR_STATUS_WORDS
        and keys <= _ERROR_BODY_KEYS_LOWER | _MESSAGE_ONLY_KEYS
    ):
        said = cause if isinstance(cause, str) and cause.strip() else _report_message(view, with_code=False)
        _raise(f"{names['message']}: {message}", said or body)
    failed = _failure_flag(view, keys)
    if failed is not None:
        _raise(f"{names[failed]}: {view[failed]}", _report_message(view, with_code=False))
    if not keys <= _ERROR_BODY_KEYS_LOWER:
        if not empty_records and keys <= _ERROR_REPORT_KEYS and _is_bare_report(view):
            _raise(_report_signal(view, names), _report_message(view))
        return  # other keys: a record (records_path "") or an envelope, not an error report
    errors = view.get("errors")
    if errors and isinstance(errors, (list, dict)):
        # No records beside them: GraphQL's {"data": null, "errors": [...]}, and its {"data":
        # {"repository": null}, "errors": [{"type": "NOT_FOUND", ...}]} (no data where the records were).
        _raise(names["errors"], errors)
    error = view.get("error")
    if error and isinstance(error, (dict, str)):
        _raise(names["error"], error)
    # Apigee and other API gateways: {"fault": {"faultstring": ..., "detail": {"errorcode": ...}}}
    fault = view.get("fault")
    if isinstance(fault, dict) and ("faultstring" in fault or "detail" in fault):
        _raise(names["fault"], fault)
    # Only error-report keys and no records: {"success": false, "message": ...} would otherwise be
    # stored as one record.
    if view.get("success") is False:
        _raise(f"{names['success']}: false", view.get("message") or view.get("errorinfo") or body)
    if not empty_records and _is_bare_report(view):
        _raise(_report_signal(view, names), _report_message(view))


# Google Maps Platform web services (Places, Geocoding, Directions, ...) answer every error with HTTP 200
# and a status code of their own beside empty results: {"html_attributions": [], "results": [], "status":
# "REQUEST_DENIED", "error_message": "The provided API key is invalid."}
# (https://developers.google.com/maps/documentation/places/web-service/legacy/search-text#PlacesSearchStatus).
_GOOGLE_MAPS_ERROR_STATUSES = frozenset(
    {"INVALID_REQUEST", "REQUEST_DENIED", "OVER_QUERY_LIMIT", "OVER_DAILY_LIMIT", "UNKNOWN_ERROR"}
)
_GOOGLE_MAPS_BODY_KEYS = frozenset({"status", "error_message", "html_attributions", "info_messages"})


def _google_maps_status_error(view: dict, keys: set) -> str | None:
    """What a Google Maps Platform error answered with HTTP 200 says (keys lower-case, its results
    empty), or None. Its ``INVALID_REQUEST`` is also the answer to a ``next_page_token`` sent before it
    is valid (a short while after it is issued): the text says how to space the requests."""
    status = view.get("status")
    if not isinstance(status, str) or status not in _GOOGLE_MAPS_ERROR_STATUSES:
        return None
    if not keys <= _GOOGLE_MAPS_BODY_KEYS:
        return None
    said = view.get("error_message") if isinstance(view.get("error_message"), str) else status
    if status == "INVALID_REQUEST":
        said += (
            " (a next page's token is valid only about two seconds after it is issued: give the "
            "connector max_requests_per_second 0.5)"
        )
    return said


# Flags that say whether the request succeeded (keys lower-case): Slack's ``ok``, ``success``, OMDb's
# ``Response`` ("True" / "False", text).
_SUCCESS_FLAG_KEYS = ("success", "ok", "response")
# What such a flag's failure says it went wrong with (a title beside it is a record's, not an error's).
_FAILURE_MESSAGE_KEYS = ("error", "error_message", "errormessage", "message", "msg", "detail")


def _failure_flag(view: dict, keys: set) -> str | None:
    """The key (lower-case) of a success flag that is the text ``"false"`` (a boolean false is read
    below) beside an error message and nothing but error-report keys (no records), or None. OMDb
    answers its errors with HTTP 200 ``{"Response": "False", "Error": "Too many results."}``: read as
    a list of one, the error would be stored as a record."""
    said = next((view[key] for key in _FAILURE_MESSAGE_KEYS if isinstance(view.get(key), str)), None)
    for key in _SUCCESS_FLAG_KEYS:
        value = view.get(key)
        said_false = isinstance(value, str) and value.strip().lower() == "false"
        if said_false and keys - {key} <= _ERROR_REPORT_KEYS and said is not None:
            return key
    return None


def _status_word(text: str) -> str:
    """``text`` as a status word: lower-case, without spaces, dashes, underscores or a final full stop
    (``"NOTOK"``, ``"Not OK"``, ``"not_ok"`` all read ``"notok"``)."""
    return re.sub(r"[\s_-]+", "", text.lower()).rstrip(".!")


def _world_bank_style_error(body) -> bool:
    """Whether ``body`` is a list whose only item is an object holding nothing but a ``message`` list:
    the World Bank API's error, answered with HTTP 200 (``[{"message": [{"id": "120", "key": "Invalid
    value", "value": "The provided parameter value is not valid"}]}]``)."""
    return (
        isinstance(body, list)
        and len(body) == 1
        and isinstance(body[0], dict)
        and set(body[0]) == {"message"}
        and isinstance(body[0]["message"], list)
        and bool(body[0]["message"])
    )


def _http_error_status(view: dict, names: dict) -> tuple[str, object] | None:
    """``(signal, message)`` when an object (keys lower-case) holds an HTTP error status (400-599, a
    number or a numeric string) under ``code`` / ``status`` / ``statusCode`` / ``status_code`` beside
    a message, or None."""
    message = _report_message(view, with_code=False)
    if message is None:
        return None
    for key in _STATUS_CODE_KEYS:
        value = view.get(key)
        if type(value) is str and value.strip().isdigit():
            value = int(value.strip())
        if type(value) is int and 400 <= value <= 599:
            return f"{names.get(key, key)}: {view[key]}", message
    return None


def _report_message(view: dict, *, with_code: bool = True):
    """What an error report (keys lower-case) says: its first message key that is set."""
    keys = _REPORT_MESSAGE_KEYS + (("code", "status") if with_code else ())
    return next((view[key] for key in keys if view.get(key) not in (None, "", [], {}, False)), None)


def _report_signal(view: dict, names: dict) -> str:
    """The key (as the body spells it) of an error report's message, for the error's text."""
    key = next(
        (key for key in _REPORT_MESSAGE_KEYS if view.get(key) not in (None, "", [], {}, False)), "error"
    )
    return names.get(key, key)


def _is_bare_report(view: dict) -> bool:
    """Whether a single object (keys lower-case, all of them report keys) is an error report rather
    than a record: every value plain (no list, no object: no records, no resource), no status saying
    it succeeded, and either an error's own key set (``error``, ``error_description``,
    ``documentation_url``, ...) or a message with nothing but codes and ids beside it (``{"message":
    "Not Found"}``). A message beside a title or a type is a record's (a notification)."""
    if any(isinstance(value, (list, dict)) for value in view.values()):
        return False
    if view.get("success") is True or view.get("ok") is True:
        return False
    if any(_success_status(view.get(key)) for key in _STATUS_CODE_KEYS):
        return False
    if any(view.get(key) not in (None, "", False) for key in _STRONG_REPORT_KEYS):
        return True
    message = _report_message(view, with_code=False)
    if isinstance(message, str) and message.strip().lower().rstrip(".!") in _SUCCESS_STATUS_WORDS:
        return False  # {"status": "active", "message": "ok"}: a message that says all is well
    return set(view) <= _MESSAGE_ONLY_KEYS and message is not None


def partial_errors(body, records_path: str, config: dict | None = None) -> str | None:
    """What an answer that holds records *and* a non-empty ``errors`` list says went wrong, or None.

    GraphQL answers what it could resolve with ``errors`` beside ``data`` (a field it could not
    resolve is null, or missing from a list); other APIs report the records they could not return
    so. Such a page is stored, but a run that met one does not end ``SUCCESS``.
    """
    if not isinstance(body, dict) or not (config or {}).get("auto", True):
        return None
    if not _has_records(body, records_path):
        return None
    errors = body.get("errors")
    if not errors or not isinstance(errors, (list, dict)):
        # Records beside an HTTP error status and a message ({"code": 500, "message": "partial
        # results", "data": [...]}): stored, but the envelope says the request did not fully succeed.
        view = {key.lower(): value for key, value in body.items() if isinstance(key, str)}
        coded = _http_error_status(view, {key.lower(): key for key in body if isinstance(key, str)})
        if coded is None:
            return None
        said = f"{coded[0]}: {_message_of(coded[1]) or 'no message'}"
        return redacted_excerpt(_CONTROL_CHARS.sub(" ", said), _MESSAGE_CHARS)
    return redacted_excerpt(_CONTROL_CHARS.sub(" ", _message_of(errors) or "no message"), _MESSAGE_CHARS)


def _has_records(body: dict, records_path: str) -> bool:
    if not records_path:
        return False
    value = get_path(body, path_parts(records_path))
    return bool(value) and isinstance(value, (list, dict))


def _message_of(value) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, list) and value:
        return "; ".join(filter(None, (_message_of(item) for item in value[:3])))
    if isinstance(value, dict):
        if isinstance(value.get("info"), str) and "code" in value:
            # MediaWiki's error object: {"code": "badcontinue", "info": "Invalid continue param. ..."}
            return value["info"]
        for key in _MESSAGE_KEYS:
            if key in value and value[key] not in (None, "", False):
                return _message_of(value[key]) if isinstance(value[key], (dict, list)) else str(value[key])
        return json.dumps(value)
    return "" if value is None else json.dumps(value)


def _raise(signal: str, value) -> None:
    message = redacted_excerpt(_CONTROL_CHARS.sub(" ", _message_of(value) or "no message"), _MESSAGE_CHARS)
    raise UpstreamReportedError(
        f"The upstream answered HTTP 200 with an error ({signal}): {message}. Nothing of this "
        "response was stored; if it is not an error, set the connector's error_detection."
    )
