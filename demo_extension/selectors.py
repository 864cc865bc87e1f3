"""Reads of the connectors module that are cached per tenant.

The statistics are cached until something that changes them happens; the code that changes them
calls :func:`invalidate_tenant_stats` (no signals):

* a connector is created, updated or deleted (the API viewset's ``perform_create`` /
  ``perform_update`` / ``perform_destroy``);
* a sync run is queued, or reaches its final status (the sync engine and ``services/runs.py``).

The load counts in the statistics are cached under the destinations app's namespace, which its load
runs invalidate (``destinations.services.loads.invalidate_load_stats``) when a load is queued or ends.
"""

from django.conf import settings
from django.db.models import F, JSONField, OuterRef, Subquery, Window
from django.db.models.functions import RowNumber

from core.cache import cached_for_tenant, invalidate_tenant
from core.formats import loads_exact
from demo_extension.models import SyncLog
from demo_extension.services.stats import load_stats, run_outcomes, sync_activity
from destinations.services.loads import LOADS_CACHE_NAMESPACE
from sync_engine.changes import iter_records
from sync_engine.models import ACTIVE_SYNC_STATUSES, FINISHED_SYNC_STATUSES
from sync_engine.profile import profile_connector
from sync_engine.schema import connector_schema, leaf_fields, schema_checked_at

CACHE_NAMESPACE = "demo_extension"
STATS_TIMEOUT = 60  # also bounds the drift of the "last 24 hours" window


def cached_tenant_stats(tenant) -> dict:
    """``ConnectorStatsService.get_stats(tenant=tenant)`` with ``partial_rate`` and ``completed_syncs``
    (``run_outcomes``) and
    the tenant's ``load_stats``, each cached until what it counts changes."""
    stats = cached_for_tenant(
        CACHE_NAMESPACE,
        tenant.pk,
        "stats:v3",  # v2: with partial_rate; v3: with completed_syncs
        lambda: run_outcomes(tenant),
        timeout=STATS_TIMEOUT,
    )
    loads = cached_for_tenant(
        LOADS_CACHE_NAMESPACE,
        tenant.pk,
        "connector-load-stats",
        lambda: load_stats(tenant),
        timeout=STATS_TIMEOUT,
    )
    return {**stats, **loads}


def cached_sync_activity(tenant, days: int) -> list[dict]:
    """``sync_activity(tenant, days=days)``, cached like the statistics (same invalidation)."""
    return cached_for_tenant(
        CACHE_NAMESPACE,
        tenant.pk,
        f"sync-activity:{days}",
        lambda: sync_activity(tenant, days=days),
        timeout=STATS_TIMEOUT,
    )


def recent_run_statuses(connector_ids, *, per_connector: int = 10) -> dict[int, list[str]]:
    """The statuses of each connector's latest ``per_connector`` runs, newest first: one query."""
    if not connector_ids:
        return {}
    rank = Window(
        RowNumber(), partition_by=[F("connector_id")], order_by=[F("created_at").desc(), F("id").desc()]
    )
    rows = (
        SyncLog.objects.filter(connector_id__in=connector_ids)
        .annotate(rank=rank)
        .filter(rank__lte=per_connector)
        .order_by("connector_id", "rank")
        .values_list("connector_id", "status")
    )
    statuses: dict[int, list[str]] = {pk: [] for pk in connector_ids}
    for connector_id, status in rows:
        statuses[connector_id].append(status)
    return statuses


def with_running_sync_id(connectors):
    """The connectors, each annotated with ``running_sync_id``: the id of its PENDING or RUNNING run,
    or None. A subquery in the same query (the database allows one such run per connector), so a
    page of connectors costs no query more."""
    active = SyncLog.objects.filter(connector_id=OuterRef("pk"), status__in=ACTIVE_SYNC_STATUSES)
    return connectors.annotate(running_sync_id=Subquery(active.values("pk")[:1]))


def _finished_runs():
    return SyncLog.objects.filter(connector_id=OuterRef("pk"), status__in=FINISHED_SYNC_STATUSES).order_by(
        "-created_at", "-id"
    )


def with_last_run_warnings(connectors):
    """The connectors, each annotated with ``last_sync_log_id`` (its latest finished run, or None),
    ``last_sync_warnings`` (that run's warnings) and ``last_sync_error`` (its error message):
    subqueries of the same query."""
    return connectors.annotate(
        last_sync_log_id=Subquery(_finished_runs().values("pk")[:1]),
        last_sync_warnings=Subquery(_finished_runs().values("warnings")[:1], output_field=JSONField()),
        last_sync_error=Subquery(_finished_runs().values("error_message")[:1]),
    )


