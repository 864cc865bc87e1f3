"""Overlapping page fetches: request the next pages while the sync works on the current one.

A real API answers a page in 50-300 ms, so a sync that asks for one page at a time is bound by
pages x latency whatever its own speed. Where the pagination lets the sync know the next requests
before it has the current answer, :class:`PageFetcher` sends them ahead, at most
:func:`request_concurrency` at once:

* ``page``: page numbers ``n + 1, n + 2, ...``;
* ``offset``: offsets ``o + k * size``, ``size`` being the size the upstream really serves (the
  longest page seen: an API may serve fewer records than the ``limit`` asked for, so nothing is
  predicted before the first answer);
* ``link_header`` whose ``rel="next"`` links differ from page to page by one numeric query
  parameter (``?page=3`` after ``?page=2``): the same step again.

``cursor``, ``next_url`` (and link headers without a numeric step) stay sequential: the next request
is only known from the previous answer. It is sent (:meth:`PageFetcher.send_ahead`) as soon as that
answer is read, so it travels while the sync stores the page. ``none`` and ``auto`` have a single
request, or one to detect the style. Once an answer tells the totals (``total_pages``, a record count,
``X-Total-Count``, ...) no request is sent past the announced end. Without a total the fetcher
guesses ahead by at most ``concurrency - 1`` pages, so at most that many requests past the last page
are sent and discarded (counted in :attr:`PageFetcher.discarded`); the caller's ``blind_room``
narrows the guesses to the pages it expects (the REST source: the pages of the connector's last run,
so that a re-sync of a list whose end only a flag on its last page tells, such as PagerDuty's
``more: false``, sends none past it; once past that many pages the guesses resume). That holds for
the first page of a run too: the page numbers after it go out with it (one round trip less), unless
the caller bounds them (the REST source: by the pages of the connector's last run, and none while an
OAuth2 token is still to be fetched). No request is predicted past the caller's ``request_limit``
(``max_requests_per_sync``), so requests sent ahead never spend the budget of the pages before them.

Correctness does not depend on any of this: the sync still takes pages one by one, in order,
through the paginator (stop rules, loop guards, shortfalls) and commits and checkpoints each as
before. The fetcher only answers "the response to this request", from a request already in
flight when it was predicted, or by sending it now. A predicted request that is not asked for
is dropped; an answer (or error) is only ever used for the request it answers, so a failed page
fails or retries exactly as a sequential fetch would, when the sync gets to it. At most
``concurrency`` requests are in flight and ``2 * concurrency`` queued ahead, so answers that arrive
out of order wait in memory: at most ``2 * concurrency`` pages.

When the upstream answers 429 (or with ``Retry-After``) every request of the connector pauses (its
request budget, core/budget.py, which also halves the run's concurrency for a while). Requests sent
ahead are then not retried, and those not sent yet are not sent (:class:`Deferred`): when the pause
ends only the page the sync waits for goes out again, and each page after it is requested when the
sync gets to it, as before. A persistent 429 thus costs the attempts of one page, not of every
request that was in flight.

How far ahead it asks adapts to the upstream (:attr:`PageFetcher.window`): one request ahead at
first; the window doubles whenever the sync has to wait for an answer (a slow network: it reaches
the full lookahead within a few pages), and narrows by one whenever the sync finds the next two
answers already waiting (a fast upstream, where more requests in flight only compete with the
sync for the CPU: 3-8 % of a loopback first sync). A first page sent with the pages after it
(the caller's ``room`` on the first call) starts at the full window. A concurrency of 1 still sends a
known next request from a fetching thread as soon as the previous answer is in: one request in
flight at a time, while the sync works on the page before it.

All requests go through the sync's one :class:`core.http.OutboundClient` (its ``httpx.Client``
and connection pool are thread-safe), so the egress guard, timeouts, size caps and retries apply
to every one of them.
"""

from __future__ import annotations

import contextvars
import json
import math
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor, wait
from urllib.parse import urlsplit

from django.utils import timezone

