"""Pagination of upstream REST APIs: the styles, auto-detection, stop rules and loop guards.

A :class:`Paginator` turns a JSON-serializable *state* (the next request to make) into a request,
and a fetched page into the next state, or ``None`` when the sync is done. The state after each
page is what a sync checkpoints, so a resumed sync continues with exactly the next page.

Styles (``connector.pagination["type"]``):

* ``none``: one request.
* ``page``: ``page_param`` (default ``page``) from ``start_page`` (default 1), ``size_param`` +
  ``page_size`` when given; ``total_pages_path`` / ``total_path`` override the detected totals.
* ``offset``: ``offset_param`` / ``limit_param`` (default ``offset`` / ``limit``), ``limit``,
  ``start_offset``; the next offset advances by the records actually received, so an API that caps
  the page size loses nothing.
* ``cursor``: the token at ``cursor_path`` (detected when unset) is sent back as ``cursor_param``.
* ``next_url``: the URL at ``next_url_path`` (detected when unset).
* ``link_header``: RFC 8288 ``Link: <…>; rel="next"``.
* ``auto``: detected from the first response (see :func:`detect_pagination`).

Stop rules: an empty page; ``total_pages`` or a total count when the response has one; otherwise a
page shorter than an earlier page (never the requested size alone, which an API may silently cap).
Guards: a repeated next URL or cursor raises :class:`PaginationLoop` instead of looping forever;
the engine also compares page contents and enforces ``max_pages``.
"""

from __future__ import annotations

import re
from collections import deque
from dataclasses import dataclass, field
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

from core.redaction import safe_url
from demo_extension.services.extract import get_path, path_parts

PAGINATION_TYPES = ("auto", "none", "page", "offset", "cursor", "next_url", "link_header")

_STRING_KEYS = {
    "page_param",
    "size_param",
    "offset_param",
    "limit_param",
    "cursor_param",
    "cursor_path",
    "next_url_path",
    "total_pages_path",
    "total_path",
}
_POSITIVE_INT_KEYS = {"page_size", "limit"}
_NON_NEGATIVE_INT_KEYS = {"start_page", "start_offset"}
_BOOL_KEYS = {"stop_on_short_page"}
_SIZE_KEYS = {"size_param", "page_size"}
_ALLOWED_KEYS = {
    "auto": _SIZE_KEYS,
    "none": set(),
    "page": {"page_param", "start_page", "total_pages_path", "total_path", "stop_on_short_page"} | _SIZE_KEYS,
    "offset": {"offset_param", "limit_param", "limit", "start_offset", "total_path", "stop_on_short_page"},
    "cursor": {"cursor_param", "cursor_path"} | _SIZE_KEYS,
    "next_url": {"next_url_path"} | _SIZE_KEYS,
    "link_header": set(_SIZE_KEYS),
}
MAX_PAGE_SIZE = 100_000

# Where APIs put their pagination metadata, besides the top level.
_META_KEYS = ("meta", "pagination", "paging", "page_info", "pageInfo", "links", "_links", "response_metadata")
_NEXT_URL_KEYS = ("next", "next_url", "nextUrl", "next_page_url", "nextPageUrl", "next_link", "nextLink")
_CURSOR_KEYS = {
    # body key -> the query parameter it is usually sent back as
    "next_cursor": "cursor",
    "nextCursor": "cursor",
    "next_page_token": "page_token",
    "nextPageToken": "pageToken",
    "next_token": "next_token",
    "nextToken": "nextToken",
    "cursor": "cursor",
    "after": "after",
    "endCursor": "after",
    "continuation": "continuation",
    "scroll_id": "scroll_id",
}
_TOTAL_PAGES_KEYS = (
    "total_pages",
    "totalPages",
    "last_page",
    "lastPage",
    "page_count",
    "pageCount",
    "num_pages",
)
_TOTAL_KEYS = (
    "total",
    "total_count",
    "totalCount",
    "total_results",
    "totalResults",
    "total_items",
    "totalItems",
    "total_records",
    "count",
)
_CURRENT_PAGE_KEYS = ("page", "current_page", "currentPage", "page_number", "pageNumber")
_OFFSET_KEYS = ("offset", "skip", "start")
# How many recent next URLs / cursors the loop guard remembers (memory stays constant).
_RECENT = 64


