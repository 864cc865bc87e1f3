"""One object of every tenant-owned kind, for the isolation, role and fuzz tests.

``SEEDERS`` must name every model of MigrateIQ's own apps: ``test_every_model_is_seeded_or_global``
fails when a model is added without saying here how to create one (and so how to prove it is scoped).
"""

import hashlib
import json
from dataclasses import dataclass
from datetime import timedelta

from django.apps import apps
from django.contrib.auth import get_user_model
from django.db.models import Q
from django.utils import timezone

from demo_extension.models import (
    ConnectorSchema,
    CustomDataConnector,
    RecordChangeCounter,
    SyncedRecord,
    SyncLog,
    SyncLogEvent,
    SyncRecordError,
    SyncStatus,
)
from destinations.models import Destination, DestinationAttachment, DestinationLoad, LoadStatus
from tenancy.models import Invitation, Membership, Role, Tenant

OWN_APPS = ("core", "accounts", "tenancy", "demo_extension", "destinations")
User = get_user_model()


@dataclass
class TenantGraph:
    tenant: Tenant
    admin: object
    member: Membership  # a viewer that member routes act on (never the last admin)
    connector: CustomDataConnector
    sync_log: SyncLog
    failed_log: SyncLog
    event: SyncLogEvent
    record: SyncedRecord
    record_error: SyncRecordError
    invitation: Invitation
    destination: Destination
    attachment: DestinationAttachment
    load: DestinationLoad

    def object_for(self, model):
        """The object of ``model`` that routes taking an id of that model are called with."""
        for value in vars(self).values():
            if type(value) is model:
                return value
        raise LookupError(f"no seeded {model.__name__}: add it to TenantGraph and seed_tenant()")


def seed_tenant(tenant: Tenant, marker: str) -> TenantGraph:
    """A complete object graph in ``tenant``; ``marker`` is written into every text the API can show."""
    admin = User.objects.create_user(email=f"admin-{marker}@{tenant.slug}.test", password="correct-horse-9")
    Membership.objects.create(user=admin, tenant=tenant, role=Role.ADMIN)
    viewer = User.objects.create_user(email=f"viewer-{marker}@{tenant.slug}.test", password="correct-horse-9")
    member = Membership.objects.create(user=viewer, tenant=tenant, role=Role.VIEWER)
    connector = CustomDataConnector.objects.create(
        tenant=tenant,
        name=f"{marker} connector",
        api_endpoint="http://127.0.0.1:9/users",
        api_key=f"{marker}-api-key-0000",
        api_key_last4="0000",
        sync_frequency="MANUAL",
    )
    now = timezone.now()
    sync_log = SyncLog.objects.create(
        tenant=tenant,
        connector=connector,
        status=SyncStatus.SUCCESS,
        records_processed=2,
        started_at=now,
        finished_at=now,
        error_message=f"{marker} finished",
    )
    failed_log = SyncLog.objects.create(
        tenant=tenant,
        connector=connector,
        status=SyncStatus.FAILED,
        started_at=now,
        finished_at=now,
        error_message=f"{marker} upstream failed",
        checkpoint={"page": 2},
    )
    event = SyncLogEvent.objects.create(sync_log=sync_log, message=f"{marker} page 1 fetched")
    record = SyncedRecord.objects.create(
        tenant=tenant,
        connector=connector,
        external_id=f"{marker}-1",
        data={"id": 1, "name": marker},
        checksum="0" * 64,
        first_synced_at=now,
        last_synced_at=now,
        last_sync_log=sync_log,
    )
    record_error = SyncRecordError.objects.create(
        tenant=tenant,
        sync_log=sync_log,
        connector=connector,
        external_id=f"{marker}-2",
        raw_payload={"id": 2, "name": marker},
        error=f"{marker} missing email",
        page=1,
    )
    invitation = Invitation.objects.create(
        tenant=tenant,
        email=f"invitee-{marker}@{tenant.slug}.test",
        role=Role.EDITOR,
        token_hash=hashlib.sha256(f"{marker}-invitation".encode()).hexdigest(),
        invited_by=admin,
        expires_at=now + timedelta(days=7),
    )
    ConnectorSchema.objects.create(
        connector=connector, fields={"fields": [{"path": [marker], "types": ["string"]}]}
    )
    RecordChangeCounter.objects.create(connector=connector, last_seq=1)
    destination = Destination.objects.create(
        tenant=tenant,
        name=f"{marker} destination",
        host="127.0.0.1",
        port=9,
        database=f"{marker}_db",
        username="loader",
        password=f"{marker}-db-password",
    )
    attachment = DestinationAttachment.objects.create(
        tenant=tenant, destination=destination, connector=connector, table_name=f"{marker}_table"
    )
    load = DestinationLoad.objects.create(
        tenant=tenant,
        destination=destination,
        connector=connector,
        status=LoadStatus.FAILED,
        error_message=f"{marker} load failed",
    )
    return TenantGraph(
        tenant,
        admin,
        member,
        connector,
        sync_log,
        failed_log,
        event,
        record,
        record_error,
        invitation,
        destination,
        attachment,
        load,
    )


