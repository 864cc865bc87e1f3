"""Hostile upstreams (real HTTP servers on 127.0.0.1) cannot make one record or one page cost a worker
more than a bounded amount of work: they get a clear per-record or per-run error instead."""

import json
import time

from demo_extension.models import SyncStatus
from demo_extension.tests import sync_support
from demo_extension.tests.sync_support import fault_url, run_sync, stored_ids
from sync_engine.models import ConnectorSchema
from sync_engine.schema import long_names_warning, stored_schema_document
from sync_engine.transform import MAX_NUMBER_DIGITS

fault_server = sync_support.fault_server
fault_server_process = sync_support.fault_server_process

ID_AS_INT = {"type_conversions": {"amount": "int"}}


def serve_records(server, records):
    server.expect_request("/items").respond_with_data(json.dumps(records), content_type="application/json")
    return fault_url(server)


def test_an_exponent_bomb_is_quarantined_at_once_instead_of_pinning_the_worker(fault_server, make_connector):
    """``int("1e800000")`` went through Decimal and took ~30 s (quadratic in the exponent)."""
    records = [{"id": i, "amount": "12"} for i in range(1, 20)] + [{"id": 20, "amount": "1e800000"}]
    connector = make_connector(
        api_endpoint=serve_records(fault_server, records), auth_type="none", transformation_rules=ID_AS_INT
    )

    started = time.monotonic()
    log = run_sync(connector)
    elapsed = time.monotonic() - started

    assert elapsed < 3, f"the sync took {elapsed:.1f} s"
    assert log.status == SyncStatus.PARTIAL, log.error_message
    assert stored_ids(connector) == list(range(1, 20))
    (error,) = log.record_errors.all()
    assert error.external_id == "20"
    assert "refused to convert" in error.error
    assert "'amount'" in error.error and "exponent" in error.error


def test_a_very_long_number_text_is_quarantined_too(fault_server, make_connector):
    records = [{"id": 1, "amount": "7" * 50_000}] + [{"id": i, "amount": i} for i in range(2, 21)]
    connector = make_connector(
        api_endpoint=serve_records(fault_server, records), auth_type="none", transformation_rules=ID_AS_INT
    )

    log = run_sync(connector)

    (error,) = log.record_errors.all()
    assert error.external_id == "1"
    assert "50000 characters long" in error.error


def test_large_but_bounded_numbers_still_convert(fault_server, make_connector):
    big = "9" * (MAX_NUMBER_DIGITS - 1)
    records = [{"id": 1, "amount": f"{big}"}, {"id": 2, "amount": "1.5e3"}, {"id": 3, "amount": "2e10"}]
    connector = make_connector(
        api_endpoint=serve_records(fault_server, records),
        auth_type="none",
        transformation_rules={"type_conversions": {"amount": "decimal"}},
    )

    log = run_sync(connector)

    assert log.status == SyncStatus.SUCCESS, log.error_message
    assert stored_ids(connector) == [1, 2, 3]


def test_a_deeply_nested_page_fails_the_sync_with_a_clear_message(fault_server, make_connector):
    """100,000 nested arrays raised RecursionError in the parser instead of a readable failure."""
    body = '[{"id": 1, "v": ' + "[" * 100_000 + "]" * 100_000 + "}]"
    fault_server.expect_request("/items").respond_with_data(body, content_type="application/json")
    connector = make_connector(api_endpoint=fault_url(fault_server), auth_type="none")

    log = run_sync(connector)

    assert log.status == SyncStatus.FAILED
    assert "nested deeper than 1024 levels" in log.error_message


def test_a_deep_page_on_the_standard_parsers_path_is_refused_the_same_way(fault_server, make_connector):
    """A NaN sends the page to the standard parser, which recursed without a limit."""
    body = '[{"id": 1, "n": NaN, "v": ' + "[" * 5000 + "]" * 5000 + "}]"
    fault_server.expect_request("/items").respond_with_data(body, content_type="application/json")
    connector = make_connector(api_endpoint=fault_url(fault_server), auth_type="none")

    log = run_sync(connector)

    assert log.status == SyncStatus.FAILED
    assert "nested deeper than 1024 levels" in log.error_message


def test_nesting_within_the_limit_is_synced(fault_server, make_connector):
    body = '[{"id": 1, "v": ' + "[" * 300 + "]" * 300 + "}]"
    fault_server.expect_request("/items").respond_with_data(body, content_type="application/json")
    connector = make_connector(api_endpoint=fault_url(fault_server), auth_type="none")

    log = run_sync(connector)

    assert log.status == SyncStatus.SUCCESS, log.error_message
    assert stored_ids(connector) == [1]


def test_a_record_larger_than_a_stored_record_may_be_is_quarantined_as_its_key_alone(
    fault_server, make_connector, settings
):
    """Records of 5 MB (one to an upstream page, within its size cap) were stored whole: one viewer's
    page of 50 records was a 250 MB answer that took the web process to 3 GB of memory."""
    settings.MIGRATEIQ_SYNC_MAX_RECORD_BYTES = 4096
    records = [{"id": i, "note": "small"} for i in range(1, 41)]
    records += [
        {"id": 41, "blob": "x" * 10_000},
        {"id": 42, "blob": "é" * 2000},
        {"id": 43, "blob": "é" * 3000},
    ]
    connector = make_connector(api_endpoint=serve_records(fault_server, records), auth_type="none")

    log = run_sync(connector)

    assert log.status == SyncStatus.PARTIAL, log.error_message
    # 42 is 4,019 bytes (2,000 two-byte characters): kept; 43 has fewer characters than the limit
    # but 6,019 bytes.
    assert stored_ids(connector) == [*range(1, 41), 42]
    errors = {error.external_id: error for error in log.record_errors.all()}
    assert sorted(errors) == ["41", "43"]
    assert "10,019 bytes of JSON, more than the 4,096 a record may hold" in errors["41"].error
    assert "MIGRATEIQ_SYNC_MAX_RECORD_BYTES" in errors["41"].error
    assert errors["41"].raw_payload == {
        "id": 41,
        "_migrateiq_record_omitted": "10,019 bytes of JSON, more than the 4,096 a record may hold",
    }
    assert errors["43"].raw_payload["id"] == 43 and "blob" not in errors["43"].raw_payload


