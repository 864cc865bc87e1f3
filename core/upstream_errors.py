"""What an upstream's error answer says, for the message a user reads, and when it asks to wait.

:func:`error_excerpt` turns the first bytes of a 4xx/5xx body into one short, redacted sentence:
vendors explain their errors in the body ("Invalid API Key provided", ``INVALID_SESSION_ID``,
``InvalidAuthenticationToken``), and "HTTP 401" alone does not say which credential or parameter
is wrong. It reads the common JSON error shapes (Stripe and Microsoft Graph ``{"error": {"message",
"code"}}``, Salesforce ``[{"message", "errorCode"}]``, JSON:API ``{"errors": [{"title",
"detail"}]}``, OAuth ``{"error", "error_description"}``, ``{"message"}``, ``{"detail"}``) and plain
text; never HTML (a proxy's error page says nothing useful in one line).

:func:`rate_limit_wait` reads when a rate-limited upstream lets the next request through:
``Retry-After`` (seconds or an HTTP date), else an exhausted ``X-RateLimit-Remaining: 0`` with its
``X-RateLimit-Reset`` (epoch seconds, as GitHub sends, seconds from now, an HTTP date, as
GoCardless sends its ``RateLimit-Reset``, or an ISO 8601 time, as Mastodon sends), the IETF draft's
``RateLimit-Reset``, Okta's ``X-Rate-Limit-Reset`` or one of Linear's windows
(``X-RateLimit-Requests-*``, ``-Complexity-*``, ``-Endpoint-Requests-*``, reset in epoch
milliseconds). :func:`is_rate_limited` says whether an
answer is a rate limit: a 429, or a 403 with such a signal (GitHub answers its primary and
secondary rate limits with 403 or 429).

:func:`reported_rate_limit` reads a rate limit an upstream reports in its body, whatever the status:
GraphQL APIs answer one with HTTP 200 (GitHub's ``{"errors": [{"type": "RATE_LIMITED", ...}]}``
with ``X-RateLimit-Remaining: 0``, Shopify's ``{"errors": [{"extensions": {"code": "THROTTLED"}}],
"extensions": {"cost": {"throttleStatus": ...}}}``, monday.com's ``COMPLEXITY_BUDGET_EXHAUSTED``),
or with HTTP 400 (Linear's ``RATELIMITED``), which is no answer to the query; and REST APIs that
answer their rate limits with HTTP 200 and codes of their own (Marketo's 606 and 615 in its
``{"success": false, "errors": [...]}``, see ``_CODED_RATE_LIMITS``) or in a single-error wrapper of
their own (Stack Exchange's ``throttle_violation``, HTTP 400, see ``_WRAPPED_RATE_LIMITS``) or with a
code of their own in a single error object (Meta's Graph API, HTTP 400 or 403, ``{"error": {"code": 17,
...}}``; MediaWiki's ``maxlag``, HTTP 200 with ``Retry-After``; see ``_OBJECT_CODED_RATE_LIMITS``) or
as an ``errcode`` with the wait beside it (Matrix's ``M_LIMIT_EXCEEDED`` and ``retry_after_ms``, HTTP
429; see ``_ERRCODE_RATE_LIMITS``), or in its response parameters (Telegram's ``parameters.retry_after``,
HTTP 429 without ``Retry-After``).
:func:`backoff_in_body` reads a wait a successful answer asks for (Stack Exchange's ``backoff``).
"""

from __future__ import annotations

import email.utils
import json
import math
import re
import time
from dataclasses import dataclass
from datetime import UTC, datetime

from core.redaction import redacted_excerpt

