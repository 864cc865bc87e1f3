"""Incremental syncs: ``connector.incremental = {"cursor_field", "param", "initial_value"}``.

A sync sends the stored ``connector.incremental_cursor`` (or ``initial_value`` on the first run and
on a full refresh) as the query parameter ``param``, tracks the highest ``cursor_field`` value of
the raw records it receives (a path, e.g. ``meta.updated_at``; see :mod:`.paths`), and a completed sync stores
that value for the next one.

A POST connector (a search endpoint) sends it in its body instead: ``body_filter`` is a JSON object
merged into the request body when there is a value to start from, with the text ``"{since}"``
standing for that value (a whole string ``"{since}"`` becomes the value itself, number or text).

``lookback`` (optional) sends the stored cursor moved that far back: seconds for a timestamp cursor,
units for a number; never before ``initial_value``, which is sent as it is (nothing was read before
it, so there is nothing to read again). An API whose ``updated_since`` is exclusive and whose
timestamps have a second's resolution never sends again a record written in the very second of the
stored cursor after the sync read that second; records changed while a sync read past them, or
committed upstream late, are missed the same way. Read again, such records cost little: those stored
unchanged are recognised by their source checksums and not written again.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from sync_engine.cursors import later_cursor, shifted_back  # noqa: F401  (later_cursor: part of this API)
from sync_engine.paths import validate_path

#: The largest ``incremental.lookback``: about 31 years in seconds, a year and more in milliseconds.
MAX_LOOKBACK = 10**9

#: The keys of ``connector.incremental`` and what each holds: the validator below and the API's schema
#: (``serializers.IncrementalField``) are both built from this table.
INCREMENTAL_KEY_HELP = {
    "cursor_field": "Path of the record field whose highest value the next sync starts from "
    "(e.g. updated_at). Required with param.",
    "param": "Query parameter that sends that value to the API (e.g. updated_since). Required with "
    "cursor_field.",
    "initial_value": "What the first sync and a full refresh send (a string or a number); optional.",
    "lookback": "Send the stored cursor moved this far back, so records written at or just before it "
    "after a sync read past it are read again (unchanged ones are skipped): seconds for an ISO 8601 "
    "timestamp cursor, units for a number (milliseconds for epoch milliseconds); never before "
    "initial_value, which the first sync sends as it is. A number from 0 to "
    f"{MAX_LOOKBACK:,}; optional (default 0). E.g. 300 with an exclusive updated_since of one-second "
    "resolution.",
    "body_filter": "With request_method POST, instead of param: a JSON object merged into the request body "
    'when there is a value to start from, "{since}" standing for it (e.g. Notion: {"filter": {"timestamp": '
    '"last_edited_time", "last_edited_time": {"on_or_after": "{since}"}}}).',
}
SINCE = "{since}"
INCREMENTAL_KEYS = tuple(INCREMENTAL_KEY_HELP)
INCREMENTAL_REQUIRED = ("cursor_field",)


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
    param, body_filter = cfg.get("param"), cfg.get("body_filter")
    if (param is None) == (body_filter is None):
        raise ValueError(
            "incremental needs param (a query parameter) or body_filter (a POST body), one of them."
        )
    if param is not None:
        if not isinstance(param, str) or not param.strip():
            raise ValueError("incremental.param is required and must be a non-empty string.")
        clean["param"] = param.strip()
    else:
        if not isinstance(body_filter, dict) or not body_filter:
            raise ValueError("incremental.body_filter must be a non-empty JSON object.")
        if SINCE not in json.dumps(body_filter):
            raise ValueError(
                f'incremental.body_filter must hold "{SINCE}" where the value to start from goes.'
            )
        clean["body_filter"] = body_filter
    if "initial_value" in cfg and cfg["initial_value"] is not None:
        value = cfg["initial_value"]
        if isinstance(value, bool) or not isinstance(value, str | int | float):
            raise ValueError("incremental.initial_value must be a string or a number.")
        clean["initial_value"] = value
    lookback = cfg.get("lookback")
    if lookback is not None:
        if (
            isinstance(lookback, bool)
            or not isinstance(lookback, int | float)
            or not 0 <= lookback <= MAX_LOOKBACK
        ):
            raise ValueError(
                f"incremental.lookback must be a number from 0 to {MAX_LOOKBACK} (seconds for a "
                "timestamp cursor, units for a number)."
            )
        if lookback:
            clean["lookback"] = lookback
    return clean


@dataclass(frozen=True)
class IncrementalConfig:
    cursor_field: str
    param: str = ""
    initial_value: object = None
    body_filter: dict = field(default_factory=dict)
    lookback: int | float = 0

    def start(self, since):
        """What a run that reads from ``since`` sends: ``since`` moved back by ``lookback``, never
        before ``initial_value`` (the start the user set: the first sync and a full refresh send it
        as it is, and a cursor just after it is moved back to it, no further). ``ValueError``
        (naming the fix) for a cursor that is neither a number nor a timestamp."""
        return shifted_back(since, self.lookback, floor=self.initial_value)

    def describe(self, since) -> str:
        """How a run's first log line says what it sends."""
        try:
            sent = self.start(since)
        except ValueError:
            sent = since  # the run fails on it, saying why
        looked_back = ""
        if sent != since:
            floored = f", not before initial_value {sent}" if sent == self.initial_value else ""
            looked_back = f" (the cursor {since} minus the lookback of {self.lookback:g}{floored})"
        if self.param:
            return f"sending {self.param}={sent}{looked_back}"
        return f"sending the body filter with {sent}{looked_back}"

    @classmethod
    def from_connector(cls, connector) -> IncrementalConfig | None:
        cfg = validate_incremental_config(connector.incremental)
        return cls(**cfg) if cfg else None


def with_since(value, since):
    """``value`` (a body filter) with ``"{since}"`` replaced: a whole string by ``since`` itself, a
    longer string by its text."""
    if isinstance(value, dict):
        return {key: with_since(item, since) for key, item in value.items()}
    if isinstance(value, list):
        return [with_since(item, since) for item in value]
    if value == SINCE:
        return since
    if isinstance(value, str) and SINCE in value:
        return value.replace(SINCE, str(since))
    return value


def merged(body: dict, extra: dict) -> dict:
    """``extra`` merged into ``body``: objects merged key by key, anything else replaced."""
    result = dict(body)
    for key, value in extra.items():
        current = result.get(key)
        both_objects = isinstance(current, dict) and isinstance(value, dict)
        result[key] = merged(current, value) if both_objects else value
    return result


def dropped_cursor_warning(previous: dict | None, incremental: dict | None, stored_cursor) -> str:
    """When a save changes ``incremental.cursor_field`` (from ``previous`` to ``incremental``) while a
    cursor is stored: the warning that the stored cursor is dropped, which the caller does. The
    stored value is the highest value of the *old* field: sent as the new field's start (a
    ``created_at`` filter given an ``updated_at`` value), it would skip records silently. "" when
    nothing is dropped."""
    old = (previous or {}).get("cursor_field")
    new = (incremental or {}).get("cursor_field")
    if stored_cursor is None or old == new:
        return ""
    start = (
        f"initial_value ({incremental['initial_value']!r})"
        if new and (incremental or {}).get("initial_value") is not None
        else "the beginning (every record)"
    )
    now = f"is now {new!r}" if new else "was removed"
    return (
        f"incremental.cursor_field {now} (was {old!r}): the stored cursor {stored_cursor!r}, a value of "
        f"{old!r}, was dropped, so the next sync starts from {start}."
    )
