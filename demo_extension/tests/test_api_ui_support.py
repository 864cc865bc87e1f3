"""What the web UI needs from the connectors API: numeric-aware record order and field search,
``can_resume``, the ``ui`` trigger, the sync activity per day and the list's latest run statuses."""

from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from demo_extension.models import SyncedRecord, SyncLog, SyncStatus
from demo_extension.services.stats import sync_activity

CONNECTORS = "/api/demo-extension/connectors/"
SYNC_LOGS = "/api/demo-extension/sync-logs/"
HISTORY = CONNECTORS + "stats/history/"

pytestmark = pytest.mark.django_db


def add_records(connector, rows: dict):
    now = timezone.now()
    SyncedRecord.objects.bulk_create(
        SyncedRecord(
            tenant=connector.tenant,
            connector=connector,
            external_id=external_id,
            data=data,
            checksum=f"sum-{external_id}",
            first_synced_at=now,
            last_synced_at=now,
        )
        for external_id, data in rows.items()
    )


def external_ids(response) -> list[str]:
    assert response.status_code == 200, response.content
    return [row["external_id"] for row in response.json()["results"]]


def make_log(connector, status=SyncStatus.SUCCESS, *, age=None, **fields) -> SyncLog:
    if status not in (SyncStatus.PENDING, SyncStatus.RUNNING):
        fields.setdefault("finished_at", timezone.now())
    log = SyncLog.objects.create(tenant=connector.tenant, connector=connector, status=status, **fields)
    if age is not None:
        SyncLog.objects.filter(pk=log.pk).update(created_at=timezone.now() - age)
        log.refresh_from_db()
    return log


# --- records: order and search ----------------------------------------------------------------


def test_records_sort_numeric_ids_as_numbers(viewer_client, make_connector):
    connector = make_connector()
    add_records(connector, {str(n): {"n": n} for n in (1, 10, 100, 11, 2, 20, 3)})

    url = f"{CONNECTORS}{connector.pk}/records/"
    assert external_ids(viewer_client.get(url)) == ["1", "2", "3", "10", "11", "20", "100"]
    assert external_ids(viewer_client.get(url, {"ordering": "-external_id"})) == [
        "100",
        "20",
        "11",
        "10",
        "3",
        "2",
        "1",
    ]


def test_an_unknown_record_ordering_is_a_400_naming_it(viewer_client, make_connector):
    connector = make_connector()
    response = viewer_client.get(f"{CONNECTORS}{connector.pk}/records/", {"ordering": "data"})
    assert response.status_code == 400
    assert "ordering" in response.json()["errors"]


MIXED = {
    "1": {"v": "banana"},
    "2": {"v": 10},
    "3": {"v": 9.5},
    "4": {"v": "Apple"},
    "5": {"v": True},
    "6": {"other": 1},
    "7": {"v": None},
    "8": {"v": 2},
    "9": {"v": "apple"},
    "10": {"v": False},
    "11": {"v": [1]},
    "12": {"v": -3},
    "13": {"v": 12345678901234567890},
}


def test_records_sort_by_a_data_field_numbers_then_text_then_booleans_missing_last(
    viewer_client, make_connector
):
    connector = make_connector()
    add_records(connector, MIXED)
    url = f"{CONNECTORS}{connector.pk}/records/"

    # numbers as numbers (2 before 9.5 before 10), text in any case (Apple and apple by their
    # stored text, then id), false before true, a list, then missing and null by id
    assert external_ids(viewer_client.get(url, {"ordering": "data.v", "page_size": 50})) == [
        "12", "8", "3", "2", "13", "4", "9", "1", "10", "5", "11", "6", "7"
    ]  # fmt: skip
    # descending: each kind reversed, records without the field still last (ties by id, descending)
    assert external_ids(viewer_client.get(url, {"ordering": "-data.v", "page_size": 50})) == [
        "13", "2", "3", "8", "12", "1", "9", "4", "5", "10", "11", "7", "6"
    ]  # fmt: skip