class PaginationError(Exception):
    """The upstream's pagination cannot be followed safely (the message is safe to show)."""


class PaginationLoop(PaginationError):
    """The upstream sent the sync back to a page it already fetched."""


def validate_pagination_config(cfg) -> dict:
    """Check a connector's ``pagination`` and return it normalized (``None`` / ``{}`` mean auto).

    Raises ``ValueError`` naming the problem: an unknown type, a key the type does not use, a
    value of the wrong type.
    """
    if cfg in (None, {}):
        return {"type": "auto"}
    if not isinstance(cfg, dict):
        raise ValueError('pagination must be an object such as {"type": "auto"}.')
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
    for key, value in cfg.items():
        if key == "type":
            continue
        if key in _STRING_KEYS:
            if not isinstance(value, str) or not value.strip():
                raise ValueError(f"pagination.{key} must be a non-empty string.")
            clean[key] = value.strip()
        elif key in _POSITIVE_INT_KEYS:
            if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_PAGE_SIZE:
                raise ValueError(f"pagination.{key} must be an integer from 1 to {MAX_PAGE_SIZE}.")
            clean[key] = value
        elif key in _NON_NEGATIVE_INT_KEYS:
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise ValueError(f"pagination.{key} must be an integer of 0 or more.")
            clean[key] = value
        elif key in _BOOL_KEYS:
            if not isinstance(value, bool):
                raise ValueError(f"pagination.{key} must be true or false.")
            clean[key] = value
    if "size_param" in clean and "page_size" not in clean:
        raise ValueError("pagination.size_param needs pagination.page_size (the size to ask for).")
    return clean


@dataclass
class PageRequest:
    """One request of a sync: ``params`` are the pagination parameters; ``followed`` URLs came from
    the upstream (next links) and already carry their query, so only credentials are added."""

    url: str
    params: dict[str, str] = field(default_factory=dict)
    followed: bool = False


@dataclass
class FetchedPage:
    """What a paginator needs to know about a fetched page."""

    url: str  # the final URL of the response (after redirects)
    headers: object  # the response headers (case-insensitive mapping)
    body: object  # the decoded JSON body
    count: int  # records on the page


def _int_or_none(value):
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return None


def _find(body, keys, configured_path: str | None = None):
    """(path, value) of the first key of ``keys`` with a value, at the top level or in a meta
    object; with ``configured_path`` only that path."""
    if configured_path:
        return configured_path, get_path(body, path_parts(configured_path))
    if not isinstance(body, dict):
        return None, None
    for key in keys:
        value = body.get(key)
        if value not in (None, ""):
            return key, value
    for meta in _META_KEYS:
        inner = body.get(meta)
        if isinstance(inner, dict):
            for key in keys:
                value = inner.get(key)
                if value not in (None, ""):
                    return f"{meta}.{key}", value
    return None, None


def find_total_pages(body, configured_path=None) -> int | None:
    return _int_or_none(_find(body, _TOTAL_PAGES_KEYS, configured_path)[1])


def find_total(body, headers, configured_path=None) -> int | None:
    total = _int_or_none(_find(body, _TOTAL_KEYS, configured_path)[1])
    if total is None and not configured_path and headers is not None:
        total = _int_or_none(headers.get("x-total-count") or headers.get("x-total"))
    return total


_LINK_PART = re.compile(r"<([^>]*)>((?:\s*;\s*[^;,]+)*)")
_LINK_PARAM = re.compile(r"""\s*;\s*([^=\s]+)\s*=\s*(?:"([^"]*)"|([^\s;,"]+))""")


def next_link(headers, base_url: str) -> str | None:
    """The ``rel="next"`` target of an RFC 8288 ``Link`` header, resolved against ``base_url``."""
    value = headers.get("link") if headers is not None else None
    if not value:
        return None
    for match in _LINK_PART.finditer(value):
        target, params = match.group(1), match.group(2)
        for param in _LINK_PARAM.finditer(params):
            name = param.group(1).lower()
            rel = (param.group(2) if param.group(2) is not None else param.group(3) or "").lower()
            if name == "rel" and "next" in rel.split():
                return urljoin(base_url, target.strip())
    return None


