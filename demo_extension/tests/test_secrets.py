"""Secrets of connectors at rest and in motion: encryption, key rotation, and a canary API key hunted
everywhere.

The canary is planted through the API and used against a local upstream that requires it (and that
echoes it back in its error bodies, as careless upstreams do). It must then appear nowhere: not in
API responses, admin pages, logs, sync logs, error bodies, metrics, nor in any column of any table
except as ciphertext. Its last four characters may appear only as ``api_key_last4``.
(The platform's part, keys and redaction: ``core/tests/test_secrets.py``.)
"""

import json
import logging
import secrets

import pytest
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.core.management import CommandError
from django.db import connection
from django.test import Client
from werkzeug import Response

from core.encryption import DecryptionError
from core.logging import JsonFormatter
from core.tests.test_secrets import K1, K2, raw_column, rotate
from demo_extension.models import CustomDataConnector, SyncLog, SyncStatus

CONNECTORS = "/api/demo-extension/connectors/"


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def upstream(httpserver, settings):
    """A local upstream (pytest-httpserver) on 127.0.0.1, allowlisted by IP and port."""
    settings.MIGRATEIQ_EGRESS_ALLOWLIST = [f"127.0.0.1:{httpserver.port}"]
    return httpserver


# --- encryption at rest and key rotation ---------------------------------------------------------


def make_connectors(tenant, count, prefix="secret"):
    return [
        CustomDataConnector.objects.create(
            tenant=tenant, name=f"c{i}", api_endpoint="http://127.0.0.1:9/", api_key=f"{prefix}-value-{i}"
        )
        for i in range(count)
    ]


def test_secrets_are_stored_encrypted(tenant_a, settings):
    settings.MIGRATEIQ_FIELD_ENCRYPTION_KEYS = [K1]
    (connector,) = make_connectors(tenant_a, 1)

    stored = raw_column(CustomDataConnector, "api_key", connector.pk)

    assert stored.startswith("fernet:")
    assert "secret-value" not in stored
    assert CustomDataConnector.objects.get(pk=connector.pk).api_key == "secret-value-0"


def test_rotation_re_encrypts_every_secret_so_the_old_key_can_be_dropped(tenant_a, tenant_b, settings):
    settings.MIGRATEIQ_FIELD_ENCRYPTION_KEYS = [K1]
    connectors = make_connectors(tenant_a, 5) + make_connectors(tenant_b, 3, prefix="other")
    CustomDataConnector.objects.create(tenant=tenant_a, name="keyless", api_endpoint="http://127.0.0.1:9/")
    before = {c.pk: raw_column(CustomDataConnector, "api_key", c.pk) for c in connectors}

    settings.MIGRATEIQ_FIELD_ENCRYPTION_KEYS = [K2, K1]
    output = rotate("--batch-size", "3")

    assert (
        "demo_extension.CustomDataConnector.api_key: 8 re-encrypted, 0 already current, 0 unreadable"
        in output
    )
    settings.MIGRATEIQ_FIELD_ENCRYPTION_KEYS = [K2]
    for connector in connectors:
        stored = raw_column(CustomDataConnector, "api_key", connector.pk)
        assert stored != before[connector.pk]
        assert stored.startswith("fernet:") and "value" not in stored
        assert CustomDataConnector.objects.get(pk=connector.pk).api_key == connector.api_key
    assert CustomDataConnector.objects.unscoped("test: every tenant").get(name="keyless").api_key == ""


def test_rotation_run_again_changes_nothing(tenant_a, settings):
    settings.MIGRATEIQ_FIELD_ENCRYPTION_KEYS = [K1]
    (connector,) = make_connectors(tenant_a, 1)
    settings.MIGRATEIQ_FIELD_ENCRYPTION_KEYS = [K2, K1]
    rotate()
    stored = raw_column(CustomDataConnector, "api_key", connector.pk)

    output = rotate()

    assert "0 re-encrypted, 1 already current, 0 unreadable" in output
    assert raw_column(CustomDataConnector, "api_key", connector.pk) == stored


