"""A failed run is resumed only while the connector still asks its upstream for the data its
checkpoint describes.

The checkpoint says where the next page starts in one list: the list a request with the connector's
endpoint, query parameters, data-selecting headers, records path, pagination, method and body,
incremental filter and primary key answers. Resumed after one of those changed, the run's remaining
pages would be those of another list, stored beside the pages of the first as if one run had read
one list (records that moved up a page read by neither, the cursor moved past them, the run
SUCCESS). The API answers 409 naming what changed, and a run resumed without the API (a worker's
redelivery, the reaper) fails the same way without sending a request. Credentials, limits, names,
the schedule and the transformation rules do not change which records a page holds: those keep
resuming.

The upstream is a real HTTP server on 127.0.0.1: ``/items`` (and ``/v2/items``) serve 30 records a
page of 10 at a time, filtered by ``?status=`` and the ``X-Region`` header, under ``data`` (and,
on ``/v2/items``, under ``items`` too); page 2 answers 503 until the test heals it.
"""

from __future__ import annotations

import pytest
from werkzeug import Response

from demo_extension.models import SyncStatus
from demo_extension.tests import sync_support
from demo_extension.tests.sync_support import json_body, run_sync, stored_records

fast_retries = sync_support.fast_retries
fault_server = sync_support.fault_server
fault_server_process = sync_support.fault_server_process

CONNECTORS = "/api/demo-extension/connectors/"
LOGS = "/api/demo-extension/sync-logs/"


