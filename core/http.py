"""The one outbound HTTP client for tenant-given URLs (connector test-connection and syncs).

``OutboundClient`` wraps one keep-alive ``httpx.Client`` whose connections all go through the egress
guard (:mod:`core.egress`): every connection, including each redirect hop, is resolved once, checked
and pinned to the checked address. On top of that it enforces:

* a connect timeout and a *total* deadline per attempt (a read timeout alone only bounds the gap
  between two bytes; the deadline is enforced on every socket read and write);
* a cap on the *decoded* size of one response body: the body is streamed and decompressed in
  bounded steps, so a gzip bomb stops at the cap instead of inflating in memory;
* bounded retries on connection errors, timeouts, 429 and 5xx, with exponential backoff and full
  jitter, honouring ``Retry-After`` (seconds or HTTP date) and rate-limit reset headers up to a cap;
  a rate limit reported in the body (GraphQL's ``RATE_LIMITED`` / ``THROTTLED``, even with HTTP 200)
  is one too. A wait past the cap, however the upstream named it, fails the request at once, naming
  the wait and the cap, instead of retrying too early;
* redirects followed by hand (at most ``MIGRATEIQ_HTTP_MAX_REDIRECTS`` hops); a hop to another
  origin drops ``Authorization``, the ``auth=`` credentials, every caller header that is not plainly
  harmless, the caller's ``credential_headers`` / ``credential_params`` (the names its credentials
  really travel under, whatever they look like) and credential-looking query parameters; a request
  body is never sent to another origin; cookies an upstream sets are never kept (no jar);
* request bodies (``data=`` form fields or ``json=``) for calls such as OAuth2 token requests; a
  303 (or a 301/302 answering a POST) continues as a GET without the body;
* ``follow_redirects=False`` for callers whose request is the point (a webhook delivery): a
  redirect is then a failed attempt naming where it pointed, never a GET elsewhere taken for success.

Every error it raises (:mod:`core.http_errors`) has a message that is safe to show a tenant.
"""

from __future__ import annotations

import contextlib
import contextvars
import json
import logging
import math
import random
import re
import threading
import time
import typing
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from http.cookiejar import CookieJar, DefaultCookiePolicy
from urllib.parse import urlencode

import httpcore
import httpx
from django.conf import settings

from core import shutdown
from core.budget import NoSlotInTime, RequestBudget, SlotAbandoned, SlotTicket
from core.egress import GuardedNetworkBackend, GuardedTransport, HostLookupFailed, HostNotFound, validate_url
from core.http_errors import EgressDenied, ResponseTooLarge, UpstreamError
from core.http_fields import HEADER_VALUE_RULE, is_header_name, is_header_value
from core.json_limits import loads_bounded
from core.redaction import safe_url as _safe_url
from core.upstream_errors import (
    ERROR_BODY_KEEP,
    ReportedRateLimit,
    backoff_in_body,
    bounded_wait,
    error_excerpt,
    is_rate_limited,
    rate_limit_wait,
    reported_rate_limit,
    retry_after,
)

logger = logging.getLogger(__name__)

#: Optional metrics hook, set by observability code: ``request_observer(status_code_or_None, seconds)``
#: is called once per HTTP exchange (each attempt and each redirect hop); ``None`` for a failed one.
request_observer: Callable[[int | None, float], None] | None = None

USER_AGENT = "MigrateIQ/1.0 (+connector sync)"
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
# Headers that may follow a redirect to another origin; everything else the caller set is dropped,
# because connectors put API keys in arbitrary headers (X-API-Key, X-Auth-Token, ...).
CROSS_ORIGIN_SAFE_HEADERS = frozenset(
    {"accept", "accept-encoding", "accept-language", "user-agent", "content-type", "cache-control"}
)
SENSITIVE_QUERY_PARAM = re.compile(
    r"(?i)(api[_-]?key|apikey|token|secret|password|passwd|access[_-]?key|auth|signature|sig|key|session)"
)
_DECODE_STEP = 64 * 1024
_ERROR_BODY_DRAIN = 64 * 1024

# Query parameter names that carry the current request's credentials: masked in every message.
_credential_params: contextvars.ContextVar[frozenset[str]] = contextvars.ContextVar(
    "migrateiq_http_credential_params", default=frozenset()
)


def safe_url(url: str) -> str:
    """``core.redaction.safe_url`` that also masks the current request's credential parameters."""
    return _safe_url(url, secret_params=_credential_params.get())


# Absolute monotonic deadline of the exchange running in this thread/context (see _DeadlineStream).
_deadline: contextvars.ContextVar[float | None] = contextvars.ContextVar(
    "migrateiq_http_deadline", default=None
)


# An outer budget for every request made inside ``total_deadline()``: (absolute deadline, what).
_budget: contextvars.ContextVar[tuple[float, str] | None] = contextvars.ContextVar(
    "migrateiq_http_budget", default=None
)


