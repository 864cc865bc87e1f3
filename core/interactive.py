"""Work that holds a web thread while a person waits: a short total deadline, and interactive slots
(one per user, a few per tenant).

A person waits for ``test_connection`` (and the connector preview) while a web thread calls the
connector's upstream. An upstream that answers one byte a second held that thread for as long as it
liked, and four such calls held every thread of a server process: other tenants' requests queued
behind them (``GET /api/auth/me/`` took 23 s). Wrapping the view method with
:func:`bounded_upstream_call` bounds that:

* every outbound request inside the view, retries and redirects included, ends within
  ``MIGRATEIQ_INTERACTIVE_DEADLINE_SECONDS`` (default 10 s) in total (``core.http.total_deadline``);
* the call takes an *interactive slot* (:func:`interactive_slot`): a user has at most one, and a
  tenant at most ``MIGRATEIQ_TENANT_INTERACTIVE_SLOTS`` (default 2), all wrapped views and waits
  for a run (``?wait=``) together, keyed in the shared cache. A call that finds no slot is answered
  429 at once, saying which limit it hit and when to try again, instead of taking another thread.

So one user holds at most one web thread, and one tenant (however many members it invites) at most
``MIGRATEIQ_TENANT_INTERACTIVE_SLOTS``, each for at most its deadline. The tenant's bound does not
bound the process: two tenants at their limits held all four threads of ``make run``. A server
process of several threads (gunicorn's ``--threads``, told by ``gunicorn.conf.py`` through
:func:`set_web_threads`) keeps one of them free of such calls: a call past its threads less one is
a 429 too (:class:`_ProcessThreads`, counted in the process, where the threads are). A server of
several processes of one thread each (gunicorn's sync workers, the production image's default) keeps
one process free the same way, counted in the shared cache (:class:`_ServerProcesses`). With the
embedded default's local-memory cache the slots are counted per server process. Usage, one line on
a view method::

    @bounded_upstream_call
    @action(detail=True, methods=["post"])
    def test_connection(self, request, pk=None): ...

A view that can do without the wait (a sync's ``?wait=``) takes a slot with
:func:`interactive_slot` and skips the wait when none is free.

Heavy reads hold a web thread too, with no upstream involved: an export streams every record of a
connector (minutes for a large one), a field profile reads up to 50,000 records. Four exports at
once from one viewer held every thread of ``make run`` while another tenant's sign-in timed out.
:func:`holds_read_slot` gives such a view a *read slot* (one per user) and one of the tenant's slots
above, the same pool, so a tenant holds at most ``MIGRATEIQ_TENANT_INTERACTIVE_SLOTS`` threads
whatever mix of calls it makes. A streamed answer keeps its slots while it streams: they are taken
for :data:`READ_SLOT_SECONDS` at a time, renewed as chunks go out, and given back when the stream
ends or is closed (Django closes it once it is sent or the client went away). A client that stops
reading mid-download loses its slots when they lapse (:data:`READ_SLOT_SECONDS` and a few seconds
of grace) and its thread once no byte went out for ``MIGRATEIQ_DOWNLOAD_STALL_SECONDS``.
"""

import contextlib
import functools
import math
import os
import secrets
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from rest_framework import status

from core.exceptions import error_response
from core.http import total_deadline

IN_FLIGHT_MESSAGE = (
    "Another call of yours that holds a web thread (an upstream or connection test, a preview, a wait "
    "for a run) is still in progress; one user has one at a time. Try again in {seconds} s."
)
# The cache entry of a slot outlives its holder's bound a little: if the process dies mid-call, the
# slot comes free this long after the call would have ended.
_SLOT_GRACE_SECONDS = 5


@dataclass(frozen=True)
class NoSlot:
    """Why no interactive slot was free, and in how many seconds one should be (``Retry-After``)."""

    message: str
    retry_after: int

    def response(self):
        response = error_response(self.message, status.HTTP_429_TOO_MANY_REQUESTS)
        response["Retry-After"] = str(self.retry_after)
        return response


def _in_flight_key(request) -> str:
    return f"upstream-call-in-flight:{request.user.pk}"


def _tenant_slot_keys(request) -> list[str]:
    tenant = getattr(request, "tenant", None)
    if tenant is None:
        return []
    return [f"interactive-slot:{tenant.pk}:{n}" for n in range(settings.MIGRATEIQ_TENANT_INTERACTIVE_SLOTS)]


def _seconds_left(keys: list[str], fallback: float) -> int:
    """Seconds until the first of the slots held under ``keys`` is due to end (their values are
    ``"<token> <end as a Unix time>"``: the cache is shared by processes), at least 1."""
    ends = []
    for value in cache.get_many(keys).values():
        with contextlib.suppress(ValueError, AttributeError, IndexError):
            ends.append(float(str(value).split(" ", 1)[1]))
    wait = min(ends) - time.time() if ends else fallback
    return max(1, math.ceil(min(wait, fallback)))


