"""Every credential is encrypted and write-only, whatever the auth style; each style reaches a real
local upstream that checks it, and the credential appears in no response, log line, event or
unencrypted column."""

import base64
import logging
from urllib.parse import quote, quote_plus

import pytest
from django.db import connection

from demo_extension.models import CustomDataConnector, SyncStatus
from demo_extension.services.auth import build_request_auth
from demo_extension.tests.sync_support import run_sync, stored_ids

URL = "/api/demo-extension/connectors/"
# A canary with the characters that change in every encoding: / + = and a space.
CANARY = "c4nary/key+with=odd chars"
PASSWORD_CANARY = "pw-c4nary/+="


@pytest.fixture(autouse=True)
def _allow_the_placeholder_endpoint(settings):
    settings.MIGRATEIQ_EGRESS_ALLOWLIST = ["127.0.0.1:9"]


def _forms(secret: str) -> list[str]:
    return [secret, quote(secret, safe=""), quote_plus(secret), quote(secret, safe="/")]


def _all_database_text() -> str:
    """Every text column of every table, as stored (ciphertext stays ciphertext)."""
    chunks = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names():
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")  # noqa: S608 - our tables
            chunks.extend(repr(row) for row in cursor.fetchall())
    return "\n".join(chunks)


def _assert_nowhere(secrets, *texts):
    for secret in secrets:
        for form in _forms(secret):
            for text in texts:
                assert form not in text


STYLE_CASES = {
    "bearer": {},
    "header": {"auth_header_name": "X-Partner-Auth"},
    "query": {"auth_param_name": "appid"},
    "basic": {"auth_username": "svc-user"},
    "basic_key": {"auth_password": PASSWORD_CANARY},
}


@pytest.mark.parametrize("style", sorted(STYLE_CASES))
def test_each_auth_style_syncs_through_the_api_and_the_credential_is_never_visible(
    style, admin_client, sample_upstream, caplog, settings, django_capture_on_commit_callbacks
):
    settings.MIGRATEIQ_SYNC_RUNNER = "inline"
    options = STYLE_CASES[style]
    upstream = sample_upstream(
        records=15,
        page_size=10,
        style="page",
        api_key=CANARY,
        auth=style,
        auth_header=options.get("auth_header_name", "X-API-Key"),
        auth_param=options.get("auth_param_name", "api_key"),
        username=options.get("auth_username", "migrateiq"),
        password=options.get("auth_password", ""),
    )
    caplog.set_level(logging.DEBUG)
    body = {
        "name": f"{style} connector",
        "api_endpoint": upstream.url,
        "api_key": CANARY,
        "auth_type": style,
        "sync_frequency": "DAILY",
        **options,
    }
    created = admin_client.post(URL, body, format="json")
    assert created.status_code == 201, created.content
    pk = created.json()["id"]
    with django_capture_on_commit_callbacks(execute=True):
        started = admin_client.post(f"{URL}{pk}/sync_data/?wait=0")
    tested = admin_client.post(f"{URL}{pk}/test_connection/")
    connector = CustomDataConnector.objects.get(pk=pk)
    log = connector.sync_logs.get()

    assert log.status == SyncStatus.SUCCESS, log.error_message
    assert stored_ids(connector) == list(range(1, 16))
    assert tested.json()["connected"] is True
    responses = [
        created.content.decode(),
        started.content.decode(),
        tested.content.decode(),
        admin_client.get(f"{URL}{pk}/").content.decode(),
        admin_client.get(URL).content.decode(),
        admin_client.get(f"/api/demo-extension/sync-logs/{log.pk}/").content.decode(),
    ]
    secrets = [CANARY] + ([PASSWORD_CANARY] if style == "basic_key" else [])
    _assert_nowhere(secrets, *responses, caplog.text, _all_database_text())
    if style in ("basic", "basic_key"):
        user, password = ("svc-user", CANARY) if style == "basic" else (CANARY, PASSWORD_CANARY)
        encoded = base64.b64encode(f"{user}:{password}".encode()).decode()
        assert upstream.requests[0]["headers"]["Authorization"] == f"Basic {encoded}"
        assert encoded not in caplog.text


