"""Where loads read from: the change source a connectors module registers.

The platform app never imports a module. A module that keeps a change feed (``demo_extension``)
registers an object with these three methods in its ``AppConfig.ready``::

    changes_after(connector_id, after, limit) -> list of changes, in sequence order, each with
        .seq, .external_id, .data_json (JSON text), .last_synced_at, .deleted_at (None: alive)
    column_fields(connector_id) -> the fields of the connector's inferred schema that are columns
        (nested objects expanded), [{"path": [...], "types": [...], "formats": [...]}, ...], sorted
    last_sequence(connector_id) -> int
"""

from __future__ import annotations

from typing import Protocol


class ChangeSource(Protocol):
    def changes_after(self, connector_id: int, after: int, limit: int) -> list: ...

    def column_fields(self, connector_id: int) -> list[dict]: ...

    def last_sequence(self, connector_id: int) -> int: ...


_source: ChangeSource | None = None


def register_change_source(source: ChangeSource) -> None:
    global _source
    _source = source


def change_source() -> ChangeSource:
    if _source is None:
        raise RuntimeError("No change source is registered (is the connectors module installed?)")
    return _source