@contextlib.contextmanager
def total_deadline(seconds: float, what: str | None = None) -> Iterator[None]:
    """Bound every ``OutboundClient`` request made inside the block, retries and redirects included,
    to ``seconds`` in total (from now). For a web thread (``core.interactive``: a slow upstream holds
    the thread this long and no longer) and for a sync run's time budget. ``what`` names the budget
    in the timeout message."""
    what = what or f"the {float(seconds):g} s budget of this request"
    token = _budget.set((time.monotonic() + float(seconds), what))
    try:
        yield
    finally:
        _budget.reset(token)


# Set when the caller no longer wants the answers of the requests made inside ``abandoned_when()``;
# blocks nest, and a request is abandoned when any of their events is set. Each event comes with
# whether it also cuts an answer short (``answers``).
_abandon: contextvars.ContextVar[tuple[tuple[threading.Event, bool], ...]] = contextvars.ContextVar(
    "migrateiq_http_abandon", default=()
)

# How often a request whose answer may be abandoned looks at its events while it waits for it.
ABANDON_POLL_SECONDS = 0.2


@contextlib.contextmanager
def abandoned_when(event: threading.Event, *, answers: bool = False) -> Iterator[None]:
    """Requests made inside the block stop once ``event`` is set, with nothing more sent: a wait
    for the budget's slot (a pause the API asked for, a rate token), a wait between retries and
    every further attempt end at once in an :class:`UpstreamError`. With ``answers`` an answer
    still awaited is given up too (its connection closed within :data:`ABANDON_POLL_SECONDS`);
    without it, an attempt already sent is let end. For a sync's requests once it is cancelled
    (``answers=True``), and for requests a sync sent ahead, once it has ended. Blocks nest: any
    of their events abandons the request."""
    token = _abandon.set((*_abandon.get(), (event, answers)))
    try:
        yield
    finally:
        _abandon.reset(token)


class _Abandon:
    """The events of the enclosing ``abandoned_when()`` blocks, as one: set when any of them is."""

    def __init__(self, events: tuple[threading.Event, ...]):
        self.events = events

    def is_set(self) -> bool:
        return any(event.is_set() for event in self.events)

    def wait(self, timeout: float, *, or_stopping: bool = False) -> bool:
        """Wait up to ``timeout`` seconds for any of the events (``or_stopping``: or for the process
        to stop, ``core.shutdown``); whether one is set."""
        if len(self.events) == 1 and not or_stopping:
            return self.events[0].wait(timeout)
        ends_at = time.monotonic() + timeout
        while not self.is_set():
            left = ends_at - time.monotonic()
            if left <= 0 or (or_stopping and shutdown.requested()):
                return False
            self.events[-1].wait(min(left, ABANDON_POLL_SECONDS))
        return True


def _abandoning(*, answers: bool = False) -> _Abandon | None:
    """What abandons the current request (``answers``: its answer, once sent), or None."""
    events = tuple(event for event, cuts_answers in _abandon.get() if cuts_answers or not answers)
    return _Abandon(events) if events else None


# httpcore's trace events of a request about to be written (HTTP/1.1, HTTP/2).
_WRITING_REQUEST = frozenset({"http11.send_request_headers.started", "http2.send_request_headers.started"})

_GIVEN_UP = "Not sent: the request was given up (the run that wanted it has ended) while it waited"
_ABANDONED = "Given up (the run that wanted it has ended) while waiting for the answer of"


class RequestAbandoned(UpstreamError):
    """A request given up (``abandoned_when``) before any of it reached the upstream."""


class _Abandoned(httpcore.ReadTimeout):
    """A read given up (``abandoned_when``): a timeout to httpcore, which then closes the connection."""


def _budget_left() -> float | None:
    budget = _budget.get()
    return None if budget is None else budget[0] - time.monotonic()


def _within_deadline(timeout: float | None, timeout_error: type[Exception]) -> float | None:
    deadline = _deadline.get()
    if deadline is None:
        return timeout
    remaining = deadline - time.monotonic()
    if remaining <= 0:
        raise timeout_error("total request deadline exceeded")
    return remaining if timeout is None else min(timeout, remaining)


class _DeadlineStream(httpcore.NetworkStream):
    """Socket stream whose every read and write is bounded by the current exchange's deadline."""

    def __init__(self, stream: httpcore.NetworkStream) -> None:
        self._stream = stream

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        timeout = _within_deadline(timeout, httpcore.ReadTimeout)
        abandon = _abandoning(answers=True)
        if abandon is None:
            return self._stream.read(max_bytes, timeout)
        # A request that may be abandoned (abandoned_when) waits for its answer in short slices, so
        # that it stops soon after it was given up instead of at its timeout.
        ends_at = None if timeout is None else time.monotonic() + timeout
        while True:
            if abandon.is_set():
                raise _Abandoned(_ABANDONED)
            left = None if ends_at is None else ends_at - time.monotonic()
            if left is not None and left <= 0:
                raise httpcore.ReadTimeout("timed out")
            try:
                return self._stream.read(
                    max_bytes, ABANDON_POLL_SECONDS if left is None else min(left, ABANDON_POLL_SECONDS)
                )
            except httpcore.ReadTimeout:
                if left is not None and left <= ABANDON_POLL_SECONDS:
                    raise

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._stream.write(buffer, _within_deadline(timeout, httpcore.WriteTimeout))

    def close(self) -> None:
        self._stream.close()

    def start_tls(self, ssl_context, server_hostname=None, timeout=None) -> httpcore.NetworkStream:
        timeout = _within_deadline(timeout, httpcore.ConnectTimeout)
        return _DeadlineStream(self._stream.start_tls(ssl_context, server_hostname, timeout))

    def get_extra_info(self, info: str) -> typing.Any:
        return self._stream.get_extra_info(info)