from core.budget import slot_order
from core.http import RequestAbandoned, abandoned_when
from demo_extension.services.pagination import PageRequest, Paginator, rel_link

#: Requests in flight for one sync when the connector does not say (``max_concurrent_requests``).
DEFAULT_CONCURRENCY = 4
MAX_CONCURRENCY = 16
#: How often the sync, waiting for a page, logs the page's retry lines and a pause it waits out.
WAIT_POLL_SECONDS = 0.25

__all__ = [
    "DEFAULT_CONCURRENCY",
    "Deferred",
    "MAX_CONCURRENCY",
    "PageFetcher",
    "RetryRelay",
    "predicted_requests",
    "request_concurrency",
]


def request_concurrency(connector) -> int:
    """How many requests of ``connector``'s sync may be in flight at once (1: sequential).

    Read from the connector's request budget (``max_concurrent_requests``) when it has one.
    """
    value = getattr(connector, "max_concurrent_requests", None) or DEFAULT_CONCURRENCY
    return max(1, min(int(value), MAX_CONCURRENCY))


class Abandoned(Exception):
    """Raised in a fetching thread when the run no longer wants its answer (stops its retries)."""


class Deferred(Exception):
    """Raised in a fetching thread for a request sent ahead whose failure paused the connector (a 429
    or ``Retry-After``): it is not retried there, but sent again when the sync gets to its page."""


class RetryRelay:
    """The ``on_retry`` of a sync's client: retry lines of a page reach the sync's log when the sync
    waits for or takes that page (never from a fetching thread, and never for a page that is not used).

    ``paused()`` says whether the run's requests are paused (a 429 or ``Retry-After`` answer to one of
    them; asked before every request sent ahead, so it must be cheap): then a request sent ahead of the
    page the sync waits for is not retried (:class:`Deferred`), so
    that after the pause only the page the sync needs goes out again, not every request that was in
    flight when the upstream asked to slow down."""

    def __init__(
        self,
        handler: Callable[[str], None],
        paused: Callable[[], bool] | None = None,
        on_pause: Callable[[float], None] | None = None,
    ):
        self.handler = handler
        self.paused = paused
        #: The sync's note that its requests wait out a pause (seconds left), always called in the
        #: sync's own thread: at once from it, else when the sync next looks while it waits for a
        #: page (:meth:`PageFetcher.fetch`).
        self.on_pause = on_pause
        self._local = threading.local()
        self.abandoned = threading.Event()
        self._pause_ends: float | None = None  # time.monotonic() end a fetching thread waits for
        self._pause_lock = threading.Lock()

    def __call__(self, message: str) -> None:
        slot = getattr(self._local, "slot", None)
        if slot is None:  # the sync's own thread
            self.handler(message)
            return
        if self.abandoned.is_set() or slot.dropped:
            raise Abandoned
        slot.messages.append((message, timezone.now()))  # logged when the sync waits for the page
        if slot.ahead and self.paused is not None and self.paused():
            raise Deferred

    def pause_waited(self, seconds: float) -> None:
        """A request of the sync starts waiting ``seconds`` for a pause (the request budget's
        ``on_pause``, in the thread that waits)."""
        if self.on_pause is None:
            return
        if getattr(self._local, "slot", None) is None:  # the sync's own thread
            self.on_pause(seconds)
            return
        with self._pause_lock:
            ends = time.monotonic() + seconds
            self._pause_ends = ends if self._pause_ends is None else max(self._pause_ends, ends)

    def report_pause(self) -> None:
        """In the sync's thread: tell ``on_pause`` of a pause a fetching thread waits for."""
        with self._pause_lock:
            ends, self._pause_ends = self._pause_ends, None
        if ends is not None and self.on_pause is not None and (left := ends - time.monotonic()) > 0:
            self.on_pause(left)


