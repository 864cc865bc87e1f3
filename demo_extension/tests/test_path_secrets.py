"""A key in the endpoint URL's path (``https://api.telegram.org/bot<token>/getUpdates``): the
endpoint holds a ``{secret:NAME}`` placeholder and the value lives encrypted in
``secret_params["path"]``. The value goes into the path of every request and nowhere else: not in
API responses, logs, run errors, audit records or metrics (docs/security.md, O3)."""

import json
import logging

import pytest
from django.db import connection
from django.test import Client
from werkzeug import Response

from audit.models import AuditEvent
from core.logging import JsonFormatter
from demo_extension.models import CustomDataConnector, SyncLog, SyncStatus
from demo_extension.tests.sync_support import database_text

CONNECTORS = "/api/demo-extension/connectors/"
TOKEN = "123456789:AAH-path-canary-Zx9Qw8Er7Ty6"
ENDPOINT_PATH = "/bot{secret:token}/getUpdates"


@pytest.fixture
def upstream(httpserver, settings):
    """A Telegram-like upstream that answers only at the path with the token in it."""
    settings.MIGRATEIQ_EGRESS_ALLOWLIST = [f"127.0.0.1:{httpserver.port}"]
    settings.MIGRATEIQ_SYNC_RUNNER = "inline"
    settings.MIGRATEIQ_HTTP_MAX_ATTEMPTS = 1
    settings.MIGRATEIQ_METRICS_TOKEN = "metrics-token-for-tests"
    return httpserver


def answer(upstream, status=200):
    def handler(request):
        if status != 200:  # a careless upstream that echoes the path it was asked
            return Response(json.dumps({"description": f"Not Found: {request.path}"}), status=status)
        return Response(
            json.dumps({"ok": True, "result": [{"id": 1}, {"id": 2}]}),
            200,
            {"Content-Type": "application/json"},
        )

    upstream.expect_request(f"/bot{TOKEN}/getUpdates").respond_with_handler(handler)


def body(upstream, **extra):
    return {
        "name": "telegram",
        "api_endpoint": f"http://127.0.0.1:{upstream.port}{ENDPOINT_PATH}",
        "auth_type": "none",
        "records_path": "result",
        "pagination": {"type": "none"},
        "secret_params": {"path": {"token": TOKEN}},
        **extra,
    }


def test_a_secret_in_the_endpoint_path_is_sent_and_shown_nowhere(
    upstream, editor_client, admin_client, caplog, django_capture_on_commit_callbacks, tenant_a
):
    caplog.set_level(logging.DEBUG)
    answer(upstream)
    texts: list[tuple[str, str]] = []

    def seen(where, response):
        texts.append((where, response.content.decode()))
        return response

    created = seen("create", editor_client.post(CONNECTORS, body(upstream), format="json"))
    assert created.status_code == 201, created.content
    assert created.json()["api_endpoint"].endswith(ENDPOINT_PATH)
    assert created.json()["secret_param_names"] == {"path": ["token"]}
    detail = f"{CONNECTORS}{created.json()['id']}/"
    seen("list", editor_client.get(CONNECTORS))
    seen("detail", editor_client.get(detail))
    tested = seen("test_connection", editor_client.post(f"{detail}test_connection/"))
    assert tested.json()["connected"] is True, tested.content
    previewed = seen("preview", editor_client.post(f"{detail}preview/", {}, format="json"))
    assert previewed.status_code == 200, previewed.content
    with django_capture_on_commit_callbacks(execute=True):
        seen("sync", editor_client.post(f"{detail}sync_data/?wait=0"))
    run = SyncLog.objects.get(connector_id=created.json()["id"])
    assert run.status == SyncStatus.SUCCESS, run.error_message
    assert run.records_created == 2
    assert len(upstream.log) == 3  # the value was really sent, in the path

    # a failing upstream that echoes the path: the run error and the test name the URL without it
    upstream.clear()
    answer(upstream, status=404)
    failed = seen("test_connection 404", editor_client.post(f"{detail}test_connection/"))
    assert failed.json()["connected"] is False
    with django_capture_on_commit_callbacks(execute=True):
        seen("sync 404", editor_client.post(f"{detail}sync_data/?wait=0"))
    failed_run = SyncLog.objects.filter(connector_id=created.json()["id"]).latest("pk")
    assert failed_run.status == SyncStatus.FAILED
    assert "/getUpdates" in failed_run.error_message, failed_run.error_message

    for log in SyncLog.objects.filter(connector_id=created.json()["id"]):
        for suffix in ("", "events/", "errors/"):
            seen(
                f"run {log.pk} {suffix}",
                editor_client.get(f"/api/demo-extension/sync-logs/{log.pk}/{suffix}"),
            )
    seen("audit", admin_client.get("/api/audit/events/"))
    seen("metrics", Client().get("/metrics", HTTP_AUTHORIZATION="Bearer metrics-token-for-tests"))
    texts += [
        (f"run {r.pk}", json.dumps([r.error_message, r.checkpoint]))
        for r in SyncLog.objects.unscoped("test: every run")
    ]
    texts += [
        (
            "audit rows",
            json.dumps(
                list(AuditEvent.objects.unscoped("test: every event").values("fields", "detail")), default=str
            ),
        )
    ]
    formatter = JsonFormatter()  # every log of MigrateIQ (werkzeug's are the fake upstream's own)
    texts += [
        (f"log {r.name}", formatter.format(r) + repr(r.args)) for r in caplog.records if r.name != "werkzeug"
    ]
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT api_endpoint, secret_params FROM {CustomDataConnector._meta.db_table}")  # noqa: S608
        texts += [("database", json.dumps(cursor.fetchall()))]

    leaks = [where for where, text in texts if TOKEN in text or "AAH-path-canary" in text]
    assert leaks == []
    assert len(texts) > 15