def test_a_data_field_sort_pages_without_overlap_or_gap(viewer_client, make_connector):
    connector = make_connector()
    # many ties: the id breaks them, so every record is on exactly one page
    add_records(connector, {str(n): {"group": n % 3, "name": f"n{n}"} for n in range(1, 24)})
    url = f"{CONNECTORS}{connector.pk}/records/"
    for ordering in ("data.group", "-data.group"):
        seen = []
        for page in (1, 2, 3, 4, 5):
            seen += external_ids(viewer_client.get(url, {"ordering": ordering, "page_size": 5, "page": page}))
        assert sorted(seen, key=int) == [str(n) for n in range(1, 24)]
        groups = [n % 3 for n in map(int, seen)]
        assert groups == sorted(groups, reverse=ordering.startswith("-"))


def test_a_data_field_name_is_taken_as_written(viewer_client, make_connector):
    connector = make_connector()
    add_records(
        connector,
        {
            "1": {"a.b": 2, "a": {"b": 1}, "naïve": "b", "it's": 2, "__x": 2},
            "2": {"a.b": 1, "a": {"b": 2}, "naïve": "a", "it's": 1, "__x": 1},
        },
    )
    url = f"{CONNECTORS}{connector.pk}/records/"
    for field in ("a.b", "naïve", "it's", "__x"):
        assert external_ids(viewer_client.get(url, {"ordering": f"data.{field}"})) == ["2", "1"], field


def test_a_non_ascii_data_field_sorts_records_stored_by_a_sync_too(viewer_client, make_connector):
    connector = make_connector()
    add_records(connector, {"1": {"prénom": "b"}, "2": {"prénom": "c"}, "3": {"prénom": "a"}})
    # a sync stores its records' text in UTF-8, the ORM with \\u escapes: both are read
    record = SyncedRecord.objects.get(connector=connector, external_id="2")
    table = SyncedRecord._meta.db_table
    cast = "CAST(%s AS jsonb)" if connection.vendor == "postgresql" else "%s"
    with connection.cursor() as cursor:
        sql = f"UPDATE {table} SET data = {cast} WHERE id = %s"  # noqa: S608 - our table
        cursor.execute(sql, ['{"prénom":"0"}', record.pk])
    url = f"{CONNECTORS}{connector.pk}/records/"
    assert external_ids(viewer_client.get(url, {"ordering": "data.prénom"})) == ["2", "3", "1"]


def test_a_data_field_sort_combines_with_a_search(viewer_client, make_connector):
    connector = make_connector()
    add_records(
        connector, {"1": {"n": "Ann", "age": 40}, "2": {"n": "Anna", "age": 30}, "3": {"n": "Bo", "age": 20}}
    )
    url = f"{CONNECTORS}{connector.pk}/records/"
    query = {"ordering": "data.age", "field": "n", "value": "an"}
    assert external_ids(viewer_client.get(url, query)) == ["2", "1"]


@pytest.mark.parametrize(
    "ordering",
    ["data.", "data", "-data.", 'data.a"b', "data.a\\b", "data.a\x01", "data." + "x" * 101, "name"],
)
def test_a_malformed_data_field_ordering_is_a_400_naming_it(viewer_client, make_connector, ordering):
    connector = make_connector()
    response = viewer_client.get(f"{CONNECTORS}{connector.pk}/records/", {"ordering": ordering})
    assert response.status_code == 400
    assert "data.<field>" in response.json()["errors"]["ordering"][0]


def test_a_data_field_sort_costs_a_fixed_number_of_queries(
    viewer_client, make_connector, django_assert_max_num_queries
):
    connector = make_connector()
    add_records(connector, {str(n): {"v": n} for n in range(40)})
    # 7: the schema is read once to refuse a field no stored record has, the page's rows' sizes once
    with django_assert_max_num_queries(7):
        response = viewer_client.get(f"{CONNECTORS}{connector.pk}/records/", {"ordering": "-data.v"})
    assert external_ids(response)[:3] == ["39", "38", "37"]


