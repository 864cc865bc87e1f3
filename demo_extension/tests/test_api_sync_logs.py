"""Sync runs through the API: trigger, history, logs and their filters, events, quarantine, cancel, resume."""

import time
from datetime import datetime, timedelta
from datetime import timezone as dt_timezone

import pytest
from django.utils import timezone

from core import background_health
from demo_extension.models import SyncLog, SyncLogEvent, SyncRecordError, SyncStatus
from demo_extension.services.budget import request_budget

CONNECTORS = "/api/demo-extension/connectors/"
LOGS = "/api/demo-extension/sync-logs/"

pytestmark = pytest.mark.django_db

LOG_FIELDS = {
    "rate_limit_wait_seconds",
    "requests_paused_for",
    "can_resume",
    "id",
    "connector",
    "connector_name",
    "status",
    "triggered_by",
    "records_processed",
    "records_created",
    "records_updated",
    "records_unchanged",
    "records_failed",
    "pages_fetched",
    "records_total",
    "duration_seconds",
    "started_at",
    "resumed_at",
    "finished_at",
    "error_message",
    "detected_pagination",
    "full_refresh",
    "allow_empty",
    "attempts",
    "created_at",
    "warnings",
    "warnings_count",
    "retries",
    "page_cap",
    "schema_changes",
    "records_deleted",
    "refused_as_empty",
}


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def make_log():
    def _make(connector, status=SyncStatus.SUCCESS, *, age=None, **fields) -> SyncLog:
        if status not in (SyncStatus.PENDING, SyncStatus.RUNNING):
            fields.setdefault("finished_at", timezone.now())
        log = SyncLog.objects.create(tenant=connector.tenant, connector=connector, status=status, **fields)
        if age is not None:
            SyncLog.objects.filter(pk=log.pk).update(created_at=timezone.now() - age)
            log.refresh_from_db()
        return log

    return _make


@pytest.fixture
def inline_syncs(settings):
    """Syncs run in the request's process when its transaction commits (see services/runs.py)."""
    settings.MIGRATEIQ_SYNC_RUNNER = "inline"


def ids(response) -> list[int]:
    assert response.status_code == 200, response.content
    return [row["id"] for row in response.json()["results"]]


# --- sync_data ------------------------------------------------------------------------------------


def test_sync_data_queues_a_run_and_answers_202_while_it_is_pending(editor_client, make_connector):
    connector = make_connector()

    response = editor_client.post(f"{CONNECTORS}{connector.pk}/sync_data/?wait=0")

    assert response.status_code == 202
    body = response.json()
    assert set(body) == LOG_FIELDS
    assert body["status"] == "PENDING"
    assert body["connector"] == connector.pk
    assert body["triggered_by"] == "api"
    assert body["full_refresh"] is False
    log = SyncLog.objects.get(pk=body["id"])
    assert log.tenant == connector.tenant
    assert log.triggered_by_user.email == "editor@acme.test"


def test_sync_data_runs_the_sync(
    inline_syncs, editor_client, sample_upstream, make_connector, django_capture_on_commit_callbacks
):
    connector = make_connector(upstream=sample_upstream(records=45, page_size=20))

    with django_capture_on_commit_callbacks(execute=True):
        response = editor_client.post(f"{CONNECTORS}{connector.pk}/sync_data/?wait=0")

    assert response.status_code == 202
    log = SyncLog.objects.get(pk=response.json()["id"])
    assert log.status == SyncStatus.SUCCESS
    assert log.records_processed == 45
    assert log.records_created == 45
    finished = editor_client.get(f"{LOGS}{log.pk}/").json()
    assert finished["status"] == "SUCCESS"
    assert finished["pages_fetched"] >= 3
    assert finished["duration_seconds"] is not None


def test_without_wait_the_server_default_applies(editor_client, make_connector, settings):
    settings.MIGRATEIQ_SYNC_WAIT_SECONDS = 0.0
    connector = make_connector()

    response = editor_client.post(f"{CONNECTORS}{connector.pk}/sync_data/")

    assert response.status_code == 202
    assert response.json()["status"] == "PENDING"


def test_full_refresh_is_passed_to_the_run(editor_client, make_connector):
    connector = make_connector()

    response = editor_client.post(f"{CONNECTORS}{connector.pk}/sync_data/?full_refresh=true&wait=0")

    assert response.status_code == 202
    assert response.json()["full_refresh"] is True
    assert SyncLog.objects.get(pk=response.json()["id"]).full_refresh is True


def test_allow_empty_is_passed_to_a_full_refresh(editor_client, make_connector):
    connector = make_connector()

    response = editor_client.post(
        f"{CONNECTORS}{connector.pk}/sync_data/?full_refresh=true&allow_empty=true&wait=0"
    )

    assert response.status_code == 202
    assert (response.json()["full_refresh"], response.json()["allow_empty"]) == (True, True)
    log = SyncLog.objects.get(pk=response.json()["id"])
    assert (log.full_refresh, log.allow_empty) == (True, True)
    messages = log.events.values_list("message", flat=True)
    # who queued it in words, as the web UI's Trigger column says it, not the code "api"
    assert "Queued through the API (full refresh, an empty answer allowed)." in messages