class _DeadlineGuardedBackend(GuardedNetworkBackend):
    def connect_tcp(self, host, port, timeout=None, local_address=None, socket_options=None):
        timeout = _within_deadline(timeout, httpcore.ConnectTimeout)
        stream = super().connect_tcp(host, port, timeout, local_address, socket_options)
        return _DeadlineStream(stream)


@dataclass
class UpstreamResponse:
    """A final 2xx response. ``url`` is the real URL that answered (after redirects, with its query:
    use it to resolve relative links, and ``core.redaction.safe_url`` before showing it).
    ``elapsed_ms`` is the time of the successful attempt, redirects included."""

    status_code: int
    headers: httpx.Headers
    content: bytes
    url: str
    elapsed_ms: float
    # What a 4xx/5xx answer's body says, in one short redacted line (core.upstream_errors).
    error_text: str = ""
    # A rate limit the body reports (GraphQL answers it with HTTP 200 too), or None.
    reported_limit: ReportedRateLimit | None = None

    def json(self):
        """The decoded body; ``core.json_limits.JSONTooDeep`` (a ``ValueError``) past the depth limit."""
        return loads_bounded(self.content)

    @property
    def text(self) -> str:
        return self.content.decode(_charset(self.headers.get("content-type", "")), errors="replace")


def _charset(content_type: str) -> str:
    match = re.search(r"charset=\"?([\w.:-]+)", content_type, re.I)
    if match:
        try:
            "".encode(match.group(1))
            return match.group(1)
        except LookupError:
            pass
    return "utf-8"


class _AttemptFailed(Exception):
    """One attempt ended without a 2xx response (internal; ``request`` turns it into UpstreamError)."""

    def __init__(
        self,
        message: str,
        url: httpx.URL,
        *,
        status_code=None,
        retry_after=None,
        retryable=True,
        rate_limited=False,
    ):
        super().__init__(message)
        self.message = message
        self.url = url
        self.status_code = status_code
        # whatever the upstream named (a header, a body, a reset time), a finite number of seconds
        self.retry_after = bounded_wait(retry_after)
        self.retryable = retryable
        # The upstream asked to slow down (a 429, a 403 with a rate-limit signal, a reported limit).
        self.rate_limited = rate_limited