def test_records_are_searched_by_a_nested_field_value_in_any_case(viewer_client, make_connector):
    connector = make_connector()
    add_records(
        connector,
        {
            "1": {"name": "Ada", "address": {"city": "London"}},
            "2": {"name": "Bob", "address": {"city": "Paris"}},
            "3": {"name": "Cy", "address": {"city": "New London"}},
        },
    )
    url = f"{CONNECTORS}{connector.pk}/records/"

    assert external_ids(viewer_client.get(url, {"field": "address.city", "value": "london"})) == ["1", "3"]
    assert external_ids(viewer_client.get(url, {"field": "name", "value": "bo"})) == ["2"]
    assert external_ids(viewer_client.get(url, {"field": "missing", "value": "x"})) == []


def test_a_number_field_is_searched_as_text(viewer_client, make_connector):
    connector = make_connector()
    add_records(connector, {"1": {"age": 41}, "2": {"age": 7}})
    url = f"{CONNECTORS}{connector.pk}/records/"
    assert external_ids(viewer_client.get(url, {"field": "age", "value": "41"})) == ["1"]


def test_a_field_named_like_a_lookup_is_read_as_a_key(viewer_client, make_connector):
    connector = make_connector()
    add_records(connector, {"1": {"contains": "yes"}, "2": {"contains": "no"}})
    url = f"{CONNECTORS}{connector.pk}/records/"
    assert external_ids(viewer_client.get(url, {"field": "contains", "value": "yes"})) == ["1"]


def test_a_field_with_double_underscores_is_one_key(viewer_client, make_connector):
    connector = make_connector()
    add_records(
        connector, {"1": {"__v": "7", "meta": {"a__b": "x"}}, "2": {"__v": "8", "meta": {"a": {"b": "x"}}}}
    )
    url = f"{CONNECTORS}{connector.pk}/records/"
    assert external_ids(viewer_client.get(url, {"field": "__v", "value": "7"})) == ["1"]
    assert external_ids(viewer_client.get(url, {"field": "meta.a__b", "value": "x"})) == ["1"]


@pytest.mark.parametrize(
    "query",
    [{"field": "name"}, {"value": "x"}, {"field": "a..b", "value": "x"}, {"field": "a\x01", "value": "x"}],
)
def test_a_half_or_malformed_field_search_is_a_400(viewer_client, make_connector, query):
    connector = make_connector()
    response = viewer_client.get(f"{CONNECTORS}{connector.pk}/records/", query)
    assert response.status_code == 400
    assert response.json()["detail"]


@pytest.mark.parametrize("field", ["-1", "tags.-2", "tags. -1_0", "tags.-\u0663"])
def test_a_negative_number_in_a_field_path_is_a_400_not_a_500(viewer_client, make_connector, field):
    # A segment that is a number is a list position; a negative one made SQLite's JSON path
    # "$[-1]" an error, so the records list and the export answered 500.
    connector = make_connector()
    add_records(connector, {"1": {"tags": ["a", "b"], "address": {"city": "Oslo"}}})
    for endpoint in ("records", "export"):
        response = viewer_client.get(
            f"{CONNECTORS}{connector.pk}/{endpoint}/", {"field": field, "value": "b"}
        )

        assert response.status_code == 400, (endpoint, response.content)
        assert "negative" in response.json()["detail"]


def test_a_number_in_a_field_path_searches_a_list_position(viewer_client, make_connector):
    connector = make_connector()
    add_records(connector, {"1": {"tags": ["a", "b"]}, "2": {"tags": ["b", "a"]}})
    url = f"{CONNECTORS}{connector.pk}/records/"

    assert external_ids(viewer_client.get(url, {"field": "tags.1", "value": "b"})) == ["1"]


# --- can_resume ---------------------------------------------------------------------------------


