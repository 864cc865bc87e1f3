"""From a page of raw records to the work of one commit: transform, key, checksum, quarantine.

:class:`PageBuilder` is pure but for one injected lookup (the stored checksums of a page's keys) and
the connector's inferred schema it merges page by page. It keeps from one page to the next only what
a run needs: how records are keyed, the incremental high-water mark, the ids still being committed.
"""

from __future__ import annotations

import hashlib
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import partial

from sync_engine.cursors import dated_after, epoch_seconds, epoch_unit, is_cursor_value, later_cursor
from sync_engine.errors import SyncProblem
from sync_engine.keys import key_source, rules_digest
from sync_engine.paths import get_path, path_parts
from sync_engine.records import UnstorableRecord, encode_record, source_checksum, source_hasher
from sync_engine.schema import SchemaAccumulator, json_type_name
from sync_engine.transform import DataTransformationService, TransformationError

MAX_EXTERNAL_ID_LENGTH = 255
# Pages handed to the background committer and perhaps not committed yet: one being committed and
# one waiting in its queue (its size is 1). Their ids are never looked up early.
PAGES_IN_FLIGHT = 2


@dataclass(frozen=True)
class Rules:
    """What turns a connector's raw records into stored ones, compiled once per run."""

    transform: Callable[[dict], dict] | None  # None: records are stored as they come
    source_hasher: object  # the keyed hasher of source checksums (rules + primary key)
    primary_key: str
    pk_parts: tuple[str, ...]
    # Where the key usually is in a raw record, to look records up before transforming them.
    key_guess: tuple[str, ...] | None
    # (source, target) of the field mappings a run checks for records that had their source.
    mappings: tuple[tuple[str, str], ...] = ()
    # The mappings that replace a field a raw record has of its own (None: no rules).
    overwritten: Callable[[dict], list] | None = None
    # What the rules compute the key from (``keys.key_source``), and a digest of the rules.
    key_source: dict | None = None
    rules_digest: str | None = None

    @classmethod
    def of(cls, connector) -> Rules:
        service = None
        if connector.transformation_rules:
            try:
                service = DataTransformationService(connector.transformation_rules)
            except (TransformationError, ValueError) as exc:
                raise SyncProblem(f"Invalid transformation rules: {exc}") from None
        pk_parts = path_parts(connector.primary_key or "")
        return cls(
            transform=service.transform_record if service is not None else None,
            source_hasher=source_hasher(connector.transformation_rules, connector.primary_key),
            primary_key=connector.primary_key or "",
            pk_parts=pk_parts,
            key_guess=service.source_path(pk_parts) if service is not None else (pk_parts or None),
            mappings=service.checked_mappings() if service is not None else (),
            overwritten=service.overwritten_fields if service is not None else None,
            key_source=key_source(service, connector.primary_key or ""),
            rules_digest=rules_digest(connector.transformation_rules),
        )


@dataclass
class PageWork:
    """One page ready to commit: its rows, its quarantine, and the run fields of its checkpoint."""

    rows: dict  # external_id -> (canonical JSON text, checksum, source checksum)
    failures: list  # (raw record, error message)
    duplicates: int
    skipped: int  # unchanged records recognised by their source checksum (not in rows)
    known: dict  # stored (checksum, source checksum) already read for ids of rows; None: not stored
    number: int = 0
    fields: dict = field(default_factory=dict)
    schema: dict | None = None  # the connector's schema, when this page taught it something
    seen: list = field(default_factory=list)  # a full refresh's ids of the page (written or not)
    last: bool = False  # no page follows (the source's last, or one that stops the run)
    transformed: int = 0  # records of the page transformed (not skipped unchanged, not failed)
    matched: tuple = ()  # mapping targets first found on this page by the builder that built it
    # A record of the page was quarantined for what the connector's rules decide (a transformation
    # error, its primary key), not for what it is (not an object, a value no database stores): fixed
    # rules would store it, so the run must not move the incremental cursor past it.
    holds_cursor: bool = False
    # Records of the page without a usable cursor value (missing, null, a boolean, an object), and
    # the first such value that was there (None: missing or null).
    no_cursor: int = 0
    odd_cursor: object = None
    # A record of the page had a cursor earlier than the run's highest before it: the upstream does
    # not serve the records in ascending cursor order.
    unordered: bool = False
    # Records whose cursor is a timestamp dated after ``PageBuilder.future_after`` (not the cursor),
    # and the first of those values.
    future: int = 0
    future_cursor: object = None
    # The epoch units (``cursors.epoch_unit``) of cursor values first seen on this page, each with
    # the first value of that unit: two units in one run (seconds and milliseconds) hold the cursor.
    epoch_units: dict = field(default_factory=dict)
    # Records of the page keyed by a primary key that is a float (``1.0``, stored as the key "1.0",
    # another than the integer 1's "1"), and the first such value.
    float_keys: int = 0
    float_key: object = None

    @property
    def quiet(self) -> bool:
        """Nothing to write but the run's counters and checkpoint (a re-sync of unchanged records)."""
        return not (self.rows or self.failures or self.schema is not None or self.seen)


