"""A run's checkpoint: where to resume after the last committed page.

Stored as JSON on the run (``SyncLog.checkpoint``), committed in the same transaction as the page it
follows. The engine owns the record-side fields (how records are keyed, the incremental cursor);
the source owns ``source``, an opaque JSON object (the REST source keeps its next request there).
The format is versioned here and only here: a checkpoint of another version is never resumed.

On disk the source's keys sit beside the engine's (``{"version": 1, "key_mode": ..., "pagination":
..., ...}``), the layout version 1 has always had, so runs checkpointed before this module existed
still resume.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

CHECKPOINT_VERSION = 1
_ENGINE_KEYS = (
    "version",
    "key_mode",
    "primary_key",
    "key_source",
    "rules_digest",
    "since",
    "high_water",
    "finished",
    "incomplete",
    "holds_cursor",
    "unordered",
    "no_cursor",
    "seq_start",
    "epoch_units",
    "resumed_positional",
)


@dataclass(frozen=True)
class Checkpoint:
    key_mode: str | None = None  # "primary_key" or "content_hash", chosen on the first page
    # The connector's primary_key the committed records were keyed by (None: a checkpoint written
    # before it was kept): a run that finds it changed re-keys the records as a full refresh.
    primary_key: str | None = None
    # What the transformation rules computed that key from (``keys.key_source``; None: a checkpoint
    # written before it was kept), and a digest of the rules the committed records were stored with.
    key_source: dict | None = None
    rules_digest: str | None = None
    since: Any = None  # the incremental cursor this run started from (sent to the source)
    high_water: Any = None  # the highest incremental cursor value among committed records
    source: dict = field(default_factory=dict)  # the source's position (JSON), see Source.pages
    # The source's last page is committed: a run going on from here fetches nothing, it only ends
    # (a run that failed after its last page, on the error threshold, or was killed before its end).
    finished: bool = False
    incomplete: str | None = None  # why that last page left records behind (Page.incomplete)
    # A committed page quarantined a record its rules decide (``PageWork.holds_cursor``): the run
    # ends with the incremental cursor it started from.
    holds_cursor: bool = False
    # A committed page held a record whose cursor was earlier than one before it (``PageWork.unordered``).
    unordered: bool = False
    no_cursor: int = 0  # committed records without a usable cursor value (``PageWork.no_cursor``)
    # The connector's last change sequence before the run's first page: the records it wrote have
    # later ones (None: a checkpoint written before it was kept).
    seq_start: int | None = None
    # The epoch units of the committed records' cursor values, each with a first value of it
    # (``PageWork.epoch_units``): two of them hold the incremental cursor.
    epoch_units: dict = field(default_factory=dict)
    # A page asked for by its position (``Page.positional``) was committed by an attempt that went on
    # from a checkpoint: the list may have moved between the attempts (``_Run._across_attempts``).
    resumed_positional: bool = False

    def to_json(self) -> dict:
        return {
            "version": CHECKPOINT_VERSION,
            **self.source,
            "key_mode": self.key_mode,
            "primary_key": self.primary_key,
            **({"key_source": self.key_source} if self.key_source is not None else {}),
            **({"rules_digest": self.rules_digest} if self.rules_digest is not None else {}),
            "since": self.since,
            "high_water": self.high_water,
            **({"finished": True, "incomplete": self.incomplete} if self.finished else {}),
            **({"holds_cursor": True} if self.holds_cursor else {}),
            **({"unordered": True} if self.unordered else {}),
            **({"no_cursor": self.no_cursor} if self.no_cursor else {}),
            **({"seq_start": self.seq_start} if self.seq_start is not None else {}),
            **({"epoch_units": self.epoch_units} if self.epoch_units else {}),
            **({"resumed_positional": True} if self.resumed_positional else {}),
        }

    @staticmethod
    def source_part(data) -> dict:
        """The source's keys of a stored checkpoint of any version (to judge whether to resume it)."""
        if not isinstance(data, dict):
            return {}
        return {key: value for key, value in data.items() if key not in _ENGINE_KEYS}

    @classmethod
    def from_json(cls, data) -> Checkpoint | None:
        """The checkpoint stored on a run, or None when there is none this version can resume."""
        if not isinstance(data, dict) or data.get("version") != CHECKPOINT_VERSION:
            return None
        return cls(
            key_mode=data.get("key_mode"),
            primary_key=data.get("primary_key"),
            key_source=data["key_source"] if type(data.get("key_source")) is dict else None,
            rules_digest=data["rules_digest"] if type(data.get("rules_digest")) is str else None,
            since=data.get("since"),
            high_water=data.get("high_water"),
            source=cls.source_part(data),
            finished=data.get("finished") is True,
            incomplete=data.get("incomplete"),
            holds_cursor=data.get("holds_cursor") is True,
            unordered=data.get("unordered") is True,
            no_cursor=data["no_cursor"] if type(data.get("no_cursor")) is int else 0,
            seq_start=data["seq_start"] if type(data.get("seq_start")) is int else None,
            epoch_units=data["epoch_units"] if type(data.get("epoch_units")) is dict else {},
            resumed_positional=data.get("resumed_positional") is True,
        )

    @staticmethod
    def is_finished(data) -> bool:
        """Whether a stored checkpoint says every page of its run is committed."""
        checkpoint = Checkpoint.from_json(data)
        return checkpoint is not None and checkpoint.finished