class OutboundClient:
    """The outbound HTTP client. Reuse one instance for the many requests of a sync (keep-alive).

    ``on_retry(message)`` is called before each retry wait (an exception it raises aborts the request,
    which a caller can use for cancellation). ``sleep`` (keyword-only) replaces ``time.sleep``
    between retries, so tests can record the waits.

    ``budget`` (keyword-only, a :class:`core.budget.RequestBudget`) paces every exchange (each
    attempt, retry and redirect hop takes a slot from it), and a 429 or a ``Retry-After`` pauses the
    budget's whole key (every thread and process using it) instead of this request alone.

    ``peer`` (keyword-only) is what an error calls the other side when it quotes an answer's error
    text: "the API" (an upstream, the default), "the receiver" for a webhook's endpoint.
    """

    def __init__(
        self,
        timeout: float | None = None,
        connect_timeout: float | None = None,
        max_bytes: int | None = None,
        max_attempts: int | None = None,
        on_retry: Callable[[str], None] | None = None,
        *,
        sleep: Callable[[float], None] | None = None,
        budget: RequestBudget | None = None,
        follow_redirects: bool = True,
        peer: str = "the API",
    ):
        self.peer = peer
        self.timeout = float(settings.MIGRATEIQ_HTTP_TIMEOUT if timeout is None else timeout)
        self.connect_timeout = float(
            settings.MIGRATEIQ_HTTP_CONNECT_TIMEOUT if connect_timeout is None else connect_timeout
        )
        self.max_bytes = int(settings.MIGRATEIQ_HTTP_MAX_RESPONSE_BYTES if max_bytes is None else max_bytes)
        self.max_attempts = max(
            1, int(settings.MIGRATEIQ_HTTP_MAX_ATTEMPTS if max_attempts is None else max_attempts)
        )
        self.on_retry = on_retry
        self._sleep = sleep or shutdown.wait  # a retry's wait ends when the process stops
        self.budget = budget
        self.follow_redirects = follow_redirects
        self._timeouts = httpx.Timeout(self.timeout, connect=min(self.connect_timeout, self.timeout))
        self._client = httpx.Client(
            transport=GuardedTransport(network_backend=_DeadlineGuardedBackend()),
            timeout=self._timeouts,
            follow_redirects=False,
            trust_env=False,
            # No cookie jar: a cookie ignores ports and may name a parent domain, so an upstream's
            # session cookie would follow a redirect to another origin, past the header stripping.
            cookies=CookieJar(policy=DefaultCookiePolicy(allowed_domains=[])),
            headers={"User-Agent": USER_AGENT, "Accept-Encoding": "gzip, deflate"},
        )

    # -- public API -------------------------------------------------------------------------

    def request(
        self,
        method,
        url,
        *,
        params=None,
        headers=None,
        auth=None,
        data=None,
        json=None,
        content: bytes | None = None,
        credential_headers=(),
        credential_params=(),
    ) -> UpstreamResponse:
        """Send ``method url`` with retries and redirects; return the final 2xx response.

        ``data`` (a mapping of form fields), ``json`` (any JSON value) or ``content`` (bytes sent
        as they are, e.g. a signed body; its type from a ``Content-Type`` in ``headers``) is the
        request body.
        ``credential_headers`` / ``credential_params`` name the headers and query parameters that
        carry credentials: they never follow a redirect to another origin, and the parameters are
        masked in every message.

        Raises ``EgressDenied`` (destination not allowed), ``ResponseTooLarge`` (decoded body over the
        cap) or ``UpstreamError`` (non-2xx after retries, timeout, connection failure).
        """
        if sum(value is not None for value in (data, json, content)) > 1:
            raise ValueError("Send one of data, json or content, not several.")
        body = _encode_body(data, json, content)
        _check_sendable_headers(headers, url)
        secrets = _Credentials(
            frozenset(name.lower() for name in credential_headers), frozenset(credential_params)
        )
        masked = _credential_params.set(secrets.params | _credential_params.get())
        try:
            return self._request(method, url, params, headers, auth, body, secrets)
        finally:
            _credential_params.reset(masked)

    def _request(self, method, url, params, headers, auth, body, secrets) -> UpstreamResponse:
        target = validate_url(url)
        if params:
            target = target.copy_merge_params(params)
        for attempt in range(1, self.max_attempts + 1):
            abandon = _abandoning()
            if abandon is not None and abandon.is_set():
                error = RequestAbandoned if attempt == 1 else UpstreamError
                raise error(f"{_GIVEN_UP} to be sent: {safe_url(str(target))}", url=safe_url(str(target)))
            started = time.perf_counter()
            try:
                response = self._follow_redirects(
                    method.upper(), target, headers, auth, attempt, body=body, secrets=secrets
                )
            except _AttemptFailed as failure:
                # A stopping process does not retry: its caller (a sync) ends resumable instead.
                final = not failure.retryable or attempt >= self.max_attempts or bool(shutdown.requested())
                wait = self._retry_wait(attempt, failure.retry_after)
                # A 429 or Retry-After speaks for the upstream, not for this request: with a budget it
                # pauses every request of the budget's key (even when this one gives up now), and this
                # request's next attempt waits for its slot like everyone else's.
                paused = False
                if self.budget is not None and (failure.rate_limited or failure.retry_after is not None):
                    self.budget.pause(wait)
                    paused = True
                left = _budget_left()
                too_long = _wait_past_cap(failure, wait)
                if final or too_long or (left is not None and left <= wait):  # no retry past the budget
                    raise UpstreamError(
                        f"{failure.message}{too_long} after {_attempts(attempt)}"
                        + (_AFTER_A_LONG_WAIT if too_long else ""),
                        url=safe_url(str(failure.url)),
                        status_code=failure.status_code,
                        attempts=attempt,
                        retry_after=failure.retry_after,
                    ) from None
                if self.on_retry is not None:
                    self.on_retry(
                        f"{failure.message} (attempt {attempt} of {self.max_attempts}); "
                        f"retrying in {_wait_text(wait)}"
                        + (f"; {self.budget.pause_note()}" if paused and self.budget is not None else "")
                    )
                if not paused:
                    abandon = _abandoning()
                    if abandon is None:
                        self._sleep(wait)
                    elif abandon.wait(wait, or_stopping=True):
                        raise UpstreamError(
                            f"{_GIVEN_UP} to retry after: {failure.message}",
                            url=safe_url(str(failure.url)),
                            attempts=attempt,
                        ) from None
                continue
            response.elapsed_ms = (time.perf_counter() - started) * 1000
            return response
        raise AssertionError("unreachable")  # pragma: no cover

    def get(self, url, **kwargs) -> UpstreamResponse:
        return self.request("GET", url, **kwargs)

    def post(self, url, **kwargs) -> UpstreamResponse:
        return self.request("POST", url, **kwargs)

    def close(self) -> None:
        self._client.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    # -- internals --------------------------------------------------------------------------

    def retry_wait(self, attempt: int, retry_after: float | None = None) -> float:
        """Seconds to wait after failed ``attempt`` (1-based): Retry-After if given, else jittered backoff."""
        return self._retry_wait(attempt, retry_after)

    def _retry_wait(self, attempt: int, retry_after: float | None) -> float:
        cap = float(settings.MIGRATEIQ_HTTP_RETRY_AFTER_CAP)
        if retry_after is not None:
            return min(max(retry_after, 0.0), cap)
        base = float(settings.MIGRATEIQ_HTTP_BACKOFF_BASE)
        return random.uniform(0, min(cap, base * 2 ** (attempt - 1)))

    @contextlib.contextmanager
    def _slot(
        self, url: httpx.URL, attempt: int, *, first_exchange: bool = True
    ) -> Iterator[SlotTicket | None]:
        """The budget's slot for one exchange, not waited for past the outer deadline
        (``total_deadline``): a slot that comes later is a timeout now, with nothing sent."""
        if self.budget is None:
            yield None
            return
        budget = _budget.get()
        with contextlib.ExitStack() as held:
            with self._slot_waits(url, attempt, first_exchange=first_exchange):
                ticket = held.enter_context(
                    self.budget.slot(until=budget[0] if budget is not None else None, abandon=_abandoning())
                )
            yield ticket

    @contextlib.contextmanager
    def _slot_waits(self, url: httpx.URL, attempt: int, *, first_exchange: bool) -> Iterator[None]:
        """A wait for the budget (for the slot, or at the write: ``SlotTicket.at_send``) that ended
        without a slot, as the caller's error: nothing was sent."""
        budget = _budget.get()
        try:
            yield
        except SlotAbandoned:
            # Nothing of this request reached the upstream when it gave up before its first exchange.
            error = RequestAbandoned if attempt == 1 and first_exchange else UpstreamError
            raise error(
                f"{_GIVEN_UP} for a slot of the connector's request budget: {safe_url(str(url))}",
                url=safe_url(str(url)),
                attempts=attempt,
            ) from None
        except NoSlotInTime as late:
            what = budget[1] if budget is not None else "the deadline"
            raise UpstreamError(
                f"Timed out: {what} would run out before {late.reason}, "
                f"{math.ceil(late.wait)} s away; nothing was sent to {safe_url(str(url))}",
                url=safe_url(str(url)),
                attempts=attempt,
            ) from None

    def _follow_redirects(
        self, method, url: httpx.URL, headers, auth, attempt: int, *, body=None, secrets=None
    ) -> UpstreamResponse:
        max_redirects = int(settings.MIGRATEIQ_HTTP_MAX_REDIRECTS)
        headers = dict(headers or {})
        secrets = secrets or _Credentials(frozenset(), frozenset())
        start = url
        for hop in range(max_redirects + 1):
            with self._slot(url, attempt, first_exchange=hop == 0) as ticket:
                response = self._exchange(method, url, headers, auth, attempt, body, ticket, hop == 0)
            if response.status_code not in REDIRECT_STATUSES or "location" not in response.headers:
                return self._final(response, url)
            if hop == max_redirects and self.follow_redirects:
                break
            try:
                next_url = url.join(response.headers["location"])
            except (httpx.InvalidURL, ValueError):
                raise UpstreamError(
                    f"Invalid redirect from {safe_url(str(url))}", url=safe_url(str(url)), attempts=attempt
                ) from None
            if not self.follow_redirects:
                # A redirected POST continues as a GET (301, 302, 303) whose 2xx said nothing about the
                # request: the caller would count it delivered. Not followed, not retried (it would
                # redirect again): the caller's URL needs changing.
                raise UpstreamError(
                    f"HTTP {response.status_code} from {safe_url(str(url))} redirects to "
                    f"{safe_url(str(next_url))} (not followed)",
                    url=safe_url(str(url)),
                    status_code=response.status_code,
                    attempts=attempt,
                )
            try:
                next_url = validate_url(next_url)
            except EgressDenied as exc:
                exc.attempts = attempt
                raise
            if response.status_code == 303 or (response.status_code in (301, 302) and method == "POST"):
                method = "GET"
                body = None
            if _origin(next_url) != _origin(url):
                if body is not None:
                    raise UpstreamError(
                        f"{safe_url(str(url))} redirects a request with a body to another origin "
                        f"({safe_url(str(next_url))}); not followed",
                        url=safe_url(str(url)),
                        attempts=attempt,
                    )
                headers = {
                    k: v
                    for k, v in headers.items()
                    if k.lower() in CROSS_ORIGIN_SAFE_HEADERS and k.lower() not in secrets.headers
                }
                auth = None
                next_url = _without_credential_params(next_url, secrets.params)
            url = next_url
        raise UpstreamError(
            f"Too many redirects (more than {max_redirects}) starting at {safe_url(str(start))}",
            url=safe_url(str(start)),
            attempts=attempt,
        )

    def _final(self, response: UpstreamResponse, url: httpx.URL) -> UpstreamResponse:
        status = response.status_code
        reported = response.reported_limit
        if 200 <= status < 300 and reported is None:
            return response
        if reported is not None:  # GraphQL: errors answered with HTTP 200 (or 403, 429) that mean "wait"
            raise _AttemptFailed(
                f"HTTP {status} from {safe_url(str(url))} reports a rate limit ({self.peer} says: "
                f"{reported.said!r})",
                url,
                status_code=status,
                retry_after=reported.wait,
                rate_limited=True,
            )
        said = f" ({self.peer} says: {response.error_text!r})" if response.error_text else ""
        wait = rate_limit_wait(response.headers) if status in (403, 429) else retry_after(response.headers)
        rate_limited = is_rate_limited(status, response.headers)
        raise _AttemptFailed(
            f"HTTP {status} from {safe_url(str(url))}{said}",
            url,
            status_code=status,
            retry_after=wait,
            retryable=rate_limited or 500 <= status <= 599,
            rate_limited=rate_limited,
        )

    def _exchange(
        self,
        method,
        url: httpx.URL,
        headers,
        auth,
        attempt: int,
        body=None,
        ticket: SlotTicket | None = None,
        first_exchange: bool = True,
    ) -> UpstreamResponse:
        """One HTTP request/response, bounded by the total deadline; body read only for 2xx.
        ``ticket``: the budget's slot, told when the request is written (``SlotTicket.at_send``)."""
        started = time.perf_counter()
        ends_at = time.monotonic() + self.timeout
        budget = _budget.get()
        if budget is not None:
            ends_at = min(ends_at, budget[0])
        token = _deadline.set(ends_at)
        status: int | None = None
        try:
            if body is not None:
                content_type, content = body
                if not any(name.lower() == "content-type" for name in headers):  # the caller's wins
                    headers = {**headers, "Content-Type": content_type}
                request = self._client.build_request(method, url, headers=headers, content=content)
            else:
                request = self._client.build_request(method, url, headers=headers)
            if ticket is not None and ticket.stamp is not None:
                request.extensions["trace"] = self._at_send(ticket, url, attempt, first_exchange)
            response = self._client.send(request, auth=auth, stream=True)
            error_text = ""
            reported = None
            try:
                status = response.status_code
                if 200 <= status < 300 and method != "HEAD":
                    content = self._read_body(response, url, attempt)
                    reported = reported_rate_limit(content, response.headers)
                    backoff = backoff_in_body(content) if self.budget is not None else None
                    if backoff is not None and self.budget is not None:
                        # An answer that asks to wait before the next request (Stack Exchange's
                        # "backoff"): every request of the budget's key waits, from now, before this
                        # exchange's slot is given back.
                        self.budget.pause(backoff[1])
                else:
                    content = b""
                    kept = _drain(response, keep=ERROR_BODY_KEEP if status >= 400 else 0)
                    error_text = error_excerpt(kept, response.headers.get("content-type", ""))
                    if status in (400, 403, 429):  # Linear answers its rate limit with a 400
                        reported = reported_rate_limit(kept, response.headers)
            finally:
                response.close()
        except EgressDenied as exc:
            exc.url = safe_url(str(url))
            exc.attempts = attempt
            status = None
            raise
        except httpx.TimeoutException as exc:
            status = None
            shown = safe_url(str(url))
            if isinstance(exc.__cause__, _Abandoned) or (
                (abandon := _abandoning(answers=True)) is not None and abandon.is_set()
            ):
                # Not retried: whoever abandoned it wants no answer, now or after another attempt.
                raise UpstreamError(f"{_ABANDONED} {shown}", url=shown, attempts=attempt) from None
            if budget is not None and time.monotonic() >= budget[0] - 0.01:
                message = f"Timed out: {budget[1]} ran out waiting for {shown}"
            elif isinstance(exc, httpx.ConnectTimeout) and time.perf_counter() - started < self.timeout:
                message = (
                    f"Timed out after {min(self.connect_timeout, self.timeout):g} s connecting to {shown}"
                )
            else:
                message = f"Timed out after {self.timeout:g} s waiting for {shown}"
            raise _AttemptFailed(message, url) from None
        except httpx.ConnectError as exc:
            status = None
            shown = safe_url(str(url))
            # httpx keeps the guard's own exception as the cause: a name that does not exist is
            # said so and not asked again; a resolver that did not answer is retried
            if isinstance(exc.__cause__, HostNotFound):
                raise _AttemptFailed(
                    f"The host name of {shown} could not be resolved", url, retryable=False
                ) from None
            if isinstance(exc.__cause__, HostLookupFailed):
                raise _AttemptFailed(
                    f"The host name of {shown} could not be resolved (a temporary failure of the "
                    "name lookup)",
                    url,
                ) from None
            raise _AttemptFailed(f"Could not connect to {shown}", url) from None
        except (httpx.RemoteProtocolError, httpx.ReadError, httpx.WriteError):
            status = None
            raise _AttemptFailed(f"The connection to {safe_url(str(url))} broke off", url) from None
        except httpx.TransportError as exc:
            status = None
            shown = safe_url(str(url))
            raise _AttemptFailed(f"Request to {shown} failed ({type(exc).__name__})", url) from None
        except zlib.error:
            raise _AttemptFailed(
                f"The compressed response from {safe_url(str(url))} is corrupt", url, retryable=False
            ) from None
        except UnicodeEncodeError:
            # What httpx could not encode (a header _check_sendable_headers let through): its message
            # names the character and its position in the value, often a credential, so say neither.
            status = None
            raise UpstreamError(
                f"Not sent: the request to {safe_url(str(url))} holds characters HTTP cannot carry",
                url=safe_url(str(url)),
                attempts=attempt,
            ) from None
        finally:
            _deadline.reset(token)
            if request_observer is not None:
                _observe(status, time.perf_counter() - started)
        return UpstreamResponse(status, response.headers, content, str(url), 0.0, error_text, reported)

    def _at_send(
        self, ticket: SlotTicket, url: httpx.URL, attempt: int, first_exchange: bool
    ) -> Callable[[str, dict], None]:
        """httpcore's ``trace`` hook that tells ``ticket`` when the request's headers are written:
        after the connection is open (name lookup, TCP and TLS handshakes), which is when the
        upstream starts counting the request."""

        def trace(event: str, info: dict) -> None:
            if event in _WRITING_REQUEST:
                with self._slot_waits(url, attempt, first_exchange=first_exchange):
                    ticket.at_send(until=_deadline.get(), abandon=_abandoning())

        return trace

    def _read_body(self, response: httpx.Response, url: httpx.URL, attempt: int) -> bytes:
        limit = self.max_bytes
        encodings = [
            e.strip().lower()
            for e in response.headers.get("content-encoding", "").split(",")
            if e.strip() and e.strip().lower() != "identity"
        ]
        declared = response.headers.get("content-length", "")
        if not encodings and declared.isdigit() and int(declared) > limit:
            raise self._too_large(response, url, attempt)
        decoder = _decoder_chain(encodings, response, url, attempt)
        chunks: list[bytes] = []
        size = 0
        received = False
        raw_chunks = response.iter_raw()
        try:
            for raw in raw_chunks:
                received = received or bool(raw)
                for piece in decoder.decode(raw) if decoder else (raw,):
                    size += len(piece)
                    if size > limit:
                        chunks.clear()
                        raise self._too_large(response, url, attempt)
                    chunks.append(piece)
        finally:
            # httpx types iter_raw() as an Iterator; it is a generator, which has close().
            raw_chunks.close()  # type: ignore[attr-defined]  # now, not whenever the garbage collector gets to the traceback
        if decoder is not None and received and not decoder.complete():
            raise _AttemptFailed(f"The compressed response from {safe_url(str(url))} was truncated", url)
        return b"".join(chunks)

    def _too_large(self, response: httpx.Response, url: httpx.URL, attempt: int) -> ResponseTooLarge:
        return ResponseTooLarge(
            f"The response from {safe_url(str(url))} is larger than the {_size(self.max_bytes)} limit "
            "(MIGRATEIQ_HTTP_MAX_RESPONSE_BYTES)",
            url=safe_url(str(url)),
            status_code=response.status_code,
            attempts=attempt,
        )


