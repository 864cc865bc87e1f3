"""What follows a change to a connector, for every caller (API, admin, commands)."""

from demo_extension.selectors import invalidate_tenant_stats
from demo_extension.services.schedule import refresh_next_sync_at
from destinations.services.loads import invalidate_load_stats


def connector_saved(connector) -> None:
    """A connector was created or changed: recompute its schedule and drop cached statistics."""
    refresh_next_sync_at(connector)
    invalidate_tenant_stats(connector.tenant_id)


def connector_deleted(tenant_id: int) -> None:
    invalidate_tenant_stats(tenant_id)
    invalidate_load_stats(tenant_id)  # its loads went with it
