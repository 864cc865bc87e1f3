"""Reading a page's stored checksums in a thread of its own, while the run's thread computes the
page's source checksums.

A re-sync compares each raw record's source checksum with the stored one: per page, one read of the
stored checksums of the page's keys and one checksum per record. The read is the database's work
(PostgreSQL's process; SQLite's C code, which runs without the GIL for the one row the lookup
returns, see ``records.stored_checksums``), the checksums are the run's: started first in another
thread, the read overlaps them instead of following them. Measured in docs/benchmarks.md.

The thread has its own database connection (closed with it), as the background committer has;
it is used only where the committer commits in the background (not inside a caller's transaction,
whose rows another connection would not see). What a lookup may read is unchanged: the keys of the
pages still being committed are left out before it starts (``PageBuilder.lookup_keys``).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from django.db import connection

logger = logging.getLogger(__name__)


class ThreadedLookups:
    """Runs ``lookup(ids)`` in one thread of its own, one page at a time."""

    def __init__(self, lookup: Callable[[list[str]], dict]):
        self._lookup = lookup
        self._executor: ThreadPoolExecutor | None = None

    def start(self, ids: list[str]) -> Callable[[], dict]:
        """Start reading; the callable returned waits for the answer (or raises the read's error)."""
        if self._executor is None:  # a first load never reads: no thread
            self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="sync-lookups")
        return self._executor.submit(self._lookup, ids).result

    def close(self) -> None:
        if self._executor is None:
            return
        closed = self._executor.submit(_close_own_connection)
        self._executor.shutdown(wait=True)
        self._executor = None
        if closed.exception() is not None:  # the run's pages are committed: logged, not its failure
            logger.error(
                "The sync's lookup thread could not close its database connection: %s", closed.exception()
            )


def _close_own_connection() -> None:
    """Close the calling thread's database connection. (``connection.close`` looked up in another
    thread would be that thread's connection's method, which Django refuses to run here.)"""
    connection.close()
