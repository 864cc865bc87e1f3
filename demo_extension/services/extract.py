"""Reading records out of an upstream response: JSON parsing, ``records_path`` and envelope detection.

A response that is not what a sync expects (HTML with status 200, truncated JSON, a string where a
list should be) becomes a :class:`ResponseFormatError` whose message names what came back: the
content type, the size and the first characters, sanitized.
"""

import json
import re

import orjson

from core.json_limits import JSONTooDeep, loads_bounded
from core.redaction import redact, safe_url

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
)
_SNIPPET_CHARS = 60
_CONTROL_CHARS = re.compile(r"[\x00-\x1f\x7f-\x9f]+")
# Every digit as "0": a run of 19 zeros marks a number orjson may read as a
# float (an integer beyond 64 bits) where the standard parser keeps the exact integer.
_DIGITS_AS_ZEROS = bytes.maketrans(b"0123456789", b"0" * 10)
_LONG_DIGIT_RUN = b"0" * 19
# Upstream pages: orjson's own nesting limit, which the standard parser's path enforces too (its
# RecursionError is a clear error). Deeper records than orjson can write are stored through the
# standard encoder, or quarantined when even that cannot (upsert.UnstorableRecord).
UPSTREAM_MAX_DEPTH = 1024


class ResponseFormatError(ValueError):
    """The upstream answered, but not with records this sync can read."""


def _snippet(content: bytes) -> str:
    text = content[: _SNIPPET_CHARS * 4].decode("utf-8", errors="replace")
    text = _CONTROL_CHARS.sub(" ", " ".join(text.split()))[:_SNIPPET_CHARS]
    return redact(text)


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


def parse_json_document(response) -> tuple[object, bool]:
    """``(body, plain)``: the decoded JSON body of ``response``, and whether it is plain JSON (parsed
    by orjson: no ``NaN`` or ``Infinity``, every integer within 64 bits, so orjson writes every value
    of it back exactly). A clear :class:`ResponseFormatError` when it is not JSON."""
    content = response.content
    where = safe_url(response.url)
    if not content.strip():
        raise ResponseFormatError(
            f"Expected JSON from {where} but the response was empty ({describe_response(response)})."
        )
    try:
        return _loads_document(content)
    except (ValueError, UnicodeDecodeError) as exc:
        head = content.lstrip()[:1]
        content_type = (response.headers.get("content-type") or "").lower()
        if head == b"<" or "html" in content_type or "xml" in content_type:
            what = "an HTML or XML page"
        elif head in (b"{", b"["):
            what = f"invalid or truncated JSON ({_json_problem(exc)})"
        else:
            what = "a response that is not JSON"
        raise ResponseFormatError(
            f"Expected JSON from {where} but got {what}: {describe_response(response)}."
        ) from None


def _loads_document(content: bytes) -> tuple[object, bool]:
    """``(json.loads(content), parsed by orjson)``, through orjson when it gives the same objects.

    The standard parser decides every body orjson refuses (``NaN`` and ``Infinity``, unpaired
    surrogate escapes, UTF-16 bodies, invalid JSON: its errors are the ones reported) or may read
    differently (integers beyond 64 bits, which orjson turns into floats).
    """
    if type(content) is bytes and _LONG_DIGIT_RUN not in content.translate(_DIGITS_AS_ZEROS):
        try:
            # orjson refuses documents nested deeper than UPSTREAM_MAX_DEPTH itself (no walk needed)
            return orjson.loads(content), True
        except orjson.JSONDecodeError:
            pass  # the standard parser decides, and reports the error
    return loads_bounded(content, limit=UPSTREAM_MAX_DEPTH), False


def _json_problem(exc: Exception) -> str:
    if isinstance(exc, JSONTooDeep):
        return str(exc)
    if isinstance(exc, json.JSONDecodeError):
        return f"{exc.msg} at character {exc.pos}"
    return type(exc).__name__


def path_parts(path: str) -> tuple[str, ...]:
    return tuple(part for part in path.split(".") if part != "")


def get_path(obj, parts: tuple[str, ...]):
    """The value at a dotted path (``address.city``; numeric parts index lists), or None."""
    for part in parts:
        if isinstance(obj, dict):
            obj = obj.get(part)
        elif isinstance(obj, list) and part.lstrip("-").isdigit():
            index = int(part)
            obj = obj[index] if -len(obj) <= index < len(obj) else None
        else:
            return None
        if obj is None:
            return None
    return obj


def detect_records_path(body) -> str:
    """The records path of a response when the connector did not set one.

    ``""`` when the body is the list (or a single object), else the first envelope key (top level,
    then one level down, e.g. ``data.items``) that holds a list; a lone list of objects under any
    other key also counts.
    """
    if not isinstance(body, dict):
        return ""
    for key in ENVELOPE_KEYS:
        if isinstance(body.get(key), list):
            return key
    for key in ENVELOPE_KEYS:
        inner = body.get(key)
        if isinstance(inner, dict):
            for inner_key in ENVELOPE_KEYS:
                if isinstance(inner.get(inner_key), list):
                    return f"{key}.{inner_key}"
    lists_of_objects = [
        key
        for key, value in body.items()
        if isinstance(value, list) and value and all(isinstance(item, dict) for item in value[:5])
    ]
    if len(lists_of_objects) == 1 and len(body) <= 8:
        return lists_of_objects[0]
    return ""


def extract_records(body, records_path: str, *, url: str = "") -> list:
    """The records of one page: the list at ``records_path`` (``""``: the body itself).

    A single object is one record. Anything else (a string, a number, a missing path) is a
    :class:`ResponseFormatError` that says what was found instead.
    """
    value = get_path(body, path_parts(records_path)) if records_path else body
    if isinstance(value, list):
        return value
    if isinstance(value, dict):
        return [value]
    where = f" from {safe_url(url)}" if url else ""
    if records_path and value is None:
        keys = ", ".join(sorted(body)[:10]) if isinstance(body, dict) else type(body).__name__
        raise ResponseFormatError(
            f"records_path {records_path!r} was not found in the response{where} (top-level keys: {keys})."
        )
    location = f"at records_path {records_path!r}" if records_path else "as the response"
    shown = redact(json.dumps(value)[:_SNIPPET_CHARS]) if value is not None else "null"
    raise ResponseFormatError(
        f"Expected a list of records or one object {location}{where} but got a JSON "
        f"{_json_type(value)}: {shown}."
    )


def _json_type(value) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "string"
    return type(value).__name__
