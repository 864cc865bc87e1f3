"""Credentials are bound to their destination (issue 12, items 3 and 4): moving a connector's key to
another origin, auth style or carrier name needs the admin role and the key again, and a checkpoint
made for another origin or pagination is never resumed."""

import pytest

from demo_extension.models import SyncStatus
from demo_extension.services.sync import DataSyncService
from demo_extension.tests.sync_support import (  # noqa: F401
    fast_retries,
    fault_server,
    fault_server_process,
    fault_url,
    run_sync,
)

URL = "/api/demo-extension/connectors/"
OLD_KEY = "stored-key-0001"
NEW_KEY = "brand-new-key-0002"


@pytest.fixture
def keyed(sample_upstream, make_connector):
    upstream = sample_upstream(records=5, style="page", api_key=OLD_KEY, auth="header")
    return upstream, make_connector(upstream=upstream)


@pytest.fixture
def echo_host(sample_upstream):
    """Another origin an editor might control: it records every request it gets."""
    return sample_upstream(records=5, style="page")


def _keys_seen(upstream) -> str:
    return str(upstream.requests)


def test_an_editor_cannot_point_a_keyed_connector_at_another_host(editor_client, keyed, echo_host):
    upstream, connector = keyed

    response = editor_client.patch(f"{URL}{connector.pk}/", {"api_endpoint": echo_host.url}, format="json")
    tested = editor_client.post(f"{URL}{connector.pk}/test_connection/")

    assert response.status_code == 403
    assert "admin" in response.json()["detail"] and "api_endpoint" in response.json()["detail"]
    assert tested.json()["connected"] is True  # still the original host
    assert echo_host.requests == []
    connector.refresh_from_db()
    assert connector.api_endpoint == upstream.url


def test_an_admin_must_send_the_key_again_to_move_it(admin_client, keyed, echo_host):
    upstream, connector = keyed

    refused = admin_client.patch(f"{URL}{connector.pk}/", {"api_endpoint": echo_host.url}, format="json")
    moved = admin_client.patch(
        f"{URL}{connector.pk}/", {"api_endpoint": echo_host.url, "api_key": NEW_KEY}, format="json"
    )
    admin_client.post(f"{URL}{connector.pk}/test_connection/")

    assert refused.status_code == 400
    assert "send api_key again" in str(refused.json()["errors"]["api_key"])
    assert moved.status_code == 200, moved.content
    assert echo_host.requests and OLD_KEY not in _keys_seen(echo_host)
    assert NEW_KEY in _keys_seen(echo_host)


def test_an_admin_may_move_it_and_clear_the_key(admin_client, keyed, echo_host):
    _, connector = keyed

    response = admin_client.patch(
        f"{URL}{connector.pk}/", {"api_endpoint": echo_host.url, "api_key": ""}, format="json"
    )

    assert response.status_code == 200
    assert response.json()["has_api_key"] is False


@pytest.mark.parametrize(
    "change",
    [{"auth_type": "query"}, {"auth_header_name": "X-Echo"}, {"auth_type": "bearer"}],
)
def test_changing_how_the_key_is_carried_needs_the_admin_role(editor_client, keyed, change):
    _, connector = keyed

    response = editor_client.patch(f"{URL}{connector.pk}/", change, format="json")

    assert response.status_code == 403


def test_changing_the_query_parameter_that_carries_the_key_needs_the_admin_role(
    editor_client, make_connector
):
    connector = make_connector(api_key=OLD_KEY, auth_type="query", auth_param_name="appid")

    response = editor_client.patch(f"{URL}{connector.pk}/", {"auth_param_name": "q"}, format="json")

    assert response.status_code == 403


def test_an_editor_still_edits_the_path_and_connectors_without_credentials(
    editor_client, keyed, make_connector, echo_host
):
    upstream, connector = keyed
    plain = make_connector(upstream=echo_host)

    same_origin = editor_client.patch(
        f"{URL}{connector.pk}/", {"api_endpoint": upstream.url + "?status=active"}, format="json"
    )
    no_key = editor_client.patch(f"{URL}{plain.pk}/", {"api_endpoint": upstream.url}, format="json")

    assert same_origin.status_code == 200, same_origin.content
    assert no_key.status_code == 200, no_key.content


