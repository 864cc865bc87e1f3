"""Rebuilding a connector's inferred schema from its live stored records.

Syncs keep the schema up to date as they write (``schema.py``), but merging only adds. A rebuild
starts afresh from the records stored now, without the deleted ones (tombstones): the schema
describes the connector's live records, which the export's columns, its ``fields`` check and the
destinations' columns follow. It is done

* at the end of a complete full refresh that deleted or changed records (``rebuild_schema_at_run_end``,
  called by the engine): the fields only the deleted records had, or the changed ones lost, go;
* by ``manage.py backfill_schema`` (``rebuild_schema``): for records stored before the schema existed
  (their connector's schema is empty, and its CSV export and destination tables have no columns
  until a sync rewrites every record) or to start a schema afresh.

The live records are read in keyset pages (``changes.iter_data_pages``) and merged with the same
:class:`SchemaAccumulator` a sync uses, so memory stays one page plus the schema (at most
``MAX_FIELDS`` fields) whatever the number of records, and the result equals what syncs writing
those records would have built. The schema is stored only when it differs, so its ``updated_at``
says when it last changed.

A sync in progress holds the connector's schema in memory and stores it with its next page that
teaches it something, which would drop a rebuilt one: the command refuses a connector with a pending
or running sync (before reading, and again before storing); the engine rebuilds after the run's last
page committed, before the run ends.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction
from django.db.models import Exists, OuterRef

from core.formats import loads_exact
from sync_engine.changes import READ_BATCH, iter_data_pages
from sync_engine.models import ACTIVE_SYNC_STATUSES, ConnectorSchema, SyncedRecord, SyncLog
from sync_engine.paths import format_path
from sync_engine.runs import connector_model
from sync_engine.schema import SchemaAccumulator, connector_schema, keep_positions, save_schema


class SyncInProgress(Exception):
    """The connector has a pending or running sync: its schema cannot be rebuilt now."""


@dataclass(frozen=True)
class SchemaRebuild:
    connector_id: int
    records: int
    fields: int
    truncated: bool
    changed: bool = False  # the stored schema was replaced by a different one
    removed: tuple[str, ...] = ()  # the dotted paths of the fields no live record has any more


def rebuild_schema(connector_id: int, *, batch: int = READ_BATCH) -> SchemaRebuild:
    """Replace the connector's inferred schema by one built from every live record it stores.

    Raises :class:`SyncInProgress` when a sync of the connector is pending or running.
    """
    _refuse_during_a_sync(connector_id)
    return _rebuild(connector_id, batch, before_storing=_refuse_during_a_sync)


def rebuild_schema_at_run_end(connector_id: int, *, batch: int = READ_BATCH) -> SchemaRebuild:
    """:func:`rebuild_schema` for the engine, at the end of the connector's running sync (after its
    last page committed): the run is the sync in progress. A run that left no live record (a full
    refresh of a source that really emptied) keeps the schema as it was: an empty one would leave the
    export of the deleted records without their columns, and records that come back would not be
    told apart from new fields."""
    return _rebuild(connector_id, batch, keep_when_empty=True)


def _rebuild(connector_id: int, batch: int, before_storing=None, *, keep_when_empty=False) -> SchemaRebuild:
    schema = SchemaAccumulator()
    records = 0
    for texts in iter_data_pages(connector_id, include_deleted=False, batch=batch):
        page = [loads_exact(text) for text in texts]
        schema.observe_page(record for record in page if type(record) is dict)
        records += len(page)
    if not records and keep_when_empty:
        current = connector_schema(connector_id)
        return SchemaRebuild(connector_id, 0, len(current["fields"]), bool(current["truncated"]))
    document = schema.to_document()
    with transaction.atomic():
        if before_storing is not None:
            before_storing(connector_id)
        stored = (
            ConnectorSchema.objects.select_for_update()
            .filter(connector_id=connector_id)
            .values_list("fields", flat=True)
            .first()
        )
        # The stored records' keys are sorted: the positions the syncs saw stay.
        document["fields"] = keep_positions(document["fields"], (stored or {}).get("fields", []))
        changed = stored != document
        if changed:
            save_schema(connector_id, document)
    kept = {tuple(entry["path"]) for entry in document["fields"]}
    before = (stored or {}).get("fields", [])
    removed = tuple(format_path(entry["path"]) for entry in before if tuple(entry["path"]) not in kept)
    return SchemaRebuild(
        connector_id, records, len(document["fields"]), document["truncated"], changed, removed
    )


def connectors_without_schema(connectors=None):
    """The connectors (of ``connectors``, default all) that store records but whose schema is empty:
    what ``backfill_schema --missing`` rebuilds."""
    if connectors is None:
        connectors = connector_model().objects.unscoped("an operator's backfill of every tenant")
    stores_records = Exists(SyncedRecord.objects.filter(connector_id=OuterRef("pk")))
    return [
        connector
        for connector in connectors.filter(stores_records).order_by("pk")
        if not connector_schema(connector.pk)["fields"]
    ]


def _refuse_during_a_sync(connector_id: int) -> None:
    if SyncLog.objects.filter(connector_id=connector_id, status__in=ACTIVE_SYNC_STATUSES).exists():
        raise SyncInProgress(
            f"Connector {connector_id} has a sync in progress; rebuild its schema once it has ended."
        )
