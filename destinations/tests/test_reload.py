"""Starting over: a table or column dropped outside MigrateIQ is created again and reloaded, a full
reload on demand (rows of records the connector no longer has removed), and what the attachment
says about its loads and columns."""

from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from destinations.models import DeletedRows, DestinationAttachment, DestinationLoad, LoadStatus
from destinations.tests.conftest import query, store
from destinations.tests.test_postgres_loads import run_load
from sync_engine.models import SyncedRecord

pytestmark = pytest.mark.django_db

URL = "/api/destinations/"


def messages(load) -> list[str]:
    return [event["message"] for event in load.events]


def test_a_table_dropped_outside_is_created_again_with_every_record(attached, pg_database):
    destination, connector, attachment = attached
    store(connector, [{"id": 1, "name": "a"}, {"id": 2, "name": "b"}])
    assert run_load(attachment).rows_upserted == 2
    query(pg_database, "DROP TABLE analytics.users")

    load = run_load(attachment)

    assert load.status == LoadStatus.SUCCESS, load.error_message
    assert load.rows_upserted == 2 and load.from_seq == 0
    assert query(pg_database, "SELECT id, name FROM analytics.users ORDER BY id") == [(1, "a"), (2, "b")]
    assert any(
        "The table analytics.users is missing (dropped outside MigrateIQ?)" in message
        for message in messages(load)
    )
    assert query(pg_database, "SELECT high_water FROM analytics._migrateiq_state") == [(load.to_seq,)]


def test_a_column_dropped_outside_is_added_again_and_filled(attached, pg_database):
    destination, connector, attachment = attached
    store(connector, [{"id": 1, "name": "a"}, {"id": 2, "name": "b"}])
    run_load(attachment)
    query(pg_database, "ALTER TABLE analytics.users DROP COLUMN name")

    load = run_load(attachment)

    assert load.status == LoadStatus.SUCCESS, load.error_message
    assert query(pg_database, "SELECT id, name FROM analytics.users ORDER BY id") == [(1, "a"), (2, "b")]
    assert any("lacks the column name (dropped outside MigrateIQ?)" in m for m in messages(load))


def test_a_table_without_migrateiqs_own_columns_is_a_clear_failed_load(attached, pg_database):
    destination, connector, attachment = attached
    store(connector, [{"id": 1}])
    run_load(attachment)
    query(pg_database, "ALTER TABLE analytics.users DROP COLUMN _migrateiq_change_seq")
    store(connector, [{"id": 2}])

    load = run_load(attachment)

    assert load.status == LoadStatus.FAILED
    assert load.error_message.startswith(
        "The table analytics.users has no column _migrateiq_change_seq (dropped outside MigrateIQ?)"
    ), load.error_message


@pytest.mark.parametrize("mode", [DeletedRows.DELETE, DeletedRows.SOFT])
def test_a_full_reload_makes_the_table_the_connectors_records(attached, pg_database, mode):
    destination, connector, attachment = attached
    destination.deleted_rows = mode
    destination.save()
    store(connector, [{"id": 1, "name": "a"}, {"id": 2, "name": "b"}, {"id": 3, "name": "c"}])
    run_load(attachment)
    record = SyncedRecord.objects.get(connector=connector, external_id="3")
    SyncedRecord.objects.filter(pk=record.pk).update(deleted_at=timezone.now(), change_seq=10_000)
    run_load(attachment)
    # changed outside: a row edited, one deleted, one added that no record has
    query(pg_database, "UPDATE analytics.users SET name = 'edited' WHERE id = 1")
    query(pg_database, "DELETE FROM analytics.users WHERE id = 2")
    query(
        pg_database,
        "INSERT INTO analytics.users (_migrateiq_record_id, _migrateiq_change_seq, id, name) "
        "VALUES ('99', 1, 99, 'stray')",
    )
    assert run_load(attachment).rows_upserted == 0  # an ordinary load sees no change

    load = run_load(attachment, full_reload=True)

    assert load.status == LoadStatus.SUCCESS and load.full_reload, load.error_message
    assert load.from_seq == 0 and load.rows_upserted == 2
    found = query(pg_database, "SELECT id, name, _deleted_at IS NOT NULL FROM analytics.users ORDER BY id")
    if mode == DeletedRows.DELETE:
        assert found == [(1, "a", False), (2, "b", False)]
        assert load.rows_deleted == 1  # the stray row (the deleted record had no row any more)
        assert any("Deleted 1 row of analytics.users whose records" in m for m in messages(load))
    else:
        assert found == [(1, "a", False), (2, "b", False), (3, "c", True), (99, "stray", True)]
        assert any("Marked deleted 1 row of analytics.users" in m for m in messages(load))
    assert any(m.startswith("Reloading every record from the start") for m in messages(load))


def test_full_reload_through_the_api(
    settings, editor_client, attached, pg_database, django_capture_on_commit_callbacks
):
    settings.MIGRATEIQ_SYNC_RUNNER = "inline"
    destination, connector, attachment = attached
    store(connector, [{"id": 1, "name": "a"}])
    run_load(attachment)
    query(pg_database, "UPDATE analytics.users SET name = 'edited'")

    with django_capture_on_commit_callbacks(execute=True):
        response = editor_client.post(
            f"{URL}{destination.pk}/load/", {"connector": connector.pk, "full_reload": True}, format="json"
        )

    assert response.status_code == 202, response.content
    assert response.json()["loads"][0]["full_reload"] is True
    history = editor_client.get(f"{URL}{destination.pk}/loads/").json()["results"]
    assert history[0]["full_reload"] is True and history[0]["status"] == "SUCCESS", history[0]
    assert history[1]["full_reload"] is False
    assert query(pg_database, "SELECT name FROM analytics.users") == [("a",)]
    refused = editor_client.post(
        f"{URL}{destination.pk}/load/", {"connector": connector.pk, "full_reload": "yes"}, format="json"
    )
    assert refused.status_code == 400 and "full_reload" in refused.json()["errors"], refused.content


