"""What follows a change to a connector, for every caller (API, admin, commands, other modules)."""

import time
from collections.abc import Callable
from typing import TypeVar

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from core import activity
from core.display_names import validate_display_name
from core.egress import check_url
from core.http_errors import OutboundError
from demo_extension.models import CustomDataConnector
from demo_extension.selectors import invalidate_tenant_stats
from demo_extension.services.schedule import anchor_errors, refresh_next_sync_at
from destinations.services.loads import invalidate_load_stats
from sync_engine.models import SyncLog, SyncStatus
from sync_engine.queue import cancel_sync

T = TypeVar("T")

#: How the user of a connector saved with a host name the web server could not resolve finds out
#: whether the workers reach it (the end of ``core.egress.saved_unresolved_warning``).
UNRESOLVED_HOST_NEXT_STEP = "test the connection to see whether they reach it"


def connector_saved(connector, *, created: bool = False, fields=(), actor=None) -> None:
    """A connector was created or changed: recompute its schedule, drop cached statistics and report
    the change (``fields``: the names of the fields set or changed, never their values; a change of
    no field is not reported: ``core.activity.record_change``)."""
    refresh_next_sync_at(connector)
    invalidate_tenant_stats(connector.tenant_id)
    activity.record_saved(
        "connector", connector, created=created, fields=fields, actor=actor, detail={"name": connector.name}
    )


def duplicate_name_message(name: str) -> str:
    """The one sentence every caller (API, admin, module services) gives for a taken name."""
    return f"A connector named {name!r} already exists in this tenant."


def name_taken(tenant_id: int, name: str, *, exclude_pk=None) -> bool:
    """Whether another connector of the tenant already has ``name`` (the check before a save)."""
    clash = CustomDataConnector.objects.filter(tenant_id=tenant_id, name=name)
    if exclude_pk is not None:
        clash = clash.exclude(pk=exclude_pk)
    return clash.exists()


def save_with_unique_name(save: Callable[[], T], name: str) -> T:
    """Run ``save`` in a savepoint; a race lost to another save of the same name (the database's
    unique constraint) becomes the same field error as the check before it, never a 500."""
    try:
        with transaction.atomic():
            return save()
    except IntegrityError:
        raise ValidationError({"name": [duplicate_name_message(name)]}) from None


def create_connector(tenant, *, name: str, source_type: str, actor=None, **fields):
    """Create a connector read by ``source_type``'s source, as the connectors API would: for a module
    that creates its connectors in its own service (docs/extensions.md, "A new kind of source").

    Refuses (``django.core.exceptions.ValidationError`` by field, a 400 in the API) a name with a
    control or bidirectional character (``core.display_names``), a name another
    connector of the tenant has, an ``api_endpoint`` the egress guard denies and a schedule anchor
    (``sync_time``, ``sync_weekday``) its frequency does not use; then schedules it,
    drops cached statistics and records ``connector.created`` in the audit trail (field names only).
    """
    try:
        validate_display_name(name)
    except ValidationError as exc:
        raise ValidationError({"name": exc.messages}) from None
    endpoint = fields.get("api_endpoint") or ""
    if endpoint:
        try:
            check_url(endpoint)
        except OutboundError as exc:
            raise ValidationError({"api_endpoint": [str(exc)]}) from None
    frequency = fields.get("sync_frequency", CustomDataConnector._meta.get_field("sync_frequency").default)
    anchor = anchor_errors(frequency, fields.get("sync_time"), fields.get("sync_weekday"))
    if anchor:
        raise ValidationError({name: [message] for name, message in anchor.items()})

    def create():
        return CustomDataConnector.objects.create(tenant=tenant, name=name, source_type=source_type, **fields)

    connector = save_with_unique_name(create, name)
    connector_saved(connector, created=True, fields=sorted({"name", "source_type", *fields}), actor=actor)
    return connector


#: How often a delete is tried while a sync of the connector still writes (see delete_connector).
DELETE_ATTEMPTS = 4
DELETE_RETRY_SECONDS = 0.5


class ConnectorBusy(Exception):
    """The connector was not deleted: a sync of it kept writing after it was asked to stop."""


def delete_connector(connector, *, actor=None) -> None:
    """Delete ``connector`` with its runs, records and loads (the API's DELETE); the statistics and
    the audit trail follow (:func:`connector_deleted`).

    Its active syncs are cancelled first. Until a running one stops (within about a second) it may
    still commit a page or a log line while the delete runs: PostgreSQL checks foreign keys at
    commit, so a row committed after the delete collected the connector's rows made the whole
    delete fail (a 500, nothing deleted). It is tried again, collecting that row too, up to
    :data:`DELETE_ATTEMPTS` times; a sync still writing after that raises :class:`ConnectorBusy`."""
    active = SyncLog.objects.filter(
        connector_id=connector.pk, status__in=(SyncStatus.PENDING, SyncStatus.RUNNING), cancel_requested=False
    )
    for run in active:
        try:
            cancel_sync(run, user=actor)
        except ValueError:  # it finished meanwhile
            pass
    pk = connector.pk
    for attempt in range(1, DELETE_ATTEMPTS + 1):
        connector.pk = pk  # a delete that failed at commit has cleared it
        try:
            with transaction.atomic():  # the collection of its rows too (SQLite: under the write lock)
                connector.delete()
            break
        except IntegrityError:
            if attempt == DELETE_ATTEMPTS:
                connector.pk = pk
                raise ConnectorBusy(
                    "The connector was not deleted: its sync kept writing while it was being deleted. "
                    "The sync was asked to stop; delete the connector again in a few seconds."
                ) from None
            time.sleep(DELETE_RETRY_SECONDS)
    connector.pk = pk  # Django clears it on delete; the audit trail names the deleted connector
    connector_deleted(connector.tenant_id, connector=connector, actor=actor)


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
            "search_field": options.search[0] if options.search else None,  # the searched text is data
        },
    )