# Bytes of an error body kept for the excerpt (read while the body is drained anyway).
ERROR_BODY_KEEP = 4096
EXCERPT_CHARS = 200
_MESSAGE_KEYS = (
    "message",
    "error_description",
    "errorDescription",  # Wrike: {"errorDescription": "Access token is unknown or invalid", "error": ...}
    "detail",
    "title",
    "error_message",
    "errorMessage",
    "description",
    "msg",
    "err",  # ClickUp: {"err": "Token invalid", "ECODE": "OAUTH_025"}
    "faultstring",
    "errorSummary",  # Okta: {"errorCode": "E0000011", "errorSummary": "Invalid token provided", ...}
    "reason",  # Elasticsearch / OpenSearch: {"error": {"root_cause": [{"type", "reason"}], ...}, "status"}
    "troubleshoot",  # Aircall: {"error": "Bad Request", "troubleshoot": "<what to change>"}
)
_CODE_KEYS = ("code", "errorCode", "error_code", "ECODE", "type")
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]+")
_DECIMAL_SECONDS = re.compile(r"\d+(?:\.\d+)?")
# An ISO 8601 date and time ("2026-12-07T13:20:00.000Z"), read where an HTTP date is expected.
_ISO_DATE_TIME = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}")
#: The longest wait an upstream's answer is taken to name, in seconds (a year). A longer one, or one no
#: float holds (``Retry-After: 999…9`` of 400 digits, ``"retry_after": 1e400`` or an integer of 400
#: digits in a body), is read as this, so that every wait is a finite number of seconds: ``inf`` made
#: the message naming the wait fail (``math.ceil``), and the connection test and preview a 500.
MAX_NAMED_WAIT = 366 * 24 * 3600.0
# A reset value above this is an epoch timestamp, below it a number of seconds from now.
_EPOCH_THRESHOLD = 1_000_000_000
# An epoch timestamp above this counts milliseconds (Linear's resets), not seconds.
_EPOCH_MS_THRESHOLD = 100_000_000_000
# The windows whose exhaustion (``<prefix>remaining: 0``) names a reset: GitHub's X-RateLimit-*, the
# IETF draft's RateLimit-*, Okta's X-Rate-Limit-* (epoch seconds), and Linear's requests, complexity
# and endpoint windows (epoch milliseconds, https://linear.app/developers/rate-limiting).
_WINDOW_PREFIXES = (
    "x-ratelimit-",
    "ratelimit-",
    "x-rate-limit-",
    "x-ratelimit-requests-",
    "x-ratelimit-complexity-",
    "x-ratelimit-endpoint-requests-",
)


def error_excerpt(content: bytes, content_type: str = "") -> str:
    """One line of what an error body says (at most EXCERPT_CHARS, redacted), or ""."""
    if not content or not content.strip():
        return ""
    kind = content_type.split(";")[0].strip().lower()
    head = content.lstrip()[:1]
    if "html" in kind or "xml" in kind or head == b"<":
        return ""
    text = ""
    truncated = False
    if head in (b"{", b"[") or "json" in kind:
        try:
            body = json.loads(content.decode("utf-8", errors="replace"))
        except (ValueError, RecursionError):
            body = None
        text = _json_error_text(body) if body is not None else ""
    elif kind.startswith("text/") or not kind:
        lines = content.decode("utf-8", errors="replace").strip().splitlines()
        text = lines[0] if lines else ""
        # the caller keeps only the body's first ERROR_BODY_KEEP bytes: a lone line may go on
        truncated = len(lines) == 1 and len(content) >= ERROR_BODY_KEEP
    return redacted_excerpt(_CONTROL.sub(" ", " ".join(text.split())), EXCERPT_CHARS, truncated=truncated)


def _json_error_text(body) -> str:
    if isinstance(body, list):
        return _json_error_text(body[0]) if body else ""
    if not isinstance(body, dict):
        return body if isinstance(body, str) else ""
    places: list[dict] = []
    for key in _ERROR_PLACES:
        value = _get_any_case(body, key)
        if isinstance(value, list) and value:
            value = value[0]
            if isinstance(value, str):
                return value
        if isinstance(value, dict):
            # One level further in first: QuickBooks Online's {"Fault": {"Error": [{"Message",
            # "Detail", "code"}], "type": "ValidationFault"}}.
            for inner_key in _ERROR_PLACES:
                inner = _get_any_case(value, inner_key)
                if isinstance(inner, list) and inner:
                    inner = inner[0]
                if isinstance(inner, dict):
                    places.append(inner)
            places.append(value)
    places.append(body)
    message = code = ""
    for place in places:
        message = message or _first_text(place, _MESSAGE_KEYS)
        code = code or _first_text(place, _CODE_KEYS)
    error = body.get("error")
    if isinstance(error, str) and error.strip():  # OAuth: {"error": "invalid_grant", "error_description"}
        code, message = (error, message) if message else (code, error)
    errors = body.get("errors")
    if not message and isinstance(errors, str) and errors.strip():
        message = errors  # Recharge: {"errors": "Invalid API token"}
    if code and message and code.lower() not in message.lower():
        return f"{message} ({code})"
    return message or code