def test_only_a_failed_run_with_a_checkpoint_and_no_newer_run_can_resume(viewer_client, make_connector):
    connector = make_connector()
    other = make_connector()
    resumable = make_log(other, SyncStatus.FAILED, checkpoint={"page": 3})
    no_checkpoint = make_log(connector, SyncStatus.FAILED, age=timedelta(hours=3))
    superseded = make_log(connector, SyncStatus.CANCELLED, checkpoint={"page": 2}, age=timedelta(hours=2))
    succeeded = make_log(connector, SyncStatus.SUCCESS, checkpoint={"page": 9}, age=timedelta(hours=1))

    rows = {row["id"]: row["can_resume"] for row in viewer_client.get(SYNC_LOGS).json()["results"]}

    assert rows == {resumable.pk: True, no_checkpoint.pk: False, superseded.pk: False, succeeded.pk: False}
    assert viewer_client.get(f"{SYNC_LOGS}{resumable.pk}/").json()["can_resume"] is True
    assert viewer_client.get(f"{SYNC_LOGS}{superseded.pk}/").json()["can_resume"] is False
    history = viewer_client.get(f"{CONNECTORS}{connector.pk}/sync_history/").json()["results"]
    assert [row["can_resume"] for row in history] == [False, False, False]


def test_can_resume_agrees_with_what_resume_accepts(editor_client, make_connector):
    connector = make_connector()
    cannot = make_log(connector, SyncStatus.FAILED, age=timedelta(hours=1))
    assert editor_client.get(f"{SYNC_LOGS}{cannot.pk}/").json()["can_resume"] is False
    refused = editor_client.post(f"{SYNC_LOGS}{cannot.pk}/resume/?wait=0")
    assert refused.status_code == 409
    reason = editor_client.get(f"{SYNC_LOGS}{cannot.pk}/").json()["cannot_resume_reason"]
    assert refused.json() == {"detail": reason}

    can = make_log(connector, SyncStatus.FAILED, checkpoint={"page": 2})
    assert editor_client.get(f"{SYNC_LOGS}{can.pk}/").json()["can_resume"] is True
    assert editor_client.post(f"{SYNC_LOGS}{can.pk}/resume/?wait=0").status_code == 202


def test_a_checkpoint_made_for_another_origin_cannot_resume(editor_client, make_connector):
    connector = make_connector(api_endpoint="https://api.example.com/v1/users")
    log = make_log(
        connector,
        SyncStatus.FAILED,
        checkpoint={"origin": "https://old.example.com", "page": 2},
    )

    assert editor_client.get(f"{SYNC_LOGS}{log.pk}/").json()["can_resume"] is False
    listed = {row["id"]: row["can_resume"] for row in editor_client.get(SYNC_LOGS).json()["results"]}
    assert listed[log.pk] is False
    assert editor_client.post(f"{SYNC_LOGS}{log.pk}/resume/?wait=0").status_code == 409


# --- the ui trigger -----------------------------------------------------------------------------


def test_a_sync_started_by_the_ui_is_recorded_as_ui(editor_client, make_connector):
    connector = make_connector()
    response = editor_client.post(f"{CONNECTORS}{connector.pk}/sync_data/?wait=0&trigger=ui")
    assert response.status_code == 202
    assert response.json()["triggered_by"] == "ui"
    assert SyncLog.objects.get(pk=response.json()["id"]).triggered_by == "ui"

    listed = editor_client.get(SYNC_LOGS, {"triggered_by": "ui"}).json()["results"]
    assert [row["id"] for row in listed] == [response.json()["id"]]


@pytest.mark.parametrize("trigger", ["schedule", "manual", "browser", "UI"])
def test_a_trigger_other_than_api_or_ui_is_a_400(editor_client, make_connector, trigger):
    connector = make_connector()
    response = editor_client.post(f"{CONNECTORS}{connector.pk}/sync_data/?wait=0&trigger={trigger}")
    assert response.status_code == 400
    assert "trigger" in response.json()["errors"]
    assert not SyncLog.objects.filter(connector=connector).exists()


def test_a_viewer_cannot_start_a_ui_sync(viewer_client, make_connector):
    connector = make_connector()
    assert viewer_client.post(f"{CONNECTORS}{connector.pk}/sync_data/?trigger=ui").status_code == 403