#: Path parameter -> the model whose id it takes; ``None``: the model of the route's viewset.
PARAM_MODELS = {
    "pk": None,
    "id": None,
    "connector_pk": CustomDataConnector,
    "connector_id": CustomDataConnector,
    "sync_log_pk": SyncLog,
    "sync_log_id": SyncLog,
    "log_pk": SyncLog,
    "log_id": SyncLog,
    "record_pk": SyncedRecord,
    "record_id": SyncedRecord,
    "error_pk": SyncRecordError,
    "error_id": SyncRecordError,
    "member_pk": Membership,
    "membership_pk": Membership,
}


def model_of_param(route, param):
    if param not in PARAM_MODELS:
        raise AssertionError(
            f"{route.pattern}: the isolation test does not know which object id to put in "
            f"{{{param}}}; add {param!r} to PARAM_MODELS"
        )
    model = PARAM_MODELS[param] or route.model
    if model is None:
        raise AssertionError(
            f"{route.pattern}: cannot tell the model of {{{param}}} (no queryset on the view)"
        )
    return model


def ids_for(route, graph):
    return {param: graph.object_for(model_of_param(route, param)).pk for param in route.params}


#: How to find one tenant's rows of each model (a queryset filter), or None for data that is global.
TENANT_ROWS = {
    Tenant: lambda t: Q(pk=t.pk),
    User: lambda t: Q(memberships__tenant=t),
    Membership: lambda t: Q(tenant=t),
    Invitation: lambda t: Q(tenant=t),
    CustomDataConnector: lambda t: Q(tenant=t),
    SyncLog: lambda t: Q(tenant=t),
    SyncLogEvent: lambda t: Q(sync_log__tenant=t),
    SyncedRecord: lambda t: Q(tenant=t),
    SyncRecordError: lambda t: Q(tenant=t),
    ConnectorSchema: lambda t: Q(connector__tenant=t),
    RecordChangeCounter: lambda t: Q(connector__tenant=t),
    Destination: lambda t: Q(tenant=t),
    DestinationAttachment: lambda t: Q(tenant=t),
    DestinationLoad: lambda t: Q(tenant=t),
}


def own_models():
    return [m for m in apps.get_models() if m._meta.app_label in OWN_APPS]


def all_tables_checksum() -> dict[str, str]:
    """Row count and a digest of every row of every MigrateIQ table (and the token blacklist)."""
    models = own_models() + [
        m for m in apps.get_models() if m._meta.app_label in ("token_blacklist", "auth", "admin")
    ]
    return {m._meta.label: _digest(m.objects.order_by("pk")) for m in models}


def tenant_checksum(tenant: Tenant) -> dict[str, str]:
    """A digest of one tenant's rows of every model: proves nothing of that tenant changed."""
    return {
        model._meta.label: _digest(model.objects.filter(rows(tenant)).distinct().order_by("pk"))
        for model, rows in TENANT_ROWS.items()
    }


def _digest(queryset) -> str:
    rows = list(queryset.values())
    blob = json.dumps(rows, sort_keys=True, default=str).encode()
    return f"{len(rows)}:{hashlib.sha256(blob).hexdigest()}"
