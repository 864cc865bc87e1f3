"""What a connector's stored records are keyed by: its ``primary_key`` and what computes it.

A record's key is the value at ``primary_key`` of the record *as the transformation rules store
it*. So the rules take part in it: a field mapping ``legacy_id -> id`` makes ``id`` come from
another field of the raw record, removing the mapping that fed ``id`` makes it come from the raw
``id`` (or from nothing), a type conversion or a default of that field changes its text. Any of
those changes re-keys every record although ``primary_key`` reads the same: a sync would store each
record again beside its old copy. A run's checkpoint keeps the key's *source* (:func:`key_source`)
next to ``primary_key``; the engine compares both (``runs.earlier_key``, ``engine.checkpoint_refusal``).

Rules that change stored values but not the key (another mapping, a conversion of another field)
are only fingerprinted (:func:`rules_digest`): a run resumed after they changed says so.
"""

from __future__ import annotations

import hashlib

import orjson

from sync_engine.paths import format_path, path_parts
from sync_engine.transform import DataTransformationService, TransformationError


def key_source(service: DataTransformationService | None, primary_key: str) -> dict:
    """How the rules compute the value at ``primary_key``: ``{"from": raw path parts or None, "type":
    conversion or None, "default": value or None}`` (without rules: read as it is)."""
    parts = path_parts(primary_key or "")
    if service is None:
        return {"from": list(parts) if parts else None, "type": None, "default": None}
    if not parts:
        return {"from": None, "type": None, "default": None}
    return service.key_derivation(parts)


def key_source_of(connector) -> dict | None:
    """:func:`key_source` of the connector as it is now; None when its rules are invalid (a sync
    fails on them before anything is keyed)."""
    rules = connector.transformation_rules
    try:
        service = DataTransformationService(rules) if rules else None
    except (TransformationError, ValueError):
        return None
    return key_source(service, connector.primary_key or "")


def rules_digest(rules) -> str:
    """A short fingerprint of a rule set (its canonical JSON): equal rules, equal digests."""
    text = orjson.dumps(rules or {}, option=orjson.OPT_SORT_KEYS)
    return hashlib.blake2b(text, digest_size=8).hexdigest()


def describe_key(primary_key: str, source: dict | None) -> str:
    """``'id' (read from 'legacy_id', converted to int)``: a key and what computes it, for a log."""
    text = repr(primary_key)
    if not isinstance(source, dict):
        return text
    read = source.get("from")
    parts = []
    if read is None:
        parts.append("no field of the upstream's records becomes it")
    elif tuple(read) != path_parts(primary_key or ""):
        parts.append(f"read from {format_path(tuple(read))!r}")
    else:
        parts.append(f"read from {format_path(tuple(read))!r} as it is")
    if source.get("type") is not None:
        parts.append(f"converted to {source['type']}")
    if source.get("default") is not None:
        parts.append(f"default {orjson.dumps(source['default']).decode()[:40]}")
    return f"{text} ({', '.join(parts)})"


def key_changed(then_primary_key, then_source, primary_key: str, source: dict | None) -> bool:
    """Whether records keyed by ``then_primary_key`` / ``then_source`` (from a checkpoint; None:
    not kept then, nothing to compare) would get other keys now."""
    if not isinstance(then_primary_key, str):
        return False
    if then_primary_key != primary_key:
        return True
    return isinstance(then_source, dict) and isinstance(source, dict) and then_source != source


def key_mode_refusal(key_mode: str, primary_key: str) -> str:
    """Why a sync that is no full refresh stops before storing its first page when that page keys
    records otherwise (``key_mode``) than the records stored before: by the primary key, or by a hash
    of their content (``page_builder.choose_key_mode``). Every record would be stored again beside
    its copy."""
    key = repr(primary_key)
    if key_mode == "content_hash":
        found = (
            f"No record of the first page has the primary key {key}, so its records would be keyed by a "
            f"hash of their content, while the records stored before are keyed by {key}"
        )
        refresh = f"stores every record keyed by its content and marks those keyed by {key} deleted"
        check = f"records_path, the field mappings that make {key}, or the upstream's answer changed"
    else:
        found = (
            f"The first page's records have the primary key {key}, while the records stored before are "
            "keyed by a hash of their content (no record of their first page had it)"
        )
        refresh = f"stores every record under {key} and marks those keyed by content deleted"
        check = "the records now have their key (records_path or the field mappings were fixed)"
    return (
        f"{found}: this sync would store every record a second time beside its stored copy, so it "
        f"stopped before storing any. Check whether {check}; then start a full refresh: it {refresh} "
        "once it has read every page."
    )
