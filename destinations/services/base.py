"""The destination interface: what a destination type implements, and the registry of types.

Adding a type (another database, a file format) is one module with a class like
``postgres.PostgresDestination``::

    class MyDestination:
        type = "mytype"                       # also a DestinationType choice (models.py)

        def check_connection(self, destination) -> ConnectionCheck: ...

        def load(self, destination, attachment, source, report: LoadReport, *, batch_size: int,
                 full: bool = False) -> None:
            # read source.changes_after(attachment.connector_id, checkpoint, batch_size) until empty
            # (full: from 0, the checkpoint reset); write each batch and its checkpoint atomically;
            # call report.batch_committed(...)
            ...

registered in ``DRIVERS`` of ``services/registry.py``. Raise :class:`DestinationError` with a
message that is safe to show (no credentials) for anything the user can fix; the load run records
it as FAILED.
"""

from __future__ import annotations

from dataclasses import dataclass


class DestinationError(Exception):
    """A configuration, connection or load problem; the message is safe to show."""


@dataclass
class ConnectionCheck:
    connected: bool
    message: str
    response_time_ms: float


class LoadReport:
    """What a driver tells the load run as it goes (implemented by ``services/loads.py``)."""

    def started(self, high_water: int) -> None: ...

    def event(self, message: str, level: str = "info") -> None: ...

    def columns_named(self, columns: dict) -> None: ...

    def column_renamed(self, named) -> None:
        """A field got another column name than its convention makes (``naming.NamedColumn``)."""

    def column_added(self, column: str, pg_type: str) -> None: ...

    def column_widened(self, column: str, old: str, new: str) -> None: ...

    def batch_committed(self, high_water: int, upserted: int, deleted: int) -> None: ...

    def reloading(self, pending: bool) -> None:
        """A reload began (``True``: it stays pending until it ends) or ended (``False``)."""

    def rows_removed(self, deleted: int) -> None:
        """Rows of records the store no longer has were removed (the end of a reload)."""