# Where an error body keeps its report (Front: {"_error": {"status", "title", "message"}}; Apigee:
# {"fault": {"faultstring"}}); keys are matched in any case (QuickBooks Online's "Fault", "Error").
# Elasticsearch's error names its cause first in root_cause (its own reason: "all shards failed").
# Zuora's v1 errors: {"success": false, "processId", "reasons": [{"code", "message"}]}.
_ERROR_PLACES = ("error", "errors", "_error", "fault", "root_cause", "reasons")


def _get_any_case(place: dict, key: str):
    """``place[key]``, else the value of the first key equal to ``key`` in another case."""
    if key in place:
        return place[key]
    wanted = key.lower()
    return next(
        (value for name, value in place.items() if isinstance(name, str) and name.lower() == wanted), None
    )


def _first_text(place: dict, keys) -> str:
    for key in keys:
        value = _get_any_case(place, key)
        if isinstance(value, dict):  # OData v2: {"error": {"code", "message": {"lang", "value"}}}
            value = value.get("value")
        if isinstance(value, str) and value.strip():
            return value.strip()
    return ""


def bounded_wait(seconds: float | None) -> float | None:
    """``seconds`` as a wait to honour: at least 0 and at most :data:`MAX_NAMED_WAIT`; None for none,
    or for a value that is not a number (NaN)."""
    if seconds is None or math.isnan(seconds):
        return None
    return min(max(seconds, 0.0), MAX_NAMED_WAIT)


def _header_seconds(value: str) -> float | None:
    value = value.strip()
    if not value:
        return None
    if _DECIMAL_SECONDS.fullmatch(value):
        return float(value)
    when: datetime | None
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        when = _iso_time(value)
    if when is None:
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max((when - datetime.now(UTC)).total_seconds(), 0.0)


def _iso_time(value: str) -> datetime | None:
    """An ISO 8601 date and time (Mastodon's ``X-RateLimit-Reset: 2026-12-07T13:20:00.000Z``:
    "Timestamp when your rate limit will reset"), or None."""
    if not _ISO_DATE_TIME.match(value):
        return None
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        return None


def retry_after(headers) -> float | None:
    """``Retry-After`` in seconds (delta seconds, decimal seconds or an HTTP date), or None."""
    return _header_seconds(headers.get("retry-after", ""))


def rate_limit_wait(headers) -> float | None:
    """Seconds until the upstream takes requests again, from ``Retry-After`` or an exhausted
    rate-limit window's reset time; None when the answer names none."""
    seconds = retry_after(headers)
    if seconds is not None:
        return seconds
    waits = []
    for prefix in _WINDOW_PREFIXES:
        remaining = headers.get(f"{prefix}remaining", "").strip()
        reset = headers.get(f"{prefix}reset", "").strip()
        if remaining != "0" or not reset:
            continue
        if _DECIMAL_SECONDS.fullmatch(reset):
            waits.append(_reset_wait(float(reset)))
        elif (at := _header_seconds(reset)) is not None:
            # an HTTP date, as GoCardless sends it ("RateLimit-Reset: Thu, 01 May 2014 16:00:00 GMT")
            waits.append(at)
    if not waits:
        waits = _own_prefix_resets(headers)
    return max(waits) if waits else None  # every exhausted window has to have reset


def _own_prefix_resets(headers) -> list[float]:
    """The waits of exhausted windows under a vendor's own prefix, ``<prefix>-Remaining: 0`` beside
    ``<prefix>-Reset`` (Aircall's X-AircallApi-Remaining / X-AircallApi-Reset), the reset read as the
    known prefixes' is. Only asked of an answer that refused a request (a 429 or 403)."""
    waits = []
    items = headers.items() if hasattr(headers, "items") else ()
    for name, value in items:
        lowered = name.lower()
        if not lowered.endswith("-remaining") or value.strip() != "0":
            continue
        prefix = lowered[: -len("remaining")]
        if prefix in _WINDOW_PREFIXES:
            continue
        reset = (headers.get(f"{prefix}reset") or "").strip()
        if _DECIMAL_SECONDS.fullmatch(reset):
            waits.append(_reset_wait(float(reset)))
        elif reset and (at := _header_seconds(reset)) is not None:
            waits.append(at)
    return waits


def _reset_wait(value: float) -> float:
    if value > _EPOCH_MS_THRESHOLD:
        value /= 1000.0
    return max(value - time.time(), 0.0) if value > _EPOCH_THRESHOLD else value