class PageBuilder:
    """Builds each page's :class:`PageWork` in order (see :meth:`build`)."""

    def __init__(
        self,
        rules: Rules,
        *,
        lookup: Callable[[list[str]], dict],
        schema: SchemaAccumulator,
        cursor_field: str | None = None,
        key_mode: str | None = None,
        high_water=None,
        first_load: bool = False,
        full_refresh: bool = False,
        future_after: str | None = None,
        pages_in_flight: int = PAGES_IN_FLIGHT,
        max_record_bytes: int | None = None,
    ):
        self.rules = rules
        # A record whose stored JSON is larger is quarantined (``oversized_record``); None: no limit.
        self.max_record_bytes = max_record_bytes
        self.lookup = lookup  # stored (checksum, source checksum) by external id, for the given ids
        self.schema = schema
        self.cursor_parts = path_parts(cursor_field) if cursor_field else None
        self.key_mode = key_mode  # "primary_key" or "content_hash", chosen on the first page
        self.high_water = high_water
        # A date (YYYY-MM-DD): a timestamp cursor dated after it is in the future (a placeholder such
        # as 9999-12-31, a wrong clock) and never becomes the high-water mark: stored as the cursor,
        # every later sync would skip the records written until then.
        self.future_after = future_after
        # The same moment for an epoch number: the end of that day, in seconds since the epoch.
        self.future_epoch = (
            datetime.fromisoformat(future_after).replace(tzinfo=UTC).timestamp() + 86400
            if future_after is not None
            else None
        )
        self.epoch_units: dict = {}  # the epoch units of the cursor values seen so far (see PageWork)
        self.first_load = first_load  # the connector had no records when the run started
        self.full_refresh = full_refresh
        # The ids written by the last pages handed to the committer: not yet visible to a lookup.
        self.in_flight: deque = deque(maxlen=pages_in_flight)
        # Starts ``lookup`` elsewhere and gives what waits for its answer (sync_engine/lookups.py);
        # None: the lookup runs in the builder's thread.
        self.start_lookup: Callable[[list[str]], Callable[[], dict]] | None = None
        # Mapping targets no transformed record has had yet (checked on each page until found).
        self.unmatched: set[str] = {target for _source, target in rules.mappings}

    def choose_key(self, records: list) -> None:
        """How records are keyed, chosen on the run's first page with records."""
        if self.key_mode is None and records:
            self.key_mode = choose_key_mode(records, self.rules.transform, self.rules.pk_parts)

    def lookup_keys(self, records: list, *, plain: bool) -> tuple[list, set]:
        """The key guessed for each raw record, and the keys whose stored checksums :meth:`build`
        reads first: none on a first load, when records are keyed by content, or for a page that is
        not plain; never the keys of pages still being committed. Call :meth:`choose_key` first."""
        rules = self.rules
        if not plain or self.key_mode == "content_hash" or self.first_load or rules.key_guess is None:
            return [], set()
        guesses = [key_text(raw, rules.key_guess) if type(raw) is dict else None for raw in records]
        wanted = set(guesses)
        wanted.discard(None)
        for written in self.in_flight:
            wanted -= written
        return guesses, wanted

    def begin_lookup(self, ids: list[str]) -> Callable[[], dict]:
        """Start reading the stored checksums of ``ids``; the callable returned gives them."""
        if self.start_lookup is not None:
            return self.start_lookup(ids)
        return partial(self.lookup, ids)

    def handed_over(self, work: PageWork) -> None:
        """``work`` went to the committer: its ids are not looked up until it has committed."""
        self.in_flight.append(frozenset(work.rows))

    def build(
        self,
        records: list,
        *,
        plain: bool,
        sources: list[str] | None = None,
        prefetched: tuple[list, set, dict] | None = None,
    ) -> tuple[PageWork, bytes | None]:
        """Transform, validate and serialize one page: its work for the committer (rows, failures,
        duplicates, records skipped unchanged, the stored checksums already read) and the page
        fingerprint (None when no record gave one).

        On a plain page (see ``Page.plain``) every record gets a source checksum. When the connector
        had records already, the stored source checksums of the page's keys are read first (keys
        guessed from the raw records, see ``DataTransformationService.source_path``; keys of pages
        still being committed are left out): a record whose stored source checksum equals its own is
        unchanged, and is neither transformed nor written. ``sources``: the records' source checksums
        when the caller computed them already (see ``records.dump_plain_records``). ``prefetched``:
        the keys guessed, the keys looked up and what the lookup found, when the caller read them
        already (``builds.PipelinedBuilds``).
        """
        rules = self.rules
        transform = rules.transform
        rows: dict[str, tuple[str, str, str]] = {}
        failures: list[tuple[object, str]] = []
        marks: list[str] = []
        pk_parts = rules.pk_parts
        single_pk = pk_parts[0] if len(pk_parts) == 1 else None
        self.choose_key(records)
        by_hash = self.key_mode == "content_hash"
        hasher = rules.source_hasher
        stored_later: Callable[[], dict] | None
        if prefetched is not None:
            guesses, wanted, found = prefetched
            stored_later = partial(dict, found)
        else:
            guesses, wanted = self.lookup_keys(records, plain=plain)
            # Started first: a lookup in another thread reads while this one computes the checksums.
            stored_later = self.begin_lookup(list(wanted)) if wanted else None
        if plain and sources is None:
            sources = [source_checksum(raw, hasher) if type(raw) is dict else "" for raw in records]
        elif not plain:
            sources = None
        stored: dict[str, tuple[str, str]] = stored_later() if stored_later is not None else {}
        skipped: set[str] = set()
        schema = self.schema
        cursor_parts = self.cursor_parts
        high_water = self.high_water
        duplicates = 0
        float_keys, float_key = 0, None
        holds_cursor = False
        no_cursor, odd_cursor, unordered = 0, None, False
        future, future_cursor, future_after = 0, None, self.future_after
        seen_units, page_units, future_epoch = self.epoch_units, {}, self.future_epoch
        observed: list[dict] = []  # the records written, for the schema (merged once for the page)
        max_bytes = self.max_record_bytes
        if schema.order_unknown:
            # A schema stored before it kept the fields' order learns it from the page, which may
            # hold only unchanged records (never observed below).
            schema.adopt_order(_transformed_sample(records, transform))
        for index, raw in enumerate(records):
            if type(raw) is not dict:
                failures.append((raw, f"The record is not a JSON object (got {json_type_name(raw)})."))
                continue
            if cursor_parts is not None:
                value = get_path(raw, cursor_parts)
                if not is_cursor_value(value):
                    no_cursor += 1
                    if odd_cursor is None and value is not None:
                        odd_cursor = value
                else:
                    unit = epoch_unit(value) if type(value) is not str or value.isdigit() else None
                    if high_water is None or later_cursor(value, high_water):
                        if future_after is not None and (
                            dated_after(value, future_after)
                            or (
                                unit is not None
                                and future_epoch is not None
                                and epoch_seconds(value, unit) >= future_epoch
                            )
                        ):
                            future += 1
                            if future_cursor is None:
                                future_cursor = value
                            unit = None  # a placeholder, not a sign of the field's unit
                        else:
                            high_water = value
                    elif not unordered and later_cursor(high_water, value):
                        unordered = True
                    if unit is not None and unit not in seen_units:
                        seen_units[unit] = page_units[unit] = value
            source = sources[index] if sources is not None else ""
            if stored:
                guess = guesses[index]
                previous = stored.get(guess) if guess is not None else None
                if source and previous is not None and previous[1] == source:
                    # The stored record was made from this very raw record by the same rules.
                    if guess in rows:
                        del rows[guess]
                        duplicates += 1
                    elif guess in skipped:
                        duplicates += 1
                    skipped.add(guess)
                    marks.append(source)
                    continue
            try:
                data = transform(raw) if transform is not None else raw
                if type(data) is not dict:
                    raise TransformationError("The transformation did not return an object.")
                text, digest = encode_record(data, finite=plain)
                size = oversized_bytes(text, max_bytes)
                if size is not None and max_bytes is not None:
                    failures.append(oversized_record(data, size, max_bytes, pk_parts))
                    continue
            except UnstorableRecord as exc:
                failures.append((raw, str(exc)))
                continue
            except TransformationError as exc:
                failures.append((raw, str(exc)))
                holds_cursor = True
                continue
            except Exception as exc:  # a transformation bug quarantines the record, not the sync
                failures.append((raw, f"Transformation failed: {type(exc).__name__}: {exc}"))
                holds_cursor = True
                continue
            if by_hash:
                external_id = digest
            else:
                key_value = data.get(single_pk) if single_pk is not None else get_path(data, pk_parts)
                if key_value is None or key_value == "" or isinstance(key_value, dict | list | bool):
                    failures.append((raw, missing_key_message(rules.primary_key, key_value)))
                    holds_cursor = True
                    continue
                if type(key_value) is str:
                    external_id = key_value
                else:
                    external_id = str(key_value)
                    if type(key_value) is float:
                        float_keys += 1
                        if float_key is None:
                            float_key = key_value
                if len(external_id) > MAX_EXTERNAL_ID_LENGTH:
                    failures.append(
                        (raw, f"The primary key is longer than {MAX_EXTERNAL_ID_LENGTH} characters.")
                    )
                    holds_cursor = True
                    continue
            if external_id in rows:
                duplicates += 1
            elif external_id in skipped:
                duplicates += 1
                skipped.discard(external_id)
            rows[external_id] = (text, digest, source)
            marks.append(source or digest)
            observed.append(data)
        self.high_water = high_water
        fingerprint = hashlib.blake2b("".join(marks).encode(), digest_size=16).digest() if marks else None
        # What the lookup found (or did not) for the rows' ids holds at this page's commit: no other
        # page writes those ids before it (ids of pages in flight were not looked up).
        known = {external_id: stored.get(external_id) for external_id in rows if external_id in wanted}
        matched: tuple = ()
        if self.unmatched and observed:
            matched = tuple(target for target in self.unmatched if any(target in data for data in observed))
            self.unmatched.difference_update(matched)
        work = PageWork(
            rows=rows,
            failures=failures,
            duplicates=duplicates,
            skipped=len(skipped),
            known=known,
            transformed=len(observed),
            matched=matched,
            holds_cursor=holds_cursor,
            no_cursor=no_cursor,
            odd_cursor=odd_cursor,
            unordered=unordered,
            future=future,
            future_cursor=future_cursor,
            epoch_units=page_units,
            float_keys=float_keys,
            float_key=float_key,
        )
        schema.observe_many(observed)
        del observed
        schema.flush()  # the page's strings against the formats still possible, in a few C calls
        if schema.changed:
            work.schema = schema.to_document()
            schema.changed = False
        if self.full_refresh:
            work.seen = [*rows, *skipped]
        return work, fingerprint


