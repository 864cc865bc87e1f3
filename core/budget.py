"""Request budgets: how fast, how many at once and how many in total one upstream may be called.

A :class:`RequestBudget` is handed to :class:`core.http.OutboundClient`, which takes a *slot* from it
for every HTTP exchange (each attempt, each retry, each redirect hop) and tells it when the upstream
asks to slow down. One budget key (e.g. ``connector:42``) is shared by every thread and every
process that calls that upstream, because its state lives in a store:

* **Redis** (production, ``REDIS_URL``: the default cache is django-redis): each decision is one Lua
  script run through django-redis's raw client. A script runs atomically on the Redis server, so
  "check the pause, count the live leases, take a token, add a lease" cannot interleave with another
  process's, which ``get``/``set`` pairs could (two processes would both read "3 of 4 in use" and
  both go). Time comes from the Redis server's clock (``TIME``), so processes on hosts whose clocks
  disagree still share one bucket.
* **A file** (the embedded default, without Redis: ``MIGRATEIQ_REQUEST_BUDGET_FILE``, by default
  ``var/request-budgets.sqlite3``): the same state in a small SQLite database, each decision one
  statement, which SQLite runs as one transaction that no other process's can interleave with. It
  holds for every process of the machine: the web server (a connection test sees a sync's pause)
  and each process of the worker's pool. Time is the wall clock, which every process of one machine shares.
* **Local memory** (``MIGRATEIQ_REQUEST_BUDGET_FILE=""`` without Redis): the same state in this
  process, under a lock. It holds for every thread of the process, not across processes.

What a budget enforces:

* ``per_second``: a token bucket of capacity one (fractional rates allowed: 0.5 is one request every
  two seconds). No burst, because upstreams usually count requests over sliding windows; the spacing
  also keeps a margin of :data:`RATE_MARGIN` so that network jitter cannot push one request into the
  previous second as the upstream measures it.
  A token is granted before the exchange; a request written later than
  :data:`SEND_SLACK_SECONDS` after it (a new connection's handshakes) marks the bucket again as it is
  written (:meth:`SlotTicket.at_send`), so the spacing holds between writes, not grants.
* ``concurrent``: at most that many exchanges at once. Each holds a *lease* that the holder returns
  when the exchange ends and that expires on its own after ``lease_seconds`` (a process killed mid
  request cannot hold a slot forever).
* a pause: :meth:`RequestBudget.pause` (a 429 or ``Retry-After``) stops every new exchange on the key,
  in every thread and process, until the pause ends (callers of one upstream account give one key:
  a connector's budget is its API account's). The budget object that met the 429 (one sync
  run's) also halves its own concurrency (4 -> 2 -> 1, once per pause: the answers of requests sent
  together count as one), and takes back one slot every :data:`CALM_EXCHANGES` exchanges without
  another pause, up to ``concurrent``: after a pause the upstream does not get the same burst again.
* ``max_requests``: exchanges through *this* budget object at most (one sync run); the next one
  raises :class:`RequestBudgetExhausted` instead of being sent.

Waiting requests poll (a short sleep, or until the next token or the end of the pause). Across
processes they are not served in arrival order, so under contention one worker may get more of the
slots than another. Within one budget object (one sync run), requests that carry a position
(:data:`slot_order`: a sync's page order) take the slots in that order: a request for page 2 waits
while the request for page 1 waits too, so a rate-limited run commits its first page first instead of
after every request sent ahead of it.
What the budget's own limits cost is counted per budget object (one sync run's): the requests
that waited for a rate token, a place in line for one or a concurrency slot (``paced_requests``,
``paced_by_slots``) and the seconds during which at least one of them waited (``paced_seconds``), so
a run can say that its budget paced it. Waits for a pause are not counted (the stores answer them as
:class:`PauseWait`, a concurrency slot's as :class:`SlotWait`), and a request granted at once costs
nothing more.
A request waiting for its slot is not interrupted by a sync's cancellation (it waits at most a pause,
capped by ``MIGRATEIQ_HTTP_RETRY_AFTER_CAP``, or one rate interval). It never waits past its
caller's deadline (``core.http.total_deadline``: a web request's 10 s, a sync's time budget): a slot
that cannot come in time is a timeout at once, naming what it waited for, with nothing sent.
"""

from __future__ import annotations

import contextvars
import logging
import os
import sqlite3
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Protocol

from django.conf import settings
from django.core.cache import caches
from django_redis import get_redis_connection
from redis.exceptions import RedisError

from core.http_errors import OutboundError

logger = logging.getLogger(__name__)

# Requests are spaced 10 % wider than 1/per_second (see the module docstring): over a one-second
# window that leaves 100 ms for jitter between the moment a request is written and the moment it
# reaches the upstream as the upstream counts it.
RATE_MARGIN = 0.10
# A request written more than this long after its rate token was granted (a new connection's name
# lookup, TCP and TLS handshakes; a busy machine) marks the bucket again as it is written (see
# SlotTicket.at_send): the next token is then one interval after the write, not after the grant.
SEND_SLACK_SECONDS = 0.02
# How often a request waiting for a concurrency slot looks again (slots are freed by other processes
# too, so there is nothing to wait on but time).
SLOT_POLL_SECONDS = 0.01
# A lease outlives its exchange's deadline by this much before it expires on its own.
LEASE_GRACE_SECONDS = 5.0
# State of an idle key disappears from Redis after this long (a pause longer than it keeps its key).
IDLE_EXPIRY_SECONDS = 3600
MAX_CONCURRENT = 16
# Exchanges without a pause after which a budget halved by a 429 takes back one slot of concurrency.
CALM_EXCHANGES = 20