def is_rate_limited(status: int, headers) -> bool:
    """A 429, or a 403 that carries ``Retry-After`` or an exhausted rate-limit window."""
    if status == 429:
        return True
    return status == 403 and rate_limit_wait(headers) is not None


# -- rate limits reported in the body -----------------------------------------------------------------

# GraphQL error codes that mean "rate limited, ask again later", each as its API documents it:
# GitHub's ``type`` RATE_LIMITED (docs.github.com/en/graphql/overview/rate-limits-and-query-limits-for-
# the-graphql-api), Shopify's ``extensions.code`` THROTTLED (shopify.dev/docs/api/usage/limits),
# Linear's ``extensions.code`` RATELIMITED, answered with HTTP 400 (linear.app/developers/rate-limiting)
# and monday.com's COMPLEXITY_BUDGET_EXHAUSTED with its ``extensions.retry_in_seconds``
# (developer.monday.com/api-reference/docs/rate-limits, /changelog/breaking-change-updated-complexity-
# budget-exhausted-error). Other codes are not guessed: such an answer fails with its status and text.
_RATE_LIMIT_CODES = frozenset({"RATE_LIMITED", "THROTTLED", "RATELIMITED", "COMPLEXITY_BUDGET_EXHAUSTED"})
_RATE_LIMIT_MARKERS = tuple(code.encode() for code in _RATE_LIMIT_CODES)
# Codes whose limit is a window: without a wait named anywhere, the next request waits a minute.
_WINDOW_CODES = frozenset({"RATE_LIMITED", "RATELIMITED", "COMPLEXITY_BUDGET_EXHAUSTED"})
# Rate limits an API answers with HTTP 200 and codes of its own, read only in the envelope it documents
# (a "606" elsewhere is no rate limit): (vendor, keys its error envelope holds besides ``errors``,
# {code: seconds to wait, or None for the backoff}). Marketo: ``{"requestId", "success": false,
# "errors": [{"code": "606", "message": "Max rate limit '100' exceeded with in '20' secs"}]}``, and
# 615 "Concurrent access limit reached" (a slot frees when a request ends: no wait is named)
# (https://experienceleague.adobe.com/en/docs/marketo-developer/marketo/rest/error-codes).
_CODED_RATE_LIMITS: tuple[tuple[str, frozenset[str], dict[str, float | None]], ...] = (
    ("Marketo", frozenset({"requestId", "success"}), {"606": 20.0, "615": None}),
)
_CODED_MARKERS = tuple(f'"{code}"'.encode() for _vendor, _keys, codes in _CODED_RATE_LIMITS for code in codes)
# Rate limits an API reports in a single-error wrapper of its own: (vendor, the wrapper's keys, its
# name for a rate limit, {error_id: seconds when the message names none}). Stack Exchange: HTTP 400
# with {"error_id": 502, "error_name": "throttle_violation", "error_message": "too many requests from
# this IP, more requests available in 81 seconds"} (https://api.stackexchange.com/docs/error-handling,
# https://api.stackexchange.com/docs/throttle).
_WRAPPED_RATE_LIMITS: tuple[tuple[str, frozenset[str], str, dict[int, float | None]], ...] = (
    (
        "Stack Exchange",
        frozenset({"error_id", "error_name", "error_message"}),
        "throttle_violation",
        {502: None},
    ),
)
_WRAPPED_MARKERS = tuple(f'"{name}"'.encode() for _vendor, _keys, name, _ids in _WRAPPED_RATE_LIMITS)
# Rate limits an API reports with a code of its own in a single ``{"error": {...}}`` object, read only
# when the object holds the keys it documents (a ``"code": 17`` elsewhere is no rate limit): (vendor,
# keys of the error object, {code: seconds to wait, or None for the backoff}). Meta's Graph API, HTTP
# 400 or 403 with {"error": {"message": "(#17) User request limit reached", "type": "OAuthException",
# "code": 17, "error_subcode": 2446079, "fbtrace_id": "..."}}: platform limits 4 (app), 17 (user), 32
# (page), 341 (application limit), 613 (a call's own limit), and the Business Use Case limits 80000-80014
# (https://developers.facebook.com/docs/graph-api/overview/rate-limiting, .../guides/error-handling).
# Its waits are in headers of its own (:func:`_meta_usage_wait`).
# MediaWiki's Action API answers a request sent with ``maxlag`` while its replicas lag with HTTP 200,
# ``Retry-After`` (the seconds to wait at least) and ``{"error": {"code": "maxlag", "info": "Waiting for
# <host>: <lag> seconds lagged", "host", "lag", "type"}, "servedby"}``: "pause your script for at least
# 5 seconds" (https://www.mediawiki.org/wiki/Manual:Maxlag_parameter).
_OBJECT_CODED_RATE_LIMITS: tuple[tuple[str, frozenset[str], dict[int | str, float | None]], ...] = (
    (
        "Meta Graph API",
        frozenset({"message", "code", "fbtrace_id"}),
        {code: None for code in (4, 17, 32, 341, 613, *range(80000, 80015))},
    ),
    ("MediaWiki", frozenset({"code", "info"}), {"maxlag": 5.0}),
)
_OBJECT_MARKERS = (b'"fbtrace_id"', b'"maxlag"')
# Rate limits an API reports in a status envelope of its own, ``{"status", "message", "result"}`` and
# nothing else, its status word in ``message`` and the cause as ``result``'s text: (vendor, the status
# word, the cause's beginning (lower-case), seconds to wait when the answer's headers name none).
# Etherscan (and the block explorers built on it), HTTP 200 with {"status": "0", "message": "NOTOK",
# "result": "Max rate limit reached"}: its free calls are counted per second
# (https://docs.etherscan.io/resources/common-error-messages, .../resources/rate-limits).
_RESULT_TEXT_RATE_LIMITS: tuple[tuple[str, str, str, float], ...] = (
    ("Etherscan", "NOTOK", "max rate limit reached", 1.0),
)
_RESULT_TEXT_MARKERS = tuple(
    f'"{word}"'.encode() for _vendor, word, _cause, _wait in _RESULT_TEXT_RATE_LIMITS
)
# Meta's usage headers: X-Business-Use-Case-Usage {"<business id>": [{"type", "call_count", ...,
# "estimated_time_to_regain_access": <minutes>}]}, X-Ad-Account-Usage {"acc_id_util_pct",
# "reset_time_duration": <seconds>}.
_META_BUC_USAGE = "x-business-use-case-usage"
_META_AD_ACCOUNT_USAGE = "x-ad-account-usage"
# "more requests available in 81 seconds"
_SECONDS_IN_MESSAGE = re.compile(r"available\s+in\s+(\d+(?:\.\d+)?)\s*sec", re.IGNORECASE)
# Marketo's 606 names its window: "... exceeded with in '20' secs".
_WINDOW_IN_MESSAGE = re.compile(r"with\s*in\s*'(\d+(?:\.\d+)?)'\s*sec", re.IGNORECASE)
# Matrix's rate limit (https://spec.matrix.org/latest/client-server-api/#rate-limiting): HTTP 429 with
# {"errcode": "M_LIMIT_EXCEEDED", "error", "retry_after_ms"}, the wait in milliseconds in the body (a
# Retry-After header beside it only since spec v1.10).
_ERRCODE_RATE_LIMITS: tuple[tuple[str, str, str, float], ...] = (
    ("Matrix", "M_LIMIT_EXCEEDED", "retry_after_ms", 0.001),
)
_ERRCODE_MARKERS = tuple(f'"{code}"'.encode() for _vendor, code, _field, _unit in _ERRCODE_RATE_LIMITS)
# The Telegram Bot API's flood limit (https://core.telegram.org/bots/api#responseparameters): HTTP 429
# with {"ok": false, "error_code": 429, "description": "Too Many Requests: retry after 35",
# "parameters": {"retry_after": 35}}, the seconds in the body and no Retry-After header.
_PARAMETERS_MARKERS = (b'"retry_after"',)
# A rate-limit report is a few hundred bytes; a larger body that mentions a code holds records.
_REPORT_MAX_BYTES = 64 * 1024
# GitHub: without Retry-After or an exhausted X-RateLimit-Remaining, "wait for at least one minute";
# monday.com's and Linear's windows are a minute or longer too.
GITHUB_RATE_LIMIT_WAIT = 60.0


