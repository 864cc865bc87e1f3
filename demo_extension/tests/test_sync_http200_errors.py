"""An error answered with HTTP 200 fails the connection test and the sync with the upstream's
message (redacted), and is never stored as records; ``error_detection`` adapts the rule."""

import pytest

from demo_extension.models import SyncedRecord, SyncStatus
from demo_extension.services.extract import (
    UpstreamReportedError,
    check_upstream_error,
    validate_error_detection,
)
from demo_extension.services.sync import DataSyncService
from demo_extension.tests import sync_support
from demo_extension.tests.conftest import allow_egress_to
from demo_extension.tests.sync_support import fault_url, run_sync, stored_ids
from demo_extension.tests.vendors import Slack

fault_server = sync_support.fault_server
fault_server_process = sync_support.fault_server_process


@pytest.fixture
def slack(vendor_server):
    return vendor_server(Slack)


def _connector(make_connector, server, **fields):
    return make_connector(api_endpoint=fault_url(server), auth_type="none", **fields)


def test_slack_s_ok_false_fails_the_connection_test_with_its_message(slack, make_connector):
    connector = make_connector(**{**slack.connector_fields(), "api_key": "xoxb-wrong-token"})

    result = DataSyncService(connector).check_connection()

    assert result.connected is False
    assert result.status_code == 200
    assert "HTTP 200 with an error (ok: false): invalid_auth" in result.message


def test_slack_s_ok_false_fails_the_sync_and_stores_nothing(slack, make_connector):
    connector = make_connector(**{**slack.connector_fields(), "api_key": "xoxb-wrong-token"})

    log = run_sync(connector)

    assert log.status == SyncStatus.FAILED
    assert "invalid_auth" in log.error_message
    assert not SyncedRecord.objects.filter(connector=connector).exists()


def test_the_right_slack_token_connects(slack, make_connector):
    assert DataSyncService(make_connector(**slack.connector_fields())).check_connection().connected


@pytest.mark.parametrize(
    ("body", "signal", "message"),
    [
        (
            {"errors": [{"message": "Cannot query field 'nme' on type 'User'."}], "data": None},
            "errors",
            "nme",
        ),
        ({"errors": [{"status": "403", "title": "Forbidden"}]}, "errors", "Forbidden"),
        ({"error": {"code": 401, "message": "Invalid credentials"}}, "error", "Invalid credentials"),
        ({"error": "rate_limited", "request_id": "r1"}, "error", "rate_limited"),
        # Apigee's documented policy error body
        (
            {"fault": {"faultstring": "Invalid ApiKey", "detail": {"errorcode": "oauth.v2.InvalidApiKey"}}},
            "fault",
            "Invalid ApiKey",
        ),
    ],
)
def test_an_error_body_fails_the_sync_naming_the_upstream_s_message(
    fault_server, make_connector, body, signal, message
):
    fault_server.expect_request("/items").respond_with_json(body)
    connector = _connector(make_connector, fault_server)

    log = run_sync(connector)

    assert log.status == SyncStatus.FAILED
    assert f"({signal}): " in log.error_message and message in log.error_message
    assert not SyncedRecord.objects.filter(connector=connector).exists()
    assert not DataSyncService(connector).check_connection().connected


def test_the_upstream_s_error_message_is_redacted(fault_server, make_connector):
    key = "sk_live_51Hx0aBcDeFgHiJkLmNoPqRsTuV"
    fault_server.expect_request("/items").respond_with_json({"error": {"message": f"Key {key} was revoked"}})
    connector = make_connector(api_endpoint=fault_url(fault_server), auth_type="bearer", api_key=key)

    log = run_sync(connector)
    result = DataSyncService(connector).check_connection()

    assert log.status == SyncStatus.FAILED
    assert key not in log.error_message and "was revoked" in log.error_message
    assert key not in result.message
    assert all(key not in line for line in log.events.values_list("message", flat=True))


