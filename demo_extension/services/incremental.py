"""Incremental syncs: ``connector.incremental = {"cursor_field", "param", "initial_value"}``.

A sync sends the stored ``connector.incremental_cursor`` (or ``initial_value`` on the first run and
on a full refresh) as the query parameter ``param``, tracks the highest ``cursor_field`` value of
the raw records it receives (a path, e.g. ``meta.updated_at``; see :mod:`.paths`), and a completed sync stores
that value for the next one.
"""

from __future__ import annotations

from dataclasses import dataclass

from sync_engine.paths import later_cursor, validate_path  # noqa: F401  (later_cursor: part of this API)

#: The keys of ``connector.incremental`` and what each holds: the validator below and the API's schema
#: (``serializers.IncrementalField``) are both built from this table.
INCREMENTAL_KEY_HELP = {
    "cursor_field": "Path of the record field whose highest value the next sync starts from "
    "(e.g. updated_at). Required with param.",
    "param": "Query parameter that sends that value to the API (e.g. updated_since). Required with "
    "cursor_field.",
    "initial_value": "What the first sync and a full refresh send (a string or a number); optional.",
}
INCREMENTAL_KEYS = tuple(INCREMENTAL_KEY_HELP)
INCREMENTAL_REQUIRED = ("cursor_field", "param")


def validate_incremental_config(cfg) -> dict:
    """Check a connector's ``incremental`` setting and return it normalized (``{}``: disabled).

    Raises ``ValueError`` naming the problem.
    """
    if cfg in (None, {}):
        return {}
    if not isinstance(cfg, dict):
        raise ValueError('incremental must be an object: {"cursor_field": ..., "param": ...}.')
    unknown = sorted(set(cfg) - set(INCREMENTAL_KEYS))
    if unknown:
        raise ValueError(
            f"incremental key(s) {', '.join(unknown)} unknown (it accepts: {', '.join(INCREMENTAL_KEYS)})."
        )
    clean = {}
    for key in INCREMENTAL_REQUIRED:
        value = cfg.get(key)
        if not isinstance(value, str) or not value.strip():
            raise ValueError(f"incremental.{key} is required and must be a non-empty string.")
        clean[key] = value.strip()
    validate_path(clean["cursor_field"], what="incremental.cursor_field")
    if "initial_value" in cfg and cfg["initial_value"] is not None:
        value = cfg["initial_value"]
        if isinstance(value, bool) or not isinstance(value, str | int | float):
            raise ValueError("incremental.initial_value must be a string or a number.")
        clean["initial_value"] = value
    return clean


@dataclass(frozen=True)
class IncrementalConfig:
    cursor_field: str
    param: str
    initial_value: object = None

    @classmethod
    def from_connector(cls, connector) -> IncrementalConfig | None:
        cfg = validate_incremental_config(connector.incremental)
        return cls(**cfg) if cfg else None