#: The one field of an oversized record's stand-in in the quarantine (beside its key, when it has one).
OVERSIZED_RECORD_FIELD = "_migrateiq_record_omitted"


def oversized_bytes(text: str, max_bytes: int | None) -> int | None:
    """The size in bytes of a record's stored JSON ``text`` when it is more than ``max_bytes``
    (``MIGRATEIQ_SYNC_MAX_RECORD_BYTES``), else None. Counted only when it may be: UTF-8 takes 1 to
    4 bytes a character."""
    if max_bytes is None or len(text) * 4 <= max_bytes:
        return None
    size = len(text.encode())
    return size if size > max_bytes else None


def oversized_record(data: dict, size: int, max_bytes: int, pk_parts: tuple[str, ...]) -> tuple[dict, str]:
    """The quarantine's ``(payload, error)`` of a record whose stored JSON (``data``, transformed)
    would be ``size`` bytes, more than ``max_bytes``: the payload is a stand-in holding the record's
    key at its path (when it is a short value) and why the rest is left out, so that the quarantine's
    pages stay small too."""
    omitted = f"{size:,} bytes of JSON, more than the {max_bytes:,} a record may hold"
    stand_in: dict = {OVERSIZED_RECORD_FIELD: omitted}
    key = get_path(data, pk_parts) if pk_parts else None
    if (
        isinstance(key, str | int | float)
        and not isinstance(key, bool)
        and len(str(key)) <= MAX_EXTERNAL_ID_LENGTH
    ):
        node = stand_in
        for part in pk_parts[:-1]:
            node = node.setdefault(part, {})
        node[pk_parts[-1]] = key
    return stand_in, (
        f"The record is {omitted} (MIGRATEIQ_SYNC_MAX_RECORD_BYTES): not stored; the quarantine keeps "
        "its key only."
    )