class _Slot:
    """One request sent ahead: its future and the retry lines written while fetching it."""

    __slots__ = ("ahead", "dropped", "future", "messages", "position", "request")

    def __init__(self, request: PageRequest, *, ahead: bool):
        self.request = request
        self.future: Future | None = None
        self.messages: list[tuple[str, object]] = []  # (retry line, when it happened)
        self.dropped = False
        # Sent before the sync asked for it (False once the sync waits for its answer).
        self.ahead = ahead
        self.position = 0  # in page order, for the request budget's line (see core.budget.slot_order)


def _key(request: PageRequest) -> tuple:
    # A search_after cursor is a list of sort values: its JSON text stands for it.
    params = (
        (name, value if isinstance(value, str) else json.dumps(value))
        for name, value in request.params.items()
    )
    # A cursor sent back as a request header (Heroku's Range) tells one request from the next.
    return (request.url, tuple(sorted(params)), request.followed, tuple(sorted(request.headers.items())))


class PageFetcher:
    """Answers a sync's page requests, sending predicted ones ahead (see the module docstring).

    ``send(request)`` makes the real request (credentials, base parameters) through the sync's
    client; it runs in the sync's thread when nothing is predicted, else in one of ``concurrency``
    fetching threads. Use it as a context manager (it then closes).
    """

    def __init__(
        self,
        send: Callable[[PageRequest], object],
        concurrency: int,
        relay: RetryRelay,
        *,
        abandon_on: tuple[type[BaseException], ...] = (),
        request_limit: int | None = None,
        line=None,
    ):
        self.send = send
        #: The request budget whose line the requests join in page order when they are queued
        #: (``join_line`` / ``leave_line``, see core.budget.slot_order); None: no line.
        self.line = line
        #: Requests this fetcher may send in all (None: no limit); none is predicted past it.
        self.request_limit = request_limit
        #: Requests sent so far, or queued to be sent.
        self.requested = 0
        # Leaving the fetcher with one of these (a cancel) does not wait for requests in flight.
        self.abandon_on = abandon_on
        self.concurrency = max(1, concurrency)
        #: Requests queued ahead of the current one. Twice the concurrency, so a fetching thread
        #: that finishes finds the next request waiting while the sync is busy with a page; only
        #: ``concurrency`` threads send, so no more than that are ever in flight.
        self.lookahead = 2 * self.concurrency
        #: Requests kept queued ahead now, between 1 and ``lookahead`` (see the module docstring).
        self.window = 1
        self._first = True
        self.relay = relay
        self._slots: dict[tuple, _Slot] = {}
        self._executor: ThreadPoolExecutor | None = None
        self._previous: PageRequest | None = None
        self._last_url: str | None = None  # the last response's Link rel="last" target
        # Requests sent ahead that were running when the sync dropped them and reached the upstream
        # (counted as each ends, by a thread of the pool): see ``discarded``.
        self._discarded = 0
        self._discarded_lock = threading.Lock()
        #: Requests sent ahead whose answer the sync took.
        self.used = 0
        # A numbered Link step guessed wrong once (keyset links: ``id_after=<last id>`` moves by
        # uneven steps): no more guesses from Link headers in this run, only the link each answer names.
        self._link_steps_missed = False
        self._predicted: set[tuple] = set()  # the requests the last fetch guessed would follow
        # Positions in page order: a rate-limited budget serves this fetcher's requests in it.
        self._positions = 0

    def fetch(
        self,
        request: PageRequest,
        paginator: Paginator | None = None,
        room: int = 0,
        *,
        blind_room: int | None = None,
    ):
        """The response to ``request`` (or its error). The requests ``paginator`` is expected to
        make next (at most ``room`` of them: within max_pages, and 0 to send this one alone) are
        queued to be sent ahead. Without an announced end at most ``concurrency - 1`` are guessed,
        and at most ``blind_room`` when the caller knows how many pages probably follow (the pages
        of the connector's last run)."""
        if self._first:
            self._first = False
            if room > 0:  # the caller expects the pages after this one: send them all at once
                self.window = self.lookahead
        if paginator is not None and paginator.style == "link_header" and self._slots:
            missed = [key for key in self._slots if key != _key(request)]
            # A guess that is not the next link the answer named: the links do not move by a fixed step.
            self._link_steps_missed |= bool(missed) and _key(request) not in self._predicted
        ahead = predicted_requests(
            paginator,
            self._previous,
            min(self.lookahead, room),
            blind=self.concurrency - 1 if blind_room is None else min(self.concurrency - 1, blind_room),
            last_url=self._last_url,
        )
        if self._link_steps_missed and paginator is not None and paginator.style == "link_header":
            ahead = []
        self._predicted = {_key(item) for item in ahead}
        self._previous = request
        response = self._fetch(request, ahead)
        self._last_url = rel_link(response.headers, response.url, "last")
        return response

    def _fetch(self, request: PageRequest, ahead: list[PageRequest]):
        key = _key(request)
        slot = self._slots.pop(key, None)
        wanted = [_key(item) for item in ahead]
        for stale in [k for k in self._slots if k not in wanted]:
            self._drop(self._slots.pop(stale))
        if slot is None and not ahead:
            self.requested += 1
            return self._send_at(self._next_position(), request)
        if slot is None:
            slot = self._start(request, ahead=False)
        else:
            slot.ahead = False  # the sync waits for this one: it retries as usual from now on
            self.used += 1
        for item, item_key in zip(ahead, wanted, strict=True):
            queued = self._slots.get(item_key)
            deferred = queued is not None and _was_deferred(queued)
            if deferred:  # not answered during a pause: asked again, its lines logged with its page
                del self._slots[item_key]
            if len(self._slots) >= self.window or self._limit_reached():
                if deferred:
                    self._slots[item_key] = queued  # asked again when there is room
                break
            if queued is None or deferred:
                self._slots[item_key] = self._start(item, messages=queued.messages if deferred else ())
        self._adapt(slot, wanted)
        return self._result(slot)

    def _adapt(self, slot: _Slot, queued: list[tuple]) -> None:
        """Widen the window when the sync is about to wait for ``slot``; narrow it when the answer
        and the one after it are both waiting for the sync."""
        if not slot.future.done():
            self.window = min(self.lookahead, self.window * 2)
            return
        following = self._slots.get(queued[0]) if queued else None
        if following is not None and following.future.done():
            self.window = max(1, self.window - 1)

    def send_ahead(self, request: PageRequest) -> None:
        """Send ``request`` now, from a fetching thread, unless it is already on its way (or the
        lookahead or the request limit is full): the caller knows it is the next one it will ask
        for, so it travels while the caller works on the current answer."""
        key = _key(request)
        if key in self._slots or len(self._slots) >= self.lookahead or self._limit_reached():
            return
        self._slots[key] = self._start(request)

    @property
    def discarded(self) -> int:
        """Requests sent ahead whose answer the sync never took (past the end, or mispredicted) and
        that reached the upstream: one still waiting for the budget's slot when the fetcher closed
        gives up unsent (``core.http.RequestAbandoned``) and is not counted. Exact once the requests
        have ended (``close(wait=True)``)."""
        with self._discarded_lock:
            return self._discarded

    def _count_discarded(self, future: Future) -> None:
        if future.cancelled() or isinstance(future.exception(), RequestAbandoned):
            return
        with self._discarded_lock:
            self._discarded += 1

    def _limit_reached(self) -> bool:
        return self.request_limit is not None and self.requested >= self.request_limit

    def close(self, *, wait: bool = True) -> None:
        """Stop: requests not sent yet never are, and running ones stop retrying. With ``wait``
        the requests already sent end (one attempt each) before this returns, so none reaches the
        upstream after the sync; without it (a cancelled run) the sync does not wait for them."""
        self.relay.abandoned.set()
        for slot in self._slots.values():
            self._drop(slot)
        sending = any(not slot.future.done() for slot in self._slots.values() if slot.future is not None)
        self._slots.clear()
        if self._executor is not None:
            # Idle fetching threads end on their own: joining them is only worth it (~2 ms at the
            # end of every run) when one of them is still sending.
            self._executor.shutdown(wait=wait and sending, cancel_futures=True)
            self._executor = None

    def __enter__(self) -> PageFetcher:
        return self

    def __exit__(self, exc_type, exc, traceback) -> None:
        self.close(wait=exc_type is None or not issubclass(exc_type, self.abandon_on))

    def _start(self, request: PageRequest, *, ahead: bool = True, messages=()) -> _Slot:
        if self._executor is None:
            self._executor = ThreadPoolExecutor(max_workers=self.concurrency, thread_name_prefix="sync-fetch")
        slot = _Slot(request, ahead=ahead)
        slot.position = self._next_position()
        if self.line is not None:
            self.line.join_line(slot.position)
        slot.messages.extend(messages)
        self.requested += 1
        # The fetching thread logs with the sync's context (request, connector, sync ids).
        context = contextvars.copy_context()
        slot.future = self._executor.submit(context.run, self._fetch_in_thread, slot, request)
        return slot

    def _fetch_in_thread(self, slot: _Slot, request: PageRequest):
        try:
            if slot.dropped:
                raise Abandoned
            if slot.ahead and self.relay.paused is not None and self.relay.paused():
                raise Deferred  # not sent while the connector is paused: the sync sends it when needed
            self.relay._local.slot = slot
            try:
                # Once the fetcher closes, a request still waiting (for the budget's slot behind a
                # pause, or to retry) gives up instead of being sent after the run.
                with abandoned_when(self.relay.abandoned):
                    return self._send_at(slot.position, request)
            finally:
                self.relay._local.slot = None
        finally:
            if self.line is not None:
                self.line.leave_line(slot.position)  # taken by its slot, or given up

    def _result(self, slot: _Slot):
        try:
            try:
                return self._wait_for(slot)
            except Deferred:
                pass  # sent ahead when the connector was paused: sent again below, now it is needed
        finally:
            self._log_retries(slot)
        self.requested += 1
        return self._send_at(slot.position, slot.request)

    def _wait_for(self, slot: _Slot):
        """The answer of the page the sync waits for. While it has not come, the page's retry lines
        reach the log as they happen and a pause it waits out is reported: a 429's pause can hold
        the page for minutes, and the run's log must say why meanwhile."""
        while not slot.future.done():
            wait([slot.future], timeout=WAIT_POLL_SECONDS)
            self._log_retries(slot)
            self.relay.report_pause()
        return slot.future.result()

    def _log_retries(self, slot: _Slot) -> None:
        # pop(0) from this thread only, append from the fetching one: each line is logged once
        while slot.messages:
            message, at = slot.messages.pop(0)
            self.relay.handler(message, at=at)

    def _next_position(self) -> int:
        self._positions += 1
        return self._positions

    def _send_at(self, position: int, request: PageRequest):
        """``send(request)`` with its page-order position, for the budget's line of waiting requests."""
        token = slot_order.set(position)
        try:
            return self.send(request)
        finally:
            slot_order.reset(token)

    def _drop(self, slot: _Slot) -> None:
        slot.dropped = True
        if slot.future is None:
            return
        if slot.future.cancel():
            self.requested -= 1  # never sent
            if self.line is not None:
                self.line.leave_line(slot.position)
        else:
            # Only counted once it ends (a request still waiting for its slot may give up unsent);
            # nothing of the slot is kept, its answer included.
            slot.future.add_done_callback(self._count_discarded)