@dataclass(frozen=True)
class ReportedRateLimit:
    """A rate limit an upstream reported in its body: what it says, and the seconds to wait before the
    next request (None: it names none)."""

    said: str
    wait: float | None


def reported_rate_limit(content: bytes, headers) -> ReportedRateLimit | None:
    """The rate limit a (GraphQL) body reports, or None. Cheap for every other body: only a small
    body naming one of the codes is parsed.

    The wait: ``Retry-After`` or an exhausted window's reset (:func:`rate_limit_wait`); else Shopify's
    query cost (``requestedQueryCost`` minus ``throttleStatus.currentlyAvailable``, restored at
    ``restoreRate`` points a second); else the error's ``extensions.retry_in_seconds`` (monday.com);
    else a minute for a window's code (GitHub's ``RATE_LIMITED``, Linear's, monday.com's).
    """
    if (
        not content
        or len(content) > _REPORT_MAX_BYTES
        or not any(
            m in content
            for m in _RATE_LIMIT_MARKERS
            + _CODED_MARKERS
            + _WRAPPED_MARKERS
            + _OBJECT_MARKERS
            + _RESULT_TEXT_MARKERS
            + _ERRCODE_MARKERS
            + _PARAMETERS_MARKERS
        )
    ):
        return None
    try:
        body = json.loads(content.decode("utf-8", errors="replace"))
    except (ValueError, RecursionError):
        return None
    wrapped = (
        _wrapped_rate_limit(body, headers)
        or _object_coded_rate_limit(body, headers)
        or _result_text_rate_limit(body, headers)
        or _errcode_rate_limit(body, headers)
        or _parameters_rate_limit(body, headers)
    )
    if wrapped is not None:
        return wrapped
    errors = body.get("errors") if isinstance(body, dict) else None
    if not isinstance(errors, list):
        return None
    coded = _coded_rate_limit(body, errors, headers)
    if coded is not None:
        return coded
    limited = next((error for error in errors if _rate_limit_code(error)), None)
    if limited is None:
        return None
    said = _first_text(limited, _MESSAGE_KEYS) or _rate_limit_code(limited)
    said = redacted_excerpt(_CONTROL.sub(" ", " ".join(said.split())), EXCERPT_CHARS)
    wait = rate_limit_wait(headers)
    if wait is None:
        wait = _query_cost_wait(body.get("extensions"))
    if wait is None:
        extensions = limited.get("extensions")
        wait = _number(extensions.get("retry_in_seconds")) if isinstance(extensions, dict) else None
    if wait is None and _rate_limit_code(limited) in _WINDOW_CODES:
        wait = GITHUB_RATE_LIMIT_WAIT
    return ReportedRateLimit(said, wait)


