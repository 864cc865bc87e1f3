"""An attachment's column naming convention: snake_case for new attachments (columns queried
without quotes), as_is for the ones made before (their tables never change), clashes after
normalisation kept apart and named in the load's log, and no change once names were given."""

import pytest
from django.test import Client

from destinations.models import ColumnNames, DestinationAttachment, LoadStatus
from destinations.services import attachments, loads
from destinations.services.naming import snake_case
from destinations.tests.conftest import query, store
from destinations.tests.test_load_batches import ChangingSource

pytestmark = pytest.mark.django_db

URL = "/api/destinations/"

BEFORE = [("destinations", "0002_names_refuse_control_characters")]
AFTER = [("destinations", "0003_attachment_column_names")]

RECORD = {
    "id": 1,
    "firstName": "Ann",
    "company": {"catchPhrase": "Synergy", "HTTPServer": "nginx"},
    "2fa enabled": True,
    "e-mail": "ann@example.com",
}


def run_load(attachment):
    return loads.execute_load(loads.start_load(attachment, queue=False).pk)


def column_names(database, table="users") -> set[str]:
    found = query(
        database,
        "SELECT column_name FROM information_schema.columns WHERE table_schema = 'analytics' "
        "AND table_name = %s",
        [table],
    )
    return {name for (name,) in found}


@pytest.mark.parametrize(
    ("parts", "name"),
    [
        (["company", "catchPhrase"], "company__catch_phrase"),
        (["userId"], "user_id"),
        (["HTTPServer"], "http_server"),
        (["getHTTPResponseCode"], "get_http_response_code"),
        (["user2Id"], "user2_id"),
        (["2fa enabled"], "_2fa_enabled"),
        (["e-mail", "Home Address"], "e_mail__home_address"),
        (["a__b"], "a_b"),
        (["_id"], "_id"),
        (["id_"], "idx"),
        (["💥"], "x"),
        (["a", ""], "a__x"),
        (["already_snake"], "already_snake"),
    ],
)
def test_snake_case_names_as_dlt_does(parts, name):
    assert snake_case(parts) == name


@pytest.mark.parametrize(
    ("sent", "convention", "select"),
    [
        # a new attachment's default: names queried without quotes
        (
            {},
            "snake_case",
            "SELECT first_name, company__catch_phrase, company__http_server, _2fa_enabled, e_mail",
        ),
        # the keys as they are, quoted
        (
            {"column_names": "as_is"},
            "as_is",
            'SELECT "firstName", "company__catchPhrase", "company__HTTPServer", "2fa enabled", "e-mail"',
        ),
    ],
)
def test_an_attachment_names_its_columns_by_its_convention(
    sent, convention, select, editor_client, pg_allowed, make_destination, make_connector, pg_database
):
    destination = make_destination()
    connector = make_connector(name="Users")
    store(connector, [RECORD])

    attached = editor_client.post(
        f"{URL}{destination.pk}/attach/", {"connector": connector.pk, **sent}, format="json"
    )
    assert attached.status_code == 201, attached.content
    assert attached.json()["column_names"] == convention
    load = run_load(DestinationAttachment.objects.get(pk=attached.json()["id"]))

    assert load.status == LoadStatus.SUCCESS, load.error_message
    assert column_names(pg_database) == {
        *(name.strip('"') for name in select.removeprefix("SELECT ").split(", ")),
        "id",
        "_migrateiq_record_id",
        "_migrateiq_change_seq",
        "_migrateiq_synced_at",
        "_deleted_at",
    }
    assert query(pg_database, f"{select} FROM analytics.users") == [  # noqa: S608
        ("Ann", "Synergy", "nginx", True, "ann@example.com")
    ]


def test_fields_that_normalise_alike_get_distinct_columns_and_the_log_says_which(
    pg_allowed, make_destination, make_connector, pg_database
):
    destination = make_destination()
    connector = make_connector(name="Users")
    store(connector, [{"id": 1, "userId": "camel", "user_id": "snake", "user-id": "dash"}])
    attachment = attachments.attach(destination, connector.pk)

    load = run_load(attachment)

    assert load.status == LoadStatus.SUCCESS, load.error_message
    columns = DestinationAttachment.objects.get(pk=attachment.pk).columns
    # the field already named like a column keeps the name; the others take hash suffixes
    assert columns["user_id"] == "user_id"
    assert columns["userId"].startswith("user_id_") and columns["user-id"].startswith("user_id_")
    assert len({columns["userId"], columns["user-id"], "user_id"}) == 3
    got = query(
        pg_database,
        f'SELECT user_id, "{columns["userId"]}", "{columns["user-id"]}" FROM analytics.users',  # noqa: S608
    )
    assert got == [("snake", "camel", "dash")]
    warnings = [event["message"] for event in load.events if event["level"] == "warning"]
    assert f"Field userId is column {columns['userId']}: user_id is taken by field user_id." in warnings
    assert f"Field user-id is column {columns['user-id']}: user_id is taken by field user_id." in warnings

    # the same again gives the same names: fields are named in a fixed order
    other = make_destination(target_schema="again")
    store(connector, [{"id": 2, "userId": "c2", "user_id": "s2", "user-id": "d2"}])
    again = attachments.attach(other, connector.pk)
    assert run_load(again).status == LoadStatus.SUCCESS
    assert DestinationAttachment.objects.get(pk=again.pk).columns == columns


