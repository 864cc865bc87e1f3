"""The destinations API: create (secrets write-only), test, attach, load on demand, history, stats,
and two tenants' destinations kept apart."""

import pytest
from django.db import connection
from django.utils import timezone

from destinations.models import Destination, DestinationLoad, LoadStatus
from destinations.services.postgres import HOST_RULE
from destinations.tests.conftest import query, store

pytestmark = pytest.mark.django_db

URL = "/api/destinations/"


def test_a_destination_is_created_with_its_password_encrypted_and_never_returned(
    editor_client, pg_database, pg_allowed
):
    response = editor_client.post(
        URL,
        {
            "name": "Warehouse",
            "host": "127.0.0.1",
            "database": pg_database,
            "username": "postgres",
            "password": "very-secret-pw",
            "sslmode": "disable",
            "target_schema": "analytics",
        },
        format="json",
    )

    assert response.status_code == 201, response.content
    body = response.json()
    assert "very-secret-pw" not in response.content.decode()
    assert body["has_password"] is True and "password" not in body and "dsn" not in body
    stored = Destination.objects.get(pk=body["id"])
    assert stored.password == "very-secret-pw"
    with connection.cursor() as cursor:
        cursor.execute("SELECT password FROM destinations_destination WHERE id = %s", [body["id"]])
        ciphertext = cursor.fetchone()[0]
    assert ciphertext and "very-secret-pw" not in ciphertext
    assert "very-secret-pw" not in editor_client.get(f"{URL}{body['id']}/").content.decode()


@pytest.mark.parametrize(
    "fields",
    [
        {"host": "", "database": "db"},
        {"host": "/var/run/postgresql", "database": "db"},
        {"dsn": "postgresql://u@h/db?passfile=/etc/passwd"},
        {"dsn": "not a dsn = = ="},
        {"host": "h", "database": "db", "target_schema": "x" * 64},
    ],
)
def test_an_unusable_destination_is_a_400(editor_client, fields):
    response = editor_client.post(URL, {"name": "bad", **fields}, format="json")
    assert response.status_code == 400, response.content


def test_attach_load_and_history_through_the_api(
    settings,
    editor_client,
    viewer_client,
    pg_allowed,
    make_destination,
    make_connector,
    pg_database,
    django_capture_on_commit_callbacks,
):
    settings.MIGRATEIQ_SYNC_RUNNER = "inline"
    destination = make_destination()
    connector = make_connector(name="Customer DB")
    store(connector, [{"id": 1, "name": "a"}, {"id": 2, "name": "b"}])

    check = editor_client.post(f"{URL}{destination.pk}/test_connection/")
    assert check.status_code == 200 and check.json()["connected"] is True, check.content

    attached = editor_client.post(
        f"{URL}{destination.pk}/attach/", {"connector": connector.pk}, format="json"
    )
    assert attached.status_code == 201, attached.content
    assert attached.json()["table_name"] == "customer_db"

    with django_capture_on_commit_callbacks(execute=True):
        started = editor_client.post(
            f"{URL}{destination.pk}/load/", {"connector": connector.pk}, format="json"
        )
    assert started.status_code == 202, started.content
    assert len(started.json()["loads"]) == 1

    history = viewer_client.get(f"{URL}{destination.pk}/loads/").json()
    assert history["count"] == 1
    load = history["results"][0]
    assert load["status"] == "SUCCESS" and load["rows_upserted"] == 2, load
    assert any("Created table" in event["message"] for event in load["events"])
    assert query(pg_database, "SELECT count(*) FROM analytics.customer_db") == [(2,)]

    stats = viewer_client.get(f"{URL}stats/").json()
    assert stats["successful_loads"] == 1 and stats["rows_loaded"] == 2 and stats["attachments"] == 1


