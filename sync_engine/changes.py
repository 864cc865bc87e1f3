"""The change feed: change sequences, tombstones of a complete full refresh, reading changes in order.

Every stored record carries ``change_seq``: the connector's change counter when the record was last
created, updated or deleted. A page's upsert takes its numbers from :func:`allocate` in the page's
own transaction. The counter is a row per connector (``RecordChangeCounter``) incremented with one
``INSERT … ON CONFLICT DO UPDATE … RETURNING``: the row lock it takes is held until the page
commits, so a second transaction that wants numbers for the same connector waits for the first to
commit. Sequences therefore become visible in increasing order, and a reader that has seen ``n``
never later finds a new record below ``n`` (a PostgreSQL ``SEQUENCE`` gives no such guarantee: its
numbers are taken outside transactions and commit in any order). SQLite has one writer at a time,
which gives the same order. The cost is one small statement per page.

Numbers may have gaps (a record repeated on a page, an insert whose data did not change): the feed
promises increasing order, not consecutive numbers.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from django.db import connection, transaction
from django.db.models import Q, TextField
from django.db.models.functions import Cast
from django.utils.dateparse import parse_datetime

from sync_engine.models import RecordChangeCounter, SyncedRecord
from sync_engine.schema import connector_schema, leaf_fields
from sync_engine.search import search_records

_RECORDS = SyncedRecord._meta.db_table
_COUNTERS = RecordChangeCounter._meta.db_table

#: Rows a change-feed or export query reads at a time (keyset pages).
READ_BATCH = 2000


def allocate(connector_id: int, count: int) -> int:
    """Reserve ``count`` change sequences for a connector; returns the number before the first one
    (the reserved ones are ``base + 1 … base + count``). Call it inside the transaction that writes
    them."""
    table = connection.ops.quote_name(_COUNTERS)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} AS c (connector_id, last_seq) VALUES (%s, %s) "  # noqa: S608 - model names
            "ON CONFLICT (connector_id) DO UPDATE SET last_seq = c.last_seq + EXCLUDED.last_seq "
            "RETURNING last_seq",
            [connector_id, count],
        )
        last = cursor.fetchone()[0]
    return last - count


def last_sequence(connector_id: int) -> int:
    """The highest change sequence handed out for the connector (0: none yet)."""
    found = RecordChangeCounter.objects.filter(connector_id=connector_id).values_list("last_seq", flat=True)
    return next(iter(found), 0)


def rewritten_count(connector_id: int, after: int) -> int:
    """How many of the connector's records were written (created, updated or deleted) since its
    change sequence ``after``."""
    return SyncedRecord.objects.filter(connector_id=connector_id, change_seq__gt=after).count()


def mark_seen(connector_id: int, sync_log_id: int, external_ids) -> None:
    """Remember that a full-refresh run saw these records upstream (written or unchanged)."""
    ids = list(external_ids)
    if not ids:
        return
    SyncedRecord.objects.filter(connector_id=connector_id, external_id__in=ids).exclude(
        seen_in_sync_log_id=sync_log_id
    ).update(seen_in_sync_log_id=sync_log_id)


def seen_count(connector_id: int, sync_log_id: int) -> int:
    """How many stored records a full-refresh run marked seen (each once, however often it read it)."""
    return SyncedRecord.objects.filter(connector_id=connector_id, seen_in_sync_log_id=sync_log_id).count()


def delete_unseen(connector_id: int, sync_log_id: int, now) -> int:
    """Tombstone the live records a complete full refresh did not see: ``deleted_at`` set and a new
    change sequence each (the feed's delete events). Their checksums are cleared, so a record that
    comes back upstream is written again (alive, with a new sequence) even if its data is the same.
    Returns how many records were deleted."""
    records = connection.ops.quote_name(_RECORDS)
    with transaction.atomic():
        unseen = SyncedRecord.objects.filter(connector_id=connector_id, deleted_at__isnull=True).exclude(
            seen_in_sync_log_id=sync_log_id
        )
        count = unseen.count()
        if not count:
            return 0
        base = allocate(connector_id, count)
        when = connection.ops.adapt_datetimefield_value(now)
        with connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE {records} SET deleted_at = %s, checksum = '', source_checksum = '', "  # noqa: S608
                "change_seq = %s + s.n FROM (SELECT id, row_number() OVER (ORDER BY id) AS n "
                f"FROM {records} WHERE connector_id = %s AND deleted_at IS NULL "
                "AND (seen_in_sync_log_id IS NULL OR seen_in_sync_log_id <> %s)) AS s "
                f"WHERE {records}.id = s.id",
                [when, base, connector_id, sync_log_id],
            )
            return cursor.rowcount


@dataclass(frozen=True)
class Change:
    """One entry of the feed: a record's latest state (``deleted_at`` set: a tombstone)."""

    seq: int
    record_id: int
    external_id: str
    data_json: str  # the stored record as JSON text
    last_synced_at: object
    deleted_at: object


def changes_after(connector_id: int, after: int, limit: int) -> list[Change]:
    """Up to ``limit`` records of the connector changed after sequence ``after``, in sequence order
    (deleted ones included, as tombstones)."""
    return list(iter_records(connector_id, after=after, include_deleted=True, limit=limit))


def iter_records(
    connector_id: int,
    *,
    after: int = 0,
    include_deleted: bool = False,
    limit: int | None = None,
    batch: int = READ_BATCH,
    times_as_text: bool = False,
):
    """The connector's records with a change sequence above ``after``, in (sequence, id) order, read in
    keyset pages of ``batch`` rows: memory stays constant whatever the number of records. The data
    comes as the database's JSON text, never parsed here. ``times_as_text``: the two timestamps as
    the database writes them (UTC), for a consumer that hands them to another database as text
    (converting them to aware datetimes costs more than the rest of the read)."""
    records = connection.ops.quote_name(_RECORDS)
    postgresql = connection.vendor == "postgresql"
    data = "data::text" if postgresql else "data"
    times = (
        "last_synced_at::text, deleted_at::text"
        if postgresql and times_as_text
        else "last_synced_at, deleted_at"
    )
    alive = "" if include_deleted else " AND deleted_at IS NULL"
    last_seq, last_id = after, 2**63 - 1  # "after n": nothing with sequence n itself
    remaining = limit
    while remaining is None or remaining > 0:
        size = batch if remaining is None else min(batch, remaining)
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT change_seq, id, external_id, {data}, {times} "  # noqa: S608
                f"FROM {records} WHERE connector_id = %s AND (change_seq, id) > (%s, %s){alive} "
                "ORDER BY change_seq, id LIMIT %s",
                [connector_id, last_seq, last_id, size],
            )
            rows = cursor.fetchall()
        if not rows:
            return
        sqlite = connection.vendor == "sqlite" and not times_as_text
        for seq, record_id, external_id, text, synced, deleted in rows:
            if sqlite:  # raw SQL on SQLite returns the text Django stored
                synced = _sqlite_datetime(synced)
                deleted = _sqlite_datetime(deleted)
            yield Change(seq, record_id, external_id, text, synced, deleted)
        last_seq, last_id = rows[-1][0], rows[-1][1]
        if remaining is not None:
            remaining -= len(rows)
        if len(rows) < size:
            return