@pytest.mark.parametrize(
    "body", [{"full_refresh": True}, {"wait": 30}, ["full_refresh"], "full_refresh=true"], ids=repr
)
def test_sync_options_sent_in_the_body_are_a_400_not_an_ordinary_sync(editor_client, make_connector, body):
    connector = make_connector()

    response = editor_client.post(f"{CONNECTORS}{connector.pk}/sync_data/?wait=0", body, format="json")

    assert response.status_code == 400, response.content
    said = response.json()["errors"]["body"][0]
    assert "in the query string, not in the body" in said and "?full_refresh=true" in said
    if isinstance(body, dict):
        assert f"The body named: {next(iter(body))}." in said
    assert not SyncLog.objects.unscoped("test: every tenant").exists()  # nothing started


@pytest.mark.parametrize("body", [None, {}], ids=["no body", "empty object"])
def test_a_sync_trigger_without_a_body_or_with_an_empty_one_starts_the_run(
    editor_client, make_connector, body
):
    connector = make_connector()

    if body is None:
        response = editor_client.post(f"{CONNECTORS}{connector.pk}/sync_data/?wait=0")
    else:
        response = editor_client.post(f"{CONNECTORS}{connector.pk}/sync_data/?wait=0", body, format="json")

    assert response.status_code == 202, response.content


def test_a_resume_with_options_in_its_body_is_a_400(editor_client, make_connector):
    connector = make_connector()
    log = SyncLog.objects.create(tenant=connector.tenant, connector=connector, status=SyncStatus.FAILED)

    response = editor_client.post(f"{LOGS}{log.pk}/resume/", {"full_refresh": True}, format="json")

    assert response.status_code == 400
    assert "in the query string, not in the body" in response.json()["errors"]["body"][0]
    log.refresh_from_db()
    assert log.status == SyncStatus.FAILED


def test_the_schema_publishes_allow_empty_on_the_sync_trigger_and_the_log():
    from drf_spectacular.generators import SchemaGenerator

    schema = SchemaGenerator().get_schema(request=None, public=True)
    operation = schema["paths"]["/api/demo-extension/connectors/{id}/sync_data/"]["post"]
    allow_empty = next(p for p in operation["parameters"] if p["name"] == "allow_empty")
    assert allow_empty["schema"]["type"] == "boolean"
    assert "full_refresh=true only" in allow_empty["description"]
    assert schema["components"]["schemas"]["SyncLog"]["properties"]["allow_empty"]["readOnly"] is True


@pytest.mark.parametrize("query", ["allow_empty=true", "allow_empty=true&full_refresh=false"])
def test_allow_empty_without_a_full_refresh_is_a_400_naming_the_rule(editor_client, make_connector, query):
    connector = make_connector()

    response = editor_client.post(f"{CONNECTORS}{connector.pk}/sync_data/?{query}&wait=0")

    assert response.status_code == 400
    assert response.json()["errors"] == {
        "allow_empty": ["allow_empty applies to a full refresh only: send full_refresh=true with it."]
    }
    assert not SyncLog.objects.unscoped("test: every tenant").exists()


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("allow_empty=perhaps&full_refresh=true", "allow_empty"),
        ("wait=-1", "wait"),
        ("wait=61", "wait"),
        ("wait=soon", "wait"),
        ("wait=nan", "wait"),
        ("wait=inf", "wait"),
        ("full_refresh=perhaps", "full_refresh"),
    ],
)
def test_bad_sync_options_are_a_400_and_start_nothing(editor_client, make_connector, query, field):
    connector = make_connector()

    response = editor_client.post(f"{CONNECTORS}{connector.pk}/sync_data/?{query}")

    assert response.status_code == 400
    assert field in response.json()["errors"]
    assert field in response.json()["detail"]
    assert not SyncLog.objects.unscoped("test: every tenant").exists()


def test_a_misspelt_sync_option_is_a_400_naming_the_right_one_and_starts_nothing(
    editor_client, make_connector
):
    # ?fullrefresh=true ran an incremental sync, 200: nothing was tombstoned
    connector = make_connector()

    response = editor_client.post(f"{CONNECTORS}{connector.pk}/sync_data/?fullrefresh=true&wait=0")

    assert response.status_code == 400
    assert response.json()["errors"] == {
        "fullrefresh": [
            "Unknown query parameter 'fullrefresh'; this endpoint takes: allow_empty, format, full_refresh, "
            "trigger, wait. Did you mean 'full_refresh'?"
        ]
    }
    assert not SyncLog.objects.unscoped("test: every tenant").exists()


def test_a_resume_takes_only_wait(editor_client, make_connector):
    # a resume goes on from the checkpoint: a full refresh (or another trigger) would be ignored
    connector = make_connector()
    log = SyncLog.objects.create(tenant=connector.tenant, connector=connector, status=SyncStatus.FAILED)

    response = editor_client.post(f"{LOGS}{log.pk}/resume/?full_refresh=true&wait=0")

    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["full_refresh"]
    assert SyncLog.objects.filter(tenant=connector.tenant).count() == 1


def test_a_second_trigger_while_a_sync_is_in_progress_is_a_409_naming_it(editor_client, make_connector):
    connector = make_connector()
    first = editor_client.post(f"{CONNECTORS}{connector.pk}/sync_data/?wait=0").json()

    response = editor_client.post(f"{CONNECTORS}{connector.pk}/sync_data/?wait=0")

    assert response.status_code == 409
    assert response.json()["sync_log_id"] == first["id"]
    assert str(first["id"]) in response.json()["detail"]
    assert SyncLog.objects.unscoped("test: every tenant").count() == 1


