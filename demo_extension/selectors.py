"""Reads of the connectors module that are cached per tenant.

The statistics are cached until something that changes them happens; the code that changes them
calls :func:`invalidate_tenant_stats` (no signals):

* a connector is created, updated or deleted (the API viewset's ``perform_create`` /
  ``perform_update`` / ``perform_destroy``);
* a sync run is queued, or reaches its final status (the sync engine and ``services/runs.py``).
"""

from core.cache import cached_for_tenant, invalidate_tenant
from demo_extension.services.stats import ConnectorStatsService

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


def invalidate_tenant_stats(tenant_id: int) -> None:
    """Forget the tenant's cached statistics (and any other cached read of this module)."""
    invalidate_tenant(CACHE_NAMESPACE, tenant_id)
