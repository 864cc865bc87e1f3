"""JSON nesting limits, for the bodies MigrateIQ parses: API request bodies and upstream responses.

Python's parser recurses once per nesting level: a body of 100,000 ``[`` (100 KB) raised
``RecursionError``, which nothing expected (an HTTP 500 for a request body, a crashed page for an
upstream one). :func:`loads_bounded` turns that into :class:`JSONTooDeep`, a ``ValueError`` whose
message is safe to show, and refuses documents nested deeper than the limit it is given: request
bodies use ``MIGRATEIQ_JSON_MAX_DEPTH`` (200); upstream pages use orjson's own limit of 1024
(``demo_extension.services.extract``), so the fast path needs no walk of its own.

JSON's ``\\ud800`` escape (one half of a UTF-16 surrogate pair, without the other) parses to a
Python string that cannot be written as UTF-8: saved in a setting it made every later answer that
shows it a 500 on SQLite, and the save itself one on PostgreSQL (``jsonb`` refuses it).
:func:`refuse_lone_surrogates` refuses such a document wherever it is typed: the API's request
bodies (``core.parsers``) and the Django admin's JSON fields (:class:`AdminJSONField`).
"""

import json
import sys
from collections.abc import Callable

from django import forms
from django.conf import settings


class JSONTooDeep(ValueError):
    """A JSON document nested deeper than the limit."""

    def __init__(self, limit: int):
        super().__init__(f"JSON nested deeper than {limit} levels")
        self.limit = limit


class LoneSurrogate(ValueError):
    """A JSON document holding an unpaired surrogate escape, in a key or a value."""

    def __init__(self):
        super().__init__(
            "a lone surrogate (an escape such as \\ud800 without its pair), which is no character"
        )


def refuse_lone_surrogates(value) -> None:
    """Raise :class:`LoneSurrogate` when a parsed JSON ``value`` holds an unpaired surrogate.

    Keys and values alike, at C speed; an escaped pair (``\\ud83d\\ude00``) is one character.
    """
    try:
        json.dumps(value, ensure_ascii=False).encode()
    except UnicodeEncodeError:
        raise LoneSurrogate() from None


class AdminJSONField(forms.JSONField):
    """The Django admin's form field of a model's ``JSONField``: Django's, refusing what the API's
    parser refuses (a lone surrogate escape) with the same words, so an operator's typo cannot save a
    value that breaks every later page that shows it."""

    def to_python(self, value):
        converted = super().to_python(value)
        try:
            refuse_lone_surrogates(converted)
        except LoneSurrogate as exc:
            raise forms.ValidationError(f"Enter valid JSON: this holds {exc}.", code="invalid") from None
        return converted

    def bound_data(self, data, initial):
        # The refused form shows the text as typed (its escape), not the value it parses to, which
        # no page can write.
        value = super().bound_data(data, initial)
        try:
            refuse_lone_surrogates(value)
        except LoneSurrogate:
            return forms.fields.InvalidJSONInput(data)
        return value


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
