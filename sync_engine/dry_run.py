"""What a sync would do with some raw records, against the connector's records stored now.

Nothing is written. Each record goes the way a sync takes it (credentials the upstream echoed
removed, the connector's rules applied, keyed by its primary key or by content as the first page
decides, encoded to the canonical text whose checksum decides created / updated / unchanged), and is
compared with the stored record of its key:

* ``new``: no record has its key;
* ``changed``: the stored record differs (``fields`` names the fields whose values differ);
* ``unchanged``: the sync would leave the stored record as it is;
* ``restored``: a complete full refresh marked the stored record deleted; the sync would bring it
  back (counted as updated);
* ``None``: the sync would quarantine it (not an object, the rules fail, no usable key, a value
  JSON cannot store).

The preview (``demo_extension.services.preview``) shows it for a saved connector's sample, so a
change of rules shows what it would rewrite before it is saved.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

import orjson
from django.conf import settings

from core.redaction import scrub_stored_secrets
from sync_engine.keys import describe_key, key_mode_refusal, key_source_of
from sync_engine.models import SyncedRecord
from sync_engine.page_builder import MAX_EXTERNAL_ID_LENGTH, Rules, choose_key_mode, oversized_bytes
from sync_engine.paths import get_path
from sync_engine.records import encode_record
from sync_engine.runs import earlier_key, earlier_key_modes

NEW, CHANGED, UNCHANGED, RESTORED = "new", "changed", "unchanged", "restored"
CHANGES = (NEW, CHANGED, UNCHANGED, RESTORED)
#: Fields named for one changed record (the rest are counted in ``more_fields``).
MAX_FIELDS = 10
#: How deep under the top level the differing fields are named (``address.city``).
MAX_DEPTH = 4


@dataclass
class Outcome:
    change: str | None  # one of CHANGES; None: the sync would quarantine the record
    fields: list[str] = field(default_factory=list)  # for CHANGED: the fields that differ
    more_fields: int = 0  # differing fields beyond those named


def predict_changes(connector, records: list, secret_forms: tuple[str, ...] = ()) -> list[Outcome]:
    """One :class:`Outcome` for each of ``records`` (raw, as the upstream sent them), in order.
    ``secret_forms``: ``core.redaction.stored_secret_forms`` of the connector's credentials, removed
    from the records before anything else as a sync removes them. Raises
    :class:`~sync_engine.errors.SyncProblem` for rules a sync would refuse."""
    rules = Rules.of(connector)
    records = list(records)
    if secret_forms:
        scrub_stored_secrets(records, json.dumps(records, default=str).encode(), secret_forms)
    by_content = choose_key_mode(records, rules.transform, rules.pk_parts) == "content_hash"
    encoded: list[tuple[str, str, dict] | None] = []
    for raw in records:
        encoded.append(_encoded(raw, rules, by_content))
    keys = sorted({entry[0] for entry in encoded if entry is not None})
    stored = {
        external_id: (checksum, data, deleted_at)
        for external_id, checksum, data, deleted_at in SyncedRecord.objects.filter(
            connector_id=connector.pk, external_id__in=keys
        ).values_list("external_id", "checksum", "data", "deleted_at")
    }
    outcomes = []
    for entry in encoded:
        if entry is None:
            outcomes.append(Outcome(None))
            continue
        key, digest, data = entry
        previous = stored.get(key)
        if previous is None:
            outcomes.append(Outcome(NEW))
        elif previous[2] is not None:
            outcomes.append(Outcome(RESTORED))
        elif previous[0] == digest:
            outcomes.append(Outcome(UNCHANGED))
        else:
            fields = differing_fields(previous[1], data)
            outcomes.append(Outcome(CHANGED, fields[:MAX_FIELDS], max(0, len(fields) - MAX_FIELDS)))
    return outcomes


def rekeying_warning(connector) -> str:
    """What a sync does when the connector's primary key differs from the one its stored records
    are keyed by, or what the transformation rules compute it from (see ``engine._Run._rekey``), or
    "": every record is new under the new key."""
    current = connector.primary_key or ""
    source = key_source_of(connector)
    previous = earlier_key(connector.pk, current, source)
    if previous is None:
        return ""
    then, then_source = previous
    change = (
        f"The primary key changes from {then!r} to {current!r}"
        if then != current
        else "The transformation rules change what the primary key is computed from (from "
        f"{describe_key(then, then_source)} to {describe_key(current, source)})"
    )
    return (
        f"{change}: the next sync stores every record under the new key as a full refresh (the records "
        "show as new) and marks the records stored under the old key deleted once it has read every page."
    )


def key_mode_warning(connector, records: list) -> str:
    """What the next sync (not a full refresh) does when ``records``, its first page, would be keyed
    otherwise than the stored records (by the primary key, or by content): it stops before storing
    anything (``keys.key_mode_refusal``); "" when it would not."""
    if not records:
        return ""
    rules = Rules.of(connector)
    mode = choose_key_mode(records, rules.transform, rules.pk_parts)
    if not earlier_key_modes(connector.pk) - {mode}:
        return ""
    return "The next sync would fail: " + key_mode_refusal(mode, rules.primary_key)


def _encoded(raw, rules: Rules, by_content: bool) -> tuple[str, str, dict] | None:
    """``(key, checksum, canonical record)`` of one raw record as a sync would store it, or None."""
    if type(raw) is not dict:
        return None
    try:
        data = rules.transform(raw) if rules.transform is not None else raw
        if type(data) is not dict:
            return None
        text, digest = encode_record(data)
    except Exception:  # noqa: BLE001 - a sync quarantines a record the rules fail on, or UnstorableRecord
        return None
    if oversized_bytes(text, settings.MIGRATEIQ_SYNC_MAX_RECORD_BYTES) is not None:
        return None  # quarantined by a sync too
    canonical = json.loads(text)  # what is stored (integers beyond 64 bits kept exact)
    if by_content:
        return digest, digest, canonical
    key = get_path(data, rules.pk_parts)
    if key is None or key == "" or isinstance(key, dict | list | bool):
        return None
    key = key if type(key) is str else str(key)
    if len(key) > MAX_EXTERNAL_ID_LENGTH:
        return None
    return key, digest, canonical


def differing_fields(before, after, prefix: str = "", depth: int = 0) -> list[str]:
    """The dotted paths where two records differ: added, removed or changed fields, nested objects
    opened up to :data:`MAX_DEPTH` levels (a list counts as one value)."""
    if not isinstance(before, dict) or not isinstance(after, dict):
        return [prefix] if _text(before) != _text(after) else []
    found: list[str] = []
    for name in sorted(set(before) | set(after), key=str):
        path = f"{prefix}{name}"
        if name not in before or name not in after:
            found.append(path)
            continue
        old, new = before[name], after[name]
        if isinstance(old, dict) and isinstance(new, dict) and depth + 1 < MAX_DEPTH:
            found.extend(differing_fields(old, new, f"{path}.", depth + 1))
        elif _text(old) != _text(new):
            found.append(path)
    return found


def _text(value) -> bytes:
    """A value's JSON, to compare values as JSON does (``1`` is not ``true``, ``1.5`` is ``1.50``)."""
    try:
        return orjson.dumps(value, option=orjson.OPT_SORT_KEYS)
    except (TypeError, orjson.JSONEncodeError):
        return json.dumps(value, sort_keys=True, default=str).encode()