def _was_deferred(slot: _Slot) -> bool:
    future = slot.future
    if future is None or not future.done() or future.cancelled():
        return False
    return type(future.exception()) is Deferred


def predicted_requests(
    paginator: Paginator | None,
    previous: PageRequest | None,
    count: int,
    *,
    blind: int,
    last_url: str | None = None,
) -> list:
    """The ``count`` (at most) requests expected after ``paginator.request()``, in order; none past
    an end the upstream announced, and none for styles whose next request needs the answer.

    Without an announced end only ``blind`` are guessed: that many at most are sent past the last
    page. ``previous`` is the request made before the current one and ``last_url`` the previous
    answer's ``Link: rel="last"`` target (for numbered ``Link`` headers).
    """
    if paginator is None or count <= 0:
        return []
    left = _pages_left(paginator)
    if paginator.style == "link_header":
        left = _link_pages_left(paginator, previous, last_url, left)
    # ``left`` counts the current request too.
    count = min(count, blind) if left is None else min(count, left - 1)
    if count <= 0:
        return []
    style = paginator.style
    state = paginator.state
    if style == "page":
        page = state["page"]
        return [_with_state(paginator, page=page + k).request() for k in range(1, count + 1)]
    if style == "offset":
        step = state.get("max_len", 0)
        if step <= 0:
            return []
        offset = state["offset"]
        return [_with_state(paginator, offset=offset + k * step).request() for k in range(1, count + 1)]
    if style == "link_header" and previous is not None:
        current = paginator.request()
        followed = previous.followed and current.followed
        numbered = _numbered_step(previous.url, current.url) if followed else None
        if numbered is None:
            return []
        index, value, step = numbered
        return [
            PageRequest(_replace_value(current.url, index, value + k * step), {}, followed=True)
            for k in range(1, count + 1)
        ]
    return []