def test_a_detach_body_of_another_json_type_or_with_an_unknown_key_is_a_400(
    editor_client, make_destination, make_connector
):
    # Its serializer was the one body reader without core.strict_input: "5" was read as 5 and any
    # other key ignored (found by core/tests/test_api_contract.py's walk of every request body).
    destination = make_destination()
    connector = make_connector()
    editor_client.post(f"{URL}{destination.pk}/attach/", {"connector": connector.pk}, format="json")

    as_text = editor_client.post(
        f"{URL}{destination.pk}/detach/", {"connector": str(connector.pk)}, format="json"
    )
    unknown = editor_client.post(
        f"{URL}{destination.pk}/detach/", {"connector": connector.pk, "drop_table": True}, format="json"
    )

    assert as_text.status_code == 400 and as_text.json()["errors"] == {"connector": ["Must be an integer."]}
    assert unknown.status_code == 400 and "drop_table" in unknown.json()["errors"]
    assert destination.attachments.count() == 1


def test_a_second_load_while_one_runs_is_a_409(editor_client, make_destination, make_connector):
    destination = make_destination()
    connector = make_connector()
    editor_client.post(f"{URL}{destination.pk}/attach/", {"connector": connector.pk}, format="json")
    DestinationLoad.objects.create(
        tenant=destination.tenant, destination=destination, connector=connector, status=LoadStatus.RUNNING
    )
    DestinationLoad.objects.unscoped("test: every tenant").filter(status=LoadStatus.RUNNING).update(
        heartbeat_at=timezone.now()
    )

    response = editor_client.post(f"{URL}{destination.pk}/load/", {"connector": connector.pk}, format="json")

    assert response.status_code == 409


def test_a_load_started_from_the_web_ui_is_recorded_as_ui_and_one_from_the_api_as_api(
    editor_client, viewer_client, make_destination, make_connector
):
    destination = make_destination()
    ui_connector, api_connector = make_connector(name="From the UI"), make_connector(name="From a script")
    for connector in (ui_connector, api_connector):
        editor_client.post(f"{URL}{destination.pk}/attach/", {"connector": connector.pk}, format="json")

    from_ui = editor_client.post(
        f"{URL}{destination.pk}/load/?trigger=ui", {"connector": ui_connector.pk}, format="json"
    )
    from_api = editor_client.post(
        f"{URL}{destination.pk}/load/", {"connector": api_connector.pk}, format="json"
    )

    assert from_ui.status_code == 202, from_ui.content
    assert [load["triggered_by"] for load in from_ui.json()["loads"]] == ["ui"]
    assert [load["triggered_by"] for load in from_api.json()["loads"]] == ["api"]
    history = viewer_client.get(f"{URL}{destination.pk}/loads/").json()["results"]
    assert {row["connector"]: row["triggered_by"] for row in history} == {
        ui_connector.pk: "ui",
        api_connector.pk: "api",
    }


@pytest.mark.parametrize("trigger", ["sync", "manual", "browser", "UI"])
def test_a_load_trigger_other_than_api_or_ui_is_a_400_and_starts_nothing(
    editor_client, make_destination, make_connector, trigger
):
    destination = make_destination()
    connector = make_connector()
    editor_client.post(f"{URL}{destination.pk}/attach/", {"connector": connector.pk}, format="json")

    response = editor_client.post(
        f"{URL}{destination.pk}/load/?trigger={trigger}", {"connector": connector.pk}, format="json"
    )

    assert response.status_code == 400, response.content
    assert f'"{trigger}" is not a valid choice; one of: api, ui.' in response.json()["errors"]["trigger"][0]
    assert not DestinationLoad.objects.filter(connector=connector).exists()


def test_the_openapi_schema_lists_the_load_trigger(editor_client):
    schema = editor_client.get("/api/schema/", HTTP_ACCEPT="application/json").json()
    parameters = schema["paths"]["/api/destinations/{id}/load/"]["post"]["parameters"]
    trigger = next(parameter for parameter in parameters if parameter["name"] == "trigger")
    assert trigger["in"] == "query"
    assert trigger["schema"]["enum"] == ["api", "ui"]
    assert "ui" in schema["components"]["schemas"]["LoadTriggerEnum"]["enum"]