def test_a_running_sync_also_blocks_a_trigger(editor_client, make_connector, make_log):
    connector = make_connector()
    running = make_log(connector, SyncStatus.RUNNING)

    response = editor_client.post(f"{CONNECTORS}{connector.pk}/sync_data/?wait=0")

    assert response.status_code == 409
    assert response.json()["sync_log_id"] == running.pk


def test_sync_data_is_throttled(editor_client, make_connector, make_log):
    from rest_framework.throttling import ScopedRateThrottle

    original = ScopedRateThrottle.THROTTLE_RATES
    ScopedRateThrottle.THROTTLE_RATES = {**original, "sync_data": "2/min"}
    try:
        connector = make_connector()
        codes = []
        for _ in range(3):
            response = editor_client.post(f"{CONNECTORS}{connector.pk}/sync_data/?wait=0")
            codes.append(response.status_code)
            SyncLog.objects.unscoped("test: every tenant").filter(status=SyncStatus.PENDING).update(
                status=SyncStatus.CANCELLED
            )
    finally:
        ScopedRateThrottle.THROTTLE_RATES = original

    assert codes == [202, 202, 429]
    assert "Retry-After" in response.headers


# --- sync_history ---------------------------------------------------------------------------------


def test_sync_history_lists_the_connectors_runs_newest_first(viewer_client, make_connector, make_log):
    connector, other = make_connector(), make_connector()
    oldest = make_log(connector, age=timedelta(days=2))
    newest = make_log(connector, SyncStatus.FAILED, error_message="HTTP 500")
    middle = make_log(connector, SyncStatus.PARTIAL, age=timedelta(days=1))
    make_log(other)

    response = viewer_client.get(f"{CONNECTORS}{connector.pk}/sync_history/")

    assert ids(response) == [newest.pk, middle.pk, oldest.pk]
    assert response.json()["results"][0]["error_message"] == "HTTP 500"
    assert set(response.json()["results"][0]) == LOG_FIELDS


def test_sync_history_paginates(viewer_client, make_connector, make_log):
    connector = make_connector()
    logs = [make_log(connector, age=timedelta(hours=hours)) for hours in range(5)]

    first = viewer_client.get(f"{CONNECTORS}{connector.pk}/sync_history/", {"page_size": 2}).json()
    last = viewer_client.get(f"{CONNECTORS}{connector.pk}/sync_history/", {"page_size": 2, "page": 3}).json()

    assert first["count"] == 5
    assert [row["id"] for row in first["results"]] == [logs[0].pk, logs[1].pk]
    assert [row["id"] for row in last["results"]] == [logs[4].pk]


def test_sync_history_queries_do_not_grow_with_runs(
    viewer_client, make_connector, make_log, django_assert_max_num_queries
):
    connector = make_connector()
    for hours in range(20):
        make_log(connector, age=timedelta(hours=hours))

    with django_assert_max_num_queries(6):
        assert viewer_client.get(f"{CONNECTORS}{connector.pk}/sync_history/").status_code == 200


# --- the sync log list and its filters -------------------------------------------------------------


@pytest.fixture
def runs_of_two_connectors(make_connector, make_log, tenant_b):
    billing, crm = make_connector(name="Billing"), make_connector(name="CRM")
    return {
        "old_success": make_log(billing, SyncStatus.SUCCESS, age=timedelta(days=10)),
        "failed": make_log(billing, SyncStatus.FAILED, age=timedelta(days=3), error_message="HTTP 503"),
        "partial": make_log(crm, SyncStatus.PARTIAL, age=timedelta(hours=5), triggered_by="schedule"),
        "running": make_log(crm, SyncStatus.RUNNING),
        "globex": make_log(make_connector(tenant=tenant_b, name="Elsewhere")),
    }


def test_sync_logs_list_only_the_tenants_runs_newest_first(viewer_client, runs_of_two_connectors):
    runs = runs_of_two_connectors

    response = viewer_client.get(LOGS)

    assert ids(response) == [runs[k].pk for k in ("running", "partial", "failed", "old_success")]
    assert response.json()["results"][0]["connector_name"] == "CRM"


def test_sync_logs_filter_by_connector(viewer_client, runs_of_two_connectors):
    runs = runs_of_two_connectors

    response = viewer_client.get(LOGS, {"connector": runs["failed"].connector_id})

    assert ids(response) == [runs["failed"].pk, runs["old_success"].pk]


def test_filtering_by_another_tenants_connector_finds_nothing(viewer_client, runs_of_two_connectors):
    assert ids(viewer_client.get(LOGS, {"connector": runs_of_two_connectors["globex"].connector_id})) == []


def test_sync_logs_filter_by_one_or_more_statuses(viewer_client, runs_of_two_connectors):
    runs = runs_of_two_connectors

    assert ids(viewer_client.get(LOGS, {"status": "FAILED"})) == [runs["failed"].pk]
    assert ids(viewer_client.get(f"{LOGS}?status=FAILED&status=PARTIAL")) == [
        runs["partial"].pk,
        runs["failed"].pk,
    ]


def test_sync_logs_filter_by_trigger(viewer_client, runs_of_two_connectors):
    assert ids(viewer_client.get(LOGS, {"triggered_by": "schedule"})) == [
        runs_of_two_connectors["partial"].pk
    ]


