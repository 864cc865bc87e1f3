"""A destination's stored password goes only to the server it was given for, and never in cleartext.

The attack these tests replay: an editor re-points an admin's destination (its password stored,
encrypted, never returned) at a PostgreSQL server the editor runs, keeps the stored password and
runs the connection test; the server asks for the password in cleartext and reads it.
"""

import psycopg
import pytest

from destinations.models import Destination, LoadStatus
from destinations.services import attachments, loads
from destinations.services.credentials import password_moves
from destinations.services.registry import driver_for
from destinations.tests.conftest import store
from destinations.tests.pg_wire import PasswordAskingServer

pytestmark = pytest.mark.django_db

URL = "/api/destinations/"
STORED = "CANARY-stored-destination-pw"


@pytest.fixture
def fake_server(settings, pg_allowed):
    """A server that asks for the password in cleartext, on a port the egress guard allows (as a
    public address would be), beside the real PostgreSQL server."""
    server = PasswordAskingServer("password")
    settings.MIGRATEIQ_EGRESS_ALLOWLIST = [*settings.MIGRATEIQ_EGRESS_ALLOWLIST, f"127.0.0.1:{server.port}"]
    yield server
    server.close()


@pytest.fixture
def warehouse(make_destination, pg_allowed):
    """The admin's destination: the real PostgreSQL server (trust authentication), a stored password."""
    return make_destination(password=STORED, sslmode="prefer")


def moved_to(server) -> dict:
    return {"host": "127.0.0.1", "port": server.port, "sslmode": "disable"}


def test_an_editor_cannot_point_a_destination_with_a_stored_password_at_another_server(
    editor_client, warehouse, fake_server
):
    response = editor_client.patch(f"{URL}{warehouse.pk}/", moved_to(fake_server), format="json")

    assert response.status_code == 403, response.content
    assert response.json()["detail"] == (
        "Changing port, sslmode of a destination with a stored password needs the 'admin' role: "
        "the password would go to another server."
    )
    warehouse.refresh_from_db()
    assert (warehouse.port, warehouse.sslmode, warehouse.password) == (5432, "prefer", STORED)

    check = editor_client.post(f"{URL}{warehouse.pk}/test_connection/")
    assert check.status_code == 200
    assert fake_server.connections == 0 and not fake_server.received(STORED)


@pytest.mark.parametrize(
    ("change", "named"),
    [
        ({"host": "localhost"}, "host"),
        ({"port": "the fake server's"}, "port"),
        ({"database": "other"}, "database"),
        ({"username": "someone_else"}, "username"),
        ({"sslmode": "disable"}, "sslmode"),
    ],
)
def test_each_part_of_where_the_password_goes_needs_the_admin_role(
    editor_client, warehouse, fake_server, change, named
):
    if "port" in change:
        change = {"port": fake_server.port}
    response = editor_client.patch(f"{URL}{warehouse.pk}/", change, format="json")

    assert response.status_code == 403, response.content
    assert response.json()["detail"].startswith(f"Changing {named} of a destination with a stored password")


def test_an_editor_who_gives_the_password_again_is_refused_too_as_for_a_connector(
    editor_client, warehouse, fake_server
):
    response = editor_client.patch(
        f"{URL}{warehouse.pk}/", {**moved_to(fake_server), "password": "a-password-i-know"}, format="json"
    )

    assert response.status_code == 403
    warehouse.refresh_from_db()
    assert warehouse.port == 5432 and warehouse.password == STORED


@pytest.mark.parametrize(
    "change",
    [
        {"name": "Renamed", "target_schema": "elsewhere", "deleted_rows": "soft"},
        {"sslmode": "verify-full"},  # more protected
        {"password": "a-new-password"},  # the password itself, for the same server
        {"host": "127.0.0.1", "port": 5432, "username": "postgres", "sslmode": "prefer"},  # as it is
    ],
)
def test_an_editor_still_changes_what_does_not_send_the_password_elsewhere(editor_client, warehouse, change):
    response = editor_client.patch(f"{URL}{warehouse.pk}/", change, format="json")

    assert response.status_code == 200, response.content


def test_an_editor_moves_a_destination_that_stores_no_password(editor_client, make_destination, fake_server):
    destination = make_destination()

    response = editor_client.patch(f"{URL}{destination.pk}/", moved_to(fake_server), format="json")

    assert response.status_code == 200, response.content