def test_each_attachment_says_how_its_latest_load_ended_a_failed_one_included(
    editor_client, viewer_client, make_destination, make_connector
):
    destination = make_destination()
    loaded, never = make_connector(name="Loaded"), make_connector(name="Never loaded")
    for connector in (loaded, never):
        editor_client.post(f"{URL}{destination.pk}/attach/", {"connector": connector.pk}, format="json")
    tenant = destination.tenant
    DestinationLoad.objects.create(
        tenant=tenant, destination=destination, connector=loaded, status=LoadStatus.SUCCESS
    )
    failed = DestinationLoad.objects.create(
        tenant=tenant,
        destination=destination,
        connector=loaded,
        status=LoadStatus.FAILED,
        error_message="The host name db.example.com could not be resolved.",
        finished_at=timezone.now(),
    )

    listed = viewer_client.get(URL).json()["results"][0]["attachments"]
    shown = viewer_client.get(f"{URL}{destination.pk}/").json()["attachments"]

    for attachments in (listed, shown):
        by_connector = {attachment["connector"]: attachment for attachment in attachments}
        last = by_connector[loaded.pk]["last_load"]
        assert last["id"] == failed.pk and last["status"] == "FAILED"
        assert last["error_message"] == "The host name db.example.com could not be resolved."
        assert last["finished_at"] is not None
        assert by_connector[never.pk]["last_load"] is None


def test_a_tenant_cannot_attach_another_tenants_connector_or_see_its_destination(
    editor_client, outsider_user, client_for, tenant_b, make_destination, make_connector
):
    mine = make_destination()
    theirs = make_connector(tenant=tenant_b)
    response = editor_client.post(f"{URL}{mine.pk}/attach/", {"connector": theirs.pk}, format="json")
    assert response.status_code == 400
    assert "no connector" in response.content.decode()

    outsider = client_for(outsider_user, tenant_b)
    assert outsider.get(f"{URL}{mine.pk}/").status_code == 404
    assert outsider.get(URL).json()["count"] == 0


@pytest.mark.parametrize(
    ("host", "words"),
    [
        ("127.0.0.1", "an operator can allow such a host with MIGRATEIQ_EGRESS_ALLOWLIST"),
        ("169.254.169.254", "cloud-metadata address, which MigrateIQ never calls"),
    ],
)
def test_a_destination_on_a_host_the_egress_guard_refuses_is_a_400_at_save(editor_client, host, words):
    response = editor_client.post(
        URL,
        {"name": "Internal", "host": host, "database": "db", "username": "u", "password": "p"},
        format="json",
    )

    assert response.status_code == 400
    assert words in response.json()["errors"]["host"][0]
    assert not Destination.objects.unscoped("test: every tenant").exists()


NOT_ONE_NETWORK_HOST = [
    "@/tmp",  # libpq: a unix socket in Linux's abstract namespace
    "@",
    "/tmp",
    "127.0.0.1 port=8928",
    "db.example.com\tport=1",
    "db.example.com,10.0.0.1",
    "db.example.com:5432",
    "user@db.example.com",
    "[::1]",
    "fe80::1%lo",  # an address of a local interface
    "127.1",  # numbers the resolver reads as 127.0.0.1
    "2130706433",
    "0x7f.1",
    "0177.0.0.1",
    "1.2.3.4.5",
    "café.example",
    "-db.example.com",
    "db..example.com",
    "a" * 64 + ".example.com",
]


@pytest.mark.parametrize("host", NOT_ONE_NETWORK_HOST)
def test_a_host_that_is_not_one_network_host_name_or_address_is_a_400(editor_client, dns, host):
    # before: '@/tmp', '127.0.0.1 port=8928' and the like did not resolve, so they were saved with a
    # warning (libpq would read '@/tmp' as a local socket; the connection went to the checked hostaddr)
    response = editor_client.post(
        URL, {"name": "Odd", "host": host, "database": "db", "username": "u", "password": "p"}, format="json"
    )

    assert response.status_code == 400, response.content
    assert response.json()["errors"] == {"host": [HOST_RULE]}
    assert not Destination.objects.unscoped("test: every tenant").exists()


