"""Attaching connectors to destinations, and the destinations' statistics."""

from __future__ import annotations

import re
from datetime import timedelta

from django.db import IntegrityError, transaction
from django.db.models import Count, Q, Sum
from django.utils import timezone

from core.display_names import ascii_letters
from destinations.models import (
    ColumnNames,
    Destination,
    DestinationAttachment,
    DestinationLoad,
    LoadStatus,
)
from destinations.services.destinations import attachment_recorded


class AttachmentProblem(ValueError):
    """The attachment cannot be made (the message names why; ``field``: the input it is about)."""

    def __init__(self, message: str, field: str = "connector"):
        super().__init__(message)
        self.field = field


def _connector_model():
    # The connector model through the relation, so that this platform app imports no module code.
    return DestinationAttachment._meta.get_field("connector").related_model


def default_table_name(connector) -> str:
    """The connector's name as a lower-case identifier (``naming.GIVEN_NAME``): accents taken off
    Latin letters, anything else but a-z and 0-9 a ``_``; ``connector_<id>`` when nothing is left."""
    slug = re.sub(r"[^a-z0-9]+", "_", ascii_letters(connector.name)).strip("_")[:50]
    if slug[:1].isdigit():
        slug = f"_{slug}"  # an identifier starts with a letter or _
    return slug or f"connector_{connector.pk}"


def attach(
    destination: Destination,
    connector_id: int,
    table_name: str | None = None,
    column_names: str = ColumnNames.SNAKE_CASE,
    *,
    actor=None,
) -> DestinationAttachment:
    connector = _connector_model().objects.filter(tenant_id=destination.tenant_id, pk=connector_id).first()
    if connector is None:
        raise AttachmentProblem(f"There is no connector {connector_id} in this tenant.")
    table = table_name or default_table_name(connector)
    if table_name is None and destination.attachments.filter(table_name=table).exists():
        table = f"{table}_{connector.pk}"
    try:
        with transaction.atomic():
            attachment = DestinationAttachment.objects.create(
                tenant_id=destination.tenant_id,
                destination=destination,
                connector=connector,
                table_name=table,
                column_names=column_names,
            )
    except IntegrityError:
        # Which of the two unique constraints refused it (looked up after the fact: a concurrent
        # attach may be the one that took the connector or the name).
        if destination.attachments.filter(connector_id=connector.pk).exists():
            raise AttachmentProblem(
                f"Connector {connector.pk} is already attached to this destination "
                "(detach it first to load it into another table)."
            ) from None
        holder = (
            destination.attachments.filter(table_name=table).values_list("connector_id", flat=True).first()
        )
        raise AttachmentProblem(
            f"The table {table} is already loaded from connector {holder} in this destination; "
            "choose another table_name.",
            field="table_name",
        ) from None
    attachment_recorded("destination.attached", destination, connector.pk, table, actor)
    return attachment


def detach(destination: Destination, connector_id: int, *, actor=None) -> None:
    attached = destination.attachments.filter(connector_id=connector_id)
    table_name = attached.values_list("table_name", flat=True).first() or ""
    deleted, _ = attached.delete()
    if not deleted:
        raise AttachmentProblem(f"Connector {connector_id} is not attached to this destination.")
    attachment_recorded("destination.detached", destination, connector_id, table_name, actor)


class ColumnNamesFixed(AttachmentProblem):
    """The column naming convention cannot change: the attachment's columns have names."""


def set_column_names(attachment: DestinationAttachment, column_names: str) -> DestinationAttachment:
    """Change how the attachment names its columns, as long as it named none: names are given once
    and kept, so that the table's columns never change. Raises :class:`ColumnNamesFixed` else."""
    if attachment.column_names == column_names:
        return attachment
    # One conditional update: a load that names the columns meanwhile either comes first (and this
    # is refused) or finds the new convention (and refuses to save names made by the old one).
    changed = DestinationAttachment.objects.filter(pk=attachment.pk, columns={}).update(
        column_names=column_names
    )
    if not changed:
        attachment.refresh_from_db(fields=["column_names", "columns"])
        if attachment.column_names == column_names:
            return attachment
        raise ColumnNamesFixed(
            f"column_names cannot change from {attachment.column_names} to {column_names}: a load "
            f"already named this table's {len(attachment.columns)} columns {attachment.column_names}, "
            "and names are given once so that the table's columns never change. To load with "
            "other names, detach the connector and attach it again with another table_name."
        )
    attachment.refresh_from_db(fields=["column_names", "columns"])
    return attachment


def attachment_of(destination: Destination, connector_id: int) -> DestinationAttachment:
    attachment = destination.attachments.filter(connector_id=connector_id).first()
    if attachment is None:
        raise AttachmentProblem(f"Connector {connector_id} is not attached to this destination.")
    return attachment


def destination_stats(tenant) -> dict:
    """Counts of the tenant's destinations, attachments and loads (three queries)."""
    since = timezone.now() - timedelta(hours=24)
    loads = DestinationLoad.objects.filter(tenant=tenant).aggregate(
        total=Count("id"),
        success=Count("id", filter=Q(status=LoadStatus.SUCCESS)),
        failed=Count("id", filter=Q(status=LoadStatus.FAILED)),
        running=Count("id", filter=Q(status__in=[LoadStatus.PENDING, LoadStatus.RUNNING])),
        recent=Count("id", filter=Q(created_at__gte=since)),
        upserted=Sum("rows_upserted"),
        deleted=Sum("rows_deleted"),
    )
    return {
        "destinations": Destination.objects.filter(tenant=tenant).count(),
        "attachments": DestinationAttachment.objects.filter(tenant=tenant).count(),
        "total_loads": loads["total"],
        "successful_loads": loads["success"],
        "failed_loads": loads["failed"],
        "running_loads": loads["running"],
        "loads_last_24h": loads["recent"],
        "rows_loaded": (loads["upserted"] or 0) + (loads["deleted"] or 0),
    }
