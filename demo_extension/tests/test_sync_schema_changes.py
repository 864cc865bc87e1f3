"""A sync says how it changed the connector's inferred schema: new fields in its log, a field that
took another type (or lost a format) as a warning, every change on the run (``schema_changes``).
Before, a column of integers that started holding strings changed nothing a user could see: the
next destination load widened the column, and readers broke."""

import pytest

from demo_extension.models import SyncStatus
from demo_extension.tests.sync_support import (  # noqa: F401
    events,
    fault_server,
    fault_server_process,
    fault_url,
    page_numbered_connector,
    run_sync,
    serve_pages,
    stored_records,
)
from sync_engine.schema import (
    MAX_DEPTH,
    MAX_FIELDS,
    describe_schema_changes,
    full_schema_warning,
    schema_changes,
    stored_schema_document,
)
from webhooks.services.payloads import sync_data


def stored_ages(connector) -> dict:
    return {key: data.get("age") for key, data in stored_records(connector).items()}


def _record(id_: int, **fields) -> dict:
    return {"id": id_, "age": 30 + id_, "seen": "2026-12-01T10:00:00Z", **fields}


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("build_process", ["off", "on"])
def test_a_re_sync_reports_new_fields_and_warns_of_a_field_that_took_another_type(
    settings,
    fault_server,  # noqa: F811
    make_connector,
    build_process,
):
    settings.MIGRATEIQ_SYNC_BUILD_PROCESS = build_process
    serve_pages(fault_server, {"1": [_record(1), _record(2)], "2": [_record(3)]})
    connector = page_numbered_connector(make_connector, fault_server)
    first = run_sync(connector)
    assert first.status == SyncStatus.SUCCESS, first.error_message
    assert first.schema_changes == [] and first.warnings == []  # a first sync learns the schema

    serve_pages(
        fault_server,
        {
            "1": [_record(1, address={"city": "Oslo", "zip": "0150"}), _record(2, age="thirty-two")],
            "2": [_record(3, seen="last tuesday", nickname=None)],
        },
    )
    again = run_sync(connector)

    assert again.status == SyncStatus.SUCCESS, again.error_message
    assert again.schema_changes == [
        {"path": "address", "change": "added", "before": [], "after": ["object"]},
        {"path": "age", "change": "types", "before": ["integer"], "after": ["integer", "string"]},
        {"path": "nickname", "change": "added", "before": [], "after": ["null"]},
        {"path": "seen", "change": "formats", "before": ["timestamp"], "after": []},
    ]
    assert "Schema changed: 2 new field(s): address, nickname." in events(again)
    assert again.warnings == [
        "Schema changed: 2 field(s) took another type: age (integer → integer, string), seen (no longer "
        "always timestamp). Columns and readers that expected the old type may need a change."
    ]

    unchanged = run_sync(connector)
    assert unchanged.schema_changes == [] and unchanged.warnings == []
    assert not any(line.startswith("Schema changed") for line in events(unchanged))


@pytest.mark.django_db(transaction=True)
def test_the_api_and_the_webhook_payload_carry_the_changes(
    fault_server,  # noqa: F811
    make_connector,
    editor_client,
):
    serve_pages(fault_server, {"1": [_record(1), _record(2)]})
    connector = page_numbered_connector(make_connector, fault_server)
    run_sync(connector)
    serve_pages(fault_server, {"1": [_record(1, age=None, tags=["a"]), _record(2)]})
    run = run_sync(connector)

    body = editor_client.get(f"/api/demo-extension/sync-logs/{run.pk}/").json()

    assert body["schema_changes"] == [
        {"path": "age", "change": "types", "before": ["integer"], "after": ["integer", "null"]},
        {"path": "tags", "change": "added", "before": [], "after": ["array"]},
    ]
    assert sync_data(run)["sync"]["schema_changes"] == body["schema_changes"]
    # a field that may now be null is news, not a warning
    assert body["warnings_count"] == 0
    assert "Schema changed: 1 new field(s): tags; 1 field(s) now also null: age." in events(run)


def test_removed_fields_and_a_new_objects_own_fields():
    before = [
        {"path": ["id"], "types": ["integer"]},
        {"path": ["old"], "types": ["object"]},
        {"path": ["old", "x"], "types": ["integer"]},
    ]
    after = [
        {"path": ["id"], "types": ["integer"]},
        {"path": ["new"], "types": ["object"]},
        {"path": ["new", "y"], "types": ["string"], "formats": []},
    ]

    changes = schema_changes(before, after)

    # an object added or removed is one change, not one per field under it
    assert changes == [
        {"path": "new", "change": "added", "before": [], "after": ["object"]},
        {"path": "old", "change": "removed", "before": ["object"], "after": []},
    ]
    assert describe_schema_changes(changes) == ("Schema changed: 1 new field(s): new.", "")
    assert schema_changes([], after) == []