def test_dropping_the_old_key_before_rotating_fails_loudly_and_changes_nothing(tenant_a, settings):
    settings.MIGRATEIQ_FIELD_ENCRYPTION_KEYS = [K1]
    (connector,) = make_connectors(tenant_a, 1)
    stored = raw_column(CustomDataConnector, "api_key", connector.pk)
    settings.MIGRATEIQ_FIELD_ENCRYPTION_KEYS = [K2]

    with pytest.raises(DecryptionError):
        CustomDataConnector.objects.get(pk=connector.pk)
    with pytest.raises(CommandError, match="1 unreadable"):
        rotate()
    assert raw_column(CustomDataConnector, "api_key", connector.pk) == stored


# --- the canary hunt ------------------------------------------------------------------------------


CANARY = "mqc" + secrets.token_urlsafe(24) + "~K9~"  # "~" is in neither base64 nor hex: no chance hits
LAST4 = CANARY[-4:]
FRAGMENTS = [CANARY[i : i + 10] for i in range(len(CANARY) - 9)]


def leaks(text: str, *, last4_allowed_in_field: bool = True) -> list[str]:
    """Pieces of the canary in ``text``: any 10-character fragment, or its last four characters
    anywhere but the ``api_key_last4`` field."""
    found = [f for f in FRAGMENTS if f in text]
    if last4_allowed_in_field:
        for allowed in (f'"api_key_last4":"{LAST4}"', f'"api_key_last4": "{LAST4}"', f"…{LAST4}"):
            text = text.replace(allowed, "")
    if LAST4 in text:
        found.append(
            f"last4 outside api_key_last4: …{text[max(0, text.index(LAST4) - 80) : text.index(LAST4) + 10]}"
        )
    return found


class Seen:
    """Every text that left the process during the test, by where it went."""

    def __init__(self):
        self.texts: list[tuple[str, str]] = []

    def add(self, where, response_or_text):
        if isinstance(response_or_text, str):
            text = response_or_text
        else:
            content = (
                b"".join(response_or_text.streaming_content)
                if getattr(response_or_text, "streaming", False)
                else response_or_text.content
            )
            text = content.decode(errors="replace") + json.dumps(dict(response_or_text.headers))
        self.texts.append((where, text))
        return response_or_text

    def assert_clean(self):
        problems = {where: found for where, text in self.texts if (found := leaks(text))}
        assert not problems, f"the canary API key leaked: {problems}"


def upstream_requiring_the_canary(server, *, fail_with=None):
    """The upstream answers records only to ``Authorization: Bearer <canary>``. Otherwise (or with
    ``fail_with``) it answers an error whose body echoes the credentials it received."""

    def handler(request):
        presented = request.headers.get("Authorization", "")
        if fail_with is None and presented == f"Bearer {CANARY}":
            return Response(
                json.dumps([{"id": 1, "email": "a@example.test"}, {"id": 2, "email": "b@example.test"}]),
                status=200,
                content_type="application/json",
            )
        status = fail_with or 401
        body = json.dumps({"error": f"bad credentials: {presented}", "received_key": presented[7:]})
        return Response(body, status=status, content_type="application/json")

    server.expect_request("/users").respond_with_handler(handler)
    return f"http://127.0.0.1:{server.port}/users"


@pytest.fixture
def hunt(settings, caplog):
    settings.MIGRATEIQ_SYNC_RUNNER = "inline"
    settings.MIGRATEIQ_HTTP_MAX_ATTEMPTS = 2
    settings.MIGRATEIQ_HTTP_BACKOFF_BASE = 0.0
    settings.MIGRATEIQ_METRICS_TOKEN = "metrics-token-for-tests"
    caplog.set_level(logging.DEBUG)
    for name in ("core", "demo_extension", "tenancy", "migrateiq", "django", "celery", "httpx", "httpcore"):
        caplog.set_level(logging.DEBUG, logger=name)
    return Seen()