def _transformed_sample(records, transform, size: int = 50) -> list[dict]:
    """The first ``size`` records of a page as the rules store them (those the rules refuse left out)."""
    sample = []
    for raw in records[:size]:
        if type(raw) is not dict:
            continue
        try:
            data = transform(raw) if transform is not None else raw
        except Exception:  # noqa: S112 - the page's own loop quarantines it
            continue
        if type(data) is dict:
            sample.append(data)
    return sample


def choose_key_mode(records, transform, pk_parts) -> str:
    """Upsert by primary key, unless it is empty or no record of the first page has it (an API
    without ids): then by a hash of the content. A page none of whose records could be transformed
    says nothing about the key (a rule every record fails): by primary key, and the records are
    quarantined naming what failed."""
    if not pk_parts:
        return "content_hash"
    transformed = False
    for raw in records[:50]:
        if type(raw) is not dict:
            continue
        try:
            data = transform(raw) if transform is not None else raw
        except Exception:  # noqa: S112 - a bad record is quarantined later
            continue
        transformed = True
        if isinstance(data, dict) and get_path(data, pk_parts) not in (None, ""):
            return "primary_key"
    return "content_hash" if transformed else "primary_key"


# Top-level fields that usually identify a record, suggested when the primary key is nowhere.
_ID_LIKE = ("id", "_id", "uuid", "guid", "key")


