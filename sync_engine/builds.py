"""Where a run's pages are built: in the run's thread, or in a second process on another core.

Building a page (source checksums, transformation, serialization, checksums, the schema) is pure
Python work that holds the GIL; the run's thread also fetches and parses pages and hands them to the
committer. :class:`ProcessBuilds` moves the building to a child process forked when the run starts,
so that page N+1 is built on one core while the run's process fetches page N+2 and commits page N.

The run's process still reads the stored checksums a re-sync needs (the child never touches the
database): it sends each page with the stored checksums of its keys, and the child leaves out the keys
of the pages it built that may not be committed yet (its ``in_flight`` covers every page between the
read and the page's commit), so what the run's process read still holds when the page commits.
Pages come back in the order they were sent; the engine takes them in that order, so commits, the
checkpoint and every stop rule are unchanged. One page is built ahead at most: the memory bound is
one more page.

``MIGRATEIQ_SYNC_BUILD_PROCESS`` chooses: ``off`` (the run's thread), ``on`` (a child process when
the machine has more than one core), ``auto`` (the default: a child process for a connector's first
load in a Celery worker; the run's thread for re-syncs and for a sync run inline by the embedded web
server). Measured on 2 cores (docs/benchmarks.md): first loads 10-20 % faster when a core is free
(no faster when the machine is busy), re-syncs 25-40 % slower (each raw record is pickled to the
child, which costs more than the checksums it moves).
"""

from __future__ import annotations

import multiprocessing
import os
import pickle
import signal
import time
from collections import deque
from concurrent.futures import ThreadPoolExecutor
from functools import partial

import orjson
from django.conf import settings

from sync_engine.errors import SyncProblem
from sync_engine.page_builder import PAGES_IN_FLIGHT, PageBuilder, PageWork
from sync_engine.records import dump_plain_records


class InlineBuilds:
    """Builds each page in the run's thread as soon as it is submitted."""

    depth = 0  # pages submitted ahead of the one the engine takes
    separate_process = False  # pages built in another process (which reads no stored checksums)

    def __init__(self, builder: PageBuilder):
        self.builder = builder
        self._ready: deque = deque()

    def submit(self, records: list, *, plain: bool) -> None:
        work, fingerprint = self.builder.build(records, plain=plain)
        self._ready.append((work, fingerprint))

    def take(self) -> tuple[PageWork, bytes | None]:
        return self._ready.popleft()

    def handed_over(self, work: PageWork) -> None:
        self.builder.handed_over(work)

    def close(self) -> None:
        self._ready.clear()


class PipelinedBuilds(InlineBuilds):
    """Builds each page in the run's thread, one page behind: a page's stored checksums are read (in
    the lookup thread) as soon as it arrives, and it is built when the engine takes it, after the
    next page was fetched and parsed. A re-sync's run thread otherwise waited for each read (16 % of
    its time into PostgreSQL, docs/benchmarks.md).

    What the read may use is what :meth:`PageBuilder.lookup_keys` allows when it starts (never the
    keys of pages still being committed), less the keys of the page handed to the committer
    between the read and the build: the read may have seen them before that page committed."""

    depth = 1

    def __init__(self, builder: PageBuilder):
        super().__init__(builder)
        self._waiting: deque = deque()
        self._handed = 0  # pages handed over so far
        self._handed_keys: deque = deque(maxlen=self.depth + 1)  # (number, keys) of the latest

    def submit(self, records: list, *, plain: bool) -> None:
        builder = self.builder
        builder.choose_key(records)
        guesses, wanted = builder.lookup_keys(records, plain=plain)
        reading = builder.begin_lookup(list(wanted)) if wanted else None
        self._waiting.append((records, plain, guesses, wanted, reading, self._handed))

    def take(self) -> tuple[PageWork, bytes | None]:
        records, plain, guesses, wanted, reading, handed = self._waiting.popleft()
        stored = reading() if reading is not None else {}
        # Handed over after the read started: what it read of their keys may be stale.
        later = [keys for number, keys in self._handed_keys if number > handed]
        if later and stored:
            wanted = wanted.difference(*later)
            stored = {key: value for key, value in stored.items() if key in wanted}
        return self.builder.build(records, plain=plain, prefetched=(guesses, wanted, stored))

    def handed_over(self, work: PageWork) -> None:
        super().handed_over(work)
        self._handed += 1
        self._handed_keys.append((self._handed, frozenset(work.rows)))

    def close(self) -> None:
        self._waiting.clear()