@pytest.mark.parametrize(
    "query",
    [{"status": "DONE"}, {"triggered_by": "robot"}, {"created_after": "yesterday"}, {"connector": "x"}],
)
def test_junk_sync_log_filters_are_a_400(viewer_client, query):
    response = viewer_client.get(SYNC_LOGS, query)
    assert response.status_code == 400
    assert set(response.json()["errors"]) == set(query)


# --- sync activity per day ----------------------------------------------------------------------


def test_sync_activity_counts_runs_by_status_and_records_per_day(tenant_a, make_connector):
    connector = make_connector()
    make_log(connector, SyncStatus.SUCCESS, records_processed=120)
    make_log(connector, SyncStatus.FAILED, records_processed=5, age=timedelta(minutes=1))
    make_log(connector, SyncStatus.SUCCESS, records_processed=30, age=timedelta(days=2))
    make_log(connector, SyncStatus.SUCCESS, records_processed=999, age=timedelta(days=40))

    days = sync_activity(tenant_a, days=30)

    assert len(days) == 30
    assert days[-1]["date"] == timezone.now().date()
    assert days[-1]["syncs"]["SUCCESS"] + days[-1]["syncs"]["FAILED"] >= 1
    total_success = sum(day["syncs"]["SUCCESS"] for day in days)
    assert total_success == 2  # the 40-day-old run is outside the window
    assert sum(day["syncs"]["FAILED"] for day in days) == 1
    assert sum(day["records_processed"] for day in days) == 155
    assert set(days[0]["syncs"]) == set(SyncStatus.values)
    assert days[0]["records_processed"] == 0


def test_the_activity_endpoint_reports_only_the_requests_tenant(
    viewer_client, outsider_client, make_connector, tenant_b
):
    make_log(make_connector(), SyncStatus.SUCCESS, records_processed=10)
    make_log(make_connector(tenant=tenant_b), SyncStatus.FAILED, records_processed=7)

    mine = viewer_client.get(HISTORY).json()["days"]
    theirs = outsider_client.get(HISTORY).json()["days"]

    assert sum(day["records_processed"] for day in mine) == 10
    assert sum(day["syncs"]["FAILED"] for day in mine) == 0
    assert sum(day["records_processed"] for day in theirs) == 7
    assert len(mine) == 30


def test_the_activity_endpoint_takes_days_from_1_to_90(viewer_client):
    assert len(viewer_client.get(HISTORY, {"days": 7}).json()["days"]) == 7
    for junk in ("0", "91", "week"):
        response = viewer_client.get(HISTORY, {"days": junk})
        assert response.status_code == 400
        assert "days" in response.json()["errors"]


def test_the_activity_is_cached_until_a_sync_is_queued(
    editor_client, make_connector, django_assert_num_queries
):
    connector = make_connector()
    make_log(connector, SyncStatus.SUCCESS, records_processed=4)
    editor_client.get(HISTORY)

    with django_assert_num_queries(2):  # authentication only: the days come from the cache
        cached = editor_client.get(HISTORY).json()["days"]
    assert sum(day["records_processed"] for day in cached) == 4

    assert editor_client.post(f"{CONNECTORS}{connector.pk}/sync_data/?wait=0").status_code == 202
    fresh = editor_client.get(HISTORY).json()["days"]
    assert fresh[-1]["syncs"]["PENDING"] == 1


def test_anonymous_callers_get_no_activity(anon_client):
    assert anon_client.get(HISTORY).status_code == 401


# --- the list's latest run statuses -------------------------------------------------------------


def test_the_connector_list_shows_the_latest_ten_run_statuses_newest_first(viewer_client, make_connector):
    busy = make_connector(name="busy")
    make_connector(name="idle")
    for hours in range(12, 0, -1):
        make_log(
            busy, SyncStatus.FAILED if hours % 3 == 0 else SyncStatus.SUCCESS, age=timedelta(hours=hours)
        )
    make_log(busy, SyncStatus.RUNNING)

    rows = {row["name"]: row for row in viewer_client.get(CONNECTORS).json()["results"]}

    assert rows["busy"]["recent_statuses"] == [
        "RUNNING",
        "SUCCESS",
        "SUCCESS",
        "FAILED",
        "SUCCESS",
        "SUCCESS",
        "FAILED",
        "SUCCESS",
        "SUCCESS",
        "FAILED",
    ]
    assert rows["idle"]["recent_statuses"] == []