def _with_state(paginator: Paginator, **changes) -> Paginator:
    return type(paginator)(
        paginator.config, paginator.endpoint, {**paginator.state, **changes}, paginator.secret_params
    )


def _pages_left(paginator: Paginator) -> int | None:
    """Requests still needed, the current one included, by what the upstream announced (or None)."""
    state = paginator.state
    config = paginator.config
    pages = state.get("announced_pages")
    if pages is not None and paginator.style == "page":
        return pages - (state["page"] - config.get("start_page", 1))
    if pages is not None and paginator.style != "offset":
        return pages - state.get("pages", 0)
    total = state.get("announced_total")
    step = state.get("max_len") or config.get("page_size") or config.get("limit") or 0
    if total is None or step <= 0:
        return None
    if paginator.style == "offset":
        remaining = config.get("start_offset", 0) + total - state["offset"]
    else:
        remaining = total - state.get("seen", 0)
    return math.ceil(remaining / step)


def _link_pages_left(paginator, previous, last_url, left):
    """Requests left by the page number of ``rel="last"`` (GitHub), else ``left``."""
    current = paginator.request()
    if previous is None or not last_url or not current.followed:
        return left
    numbered = _numbered_step(previous.url, current.url) if previous.followed else None
    if numbered is None:
        return left
    index, value, step = numbered
    name = _query_items(current.url)[index].partition("=")[0]
    for item in _query_items(last_url):
        key, _, last = item.partition("=")
        if key == name and last.isdigit():
            return max(0, (int(last) - value) // step + 1)
    return left


def _query_items(url: str) -> list[str]:
    query = urlsplit(url).query
    return query.split("&") if query else []


def _numbered_step(previous: str, current: str):
    """``(index, value, step)`` when ``current`` is ``previous`` with one query parameter's integer
    value moved up by ``step`` (the item at ``index`` of the query), else None."""
    before, after = urlsplit(previous), urlsplit(current)
    if (before.scheme, before.netloc, before.path) != (after.scheme, after.netloc, after.path):
        return None
    old, new = _query_items(previous), _query_items(current)
    if len(old) != len(new):
        return None
    changed = [i for i, (a, b) in enumerate(zip(old, new, strict=True)) if a != b]
    if len(changed) != 1:
        return None
    index = changed[0]
    name_old, _, value_old = old[index].partition("=")
    name_new, _, value_new = new[index].partition("=")
    if name_old != name_new or not value_old.isdigit() or not value_new.isdigit():
        return None
    step = int(value_new) - int(value_old)
    return (index, int(value_new), step) if step > 0 else None


def _replace_value(url: str, index: int, value: int) -> str:
    parts = urlsplit(url)
    items = _query_items(url)
    name = items[index].partition("=")[0]
    items[index] = f"{name}={value}"
    return parts._replace(query="&".join(items)).geturl()