class _ProcessThreads:
    """The web threads of this process that calls holding one may take: its threads less one (a
    process of one thread, or outside a threaded server: no bound here)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._ends: dict[str, float] = {}  # a held call's token: when its hold ends (monotonic)
        self.threads = 0

    def take(self, token: str, seconds: float) -> bool:
        if self.threads <= 1:
            return True
        with self._lock:
            now = time.monotonic()
            # A call's thread is free once its hold and the stall bound of a download have passed
            # without a renewal (a response never closed must not shrink the process for good).
            lapsed_before = now - settings.MIGRATEIQ_DOWNLOAD_STALL_SECONDS
            for lapsed in [key for key, end in self._ends.items() if end <= lapsed_before]:
                del self._ends[lapsed]
            if len(self._ends) >= self.threads - 1:
                return False
            self._ends[token] = now + seconds
            return True

    def renew(self, token: str, seconds: float) -> None:
        with self._lock:
            if token in self._ends:
                self._ends[token] = time.monotonic() + seconds

    def give_back(self, token: str) -> None:
        with self._lock:
            self._ends.pop(token, None)

    def seconds_to_first_end(self, fallback: float) -> int:
        """Seconds until the first held call's hold ends, at least 1."""
        with self._lock:
            first = min(self._ends.values(), default=time.monotonic() + fallback)
        return max(1, math.ceil(min(first - time.monotonic(), fallback)))


_process_threads = _ProcessThreads()


class _ServerProcesses:
    """A server of several processes of one thread each (gunicorn's sync workers, the production
    default): the calls that hold a web thread take one of the server's processes less one, counted
    in the shared cache (Redis: every process of the server sees the same slots) under the host's
    name and the server's arbiter (its workers' parent), so two servers never share their slots."""

    def __init__(self) -> None:
        self.processes = 0
        self.server = ""

    def keys(self) -> list[str]:
        if self.processes <= 1:
            return []
        return [f"web-process-slot:{self.server}:{n}" for n in range(self.processes - 1)]


_server_processes = _ServerProcesses()


def set_web_threads(threads: int, processes: int = 1) -> None:
    """Tell this module how the server serves requests (gunicorn's ``post_worker_init``): with more
    than one thread a process keeps one of them free of calls that hold a thread; a server of several
    processes of one thread keeps one process free (counted in the shared cache)."""
    _process_threads.threads = threads
    _server_processes.processes = processes if threads == 1 else 0
    _server_processes.server = f"{socket.gethostname()}:{os.getppid()}"


class HeldSlots:
    """Slots taken in the shared cache under one token, and the process's thread: renewed while
    their work goes on, given back once (a key another holder took after ours expired is left
    alone)."""

    def __init__(self, keys: list[str], token: str, hold: int):
        self.keys = keys
        self.token = token
        self.hold = hold
        self._released = False

    def renew(self) -> None:
        _process_threads.renew(self.token, self.hold)
        for key in self.keys:
            if cache.get(key) == self.token:
                cache.touch(key, self.hold)

    def release(self) -> None:
        if self._released:
            return
        self._released = True
        _process_threads.give_back(self.token)
        for key in self.keys:
            if cache.get(key) == self.token:
                cache.delete(key)


def take_slots(request, seconds: float, *, user_key: str, in_flight_message: str) -> HeldSlots | NoSlot:
    """Take the user's slot ``user_key`` and one of the tenant's for up to ``seconds``: the
    :class:`HeldSlots` (give them back with ``release()``), or the :class:`NoSlot` saying which limit
    was hit (nothing is held then)."""
    hold = math.ceil(seconds) + _SLOT_GRACE_SECONDS
    mine = f"{secrets.token_hex(8)} {time.time() + seconds}"
    if not cache.add(user_key, mine, timeout=hold):
        retry_after = _seconds_left([user_key], seconds)
        return NoSlot(in_flight_message.format(seconds=retry_after), retry_after)
    held = HeldSlots([user_key], mine, hold)
    if not _process_threads.take(mine, hold):
        held.release()
        retry_after = _process_threads.seconds_to_first_end(seconds)
        return NoSlot(
            f"This server process has {_process_threads.threads - 1} calls in progress that hold a "
            f"web thread, all of its {_process_threads.threads} threads but the one kept for "
            f"everyone's quick requests; try again in {retry_after} s.",
            retry_after,
        )
    refused = _take_one_of(
        _server_processes.keys(),
        held,
        seconds,
        lambda count, retry_after: (
            f"This server has {count} calls in progress that hold a web thread, all of its "
            f"{_server_processes.processes} processes but the one kept for everyone's quick requests; "
            f"try again in {retry_after} s."
        ),
    )
    refused = refused or _take_one_of(
        _tenant_slot_keys(request),
        held,
        seconds,
        lambda count, retry_after: (
            f"Your tenant already has {count} calls in progress that hold a web thread "
            f"(upstream and connection tests, previews, waits for a run, exports, field profiles), "
            f"the most one tenant may have (MIGRATEIQ_TENANT_INTERACTIVE_SLOTS); try again in "
            f"{retry_after} s."
        ),
    )
    return refused or held