def test_sync_logs_filter_by_creation_date_range(viewer_client, runs_of_two_connectors):
    runs = runs_of_two_connectors
    now = timezone.now()
    week_ago = (now - timedelta(days=7)).date().isoformat()
    yesterday = (now - timedelta(days=1)).isoformat()

    assert ids(viewer_client.get(LOGS, {"created_after": week_ago, "created_before": yesterday})) == [
        runs["failed"].pk
    ]
    assert ids(viewer_client.get(LOGS, {"created_before": week_ago})) == [runs["old_success"].pk]


def test_a_creation_date_filter_with_any_offset_is_read_in_utc(viewer_client, runs_of_two_connectors):
    """PostgreSQL stores offsets up to ±15:59 only: a valid ISO 8601 offset beyond it was a 500."""
    yesterday = timezone.now() - timedelta(days=1)
    far_east = yesterday.astimezone(dt_timezone(timedelta(hours=21, minutes=4))).isoformat()
    in_utc = yesterday.isoformat()

    response = viewer_client.get(LOGS, {"created_before": far_east})

    assert response.status_code == 200, response.content
    assert ids(response) == ids(viewer_client.get(LOGS, {"created_before": in_utc}))


@pytest.mark.parametrize(
    "query",
    [
        {"status": "DONE"},
        {"created_after": "last week"},
        {"created_before": "99999-01-01"},
        {"created_after": "0001-01-01T01:00:00+05:00"},  # no UTC equivalent
        {"connector": "billing"},
        {"connector": "1e30"},
        {"connector": "99999999999999999999999"},
        {"connector": "-1"},
        {"triggered_by": "cron"},
    ],
)
def test_bad_log_filters_are_a_400_naming_the_filter(viewer_client, runs_of_two_connectors, query):
    response = viewer_client.get(LOGS, query)

    assert response.status_code == 400
    assert set(response.json()["errors"]) == set(query)


def test_sync_logs_search_connector_names_and_errors(viewer_client, runs_of_two_connectors):
    runs = runs_of_two_connectors

    assert ids(viewer_client.get(LOGS, {"search": "503"})) == [runs["failed"].pk]
    assert ids(viewer_client.get(LOGS, {"search": "crm"})) == [runs["running"].pk, runs["partial"].pk]


def test_sync_logs_order_by_records_processed(viewer_client, make_connector, make_log):
    connector = make_connector()
    small = make_log(connector, records_processed=5)
    large = make_log(connector, records_processed=500)

    assert ids(viewer_client.get(LOGS, {"ordering": "-records_processed"})) == [large.pk, small.pk]
    assert ids(viewer_client.get(LOGS, {"ordering": "records_processed"})) == [small.pk, large.pk]


def test_sync_log_list_queries_do_not_grow_with_runs(
    viewer_client, runs_of_two_connectors, make_connector, make_log, django_assert_max_num_queries
):
    for _ in range(10):
        make_log(make_connector())

    with django_assert_max_num_queries(5):
        assert viewer_client.get(LOGS).status_code == 200


# --- detail, events, errors -----------------------------------------------------------------------


def test_a_sync_log_detail_has_its_events_oldest_first(viewer_client, make_connector, make_log):
    log = make_log(make_connector(), SyncStatus.PARTIAL, records_failed=1)
    SyncLogEvent.objects.create(sync_log=log, message="Started.")
    SyncLogEvent.objects.create(sync_log=log, level="warning", message="Record 7 quarantined.")

    response = viewer_client.get(f"{LOGS}{log.pk}/")

    assert response.status_code == 200
    body = response.json()
    assert set(body) == LOG_FIELDS | {
        "cannot_resume_reason",
        "background_stopped",
        "events",
    }
    assert [(e["level"], e["message"]) for e in body["events"]] == [
        ("info", "Started."),
        ("warning", "Record 7 quarantined."),
    ]


def test_the_detail_says_why_a_run_cannot_resume(viewer_client, make_connector, make_log):
    connector = make_connector(api_endpoint="https://api.example.com/v1/users")
    checkpoint = {"origin": "https://api.example.com:443", "page": 2}
    done = make_log(connector, SyncStatus.SUCCESS, age=timedelta(hours=3))
    no_checkpoint = make_log(connector, SyncStatus.FAILED, age=timedelta(hours=2))
    superseded = make_log(connector, SyncStatus.FAILED, age=timedelta(hours=1), checkpoint=checkpoint)
    latest = make_log(connector, SyncStatus.CANCELLED, checkpoint=checkpoint)

    def reason(log):
        body = viewer_client.get(f"{LOGS}{log.pk}/").json()
        assert (body["cannot_resume_reason"] == "") is body["can_resume"], body
        return body["cannot_resume_reason"]

    assert reason(done) == "Only a failed or cancelled sync can be resumed; this one is SUCCESS."
    assert reason(no_checkpoint) == "This sync has no checkpoint to resume from; start a new sync instead."
    assert reason(superseded) == "A newer sync of this connector exists; start a new sync instead."
    assert reason(latest) == ""
    connector.api_endpoint = "https://new.example.com/v1/users"
    connector.save()
    assert reason(latest) == (
        "This run's checkpoint was made for another endpoint origin than the connector's current one; "
        "it cannot be resumed. Start a new sync instead."
    )