def iter_data_pages(
    connector_id: int,
    *,
    after: int = 0,
    include_deleted: bool = False,
    batch: int | None = None,
    search: tuple[str, str] | None = None,
    deleted_at: bool = False,
):
    """The connector's stored records as JSON texts, in lists of up to ``batch`` (one query each), in
    change-sequence order: what the export streams. Only the JSON text is read and nothing is
    parsed, so a page costs the database's work and one join. ``search`` (field, text): only the
    records the records list's search shows (``sync_engine.search``). With ``deleted_at`` each item
    is a pair: the text and when a full refresh marked the record deleted (UTC, ISO 8601 with
    ``Z``; None for a live record)."""
    batch = batch or READ_BATCH
    if search:
        rows_after = _searched_rows(connector_id, include_deleted, search)
    else:
        rows_after = _rows(connector_id, include_deleted)
    last_seq, last_id = after, 2**63 - 1
    while True:
        rows = rows_after(last_seq, last_id, batch)
        if not rows:
            return
        last_seq, last_id = rows[-1][0], rows[-1][1]
        if deleted_at:
            yield [(row[2], _iso_z(row[3])) for row in rows]
        else:
            yield [row[2] for row in rows]
        if len(rows) < batch:
            return


def deleted_record_data(connector_id: int, batch: int | None = None):
    """The data of the connector's records a full refresh marked deleted (parsed), a batch a query."""
    return (
        SyncedRecord.objects.filter(connector_id=connector_id, deleted_at__isnull=False)
        .values_list("data", flat=True)
        .iterator(chunk_size=batch or READ_BATCH)
    )