def test_an_error_on_a_later_page_keeps_the_pages_before_it_and_stores_no_error_record(
    fault_server, make_connector
):
    url = fault_url(fault_server)
    fault_server.expect_request("/items", query_string="").respond_with_json(
        {"data": [{"id": 1}, {"id": 2}], "next": f"{url}?page=2"}
    )
    fault_server.expect_request("/items", query_string="page=2").respond_with_json(
        {"error": {"message": "Internal timeout, try again"}}
    )
    connector = _connector(make_connector, fault_server)

    log = run_sync(connector)

    assert log.status == SyncStatus.FAILED
    assert "Internal timeout" in log.error_message
    assert stored_ids(connector) == [1, 2]


def test_partial_data_beside_errors_is_stored_and_the_run_ends_partial(fault_server, make_connector):
    fault_server.expect_request("/items").respond_with_json(
        {"data": [{"id": 1}], "errors": [{"message": "field 'x' could not be resolved"}]}
    )
    connector = _connector(make_connector, fault_server)

    log = run_sync(connector)

    assert log.status == SyncStatus.PARTIAL
    assert "errors beside its records" in log.error_message and "could not be resolved" in log.error_message
    assert stored_ids(connector) == [1]


def test_errors_beside_data_that_holds_no_records_fail_and_store_nothing(fault_server, make_connector):
    # GraphQL's answer for a root field that did not resolve: its data is null, not a record.
    fault_server.expect_request("/items").respond_with_json(
        {"data": {"repository": None}, "errors": [{"type": "NOT_FOUND", "message": "Could not resolve"}]}
    )
    connector = _connector(make_connector, fault_server)

    log = run_sync(connector)

    assert log.status == SyncStatus.FAILED
    assert "(errors): Could not resolve" in log.error_message
    assert not SyncedRecord.objects.filter(connector=connector).exists()


def test_a_record_with_an_error_field_is_a_record_when_the_body_is_the_record(fault_server, make_connector):
    fault_server.expect_request("/items").respond_with_json({"id": 7, "error": "last import failed"})
    connector = _connector(make_connector, fault_server, records_path="")

    log = run_sync(connector)

    assert log.status == SyncStatus.SUCCESS, log.error_message
    assert stored_ids(connector) == [7]


def test_a_configured_success_flag_catches_an_error_the_built_in_rules_do_not_know(
    fault_server, make_connector
):
    fault_server.expect_request("/items").respond_with_json(
        {"status": "FAILED", "result": {"rows": []}, "info": "Quota exceeded for the day"}
    )
    connector = _connector(
        make_connector,
        fault_server,
        records_path="result.rows",
        error_detection={"success_path": "status", "success_value": "OK"},
    )

    log = run_sync(connector)

    assert log.status == SyncStatus.FAILED
    assert '(status): status is "FAILED", not "OK"' in log.error_message


def test_a_configured_error_path_with_an_escaped_key_is_read(fault_server, make_connector):
    fault_server.expect_request("/items").respond_with_json(
        {"value": [], "odata.error": {"message": {"value": "Resource not found"}}}
    )
    connector = _connector(
        make_connector, fault_server, error_detection={"error_path": "odata\\.error.message.value"}
    )

    log = run_sync(connector)

    assert log.status == SyncStatus.FAILED
    assert "Resource not found" in log.error_message


def test_the_built_in_rules_can_be_turned_off():
    body = {"ok": False, "error": "not an error here", "items": []}
    with pytest.raises(UpstreamReportedError):
        check_upstream_error(body, "items", {})
    check_upstream_error(body, "items", {"auto": False})


@pytest.mark.parametrize(
    ("cfg", "problem"),
    [
        ("error", "must be an object"),
        ({"error_pth": "e"}, "error_pth unknown"),
        ({"error_path": ""}, "non-empty path"),
        ({"error_path": "a..b"}, "empty segment"),
        ({"success_value": True}, "needs error_detection.success_path"),
        ({"success_path": "ok", "success_value": [1]}, "string, number or boolean"),
        ({"auto": "yes"}, "true or false"),
    ],
)
def test_invalid_error_detection_is_refused_naming_the_problem(cfg, problem):
    with pytest.raises(ValueError, match=problem):
        validate_error_detection(cfg)


