"""Reads of the connectors module that are cached per tenant.

The statistics are cached until something that changes them happens; the code that changes them
calls :func:`invalidate_tenant_stats` (no signals):

* a connector is created, updated or deleted (the API viewset's ``perform_create`` /
  ``perform_update`` / ``perform_destroy``);
* a sync run is queued, or reaches its final status (the sync engine and ``services/runs.py``).
"""

from django.db.models import F, Window
from django.db.models.functions import RowNumber

from core.cache import cached_for_tenant, invalidate_tenant
from demo_extension.models import SyncLog
from demo_extension.services.stats import ConnectorStatsService, sync_activity

CACHE_NAMESPACE = "demo_extension"
STATS_TIMEOUT = 60  # also bounds the drift of the "last 24 hours" window


def cached_tenant_stats(tenant) -> dict:
    """``ConnectorStatsService.get_stats(tenant=tenant)``, cached until the tenant's data changes."""
    return cached_for_tenant(
        CACHE_NAMESPACE,
        tenant.pk,
        "stats",
        lambda: ConnectorStatsService.get_stats(tenant=tenant),
        timeout=STATS_TIMEOUT,
    )


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


def invalidate_tenant_stats(tenant_id: int) -> None:
    """Forget the tenant's cached statistics (and any other cached read of this module)."""
    invalidate_tenant(CACHE_NAMESPACE, tenant_id)
