"""JSON nesting limits, for the bodies MigrateIQ parses: API request bodies and upstream responses.

Python's parser recurses once per nesting level: a body of 100,000 ``[`` (100 KB) raised
``RecursionError``, which nothing expected (an HTTP 500 for a request body, a crashed page for an
upstream one). :func:`loads_bounded` turns that into :class:`JSONTooDeep`, a ``ValueError`` whose
message is safe to show, and refuses documents nested deeper than the limit it is given: request
bodies use ``MIGRATEIQ_JSON_MAX_DEPTH`` (200); upstream pages use orjson's own limit of 1024
(``demo_extension.services.extract``), so the fast path needs no walk of its own.
"""

import json
import sys
from collections.abc import Callable

from django.conf import settings


class JSONTooDeep(ValueError):
    """A JSON document nested deeper than the limit."""

    def __init__(self, limit: int):
        super().__init__(f"JSON nested deeper than {limit} levels")
        self.limit = limit


def max_depth() -> int:
    return settings.MIGRATEIQ_JSON_MAX_DEPTH


def loads_bounded(content, loads: Callable = json.loads, limit: int | None = None):
    """``loads(content)``, refusing documents nested deeper than ``limit`` (the setting by default).

    ``loads`` is the standard parser (with its options): it recurses once per level, within the
    interpreter's recursion limit, so with a ``limit`` at or above that one a document it parsed is
    not too deep, and is not walked again (3 ms a 500 KB page).
    """
    limit = max_depth() if limit is None else limit
    try:
        value = loads(content)
    except RecursionError:
        raise JSONTooDeep(limit) from None
    if limit < sys.getrecursionlimit():
        check_depth(value, limit, content)
    return value


def check_depth(value, limit: int, content=None) -> None:
    """Raise :class:`JSONTooDeep` when ``value`` nests containers deeper than ``limit``.

    With the document's text at hand, a body holding at most ``limit`` brackets cannot be too deep,
    which settles almost every page without walking it (a C-speed count).
    """
    if isinstance(content, bytes):
        if content.count(b"[") + content.count(b"{") <= limit:
            return
    elif isinstance(content, str):
        if content.count("[") + content.count("{") <= limit:
            return
    if not isinstance(value, (dict, list)):
        return
    stack = [(value, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > limit:
            raise JSONTooDeep(limit)
        children = node.values() if type(node) is dict else node
        for child in children:
            if isinstance(child, (dict, list)):
                stack.append((child, depth + 1))