@pytest.mark.slow
def test_the_canary_api_key_never_leaves_the_database_unencrypted(
    hunt, upstream, editor_client, admin_client, caplog, django_capture_on_commit_callbacks, tenant_a
):
    url = upstream_requiring_the_canary(upstream)
    seen = hunt

    # the API: create, read, update, test, sync, and everything a sync produces
    created = seen.add(
        "create",
        editor_client.post(
            CONNECTORS,
            {"name": "canary", "api_endpoint": url, "api_key": CANARY, "auth_type": "bearer"},
            format="json",
        ),
    )
    assert created.status_code == 201, created.content
    assert created.json()["api_key_last4"] == LAST4 and created.json()["has_api_key"] is True
    pk = created.json()["id"]
    detail = f"{CONNECTORS}{pk}/"
    seen.add("list", editor_client.get(CONNECTORS))
    seen.add("detail", editor_client.get(detail))
    seen.add("patch", editor_client.patch(detail, {"name": "canary renamed"}, format="json"))
    put = seen.add(
        "put",
        editor_client.put(
            detail, {"name": "canary", "api_endpoint": url, "auth_type": "bearer"}, format="json"
        ),
    )
    assert put.status_code == 200, put.content
    tested = seen.add("test_connection", editor_client.post(f"{detail}test_connection/"))
    assert tested.json()["connected"] is True, tested.content
    with django_capture_on_commit_callbacks(execute=True):
        seen.add("sync_data", editor_client.post(f"{detail}sync_data/?wait=0"))
    ok_log = SyncLog.objects.get(connector_id=pk)
    assert ok_log.status == SyncStatus.SUCCESS, ok_log.error_message
    assert ok_log.records_created == 2
    # the hunt means something only because the key was really sent
    assert any(req.headers.get("Authorization") == f"Bearer {CANARY}" for req, _ in upstream.log)

    # failing runs: the upstream refuses (401) or breaks (500) and echoes the key in its body
    for status in (401, 500):
        upstream.clear()
        upstream_requiring_the_canary(upstream, fail_with=status)
        seen.add(f"test_connection {status}", editor_client.post(f"{detail}test_connection/"))
        with django_capture_on_commit_callbacks(execute=True):
            seen.add(f"sync_data {status}", editor_client.post(f"{detail}sync_data/?wait=0"))
    failed = SyncLog.objects.filter(connector_id=pk, status=SyncStatus.FAILED)
    assert failed.count() == 2, list(SyncLog.objects.values_list("status", "error_message"))
    assert all(log.error_message for log in failed)

    for log in SyncLog.objects.filter(connector_id=pk):
        base = f"/api/demo-extension/sync-logs/{log.pk}/"
        for suffix in ("", "events/", "errors/"):
            seen.add(f"GET {base}{suffix}", editor_client.get(base + suffix))
    for suffix in ("sync_history/", "records/"):
        seen.add(f"GET {detail}{suffix}", editor_client.get(detail + suffix))
    seen.add("sync-logs", editor_client.get("/api/demo-extension/sync-logs/"))
    seen.add("stats", editor_client.get(f"{CONNECTORS}stats/"))
    seen.add("schema", Client().get("/api/schema/"))
    seen.add("metrics", Client().get("/metrics", HTTP_AUTHORIZATION="Bearer metrics-token-for-tests"))

    # Django admin, as a superuser: every registered model's list and each object's change page
    root = get_user_model().objects.create_superuser(email="root@migrateiq.test", password="correct-horse-9")
    browser = Client()
    browser.force_login(root)
    for model in list(admin.site._registry):
        opts = model._meta
        changelist = f"/admin/{opts.app_label}/{opts.model_name}/"
        seen.add(changelist, browser.get(changelist))
        for obj_pk in model._base_manager.values_list("pk", flat=True)[:20]:
            seen.add(f"{changelist}{obj_pk}/change/", browser.get(f"{changelist}{obj_pk}/change/"))
    assert any("customdataconnector" in where for where, _ in seen.texts)

    # logs of every logger, as the production formatter writes them
    formatter = JsonFormatter()
    for record in caplog.records:
        seen.add(
            f"log {record.name}", formatter.format(record) + " " + repr(record.args) + repr(record.__dict__)
        )
    assert caplog.records

    # the raw database: every column of every table
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names():
            columns = [c.name for c in connection.introspection.get_table_description(cursor, table)]
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")  # noqa: S608
            for row in cursor.fetchall():
                for column, value in zip(columns, row, strict=True):
                    if value is None or (
                        table == CustomDataConnector._meta.db_table and column == "api_key_last4"
                    ):
                        continue
                    text = value if isinstance(value, str) else json.dumps(value, default=str)
                    if LAST4 in text or any(f in text for f in FRAGMENTS):
                        seen.add(f"db {table}.{column}", text)
    assert raw_column(CustomDataConnector, "api_key", pk).startswith("fernet:")
    assert raw_column(CustomDataConnector, "api_key_last4", pk) == LAST4

    assert len(seen.texts) > 30
    seen.assert_clean()
    assert CustomDataConnector.objects.get(pk=pk).api_key == CANARY


