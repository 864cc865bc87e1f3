"""Preview a connector before saving it: fetch at most two pages and show what a sync would do.

``preview_connector(connector)`` takes a connector that may be unsaved (built from a request that
passed the same validation as create) or a saved one with unsaved overrides. It calls the upstream
the way a sync does (same auth, egress guard, size cap; one attempt per request), detects the
records path and the pagination with the sync's own detection (``detect_records_path``,
``detect_pagination``), transforms up to :data:`MAX_SAMPLE_RECORDS` records and reports:

* the pagination (type, parameters, why it was chosen, whether more pages follow);
* the records path; the inferred fields (path, JSON types, sample values);
* primary-key candidates (present in every sampled record, unique in the sample) and incremental
  cursor candidates (ISO timestamps; Unix times; whole numbers that increase from record to record,
  ids and sequence numbers, unless the name says a quantity such as amount or price), timestamps
  first, then Unix times, sequence numbers and ids;
* the sample records raw and transformed side by side (or the transformation error);
* warnings: a mapped source field found in no sample record (and the reversed mapping it probably
  is), a primary key missing from or not unique in the sample, records that failed to transform...
* for a saved connector, what a sync would do with each sampled record against the records stored
  now (``changes``, and each record's ``change``: new, changed with the fields that differ,
  unchanged, or restored after a full refresh deleted it), keyed, scrubbed of echoed credentials and
  transformed as the sync does: a rules change shows what it would rewrite before it is saved.

The first request carries no incremental cursor (a preview shows what a full refresh fetches), and
a connector's ``max_pages`` below two is honoured. A credential the upstream echoes back in its
records (or in a field's sample values) is replaced by ``[REDACTED]``: the preview answers an
editor, who must never read a stored key.

Nothing is written to the database (an OAuth2 token may be cached, as for any request). Upstream
problems do not raise: the preview comes back with ``ok: false`` and the (redacted) error.
"""

from __future__ import annotations

import copy
import json
import math
import re
from dataclasses import dataclass, field
from datetime import datetime

from core.http import OutboundClient
from core.http_errors import OutboundError
from core.redaction import redact, redact_secrets, stored_secret_forms
from demo_extension.models import CustomDataConnector
from demo_extension.services.auth import base_query_params, build_request_auth
from demo_extension.services.budget import paused_refusal, request_budget
from demo_extension.services.extract import (
    ResponseFormatError,
    describe_rounded,
    get_path,
    path_parts,
    validate_error_detection,
)
from demo_extension.services.pagination import (
    PaginationError,
    check_search_after_request,
    paginator_for,
    validate_pagination_config,
)
from demo_extension.services.rest_source import REST_SOURCE_TYPE, PageReader, RequestShape
from sync_engine.dry_run import CHANGES, key_mode_warning, predict_changes, rekeying_warning
from sync_engine.errors import SyncProblem
from sync_engine.page_builder import mapping_overwrite_warnings
from sync_engine.records import writable_text
from sync_engine.schema import json_type_name
from sync_engine.transform import DataTransformationService, TransformationError

MAX_PREVIEW_PAGES = 2
MAX_SAMPLE_RECORDS = 20
MAX_FIELDS = 200
MAX_FIELD_DEPTH = 6
MAX_SAMPLE_VALUES = 3
MAX_SAMPLE_TEXT = 200
MAX_RECORD_BYTES = 64 * 1024
MAX_CANDIDATES = 5
# Name endings of identifying fields (userId, customer_id, uuid, api_key, sku_code, order_number).
_KEY_HINTS = ("id", "uuid", "guid", "_key", "_code", "number", "_no")
_CURSOR_HINTS = ("updated", "modified", "changed", "last", "created", "time", "date", "version", "seq")


@dataclass
class Preview:
    """What ``preview_connector`` returns (see ``serializers.PreviewSerializer`` for the JSON)."""

    ok: bool = True
    error: str | None = None
    status_code: int | None = None
    # Seconds until the API may be asked again, when it asked to slow down (see PreviewSerializer).
    retry_after: float | None = None
    response_time_ms: float | None = None
    pages_fetched: int = 0
    records_path: str | None = None
    records_path_detected: bool = False
    pagination: dict | None = None
    records_in_pages: int = 0
    primary_key: str = ""
    primary_key_candidates: list = field(default_factory=list)
    cursor_candidates: list = field(default_factory=list)
    fields: list = field(default_factory=list)
    records: list = field(default_factory=list)
    warnings: list = field(default_factory=list)
    # What a sync would do with the sampled records (saved connectors only): see compare_with_stored.
    changes: dict | None = None