# How long a request waits for an earlier position that holds a place in line but has not come to
# take its slot (its sender may never: a request dropped or deferred before it was sent).
LINE_HOLD_SECONDS = 1.0
# The position of the request being sent in its caller's order (a sync's page order), or None.
slot_order: contextvars.ContextVar[int | None] = contextvars.ContextVar("migrateiq_slot_order", default=None)


class Taken(float):
    """A store's answer that the slot was taken (0.0), with ``stamp``: the next-token time the grant
    set (None without a rate), which :meth:`mark_sent` compares to tell whether another request took
    a token since."""

    stamp: float | str | None

    def __new__(cls, stamp: float | str | None = None) -> Taken:
        taken = super().__new__(cls, 0.0)
        taken.stamp = stamp
        return taken


class PauseWait(float):
    """A store's wait that is for a pause (a 429 or ``Retry-After``), not for the budget's own limits."""


class SlotWait(float):
    """A store's wait that is for a free concurrency slot (``concurrent`` leases held)."""


class RequestBudgetExhausted(OutboundError):
    """The budget's ``max_requests`` is spent; nothing was sent."""


class NoSlotInTime(OutboundError):
    """No slot before the caller's deadline (:meth:`RequestBudget.slot`'s ``until``): ``wait`` more
    seconds were needed for ``reason`` (a pause, the rate limit's next token, a free slot). Nothing
    was sent; raised at once instead of sleeping past the deadline."""

    def __init__(self, wait: float, reason: str):
        super().__init__(f"no request slot in time: {reason} is {wait:.1f} s away")
        self.wait = wait
        self.reason = reason


class AbandonSignal(Protocol):
    """What a slot's waiter is abandoned on: a ``threading.Event``, or several as one."""

    def is_set(self) -> bool: ...

    def wait(self, timeout: float) -> bool: ...


class SlotAbandoned(OutboundError):
    """The caller gave up on the request while it waited for a slot (:meth:`RequestBudget.slot`'s
    ``abandon`` was set: the run that wanted it has ended); nothing was sent."""


class BudgetUnavailable(OutboundError):
    """The budget's store (Redis) did not answer; nothing was sent, since the limits could not be kept."""


class SlotTicket:
    """One exchange's slot of a :class:`RequestBudget` (what :meth:`RequestBudget.slot` yields).

    Its rate token was granted at ``granted`` (``time.monotonic()``). A request is often written
    later than that: a new connection resolves the name and does the TCP and TLS handshakes first,
    and a busy machine may not run the thread at once. The next token goes one interval after the
    grant, so a late request and the one after it would reach the upstream closer together than the
    rate allows (a handshake of 300 ms at 5 requests a second puts six requests in one second).
    :meth:`at_send`, called as the request is written, marks the bucket again when the request is
    late: one interval from now if no other request took a token since the grant, else it waits for
    a token of its own (so every request is written within :data:`SEND_SLACK_SECONDS` of a token)."""

    def __init__(self, budget: RequestBudget):
        self.budget = budget
        self.granted = 0.0
        self.stamp: float | str | None = None  # the store's next-token time set by the grant (None: no rate)
        self.paced = False
        self.by_slots = False
        self.counted = False

    def at_send(self, until: float | None = None, abandon: AbandonSignal | None = None) -> None:
        """The request is about to be written (see the class docstring). Raises what
        :meth:`RequestBudget.slot` raises while waiting (:class:`NoSlotInTime`,
        :class:`SlotAbandoned`): nothing has been written then."""
        stamp = self.stamp
        if stamp is None or time.monotonic() - self.granted <= SEND_SLACK_SECONDS:
            return
        budget = self.budget
        self.stamp = None  # marked once, whatever the exchange does next
        try:
            budget._wait(
                lambda: budget._store.mark_sent(budget.key, stamp, budget.interval), self, until, abandon
            )
        finally:
            if self.paced:
                budget._count_paced(self)