def _take_one_of(keys: list[str], held: HeldSlots, seconds: float, refusal) -> NoSlot | None:
    """Take one of the slots ``keys`` (none: no bound) for ``held``: None, else ``held`` is given
    back and the :class:`NoSlot` says ``refusal(len(keys), retry_after)``."""
    if not keys:
        return None
    key = next((key for key in keys if cache.add(key, held.token, timeout=held.hold)), None)
    if key is None:
        held.release()
        retry_after = _seconds_left(keys, seconds)
        return NoSlot(refusal(len(keys), retry_after), retry_after)
    held.keys.append(key)
    return None


@contextlib.contextmanager
def interactive_slot(request, seconds: float) -> Iterator[NoSlot | None]:
    """Hold the user's interactive slot and one of the tenant's for up to ``seconds``: yields ``None``
    when both were free (they are given back when the block ends), else the :class:`NoSlot` saying
    which limit was hit (nothing is held then)."""
    taken = take_slots(
        request, seconds, user_key=_in_flight_key(request), in_flight_message=IN_FLIGHT_MESSAGE
    )
    if isinstance(taken, NoSlot):
        yield taken
        return
    try:
        yield None
    finally:
        taken.release()


def bounded_upstream_call(view_method):
    """Run a DRF view method under the interactive deadline, in an interactive slot (429 otherwise)."""

    @functools.wraps(view_method)
    def wrapper(self, request, *args, **kwargs):
        seconds = float(settings.MIGRATEIQ_INTERACTIVE_DEADLINE_SECONDS)
        with interactive_slot(request, seconds) as refused:
            if refused is not None:
                return refused.response()
            with total_deadline(seconds):
                return view_method(self, request, *args, **kwargs)

    return wrapper


READ_IN_FLIGHT_MESSAGE = (
    "Another export or field profile of yours is still being read (a download holds a web thread "
    "until it ends); one user reads one at a time. Try again in {seconds} s."
)
#: How long a heavy read's slots are taken for at a time; a streamed answer renews them as it goes.
READ_SLOT_SECONDS = 30


def _read_key(request) -> str:
    return f"heavy-read-in-flight:{request.user.pk}"


class SlotHoldingStream:
    """A streamed answer's chunks, holding ``held`` while they go out: renewed at most every
    ``renew_every`` seconds, given back when the chunks run out or the stream is closed."""

    def __init__(self, chunks, held: HeldSlots, renew_every: float = READ_SLOT_SECONDS / 3):
        self._chunks = iter(chunks)
        self._held = held
        self._renew_every = renew_every
        self._renewed = time.monotonic()

    def __iter__(self):
        return self

    def __next__(self):
        now = time.monotonic()
        if now - self._renewed >= self._renew_every:
            self._held.renew()
            self._renewed = now
        try:
            return next(self._chunks)
        except BaseException:
            self.close()
            raise

    def close(self) -> None:
        self._held.release()
        close = getattr(self._chunks, "close", None)
        if close is not None:
            close()


#: The most a streamed answer hands the server in one write: a socket's timeout bounds a whole
#: ``sendall``, so with pieces this size the stall bound means "no 64 KiB went out in that time"
#: (an export's page of records is a megabyte or more).
WRITE_PIECE_BYTES = 64 * 1024


def _in_pieces(chunks, size: int = WRITE_PIECE_BYTES):
    try:
        for chunk in chunks:
            if len(chunk) <= size:
                yield chunk
                continue
            view = memoryview(chunk)
            for start in range(0, len(chunk), size):
                yield bytes(view[start : start + size])
    finally:
        close = getattr(chunks, "close", None)
        if close is not None:
            close()


def _bound_stalled_writes(request) -> None:
    """gunicorn writes an answer with a blocking socket and no timeout: a client that stops reading a
    download held the thread (and its slots' process thread) for ever. A write that makes no progress
    for ``MIGRATEIQ_DOWNLOAD_STALL_SECONDS`` now fails, gunicorn closes the connection and the
    stream (its slots given back). The timeout lasts this request: gunicorn resets the socket's
    blocking mode before the next one."""
    sock = request.META.get("gunicorn.socket")
    if sock is not None:
        sock.settimeout(settings.MIGRATEIQ_DOWNLOAD_STALL_SECONDS)


def holds_read_slot(view_method):
    """Run a DRF view method that reads many records in a read slot (429 otherwise); a streamed
    answer holds it until the stream ends."""

    @functools.wraps(view_method)
    def wrapper(self, request, *args, **kwargs):
        taken = take_slots(
            request,
            READ_SLOT_SECONDS,
            user_key=_read_key(request),
            in_flight_message=READ_IN_FLIGHT_MESSAGE,
        )
        if isinstance(taken, NoSlot):
            return taken.response()
        try:
            response = view_method(self, request, *args, **kwargs)
        except BaseException:
            taken.release()
            raise
        if getattr(response, "streaming", False):
            response.streaming_content = SlotHoldingStream(_in_pieces(response.streaming_content), taken)
            _bound_stalled_writes(request)
        else:
            taken.release()
        return response

    return wrapper