def has_top_level_key(connector_id: int, key: str, *, deleted_only: bool = False) -> bool:
    """Whether a stored record of the connector (only those a full refresh marked deleted, with
    ``deleted_only``) has the top-level field ``key``."""
    records = SyncedRecord.objects.filter(connector_id=connector_id, data__has_key=key)
    if deleted_only:
        records = records.filter(deleted_at__isnull=False)
    return records.exists()


def _iso_z(value) -> str | None:
    when = _sqlite_datetime(value)
    return None if when is None else when.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _rows(connector_id: int, include_deleted: bool):
    """(change_seq, id, JSON text) of up to ``batch`` records after a position: one plain query."""
    records = connection.ops.quote_name(_RECORDS)
    data = "data::text" if connection.vendor == "postgresql" else "data"
    alive = "" if include_deleted else " AND deleted_at IS NULL"
    sql = (
        f"SELECT change_seq, id, {data}, deleted_at FROM {records} "  # noqa: S608 - names from the model
        f"WHERE connector_id = %s AND (change_seq, id) > (%s, %s){alive} "
        "ORDER BY change_seq, id LIMIT %s"
    )

    def rows_after(last_seq: int, last_id: int, batch: int) -> list:
        with connection.cursor() as cursor:
            cursor.execute(sql, [connector_id, last_seq, last_id, batch])
            return cursor.fetchall()

    return rows_after


def _searched_rows(connector_id: int, include_deleted: bool, search: tuple[str, str]):
    """The same rows of the records a search finds (the records list's own query)."""
    records = SyncedRecord.objects.filter(connector_id=connector_id)
    if not include_deleted:
        records = records.filter(deleted_at__isnull=True)
    records = search_records(records, *search).order_by("change_seq", "id")

    def rows_after(last_seq: int, last_id: int, batch: int) -> list:
        after = records.filter(Q(change_seq__gt=last_seq) | Q(change_seq=last_seq, id__gt=last_id))
        return list(after.values_list("change_seq", "id", Cast("data", TextField()), "deleted_at")[:batch])

    return rows_after


def _sqlite_datetime(value):
    """An aware UTC datetime of what SQLite returned: Django stores UTC without an offset, and its
    converters hand a raw query's ``datetime`` column back naive (or as text, for an expression)."""
    parsed = parse_datetime(value) if isinstance(value, str) else value
    if isinstance(parsed, datetime) and parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed


class ConnectorChangeSource:
    """The connectors' change feed as the destinations app reads it (``destinations.sources``)."""

    def changes_after(self, connector_id: int, after: int, limit: int) -> list[Change]:
        # the loader writes the timestamps into COPY text: they stay text (UTC)
        return list(
            iter_records(connector_id, after=after, include_deleted=True, limit=limit, times_as_text=True)
        )

    def column_fields(self, connector_id: int) -> list[dict]:
        return leaf_fields(connector_schema(connector_id)["fields"])

    def last_sequence(self, connector_id: int) -> int:
        return last_sequence(connector_id)

    def record_ids(self, connector_id: int):
        """The external ids of every record the connector has, live or deleted (tombstones)."""
        return (
            SyncedRecord.objects.filter(connector_id=connector_id)
            .values_list("external_id", flat=True)
            .iterator(chunk_size=READ_BATCH)
        )