def _object_coded_rate_limit(body, headers) -> ReportedRateLimit | None:
    """A rate limit reported with an API's own code in its single error object
    (:data:`_OBJECT_CODED_RATE_LIMITS`), or None. The wait: the answer's ``Retry-After`` or exhausted
    window, else Meta's usage headers, else the table's."""
    error = body.get("error") if isinstance(body, dict) else None
    if not isinstance(error, dict):
        return None
    code = error.get("code")
    # ASCII digits only, and few: "²" is a digit to isdigit() that int() refuses, and int() refuses a
    # text of more than 4,300 digits (neither is a code of the table)
    if isinstance(code, str) and code.isascii() and code.isdigit() and len(code) <= 18:
        code = int(code)
    if not isinstance(code, (int, str)) or isinstance(code, bool):
        return None
    for _vendor, keys, codes in _OBJECT_CODED_RATE_LIMITS:
        if not keys <= set(error) or code not in codes:
            continue
        said = _first_text(error, (*_MESSAGE_KEYS, "info")) or str(code)
        said = redacted_excerpt(_CONTROL.sub(" ", " ".join(f"{said} ({code})".split())), EXCERPT_CHARS)
        wait = rate_limit_wait(headers)
        if wait is None:
            wait = _meta_usage_wait(headers)
        return ReportedRateLimit(said, wait if wait is not None else codes[code])
    return None


def _meta_usage_wait(headers) -> float | None:
    """Seconds until Meta takes requests again by its usage headers (the longest a header names), or
    None: a Business Use Case's ``estimated_time_to_regain_access`` (minutes), an ad account's
    ``reset_time_duration`` (seconds)."""
    waits: list[float] = []
    usage = _json_header(headers, _META_BUC_USAGE)
    if isinstance(usage, dict):
        for entries in usage.values():
            for entry in entries if isinstance(entries, list) else []:
                minutes = (
                    _number(entry.get("estimated_time_to_regain_access")) if isinstance(entry, dict) else None
                )
                if minutes is not None and minutes > 0:
                    waits.append(minutes * 60)
    account = _json_header(headers, _META_AD_ACCOUNT_USAGE)
    seconds = _number(account.get("reset_time_duration")) if isinstance(account, dict) else None
    if seconds is not None and seconds > 0:
        waits.append(seconds)
    return max(waits) if waits else None