def test_an_oversized_record_with_a_nested_key_keeps_the_key_at_its_path(
    fault_server, make_connector, settings
):
    settings.MIGRATEIQ_SYNC_MAX_RECORD_BYTES = 4096
    records = [{"meta": {"id": str(i)}, "note": "small"} for i in range(20)]
    records += [{"meta": {"id": "b"}, "blob": "x" * 5000}]
    connector = make_connector(
        api_endpoint=serve_records(fault_server, records), auth_type="none", primary_key="meta.id"
    )

    log = run_sync(connector)

    (error,) = log.record_errors.all()
    assert error.external_id == "b"
    assert error.raw_payload["meta"] == {"id": "b"} and "blob" not in error.raw_payload


def test_a_wait_longer_than_a_float_holds_is_a_failed_connection_test_and_sync_not_a_500(
    fault_server, make_connector, editor_client, settings
):
    """``Retry-After: 999…9`` (400 digits) was read as an infinity: the connection test (and the
    preview) a 500 for the editor, a sync "Internal error (OverflowError)"."""
    settings.MIGRATEIQ_HTTP_RETRY_AFTER_CAP = 0.1  # the connector's pause after the 429: short
    fault_server.expect_request("/items").respond_with_data(
        '{"error": "slow down"}', status=429, headers={"Retry-After": "9" * 400}
    )
    connector = make_connector(api_endpoint=fault_url(fault_server), auth_type="none")

    response = editor_client.post(f"/api/demo-extension/connectors/{connector.pk}/test_connection/")

    assert response.status_code == 200, response.content[:200]
    assert response.json()["connected"] is False
    assert "it asks to wait 31622400 s" in response.json()["message"]

    log = run_sync(connector)
    assert log.status == SyncStatus.FAILED
    assert "it asks to wait 31622400 s" in log.error_message
    assert "Internal error" not in log.error_message


def test_field_names_longer_than_the_schema_keeps_are_left_out_of_it_not_the_records(
    fault_server, make_connector, viewer_client
):
    """40 records, each with a key of 100,000 characters at the top and in an object: the inferred
    schema held all 80 fields, a 16 MB answer to any viewer's GET of the schema (at the 1,000 fields
    it holds, hundreds of MB)."""
    long_keys = [f"{number:03d}" + "k" * 99_997 for number in range(40)]
    records = [{"id": number, key: 1, "nested": {key: 2, "ok": 3}} for number, key in enumerate(long_keys)]
    connector = make_connector(api_endpoint=serve_records(fault_server, records), auth_type="none")

    log = run_sync(connector)

    assert log.status == SyncStatus.SUCCESS, log.error_message
    assert len(stored_ids(connector)) == 40  # the records keep every key
    # ... and the run says the left-out fields are no CSV or destination columns (once, by the run
    # that first met them)
    assert log.warnings == [long_names_warning()]
    assert "longer than the 1,000 characters" in long_names_warning()
    assert run_sync(connector).warnings == []
    assert_schema_is_id_nested_and_nested_ok(viewer_client, connector)


def test_a_schema_stored_before_names_were_bounded_is_read_without_its_long_names(
    fault_server, make_connector, viewer_client
):
    """A schema stored before field names were bounded kept names of any length: every reader (the
    schema's answer, the CSV columns, the next run) reads it without them, flagged."""
    connector = make_connector(api_endpoint=serve_records(fault_server, [{"id": 1}]), auth_type="none")
    long_name = "k" * 200_000
    ConnectorSchema.objects.create(
        connector_id=connector.pk,
        fields={
            "fields": [
                {"path": ["id"], "types": ["integer"], "position": 1},
                {"path": [long_name], "types": ["integer"], "position": 2},
                {"path": ["nested"], "types": ["object"], "position": 3},
                {"path": ["nested", long_name], "types": ["string"], "position": 4},
                {"path": ["nested", "ok"], "types": ["integer"], "position": 5},
            ]
        },
    )

    assert_schema_is_id_nested_and_nested_ok(viewer_client, connector)
    export = viewer_client.get(f"/api/demo-extension/connectors/{connector.pk}/export/?format=csv")
    assert long_name not in b"".join(export.streaming_content).decode()
    assert stored_schema_document(connector.pk)["long_names"] is True


def assert_schema_is_id_nested_and_nested_ok(client, connector) -> None:
    """The connector's schema, as a viewer reads it: small, the long-named fields left out, truncated."""
    response = client.get(f"/api/demo-extension/connectors/{connector.pk}/schema/")
    assert response.status_code == 200
    assert len(response.content) < 10_000, len(response.content)
    body = response.json()
    assert [field["path"] for field in body["fields"]] == ["id", "nested", "nested.ok"]
    assert body["truncated"] is True