class RequestBudget:
    """The request budget of one key; see the module docstring.

    ``lease_seconds`` should exceed the longest exchange: by default the client's total deadline
    (``MIGRATEIQ_HTTP_TIMEOUT``) plus a grace; a lease older than that is presumed abandoned.
    ``sleep`` replaces ``time.sleep`` while waiting.
    """

    def __init__(
        self,
        key: str,
        *,
        per_second: float | None = None,
        concurrent: int = 4,
        max_requests: int | None = None,
        lease_seconds: float | None = None,
        cache_alias: str = "default",
        sleep: Callable[[float], None] | None = None,
        exhausted_message: str | None = None,
        paused_note: str = "every request of this budget waits as long",
        reduced_note: str = "at most {current} of {configured} requests at once through this budget for now",
    ):
        if per_second is not None and per_second <= 0:
            raise ValueError("per_second must be positive (or None for no rate limit)")
        if not 1 <= concurrent <= MAX_CONCURRENT:
            raise ValueError(f"concurrent must be between 1 and {MAX_CONCURRENT}")
        if max_requests is not None and max_requests < 1:
            raise ValueError("max_requests must be at least 1 (or None for no limit)")
        self.key = key
        self.per_second = per_second
        #: The most exchanges this object holds at once: ``concurrent``, less after a 429 (see the
        #: module docstring).
        self.concurrent = concurrent
        self.configured_concurrent = concurrent
        self._halved_until = 0.0  # a pause's answers until then halve the concurrency once only
        self._calm = 0  # exchanges since the last pause (the concurrency grows back after CALM_EXCHANGES)
        self._paused_here_until = 0.0  # the end of the last pause this object set (monotonic)
        self.max_requests = max_requests
        if lease_seconds is None:
            lease_seconds = float(settings.MIGRATEIQ_HTTP_TIMEOUT) + LEASE_GRACE_SECONDS
        self.lease_seconds = float(lease_seconds)
        self.requests_sent = 0
        #: Requests of this object that waited for its own limits (a rate token, a place in line for
        #: one, a concurrency slot; not a pause), the seconds during which at least one of them waited
        #: (waits side by side count once), and how many of them waited for a concurrency slot.
        self.paced_requests = 0
        self.paced_seconds = 0.0
        self.paced_by_slots = 0
        self._paced_until = 0.0  # the end of the last wait added to paced_seconds (monotonic)
        # how a retry message says that a 429 / Retry-After paused the others too
        self.paused_note = paused_note
        #: Called with the seconds left when one of this object's requests starts waiting out a pause
        #: (a 429 or ``Retry-After``, whichever request or process set it), in the waiting thread: a
        #: sync says so in its log while it waits, not only once the page came.
        self.on_pause: Callable[[float], None] | None = None
        # how it says that a 429 lowered this object's concurrency ({current}, {configured}, and
        # {requests}: "request" or "requests" as {current} needs)
        self.reduced_note = reduced_note
        self.exhausted_message = exhausted_message or (
            f"The budget of {max_requests} requests for this run is spent; nothing more was sent"
        )
        self._count_lock = threading.Lock()
        self._sleep = sleep or time.sleep
        # Positions (slot_order) of this object's requests in line for a slot, the lowest first: True
        # once the request waits in slot(), False while only its place is held (join_line).
        self._line = threading.Condition()
        self._waiting: dict[int, bool] = {}
        self._store = store_for(cache_alias)

    @property
    def interval(self) -> float:
        """Seconds between two requests (0 without a rate limit)."""
        return (1.0 + RATE_MARGIN) / self.per_second if self.per_second else 0.0

    @contextmanager
    def slot(self, until: float | None = None, abandon: AbandonSignal | None = None) -> Iterator[SlotTicket]:
        """Wait for a slot (pause over, a lease free, a token in the bucket) and hold it for one exchange.

        ``until``: the caller's deadline (``time.monotonic()``); a slot that cannot come before it
        raises :class:`NoSlotInTime` at once. Without it the wait is as long as the limits need (one
        rate interval, a pause): a web request's 10 s would otherwise hold its thread for 110 s
        behind a rate of 0.01 requests a second. ``abandon``: set when the caller no longer wants the
        request (a sync's request sent ahead, once the run ended): the wait stops at once with
        :class:`SlotAbandoned`, so the request is not sent after the pause it was waiting out.

        Yields a :class:`SlotTicket`; a caller that can tell when the request is written calls its
        :meth:`~SlotTicket.at_send` then, so that a request written late keeps the rate."""
        self._count()
        lease = uuid.uuid4().hex
        # The line orders who takes the rate's tokens; without a rate a freed lease goes to whoever
        # polls first (holding it for an earlier page would only leave it idle for a poll).
        position = slot_order.get() if self.per_second is not None else None
        if position is not None:
            with self._line:
                self._waiting[position] = True
        ticket = SlotTicket(self)
        try:
            taken = self._wait(
                lambda: self._store.try_acquire(
                    self.key, lease, self.interval, self.concurrent, self.lease_seconds
                ),
                ticket,
                until,
                abandon,
                position,
            )
        finally:
            if position is not None:
                self.leave_line(position)
            if ticket.paced:
                self._count_paced(ticket)
        ticket.granted = time.monotonic()
        ticket.stamp = getattr(taken, "stamp", None) if self.per_second is not None else None
        try:
            yield ticket
        finally:
            self._store.release(self.key, lease)
            if self.concurrent < self.configured_concurrent:
                with self._count_lock:
                    self._calm += 1
                    if self._calm >= CALM_EXCHANGES:
                        self._calm = 0
                        self.concurrent = min(self.configured_concurrent, self.concurrent + 1)

    def _wait(
        self,
        take: Callable[[], float],
        ticket: SlotTicket,
        until: float | None,
        abandon: AbandonSignal | None,
        position: int | None = None,
    ) -> float:
        """Call ``take`` (a store's decision: 0 when taken, else seconds to wait) until it takes,
        waiting between tries; note on ``ticket`` whether the wait was for the budget's own limits.
        Returns ``take``'s answer that took."""
        since = time.monotonic()
        wait = 0.0
        while True:
            if abandon is not None and abandon.is_set():
                raise SlotAbandoned("the request was given up while it waited for a slot; nothing was sent")
            if until is not None and time.monotonic() >= until:
                # the last wait ran past the deadline (a busy machine sleeps longer than asked)
                raise NoSlotInTime(wait, self._waiting_for(wait))
            if position is not None:
                behind = self._behind_in_line(position, since)
                if behind is not None:  # it waited behind an earlier page in line for the rate's tokens
                    if not self.paused_here():  # ... unless that one waits out this run's pause
                        ticket.paced = True
                        self._note_paced(behind)
                    continue
            wait = take()
            if wait <= 0:
                return wait
            if until is not None and time.monotonic() + wait > until:
                raise NoSlotInTime(wait, self._waiting_for(wait))
            if isinstance(wait, PauseWait) and self.on_pause is not None:
                self.on_pause(float(wait))
            started = time.monotonic()
            if abandon is None:
                self._sleep(wait)
            else:
                abandon.wait(wait)
            if not isinstance(wait, PauseWait):
                ticket.paced = True
                ticket.by_slots = ticket.by_slots or isinstance(wait, SlotWait)
                self._note_paced(started)

    def _count_paced(self, ticket: SlotTicket) -> None:
        """Count ``ticket``'s request once among those the budget's own limits paced."""
        if ticket.counted:
            return
        ticket.counted = True
        with self._count_lock:
            self.paced_requests += 1
            self.paced_by_slots += ticket.by_slots

    def _note_paced(self, started: float) -> None:
        """Add a wait for the budget's own limits, from ``started`` to now, to :attr:`paced_seconds`:
        only the part no other request's wait covered (waits are noted as they end, so in order)."""
        with self._count_lock:
            now = time.monotonic()
            self.paced_seconds += max(0.0, now - max(started, self._paced_until))
            self._paced_until = max(self._paced_until, now)

    def _waiting_for(self, wait: float) -> str:
        """What a wait of ``wait`` seconds is for, in words (read only when giving up)."""
        if self._store.paused_for(self.key) > 0:
            return "the end of the pause the API asked for (HTTP 429 or Retry-After)"
        if self.per_second is not None and wait > SLOT_POLL_SECONDS:
            return f"the next request the rate limit of {self.per_second:g} a second allows"
        return f"a free slot of the {self.concurrent} allowed at once"

    def join_line(self, position: int) -> None:
        """Hold a place in line for the request at ``position`` before its sender runs (a fetching
        thread may start after the threads of later pages). Only with a rate limit, where requests
        wait for tokens; :meth:`slot` takes the place, :meth:`leave_line` gives it up unused."""
        if self.per_second is None:
            return
        with self._line:
            self._waiting.setdefault(position, False)

    def leave_line(self, position: int) -> None:
        with self._line:
            if self._waiting.pop(position, None) is not None:
                self._line.notify_all()

    def _behind_in_line(self, position: int, since: float) -> float | None:
        """None when no request of this object with an earlier position is in line; else wait briefly
        and say when that wait started (``time.monotonic()``). A place held for LINE_HOLD_SECONDS by
        a request that never came to wait is given up (its sender stopped before sending)."""
        with self._line:
            earlier = [other for other in self._waiting if other < position]
            if not earlier:
                return None
            if (
                not any(self._waiting[other] for other in earlier)
                and time.monotonic() - since >= LINE_HOLD_SECONDS
            ):
                for other in earlier:
                    del self._waiting[other]
                self._line.notify_all()
                return None
            started = time.monotonic()
            self._line.wait(SLOT_POLL_SECONDS * 5)
            return started

    def pause(self, seconds: float) -> None:
        """Hold every new exchange on this key, everywhere, for ``seconds`` (an earlier end is extended,
        a later one kept), and halve this object's concurrency (once for a burst of answers)."""
        if seconds > 0:
            self._store.pause(self.key, seconds)
        with self._count_lock:
            now = time.monotonic()
            self._calm = 0
            self._paused_here_until = max(self._paused_here_until, now + max(seconds, 0.0))
            if now >= self._halved_until:
                self.concurrent = max(1, self.concurrent // 2)
                # Requests in flight when the upstream answered 429 come back with 429s too: the
                # pause and a moment after it count as one.
                self._halved_until = now + max(seconds, 0.0) + 1.0

    def pause_note(self) -> str:
        """What a 429 did, for a retry message: the pause of every request of the key, and this
        object's concurrency while it is below ``concurrent``."""
        if self.concurrent < self.configured_concurrent:
            reduced = self.reduced_note.format(
                current=self.concurrent,
                configured=self.configured_concurrent,
                requests="request" if self.concurrent == 1 else "requests",
            )
            return f"{self.paused_note}; {reduced}"
        return self.paused_note

    def paused_here(self) -> bool:
        """Whether a pause this object set (a 429 its exchanges got) is still on: no store query, so a
        caller may ask before every request (pauses set elsewhere are only seen by :meth:`slot`)."""
        return time.monotonic() < self._paused_here_until

    def paused_for(self) -> float:
        """Seconds left of the current pause (0 when not paused)."""
        return self._store.paused_for(self.key)

    def reset(self) -> None:
        """Forget the key's shared state (tests, and an operator clearing a stuck pause)."""
        self._store.reset(self.key)

    def _count(self) -> None:
        with self._count_lock:
            if self.max_requests is not None and self.requests_sent >= self.max_requests:
                raise RequestBudgetExhausted(self.exhausted_message)
            self.requests_sent += 1


# -- stores ------------------------------------------------------------------------------------------


class LocalBudgetStore:
    """Budget state of this process, under one lock (monotonic clock)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._next_at: dict[str, float] = {}
        self._paused_until: dict[str, float] = {}
        self._leases: dict[str, dict[str, float]] = {}

    def try_acquire(
        self, key: str, lease: str, interval: float, concurrent: int, lease_seconds: float
    ) -> float:
        """0 when the slot is taken (lease recorded), else seconds to wait before trying again: a
        :class:`PauseWait` for a pause, a :class:`SlotWait` for a concurrency slot, else a float (the
        rate's next token). Every store answers so."""
        with self._lock:
            now = time.monotonic()
            paused = self._paused_until.get(key, 0.0) - now
            if paused > 0:
                return PauseWait(paused)
            leases = self._leases.setdefault(key, {})
            for held, expires in list(leases.items()):
                if expires <= now:
                    del leases[held]
            if len(leases) >= concurrent:
                return SlotWait(min(SLOT_POLL_SECONDS, min(leases.values()) - now))
            next_at = self._next_at.get(key, 0.0)
            if next_at > now:
                return next_at - now
            stamp = None
            if interval:
                stamp = self._next_at[key] = now + interval
            leases[lease] = now + lease_seconds
            return Taken(stamp)

    def mark_sent(self, key: str, stamp: float | str, interval: float) -> float:
        """A request granted a token that set the key's next token to ``stamp`` is written now, late
        (:meth:`SlotTicket.at_send`): the next token moves to one interval from now if no other
        request took one since (the key's next token is still ``stamp``) or a token is free now;
        else the seconds to wait for one (a :class:`PauseWait` during a pause), as
        :meth:`try_acquire` answers."""
        with self._lock:
            now = time.monotonic()
            next_at = self._next_at.get(key, 0.0)
            if next_at != stamp:
                paused = self._paused_until.get(key, 0.0) - now
                if paused > 0:
                    return PauseWait(paused)
                if next_at > now:
                    return next_at - now
            stamp = self._next_at[key] = now + interval
            return Taken(stamp)

    def release(self, key: str, lease: str) -> None:
        with self._lock:
            leases = self._leases.get(key, {})
            leases.pop(lease, None)
            now = time.monotonic()
            idle = self._next_at.get(key, 0.0) <= now and self._paused_until.get(key, 0.0) <= now
            if idle and not leases:  # nothing left to remember: the key's state goes (memory stays flat)
                self.reset_unlocked(key)

    def reset_unlocked(self, key: str) -> None:
        self._next_at.pop(key, None)
        self._paused_until.pop(key, None)
        self._leases.pop(key, None)

    def pause(self, key: str, seconds: float) -> None:
        with self._lock:
            until = time.monotonic() + seconds
            self._paused_until[key] = max(self._paused_until.get(key, 0.0), until)

    def paused_for(self, key: str) -> float:
        with self._lock:
            return max(self._paused_until.get(key, 0.0) - time.monotonic(), 0.0)

    def reset(self, key: str) -> None:
        with self._lock:
            self.reset_unlocked(key)


# KEYS: next-at (string), paused-until (string), leases (sorted set of lease -> expiry).
# ARGV: lease id, interval, concurrency, lease seconds, idle expiry (ms). Times are the server's.
# Answers the seconds to wait ('0': taken), prefixed with 'p' for a pause and 's' for a concurrency slot.
_ACQUIRE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local paused = tonumber(redis.call('GET', KEYS[2]) or '0')
if paused > now then return 'p' .. tostring(paused - now) end
redis.call('ZREMRANGEBYSCORE', KEYS[3], '-inf', now)
local concurrent = tonumber(ARGV[3])
if redis.call('ZCARD', KEYS[3]) >= concurrent then
  local first = redis.call('ZRANGE', KEYS[3], 0, 0, 'WITHSCORES')
  return 's' .. tostring(math.min(tonumber(ARGV[6]), tonumber(first[2]) - now))
end
local interval = tonumber(ARGV[2])
local next_at = tonumber(redis.call('GET', KEYS[1]) or '0')
if next_at > now then return tostring(next_at - now) end
local stamp = nil
if interval > 0 then
  stamp = tostring(now + interval)
  redis.call('SET', KEYS[1], stamp, 'PX', ARGV[5])
end
redis.call('ZADD', KEYS[3], now + tonumber(ARGV[4]), ARGV[1])
redis.call('PEXPIRE', KEYS[3], ARGV[5])
if stamp then return 'g' .. stamp end
return '0'
"""

# KEYS: next-at, paused-until. ARGV: the grant's stamp, interval, idle expiry (ms). See
# LocalBudgetStore.mark_sent; answers as the acquire script.
_MARK_SENT = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local current = redis.call('GET', KEYS[1])
if current ~= ARGV[1] then
  local paused = tonumber(redis.call('GET', KEYS[2]) or '0')
  if paused > now then return 'p' .. tostring(paused - now) end
  local next_at = tonumber(current or '0')
  if next_at > now then return tostring(next_at - now) end
end
local stamp = tostring(now + tonumber(ARGV[2]))
redis.call('SET', KEYS[1], stamp, 'PX', ARGV[3])
return 'g' .. stamp
"""

# KEYS: paused-until. ARGV: seconds, idle expiry (ms).
_PAUSE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local untl = now + tonumber(ARGV[1])
local current = tonumber(redis.call('GET', KEYS[1]) or '0')
if current > untl then untl = current end
local ttl = math.max(tonumber(ARGV[2]), math.ceil((untl - now) * 1000) + 1000)
redis.call('SET', KEYS[1], tostring(untl), 'PX', ttl)
return tostring(untl - now)
"""

# KEYS: paused-until.
_PAUSED_FOR = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local paused = tonumber(redis.call('GET', KEYS[1]) or '0')
if paused > now then return tostring(paused - now) end
return '0'
"""


class RedisBudgetStore:
    """Budget state in Redis, shared by every process using the same cache (see the module docstring)."""

    def __init__(self, cache_alias: str) -> None:
        self._cache = caches[cache_alias]
        self._client = get_redis_connection(cache_alias)
        self._acquire = self._client.register_script(_ACQUIRE)
        self._mark_sent = self._client.register_script(_MARK_SENT)
        self._pause = self._client.register_script(_PAUSE)
        self._paused_for = self._client.register_script(_PAUSED_FOR)

    def _keys(self, key: str) -> list[str]:
        # One hash tag per budget: the script's keys stay in one slot of a Redis Cluster.
        base = self._cache.make_key(f"budget:{{{key}}}")
        return [f"{base}:next-at", f"{base}:paused-until", f"{base}:leases"]

    def try_acquire(
        self, key: str, lease: str, interval: float, concurrent: int, lease_seconds: float
    ) -> float:
        with _unavailable_as_error():
            return self._try_acquire(key, lease, interval, concurrent, lease_seconds)

    def _try_acquire(
        self, key: str, lease: str, interval: float, concurrent: int, lease_seconds: float
    ) -> float:
        idle_ms = int(max(IDLE_EXPIRY_SECONDS, lease_seconds) * 1000)
        args = [lease, repr(interval), concurrent, repr(lease_seconds), idle_ms, repr(SLOT_POLL_SECONDS)]
        return _answer(self._acquire(keys=self._keys(key), args=args))

    def mark_sent(self, key: str, stamp: float | str, interval: float) -> float:
        """See :meth:`LocalBudgetStore.mark_sent`."""
        idle_ms = int(IDLE_EXPIRY_SECONDS * 1000)
        with _unavailable_as_error():
            return _answer(
                self._mark_sent(keys=self._keys(key)[:2], args=[str(stamp), repr(interval), idle_ms])
            )

    def release(self, key: str, lease: str) -> None:
        try:
            self._client.zrem(self._keys(key)[2], lease)
        except RedisError as exc:  # the lease expires on its own; the exchange itself went fine
            logger.warning("Could not return a request-budget lease of %s (%s)", key, type(exc).__name__)

    def pause(self, key: str, seconds: float) -> None:
        with _unavailable_as_error():
            self._pause(keys=[self._keys(key)[1]], args=[repr(float(seconds)), IDLE_EXPIRY_SECONDS * 1000])

    def paused_for(self, key: str) -> float:
        with _unavailable_as_error():
            return float(self._paused_for(keys=[self._keys(key)[1]]))

    def reset(self, key: str) -> None:
        self._client.delete(*self._keys(key))


def _answer(answer: bytes | str) -> float:
    """A budget script's answer: 'g<stamp>' or '0' taken, 'p<seconds>' a pause, 's<seconds>' a
    concurrency slot, else the seconds to the rate's next token."""
    text = answer.decode() if isinstance(answer, bytes) else str(answer)
    if text[:1] == "g":
        return Taken(text[1:])
    if text == "0":
        return Taken()
    if text[:1] == "p":
        return PauseWait(text[1:])
    if text[:1] == "s":
        return SlotWait(text[1:])
    return float(text)


class FileBudgetStore:
    """Budget state in a SQLite file, shared by every process of one machine (see the module
    docstring). Each thread of each process has its own connection. Taking a slot, returning it and
    pausing are one statement each (SQLite runs a statement that writes as one transaction, which
    no other process's can interleave with): every statement hands the GIL over while SQLite works,
    and a fetching thread that waits for the GIL back behind a busy sync thread waits up to 5 ms, so
    a decision of a few statements would slow the sync down. The state is transient (leases
    expire, pauses end): it is not flushed to disk."""

    # The state is transient: a file of another layout is simply started again.
    _VERSION = 2
    _SCHEMA = (
        "DROP TABLE IF EXISTS budget_state",
        "DROP TABLE IF EXISTS budget_lease",
        "CREATE TABLE budget_state (key TEXT PRIMARY KEY, next_at REAL NOT NULL DEFAULT 0, "
        "paused_until REAL NOT NULL DEFAULT 0)",
        # pid: the holder's process. One machine shares the file, so a lease whose process is gone
        # (a worker killed mid-request) is dropped at once instead of holding its slot until it expires.
        # next_at: when the key's next request may go (0: no rate), set on the key by the trigger.
        "CREATE TABLE budget_lease (key TEXT NOT NULL, lease TEXT NOT NULL, expires REAL NOT NULL, "
        "pid INTEGER NOT NULL, next_at REAL NOT NULL, PRIMARY KEY (key, lease))",
        "CREATE TRIGGER budget_lease_rate AFTER INSERT ON budget_lease WHEN NEW.next_at > 0 BEGIN "
        "INSERT OR IGNORE INTO budget_state (key) VALUES (NEW.key); "
        "UPDATE budget_state SET next_at = NEW.next_at WHERE key = NEW.key; END",
        f"PRAGMA user_version = {_VERSION}",
    )
    # A slot is taken when the key is not paused, its rate allows a request now and fewer than
    # ``concurrent`` live leases are held: then the lease is inserted (and the trigger moves the
    # key's next_at), all in this one statement.
    _ACQUIRE = (
        "INSERT INTO budget_lease (key, lease, expires, pid, next_at) "
        "SELECT :key, :lease, :now + :lease_seconds, :pid, :next_at "
        "WHERE NOT EXISTS (SELECT 1 FROM budget_state WHERE key = :key "
        "AND (paused_until > :now OR next_at > :now)) "
        "AND (SELECT count(*) FROM budget_lease WHERE key = :key AND expires > :now) < :concurrent"
    )

    def __init__(self, path: str) -> None:
        self.path = str(path)
        self._local = threading.local()

    def _connection(self) -> sqlite3.Connection:
        local = self._local
        conn = getattr(local, "conn", None)
        if conn is None or local.pid != os.getpid():  # a forked process opens its own
            try:
                os.makedirs(os.path.dirname(self.path) or ".", exist_ok=True)
                conn = _while_busy(self._open)
            except (OSError, sqlite3.Error) as exc:
                raise self._unavailable(exc) from None
            local.conn, local.pid = conn, os.getpid()
        return conn

    def _open(self) -> sqlite3.Connection:
        conn = sqlite3.connect(self.path, timeout=BUSY_SECONDS, isolation_level=None, check_same_thread=True)
        try:
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=OFF")
            conn.execute("BEGIN IMMEDIATE")
            if conn.execute("PRAGMA user_version").fetchone()[0] != self._VERSION:
                for statement in self._SCHEMA:
                    conn.execute(statement)
            conn.execute("COMMIT")
        except BaseException:
            conn.close()
            raise
        return conn

    def _unavailable(self, exc: Exception) -> BudgetUnavailable:
        return BudgetUnavailable(
            f"The request budget could not be checked: its file {self.path} could not be used "
            f"({type(exc).__name__}: {exc}); nothing was sent"
        )

    def _run(self, sql: str, parameters) -> sqlite3.Cursor:
        """One statement (its own transaction), tried again while SQLite answers "busy" at once."""
        conn = self._connection()
        try:
            return _while_busy(lambda: conn.execute(sql, parameters))
        except sqlite3.Error as exc:
            raise self._unavailable(exc) from None

    def try_acquire(
        self, key: str, lease: str, interval: float, concurrent: int, lease_seconds: float
    ) -> float:
        now = time.time()
        stamp = now + interval if interval > 0 else None
        taken = self._run(
            self._ACQUIRE,
            {
                "key": key,
                "lease": lease,
                "now": now,
                "lease_seconds": lease_seconds,
                "pid": os.getpid(),
                "next_at": stamp or 0.0,
                "concurrent": concurrent,
            },
        ).rowcount
        if taken:
            return Taken(stamp)
        # Why not (read outside the decision: it only says how long to wait before trying again).
        (paused_until, next_at, held, first_expiry) = self._run(
            "SELECT coalesce(max(s.paused_until), 0), coalesce(max(s.next_at), 0), "
            "(SELECT count(*) FROM budget_lease WHERE key = :key AND expires > :now), "
            "(SELECT min(expires) FROM budget_lease WHERE key = :key AND expires > :now) "
            "FROM (SELECT paused_until, next_at FROM budget_state WHERE key = :key) AS s",
            {"key": key, "now": now},
        ).fetchone()
        if paused_until > now:
            return PauseWait(paused_until - now)
        if held >= concurrent:
            if self._drop_dead_holders(key):
                return SlotWait(0.001)  # look again at once, with the dead holders' slots free
            return SlotWait(max(0.001, min(SLOT_POLL_SECONDS, (first_expiry or now) - now)))
        if next_at > now:
            return next_at - now
        return 0.001  # the state changed between the two statements: look again

    # A late request's mark (see LocalBudgetStore.mark_sent), in one statement.
    _MARK_SENT = (
        "INSERT INTO budget_state (key, next_at) VALUES (:key, :next_at) ON CONFLICT (key) "
        "DO UPDATE SET next_at = excluded.next_at WHERE budget_state.next_at = :stamp "
        "OR (budget_state.next_at <= :now AND budget_state.paused_until <= :now)"
    )

    def mark_sent(self, key: str, stamp: float | str, interval: float) -> float:
        """See :meth:`LocalBudgetStore.mark_sent`."""
        now = time.time()
        next_at = now + interval
        params = {"key": key, "next_at": next_at, "stamp": stamp, "now": now}
        if self._run(self._MARK_SENT, params).rowcount:
            return Taken(next_at)
        row = self._run("SELECT paused_until, next_at FROM budget_state WHERE key = ?", (key,)).fetchone()
        if row is not None and row[0] > now:
            return PauseWait(row[0] - now)
        if row is not None and row[1] > now:
            return row[1] - now
        return 0.001  # the state changed between the two statements: look again

    def _drop_dead_holders(self, key: str) -> bool:
        holders = self._run("SELECT DISTINCT pid FROM budget_lease WHERE key = ?", (key,)).fetchall()
        gone = [pid for (pid,) in holders if not _process_alive(pid)]
        for pid in gone:
            self._run("DELETE FROM budget_lease WHERE key = ? AND pid = ?", (key, pid))
        return bool(gone)

    def release(self, key: str, lease: str) -> None:
        try:
            # Expired leases of the key go with it (the file stays small).
            self._run(
                "DELETE FROM budget_lease WHERE key = ? AND (lease = ? OR expires <= ?)",
                (key, lease, time.time()),
            )
        except BudgetUnavailable as exc:  # the lease expires on its own; the exchange itself went fine
            logger.warning("Could not return a request-budget lease of %s (%s)", key, exc)

    def pause(self, key: str, seconds: float) -> None:
        self._run(
            "INSERT INTO budget_state (key, paused_until) VALUES (?, ?) ON CONFLICT (key) "
            "DO UPDATE SET paused_until = max(paused_until, excluded.paused_until)",
            (key, time.time() + seconds),
        )

    def paused_for(self, key: str) -> float:
        row = self._run("SELECT paused_until FROM budget_state WHERE key = ?", (key,)).fetchone()
        return max((row[0] if row is not None else 0.0) - time.time(), 0.0)

    def reset(self, key: str) -> None:
        self._run("DELETE FROM budget_lease WHERE key = ?", (key,))
        self._run("DELETE FROM budget_state WHERE key = ?", (key,))

    def forget_every_key(self) -> None:
        """Forget the state of every key (a test starting afresh)."""
        self._run("DELETE FROM budget_lease", ())
        self._run("DELETE FROM budget_state", ())


# How long a budget file's decision may wait for the other processes' (each takes microseconds).
BUSY_SECONDS = 10.0


def _while_busy(action):
    """``action()``, tried again while SQLite answers "locked" / "busy" at once (it does so, without
    waiting for its busy timeout, e.g. while another connection switches a new file to WAL), for
    at most :data:`BUSY_SECONDS`."""
    deadline = time.monotonic() + BUSY_SECONDS
    while True:
        try:
            return action()
        except sqlite3.OperationalError as exc:
            text = str(exc)
            if ("locked" not in text and "busy" not in text) or time.monotonic() >= deadline:
                raise
            time.sleep(0.005)


def _process_alive(pid: int) -> bool:
    """Whether process ``pid`` of this machine still exists."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process
        return True
    return True


@contextmanager
def _unavailable_as_error() -> Iterator[None]:
    try:
        yield
    except RedisError as exc:
        # The exception's text may hold the Redis URL (and its password): only its type is shown.
        raise BudgetUnavailable(
            f"The request budget could not be checked: Redis did not answer ({type(exc).__name__}); "
            "nothing was sent"
        ) from None


_local_stores: dict[str, LocalBudgetStore] = {}
_file_stores: dict[str, FileBudgetStore] = {}
_local_stores_lock = threading.Lock()


def store_for(cache_alias: str = "default") -> LocalBudgetStore | FileBudgetStore | RedisBudgetStore:
    """The budget store behind the cache ``cache_alias``: Redis for django-redis, else the file
    ``MIGRATEIQ_REQUEST_BUDGET_FILE`` (shared by the machine's processes), else local memory."""
    cache = caches[cache_alias]
    if type(cache).__module__.startswith("django_redis"):
        return RedisBudgetStore(cache_alias)
    path = str(getattr(settings, "MIGRATEIQ_REQUEST_BUDGET_FILE", "") or "")
    if path:
        with _local_stores_lock:
            return _file_stores.setdefault(path, FileBudgetStore(path))
    # One local store per cache location, like the local-memory cache itself.
    location = getattr(cache, "_cache", None)
    name = f"{cache_alias}:{id(location) if location is not None else type(cache).__name__}"
    with _local_stores_lock:
        return _local_stores.setdefault(name, LocalBudgetStore())