@pytest.fixture
def failed_run(sample_upstream, make_connector, fast_retries):  # noqa: F811
    upstream = sample_upstream(
        records=30, page_size=10, style="page", api_key=OLD_KEY, auth="header", fail_after_pages=1
    )
    connector = make_connector(
        upstream=upstream, pagination={"type": "page", "size_param": "per_page", "page_size": 10}
    )
    log = run_sync(connector)
    assert log.status == SyncStatus.FAILED and log.checkpoint
    upstream.heal()
    upstream.clear_requests()
    return upstream, connector, log


def test_a_checkpoint_of_another_origin_cannot_be_resumed(admin_client, failed_run, echo_host):
    upstream, connector, log = failed_run
    moved = admin_client.patch(
        f"{URL}{connector.pk}/", {"api_endpoint": echo_host.url, "api_key": NEW_KEY}, format="json"
    )
    assert moved.status_code == 200

    response = admin_client.post(f"/api/demo-extension/sync-logs/{log.pk}/resume/")

    assert response.status_code == 409
    assert "another endpoint origin" in response.json()["detail"]
    log.refresh_from_db()
    assert log.status == SyncStatus.FAILED


def test_the_engine_refuses_such_a_checkpoint_too_and_sends_nothing(failed_run, echo_host):
    # A reaper or worker redelivery resumes without the API: the engine checks as well.
    upstream, connector, log = failed_run
    connector.api_endpoint = echo_host.url
    connector.api_key = NEW_KEY
    connector.save()

    result = DataSyncService(connector).sync_data(sync_log=log)

    assert result.status == SyncStatus.FAILED
    assert "another endpoint origin" in result.error_message
    assert upstream.requests == [] and echo_host.requests == []


def test_a_checkpoint_of_another_pagination_cannot_be_resumed(editor_client, failed_run):
    _, connector, log = failed_run
    changed = editor_client.patch(f"{URL}{connector.pk}/", {"pagination": {"type": "offset"}}, format="json")
    assert changed.status_code == 200

    response = editor_client.post(f"/api/demo-extension/sync-logs/{log.pk}/resume/")

    assert response.status_code == 409
    assert "pagination changed" in response.json()["detail"]


def test_an_unchanged_connector_resumes_its_checkpoint(
    editor_client, failed_run, settings, django_capture_on_commit_callbacks
):
    settings.MIGRATEIQ_SYNC_RUNNER = "inline"
    upstream, connector, log = failed_run

    with django_capture_on_commit_callbacks(execute=True):
        response = editor_client.post(f"/api/demo-extension/sync-logs/{log.pk}/resume/?wait=0")

    assert response.status_code in (200, 202)
    log.refresh_from_db()
    assert log.status == SyncStatus.SUCCESS, log.error_message


def test_a_sync_redirected_to_another_origin_does_not_carry_a_key_named_like_nothing(
    fault_server,  # noqa: F811
    sample_upstream,
    make_connector,
):
    # Issue 12, item 11: the redirecting host echoes the query (with the key under "appid").
    from werkzeug import Response

    target = sample_upstream(records=3, style="none")

    def redirect(request):
        return Response("", 302, headers={"Location": f"{target.url}?{request.query_string.decode()}"})

    fault_server.expect_request("/items").respond_with_handler(redirect)
    connector = make_connector(
        api_endpoint=fault_url(fault_server),
        api_key="appid-key-0003",
        auth_type="query",
        auth_param_name="appid",
        query_params={"status": "active"},
        pagination={"type": "none"},
    )

    log = run_sync(connector)

    assert log.status == SyncStatus.SUCCESS, log.error_message
    (request,) = target.requests
    assert request["query"] == {"status": "active"}
    assert "appid-key-0003" not in str(request)
