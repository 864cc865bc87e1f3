"""Rebuilding a connector's inferred schema from its stored records (``manage.py backfill_schema``).

Syncs keep the schema up to date as they write (``services/schema.py``), so this is needed only for
records stored before the schema existed (their connector's schema is empty, and its CSV export and
destination tables have no columns until a sync rewrites every record) or to start a schema afresh.

The stored records are read in keyset pages (``changes.iter_data_pages``, tombstones included: the
sync observed them too when it wrote them) and merged with the same :class:`SchemaAccumulator` a
sync uses, so memory stays one page plus the schema (at most ``MAX_FIELDS`` fields) whatever the
number of records, and the result equals what syncs writing those records would have built.

A sync in progress holds the connector's schema in memory and stores it with its next page that
teaches it something, which would drop a rebuilt one: a connector with a pending or running sync is
refused (before reading, and again before storing).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction
from django.db.models import Exists, OuterRef

from core.formats import loads_exact
from sync_engine.changes import READ_BATCH, iter_data_pages
from sync_engine.models import ACTIVE_SYNC_STATUSES, SyncedRecord, SyncLog
from sync_engine.runs import connector_model
from sync_engine.schema import SchemaAccumulator, connector_schema, save_schema


class SyncInProgress(Exception):
    """The connector has a pending or running sync: its schema cannot be rebuilt now."""


@dataclass(frozen=True)
class SchemaRebuild:
    connector_id: int
    records: int
    fields: int
    truncated: bool


def rebuild_schema(connector_id: int, *, batch: int = READ_BATCH) -> SchemaRebuild:
    """Replace the connector's inferred schema by one built from every record it stores.

    Raises :class:`SyncInProgress` when a sync of the connector is pending or running.
    """
    _refuse_during_a_sync(connector_id)
    schema = SchemaAccumulator()
    records = 0
    for texts in iter_data_pages(connector_id, include_deleted=True, batch=batch):
        page = [loads_exact(text) for text in texts]
        schema.observe_page(record for record in page if type(record) is dict)
        records += len(page)
    document = schema.to_document()
    with transaction.atomic():
        _refuse_during_a_sync(connector_id)
        save_schema(connector_id, document)
    return SchemaRebuild(connector_id, records, len(document["fields"]), document["truncated"])


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