def test_the_detail_of_a_running_sync_says_how_long_its_connector_is_paused(
    viewer_client, make_connector, make_log
):
    connector = make_connector()
    running = make_log(connector, SyncStatus.RUNNING)
    ended = make_log(make_connector(), SyncStatus.FAILED)

    assert viewer_client.get(f"{LOGS}{running.pk}/").json()["requests_paused_for"] == 0
    request_budget(connector, per_sync=False).pause(30)
    paused = viewer_client.get(f"{LOGS}{running.pk}/").json()["requests_paused_for"]
    assert 28 < paused <= 30
    assert viewer_client.get(f"{LOGS}{ended.pk}/").json()["requests_paused_for"] is None


def test_the_list_says_how_long_a_running_syncs_connector_is_paused(viewer_client, make_connector, make_log):
    # a runs page showed a run waiting out a 429 as plain RUNNING, which looked stuck
    connector = make_connector()
    running = make_log(connector, SyncStatus.RUNNING)
    ended = make_log(make_connector(), SyncStatus.FAILED)
    request_budget(connector, per_sync=False).pause(30)

    listed = {row["id"]: row["requests_paused_for"] for row in viewer_client.get(LOGS).json()["results"]}
    history = viewer_client.get(f"/api/demo-extension/connectors/{connector.pk}/sync_history/").json()

    assert 28 < listed[running.pk] <= 30
    assert listed[ended.pk] is None
    assert 28 < history["results"][0]["requests_paused_for"] <= 30


def test_the_detail_of_a_pending_sync_says_when_no_worker_will_take_it(
    viewer_client, make_connector, make_log, monkeypatch
):
    # an API client polling a 202's run saw PENDING for ever when the workers had stopped
    monkeypatch.setattr(background_health, "_process_started", time.monotonic() - 3600)
    pending = make_log(make_connector(), SyncStatus.PENDING)
    running = make_log(make_connector(), SyncStatus.RUNNING)
    background_health.record_tick(timezone.now() - timedelta(minutes=7))

    def said(log):
        return viewer_client.get(f"{LOGS}{log.pk}/").json()["background_stopped"]

    assert said(pending).startswith("Nothing has run in the background for 7 min (last at ")
    assert said(running) is None
    background_health.record_tick()
    assert said(pending) is None


def test_the_detail_carries_the_latest_events_and_the_events_endpoint_all(
    viewer_client, make_connector, make_log
):
    log = make_log(make_connector())
    SyncLogEvent.objects.bulk_create(SyncLogEvent(sync_log=log, message=f"page {i}") for i in range(250))

    detail = viewer_client.get(f"{LOGS}{log.pk}/").json()
    events = viewer_client.get(f"{LOGS}{log.pk}/events/", {"page_size": 100, "page": 3}).json()

    assert len(detail["events"]) == 200
    assert detail["events"][0]["message"] == "page 50"
    assert detail["events"][-1]["message"] == "page 249"
    assert events["count"] == 250
    assert [e["message"] for e in events["results"]] == [f"page {i}" for i in range(200, 250)]


def test_the_errors_endpoint_lists_the_quarantined_records(viewer_client, make_connector, make_log):
    connector = make_connector()
    log = make_log(connector, SyncStatus.PARTIAL, records_failed=2)
    other = make_log(connector, age=timedelta(days=1))
    for n, log_of in ((1, log), (2, log), (3, other)):
        SyncRecordError.objects.create(
            tenant=connector.tenant,
            sync_log=log_of,
            connector=connector,
            external_id=str(n),
            raw_payload={"id": n, "age": "old"},
            error=f"Field 'age': cannot convert \"old\" to int. ({n})",
            page=1,
        )

    response = viewer_client.get(f"{LOGS}{log.pk}/errors/")

    assert response.status_code == 200
    rows = response.json()["results"]
    assert [row["external_id"] for row in rows] == ["1", "2"]
    assert rows[0]["raw_payload"] == {"id": 1, "age": "old"}
    assert "cannot convert" in rows[0]["error"]
    assert set(rows[0]) == {
        "id",
        "sync_log",
        "connector",
        "external_id",
        "raw_payload",
        "error",
        "page",
        "created_at",
    }


@pytest.mark.parametrize("suffix", ["", "events/", "errors/"])
def test_another_tenants_sync_log_is_a_404(outsider_client, make_connector, make_log, suffix):
    log = make_log(make_connector())

    response = outsider_client.get(f"{LOGS}{log.pk}/{suffix}")

    assert response.status_code == 404
    assert response.json() == {"detail": "Not found."}


def test_an_unknown_sync_log_is_a_404(viewer_client):
    assert viewer_client.get(f"{LOGS}424242/").status_code == 404


def test_sync_logs_cannot_be_written_directly(admin_client, make_connector, make_log):
    log = make_log(make_connector())

    assert admin_client.post(LOGS, {"connector": log.connector_id}, format="json").status_code == 405
    assert admin_client.patch(f"{LOGS}{log.pk}/", {"status": "FAILED"}, format="json").status_code == 405
    assert admin_client.delete(f"{LOGS}{log.pk}/").status_code == 405


# --- cancel -----------------------------------------------------------------------------------------