def test_a_field_named_like_a_metadata_column_gets_another_name_and_the_log_says_so(
    pg_allowed, make_destination, make_connector, pg_database
):
    destination = make_destination()
    connector = make_connector(name="Users")
    store(connector, [{"id": 1, "_migrateiqSyncedAt": "mine"}])
    attachment = attachments.attach(destination, connector.pk)

    load = run_load(attachment)

    assert load.status == LoadStatus.SUCCESS, load.error_message
    column = DestinationAttachment.objects.get(pk=attachment.pk).columns["_migrateiqSyncedAt"]
    assert column.startswith("_migrateiq_synced_at_")
    assert (
        f"Field _migrateiqSyncedAt is column {column}: _migrateiq_synced_at is taken by a MigrateIQ column."
        in [event["message"] for event in load.events]
    )


def test_the_convention_changes_until_a_load_named_the_columns_then_a_400_says_why(
    editor_client, pg_allowed, make_destination, make_connector, pg_database
):
    destination = make_destination()
    connector = make_connector(name="Users")
    store(connector, [RECORD])
    editor_client.post(f"{URL}{destination.pk}/attach/", {"connector": connector.pk}, format="json")
    change = f"{URL}{destination.pk}/attachment/"

    changed = editor_client.patch(change, {"connector": connector.pk, "column_names": "as_is"}, format="json")
    assert changed.status_code == 200, changed.content
    assert changed.json()["column_names"] == "as_is"
    attachment = DestinationAttachment.objects.get(destination=destination, connector=connector)
    assert run_load(attachment).status == LoadStatus.SUCCESS
    assert "company__catchPhrase" in column_names(pg_database)

    refused = editor_client.patch(
        change, {"connector": connector.pk, "column_names": "snake_case"}, format="json"
    )

    assert refused.status_code == 400, refused.content
    message = refused.json()["errors"]["column_names"][0]
    assert message.startswith("column_names cannot change from as_is to snake_case: a load already named")
    assert "names are given once so that the table's columns never change" in message
    assert DestinationAttachment.objects.get(pk=attachment.pk).column_names == ColumnNames.AS_IS
    # the same value again is no change
    same = editor_client.patch(change, {"connector": connector.pk, "column_names": "as_is"}, format="json")
    assert same.status_code == 200, same.content


def test_a_wrong_convention_is_a_400_that_lists_the_choices(
    editor_client, viewer_client, make_destination, make_connector
):
    destination = make_destination()
    connector = make_connector(name="Users")

    wrong = editor_client.post(
        f"{URL}{destination.pk}/attach/", {"connector": connector.pk, "column_names": "snake"}, format="json"
    )

    assert wrong.status_code == 400
    assert wrong.json()["errors"]["column_names"] == [
        "\"snake\" is not a valid choice; one of: snake_case, as_is. Did you mean 'snake_case'?"
    ]
    editor_client.post(f"{URL}{destination.pk}/attach/", {"connector": connector.pk}, format="json")
    change = f"{URL}{destination.pk}/attachment/"
    assert editor_client.patch(
        change, {"connector": connector.pk, "column_names": "AS_IS"}, format="json"
    ).json()["errors"]["column_names"] == [
        "\"AS_IS\" is not a valid choice; one of: snake_case, as_is. Did you mean 'as_is'?"
    ]
    assert (
        viewer_client.patch(
            change, {"connector": connector.pk, "column_names": "as_is"}, format="json"
        ).status_code
        == 403
    )


def test_the_convention_is_in_the_openapi_schema():
    schema = Client().get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    components = schema["components"]["schemas"]
    assert components["ColumnNamesEnum"]["enum"] == ["snake_case", "as_is"]
    assert "column_names" in components["Attachment"]["properties"]
    assert "column_names" in components["AttachInputRequest"]["properties"]
    assert "/api/destinations/{id}/attachment/" in schema["paths"]


@pytest.mark.django_db(transaction=True)
def test_attachments_made_before_keep_as_is_names_and_their_tables_do_not_change(
    migrate_to, pg_allowed, make_destination, make_connector, pg_database
):
    destination = make_destination()
    connector = make_connector(name="Users")
    store(connector, [{"id": 1, "company": {"catchPhrase": "old"}}])
    old = migrate_to(BEFORE)
    Attachment = old.get_model("destinations", "DestinationAttachment")
    earlier = Attachment.objects.create(
        tenant_id=destination.tenant_id,
        destination_id=destination.pk,
        connector_id=connector.pk,
        table_name="users",
    )

    migrate_to(AFTER)
    migrate_to()

    attachment = DestinationAttachment.objects.get(pk=earlier.pk)
    assert attachment.column_names == ColumnNames.AS_IS
    assert run_load(attachment).status == LoadStatus.SUCCESS
    store(connector, [{"id": 2, "company": {"catchPhrase": "new"}, "lastName": "Bo"}])
    assert run_load(attachment).status == LoadStatus.SUCCESS
    assert {"company__catchPhrase", "lastName"} <= column_names(pg_database)
    assert not {"company__catch_phrase", "last_name"} & column_names(pg_database)
    # an attachment made now gets snake_case
    other = make_connector(name="Orders")
    assert attachments.attach(destination, other.pk).column_names == ColumnNames.SNAKE_CASE