def test_an_admin_moves_a_destination_by_giving_its_password_again(admin_client, warehouse, fake_server):
    kept = admin_client.patch(f"{URL}{warehouse.pk}/", moved_to(fake_server), format="json")
    assert kept.status_code == 400
    assert kept.json()["errors"] == {
        "password": [
            "Changing port, sslmode sends the password elsewhere: send password again "
            "(or an empty string to remove it)."
        ]
    }
    warehouse.refresh_from_db()
    assert warehouse.port == 5432

    moved = admin_client.patch(
        f"{URL}{warehouse.pk}/", {**moved_to(fake_server), "password": "the-new-servers-pw"}, format="json"
    )
    assert moved.status_code == 200, moved.content
    warehouse.refresh_from_db()
    assert (warehouse.port, warehouse.password) == (fake_server.port, "the-new-servers-pw")
    assert fake_server.connections == 0  # saving connects nowhere


def test_an_admin_may_move_a_destination_and_remove_its_password(admin_client, warehouse, fake_server):
    response = admin_client.patch(
        f"{URL}{warehouse.pk}/", {**moved_to(fake_server), "password": ""}, format="json"
    )

    assert response.status_code == 200, response.content
    assert response.json()["has_password"] is False


def test_a_dsn_s_password_is_bound_to_the_dsn_s_server(
    editor_client, admin_client, make_destination, pg_database, pg_allowed
):
    destination = make_destination(
        host="",
        database="",
        dsn=f"postgresql://postgres:{STORED}@127.0.0.1:5432/{pg_database}?sslmode=require",
    )

    other_database = f"postgresql://postgres:{STORED}@127.0.0.1:5432/postgres?sslmode=require"
    refused = editor_client.patch(f"{URL}{destination.pk}/", {"dsn": other_database}, format="json")
    assert refused.status_code == 403  # given again inside the DSN, but the editor is no admin
    assert refused.json()["detail"].startswith("Changing dsn of a destination with a stored password")

    weaker = editor_client.patch(f"{URL}{destination.pk}/", {"sslmode": "disable"}, format="json")
    assert weaker.status_code == 200  # the DSN names its own sslmode: the field does not apply
    moved = editor_client.patch(
        f"{URL}{destination.pk}/", {"dsn": "", "host": "127.0.0.1", "database": pg_database}, format="json"
    )
    assert moved.status_code == 200  # the separate fields store no password: nothing stored goes anywhere

    again = make_destination(
        dsn=f"postgresql://postgres:{STORED}@127.0.0.1:5432/{pg_database}", sslmode="require"
    )
    refused = admin_client.patch(f"{URL}{again.pk}/", {"sslmode": "disable"}, format="json")
    assert refused.status_code == 400  # the DSN names no sslmode: the field's weaker one would apply
    assert refused.json()["errors"]["dsn"] == [
        "Changing sslmode sends the password elsewhere: send dsn again "
        "(or one without a password to remove it)."
    ]


def test_clearing_a_dsn_cannot_send_the_stored_password_to_the_dsn_s_server(
    editor_client, admin_client, make_destination, fake_server
):
    # The admin's destination: the password and the separate fields, for the real server.
    destination = make_destination(password=STORED)
    # The editor points a DSN without a password at their server (no stored password goes there),
    # then the separate fields at it too (unused while the DSN is set)...
    elsewhere = f"postgresql://postgres@127.0.0.1:{fake_server.port}/db?sslmode=disable"
    assert (
        editor_client.patch(f"{URL}{destination.pk}/", {"dsn": elsewhere}, format="json").status_code == 200
    )
    same_fields = {"port": fake_server.port, "database": "db"}
    assert editor_client.patch(f"{URL}{destination.pk}/", same_fields, format="json").status_code == 200

    # ... and clears the DSN: the server does not change, but the stored password would now go to it.
    response = editor_client.patch(f"{URL}{destination.pk}/", {"dsn": ""}, format="json")

    assert response.status_code == 403, response.content
    assert response.json()["detail"].startswith("Changing dsn of a destination with a stored password")
    editor_client.post(f"{URL}{destination.pk}/test_connection/")
    assert not fake_server.received(STORED)


