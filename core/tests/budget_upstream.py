"""A real local HTTP upstream for the request-budget tests: it records when each request arrives,
how many are in flight at once, and answers as the test scripts it (a delay, a 429, ...)."""

from __future__ import annotations

import gc
import socket
import threading
import time
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from core.tests.upstreams import http_response


@dataclass
class Answer:
    status: int = 200
    body: bytes = b'{"ok": true}'
    headers: dict[str, str] = field(default_factory=lambda: {"Content-Type": "application/json"})
    delay: float = 0.0


class RecordingUpstream:
    """``answer(number, path) -> Answer`` scripts request ``number`` (1-based, in arrival order).

    ``arrivals`` holds ``(time.monotonic(), path)`` per request (CLOCK_MONOTONIC is one clock for
    every process of the machine, so subprocess clients can be compared with it); ``max_in_flight``
    is the most requests the server was answering at one time.
    """

    def __init__(self, answer: Callable[[int, str], Answer] | None = None):
        self.answer = answer or (lambda number, path: Answer())
        self.arrivals: list[tuple[float, str]] = []
        self.answered: list[tuple[float, int]] = []
        self.in_flight = 0
        self.max_in_flight = 0
        self._lock = threading.Lock()
        upstream = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def setup(self):
                super().setup()
                # One write per response below, and no Nagle wait on it either.
                self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

            def do_GET(self):
                if "warmup=1" in self.path:  # a client opening its connection before a measurement
                    self.wfile.write(http_response(200, b"{}"))
                    return
                with upstream._lock:
                    upstream.arrivals.append((time.monotonic(), self.path))
                    number = len(upstream.arrivals)
                    upstream.in_flight += 1
                    upstream.max_in_flight = max(upstream.max_in_flight, upstream.in_flight)
                try:
                    answer = upstream.answer(number, self.path)
                    if answer.delay:
                        time.sleep(answer.delay)
                    with upstream._lock:
                        upstream.answered.append((time.monotonic(), answer.status))
                        # Counted out before the answer leaves: the client may reuse its slot at once.
                        upstream.in_flight -= 1
                    self.wfile.write(http_response(answer.status, answer.body, dict(answer.headers)))
                except BaseException:
                    with upstream._lock:
                        upstream.in_flight = max(upstream.in_flight - 1, 0)
                    raise

            def log_message(self, *args):
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05})
        self._thread.daemon = True
        self._thread.start()

    @property
    def netloc(self) -> str:
        return f"127.0.0.1:{self.port}"

    @property
    def url(self) -> str:
        return f"http://{self.netloc}/items"

    def arrival_times(self) -> list[float]:
        with self._lock:
            return sorted(at for at, _ in self.arrivals)

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()


# What a loaded machine may add between a request's slot and its arrival at the server. The tests
# loosen by it only their checks that requests were spaced at all; "never more than N in any second"
# stays exact (the budget's RATE_MARGIN is what absorbs jitter there).
JITTER = 0.15


@contextmanager
def without_gc_pauses():
    """The cyclic garbage collector held off while requests are timed. A full collection in a test
    process that has run a few hundred tests walks hundreds of megabytes of objects and runs the
    finalizers of what it frees (sockets, connections, threads): measured at 0.5-1.9 s on the
    PostgreSQL run, every thread of the process stopped meanwhile. A request granted its slot
    before such a pause reaches this process's server late, the next ones on time, and six arrive in
    one second although the budget granted none early; a thread waiting for a slot is counted as
    waiting less. The budget cannot space requests by a pause of the process that measures them (a
    real upstream is not in the sender's process). What is alive when the test starts is collected
    and frozen first, so the collections after the test do not walk it again."""
    gc.collect()
    gc.freeze()
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


@pytest.fixture
def no_gc_pauses():
    """:func:`without_gc_pauses` around a test (the modules whose every test times requests use it
    for all of them: ``pytestmark = pytest.mark.usefixtures("no_gc_pauses")``)."""
    with without_gc_pauses():
        yield


def most_in_any_window(times: list[float], seconds: float = 1.0) -> int:
    """The most arrivals in any half-open window ``[t, t + seconds)`` (a window starting at an arrival
    holds at least as many as any other)."""
    times = sorted(times)
    most = 0
    end = 0
    for start, at in enumerate(times):
        end = max(end, start)
        while end < len(times) and times[end] < at + seconds:
            end += 1
        most = max(most, end - start)
    return most