def last_finished_run(connector_id: int) -> tuple[int | None, list[str], str]:
    """``(id, warnings, error message)`` of the connector's latest finished run (``(None, [], "")``:
    it never finished one)."""
    row = (
        SyncLog.objects.filter(connector_id=connector_id, status__in=FINISHED_SYNC_STATUSES)
        .order_by("-created_at", "-id")
        .values_list("pk", "warnings", "error_message")
        .first()
    )
    return (row[0], list(row[1] or []), row[2] or "") if row else (None, [], "")


def invalidate_tenant_stats(tenant_id: int) -> None:
    """Forget the tenant's cached statistics (and any other cached read of this module)."""
    invalidate_tenant(CACHE_NAMESPACE, tenant_id)


def invalidate_run_stats(run) -> None:
    """``run_started`` / ``run_finished`` handler: the run's tenant's statistics changed."""
    invalidate_tenant_stats(run.tenant_id)


# -- data out ---------------------------------------------------------------------------------------


#: Rows of the change feed read at a time: a page stops at MIGRATEIQ_API_MAX_PAGE_BYTES of data
#: having read at most this many rows past it.
CHANGE_FEED_BATCH = 100


def change_feed(connector_id: int, *, after: int, limit: int) -> dict:
    """A page of the change feed: ``{"changes": [...], "next_after": seq, "has_more": bool}``: up to
    ``limit`` changes, fewer when their data would pass ``MIGRATEIQ_API_MAX_PAGE_BYTES`` (at least
    one; the page is built in the web process' memory); ``has_more`` says whether more follow."""
    max_bytes = settings.MIGRATEIQ_API_MAX_PAGE_BYTES
    found: list = []
    held, has_more = 0, False
    for change in iter_records(
        connector_id, after=after, include_deleted=True, limit=limit + 1, batch=CHANGE_FEED_BATCH
    ):
        size = len(change.data_json or "") if change.deleted_at is None else 0
        if len(found) == limit or (found and held + size > max_bytes):
            has_more = True
            break
        held += size
        found.append(change)
    return {
        "changes": [
            {
                "seq": change.seq,
                "op": "delete" if change.deleted_at is not None else "upsert",
                "id": change.record_id,
                "external_id": change.external_id,
                "data": None if change.deleted_at is not None else loads_exact(change.data_json),
                "last_synced_at": change.last_synced_at,
                "deleted_at": change.deleted_at,
            }
            for change in found
        ],
        "next_after": found[-1].seq if found else after,
        "has_more": has_more,
    }


def schema_view(connector_id: int) -> dict:
    """The connector's inferred schema with dotted paths and which fields are CSV columns."""
    document = connector_schema(connector_id)
    columns = {tuple(entry["path"]) for entry in leaf_fields(document["fields"])}
    return {
        "connector": connector_id,
        "fields": [
            {
                "path": ".".join(entry["path"]),
                "parts": entry["path"],
                "types": entry["types"],
                "formats": entry.get("formats", []),
                "column": tuple(entry["path"]) in columns,
                "position": entry.get("position", index),
            }
            for index, entry in enumerate(document["fields"], start=1)
        ],
        "truncated": document["truncated"],
        "updated_at": document["updated_at"],
        "checked_at": schema_checked_at(connector_id, document["updated_at"]),
    }


def _share(count: int | None, of: int) -> float | None:
    if count is None:
        return None
    return round(count / of, 4) if of else 0.0


def schema_profile_view(connector_id: int, sample: int) -> dict:
    """The field profile of the connector's schema (``sync_engine.profile``) with dotted paths and
    each count's share of the sampled records."""
    profile = profile_connector(connector_id, sample)
    sampled = profile.sampled
    return {
        "connector": connector_id,
        "sample": profile.sample,
        "sampled": sampled,
        "total": profile.total,
        "distinct_cap": profile.distinct_cap,
        "truncated": profile.truncated,
        "schema_updated_at": profile.schema_updated_at,
        "fields": [
            {
                "path": ".".join(field.path),
                "parts": list(field.path),
                "present": field.present,
                "present_share": _share(field.present, sampled),
                "null": field.null,
                "null_share": _share(field.null, sampled),
                "empty": field.empty,
                "empty_share": _share(field.empty, sampled),
                "distinct": field.distinct,
                "distinct_over_cap": field.distinct_over_cap,
            }
            for field in profile.fields
        ],
    }
