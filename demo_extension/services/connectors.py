"""What follows a change to a connector, for every caller (API, admin, commands)."""

from core import activity
from demo_extension.selectors import invalidate_tenant_stats
from demo_extension.services.schedule import refresh_next_sync_at
from destinations.services.loads import invalidate_load_stats


def changed_fields(connector, values: dict) -> list[str]:
    """The names of the fields ``values`` would change on ``connector`` (call it before saving).

    Only names: what the audit trail may say about a change, secrets included.
    """
    return sorted(name for name, value in values.items() if getattr(connector, name, None) != value)


def connector_saved(connector, *, created: bool = False, fields=(), actor=None) -> None:
    """A connector was created or changed: recompute its schedule, drop cached statistics and report
    the change (``fields``: the names of the fields set or changed, never their values)."""
    refresh_next_sync_at(connector)
    invalidate_tenant_stats(connector.tenant_id)
    activity.record(
        "connector.created" if created else "connector.changed",
        tenant=connector.tenant_id,
        actor=actor,
        target_type="connector",
        target_id=connector.pk,
        fields=fields,
        detail={"name": connector.name},
    )


def connector_deleted(tenant_id: int, *, connector=None, actor=None) -> None:
    """A connector was deleted (``connector``: the deleted object, for the audit trail)."""
    invalidate_tenant_stats(tenant_id)
    invalidate_load_stats(tenant_id)  # its loads went with it
    if connector is not None:
        activity.record(
            "connector.deleted",
            tenant=tenant_id,
            actor=actor,
            target_type="connector",
            target_id=connector.pk,
            detail={"name": connector.name},
        )


def record_export(connector, options, *, actor=None) -> None:
    """Report an export of the connector's records (its format and filters, not its content)."""
    activity.record(
        "connector.exported",
        tenant=connector.tenant_id,
        actor=actor,
        target_type="connector",
        target_id=connector.pk,
        fields=options.fields or (),
        detail={
            "format": options.format,
            "since": options.since,
            "include_deleted": options.include_deleted,
            "spreadsheet_safe": options.spreadsheet_safe,
        },
    )
