"""The inferred schema keeps each field's ``position``: the order in which the records first showed
it, the upstream's own order, which the stored records lose (their keys are sorted). The web UI's
records table shows its columns in that order instead of the alphabetical one."""

import pytest

from demo_extension.models import ConnectorSchema, SyncStatus
from demo_extension.tests.sync_support import (  # noqa: F401
    fault_server,
    fault_server_process,
    page_numbered_connector,
    run_sync,
    serve_pages,
)
from sync_engine.schema_backfill import rebuild_schema

pytestmark = pytest.mark.django_db(transaction=True)

CONNECTORS = "/api/demo-extension/connectors/"

USERS = [
    {
        "id": 1,
        "name": "Ada",
        "email": "ada@example.com",
        "address": {"zip": "1000", "city": "Lisbon"},
        "created_at": "2024-01-01T00:00:00Z",
    },
    {"id": 2, "name": "Bob", "email": "bob@example.com", "address": {"zip": "2000", "city": "Porto"}},
]
UPSTREAM_ORDER = ["id", "name", "email", "address", "address.zip", "address.city", "created_at"]


def in_first_seen_order(client, connector) -> list[str]:
    response = client.get(f"{CONNECTORS}{connector.pk}/schema/")
    assert response.status_code == 200, response.content
    fields = response.json()["fields"]
    return [field["path"] for field in sorted(fields, key=lambda field: field["position"])]


@pytest.fixture
def users_connector(fault_server, make_connector):  # noqa: F811
    serve_pages(fault_server, {"1": USERS})
    connector = page_numbered_connector(make_connector, fault_server)
    assert run_sync(connector).status == SyncStatus.SUCCESS
    return connector


def test_the_schema_gives_the_fields_in_the_order_the_upstream_sent_them(users_connector, viewer_client):
    response = viewer_client.get(f"{CONNECTORS}{users_connector.pk}/schema/")

    paths = [field["path"] for field in response.json()["fields"]]
    assert paths == sorted(paths)  # the list itself stays in path order (the export's columns)
    assert in_first_seen_order(viewer_client, users_connector) == UPSTREAM_ORDER


def test_a_field_a_later_sync_finds_comes_after_the_known_ones(users_connector, fault_server, viewer_client):  # noqa: F811
    serve_pages(fault_server, {"1": [{"age": 30, **USERS[0]}]})

    assert run_sync(users_connector).status == SyncStatus.SUCCESS

    assert in_first_seen_order(viewer_client, users_connector) == [*UPSTREAM_ORDER, "age"]


def test_a_schema_rebuilt_from_the_sorted_stored_records_keeps_the_upstream_order(
    users_connector, viewer_client
):
    rebuild_schema(users_connector.pk)

    assert in_first_seen_order(viewer_client, users_connector) == UPSTREAM_ORDER


def forget_positions(connector) -> None:
    """What the schema of a connector synced before positions were kept looks like."""
    schema = ConnectorSchema.objects.get(connector_id=connector.pk)
    for entry in schema.fields["fields"]:
        del entry["position"]
    schema.save()


def test_a_schema_stored_without_positions_reads_in_path_order(users_connector, viewer_client):
    forget_positions(users_connector)

    assert in_first_seen_order(viewer_client, users_connector) == sorted(UPSTREAM_ORDER)


def test_the_next_sync_of_a_schema_stored_without_positions_learns_the_upstream_order(
    users_connector,
    fault_server,  # noqa: F811
    viewer_client,
):
    forget_positions(users_connector)
    serve_pages(fault_server, {"1": USERS[1:]})  # no created_at: it comes after what the page shows

    assert run_sync(users_connector).status == SyncStatus.SUCCESS

    assert in_first_seen_order(viewer_client, users_connector) == [
        "id",
        "name",
        "email",
        "address",
        "address.zip",
        "address.city",
        "created_at",
    ]
