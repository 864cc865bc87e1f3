"""The benchmark workload, shared by the MigrateIQ side and the dlt side.

Plain standard library on purpose: ``dlt_side.py`` runs in the separate ``.venv-bench`` (without
Django), ``migrateiq_side.py`` in the project's ``.venv``; both import this module.
"""

from __future__ import annotations

import base64

PAGE_SIZE = 1000
API_KEY = "migrateiq-bench-key"
STYLES = ("page", "offset", "cursor", "next_url", "link_header")

# Body key of the record list per style (the sample upstream's defaults).
RECORDS_KEYS = {
    "page": "data",
    "offset": "results",
    "cursor": "items",
    "next_url": "results",
    "link_header": "",
}

# The transformation every MigrateIQ run applies: 3 field mappings and 2 type conversions.
TRANSFORMATION_RULES = {
    "field_mappings": {
        "username": "login",
        "address.city": "city",
        "company.name": "company_name",
    },
    "type_conversions": {
        "created_at": "datetime",
        "score": "decimal",
    },
}


def connector_pagination(style: str, page_size: int) -> dict:
    """The MigrateIQ connector's ``pagination`` configuration for the upstream's style, set explicitly."""
    if style == "page":
        return {
            "type": "page",
            "page_param": "page",
            "size_param": "per_page",
            "page_size": page_size,
            "total_pages_path": "total_pages",
        }
    if style == "offset":
        return {
            "type": "offset",
            "offset_param": "offset",
            "limit_param": "limit",
            "limit": page_size,
            "total_path": "count",
        }
    if style == "cursor":
        return {
            "type": "cursor",
            "cursor_path": "next_cursor",
            "cursor_param": "cursor",
            "size_param": "limit",
            "page_size": page_size,
        }
    if style == "next_url":
        return {"type": "next_url", "next_url_path": "next", "size_param": "per_page", "page_size": page_size}
    if style == "link_header":
        return {"type": "link_header", "size_param": "per_page", "page_size": page_size}
    raise ValueError(f"unknown style {style!r}")


def page_size_params(style: str, page_size: int) -> dict:
    """Query parameters that ask the upstream for ``page_size`` records a page."""
    if style in ("offset", "cursor"):
        return {"limit": page_size}
    return {"per_page": page_size}


def page_queries(style: str, records: int, page_size: int):
    """The query of every page a complete run requests, in order (used to pre-build the pages)."""
    pages = max(1, -(-records // page_size))
    for k in range(pages):
        start = k * page_size
        if style == "offset":
            yield {"offset": str(start), "limit": str(page_size)}
        elif style == "cursor":
            query = {"limit": str(page_size)}
            if start:
                query["cursor"] = base64.urlsafe_b64encode(f"pos:{start}".encode()).decode().rstrip("=")
            yield query
        else:
            yield {"page": str(k + 1), "per_page": str(page_size)}


def dlt_paginator(style: str, page_size: int) -> dict:
    """dlt ``rest_api`` paginator configuration for the same style, set explicitly."""
    if style == "page":
        return {"type": "page_number", "base_page": 1, "page_param": "page", "total_path": "total_pages"}
    if style == "offset":
        return {
            "type": "offset",
            "limit": page_size,
            "offset_param": "offset",
            "limit_param": "limit",
            "total_path": "count",
        }
    if style == "cursor":
        return {"type": "cursor", "cursor_path": "next_cursor", "cursor_param": "cursor"}
    if style == "next_url":
        return {"type": "json_link", "next_url_path": "next"}
    if style == "link_header":
        return {"type": "header_link"}
    raise ValueError(f"unknown style {style!r}")


def read_peak_rss_kib() -> int:
    """This process's peak resident set size (VmHWM) in KiB."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return 0


def read_rss_kib() -> int:
    """This process's current resident set size (VmRSS) in KiB."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def cpu_seconds() -> float:
    """User + system CPU time of this process and its reaped children so far."""
    import resource

    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime
