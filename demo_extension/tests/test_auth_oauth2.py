"""OAuth2 client credentials against a real local authorization server: the token is fetched through
the outbound client, cached until it expires, renewed once after a 401, and never shown."""

import base64
import itertools
import json
import logging
import time
from urllib.parse import parse_qs

import pytest
from werkzeug import Response

from demo_extension.models import SyncStatus
from demo_extension.services.sync import DataSyncService
from demo_extension.tests.sync_support import fault_server, fault_server_process, run_sync  # noqa: F401

CLIENT_ID = "client-0001"
CLIENT_SECRET = "s3cret/client+secret="


class AuthServer:
    """A token endpoint and a data endpoint on one pytest-httpserver: tokens are counted, and the data
    endpoint accepts only tokens the server issued and has not revoked."""

    def __init__(self, server, *, expires_in=3600, client_auth="client_secret_basic", reject_all=False):
        self.server = server
        self.expires_in = expires_in
        self.client_auth = client_auth
        self.reject_all = reject_all
        self.token_requests = []
        self.valid = set()
        self._numbers = itertools.count(1)
        server.expect_request("/oauth/token", method="POST").respond_with_handler(self._token)
        server.expect_request("/api/items").respond_with_handler(self._items)

    def _token(self, request):
        form = {k: v[0] for k, v in parse_qs(request.get_data(as_text=True)).items()}
        self.token_requests.append({"form": form, "headers": dict(request.headers)})
        if self.client_auth == "client_secret_basic":
            expected = "Basic " + base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode()
            ok = request.headers.get("Authorization") == expected
        else:
            ok = form.get("client_id") == CLIENT_ID and form.get("client_secret") == CLIENT_SECRET
        if not ok or form.get("grant_type") != "client_credentials":
            return Response(json.dumps({"error": "invalid_client"}), 401, content_type="application/json")
        token = f"tok-{next(self._numbers)}-abcdef"
        self.valid.add(token)
        body = {"access_token": token, "token_type": "Bearer", "expires_in": self.expires_in}
        return Response(json.dumps(body), 200, content_type="application/json")

    def _items(self, request):
        given = (request.headers.get("Authorization") or "").removeprefix("Bearer ")
        if self.reject_all or given not in self.valid:
            return Response(json.dumps({"error": "invalid_token"}), 401, content_type="application/json")
        return Response(
            json.dumps({"data": [{"id": 1}, {"id": 2}, {"id": 3}]}), 200, content_type="application/json"
        )

    def revoke_all(self):
        self.valid.clear()

    @property
    def token_url(self):
        return f"http://127.0.0.1:{self.server.port}/oauth/token"

    @property
    def api_url(self):
        return f"http://127.0.0.1:{self.server.port}/api/items"


@pytest.fixture
def oauth_connector(make_connector, fault_server):  # noqa: F811
    def _make(**options):
        server = AuthServer(fault_server, **options)
        connector = make_connector(
            api_endpoint=server.api_url,
            auth_type="oauth2",
            oauth_token_url=server.token_url,
            oauth_client_id=CLIENT_ID,
            oauth_client_secret=CLIENT_SECRET,
            oauth_client_auth=options.get("client_auth", "client_secret_basic"),
            oauth_scopes="read:items  write:none",
            oauth_audience="https://api.example.com",
            pagination={"type": "none"},
        )
        return server, connector

    return _make


@pytest.mark.parametrize("client_auth", ["client_secret_basic", "client_secret_post"])
def test_a_sync_gets_a_token_and_sends_it_as_bearer(oauth_connector, client_auth):
    server, connector = oauth_connector(client_auth=client_auth)

    log = run_sync(connector)

    assert log.status == SyncStatus.SUCCESS, log.error_message
    assert log.records_created == 3
    assert len(server.token_requests) == 1
    form = server.token_requests[0]["form"]
    assert form["scope"] == "read:items write:none"
    assert form["audience"] == "https://api.example.com"
    assert ("client_secret" in form) == (client_auth == "client_secret_post")


def test_the_token_is_cached_until_it_expires(oauth_connector):
    server, connector = oauth_connector(expires_in=2)

    run_sync(connector)
    run_sync(connector)
    assert len(server.token_requests) == 1  # the second sync reused the cached token

    time.sleep(2.1)
    log = run_sync(connector)

    assert log.status == SyncStatus.SUCCESS, log.error_message
    assert len(server.token_requests) == 2


def test_changing_the_oauth_settings_fetches_a_new_token(oauth_connector):
    server, connector = oauth_connector()
    run_sync(connector)

    connector.oauth_scopes = "read:items"
    connector.save()
    run_sync(connector)

    assert len(server.token_requests) == 2


def test_a_401_fetches_a_new_token_once_and_the_sync_goes_on(oauth_connector):
    server, connector = oauth_connector()
    run_sync(connector)
    server.revoke_all()  # the cached token is no longer accepted

    log = run_sync(connector)

    assert log.status == SyncStatus.SUCCESS, log.error_message
    assert len(server.token_requests) == 2


def test_a_401_with_a_new_token_too_fails_after_exactly_one_renewal(oauth_connector):
    server, connector = oauth_connector(reject_all=True)

    log = run_sync(connector)

    assert log.status == SyncStatus.FAILED
    assert "401" in log.error_message
    assert len(server.token_requests) == 2


def test_a_wrong_client_secret_fails_clearly_without_showing_it(oauth_connector, caplog):
    server, connector = oauth_connector()
    connector.oauth_client_secret = "wrong/secret+value="
    connector.save()
    caplog.set_level(logging.DEBUG)

    result = DataSyncService(connector).check_connection()
    log = run_sync(connector)

    assert result.connected is False
    assert "OAuth2 token request failed" in result.message and "401" in result.message
    assert log.status == SyncStatus.FAILED
    assert "OAuth2 token request failed" in log.error_message
    texts = [result.message, log.error_message, *log.events.values_list("message", flat=True), caplog.text]
    for text in texts:
        assert "wrong/secret+value=" not in text
        assert "wrong%2Fsecret%2Bvalue%3D" not in text


def test_the_token_never_appears_in_logs_events_or_the_database(oauth_connector, caplog):
    from demo_extension.tests.test_auth_credentials import _all_database_text

    server, connector = oauth_connector()
    caplog.set_level(logging.DEBUG)
    server.revoke_all()

    log = run_sync(connector)

    assert log.status == SyncStatus.SUCCESS
    stored = _all_database_text()
    for token in ("tok-1-abcdef", CLIENT_SECRET):
        assert token not in caplog.text
        assert token not in stored
        assert all(token not in message for message in log.events.values_list("message", flat=True))


def test_a_token_url_outside_the_egress_rules_is_refused_on_save(admin_client):
    response = admin_client.post(
        "/api/demo-extension/connectors/",
        {
            "name": "Metadata token",
            "api_endpoint": "http://127.0.0.1:9/items",
            "auth_type": "oauth2",
            "oauth_token_url": "http://169.254.169.254/latest/token",
            "oauth_client_id": CLIENT_ID,
            "oauth_client_secret": CLIENT_SECRET,
        },
        format="json",
    )

    assert response.status_code == 400
    assert "oauth_token_url" in response.json()["errors"]


def test_oauth2_needs_a_token_url_and_a_client_id(admin_client, settings):
    settings.MIGRATEIQ_EGRESS_ALLOWLIST = ["127.0.0.1:9"]
    response = admin_client.post(
        "/api/demo-extension/connectors/",
        {"name": "Half OAuth", "api_endpoint": "http://127.0.0.1:9/items", "auth_type": "oauth2"},
        format="json",
    )

    assert response.status_code == 400
    assert set(response.json()["errors"]) >= {"oauth_token_url", "oauth_client_id"}