def preview_connector(connector) -> Preview:
    """Fetch up to two pages of ``connector`` (saved or not; never saved here) and describe them."""
    result = Preview(primary_key=connector.primary_key or "")
    if connector.source_type != REST_SOURCE_TYPE:
        # Another module's source reads this connector; the preview knows only REST answers.
        result.ok = False
        result.error = (
            f"The preview reads REST connectors only; this connector is read by the "
            f"{connector.source_type!r} source (test its connection or sync it instead)."
        )
        return result
    records: list = []  # filled page by page: a failing second page keeps the first one's records
    auth = None
    try:
        auth = build_request_auth(connector)
        _fetch(connector, result, records, auth)
    except (OutboundError, ResponseFormatError, PaginationError, ValueError) as exc:
        if result.pages_fetched == 0:
            result.ok = False
            result.error = redact(str(exc))
            if isinstance(exc, OutboundError) and exc.status_code is not None:
                result.status_code = exc.status_code
            if isinstance(exc, OutboundError) and exc.retry_after is not None and result.retry_after is None:
                result.retry_after = round(max(exc.retry_after, 0.0), 1)
            return result
        result.warnings.append(f"Page {result.pages_fetched + 1} could not be fetched: {redact(str(exc))}")
    result.records_in_pages = len(records)
    sample = records[:MAX_SAMPLE_RECORDS]
    objects = [raw for raw in sample if isinstance(raw, dict)]
    if not records:
        result.warnings.append("The response holds no records: check records_path and the query parameters.")
    elif len(objects) < len(sample):
        result.warnings.append(f"{len(sample) - len(objects)} of the sampled records are not JSON objects.")
    result.fields = infer_fields(objects)
    result.cursor_candidates = cursor_candidates(objects)
    _transform_sample(connector, sample, result)
    result.primary_key_candidates = primary_key_candidates(objects)
    if connector.pk is not None:
        forms = stored_secret_forms(auth.secret_values()) if auth is not None else ()
        compare_with_stored(connector, sample, result, forms)
    result.fields = _shown(result.fields)
    result.cursor_candidates = _shown(result.cursor_candidates)
    result.primary_key_candidates = _shown(result.primary_key_candidates)
    result.records = _shown(result.records)
    return result


def _shown(value):
    """``value`` as the preview answers it: every registered credential in its strings (and keys)
    replaced, and what an upstream can send but JSON cannot write, as the quarantine shows it: NaN /
    Infinity as the text ``nan`` / ``inf`` / ``-inf``, an unpaired surrogate (``\\ud800``) as ``?``."""
    if isinstance(value, str):
        return writable_text(redact_secrets(value))
    if isinstance(value, list):
        return [_shown(item) for item in value]
    if isinstance(value, dict):
        return {writable_text(redact_secrets(key)): _shown(item) for key, item in value.items()}
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    return value


# -- fetching -----------------------------------------------------------------------------------------


def _fetch(connector, result: Preview, records: list, auth) -> None:
    """Up to two pages read exactly as the sync's source reads them (one attempt a request), their
    records appended to ``records`` as each page is read."""
    try:
        config = validate_pagination_config(connector.pagination)
        shape = RequestShape.of(connector)
        check_search_after_request(config, shape.method, shape.body)
    except ValueError as exc:
        raise ValueError(f"Invalid pagination configuration: {exc}") from None
    detected = config["type"] == "auto"
    try:
        error_detection = validate_error_detection(connector.error_detection)
    except ValueError as exc:
        raise ValueError(f"Invalid error_detection: {exc}") from None
    reader = PageReader(
        paginator_for(
            config,
            connector.api_endpoint,
            None,
            auth.credential_params,
            RequestShape.of(connector).post_body,
            path_secrets=auth.path_secrets,
            secret_values=auth.secret_values,
        ),
        connector.records_path,
        error_detection,
    )
    base_params = base_query_params(connector)
    elapsed = 0.0
    pages = min(MAX_PREVIEW_PAGES, connector.max_pages or MAX_PREVIEW_PAGES)
    # A saved connector's preview keeps to its request budget, like its syncs and connection tests.
    budget = request_budget(connector, per_sync=False) if connector.pk is not None else None
    if budget is not None and (refusal := paused_refusal(budget, "previewed")):
        result.retry_after = round(budget.paused_for(), 1) or None
        raise ValueError(refusal)
    shape = RequestShape.of(connector)
    notes: list[str] = []  # how the pages were read (a cursor found in a response header)
    with OutboundClient(max_attempts=1, budget=budget) as client:
        for _ in range(pages):
            request = reader.request()
            response = shape.send(auth, client, request, base_params, reader.paginator)
            result.status_code = response.status_code
            elapsed += response.elapsed_ms
            result.response_time_ms = round(elapsed, 1)
            read = reader.read(response)
            result.records_path = reader.records_path
            # detected only once a page said where its records are (a failed fetch detected nothing)
            result.records_path_detected = connector.records_path is None and reader.records_path is not None
            result.pages_fetched += 1
            records.extend(read.records)
            if read.rounded[0]:
                result.warnings.append(f"Page {result.pages_fetched}: {describe_rounded(*read.rounded)}")
            if read.stop_error is not None:
                result.warnings.append(redact(str(read.stop_error)))
            elif not read.more:
                # What a sync ending here would end PARTIAL for (the upstream says more exist, a
                # configured cursor named nowhere on a full first page), said before it is saved.
                shortfall = reader.paginator.shortfall(read.page)
                if shortfall:
                    result.warnings.append(redact(shortfall))
            notes += reader.paginator.take_notes()
            result.pagination = _describe_pagination(
                reader.paginator.config, reader.paginator, detected, more=read.more, notes=notes
            )
            if not read.more:
                break