def test_the_api_validates_and_returns_error_detection(client_for, editor_user, tenant_a, settings):
    allow_egress_to(settings, "127.0.0.1:9")
    client = client_for(editor_user, tenant_a)
    base = {"name": "Slack", "api_endpoint": "http://127.0.0.1:9/api/conversations.list"}

    bad = client.post(
        "/api/demo-extension/connectors/", {**base, "error_detection": {"error_pth": "x"}}, format="json"
    )
    good = client.post(
        "/api/demo-extension/connectors/", {**base, "error_detection": {"error_path": "error"}}, format="json"
    )

    assert bad.status_code == 400 and "error_pth unknown" in str(bad.json())
    assert good.status_code == 201, good.json()
    assert good.json()["error_detection"] == {"error_path": "error"}


@pytest.mark.parametrize(
    "body",
    [
        {"success": False, "message": "Invalid API key"},
        {"status": "error", "message": "Invalid API key"},
        {"status": "fail", "message": "Invalid API key"},
        {
            "fault": {
                "faultstring": "Invalid API key",
                "detail": {"errorcode": "keymanagement.service.InvalidAPIKey"},
            }
        },
    ],
    ids=["success-false", "jsend-error", "jsend-fail", "apigee-fault"],
)
def test_a_bare_error_report_is_not_stored_as_the_one_record_of_the_body(body):
    with pytest.raises(UpstreamReportedError, match="Invalid API key"):
        check_upstream_error(body, "", validate_error_detection({}))


@pytest.mark.parametrize("records_path", ["", "result"])
def test_a_failure_word_in_the_message_fails_with_the_cause_the_result_holds(records_path):
    # Etherscan, HTTP 200: {"status": "0", "message": "NOTOK", "result": "<the cause>"}
    body = {"status": "0", "message": "NOTOK", "result": "Invalid API Key"}

    with pytest.raises(UpstreamReportedError, match=r"message: NOTOK\): Invalid API Key"):
        check_upstream_error(body, records_path, validate_error_detection({}))


@pytest.mark.parametrize(
    "body",
    [
        {"status": "0", "message": "No transactions found", "result": []},  # Etherscan's empty list
        {"status": "1", "message": "OK", "result": "595623370144773018344492"},  # a balance
        {"id": 4, "message": "failed", "result": "retried", "kind": "job"},  # a record about a job
    ],
    ids=["no-transactions", "ok-result", "a-record"],
)
def test_a_message_that_is_no_failure_word_or_beside_other_fields_is_no_error(body):
    check_upstream_error(body, "", validate_error_detection({}))


def test_a_record_with_a_fault_field_among_others_is_still_a_record():
    record = {"id": 3, "fault": {"detail": "pump 3 stalled"}, "site": "north"}

    check_upstream_error(record, "", validate_error_detection({}))  # a record about a fault


def test_a_record_with_a_status_field_among_others_is_still_a_record():
    record = {"id": 7, "status": "error", "message": "job 7 failed upstream", "finished_at": "2026-01-01"}

    check_upstream_error(record, "", validate_error_detection({}))  # no exception: the body is the record


def test_a_resumed_run_still_ends_partial_for_errors_an_earlier_page_was_answered_with(
    fault_server, make_connector
):
    fault_server.expect_request("/items", query_string="").respond_with_json(
        {"data": [{"id": 1}], "errors": [{"message": "field 'x' could not be resolved"}], "next_cursor": "c2"}
    )
    fault_server.expect_oneshot_request("/items", query_string={"cursor": "c2"}).respond_with_json(
        {"message": "Bad Request"}, status=400
    )
    fault_server.expect_request("/items", query_string={"cursor": "c2"}).respond_with_json(
        {"data": [{"id": 2}]}
    )
    connector = _connector(make_connector, fault_server)
    failed = run_sync(connector)
    assert failed.status == SyncStatus.FAILED and failed.pages_fetched == 1

    resumed = run_sync(connector, sync_log=failed)

    assert resumed.status == SyncStatus.PARTIAL, resumed.error_message
    assert "could not be resolved" in resumed.error_message
    assert stored_ids(connector) == [1, 2]


