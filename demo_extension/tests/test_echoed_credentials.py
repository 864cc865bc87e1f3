"""An API that sends back what it was sent (an echo, debug or "whoami" endpoint; a body repeating
the request's headers or URL): the connector's credentials never reach the stored records, and so
neither the records API, the export nor a destination. An editor may point a connector at another
path of its origin without the admin role, so such an endpoint must not turn a sync into a way to
read the credentials."""

import base64
import json
from urllib.parse import quote

import pytest
from werkzeug import Response

from demo_extension.models import SyncStatus
from demo_extension.services.credentials import secret_params_fields
from demo_extension.tests import sync_support
from demo_extension.tests.sync_support import events, fault_url, run_sync, stored_records

fault_server = sync_support.fault_server
fault_server_process = sync_support.fault_server_process

KEY = "sk_live_echoed-key/0123456789"  # a slash: JSON encoders may write it \/
PASSWORD = "pässword-of-the-service-account"  # non-ASCII: \u00e4 in an ASCII JSON body
USER = "svc-user"
APP_KEY = "application-key-fedcba9876543210"
QUERY_TOKEN = "query-token+55/66 77"  # a query value: percent- or form-encoded in the echoed URL
PATH_TOKEN = "path-token-0099887766"
EVERY_SECRET = (KEY, PASSWORD, APP_KEY, QUERY_TOKEN, PATH_TOKEN)


def echo_server(server, *, pages=1, ascii_json=True, escape_slashes=False):
    """Each page holds two records: one repeating the request (headers, URL, path), one plain."""

    def handler(request):
        page = int(request.args.get("page", "1"))
        echo = {
            "id": f"echo-{page}",
            "headers": {name: value for name, value in request.headers.items()},
            "url": request.url,
            "path": request.full_path,
            "nested": [{"seen": request.headers.get("Authorization", "")}],
        }
        plain = {"id": f"plain-{page}", "note": "no credential here", "tags": ["a", "b"]}
        body = json.dumps([echo, plain], ensure_ascii=ascii_json)
        if escape_slashes:
            body = body.replace("/", "\\/")
        return Response(body, content_type="application/json")

    server.expect_request("/api/echo").respond_with_handler(handler)
    server.expect_request(f"/api/{PATH_TOKEN}/echo").respond_with_handler(handler)
    return pages


def assert_no_secret(text: str) -> None:
    forms = set()
    for secret in EVERY_SECRET:
        forms |= {secret, quote(secret, safe=""), quote(secret, safe="/"), json.dumps(secret)[1:-1]}
    forms.add(base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode())
    forms.add(base64.b64encode(f"{KEY}:".encode()).decode())
    found = [form for form in forms if form in text]
    assert not found, f"stored records hold credentials: {found}"


@pytest.mark.parametrize(
    ("auth", "ascii_json", "escape_slashes"),
    [
        ({"auth_type": "header", "auth_header_name": "X-Api-Key", "api_key": KEY}, True, False),
        ({"auth_type": "bearer", "api_key": KEY}, False, True),
        ({"auth_type": "query", "auth_param_name": "api_key", "api_key": KEY}, True, True),
        ({"auth_type": "basic", "auth_username": USER, "api_key": PASSWORD}, True, False),
        ({"auth_type": "basic_key", "api_key": KEY}, False, False),
    ],
    ids=["header", "bearer", "query", "basic", "basic-key"],
)
def test_credentials_an_api_echoes_are_stored_redacted_with_a_warning(
    fault_server, make_connector, auth, ascii_json, escape_slashes
):
    echo_server(fault_server, ascii_json=ascii_json, escape_slashes=escape_slashes)
    connector = make_connector(
        api_endpoint=fault_url(fault_server, "/api/{secret:path_token}/echo"),
        pagination={"type": "none"},
        primary_key="id",
        **secret_params_fields(
            {
                "headers": {"X-Application-Key": APP_KEY},
                "query": {"token": QUERY_TOKEN},
                "path": {"path_token": PATH_TOKEN},
            }
        ),
        **auth,
    )
    log = run_sync(connector)
    assert log.status == SyncStatus.SUCCESS, log.error_message
    records = stored_records(connector)
    assert set(records) == {"echo-1", "plain-1"}
    assert_no_secret(json.dumps(records, ensure_ascii=False))
    assert_no_secret(json.dumps(records))
    echoed = records["echo-1"]
    assert "[REDACTED]" in echoed["url"] and "[REDACTED]" in echoed["path"]
    assert echoed["headers"]["X-Application-Key"] == "[REDACTED]"
    assert echoed["headers"]["Host"] == f"127.0.0.1:{fault_server.port}"  # the rest is as sent
    assert records["plain-1"] == {"id": "plain-1", "note": "no credential here", "tags": ["a", "b"]}
    warnings = [line for line in events(log) if "credentials" in line]
    assert warnings == [
        "Page 1: 1 record(s) held one of the connector's credentials (the API sent back what it was sent); "
        "each is stored with [REDACTED] in its place."
    ]


def test_every_page_that_echoes_is_redacted_and_the_run_says_how_many(fault_server, make_connector):
    echo_server(fault_server)
    connector = make_connector(
        api_endpoint=fault_url(fault_server, "/api/echo"),
        pagination={"type": "page", "page_param": "page"},
        max_pages=3,
        primary_key="id",
        auth_type="bearer",
        api_key=KEY,
    )
    log = run_sync(connector)
    records = stored_records(connector)
    assert {f"echo-{page}" for page in (1, 2, 3)} <= set(records)
    assert_no_secret(json.dumps(records))
    warnings = [line for line in events(log) if "credentials" in line]
    assert warnings[-1] == (
        "In all, 3 record(s) on 3 pages held one of the connector's credentials; each is stored with "
        "[REDACTED] in its place."
    )


def test_a_page_without_an_echo_is_stored_exactly_as_sent(fault_server, make_connector):
    plain = [{"id": 1, "text": "sk_live but not the key", "url": "https://example.test/?token=abc"}]
    fault_server.expect_request("/api/plain").respond_with_json(plain)
    connector = make_connector(
        api_endpoint=fault_url(fault_server, "/api/plain"),
        pagination={"type": "none"},
        primary_key="id",
        auth_type="bearer",
        api_key=KEY,
    )
    log = run_sync(connector)
    assert log.status == SyncStatus.SUCCESS
    assert stored_records(connector) == {"1": plain[0]}
    assert not [line for line in events(log) if "credentials" in line]
