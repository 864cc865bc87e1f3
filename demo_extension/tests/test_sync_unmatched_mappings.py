"""A field mapping whose source no record has (a mistyped path) does nothing: the sync says so in
its log, naming the mapping, instead of a quiet SUCCESS with the target missing everywhere."""

import pytest

from demo_extension.models import SyncStatus
from demo_extension.tests.sync_support import (  # noqa: F401
    events,
    fault_server,
    fault_server_process,
    fault_url,
    run_sync,
)

RULES = {"field_mappings": {"username": "login", "address.town": "town", "company.name": "company_name"}}


def _warnings(log) -> list[str]:
    return [line for line in events(log) if line.startswith("Field mapping")]


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("build_process", ["off", "on"])
def test_a_mapping_no_record_matched_is_a_warning_of_the_run(
    settings, sample_upstream, make_connector, build_process
):
    settings.MIGRATEIQ_SYNC_BUILD_PROCESS = build_process
    upstream = sample_upstream(records=120, style="page", page_size=50)
    connector = make_connector(upstream=upstream, transformation_rules=RULES)

    log = run_sync(connector)

    assert log.status == SyncStatus.SUCCESS, log.error_message
    (warning,) = _warnings(log)
    assert warning.startswith(
        "Field mapping 'address.town' -> 'town' matched none of the 120 record(s) transformed in this run"
    )
    assert "no record has 'address.town'" in warning


def test_an_unchanged_re_sync_still_says_a_mapping_does_nothing(sample_upstream, make_connector):
    # It transforms no record, so it reads the stored records' schema: no stored record has 'town'.
    upstream = sample_upstream(records=30, style="page", page_size=50)
    connector = make_connector(upstream=upstream, transformation_rules=RULES)
    run_sync(connector)

    again = run_sync(connector)

    assert again.status == SyncStatus.SUCCESS and again.records_unchanged == 30
    assert _warnings(again) == [
        "Field mapping 'address.town' -> 'town' matched none of the 30 stored record(s): no record had "
        "'address.town' when it was stored, so none has 'town'. Check the source path (the connector's "
        "preview shows records as the API sends them)."
    ]
    assert any("'address.town' -> 'town'" in line for line in again.warnings)


def test_an_unchanged_re_sync_of_matching_mappings_says_nothing(sample_upstream, make_connector):
    upstream = sample_upstream(records=30, style="page", page_size=50)
    rules = {"field_mappings": {"username": "login", "address.city": "city"}}
    connector = make_connector(upstream=upstream, transformation_rules=rules)
    assert _warnings(run_sync(connector)) == []

    again = run_sync(connector)

    assert again.status == SyncStatus.SUCCESS and again.records_unchanged == 30
    assert _warnings(again) == []


def test_mappings_that_match_and_a_target_a_default_fills_are_not_reported(sample_upstream, make_connector):
    upstream = sample_upstream(records=30, style="page", page_size=50)
    rules = {
        "field_mappings": {"username": "login", "address.town": "town"},
        "defaults": {"town": "unknown"},
    }
    connector = make_connector(upstream=upstream, transformation_rules=rules)

    log = run_sync(connector)

    assert log.status == SyncStatus.SUCCESS, log.error_message
    assert _warnings(log) == []


def test_a_mapping_matched_by_a_single_record_on_the_last_page_is_not_reported(
    fault_server,  # noqa: F811
    make_connector,
):
    pages = {"1": [{"id": 1}, {"id": 2}], "2": [{"id": 3}, {"id": 4}], "3": [{"id": 5, "nickname": "late"}]}
    for number, body in pages.items():
        fault_server.expect_request("/items", query_string={"page": number}).respond_with_json(body)
    rules = {"field_mappings": {"nickname": "alias", "title": "heading"}}
    connector = make_connector(
        api_endpoint=fault_url(fault_server),
        auth_type="none",
        pagination={"type": "page"},
        transformation_rules=rules,
    )

    log = run_sync(connector)

    assert log.status == SyncStatus.SUCCESS, log.error_message
    assert [line.split(" matched")[0] for line in _warnings(log)] == ["Field mapping 'title' -> 'heading'"]


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("build_process", ["off", "on"])
def test_a_mapping_onto_a_field_the_records_have_is_a_warning_of_the_run(
    settings,
    fault_server,  # noqa: F811
    make_connector,
    build_process,
):
    # before: {"email": "name"} replaced every record's own name, and {"address.city": "address"}
    # the whole address (its zip lost), with no word in the run, the preview or the log
    settings.MIGRATEIQ_SYNC_BUILD_PROCESS = build_process
    records = [
        {"id": n, "name": f"N{n}", "email": f"{n}@x", "address": {"city": "Oslo", "zip": "01"}}
        for n in (1, 2)
    ]
    fault_server.expect_request("/items", query_string={"page": "1"}).respond_with_json(records)
    fault_server.expect_request("/items").respond_with_json([])
    rules = {"field_mappings": {"email": "name", "address.city": "address", "id": "user_id"}}
    connector = make_connector(
        api_endpoint=fault_url(fault_server),
        auth_type="none",
        pagination={"type": "page"},
        primary_key="user_id",
        transformation_rules=rules,
    )

    log = run_sync(connector)

    assert log.status == SyncStatus.SUCCESS, log.error_message
    assert [warning for warning in log.warnings if "replaces the records' own" in warning] == [
        "Field mapping 'email' -> 'name' replaces the records' own 'name' (2 of the first page's first 2 "
        "record(s) have both): the upstream's 'name' is not stored. Map 'name' to another name first, or "
        "choose another target.",
        "Field mapping 'address.city' -> 'address' replaces the records' own 'address' (2 of the first "
        "page's first 2 record(s) have both): the upstream's 'address' is not stored. Map 'address' to "
        "another name first, or choose another target.",
    ]


def test_renaming_a_field_onto_a_name_another_mapping_moves_away_is_not_reported():
    from sync_engine.transform import DataTransformationService

    service = DataTransformationService({"field_mappings": {"name": "full_name", "email": "name"}})

    assert service.overwritten_fields({"name": "Ann", "email": "a@x"}) == []