# -- envelopes that report an error without the usual keys ----------------------------------------


@pytest.mark.parametrize(
    ("body", "said"),
    [
        ({"code": 401, "message": "Unauthorized", "data": []}, "(code: 401): Unauthorized"),
        ({"code": "503", "msg": "Service busy, retry later", "data": None}, "(code: 503): Service busy"),
        ({"statusCode": 403, "message": "Forbidden", "items": []}, "(statusCode: 403): Forbidden"),
        ({"status_code": 429, "error_message": "Too many requests"}, "(status_code: 429): Too many requests"),
        ({"Error": "Token expired"}, "(Error): Token expired"),
        (
            {"message": "API rate limit exceeded", "documentation_url": "https://docs.github.com/rest"},
            "(message): API rate limit exceeded",
        ),
        ({"status": "ERROR", "message": "Quota exceeded", "result": []}, "(status: ERROR): Quota exceeded"),
        ({"status": "ERROR", "message": "Quota exceeded", "items": []}, "(status: ERROR): Quota exceeded"),
        ({"status": "Failed", "msg": "Quota exceeded", "records": []}, "(status: Failed): Quota exceeded"),
    ],
    ids=[
        "code-401-empty-data",
        "code-string-503-null-data",
        "statusCode-403",
        "status_code-429-no-list",
        "capitalised-Error",
        "github-message",
        "jsend-upper-case-result",
        "jsend-upper-case-items",
        "status-failed-records",
    ],
)
def test_an_error_envelope_fails_the_sync_and_the_connection_test_naming_what_it_says(
    fault_server, make_connector, body, said
):
    fault_server.expect_request("/items").respond_with_json(body)
    connector = _connector(make_connector, fault_server)

    log = run_sync(connector)
    result = DataSyncService(connector).check_connection()

    assert log.status == SyncStatus.FAILED, log.error_message
    assert said in log.error_message
    assert not SyncedRecord.objects.filter(connector=connector).exists()
    assert result.connected is False and said in result.message


def test_a_full_refresh_answered_with_an_error_envelope_fails_and_deletes_nothing(
    fault_server, make_connector
):
    fault_server.expect_oneshot_request("/items").respond_with_json(
        {"code": 0, "data": [{"id": 1}, {"id": 2}]}
    )
    fault_server.expect_request("/items").respond_with_json(
        {"code": 401, "message": "Unauthorized", "data": []}
    )
    connector = _connector(make_connector, fault_server)
    assert run_sync(connector).status == SyncStatus.SUCCESS

    log = run_sync(connector, full_refresh=True)

    assert log.status == SyncStatus.FAILED and "(code: 401): Unauthorized" in log.error_message
    assert stored_ids(connector) == [1, 2]
    assert not SyncedRecord.objects.filter(connector=connector, deleted_at__isnull=False).exists()


def test_the_preview_of_a_github_style_error_shows_the_error_and_no_record(fault_server, editor_client):
    fault_server.expect_request("/items").respond_with_json(
        {
            "message": "API rate limit exceeded for 127.0.0.1.",
            "documentation_url": "https://docs.github.com/rest",
        }
    )

    data = editor_client.post(
        "/api/demo-extension/connectors/preview/",
        {"api_endpoint": fault_url(fault_server), "auth_type": "none"},
        format="json",
    ).json()

    assert data["ok"] is False and "API rate limit exceeded" in data["error"]
    assert not data["records"]