class ProcessBuilds(InlineBuilds):
    """Builds pages in a forked child process, one page ahead of the engine."""

    depth = 1
    separate_process = True

    def __init__(self, builder: PageBuilder):
        super().__init__(builder)
        self._conn, child_conn = multiprocessing.Pipe()
        # A plain fork, not multiprocessing.Process: a Celery pool process is "daemonic" and may not
        # start one. The child's builder state (rules, schema so far, high-water mark, key mode) is
        # the parent's at the fork; from then on only the child builds, and sends back what the
        # run records.
        self.pid = os.fork()
        if self.pid == 0:  # the child
            code = 1
            try:
                self._conn.close()  # so that the parent's end closing is seen as the end
                _serve(child_conn, builder)
                code = 0
            finally:
                os._exit(code)  # no exit handlers: they belong to the parent (its connections)
        child_conn.close()
        self._exit_code: int | None = None
        # Pages are sent by a thread of their own: the child may be sending the previous page's work
        # back at the same time, and two blocked writers on one pipe would wait for each other.
        self._sender = ThreadPoolExecutor(max_workers=1, thread_name_prefix="sync-build-send")
        self._sends: deque = deque()

    def submit(self, records: list, *, plain: bool) -> None:
        builder = self.builder
        builder.choose_key(records)
        _guesses, wanted = builder.lookup_keys(records, plain=plain)
        stored = builder.lookup(list(wanted)) if wanted else {}
        # A plain page goes as JSON text with its source checksums, computed here from the same
        # serialization of each record: this process spends on it what pickling the records cost,
        # and the child (the bound of a first load) parses instead of unpickling and has no source
        # checksums left to compute (a tenth less of its time). Other pages are pickled.
        dumped = dump_plain_records(records, builder.rules.source_hasher) if plain else None
        page: tuple
        if dumped is not None:
            body, sources = dumped
            page = (None, body, sources, plain, builder.key_mode, stored)
        else:
            page = (records, None, None, plain, builder.key_mode, stored)
        message = pickle.dumps(page, protocol=pickle.HIGHEST_PROTOCOL)
        self._sends.append(self._sender.submit(self._conn.send_bytes, message))

    def take(self) -> tuple[PageWork, bytes | None]:
        sent = self._sends.popleft()
        try:
            sent.result()
            reply = pickle.loads(self._conn.recv_bytes())  # noqa: S301 - our own forked child, over a private pipe  # nosec B301
        except (EOFError, OSError):
            self._raise_stopped()
        if reply[0] == "error":
            raise reply[1]
        _, work, fingerprint, high_water = reply
        self.builder.high_water = high_water
        return work, fingerprint

    def close(self) -> None:
        # A page still being built is not needed any more (the run stopped or ended): no waiting.
        if self._exit_code is None:
            try:
                os.kill(self.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            self._reap(block=True)
        self._conn.close()  # a send still blocked on the pipe fails now
        self._sender.shutdown(wait=True)
        self._sends.clear()

    def _reap(self, *, block: bool) -> None:
        try:
            pid, status = os.waitpid(self.pid, 0 if block else os.WNOHANG)
        except ChildProcessError:
            self._exit_code = -1
            return
        if pid:
            self._exit_code = os.waitstatus_to_exitcode(status)

    def _raise_stopped(self):
        deadline = time.monotonic() + 1
        while self._exit_code is None and time.monotonic() < deadline:
            self._reap(block=False)
            time.sleep(0.01)
        code = "unknown" if self._exit_code is None else self._exit_code
        raise SyncProblem(
            f"The page builder process stopped unexpectedly (exit code {code}); "
            "committed pages are kept: resume the sync to continue from its checkpoint."
        )


def _serve(conn, builder: PageBuilder) -> None:
    """The child: build each page received, in order, and send its work back."""
    # Besides the pages the run's process may still be committing, the page built just before the
    # one being built is not committed yet either: its keys are never taken from the parent's read.
    builder.in_flight = deque(builder.in_flight, maxlen=PAGES_IN_FLIGHT + ProcessBuilds.depth)
    while True:
        try:
            message = conn.recv_bytes()
        except EOFError:
            return
        records, body, sources, plain, key_mode, stored = pickle.loads(message)  # noqa: S301 - our own parent, over a private pipe  # nosec B301
        if records is None:
            records = orjson.loads(body)
        builder.key_mode = key_mode
        builder.lookup = partial(_read_from, stored)
        reply: tuple
        try:
            work, fingerprint = builder.build(records, plain=plain, sources=sources)
        except Exception as exc:
            reply = ("error", _picklable(exc))
        else:
            builder.handed_over(work)
            reply = ("page", work, fingerprint, builder.high_water)
        del records, body, sources, stored
        conn.send_bytes(pickle.dumps(reply, protocol=pickle.HIGHEST_PROTOCOL))


def _read_from(stored: dict, ids: list) -> dict:
    """The stored checksums the parent read, for the ids the child asks for."""
    return {key: stored[key] for key in ids if key in stored}


def _picklable(exc: Exception) -> Exception:
    try:
        pickle.loads(pickle.dumps(exc))  # noqa: S301 - a round trip of our own object  # nosec B301
    except Exception:
        return SyncProblem(f"Building a page failed: {type(exc).__name__}: {exc}")
    return exc


def builds_for(builder: PageBuilder, *, in_worker: bool | None = None) -> InlineBuilds:
    """The page builds of a run, as ``MIGRATEIQ_SYNC_BUILD_PROCESS`` says (see the module docstring).
    ``in_worker``: whether the run is a Celery task on a worker (None: find out)."""
    if in_worker is None:
        in_worker = _in_celery_worker()
    mode = str(getattr(settings, "MIGRATEIQ_SYNC_BUILD_PROCESS", "auto")).lower()
    # auto: a first load on a worker. A re-sync skips most records unchanged, and sending its raw
    # records to the child costs more than the checksums it would move (docs/benchmarks.md).
    wanted = mode == "on" or (mode == "auto" and in_worker and builder.first_load)
    if wanted and (os.cpu_count() or 1) > 1:
        return ProcessBuilds(builder)
    if not builder.first_load and getattr(settings, "MIGRATEIQ_SYNC_LOOKUP_AHEAD", True):
        return PipelinedBuilds(builder)  # a first load reads no stored checksums: nothing to overlap
    return InlineBuilds(builder)


def _in_celery_worker() -> bool:
    """Whether this run is a Celery task executing in a worker (not eagerly, not inline)."""
    from celery import current_task

    if not current_task:  # a proxy: false outside a task
        return False
    request = current_task.request
    return request.id is not None and not request.is_eager