def _canary_cut_by_the_excerpt(limit: int) -> str:
    """Text whose first ``limit`` characters end twelve characters into the canary: a message cut
    there before redaction would show a piece of the key that no longer matches it."""
    return "x" * (limit - 1 - 12 - 1) + " " + CANARY


@pytest.mark.parametrize(
    ("status", "content_type", "body"),
    [
        # "(the API says: …)": the first 200 characters of an error body's message
        (401, "application/json", json.dumps({"message": _canary_cut_by_the_excerpt(200)})),
        (500, "text/plain", _canary_cut_by_the_excerpt(200)),
        # an error answered with HTTP 200: its first 300 characters
        (200, "application/json", json.dumps({"ok": False, "error": _canary_cut_by_the_excerpt(300)})),
        # a 200 that is not JSON: "…, starting '<its first 60 characters>'"
        (200, "text/plain", _canary_cut_by_the_excerpt(60)),
    ],
    # The canary is random: ids of their own keep the test names equal in every xdist worker.
    ids=["401-json-message", "500-text", "200-json-error", "200-not-json"],
)
def test_a_key_echoed_where_an_error_excerpt_is_cut_shows_no_piece_of_it(
    hunt, upstream, editor_client, django_capture_on_commit_callbacks, status, content_type, body
):
    upstream.expect_request("/users").respond_with_data(body, status=status, content_type=content_type)
    created = editor_client.post(
        CONNECTORS,
        {
            "name": "echo",
            "api_endpoint": f"http://127.0.0.1:{upstream.port}/users",
            "api_key": CANARY,
            "auth_type": "bearer",
        },
        format="json",
    )
    assert created.status_code == 201, created.content
    detail = f"{CONNECTORS}{created.json()['id']}/"

    tested = hunt.add("test_connection", editor_client.post(f"{detail}test_connection/"))
    with django_capture_on_commit_callbacks(execute=True):
        hunt.add("sync_data", editor_client.post(f"{detail}sync_data/?wait=0"))
    log = SyncLog.objects.get(connector_id=created.json()["id"])
    hunt.add("sync log", editor_client.get(f"/api/demo-extension/sync-logs/{log.pk}/events/"))
    hunt.add("error_message", log.error_message)

    assert tested.json()["connected"] is False
    assert log.status == SyncStatus.FAILED
    assert "xxxxxxxxxx" in tested.json()["message"] and "xxxxxxxxxx" in log.error_message
    hunt.assert_clean()
