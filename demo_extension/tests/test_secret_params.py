"""Credentials besides the one of ``auth_type`` (Datadog's DD-APPLICATION-KEY beside DD-API-KEY,
Trello's token beside its key): ``secret_params`` are write-only and encrypted, sent with every
request to the endpoint's origin and to no other, bound to that origin like the key, and never shown
(their names are, in ``secret_param_names``)."""

import json

import pytest
from django.db import connection

from demo_extension.models import CustomDataConnector, SyncStatus
from demo_extension.tests.sync_support import (  # noqa: F401
    fast_retries,
    fault_server,
    fault_server_process,
    fault_url,
    run_sync,
)

URL = "/api/demo-extension/connectors/"
API_KEY = "dd-api-key-0123456789abcdef"
APP_KEY = "dd-application-key-fedcba9876543210"
TOKEN = "trello-token-5555666677778888"
SECRETS = {"headers": {"DD-APPLICATION-KEY": APP_KEY}, "query": {"token": TOKEN}}


@pytest.fixture
def upstream(sample_upstream):
    return sample_upstream(records=5, style="page", api_key=API_KEY, auth="header", auth_header="DD-API-KEY")


def _create(client, upstream, **extra):
    body = {
        "name": "Datadog-like",
        "api_endpoint": upstream.url,
        "auth_type": "header",
        "auth_header_name": "DD-API-KEY",
        "api_key": API_KEY,
        "secret_params": SECRETS,
        **extra,
    }
    return client.post(URL, body, format="json")


def _raw_row(pk: int) -> str:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT secret_params, secret_param_names FROM demo_extension_customdataconnector WHERE id = %s",
            [pk],
        )
        return str(cursor.fetchone())


def test_secret_params_go_with_every_request_and_are_never_shown(editor_client, upstream):
    created = _create(editor_client, upstream)
    assert created.status_code == 201, created.content
    connector = CustomDataConnector.objects.unscoped("test").get(pk=created.json()["id"])

    log = run_sync(connector)

    assert log.status == SyncStatus.SUCCESS, log.error_message
    assert upstream.requests
    for request in upstream.requests:
        headers = {name.lower(): value for name, value in request["headers"].items()}
        assert headers.get("dd-application-key") == APP_KEY
        assert request["query"].get("token") == TOKEN
    shown = editor_client.get(f"{URL}{connector.pk}/").content.decode() + created.content.decode()
    shown += editor_client.get(f"{URL}{connector.pk}/sync_history/").content.decode()
    assert APP_KEY not in shown and TOKEN not in shown
    assert created.json()["secret_param_names"] == {"headers": ["DD-APPLICATION-KEY"], "query": ["token"]}
    raw = _raw_row(connector.pk)
    assert APP_KEY not in raw and TOKEN not in raw and "DD-APPLICATION-KEY" in raw


def test_omitted_secret_params_are_kept_a_new_object_replaces_them_and_empty_removes_them(
    editor_client, upstream
):
    pk = _create(editor_client, upstream).json()["id"]

    kept = editor_client.patch(f"{URL}{pk}/", {"name": "Renamed"}, format="json")
    replaced = editor_client.patch(
        f"{URL}{pk}/", {"secret_params": {"query": {"token": "another-token-0000"}}}, format="json"
    )
    stored = CustomDataConnector.objects.unscoped("test").get(pk=pk).secret_params
    removed = editor_client.patch(f"{URL}{pk}/", {"secret_params": {}}, format="json")

    assert kept.json()["secret_param_names"] == {"headers": ["DD-APPLICATION-KEY"], "query": ["token"]}
    assert replaced.json()["secret_param_names"] == {"query": ["token"]}
    assert json.loads(stored) == {"query": {"token": "another-token-0000"}}
    assert removed.json()["secret_param_names"] == {}
    assert CustomDataConnector.objects.unscoped("test").get(pk=pk).secret_params == ""


@pytest.mark.parametrize(
    ("extra", "clash"),
    [
        (
            {"request_headers": {"x-account": "a"}, "secret_params": {"headers": {"X-Account": "b"}}},
            "'X-Account'",
        ),
        ({"query_params": {"account": "a"}, "secret_params": {"query": {"account": "b"}}}, "'account'"),
        ({"secret_params": {"headers": {"DD-API-KEY": "x"}}}, "'DD-API-KEY'"),
        ({"auth_type": "bearer", "secret_params": {"headers": {"Authorization": "x"}}}, "'Authorization'"),
    ],
)
def test_a_secret_name_that_is_also_set_elsewhere_is_refused(editor_client, upstream, extra, clash):
    response = _create(editor_client, upstream, **extra)

    assert response.status_code == 400
    assert clash in response.json()["errors"]["secret_params"][0]


@pytest.mark.parametrize(
    ("value", "words"),
    [
        ({"cookies": {"a": "b"}}, "secretparams holds headers, query and path"),
        ({"headers": {"Bad Name": "x"}}, "is not a valid header name"),
        ({"headers": {"Host": "x"}}, "set by MigrateIQ itself"),
        ({"query": {"token": "a\r\nb"}}, "control characters"),
        ({"query": {"token": ["x"]}}, "must be a string"),
    ],
)
def test_malformed_secret_params_are_a_400_naming_the_problem(editor_client, upstream, value, words):
    response = _create(editor_client, upstream, secret_params=value)

    assert response.status_code == 400
    assert words in str(response.json()["errors"]["secret_params"]).replace("_", "")


def test_a_credential_in_plain_headers_is_refused_pointing_to_secret_params(editor_client, upstream):
    response = _create(editor_client, upstream, secret_params={}, request_headers={"DD-APPLICATION-KEY": "x"})

    assert response.status_code == 400
    assert "secret_params" in response.json()["errors"]["request_headers"][0]


def test_moving_the_endpoint_needs_the_secret_params_again(admin_client, upstream, sample_upstream):
    elsewhere = sample_upstream(records=1, style="none")
    pk = _create(admin_client, upstream, auth_type="none", api_key="").json()["id"]

    refused = admin_client.patch(f"{URL}{pk}/", {"api_endpoint": elsewhere.url}, format="json")
    cleared = admin_client.patch(
        f"{URL}{pk}/", {"api_endpoint": elsewhere.url, "secret_params": {}}, format="json"
    )
    admin_client.post(f"{URL}{pk}/test_connection/")

    assert refused.status_code == 400
    assert "send secret_params again (or {} to remove them)" in refused.json()["errors"]["secret_params"][0]
    assert cleared.status_code == 200, cleared.content
    assert (
        elsewhere.requests and TOKEN not in str(elsewhere.requests) and APP_KEY not in str(elsewhere.requests)
    )


def test_a_redirect_to_another_origin_carries_no_secret_param(
    fault_server,  # noqa: F811
    sample_upstream,
    make_connector,
):
    from werkzeug import Response

    target = sample_upstream(records=3, style="none")

    def redirect(request):
        return Response("", 302, headers={"Location": f"{target.url}?{request.query_string.decode()}"})

    fault_server.expect_request("/items").respond_with_handler(redirect)
    connector = make_connector(
        api_endpoint=fault_url(fault_server), auth_type="none", pagination={"type": "none"}
    )
    connector.secret_params = json.dumps(SECRETS)
    connector.save(update_fields=["secret_params"])

    log = run_sync(connector)

    assert log.status == SyncStatus.SUCCESS, log.error_message
    (request,) = target.requests
    assert TOKEN not in str(request) and APP_KEY not in str(request)