def test_a_short_path_secret_leaves_the_rest_of_the_path_readable(upstream, editor_client, tenant_a):
    """A token of fewer than 8 characters is masked as a whole value only, so the URL shown is the
    endpoint with its placeholder: that placeholder was masked as ``secret: value`` with the rest of
    the path (``…/bot{secret:[REDACTED]``)."""
    short = "k3y9Zq"
    upstream.expect_request(f"/bot{short}/getUpdates").respond_with_data("Not Found: no such bot", status=404)
    created = editor_client.post(
        CONNECTORS, body(upstream, secret_params={"path": {"token": short}}), format="json"
    )
    assert created.status_code == 201, created.content

    tested = editor_client.post(f"{CONNECTORS}{created.json()['id']}/test_connection/")

    assert tested.json()["connected"] is False, tested.content
    assert tested.json()["endpoint"].endswith(ENDPOINT_PATH), tested.json()
    assert short not in tested.content.decode()
    assert len(upstream.log) == 1  # the value was sent, in the path


@pytest.mark.parametrize(
    ("endpoint_path", "secret_params", "words"),
    [
        (ENDPOINT_PATH, None, "secret_params has no such value"),
        (ENDPOINT_PATH, {"path": {"other": "x-value"}}, "{secret:token}"),
        (ENDPOINT_PATH, {"query": {"token": "x-value"}}, "secret_params has no such value"),
        ("/getUpdates?chat={secret:token}", {"path": {"token": "x-value"}}, "not its query"),
        ("/bot{secret:tok!en}/getUpdates", {"path": {"token": "x-value"}}, "{secret:NAME}"),
    ],
)
def test_a_placeholder_without_its_secret_is_a_400_at_save_time(
    upstream, editor_client, endpoint_path, secret_params, words
):
    sent = body(upstream, api_endpoint=f"http://127.0.0.1:{upstream.port}{endpoint_path}")
    if secret_params is None:
        del sent["secret_params"]
    else:
        sent["secret_params"] = secret_params

    response = editor_client.post(CONNECTORS, sent, format="json")

    assert response.status_code == 400, response.content
    assert words in response.json()["errors"]["api_endpoint"][0]


def test_removing_the_secret_a_placeholder_names_is_a_400_and_keeping_it_is_not(upstream, editor_client):
    detail = f"{CONNECTORS}{editor_client.post(CONNECTORS, body(upstream), format='json').json()['id']}/"

    removed = editor_client.patch(detail, {"secret_params": {}}, format="json")
    renamed = editor_client.patch(detail, {"name": "telegram 2"}, format="json")
    moved_path = editor_client.patch(
        detail, {"api_endpoint": f"http://127.0.0.1:{upstream.port}/bot{{secret:token}}/getMe"}, format="json"
    )

    assert removed.status_code == 400 and "no such value" in removed.json()["errors"]["api_endpoint"][0]
    assert renamed.status_code == 200, renamed.content
    assert moved_path.status_code == 200, moved_path.content


@pytest.mark.parametrize(
    ("value", "words"),
    [({"path": {"to ken": "x"}}, "placeholder's name"), ({"path": {"token": ""}}, "is empty")],
)
def test_malformed_path_secrets_are_a_400(upstream, editor_client, value, words):
    response = editor_client.post(CONNECTORS, body(upstream, secret_params=value), format="json")

    assert response.status_code == 400
    assert words in str(response.json()["errors"]["secret_params"])


def test_a_value_with_a_slash_stays_one_path_segment():
    from demo_extension.services.path_secrets import fill, hide

    url = "https://api.example.test/v1/{secret:key}/items?page=2"
    filled = fill(url, {"key": "a/b c:d"})

    assert filled == "https://api.example.test/v1/a%2Fb%20c:d/items?page=2"
    assert hide(filled, {"key": "a/b c:d"}) == url