def test_the_command_reloads_everything_when_asked(attached, pg_database):
    destination, connector, attachment = attached
    store(connector, [{"id": 1, "name": "a"}])
    run_load(attachment)
    query(pg_database, "UPDATE analytics.users SET name = 'edited'")

    call_command("load_destination", destination.pk, connector.pk, "--full-reload", stdout=StringIO())

    assert DestinationLoad.objects.filter(connector=connector).latest("created_at").full_reload is True
    assert query(pg_database, "SELECT name FROM analytics.users") == [("a",)]


def test_a_load_with_nothing_new_sets_last_load_at_to_its_end(editor_client, attached):
    destination, connector, attachment = attached

    load = run_load(attachment)  # no record yet: nothing to load

    assert load.status == LoadStatus.SUCCESS and load.rows_upserted == 0
    shown = editor_client.get(f"{URL}{destination.pk}/").json()["attachments"][0]
    assert shown["last_load"]["id"] == load.pk
    assert shown["last_load_at"] is not None
    assert shown["last_load_at"] == shown["last_load"]["finished_at"]

    store(connector, [{"id": 1}])
    load = run_load(attachment)
    shown = editor_client.get(f"{URL}{destination.pk}/").json()["attachments"][0]
    assert shown["last_load_at"] == shown["last_load"]["finished_at"]
    assert DestinationAttachment.objects.get(pk=attachment.pk).last_load_at == load.finished_at


def test_the_attachment_shows_which_field_went_to_which_column(editor_client, attached):
    destination, connector, attachment = attached
    before = editor_client.get(f"{URL}{destination.pk}/").json()["attachments"][0]
    assert before["columns"] == []
    store(connector, [{"id": 1, "company": {"catchPhrase": "x"}, "userId": 2, "user_id": 3}])

    run_load(attachment)

    columns = editor_client.get(f"{URL}{destination.pk}/").json()["attachments"][0]["columns"]
    by_field = {column["field"]: column["column"] for column in columns}
    assert by_field["company.catchPhrase"] == "company__catch_phrase"
    assert by_field["id"] == "id" and by_field["user_id"] == "user_id"
    assert by_field["userId"].startswith("user_id_") and len(by_field) == 4


def test_a_taken_table_name_and_an_attached_connector_are_told_apart(
    editor_client, make_destination, make_connector
):
    destination = make_destination()
    first, second = make_connector(name="First"), make_connector(name="Second")
    attach = f"{URL}{destination.pk}/attach/"
    assert (
        editor_client.post(attach, {"connector": first.pk, "table_name": "people"}, format="json").status_code
        == 201
    )

    taken = editor_client.post(attach, {"connector": second.pk, "table_name": "people"}, format="json")
    again = editor_client.post(attach, {"connector": first.pk, "table_name": "others"}, format="json")

    assert taken.status_code == 400, taken.content
    assert taken.json()["errors"] == {
        "table_name": [
            f"The table people is already loaded from connector {first.pk} in this destination; "
            "choose another table_name."
        ]
    }
    assert again.status_code == 400, again.content
    assert again.json()["errors"] == {
        "connector": [
            f"Connector {first.pk} is already attached to this destination "
            "(detach it first to load it into another table)."
        ]
    }


def test_a_reload_that_failed_part_way_is_finished_by_the_next_load(
    settings, editor_client, attached, pg_database
):
    settings.MIGRATEIQ_DESTINATION_BATCH_SIZE = 1
    destination, connector, attachment = attached
    store(connector, [{"id": 1, "name": "a"}, {"id": 2, "name": "b"}])
    run_load(attachment)
    query(
        pg_database,
        "INSERT INTO analytics.users (_migrateiq_record_id, _migrateiq_change_seq, id, name) "
        "VALUES ('99', 1, 99, 'stray')",
    )
    # The destination refuses the second record's row for a while: the reload stops after the first.
    query(pg_database, "ALTER TABLE analytics.users ADD CONSTRAINT not_b CHECK (name <> 'b') NOT VALID")

    failed = run_load(attachment, full_reload=True)

    assert failed.status == LoadStatus.FAILED and failed.rows_upserted == 1, failed.error_message
    attachment.refresh_from_db()
    assert attachment.reload_pending is True
    answer = editor_client.get(f"{URL}{destination.pk}/").json()
    assert answer["attachments"][0]["reload_pending"] is True, answer
    assert query(pg_database, "SELECT count(*) FROM analytics.users WHERE id = 99") == [(1,)]
    query(pg_database, "ALTER TABLE analytics.users DROP CONSTRAINT not_b")

    load = run_load(attachment)  # an ordinary load

    assert load.status == LoadStatus.SUCCESS and not load.full_reload, load.error_message
    assert query(pg_database, "SELECT id, name FROM analytics.users ORDER BY id") == [(1, "a"), (2, "b")]
    assert any(
        m.startswith("Going on with the reload an earlier load did not finish") for m in messages(load)
    )
    assert any("Deleted 1 row of analytics.users whose records" in m for m in messages(load))
    attachment.refresh_from_db()
    assert attachment.reload_pending is False
    assert run_load(attachment).rows_deleted == 0  # the next one is ordinary again
    assert not any(
        "Going on with the reload" in m
        for m in messages(DestinationLoad.objects.filter(connector=connector).latest("pk"))
    )