@pytest.mark.parametrize(
    "dsn",
    ["host=@/tmp dbname=db user=u", "postgresql://u@%40%2Ftmp/db", "host='db.example.com port=1' dbname=db"],
)
def test_a_dsn_whose_host_is_not_one_network_host_is_a_400_on_the_dsn(editor_client, dns, dsn):
    response = editor_client.post(URL, {"name": "Odd", "dsn": dsn}, format="json")

    assert response.status_code == 400, response.content
    assert response.json()["errors"] == {"dsn": [HOST_RULE]}


def test_a_host_changed_to_one_that_is_not_a_network_host_is_a_400(editor_client, make_destination):
    destination = make_destination(host="db.example.com")  # no password stored: an editor may move it

    response = editor_client.patch(f"{URL}{destination.pk}/", {"host": "@/tmp"}, format="json")

    assert response.status_code == 400
    assert response.json()["errors"] == {"host": [HOST_RULE]}
    destination.refresh_from_db()
    assert destination.host == "db.example.com"


@pytest.mark.parametrize(
    "host",
    [
        "db.example.com",
        "db.example.com.",
        "warehouse",
        "pg_primary",
        "xn--caf-dma.example",
        "8.8.8.8",
        "2606:4700::1111",
    ],
)
def test_host_names_and_ip_addresses_are_accepted(editor_client, dns, host):
    dns[host] = ["8.8.8.8"]
    response = editor_client.post(
        URL, {"name": "Fine", "host": host, "database": "db", "username": "u", "password": "p"}, format="json"
    )

    assert response.status_code == 201, response.content
    assert response.json()["host"] == host


def test_a_destination_stored_with_a_socket_host_never_connects(editor_client, make_destination):
    # rows saved before the rule: the connection test names it instead of reaching a local socket
    destination = make_destination(host="@/tmp")

    check = editor_client.post(f"{URL}{destination.pk}/test_connection/")

    assert check.json()["connected"] is False
    assert check.json()["message"] == HOST_RULE


def test_every_problem_of_a_destination_is_named_in_one_answer_on_its_field(editor_client, make_destination):
    make_destination(name="Taken")
    response = editor_client.post(
        URL,
        {"name": "Taken", "host": "127.0.0.1", "port": 70000, "username": "u", "password": "p"},
        format="json",
    )

    assert response.status_code == 400
    errors = response.json()["errors"]
    assert errors["name"] == ["A destination named 'Taken' already exists in this tenant."]
    assert errors["port"] == ["Ensure this value is less than or equal to 65535."]
    assert errors["database"] == ["The destination needs a database name."]
    assert set(errors) == {"name", "port", "database"}

    # with the database named, the refused host is named beside the field errors
    response = editor_client.post(
        URL,
        {"name": "Taken", "host": "127.0.0.1", "database": "db", "username": "u", "password": "p"},
        format="json",
    )
    errors = response.json()["errors"]
    assert set(errors) == {"name", "host"}, errors
    assert "MIGRATEIQ_EGRESS_ALLOWLIST" in errors["host"][0]


def test_a_dsn_s_problems_are_all_named_on_the_dsn(editor_client):
    response = editor_client.post(
        URL, {"name": "D", "dsn": "postgresql:///?host=/tmp&options=-c%20x"}, format="json"
    )

    assert response.status_code == 400
    errors = response.json()["errors"]
    assert set(errors) == {"dsn"}
    assert errors["dsn"] == [
        "The DSN may not set options.",
        HOST_RULE,
        "The destination needs a database name.",
    ]


def test_a_destination_whose_host_name_does_not_resolve_yet_is_saved_with_a_warning(editor_client, dns):
    # as a connector's: every load's connection checks the address it connects to
    response = editor_client.post(
        URL,
        {"name": "Later", "host": "warehouse.invalid", "database": "db", "username": "u", "password": "p"},
        format="json",
    )

    assert response.status_code == 201, response.content
    [warning] = response.json()["warnings"]
    assert warning.startswith(
        "The host name warehouse.invalid could not be resolved from the web server. Saved anyway"
    )
    assert "next load" in warning
    assert editor_client.get(f"{URL}{response.json()['id']}/").json()["warnings"] == []