def test_what_moves_the_password_is_named_by_the_fields_the_request_sent(make_destination):
    current = make_destination(password=STORED, sslmode="require")

    def moves(sent: dict):
        changed = Destination(
            **{
                **{
                    f: getattr(current, f)
                    for f in ("dsn", "host", "port", "database", "username", "password", "sslmode")
                },
                **sent,
            }
        )
        return password_moves(current, changed, set(sent))

    assert moves({"host": "DB.example.com"}) == (["host"], "password")
    assert moves({"host": "127.0.0.1", "sslmode": "verify-ca"}) == ([], "password")
    assert moves({"password": "new", "port": 1}) == (["port"], "password")
    assert moves({"dsn": f"postgresql://postgres@127.0.0.1/{current.database}?sslmode=require"}) == ([], None)
    assert moves({"dsn": f"postgresql://postgres:pw@h/{current.database}"}) == ([], None)  # its own password


# -- the cleartext password ----------------------------------------------------------------------


def test_a_server_asking_for_the_password_in_cleartext_gets_nothing_and_the_test_says_why(
    admin_client, warehouse, fake_server
):
    moved = admin_client.patch(
        f"{URL}{warehouse.pk}/", {**moved_to(fake_server), "password": STORED}, format="json"
    )
    assert moved.status_code == 200

    check = admin_client.post(f"{URL}{warehouse.pk}/test_connection/")

    assert check.status_code == 200
    assert check.json()["connected"] is False
    assert check.json()["message"] == (
        "Could not connect: the server asked for the password in cleartext, which MigrateIQ never "
        "sends; have it use scram-sha-256 (or md5) password authentication."
    )
    assert fake_server.connections == 1 and fake_server.answers == []


def test_a_load_never_sends_the_password_in_cleartext_either(make_destination, make_connector, fake_server):
    destination = make_destination(port=fake_server.port, database="db", password=STORED)
    connector = make_connector()
    store(connector, [{"id": 1}])
    attachment = attachments.attach(destination, connector.pk, None)

    load = loads.execute_load(loads.start_load(attachment, queue=False).pk)

    assert load.status == LoadStatus.FAILED
    assert "asked for the password in cleartext" in load.error_message
    assert fake_server.connections == 1 and fake_server.answers == []


@pytest.mark.parametrize(("method", "first_answer"), [("md5", b"md5"), ("scram-sha-256", b"SCRAM-SHA-256\0")])
def test_md5_and_scram_sign_ins_still_go_ahead(make_destination, settings, method, first_answer):
    server = PasswordAskingServer(method)
    settings.MIGRATEIQ_EGRESS_ALLOWLIST = [f"127.0.0.1:{server.port}"]
    destination = make_destination(port=server.port, password=STORED)
    try:
        check = driver_for("postgresql").check_connection(destination)
    finally:
        server.close()

    assert not check.connected and "password authentication failed" in check.message
    assert len(server.answers) == 1 and server.answers[0].startswith(first_answer)
    assert STORED.encode() not in server.answers[0]
    # an MD5 answer is made from the password (the check below finds it): what the server expects
    assert server.received(STORED) is (method == "md5")


def test_a_destination_without_a_password_never_signs_in_with_the_hosts_pgpassword(
    make_destination, settings, monkeypatch
):
    monkeypatch.setenv("PGPASSWORD", "operators-own-env-secret")
    server = PasswordAskingServer("md5")
    settings.MIGRATEIQ_EGRESS_ALLOWLIST = [f"127.0.0.1:{server.port}"]
    destination = make_destination(dsn=f"postgresql://postgres@127.0.0.1:{server.port}/db?sslmode=disable")
    try:
        check = driver_for("postgresql").check_connection(destination)
    finally:
        server.close()

    assert not check.connected
    assert server.connections == 1 and not server.received("operators-own-env-secret")


def test_a_libpq_older_than_16_connects_nowhere(warehouse, fake_server, monkeypatch):
    monkeypatch.setattr(psycopg.pq, "version", lambda: 150008)
    warehouse.port = fake_server.port

    check = driver_for("postgresql").check_connection(warehouse)

    assert not check.connected
    assert check.message == (
        "Destinations need libpq 16 or newer; this MigrateIQ server has libpq 15: install "
        "psycopg[binary] (it ships its own)."
    )
    assert fake_server.connections == 0


def test_the_real_postgresql_server_with_its_trust_sign_in_still_loads(
    admin_client, warehouse, make_connector
):
    connector = make_connector()
    store(connector, [{"id": 1, "name": "a"}, {"id": 2, "name": "b"}])
    attachment = attachments.attach(warehouse, connector.pk, None)

    load = loads.execute_load(loads.start_load(attachment, queue=False).pk)

    assert load.status == LoadStatus.SUCCESS, load.error_message
    assert load.rows_upserted == 2
    assert admin_client.post(f"{URL}{warehouse.pk}/test_connection/").json()["connected"] is True