def _describe_pagination(config: dict, paginator, detected: bool, *, more: bool, notes=()) -> dict:
    kind = config["type"]
    if not detected:
        reason = " ".join(("Configured on the connector.", *notes))
    elif config.get("detected_because"):
        reason = config["detected_because"]
    elif kind == "link_header":
        reason = 'The response has a Link header with rel="next".'
    elif kind == "next_url":
        reason = f"The body has a next-page URL at {config.get('next_url_path')!r}."
    elif kind == "cursor":
        reason = (
            f"The body has a cursor at {config.get('cursor_path')!r}; it is sent back as "
            f"{config.get('cursor_param')!r}."
        )
    elif kind == "page":
        reason = "The body reports page numbers or a page count."
    elif kind == "offset":
        reason = "The body reports a total larger than the page and an offset."
    elif kind == "none":
        reason = "No next link, cursor, page number or total in the first response: a single page."
    elif kind == "auto":
        reason = "Not detected: the first response's pagination cannot be followed (see the warnings)."
    else:
        reason = f"Detected {kind}."
    return {
        "type": kind,
        "config": config,
        "detected": detected,
        "description": paginator.describe(),
        "reason": reason,
        "has_more": more,
    }


# -- the sample ---------------------------------------------------------------------------------------


def _sample_value(value):
    if isinstance(value, str) and len(value) > MAX_SAMPLE_TEXT:
        return value[: MAX_SAMPLE_TEXT - 1] + "…"
    if isinstance(value, list | dict):
        text = json.dumps(value, ensure_ascii=False, default=str)
        return text if len(text) <= MAX_SAMPLE_TEXT else text[: MAX_SAMPLE_TEXT - 1] + "…"
    return value


def _flatten(record: dict, prefix: str = "", depth: int = 0):
    for key, value in record.items():
        path = f"{prefix}{key}"
        yield path, value
        if isinstance(value, dict) and depth < MAX_FIELD_DEPTH:
            yield from _flatten(value, path + ".", depth + 1)


def infer_fields(records: list[dict]) -> list[dict]:
    """``[{"path", "types", "present_in", "samples"}]`` of every (nested) field in ``records``."""
    found: dict[str, dict] = {}
    for record in records:
        for path, value in _flatten(record):
            entry = found.get(path)
            if entry is None:
                if len(found) >= MAX_FIELDS:
                    continue
                entry = found[path] = {"path": path, "types": [], "present_in": 0, "samples": []}
            entry["present_in"] += 1
            kind = json_type_name(value)
            if kind not in entry["types"]:
                entry["types"].append(kind)
            shown = _sample_value(value)
            if (
                kind != "object"
                and len(entry["samples"]) < MAX_SAMPLE_VALUES
                and shown not in entry["samples"]
            ):
                entry["samples"].append(shown)
    return list(found.values())


def primary_key_candidates(records: list[dict]) -> list[dict]:
    """Scalar fields present in every record and unique in the sample (timestamps excepted),
    likeliest first."""
    if not records:
        return []
    candidates = []
    for entry in infer_fields(records):
        path = entry["path"]
        if entry["present_in"] != len(records) or not set(entry["types"]) <= {"string", "integer"}:
            continue
        values = [get_path(record, path_parts(path)) for record in records]
        if any(value in (None, "") for value in values) or len(set(map(str, values))) != len(values):
            continue
        if all(_timestamp(value) is not None for value in values):
            continue  # unique in a sample, but a time identifies no record (two can share it)
        candidates.append({"path": path, "unique_in_sample": True, "present_in": len(records)})
    candidates.sort(key=lambda c: (_key_rank(c["path"]), c["path"].count("."), c["path"]))
    return candidates[:MAX_CANDIDATES]