def _wait_past_cap(failure: _AttemptFailed, wait: float) -> str:
    """The end of the message of a retryable failure whose upstream asks to wait longer than
    ``MIGRATEIQ_HTTP_RETRY_AFTER_CAP`` (``wait`` is the capped wait), or "" when it does not.

    Whatever said it (a ``Retry-After`` in seconds or as a date, an exhausted window's reset, a rate
    limit reported in the body), an hour until a quota resets is not retried after the cap: the retry
    would only be refused again, after holding the connector paused for nothing."""
    if not failure.retryable or failure.retry_after is None or failure.retry_after <= wait:
        return ""
    return (
        f"; it asks to wait {math.ceil(failure.retry_after)} s, longer than "
        f"MIGRATEIQ_HTTP_RETRY_AFTER_CAP ({wait:g} s), so it was not retried"
    )


# What to do about a wait past the cap, after the message that names it.
_AFTER_A_LONG_WAIT = (
    ". Try again once that wait is over (a failed sync that stored pages can then be resumed from the "
    "last of them), "
    "or raise MIGRATEIQ_HTTP_RETRY_AFTER_CAP to wait that long within a request"
)


def _observe(status: int | None, seconds: float) -> None:
    observer = request_observer
    if observer is None:
        return
    try:
        observer(status, seconds)
    except Exception:  # a metrics bug must never break a sync
        logger.exception("core.http.request_observer failed")