def test_cancelling_a_pending_sync_ends_it_at_once(editor_client, make_connector, make_log):
    log = make_log(make_connector(), SyncStatus.PENDING)

    response = editor_client.post(f"{LOGS}{log.pk}/cancel/")

    assert response.status_code == 200
    assert response.json()["status"] == "CANCELLED"
    log.refresh_from_db()
    assert log.status == SyncStatus.CANCELLED
    # the run's log and its error say who cancelled it
    assert log.error_message == "Cancelled by editor@acme.test before it started."
    assert "Cancelled by editor@acme.test before it started." in log.events.values_list("message", flat=True)


def test_cancelling_a_running_sync_asks_it_to_stop(editor_client, make_connector, make_log):
    log = make_log(make_connector(), SyncStatus.RUNNING)

    response = editor_client.post(f"{LOGS}{log.pk}/cancel/")

    assert response.status_code == 200
    assert response.json()["status"] == "RUNNING"
    log.refresh_from_db()
    assert log.cancel_requested is True
    assert list(log.events.values_list("message", flat=True)) == [
        "Cancellation requested by editor@acme.test; stopping now (requests in flight are abandoned)."
    ]


def test_cancelling_a_finished_sync_is_a_409_saying_how_it_ended(editor_client, make_connector, make_log):
    """The run's state refuses it, as it refuses a resume: a conflict, not a malformed request."""
    log = make_log(make_connector(), SyncStatus.SUCCESS)

    response = editor_client.post(f"{LOGS}{log.pk}/cancel/")

    assert response.status_code == 409
    assert response.json()["detail"] == "This sync has already finished (SUCCESS)."
    assert "already finished" in response.json()["detail"]


def test_viewer_cannot_cancel(viewer_client, make_connector, make_log):
    log = make_log(make_connector(), SyncStatus.PENDING)

    assert viewer_client.post(f"{LOGS}{log.pk}/cancel/").status_code == 403
    log.refresh_from_db()
    assert log.status == SyncStatus.PENDING


def test_another_tenant_cannot_cancel(outsider_client, make_connector, make_log):
    log = make_log(make_connector(), SyncStatus.PENDING)

    assert outsider_client.post(f"{LOGS}{log.pk}/cancel/").status_code == 404
    log.refresh_from_db()
    assert log.status == SyncStatus.PENDING


# --- resume -----------------------------------------------------------------------------------------


def test_resuming_a_failed_sync_queues_it_again(editor_client, make_connector, make_log):
    log = make_log(make_connector(), SyncStatus.FAILED, checkpoint={"page": 3}, error_message="HTTP 503")

    response = editor_client.post(f"{LOGS}{log.pk}/resume/?wait=0")

    assert response.status_code == 202
    assert response.json()["id"] == log.pk
    assert response.json()["status"] == "PENDING"
    assert response.json()["error_message"] == ""


def _failed_after_page_one(editor_client, sample_upstream, make_connector, capture):
    """A sync of 30 records (3 pages) whose upstream answers page 2 with an HTML error page, started
    through the API: ``(upstream, connector, the run as the API shows it)``."""
    upstream = sample_upstream(records=30, page_size=10, style="page", fail_after_pages=1, fault="html")
    connector = make_connector(upstream=upstream, pagination={"type": "page"})
    with capture(execute=True):
        started = editor_client.post(f"{CONNECTORS}{connector.pk}/sync_data/?wait=0").json()
    return upstream, connector, editor_client.get(f"{LOGS}{started['id']}/").json()


def test_a_failed_sync_resumes_from_its_checkpoint(
    inline_syncs, editor_client, sample_upstream, make_connector, django_capture_on_commit_callbacks
):
    upstream, connector, failed = _failed_after_page_one(
        editor_client, sample_upstream, make_connector, django_capture_on_commit_callbacks
    )
    assert failed["status"] == "FAILED"
    assert failed["error_message"]
    upstream.heal()
    requests_before = len(upstream.requests)

    with django_capture_on_commit_callbacks(execute=True):
        response = editor_client.post(f"{LOGS}{failed['id']}/resume/?wait=0")

    assert response.status_code == 202
    resumed = editor_client.get(f"{LOGS}{failed['id']}/").json()
    assert resumed["status"] == "SUCCESS", resumed
    connector.refresh_from_db()
    assert connector.records_count == 30
    pages_fetched_again = [r["query"] for r in upstream.requests[requests_before:]]
    assert pages_fetched_again
    assert all(query.get("page") != "1" for query in pages_fetched_again), pages_fetched_again
    assert any("resumed" in event["message"].lower() for event in resumed["events"])


def test_a_resumed_sync_keeps_its_first_start_and_says_when_it_resumed(
    inline_syncs, editor_client, sample_upstream, make_connector, django_capture_on_commit_callbacks
):
    # started_at was reset to the resume while duration_seconds added up both attempts
    upstream, connector, failed = _failed_after_page_one(
        editor_client, sample_upstream, make_connector, django_capture_on_commit_callbacks
    )
    assert failed["status"] == "FAILED" and failed["resumed_at"] is None
    upstream.heal()

    with django_capture_on_commit_callbacks(execute=True):
        editor_client.post(f"{LOGS}{failed['id']}/resume/?wait=0")

    resumed = editor_client.get(f"{LOGS}{failed['id']}/").json()
    assert resumed["status"] == "SUCCESS", resumed
    assert resumed["started_at"] == failed["started_at"]
    first_start, again, end = (
        datetime.fromisoformat(resumed[name]) for name in ("started_at", "resumed_at", "finished_at")
    )
    assert first_start < datetime.fromisoformat(failed["finished_at"]) <= again <= end
    assert failed["duration_seconds"] <= resumed["duration_seconds"] <= (end - first_start).total_seconds()


