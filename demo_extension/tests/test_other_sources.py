"""A connector read by another module's source (``source_type`` other than "rest") through the
connectors API: the connection test shows what its source's ``check()`` says."""

from datetime import UTC, time
from types import SimpleNamespace

import pytest
from django.core.exceptions import ValidationError

from audit.models import AuditEvent
from demo_extension.services.connectors import create_connector
from sync_engine.runs import connector_model
from sync_engine.sources import register_source, unregister_source

CONNECTORS = "/api/demo-extension/connectors/"


class PlainCheckSource:
    """A source whose ``check()`` returns a plain object with ``connected`` and ``message`` only (what
    docs/extensions.md asks for, and what ``startextension --source`` generates)."""

    def __init__(self, connector):
        self.connector = connector

    def check(self):
        return SimpleNamespace(connected=True, message="3 items to read")


@pytest.fixture
def plain_source():
    register_source("plain")(PlainCheckSource)
    yield PlainCheckSource
    unregister_source("plain")


@pytest.fixture
def plain_connector(tenant_a, plain_source):
    return connector_model().objects.create(
        tenant=tenant_a, name="Module source", source_type="plain", api_endpoint="http://127.0.0.1:9/items"
    )


def test_the_connection_test_shows_a_plain_check_result(editor_client, plain_connector):
    response = editor_client.post(f"{CONNECTORS}{plain_connector.pk}/test_connection/")

    assert response.status_code == 200, response.content
    assert response.json() == {
        "connected": True,
        "message": "3 items to read",
        "response_time_ms": None,
        "endpoint": "http://127.0.0.1:9/items",
        "status_code": None,
        "tested": True,
        "retry_after": None,
    }


def test_the_connector_says_which_source_reads_it(viewer_client, plain_connector):
    response = viewer_client.get(f"{CONNECTORS}{plain_connector.pk}/")

    assert response.json()["source_type"] == "plain"


def test_a_rest_connector_is_read_by_the_rest_source(viewer_client, tenant_a):
    connector = connector_model().objects.create(
        tenant=tenant_a, name="REST", api_endpoint="http://127.0.0.1:9/users"
    )

    assert viewer_client.get(f"{CONNECTORS}{connector.pk}/").json()["source_type"] == "rest"


def test_the_source_type_is_read_only_in_the_api(editor_client, plain_connector):
    url = f"{CONNECTORS}{plain_connector.pk}/"

    response = editor_client.patch(url, {"source_type": "rest", "name": "Renamed"}, format="json")

    assert response.status_code == 200, response.content
    assert response.json()["source_type"] == "plain"
    plain_connector.refresh_from_db()
    assert plain_connector.source_type == "plain"


def test_a_preview_of_another_sources_connector_says_it_reads_rest_connectors_only(
    editor_client, plain_connector
):
    response = editor_client.post(f"{CONNECTORS}{plain_connector.pk}/preview/", {}, format="json")

    assert response.status_code == 200, response.content
    assert response.json()["ok"] is False
    assert response.json()["error"] == (
        "The preview reads REST connectors only; this connector is read by the 'plain' source "
        "(test its connection or sync it instead)."
    )
    assert response.json()["pages_fetched"] == 0


# -- a module creates its connectors through the connectors module's service ------------------------


def test_a_module_creates_a_connector_as_the_api_would_with_its_audit_record_and_schedule(
    tenant_a, editor_user, plain_source, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        connector = create_connector(
            tenant_a, name="Nightly file", source_type="plain", actor=editor_user, sync_frequency="DAILY"
        )

    assert connector.source_type == "plain" and connector.tenant_id == tenant_a.pk
    assert connector.next_sync_at is not None  # scheduled like one created through the API
    event = AuditEvent.objects.for_tenant(tenant_a).get(action="connector.created", target_id=connector.pk)
    assert event.actor_id == editor_user.pk
    assert event.fields == ["name", "source_type", "sync_frequency"]


def test_a_module_creates_an_anchored_connector_and_gets_the_api_s_anchor_rules(tenant_a, plain_source):
    connector = create_connector(
        tenant_a, name="At two", source_type="plain", sync_frequency="DAILY", sync_time=time(2, 0)
    )
    with pytest.raises(ValidationError) as weekday:
        create_connector(
            tenant_a, name="Daily Monday", source_type="plain", sync_time=time(2, 0), sync_weekday=0
        )

    due = connector.next_sync_at.astimezone(UTC)
    assert (due.hour, due.minute, due.second) == (2, 0, 0)
    assert weekday.value.message_dict["sync_weekday"] == [
        "sync_weekday applies to sync_frequency WEEKLY only, not DAILY: send null."
    ]
    assert connector_model().objects.for_tenant(tenant_a).count() == 1


def test_a_module_creating_a_connector_gets_field_errors_instead_of_a_database_error(tenant_a, plain_source):
    create_connector(tenant_a, name="Taken", source_type="plain")

    with pytest.raises(ValidationError) as taken:
        create_connector(tenant_a, name="Taken", source_type="plain")
    with pytest.raises(ValidationError) as denied:
        create_connector(
            tenant_a, name="Metadata", source_type="plain", api_endpoint="http://169.254.169.254/x"
        )

    assert "already exists" in taken.value.message_dict["name"][0]
    assert "api_endpoint" in denied.value.message_dict
    assert connector_model().objects.for_tenant(tenant_a).count() == 1