@pytest.mark.parametrize(
    ("body", "records_path", "ids"),
    [
        # Tencent Cloud, Feishu/Lark, DingTalk: code 0 is success; code 200 elsewhere
        ({"code": 0, "msg": "success", "data": [{"id": 1}]}, None, [1]),
        ({"code": 200, "message": "OK", "data": []}, None, []),
        ({"code": "0", "message": "", "data": {"items": [{"id": 2}]}}, None, [2]),
        # a vendor's own error numbering is not an HTTP status (Alibaba Cloud's 400000): not guessed
        ({"code": 400000, "message": "nothing matched", "data": []}, None, []),
        # single objects that are records: an id (and other fields) beside error-looking keys
        ({"id": 5, "code": 404, "message": "Page /x was not found", "url": "/x"}, "", [5]),
        ({"id": 6, "Error": "last import failed"}, None, [6]),
        # an empty page that says why it is empty
        ({"data": [], "message": "No records match the filter"}, None, []),
    ],
    ids=["code-0", "code-200-empty", "code-string-0", "business-code", "record-404", "record-Error", "empty"],
)
def test_business_codes_and_records_with_error_looking_fields_are_not_errors(
    fault_server, make_connector, body, records_path, ids
):
    fault_server.expect_request("/items").respond_with_json(body)
    fields = {} if records_path is None else {"records_path": records_path}
    connector = _connector(make_connector, fault_server, **fields)

    log = run_sync(connector)

    assert log.status == SyncStatus.SUCCESS, log.error_message
    assert stored_ids(connector) == ids


def test_records_beside_an_http_error_status_are_stored_and_the_run_ends_partial(
    fault_server, make_connector
):
    fault_server.expect_request("/items").respond_with_json(
        {"code": 500, "message": "Some shards failed", "data": [{"id": 1}, {"id": 2}]}
    )
    connector = _connector(make_connector, fault_server)

    log = run_sync(connector)

    assert log.status == SyncStatus.PARTIAL, log.error_message
    assert "code: 500: Some shards failed" in log.error_message
    assert stored_ids(connector) == [1, 2]


@pytest.mark.parametrize(
    "body",
    [
        {"status": "ok", "message": "All systems operational"},
        {"type": "alert", "title": "Disk almost full", "message": "Disk 3 is 90% full"},
    ],
    ids=["status-ok", "notification"],
)
def test_a_single_object_with_a_message_and_no_error_is_a_record(body):
    check_upstream_error(body, "", validate_error_detection({}))  # no exception: the body is the record


@pytest.mark.parametrize(
    "body",
    [
        {"code": 0, "msg": "success"},
        {"errcode": 0, "errmsg": "ok"},  # WeChat Work
        {"code": "200", "message": "OK.", "request_id": "9f1c", "timestamp": 1733460000},
        {"success": True, "message": "Success"},
        {"status": "ok"},
    ],
    ids=["feishu", "wechat", "code-text", "success-flag", "status-only"],
)
def test_a_bare_success_status_is_an_empty_page_not_a_record(fault_server, make_connector, body):
    fault_server.expect_request("/items").respond_with_json(body)
    connector = _connector(make_connector, fault_server)

    log = run_sync(connector)

    assert log.status == SyncStatus.SUCCESS, log.error_message
    assert log.records_processed == 0
    assert stored_ids(connector) == []


@pytest.mark.parametrize(
    ("body", "records_path"),
    [
        # a status that says something besides success is what the endpoint answers: one record
        ({"status": "ok", "message": "All systems operational"}, None),
        ({"code": 0, "msg": "success", "id": 7}, None),  # a field besides the status
        ({"status": "active", "message": "ok"}, None),  # a record's own status
        ({"code": 0, "msg": "success"}, ""),  # records_path "": the response is the record, as set
    ],
    ids=["status-message", "with-id", "active", "configured-record"],
)
def test_a_status_with_more_to_say_stays_a_record(fault_server, make_connector, body, records_path):
    fault_server.expect_request("/items").respond_with_json(body)
    fields = {} if records_path is None else {"records_path": records_path}
    connector = _connector(make_connector, fault_server, **fields)

    log = run_sync(connector)

    assert log.status == SyncStatus.SUCCESS, log.error_message
    assert log.records_processed == 1
    assert SyncedRecord.objects.filter(connector=connector).get().data == body


def test_the_preview_shows_a_bare_success_status_as_no_records(fault_server, editor_client):
    fault_server.expect_request("/items").respond_with_json({"code": 0, "msg": "success"})

    data = editor_client.post(
        "/api/demo-extension/connectors/preview/",
        {"api_endpoint": fault_url(fault_server), "auth_type": "none"},
        format="json",
    ).json()

    assert data["ok"] is True, data
    assert data["records"] == []
