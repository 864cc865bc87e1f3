"""An upstream that writes the request's credential into its next-page links (Meta's Graph API puts
``access_token`` into ``paging.next``; many query-key APIs echo the key): the credential never
reaches the run's checkpoint, its events, its error message or the API's answers, the next request
still authenticates, and a run resumed from such a checkpoint goes on."""

import json
from urllib.parse import quote, urlencode

import pytest

from demo_extension.models import SyncLog, SyncStatus
from demo_extension.services.pagination import strip_params
from demo_extension.tests.sync_support import database_text, run_sync, stored_records
from demo_extension.tests.vendors import FacebookGraph
from sync_engine import queue as runs

LOGS = "/api/demo-extension/sync-logs/"


def query_auth(vendor) -> dict:
    return {
        "api_endpoint": vendor.url,
        "api_key": vendor.api_key,
        "auth_type": "query",
        "auth_param_name": "access_token",
    }


def plain_columns(log: SyncLog) -> str:
    """Everything of a run the database keeps in plain text (the checkpoint is plain JSON), and every
    row of every table besides."""
    log.refresh_from_db()
    texts = [
        json.dumps(log.checkpoint),
        log.error_message or "",
        json.dumps(log.warnings),
        *log.events.values_list("message", flat=True),
        database_text(),
    ]
    return "\n".join(map(str, texts))


def assert_no_token(text: str, token: str) -> None:
    forms = {token, quote(token, safe=""), urlencode({"t": token})[2:]}
    found = [form for form in forms if form in text]
    assert not found, f"the credential is in: {text[:2000]}"


def test_graph_next_links_with_the_access_token_keep_it_out_of_the_run_and_still_authenticate(
    vendor_server, make_connector, editor_client
):
    vendor = vendor_server(FacebookGraph)
    connector = make_connector(**query_auth(vendor))

    log = run_sync(connector)

    assert log.status == SyncStatus.SUCCESS, log.error_message
    assert len(stored_records(connector)) == 23 and log.pages_fetched == 5
    # every request authenticated: the token as the parameter, once, on each of them
    assert [request["status"] for request in vendor.requests] == [200] * 5
    assert all(request["query"]["access_token"] == vendor.api_key for request in vendor.requests)
    assert_no_token(plain_columns(log), vendor.api_key)
    for url in (f"{LOGS}{log.pk}/", f"{LOGS}{log.pk}/events/", f"{LOGS}?connector={connector.pk}"):
        answer = editor_client.get(url)
        assert answer.status_code == 200, answer.content
        assert_no_token(answer.content.decode(), vendor.api_key)


def test_a_run_stopped_after_a_graph_page_keeps_no_token_and_its_resume_goes_on(
    settings, vendor_server, make_connector, django_capture_on_commit_callbacks, editor_client
):
    settings.MIGRATEIQ_SYNC_RUNNER = "inline"
    vendor = vendor_server(FacebookGraph)
    connector = make_connector(**query_auth(vendor), max_requests_per_sync=2, max_concurrent_requests=1)

    stopped = run_sync(connector)

    assert stopped.status == SyncStatus.FAILED and stopped.checkpoint, stopped.error_message
    assert "after=" in json.dumps(stopped.checkpoint)  # the next link is kept, without the token
    assert_no_token(plain_columns(stopped), vendor.api_key)
    for url in (f"{LOGS}{stopped.pk}/", f"{LOGS}{stopped.pk}/events/"):
        answer = editor_client.get(url)
        assert answer.status_code == 200, answer.content
        assert_no_token(answer.content.decode(), vendor.api_key)
    done = len(vendor.requests)
    connector.max_requests_per_sync = None
    connector.save()

    with django_capture_on_commit_callbacks(execute=True):
        runs.resume_sync(stopped)

    stopped.refresh_from_db()
    assert stopped.status == SyncStatus.SUCCESS, stopped.error_message
    assert len(stored_records(connector)) == 23
    resumed = vendor.requests[done:]
    assert resumed and all(request["status"] == 200 for request in resumed)
    assert all(request["query"]["access_token"] == vendor.api_key for request in resumed)
    assert resumed[0]["query"].get("after")  # from the checkpoint, not page 1 again
    assert_no_token(plain_columns(stopped), vendor.api_key)


@pytest.mark.parametrize("auth_type", ["bearer", "header"])
def test_a_token_echoed_into_a_next_link_under_another_name_is_kept_out_of_the_checkpoint(
    vendor_server, make_connector, auth_type
):
    """The credential sent as a header, the upstream writes it into its links as a parameter."""

    class EchoesTheBearer(FacebookGraph):
        def respond(self, path, query, headers):
            status, extra, body = super().respond(path, {**query, "access_token": self.api_key}, headers)
            return status, extra, body

    vendor = vendor_server(EchoesTheBearer)
    fields = {"api_endpoint": vendor.url, "api_key": vendor.api_key, "auth_type": auth_type}
    if auth_type == "header":
        fields["auth_header_name"] = "X-Graph-Token"
    connector = make_connector(**fields, max_requests_per_sync=2, max_concurrent_requests=1)

    stopped = run_sync(connector)

    assert stopped.checkpoint, stopped.error_message
    assert "after=" in json.dumps(stopped.checkpoint)
    assert_no_token(plain_columns(stopped), vendor.api_key)


def test_a_next_link_to_another_host_never_gets_the_token_and_its_error_does_not_name_it(
    vendor_server, make_connector
):
    class ElsewhereNext(FacebookGraph):
        def respond(self, path, query, headers):
            status, extra, body = super().respond(path, query, headers)
            if "paging" in body and "next" in body["paging"]:
                body["paging"]["next"] = body["paging"]["next"].replace("127.0.0.1", "localhost")
            return status, extra, body

    vendor = vendor_server(ElsewhereNext)
    connector = make_connector(**query_auth(vendor))

    log = run_sync(connector)

    assert log.status == SyncStatus.FAILED
    assert "another host" in log.error_message
    assert len(vendor.requests) == 1  # the link elsewhere was not followed
    assert_no_token(plain_columns(log), vendor.api_key)


def test_only_a_parameter_holding_a_whole_credential_of_8_characters_or_more_is_taken_out():
    url = "https://graph.example/v19.0/1/posts?limit=5&after=QVFIUm&token=EAAGsecret-value&page=EAAG"

    kept = strip_params(url, (), ["5", "EAAGsecret-value", ""])

    assert kept == "https://graph.example/v19.0/1/posts?limit=5&after=QVFIUm&page=EAAG"