def test_a_destination_moved_to_an_unresolvable_host_warns_and_a_rename_does_not(
    editor_client, dns, settings
):
    settings.MIGRATEIQ_EGRESS_ALLOWLIST = ["127.0.0.1:5432"]
    dns["dw.corp.example"] = ["127.0.0.1"]
    created = editor_client.post(
        URL,
        {"name": "DW", "host": "dw.corp.example", "database": "db", "username": "u"},  # no password to move
        format="json",
    )
    assert created.status_code == 201 and created.json()["warnings"] == []
    url = f"{URL}{created.json()['id']}/"

    moved = editor_client.patch(url, {"host": "dw-next.corp.example"}, format="json")
    renamed = editor_client.patch(url, {"name": "DW 2"}, format="json")

    assert moved.status_code == 200 and len(moved.json()["warnings"]) == 1
    assert renamed.status_code == 200 and renamed.json()["warnings"] == []


def test_a_destination_host_that_resolves_to_a_refused_address_is_still_a_400(editor_client, dns, settings):
    settings.MIGRATEIQ_EGRESS_ALLOWLIST = []
    dns["db.internal.example"] = ["10.0.0.7"]

    response = editor_client.post(
        URL,
        {"name": "Inside", "host": "db.internal.example", "database": "db", "username": "u", "password": "p"},
        format="json",
    )

    assert response.status_code == 400
    assert "is not allowed" in response.json()["errors"]["host"][0]


def test_a_misspelt_destination_key_is_a_400_naming_the_field_meant(editor_client):
    response = editor_client.post(
        URL,
        {"name": "Typo", "host": "dw.invalid", "database": "db", "username": "u", "pasword": "p"},
        format="json",
    )

    assert response.status_code == 400
    assert response.json()["errors"] == {"pasword": ["Unknown field. Did you mean 'password'?"]}


def test_a_tenant_cannot_create_destinations_past_its_quota(editor_client, outsider_client, settings):
    settings.MIGRATEIQ_TENANT_MAX_DESTINATIONS = 1
    body = {"host": "db.example.com", "database": "warehouse", "username": "loader", "sslmode": "require"}
    assert editor_client.post(URL, {"name": "One", **body}, format="json").status_code == 201

    refused = editor_client.post(URL, {"name": "Two", **body}, format="json")

    assert refused.status_code == 409, refused.content
    assert "MIGRATEIQ_TENANT_MAX_DESTINATIONS=1" in refused.json()["detail"]
    assert outsider_client.post(URL, {"name": "Two", **body}, format="json").status_code == 201


@pytest.mark.parametrize(
    "field, value",
    [("password", "p" * 4097), ("dsn", "postgresql://u:" + "p" * 8192 + "@db.example.com/db")],
)
def test_a_destination_secret_longer_than_its_limit_is_a_400(editor_client, tenant_a, field, value):
    """A password or DSN as large as a request body was stored, then decrypted and sent at every
    connection; a connector's credentials were bounded already."""
    fields = {"host": "db.example.com", "database": "db", "username": "u"} if field == "password" else {}
    response = editor_client.post(URL, {"name": "big", **fields, field: value}, format="json")

    assert response.status_code == 400, response.content
    assert field in response.json()["errors"]
    assert value not in response.content.decode()
    assert not Destination.objects.filter(tenant=tenant_a).exists()


def test_a_destination_password_keeps_its_leading_and_trailing_spaces(editor_client):
    response = editor_client.post(
        URL,
        {"name": "spaced", "host": "db.example.com", "database": "db", "username": "u", "password": " pw "},
        format="json",
    )

    assert response.status_code == 201, response.content
    assert Destination.objects.get(pk=response.json()["id"]).password == " pw "
