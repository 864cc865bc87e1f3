"""A run that failed on the error threshold after its last page: its checkpoint says every page is
stored, so going on from it fetches nothing again and counts nothing twice, and the API does not
offer a resume that could only fail the same way."""

import pytest
from werkzeug import Response

from demo_extension.models import SyncedRecord, SyncRecordError, SyncStatus
from demo_extension.tests import sync_support
from demo_extension.tests.sync_support import json_body, paged_connector, run_sync

fault_server = sync_support.fault_server
fault_server_process = sync_support.fault_server_process

LOGS = "/api/demo-extension/sync-logs/"
# 230 records on 5 pages (50, 50, 50, 50, 30); every second one has an age that is no number.
RECORDS = [{"id": i, "age": i if i % 2 else "n/a"} for i in range(1, 231)]


@pytest.fixture
def half_failing(fault_server, make_connector):
    asked: list[int] = []

    def handler(request):
        page = int(request.args.get("page", 1))
        asked.append(page)
        body = {"data": RECORDS[(page - 1) * 50 : page * 50], "total_pages": 5}
        return Response(json_body(body), content_type="application/json")

    fault_server.expect_request("/items").respond_with_handler(handler)
    connector = paged_connector(
        make_connector, fault_server, transformation_rules={"type_conversions": {"age": "int"}}
    )
    return connector, asked


def counts(log) -> tuple:
    return (log.status, log.records_processed, log.records_failed, log.pages_fetched)


def test_going_on_from_a_run_that_failed_on_the_threshold_after_its_last_page_counts_nothing_twice(
    half_failing,
):
    connector, asked = half_failing
    failed = run_sync(connector)
    assert counts(failed) == (SyncStatus.FAILED, 230, 115, 5)
    assert "error threshold" in failed.error_message
    requests_before = len(asked)

    # What the reaper's requeue of a run killed after its last commit, or a resume, does.
    again = run_sync(connector, sync_log=failed)

    assert counts(again) == (SyncStatus.FAILED, 230, 115, 5)
    assert len(asked) == requests_before  # the last page is not fetched again
    assert SyncRecordError.objects.filter(sync_log=again).count() == 115
    assert SyncedRecord.objects.filter(connector=connector).count() == 115


def test_the_api_refuses_to_resume_it_and_says_to_fix_the_rules_first(half_failing, editor_client):
    connector, asked = half_failing
    failed = run_sync(connector)

    detail = editor_client.get(f"{LOGS}{failed.pk}/").json()
    response = editor_client.post(f"{LOGS}{failed.pk}/resume/?wait=0")

    assert detail["can_resume"] is False
    assert "fix the connector's transformation rules" in detail["cannot_resume_reason"]
    assert response.status_code == 409
    assert response.json()["detail"] == detail["cannot_resume_reason"]
    assert "Fix the connector's transformation rules" in failed.error_message
    failed.refresh_from_db()
    assert counts(failed) == (SyncStatus.FAILED, 230, 115, 5)