def test_a_change_while_a_first_load_runs_fails_that_load_rather_than_mixing_conventions(
    pg_allowed, make_destination, make_connector, pg_database, monkeypatch
):
    destination = make_destination()
    connector = make_connector(name="Users")
    store(connector, [RECORD])
    attachment = attachments.attach(destination, connector.pk)
    # the change comes after the load read its attachment (snake_case) and before it names columns
    source = ChangingSource(
        lambda: attachments.set_column_names(DestinationAttachment.objects.get(pk=attachment.pk), "as_is")
    )
    monkeypatch.setattr(loads, "change_source", lambda: source)

    failed = run_load(attachment)

    assert failed.status == LoadStatus.FAILED
    assert failed.error_message == (
        "The attachment's column naming changed while this load named its columns; load again."
    )
    assert column_names(pg_database) == set()  # nothing was created
    stored = DestinationAttachment.objects.get(pk=attachment.pk)
    assert stored.column_names == ColumnNames.AS_IS and stored.columns == {}
    monkeypatch.undo()
    assert run_load(stored).status == LoadStatus.SUCCESS
    assert "company__catchPhrase" in column_names(pg_database)


def test_attached_again_to_a_table_named_as_is_a_snake_case_load_is_refused_not_doubled(
    editor_client, pg_allowed, make_destination, make_connector, pg_database
):
    destination = make_destination()
    connector = make_connector(name="Users")
    store(connector, [RECORD])
    first = attachments.attach(destination, connector.pk, column_names=ColumnNames.AS_IS)
    assert run_load(first).status == LoadStatus.SUCCESS
    before = column_names(pg_database)
    attachments.detach(destination, connector.pk)
    again = attachments.attach(destination, connector.pk, "users")  # snake_case, the default
    store(connector, [{**RECORD, "id": 2}])

    refused = run_load(again)

    assert refused.status == LoadStatus.FAILED
    assert refused.error_message.startswith(
        "The table analytics.users already has columns named as_is: 2fa enabled (here _2fa_enabled), "
        "company__HTTPServer (here company__http_server), company__catchPhrase (here "
        "company__catch_phrase) and 2 more; this attachment names them snake_case"
    )
    assert (
        "Set the attachment's column_names to as_is, or load it into another table." in refused.error_message
    )
    assert column_names(pg_database) == before
    assert DestinationAttachment.objects.get(pk=again.pk).columns == {}
    changed = editor_client.patch(
        f"{URL}{destination.pk}/attachment/",
        {"connector": connector.pk, "column_names": "as_is"},
        format="json",
    )
    assert changed.status_code == 200, changed.content
    assert run_load(DestinationAttachment.objects.get(pk=again.pk)).status == LoadStatus.SUCCESS
    assert column_names(pg_database) == before
    assert query(pg_database, 'SELECT id, "company__catchPhrase" FROM analytics.users ORDER BY id') == [
        (1, "Synergy"),
        (2, "Synergy"),
    ]


def test_fields_named_like_postgresql_system_columns_load_under_other_names(
    pg_allowed, make_destination, make_connector, pg_database
):
    # A GIS bounding box: before, every load failed with 'column name "xmin" conflicts with a system
    # column name', for good.
    destination = make_destination()
    connector = make_connector(name="Cities")
    store(connector, [{"id": 1, "xmin": -9.2, "ymin": 38.7, "ctid": "t1", "XMAX": 1}])
    attachment = attachments.attach(destination, connector.pk)
    # A map saved by a load that failed on it before: named again, as no table can have that column.
    DestinationAttachment.objects.filter(pk=attachment.pk).update(columns={"xmin": "xmin"})
    attachment.refresh_from_db()

    load = run_load(attachment)

    assert load.status == LoadStatus.SUCCESS, load.error_message
    columns = DestinationAttachment.objects.get(pk=attachment.pk).columns
    assert columns["xmin"].startswith("xmin_") and columns["ctid"].startswith("ctid_")
    assert columns["ymin"] == "ymin" and columns["XMAX"].startswith("xmax_")  # snake_case lowers it
    assert f"Field xmin is column {columns['xmin']}: xmin is taken by a PostgreSQL system column." in [
        event["message"] for event in load.events
    ]
    table = f"{destination.target_schema}.{attachment.table_name}"
    assert query(pg_database, f'SELECT "{columns["xmin"]}", ymin FROM {table}') == [(-9.2, 38.7)]  # noqa: S608
