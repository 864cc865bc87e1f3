"""Noticing a run's cancellation while its thread waits for the upstream.

The engine looks at ``cancel_requested`` between pages, but one page may take minutes: a request
that hangs until its timeout, retried, or a wait before a retry. :class:`CancelWatch` reads the flag
from a thread of its own and sets an event the run's requests are abandoned on
(``core.http.abandoned_when``): the request in flight stops waiting for its answer, no further
attempt is sent, and the engine ends the run ``CANCELLED`` within about a second of the cancel, its
committed pages kept.
"""

from __future__ import annotations

import logging
import threading

from django.db import DatabaseError, connection

from sync_engine.models import SyncLog

logger = logging.getLogger(__name__)

# Seconds between two reads of the flag: one primary-key query for each running sync.
POLL_SECONDS = 0.5


class CancelWatch:
    """``cancelled`` is set once the run's cancellation is requested, while the block runs.

    Not started inside a caller's transaction (a test, a shell's atomic block): another connection
    could not see the run there, and nobody else could cancel it; the engine's page-boundary check
    still applies.
    """

    def __init__(self, run_id: int, *, interval: float = POLL_SECONDS):
        self.run_id = run_id
        self.interval = interval
        self.cancelled = threading.Event()
        self._stopped = threading.Event()
        self._thread: threading.Thread | None = None

    def __enter__(self) -> CancelWatch:
        if not connection.in_atomic_block:
            name = f"sync-{self.run_id}-cancel"
            self._thread = threading.Thread(target=self._watch, name=name, daemon=True)
            self._thread.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self._stopped.set()
        if self._thread is not None:
            self._thread.join(timeout=10)

    def _watch(self) -> None:
        failing = False
        try:
            while not self._stopped.wait(self.interval):
                try:
                    requested = SyncLog.objects.filter(pk=self.run_id, cancel_requested=True).exists()
                except DatabaseError:
                    if not failing:  # the run's own page-boundary check still applies
                        logger.exception("Could not read whether sync %s was cancelled", self.run_id)
                    failing = True
                    continue
                failing = False
                if requested:
                    self.cancelled.set()
                    return
        finally:
            connection.close()