def find_next_url(body, configured_path=None):
    """(path, url) of a next-page URL in the body (a string, or an object with ``href``)."""
    if configured_path:
        value = get_path(body, path_parts(configured_path))
        if isinstance(value, dict):
            value = value.get("href")
        return configured_path, value if isinstance(value, str) and value.strip() else None
    if not isinstance(body, dict):
        return None, None
    candidates = [(key, body.get(key)) for key in _NEXT_URL_KEYS]
    for meta in _META_KEYS:
        inner = body.get(meta)
        if isinstance(inner, dict):
            candidates += [(f"{meta}.{key}", inner.get(key)) for key in _NEXT_URL_KEYS]
    for path, value in candidates:
        if isinstance(value, dict) and isinstance(value.get("href"), str):
            path, value = f"{path}.href", value["href"]
        if isinstance(value, str) and _looks_like_url(value):
            return path, value
    return None, None


def _looks_like_url(value: str) -> bool:
    value = value.strip()
    return value.startswith(("http://", "https://", "/", "?"))


def find_cursor(body, configured_path=None):
    """(path, token) of a next-page cursor in the body."""
    if configured_path:
        value = get_path(body, path_parts(configured_path))
        return configured_path, value
    path, value = _find(body, tuple(_CURSOR_KEYS))
    if isinstance(value, str) and _looks_like_url(value):
        return None, None
    if isinstance(value, (str, int)) and not isinstance(value, bool):
        return path, value
    return None, None


def _origin(url: str) -> tuple:
    parts = urlsplit(url)
    return (parts.scheme.lower(), (parts.hostname or "").lower(), parts.port)


def strip_params(url: str, names) -> str:
    """``url`` without the query parameters in ``names`` (credentials never go to a checkpoint)."""
    if not names:
        return url
    parts = urlsplit(url)
    if not parts.query:
        return url
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k not in names]
    return urlunsplit((parts.scheme, parts.netloc, parts.path, urlencode(query), parts.fragment))


class Paginator:
    """Base of the styles. ``state`` is the next request, JSON-serializable for the checkpoint."""

    style = "none"

    def __init__(self, config: dict, endpoint: str, state: dict | None = None, secret_params=()):
        self.config = config
        self.endpoint = endpoint
        self.secret_params = frozenset(secret_params)
        self.state = dict(state) if state is not None else self.initial_state()
        self.warnings: list[str] = []

    def initial_state(self) -> dict:
        return {}

    def size_params(self) -> dict[str, str]:
        if "size_param" in self.config:
            return {self.config["size_param"]: str(self.config["page_size"])}
        return {}

    def request(self) -> PageRequest:
        return PageRequest(self.endpoint, self.size_params())

    def advance(self, page: FetchedPage) -> bool:
        """Move ``state`` past ``page``; False when the sync has everything."""
        return False

    def describe(self) -> str:
        return self.style


class NoPagination(Paginator):
    style = "none"

    def request(self) -> PageRequest:
        return PageRequest(self.endpoint, {})


class _CountingPaginator(Paginator):
    """Shared stop rules of ``page`` and ``offset``: empty page, totals, then a short page."""

    def _should_stop(self, page: FetchedPage, seen_after: int, pages_after: int) -> bool:
        config = self.config
        if page.count == 0:
            return True
        total_pages = find_total_pages(page.body, config.get("total_pages_path"))
        if total_pages is not None and self.style == "page":
            return pages_after >= total_pages
        total = find_total(page.body, page.headers, config.get("total_path"))
        if total is not None:
            return seen_after >= total
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

    def advance(self, page: FetchedPage) -> bool:
        state = self.state
        seen = state["seen"] + page.count
        pages_done = state["page"] - self.config.get("start_page", 1) + 1
        stop = self._should_stop(page, seen, pages_done)
        self.state = {"page": state["page"] + 1, "seen": seen, "max_len": max(state["max_len"], page.count)}
        return not stop

    def describe(self) -> str:
        return f"page (parameter {self.config.get('page_param', 'page')!r})"


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

    def advance(self, page: FetchedPage) -> bool:
        state = self.state
        offset = state["offset"] + page.count
        seen = offset - self.config.get("start_offset", 0)
        stop = self._should_stop(page, seen, 0)
        self.state = {"offset": offset, "max_len": max(state["max_len"], page.count)}
        return not stop

    def describe(self) -> str:
        config = self.config
        return (
            f"offset (parameters {config.get('offset_param', 'offset')!r}"
            f"/{config.get('limit_param', 'limit')!r})"
        )