def repeated_keys_warning(repeats: int, primary_key: str, *, whole_run: bool) -> str:
    """The run's warning that ``repeats`` records repeated the primary key of another record read
    in the run (``whole_run``; else of the same page): each key is stored once, the last one read;
    "" when none did."""
    if not repeats:
        return ""
    where = "another record of this run" if whole_run else "another record of the same page"
    return (
        f"{repeats} record(s) repeated the primary key ({primary_key!r}) of {where}: each key is "
        f"stored once, as the last record read with it, so {repeats} upstream record(s) are not "
        "stored on their own (counted as unchanged). If they are different records, set primary_key "
        "to a field that tells them apart; if pages overlap, check the pagination."
    )


def float_keys_warning(count: int, example, primary_key: str) -> str:
    """The run's warning that ``count`` records had a primary key that is a float (``example``):
    its text ("1.0") is another key than the same number written as an integer ("1"), so an upstream
    that writes one id both ways would have the record stored twice; "" when none had."""
    if not count:
        return ""
    parts = path_parts(primary_key)
    fix = (
        f'type_conversions {{"{parts[0]}": "int"}} keys them by the integer'
        if len(parts) == 1
        else "a type conversion to int of the field that holds it keys them by the integer"
    )
    return (
        f"{count} record(s) had a primary key ({primary_key!r}) that is a decimal number, such as "
        f"{example!r}: it is stored as the key {str(example)!r}, another key than the integer "
        f"{int(example) if float(example).is_integer() else example!r} has, so an upstream that writes "
        f"one id both ways has the record stored twice. If the ids are whole numbers, {fix} (the "
        "next sync then re-keys the records as a full refresh)."
    )


def repeated_keys_shortfall(repeats: int, read: int, announced: int | None, primary_key: str) -> str | None:
    """Why a run that read ``read`` records for a total of ``announced``, ``repeats`` of them repeating
    the key of another record of the run, cannot show it got every record, or None. The count read
    met the total only by counting records twice: pages overlapped (an offset API left a record out
    of a page, so the next offset read the page's last record again; or the list moved during the
    run), and as many records as were read twice may never have been read."""
    if not repeats or announced is None or read - repeats >= announced:
        return None
    return (
        f"The upstream announces {announced} records and the sync read {read}, but {repeats} of them "
        f"repeated the primary key ({primary_key!r}) of a record read earlier in the run: "
        f"{read - repeats} distinct records, fewer than announced. Pages overlapped (a page that left a "
        "record out, or records added or removed during the run), so records may have been skipped; "
        "sync again. If the upstream's list holds records with the same key, set primary_key to a field "
        "that tells them apart."
    )


def overwritten_fields_warnings(records, rules: Rules) -> list[str]:
    """One line for each field mapping that replaces a field the records of the first page have of
    their own (``email -> name`` beside a ``name``): the upstream's value is silently not stored."""
    if rules.overwritten is None:
        return []
    return mapping_overwrite_warnings(
        records[:50], rules.overwritten, f"the first page's first {min(len(records), 50)} record(s)"
    )


