"""Where loads read from: the sync engine's change feed of a connector's records.

A change source has three methods::

    changes_after(connector_id, after, limit) -> list of changes, in sequence order, each with
        .seq, .external_id, .data_json (JSON text), .last_synced_at, .deleted_at (None: alive)
    column_fields(connector_id) -> the fields of the connector's inferred schema that are columns
        (nested objects expanded), [{"path": [...], "types": [...], "formats": [...]}, ...], sorted
    last_sequence(connector_id) -> int
    record_ids(connector_id) -> the external ids of every record stored, live or deleted (an
        iterable read in pages), for a reload to remove the rows of records no longer stored

The engine's :class:`~sync_engine.changes.ConnectorChangeSource` is the one every connector has (both
are platform apps); :func:`register_change_source` replaces it (tests, another record store).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Protocol

from sync_engine.changes import ConnectorChangeSource


class ChangeSource(Protocol):
    def changes_after(self, connector_id: int, after: int, limit: int) -> list: ...

    def column_fields(self, connector_id: int) -> list[dict]: ...

    def last_sequence(self, connector_id: int) -> int: ...

    def record_ids(self, connector_id: int) -> Iterable[str]: ...


_source: ChangeSource = ConnectorChangeSource()


def register_change_source(source: ChangeSource) -> None:
    global _source
    _source = source


def change_source() -> ChangeSource:
    return _source