def test_a_sync_that_ran_in_one_go_was_never_resumed(
    inline_syncs, editor_client, sample_upstream, make_connector, django_capture_on_commit_callbacks
):
    connector = make_connector(upstream=sample_upstream(records=5))
    with django_capture_on_commit_callbacks(execute=True):
        started = editor_client.post(f"{CONNECTORS}{connector.pk}/sync_data/?wait=0").json()

    run = editor_client.get(f"{LOGS}{started['id']}/").json()

    assert run["status"] == "SUCCESS", run
    assert run["started_at"] is not None and run["resumed_at"] is None


def test_a_sync_without_a_checkpoint_cannot_be_resumed(editor_client, make_connector, make_log):
    log = make_log(make_connector(), SyncStatus.FAILED)

    response = editor_client.post(f"{LOGS}{log.pk}/resume/")

    assert response.status_code == 409
    assert "checkpoint" in response.json()["detail"]


def test_a_successful_sync_cannot_be_resumed(editor_client, make_connector, make_log):
    log = make_log(make_connector(), SyncStatus.SUCCESS, checkpoint={"page": 2})

    response = editor_client.post(f"{LOGS}{log.pk}/resume/")

    assert response.status_code == 409
    assert "SUCCESS" in response.json()["detail"]


def test_resuming_while_another_sync_runs_is_a_409(editor_client, make_connector, make_log):
    connector = make_connector()
    failed = make_log(connector, SyncStatus.FAILED, checkpoint={"page": 2}, age=timedelta(hours=1))
    SyncLog.objects.filter(pk=failed.pk).update(created_at=timezone.now() + timedelta(hours=1))
    running = make_log(connector, SyncStatus.RUNNING)

    response = editor_client.post(f"{LOGS}{failed.pk}/resume/")

    assert response.status_code == 409
    assert response.json()["sync_log_id"] == running.pk


def test_viewer_cannot_resume(viewer_client, make_connector, make_log):
    log = make_log(make_connector(), SyncStatus.FAILED, checkpoint={"page": 2})

    assert viewer_client.post(f"{LOGS}{log.pk}/resume/").status_code == 403
    log.refresh_from_db()
    assert log.status == SyncStatus.FAILED


def test_resume_rejects_a_bad_wait(editor_client, make_connector, make_log):
    log = make_log(make_connector(), SyncStatus.FAILED, checkpoint={"page": 2})

    response = editor_client.post(f"{LOGS}{log.pk}/resume/?wait=120")

    assert response.status_code == 400
    log.refresh_from_db()
    assert log.status == SyncStatus.FAILED


# --- warnings -------------------------------------------------------------------------------------


def test_a_success_keyed_by_content_shows_its_warning_on_the_run_the_history_and_the_connector(
    inline_syncs, editor_client, sample_upstream, make_connector, django_capture_on_commit_callbacks
):
    connector = make_connector(upstream=sample_upstream(records=45, page_size=20), primary_key="user_id")

    with django_capture_on_commit_callbacks(execute=True):
        started = editor_client.post(f"{CONNECTORS}{connector.pk}/sync_data/?wait=0").json()

    run = editor_client.get(f"{LOGS}{started['id']}/").json()
    assert run["status"] == "SUCCESS"
    assert run["warnings_count"] == 1
    assert run["warnings"][0].startswith("No record of the first page has the primary key 'user_id'")
    assert "set the connector's primary_key to 'id'" in run["warnings"][0]
    [row] = editor_client.get(f"{CONNECTORS}{connector.pk}/sync_history/").json()["results"]
    assert row["warnings_count"] == 1
    [listed] = [r for r in editor_client.get(LOGS).json()["results"] if r["id"] == run["id"]]
    assert listed["warnings"] == run["warnings"]
    detail = editor_client.get(f"{CONNECTORS}{connector.pk}/").json()
    assert detail["last_sync_log_id"] == run["id"]
    assert detail["last_sync_warnings"] == run["warnings"]
    assert detail["warnings"] == [f"The last sync (#{run['id']}, SUCCESS) warned: {run['warnings'][0]}"]
    [in_list] = [c for c in editor_client.get(CONNECTORS).json()["results"] if c["id"] == connector.pk]
    assert in_list["warnings"] == detail["warnings"]


def test_a_run_without_warnings_clears_the_connectors_warnings_and_a_cancel_line_is_no_warning(
    inline_syncs, editor_client, sample_upstream, make_connector, make_log, django_capture_on_commit_callbacks
):
    connector = make_connector(upstream=sample_upstream(records=5, page_size=5))
    make_log(connector, warnings=["an older run's warning"], age=timedelta(hours=1))

    with django_capture_on_commit_callbacks(execute=True):
        started = editor_client.post(f"{CONNECTORS}{connector.pk}/sync_data/?wait=0").json()

    assert editor_client.get(f"{LOGS}{started['id']}/").json()["warnings"] == []
    detail = editor_client.get(f"{CONNECTORS}{connector.pk}/").json()
    assert detail["warnings"] == [] and detail["last_sync_warnings"] == []
    pending = editor_client.post(f"{CONNECTORS}{connector.pk}/sync_data/?wait=0").json()
    editor_client.post(f"{LOGS}{pending['id']}/cancel/")
    cancelled = editor_client.get(f"{LOGS}{pending['id']}/").json()
    assert cancelled["status"] == "CANCELLED" and cancelled["warnings_count"] == 0