def _drain(response: httpx.Response, keep: int = 0) -> bytes:
    """Read a small error/redirect body so the connection can be reused; give up on large ones.
    Returns its first ``keep`` bytes, decompressed (gzip or deflate, bounded), for the error message."""
    read = 0
    kept = bytearray()
    try:
        for chunk in response.iter_raw():
            read += len(chunk)
            if len(kept) < keep:
                kept += chunk[: keep - len(kept)]
            if read > _ERROR_BODY_DRAIN:
                break
    except httpx.HTTPError:
        pass
    encoding = response.headers.get("content-encoding", "").strip().lower()
    if not kept or encoding in ("", "identity"):
        return bytes(kept)
    if encoding not in ("gzip", "deflate"):
        return b""
    try:  # a truncated stream gives what it can; max_length bounds a bomb
        return zlib.decompressobj(zlib.MAX_WBITS | 32).decompress(bytes(kept), keep)
    except zlib.error:
        return b""


def _wait_text(seconds: float) -> str:
    """``0.5 s``; a wait under a tenth of a second keeps two decimals (``0.02 s``, not ``0.0 s``)."""
    return f"{seconds:.2f} s" if 0 < seconds < 0.1 else f"{seconds:.1f} s"


def _attempts(count: int) -> str:
    return f"{count} attempt" if count == 1 else f"{count} attempts"