@pytest.mark.parametrize("link_in", ["body", "link_header"])
def test_a_next_link_with_the_key_in_its_path_is_checkpointed_with_the_placeholder_and_resumes(
    upstream, editor_client, django_capture_on_commit_callbacks, caplog, link_in
):
    """An upstream's absolute next links repeat the URL it was asked, key included: the run keeps
    them (checkpoint, events, errors, logs) with the placeholder, and a resumed run sends the key
    again."""
    caplog.set_level(logging.DEBUG)
    failing = {"page 2": True}
    base = f"http://127.0.0.1:{upstream.port}/bot{TOKEN}/getUpdates"

    def handler(request):
        offset = int(request.args.get("offset", "1"))
        if offset == 3 and failing["page 2"]:
            return Response("upstream hiccup", 503)
        next_url = f"{base}?offset={offset + 2}" if offset < 5 else None
        page = {"ok": True, "result": [{"id": offset}, {"id": offset + 1}]}
        headers = {"Content-Type": "application/json"}
        if link_in == "body":
            page["next"] = next_url
        elif next_url:
            headers["Link"] = f'<{next_url}>; rel="next"'
        return Response(json.dumps(page), 200, headers)

    upstream.expect_request(f"/bot{TOKEN}/getUpdates").respond_with_handler(handler)
    pagination = {"type": "link_header"} if link_in == "link_header" else {"type": "next_url"}
    created = editor_client.post(CONNECTORS, body(upstream, pagination=pagination), format="json")
    assert created.status_code == 201, created.content
    detail = f"{CONNECTORS}{created.json()['id']}/"

    with django_capture_on_commit_callbacks(execute=True):
        editor_client.post(f"{detail}sync_data/?wait=0")
    run = SyncLog.objects.get(connector_id=created.json()["id"])
    assert run.status == SyncStatus.FAILED, run.error_message
    assert run.checkpoint["pagination"]["state"]["url"] == (
        f"http://127.0.0.1:{upstream.port}/bot{{secret:token}}/getUpdates?offset=3"
    )
    assert "AAH-path-canary" not in database_text()

    failing["page 2"] = False
    sent_before = len(upstream.log)
    with django_capture_on_commit_callbacks(execute=True):
        resumed = editor_client.post(f"/api/demo-extension/sync-logs/{run.pk}/resume/?wait=0")

    assert resumed.status_code == 202, resumed.content
    run.refresh_from_db()
    assert run.status == SyncStatus.SUCCESS, run.error_message
    assert run.records_created == 6
    # Pages are fetched ahead and a failed run's last requests may still be answered after it ended, so
    # the server's log is read by what was answered, not by its order: page 1 once (the resume began at
    # the checkpoint), pages 3 and 5 answered with the key in the path, nothing sent elsewhere.
    answered = [
        (request.path, request.args.get("offset", "1"), response.status_code)
        for request, response in upstream.log
    ]
    assert [offset for _, offset, _ in answered].count("1") == 1
    assert {("3", 200), ("5", 200)} <= {(offset, status) for _, offset, status in answered}
    assert {path for path, _, _ in answered} == {f"/bot{TOKEN}/getUpdates"}
    assert len(upstream.log) > sent_before
    assert "AAH-path-canary" not in database_text()
    formatter = JsonFormatter()
    logged = [formatter.format(r) + repr(r.args) for r in caplog.records if r.name != "werkzeug"]
    assert not [line for line in logged if "AAH-path-canary" in line]


def test_replacing_the_further_credentials_can_keep_a_stored_path_value_by_sending_null(
    upstream, editor_client
):
    """What the web UI sends when one replaces the headers and keeps the path's value it cannot show."""
    created = editor_client.post(CONNECTORS, body(upstream), format="json").json()
    detail = f"{CONNECTORS}{created['id']}/"

    kept = editor_client.patch(
        detail,
        {"secret_params": {"headers": {"X-Second": "second-value"}, "path": {"token": None}}},
        format="json",
    )

    assert kept.status_code == 200, kept.content
    assert kept.json()["secret_param_names"] == {"headers": ["X-Second"], "path": ["token"]}
    connector = CustomDataConnector.objects.unscoped("test: the stored values").get(pk=created["id"])
    from demo_extension.services.credentials import secret_params_of

    assert secret_params_of(connector)["path"] == {"token": TOKEN}
    assert secret_params_of(connector)["headers"] == {"X-Second": "second-value"}


def test_a_null_keeps_nothing_that_is_not_stored_nor_follows_the_endpoint_to_another_host(
    upstream, editor_client, admin_client
):
    created = editor_client.post(CONNECTORS, body(upstream), format="json").json()
    detail = f"{CONNECTORS}{created['id']}/"

    unknown = editor_client.patch(detail, {"secret_params": {"path": {"other": None}}}, format="json")
    moved = admin_client.patch(
        detail,
        {
            "api_endpoint": f"http://localhost:{upstream.port}{ENDPOINT_PATH}",
            "secret_params": {"path": {"token": None}},
        },
        format="json",
    )

    assert unknown.status_code == 400
    assert "none is stored under that name" in str(unknown.json()["errors"]["secret_params"])
    assert moved.status_code == 400, moved.content
    assert "sends the credentials elsewhere" in moved.json()["errors"]["secret_params"][0]
