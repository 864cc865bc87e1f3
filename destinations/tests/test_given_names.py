"""The names users give a destination's schema and an attachment's table are lower-case identifiers:
the name typed is the name created (and queried without quotes); a name outside the rule is a 400
that states it. Names of columns come from the records and are quoted (test_postgres_loads.py)."""

import pytest

from destinations.models import DestinationAttachment, LoadStatus
from destinations.services import attachments, loads
from destinations.services.naming import GIVEN_NAME_RULE
from destinations.tests.conftest import query, store

pytestmark = pytest.mark.django_db

URL = "/api/destinations/"


@pytest.mark.parametrize(
    "table_name",
    ["Users; DROP TABLE x", "Users", "users table", 'users"', "1users", "users-2024", "é", "u" * 64],
)
def test_attaching_with_a_table_name_that_is_no_lower_case_identifier_is_a_400_stating_the_rule(
    editor_client, make_destination, make_connector, table_name
):
    destination = make_destination()
    connector = make_connector()

    response = editor_client.post(
        f"{URL}{destination.pk}/attach/", {"connector": connector.pk, "table_name": table_name}, format="json"
    )

    assert response.status_code == 400, response.content
    assert GIVEN_NAME_RULE in response.json()["errors"]["table_name"][0]
    assert not DestinationAttachment.objects.filter(destination=destination).exists()


def test_a_table_name_may_not_take_the_checkpoint_tables_prefix(
    editor_client, make_destination, make_connector
):
    destination = make_destination()

    response = editor_client.post(
        f"{URL}{destination.pk}/attach/",
        {"connector": make_connector().pk, "table_name": "_migrateiq_state"},
        format="json",
    )

    assert response.status_code == 400
    assert "_migrateiq_" in response.json()["errors"]["table_name"][0]


def test_the_table_name_typed_is_the_table_created(
    editor_client, pg_allowed, make_destination, make_connector, pg_database
):
    destination = make_destination()
    connector = make_connector()
    store(connector, [{"id": 1}])

    response = editor_client.post(
        f"{URL}{destination.pk}/attach/",
        {"connector": connector.pk, "table_name": "_orders_2024"},
        format="json",
    )
    assert response.status_code == 201, response.content
    load = loads.execute_load(
        loads.start_load(DestinationAttachment.objects.get(pk=response.json()["id"]), queue=False).pk
    )

    assert load.status == LoadStatus.SUCCESS, load.error_message
    assert query(pg_database, "SELECT id FROM analytics._orders_2024") == [(1,)]  # no quotes needed


def test_a_default_table_name_is_a_lower_case_identifier_too(make_destination, make_connector):
    destination = make_destination()

    attachment = attachments.attach(destination, make_connector(name="3D Printers (EU)").pk)

    assert attachment.table_name == "_3d_printers_eu"


@pytest.mark.parametrize(
    ("name", "table"),
    [
        ("Ünïcødé 名前", "unicode"),
        ("Straße Øst", "strasse_ost"),
        ("名前", None),
        ("Crème brûlée", "creme_brulee"),
    ],
)
def test_a_default_table_name_keeps_the_latin_letters_of_an_accented_name(
    make_destination, make_connector, name, table
):
    # before: "Ünïcødé 名前" became n_c_d
    destination = make_destination()
    connector = make_connector(name=name)

    attachment = attachments.attach(destination, connector.pk)

    assert attachment.table_name == (table or f"connector_{connector.pk}")


@pytest.mark.parametrize("target_schema", ["Raw", "raw; DROP SCHEMA public", "pg_raw", "", "s" * 64])
def test_a_target_schema_that_is_no_lower_case_identifier_is_a_400(editor_client, target_schema):
    response = editor_client.post(
        URL,
        {"name": "Warehouse", "host": "h", "database": "db", "target_schema": target_schema},
        format="json",
    )

    assert response.status_code == 400, response.content
    assert "target_schema" in response.json()["errors"]


def test_a_schema_named_before_names_were_checked_can_be_kept_but_not_chosen_again(
    editor_client, pg_allowed, make_destination
):
    destination = make_destination(target_schema="Legacy Raw")

    kept = editor_client.patch(
        f"{URL}{destination.pk}/", {"name": "Renamed", "target_schema": "Legacy Raw"}, format="json"
    )
    other = editor_client.patch(f"{URL}{destination.pk}/", {"target_schema": "Other Raw"}, format="json")

    assert kept.status_code == 200, kept.content
    assert other.status_code == 400
    assert GIVEN_NAME_RULE in other.json()["errors"]["target_schema"][0]