def _size(count: int) -> str:
    if count % (1024 * 1024) == 0:
        return f"{count // (1024 * 1024)} MiB"
    if count % 1024 == 0:
        return f"{count // 1024} KiB"
    return f"{count} bytes"


def _check_sendable_headers(headers, url) -> None:
    """Refuse, before anything is sent, a header httpx could not encode or h11 would refuse.

    The message names the header, never its value or the offending character: the value is often a
    credential (a connector saved before its settings were checked, a token an upstream issued)."""
    for name, value in (headers or {}).items():
        if not is_header_name(name):
            problem = "A request header's name cannot be sent"
        elif not is_header_value(value):
            problem = f"The {name} header cannot be sent"
        else:
            continue
        shown = safe_url(str(url))
        raise UpstreamError(f"{problem}: {HEADER_VALUE_RULE}; nothing was sent to {shown}", url=shown)


def _origin(url: httpx.URL) -> tuple[str, str, int]:
    return (url.scheme, url.host, url.port or (443 if url.scheme == "https" else 80))


def _without_credential_params(url: httpx.URL, names=frozenset()) -> httpx.URL:
    if not url.query:
        return url
    kept = [
        (k, v) for k, v in url.params.multi_items() if k not in names and not SENSITIVE_QUERY_PARAM.search(k)
    ]
    return url.copy_with(params=kept)