def test_a_wrong_key_in_any_encoding_stays_out_of_messages_events_and_test_results(
    admin_client, sample_upstream, make_connector
):
    # Issue 12, item 5: query auth under a name that does not look like a key, and a key with / + =.
    upstream = sample_upstream(
        records=5, style="page", api_key="the-right-one", auth="query", auth_param="appid"
    )
    connector = make_connector(
        api_endpoint=upstream.url, api_key=CANARY, auth_type="query", auth_param_name="appid"
    )

    tested = admin_client.post(f"{URL}{connector.pk}/test_connection/")
    log = run_sync(connector)

    assert tested.json()["connected"] is False
    assert "401" in tested.json()["message"]
    assert log.status == SyncStatus.FAILED
    assert upstream.requests[0]["query"]["appid"] == CANARY  # it was sent, percent-encoded
    texts = [tested.content.decode(), log.error_message, *log.events.values_list("message", flat=True)]
    _assert_nowhere([CANARY], *texts)
    assert "appid=%5BREDACTED%5D" in log.error_message or "appid=[REDACTED]" in log.error_message


def test_basic_key_style_sends_the_key_as_user_name_and_the_password(make_connector):
    connector = make_connector(auth_type="basic_key", api_key="sk_test_123456", auth_password="X")

    auth = build_request_auth(connector)

    assert auth.basic == ("sk_test_123456", "X")
    assert "Authorization" in auth.credential_headers


def test_every_credential_is_stored_encrypted_and_written_only(admin_client):
    body = {
        "name": "Encrypted",
        "api_endpoint": "http://127.0.0.1:9/customers",
        "api_key": "key-canary-0001",
        "auth_type": "basic",
        "auth_username": "user-canary-0002",
        "auth_password": "password-canary-0003",
        "oauth_client_secret": "secret-canary-0004",
        "sync_frequency": "DAILY",
    }
    response = admin_client.post(URL, body, format="json")

    assert response.status_code == 201, response.content
    data = response.json()
    for name in ("api_key", "auth_username", "auth_password", "oauth_client_secret"):
        assert name not in data
        assert data[f"has_{name}"] is True
    stored = _all_database_text()
    for secret in ("key-canary-0001", "user-canary-0002", "password-canary-0003", "secret-canary-0004"):
        assert secret not in stored
        assert secret not in response.content.decode()
    connector = CustomDataConnector.objects.get(pk=data["id"])
    assert (connector.auth_username, connector.auth_password) == ("user-canary-0002", "password-canary-0003")
    listed = admin_client.get(URL).json()["results"][0]
    assert listed["has_auth_username"] is True and listed["has_oauth_client_secret"] is True


def test_an_empty_string_removes_a_secret_and_omitting_it_keeps_it(admin_client, make_connector):
    connector = make_connector(auth_type="basic", auth_username="someone", auth_password="pw-1234")

    kept = admin_client.patch(f"{URL}{connector.pk}/", {"name": "Renamed"}, format="json")
    cleared = admin_client.patch(f"{URL}{connector.pk}/", {"auth_password": ""}, format="json")

    assert kept.json()["has_auth_password"] is True
    assert cleared.json()["has_auth_password"] is False
    connector.refresh_from_db()
    assert (connector.auth_username, connector.auth_password) == ("someone", "")


def test_key_rotation_re_encrypts_every_credential(make_connector, settings):
    from cryptography.fernet import Fernet
    from django.core.management import call_command

    connector = make_connector(
        auth_type="oauth2",
        oauth_token_url="https://auth.example.com/token",
        oauth_client_id="client",
        oauth_client_secret="rotate-me-secret",
        auth_username="rotate-me-user",
        auth_password="rotate-me-password",
    )
    old_keys = list(settings.MIGRATEIQ_FIELD_ENCRYPTION_KEYS)
    settings.MIGRATEIQ_FIELD_ENCRYPTION_KEYS = [Fernet.generate_key().decode(), *old_keys]

    call_command("rotate_encryption_keys", verbosity=0)
    settings.MIGRATEIQ_FIELD_ENCRYPTION_KEYS = settings.MIGRATEIQ_FIELD_ENCRYPTION_KEYS[:1]

    connector = CustomDataConnector.objects.get(pk=connector.pk)
    assert connector.oauth_client_secret == "rotate-me-secret"
    assert connector.auth_username == "rotate-me-user"
    assert connector.auth_password == "rotate-me-password"


def test_auth_header_name_may_not_be_a_header_the_client_owns(admin_client):
    # Issue 12, item 10.
    for name in ("Host", "content-length", "Transfer-Encoding"):
        response = admin_client.post(
            URL,
            {
                "name": f"Reserved {name}",
                "api_endpoint": "https://api.example.com/v1/x",
                "auth_type": "header",
                "auth_header_name": name,
            },
            format="json",
        )
        assert response.status_code == 400
        assert "auth_header_name" in response.json()["errors"]