def test_a_long_list_of_new_fields_is_shortened_in_the_log():
    before = [{"path": ["id"], "types": ["integer"]}]
    after = before + [{"path": [f"f{n:02}"], "types": ["integer"]} for n in range(14)]

    news, warning = describe_schema_changes(schema_changes(before, after))

    assert news == (
        "Schema changed: 14 new field(s): f00, f01, f02, f03, f04, f05, f06, f07, f08, f09 and 4 more."
    )
    assert warning == ""


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("build_process", ["off", "on"])
def test_a_frozen_schema_fails_the_run_before_the_page_that_changes_it_and_resumes_once_evolving(
    settings,
    fault_server,  # noqa: F811
    make_connector,
    editor_client,
    build_process,
):
    settings.MIGRATEIQ_SYNC_BUILD_PROCESS = build_process
    settings.MIGRATEIQ_SYNC_RUNNER = "inline"  # the resume below runs before its answer
    serve_pages(fault_server, {"1": [_record(1)], "2": [_record(2)], "3": [_record(3)]})
    connector = page_numbered_connector(make_connector, fault_server)
    assert run_sync(connector).status == SyncStatus.SUCCESS  # the first sync learns the schema, frozen or not
    url = f"/api/demo-extension/connectors/{connector.pk}/"
    assert editor_client.patch(url, {"schema_policy": "freeze"}, format="json").status_code == 200
    # page 1 changes a value only; page 2 brings a new field and a string where integers were
    serve_pages(
        fault_server,
        {"1": [_record(1, age=99)], "2": [_record(2, age="n/a", vip=True)], "3": [_record(3, age=7)]},
    )

    frozen = run_sync(connector)

    assert frozen.status == SyncStatus.FAILED
    assert frozen.error_message == (
        f"Page 2 ({fault_url(fault_server)}?page=2) would change the schema, which this connector's "
        'schema_policy "freeze" refuses: '
        "new field(s): vip; another type: age (integer → integer, string). Nothing from this page on was "
        'stored. Review the change, then set schema_policy to "evolve" and resume this run to store it.'
    )
    assert stored_ages(connector) == {"1": 99, "2": 32, "3": 33}  # page 1 stored, nothing after it
    assert frozen.schema_changes == []

    assert editor_client.patch(url, {"schema_policy": "evolve"}, format="json").status_code == 200
    resumed = editor_client.post(f"/api/demo-extension/sync-logs/{frozen.pk}/resume/")
    assert resumed.status_code in (200, 202), resumed.content
    frozen.refresh_from_db()
    assert frozen.status == SyncStatus.SUCCESS, frozen.error_message
    assert stored_ages(connector) == {"1": 99, "2": "n/a", "3": 7}
    assert [change["path"] for change in frozen.schema_changes] == ["age", "vip"]


@pytest.mark.django_db(transaction=True)
def test_a_frozen_schema_takes_values_that_fit_it_and_fields_that_become_null(
    fault_server,  # noqa: F811
    make_connector,
):
    serve_pages(fault_server, {"1": [_record(1), _record(2)]})
    connector = page_numbered_connector(make_connector, fault_server, schema_policy="freeze")
    assert run_sync(connector).status == SyncStatus.SUCCESS
    serve_pages(fault_server, {"1": [_record(1, age=None), _record(2, age=40)]})

    again = run_sync(connector)

    assert again.status == SyncStatus.SUCCESS, again.error_message
    assert stored_ages(connector) == {"1": None, "2": 40}


def test_schema_policy_takes_evolve_or_freeze_only(editor_client, make_connector):
    connector = make_connector()

    response = editor_client.patch(
        f"/api/demo-extension/connectors/{connector.pk}/", {"schema_policy": "frozen"}, format="json"
    )

    assert response.status_code == 400
    (message,) = response.json()["errors"]["schema_policy"]
    assert "evolve" in message and "freeze" in message
    assert "Did you mean 'freeze'?" in message


@pytest.mark.django_db(transaction=True)
def test_a_run_that_rewrites_every_record_leaves_no_type_only_the_old_records_had(
    fault_server,  # noqa: F811
    make_connector,
):
    serve_pages(fault_server, {"1": [_record(1), _record(2)], "2": [_record(3)]})
    connector = page_numbered_connector(make_connector, fault_server)
    assert run_sync(connector).status == SyncStatus.SUCCESS
    connector.transformation_rules = {"type_conversions": {"age": "str"}}
    connector.save()

    again = run_sync(connector)  # every record rewritten: the ages are strings now

    assert again.status == SyncStatus.SUCCESS, again.error_message
    assert again.records_updated == 3
    assert again.schema_changes == [
        {"path": "age", "change": "types", "before": ["integer"], "after": ["string"]}
    ]
    assert any(
        line.startswith("Schema changed: 1 field(s) took another type: age (integer → string)")
        for line in again.warnings
    ), again.warnings
    document = stored_schema_document(connector.pk)
    assert [entry["types"] for entry in document["fields"] if entry["path"] == ["age"]] == [["string"]]


@pytest.mark.django_db
def test_a_run_whose_records_fill_the_schema_warns_that_csv_and_destinations_leave_fields_out(
    fault_server,  # noqa: F811
    make_connector,
):
    # before: the fields past the schema's 1,000 were left out of the CSV export's columns and of
    # destination tables without a word (only the schema API's "truncated" said anything)
    wide = {f"f{n:04d}": n for n in range(MAX_FIELDS + 5)}
    deep: dict = {"leaf": 1}
    for _ in range(MAX_DEPTH + 2):
        deep = {"n": deep}
    serve_pages(fault_server, {"1": [{"id": 1, "deep": deep}]})
    connector = page_numbered_connector(make_connector, fault_server)
    only_deep = run_sync(connector)  # deeper values stay in a JSON column: nothing is left out
    assert only_deep.status == SyncStatus.SUCCESS and only_deep.warnings == []

    serve_pages(fault_server, {"1": [{"id": 1, "deep": deep}, {"id": 2, **wide}]})
    filled = run_sync(connector)

    assert filled.status == SyncStatus.SUCCESS, filled.error_message
    assert [line for line in filled.warnings if line.startswith("The inferred schema is full")] == [
        full_schema_warning()
    ]
    assert "at most 1,000 fields" in full_schema_warning()
    serve_pages(fault_server, {"1": [{"id": 3, **wide}]})
    assert run_sync(connector).warnings == []  # said once, by the run that filled it