class FilteredUpstream:
    def __init__(self, server):
        self.down = True
        self.requests: list[tuple[str, dict, str | None]] = []
        for path in ("/items", "/v2/items"):
            server.expect_request(path).respond_with_handler(self._answer)

    def _answer(self, request):
        self.requests.append((request.path, dict(request.args), request.headers.get("X-Region")))
        page = int(request.args.get("page", "1"))
        if page == 2 and self.down:
            return Response('{"error": "down"}', status=503, content_type="application/json")
        status = request.args.get("status")
        region = request.headers.get("X-Region")
        records = [
            {"id": number, "uid": f"u{number}", "status": "active" if number % 2 else "archived"}
            for number in range(1, 61)
        ]
        records = [record for record in records if status is None or record["status"] == status]
        if region == "eu":
            records = [record for record in records if record["id"] > 20]
        if request.path == "/v2/items":
            records = [{**record, "v": 2} for record in records]
        chunk = records[(page - 1) * 10 : page * 10]
        body = {"data": chunk, "items": chunk, "total_pages": (len(records) + 9) // 10}
        return Response(json_body(body), content_type="application/json")


@pytest.fixture
def upstream(fault_server):
    return FilteredUpstream(fault_server)


@pytest.fixture
def failed_run(fast_retries, fault_server, upstream, make_connector):
    """A connector of ``?status=active`` in region ``us`` whose run stored page 1 and failed on page 2."""
    connector = make_connector(
        api_endpoint=sync_support.fault_url(fault_server),
        auth_type="none",
        pagination={"type": "page", "total_pages_path": "total_pages"},
        records_path="data",
        query_params={"status": "active"},
        request_headers={"X-Region": "us"},
    )
    sync_support.set_request_concurrency(connector, 1)
    failed = run_sync(connector)
    assert (failed.status, failed.pages_fetched) == (SyncStatus.FAILED, 1), failed.error_message
    upstream.down = False
    upstream.requests.clear()
    return connector, failed


# What changes the list a page of the checkpoint belongs to, and the name the refusal gives it.
DATASET_CHANGES = {
    "query_params": ({"query_params": {"status": "archived"}}, "query_params"),
    "a query parameter added": ({"query_params": {"status": "active", "sort": "id"}}, "query_params"),
    "the endpoint's path": ({"api_endpoint": "/v2/items"}, "api_endpoint"),
    "the endpoint's query string": ({"api_endpoint": "/items?status=archived"}, "api_endpoint"),
    "request_headers": ({"request_headers": {"X-Region": "eu"}}, "request_headers"),
    "records_path": ({"records_path": "items"}, "records_path"),
    "primary_key": ({"primary_key": "uid"}, "primary_key"),
}


def changed(connector, fault_server, change: dict) -> dict:
    change = dict(change)
    if "api_endpoint" in change:
        change["api_endpoint"] = f"http://127.0.0.1:{fault_server.port}{change['api_endpoint']}"
    return change


@pytest.mark.parametrize("what", sorted(DATASET_CHANGES))
def test_the_api_refuses_to_resume_a_run_whose_requests_now_select_other_data(
    failed_run, fault_server, upstream, editor_client, what
):
    # before: the resume answered 200 and read pages 2-3 of the other list beside page 1 of the
    # first, and the run ended SUCCESS
    connector, failed = failed_run
    change, name = DATASET_CHANGES[what]
    saved = editor_client.patch(
        f"{CONNECTORS}{connector.pk}/", changed(connector, fault_server, change), format="json"
    )
    assert saved.status_code == 200, saved.content

    detail = editor_client.get(f"{LOGS}{failed.pk}/").json()
    response = editor_client.post(f"{LOGS}{failed.pk}/resume/?wait=0")

    assert response.status_code == 409, response.content
    message = response.json()["detail"]
    assert f"The connector's {name} changed since this run's checkpoint was made" in message
    assert "Start a new sync instead" in message
    assert detail["can_resume"] is False
    assert detail["cannot_resume_reason"] == message
    failed.refresh_from_db()
    assert failed.status == SyncStatus.FAILED
    assert upstream.requests == []


@pytest.mark.parametrize("what", sorted(DATASET_CHANGES))
def test_a_run_resumed_without_the_api_after_such_a_change_fails_and_sends_nothing(
    failed_run, fault_server, upstream, what
):
    # A worker's redelivery or the reaper resumes through the engine, not the API: the same rule.
    connector, failed = failed_run
    change, name = DATASET_CHANGES[what]
    for field, value in changed(connector, fault_server, change).items():
        setattr(connector, field, value)
    connector.save()

    resumed = run_sync(connector, sync_log=failed)

    assert resumed.status == SyncStatus.FAILED
    assert f"The connector's {name} changed since this run's checkpoint was made" in resumed.error_message
    assert upstream.requests == []
    assert sorted(int(key) for key in stored_records(connector)) == [1, 3, 5, 7, 9, 11, 13, 15, 17, 19]


def test_the_refusal_names_every_setting_that_changed(failed_run, fault_server, editor_client):
    connector, failed = failed_run
    editor_client.patch(
        f"{CONNECTORS}{connector.pk}/",
        {"query_params": {}, "request_headers": {}},
        format="json",
    )

    response = editor_client.post(f"{LOGS}{failed.pk}/resume/?wait=0")

    assert response.status_code == 409
    assert "The connector's query_params and request_headers changed since" in response.json()["detail"]


def test_a_new_sync_after_the_refusal_reads_the_new_list_whole(failed_run, fault_server, upstream):
    connector, failed = failed_run
    connector.query_params = {"status": "archived"}
    connector.save()
    assert run_sync(connector, sync_log=failed).status == SyncStatus.FAILED

    fresh = run_sync(connector)

    assert fresh.status == SyncStatus.SUCCESS
    archived = {
        record["id"] for record in stored_records(connector).values() if record["status"] == "archived"
    }
    assert archived == set(range(2, 61, 2))


# What leaves every page's records as they were: the run goes on from its checkpoint.
KEPT_CHANGES = {
    "name": {"name": "Renamed"},
    "the schedule": {"sync_frequency": "HOURLY"},
    "max_pages": {"max_pages": 50},
    "the header order and case": {"request_headers": {"x-region": "us"}},
    "the transformation rules": {"transformation_rules": {"defaults": {"source": "api"}}},
    "error_detection": {"error_detection": {"error_path": "error"}},
    "records_path left to detection": {"records_path": None},
}


@pytest.mark.parametrize("what", sorted(KEPT_CHANGES))
def test_a_change_that_selects_the_same_data_keeps_the_run_resumable(
    failed_run, upstream, editor_client, settings, django_capture_on_commit_callbacks, what
):
    settings.MIGRATEIQ_SYNC_RUNNER = "inline"
    connector, failed = failed_run
    saved = editor_client.patch(f"{CONNECTORS}{connector.pk}/", KEPT_CHANGES[what], format="json")
    assert saved.status_code == 200, saved.content

    with django_capture_on_commit_callbacks(execute=True):
        response = editor_client.post(f"{LOGS}{failed.pk}/resume/?wait=0")

    assert response.status_code in (200, 202), response.content
    failed.refresh_from_db()
    assert failed.status == SyncStatus.SUCCESS, failed.error_message
    assert sorted(int(key) for key in stored_records(connector)) == list(range(1, 61, 2))
    assert [query.get("page") for _path, query, _region in upstream.requests] == ["2", "3"]


def test_a_new_key_for_the_same_upstream_keeps_the_run_resumable(
    fast_retries, sample_upstream, make_connector
):
    # The usual resume: the run failed midway, an admin rotates the key, the run goes on.
    upstream = sample_upstream(
        records=30, page_size=10, style="page", api_key="old-key", auth="header", fail_after_pages=1
    )
    connector = make_connector(upstream=upstream, pagination={"type": "page"})
    failed = run_sync(connector)
    assert (failed.status, failed.pages_fetched) == (SyncStatus.FAILED, 1)
    upstream.heal()
    upstream.api_key = "new-key"
    connector.api_key = "new-key"
    connector.save()

    resumed = run_sync(connector, sync_log=failed)

    assert resumed.status == SyncStatus.SUCCESS, resumed.error_message
    assert len(stored_records(connector)) == 30


def live_keys(connector) -> list[str]:
    from demo_extension.models import SyncedRecord

    live = SyncedRecord.objects.filter(connector=connector, deleted_at__isnull=True)
    return sorted(live.values_list("external_id", flat=True))


def test_a_new_sync_after_a_primary_key_change_keeps_no_record_of_a_failed_run_under_the_old_key(
    failed_run,
):
    # before: the connector had no SUCCESS run, so the new sync did not re-key: the 10 records the
    # failed run stored under "id" stayed beside the 30 stored under "uid", 40 live records for 30
    connector, failed = failed_run
    connector.primary_key = "uid"
    connector.save()
    assert run_sync(connector, sync_log=failed).status == SyncStatus.FAILED

    fresh = run_sync(connector)

    assert fresh.status == SyncStatus.SUCCESS, fresh.error_message
    assert live_keys(connector) == sorted(f"u{number}" for number in range(1, 61, 2))
    assert fresh.records_deleted == 10


def test_a_sync_after_a_rekeying_run_that_failed_re_keys_again(failed_run, upstream):
    connector, failed = failed_run
    assert run_sync(connector, sync_log=failed).status == SyncStatus.SUCCESS  # 30 records under "id"
    connector.primary_key = "uid"
    connector.save()
    upstream.down = True
    rekeying = run_sync(connector)  # re-keys as a full refresh, fails on page 2
    assert (rekeying.status, rekeying.full_refresh) == (SyncStatus.FAILED, True)
    upstream.down = False

    again = run_sync(connector)

    assert again.status == SyncStatus.SUCCESS, again.error_message
    assert again.full_refresh
    assert live_keys(connector) == sorted(f"u{number}" for number in range(1, 61, 2))
