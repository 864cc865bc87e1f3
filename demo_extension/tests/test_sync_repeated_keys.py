"""Records that repeat another record's primary key in one run are stored once (the last one read):
the run says so in a warning instead of a quiet SUCCESS that counted them as "unchanged".
Before: ids 1, 1, "1", 1.0 and 2 gave "5 processed, 3 created, 2 unchanged" and no warning."""

import pytest

from demo_extension.models import SyncedRecord, SyncStatus
from demo_extension.tests.sync_support import (  # noqa: F401
    fault_server,
    fault_server_process,
    fault_url,
    page_numbered_connector,
    run_sync,
    serve_pages,
    stored_records,
)


def _repeat_warnings(log) -> list[str]:
    return [warning for warning in log.warnings if "repeated the primary key" in warning]


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("build_process", ["off", "on"])
def test_a_first_sync_says_how_many_records_repeated_a_key(
    settings,
    fault_server,  # noqa: F811
    make_connector,
    build_process,
):
    settings.MIGRATEIQ_SYNC_BUILD_PROCESS = build_process
    page = [{"id": 1, "v": "a"}, {"id": 1, "v": "b"}, {"id": "1", "v": "c"}, {"id": 1.0, "v": "d"}, {"id": 2}]
    serve_pages(fault_server, {"1": page, "2": [{"id": 2, "v": "later"}, {"id": 3}]})
    connector = page_numbered_connector(make_connector, fault_server)

    log = run_sync(connector)

    assert log.status == SyncStatus.SUCCESS, log.error_message
    assert (log.records_processed, log.records_created) == (7, 4)
    assert _repeat_warnings(log) == [
        "3 record(s) repeated the primary key ('id') of another record of this run: each key is stored "
        "once, as the last record read with it, so 3 upstream record(s) are not stored on their own "
        "(counted as unchanged). If they are different records, set primary_key to a field that tells "
        "them apart; if pages overlap, check the pagination."
    ]
    assert stored_records(connector)["1"]["v"] == "c"
    assert stored_records(connector)["2"]["v"] == "later"


@pytest.mark.django_db(transaction=True)
def test_a_re_sync_warns_of_a_key_repeated_on_a_page(fault_server, make_connector):  # noqa: F811
    serve_pages(fault_server, {"1": [{"id": 1, "v": "a"}, {"id": 2}]})
    connector = page_numbered_connector(make_connector, fault_server)
    assert _repeat_warnings(run_sync(connector)) == []
    serve_pages(fault_server, {"1": [{"id": 1, "v": "new"}, {"id": 1, "v": "newer"}, {"id": 2}]})

    again = run_sync(connector)

    (warning,) = _repeat_warnings(again)
    assert warning.startswith(
        "1 record(s) repeated the primary key ('id') of another record of the same page"
    )
    assert stored_records(connector)["1"]["v"] == "newer"


@pytest.mark.django_db(transaction=True)
def test_identical_records_keyed_by_content_are_one_record_without_a_warning(fault_server, make_connector):  # noqa: F811
    serve_pages(fault_server, {"1": [{"v": "same"}, {"v": "same"}, {"v": "other"}]})
    connector = page_numbered_connector(make_connector, fault_server, primary_key="")

    log = run_sync(connector)

    assert log.status == SyncStatus.SUCCESS and log.records_created == 2
    assert _repeat_warnings(log) == []


@pytest.mark.django_db(transaction=True)
def test_a_full_refresh_warns_of_keys_repeated_across_its_pages(fault_server, make_connector):  # noqa: F811
    serve_pages(fault_server, {"1": [{"id": 1}, {"id": 2}], "2": [{"id": 3}]})
    connector = page_numbered_connector(make_connector, fault_server)
    assert _repeat_warnings(run_sync(connector)) == []
    # Offset pages over data that moved: records 1 and 2 come again on the next page, unchanged.
    serve_pages(fault_server, {"1": [{"id": 1}, {"id": 2}], "2": [{"id": 1}, {"id": 2}, {"id": 3}]})

    again = run_sync(connector, full_refresh=True)

    assert again.status == SyncStatus.SUCCESS, again.error_message
    assert (again.records_processed, again.records_unchanged, again.records_deleted) == (5, 5, 0)
    assert _repeat_warnings(again) == [
        "2 record(s) repeated the primary key ('id') of another record of this run: each key is stored "
        "once, as the last record read with it, so 2 upstream record(s) are not stored on their own "
        "(counted as unchanged). If they are different records, set primary_key to a field that tells "
        "them apart; if pages overlap, check the pagination."
    ]
    # A plain re-sync of the same pages cannot tell across pages (it keeps no set of the run's keys).
    assert _repeat_warnings(run_sync(connector)) == []