def test_a_connectors_detail_create_and_update_answer_its_recent_statuses_as_the_list_does(
    editor_client, make_connector, settings
):
    settings.MIGRATEIQ_EGRESS_ALLOWLIST = ["127.0.0.1:9"]  # a local address to save (nothing listens)
    busy = make_connector(name="busy")
    make_log(busy, SyncStatus.FAILED, age=timedelta(hours=2))
    make_log(busy, SyncStatus.SUCCESS, age=timedelta(hours=1))

    listed = {row["name"]: row for row in editor_client.get(CONNECTORS).json()["results"]}["busy"]
    detail = editor_client.get(f"{CONNECTORS}{busy.pk}/").json()
    patched = editor_client.patch(f"{CONNECTORS}{busy.pk}/", {"is_active": False}, format="json").json()
    created = editor_client.post(
        CONNECTORS,
        {"name": "new", "api_endpoint": "http://127.0.0.1:9/users", "sync_frequency": "DAILY"},
        format="json",
    ).json()

    assert listed["recent_statuses"] == detail["recent_statuses"] == patched["recent_statuses"]
    assert detail["recent_statuses"] == ["SUCCESS", "FAILED"]
    assert created["recent_statuses"] == []


# --- the connector's running sync ---------------------------------------------------------------


def test_the_connector_list_and_detail_name_the_pending_or_running_sync(viewer_client, make_connector):
    running = make_connector(name="running")
    pending = make_connector(name="pending")
    done = make_connector(name="done")
    make_log(running, SyncStatus.SUCCESS, age=timedelta(hours=1))
    run = make_log(running, SyncStatus.RUNNING)
    queued = make_log(pending, SyncStatus.PENDING)
    make_log(done, SyncStatus.FAILED)

    rows = {row["name"]: row for row in viewer_client.get(CONNECTORS).json()["results"]}

    assert rows["running"]["running_sync_id"] == run.pk
    assert rows["pending"]["running_sync_id"] == queued.pk
    assert rows["done"]["running_sync_id"] is None
    assert viewer_client.get(f"{CONNECTORS}{running.pk}/").json()["running_sync_id"] == run.pk
    assert viewer_client.get(f"{CONNECTORS}{done.pk}/").json()["running_sync_id"] is None


def test_an_updated_connector_still_names_its_running_sync(editor_client, make_connector):
    connector = make_connector(name="busy")
    run = make_log(connector, SyncStatus.RUNNING)

    saved = editor_client.patch(f"{CONNECTORS}{connector.pk}/", {"name": "busier"}, format="json")

    assert saved.status_code == 200, saved.content
    assert saved.json()["running_sync_id"] == run.pk


def test_a_sort_by_a_field_no_stored_record_has_is_a_400_naming_it(viewer_client, make_connector):
    # before: ?ordering=data.nonexistent answered 200 in the default order, hiding the typo
    from demo_extension.tests.sync_support import store

    connector = make_connector()
    store(connector, [{"id": 1, "name": "b", "odd'key": 2}, {"id": 2, "name": "a", "odd'key": 1}])
    url = f"{CONNECTORS}{connector.pk}/records/"

    response = viewer_client.get(url, {"ordering": "data.nonexistent"})

    assert response.status_code == 400
    assert response.json()["errors"]["ordering"] == [
        "No stored record has a top-level field 'nonexistent' (the connector's schema lists its fields: "
        "GET .../schema/); a sort by it would change nothing."
    ]
    assert external_ids(viewer_client.get(url, {"ordering": "data.name"})) == ["2", "1"]
    assert external_ids(viewer_client.get(url, {"ordering": "-data.odd'key"})) == ["1", "2"]