class CursorPagination(Paginator):
    style = "cursor"

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._recent: deque = deque(maxlen=_RECENT)

    def initial_state(self) -> dict:
        return {"cursor": None}

    def request(self) -> PageRequest:
        params = self.size_params()
        if self.state.get("cursor") is not None:
            params[self.config.get("cursor_param", "cursor")] = str(self.state["cursor"])
        return PageRequest(self.endpoint, params)

    def advance(self, page: FetchedPage) -> bool:
        path, token = find_cursor(page.body, self.config.get("cursor_path"))
        if page.count == 0 or token in (None, "", False):
            return False
        if isinstance(token, (dict, list)):
            raise PaginationError(f"The cursor at {path!r} is not a string or number.")
        token = str(token)
        current = self.state.get("cursor")
        if token == current or token in self._recent:
            raise PaginationLoop(
                f"The upstream returned the cursor {_short(token)!r} again; stopping instead of "
                "fetching the same pages in a loop."
            )
        if current is not None:
            self._recent.append(current)
        self.state = {"cursor": token}
        return True

    def describe(self) -> str:
        return (
            f"cursor (token at {self.config.get('cursor_path', 'auto')!r}, "
            f"sent as {self.config.get('cursor_param', 'cursor')!r})"
        )


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

    def advance(self, page: FetchedPage) -> bool:
        target = self._next(page)
        if page.count == 0 or not target:
            return False
        target = urljoin(page.url, target.strip())
        if _origin(target) != _origin(self.endpoint):
            raise PaginationError(
                f"The next page link points to another host ({safe_url(target)}); MigrateIQ only "
                "follows links on the connector's own host, where its credentials may go."
            )
        target = strip_params(target, self.secret_params)
        current = strip_params(page.url, self.secret_params)
        if target == current or target in self._recent:
            raise PaginationLoop(
                f"The upstream's next link points back to a page already fetched ({safe_url(target)}); "
                "stopping instead of looping."
            )
        self._recent.append(current)
        self.state = {"url": target}
        return True


class NextUrlPagination(_FollowingPaginator):
    style = "next_url"

    def _next(self, page: FetchedPage) -> str | None:
        return find_next_url(page.body, self.config.get("next_url_path"))[1]

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


def make_paginator(config: dict, endpoint: str, state: dict | None = None, secret_params=()) -> Paginator:
    """The paginator of a validated, non-``auto`` config, at ``state`` (a checkpoint) or the start."""
    return PAGINATORS[config["type"]](config, endpoint, state, secret_params)


def detect_pagination(page: FetchedPage, auto_config: dict) -> dict:
    """The pagination style of an API, from the response to a request without pagination parameters.

    In order: a ``Link: rel="next"`` header, a next URL in the body, a cursor in the body, page
    numbers (``total_pages`` or a current ``page``), an offset; else a single page. A response that
    reports more records than it holds but shows no way to page is an error, not a silent
    first-page-only sync.
    """
    size = {k: auto_config[k] for k in _SIZE_KEYS if k in auto_config}
    if next_link(page.headers, page.url):
        return {"type": "link_header", **size}
    path, _ = find_next_url(page.body)
    if path:
        return {"type": "next_url", "next_url_path": path, **size}
    path, _ = find_cursor(page.body)
    if path:
        param = _CURSOR_KEYS.get(path.rsplit(".", 1)[-1], "cursor")
        return {"type": "cursor", "cursor_path": path, "cursor_param": param, **size}
    current_path, current = _find(page.body, _CURRENT_PAGE_KEYS)
    current = _int_or_none(current)
    total_pages = find_total_pages(page.body)
    if total_pages is not None or current is not None:
        config = {"type": "page", "page_param": (current_path or "page").rsplit(".", 1)[-1], **size}
        if current is not None:
            config["start_page"] = current
        return config
    total = find_total(page.body, page.headers)
    if total is not None and total > page.count:
        offset_path, offset = _find(page.body, _OFFSET_KEYS)
        config = {"type": "offset", "offset_param": (offset_path or "offset").rsplit(".", 1)[-1]}
        if "page_size" in size:
            config["limit"] = size["page_size"]
            config["limit_param"] = size.get("size_param", "limit")
        return config
    return {"type": "none"}


def _short(token: str) -> str:
    return token if len(token) <= 40 else token[:37] + "..."