def _json_header(headers, name: str):
    value = headers.get(name, "") if headers is not None else ""
    if not value or len(value) > _REPORT_MAX_BYTES:
        return None
    try:
        return json.loads(value)
    except (ValueError, RecursionError):
        return None


def _wrapped_rate_limit(body, headers) -> ReportedRateLimit | None:
    """A rate limit reported in an API's own single-error wrapper (:data:`_WRAPPED_RATE_LIMITS`), or
    None. The wait: the answer's headers, else the seconds its message names, else the table's."""
    if not isinstance(body, dict):
        return None
    for _vendor, keys, name, ids in _WRAPPED_RATE_LIMITS:
        error_id = body.get("error_id")
        if not keys <= set(body) or body.get("error_name") != name or error_id not in ids:
            continue
        found = body.get("error_message")
        message = found if isinstance(found, str) else ""
        said = redacted_excerpt(_CONTROL.sub(" ", " ".join(f"{message} ({name})".split())), EXCERPT_CHARS)
        wait = rate_limit_wait(headers)
        if wait is None:
            named = _SECONDS_IN_MESSAGE.search(message)
            wait = float(named.group(1)) if named else ids[error_id]
        return ReportedRateLimit(said, wait)
    return None


def _result_text_rate_limit(body, headers) -> ReportedRateLimit | None:
    """A rate limit reported in a ``{"status", "message", "result"}`` envelope
    (:data:`_RESULT_TEXT_RATE_LIMITS`), or None. The wait: the answer's headers, else the table's."""
    if not isinstance(body, dict) or set(body) != {"status", "message", "result"}:
        return None
    cause = body["result"]
    if not isinstance(cause, str):
        return None
    for _vendor, word, beginning, seconds in _RESULT_TEXT_RATE_LIMITS:
        if body["message"] != word or not cause.strip().lower().startswith(beginning):
            continue
        said = redacted_excerpt(_CONTROL.sub(" ", " ".join(f"{cause} ({word})".split())), EXCERPT_CHARS)
        wait = rate_limit_wait(headers)
        return ReportedRateLimit(said, wait if wait is not None else seconds)
    return None


def _errcode_rate_limit(body, headers) -> ReportedRateLimit | None:
    """A rate limit reported as ``{"errcode", "error", <wait>}`` (:data:`_ERRCODE_RATE_LIMITS`), or
    None. The wait: the answer's headers, else the body's field."""
    if not isinstance(body, dict):
        return None
    for _vendor, code, field_name, unit in _ERRCODE_RATE_LIMITS:
        if body.get("errcode") != code:
            continue
        message = body.get("error") if isinstance(body.get("error"), str) else ""
        said = redacted_excerpt(_CONTROL.sub(" ", " ".join(f"{message} ({code})".split())), EXCERPT_CHARS)
        wait = rate_limit_wait(headers)
        if wait is None:
            named = _number(body.get(field_name))
            wait = named * unit if named is not None and named >= 0 else None
        return ReportedRateLimit(said, wait)
    return None


def _parameters_rate_limit(body, headers) -> ReportedRateLimit | None:
    """A Telegram-style flood limit, ``{"ok": false, "error_code": 429, "description", "parameters":
    {"retry_after"}}``, or None. The wait: the answer's headers, else ``retry_after`` (seconds)."""
    if not isinstance(body, dict) or body.get("ok") is not False or body.get("error_code") != 429:
        return None
    parameters = body.get("parameters")
    named = _number(parameters.get("retry_after")) if isinstance(parameters, dict) else None
    if named is None or named < 0:
        return None
    description = body.get("description")
    message = description if isinstance(description, str) else ""
    said = redacted_excerpt(_CONTROL.sub(" ", " ".join(message.split())), EXCERPT_CHARS)
    wait = rate_limit_wait(headers)
    return ReportedRateLimit(said, wait if wait is not None else named)


