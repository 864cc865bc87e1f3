"""What follows a change to a destination, for every caller: the audit trail's record of it.

A destination decides where the tenant's records are loaded and holds a password, so creating,
changing (which fields: the password's name, never its value), deleting one and attaching or
detaching a connector are each an audit event, as a connector's changes are.
"""

from core import activity
from destinations.models import Destination
from destinations.services.postgres import connection_settings


def _detail(destination: Destination) -> dict:
    # The host data goes to (a DSN's too: the host is no secret, the DSN is encrypted for its password).
    return {"name": destination.name, "host": str(connection_settings(destination).get("host") or "")}


def destination_saved(destination: Destination, *, created: bool = False, fields=(), actor=None) -> None:
    """A destination was created or changed (``fields``: the names of the fields set or changed; a
    change of no field is not reported)."""
    activity.record_saved(
        "destination", destination, created=created, fields=fields, actor=actor, detail=_detail(destination)
    )


def destination_deleted(destination: Destination, pk: int, *, actor=None) -> None:
    """A destination was deleted (``pk``: its id, which Django clears on delete)."""
    activity.record_deleted("destination", destination, pk, actor=actor, detail=_detail(destination))


def attachment_recorded(action: str, destination: Destination, connector_id: int, table_name: str, actor):
    """``destination.attached`` / ``destination.detached``: which connector is loaded where."""
    activity.record(
        action,
        tenant=destination.tenant_id,
        actor=actor,
        target_type="destination",
        target_id=destination.pk,
        detail={"name": destination.name, "connector_id": connector_id, "table_name": table_name},
    )
