"""Deleting a connector while its sync writes: PostgreSQL checks foreign keys at commit, so a row the
sync committed after the delete collected the connector's rows made the whole delete fail (a 500)."""

import threading
from contextlib import contextmanager

import pytest
from django.db import connection, connections
from django.db.models.signals import post_delete
from django.utils import timezone

from demo_extension.models import CustomDataConnector, SyncedRecord, SyncLog, SyncStatus
from sync_engine.models import SyncLogEvent

URL = "/api/demo-extension/connectors/"
ADMIN = "/admin/demo_extension/customdataconnector/"


def _a_page_committed_elsewhere(connector_id: int, tenant_id: int, external_id: str) -> None:
    """What a running sync's page commit does, from its own connection (another thread)."""

    def commit():
        try:
            now = timezone.now()
            SyncedRecord.objects.create(
                tenant_id=tenant_id,
                connector_id=connector_id,
                external_id=external_id,
                data={"id": external_id},
                checksum="0",
                first_synced_at=now,
                last_synced_at=now,
            )
        finally:
            connections.close_all()

    thread = threading.Thread(target=commit)
    thread.start()
    thread.join(10)


@contextmanager
def _a_sync_writing_while_deleted(connector, *, pages: int | None = 1):
    """While the block deletes ``connector``, its sync commits a page each time the delete has
    collected the connector's records and deleted its runs (the connector's own row goes next,
    before the delete commits): ``pages`` times, or at every attempt (``None``: it never stops).
    Yields the list of the pages written."""
    written: list[str] = []

    def page_committed_meanwhile(sender, instance, **kwargs):
        if pages is None or len(written) < pages:
            written.append(f"written-{len(written)}")
            _a_page_committed_elsewhere(connector.pk, connector.tenant_id, written[-1])

    post_delete.connect(page_committed_meanwhile, sender=SyncLog)
    try:
        yield written
    finally:
        post_delete.disconnect(page_committed_meanwhile, sender=SyncLog)


def _deleted_with_every_row(connector, running) -> bool:
    return not (
        CustomDataConnector.objects.unscoped("test: every tenant").filter(pk=connector.pk).exists()
        or SyncedRecord.objects.filter(connector_id=connector.pk).exists()
        or SyncLog.objects.filter(pk=running.pk).exists()
    )


def _running_sync(connector):
    return SyncLog.objects.create(tenant=connector.tenant, connector=connector, status=SyncStatus.RUNNING)


@pytest.mark.postgresql_only  # SQLite runs one write transaction at a time: no interleaving (conftest.py)
@pytest.mark.django_db(transaction=True)
def test_a_connector_deleted_while_its_sync_commits_a_page_is_deleted_with_that_page(
    admin_client, make_connector
):
    connector = make_connector()
    running = _running_sync(connector)

    with _a_sync_writing_while_deleted(connector) as written:
        response = admin_client.delete(f"{URL}{connector.pk}/")

    assert written
    assert response.status_code == 204, response.content
    assert _deleted_with_every_row(connector, running)


@pytest.mark.postgresql_only
@pytest.mark.django_db(transaction=True)
def test_a_connector_whose_sync_keeps_writing_is_a_409_and_stays_whole(admin_client, make_connector):
    connector = make_connector()
    running = _running_sync(connector)
    SyncLogEvent.objects.create(sync_log=running, message="page 1")

    with _a_sync_writing_while_deleted(connector, pages=None) as written:
        response = admin_client.delete(f"{URL}{connector.pk}/")

    assert response.status_code == 409, response.content
    assert "delete the connector again in a few seconds" in response.json()["detail"]
    assert len(written) == 4  # tried four times
    assert CustomDataConnector.objects.unscoped("test: every tenant").filter(pk=connector.pk).exists()
    running.refresh_from_db()
    assert running.cancel_requested  # asked to stop
    assert SyncLogEvent.objects.filter(sync_log=running, message="page 1").exists()
    assert SyncedRecord.objects.filter(connector_id=connector.pk).count() == 4
    assert connection.vendor == "postgresql"


def _deleted_in_the_admin(operator, connector, how: str):
    """Confirm the admin's delete page of ``connector`` (``how="page"``) or its "delete selected"
    action on the list (``how="action"``), as the browser posts them."""
    if how == "page":
        return operator.post(f"{ADMIN}{connector.pk}/delete/", {"post": "yes"})
    return operator.post(
        ADMIN, {"action": "delete_selected", "_selected_action": [connector.pk], "post": "yes"}
    )


@pytest.mark.postgresql_only
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("how", ["page", "action"])
def test_a_connector_deleted_in_the_admin_while_its_sync_commits_a_page_is_deleted_with_that_page(
    operator, make_connector, how
):
    # before: the delete page committed the delete after its own transaction ended (a 500, nothing
    # deleted); the list's action deleted the queryset without the service (no retry: a 500 too)
    connector = make_connector()
    running = _running_sync(connector)

    with _a_sync_writing_while_deleted(connector) as written:
        response = _deleted_in_the_admin(operator, connector, how)

    assert written
    assert response.status_code == 302, response.content.decode()[:2000]
    assert response["Location"] == ADMIN
    assert _deleted_with_every_row(connector, running)
    said = "was deleted successfully" if how == "page" else "Successfully deleted 1 custom data connector."
    assert said in operator.get(ADMIN).content.decode()


@pytest.mark.postgresql_only
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("how", ["page", "action"])
def test_a_connector_whose_sync_keeps_writing_stays_whole_in_the_admin_with_a_message(
    operator, make_connector, how
):
    connector = make_connector(name="Busy CRM")
    running = _running_sync(connector)

    with _a_sync_writing_while_deleted(connector, pages=None) as written:
        response = _deleted_in_the_admin(operator, connector, how)

    assert response.status_code == 302, response.content.decode()[:2000]
    assert len(written) == 4
    assert CustomDataConnector.objects.unscoped("test: every tenant").filter(pk=connector.pk).exists()
    running.refresh_from_db()
    assert running.cancel_requested
    shown = operator.get(response["Location"]).content.decode()
    assert "Busy CRM: The connector was not deleted" in shown
    assert "delete the connector again in a few seconds" in shown
    assert "deleted successfully" not in shown and "Successfully deleted" not in shown