@dataclass(frozen=True)
class _Credentials:
    """Where one request's credentials travel: header names (lower case) and query parameter names."""

    headers: frozenset[str]
    params: frozenset[str]


def _encode_body(data, json_value, content: bytes | None = None) -> tuple[str, bytes] | None:
    """(content type, bytes) of a request body, or None without one."""
    if content is not None:
        return "application/octet-stream", bytes(content)
    if json_value is not None:
        return "application/json", json.dumps(json_value, separators=(",", ":")).encode()
    if data is not None:
        return "application/x-www-form-urlencoded", urlencode(list(dict(data).items())).encode()
    return None


class _ZlibDecoder:
    """Decompress gzip/deflate in steps of at most ``_DECODE_STEP`` output bytes (bomb-safe)."""

    def __init__(self, kind: str):
        self._kind = kind
        self._inflater = zlib.decompressobj(zlib.MAX_WBITS | 16) if kind == "gzip" else None

    def decode(self, data: bytes) -> Iterator[bytes]:
        if self._inflater is None:
            if not data:
                return
            # "deflate" is meant to be zlib-wrapped, but some servers send raw deflate.
            zlib_header = len(data) >= 2 and data[0] & 0x0F == 8 and (data[0] << 8 | data[1]) % 31 == 0
            self._inflater = zlib.decompressobj(zlib.MAX_WBITS if zlib_header else -zlib.MAX_WBITS)
        inflater = self._inflater
        pending = data
        while True:
            out = inflater.decompress(pending, _DECODE_STEP)
            if out:
                yield out
            pending = inflater.unconsumed_tail
            if inflater.eof or (not pending and len(out) < _DECODE_STEP):
                return

    def complete(self) -> bool:
        return self._inflater is not None and self._inflater.eof


class _DecoderChain:
    def __init__(self, decoders: list[_ZlibDecoder]):
        self._decoders = decoders  # in decoding order (last applied encoding first)

    def decode(self, data: bytes) -> Iterator[bytes]:
        pieces: typing.Iterable[bytes] = (data,)
        for decoder in self._decoders:
            pieces = _feed(decoder, pieces)
        return iter(pieces)

    def complete(self) -> bool:
        return all(decoder.complete() for decoder in self._decoders)


def _feed(decoder: _ZlibDecoder, pieces: typing.Iterable[bytes]) -> Iterator[bytes]:
    for piece in pieces:
        yield from decoder.decode(piece)


def _decoder_chain(encodings: list[str], response: httpx.Response, url: httpx.URL, attempt: int):
    if not encodings:
        return None
    decoders = []
    for encoding in reversed(encodings):
        if encoding in ("gzip", "x-gzip"):
            decoders.append(_ZlibDecoder("gzip"))
        elif encoding == "deflate":
            decoders.append(_ZlibDecoder("deflate"))
        else:
            raise UpstreamError(
                f"The response from {safe_url(str(url))} uses an unsupported Content-Encoding "
                f"({encoding[:40]})",
                url=safe_url(str(url)),
                status_code=response.status_code,
                attempts=attempt,
            )
    return _DecoderChain(decoders)