def _coded_rate_limit(body: dict, errors: list, headers) -> ReportedRateLimit | None:
    """A rate limit reported with an API's own code in its documented error envelope
    (:data:`_CODED_RATE_LIMITS`), or None."""
    if body.get("success") is not False:
        return None
    for _vendor, keys, codes in _CODED_RATE_LIMITS:
        if not keys <= set(body):
            continue
        for error in errors:
            code = error.get("code") if isinstance(error, dict) else None
            code = str(code) if isinstance(code, (str, int)) and not isinstance(code, bool) else ""
            if code not in codes:
                continue
            said = _first_text(error, _MESSAGE_KEYS) or code
            said = redacted_excerpt(_CONTROL.sub(" ", " ".join(f"{said} ({code})".split())), EXCERPT_CHARS)
            wait = rate_limit_wait(headers)
            if wait is None:
                named = _WINDOW_IN_MESSAGE.search(_first_text(error, _MESSAGE_KEYS))
                wait = float(named.group(1)) if named else codes[code]
            return ReportedRateLimit(said, wait)
    return None


# Waits an API asks for in the body of an answer that succeeded, read only in the envelope it documents
# (a "backoff" elsewhere is a record's field): (vendor, keys its envelope holds beside the field, the
# field, in seconds). Stack Exchange API 2.3: "backoff" beside "quota_max" / "quota_remaining": the
# seconds a client must wait before it calls the same method again (https://api.stackexchange.com/docs/
# throttle: "Applications should make sure to honor the backoff field").
_BODY_BACKOFFS: tuple[tuple[str, frozenset[str], str], ...] = (
    ("Stack Exchange", frozenset({"quota_max", "quota_remaining"}), "backoff"),
)
# The longest backoff believed (a larger number is no wait an API means; the run's time budget still ends
# a run that waits too long).
_BACKOFF_MAX_SECONDS = 24 * 3600.0


_BACKOFF_MARKERS = tuple(
    (f'"{field_name}"'.encode(), tuple(f'"{key}"'.encode() for key in keys))
    for _vendor, keys, field_name in _BODY_BACKOFFS
)


def backoff_in_body(content: bytes) -> tuple[str, float] | None:
    """:func:`requested_backoff` of a raw 2xx body, read as it arrives (before the next request may go
    out). Cheap for every other body: only a body naming the field and its envelope's keys is parsed."""
    if not content or not any(
        field in content and all(key in content for key in keys) for field, keys in _BACKOFF_MARKERS
    ):
        return None
    try:
        body = json.loads(content.decode("utf-8", errors="replace"))
    except (ValueError, RecursionError):
        return None
    return requested_backoff(body)


def requested_backoff(body) -> tuple[str, float] | None:
    """``(what it says, seconds)`` when ``body`` (a decoded answer) asks the client to wait before its
    next request (:data:`_BODY_BACKOFFS`), or None."""
    if not isinstance(body, dict):
        return None
    for vendor, keys, field_name in _BODY_BACKOFFS:
        seconds = _number(body.get(field_name))
        if seconds is not None and seconds > 0 and keys <= set(body):
            seconds = min(seconds, _BACKOFF_MAX_SECONDS)
            return f"{field_name}: {body[field_name]} ({vendor})", seconds
    return None


def _rate_limit_code(error) -> str:
    if not isinstance(error, dict):
        return ""
    extensions = error.get("extensions")
    extension_code = extensions.get("code") if isinstance(extensions, dict) else None
    for code in (error.get("type"), error.get("code"), extension_code):
        if isinstance(code, str) and code.upper() in _RATE_LIMIT_CODES:
            return code.upper()
    return ""


def _query_cost_wait(extensions) -> float | None:
    """Seconds until a Shopify-style cost bucket holds the query's cost again, or None."""
    cost = extensions.get("cost") if isinstance(extensions, dict) else None
    if not isinstance(cost, dict) or not isinstance(cost.get("throttleStatus"), dict):
        return None
    available = _number(cost["throttleStatus"].get("currentlyAvailable"))
    rate = _number(cost["throttleStatus"].get("restoreRate"))
    if available is None or rate is None or rate <= 0:
        return None
    requested = _number(cost.get("requestedQueryCost"))
    if requested is None:
        requested = available + rate  # unknown cost: one second of restore
    return max(requested - available, 0.0) / rate


def _number(value) -> float | None:
    """A JSON number as a float (an integer too large for one as an infinity of its sign), else None."""
    if not isinstance(value, (int, float)) or isinstance(value, bool):
        return None
    try:
        return float(value)
    except OverflowError:  # an integer of more than 308 digits
        return math.inf if value > 0 else -math.inf