def _key_rank(path: str) -> int:
    name = path.rsplit(".", 1)[-1].lower()
    if name == "id":
        return 0
    if any(name.endswith(hint) for hint in _KEY_HINTS):
        return 1
    return 2


def _timestamp(value) -> datetime | None:
    if not isinstance(value, str) or len(value) < 10 or not value[:4].isdigit():
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None


def cursor_candidates(records: list[dict]) -> list[dict]:
    """Fields usable as an incremental cursor: ISO timestamps in every record, or numbers that never
    decrease from one record to the next (auto-increment ids, sequence numbers)."""
    if not records:
        return []
    found = []
    for entry in infer_fields(records):
        path = entry["path"]
        if entry["present_in"] != len(records):
            continue
        values = [get_path(record, path_parts(path)) for record in records]
        if entry["types"] == ["string"]:
            stamps = [_timestamp(value) for value in values]
            if all(stamp is not None for stamp in stamps):
                try:
                    low, high = min(stamps), max(stamps)
                except TypeError:  # naive and aware timestamps mixed
                    continue
                found.append(
                    {
                        "path": path,
                        "kind": "timestamp",
                        "min": values[stamps.index(low)],
                        "max": values[stamps.index(high)],
                        "increasing": all(a <= b for a, b in zip(stamps, stamps[1:], strict=False)),
                    }
                )
        elif set(entry["types"]) <= {"integer", "number"} and len(values) > 1:
            if all(a < b for a, b in zip(values, values[1:], strict=False)) and _number_cursor(path, values):
                found.append(
                    {"path": path, "kind": "number", "min": values[0], "max": values[-1], "increasing": True}
                )
    found.sort(
        key=lambda c: (
            c["kind"] != "timestamp",
            not (c["kind"] == "number" and all(_unix_time(v) for v in (c["min"], c["max"]))),
            _cursor_rank(c["path"]),
            c["path"],
        )
    )
    return found[:MAX_CANDIDATES]


#: Words of a field's name that say it holds a quantity (money, counts): increasing in a sample sorted
#: by it, never a record's age or position, so no cursor.
_QUANTITY_WORDS = frozenset(
    ("amount", "price", "cost", "total", "balance", "quantity", "qty", "fee", "tax", "discount", "count")
)


def _unix_time(value) -> bool:
    """A number in the range of Unix times (seconds or milliseconds) of 2000 to 2100."""
    return isinstance(value, int | float) and (
        946_684_800 <= value <= 4_102_444_800 or 946_684_800_000 <= value <= 4_102_444_800_000
    )


def _number_cursor(path: str, values: list) -> bool:
    """Whether increasing numbers can be a cursor: whole numbers (ids, sequence numbers, Unix times)
    unless the name says a quantity; numbers with a fraction only as Unix times (a price or a score
    increases in a sample sorted by it, and would read records by it, not the new ones)."""
    if all(isinstance(value, int) for value in values):
        return not _name_words(path) & _QUANTITY_WORDS
    return all(_unix_time(value) for value in values)


def _cursor_rank(path: str) -> int:
    name = path.rsplit(".", 1)[-1].lower()
    for rank, hint in enumerate(_CURSOR_HINTS):
        if hint in name:
            return rank
    # then an id (id, user_id, orderId), before any other increasing number
    return len(_CURSOR_HINTS) + ("id" not in _name_words(path))


def _name_words(path: str) -> set[str]:
    """The words of a field's name (its last part): snake_case, camelCase and kebab-case split."""
    return set(re.findall(r"[a-z]+", re.sub(r"([a-z])([A-Z])", r"\1_\2", path.rsplit(".", 1)[-1]).lower()))


