"""What the platform's route-walk tests need to know about the connectors module.

Declared by ``DemoExtensionConfig.platform_test_fixtures`` and read by ``tenancy/tests/seed.py``
(isolation, role matrix, contract fuzzing, body and page-size limits), which documents each name.
"""

from django.db.models import Q

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
from tenancy.models import Role

CONNECTORS = "api/demo-extension/connectors/"
SYNC_LOGS = "api/demo-extension/sync-logs/"


def seed(tenant, marker: str, now) -> dict:
    """One object of each of the module's tenant-owned kinds in ``tenant``, ``marker`` in every text."""
    connector = CustomDataConnector.objects.create(
        tenant=tenant,
        name=f"{marker} connector",
        api_endpoint="http://127.0.0.1:9/users",
        api_key=f"{marker}-api-key-0000",
        api_key_last4="0000",
        sync_frequency="MANUAL",
    )
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
    ConnectorSchema.objects.create(
        connector=connector, fields={"fields": [{"path": [marker], "types": ["string"]}]}
    )
    RecordChangeCounter.objects.create(connector=connector, last_seq=1)
    return {
        "connector": connector,
        "sync_log": sync_log,
        "failed_log": failed_log,
        "event": event,
        "record": record,
        "record_error": record_error,
    }


TENANT_ROWS = {
    CustomDataConnector: lambda t: Q(tenant=t),
    SyncLog: lambda t: Q(tenant=t),
    SyncLogEvent: lambda t: Q(sync_log__tenant=t),
    SyncedRecord: lambda t: Q(tenant=t),
    SyncRecordError: lambda t: Q(tenant=t),
    ConnectorSchema: lambda t: Q(connector__tenant=t),
    RecordChangeCounter: lambda t: Q(connector__tenant=t),
}

PARAM_MODELS = {
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
}

MINIMUM_ROLE = {
    (CONNECTORS, "GET"): Role.VIEWER,
    (CONNECTORS, "POST"): Role.EDITOR,
    (CONNECTORS + "stats/", "GET"): Role.VIEWER,
    (CONNECTORS + "stats/history/", "GET"): Role.VIEWER,
    (CONNECTORS + "{pk}/", "GET"): Role.VIEWER,
    (CONNECTORS + "{pk}/", "PUT"): Role.EDITOR,
    (CONNECTORS + "{pk}/", "PATCH"): Role.EDITOR,
    (CONNECTORS + "{pk}/", "DELETE"): Role.ADMIN,
    (CONNECTORS + "{pk}/records/", "GET"): Role.VIEWER,
    (CONNECTORS + "{pk}/sync_history/", "GET"): Role.VIEWER,
    (CONNECTORS + "{pk}/test_connection/", "POST"): Role.EDITOR,
    (CONNECTORS + "preview/", "POST"): Role.EDITOR,
    (CONNECTORS + "{pk}/preview/", "POST"): Role.EDITOR,
    (CONNECTORS + "{pk}/sync_data/", "POST"): Role.EDITOR,
    (CONNECTORS + "{pk}/export/", "GET"): Role.VIEWER,
    (CONNECTORS + "{pk}/changes/", "GET"): Role.VIEWER,
    (CONNECTORS + "{pk}/schema/", "GET"): Role.VIEWER,
    (CONNECTORS + "{pk}/schema/profile/", "GET"): Role.VIEWER,
    (SYNC_LOGS, "GET"): Role.VIEWER,
    (SYNC_LOGS + "{pk}/", "GET"): Role.VIEWER,
    (SYNC_LOGS + "{pk}/errors/", "GET"): Role.VIEWER,
    (SYNC_LOGS + "{pk}/events/", "GET"): Role.VIEWER,
    (SYNC_LOGS + "{pk}/cancel/", "POST"): Role.EDITOR,
    (SYNC_LOGS + "{pk}/resume/", "POST"): Role.EDITOR,
}

BODIES = {
    (CONNECTORS, "POST"): {"name": "new connector", "api_endpoint": "http://127.0.0.1:9/users"},
    (CONNECTORS + "{pk}/", "PUT"): {"name": "replaced", "api_endpoint": "http://127.0.0.1:9/users"},
    (CONNECTORS + "{pk}/", "PATCH"): {"name": "renamed"},
    (CONNECTORS + "preview/", "POST"): {"api_endpoint": "http://127.0.0.1:9/users"},
}

COMPUTED_ANSWERS = {
    CONNECTORS + "preview/": "previews an unsaved configuration; nothing is stored",
}

EXPECTED_ROUTES = {CONNECTORS + "{pk}/", SYNC_LOGS + "{pk}/"}

#: Operations whose bodies the engine's own validators check beyond what OpenAPI can state.
SCHEMA_RULES_BEYOND_OPENAPI = {"/" + CONNECTORS, "/" + CONNECTORS + "{id}/"}


def isolation_body(graph) -> dict:
    return {
        "connector": graph.connector.pk,
        "connector_id": graph.connector.pk,
        "sync_log": graph.sync_log.pk,
        "api_endpoint": "http://127.0.0.1:9/other",
    }


def isolation_queries(graph, marker: str) -> dict:
    return {
        "connector": graph.connector.pk,
        "connector_id": graph.connector.pk,
        "sync": graph.sync_log.pk,
        "sync_log": graph.sync_log.pk,
        "external_id": f"{marker}-1",
    }


def many_rows(tenant, graph, n: int) -> None:
    """More than ``n`` rows of every kind the module lists, in ``tenant``."""
    CustomDataConnector.objects.bulk_create(
        CustomDataConnector(tenant=tenant, name=f"bulk {i}", api_endpoint="http://127.0.0.1:9/")
        for i in range(n)
    )
    SyncLog.objects.bulk_create(
        SyncLog(tenant=tenant, connector=graph.connector, status="SUCCESS") for _ in range(n)
    )
    SyncLogEvent.objects.bulk_create(
        SyncLogEvent(sync_log=graph.sync_log, message=f"line {i}") for i in range(n)
    )
    now = graph.record.first_synced_at
    SyncedRecord.objects.bulk_create(
        SyncedRecord(
            tenant=tenant,
            connector=graph.connector,
            external_id=f"bulk-{i}",
            data={},
            checksum="0",
            first_synced_at=now,
            last_synced_at=now,
            last_sync_log=graph.sync_log,
        )
        for i in range(n)
    )
    SyncRecordError.objects.bulk_create(
        SyncRecordError(
            tenant=tenant, sync_log=graph.sync_log, connector=graph.connector, raw_payload={}, error="e"
        )
        for _ in range(n)
    )