def mapping_overwrite_warnings(records, overwritten: Callable[[dict], list], described: str) -> list[str]:
    """The lines of :func:`overwritten_fields_warnings` for ``records`` (``described`` names them),
    given ``DataTransformationService.overwritten_fields``: shared by the sync and the preview."""
    found: dict[tuple[str, str], int] = {}
    for raw in records:
        for pair in overwritten(raw) if type(raw) is dict else ():
            found[pair] = found.get(pair, 0) + 1
    return [
        f"Field mapping {source!r} -> {target!r} replaces the records' own {target!r} ({count} of "
        f"{described} have both): the upstream's {target!r} is not stored. Map {target!r} to another "
        "name first, or choose another target."
        for (source, target), count in found.items()
    ]


def content_key_warning(records, rules: Rules) -> str:
    """Why keying by content (chosen because no record of the first page has the configured primary
    key) would store changed records twice, and which field looks like the key; "" when the primary
    key is empty (content keys chosen on purpose)."""
    if not rules.primary_key:
        return ""
    wanted = rules.pk_parts[-1].lower() if rules.pk_parts else ""
    suggestions: list[str] = []
    for raw in records[:50]:
        if type(raw) is not dict:
            continue
        try:
            data = rules.transform(raw) if rules.transform is not None else raw
        except Exception:  # noqa: S112 - a bad record is quarantined later
            continue
        if isinstance(data, dict):
            suggestions = [
                key
                for key, value in data.items()
                if isinstance(key, str)
                and (key.lower() == wanted or key.lower() in _ID_LIKE)
                and isinstance(value, str | int)
                and not isinstance(value, bool)
            ]
            break
    hint = (
        f" The records have {', '.join(repr(key) for key in suggestions)}: set the connector's primary_key "
        f"to {suggestions[0]!r}."
        if suggestions
        else ' Set the connector\'s primary_key to the field that identifies a record (or to "" to key '
        "records by content on purpose)."
    )
    return (
        f"No record of the first page has the primary key {rules.primary_key!r}, so records are keyed by a "
        "hash of their content: a record that changes upstream is stored as a new record beside the old "
        "one, never updated." + hint
    )


def key_text(raw: dict, parts: tuple[str, ...]) -> str | None:
    """The text of the string or number at ``parts`` of a raw record, or None."""
    if not parts:
        return None
    value = raw.get(parts[0]) if len(parts) == 1 else get_path(raw, parts)
    cls = type(value)
    if cls is str:
        return value or None
    if cls is int or cls is float:
        return str(value)
    return None


def external_id_of(raw, primary_key: str) -> str:
    """The raw record's key as text, for a quarantined record ("" when it has none)."""
    if not isinstance(raw, dict) or not primary_key:
        return ""
    return (key_text(raw, path_parts(primary_key)) or "")[:MAX_EXTERNAL_ID_LENGTH]


def missing_key_message(primary_key: str, key) -> str:
    if key is None or key == "":
        return f"The record has no primary key {primary_key!r}."
    return f"The primary key {primary_key!r} must be a string or number, not {_an(json_type_name(key))}."


def _an(noun: str) -> str:
    return f"an {noun}" if noun[:1] in "aeiou" else f"a {noun}"


def unmatched_stored_mappings_warnings(rules: Rules, document: dict, stored: int) -> list[str]:
    """For a run that transformed no record (a re-sync of unchanged records): one line for each
    field mapping whose target no stored record has, by the connector's inferred schema
    (``document``; nothing when it is empty or truncated), so that a mapping found doing nothing
    keeps being said while it still does nothing."""
    fields = document.get("fields") or []
    if not stored or not fields or document.get("truncated"):
        return []
    present = {tuple(entry["path"]) for entry in fields}
    return [
        f"Field mapping {source!r} -> {target!r} matched none of the {stored} stored record(s): no record "
        f"had {source!r} when it was stored, so none has {target!r}. Check the source path (the "
        "connector's preview shows records as the API sends them)."
        for source, target in rules.mappings
        if path_parts(target) not in present
    ]


def unmatched_mappings_warnings(rules: Rules, matched: set, transformed: int) -> list[str]:
    """One line for each field mapping whose source none of the run's ``transformed`` records had
    (a mistyped path): the sync still succeeds, but the rule is visibly doing nothing."""
    if not transformed:
        return []
    return [
        f"Field mapping {source!r} -> {target!r} matched none of the {transformed} record(s) transformed "
        f"in this run: no record has {source!r}, so no record has {target!r}. Check the source path "
        "(the connector's preview shows records as the API sends them)."
        for source, target in rules.mappings
        if target not in matched
    ]