def _transform_sample(connector, sample: list, result: Preview) -> None:
    rules = connector.transformation_rules or {}
    service = None
    if rules:
        try:
            service = DataTransformationService(rules)
        except (TransformationError, ValueError) as exc:
            result.warnings.append(f"Invalid transformation rules: {exc}")
    failures = 0
    keys: list = []
    pk_parts = path_parts(connector.primary_key or "")
    for raw in sample:
        entry = {
            "raw": raw,
            "transformed": None,
            "error": None,
            "change": None,
            "changed_fields": [],
            "more_changed_fields": 0,
        }
        size = len(json.dumps(raw, default=str))
        if not isinstance(raw, dict):
            entry["error"] = f"The record is not a JSON object (got {json_type_name(raw)})."
        else:
            try:
                transformed = service.transform_record(raw) if service is not None else raw
                entry["transformed"] = transformed
                if pk_parts:
                    keys.append(get_path(transformed, pk_parts) if isinstance(transformed, dict) else None)
            except TransformationError as exc:
                entry["error"] = redact(str(exc))
            except (
                Exception
            ) as exc:  # a transformation bug is shown on the record, as the sync quarantines it
                entry["error"] = f"Transformation failed: {type(exc).__name__}: {redact(str(exc))}"
        if entry["error"]:
            failures += 1
        if size > MAX_RECORD_BYTES:
            entry = {
                **entry,
                "raw": None,
                "transformed": None,
                "error": f"The record is too large to show ({size} bytes).",
            }
        result.records.append(entry)
    if failures:
        result.warnings.append(
            f"{failures} of {len(sample)} sampled records fail the transformation; a sync quarantines them."
        )
    _warn_about_mappings(rules, [raw for raw in sample if isinstance(raw, dict)], result)
    if service is not None:
        described = f"the {len(sample)} sampled record(s)"
        result.warnings.extend(mapping_overwrite_warnings(sample, service.overwritten_fields, described))
    _warn_about_primary_key(connector.primary_key or "", keys, result)


def compare_with_stored(connector, sample: list, result: Preview, secret_forms: tuple[str, ...]) -> None:
    """Each sampled record's ``change`` against the saved connector's stored records, and the
    counts in ``result.changes`` (see ``sync_engine.dry_run``); nothing when the rules are invalid
    (a warning says so already)."""
    try:
        outcomes = predict_changes(connector, sample, secret_forms)
    except SyncProblem:
        return
    rekeying = rekeying_warning(connector) or key_mode_warning(connector, sample)
    if rekeying:
        result.warnings.append(rekeying)
    counts = dict.fromkeys(CHANGES, 0)
    for entry, outcome in zip(result.records, outcomes, strict=True):
        entry["change"] = outcome.change
        entry["changed_fields"] = outcome.fields
        entry["more_changed_fields"] = outcome.more_fields
        if outcome.change is not None:
            counts[outcome.change] += 1
    result.changes = {"compared": sum(counts.values()), **counts}


def _present(records: list[dict], path: str) -> bool:
    parts = path_parts(path)
    return any(get_path(record, parts) is not None for record in records)


def _warn_about_mappings(rules: dict, records: list[dict], result: Preview) -> None:
    mappings = rules.get("field_mappings") if isinstance(rules, dict) else None
    if not isinstance(mappings, dict) or not records:
        return
    for source, target in mappings.items():
        if not isinstance(source, str) or _present(records, source):
            continue
        message = f"field_mappings: the source field {source!r} appears in no sample record."
        if isinstance(target, str) and _present(records, target):
            message += (
                f" {target!r} does: field_mappings read source → target, so this mapping looks "
                f"reversed (did you mean {{{target!r}: {source!r}}}?)."
            )
        result.warnings.append(message)


def _warn_about_primary_key(primary_key: str, keys: list, result: Preview) -> None:
    if not primary_key or not keys:
        return
    present = [key for key in keys if key not in (None, "") and not isinstance(key, dict | list | bool)]
    if not present:
        result.warnings.append(
            f"The primary key {primary_key!r} is in no transformed sample record: a sync would key "
            "records by a hash of their content."
        )
        return
    if len(present) < len(keys):
        result.warnings.append(
            f"The primary key {primary_key!r} is missing from {len(keys) - len(present)} of {len(keys)} "
            "transformed sample records; a sync quarantines them."
        )
    texts = [str(key) for key in present]
    duplicates = sorted({text for text in texts if texts.count(text) > 1})
    if duplicates:
        shown = ", ".join(repr(text) for text in duplicates[:5])
        result.warnings.append(
            f"The primary key {primary_key!r} is not unique in the sample ({shown} repeat): records "
            "with the same key overwrite each other."
        )


# -- what to preview ----------------------------------------------------------------------------------


def unsaved_connector(tenant, values: dict):
    """A connector of ``tenant`` built from validated API input, for a preview; never saved."""
    connector = CustomDataConnector(tenant=tenant)
    for name, value in values.items():
        setattr(connector, name, value)
    return connector


def with_overrides(connector, values: dict):
    """A copy of a saved ``connector`` with validated overrides applied; the row is not changed."""
    preview = copy.copy(connector)
    for name, value in values.items():
        setattr(preview, name, value)
    return preview