def test_a_run_says_its_connector_s_page_cap_which_may_end_it_before_the_announced_total(
    editor_client, make_connector, make_log, settings
):
    settings.MIGRATEIQ_SYNC_MAX_PAGES = 500
    capped = make_log(make_connector(name="Capped", max_pages=12), SyncStatus.RUNNING, records_total=500)
    uncapped = make_log(make_connector(name="Uncapped"), SyncStatus.RUNNING)

    assert editor_client.get(f"{LOGS}{capped.pk}/").json()["page_cap"] == 12
    listed = {row["id"]: row["page_cap"] for row in editor_client.get(LOGS).json()["results"]}
    assert listed == {capped.pk: 12, uncapped.pk: 500}  # the server's limit without the connector's


def test_a_failed_run_counts_its_retries_as_retries_not_as_warnings_beside_its_error(
    inline_syncs, editor_client, sample_upstream, make_connector, django_capture_on_commit_callbacks, settings
):
    settings.MIGRATEIQ_HTTP_BACKOFF_BASE = 0.001
    settings.MIGRATEIQ_HTTP_MAX_ATTEMPTS = 4
    upstream = sample_upstream(records=5, page_size=5, fail_first=100, fail_status=503)
    connector = make_connector(upstream=upstream, pagination={"type": "none"})

    with django_capture_on_commit_callbacks(execute=True):
        started = editor_client.post(f"{CONNECTORS}{connector.pk}/sync_data/?wait=0").json()

    run = editor_client.get(f"{LOGS}{started['id']}/").json()
    assert run["status"] == "FAILED" and "after 4 attempts" in run["error_message"]
    assert run["retries"] == 3
    assert run["warnings"] == [] and run["warnings_count"] == 0
    retry_lines = [e["message"] for e in run["events"] if e["level"] == "warning"]
    assert len(retry_lines) == 3 and all("retrying in" in line for line in retry_lines)  # the log keeps them
    [row] = editor_client.get(f"{CONNECTORS}{connector.pk}/sync_history/").json()["results"]
    assert (row["retries"], row["warnings_count"]) == (3, 0)
    detail = editor_client.get(f"{CONNECTORS}{connector.pk}/").json()
    assert detail["last_sync_warnings"] == [] and detail["warnings"] == []


def test_a_failed_sync_gives_its_error_to_the_connector_until_a_run_ends_without_one(
    inline_syncs, editor_client, sample_upstream, make_connector, django_capture_on_commit_callbacks
):
    upstream = sample_upstream(records=5, page_size=5, api_key="the-right-key")
    connector = make_connector(upstream=upstream)
    assert editor_client.get(f"{CONNECTORS}{connector.pk}/").json()["last_sync_error"] == ""
    connector.api_key = "a-wrong-key"
    connector.save()

    with django_capture_on_commit_callbacks(execute=True):
        failed = editor_client.post(f"{CONNECTORS}{connector.pk}/sync_data/?wait=0").json()

    run = editor_client.get(f"{LOGS}{failed['id']}/").json()
    assert run["status"] == "FAILED" and "HTTP 401" in run["error_message"]
    detail = editor_client.get(f"{CONNECTORS}{connector.pk}/").json()
    assert detail["last_sync_log_id"] == run["id"]
    assert detail["last_sync_error"] == run["error_message"]
    [in_list] = [c for c in editor_client.get(CONNECTORS).json()["results"] if c["id"] == connector.pk]
    assert in_list["last_sync_error"] == run["error_message"]

    connector.api_key = "the-right-key"
    connector.save()
    with django_capture_on_commit_callbacks(execute=True):
        editor_client.post(f"{CONNECTORS}{connector.pk}/sync_data/?wait=0")

    assert editor_client.get(f"{CONNECTORS}{connector.pk}/").json()["last_sync_error"] == ""


# --- debug lines ----------------------------------------------------------------------------------


def test_where_pages_are_built_is_a_debug_line_left_out_of_the_log_unless_asked_for(
    inline_syncs, settings, editor_client, sample_upstream, make_connector, django_capture_on_commit_callbacks
):
    settings.MIGRATEIQ_SYNC_BUILD_PROCESS = "on"
    connector = make_connector(upstream=sample_upstream(records=30, page_size=10))

    with django_capture_on_commit_callbacks(execute=True):
        started = editor_client.post(f"{CONNECTORS}{connector.pk}/sync_data/?wait=0").json()

    line = "Pages are built in a second process, on another core."
    assert SyncLogEvent.objects.filter(sync_log_id=started["id"], message=line, level="debug").exists()
    shown = editor_client.get(f"{LOGS}{started['id']}/").json()["events"]
    assert shown and line not in [event["message"] for event in shown]
    listed = editor_client.get(f"{LOGS}{started['id']}/events/").json()["results"]
    assert listed and line not in [event["message"] for event in listed]
    debug = editor_client.get(f"{LOGS}{started['id']}/events/?debug=true").json()["results"]
    assert [event["level"] for event in debug if event["message"] == line] == ["debug"]
    assert editor_client.get(f"{LOGS}{started['id']}/events/?debug=maybe").status_code == 400