def test_a_full_refresh_over_a_list_that_moved_marks_nothing_deleted(fault_server, make_connector):  # noqa: F811
    # [1, 2, 3, 4] in pages of two; record 1 changes after page 1 was read and moves to the end
    # ([2, 3, 4, 1]), so page 2 holds 4 and 1 and record 3 slid onto page 1, read by neither page.
    # Before: the full refresh ended SUCCESS and marked record 3, alive upstream, deleted.
    serve_pages(fault_server, {"1": [{"id": 1}, {"id": 2}], "2": [{"id": 3}, {"id": 4}]})
    connector = page_numbered_connector(make_connector, fault_server)
    assert run_sync(connector).records_created == 4
    serve_pages(fault_server, {"1": [{"id": 1}, {"id": 2}], "2": [{"id": 4}, {"id": 1, "v": 2}]})

    refresh = run_sync(connector, full_refresh=True)

    assert refresh.status == SyncStatus.PARTIAL
    assert refresh.records_deleted == 0
    assert "1 record(s) were read twice across this full refresh's pages" in refresh.error_message
    assert "the 1 stored record(s) it did not read may have slid past a page" in refresh.error_message
    assert set(stored_records(connector)) == {"1", "2", "3", "4"}
    assert stored_records(connector)["1"] == {"id": 1, "v": 2}


def _float_warnings(log) -> list[str]:
    return [warning for warning in log.warnings if "is a decimal number" in warning]


def _live(connector) -> dict:
    live = SyncedRecord.objects.filter(connector=connector, deleted_at__isnull=True)
    return dict(live.values_list("external_id", "data__v"))


INTEGERS = {"1": [{"id": 1, "v": "a"}, {"id": 2}], "2": [{"id": 3}]}
# The same records, the upstream now writing id 1 as a float (a serializer that changed).
FLOATS = {"1": [{"id": 1.0, "v": "b"}, {"id": 2}], "2": [{"id": 3}]}


def _synced_then_served_floats(fault_server, make_connector):  # noqa: F811
    """A connector synced once with integer ids, whose upstream now writes id 1 as 1.0."""
    serve_pages(fault_server, INTEGERS)
    connector = page_numbered_connector(make_connector, fault_server)
    assert run_sync(connector).status == SyncStatus.SUCCESS
    serve_pages(fault_server, FLOATS)
    return connector


@pytest.mark.django_db(transaction=True)
def test_a_key_the_upstream_now_writes_as_a_float_is_said_to_be_another_key(fault_server, make_connector):  # noqa: F811
    # before: the second sync stored id 1.0 as a record "1.0" beside "1" and ended SUCCESS without
    # a warning
    connector = _synced_then_served_floats(fault_server, make_connector)

    log = run_sync(connector)

    assert log.status == SyncStatus.SUCCESS, log.error_message
    assert _live(connector) == {"1": "a", "1.0": "b", "2": None, "3": None}
    assert _float_warnings(log) == [
        "1 record(s) had a primary key ('id') that is a decimal number, such as 1.0: it is stored as the "
        "key '1.0', another key than the integer 1 has, so an upstream that writes one id both ways has "
        'the record stored twice. If the ids are whole numbers, type_conversions {"id": "int"} keys them '
        "by the integer (the next sync then re-keys the records as a full refresh)."
    ]


@pytest.mark.django_db(transaction=True)
def test_the_conversion_the_warning_names_keys_both_as_one_record(fault_server, make_connector):  # noqa: F811
    connector = _synced_then_served_floats(fault_server, make_connector)
    assert run_sync(connector).status == SyncStatus.SUCCESS
    connector.transformation_rules = {"type_conversions": {"id": "int"}}
    connector.save()

    log = run_sync(connector)

    assert log.status == SyncStatus.SUCCESS, log.error_message
    assert log.full_refresh  # the rules changed what computes the key: the "1.0" copy is marked deleted
    assert _float_warnings(log) == []
    assert _live(connector) == {"1": "b", "2": None, "3": None}
